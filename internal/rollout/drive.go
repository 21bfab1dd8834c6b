package rollout

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/breakwater-dev/breakwater/internal/backoff"
	"github.com/breakwater-dev/breakwater/internal/store"
)

type driveKind int

const (
	driveMore   driveKind = iota // the slice ended with work left
	driveDone                    // nothing pending or in flight
	drivePaused                  // the rollout was paused
	driveLost                    // another job became the driver
	driveFailed                  // the store failed
)

type driveOutcome struct {
	kind driveKind
	next time.Time // driveMore: when the next instance can be claimed
	err  error
}

// drive is one slice of a driver job: Concurrency workers upgrade
// instances that a feeder claims ahead of them in batches (so that a free
// worker never waits for a claim), and a settler records the outcomes in
// batches, until the slice ends, the rollout is done or paused, or another
// job becomes the driver.
type drive struct {
	e       *Engine
	rollout store.Rollout
	target  Target
	job     int64
	log     *slog.Logger
	// concurrency is this rollout's (Engine.concurrency); its rate limit
	// paces target.Runtime.
	concurrency int
}

func (d *drive) run(ctx context.Context) driveOutcome {
	e := d.e
	id := d.rollout.ID
	end := time.Now().Add(e.opts.Slice)
	feed, stopFeeding := context.WithCancel(ctx)
	defer stopFeeding()

	var lost atomic.Bool
	beat, stopBeat := context.WithCancel(ctx)
	beatDone := make(chan struct{})
	go func() {
		defer close(beatDone)
		t := time.NewTicker(e.opts.DriverLease / 3)
		defer t.Stop()
		for {
			select {
			case <-beat.Done():
				return
			case <-t.C:
			}
			err := e.store.HoldDriver(beat, id, d.job, e.opts.DriverLease)
			switch {
			case errors.Is(err, store.ErrNotDriver):
				lost.Store(true)
				d.log.LogAttrs(ctx, slog.LevelWarn, "another job became the rollout's driver; finishing the upgrades in hand")
				stopFeeding()
				return
			case err != nil && beat.Err() == nil:
				d.log.LogAttrs(ctx, slog.LevelWarn, "driver heartbeat failed", slog.String("error", err.Error()))
			}
		}
	}()

	set := startSettler(e.store, d.log)
	c := d.concurrency
	// Up to 2c claims are out at once: c being upgraded, c waiting.
	claims := make(chan store.Claim, 2*c)
	freed := make(chan struct{}, 2*c)
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for cl := range claims {
				set.add(d.process(ctx, cl))
				freed <- struct{}{}
			}
		})
	}
	out := d.feed(feed, ctx, end, claims, freed, set)
	close(claims) // the workers finish the claims in hand
	wg.Wait()
	stopBeat()
	<-beatDone
	if err := set.close(); err != nil && out.kind != driveFailed {
		out = driveOutcome{kind: driveFailed, err: err}
	}
	if lost.Load() {
		return driveOutcome{kind: driveLost}
	}
	return out
}

