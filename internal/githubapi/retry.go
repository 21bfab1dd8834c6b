package githubapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/backoff"
	"github.com/google/go-github/v88/github"
)

// RetryPolicy bounds how a call is retried: server errors (5xx) and network
// failures back off exponentially; rate limits wait as long as GitHub says
// (Retry-After, or the primary limit's reset time), but never longer than
// MaxWait — a longer wait fails the call at once with GitHub's message.
type RetryPolicy struct {
	// Attempts is the most tries per call, the first included.
	Attempts int
	// Backoff is the first wait after a server error; it doubles per retry.
	Backoff time.Duration
	// MaxWait caps any single wait.
	MaxWait time.Duration
	// SecondaryDefault is the wait after a secondary rate limit that did not
	// say how long (GitHub's documents ask for at least a minute).
	SecondaryDefault time.Duration
	// Sleep waits for d or until ctx ends; tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock used to read rate limit reset times.
	Now func() time.Time
}

// DefaultRetryPolicy: 4 attempts, 1s, 2s, 4s between server errors, waits
// capped at 60s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		Attempts:         4,
		Backoff:          time.Second,
		MaxWait:          60 * time.Second,
		SecondaryDefault: 60 * time.Second,
		Sleep:            backoff.Sleep,
		Now:              time.Now,
	}
}

func (p RetryPolicy) run(ctx context.Context, try func() error) error {
	attempts := max(p.Attempts, 1)
	sleep := p.Sleep
	if sleep == nil {
		sleep = backoff.Sleep
	}
	for i := 0; ; i++ {
		err := try()
		if err == nil {
			return nil
		}
		wait, retryable := p.wait(err, i)
		switch {
		case !retryable:
			return err
		case i == attempts-1:
			if attempts == 1 {
				return err
			}
			return fmt.Errorf("%w (gave up after %d attempts)", err, attempts)
		case p.MaxWait > 0 && wait > p.MaxWait:
			return fmt.Errorf("%w; not retrying: that is a wait of %v, longer than %v", err, wait.Round(time.Second), p.MaxWait)
		}
		if serr := sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w; stopped waiting to retry: %w", err, serr)
		}
	}
}

// wait says whether err is worth another try and how long to wait first.
func (p RetryPolicy) wait(err error, retry int) (time.Duration, bool) {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return 0, false
	}
	var e *Error
	if !errors.As(err, &e) {
		return 0, false
	}
	backoff := p.Backoff << retry
	var ab *github.AbuseRateLimitError
	var rl *github.RateLimitError
	switch {
	case errors.As(e.Err, &ab):
		if e.retryAfterSet {
			return e.RetryAfter, true
		}
		return p.SecondaryDefault, true
	case errors.As(e.Err, &rl):
		now := p.Now
		if now == nil {
			now = time.Now
		}
		if d := rl.Rate.Reset.Sub(now()); d > 0 {
			return d + time.Second, true
		}
		return backoff, true
	case e.Status == http.StatusTooManyRequests:
		if e.retryAfterSet {
			return e.RetryAfter, true
		}
		return p.SecondaryDefault, true
	case e.Status == http.StatusForbidden && e.retryAfterSet:
		// A secondary rate limit whose body go-github did not recognise.
		return e.RetryAfter, true
	case e.Status >= 500:
		// A 503 may say when to come back; otherwise back off.
		if e.retryAfterSet {
			return e.RetryAfter, true
		}
		return backoff, true
	case e.Status == 0 && (isNetworkError(e.Err) || errors.As(e.Err, new(*streamError))):
		return backoff, true
	}
	return 0, false
}

func isNetworkError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "connection reset")
}
