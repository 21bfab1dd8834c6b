package rollout

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/breakwater-dev/breakwater/internal/backoff"
	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/tray"
)

// Which instances run which version. Tray reports no version per
// instance, only solutionVersionFlags.hasNewerVersion, so Breakwater
// combines it with its own records (docs/rollout.md):
//
//   - An environment's current version is the one deployed there most
//     recently and not rolled back since.
//   - An instance whose flags say "no newer version" runs the current
//     version: exact, up to Tray's own lag.
//   - An instance whose flags say "newer version" runs some other version
//     deployed to that environment, Tray does not say which. Its floor is
//     the newest version whose rollout there recorded it upgraded, needing
//     its user (upgraded, the Config Wizard left) or already on the newest:
//     versions only move forward, so it runs the floor or a later one. Its
//     candidates are the environment's versions, current excepted, from
//     the floor on (all of them without a floor). With one candidate it
//     runs that version; with more, it possibly runs each of them.
//
// A rollback (which Tray models as publishing the old version again) is
// not tracked per instance: candidates stay wide, which errs towards
// "possibly", never towards "not running".

// VersionInfo is one version of a package: what changed, how it was
// signed, where it went, and which instances run it.
type VersionInfo struct {
	Package         string          `json:"package"`
	Version         string          `json:"version"`
	Changes         ChangeSummary   `json:"changes"`
	ChangeRecord    json.RawMessage `json:"changeRecord"`
	SignatureDigest string          `json:"signatureDigest"`
	RecordedAt      time.Time       `json:"recordedAt"`
	RetiredAt       *time.Time      `json:"retiredAt,omitempty"`
	// Environments are where it was deployed, by name.
	Environments []VersionEnvironment `json:"environments"`
}

// ChangeSummary is the change record's verdict against the previous
// version.
type ChangeSummary struct {
	Breaking bool `json:"breaking"`
	Auth     bool `json:"auth"`
	Config   bool `json:"config"`
	Roles    bool `json:"roles"`
}

// VersionEnvironment is a version's state in one environment.
type VersionEnvironment struct {
	Environment  string     `json:"environment"`
	DeployedAt   time.Time  `json:"deployedAt"`
	RolledBackAt *time.Time `json:"rolledBackAt,omitempty"`
	// Current: the environment's current version (see above).
	Current bool `json:"current"`
	// Instances is nil unless counted (it asks the runtime).
	Instances *InstanceCount `json:"instances,omitempty"`
}

// InstanceCount is how many instances of an environment run a version.
type InstanceCount struct {
	// Running are known to run it; Possibly may run it (they are behind
	// the current version, and more than one older version is possible).
	Running  int `json:"running"`
	Possibly int `json:"possibly"`
	// Error says why the runtime could not be asked ("" when it was).
	Error string `json:"error,omitempty"`
}

// Versions lists a package's versions, newest first; count asks the
// runtime of every environment how many instances run each.
func (e *Engine) Versions(ctx context.Context, pkg string, count bool) ([]VersionInfo, error) {
	if err := e.bound(); err != nil {
		return nil, err
	}
	vs, err := e.store.Versions(ctx, pkg)
	if err != nil {
		return nil, err
	}
	out := make([]VersionInfo, 0, len(vs))
	for _, v := range vs {
		out = append(out, versionInfo(v, vs))
	}
	if count {
		e.count(ctx, pkg, vs, out)
	}
	return out, nil
}

// Version describes one version; count as for Versions.
func (e *Engine) Version(ctx context.Context, pkg, version string, count bool) (VersionInfo, error) {
	if err := e.bound(); err != nil {
		return VersionInfo{}, err
	}
	vs, i, err := e.versions(ctx, pkg, version)
	if err != nil {
		return VersionInfo{}, err
	}
	out := []VersionInfo{versionInfo(vs[i], vs)}
	if count {
		e.count(ctx, pkg, vs, out)
	}
	return out[0], nil
}

// versions are a package's versions and the index of version among them.
func (e *Engine) versions(ctx context.Context, pkg, version string) ([]store.Version, int, error) {
	vs, err := e.store.Versions(ctx, pkg)
	if err != nil {
		return nil, 0, err
	}
	i := slices.IndexFunc(vs, func(v store.Version) bool { return v.Version == version })
	if i < 0 {
		return nil, 0, fmt.Errorf("version %s@%s is not recorded: %w", pkg, version, store.ErrNotFound)
	}
	return vs, i, nil
}

func versionInfo(v store.Version, all []store.Version) VersionInfo {
	vi := VersionInfo{Package: v.Package, Version: v.Version, ChangeRecord: v.ChangeRecord, SignatureDigest: v.SignatureDigest,
		RecordedAt: v.CreatedAt, RetiredAt: v.RetiredAt, Environments: []VersionEnvironment{},
		Changes: ChangeSummary{Breaking: v.Changes.Breaking, Auth: v.Changes.Auth, Config: v.Changes.Config, Roles: v.Changes.Roles}}
	for _, d := range v.Deployments {
		vi.Environments = append(vi.Environments, VersionEnvironment{Environment: d.Environment, DeployedAt: d.DeployedAt,
			RolledBackAt: d.RolledBackAt, Current: currentVersion(all, d.Environment) == v.Version})
	}
	return vi
}

