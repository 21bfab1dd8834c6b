package rollout

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/breakwater-dev/breakwater/internal/backoff"
	"github.com/breakwater-dev/breakwater/internal/store"
)

// driveArgs is a rollout's driver job. Generation makes each driver's
// arguments unique: River never holds two jobs for one generation, and the
// store names the one generation allowed to work (store.EnsureDriver).
type driveArgs struct {
	Rollout    int64 `json:"rollout"`
	Generation int64 `json:"generation"`
}

func (driveArgs) Kind() string { return "breakwater_rollout_drive" }

// sweepArgs is the leader's periodic look for rollouts without a live
// driver.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "breakwater_rollout_sweep" }

// reportArgs makes a report held back by a throttle (or failed) later, at
// At (Unix seconds).
type reportArgs struct {
	Rollout int64 `json:"rollout"`
	At      int64 `json:"at"`
}

func (reportArgs) Kind() string { return "breakwater_rollout_report" }

// reportLater enqueues a report of the rollout after about d. Requests
// share a job by the time it runs, rounded up to d: one job serves every
// request made before it starts, and a request made after it started
// (which it may not reflect) gets a later one.
func (e *Engine) reportLater(ctx context.Context, rolloutID int64, d time.Duration) {
	d = max(d, time.Second)
	at := time.Now().Add(d).Truncate(d).Add(d)
	_, err := e.store.Enqueue(context.WithoutCancel(ctx), reportArgs{Rollout: rolloutID, At: at.Unix()}, &river.InsertOpts{
		Queue: e.opts.Queue, ScheduledAt: at, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true}})
	if err != nil {
		e.log.LogAttrs(ctx, slog.LevelWarn, "a later report could not be queued", slog.Int64("rollout", rolloutID), slog.String("error", err.Error()))
	}
}

type reportWorker struct {
	river.WorkerDefaults[reportArgs]
	e *Engine
}

func (w *reportWorker) Work(ctx context.Context, job *river.Job[reportArgs]) error {
	if err := w.e.bound(); err != nil {
		return err
	}
	w.e.report(ctx, job.Args.Rollout)
	return nil
}

// Queues is the River queue configuration the engine's jobs need: one
// worker per rollout driven at once, plus the sweep. Merge it into the
// River config of the process that works jobs.
func (e *Engine) Queues(rollouts int) map[string]river.QueueConfig {
	return map[string]river.QueueConfig{e.opts.Queue: {MaxWorkers: max(1, rollouts) + 1}}
}

// AddWorkers registers the engine's job workers.
func (e *Engine) AddWorkers(w *river.Workers) {
	river.AddWorker(w, &driveWorker{e: e})
	river.AddWorker(w, &sweepWorker{e: e})
	river.AddWorker(w, &reportWorker{e: e})
	river.AddWorker(w, &retireWorker{e: e})
}

// PeriodicJobs are the engine's periodic jobs: the sweep, enqueued by
// River's elected leader only.
func (e *Engine) PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(e.opts.SweepInterval),
		func() (river.JobArgs, *river.InsertOpts) {
			return sweepArgs{}, &river.InsertOpts{Queue: e.opts.Queue, MaxAttempts: 1,
				UniqueOpts: river.UniqueOpts{ByPeriod: max(time.Second, e.opts.SweepInterval)}}
		}, &river.PeriodicJobOpts{RunOnStart: true})}
}

// ensureDriver enqueues a driver for the rollout unless it has a live one
// or needs none.
func (e *Engine) ensureDriver(ctx context.Context, rolloutID int64) error {
	res, enqueued, err := e.store.EnsureDriver(ctx, rolloutID, e.opts.DriverLease, func(gen int64) store.Job {
		return store.Job{Args: driveArgs{Rollout: rolloutID, Generation: gen},
			Opts: &river.InsertOpts{Queue: e.opts.Queue, UniqueOpts: river.UniqueOpts{ByArgs: true}}}
	})
	if err != nil {
		return err
	}
	if enqueued {
		e.log.LogAttrs(ctx, slog.LevelInfo, "rollout driver enqueued", slog.Int64("rollout", rolloutID), slog.Int64("job", res.ID))
	}
	return nil
}

// EnsureDrivers enqueues a driver for every rollout that has work and no
// live driver: what the leader's sweep does periodically. A process may
// call it when it starts (so that, alone after a crash, it need not wait
// to become the leader); concurrent calls are safe.
func (e *Engine) EnsureDrivers(ctx context.Context) error {
	if err := e.bound(); err != nil {
		return err
	}
	ids, err := e.store.RolloutsToDrive(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := e.ensureDriver(ctx, id); err != nil {
			return fmt.Errorf("resume rollout %d: %w", id, err)
		}
	}
	return nil
}

