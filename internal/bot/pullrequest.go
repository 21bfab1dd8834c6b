package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/riverqueue/river"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/clip"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/prcheck"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
	"github.com/breakwater-dev/breakwater/internal/report"
	"github.com/breakwater-dev/breakwater/internal/trayplan"
)

// registerDefaults registers the bot's own handlers and commands.
func (b *Bot) registerDefaults() {
	b.Handle("pull_request", b.onPullRequest)
	b.Handle("issue_comment", b.onIssueComment)
	b.Handle("installation", b.onInstallation)
	b.Handle("installation_repositories", b.onInstallation)
	b.Command("plan", Command{Usage: "/breakwater plan", Summary: "check the pull request again and post the upgrade plan", Run: b.planCommand})
	b.Command("accept", Command{Usage: "/breakwater accept <fingerprint|all> <reason>",
		Summary: "record an intended breaking change in the configuration, on the pull request's branch", Run: b.acceptCommand})
}

// prActions are the pull_request actions that change what the check says.
var prActions = map[string]bool{"opened": true, "synchronize": true, "reopened": true, "labeled": true, "unlabeled": true}

// onPullRequest checks the pull request as the Action does.
func (b *Bot) onPullRequest(ctx context.Context, ev Event) error {
	pe, err := githubapi.ParsePullRequestEvent("pull_request", ev.Payload)
	if err != nil {
		return river.JobCancel(err)
	}
	if !prActions[pe.Action] {
		return nil
	}
	app, err := b.App(ctx)
	if err != nil {
		return err
	}
	if strings.EqualFold(pe.Sender, app.Slug+"[bot]") {
		return nil // its own labels: nothing changed that the check reads
	}
	repo, ok := splitRepo(pe.BaseRepo)
	if !ok {
		return river.JobCancel(fmt.Errorf("the pull_request payload names no base repository"))
	}
	gh, err := b.Installation(ev.InstallationID)
	if err != nil {
		return river.JobCancel(err)
	}
	// The pull request as it is now: a job that waited reports on the
	// current head, with the current labels.
	pr, err := gh.PullRequest(ctx, repo, pe.Number)
	if err != nil {
		return err
	}
	if pr.State != "open" {
		return nil
	}
	_, err = b.checkPullRequest(ctx, gh, repo, pr, checkOptions{event: pe})
	return err
}

// checkOptions tune one check.
type checkOptions struct {
	event *githubapi.PullRequestEvent // the event that asked for it, if any
}

// checked is what a check published.
type checked struct {
	res       *prcheck.Result
	cfg       *config.Config
	planNote  string // why there is no plan, "" when there is one
	commentID int64
}

// checkPullRequest runs the shared check and publishes labels, the sticky
// comment (with the upgrade plan) and the check run. A check that cannot be
// made because of the repository's content (its configuration, an export
// that does not parse) fails the check run with the reason, and is not
// retried; one the installation's rate limit cannot cover fails the check
// run with the reset time and runs again after the reset (rateLimited);
// other GitHub or Tray failures return the error, and the job retries.
func (b *Bot) checkPullRequest(ctx context.Context, gh *githubapi.Client, repo githubapi.Repo, pr *githubapi.PullRequest, o checkOptions) (*checked, error) {
	app, err := b.App(ctx)
	if err != nil {
		return nil, err
	}
	target := prsurface.PullRequest{Repo: repo, Number: pr.Number, HeadSHA: pr.HeadSHA, Labels: pr.Labels}
	opts := prsurface.Options{CheckRun: true, Identity: prsurface.AppIdentity(app, "the app's registration"), Now: b.cfg.Now()}
	reportURL := pr.HTMLURL + "/checks"
	failed := func(err error) (*checked, error) {
		return nil, b.couldNotCheck(ctx, gh, target, opts, reportURL, err)
	}

	// The bot has no checkout: both sides come through the API, in a
	// number of requests that does not grow with the files.
	sides, err := prcheck.Open(ctx, gh, prcheck.Options{Repo: repo, BaseSHA: pr.BaseSHA, HeadSHA: pr.HeadSHA, Now: b.cfg.Now})
	if err != nil {
		return failed(err)
	}
	defer sides.Close() //nolint:errcheck // temporary files; the check's outcome stands
	cfg, err := sides.Config(ctx)
	if err == nil {
		err = cfg.CheckRules(b.engine.Rules().Has)
	}
	if err != nil {
		return failed(err)
	}
	labeledBy := ""
	if o.event != nil {
		labeledBy = prcheck.LabeledBy(o.event, cfg)
		if (o.event.Action == "labeled" || o.event.Action == "unlabeled") && !strings.EqualFold(o.event.Label, cfg.Labels.Accepted) {
			return nil, nil // a label the check does not read
		}
	}
	opts.Comment = cfg.Comment
	res, err := sides.Run(ctx, b.engine, prcheck.Request{Number: pr.Number, Config: cfg, Labels: pr.Labels, LabeledBy: labeledBy, Publish: &opts})
	if err != nil {
		return failed(err)
	}
	content := res.Content(b.engine.Rules(), b.server, reportURL)
	out := &checked{res: res, cfg: cfg}
	if res.Touched {
		content.Appendix, out.planNote, err = b.planFor(ctx, sides, repo, res)
		if err != nil {
			return nil, err
		}
	}
	if err := sides.CheckPublish(target, content, opts); err != nil {
		return failed(err)
	}
	pub, err := prsurface.Publish(ctx, gh, target, content, opts)
	if err != nil {
		return nil, err
	}
	out.commentID = pub.CommentID
	return out, nil
}

