package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/breakwater-dev/breakwater/internal/backoff"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/rollout"
	"github.com/breakwater-dev/breakwater/internal/store"
)

const rolloutHelp = `Rollouts live in the bot's store (--database): the bot (breakwater serve)
or "breakwater rollout work" on the same store upgrades the instances. Every
instance's state is recorded: pending (the bot upgrades it), lazy (Tray
upgrades it by itself), upgraded, needs-user (upgraded; its end user must
run the Config Wizard), failed (with Tray's message), skipped (on the
newest version already, or disabled). See docs/rollout.md.`

type rolloutStartOptions struct {
	w      rolloutWiring
	json   bool
	config string
}

func newRolloutStartCmd() *command {
	o := &rolloutStartOptions{}
	c := &command{
		name:    "rollout start",
		usage:   "VERSION --package NAME --solution-id ID",
		summary: "Plan the rollout of a deployed version from Tray's live instances",
		help: `Lists the solution's instances at Tray and records what each needs, by
its version flags and the change record of VERSION (when a release recorded
it in the store), then queues the rollout. Starting the same version again
changes nothing. Run it once VERSION is published at Tray: before that every
instance's flags still say "no newer version".

Hidden slots take the owner's values: --value and --auth-value, or
--value-env for secrets (only the slot names are stored; give the same
values to the process that works the rollout).

The configuration's rollout section paces the rollout (concurrency, and
rate-limit in Tray requests per second), within the limits of the process
that works it (its --concurrency and --rate-limit, or serve's
--rollout-concurrency and --tray-rate-limit). Without a configuration
file, the pacing the package's last deployment recorded stays.

` + rolloutHelp,
	}
	c.flags = newFlagSet(c)
	o.w.register(c.flags, rolloutFlags{target: true, upgrades: true, values: true})
	c.flags.BoolVar(&o.json, "json", false, "print the result as JSON")
	c.flags.StringVar(&o.config, "config", "", "configuration `file` whose rollout section paces the rollout (default "+config.DefaultPath+" when it exists)")
	c.run = func(ctx context.Context, env Env, args []string) error { return runRolloutStart(ctx, env, o, args) }
	return c
}

func runRolloutStart(ctx context.Context, env Env, o *rolloutStartOptions, args []string) error {
	if len(args) != 1 {
		return errors.New("rollout start needs the VERSION to roll out; see breakwater rollout start --help")
	}
	if o.w.pkg == "" {
		return errors.New("--package is required")
	}
	cfg, err := loadConfig(ctx, env, o.config)
	if err != nil {
		return err
	}
	wd, err := o.w.open(ctx, env, 0)
	if err != nil {
		return err
	}
	defer wd.st.Close()
	// Only a configuration file paces the rollout: without one, what a
	// deployment recorded stays (and nothing: the workers' limits).
	if cfg.Path != "" {
		if err := wd.eng.SetSettings(ctx, o.w.pkg, o.w.environment, rollout.Settings{Concurrency: cfg.Rollout.Concurrency, RateLimit: cfg.Rollout.RateLimit}); err != nil {
			return err
		}
	}
	started, err := wd.eng.StartVersion(ctx, o.w.pkg, args[0], o.w.environment)
	if err != nil {
		return err
	}
	r := started.Rollout
	if o.json {
		return writeJSON(env.Stdout, map[string]any{"rollout": rolloutJSON(r), "created": started.Created,
			"actions": started.Counts, "disabled": started.Disabled, "disagreements": started.Disagreements})
	}
	if !started.Created {
		fmt.Fprintf(env.Stdout, "rollout %d of %s@%s to %s exists already; see breakwater rollout status\n", r.ID, r.Package, r.Version, r.Environment)
		return nil
	}
	total := 0
	for _, n := range started.Counts {
		total += n
	}
	fmt.Fprintf(env.Stdout, "rollout %d of %s@%s to %s: %d instances planned\n", r.ID, r.Package, r.Version, r.Environment, total)
	for _, a := range plan.Actions {
		if n := started.Counts[a]; n > 0 {
			fmt.Fprintf(env.Stdout, "  %-13s %d\n", a, n)
		}
	}
	if started.Disabled > 0 {
		fmt.Fprintf(env.Stdout, "  (%d of them disabled: skipped)\n", started.Disabled)
	}
	if started.Disagreements > 0 {
		fmt.Fprintf(env.Stdout, "  %d instances' flags contradict the change record; the flags decide\n", started.Disagreements)
	}
	fmt.Fprintln(env.Stdout, "Queued: the bot, or breakwater rollout work on the same --database, upgrades them.")
	return nil
}

