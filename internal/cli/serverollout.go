package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/breakwater-dev/breakwater/internal/bot"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/rollout"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/tray"
)

// The rollout inside `breakwater serve`: the bot's extension points get the
// engine's jobs, its deployment_status and issues handlers and its
// commands. Faces do not import each other, so the wiring is here.

// EnvRolloutValues holds the owner's values for hidden slots, as JSON:
// {"config": {"SLOT": "JSON text"}, "auth": {"SLOT": "authId"}}. A secret.
const EnvRolloutValues = "BREAKWATER_ROLLOUT_VALUES"

// EnvAPIToken is the bearer token of the versions API (off without it).
const EnvAPIToken = "BREAKWATER_API_TOKEN"

type serveRolloutOptions struct {
	rate        float64
	burst       int
	concurrency int
	lease       time.Duration
	heartbeat   time.Duration
	slice       time.Duration
	workflow    string
}

func (o *serveRolloutOptions) register(fs *flag.FlagSet) {
	fs.Float64Var(&o.rate, "tray-rate-limit", tray.DefaultRateLimit, "Tray's rate limit: `N` requests per second, shared by every replica through the database;\na repository's rollout.rate-limit paces its rollouts within it")
	fs.IntVar(&o.burst, "tray-burst", 50, "Tray's burst: how many requests (`N`) it takes at once above the rate")
	fs.IntVar(&o.concurrency, "rollout-concurrency", rollout.DefaultConcurrency, "how many upgrades (`N`) of one rollout are in flight at once; a repository's\nrollout.concurrency can only lower it")
	fs.DurationVar(&o.lease, "rollout-lease", rollout.DefaultLease, "how long a claimed instance belongs to its replica (`duration`)")
	fs.DurationVar(&o.heartbeat, "rollout-heartbeat", rollout.DefaultDriverLease, "how long a rollout's driver is trusted without a heartbeat (`duration`)")
	fs.DurationVar(&o.slice, "rollout-slice", rollout.DefaultSlice, "how long a driver works before handing the rollout back to the queue (`duration`)")
	fs.StringVar(&o.workflow, "release-workflow", "release.yml", "the release `workflow` file a rollback runs (inputs version and environment)")
}

// rolloutValues reads EnvRolloutValues.
func rolloutValues(env Env) (plan.Supplied, error) {
	var v plan.Supplied
	raw := env.Getenv(EnvRolloutValues)
	if raw == "" {
		return v, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&struct {
		Config *map[string]string `json:"config"`
		Auth   *map[string]string `json:"auth"`
	}{&v.Config, &v.Auth}); err != nil {
		// The value is a secret: say where, never what.
		return v, fmt.Errorf("%s is not {\"config\": {SLOT: JSON text}, \"auth\": {SLOT: authId}}: %s", EnvRolloutValues, jsonErrorKind(err))
	}
	for slot, val := range v.Config {
		if !json.Valid([]byte(val)) {
			return v, fmt.Errorf("%s: the value of config slot %q is not JSON text (a string needs its quotes inside: \"\\\"eu\\\"\")", EnvRolloutValues, slot)
		}
	}
	return v, nil
}