// feed claims instances ahead of the workers until the slice ends or there
// is nothing to claim; freed receives one value per claim settled.
func (d *drive) feed(feed, ctx context.Context, end time.Time, claims chan<- store.Claim, freed <-chan struct{}, set *settler) driveOutcome {
	e := d.e
	id := d.rollout.ID
	limit := cap(claims)
	batch := max(1, limit/4) // claim when this many are free: one transaction per batch
	out := 0                 // claims handed out, not yet settled
	slice := time.NewTimer(time.Until(end))
	defer slice.Stop()
	// wait waits for a claim to be settled (true) or the slice to end.
	wait := func() bool {
		select {
		case <-freed:
			out--
			return true
		case <-feed.Done():
		case <-slice.C:
		}
		return false
	}
	for {
		for drained := false; !drained; { // count what was settled meanwhile
			select {
			case <-freed:
				out--
			default:
				drained = true
			}
		}
		if feed.Err() != nil || !time.Now().Before(end) {
			return driveOutcome{kind: driveMore}
		}
		if limit-out < batch {
			if !wait() {
				return driveOutcome{kind: driveMore}
			}
			continue
		}
		got, err := e.store.ClaimNext(feed, id, limit-out, e.opts.Lease)
		switch {
		case errors.Is(err, store.ErrRolloutPaused):
			return driveOutcome{kind: drivePaused}
		case err != nil && feed.Err() != nil:
			return driveOutcome{kind: driveMore}
		case err != nil:
			return driveOutcome{kind: driveFailed, err: err}
		}
		for _, cl := range got {
			claims <- cl // never blocks: at most limit are out
			out++
		}
		if len(got) > 0 {
			continue
		}
		// Nothing claimable now. With claims out, wait for one to settle.
		if out > 0 {
			if !wait() {
				return driveOutcome{kind: driveMore}
			}
			continue
		}
		// Nothing out here: done, or wait for retry times and leases.
		if err := set.flush(ctx); err != nil {
			return driveOutcome{kind: driveFailed, err: err}
		}
		next, err := e.store.NextClaimable(feed, id)
		if err != nil {
			if feed.Err() != nil {
				return driveOutcome{kind: driveMore}
			}
			return driveOutcome{kind: driveFailed, err: err}
		}
		if next == nil {
			return driveOutcome{kind: driveDone}
		}
		if !next.Before(end) {
			return driveOutcome{kind: driveMore, next: *next}
		}
		select {
		case <-time.After(time.Until(*next)):
		case <-feed.Done():
		case <-slice.C:
			return driveOutcome{kind: driveMore, next: *next}
		}
	}
}

// settler records outcomes in batches: one transaction per batch of
// upgrades, whatever the concurrency.
type settler struct {
	st   *store.Store
	log  *slog.Logger
	in   chan store.Settlement
	req  chan chan error
	done chan error
}

const (
	settleBatch = 64
	settleDelay = 20 * time.Millisecond
)

func startSettler(st *store.Store, log *slog.Logger) *settler {
	s := &settler{st: st, log: log, in: make(chan store.Settlement, settleBatch), req: make(chan chan error), done: make(chan error, 1)}
	go s.run()
	return s
}

func (s *settler) add(st store.Settlement) { s.in <- st }

// flush records everything added so far.
func (s *settler) flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case s.req <- reply:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-reply
}

// close records what is left and stops; the outcomes are recorded even
// when the driver's context has ended (they happened).
func (s *settler) close() error {
	close(s.in)
	return <-s.done
}

func (s *settler) run() {
	var batch []store.Settlement
	var timer <-chan time.Time
	var failed error
	write := func() {
		if len(batch) > 0 {
			if err := s.write(batch); err != nil && failed == nil {
				failed = err
			}
			batch = batch[:0]
		}
		timer = nil
	}
	for {
		select {
		case st, ok := <-s.in:
			if !ok {
				write()
				s.done <- failed
				return
			}
			batch = append(batch, st)
			if len(batch) >= settleBatch {
				write()
			} else if timer == nil {
				timer = time.After(settleDelay)
			}
		case <-timer:
			write()
		case reply := <-s.req:
			// Drain what is queued, so that the flush covers every outcome
			// added before it was asked for.
			for drained := false; !drained; {
				select {
				case st := <-s.in:
					batch = append(batch, st)
				default:
					drained = true
				}
			}
			write()
			reply <- failed
		}
	}
}

// write records a batch, trying again a few times: the upgrades happened,
// their outcomes must not be lost to a passing database error.
func (s *settler) write(batch []store.Settlement) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const tries = 5
	var err error
	for try := range tries {
		var errs []error
		errs, err = s.st.SettleClaims(ctx, batch)
		if err == nil {
			for i, e := range errs {
				if e != nil {
					// Another driver holds the instance now: it reads the
					// instance again before doing anything (Recheck).
					s.log.LogAttrs(ctx, slog.LevelWarn, "outcome not recorded: the claim was lost",
						slog.String("instance", batch[i].Claim.InstanceID), slog.String("outcome", string(batch[i].State)), slog.String("error", e.Error()))
				}
			}
			return nil
		}
		if try == tries-1 {
			break // no sleep, nor "trying again", after the last try
		}
		s.log.LogAttrs(ctx, slog.LevelWarn, "recording outcomes failed, trying again", slog.Int("outcomes", len(batch)), slog.String("error", err.Error()))
		if backoff.Sleep(ctx, time.Duration(100<<try)*time.Millisecond) != nil {
			break
		}
	}
	return err
}
