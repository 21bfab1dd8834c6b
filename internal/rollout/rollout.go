// Package rollout upgrades every deployed instance of a new version that
// its owner can upgrade, and tracks each one durably (docs/rollout.md).
//
// Start plans a rollout from the runtime's live instances (the flags
// decide, internal/plan) and stores every instance's state. River jobs do
// the work: one driver job per rollout claims instances under leases and
// upgrades them within a rate budget shared by every replica and a
// concurrency limit; a periodic sweep, run by River's elected leader,
// replaces drivers that died with their process. The store, not a
// goroutine, holds every instance's state, so a crash at any point resumes
// without upgrading an instance twice or skipping one.
//
// The engine knows no GitHub type: progress reaches GitHub (the tracking
// issue, the check run) through a Reporter.
package rollout

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sync"
	"time"

	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/tray"
)

// Runtime is what the engine asks of Tray (*tray.Client).
type Runtime interface {
	Instances(ctx context.Context, f tray.InstanceFilter) iter.Seq2[tray.Instance, error]
	Instance(ctx context.Context, solutionID, id string) (tray.Instance, bool, error)
	UpgradeInstance(ctx context.Context, in tray.UpgradeInput) (*tray.Instance, error)
}

// Target is where one environment of a package runs.
type Target struct {
	Runtime    Runtime
	SolutionID string
	// Values are the owner's values for hidden and static slots (from the
	// configuration or secrets). The store keeps only their slot IDs; the
	// values are looked up here when an upgrade is sent.
	Values plan.Supplied
	// AsOwner sends each upgrade with its instance owner's user token
	// (when Tray requires it) instead of the master token.
	AsOwner bool
}

// Targets resolves a package's environment to its target.
type Targets interface {
	Target(ctx context.Context, pkg, environment string) (Target, error)
}

// TargetsFunc adapts a function to Targets.
type TargetsFunc func(ctx context.Context, pkg, environment string) (Target, error)

func (f TargetsFunc) Target(ctx context.Context, pkg, env string) (Target, error) {
	return f(ctx, pkg, env)
}

// Reporter shows a rollout's progress somewhere people look (the GitHub
// tracking issue and check run). The engine calls it after planning, at
// most once per Options.ReportInterval while the rollout runs, after
// every control, and when it ends; an error is logged, never fatal.
type Reporter interface {
	Report(ctx context.Context, p Progress) error
}

// Options configure an Engine. Targets is required.
type Options struct {
	Targets  Targets
	Reporter Reporter // nil: progress is only in the store (and GitHub's)
	// GitHub writes the progress of rollouts started from a deployment
	// to the tracking issue, the check run and the deployment status.
	GitHub GitHubOptions
	// Concurrency is how many upgrades of one rollout are in flight at
	// once (default 4; the configuration's rollout.concurrency).
	Concurrency int
	// Lease is how long a claimed instance belongs to its driver (default
	// 2m). No request for it is sent later than Lease-LeaseMargin after
	// the claim, so that a driver that lost it can never race the next.
	Lease       time.Duration
	LeaseMargin time.Duration // default Lease/4
	// DriverLease is how long a driver's heartbeat lasts: a driver that
	// died is replaced this long after its last one (default 15s).
	DriverLease time.Duration
	// Slice is how long a driver job runs before it hands the rollout
	// back to River (a snooze), so that a stop never waits long and any
	// replica can go on (default 20s).
	Slice time.Duration
	// SweepInterval is how often the leader looks for rollouts whose
	// driver died (default 10s).
	SweepInterval time.Duration
	// MaxAttempts bounds the tries of one instance through transient
	// failures (5xx, timeouts, 429s past Retry-After) before it is marked
	// failed; retry-failed starts over (default 8). MinBackoff doubles per
	// try up to MaxBackoff, unless Retry-After asks for longer.
	MaxAttempts            int
	MinBackoff, MaxBackoff time.Duration
	// ReportInterval spaces progress reports of a running rollout
	// (default 15s).
	ReportInterval time.Duration
	// Queue is the River queue of the engine's jobs (default "rollout";
	// the River config must have it, see Engine.Queues).
	Queue  string
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultConcurrency    = 4
	DefaultLease          = 2 * time.Minute
	DefaultDriverLease    = 15 * time.Second
	DefaultSlice          = 20 * time.Second
	DefaultSweepInterval  = 10 * time.Second
	DefaultMaxAttempts    = 8
	DefaultMinBackoff     = 2 * time.Second
	DefaultMaxBackoff     = 5 * time.Minute
	DefaultReportInterval = 15 * time.Second
	DefaultQueue          = "rollout"
)

