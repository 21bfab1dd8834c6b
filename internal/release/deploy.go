package release

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/rules"
	"github.com/breakwater-dev/breakwater/internal/runtime"
)

// Deployments is what tracking a deploy needs from GitHub;
// *githubapi.Client implements it.
type Deployments interface {
	EnsureDeployment(ctx context.Context, r githubapi.Repo, d githubapi.NewDeployment) (githubapi.Deployment, bool, error)
	LatestDeploymentStatus(ctx context.Context, r githubapi.Repo, id int64) (githubapi.DeploymentStatus, error)
	SetDeploymentStatus(ctx context.Context, r githubapi.Repo, id int64, s githubapi.DeploymentStatus) error
	DeactivateSuperseded(ctx context.Context, r githubapi.Repo, environment string, current int64, description string) ([]int64, error)
}

// RuntimeClient is a vNext runtime; *runtime.Client implements it.
type RuntimeClient interface {
	Deploy(ctx context.Context, t runtime.Target) (*runtime.Result, error)
	Rollback(ctx context.Context, previous runtime.Target) (*runtime.Result, error)
}

// Outcomes of a deploy.
const (
	OutcomeDeployed        = "deployed"
	OutcomeImported        = "imported as a draft"
	OutcomeAlreadyDeployed = "already deployed"
	OutcomeRefused         = "refused"          // the runtime refused; the previous version stays
	OutcomeRolledBack      = "rolled back"      // failed, and the previous version is live again
	OutcomeRollbackRefused = "rollback refused" // failed; auth changed, so a person must act
	OutcomeRollbackFailed  = "rollback failed"  // failed, and so did the rollback
	OutcomeNoRollback      = "failed"           // failed, with no previous version to go back to
	OutcomeImportRefused   = "import refused"   // Tray: new or modified auth needs a person
)

// DeployResult is what happened in one environment.
type DeployResult struct {
	Environment string
	Target      string // "runtime https://…" or "Tray project …"
	Outcome     string
	Detail      string
	// Failed lists the parts that did not load (a partial deploy).
	Failed []string
	// RolledBackTo is the version live again after an automatic rollback.
	RolledBackTo string
	// AuthFindings are the auth-breaking findings that stopped an
	// automatic rollback or a Tray import; ManualSteps say what to do.
	AuthFindings []change.RecordFinding
	ManualSteps  []string
	// Disagreements are where Tray's publish preview and the findings
	// differ.
	Disagreements []string
	// Deployment is the GitHub deployment's ID, 0 when not tracked.
	Deployment int64
}

// OK reports whether the environment now runs the new version.
func (d DeployResult) OK() bool {
	return d.Outcome == OutcomeDeployed || d.Outcome == OutcomeImported || d.Outcome == OutcomeAlreadyDeployed
}

// DeployStep deploys the release to one environment: a vNext runtime
// (Runtime) or a Tray project (Tray). Tracker, when set, records it as a
// GitHub deployment of the tag with statuses in_progress → success or
// failure, and marks the superseded ones inactive.
type DeployStep struct {
	Env     config.Environment
	Runtime RuntimeClient
	Tray    TrayClient
	Tracker Deployments
	// LogURL is the workflow run, linked from the deployment statuses.
	LogURL string
}

func (d DeployStep) Name() string { return "deploy " + d.Env.Name }

