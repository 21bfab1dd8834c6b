package release

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/npmregistry"
	"github.com/breakwater-dev/breakwater/internal/rules"
	"github.com/breakwater-dev/breakwater/internal/runtime"
	"github.com/breakwater-dev/breakwater/internal/source"
)

// RollbackOptions are the rollback command's, and the Action's dispatched
// rollback's.
type RollbackOptions struct {
	Environment string
	// Version is the version to go back to (X.Y.Z; a leading v is dropped).
	Version string
	// From is the version the environment runs now; "" means the version of
	// its newest GitHub deployment.
	From    string
	Package string
	// Repository is owner/name; "" means GITHUB_REPOSITORY, else the
	// GitHub origin of the working directory's git repository.
	Repository string
	Config     string
	// AllowAuthBreak is a person's decision to roll back across
	// auth-breaking changes, after reading the findings a refusal listed.
	AllowAuthBreak bool
}

// RollBack puts an earlier version back in one environment, after the auth
// rule allowed it (RollbackCheckStep). The release is returned also when
// it failed or was refused, to say what happened and what to do.
func RollBack(ctx context.Context, env Env, o RollbackOptions) (*Release, error) {
	cfg, err := env.loadConfig(ctx, o.Config)
	if err != nil {
		return nil, err
	}
	gh, repo, err := githubFromEnv(env)
	if err != nil {
		return nil, err
	}
	if o.Repository == "" && repo.Owner == "" {
		o.Repository = source.GitHubOrigin(ctx, env.path("."))
	}
	if o.Repository != "" {
		owner, name, ok := strings.Cut(o.Repository, "/")
		if !ok || owner == "" || name == "" {
			return nil, fmt.Errorf("--repository %q: want owner/name", o.Repository)
		}
		repo = githubapi.Repo{Owner: owner, Name: name}
	}
	r, steps, err := rollback(env, cfg, gh, repo, env.registryToken(), env.runURL(), o)
	if err != nil {
		return nil, err
	}
	return r, Run(ctx, r, steps)
}

// rollback wires a rollback: the auth check, then the rollback itself. gh
// is nil outside GitHub Actions (nothing tracked; From must be given), and
// the registry token reads the manifests of the releases crossed.
func rollback(env Env, cfg *config.Config, gh *githubapi.Client, repo githubapi.Repo, registryToken, logURL string, o RollbackOptions) (*Release, []Step, error) {
	if o.Environment == "" {
		return nil, nil, errors.New("a rollback needs the environment to roll back (--environment, or the workflow's environment input)")
	}
	version := strings.TrimPrefix(o.Version, "v")
	if _, err := VersionOf("v" + version); err != nil {
		return nil, nil, fmt.Errorf("the version to roll back to: %w", err)
	}
	from := strings.TrimPrefix(o.From, "v")
	if from != "" {
		if _, err := VersionOf("v" + from); err != nil {
			return nil, nil, fmt.Errorf("the version that runs now (--from): %w", err)
		}
	}
	pkg, err := releasePackage(cfg, repo.Owner, repo.Name, o.Package)
	if err != nil {
		return nil, nil, err
	}
	envs, err := environments(cfg, []string{o.Environment})
	if err != nil {
		return nil, nil, err
	}
	e := envs[0]
	r := &Release{Repo: repo, Package: pkg, Tag: "v" + version, Version: version, Rollback: true, Registry: cfg.Registry.URL, Secrets: env.secrets(cfg)}
	step := RollbackStep{Env: e, Tracker: tracker(gh), LogURL: logURL}
	if e.IsTray() {
		return r, []Step{step}, nil // Tray keeps its own versions: the step says what to do
	}
	if step.Runtime, err = runtimeClient(env, e); err != nil {
		return nil, nil, err
	}
	check := RollbackCheckStep{Env: e, From: from, AllowAuthBreak: o.AllowAuthBreak}
	if gh != nil {
		check.History = gh
	}
	if registryToken != "" {
		client, err := npmregistry.New(cfg.Registry.URL, registryToken, npmregistry.Options{Logger: env.logger()})
		if err != nil {
			return nil, nil, err
		}
		check.Manifests = registryManifests{client}
	}
	return r, []Step{check, step}, nil
}

