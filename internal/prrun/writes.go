package prrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
)

// Output names, as in action.yml.
const (
	OutputBreaking     = "breaking"
	OutputRequiredBump = "required-bump"
	OutputDeclaredBump = "declared-bump"
	OutputLabels       = "labels"
	OutputReport       = "report"
	OutputFindings     = "findings"
)

// localOutputs writes what needs no GitHub API: the log, the JSON report,
// the step outputs and the job summary.
func (r *run) localOutputs(rep *change.Report, res *Result, out rendered) error {
	r.rn.Group("Breakwater report")
	if err := r.rn.Print(out.text); err != nil {
		return err
	}
	r.rn.EndGroup()

	dir := r.actx.Workspace
	if dir == "" {
		dir = "."
	}
	reportFile := filepath.Join(dir, filepath.FromSlash(ReportPath))
	if err := os.MkdirAll(filepath.Dir(reportFile), 0o755); err != nil {
		return fmt.Errorf("writing the JSON report: %w", err)
	}
	if err := os.WriteFile(reportFile, out.json, 0o644); err != nil {
		return fmt.Errorf("writing the JSON report: %w", err)
	}

	outputs := []struct{ name, value string }{
		{OutputBreaking, strconv.FormatBool(hasBreaking(rep))},
		{OutputRequiredBump, rep.Summary.RequiredBump.String()},
		{OutputDeclaredBump, rep.Summary.DeclaredBump.String()},
		{OutputLabels, strings.Join(res.Labels, ",")},
		{OutputReport, ReportPath},
		{OutputFindings, strconv.Itoa(len(rep.Changes))},
	}
	for _, o := range outputs {
		if err := r.rn.SetOutput(o.name, o.value); err != nil {
			return err
		}
	}
	return r.rn.AddStepSummary(out.summary)
}

// forbiddenError is a write GitHub refused (403).
type forbiddenError struct{ err error }

func (e *forbiddenError) Error() string { return e.err.Error() }
func (e *forbiddenError) Unwrap() error { return e.err }

// writes updates the pull request: labels, the sticky comment and the check
// run (or workflow command annotations when the check run is turned off).
func (r *run) writes(ctx context.Context, res *Result, out rendered) error {
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return r.syncLabels(ctx, res.Labels) },
		func(ctx context.Context) error { return r.syncComment(ctx, res) },
		func(ctx context.Context) error {
			if !res.Touched {
				return nil
			}
			if !r.in.checkRun {
				r.annotateWithCommands(out.annotations)
				return nil
			}
			return r.publishCheckRun(ctx, res, out)
		},
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			if githubapi.IsForbidden(err) {
				if r.ev.fork() {
					return &forbiddenError{err}
				}
				return fmt.Errorf("%w. The workflow's token lacks a permission: give the job `permissions: {contents: read, pull-requests: write, checks: write}` (or set the check-run input to false to do without checks: write)", err)
			}
			return err
		}
	}
	return nil
}

// labelSpec is a label Breakwater manages: its role decides colour and
// description.
type labelSpec struct {
	name, color, description string
}

// ownLabels are the labels the run adds and removes; the acceptance label
// belongs to the reviewers and is never touched.
func ownLabels(l config.Labels) []labelSpec {
	return []labelSpec{
		{l.Breaking, "b60205", "Breakwater: breaks deployed instances"},
		{l.Auth, "d93f0b", "Breakwater: breaking change to authentication (services, scopes)"},
		{l.Config, "d93f0b", "Breakwater: breaking change to configuration slots"},
		{l.CollectionRole, "d93f0b", "Breakwater: breaking change to recipe collection roles"},
		{l.Workflow, "d93f0b", "Breakwater: breaking change to workflows"},
		{l.SemverMajor, "5319e7", "Breakwater: needs a major version"},
		{l.SemverMinor, "1d76db", "Breakwater: needs a minor version"},
		{l.SemverPatch, "0e8a16", "Breakwater: needs a patch version"},
	}
}

