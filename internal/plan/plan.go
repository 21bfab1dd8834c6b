// Package plan is the upgrade plan: for every deployed instance of an
// integration, what a new version forces on it and what an upgrade must
// send. It is a pure function of its input (findings, instances, the values
// the owner supplies): no I/O, no GitHub or Tray types.
//
// The decision table (one action per instance):
//
//	flags                     action         the upgrade sends
//	no newer version          nothing        —
//	newer version only        lazy           — (Tray applies it within minutes)
//	re-created auth slot only auth-resync    the instance's current authId per re-created slot
//	requires system input     system-input   the owner's values for new hidden/static slots (+ re-syncs)
//	requires user input       user-input     only what the owner can supply (often just the ID);
//	                                         the end user then runs the Config Wizard
//
// Before publishing (ModePrediction) every instance's flags still say "no
// newer version", so the action is predicted from the findings' upgrade
// classes, applied to each instance's current values: an instance that
// already holds a value for a new slot needs nothing for it. After
// publishing (ModeFlags) the flags are the truth; the findings still supply
// the values, and where they predicted another action the disagreement is
// reported. Disabled instances are planned too but listed apart, outside
// the counts.
package plan

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
)

// Action is what an instance needs.
type Action string

const (
	Nothing     Action = "nothing"
	Lazy        Action = "lazy"
	AuthResync  Action = "auth-resync"
	SystemInput Action = "system-input"
	UserInput   Action = "user-input"
)

// Actions lists every action from least to most demanding.
var Actions = [...]Action{Nothing, Lazy, AuthResync, SystemInput, UserInput}

func (a Action) rank() int { return slices.Index(Actions[:], a) }

// Meaning says what the action means for the instance, in one line for
// people: every rendering of a plan uses it.
func (a Action) Meaning() string {
	switch a {
	case Nothing:
		return "nothing to do: the change does not reach it"
	case Lazy:
		return "Tray moves it to the new version by itself, within minutes (scheduled workflows at their next run)"
	case AuthResync:
		return "the owner upgrades it passing its current authId for each re-created auth slot: nobody re-authenticates"
	case SystemInput:
		return "the owner upgrades it with the values of new hidden or static slots"
	case UserInput:
		return "the owner upgrades it, then its end user must run the Config Wizard"
	}
	return string(a)
}

// NeedsUpgradeCall reports whether the action is carried out by an
// upgradeSolutionInstance call (auth-resync, system-input, user-input).
func (a Action) NeedsUpgradeCall() bool { return a.rank() >= AuthResync.rank() }

// Mode says what the plan is based on.
type Mode string

const (
	// ModePrediction: before publishing; findings decide.
	ModePrediction Mode = "prediction"
	// ModeFlags: after publishing; Tray's solutionVersionFlags decide.
	ModeFlags Mode = "flags"
)

// Upgrade is a finding's upgrade class (docs/rules.md).
type Upgrade string

const (
	UpgradeNone        Upgrade = "none"
	UpgradeLazy        Upgrade = "lazy"
	UpgradeSystemInput Upgrade = "system-input"
	UpgradeUserInput   Upgrade = "user-input"
	UpgradeManual      Upgrade = "manual"
)

// SlotKind is "auth" or "config".
type SlotKind string

const (
	AuthSlot   SlotKind = "auth"
	ConfigSlot SlotKind = "config"
)

// SlotChange is what happened to a slot.
type SlotChange string

const (
	SlotAdded     SlotChange = "added"
	SlotChanged   SlotChange = "changed"
	SlotRecreated SlotChange = "recreated"
	SlotRemoved   SlotChange = "removed"
)

// Slot is the slot a finding is about.
type Slot struct {
	Kind       SlotKind
	ExternalID string
	Change     SlotChange
	// Hidden or Static: only the owner can supply the value.
	Hidden, Static bool
	// Required: an instance cannot run without a value.
	Required bool
	// HasDefault: an instance without a value falls back to the default.
	HasDefault bool
}

func (s *Slot) ownerOnly() bool { return s.Hidden || s.Static }

// Finding is one classified change of the release.
type Finding struct {
	Rule        string
	Fingerprint string
	Upgrade     Upgrade
	Message     string
	Slot        *Slot // nil when the change is about no slot
}

