package prsurface

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/report"
)

// CheckRunName is the check run's name: what a branch protection rule
// requires.
const CheckRunName = "Breakwater"

// checkRunExternalID marks Breakwater's check runs among those of the same
// name (a workflow job named "Breakwater" has its own check run).
const checkRunExternalID = "breakwater"

// checkRunText is the check run's summary.
func (p *publisher) checkRunText(shown int) string {
	if !p.c.Touched {
		return "✅ **This pull request changes no export files**, so nothing breaks.\n"
	}
	howTo := AcceptHowTo(p.c.Report, p.c.Labels.Accepted, p.c.ConfigPath)
	text := report.Markdown(p.c.Report, p.c.Rules, report.MarkdownOptions{Budget: githubapi.MaxCheckRunText - 512 - len(howTo)}) + howTo
	if n := len(p.c.Annotations) - shown; n > 0 {
		text += fmt.Sprintf("\n%d more annotations are not shown; the full report lists every finding.\n", n)
	}
	return text
}

// publishCheckRun completes the one check run of the head commit: the one
// this identity's app created earlier on the commit, updated, or a new one.
// A pull request that touches no export gets a successful check run too, so
// that a required status check reports.
func (p *publisher) publishCheckRun(ctx context.Context) error {
	if !p.opts.CheckRun {
		return nil
	}
	self := p.res.Identity
	if self.Known() && !self.IsApp() {
		p.res.CheckRunSkipped = fmt.Sprintf("only GitHub Apps may create check runs, and the token acts as the user %s (a personal access token); use the workflow's GITHUB_TOKEN or an app's token, or set check-run to false", self.Login)
		return nil
	}
	conclusion := "success"
	if p.c.Failure != "" || p.c.Touched && !p.c.Report.Summary.OK {
		conclusion = "failure"
	}
	anns := checkAnnotations(p.c.Annotations)
	run := githubapi.CheckRun{
		Name:       CheckRunName,
		HeadSHA:    p.pr.HeadSHA,
		ExternalID: checkRunExternalID,
		Conclusion: conclusion,
		DetailsURL: p.c.ReportURL,
		Title:      CheckTitle(p.c.Report, p.c.Touched),
		Summary:    p.checkRunText(len(anns)),
	}
	if p.c.Failure != "" {
		run.Title = "Breakwater could not check this pull request"
		run.Summary = "Breakwater could not check this pull request:\n\n```text\n" + strings.ReplaceAll(p.c.Failure, "```", "'''") + "\n```\n"
	}

	existing, err := p.gh.CheckRuns(ctx, p.pr.Repo, p.pr.HeadSHA, CheckRunName)
	if err != nil {
		return err
	}
	// Newest first: the one GitHub shows.
	slices.Reverse(existing)
	for _, cr := range existing {
		if cr.Name != CheckRunName || cr.ExternalID != checkRunExternalID || (self.IsApp() && !self.created(cr)) {
			continue
		}
		update := run
		var stale bool
		if update.Annotations, stale, err = p.newAnnotations(ctx, cr, anns); err != nil {
			return err
		}
		if stale {
			update.Summary += "\n" + staleAnnotations + "\n"
		}
		info, err := p.gh.PublishCheckRun(ctx, p.pr.Repo, cr.ID, update, p.opts.Now)
		if (githubapi.IsForbidden(err) || githubapi.IsNotFound(err)) && !self.IsApp() {
			// Not knowing its app yet, the token tried another app's check
			// run: GitHub lets only the app that created one change it.
			continue
		}
		if err != nil {
			return err
		}
		return p.checkRunDone(info)
	}
	run.Annotations = anns
	info, err := p.gh.PublishCheckRun(ctx, p.pr.Repo, 0, run, p.opts.Now)
	if err != nil {
		return err
	}
	return p.checkRunDone(info)
}

// checkRunDone records the check run, and learns the token's app from it.
func (p *publisher) checkRunDone(info *githubapi.CheckRunInfo) error {
	p.res.CheckRunID = info.ID
	if info.App.Slug == "" {
		return nil
	}
	return p.learn(AppIdentity(info.App, "the check run it published"))
}

// staleAnnotations explains annotations an update could not take back.
const staleAnnotations = "Annotations from an earlier run on this commit that no longer apply stay on this check run: GitHub cannot remove a check run's annotations."

// annotationKey identifies an annotation the way GitHub keeps it.
type annotationKey struct {
	path                  string
	start, end            int
	level, title, message string
}

func keyOf(a githubapi.Annotation) annotationKey {
	return annotationKey{a.Path, a.StartLine, max(a.EndLine, a.StartLine), a.Level, a.Title, a.Message}
}

// newAnnotations are those of anns that check run cr does not hold yet:
// GitHub appends the annotations of every update and cannot remove any, so
// an update that sent them all again would show each twice. stale reports
// annotations cr holds that no longer apply (a break accepted since).
func (p *publisher) newAnnotations(ctx context.Context, cr githubapi.CheckRunInfo, anns []githubapi.Annotation) (fresh []githubapi.Annotation, stale bool, err error) {
	if cr.AnnotationsCount == 0 {
		return anns, false, nil
	}
	held, err := p.gh.CheckRunAnnotations(ctx, p.pr.Repo, cr.ID)
	if err != nil {
		return nil, false, err
	}
	have := map[annotationKey]bool{}
	for _, a := range held {
		have[keyOf(a)] = true
	}
	want := map[annotationKey]bool{}
	for _, a := range anns {
		k := keyOf(a)
		want[k] = true
		if !have[k] {
			fresh = append(fresh, a)
		}
	}
	for k := range have {
		stale = stale || !want[k]
	}
	return fresh, stale, nil
}
