package cli

import (
	"context"
	"errors"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/release"
)

func newRollbackCmd() *command {
	o := &release.RollbackOptions{}
	c := &command{
		name:    "rollback",
		usage:   "--environment NAME --version X.Y.Z [--from X.Y.Z] [--allow-auth-break]",
		summary: "Put an earlier version back on an environment's vNext runtime",
		help: `Asks the environment's runtime to go back to VERSION (a version it ran
before), and with GITHUB_REPOSITORY and GITHUB_TOKEN set (as in GitHub
Actions) records it as a deployment of tag vVERSION.

First it obeys the auth rule of every rollback: rolling back across an
auth-breaking change is a person's decision. It finds the version the
environment runs (--from, else its newest GitHub deployment), reads the
release manifests (breakwater.json) of every release between the two from
the registry (registry.url, with NODE_AUTH_TOKEN or GITHUB_TOKEN), and
refuses when any of them breaks auth, or when that cannot be checked,
listing the findings and what to do. --allow-auth-break rolls back anyway:
give it only after reading them.

A Tray environment is rolled back by publishing the earlier version in
Tray's Solution Editor.

Exit codes: 0 rolled back; 2 it failed or was refused.`,
	}
	c.flags = newFlagSet(c)
	c.flags.StringVar(&o.Environment, "environment", "", "the environment `name`")
	c.flags.StringVar(&o.Version, "version", "", "the `version` to go back to, e.g. 1.16.0")
	c.flags.StringVar(&o.From, "from", "", "the `version` the environment runs now (default: the version of its newest GitHub deployment)")
	c.flags.BoolVar(&o.AllowAuthBreak, strings.TrimPrefix(release.AllowAuthBreakFlag, "--"), false,
		"roll back even across auth-breaking changes: a person's decision, after reading the findings a refusal listed")
	c.flags.StringVar(&o.Repository, "repository", "", "the GitHub repository `owner/name` (default: GITHUB_REPOSITORY, else git's origin)")
	c.flags.StringVar(&o.Package, "package", "", "the runtime package `name` (default: the configuration's only package)")
	addConfigFlag(c.flags, &o.Config)
	c.run = func(ctx context.Context, env Env, args []string) error { return runRollback(ctx, env, o, args) }
	return c
}

func runRollback(ctx context.Context, env Env, o *release.RollbackOptions, args []string) error {
	if len(args) != 0 || o.Environment == "" || o.Version == "" {
		return errors.New("rollback needs --environment NAME and --version X.Y.Z; see breakwater rollback --help")
	}
	r, err := release.RollBack(ctx, env.release(), *o)
	printRelease(env.Stdout, r)
	return err
}
