// Package prrun is the pull request run of the GitHub Action: it reads the
// event, finds the merge base and the export files the pull request changes,
// diffs them, and reports through everything a pull request shows — labels,
// one sticky comment, a check run with annotations, the job summary and the
// step outputs.
//
// GitHub is reached only through the GitHub interface below, which
// *githubapi.Client implements; the runner only through *actions.Runner.
package prrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/actions"
	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/report"
)

// GitHub is what the run needs from GitHub's REST API.
type GitHub interface {
	PullRequest(ctx context.Context, r githubapi.Repo, number int) (*githubapi.PullRequest, error)
	MergeBase(ctx context.Context, r githubapi.Repo, base, head string) (string, error)
	PullRequestFiles(ctx context.Context, r githubapi.Repo, number int) ([]githubapi.ChangedFile, error)
	FileContent(ctx context.Context, r githubapi.Repo, path, ref string) ([]byte, error)
	Tree(ctx context.Context, r githubapi.Repo, ref string) ([]githubapi.TreeEntry, bool, error)
	Labels(ctx context.Context, r githubapi.Repo) ([]githubapi.Label, error)
	CreateLabel(ctx context.Context, r githubapi.Repo, l githubapi.Label) error
	AddLabels(ctx context.Context, r githubapi.Repo, number int, names []string) error
	RemoveLabel(ctx context.Context, r githubapi.Repo, number int, name string) error
	Comments(ctx context.Context, r githubapi.Repo, number int) ([]githubapi.Comment, error)
	CreateComment(ctx context.Context, r githubapi.Repo, number int, body string) (int64, error)
	UpdateComment(ctx context.Context, r githubapi.Repo, id int64, body string) error
	PublishCheckRun(ctx context.Context, r githubapi.Repo, run githubapi.CheckRun, now time.Time) (int64, error)
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

// Names shared by the comment, the check run and the files.
const (
	// Marker starts the sticky comment; the run finds its comment by it.
	Marker = "<!-- breakwater:report -->"
	// stateBreaking is in a comment that reported breaking changes, so the
	// next run knows to say they are resolved.
	stateBreaking = "<!-- breakwater:state=breaking -->"
	// CheckRunName is the check run's name.
	CheckRunName = "Breakwater"
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

	mergeBase string
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
	// Diff what this run was started for: a newer push starts its own run.
	if r.mergeBase, err = r.gh.MergeBase(ctx, r.repo, r.ev.BaseSHA, r.ev.HeadSHA); err != nil {
		return err
	}
	if r.cfg, err = r.loadConfig(ctx, r.ev.HeadSHA); err != nil {
		return err
	}
	r.in.apply(r.cfg)
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
		r.rn.Error(r.failureMessage(rep))
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
	p := r.in.configPath
	if p == "" {
		p = config.DefaultPath
	}
	if r.actx.Workspace != "" {
		full := filepath.Join(r.actx.Workspace, filepath.FromSlash(p))
		if data, err := os.ReadFile(full); err == nil {
			return config.Parse(p, data)
		}
	}
	data, err := r.gh.FileContent(ctx, r.repo, p, headSHA)
	switch {
	case githubapi.IsNotFound(err) && !r.in.configSet:
		return config.Default(), nil
	case githubapi.IsNotFound(err):
		return nil, fmt.Errorf("the configuration %s named by the `config` input does not exist in the pull request's head", p)
	case err != nil:
		return nil, err
	}
	return config.Parse(p, data)
}

// rendered is the report in every form the run publishes.
type rendered struct {
	summary     string // the job summary
	checkTitle  string
	checkText   string // the check run's summary
	annotations []annotation
	text        string // the log
	json        []byte
}

func (r *run) render(rep *change.Report, touched bool) rendered {
	book := r.env.Engine.Rules()
	var out rendered
	howTo := r.acceptHowTo(rep)
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
	out.checkTitle = checkTitle(rep)
	out.checkText = report.Markdown(rep, book, report.MarkdownOptions{Budget: githubapi.MaxCheckRunText - 256 - len(howTo)}) + howTo
	out.annotations = r.annotations(rep)
	var tb bytes.Buffer
	report.Text(&tb, rep, book, report.TextOptions{}) //nolint:errcheck // a bytes.Buffer does not fail
	out.text = tb.String()
	var jb bytes.Buffer
	report.JSON(&jb, rep) //nolint:errcheck
	out.json = jb.Bytes()
	return out
}

// commentBody is the sticky comment for rep; resolved adds the line that
// says the breaking changes reported before are gone.
func (r *run) commentBody(rep *change.Report, resolved bool) string {
	var extra strings.Builder
	if resolved {
		extra.WriteString("\n✅ **Resolved:** the breaking changes reported earlier are gone.\n")
	}
	extra.WriteString(r.acceptHowTo(rep))
	if hasBreaking(rep) {
		extra.WriteString("\n" + stateBreaking + "\n")
	}
	body := report.Markdown(rep, r.env.Engine.Rules(), report.MarkdownOptions{
		Marker:        Marker,
		Title:         "Breakwater",
		FullReportURL: r.actx.RunURL(),
		Budget:        report.GitHubCommentLimit - 256 - extra.Len(),
	})
	return body + extra.String()
}

// resolvedBody is the sticky comment of a pull request that no longer
// changes any export file.
const resolvedBody = Marker + "\n### Breakwater\n\n✅ **Resolved:** this pull request no longer changes any export file, so nothing breaks.\n"

// hasBreaking reports breaking findings, accepted or not: they make the
// change a breaking one, whatever the check says.
func hasBreaking(rep *change.Report) bool {
	for _, f := range rep.Changes {
		if f.Severity == change.Breaking {
			return true
		}
	}
	return false
}

func unaccepted(rep *change.Report) []change.Finding {
	var out []change.Finding
	for _, f := range rep.Changes {
		if f.Severity == change.Breaking && f.Accepted == nil {
			out = append(out, f)
		}
	}
	return out
}

// acceptHowTo tells how to accept the unaccepted breaking changes, naming
// the label and the fingerprints to record; "" when there are none.
func (r *run) acceptHowTo(rep *change.Report) string {
	open := unaccepted(rep)
	if len(open) == 0 {
		return ""
	}
	const maxListed = 10
	var b strings.Builder
	what, pronoun := "this breaking change", "its fingerprint"
	if len(open) > 1 {
		what, pronoun = fmt.Sprintf("these %d breaking changes", len(open)), "their fingerprints"
	}
	fmt.Fprintf(&b, "\n**To accept %s**, add the label %s to this pull request, or record %s in %s:\n\n```yaml\naccepted:\n",
		what, report.CodeSpan(r.cfg.Labels.Accepted), pronoun, report.CodeSpan(configPathOr(r.cfg)))
	for i, f := range open {
		if i == maxListed {
			fmt.Fprintf(&b, "  # …and %d more: see the JSON report\n", len(open)-maxListed)
			break
		}
		fmt.Fprintf(&b, "  - fingerprint: %s  # %s\n    by: your-github-login\n    reason: why this break is intended\n", f.Fingerprint, f.Rule)
	}
	b.WriteString("```\n")
	return b.String()
}

func configPathOr(c *config.Config) string {
	if c.Path != "" {
		return c.Path
	}
	return config.DefaultPath
}

// failureMessage is the error annotation of a failed check: why, and how to
// accept an intended break.
func (r *run) failureMessage(rep *change.Report) string {
	s := rep.Summary
	var parts []string
	if s.Breaking > 0 {
		fps := []string{}
		for i, f := range unaccepted(rep) {
			if i == 5 {
				fps = append(fps, "…")
				break
			}
			fps = append(fps, f.Fingerprint)
		}
		parts = append(parts, fmt.Sprintf("%s not accepted. To accept, add the label %q to the pull request, or add the fingerprints (%s) under `accepted:` in %s with who accepted them and why",
			plural(s.Breaking, "breaking change is", "breaking changes are"), r.cfg.Labels.Accepted, strings.Join(fps, ", "), configPathOr(r.cfg)))
	}
	if s.DeclaredBump != change.BumpUnknown && s.DeclaredBump < s.RequiredBump {
		parts = append(parts, fmt.Sprintf("the declared version bump (%s) is smaller than the required one (%s): raise the version", s.DeclaredBump, s.RequiredBump))
	}
	if n := s.Severities[change.Error]; n > 0 {
		parts = append(parts, fmt.Sprintf("%s must be fixed", plural(n, "error finding", "error findings")))
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("findings at or above fail-on: %s", s.FailOn))
	}
	return "Breakwater: the check failed: " + strings.Join(parts, "; ") + "."
}

// checkTitle is the check run's one-line title, from counts only.
func checkTitle(rep *change.Report) string {
	s := rep.Summary
	switch {
	case s.Breaking > 0 && s.Accepted > 0:
		return fmt.Sprintf("%s (%d accepted)", plural(s.Breaking, "unaccepted breaking change", "unaccepted breaking changes"), s.Accepted)
	case s.Breaking > 0:
		return plural(s.Breaking, "breaking change", "breaking changes")
	case !s.OK:
		return "The check failed"
	case s.Accepted > 0:
		return fmt.Sprintf("No unaccepted breaking changes (%d accepted)", s.Accepted)
	case len(rep.Changes) > 0:
		return fmt.Sprintf("No breaking changes (%s)", plural(len(rep.Changes), "finding", "findings"))
	}
	return "No breaking changes"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func containsFold(list []string, s string) bool {
	if s == "" {
		return false
	}
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