// currentVersion is the version deployed to env most recently and not
// rolled back since; "" when none is.
func currentVersion(vs []store.Version, env string) string {
	var cur string
	var at time.Time
	for _, v := range vs {
		for _, d := range v.Deployments {
			if d.Environment == env && d.RolledBackAt == nil && (cur == "" || d.DeployedAt.After(at)) {
				cur, at = v.Version, d.DeployedAt
			}
		}
	}
	return cur
}

// count fills in the instance counts of out, one census per environment.
func (e *Engine) count(ctx context.Context, pkg string, vs []store.Version, out []VersionInfo) {
	censuses := map[string]*census{}
	errs := map[string]error{}
	for i := range out {
		for j := range out[i].Environments {
			ve := &out[i].Environments[j]
			c, seen := censuses[ve.Environment]
			if !seen && errs[ve.Environment] == nil {
				var err error
				c, err = e.takeCensus(ctx, pkg, ve.Environment, vs)
				if err != nil {
					errs[ve.Environment] = err
				} else {
					censuses[ve.Environment] = c
				}
			}
			if err := errs[ve.Environment]; err != nil {
				ve.Instances = &InstanceCount{Error: err.Error()}
				continue
			}
			running, possibly := c.on(out[i].Version)
			ve.Instances = &InstanceCount{Running: len(running), Possibly: len(possibly)}
		}
	}
}

// InstanceRef names an instance of an environment.
type InstanceRef struct {
	ID          string `json:"id"`
	Owner       string `json:"owner"`
	Environment string `json:"environment"`
	// Possibly: it may run the version (see the package's rules); false
	// when it is known to.
	Possibly bool `json:"possibly,omitempty"`
}

// census is one environment's instances by what they may run.
type census struct {
	current  string
	versions []string // deployed to env, oldest first
	onNewest []InstanceRef
	behind   []behind
}

type behind struct {
	ref InstanceRef
	// cands are the versions it may run (census.candidates of its floor),
	// shared by the instances with the same floor.
	cands []string
}

// on splits the instances that run version v into those known to and
// those that may.
func (c *census) on(v string) (running, possibly []InstanceRef) {
	if v == c.current {
		return c.onNewest, nil
	}
	rank := slices.Index(c.versions, v)
	if rank < 0 {
		return nil, nil
	}
	for _, b := range c.behind {
		if !slices.Contains(b.cands, v) {
			continue
		}
		ref := b.ref
		if len(b.cands) == 1 {
			running = append(running, ref)
		} else {
			ref.Possibly = true
			possibly = append(possibly, ref)
		}
	}
	return running, possibly
}

// candidates are the versions an instance behind the current one may run:
// the environment's versions from its floor on, the current excepted.
func (c *census) candidates(floor string) []string {
	from := 0
	if i := slices.Index(c.versions, floor); i >= 0 {
		from = i
	}
	var out []string
	for _, v := range c.versions[from:] {
		if v != c.current {
			out = append(out, v)
		}
	}
	return out
}

// takeCensus lists an environment's instances at the runtime and
// classifies them with the store's rollout records.
func (e *Engine) takeCensus(ctx context.Context, pkg, env string, vs []store.Version) (*census, error) {
	tgt, err := e.opts.Targets.Target(ctx, pkg, env)
	if err != nil {
		return nil, fmt.Errorf("environment %s: %w", env, err)
	}
	if tgt.Runtime == nil || tgt.SolutionID == "" {
		return nil, fmt.Errorf("environment %s has no Tray solution whose instances could be counted", env)
	}
	c := &census{current: currentVersion(vs, env)}
	for i := len(vs) - 1; i >= 0; i-- { // vs is newest first
		if slices.ContainsFunc(vs[i].Deployments, func(d store.Deployment) bool { return d.Environment == env }) {
			c.versions = append(c.versions, vs[i].Version)
		}
	}
	floors, err := e.floors(ctx, pkg, env, c.versions)
	if err != nil {
		return nil, err
	}
	// Candidates depend on the floor only: worked out once per floor, not
	// per instance and version asked about.
	cands := map[string][]string{}
	for in, err := range tgt.Runtime.Instances(ctx, tray.InstanceFilter{SolutionID: tgt.SolutionID}) {
		if err != nil {
			return nil, fmt.Errorf("environment %s: listing the instances of solution %s: %w", env, tgt.SolutionID, err)
		}
		ref := InstanceRef{ID: in.ID, Owner: in.Owner, Environment: env}
		if !in.Flags.HasNewerVersion {
			c.onNewest = append(c.onNewest, ref)
			continue
		}
		floor := floors[in.ID]
		cs, ok := cands[floor]
		if !ok {
			cs = c.candidates(floor)
			cands[floor] = cs
		}
		c.behind = append(c.behind, behind{ref: ref, cands: cs})
	}
	return c, nil
}

