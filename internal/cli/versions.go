package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/breakwater-dev/breakwater/internal/rollout"
	"github.com/breakwater-dev/breakwater/internal/workflowcmd"
)

const versionsHelp = `Versions are recorded in the bot's store (--database) by the release path:
the change record against the previous version, the signature's digest,
when each environment got it and when it was rolled back.

Instances per version come from Tray, which reports no version per
instance, only whether a newer one exists. An instance with no newer
version runs the environment's current version (the one deployed last and
not rolled back); one behind runs an older version deployed there, from the
newest whose rollout recorded it on (its floor) on: exactly that version
when only one is possible, else "possibly" each. See docs/rollout.md.`

type versionsOptions struct {
	w     rolloutWiring
	json  bool
	count bool
}

func newVersionsListCmd() *command {
	return newVersionsCmd("list", "--package NAME", "List a package's released versions, newest first", 0)
}

func newVersionsGetCmd() *command {
	return newVersionsCmd("get", "VERSION --package NAME", "Show one released version: changes, signature, deployments, instances", 1)
}

// newVersionsCmd is versions list (no argument) or get (the VERSION).
func newVersionsCmd(name, usage, summary string, nargs int) *command {
	o := &versionsOptions{}
	c := &command{name: "versions " + name, usage: usage, summary: summary, help: versionsHelp}
	c.flags = newFlagSet(c)
	o.register(c)
	c.run = func(ctx context.Context, env Env, args []string) error {
		if len(args) != nargs {
			return fmt.Errorf("versions %s takes %s, got %q", name, map[int]string{0: "no arguments", 1: "the VERSION"}[nargs], args)
		}
		version := ""
		if nargs == 1 {
			version = args[0]
		}
		return runVersions(ctx, env, o, version)
	}
	return c
}

func (o *versionsOptions) register(c *command) {
	o.w.register(c.flags, rolloutFlags{target: true})
	c.flags.BoolVar(&o.json, "json", false, "print JSON")
	c.flags.BoolVar(&o.count, "count", false, "count the instances running each version (asks Tray: --solution-id and $"+TrayTokenVar+")")
}

func runVersions(ctx context.Context, env Env, o *versionsOptions, version string) error {
	wd, err := o.w.open(ctx, env, 0)
	if err != nil {
		return err
	}
	defer wd.st.Close()
	var vs []rollout.VersionInfo
	if version == "" {
		vs, err = wd.eng.Versions(ctx, o.w.pkg, o.count)
	} else {
		var v rollout.VersionInfo
		v, err = wd.eng.Version(ctx, o.w.pkg, version, o.count)
		vs = []rollout.VersionInfo{v}
	}
	if err != nil {
		return err
	}
	if o.json {
		if version != "" {
			return writeJSON(env.Stdout, vs[0])
		}
		return writeJSON(env.Stdout, map[string]any{"package": o.w.pkg, "versions": vs})
	}
	if version != "" {
		printVersion(env.Stdout, vs[0])
		return nil
	}
	if len(vs) == 0 {
		fmt.Fprintf(env.Stdout, "no version of %s is recorded\n", o.w.pkg)
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tRECORDED\tCHANGES\tSIGNATURE\tENVIRONMENTS")
	for _, v := range vs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.Version, v.RecordedAt.Format(time.DateOnly), changes(v.Changes), short(v.SignatureDigest), environments(v))
	}
	return tw.Flush()
}

