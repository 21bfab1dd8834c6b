package prrun

import (
	"fmt"
	"time"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
)

// budgetError is a run the token's rate limit cannot cover: it stops with
// exit code 2 before it writes anything, rather than publish half a result
// (labels without a check run, a comment without its labels).
type budgetError struct {
	remaining, limit, need int
	what                   string
	reset                  time.Time
	now                    time.Time
}

func (e *budgetError) Error() string {
	return fmt.Sprintf("GitHub's API rate limit cannot cover this run: %d of the token's %d requests are left until %s, and %s needs about %d. "+
		"Nothing was written to the pull request; run the job again after the reset",
		e.remaining, e.limit, e.resetTime(), e.what, e.need)
}

// resetTime names the reset as a time and as a wait.
func (e *budgetError) resetTime() string {
	at := e.reset.UTC().Format(time.DateTime + " MST")
	if d := e.reset.Sub(e.now).Round(time.Minute); d > 0 {
		return fmt.Sprintf("%s (in %v)", at, d)
	}
	return at
}

// checkBudget stops the run when the requests GitHub says are left (the
// latest answer's X-RateLimit-Remaining) cannot cover need, the requests
// still to send for what. The job summary says so; nothing else is
// written. A GitHub that states no limit is not checked.
func (r *run) checkBudget(need int, what string) error {
	rate, ok := r.gh.RateLimit()
	if !ok || rate.Remaining >= need {
		return nil
	}
	err := &budgetError{remaining: rate.Remaining, limit: rate.Limit, need: need, what: what, reset: rate.Reset, now: r.now()}
	summary := fmt.Sprintf("### Breakwater\n\n⛔ **GitHub's API rate limit cannot cover this run**: %d of the token's %d requests are left until **%s**, and %s needs about %d. "+
		"Nothing was written to the pull request; run the job again after the reset.\n", err.remaining, err.limit, err.resetTime(), what, need)
	if serr := r.rn.AddStepSummary(summary); serr != nil {
		return fmt.Errorf("%w (and the job summary could not say so: %w)", err, serr)
	}
	return err
}

// writesAtLeast is what publishing any result takes: the check run, the
// comment and the identity, before the findings add labels and
// annotations.
func (r *run) writesAtLeast() int {
	if r.readOnly {
		return 0
	}
	pr, content, opts := r.publication(&Result{Report: &change.Report{}, Touched: true}, rendered{})
	return prsurface.Requests(pr, content, opts)
}