// couldNotCheck publishes why the check could not be made, when the
// repository's content or the rate limit is why, and says what the job
// does next: nothing (the pull request must change), run again after the
// reset, or retry.
func (b *Bot) couldNotCheck(ctx context.Context, gh *githubapi.Client, target prsurface.PullRequest, opts prsurface.Options, reportURL string, err error) error {
	var short *prcheck.BudgetError
	if errors.As(err, &short) {
		return b.rateLimited(ctx, gh, target, opts, reportURL, short)
	}
	if !contentError(err) {
		return err
	}
	_, perr := prsurface.Publish(ctx, gh, target, prsurface.Content{Failure: clip.Runes(err.Error(), 60000), ReportURL: reportURL}, opts)
	return perr
}

// contentError reports an error the repository's content causes: retrying
// cannot fix it, the pull request must.
func contentError(err error) bool {
	var ce *config.Error
	var ces config.Errors
	var ie *change.InputError
	var ge *githubapi.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ces), errors.As(err, &ie):
		return true
	case errors.As(err, &ge):
		return false
	}
	// The pipeline's own refusals (nothing to compare, a truncated tree).
	return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// planBudget is the room the upgrade plan may take in the comment.
const planBudget = 24 << 10

// planFor is the upgrade plan's Markdown for the comment, or a note why
// there is none. The solution comes from the configuration at the merge
// base, not the pull request's head: the bot's Tray token reads whatever
// solution it is told, and a pull request must not choose which.
func (b *Bot) planFor(ctx context.Context, sides *prcheck.Sides, repo githubapi.Repo, res *prcheck.Result) (md, note string, err error) {
	if b.tray == nil {
		return "", "upgrade plans are off: the bot has no Tray token (" + EnvTrayToken + ")", nil
	}
	baseCfg, err := sides.BaseConfig(ctx)
	if err != nil {
		if contentError(err) {
			return "", "no upgrade plan: the configuration on the base branch does not parse", nil
		}
		return "", "", err
	}
	sol := baseCfg.Tray.SolutionID
	if sol == "" {
		return "", "no upgrade plan: the base branch's " + config.DefaultPath + " names no tray.solution-id", nil
	}
	p, err := trayplan.Build(ctx, b.tray, trayplan.Request{SolutionID: sol, Report: res.Report})
	if err != nil {
		// The report goes out without the plan rather than not at all; the
		// next push or /breakwater plan tries again.
		b.log.Warn("the upgrade plan could not be made", "repo", repo.String(), "solution", sol, "err", err)
		note = "the upgrade plan could not be made: " + err.Error()
		return "### Upgrade plan\n\n⚠️ " + report.CodeSpan(clip.Runes(note, 500)) + "\n", note, nil
	}
	return report.PlanMarkdown(p, report.PlanOptions{SolutionID: sol, Budget: planBudget}), "", nil
}

func splitRepo(full string) (githubapi.Repo, bool) {
	owner, name, ok := strings.Cut(full, "/")
	return githubapi.Repo{Owner: owner, Name: name}, ok && owner != "" && name != "" && !strings.Contains(name, "/")
}
