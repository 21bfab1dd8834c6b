package cli

import (
	"context"
	"errors"

	"github.com/breakwater-dev/breakwater/internal/release"
)

func newDeployCmd() *command {
	o := &release.DeployOptions{}
	c := &command{
		name:    "deploy",
		usage:   "TARBALL [--environment NAME]...",
		summary: "Deploy a signed package to its environments (vNext runtime or Tray)",
		help: `Verifies TARBALL against its bundle (TARBALL.sigstore.json unless --bundle)
under the configured signing policy (or the policy flags, as for verify),
then deploys it to the named environments, or to every configured one in
promotion order, stopping at the first that fails. Nothing unverified is
deployed.

A vNext runtime that fails partially, or whose outcome is unknown after
retries, is rolled back to the previous version automatically — unless the
change record in the tarball's breakwater.json holds a breaking auth change:
then nothing is rolled back and the run lists the findings and the manual
steps. A Tray project gets the export imported as a draft, after Tray's
publish preview was compared with the findings, and only when no auth is new
or modified. In GitHub Actions each environment is also recorded as a GitHub
deployment.

Exit codes: 0 deployed; 2 anything failed (the report says what happened).`,
	}
	c.flags = newFlagSet(c)
	c.flags.StringVar(&o.Bundle, "bundle", "", "the Sigstore bundle (default TARBALL.sigstore.json)")
	c.flags.Var((*stringList)(&o.Environments), "environment", "deploy to this environment `name` only (repeatable; default all, in order)")
	addPolicyFlags(c.flags, &o.Policy)
	addConfigFlag(c.flags, &o.Config)
	c.run = func(ctx context.Context, env Env, args []string) error { return runDeploy(ctx, env, o, args) }
	return c
}

func runDeploy(ctx context.Context, env Env, o *release.DeployOptions, args []string) error {
	if len(args) != 1 {
		return errors.New("deploy needs one TARBALL; see breakwater deploy --help")
	}
	o.Tarball = args[0]
	r, err := release.DeployTarball(ctx, env.release(), *o)
	printRelease(env.Stdout, r)
	return err
}