// FromChange converts the report's findings.
func FromChange(fs []change.Finding) []Finding {
	out := make([]Finding, len(fs))
	for i, f := range fs {
		out[i] = Finding{Rule: f.Rule, Fingerprint: f.Fingerprint, Upgrade: Upgrade(f.Upgrade), Message: f.Message}
		if s := f.Slot; s != nil {
			out[i].Slot = &Slot{Kind: SlotKind(s.Kind), ExternalID: s.ExternalID, Change: SlotChange(s.Change),
				Hidden: s.Hidden, Static: s.Static, Required: s.Required, HasDefault: s.HasDefault}
		}
	}
	return out
}

// Instance is a deployed instance as the runtime reports it.
type Instance struct {
	ID, Name, Owner string
	Enabled         bool
	Flags           VersionFlags
	AuthValues      []AuthValue
	ConfigValues    []ConfigValue
}

// VersionFlags are the runtime's version flags.
type VersionFlags struct {
	HasNewerVersion     bool
	RequiresUserInput   bool
	RequiresSystemInput bool
}

// AuthValue is an auth slot's value, the authentication's ID.
type AuthValue struct {
	ExternalID string `json:"externalId"`
	AuthID     string `json:"authId"`
}

// ConfigValue is a config slot's value as JSON text ("\"a@b.c\"", "7",
// "[1, 7, 4]"): JSON inside a string, as Tray's upgrade takes it.
type ConfigValue struct {
	ExternalID string `json:"externalId"`
	Value      string `json:"value"`
}

// Supplied are the values the integration owner supplies for hidden and
// static slots (from the configuration file or secrets), by external ID.
type Supplied struct {
	Config map[string]string // JSON text
	Auth   map[string]string // authId
}

// Input is what a plan is made from.
type Input struct {
	Mode Mode
	// Findings are the release's classified changes.
	Findings []Finding
	// Diffed says Findings come from a comparison (even an empty one). In
	// ModeFlags without a diff the flags alone decide and nothing is
	// compared; ModePrediction requires a diff.
	Diffed    bool
	Instances []Instance
	Supplied  Supplied
}

// Plan is the upgrade plan.
type Plan struct {
	Mode Mode `json:"mode"`
	// Instances are the enabled instances, in input order; Disabled the
	// disabled ones, planned the same way but listed apart.
	Instances []InstancePlan `json:"instances"`
	Disabled  []InstancePlan `json:"disabled"`
	// Counts are per action over Instances (every action present);
	// DisabledCounts the same over Disabled.
	Counts         map[Action]int `json:"counts"`
	DisabledCounts map[Action]int `json:"disabledCounts"`
	// ConfigWizard lists the enabled instances whose end users must run
	// the Config Wizard, by owner then ID.
	ConfigWizard []InstanceRef `json:"configWizard"`
	// AuthResyncs lists every re-sync an upgrade performs on the owner's
	// behalf: the enabled instance's current authId for a re-created slot.
	AuthResyncs []Resync `json:"authResyncs"`
	// OwnerValues are the values the owner must supply for new or changed
	// hidden and static slots, whether they were, and for how many enabled
	// instances.
	OwnerValues []OwnerValue `json:"ownerValues"`
	// Disagreements are instances (disabled ones too) whose flags contradict
	// the prediction (ModeFlags with a diff): a classifier miss or a runtime
	// quirk.
	Disagreements []Disagreement `json:"disagreements"`
}

// InstancePlan is one instance's action and the upgrade that carries it out.
type InstancePlan struct {
	ID      string `json:"id"`
	Name    string `json:"name,omitempty"`
	Owner   string `json:"owner"`
	Enabled bool   `json:"enabled"`
	Action  Action `json:"action"`
	// AuthValues and ConfigValues are what upgradeSolutionInstance sends
	// (empty for nothing and lazy, where no call is made).
	AuthValues   []AuthValue   `json:"authValues"`
	ConfigValues []ConfigValue `json:"configValues"`
	// Missing are owner-only slots that need a value nobody supplied: the
	// upgrade would be refused until the owner supplies them.
	Missing []SlotRef `json:"missing,omitempty"`
	Reason  string    `json:"reason"`
	// Predicted is the findings' prediction when the flags decided
	// otherwise (ModeFlags).
	Predicted Action `json:"predicted,omitempty"`
}

// SlotRef names a slot.
type SlotRef struct {
	Kind       SlotKind `json:"kind"`
	ExternalID string   `json:"externalId"`
}

// InstanceRef names an instance.
type InstanceRef struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Owner string `json:"owner"`
}

// Resync is one auth slot an upgrade re-syncs with the same authId.
type Resync struct {
	InstanceID string `json:"instanceId"`
	Owner      string `json:"owner"`
	ExternalID string `json:"externalId"`
	AuthID     string `json:"authId"`
}

