// Package prrun is the pull request run of the GitHub Action: it reads the
// event, finds the merge base and the export files the pull request changes,
// diffs them, and reports through everything a pull request shows — labels,
// one sticky comment, a check run with annotations (published through
// internal/prsurface, as the bot does), the job summary and the step
// outputs.
//
// GitHub is reached only through the GitHub interface below, which
// *githubapi.Client implements; the runner only through *actions.Runner.
package prrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/breakwater-dev/breakwater/internal/actions"
	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/prcheck"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
	"github.com/breakwater-dev/breakwater/internal/report"
	"github.com/breakwater-dev/breakwater/internal/source"
)

// GitHub is what the run needs from GitHub's REST API.
type GitHub interface {
	PullRequest(ctx context.Context, r githubapi.Repo, number int) (*githubapi.PullRequest, error)
	// The reads of the check: merge base, changed files, trees, contents.
	prcheck.GitHub
	// The writes: labels, the sticky comment and the check run.
	prsurface.GitHub
}

// Env is what a run reads and writes outside itself.
type Env struct {
	Runner *actions.Runner
	// NewGitHub makes the API client for GITHUB_API_URL and the token.
	NewGitHub func(apiURL, token string) (GitHub, error)
	Engine    *engine.Engine
	// Now stamps the check run; nil means time.Now.
	Now func() time.Time
}

// Result is the outcome of a run that did its job.
type Result struct {
	// Report is the classified comparison (empty when the pull request
	// changes no export files).
	Report *change.Report
	// Touched is false when the pull request changes no export files.
	Touched bool
	// Labels are the labels that describe the change.
	Labels []string
	// ReadOnly is true when writes to the pull request were skipped.
	ReadOnly bool
	// Failed means the check fails: exit code 1.
	Failed bool
}

// Names of the run's files and links.
const (
	// ReportPath is where the JSON report is written, relative to the
	// workspace (the `report` output).
	ReportPath = ".breakwater/report.json"
	// AppURL is where the Breakwater GitHub App, which can write to pull
	// requests from forks, is documented.
	AppURL = "https://github.com/breakwater-dev/breakwater/blob/main/docs/action.md#pull-requests-from-forks"
)

// run is one pull request run in progress.
type run struct {
	env  Env
	rn   *actions.Runner
	gh   GitHub
	actx actions.Context
	repo githubapi.Repo
	ev   *event
	in   inputs
	cfg  *config.Config
	pr   *githubapi.PullRequest
	now  func() time.Time

	// check is the comparison, once made.
	check *prcheck.Result
	// readOnly says writes are skipped; why says why, for the notice.
	readOnly bool
	why      string
	// annotated is set once the findings were printed as workflow commands.
	annotated bool
}

// Run runs the action on the pull request the runner's event names. An
// error means the tool could not do its job (exit code 2); otherwise
// Result.Failed says whether the check fails (exit code 1).
func Run(ctx context.Context, env Env) (*Result, error) {
	rn := env.Runner
	token := rn.Input("token")
	if token == "" {
		token = rn.Getenv("GITHUB_TOKEN")
	}
	// Mask before anything else is printed, so no later line can leak it.
	rn.AddMask(token)

	r := &run{env: env, rn: rn, now: env.Now}
	if r.now == nil {
		r.now = time.Now
	}
	var err error
	if r.in, err = readInputs(rn); err != nil {
		return nil, err
	}
	if r.actx, err = rn.Context(); err != nil {
		return nil, err
	}
	r.repo = githubapi.Repo{Owner: r.actx.Owner, Name: r.actx.Repo}
	payload, err := r.actx.ReadEvent()
	if err != nil {
		return nil, err
	}
	if r.ev, err = decodeEvent(r.actx.EventName, payload); err != nil {
		return nil, err
	}
	if token == "" {
		return nil, errors.New("no GitHub token: set the action's `token` input (its default is ${{ github.token }})")
	}
	if r.gh, err = env.NewGitHub(r.actx.APIURL, token); err != nil {
		return nil, err
	}
	return r.execute(ctx)
}