func printVersion(w io.Writer, v rollout.VersionInfo) {
	fmt.Fprintf(w, "%s@%s\n", v.Package, v.Version)
	fmt.Fprintf(w, "  recorded   %s\n", v.RecordedAt.Format(time.RFC3339))
	if v.RetiredAt != nil {
		fmt.Fprintf(w, "  retired    %s\n", v.RetiredAt.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "  changes    %s\n", changes(v.Changes))
	fmt.Fprintf(w, "  signature  %s\n", orNone(v.SignatureDigest))
	if fs, _, err := rollout.FindingsOf(v.ChangeRecord); err == nil && len(fs) > 0 {
		fmt.Fprintf(w, "  findings   %d\n", len(fs))
		for _, f := range fs {
			fmt.Fprintf(w, "    %s (%s)  %s\n", f.Rule, orNone(string(f.Upgrade)), workflowcmd.OneLine(f.Message))
		}
	}
	if len(v.Environments) == 0 {
		fmt.Fprintln(w, "  never deployed")
	}
	for _, e := range v.Environments {
		fmt.Fprintf(w, "  %s: %s\n", e.Environment, environment(e))
	}
}

func changes(c rollout.ChangeSummary) string {
	var parts []string
	for _, p := range []struct {
		on   bool
		name string
	}{{c.Breaking, "breaking"}, {c.Auth, "auth"}, {c.Config, "config"}, {c.Roles, "roles"}} {
		if p.on {
			parts = append(parts, p.name)
		}
	}
	if len(parts) == 0 {
		return "none breaking"
	}
	return strings.Join(parts, ", ")
}

func environments(v rollout.VersionInfo) string {
	if len(v.Environments) == 0 {
		return "never deployed"
	}
	var parts []string
	for _, e := range v.Environments {
		parts = append(parts, e.Environment+": "+environment(e))
	}
	return strings.Join(parts, "; ")
}

func environment(e rollout.VersionEnvironment) string {
	s := "deployed " + e.DeployedAt.Format(time.DateOnly)
	if e.RolledBackAt != nil {
		s += ", rolled back " + e.RolledBackAt.Format(time.DateOnly)
	}
	if e.Current {
		s += " (current)"
	}
	switch c := e.Instances; {
	case c == nil:
	case c.Error != "":
		s += ", instances unknown: " + workflowcmd.OneLine(c.Error)
	default:
		s += fmt.Sprintf(", %d instance(s)", c.Running)
		if c.Possibly > 0 {
			s += fmt.Sprintf(" and %d possibly", c.Possibly)
		}
	}
	return s
}

func short(digest string) string {
	if len(digest) > 19 {
		return digest[:19] + "…"
	}
	return orNone(digest)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

type versionsRetireOptions struct {
	w        rolloutWiring
	json     bool
	interval time.Duration
}

func newVersionsRetireCmd() *command {
	o := &versionsRetireOptions{}
	c := &command{name: "versions retire", usage: "VERSION --package NAME --solution-id ID",
		summary: "Retire a version once no instance runs it",
		help: `Refused while any instance runs VERSION or may (see below), or while it is
an environment's current version. Tray's flags lag behind upgrades, so the
instances are checked twice, --interval apart; the refusal lists them.
Exit codes: 0 retired, 1 refused, 2 could not check.

` + versionsHelp}
	c.flags = newFlagSet(c)
	o.w.register(c.flags, rolloutFlags{target: true})
	c.flags.BoolVar(&o.json, "json", false, "print JSON")
	c.flags.DurationVar(&o.interval, "interval", 2*time.Minute, "time between the two checks (`duration`): Tray's refresh interval")
	c.run = func(ctx context.Context, env Env, args []string) error {
		if len(args) != 1 {
			return errors.New("versions retire needs the VERSION")
		}
		return runVersionsRetire(ctx, env, o, args[0])
	}
	return c
}

func runVersionsRetire(ctx context.Context, env Env, o *versionsRetireOptions, version string) error {
	wd, err := o.w.open(ctx, env, 0)
	if err != nil {
		return err
	}
	defer wd.st.Close()
	res, err := wd.eng.Retire(ctx, o.w.pkg, version, o.interval, func(d time.Duration) {
		fmt.Fprintf(env.Stderr, "breakwater: no instance runs %s; checking again in %s (Tray's flags lag)\n", version, d)
	})
	if err != nil {
		return err
	}
	if o.json {
		if err := writeJSON(env.Stdout, res); err != nil {
			return err
		}
	} else if res.Retired {
		fmt.Fprintf(env.Stdout, "%s@%s retired: no instance runs it\n", o.w.pkg, version)
	} else {
		fmt.Fprintf(env.Stdout, "%s@%s not retired: %s\n", o.w.pkg, version, res.Reason)
		for _, in := range res.Instances {
			how := "runs it"
			if in.Possibly {
				how = "may run it"
			}
			fmt.Fprintf(env.Stdout, "  %s (owner %s, %s) %s\n", workflowcmd.OneLine(in.ID), workflowcmd.OneLine(in.Owner), in.Environment, how)
		}
	}
	if !res.Retired {
		return &exitError{code: ExitFindings, err: errors.New("retirement refused")}
	}
	return nil
}