// OwnerValue is a slot the owner must supply a value for.
type OwnerValue struct {
	SlotRef
	Supplied  bool `json:"supplied"`
	Instances int  `json:"instances"`
}

// Disagreement is an instance whose flags and prediction differ.
type Disagreement struct {
	InstanceID string `json:"instanceId"`
	Owner      string `json:"owner"`
	Predicted  Action `json:"predicted"`
	Flags      Action `json:"flags"`
	Reason     string `json:"reason"`
}

// Build makes the plan. It fails on input it cannot plan from: an unknown
// mode, a prediction without a diff, instances without or with duplicate
// IDs, and supplied values that are not JSON.
func Build(in Input) (*Plan, error) {
	if err := check(in); err != nil {
		return nil, err
	}
	p := &Plan{Mode: in.Mode, Instances: []InstancePlan{}, Disabled: []InstancePlan{},
		Counts: zeroCounts(), DisabledCounts: zeroCounts(), ConfigWizard: []InstanceRef{},
		AuthResyncs: []Resync{}, OwnerValues: []OwnerValue{}, Disagreements: []Disagreement{}}
	owner := map[SlotRef]*OwnerValue{}
	for _, inst := range in.Instances {
		a := assess(inst, in.Findings, in.Supplied)
		ip := InstancePlan{ID: inst.ID, Name: inst.Name, Owner: inst.Owner, Enabled: inst.Enabled}
		var dis *Disagreement
		if in.Mode == ModePrediction {
			ip.Action, ip.Reason = a.action, a.reason()
			if inst.Flags.HasNewerVersion {
				ip.Reason += " (it has not taken an earlier published version yet)"
			}
		} else {
			dis = decideByFlags(&ip, inst, a, in)
		}
		if ip.Action.NeedsUpgradeCall() {
			ip.AuthValues, ip.ConfigValues, ip.Missing = a.auth, a.config, a.missing
			if ip.Action == AuthResync {
				ip.ConfigValues, ip.Missing = nil, nil
				ip.AuthValues = a.resyncs
			}
		}
		ip.AuthValues = nonNil(ip.AuthValues)
		ip.ConfigValues = nonNil(ip.ConfigValues)
		if dis != nil {
			p.Disagreements = append(p.Disagreements, *dis)
		}
		if !inst.Enabled {
			p.Disabled = append(p.Disabled, ip)
			p.DisabledCounts[ip.Action]++
			continue
		}
		p.Instances = append(p.Instances, ip)
		p.Counts[ip.Action]++
		if ip.Action == UserInput {
			p.ConfigWizard = append(p.ConfigWizard, InstanceRef{ID: ip.ID, Name: ip.Name, Owner: ip.Owner})
		}
		if !ip.Action.NeedsUpgradeCall() {
			continue
		}
		for _, r := range a.resyncs {
			p.AuthResyncs = append(p.AuthResyncs, Resync{InstanceID: ip.ID, Owner: ip.Owner, ExternalID: r.ExternalID, AuthID: r.AuthID})
		}
		if ip.Action == AuthResync {
			continue
		}
		for _, s := range a.ownerSlots {
			ov := owner[s]
			if ov == nil {
				ov = &OwnerValue{SlotRef: s, Supplied: in.Supplied.has(s)}
				owner[s] = ov
			}
			ov.Instances++
		}
	}
	for _, ov := range owner {
		p.OwnerValues = append(p.OwnerValues, *ov)
	}
	slices.SortFunc(p.OwnerValues, func(a, b OwnerValue) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ExternalID, b.ExternalID))
	})
	slices.SortStableFunc(p.ConfigWizard, func(a, b InstanceRef) int {
		return cmp.Or(cmp.Compare(a.Owner, b.Owner), cmp.Compare(a.ID, b.ID))
	})
	return p, nil
}

