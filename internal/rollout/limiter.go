package rollout

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/breakwater-dev/breakwater/internal/store"
)

// SharedLimiter paces requests to a runtime whose rate limit is shared by
// every replica (and every CLI) using one store: a tray.Limiter and
// tray.Deferrer.
//
// The budget lives in the store as a generic cell rate algorithm: one
// request per 1/rate seconds, handed out in small batches of time slots
// (store.ReserveRate), so the store sees a few reservations a second, not
// one per request. A request waits for its slot; a slot whose time passed
// more than Tolerance ago (the process was descheduled, say) is dropped,
// never sent late, so that requests never bunch up beyond what the
// runtime's burst absorbs. A 429 holds the whole budget, for every
// replica, for its Retry-After.
type SharedLimiter struct {
	st        *store.Store
	key       string
	interval  time.Duration
	batch     int
	tolerance time.Duration
	log       *slog.Logger

	mu        sync.Mutex
	next      time.Time // the next slot of the current grant
	left      int       // slots left in it
	reserving chan struct{}
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

// NewSharedLimiter makes a limiter for the budget key (e.g. "tray:" and
// the endpoint: one per runtime account).
func NewSharedLimiter(st *store.Store, key string, o LimiterOptions) (*SharedLimiter, error) {
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
		slot, wait, err := l.take(ctx)
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
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
		if time.Since(slot) <= l.tolerance {
			return nil
		}
		// Woken too late: that slot is spent, take the next one.
	}
}

// take hands out the next slot, or a channel to wait on while another
// goroutine reserves more; it reserves itself when nobody does.
func (l *SharedLimiter) take(ctx context.Context) (time.Time, <-chan struct{}, error) {
	l.mu.Lock()
	now := time.Now()
	if l.left > 0 && now.Sub(l.next) > l.tolerance {
		// Slots that went by unused are gone.
		skip := min(l.left, int((now.Sub(l.next)-l.tolerance)/l.interval)+1)
		l.next = l.next.Add(time.Duration(skip) * l.interval)
		l.left -= skip
	}
	if l.left > 0 {
		slot := l.next
		l.next = l.next.Add(l.interval)
		l.left--
		l.mu.Unlock()
		return slot, nil, nil
	}
	if l.reserving != nil {
		ch := l.reserving
		l.mu.Unlock()
		return time.Time{}, ch, nil
	}
	ch := make(chan struct{})
	l.reserving = ch
	l.mu.Unlock()

	start, err := l.st.ReserveRate(ctx, l.key, l.batch, l.interval)
	l.mu.Lock()
	l.reserving = nil
	close(ch)
	if err == nil {
		l.next, l.left = start, l.batch
	}
	l.mu.Unlock()
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("rate budget %s: %w", l.key, err)
	}
	return time.Time{}, ch, nil // closed: take again
}

// Defer holds the budget for d, here and for every replica: the runtime
// answered 429 with Retry-After d.
func (l *SharedLimiter) Defer(d time.Duration) {
	until := time.Now().Add(d)
	l.mu.Lock()
	l.left = 0 // this grant's slots fall inside the hold
	l.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.st.DeferRate(ctx, l.key, until); err != nil {
		l.log.LogAttrs(ctx, slog.LevelWarn, "the runtime's Retry-After was not shared with other replicas", slog.String("error", err.Error()))
	}
}