// Recover is what a process calls when it starts working jobs: it
// enqueues drivers for the rollouts without a live one now, and once more
// when the heartbeat of a driver this process ran before it was killed
// has lapsed. The leader's sweep would do the same, but a process that
// restarts alone must first wait for River's leadership of the dead one
// to expire.
func (e *Engine) Recover(ctx context.Context) error {
	if err := e.EnsureDrivers(ctx); err != nil {
		return err
	}
	go func() {
		if backoff.Sleep(ctx, e.opts.DriverLease+time.Second) != nil {
			return
		}
		if err := e.EnsureDrivers(ctx); err != nil && ctx.Err() == nil {
			e.log.LogAttrs(ctx, slog.LevelWarn, "resuming rollouts failed; the leader's sweep will", slog.String("error", err.Error()))
		}
	}()
	return nil
}

type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	e *Engine
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[sweepArgs]) error {
	return w.e.EnsureDrivers(ctx)
}

type driveWorker struct {
	river.WorkerDefaults[driveArgs]
	e *Engine
}

// Timeout covers a slice and the upgrades still in flight at its end,
// each of which stops before its lease ends.
func (w *driveWorker) Timeout(*river.Job[driveArgs]) time.Duration {
	return w.e.opts.Slice + w.e.opts.Lease
}

func (w *driveWorker) Work(ctx context.Context, job *river.Job[driveArgs]) error {
	e := w.e
	if err := e.bound(); err != nil {
		return err
	}
	id := job.Args.Rollout
	log := e.log.With(slog.Int64("rollout", id), slog.Int64("job", job.ID))
	if err := e.store.HoldDriver(ctx, id, job.ID, e.opts.DriverLease); err != nil {
		// Another driver replaced this one (it was late, or its process
		// was thought dead): nothing to do.
		log.LogAttrs(ctx, slog.LevelInfo, "not the rollout's driver, ending", slog.String("reason", err.Error()))
		return nil
	}
	r, err := e.store.Rollout(ctx, id)
	if err != nil {
		return err
	}
	tgt, err := e.opts.Targets.Target(ctx, r.Package, r.Environment)
	if err != nil {
		e.releaseDriver(ctx, id, job.ID, time.Now())
		return fmt.Errorf("rollout of %s@%s to %s: %w", r.Package, r.Version, r.Environment, err)
	}
	set, err := e.SettingsOf(ctx, r.Package, r.Environment)
	if err != nil {
		e.releaseDriver(ctx, id, job.ID, time.Now())
		return fmt.Errorf("rollout of %s@%s to %s: %w", r.Package, r.Version, r.Environment, err)
	}
	d := &drive{e: e, rollout: r, target: tgt, job: job.ID, log: log, concurrency: e.concurrency(set)}
	d.target.Runtime = paced(tgt.Runtime, set.RateLimit)
	outcome := d.run(ctx)
	if outcome.kind == driveDone || outcome.kind == drivePaused {
		e.mu.Lock()
		delete(e.reported, id)
		e.mu.Unlock()
	}
	switch outcome.kind {
	case driveLost:
		return nil
	case driveFailed:
		e.releaseDriver(ctx, id, job.ID, time.Now())
		return outcome.err
	case drivePaused, driveDone:
		e.releaseDriver(ctx, id, job.ID, time.Now())
		e.report(context.WithoutCancel(ctx), id)
		if outcome.kind == driveDone {
			log.LogAttrs(ctx, slog.LevelInfo, "rollout finished")
		}
		return nil
	}
	// More to do: hand the rollout back to River, keeping the heartbeat
	// alive over the snooze so that nobody replaces this driver meanwhile.
	wait := max(0, time.Until(outcome.next))
	wait = min(wait, e.opts.Lease)
	e.releaseDriver(ctx, id, job.ID, time.Now().Add(wait+e.opts.DriverLease))
	if e.reportDue(id) {
		e.report(context.WithoutCancel(ctx), id)
	}
	return river.JobSnooze(wait)
}

func (e *Engine) releaseDriver(ctx context.Context, rolloutID, job int64, until time.Time) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := e.store.ReleaseDriver(ctx, rolloutID, job, until); err != nil {
		e.log.LogAttrs(ctx, slog.LevelInfo, "driver not released", slog.Int64("rollout", rolloutID), slog.String("error", err.Error()))
	}
}

// RiverConfig is a River configuration that works the engine's jobs and
// nothing else, for a process that only runs rollouts (the CLI's rollout
// worker). The bot merges Queues, AddWorkers and PeriodicJobs into its
// own configuration instead. rollouts is how many rollouts may be driven
// at once.
func (e *Engine) RiverConfig(rollouts int) *river.Config {
	workers := river.NewWorkers()
	e.AddWorkers(workers)
	return &river.Config{
		Queues:       e.Queues(rollouts),
		Workers:      workers,
		PeriodicJobs: e.PeriodicJobs(),
		// Drivers snooze between slices; without LISTEN/NOTIFY (SQLite)
		// the next slice starts at the next poll.
		FetchPollInterval: 200 * time.Millisecond,
		Logger:            e.log,
	}
}
