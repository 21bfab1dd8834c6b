package cli

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/signing"
	"github.com/breakwater-dev/breakwater/internal/source"
)

type releaseOptions struct {
	tag, key, out, pkg, repository, config, summary string
	environments                                    stringList
	policy                                          policyFlags
}

func newReleaseCmd() *command {
	o := &releaseOptions{}
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
	c.flags.StringVar(&o.tag, "tag", "", "the release `tag` vX.Y.Z (default: the v-tag at DIR's commit)")
	c.flags.StringVar(&o.key, "key", "", "sign with this private key: a PEM `file` or env://VARIABLE")
	c.flags.StringVar(&o.out, "out", "", "also write the tarball to this `directory`")
	c.flags.Var(&o.environments, "environment", "deploy to this environment `name` only (repeatable; default all, in order)")
	c.flags.StringVar(&o.pkg, "package", "", "the runtime package `name` (default: the configuration's only package)")
	c.flags.StringVar(&o.repository, "repository", "", "the GitHub repository `owner/name` (default: GITHUB_REPOSITORY, else git's origin)")
	c.flags.StringVar(&o.summary, "summary", "", "write the Markdown report to this `file` (default GITHUB_STEP_SUMMARY when set)")
	c.flags.StringVar(&o.policy.key, "verify-key", "", "verify with this public key instead of signing.policy: a PEM `file` or env://VARIABLE")
	c.flags.StringVar(&o.policy.trustedRoot, "trusted-root", "", "Sigstore trusted_root.json `file` for keyless verification")
	addConfigFlag(c.flags, &o.config)
	c.run = func(ctx context.Context, env Env, args []string) error { return runRelease(ctx, env, o, args) }
	return c
}

func runRelease(ctx context.Context, env Env, o *releaseOptions, args []string) error {
	dir, cfg, r, err := localRelease(ctx, env, "release", args, o.config, o.repository, o.pkg)
	if err != nil {
		return err
	}
	r.Tag, r.Commit = o.tag, ""
	if r.Tag == "" {
		if r.Tag = source.GitVersionTag(ctx, dir); r.Tag == "" {
			return errors.New("no release tag: give --tag vX.Y.Z, or run at a commit tagged v…")
		}
	}
	gh, _, err := githubFromEnv(env, "")
	if err != nil {
		return err
	}
	summaryPath := o.summary
	if summaryPath == "" {
		summaryPath = env.Getenv("GITHUB_STEP_SUMMARY")
	} else {
		summaryPath = env.path(summaryPath)
	}
	token := env.Getenv("NODE_AUTH_TOKEN")
	if token == "" {
		token = env.Getenv("GITHUB_TOKEN")
	}
	fixedTime := r.CommitTime
	plan := releasePlan{
		tags: func(ctx context.Context) ([]release.Tag, error) { return gitTags(ctx, dir) },
		commitTime: func(ctx context.Context, sha string) (time.Time, error) {
			if env.Getenv("SOURCE_DATE_EPOCH") != "" {
				return fixedTime, nil
			}
			_, t, err := source.GitCommit(ctx, dir, sha)
			return t, err
		},
		treeAt:        func(ctx context.Context, sha string) (engine.Tree, error) { return gitTreeAt(ctx, dir, sha) },
		gh:            gh,
		keyRef:        o.key,
		outDir:        outDir(env, o.out),
		environments:  o.environments,
		registryToken: token,
		provenance:    signing.ProvenanceFromEnv(env.Getenv),
		logURL:        runURL(env),
		policyFlags:   o.policy,
	}
	if summaryPath != "" {
		plan.summary = func(md string) error { return appendFile(summaryPath, md) }
	}
	steps, err := releaseSteps(ctx, env, cfg, r, plan)
	if err != nil {
		return err
	}
	err = release.Run(ctx, r, steps)
	printRecords(env.Stdout, r)
	return err
}

func outDir(env Env, dir string) string {
	if dir == "" {
		return ""
	}
	return env.path(dir)
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
