// Package prsurface publishes a classified report on a pull request: the
// labels that describe the change (created with colour and description,
// removed when they no longer apply), one sticky comment, and one check run
// with annotations per head commit. The GitHub Action (internal/prrun) and
// the GitHub App bot both publish through it, so a pull request shows the
// same whichever of them wrote it. It knows nothing of the Actions runner.
//
// It owns only what its own identity wrote (see Identity): a comment anyone
// else wrote with the marker is never edited, deleted or trusted, and a
// check run is only ever updated by the app that created it. Runs that
// overlap on one pull request converge on one comment: every run removes
// the extra copies its identity wrote, keeping the oldest.
package prsurface

import (
	"context"
	"time"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/report"
)

// GitHub is what publishing needs from GitHub's REST API;
// *githubapi.Client implements it.
type GitHub interface {
	AuthenticatedUser(ctx context.Context) (*githubapi.User, error)
	Labels(ctx context.Context, r githubapi.Repo) ([]githubapi.Label, error)
	CreateLabel(ctx context.Context, r githubapi.Repo, l githubapi.Label) error
	AddLabels(ctx context.Context, r githubapi.Repo, number int, names []string) error
	RemoveLabel(ctx context.Context, r githubapi.Repo, number int, name string) error
	Comments(ctx context.Context, r githubapi.Repo, number int) ([]githubapi.Comment, error)
	CreateComment(ctx context.Context, r githubapi.Repo, number int, body string) (*githubapi.Comment, error)
	UpdateComment(ctx context.Context, r githubapi.Repo, id int64, body string) error
	DeleteComment(ctx context.Context, r githubapi.Repo, id int64) error
	CheckRuns(ctx context.Context, r githubapi.Repo, ref, name string) ([]githubapi.CheckRunInfo, error)
	CheckRunAnnotations(ctx context.Context, r githubapi.Repo, id int64) ([]githubapi.Annotation, error)
	PublishCheckRun(ctx context.Context, r githubapi.Repo, id int64, run githubapi.CheckRun, now time.Time) (*githubapi.CheckRunInfo, error)
}

// PullRequest is the pull request to publish on.
type PullRequest struct {
	Repo   githubapi.Repo
	Number int
	// HeadSHA is the commit the report is about; the check run goes on it.
	HeadSHA string
	// Labels are the pull request's labels as read before anything was
	// written: the labels to add and remove are worked out from them.
	Labels []string
}

// Content is what to publish.
type Content struct {
	// Report is the classified comparison.
	Report *change.Report
	// Touched is false when the pull request changes no export file: the
	// check run still reports success, and only a pull request that had a
	// comment is told it is now clean.
	Touched bool
	// Rules explain the findings in the Markdown.
	Rules report.RuleBook
	// Labels are the label names of the configuration.
	Labels config.Labels
	// ConfigPath is the configuration file where fingerprints are accepted.
	ConfigPath string
	// ReportURL is where the full report is (the workflow run, the bot's
	// page): the check run's details link, and the comment's link when it
	// had to be cut.
	ReportURL string
	// Annotations are the findings placed on lines (see Annotations).
	Annotations []Annotation
	// Failure, when set, says why the check could not be made (a bad
	// configuration, an unreadable export): only the check run is
	// published, failed, with this text; labels and comment stay as they are.
	Failure string
	// Appendix is Markdown the caller adds below the report in the comment
	// (the bot's upgrade plan); the report gives up room for it.
	Appendix string
}

// Options say what to publish, and as whom.
type Options struct {
	Comment  bool
	CheckRun bool
	// Identity is who the token acts as, as far as the caller knows (the bot
	// knows its app; the Action may be told through an input). Publish learns
	// the rest from GitHub and fails when what it learns contradicts it.
	Identity Identity
	// Now stamps the check run.
	Now time.Time
}

// Result is what Publish did.
type Result struct {
	// Identity is who the token acts as, as far as it was learned.
	Identity Identity
	// Labels are the labels that describe the change.
	Labels []string
	// CommentID is the sticky comment, 0 for none.
	CommentID int64
	// CheckRunID is the check run, 0 for none.
	CheckRunID int64
	// CheckRunSkipped says why no check run was published although one was
	// asked for; the caller should annotate some other way.
	CheckRunSkipped string
	// Notes are things the caller should tell the user.
	Notes []string
}

// publisher is one Publish call in progress.
type publisher struct {
	gh   GitHub
	pr   PullRequest
	c    Content
	opts Options
	res  *Result
}

// Publish brings the pull request's labels, sticky comment and check run in
// line with c. The labels come first, then the check run (it tells an app's
// token who it is), then the comment. An error leaves what was written
// before it; the caller decides what a refused write (403) means.
func Publish(ctx context.Context, gh GitHub, pr PullRequest, c Content, opts Options) (*Result, error) {
	p := &publisher{gh: gh, pr: pr, c: c, opts: opts, res: &Result{Identity: opts.Identity}}
	p.res.Labels = LabelsFor(c.Report, c.Labels)
	if opts.CheckRun || opts.Comment && c.Failure == "" {
		if err := p.learnFromUser(ctx); err != nil {
			return p.res, err
		}
	}
	steps := []func(context.Context) error{p.syncLabels, p.publishCheckRun, p.syncComment}
	if c.Failure != "" {
		steps = steps[1:2]
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return p.res, err
		}
	}
	return p.res, nil
}
