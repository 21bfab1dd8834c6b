// Package prcheck is the pull request check both pull request faces run —
// the GitHub Action (internal/prrun) and the GitHub App bot (internal/bot):
// the merge base, both sides read through one reading layer
// (source.OpenCommits: a git checkout that holds or can fetch both
// commits, else the API for a number of requests that does not grow with
// the files), the configuration at the pull request's head, the shared
// pipeline over what differs between the sides, the token's rate-limit
// budget, and what to publish (internal/prsurface). The faces only say
// which pull request, with which client and checkout, and where to report.
package prcheck

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
	"github.com/breakwater-dev/breakwater/internal/report"
	"github.com/breakwater-dev/breakwater/internal/source"
)

// GitHub is what a check reads from GitHub's REST API; *githubapi.Client
// implements it.
type GitHub interface {
	MergeBase(ctx context.Context, r githubapi.Repo, base, head string) (string, error)
	// The reads of both sides when no checkout serves them.
	source.GitHubContents
	// RateLimit is what the latest answer said is left of the token's rate
	// limit.
	RateLimit() (githubapi.Rate, bool)
}

// Options say which pull request commits to open, and where they may be
// read from.
type Options struct {
	Repo githubapi.Repo
	// BaseSHA is the base branch's tip and HeadSHA the head commit the
	// check is for; the comparison is from their merge base to HeadSHA.
	BaseSHA, HeadSHA string
	// Checkout is the working tree of a clone of the repository (the
	// Action's workspace), "" for none (the bot has none): both sides are
	// then read through the API.
	Checkout string
	// RemoteURL is the repository's address on its git host and Token the
	// token to fetch commits the checkout lacks with (see
	// source.CommitsOptions).
	RemoteURL, Token string
	// TempDir holds unpacked source archives ("" for the system's).
	TempDir string
	// Now is the clock that says how long until a rate limit resets; nil
	// means time.Now.
	Now func() time.Time
}

// Sides are a pull request's two commits opened for its check: its merge
// base and its head. Close them when the check is published.
type Sides struct {
	Repo      githubapi.Repo
	MergeBase string
	HeadSHA   string
	// Commits are both sides, and how they are read (Mode, Why, Fetched).
	Commits *source.Commits

	gh  GitHub
	now func() time.Time
}

