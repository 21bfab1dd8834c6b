// Package bot is the GitHub App face of Breakwater (`breakwater serve`): an
// HTTP server that verifies and durably records GitHub's webhook
// deliveries, and River jobs that act on them — the same pull request check
// as the Action (internal/prcheck, internal/prsurface) through the app's
// installation token, so pull requests from forks get it too, plus the
// upgrade plan of the deployed Tray instances; comment commands; the
// installations it covers.
//
// A delivery is acknowledged (202) only once it and its job are committed
// to the store, so nothing acknowledged is lost; a redelivery of the same
// X-GitHub-Delivery has no second effect. See docs/bot.md.
//
// Extension points (the rollout registers into them before Run):
//   - Handle adds a handler for a webhook event (release, deployment_status,
//     issues, check_run…); handlers run inside the delivery's job.
//   - Command adds a `/breakwater <name>` comment command.
//   - Workers registers River workers; AddPeriodicJob adds periodic jobs
//     (enqueued by the elected leader only).
//   - Store, Installation, InstallationFor, Tray and Registry give handlers
//     and workers the store, GitHub clients, the Tray client and metrics.
package bot

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/tray"
)

// Defaults.
const (
	DefaultAddr        = "127.0.0.1:8080"
	DefaultDatabaseURL = "sqlite:breakwater.db"
	DefaultAPIURL      = "https://api.github.com"
	// MaxPayload is the largest body GitHub sends (25 MB); a bigger one is
	// refused with 413.
	MaxPayload = 25 << 20
	// DefaultJobTimeout bounds one delivery's work. River rescues a job
	// left running by a dead process once it has run twice that long
	// (RescueStuckJobsAfter, above the longest job).
	DefaultJobTimeout = 10 * time.Minute
	DefaultWorkers    = 4
	// DeliveryRetention is how long processed deliveries are kept for
	// deduplication: longer than the 3 days GitHub lets one be redelivered.
	DeliveryRetention = 7 * 24 * time.Hour
)

// Config configures the bot. Secrets (webhook secrets, private key, Tray
// token) are never logged.
type Config struct {
	Addr string
	// WebhookSecrets are accepted for X-Hub-Signature-256: the current one
	// first, then the previous one while a rotation is under way.
	WebhookSecrets [][]byte
	AppID          int64
	PrivateKey     []byte
	DatabaseURL    string
	// GitHubAPIURL is https://api.github.com or a GitHub Enterprise
	// Server's https://HOST/api/v3.
	GitHubAPIURL string
	// TrayToken is the Embedded master token; empty turns upgrade plans off.
	TrayToken string
	TrayURL   string // Embedded GraphQL endpoint (default Tray's US one)
	// TrayLimiter paces the Tray client instead of its own 30 requests a
	// second: the rollout's budget shared by every replica.
	TrayLimiter tray.Limiter
	// MaxPayload caps a delivery's body (default MaxPayload).
	MaxPayload int64
	JobTimeout time.Duration
	Workers    int
	// ShutdownGrace is how long shutdown lets requests and running jobs
	// finish; jobs still running then are cancelled and River hands them
	// to the next process.
	ShutdownGrace time.Duration
	// PollInterval is how often idle workers look for jobs (PostgreSQL
	// also notifies them at once).
	PollInterval time.Duration
	Logger       *slog.Logger
	Version      string
	// Now is the clock for check runs and the store (tests).
	Now func() time.Time
	// Transport carries GitHub's and Tray's requests (tests; default
	// http.DefaultTransport), measured for /metrics.
	Transport http.RoundTripper
}

