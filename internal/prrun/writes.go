package prrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
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
		{OutputBreaking, strconv.FormatBool(prsurface.HasBreaking(rep))},
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

// writes updates the pull request — labels, the sticky comment and the
// check run — through prsurface, as the bot does; workflow command
// annotations stand in for a check run that is turned off or cannot be.
func (r *run) writes(ctx context.Context, res *Result, out rendered) error {
	opts := prsurface.Options{Comment: r.cfg.Comment, CheckRun: r.in.checkRun, Now: r.now()}
	if r.in.identity != "" {
		opts.Identity = prsurface.Identity{Login: r.in.identity, Source: "the identity input"}
	}
	pub, err := prsurface.Publish(ctx, r.gh,
		prsurface.PullRequest{Repo: r.repo, Number: r.ev.Number, HeadSHA: r.ev.HeadSHA, Labels: r.pr.Labels},
		out.content, opts)
	if err != nil {
		if githubapi.IsForbidden(err) {
			if r.ev.fork() {
				return &forbiddenError{err}
			}
			return fmt.Errorf("%w. The workflow's token lacks a permission: give the job `permissions: {contents: read, pull-requests: write, checks: write}` (or set the check-run input to false to do without checks: write)", err)
		}
		return err
	}
	for _, note := range pub.Notes {
		r.rn.Notice(note)
	}
	if pub.CheckRunSkipped != "" {
		r.rn.Warning("Breakwater published no check run: " + pub.CheckRunSkipped + ". The findings are annotated with workflow commands instead.")
	}
	if !r.in.checkRun || pub.CheckRunSkipped != "" {
		r.annotateWithCommands(out.annotations)
	}
	return nil
}