func (d DeployStep) Run(ctx context.Context, r *Release) (string, error) {
	if r.Verified == nil || r.BundleDigest == "" {
		return "", fmt.Errorf("refused: the bundle of %s %s did not verify against the configured policy, and nothing unverified is deployed", r.Package.Runtime, r.Version)
	}
	res := DeployResult{Environment: d.Env.Name}
	if d.Env.IsTray() {
		res.Target = "Tray project " + d.Env.Tray.ProjectID
	} else {
		res.Target = "runtime " + d.Env.Runtime.URL
	}
	var dep githubapi.Deployment
	if d.Tracker != nil {
		var created bool
		var err error
		dep, created, err = d.Tracker.EnsureDeployment(ctx, r.Repo, githubapi.NewDeployment{
			Ref: r.Tag, Environment: d.Env.Name, Production: d.Env.Production,
			Description: fmt.Sprintf("%s %s (%s)", r.Package.Runtime, r.Version, r.Package.NPM),
			Payload:     githubapi.DeploymentPayload{Package: r.Package.Runtime, Version: r.Version, PreviousVersion: r.PreviousVersion(), BundleDigest: r.BundleDigest},
		})
		if err != nil {
			return "", err
		}
		res.Deployment = dep.ID
		if !created {
			st, err := d.Tracker.LatestDeploymentStatus(ctx, r.Repo, dep.ID)
			if err != nil {
				return "", err
			}
			if st.State == githubapi.DeploymentSuccess || st.State == githubapi.DeploymentInactive {
				res.Outcome, res.Detail = OutcomeAlreadyDeployed, fmt.Sprintf("deployment %d is %s", dep.ID, st.State)
				r.Deploys = append(r.Deploys, res)
				return "", Skip("%s %s is already deployed to %s (deployment %d is %s)", r.Package.Runtime, r.Version, d.Env.Name, dep.ID, st.State)
			}
		}
		if err := d.status(ctx, r, dep.ID, githubapi.DeploymentInProgress, "deploying "+r.Version); err != nil {
			return "", err
		}
	}

	var err error
	if d.Env.IsTray() {
		err = d.tray(ctx, r, &res)
	} else {
		err = d.runtime(ctx, r, &res)
	}
	r.Deploys = append(r.Deploys, res)

	if d.Tracker != nil {
		// The final status is written even when the run is being cancelled:
		// a deployment left in_progress would hide what happened.
		sctx := context.WithoutCancel(ctx)
		state, desc := githubapi.DeploymentSuccess, res.Outcome+": "+res.Detail
		if err != nil {
			state = githubapi.DeploymentFailure
		}
		if serr := d.status(sctx, r, dep.ID, state, desc); serr != nil {
			err = errors.Join(err, serr)
		}
		if err == nil {
			if _, derr := d.Tracker.DeactivateSuperseded(sctx, r.Repo, d.Env.Name, dep.ID, "superseded by "+r.Version); derr != nil {
				err = derr
			}
		}
	}
	if err != nil {
		return "", err
	}
	return res.Outcome + ": " + res.Detail, nil
}

func (d DeployStep) status(ctx context.Context, r *Release, id int64, state, desc string) error {
	return setStatus(ctx, d.Tracker, r, d.Env, id, state, desc, d.LogURL)
}

// setStatus adds a deployment status; the description is one line, without
// secrets (GitHub cuts it at 140 characters).
func setStatus(ctx context.Context, t Deployments, r *Release, env config.Environment, id int64, state, desc, logURL string) error {
	return t.SetDeploymentStatus(ctx, r.Repo, id, githubapi.DeploymentStatus{
		State: state, Description: r.redact(oneLine(desc)), LogURL: logURL, EnvironmentURL: env.URL,
	})
}