// DeploymentHistory lists an environment's deployments, newest first;
// *githubapi.Client implements it.
type DeploymentHistory interface {
	Deployments(ctx context.Context, r githubapi.Repo, q githubapi.DeploymentQuery) ([]githubapi.Deployment, error)
}

// Manifests reads the release manifest of a published version.
type Manifests interface {
	Manifest(ctx context.Context, npmName, version string) (*Manifest, error)
}

// registryManifests reads manifests from the tarballs an npm registry
// serves: the signed bytes that were deployed, with the change record
// their release computed.
type registryManifests struct{ registry *npmregistry.Client }

func (m registryManifests) Manifest(ctx context.Context, name, version string) (*Manifest, error) {
	data, _, err := m.registry.Download(ctx, name, version)
	if err != nil {
		return nil, err
	}
	var r Release
	if err := FromTarball(&r, data); err != nil {
		return nil, fmt.Errorf("%s@%s: %w", name, version, err)
	}
	if r.Manifest.Version != version {
		return nil, fmt.Errorf("%s@%s: the tarball's manifest is of version %s", name, version, r.Manifest.Version)
	}
	return r.Manifest, nil
}

// maxCrossed bounds how many releases one rollback reads the manifests of.
const maxCrossed = 100

// RollbackCheckStep applies the auth rule (rules.CheckRollback) before a
// rollback by hand, as the automatic rollback of a failed deploy does: it
// finds the version the environment runs, reads the manifests of the
// releases between it and the version to go back to, and refuses — with
// the findings and what to do — when any of them breaks auth, or when that
// cannot be checked, unless a person allowed it (AllowAuthBreak).
//
// The manifests come from the registry rather than from comparing the two
// git tags again: they are what was released and deployed, their change
// records are the ones the automatic rollback decided on, and today's
// configuration (an ignored rule, moved package paths) cannot hide what
// they recorded.
type RollbackCheckStep struct {
	Env config.Environment
	// From is the version the environment runs, when a person said so;
	// else History's newest deployment of the package says.
	From           string
	History        DeploymentHistory
	Manifests      Manifests
	AllowAuthBreak bool
}

func (s RollbackCheckStep) Name() string { return "check rollback " + s.Env.Name }

func (s RollbackCheckStep) Run(ctx context.Context, r *Release) (string, error) {
	if s.Env.IsTray() {
		return "", Skip("%s is a Tray project: Tray keeps its published versions, and a person picks one in the Solution Editor", s.Env.Name)
	}
	from, seen, err := s.live(ctx, r)
	if err != nil && s.AllowAuthBreak {
		r.Warn(fmt.Sprintf("the auth rule could not be checked (%v); rolled back because %s was given", err, AllowAuthBreakFlag))
		return "not checked, allowed by " + AllowAuthBreakFlag, nil
	}
	if err != nil {
		return "", err
	}
	r.Previous = &Previous{Tag: "v" + from, Version: from}
	if from == r.Version {
		return fmt.Sprintf("%s runs %s already (%s): nothing to cross", s.Env.Name, from, seen), nil
	}
	check, err := s.check(ctx, r, from)
	switch {
	case err != nil && s.AllowAuthBreak:
		r.Warn(fmt.Sprintf("the auth rule could not be checked (%v); rolled back because %s was given", err, AllowAuthBreakFlag))
		return fmt.Sprintf("%s runs %s (%s); not checked, allowed by %s", s.Env.Name, from, seen, AllowAuthBreakFlag), nil
	case err != nil:
		s.refuse(r, "the auth rule cannot be checked: "+err.Error(), nil,
			manualRollback(s.Env.Name, r.Version, true, fmt.Sprintf("Check the changes yourself: at a checkout of v%s, `breakwater diff --base-ref v%s .` lists them; look for auth findings.", from, r.Version)))
		return "", fmt.Errorf("refused: %s runs %s (%s), and the auth rule cannot be checked, so nothing was rolled back: %w", s.Env.Name, from, seen, err)
	case !check.Automatic() && s.AllowAuthBreak:
		r.Warn(fmt.Sprintf("%s; rolled back anyway because %s was given: %s", check.Why(), AllowAuthBreakFlag, ruleList(check.AuthBreaks)))
		return fmt.Sprintf("%s runs %s (%s); %d auth-breaking change(s) crossed, allowed by %s", s.Env.Name, from, seen, len(check.AuthBreaks), AllowAuthBreakFlag), nil
	case !check.Automatic():
		s.refuse(r, check.Why(), check.AuthBreaks, manualRollback(s.Env.Name, r.Version, true,
			fmt.Sprintf("Read the auth findings above: going back from %s to %s undoes them, so end users who authorised again since may have to once more, and instances set up since may lose their auths.", from, r.Version)))
		return "", fmt.Errorf("refused: %s runs %s (%s): %s", s.Env.Name, from, seen, check.Why())
	}
	return fmt.Sprintf("%s runs %s (%s); no auth-breaking change in %s", s.Env.Name, from, seen, strings.Join(check.Crossed, ", ")), nil
}

