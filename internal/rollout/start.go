package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/tray"
	"github.com/breakwater-dev/breakwater/internal/trayplan"
)

// StartRequest names the version to roll out, where, and what changed.
type StartRequest struct {
	Package     string
	Version     string
	Environment string
	// Findings are the version's change record against the previous one;
	// Diffed says they come from a comparison (even an empty one). They
	// supply what the flags cannot tell: which auth slots were re-created
	// (re-synced with each instance's current authId) and which hidden
	// slots need the owner's values. Without them the flags alone decide.
	Findings []plan.Finding
	Diffed   bool
}

// Started says what Start did.
type Started struct {
	Rollout store.Rollout
	// Created is false when the rollout existed (Start is idempotent: a
	// redelivered webhook or a second command changes nothing).
	Created bool
	// Counts are the plan's actions over every instance listed, disabled
	// ones included; Disagreements how many instances' flags contradicted
	// the findings (a classifier miss or a runtime quirk).
	Counts        map[plan.Action]int
	Disabled      int
	Disagreements int
}

// pageSize is how many instances are planned and stored at a time: memory
// stays flat however many instances the solution has.
const pageSize = 200

// Start plans a rollout of a deployed version from the runtime's live
// instances and enqueues its driver. Every instance is recorded: pending
// when the bot upgrades it (auth re-sync, system input, user input: the
// end user then runs the Config Wizard), lazy when the runtime upgrades it
// by itself, skipped when it is on the newest version already or disabled.
// Call it once the version is published at the runtime: before that every
// flag still says "no newer version".
func (e *Engine) Start(ctx context.Context, req StartRequest) (Started, error) {
	if err := e.bound(); err != nil {
		return Started{}, err
	}
	what := fmt.Sprintf("%s@%s to %s", req.Package, req.Version, req.Environment)
	tgt, err := e.opts.Targets.Target(ctx, req.Package, req.Environment)
	if err != nil {
		return Started{}, fmt.Errorf("rollout of %s: %w", what, err)
	}
	if tgt.SolutionID == "" || tgt.Runtime == nil {
		return Started{}, fmt.Errorf("rollout of %s: the environment has no Tray solution to roll out to", what)
	}
	r, created, err := e.store.CreateRollout(ctx, store.NewRollout{Package: req.Package, Version: req.Version, Environment: req.Environment, Planning: true}, store.Job{})
	if err != nil {
		return Started{}, err
	}
	out := Started{Rollout: r, Created: created, Counts: map[plan.Action]int{}}
	if !r.Planning {
		// Planned before: at most a driver is missing (a crash right after).
		if err := e.ensureDriver(ctx, r.ID); err != nil {
			return out, err
		}
		return out, nil
	}
	// A rollout created but never planned to its end (a crash while
	// listing) is planned again: instances already stored stay as they are.
	page := make([]plan.Instance, 0, pageSize)
	flush := func() error {
		if len(page) == 0 {
			return nil
		}
		ins, err := planPage(page, req, tgt.Values, &out)
		if err != nil {
			return err
		}
		page = page[:0]
		return e.store.AddRolloutInstances(ctx, r.ID, ins)
	}
	for in, err := range tgt.Runtime.Instances(ctx, tray.InstanceFilter{SolutionID: tgt.SolutionID}) {
		if err != nil {
			return out, fmt.Errorf("rollout of %s: listing the instances of solution %s: %w", what, tgt.SolutionID, err)
		}
		page = append(page, trayplan.FromTray(in))
		if len(page) == pageSize {
			if err := flush(); err != nil {
				return out, fmt.Errorf("rollout of %s: %w", what, err)
			}
		}
	}
	if err := flush(); err != nil {
		return out, fmt.Errorf("rollout of %s: %w", what, err)
	}
	if err := e.store.FinishPlanning(ctx, r.ID); err != nil {
		return out, err
	}
	if out.Disagreements > 0 {
		e.log.LogAttrs(ctx, slog.LevelWarn, "the runtime's flags contradict the findings for some instances; the flags decide",
			slog.String("rollout", what), slog.Int("instances", out.Disagreements))
	}
	if err := e.ensureDriver(ctx, r.ID); err != nil {
		return out, err
	}
	if out.Rollout, err = e.store.Rollout(ctx, r.ID); err != nil {
		return out, err
	}
	e.report(ctx, r.ID)
	return out, nil
}

// planPage plans one page of instances and turns each into the instance
// the store records.
func planPage(page []plan.Instance, req StartRequest, values plan.Supplied, out *Started) ([]store.NewInstance, error) {
	p, err := plan.Build(plan.Input{Mode: plan.ModeFlags, Findings: req.Findings, Diffed: req.Diffed, Instances: page, Supplied: values})
	if err != nil {
		return nil, err
	}
	out.Disagreements += len(p.Disagreements)
	byID := make(map[string]*plan.Instance, len(page))
	for i := range page {
		byID[page[i].ID] = &page[i]
	}
	ins := make([]store.NewInstance, 0, len(page))
	for _, ip := range p.Instances {
		out.Counts[ip.Action]++
		ni, err := newInstance(ip, byID[ip.ID])
		if err != nil {
			return nil, err
		}
		ins = append(ins, ni)
	}
	for _, ip := range p.Disabled {
		out.Counts[ip.Action]++
		out.Disabled++
		ins = append(ins, store.NewInstance{ID: ip.ID, Owner: ip.Owner, Action: string(ip.Action), State: store.StateSkipped,
			Message: "disabled; enabled, it would need: " + string(ip.Action)})
	}
	return ins, nil
}