// floors maps instances to the newest version whose rollout to env
// recorded them on it.
func (e *Engine) floors(ctx context.Context, pkg, env string, versions []string) (map[string]string, error) {
	rs, err := e.store.Rollouts(ctx, pkg)
	if err != nil {
		return nil, err
	}
	floors := map[string]string{}
	for _, r := range rs {
		rank := slices.Index(versions, r.Version)
		if r.Environment != env || rank < 0 {
			continue
		}
		for _, st := range []store.InstanceState{store.StateUpgraded, store.StateNeedsUser, store.StateSkipped} {
			after := ""
			for {
				page, err := e.store.Instances(ctx, r.ID, st, after, 1000)
				if err != nil {
					return nil, err
				}
				for _, in := range page {
					if st == store.StateSkipped && in.Action != string(plan.Nothing) {
						continue // disabled, or gone: says nothing of its version
					}
					if old, ok := floors[in.ID]; !ok || slices.Index(versions, old) < rank {
						floors[in.ID] = r.Version
					}
				}
				if len(page) < 1000 {
					break
				}
				after = page[len(page)-1].ID
			}
		}
	}
	return floors, nil
}

// Retirement is the answer to a retire request.
type Retirement struct {
	Retired bool `json:"retired"`
	// Reason says why it was refused.
	Reason string `json:"reason,omitempty"`
	// Instances run the version, or may: why it was refused.
	Instances []InstanceRef `json:"instances"`
}

// Retire marks a version retired once no instance runs it. Runtime counts
// lag (an upgrade shows in the flags a little later), so it checks twice,
// interval apart, and refuses, listing the instances, when either check
// finds any that run the version or may. It refuses too when the version
// is an environment's current version, or an environment cannot be
// checked. wait is told before the pause between the checks.
func (e *Engine) Retire(ctx context.Context, pkg, version string, interval time.Duration, wait func(d time.Duration)) (Retirement, error) {
	if err := e.bound(); err != nil {
		return Retirement{}, err
	}
	for check := 1; check <= 2; check++ {
		if check == 2 {
			if wait != nil {
				wait(interval)
			}
			if err := backoff.Sleep(ctx, interval); err != nil {
				return Retirement{}, err
			}
		}
		res, err := e.retireCheck(ctx, pkg, version)
		if err != nil || !res.Retired {
			if err == nil && check == 2 {
				res.Reason += " (on the second check, " + interval.String() + " after the first)"
			}
			return res, err
		}
	}
	if err := e.store.MarkRetired(ctx, pkg, version, time.Time{}); err != nil {
		return Retirement{}, err
	}
	return Retirement{Retired: true, Instances: []InstanceRef{}}, nil
}

// retireCheck is one check: Retired true means nothing blocks it now.
func (e *Engine) retireCheck(ctx context.Context, pkg, version string) (Retirement, error) {
	vs, i, err := e.versions(ctx, pkg, version)
	if err != nil {
		return Retirement{}, err
	}
	if vs[i].RetiredAt != nil {
		return Retirement{}, fmt.Errorf("version %s@%s was retired on %s: %w", pkg, version, vs[i].RetiredAt.Format(time.RFC3339), store.ErrConflict)
	}
	// A rollout started from the command line records no deployment, so the
	// census cannot place the version there: refuse rather than retire a
	// version nothing was checked for.
	envs, err := e.store.RolloutEnvironments(ctx, pkg, version)
	if err != nil {
		return Retirement{}, err
	}
	for _, env := range envs {
		if !slices.ContainsFunc(vs[i].Deployments, func(d store.Deployment) bool { return d.Environment == env }) {
			return Retirement{Reason: fmt.Sprintf("%s was rolled out to %s without a recorded deployment there, so its instances cannot be counted: "+
				"deploy it through the release path (which records the deployment) or check the instances in Tray", version, env),
				Instances: []InstanceRef{}}, nil
		}
	}
	res := Retirement{Retired: true, Instances: []InstanceRef{}}
	for _, d := range vs[i].Deployments {
		if currentVersion(vs, d.Environment) == version {
			return Retirement{Reason: fmt.Sprintf("%s is the current version of environment %s: deploy another version there first", version, d.Environment),
				Instances: []InstanceRef{}}, nil
		}
		c, err := e.takeCensus(ctx, pkg, d.Environment, vs)
		if err != nil {
			return Retirement{Reason: fmt.Sprintf("cannot tell which instances run %s: %v", version, err), Instances: []InstanceRef{}}, nil
		}
		running, possibly := c.on(version)
		res.Instances = append(res.Instances, running...)
		res.Instances = append(res.Instances, possibly...)
	}
	if len(res.Instances) > 0 {
		res.Retired = false
		res.Reason = fmt.Sprintf("%d instance(s) run %s or may (Tray reports them behind the current version)", len(res.Instances), version)
	}
	return res, nil
}