// live is the version the environment runs, and how that is known.
func (s RollbackCheckStep) live(ctx context.Context, r *Release) (version, seen string, err error) {
	if s.From != "" {
		return s.From, "as given", nil
	}
	if s.History == nil {
		return "", "", fmt.Errorf("which version %s runs is unknown, so the auth rule cannot be checked: give --from VERSION "+
			"(or run with GITHUB_REPOSITORY and GITHUB_TOKEN, so that its GitHub deployments say)", s.Env.Name)
	}
	deps, err := s.History.Deployments(ctx, r.Repo, githubapi.DeploymentQuery{Environment: s.Env.Name, Limit: maxCrossed})
	if err != nil {
		return "", "", fmt.Errorf("finding the version %s runs: %w", s.Env.Name, err)
	}
	// The newest deployment, whatever its state: a failed one may have
	// loaded in part, so its version counts as running.
	for _, d := range deps {
		if d.Payload.Package == r.Package.Runtime && d.Payload.Version != "" {
			return d.Payload.Version, fmt.Sprintf("deployment %d", d.ID), nil
		}
	}
	return "", "", fmt.Errorf("GitHub records no deployment of %s to %s, so the version it runs is unknown: give --from VERSION", r.Package.Runtime, s.Env.Name)
}

// check reads the manifests from the version that runs down to the one to
// go back to, and applies the rule.
func (s RollbackCheckStep) check(ctx context.Context, r *Release, from string) (rules.Rollback, error) {
	to, err := semver.StrictNewVersion(r.Version)
	if err != nil {
		return rules.Rollback{}, err
	}
	var history []rules.Released
	for v := from; v != r.Version && len(history) < maxCrossed; {
		if s.Manifests == nil {
			return rules.Rollback{}, errors.New("there is no registry token to read the release manifests with (NODE_AUTH_TOKEN or GITHUB_TOKEN)")
		}
		m, err := s.Manifests.Manifest(ctx, r.Package.NPM, v)
		if err != nil {
			return rules.Rollback{}, fmt.Errorf("reading the release manifest of %s@%s: %w", r.Package.NPM, v, err)
		}
		history = append(history, rules.Released{Version: m.Version, Previous: m.PreviousVersion, Changes: m.Changes})
		prev, err := semver.StrictNewVersion(m.PreviousVersion)
		if err != nil || prev.LessThan(to) {
			break // the rule says why the chain stops here
		}
		v = m.PreviousVersion
	}
	return rules.CheckRollback(from, r.Version, history)
}

// refuse records the refusal for the summary: why, the findings, what to do.
func (s RollbackCheckStep) refuse(r *Release, why string, auth []change.RecordFinding, steps []string) {
	r.Deploys = append(r.Deploys, DeployResult{
		Environment: s.Env.Name, Target: "runtime " + s.Env.Runtime.URL, Outcome: OutcomeRollbackRefused,
		Detail: why + "; nothing was rolled back", AuthFindings: auth, ManualSteps: steps,
	})
}

// ruleList names findings by rule and place, for one line.
func ruleList(fs []change.RecordFinding) string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s (%s %s)", f.Rule, f.Path, f.Pointer)
	}
	return strings.Join(out, "; ")
}

