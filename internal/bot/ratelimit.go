package bot

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/prcheck"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
)

// An installation token has its own rate limit (5,000 requests an hour or
// more, shared by every job of the installation). A check it cannot cover
// is not a failure to retry: River's retries back off by the attempt, not
// by GitHub's clock — each would spend requests before the reset, and the
// last would drop the delivery, leaving the pull request without a check.
// So the job snoozes until the limit resets (river.JobSnooze: no attempt
// is counted, the delivery stays unprocessed in the store, and a restart
// keeps the schedule) and then checks the pull request as it is by then.
// Meanwhile the check run fails with the reason and the reset time, so a
// required check does not pass unchecked and people see why; the run
// after the reset updates that same check run.

// resetMargin is how long after GitHub's reset time the job runs again:
// the reset is given in whole seconds, and clocks differ.
const resetMargin = 3 * time.Second

// rateLimited fails the check run with the shortfall and the reset time,
// when what is left covers that one write, and snoozes the job until the
// reset. Nothing else is written: no labels or comment without the check
// they come from.
func (b *Bot) rateLimited(ctx context.Context, gh *githubapi.Client, target prsurface.PullRequest, opts prsurface.Options, reportURL string, short *prcheck.BudgetError) error {
	log := b.log.With("repo", target.Repo.String(), "pull_request", target.Number, "remaining", short.Rate.Remaining, "reset", short.Rate.Reset)
	failure := prsurface.Content{
		Failure:   short.Error() + ". Breakwater checks this pull request again after the reset; nothing else was written until then.",
		ReportURL: reportURL,
	}
	opts.Comment = false
	if need := prsurface.Requests(target, failure, opts); short.Rate.Remaining >= need {
		if _, err := prsurface.Publish(ctx, gh, target, failure, opts); err != nil {
			// The job runs again after the reset either way.
			log.Warn("the check run could not say that the rate limit is short", "err", err)
		}
	}
	log.Info("the installation's rate limit cannot cover the check: it runs again after the reset", "need", short.Need)
	return b.snoozeUntil(short.Rate.Reset)
}

// afterReset turns a handler's error that is GitHub's refusal for an
// exhausted rate limit (another job of the installation spent it
// meanwhile, or GitHub counted more than the budget did) into a run after
// the reset; any other error is returned as it is.
func (b *Bot) afterReset(err error) error {
	var ge *githubapi.Error
	if err == nil || !errors.As(err, &ge) || ge.RateReset.IsZero() {
		return err
	}
	b.log.Info("GitHub's rate limit is spent: the job runs again after the reset", "reset", ge.RateReset, "err", err)
	return b.snoozeUntil(ge.RateReset)
}

// snoozeUntil has River run the job again once the rate limit has reset.
func (b *Bot) snoozeUntil(reset time.Time) error {
	return river.JobSnooze(max(reset.Sub(b.cfg.Now()), 0) + resetMargin)
}