// Open finds the merge base and opens both sides. Only a failure of the
// API is an error: a checkout that cannot serve is passed over for the API,
// and Commits.Why says why.
func Open(ctx context.Context, gh GitHub, o Options) (*Sides, error) {
	mergeBase, err := gh.MergeBase(ctx, o.Repo, o.BaseSHA, o.HeadSHA)
	if err != nil {
		return nil, err
	}
	commits, err := source.OpenCommits(ctx, source.CommitsOptions{
		Repo: o.Repo, Base: mergeBase, Head: o.HeadSHA, API: gh,
		Checkout: o.Checkout, RemoteURL: o.RemoteURL, Token: o.Token, TempDir: o.TempDir,
	})
	if err != nil {
		return nil, err
	}
	s := &Sides{Repo: o.Repo, MergeBase: mergeBase, HeadSHA: o.HeadSHA, Commits: commits, gh: gh, now: o.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Close removes what reading left behind (unpacked archives).
func (s *Sides) Close() error { return s.Commits.Close() }

// Config reads the repository's configuration (config.DefaultPath) at the
// pull request's head; none there means the defaults. It is config.Find
// over that one commit, as every face looks it up.
func (s *Sides) Config(ctx context.Context) (*config.Config, error) {
	return config.Find(ctx, "", false, s.Commits.Head)
}

// BaseConfig is Config at the merge base: what the pull request cannot
// choose (the bot's Tray solution).
func (s *Sides) BaseConfig(ctx context.Context) (*config.Config, error) {
	return config.Find(ctx, "", false, s.Commits.Base)
}

// reads is about the most API requests reading both sides still takes:
// nothing from a checkout; through the API two listings and, per side, at
// worst ContentsLimit contents requests (more files come in one archive).
func (s *Sides) reads() int {
	if s.Commits.Mode != source.ModeAPI {
		return 0
	}
	return 2 + 2*source.Requests(source.ContentsLimit)
}

// ConfigPath is where the configuration accepts fingerprints: the file it
// came from, else the default path.
func ConfigPath(c *config.Config) string {
	if c.Path != "" {
		return c.Path
	}
	return config.DefaultPath
}

// Request is how to check the opened pull request.
type Request struct {
	Number int
	Config *config.Config
	// Labels are the pull request's labels: the acceptance label accepts
	// every breaking change.
	Labels []string
	// LabeledBy is who added the acceptance label, when the event that
	// started the check is that label being added.
	LabeledBy string
	// Publish is how the face will publish the result (prsurface.Publish);
	// nil when it writes nothing to the pull request. The token's rate
	// limit must cover reading both sides and publishing at least the
	// check run and the comment, or the check stops before it reads (a
	// *BudgetError).
	Publish *prsurface.Options
}

// Result is a checked pull request.
type Result struct {
	MergeBase string
	Report    *change.Report
	// Touched is false when the pull request changes no export file.
	Touched bool
	// Labels describe the change.
	Labels []string
	// Failed: the check fails.
	Failed bool
	cfg    *config.Config
	repo   githubapi.Repo
}

// Run compares what differs between the two sides (the pull request's
// changed files, known from the trees without listing them). An error
// means the check could not be made: a *BudgetError when the rate limit
// cannot cover it, a *change.InputError naming the file, line and column
// of an unreadable export.
func (s *Sides) Run(ctx context.Context, eng *engine.Engine, req Request) (*Result, error) {
	cfg := req.Config
	need := s.reads()
	if req.Publish != nil {
		least := prsurface.Content{Report: &change.Report{}, Touched: true, Labels: cfg.Labels}
		need += prsurface.Requests(s.target(req.Number, req.Labels), least, *req.Publish)
	}
	if err := s.budget(need, "comparing the pull request and publishing the result"); err != nil {
		return nil, err
	}
	policy := cfg.Policy(prsurface.CarriesLabel(req.Labels, cfg.Labels.Accepted))
	if policy.AcceptAll != nil && req.LabeledBy != "" {
		policy.AcceptAll.By = req.LabeledBy
	}
	res, err := eng.Run(ctx, engine.Request{
		Base: s.Commits.Base, Head: s.Commits.Head,
		Config:      cfg,
		OnlyChanged: true,
		Accept:      policy.AcceptAll,
	})
	if err != nil {
		return nil, fmt.Errorf("comparing the export files: %w", err)
	}
	rep := res.Report
	return &Result{
		MergeBase: s.MergeBase, Report: rep, Touched: rep.Summary.Compared.Artifacts > 0, Failed: !rep.Summary.OK,
		Labels: prsurface.LabelsFor(rep, cfg.Labels), cfg: cfg, repo: s.Repo,
	}, nil
}

// CheckPublish stops a publication the rate limit cannot cover (a
// *BudgetError) before anything of it is written: a pull request never
// shows half a result, labels without their check run.
func (s *Sides) CheckPublish(pr prsurface.PullRequest, c prsurface.Content, o prsurface.Options) error {
	return s.budget(prsurface.Requests(pr, c, o), "publishing the result")
}

func (s *Sides) target(number int, labels []string) prsurface.PullRequest {
	return prsurface.PullRequest{Repo: s.Repo, Number: number, HeadSHA: s.HeadSHA, Labels: labels}
}

// LabeledBy is the user who added the acceptance label when the event is
// that label being added, else "".
func LabeledBy(ev *githubapi.PullRequestEvent, cfg *config.Config) string {
	if ev.Action == "labeled" && strings.EqualFold(ev.Label, cfg.Labels.Accepted) {
		return ev.Sender
	}
	return ""
}

// Content is what to publish on the pull request: annotations link removals
// to the merge base's lines on serverURL (https://github.com), and
// reportURL is where the full report is.
func (r *Result) Content(rules report.RuleBook, serverURL, reportURL string) prsurface.Content {
	return prsurface.Content{
		Report: r.Report, Touched: r.Touched, Rules: rules, Labels: r.cfg.Labels,
		ConfigPath: ConfigPath(r.cfg), ReportURL: reportURL,
		Annotations: prsurface.Annotations(r.Report, prsurface.Sources{BaseURL: prsurface.BlobURL(serverURL, r.repo, r.MergeBase)}),
	}
}