func check(in Input) error {
	switch in.Mode {
	case ModePrediction:
		if !in.Diffed {
			return errors.New("plan: a prediction needs the findings of a diff (BASE and HEAD)")
		}
	case ModeFlags:
	default:
		return fmt.Errorf("plan: unknown mode %q (want %q or %q)", in.Mode, ModePrediction, ModeFlags)
	}
	seen := make(map[string]bool, len(in.Instances))
	for i, inst := range in.Instances {
		if inst.ID == "" {
			return fmt.Errorf("plan: instance %d has no ID", i)
		}
		if seen[inst.ID] {
			return fmt.Errorf("plan: instance %q is listed twice", inst.ID)
		}
		seen[inst.ID] = true
	}
	for _, id := range sortedKeys(in.Supplied.Config) {
		if v := in.Supplied.Config[id]; !json.Valid([]byte(v)) {
			return fmt.Errorf("plan: the value supplied for config slot %q is not JSON: %q (a string needs quotes: %q)", id, v, fmt.Sprintf("%q", v))
		}
	}
	for _, id := range sortedKeys(in.Supplied.Auth) {
		if strings.TrimSpace(in.Supplied.Auth[id]) == "" {
			return fmt.Errorf("plan: the authId supplied for auth slot %q is empty", id)
		}
	}
	return nil
}

func (s Supplied) has(r SlotRef) bool {
	if r.Kind == AuthSlot {
		_, ok := s.Auth[r.ExternalID]
		return ok
	}
	_, ok := s.Config[r.ExternalID]
	return ok
}

// decideByFlags applies the decision table to the flags (ModeFlags) and
// returns the disagreement with the prediction, if any.
func decideByFlags(ip *InstancePlan, inst Instance, a *assessment, in Input) *Disagreement {
	f := inst.Flags
	switch {
	case !f.HasNewerVersion:
		ip.Action, ip.Reason = Nothing, "Tray reports no newer version: it runs the newest one"
		if f.RequiresUserInput || f.RequiresSystemInput {
			ip.Reason = "Tray reports no newer version, yet says input is required: inconsistent flags, nothing to do until they agree"
			return &Disagreement{InstanceID: inst.ID, Owner: inst.Owner, Predicted: a.action, Flags: Nothing,
				Reason: "flags say input is required but no newer version exists"}
		}
		return nil
	case f.RequiresUserInput:
		ip.Action, ip.Reason = UserInput, "Tray requires user input: upgrade, then the end user runs the Config Wizard"
	case f.RequiresSystemInput:
		ip.Action, ip.Reason = SystemInput, "Tray requires system input: the owner upgrades with the values below"
		if a.action == AuthResync {
			ip.Action, ip.Reason = AuthResync, "Tray requires system input, and the only input is re-syncing re-created auth slots with their current authId"
		}
	default:
		ip.Action, ip.Reason = Lazy, "Tray reports a newer version that needs no input: it is picked up automatically"
	}
	if ip.Action == SystemInput && len(a.auth) == 0 && len(a.config) == 0 && len(a.missing) == 0 {
		// The findings foresaw nothing: offer every supplied value the
		// instance has none for.
		a.auth, a.config = suppliedFor(inst, in.Supplied)
		if len(a.auth)+len(a.config) == 0 {
			ip.Reason += "; no value is known for it: supply the new hidden slots' values (configuration or secrets)"
		} else {
			ip.Reason += "; sending the supplied values for slots the instance has no value for"
		}
	}
	if !in.Diffed || class(a.action) == class(ip.Action) {
		if ip.Action.NeedsUpgradeCall() && a.action.NeedsUpgradeCall() {
			ip.Reason += "; " + a.reason()
		}
		return nil
	}
	ip.Predicted = a.action
	ip.Reason += fmt.Sprintf("; the findings predicted %s (%s)", a.action, a.reason())
	return &Disagreement{InstanceID: inst.ID, Owner: inst.Owner, Predicted: a.action, Flags: ip.Action,
		Reason: fmt.Sprintf("the findings predicted %s (%s)", a.action, a.reason())}
}

// class groups actions the flags cannot tell apart: no call, an owner's
// call (system input and re-syncs look alike to Tray), a user's.
func class(a Action) int {
	switch a {
	case Nothing, Lazy:
		return 0
	case AuthResync, SystemInput:
		return 1
	}
	return 2
}

func suppliedFor(inst Instance, s Supplied) ([]AuthValue, []ConfigValue) {
	var auth []AuthValue
	for _, id := range sortedKeys(s.Auth) {
		if _, ok := authOf(inst, id); !ok {
			auth = append(auth, AuthValue{ExternalID: id, AuthID: s.Auth[id]})
		}
	}
	var config []ConfigValue
	for _, id := range sortedKeys(s.Config) {
		if !hasConfig(inst, id) {
			config = append(config, ConfigValue{ExternalID: id, Value: s.Config[id]})
		}
	}
	return auth, config
}

func zeroCounts() map[Action]int {
	m := make(map[Action]int, len(Actions))
	for _, a := range Actions {
		m[a] = 0
	}
	return m
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
