package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/release"
)

type deployOptions struct {
	bundle, config string
	environments   stringList
	policy         policyFlags
}

// stringList is a flag that may be given several times.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func newDeployCmd() *command {
	o := &deployOptions{}
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
	c.flags.StringVar(&o.bundle, "bundle", "", "the Sigstore bundle (default TARBALL.sigstore.json)")
	c.flags.Var(&o.environments, "environment", "deploy to this environment `name` only (repeatable; default all, in order)")
	addPolicyFlags(c.flags, &o.policy)
	addConfigFlag(c.flags, &o.config)
	c.run = func(ctx context.Context, env Env, args []string) error { return runDeploy(ctx, env, o, args) }
	return c
}

func runDeploy(ctx context.Context, env Env, o *deployOptions, args []string) error {
	if len(args) != 1 {
		return errors.New("deploy needs one TARBALL; see breakwater deploy --help")
	}
	cfg, err := loadConfig(ctx, env, o.config)
	if err != nil {
		return err
	}
	r, err := readRelease(env, args[0], o.bundle)
	if err != nil {
		return err
	}
	r.Secrets = secrets(env, cfg)
	p, err := policy(ctx, env, cfg, o.policy)
	if err != nil {
		return err
	}
	gh, repo, err := githubFromEnv(env, "")
	if err != nil {
		return err
	}
	r.Repo = repo
	var tracker release.Deployments
	if gh != nil {
		tracker = gh
	}
	targets, err := deployTargets(env, cfg, o.environments, tracker, runURL(env))
	if err != nil {
		return err
	}
	err = release.Run(ctx, r, append([]release.Step{release.VerifyStep{Policy: p}}, targets...))
	printRecords(env.Stdout, r)
	return err
}

// printRecords lists what each step did, for a terminal.
func printRecords(w io.Writer, r *release.Release) {
	for _, rec := range r.Records {
		fmt.Fprintf(w, "%-30s %-8s %s\n", rec.Step, rec.Status, rec.Detail)
	}
	for _, d := range r.Deploys {
		for i, s := range d.ManualSteps {
			if i == 0 {
				fmt.Fprintf(w, "\n%s: what to do\n", d.Environment)
			}
			fmt.Fprintf(w, "  %d. %s\n", i+1, s)
		}
		for _, s := range d.Disagreements {
			fmt.Fprintf(w, "%s: Tray's publish preview disagrees: %s\n", d.Environment, s)
		}
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}

// runURL is the workflow run's page in GitHub Actions, "" elsewhere.
func runURL(env Env) string {
	server, repo, id := env.Getenv("GITHUB_SERVER_URL"), env.Getenv("GITHUB_REPOSITORY"), env.Getenv("GITHUB_RUN_ID")
	if repo == "" || id == "" {
		return ""
	}
	if server == "" {
		server = "https://github.com"
	}
	return strings.TrimSuffix(server, "/") + "/" + repo + "/actions/runs/" + id
}