// manualRollback says what a person does when a rollback of environment to
// version `to` did not happen by itself: the steps before (what to check
// first), then fix forward or roll back by hand — across auth changes
// only with the flag that says a person decided.
func manualRollback(environment, to string, acrossAuth bool, before ...string) []string {
	cmd := fmt.Sprintf("breakwater rollback --environment %s --version %s", environment, to)
	dispatch, how := "version "+to, "roll back by hand"
	if acrossAuth {
		cmd += " " + AllowAuthBreakFlag
		dispatch += " and " + InputAllowAuthBreak + " checked"
		how = "roll back as a person's decision"
	}
	return append(before, fmt.Sprintf("Either fix forward with a new version, or %s: `%s` (or run the release workflow by hand with %s).", how, cmd, dispatch))
}

// RollbackStep puts an earlier version back in one environment, by hand
// (the rollback command, the workflow's manual run). It is recorded as a
// GitHub deployment of that version's tag. Release.Version is the version
// to go back to; Release.Previous, when known, the one live before.
type RollbackStep struct {
	Env     config.Environment
	Runtime RuntimeClient
	Tracker Deployments
	LogURL  string
}

func (s RollbackStep) Name() string { return "rollback " + s.Env.Name }

func (s RollbackStep) Run(ctx context.Context, r *Release) (string, error) {
	if s.Env.IsTray() {
		return "", Skip("%s is a Tray project: Tray keeps the published solution versions, so roll back by publishing %s again in the Solution Editor", s.Env.Name, r.Version)
	}
	if s.Runtime == nil {
		return "", fmt.Errorf("environment %s has no runtime client", s.Env.Name)
	}
	var dep githubapi.Deployment
	if s.Tracker != nil {
		var err error
		dep, _, err = s.Tracker.EnsureDeployment(ctx, r.Repo, githubapi.NewDeployment{
			Ref: r.Tag, Environment: s.Env.Name, Production: s.Env.Production,
			Description: fmt.Sprintf("rollback of %s to %s", r.Package.Runtime, r.Version),
			Payload:     githubapi.DeploymentPayload{Package: r.Package.Runtime, Version: r.Version, PreviousVersion: r.PreviousVersion(), BundleDigest: r.BundleDigest},
		})
		if err != nil {
			return "", err
		}
		if err := s.status(ctx, r, dep.ID, githubapi.DeploymentInProgress, "rolling back to "+r.Version); err != nil {
			return "", err
		}
	}
	res := DeployResult{Environment: s.Env.Name, Target: "runtime " + s.Env.Runtime.URL, Deployment: dep.ID}
	ok, err := s.Runtime.Rollback(ctx, runtime.Target{Package: r.Package.Runtime, Version: r.Version, BundleDigest: r.BundleDigest})
	if err != nil {
		res.Outcome, res.Detail = OutcomeRollbackFailed, r.redact(err.Error())
		if RollbackNeeded(err) {
			res.Detail += "; the runtime's state is unknown"
		}
	} else {
		res.Outcome, res.RolledBackTo = OutcomeRolledBack, r.Version
		res.Detail = fmt.Sprintf("%s %s is live again (HTTP %d after %d attempt(s))", r.Package.Runtime, r.Version, ok.Status, ok.Attempts)
	}
	r.Deploys = append(r.Deploys, res)
	if s.Tracker != nil {
		sctx := context.WithoutCancel(ctx)
		state := githubapi.DeploymentSuccess
		if err != nil {
			state = githubapi.DeploymentFailure
		}
		if serr := s.status(sctx, r, dep.ID, state, res.Outcome+": "+res.Detail); serr != nil && err == nil {
			err = serr
		}
		if err == nil {
			if _, derr := s.Tracker.DeactivateSuperseded(sctx, r.Repo, s.Env.Name, dep.ID, "rolled back to "+r.Version); derr != nil {
				err = derr
			}
		}
	}
	if err != nil {
		return "", fmt.Errorf("%s: %s", res.Outcome, res.Detail)
	}
	return res.Outcome + ": " + res.Detail, nil
}

func (s RollbackStep) status(ctx context.Context, r *Release, id int64, state, desc string) error {
	return setStatus(ctx, s.Tracker, r, s.Env, id, state, desc, s.LogURL)
}
