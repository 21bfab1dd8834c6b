package rollout

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/breakwater-dev/breakwater/internal/backoff"
)

// SharedLimiter paces requests to a runtime whose rate limit is shared by
// every replica (and every CLI) using one store: a tray.Limiter and
// tray.Deferrer.
//
// The budget lives in the store as a generic cell rate algorithm: one
// request per 1/rate seconds, handed out in small batches of time slots
// (store.ReserveRate), so the store sees a few reservations a second, not
// one per request; the next batch is reserved while half of the current
// one is left. A request waits for its slot; a slot whose time passed
// more than Tolerance ago (the process was descheduled, say) is dropped,
// never sent late, so that requests never bunch up beyond what the
// runtime's burst absorbs. A 429 holds the whole budget, for every
// replica, for its Retry-After.
type SharedLimiter struct {
	st        RateBudget
	key       string
	interval  time.Duration
	batch     int
	tolerance time.Duration
	log       *slog.Logger

	mu        sync.Mutex
	grants    []grant       // slots reserved and not yet used, in time order
	reserving chan struct{} // closed when the reservation under way ends
	rtt       time.Duration // how long reservations take (moving average)
	failed    error         // the last reservation's failure, until retryAt
	retryAt   time.Time
}

// grant is a run of slots: next, next+interval, … (left of them).
type grant struct {
	next time.Time
	left int
}

// LimiterOptions configure a SharedLimiter.
type LimiterOptions struct {
	// Rate is the runtime's requests per second across all replicas;
	// Burst the runtime's bucket size, which decides how late a slot may
	// still be used (default 1: never late by more than one interval).
	Rate  float64
	Burst int
	// Batch is how many slots a replica reserves at once (default: a
	// tenth of a second's worth).
	Batch  int
	Logger *slog.Logger
}

// RateBudget keeps budgets shared by every process; *store.Store is one.
type RateBudget interface {
	ReserveRate(ctx context.Context, key string, n int, interval time.Duration, from time.Time) (time.Time, error)
	DeferRate(ctx context.Context, key string, until time.Time) error
}

// NewSharedLimiter makes a limiter for the budget key (e.g. "tray:" and
// the endpoint: one per runtime account).
func NewSharedLimiter(st RateBudget, key string, o LimiterOptions) (*SharedLimiter, error) {
	if st == nil || key == "" {
		return nil, fmt.Errorf("rollout: a shared limiter needs a store and a key")
	}
	if o.Rate <= 0 || math.IsInf(o.Rate, 0) || math.IsNaN(o.Rate) {
		return nil, fmt.Errorf("rollout: rate limit %v must be a positive number of requests per second", o.Rate)
	}
	interval := time.Duration(float64(time.Second) / o.Rate)
	if o.Burst <= 0 {
		o.Burst = 1
	}
	if o.Batch <= 0 {
		o.Batch = max(1, int(o.Rate/10))
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	// Sent late by up to the tolerance, requests bunch by at most
	// tolerance/interval beyond the schedule: keep that within half the
	// runtime's burst, so that its own timing noise fits in the rest.
	tolerance := max(interval, time.Duration(float64(o.Burst-1)/2*float64(interval)))
	return &SharedLimiter{st: st, key: key, interval: interval, batch: o.Batch, tolerance: tolerance, log: o.Logger}, nil
}

// Wait returns when a request may be sent.
func (l *SharedLimiter) Wait(ctx context.Context) error {
	for {
		slot, wait, err := l.take()
		if err != nil {
			return err
		}
		if wait != nil {
			select {
			case <-wait:
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		if d := time.Until(slot); d > 0 {
			if err := backoff.Sleep(ctx, d); err != nil {
				return err
			}
		}
		if time.Since(slot) <= l.tolerance {
			return nil
		}
		// Woken too late: that slot is spent, take the next one.
	}
}

// take hands out the next slot, or a channel to wait on while slots are
// reserved. It reserves the next batch when half of the current one is
// used, so that a busy process never waits for the store.
func (l *SharedLimiter) take() (time.Time, <-chan struct{}, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	avail := 0
	kept := l.grants[:0]
	for _, g := range l.grants {
		if late := now.Sub(g.next) - l.tolerance; late > 0 {
			// Slots that went by unused are gone.
			skip := min(g.left, int(late/l.interval)+1)
			g.next = g.next.Add(time.Duration(skip) * l.interval)
			g.left -= skip
		}
		if g.left > 0 {
			kept = append(kept, g)
			avail += g.left
		}
	}
	l.grants = kept
	if avail <= l.batch/2 && l.reserving == nil && !now.Before(l.retryAt) {
		l.reserving = make(chan struct{})
		go l.reserve(l.reserving)
	}
	if avail > 0 {
		g := &l.grants[0]
		slot := g.next
		g.next = g.next.Add(l.interval)
		g.left--
		return slot, nil, nil
	}
	if l.reserving != nil {
		return time.Time{}, l.reserving, nil
	}
	return time.Time{}, nil, l.failed
}

// reserve reserves a batch of slots for whoever waits, starting no sooner
// than the answer can arrive (so that the first slots are not late on
// arrival).
func (l *SharedLimiter) reserve(done chan struct{}) {
	l.mu.Lock()
	lead := min(2*l.rtt, time.Second)
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sent := time.Now()
	start, err := l.st.ReserveRate(ctx, l.key, l.batch, l.interval, sent.Add(lead))
	took := time.Since(sent)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rtt = (4*l.rtt + took) / 5
	if err != nil {
		l.failed = fmt.Errorf("rate budget %s: %w", l.key, err)
		l.retryAt = time.Now().Add(time.Second)
		l.log.LogAttrs(ctx, slog.LevelWarn, "reserving requests failed", slog.String("budget", l.key), slog.String("error", err.Error()))
	} else {
		l.failed, l.retryAt = nil, time.Time{}
		l.grants = append(l.grants, grant{next: start, left: l.batch})
	}
	l.reserving = nil
	close(done)
}

// Defer holds the budget for d, here and for every replica: the runtime
// answered 429 with Retry-After d.
func (l *SharedLimiter) Defer(d time.Duration) {
	until := time.Now().Add(d)
	l.mu.Lock()
	l.grants = nil // their slots fall inside the hold
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.st.DeferRate(ctx, l.key, until); err != nil {
		l.log.LogAttrs(ctx, slog.LevelWarn, "the runtime's Retry-After was not shared with other replicas", slog.String("error", err.Error()))
	}
}
