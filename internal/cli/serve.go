package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/bot"
)

type serveOptions struct {
	addr       string
	database   string
	jobTimeout time.Duration
	workers    int
	grace      time.Duration
	logLevel   string
	rollout    serveRolloutOptions
}

func newServeCmd() *command {
	o := &serveOptions{}
	c := &command{
		name:    "serve",
		summary: "Run the GitHub App bot: webhooks, upgrade plans in pull requests, commands",
		help: `Serves GitHub's webhook deliveries on POST /webhook, plus /healthz,
/readyz and Prometheus /metrics, and works them from a durable job queue in
the database (SQLite by default, nothing to install; PostgreSQL for several
replicas). Logs are JSON on standard error. SIGINT or SIGTERM shuts down
gracefully: requests in flight finish, running jobs get --shutdown-grace,
then go back to the queue for the next process.

Environment (secrets only from here, never flags; never logged):
  ` + bot.EnvWebhookSecret + `           the webhook secret (required)
  ` + bot.EnvWebhookSecretPrevious + `  the previous secret, accepted too while rotating
  ` + bot.EnvAppID + `                   the GitHub App's ID (required)
  ` + bot.EnvPrivateKey + `              the app's private key, PEM text, or
  ` + bot.EnvPrivateKeyFile + `         a file holding it (one of the two is required)
  ` + bot.EnvGitHubAPIURL + `           GitHub's REST API (default ` + bot.DefaultAPIURL + `;
                                      GitHub Enterprise Server: https://HOST/api/v3)
  ` + bot.EnvTrayToken + `               Tray's Embedded master token: upgrade plans in
                                      pull requests (off without it)
  ` + bot.EnvTrayURL + `                 Tray's Embedded GraphQL URL (default https://tray.io/graphql)
  ` + EnvRolloutValues + `           the owner's values for hidden slots, sent by rollouts, as JSON:
                                      {"config": {"SLOT": "JSON text"}, "auth": {"SLOT": "authId"}}
  ` + EnvAPIToken + `                the bearer token of the versions API (/api/v1/…; off without it)
  ` + bot.EnvAddr + `, ` + bot.EnvDatabaseURL + `  defaults of --addr and --database

A successful deployment_status from the release path starts the rollout of
the deployed version to the Tray solution the release's configuration
names (environments[].tray.solution-id, else tray.solution-id): one
tracking issue per release with checkbox controls, a check run on the
release commit, a deployment status at the end; commands
/breakwater rollout pause|resume|retry and /breakwater rollback. See
docs/rollout.md.

Each repository names its Tray solution in .github/breakwater.yml
(tray.solution-id), read from the pull request's base. docs/bot.md has the
GitHub App manifest and how to run it locally, with PostgreSQL, and from the
container image.`,
	}
	c.flags = newFlagSet(c)
	c.flags.StringVar(&o.addr, "addr", "", "`host:port` to listen on (default $"+bot.EnvAddr+", else "+bot.DefaultAddr+")")
	c.flags.StringVar(&o.database, "database", "", "database `URL`: sqlite:PATH or postgres://… (default $"+bot.EnvDatabaseURL+", else "+bot.DefaultDatabaseURL+")")
	c.flags.DurationVar(&o.jobTimeout, "job-timeout", bot.DefaultJobTimeout, "the longest one delivery's work may take; a job left running by a dead\nprocess is retried twice this long after it started")
	c.flags.IntVar(&o.workers, "workers", bot.DefaultWorkers, "jobs worked at once by this process")
	c.flags.DurationVar(&o.grace, "shutdown-grace", 20*time.Second, "how long running jobs may finish at shutdown")
	c.flags.StringVar(&o.logLevel, "log-level", "info", "`level` of the JSON logs: debug, info, warn or error")
	o.rollout.register(c.flags)
	c.run = func(ctx context.Context, env Env, args []string) error {
		if len(args) > 0 {
			return fmt.Errorf("serve takes no arguments, got %q", args)
		}
		cfg, err := serveConfig(env, o)
		if err != nil {
			return err
		}
		budget := &botBudget{}
		if cfg.TrayLimiter, err = serveTrayLimiter(cfg, budget, &o.rollout); err != nil {
			return err
		}
		b, err := bot.New(cfg)
		if err != nil {
			return err
		}
		budget.b = b
		if err := wireRollout(b, env, &o.rollout, cfg.Logger); err != nil {
			return err
		}
		return b.Run(ctx, func(addr string) {})
	}
	return c
}

// serveConfig reads the flags and the environment.
func serveConfig(env Env, o *serveOptions) (bot.Config, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return bot.Config{}, fmt.Errorf("--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	cfg := bot.Config{
		Addr:          first(o.addr, env.Getenv(bot.EnvAddr)),
		DatabaseURL:   first(o.database, env.Getenv(bot.EnvDatabaseURL)),
		GitHubAPIURL:  env.Getenv(bot.EnvGitHubAPIURL),
		TrayToken:     env.Getenv(bot.EnvTrayToken),
		TrayURL:       env.Getenv(bot.EnvTrayURL),
		JobTimeout:    o.jobTimeout,
		Workers:       o.workers,
		ShutdownGrace: o.grace,
		Version:       env.Version,
		Logger:        slog.New(slog.NewJSONHandler(env.Stderr, &slog.HandlerOptions{Level: level})),
	}
	if s := env.Getenv(bot.EnvWebhookSecret); s != "" {
		cfg.WebhookSecrets = append(cfg.WebhookSecrets, []byte(s))
	} else {
		return cfg, errors.New("no webhook secret: set " + bot.EnvWebhookSecret + " to the secret of the GitHub App's webhook; breakwater serve does not start without one")
	}
	if s := env.Getenv(bot.EnvWebhookSecretPrevious); s != "" {
		cfg.WebhookSecrets = append(cfg.WebhookSecrets, []byte(s))
	}
	if s := strings.TrimSpace(env.Getenv(bot.EnvAppID)); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return cfg, fmt.Errorf("%s is %q: want the app's numeric ID", bot.EnvAppID, s)
		}
		cfg.AppID = id
	}
	key, file := env.Getenv(bot.EnvPrivateKey), env.Getenv(bot.EnvPrivateKeyFile)
	switch {
	case key != "" && file != "":
		return cfg, fmt.Errorf("set %s or %s, not both", bot.EnvPrivateKey, bot.EnvPrivateKeyFile)
	case file != "":
		data, err := os.ReadFile(env.path(file))
		if err != nil {
			return cfg, fmt.Errorf("reading %s: %w", bot.EnvPrivateKeyFile, err)
		}
		cfg.PrivateKey = data
	default:
		cfg.PrivateKey = []byte(key)
	}
	return cfg, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