type rolloutWorkOptions struct {
	w            rolloutWiring
	rollouts     int
	exitWhenIdle bool
	lease        time.Duration
	heartbeat    time.Duration
	slice        time.Duration
}

func newRolloutWorkCmd() *command {
	o := &rolloutWorkOptions{}
	c := &command{
		name:    "rollout work",
		usage:   "--solution-id ID",
		summary: "Work the queued rollouts until interrupted (what the bot does)",
		help: `Upgrades the instances of every queued rollout, within Tray's rate limit
(shared through the store with every other process using it) and
--concurrency per rollout, until interrupted (SIGINT or SIGTERM: upgrades
in flight finish; nothing is lost at any point, even on SIGKILL: another
worker, or this one restarted, goes on without upgrading any instance
twice). Several workers may share a PostgreSQL store.

` + rolloutHelp,
	}
	c.flags = newFlagSet(c)
	o.w.register(c.flags, rolloutFlags{anyPackage: true, target: true, upgrades: true, values: true})
	c.flags.IntVar(&o.rollouts, "rollouts", 2, "how many `rollouts` to drive at once")
	c.flags.BoolVar(&o.exitWhenIdle, "exit-when-done", false, "exit once no rollout has instances left to upgrade")
	c.flags.DurationVar(&o.lease, "lease", rollout.DefaultLease, "how long a claimed instance belongs to its worker (`duration`); a dead worker's\ninstances are taken over after it")
	c.flags.DurationVar(&o.heartbeat, "heartbeat", rollout.DefaultDriverLease, "how long a rollout's driver is trusted without a heartbeat (`duration`)")
	c.flags.DurationVar(&o.slice, "slice", rollout.DefaultSlice, "how long a driver works before handing the rollout back to the queue (`duration`)")
	c.run = func(ctx context.Context, env Env, args []string) error { return runRolloutWork(ctx, env, o, args) }
	return c
}

func runRolloutWork(ctx context.Context, env Env, o *rolloutWorkOptions, args []string) error {
	if len(args) != 0 {
		return fmt.Errorf("rollout work takes no arguments, got %q", args)
	}
	o.w.lease, o.w.heartbeat, o.w.slice = o.lease, o.heartbeat, o.slice
	wd, err := o.w.open(ctx, env, max(1, o.rollouts))
	if err != nil {
		return err
	}
	defer wd.st.Close()
	if err := wd.st.Start(ctx); err != nil {
		return err
	}
	// Alone after a crash, do not wait to become River's leader.
	if err := wd.eng.Recover(ctx); err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "breakwater: working rollouts in %s\n", wd.st.Location())
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), store.DefaultShutdownGrace+5*time.Second)
			defer cancel()
			return wd.st.Stop(stop)
		case <-tick.C:
		}
		if !o.exitWhenIdle {
			continue
		}
		idle, err := wd.eng.Idle(ctx)
		if err != nil {
			return err
		}
		if idle {
			stop, cancel := context.WithTimeout(ctx, store.DefaultShutdownGrace+5*time.Second)
			defer cancel()
			return wd.st.Stop(stop)
		}
	}
}

type rolloutStatusOptions struct {
	w      rolloutWiring
	json   bool
	follow bool
	every  time.Duration
}