// labelsFor are the labels that describe the change: the breaking label and
// one per category of breaking findings (accepted ones too: acceptance
// decides the check, not what the change is), and the required bump.
func (r *run) labelsFor(rep *change.Report) []string {
	l := r.cfg.Labels
	var out []string
	add := func(name string) {
		if name != "" && !containsFold(out, name) {
			out = append(out, name)
		}
	}
	cats := map[change.Category]bool{}
	for _, f := range rep.Changes {
		if f.Severity == change.Breaking {
			cats[f.Category] = true
		}
	}
	if len(cats) > 0 {
		add(l.Breaking)
	}
	for _, c := range []change.Category{change.CatAuth, change.CatConfig, change.CatCollectionRole, change.CatWorkflow} {
		if cats[c] {
			add(l.ForCategory(c))
		}
	}
	add(l.ForBump(rep.Summary.RequiredBump))
	return out
}

// syncLabels adds the labels that apply (creating missing ones with colour
// and description) and removes Breakwater's labels that no longer apply.
func (r *run) syncLabels(ctx context.Context, want []string) error {
	specs := ownLabels(r.cfg.Labels)
	var add, remove []string
	for _, w := range want {
		if !containsFold(r.pr.Labels, w) {
			add = append(add, w)
		}
	}
	for _, have := range r.pr.Labels {
		for _, s := range specs {
			if s.name != "" && strings.EqualFold(s.name, have) && !containsFold(want, have) && !containsFold(remove, have) {
				remove = append(remove, have)
			}
		}
	}
	if len(add) > 0 {
		existing, err := r.gh.Labels(ctx, r.repo)
		if err != nil {
			return err
		}
		names := make([]string, len(existing))
		for i, l := range existing {
			names[i] = l.Name
		}
		for _, name := range add {
			if containsFold(names, name) {
				continue
			}
			spec := labelSpec{name: name, color: "ededed"}
			for _, s := range specs {
				if s.name == name {
					spec = s
				}
			}
			err := r.gh.CreateLabel(ctx, r.repo, githubapi.Label{Name: spec.name, Color: spec.color, Description: spec.description})
			// 422: another run created it meanwhile.
			if err != nil && githubapi.StatusOf(err) != 422 {
				return err
			}
		}
		if err := r.gh.AddLabels(ctx, r.repo, r.ev.Number, add); err != nil {
			return err
		}
	}
	for _, name := range remove {
		if err := r.gh.RemoveLabel(ctx, r.repo, r.ev.Number, name); err != nil {
			return err
		}
	}
	return nil
}

// syncComment keeps one comment per pull request, found by its marker and
// edited in place. A pull request that never touched an export gets none;
// one that no longer does, or whose breaking changes are gone, is told so.
func (r *run) syncComment(ctx context.Context, res *Result) error {
	if !r.cfg.Comment {
		return nil
	}
	comments, err := r.gh.Comments(ctx, r.repo, r.ev.Number)
	if err != nil {
		return err
	}
	var existing *githubapi.Comment
	for i := range comments {
		// The marker must open the body: a reply quoting the comment does
		// not count.
		if strings.HasPrefix(strings.TrimSpace(comments[i].Body), Marker) {
			existing = &comments[i]
			break
		}
	}
	var body string
	switch {
	case !res.Touched && existing == nil:
		return nil
	case !res.Touched:
		body = resolvedBody
	default:
		wasBreaking := existing != nil && strings.Contains(existing.Body, stateBreaking)
		body = r.commentBody(res.Report, wasBreaking && !hasBreaking(res.Report))
	}
	if existing == nil {
		_, err := r.gh.CreateComment(ctx, r.repo, r.ev.Number, body)
		return err
	}
	if existing.Body == body {
		return nil
	}
	return r.gh.UpdateComment(ctx, r.repo, existing.ID, body)
}

func (r *run) publishCheckRun(ctx context.Context, res *Result, out rendered) error {
	conclusion := "success"
	if res.Failed {
		conclusion = "failure"
	}
	anns := checkAnnotations(out.annotations)
	text := out.checkText
	if n := len(out.annotations) - len(anns); n > 0 {
		text += fmt.Sprintf("\n%d more annotations are not shown; the job summary lists every finding.\n", n)
	}
	_, err := r.gh.PublishCheckRun(ctx, r.repo, githubapi.CheckRun{
		Name:        CheckRunName,
		HeadSHA:     r.ev.HeadSHA,
		Conclusion:  conclusion,
		DetailsURL:  r.actx.RunURL(),
		Title:       out.checkTitle,
		Summary:     text,
		Annotations: anns,
	}, r.now())
	return err
}
