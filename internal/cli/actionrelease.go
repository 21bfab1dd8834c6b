package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/breakwater-dev/breakwater/internal/actions"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/signing"
	"github.com/breakwater-dev/breakwater/internal/source"
)

// The Action's release side: `release: published` and pushed v-tags run
// the release, workflow_dispatch with a version input runs a rollback.
// Both sides of the comparison and the package are read through the GitHub
// API at the tag's commit, so no checkout is needed.

func runActionRelease(ctx context.Context, env Env, rn *actions.Runner) error {
	token := rn.Input("token")
	if token == "" {
		token = env.Getenv("GITHUB_TOKEN")
	}
	// Mask before anything is printed: no later line may carry a token.
	rn.AddMask(token)
	actx, err := rn.Context()
	if err != nil {
		return err
	}
	payload, err := actx.ReadEvent()
	if err != nil {
		return err
	}
	ev, err := release.ParseEvent(actx.EventName, payload)
	if err != nil {
		return err
	}
	if token == "" {
		return errors.New("no GitHub token: set the action's `token` input (its default is ${{ github.token }})")
	}
	opts := []githubapi.Option{githubapi.WithUserAgent("breakwater/" + env.Version)}
	if u := env.Getenv("GITHUB_UPLOAD_URL"); u != "" {
		opts = append(opts, githubapi.WithUploadURL(u))
	}
	gh, err := githubapi.New(actx.APIURL, token, opts...)
	if err != nil {
		return err
	}
	repo := githubapi.Repo{Owner: actx.Owner, Name: actx.Repo}
	ref := ev.Commit
	if ref == "" {
		ref = ev.Tag
	}
	cfg, err := actionConfig(ctx, rn, actx, gh, repo, ref)
	if err != nil {
		return err
	}
	secrets := append(secrets(env, cfg), token)
	masked := map[string]bool{token: true}
	for _, s := range secrets {
		if !masked[s] {
			rn.AddMask(s)
			masked[s] = true
		}
	}
	pkg, err := releasePackage(cfg, actx.Owner, actx.Repo, rn.Input(release.InputPackage))
	if err != nil {
		return err
	}

	var r *release.Release
	var steps []release.Step
	switch ev.Kind {
	case release.EventRollback:
		name := ev.Environment
		if name == "" {
			name = rn.Input(release.InputEnvironment)
		}
		if name == "" {
			return errors.New("a rollback needs an environment: the workflow_dispatch input `environment` or the action's `environment` input")
		}
		rb, err := rollbackRelease(env, cfg, gh, repo, &rollbackOptions{environment: name, version: ev.Version, pkg: pkg.Runtime})
		if err != nil {
			return err
		}
		r, steps = &rb.Release, append(rb.Steps, release.SummaryStep{Write: rn.AddStepSummary})
	default:
		r = &release.Release{Repo: repo, ServerURL: actx.ServerURL, Tag: ev.Tag, Commit: ev.Commit, Package: pkg, Registry: cfg.Registry.URL, Secrets: secrets}
		regToken := env.Getenv("NODE_AUTH_TOKEN")
		if regToken == "" {
			regToken = token
		}
		steps, err = releaseSteps(ctx, env, cfg, r, releasePlan{
			tags:       githubTags(gh, repo),
			commitTime: func(ctx context.Context, sha string) (time.Time, error) { return gh.CommitTime(ctx, repo, sha) },
			treeAt: func(_ context.Context, sha string) (engine.Tree, error) {
				return source.NewGitHub(gh, repo, sha), nil
			},
			gh:            gh,
			keyRef:        rn.Input(release.InputSigningKey),
			environments:  rn.ListInput(release.InputEnvironment),
			summary:       rn.AddStepSummary,
			registryToken: regToken,
			provenance:    signing.ProvenanceFromEnv(env.Getenv),
			visibility:    ev.Visibility,
			logURL:        actx.RunURL(),
		})
		if err != nil {
			return err
		}
	}
	r.Secrets = secrets
	runErr := release.Run(ctx, r, steps)
	for _, rec := range r.Records {
		rn.Print(fmt.Sprintf("%-30s %-8s %s", rec.Step, rec.Status, rec.Detail))
	}
	for _, w := range r.Warnings {
		rn.Warning(w)
	}
	setReleaseOutputs(rn, r)
	return runErr
}

// actionConfig reads the configuration from the workspace when it has a
// checkout, else from the tag's commit through the API, else the defaults.
func actionConfig(ctx context.Context, rn *actions.Runner, actx actions.Context, gh *githubapi.Client, repo githubapi.Repo, ref string) (*config.Config, error) {
	p := rn.Input("config")
	named := p != "" && p != config.DefaultPath
	cfg, err := config.Find(ctx, p, named, source.ConfigReaders(actx.Workspace, gh, repo, ref)...)
	if err != nil && named {
		return nil, fmt.Errorf("the `config` input: %w", err)
	}
	return cfg, err
}

// setReleaseOutputs sets the step outputs of a release or rollback.
func setReleaseOutputs(rn *actions.Runner, r *release.Release) {
	out := map[string]string{release.OutputVersion: r.Version, release.OutputPackage: r.Package.NPM, release.OutputBundleDigest: r.BundleDigest, release.OutputPublished: r.Published}
	if r.Verified != nil {
		out[release.OutputIntegrity] = r.Verified.Digests.Integrity()
	}
	deployed := ""
	for _, d := range r.Deploys {
		if d.OK() {
			if deployed != "" {
				deployed += ","
			}
			deployed += d.Environment
		}
	}
	out[release.OutputDeployed] = deployed
	for k, v := range out {
		if err := rn.SetOutput(k, v); err != nil {
			rn.Warning("setting output " + k + ": " + err.Error())
		}
	}
}