func newRolloutStatusCmd() *command {
	o := &rolloutStatusOptions{}
	c := &command{
		name:    "rollout status",
		usage:   "[VERSION] --package NAME",
		summary: "Show a rollout's progress: counts per state and the rate",
		help: `Without VERSION, the package's newest rollout to the environment. In a
terminal it shows a progress bar, updated until the rollout is done
(Ctrl-C leaves it running); elsewhere it prints the counts once, or one
line per update with --follow. Colours only in a terminal, never with
NO_COLOR set.

` + rolloutHelp,
	}
	c.flags = newFlagSet(c)
	o.w.register(c.flags, rolloutFlags{})
	c.flags.BoolVar(&o.json, "json", false, "print JSON (one object per update with --follow)")
	c.flags.BoolVar(&o.follow, "follow", false, "keep printing updates until the rollout is done")
	c.flags.DurationVar(&o.every, "interval", time.Second, "how often to update (`duration`)")
	c.run = func(ctx context.Context, env Env, args []string) error { return runRolloutStatus(ctx, env, o, args) }
	return c
}

func runRolloutStatus(ctx context.Context, env Env, o *rolloutStatusOptions, args []string) error {
	if len(args) > 1 {
		return errors.New("rollout status takes at most a VERSION; see breakwater rollout status --help")
	}
	wd, r, err := o.w.openRollout(ctx, env, args)
	if err != nil {
		return err
	}
	defer wd.st.Close()
	live := !o.json && env.terminal(env.Stdout)
	view := newProgressView(env.Stdout, env.color(env.Stdout), live)
	for {
		p, err := wd.eng.Status(ctx, r.ID)
		if err != nil {
			return err
		}
		if o.json {
			if err := writeJSON(env.Stdout, progressJSON(p)); err != nil {
				return err
			}
		} else {
			view.show(p)
		}
		if p.Done || !live && !o.follow {
			view.end(p)
			return nil
		}
		if backoff.Sleep(ctx, o.every) != nil {
			view.end(p)
			return nil // interrupted: the rollout goes on
		}
	}
}

type rolloutControlOptions struct {
	w rolloutWiring
}

func newRolloutControlCmd(name string) *command {
	o := &rolloutControlOptions{}
	summary := map[string]string{
		"pause":  "Pause a rollout: no new upgrades; those in flight finish",
		"resume": "Resume a paused rollout",
		"retry":  "Retry a rollout's failed instances",
	}[name]
	c := &command{name: "rollout " + name, usage: "[VERSION] --package NAME", summary: summary,
		help: "Without VERSION, the package's newest rollout to the environment.\n\n" + rolloutHelp}
	c.flags = newFlagSet(c)
	o.w.register(c.flags, rolloutFlags{})
	c.run = func(ctx context.Context, env Env, args []string) error {
		return runRolloutControl(ctx, env, o, name, args)
	}
	return c
}

func runRolloutControl(ctx context.Context, env Env, o *rolloutControlOptions, name string, args []string) error {
	if len(args) > 1 {
		return fmt.Errorf("rollout %s takes at most a VERSION", name)
	}
	wd, r, err := o.w.openRollout(ctx, env, args)
	if err != nil {
		return err
	}
	defer wd.st.Close()
	what := fmt.Sprintf("rollout %d of %s@%s to %s", r.ID, r.Package, r.Version, r.Environment)
	switch name {
	case "pause":
		err = wd.eng.Pause(ctx, r.ID)
		what += " paused"
	case "resume":
		err = wd.eng.Resume(ctx, r.ID)
		what += " resumed"
	case "retry":
		var n int64
		n, err = wd.eng.RetryFailed(ctx, r.ID)
		what += fmt.Sprintf(": %d failed instance(s) to retry", n)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, what)
	return nil
}

// rolloutJSON is a rollout as the commands print it.
func rolloutJSON(r store.Rollout) map[string]any {
	return map[string]any{"id": r.ID, "package": r.Package, "version": r.Version, "environment": r.Environment,
		"paused": r.Paused, "planning": r.Planning, "createdAt": r.CreatedAt}
}

func progressJSON(p rollout.Progress) map[string]any {
	failed := make([]map[string]any, 0, len(p.Failed))
	for _, in := range p.Failed {
		failed = append(failed, map[string]any{"id": in.ID, "owner": in.Owner, "message": in.Message, "attempts": in.Attempts})
	}
	return map[string]any{"rollout": rolloutJSON(p.Rollout), "counts": p.Counts, "total": p.Total,
		"remaining": p.Remaining(), "rate": p.Rate, "done": p.Done, "failed": failed}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
