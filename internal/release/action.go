package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/actions"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/signing"
	"github.com/breakwater-dev/breakwater/internal/source"
)

// RunAction is the Action's release side: `release: published` and pushed
// v-tags run the whole release, workflow_dispatch with a version input a
// rollback. Both sides of the comparison and the package are read through
// the GitHub API at the tag's commit, so no checkout is needed. The log,
// the job summary and the step outputs are written through rn; the release
// is returned also when it failed.
func RunAction(ctx context.Context, env Env, rn *actions.Runner) (*Release, error) {
	token := rn.Input(InputToken)
	if token == "" {
		token = env.Getenv("GITHUB_TOKEN")
	}
	// Mask before anything is printed: no later line may carry a token.
	rn.AddMask(token)
	actx, err := rn.Context()
	if err != nil {
		return nil, err
	}
	payload, err := actx.ReadEvent()
	if err != nil {
		return nil, err
	}
	ev, err := ParseEvent(actx.EventName, payload)
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, errors.New("no GitHub token: set the action's `token` input (its default is ${{ github.token }})")
	}
	gh, err := newGitHub(env, actx.APIURL, token)
	if err != nil {
		return nil, err
	}
	repo := githubapi.Repo{Owner: actx.Owner, Name: actx.Repo}
	ref := ev.Commit
	if ref == "" {
		ref = ev.Tag
	}
	cfg, err := actionConfig(ctx, rn, actx, gh, repo, ref)
	if err != nil {
		return nil, err
	}
	secrets := append(env.secrets(cfg), token)
	masked := map[string]bool{token: true}
	for _, s := range secrets {
		if !masked[s] {
			rn.AddMask(s)
			masked[s] = true
		}
	}
	pkg, err := releasePackage(cfg, actx.Owner, actx.Repo, rn.Input(InputPackage))
	if err != nil {
		return nil, err
	}
	// The registry token: NODE_AUTH_TOKEN as npm reads it, else the
	// action's token (GitHub Packages takes it with packages: write).
	regToken := env.Getenv("NODE_AUTH_TOKEN")
	if regToken == "" {
		regToken = token
	}

	var r *Release
	var steps []Step
	switch ev.Kind {
	case EventRollback:
		name := ev.Environment
		if name == "" {
			name = rn.Input(InputEnvironment)
		}
		if name == "" {
			return nil, errors.New("a rollback needs an environment: the workflow_dispatch input `environment` or the action's `environment` input")
		}
		o := RollbackOptions{Environment: name, Version: ev.Version, Package: pkg.Runtime, AllowAuthBreak: ev.AllowAuthBreak}
		if r, steps, err = rollback(env, cfg, gh, repo, regToken, actx.RunURL(), o); err != nil {
			return nil, err
		}
		steps = append(steps, SummaryStep{Write: rn.AddStepSummary})
	default:
		r = &Release{Repo: repo, ServerURL: actx.ServerURL, Tag: ev.Tag, Commit: ev.Commit, Package: pkg, Registry: cfg.Registry.URL}
		w := wholeRelease{
			tags:          githubTags(gh, repo),
			commitTime:    func(ctx context.Context, sha string) (time.Time, error) { return gh.CommitTime(ctx, repo, sha) },
			treeAt:        func(_ context.Context, sha string) (engine.Tree, error) { return source.NewGitHub(gh, repo, sha), nil },
			gh:            gh,
			keyRef:        rn.Input(InputSigningKey),
			environments:  rn.ListInput(InputEnvironment),
			summary:       rn.AddStepSummary,
			registryToken: regToken,
			provenance:    signing.ProvenanceFromEnv(env.Getenv),
			visibility:    ev.Visibility,
			logURL:        actx.RunURL(),
		}
		if steps, err = w.steps(ctx, env, cfg, r); err != nil {
			return nil, err
		}
	}
	r.Secrets = secrets
	runErr := Run(ctx, r, steps)
	if err := rn.Print(Text(r)); err != nil {
		runErr = errors.Join(runErr, err)
	}
	for _, w := range r.Warnings {
		rn.Warning(w)
	}
	setOutputs(rn, r)
	return r, runErr
}

// actionConfig reads the configuration from the workspace when it has a
// checkout, else from the tag's commit through the API, else the defaults.
func actionConfig(ctx context.Context, rn *actions.Runner, actx actions.Context, gh *githubapi.Client, repo githubapi.Repo, ref string) (*config.Config, error) {
	p := rn.Input(InputConfig)
	named := p != "" && p != config.DefaultPath
	cfg, err := config.Find(ctx, p, named, source.ConfigReaders(actx.Workspace, gh, repo, ref)...)
	if err != nil && named {
		return nil, fmt.Errorf("the `config` input: %w", err)
	}
	return cfg, err
}

// setOutputs sets the step outputs of a release or rollback.
func setOutputs(rn *actions.Runner, r *Release) {
	out := map[string]string{OutputVersion: r.Version, OutputPackage: r.Package.NPM, OutputBundleDigest: r.BundleDigest, OutputPublished: r.Published}
	if r.Verified != nil {
		out[OutputIntegrity] = r.Verified.Digests.Integrity()
	}
	var deployed []string
	for _, d := range r.Deploys {
		if d.OK() || (r.Rollback && d.RolledBackTo == r.Version) {
			deployed = append(deployed, d.Environment)
		}
	}
	out[OutputDeployed] = strings.Join(deployed, ",")
	for k, v := range out {
		if err := rn.SetOutput(k, v); err != nil {
			rn.Warning("setting output " + k + ": " + err.Error())
		}
	}
}