// jsonErrorKind says what is wrong with JSON without quoting it (it holds
// secrets).
func jsonErrorKind(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("not JSON (at byte %d)", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("%s is not a %s", te.Field, te.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return err.Error()
	}
	return "not JSON"
}

// botBudget is the store's rate budget once the bot has opened it (the
// bot is set after it is made: its Tray client needs the limiter first).
type botBudget struct{ b *bot.Bot }

func (r *botBudget) store() (*store.Store, error) {
	if r.b != nil {
		if st := r.b.Store(); st != nil {
			return st, nil
		}
	}
	return nil, errors.New("the store is not open yet")
}

func (r *botBudget) ReserveRate(ctx context.Context, key string, n int, interval time.Duration, from time.Time) (time.Time, error) {
	st, err := r.store()
	if err != nil {
		return time.Time{}, err
	}
	return st.ReserveRate(ctx, key, n, interval, from)
}

func (r *botBudget) DeferRate(ctx context.Context, key string, until time.Time) error {
	st, err := r.store()
	if err != nil {
		return err
	}
	return st.DeferRate(ctx, key, until)
}

// serveTrayLimiter paces the bot's Tray client with the budget every
// replica shares (the rollout's and the pull requests' plans together).
func serveTrayLimiter(cfg bot.Config, budget *botBudget, o *serveRolloutOptions) (*rollout.SharedLimiter, error) {
	url := cfg.TrayURL
	if url == "" {
		url, _ = tray.RegionUS.GraphQLURL()
	}
	return rollout.NewSharedLimiter(budget, "tray:"+url, rollout.LimiterOptions{Rate: o.rate, Burst: o.burst, Logger: cfg.Logger})
}

// wireRollout registers the rollout engine with the bot.
func wireRollout(b *bot.Bot, env Env, o *serveRolloutOptions, log *slog.Logger) error {
	values, err := rolloutValues(env)
	if err != nil {
		return err
	}
	var eng *rollout.Engine
	targets := rollout.TargetsFunc(func(ctx context.Context, pkg, environment string) (rollout.Target, error) {
		if b.Tray() == nil {
			return rollout.Target{}, fmt.Errorf("no Tray token: set %s to roll out", bot.EnvTrayToken)
		}
		sol, err := eng.DeployedSolution(ctx, pkg, environment)
		if err != nil {
			return rollout.Target{}, err
		}
		return rollout.Target{Runtime: b.Tray(), SolutionID: sol, Values: values}, nil
	})
	eng, err = rollout.New(rollout.Options{Targets: targets, Concurrency: o.concurrency, Lease: o.lease, DriverLease: o.heartbeat,
		Slice: o.slice, Logger: log, GitHub: rollout.GitHubOptions{ReleaseWorkflow: o.workflow,
			Client: func(_ context.Context, installation int64) (rollout.GitHub, error) {
				return b.Installation(installation)
			}}})
	if err != nil {
		return err
	}
	eng.AddWorkers(b.Workers())
	for _, j := range eng.PeriodicJobs() {
		b.AddPeriodicJob(j)
	}
	for name, q := range eng.Queues(4) {
		b.AddQueue(name, q)
	}
	b.HandleHTTP(rollout.APIPrefix, eng.API(env.Getenv(EnvAPIToken)))
	b.OnOpen(func(ctx context.Context, st *store.Store) error {
		eng.Bind(st)
		// Alone after a crash, do not wait to become River's leader.
		return eng.Recover(context.WithoutCancel(ctx))
	})
	b.Handle("deployment_status", func(ctx context.Context, ev bot.Event) error {
		ds, err := githubapi.ParseDeploymentStatusEvent(ev.Payload)
		if err != nil {
			return river.JobCancel(err)
		}
		gh, err := b.Installation(ev.InstallationID)
		if err != nil {
			return river.JobCancel(err)
		}
		return eng.OnDeploymentStatus(ctx, ds, rollout.Deployed{Installation: ev.InstallationID, Contents: gh, Pipeline: b.Engine()})
	})
	b.Handle("issues", func(ctx context.Context, ev bot.Event) error {
		is, err := githubapi.ParseIssuesEvent(ev.Payload)
		if err != nil {
			return river.JobCancel(err)
		}
		return eng.OnIssueEdited(ctx, is, ev.InstallationID)
	})
	command := func(ctx context.Context, c *bot.CommandCall) error {
		reply, err := eng.Command(ctx, c.GitHub, c.Repo, c.Number, c.Name, c.Args)
		if err != nil {
			return err
		}
		return c.Reply(ctx, reply)
	}
	b.Command("rollout", bot.Command{Usage: "/breakwater rollout pause|resume|retry [version]",
		Summary: "pause, resume or retry the failed instances of the repository's rollout", Run: command})
	b.Command("rollback", bot.Command{Usage: "/breakwater rollback [version]",
		Summary: "roll the environment back to a version (the one before by default), never across an auth-breaking change", Run: command})
	return nil
}
