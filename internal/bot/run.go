package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river"

	"github.com/breakwater-dev/breakwater/internal/store"
)

// Names of the environment variables `breakwater serve` reads (its flags
// fall back to them).
const (
	EnvAddr                  = "BREAKWATER_ADDR"
	EnvWebhookSecret         = "BREAKWATER_WEBHOOK_SECRET"
	EnvWebhookSecretPrevious = "BREAKWATER_WEBHOOK_SECRET_PREVIOUS"
	EnvAppID                 = "BREAKWATER_APP_ID"
	EnvPrivateKey            = "BREAKWATER_PRIVATE_KEY"
	EnvPrivateKeyFile        = "BREAKWATER_PRIVATE_KEY_FILE"
	EnvDatabaseURL           = "BREAKWATER_DATABASE_URL"
	EnvGitHubAPIURL          = "BREAKWATER_GITHUB_API_URL"
	EnvTrayToken             = "BREAKWATER_TRAY_TOKEN"
	EnvTrayURL               = "BREAKWATER_TRAY_URL"
)

// Open opens the store (migrating it) with the bot's River workers and
// periodic jobs; Run calls it. Tests that drive the handler directly call
// it themselves.
func (b *Bot) Open(ctx context.Context) (*store.Store, error) {
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: b.cfg.Workers}}
	for name, q := range b.queues {
		queues[name] = q
	}
	rc := &river.Config{
		Queues:               queues,
		Workers:              b.workers,
		PeriodicJobs:         b.periodic,
		JobTimeout:           b.cfg.JobTimeout,
		RescueStuckJobsAfter: 2 * b.cfg.JobTimeout,
		FetchPollInterval:    b.cfg.PollInterval,
		FetchCooldown:        min(b.cfg.PollInterval, 100*time.Millisecond),
		SoftStopTimeout:      b.cfg.ShutdownGrace,
		ErrorHandler:         &jobErrors{b: b},
	}
	st, err := store.Open(ctx, b.cfg.DatabaseURL, store.Options{River: rc, Logger: b.log, Now: b.cfg.Now})
	if err != nil {
		return nil, err
	}
	for _, fn := range b.onOpen {
		if err := fn(ctx, st); err != nil {
			st.Close()
			return nil, err
		}
	}
	b.mu.Lock()
	b.st, b.ready = st, true
	b.mu.Unlock()
	b.metrics.watchQueue(st)
	return st, nil
}

// Handler is the bot's HTTP handler: /webhook, /healthz, /readyz, /metrics.
func (b *Bot) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/webhook", http.HandlerFunc(b.serveWebhook))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", b.serveReady)
	mux.Handle("/metrics", promhttp.HandlerFor(b.metrics.reg, promhttp.HandlerOpts{}))
	for pattern, h := range b.routes {
		mux.Handle(pattern, h)
	}
	return mux
}

// serveReady answers 200 once the store is open and migrated, and while it
// answers; 503 otherwise, and from the moment shutdown begins.
func (b *Bot) serveReady(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	st, ready := b.st, b.ready
	b.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if st == nil || !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: starting or stopping")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := st.Ping(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: the store does not answer")
		return
	}
	fmt.Fprintln(w, "ready")
}

// Run opens the store, starts the workers and serves HTTP on cfg.Addr
// until ctx ends; then it shuts down gracefully: it stops taking requests
// and lets those in flight finish, then lets running jobs finish for
// ShutdownGrace, after which River makes the rest available to another
// process (or this one after a restart). ready, if not nil, receives the
// address listened on once requests are taken.
func (b *Bot) Run(ctx context.Context, ready func(addr string)) error {
	st, err := b.Open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	// Learning the app's name waits on GitHub (retries included), which
	// must not hold back deliveries or health checks: it runs beside them.
	// Not fatal: GitHub may be briefly unreachable; jobs ask again.
	var learning sync.WaitGroup
	defer learning.Wait()
	appCtx, stopLearning := context.WithCancel(ctx)
	defer stopLearning() // before the Wait above: Run never outlives it
	learning.Go(func() {
		if _, err := b.App(appCtx); err != nil && appCtx.Err() == nil {
			b.log.Warn("could not learn the app's name from GitHub yet", "err", err)
		}
	})
	ln, err := net.Listen("tcp", b.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s (--addr): %w", b.cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           b.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second, // a 25 MB body on a slow link
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	if err := st.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	b.log.Info("breakwater serve is ready", "addr", ln.Addr().String(), "database", st.Location().String(),
		"app_id", b.cfg.AppID, "github", b.cfg.GitHubAPIURL, "plans", b.tray != nil, "version", b.cfg.Version)
	if ready != nil {
		ready(ln.Addr().String())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		st.Stop(context.WithoutCancel(ctx)) //nolint:errcheck // the serve error is the one to report
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}
	b.log.Info("shutting down: finishing requests in flight, then running jobs", "grace", b.cfg.ShutdownGrace)
	b.mu.Lock()
	b.ready = false
	b.mu.Unlock()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), b.cfg.ShutdownGrace+5*time.Second)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("stopping the HTTP server: %w", err))
	}
	if err := st.Stop(sctx); err != nil {
		errs = append(errs, err)
	}
	b.log.Info("stopped")
	return errors.Join(errs...)
}
