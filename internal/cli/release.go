package cli

import (
	"context"
	"errors"

	"github.com/breakwater-dev/breakwater/internal/release"
)

func newReleaseCmd() *command {
	o := &release.TagOptions{}
	c := &command{
		name:    "release",
		usage:   "[DIR] [--tag vX.Y.Z]",
		summary: "Release a tag: package, sign, verify, publish, attach, deploy",
		help: `Runs the release steps in order on the tag (default: the v-tag at DIR's
commit), reading the repository at DIR with git:

  resolve version   the tag's version and the previous v-tag (SemVer order)
  change record     the exports at the previous tag against the tag's
  package           the reproducible tarball with breakwater.json (--out)
  sign              --key, signing.mode key, or keyless with an OIDC token
  verify            against signing.policy (or the policy flags)
  publish           to registry.url with NODE_AUTH_TOKEN (or GITHUB_TOKEN)
  attach            the bundle on the GitHub release and as an attestation
  deploy <env>      each environment in order (--environment to choose)
  job summary       to GITHUB_STEP_SUMMARY, or --summary FILE

Each step is idempotent (a re-run finds its work done) and the report says
of every step what it did or why it was skipped. In GitHub Actions the
Action runs this on release and tag push events (see docs/action.md).

Exit codes: 0 released; 2 a step failed (nothing after it ran).`,
	}
	c.flags = newFlagSet(c)
	c.flags.StringVar(&o.Tag, "tag", "", "the release `tag` vX.Y.Z (default: the v-tag at DIR's commit)")
	c.flags.StringVar(&o.Key, "key", "", "sign with this private key: a PEM `file` or env://VARIABLE")
	c.flags.StringVar(&o.Out, "out", "", "also write the tarball to this `directory`")
	c.flags.Var((*stringList)(&o.Environments), "environment", "deploy to this environment `name` only (repeatable; default all, in order)")
	c.flags.StringVar(&o.Package, "package", "", "the runtime package `name` (default: the configuration's only package)")
	c.flags.StringVar(&o.Repository, "repository", "", "the GitHub repository `owner/name` (default: GITHUB_REPOSITORY, else git's origin)")
	c.flags.StringVar(&o.Summary, "summary", "", "write the Markdown report to this `file` (default GITHUB_STEP_SUMMARY when set)")
	c.flags.StringVar(&o.Policy.Key, "verify-key", "", "verify with this public key instead of signing.policy: a PEM `file` or env://VARIABLE")
	c.flags.StringVar(&o.Policy.TrustedRoot, "trusted-root", "", "Sigstore trusted_root.json `file` for keyless verification")
	addConfigFlag(c.flags, &o.Config)
	c.run = func(ctx context.Context, env Env, args []string) error { return runRelease(ctx, env, o, args) }
	return c
}

func runRelease(ctx context.Context, env Env, o *release.TagOptions, args []string) error {
	if len(args) > 1 {
		return errors.New("release takes at most one DIR; see breakwater release --help")
	}
	if len(args) == 1 {
		o.Dir = args[0]
	}
	r, err := release.ReleaseTag(ctx, env.release(), *o)
	printRelease(env.Stdout, r)
	return err
}