func (o Options) withDefaults() Options {
	pos := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	pos(&o.Lease, DefaultLease)
	pos(&o.LeaseMargin, o.Lease/4)
	pos(&o.DriverLease, DefaultDriverLease)
	pos(&o.Slice, DefaultSlice)
	pos(&o.SweepInterval, DefaultSweepInterval)
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	pos(&o.MinBackoff, DefaultMinBackoff)
	pos(&o.MaxBackoff, DefaultMaxBackoff)
	pos(&o.ReportInterval, DefaultReportInterval)
	if o.Queue == "" {
		o.Queue = DefaultQueue
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	o.GitHub = o.GitHub.withDefaults()
	return o
}

// Engine runs rollouts. Create it with New, register its jobs with River
// (AddWorkers, PeriodicJobs, Queues) before the store opens, then give it
// the store with Bind before the store starts working jobs.
type Engine struct {
	opts  Options
	store *store.Store
	log   *slog.Logger

	mu       sync.Mutex
	reported map[int64]time.Time // last progress report per rollout, in this process
	// reporting orders one rollout's GitHub reports in this process: a
	// report reads the progress, then writes it, so two at once could land
	// the older progress last.
	reporting map[int64]*sync.Mutex
}

// New makes an engine; it fails without Targets.
func New(opts Options) (*Engine, error) {
	if opts.Targets == nil {
		return nil, errors.New("rollout: no Targets to resolve an environment to its runtime")
	}
	opts = opts.withDefaults()
	if opts.LeaseMargin >= opts.Lease {
		return nil, fmt.Errorf("rollout: the lease margin %s leaves nothing of the lease %s", opts.LeaseMargin, opts.Lease)
	}
	return &Engine{opts: opts, log: opts.Logger, reported: map[int64]time.Time{}, reporting: map[int64]*sync.Mutex{}}, nil
}

// Bind gives the engine its store. River's workers need the engine before
// the store opens, and the engine needs the open store: call Bind between
// store.Open and store.Start.
func (e *Engine) Bind(st *store.Store) { e.store = st }

func (e *Engine) bound() error {
	if e.store == nil {
		return errors.New("rollout: the engine has no store (Bind it after store.Open)")
	}
	return nil
}

// Progress is where a rollout stands.
type Progress struct {
	Rollout store.Rollout `json:"-"`
	// Counts per state, every state present.
	Counts map[store.InstanceState]int `json:"counts"`
	Total  int                         `json:"total"`
	// Rate is instances upgraded, needing their user or failed per second
	// over the last RateWindow.
	Rate float64 `json:"rate"`
	// Done: nothing is pending or in flight.
	Done bool `json:"done"`
	// Failed are some failed instances with the runtime's message (at most
	// FailedShown).
	Failed []store.Instance `json:"-"`
}

// RateWindow is the window of Progress.Rate.
const RateWindow = 30 * time.Second

// FailedShown bounds Progress.Failed.
const FailedShown = 20

// Remaining is how many instances are pending or in flight.
func (p Progress) Remaining() int {
	return p.Counts[store.StatePending] + p.Counts[store.StateInFlight]
}

// Status reads a rollout's progress.
func (e *Engine) Status(ctx context.Context, rolloutID int64) (Progress, error) {
	if err := e.bound(); err != nil {
		return Progress{}, err
	}
	r, err := e.store.Rollout(ctx, rolloutID)
	if err != nil {
		return Progress{}, err
	}
	counts, err := e.store.RolloutCounts(ctx, rolloutID)
	if err != nil {
		return Progress{}, err
	}
	recent, err := e.store.SettledSince(ctx, rolloutID, time.Now().Add(-RateWindow))
	if err != nil {
		return Progress{}, err
	}
	failed, err := e.store.Instances(ctx, rolloutID, store.StateFailed, "", FailedShown)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{Rollout: r, Counts: counts, Failed: failed}
	for _, n := range counts {
		p.Total += n
	}
	p.Rate = float64(recent) / RateWindow.Seconds()
	p.Done = !r.Planning && p.Remaining() == 0
	return p, nil
}

// reportDue reports whether a running rollout's progress was last reported
// by this process at least ReportInterval ago.
func (e *Engine) reportDue(rolloutID int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return time.Since(e.reported[rolloutID]) >= e.opts.ReportInterval
}

// report shows the rollout's progress where people look: the Reporter,
// and the GitHub surfaces of a rollout started from a deployment. A report
// held back by GitHub's throttles, or failed, is made again later by a
// job, so the latest state always lands.
func (e *Engine) report(ctx context.Context, rolloutID int64) { e.reportWith(ctx, rolloutID, false) }

func (e *Engine) reportWith(ctx context.Context, rolloutID int64, force bool) {
	e.mu.Lock()
	e.reported[rolloutID] = time.Now()
	lock := e.reporting[rolloutID]
	if lock == nil {
		lock = &sync.Mutex{}
		e.reporting[rolloutID] = lock
	}
	e.mu.Unlock()
	if e.opts.GitHub.Client != nil {
		// One report of a rollout at a time; a progress report that would
		// wait is made later instead (the driver does not wait for GitHub).
		if force {
			lock.Lock()
		} else if !lock.TryLock() {
			e.reportLater(ctx, rolloutID, e.opts.GitHub.EditInterval)
			return
		}
		defer lock.Unlock()
	}
	p, err := e.Status(ctx, rolloutID)
	if err != nil {
		e.log.LogAttrs(ctx, slog.LevelWarn, "rollout progress not read", slog.Int64("rollout", rolloutID), slog.String("error", err.Error()))
		return
	}
	if e.opts.Reporter != nil {
		if err := e.opts.Reporter.Report(ctx, p); err != nil {
			e.log.LogAttrs(ctx, slog.LevelWarn, "rollout progress not reported", slog.Int64("rollout", rolloutID), slog.String("error", err.Error()))
		}
	}
	err = e.reportGitHub(ctx, p, force)
	var d *errDeferred
	switch {
	case errors.As(err, &d):
		e.reportLater(ctx, rolloutID, d.after)
	case err != nil:
		e.log.LogAttrs(ctx, slog.LevelWarn, "rollout progress not written to GitHub; trying again", slog.Int64("rollout", rolloutID), slog.String("error", err.Error()))
		e.reportLater(ctx, rolloutID, e.opts.GitHub.EditInterval)
	}
}