// Bot is the server and its job workers.
type Bot struct {
	cfg     Config
	log     *slog.Logger
	apps    *githubapi.Apps
	engine  *engine.Engine
	tray    *tray.Client
	metrics *metrics
	server  string // web URL of GitHub, for links

	handlers map[string][]Handler
	commands map[string]Command
	workers  *river.Workers
	periodic []*river.PeriodicJob
	queues   map[string]river.QueueConfig
	routes   map[string]http.Handler
	onOpen   []func(ctx context.Context, st *store.Store) error

	mu    sync.Mutex
	st    *store.Store
	app   githubapi.App // learned from GET /app
	ready bool
}

// New checks the configuration and builds the bot; it connects to nothing.
func New(cfg Config) (*Bot, error) {
	if len(cfg.WebhookSecrets) == 0 || len(cfg.WebhookSecrets[0]) == 0 {
		return nil, errors.New("no webhook secret: set " + EnvWebhookSecret + " (the secret of the GitHub App's webhook)")
	}
	for _, s := range cfg.WebhookSecrets {
		if len(s) == 0 {
			return nil, errors.New("an empty webhook secret: " + EnvWebhookSecretPrevious + " must be unset or the previous secret")
		}
	}
	if cfg.AppID <= 0 {
		return nil, errors.New("no GitHub App ID: set " + EnvAppID + " (the app's settings page shows it)")
	}
	if len(cfg.PrivateKey) == 0 {
		return nil, errors.New("no GitHub App private key: set " + EnvPrivateKey + " (PEM text) or " + EnvPrivateKeyFile)
	}
	cfg.Addr = cmp.Or(cfg.Addr, DefaultAddr)
	cfg.DatabaseURL = cmp.Or(cfg.DatabaseURL, DefaultDatabaseURL)
	cfg.GitHubAPIURL = strings.TrimRight(cmp.Or(cfg.GitHubAPIURL, DefaultAPIURL), "/")
	positive(&cfg.MaxPayload, MaxPayload)
	positive(&cfg.JobTimeout, DefaultJobTimeout)
	positive(&cfg.Workers, DefaultWorkers)
	positive(&cfg.ShutdownGrace, store.DefaultShutdownGrace)
	positive(&cfg.PollInterval, 200*time.Millisecond)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	b := &Bot{cfg: cfg, log: cfg.Logger, metrics: newMetrics(), handlers: map[string][]Handler{},
		commands: map[string]Command{}, workers: river.NewWorkers()}
	var err error
	if b.server, err = webURL(cfg.GitHubAPIURL); err != nil {
		return nil, err
	}
	b.apps, err = githubapi.NewApps(githubapi.AppConfig{
		APIURL: cfg.GitHubAPIURL, AppID: cfg.AppID, PrivateKey: cfg.PrivateKey,
		Transport: b.metrics.instrument("github", cfg.Transport), UserAgent: "breakwater/" + cfg.Version,
	})
	if err != nil {
		return nil, err
	}
	if b.engine, err = engine.New(); err != nil {
		return nil, err
	}
	if cfg.TrayToken != "" {
		b.tray, err = tray.New(tray.Options{MasterToken: cfg.TrayToken, GraphQLURL: cfg.TrayURL, Logger: cfg.Logger, Limiter: cfg.TrayLimiter,
			HTTPClient: &http.Client{Transport: b.metrics.instrument("tray", cfg.Transport)}})
		if err != nil {
			return nil, err
		}
	}
	river.AddWorker(b.workers, &deliveryWorker{b: b})
	river.AddWorker(b.workers, &pruneWorker{b: b})
	b.AddPeriodicJob(river.NewPeriodicJob(river.PeriodicInterval(6*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return pruneArgs{}, nil }, &river.PeriodicJobOpts{ID: "prune_deliveries"}))
	b.registerDefaults()
	return b, nil
}

// positive sets *v to def unless it is above zero.
func positive[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// webURL is GitHub's web URL for an API URL: api.github.com serves
// github.com; GitHub Enterprise Server's API is https://HOST/api/v3.
func webURL(api string) (string, error) {
	u, err := url.Parse(api)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s is %q: want an http(s) URL such as %s", EnvGitHubAPIURL, api, DefaultAPIURL)
	}
	if u.Host == "api.github.com" {
		return "https://github.com", nil
	}
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/api/v3")
	return strings.TrimRight(u.String(), "/"), nil
}

