package prcheck

import (
	"fmt"
	"time"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
)

// BudgetError is a check the token's rate limit cannot cover: it stops
// before it writes anything, rather than publish half a result (labels
// without a check run, a comment without its labels). Each face says what
// happens next: the Action fails the step, the bot fails the check run and
// checks again after the reset.
type BudgetError struct {
	// Rate is what GitHub's latest answer said is left.
	Rate githubapi.Rate
	// Need is about how many requests What takes.
	Need int
	What string
	now  time.Time
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("GitHub's API rate limit cannot cover this run: %d of the token's %d requests are left until %s, and %s needs about %d",
		e.Rate.Remaining, e.Rate.Limit, e.ResetTime(), e.What, e.Need)
}

// ResetTime names the reset as a time and as a wait.
func (e *BudgetError) ResetTime() string {
	at := e.Rate.Reset.UTC().Format(time.DateTime + " MST")
	if d := e.Rate.Reset.Sub(e.now).Round(time.Minute); d > 0 {
		return fmt.Sprintf("%s (in %v)", at, d)
	}
	return at
}

// budget stops when the requests GitHub says are left (the latest answer's
// X-RateLimit-Remaining) cannot cover need, the requests still to send for
// what. A GitHub that states no limit is not checked.
func (s *Sides) budget(need int, what string) error {
	rate, ok := s.gh.RateLimit()
	if !ok || rate.Remaining >= need {
		return nil
	}
	return &BudgetError{Rate: rate, Need: need, What: what, now: s.now()}
}
