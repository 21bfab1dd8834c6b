package release

import (
	"context"
	"fmt"

	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/runtime"
)

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