func newInstance(ip plan.InstancePlan, live *plan.Instance) (store.NewInstance, error) {
	ni := store.NewInstance{ID: ip.ID, Owner: ip.Owner, Action: string(ip.Action)}
	switch ip.Action {
	case plan.Nothing:
		ni.State, ni.Message = store.StateSkipped, "already on the newest version"
		return ni, nil
	case plan.Lazy:
		ni.State, ni.Message = store.StateLazy, "the runtime upgrades it by itself"
		return ni, nil
	}
	b, err := json.Marshal(payloadOf(ip, live))
	if err != nil {
		return ni, fmt.Errorf("encode the upgrade of instance %s: %w", ip.ID, err)
	}
	ni.State, ni.Payload = store.StatePending, b
	return ni, nil
}

// payload is what an upgrade sends, as the store keeps it: an instance's
// own authIds (re-syncs) in full, the owner's values by slot only, so that
// no secret is ever stored.
type payload struct {
	Auth           []plan.AuthValue `json:"auth,omitempty"`
	SuppliedAuth   []string         `json:"suppliedAuth,omitempty"`
	SuppliedConfig []string         `json:"suppliedConfig,omitempty"`
}

func payloadOf(ip plan.InstancePlan, live *plan.Instance) payload {
	var p payload
	for _, a := range ip.AuthValues {
		if live != nil && slices.Contains(live.AuthValues, a) {
			p.Auth = append(p.Auth, a) // the instance's own: a re-sync
		} else {
			p.SuppliedAuth = append(p.SuppliedAuth, a.ExternalID)
		}
	}
	for _, c := range ip.ConfigValues {
		p.SuppliedConfig = append(p.SuppliedConfig, c.ExternalID)
	}
	return p
}

// upgradeInput rebuilds the upgrade from a claim's payload and the values
// the owner supplied to this process.
func upgradeInput(c store.Claim, values plan.Supplied, asOwner bool) (tray.UpgradeInput, error) {
	in := tray.UpgradeInput{InstanceID: c.InstanceID, AtMostOnce: true}
	if asOwner {
		in.AsUser = c.Owner
	}
	var p payload
	if len(c.Payload) > 0 {
		if err := json.Unmarshal(c.Payload, &p); err != nil {
			return in, fmt.Errorf("the stored upgrade of instance %s is unreadable: %w", c.InstanceID, err)
		}
	}
	for _, a := range p.Auth {
		in.AuthValues = append(in.AuthValues, tray.AuthValue{ExternalID: a.ExternalID, AuthID: a.AuthID})
	}
	for _, id := range p.SuppliedAuth {
		v, ok := values.Auth[id]
		if !ok {
			return in, fmt.Errorf("no authId for hidden auth slot %q was supplied to this process (it was when the rollout was planned)", id)
		}
		in.AuthValues = append(in.AuthValues, tray.AuthValue{ExternalID: id, AuthID: v})
	}
	for _, id := range p.SuppliedConfig {
		v, ok := values.Config[id]
		if !ok {
			return in, fmt.Errorf("no value for hidden config slot %q was supplied to this process (it was when the rollout was planned)", id)
		}
		in.ConfigValues = append(in.ConfigValues, tray.ConfigValue{ExternalID: id, Value: json.RawMessage(v)})
	}
	return in, nil
}

// StartVersion starts the rollout of a version to an environment with the
// findings of its recorded change record (store.RecordVersion, written by
// the release path), or from the flags alone when the version was not
// recorded. What the bot's deployment handler and the CLI call.
func (e *Engine) StartVersion(ctx context.Context, pkg, version, environment string) (Started, error) {
	if err := e.bound(); err != nil {
		return Started{}, err
	}
	req := StartRequest{Package: pkg, Version: version, Environment: environment}
	v, err := e.store.Version(ctx, pkg, version)
	switch {
	case errors.Is(err, store.ErrNotFound):
		e.log.LogAttrs(ctx, slog.LevelInfo, "version not recorded: the runtime's flags alone decide",
			slog.String("package", pkg), slog.String("version", version))
	case err != nil:
		return Started{}, err
	default:
		req.Findings, req.Diffed, err = FindingsOf(v.ChangeRecord)
		if err != nil {
			return Started{}, fmt.Errorf("rollout of %s@%s: %w", pkg, version, err)
		}
	}
	return e.Start(ctx, req)
}

// FindingsOf reads the findings of a change record (the release
// manifest's "changes": {"findings": [{rule, upgrade, message,
// fingerprint, slot}, …]}); diffed is false when the record has no
// findings list at all (the first release: nothing to compare with).
func FindingsOf(record json.RawMessage) (findings []plan.Finding, diffed bool, err error) {
	var rec struct {
		Findings *[]struct {
			Rule        string          `json:"rule"`
			Upgrade     change.Upgrade  `json:"upgrade"`
			Message     string          `json:"message"`
			Fingerprint string          `json:"fingerprint"`
			Slot        *change.SlotRef `json:"slot"`
		} `json:"findings"`
	}
	if len(record) == 0 {
		return nil, false, nil
	}
	if err := json.Unmarshal(record, &rec); err != nil {
		return nil, false, fmt.Errorf("the recorded change record is unreadable: %w", err)
	}
	if rec.Findings == nil {
		return nil, false, nil
	}
	fs := make([]change.Finding, 0, len(*rec.Findings))
	for _, f := range *rec.Findings {
		fs = append(fs, change.Finding{Rule: f.Rule, Upgrade: f.Upgrade, Message: f.Message, Fingerprint: f.Fingerprint, Slot: f.Slot})
	}
	return plan.FromChange(fs), true, nil
}
