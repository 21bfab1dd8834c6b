package runtime

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/breakwater-dev/breakwater/internal/backoff"
)

// RetryPolicy bounds the retries of one deploy or rollback. Zero fields take
// DefaultRetryPolicy's values.
type RetryPolicy struct {
	// Attempts is the most requests per operation, the first included.
	Attempts int
	// Backoff is the wait before the first retry; it doubles per retry…
	Backoff time.Duration
	// …up to MaxBackoff.
	MaxBackoff time.Duration
	// MaxRetryAfter is the longest Retry-After honoured; a runtime asking
	// for more fails the operation at once (KindRetryable, GaveUp).
	MaxRetryAfter time.Duration
	// Jitter turns a backoff into the actual wait; the default waits
	// between half and all of it, so re-runs started together spread out.
	Jitter func(time.Duration) time.Duration
	// Sleep waits for d or until ctx ends; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now reads the clock for Retry-After dates.
	Now func() time.Time
}

// DefaultRetryPolicy: 5 attempts, waits of about 2s, 4s, 8s, 16s (capped at
// a minute), Retry-After honoured up to 5 minutes.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		Attempts:      5,
		Backoff:       2 * time.Second,
		MaxBackoff:    time.Minute,
		MaxRetryAfter: 5 * time.Minute,
		Jitter:        equalJitter,
		Sleep:         backoff.Sleep,
		Now:           time.Now,
	}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.Attempts <= 0 {
		p.Attempts = d.Attempts
	}
	if p.Backoff <= 0 {
		p.Backoff = d.Backoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = d.MaxBackoff
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = d.MaxRetryAfter
	}
	if p.Jitter == nil {
		p.Jitter = d.Jitter
	}
	if p.Sleep == nil {
		p.Sleep = d.Sleep
	}
	if p.Now == nil {
		p.Now = d.Now
	}
	return p
}

func (p RetryPolicy) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// backoff is the wait after failed attempt n (1-based), jittered.
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.Backoff
	for i := 1; i < n && d < p.MaxBackoff; i++ {
		d *= 2
	}
	return p.Jitter(min(d, p.MaxBackoff))
}

// equalJitter waits between d/2 and d.
func equalJitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}