// Handle adds a handler for a webhook event (X-GitHub-Event); handlers of
// one event run in the order they were added, inside the delivery's job.
// Call before Run.
func (b *Bot) Handle(event string, h Handler) {
	b.handlers[event] = append(b.handlers[event], h)
}

// Command adds a `/breakwater NAME …` comment command. Call before Run.
func (b *Bot) Command(name string, c Command) { b.commands[name] = c }

// Workers is River's worker registry: add workers (river.AddWorker) before
// Run. Their jobs are enqueued with Store().Enqueue, or with a store write.
func (b *Bot) Workers() *river.Workers { return b.workers }

// AddPeriodicJob adds a periodic job before Run; only the elected leader
// among the replicas enqueues it.
func (b *Bot) AddPeriodicJob(j *river.PeriodicJob) { b.periodic = append(b.periodic, j) }

// AddQueue adds a River queue of its own (long jobs that must not hold the
// deliveries' workers) before Run.
func (b *Bot) AddQueue(name string, q river.QueueConfig) {
	if b.queues == nil {
		b.queues = map[string]river.QueueConfig{}
	}
	b.queues[name] = q
}

// HandleHTTP serves more of the bot's HTTP API under pattern (a
// net/http.ServeMux pattern, e.g. "/api/v1/"). Call before Run.
func (b *Bot) HandleHTTP(pattern string, h http.Handler) {
	if b.routes == nil {
		b.routes = map[string]http.Handler{}
	}
	b.routes[pattern] = h
}

// OnOpen adds a function Open calls once the store is open and before
// its jobs are worked (to hand the store to what needs it).
func (b *Bot) OnOpen(fn func(ctx context.Context, st *store.Store) error) {
	b.onOpen = append(b.onOpen, fn)
}

// Store is the open store (nil before Run opened it).
func (b *Bot) Store() *store.Store {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.st
}

// Tray is the Tray client, nil when no Tray token is configured.
func (b *Bot) Tray() *tray.Client { return b.tray }

// Engine is the shared comparison pipeline.
func (b *Bot) Engine() *engine.Engine { return b.engine }

// Installation is the GitHub client of an installation (tokens cached and
// renewed before they expire).
func (b *Bot) Installation(id int64) (*githubapi.Client, error) { return b.apps.Installation(id) }

// InstallationFor is the GitHub client of the installation covering repo:
// the one the store recorded from installation events, else the one GitHub
// names (GET /repos/{owner}/{repo}/installation).
func (b *Bot) InstallationFor(ctx context.Context, repo githubapi.Repo) (*githubapi.Client, error) {
	if st := b.Store(); st != nil {
		id, err := st.InstallationForRepo(ctx, repo.String())
		if err == nil {
			return b.apps.Installation(id)
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	id, err := b.apps.RepoInstallation(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("the GitHub App is not installed on %s: %w", repo, err)
	}
	return b.apps.Installation(id)
}

// App is the GitHub App the bot runs as (GET /app, asked once).
func (b *Bot) App(ctx context.Context) (githubapi.App, error) {
	b.mu.Lock()
	app := b.app
	b.mu.Unlock()
	if app.ID != 0 {
		return app, nil
	}
	app, err := b.apps.Describe(ctx)
	if err != nil {
		return githubapi.App{}, fmt.Errorf("learning the app's name: %w", err)
	}
	if app.ID != b.cfg.AppID {
		return githubapi.App{}, fmt.Errorf("GitHub says the private key belongs to app %d, not %s=%d", app.ID, EnvAppID, b.cfg.AppID)
	}
	b.mu.Lock()
	b.app = app
	b.mu.Unlock()
	return app, nil
}