// runtime deploys to a vNext runtime and rolls back when the outcome
// leaves the runtime in an unknown or partial state (see RollbackNeeded).
func (d DeployStep) runtime(ctx context.Context, r *Release, res *DeployResult) error {
	if d.Runtime == nil {
		return fmt.Errorf("environment %s has no runtime client", d.Env.Name)
	}
	target := runtime.Target{Package: r.Package.Runtime, Version: r.Version, BundleDigest: r.BundleDigest}
	ok, err := d.Runtime.Deploy(ctx, target)
	if err == nil {
		res.Outcome, res.Detail = OutcomeDeployed, fmt.Sprintf("%s is live (HTTP %d after %d attempt(s))", target, ok.Status, ok.Attempts)
		return nil
	}
	var rerr *runtime.Error
	if errors.As(err, &rerr) {
		for _, f := range rerr.Failed {
			res.Failed = append(res.Failed, f.String())
		}
	}
	failure := r.redact(err.Error())
	if !RollbackNeeded(err) {
		res.Outcome, res.Detail = OutcomeRefused, failure+"; the previous version stays live"
		return err
	}
	prev := r.PreviousVersion()
	if prev == "" {
		res.Outcome, res.Detail = OutcomeNoRollback, failure+"; there is no previous version to roll back to"
	} else if why, auth := automaticRollback(r, prev); why != "" {
		res.Outcome = OutcomeRollbackRefused
		res.Detail = fmt.Sprintf("%s; not rolled back to %s automatically: %s", failure, prev, why)
		res.AuthFindings = auth
		res.ManualSteps = d.manualRollback(r, prev, true)
	} else if _, rbErr := d.Runtime.Rollback(ctx, runtime.Target{Package: r.Package.Runtime, Version: prev}); rbErr != nil {
		res.Outcome = OutcomeRollbackFailed
		res.Detail = fmt.Sprintf("%s; the rollback to %s failed too (%s): the runtime's state is unknown", failure, prev, r.redact(rbErr.Error()))
		res.ManualSteps = d.manualRollback(r, prev, false)
	} else {
		res.Outcome, res.RolledBackTo = OutcomeRolledBack, prev
		res.Detail = failure + "; rolled back to " + prev
	}
	if runtime.KindOf(err) == runtime.KindPartial {
		return &PartialError{Err: errors.New(res.Outcome + ": " + res.Detail)}
	}
	return errors.New(res.Outcome + ": " + res.Detail)
}

// RollbackNeeded reports whether a failed deploy may have changed the
// runtime: a partial load, or an outcome unknown after retries (a timeout,
// 5xx, 409, 429, a lost answer). A refusal (400, 401, 403, 422, success:
// false) loaded nothing, so the previous version is still live.
func RollbackNeeded(err error) bool {
	switch runtime.KindOf(err) {
	case runtime.KindPartial, runtime.KindRetryable:
		return true
	}
	return false
}

// automaticRollback applies the auth rule (rules.CheckRollback) to going
// back from the release to prev across the release's own change record. It
// says why not when the rollback needs a person, with the auth findings
// that make it so; "" when it may happen by itself.
func automaticRollback(r *Release, prev string) (why string, auth []change.RecordFinding) {
	check, err := rules.CheckRollback(r.Version, prev, []rules.Released{{Version: r.Version, Previous: prev, Changes: r.changes()}})
	if err != nil {
		return err.Error(), nil
	}
	return check.Why(), check.AuthBreaks
}

// manualRollback is what a person does after a failed deploy that was not
// (or could not be) rolled back; acrossAuth when the auth rule stopped it.
func (d DeployStep) manualRollback(r *Release, prev string, acrossAuth bool) []string {
	steps := []string{fmt.Sprintf("Find out what %s runs now: %s may be partly live.", d.Env.Name, r.Version)}
	if acrossAuth {
		steps = append(steps, "Read the auth findings above: end users who re-authorised for "+r.Version+" may have to authorise again after a rollback, and instances set up on "+r.Version+" may lose their new auths.")
	}
	return manualRollback(d.Env.Name, prev, acrossAuth, steps...)
}

// authTargets lists what a person must authenticate, one line per finding.
func authTargets(fs []change.RecordFinding) []string {
	var out []string
	for _, f := range fs {
		what := f.Message
		if f.Slot != nil && f.Slot.ExternalID != "" && !strings.Contains(what, f.Slot.ExternalID) {
			what += " (auth slot " + f.Slot.ExternalID + ")"
		}
		out = append(out, fmt.Sprintf("%s: %s", f.Rule, what))
	}
	return out
}
