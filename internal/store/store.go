// Package store is the bot's durable store: webhook deliveries, GitHub App
// installations, version history, rollouts with per-instance state, and
// River jobs, on SQLite (one file, the zero-setup default) or PostgreSQL
// (several replicas sharing one database). See docs/store.md.
//
// Every operation is the same on both backends; the conformance suite in
// this package runs on both.
package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Errors callers branch on; returned errors wrap them with context.
var (
	ErrNotFound = errors.New("not found")
	// ErrConflict: the record exists with different content (a version is
	// immutable once recorded).
	ErrConflict = errors.New("conflicts with the stored record")
	// ErrInvalid: an argument is missing or malformed.
	ErrInvalid = errors.New("invalid argument")
	// ErrNotClaimable: the instance is not pending, its lease has not
	// expired, or its retry time has not come.
	ErrNotClaimable = errors.New("instance cannot be claimed")
	// ErrLeaseLost: the claim's lease expired and another worker claimed the
	// instance since; the result must not be recorded.
	ErrLeaseLost = errors.New("lease lost to another claim")
	// ErrRolloutPaused: the rollout is paused, so nothing can be claimed.
	ErrRolloutPaused = errors.New("rollout is paused")
)

// DefaultShutdownGrace is how long Stop lets running jobs finish before it
// cancels them (River then makes them available again at once).
const DefaultShutdownGrace = 20 * time.Second

// Options configure Open. The zero value opens an insert-only store: jobs
// can be enqueued but not worked.
type Options struct {
	Logger *slog.Logger
	// River configures the job client: Workers, Queues, PeriodicJobs,
	// RetryPolicy, SoftStopTimeout (default DefaultShutdownGrace)… Schema
	// is set by the store from the URL. Nil means insert-only.
	River *river.Config
	// Now is the clock for leases, throttles and timestamps the caller
	// leaves zero (default time.Now). Replicas compare leases with their
	// own clocks, so keep them in sync (NTP); leases are minutes long.
	Now func() time.Time
}

// Job is a River job to insert in the same transaction as a store write.
// A zero Job (nil Args) inserts nothing.
type Job struct {
	Args river.JobArgs
	Opts *river.InsertOpts
}

// JobResult is the outcome of inserting a job.
type JobResult struct {
	ID int64
	// Duplicate: a job with the same UniqueOpts key exists, nothing new
	// was inserted; ID is the existing job's.
	Duplicate bool
}

// Store is an open database with its River client.
type Store struct {
	loc       Location
	db        db
	jobs      jobClient
	countJobs func(context.Context) (map[rivertype.JobState]int, error)
	group     *groupCommit // RecordDelivery's and MarkDeliveryProcessed's group commit
	closeOnce sync.Once
	closeErr  error
	now       func() time.Time
	log       *slog.Logger
}

// jobClient is the non-generic part of *river.Client[TTx] the store uses;
// both River drivers' clients satisfy it.
type jobClient interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	StopAndCancel(ctx context.Context) error
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	PeriodicJobs() *river.PeriodicJobBundle
}

// Open connects to the database named by url (see ParseURL), applies
// River's and the store's migrations (safe when several replicas start at
// once) and creates the River client.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	loc, err := ParseURL(url)
	if err != nil {
		return nil, err
	}
	s := &Store{loc: loc, now: opts.Now, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("database", loc.String())
	cfg := riverConfig(opts, loc, s.log)
	switch loc.Backend {
	case SQLite:
		err = s.openSQLite(ctx, cfg)
	case Postgres:
		err = s.openPostgres(ctx, cfg)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

func riverConfig(opts Options, loc Location, log *slog.Logger) *river.Config {
	var cfg river.Config
	if opts.River != nil {
		cfg = *opts.River
	}
	cfg.Schema = loc.Schema
	if cfg.Logger == nil {
		cfg.Logger = log
	}
	if cfg.SoftStopTimeout == 0 {
		cfg.SoftStopTimeout = DefaultShutdownGrace
	}
	return &cfg
}

// Location is where the store is (safe to log through its String method).
func (s *Store) Location() Location { return s.loc }

// Ping checks the database answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.ping(ctx); err != nil {
		return fmt.Errorf("database %s does not answer: %w", s.loc, err)
	}
	return nil
}

// Close stops the job client if it still runs (cancelling running jobs,
// which River makes available again) and closes the database. Closing
// twice is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := s.jobs.StopAndCancel(ctx)
		if s.group != nil {
			s.group.stop()
		}
		s.db.close()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			s.closeErr = fmt.Errorf("stopping the job client: %w", err)
		}
	})
	return s.closeErr
}

// Start starts working jobs with the workers and queues of Options.River.
func (s *Store) Start(ctx context.Context) error {
	if err := s.jobs.Start(ctx); err != nil {
		return fmt.Errorf("starting the job client: %w", err)
	}
	return nil
}

// Stop stops fetching jobs and waits for running ones: up to the River
// config's SoftStopTimeout, after which their contexts are cancelled and
// River makes them available again, so another process (or this one after
// a restart) works them. Workers must therefore be idempotent. When ctx
// ends first, running jobs are cancelled at once.
func (s *Store) Stop(ctx context.Context) error {
	err := s.jobs.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err = s.jobs.StopAndCancel(cctx)
	}
	if err != nil {
		return fmt.Errorf("stopping the job client: %w", err)
	}
	return nil
}

// Enqueue inserts a job on its own.
func (s *Store) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (JobResult, error) {
	res, err := s.jobs.Insert(ctx, args, opts)
	if err != nil {
		return JobResult{}, fmt.Errorf("enqueue %s job: %w", args.Kind(), err)
	}
	return JobResult{ID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}, nil
}

// enqueueTx inserts job, if any, through a transaction's insert function.
func enqueueTx(ctx context.Context, insert insertFunc, job Job) (JobResult, error) {
	if job.Args == nil {
		return JobResult{}, nil
	}
	res, err := insert(ctx, job.Args, job.Opts)
	if err != nil {
		return JobResult{}, fmt.Errorf("enqueue %s job: %w", job.Args.Kind(), err)
	}
	return JobResult{ID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}, nil
}

// Subscribe delivers River's job events (completed, failed, …) until the
// returned function is called.
func (s *Store) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func()) {
	return s.jobs.Subscribe(kinds...)
}

// Job returns a job by ID.
func (s *Store) Job(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	j, err := s.jobs.JobGet(ctx, id)
	if errors.Is(err, river.ErrNotFound) {
		return nil, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("job %d: %w", id, err)
	}
	return j, nil
}

// Jobs lists jobs (River's filters and paging).
func (s *Store) Jobs(ctx context.Context, params *river.JobListParams) ([]*rivertype.JobRow, error) {
	res, err := s.jobs.JobList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return res.Jobs, nil
}

// JobCounts counts jobs per state (queue depth for /metrics).
func (s *Store) JobCounts(ctx context.Context) (map[rivertype.JobState]int, error) {
	n, err := s.countJobs(ctx)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	return n, nil
}

// PeriodicJobs adds or removes periodic jobs at run time; only the elected
// leader among the replicas enqueues them.
func (s *Store) PeriodicJobs() *river.PeriodicJobBundle { return s.jobs.PeriodicJobs() }

// stamp is t, or the store's clock when t is zero, in UTC at microsecond
// precision (what both backends keep).
func (s *Store) stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return t.UTC().Truncate(time.Microsecond)
}