// execute runs the three steps: what the pull request is, what it changes
// (compare, in fetch.go), and what to tell it.
func (r *run) execute(ctx context.Context) (*Result, error) {
	if err := r.prepare(ctx); err != nil {
		return nil, err
	}
	res, err := r.compare(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.publish(ctx, res); err != nil {
		return nil, err
	}
	return res, nil
}

// prepare reads the pull request, its merge base and the configuration, and
// decides whether the run may write.
func (r *run) prepare(ctx context.Context) error {
	var err error
	if r.pr, err = r.gh.PullRequest(ctx, r.repo, r.ev.Number); err != nil {
		return err
	}
	if r.cfg, err = r.loadConfig(ctx, r.ev.HeadSHA); err != nil {
		return err
	}
	if err := r.in.apply(r.cfg); err != nil {
		return err
	}
	r.decideWrites()
	return nil
}

// publish reports the result: the log, the report file, the outputs and the
// summary first, then the writes to the pull request.
func (r *run) publish(ctx context.Context, res *Result) error {
	rep := res.Report
	out := r.render(rep, res.Touched)

	// What works with any token comes first: the log, the report file, the
	// outputs and the summary survive a failed write below.
	if err := r.localOutputs(rep, res, out); err != nil {
		return err
	}
	// The verdict goes before any finding's annotation, so that the per-step
	// caps can never hide it.
	if res.Failed {
		r.rn.Error(prsurface.FailureMessage(rep, r.cfg.Labels.Accepted, configPathOr(r.cfg)))
	}
	if r.readOnly {
		r.readOnlyNotice()
		r.annotateWithCommands(out.annotations)
	} else if err := r.writes(ctx, res, out); err != nil {
		var forbidden *forbiddenError
		if !errors.As(err, &forbidden) || !r.ev.fork() {
			return err
		}
		// A fork's pull_request_target run whose token turned out read-only.
		r.readOnly, r.why = true, "GitHub refused the write ("+forbidden.Error()+")"
		r.readOnlyNotice()
		r.annotateWithCommands(out.annotations)
	}
	res.ReadOnly = r.readOnly
	return nil
}

// decideWrites skips writes that would fail: the GITHUB_TOKEN of a
// pull_request run from a fork, or of a Dependabot pull request, is
// read-only.
func (r *run) decideWrites() {
	switch {
	case r.ev.Name == "pull_request" && r.ev.fork():
		r.readOnly, r.why = true, "this pull request comes from a fork, so the workflow's token is read-only"
	case r.ev.Name == "pull_request" && r.actx.Actor == "dependabot[bot]":
		r.readOnly, r.why = true, "Dependabot's pull requests run with a read-only token"
	}
}

func (r *run) readOnlyNotice() {
	r.rn.Notice(fmt.Sprintf("Breakwater did not write to the pull request: %s. Labels, the comment and the check run were skipped; the report is in the job summary and the annotations. The Breakwater GitHub App posts them on pull requests from forks too: %s", r.why, AppURL))
}

// loadConfig reads the configuration from the workspace when the checkout
// has it, else from the pull request's head commit; none at the default
// path means the defaults.
func (r *run) loadConfig(ctx context.Context, headSHA string) (*config.Config, error) {
	cfg, err := config.Find(ctx, r.in.configPath, r.in.configSet, source.ConfigReaders(r.actx.Workspace, r.gh, r.repo, headSHA)...)
	if err != nil && r.in.configSet {
		return nil, fmt.Errorf("the `config` input: %w", err)
	}
	return cfg, err
}

// rendered is the report in every form the run publishes.
type rendered struct {
	summary     string // the job summary
	content     prsurface.Content
	annotations []prsurface.Annotation
	text        string // the log
	json        []byte
}

func (r *run) render(rep *change.Report, touched bool) rendered {
	book := r.env.Engine.Rules()
	var out rendered
	howTo := prsurface.AcceptHowTo(rep, r.cfg.Labels.Accepted, configPathOr(r.cfg))
	if touched {
		out.summary = report.Markdown(rep, book, report.MarkdownOptions{
			Title:  "Breakwater",
			Budget: actions.StepSummaryLimit - 8<<10 - len(howTo),
		}) + howTo
	} else {
		out.summary = "### Breakwater\n\n✅ **This pull request changes no export files.**\n"
	}
	if r.readOnly {
		out.summary += "\n> [!NOTE]\n> Labels, the pull request comment and the check run were skipped: " + r.why + ". The Breakwater GitHub App posts them on pull requests from forks too.\n"
	}
	if r.check != nil {
		out.content = r.check.Content(book, r.actx.ServerURL, r.actx.RunURL())
		out.annotations = out.content.Annotations
	}
	var tb bytes.Buffer
	report.Text(&tb, rep, book, report.TextOptions{}) //nolint:errcheck // a bytes.Buffer does not fail
	out.text = tb.String()
	var jb bytes.Buffer
	report.JSON(&jb, rep) //nolint:errcheck
	out.json = jb.Bytes()
	return out
}

func configPathOr(c *config.Config) string { return prcheck.ConfigPath(c) }
