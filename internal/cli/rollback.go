package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/release"
)

type rollbackOptions struct {
	environment, version, pkg, config string
}

func newRollbackCmd() *command {
	o := &rollbackOptions{}
	c := &command{
		name:    "rollback",
		usage:   "--environment NAME --version X.Y.Z",
		summary: "Put an earlier version back on an environment's vNext runtime",
		help: `Asks the environment's runtime to go back to VERSION (a version it ran
before), and in GitHub Actions records it as a deployment of tag vVERSION.
This is the manual rollback the automatic one defers to when auth changed:
read the findings it listed first. A Tray environment is rolled back by
publishing the earlier version in Tray's Solution Editor.

Exit codes: 0 rolled back; 2 it failed.`,
	}
	c.flags = newFlagSet(c)
	c.flags.StringVar(&o.environment, "environment", "", "the environment `name`")
	c.flags.StringVar(&o.version, "version", "", "the `version` to go back to, e.g. 1.16.0")
	c.flags.StringVar(&o.pkg, "package", "", "the runtime package `name` (default: the configuration's only package)")
	addConfigFlag(c.flags, &o.config)
	c.run = func(ctx context.Context, env Env, args []string) error { return runRollback(ctx, env, o, args) }
	return c
}

func runRollback(ctx context.Context, env Env, o *rollbackOptions, args []string) error {
	if len(args) != 0 || o.environment == "" || o.version == "" {
		return errors.New("rollback needs --environment NAME and --version X.Y.Z; see breakwater rollback --help")
	}
	cfg, err := loadConfig(ctx, env, o.config)
	if err != nil {
		return err
	}
	gh, repo, err := githubFromEnv(env, "")
	if err != nil {
		return err
	}
	r, err := rollbackRelease(env, cfg, gh, repo, o)
	if err != nil {
		return err
	}
	err = release.Run(ctx, &r.Release, r.Steps)
	printRecords(env.Stdout, &r.Release)
	return err
}

// rollbackRun is a rollback ready to run.
type rollbackRun struct {
	release.Release
	Steps []release.Step
}

// rollbackRelease wires a rollback; gh is nil outside GitHub Actions.
func rollbackRelease(env Env, cfg *config.Config, gh *githubapi.Client, repo githubapi.Repo, o *rollbackOptions) (*rollbackRun, error) {
	version := strings.TrimPrefix(o.version, "v")
	if _, err := release.VersionOf("v" + version); err != nil {
		return nil, fmt.Errorf("--version: %w", err)
	}
	pkg, err := releasePackage(cfg, repo.Owner, repo.Name, o.pkg)
	if err != nil {
		return nil, err
	}
	r := &rollbackRun{Release: release.Release{Repo: repo, Package: pkg, Tag: "v" + version, Version: version, Rollback: true, Secrets: secrets(env, cfg)}}
	var tracker release.Deployments
	if gh != nil {
		tracker = gh
	}
	targets, err := deployTargets(env, cfg, []string{o.environment}, tracker, runURL(env))
	if err != nil {
		return nil, err
	}
	d := targets[0].(release.DeployStep)
	r.Steps = []release.Step{release.RollbackStep{Env: d.Env, Runtime: d.Runtime, Tracker: tracker, LogURL: d.LogURL}}
	return r, nil
}

// releasePackage is the package a release or rollback is about: the named
// one, the configuration's only one, or — with none configured — the
// repository itself (runtime name = repository name, npm name
// @owner/repository, both lower-cased).
func releasePackage(cfg *config.Config, owner, repo, name string) (release.Package, error) {
	for _, p := range cfg.Packages {
		if name == "" && len(cfg.Packages) == 1 || p.Runtime == name {
			return release.Package{Runtime: p.Runtime, NPM: p.NPM, Paths: p.Paths}, nil
		}
	}
	switch {
	case name != "":
		return release.Package{}, fmt.Errorf("no package %q in the configuration's packages", name)
	case len(cfg.Packages) > 1:
		return release.Package{}, errors.New("the configuration lists several packages: name one with --package")
	case owner == "" || repo == "":
		return release.Package{}, errors.New("no package is configured and the repository is unknown (set GITHUB_REPOSITORY or configure packages)")
	}
	return release.Package{Runtime: repo, NPM: "@" + strings.ToLower(owner) + "/" + strings.ToLower(repo)}, nil
}
