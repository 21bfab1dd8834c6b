package githubapi

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-github/v88/github"
)

// Annotation levels of a check run.
const (
	AnnotationNotice  = "notice"
	AnnotationWarning = "warning"
	AnnotationFailure = "failure"
)

// Annotation is a check run annotation.
type Annotation struct {
	Path        string
	StartLine   int
	EndLine     int
	StartColumn int // only used when StartLine == EndLine
	EndColumn   int
	Level       string // AnnotationNotice, AnnotationWarning or AnnotationFailure
	Title       string
	Message     string
	RawDetails  string
}

// CheckRun is a completed check run to publish.
type CheckRun struct {
	Name    string
	HeadSHA string
	// ExternalID is the publisher's own reference, kept by GitHub, by which
	// it finds its check run again.
	ExternalID string
	// Conclusion is success, failure, neutral, cancelled, skipped, timed_out
	// or action_required.
	Conclusion  string
	DetailsURL  string
	Title       string
	Summary     string // Markdown, at most MaxCheckRunText characters
	Text        string // Markdown, at most MaxCheckRunText characters
	Annotations []Annotation
}

// CheckRunInfo is a check run as GitHub lists it.
type CheckRunInfo struct {
	ID         int64
	Name       string
	HeadSHA    string
	ExternalID string
	Status     string
	Conclusion string
	// App created it; only that app may change it.
	App              App
	AnnotationsCount int
}

func convertCheckRun(cr *github.CheckRun) *CheckRunInfo {
	return &CheckRunInfo{
		ID: cr.GetID(), Name: cr.GetName(), HeadSHA: cr.GetHeadSHA(), ExternalID: cr.GetExternalID(),
		Status: cr.GetStatus(), Conclusion: cr.GetConclusion(),
		App:              App{ID: cr.GetApp().GetID(), Slug: cr.GetApp().GetSlug()},
		AnnotationsCount: cr.GetOutput().GetAnnotationsCount(),
	}
}

// GitHub's limits for check runs.
const (
	// AnnotationsPerRequest is the most annotations one create or update
	// request may carry.
	AnnotationsPerRequest = 50
	// MaxCheckRunText is the most characters of output.summary and
	// output.text.
	MaxCheckRunText = 65535
)

// CheckRuns lists the check runs named name on commit ref, of every app
// and every attempt (filter=all), oldest first as GitHub orders them.
func (c *Client) CheckRuns(ctx context.Context, r Repo, ref, name string) ([]CheckRunInfo, error) {
	opts := &github.ListCheckRunsOptions{CheckName: github.Ptr(name), Filter: github.Ptr("all"), ListOptions: github.ListOptions{PerPage: perPage}}
	return listAll(ctx, c, fmt.Sprintf("list the check runs %q of %s", name, shortSHA(ref)), &opts.ListOptions,
		func() ([]*github.CheckRun, *github.Response, error) {
			res, resp, err := c.gh.Checks.ListCheckRunsForRef(ctx, r.Owner, r.Name, ref, opts)
			return res.GetCheckRuns(), resp, err
		},
		func(cr *github.CheckRun) (CheckRunInfo, bool) { return *convertCheckRun(cr), true })
}

// CheckRunAnnotations lists the annotations check run id holds: what every
// create and update request added.
func (c *Client) CheckRunAnnotations(ctx context.Context, r Repo, id int64) ([]Annotation, error) {
	opts := &github.ListOptions{PerPage: perPage}
	return listAll(ctx, c, fmt.Sprintf("list the annotations of check run %d", id), opts,
		func() ([]*github.CheckRunAnnotation, *github.Response, error) {
			return c.gh.Checks.ListCheckRunAnnotations(ctx, r.Owner, r.Name, id, opts)
		},
		func(a *github.CheckRunAnnotation) (Annotation, bool) {
			return Annotation{
				Path: a.GetPath(), StartLine: a.GetStartLine(), EndLine: a.GetEndLine(),
				StartColumn: a.GetStartColumn(), EndColumn: a.GetEndColumn(),
				Level: a.GetAnnotationLevel(), Title: a.GetTitle(), Message: a.GetMessage(), RawDetails: a.GetRawDetails(),
			}, true
		})
}

// PublishCheckRun completes check run id with run — or creates it when id
// is 0 — and adds its annotations in batches of 50, the most one request
// may carry. GitHub appends annotations to those a check run already has:
// pass only new ones when updating. Only the app that created a check run
// may update it; GitHub refuses others with 403.
func (c *Client) PublishCheckRun(ctx context.Context, r Repo, id int64, run CheckRun, now time.Time) (*CheckRunInfo, error) {
	batches := batch(run.Annotations, AnnotationsPerRequest)
	output := func(anns []Annotation) *github.CheckRunOutput {
		return &github.CheckRunOutput{
			Title:       github.Ptr(run.Title),
			Summary:     github.Ptr(run.Summary),
			Text:        nonEmpty(run.Text),
			Annotations: convertAnnotations(anns),
		}
	}
	completed := github.UpdateCheckRunOptions{
		Name:        run.Name,
		ExternalID:  nonEmpty(run.ExternalID),
		DetailsURL:  nonEmpty(run.DetailsURL),
		Status:      github.Ptr("completed"),
		Conclusion:  github.Ptr(run.Conclusion),
		CompletedAt: &github.Timestamp{Time: now},
		Output:      output(first(batches)),
	}
	op, publish := fmt.Sprintf("update the check run %q (%d)", run.Name, id), func() (*github.CheckRun, *github.Response, error) {
		return c.gh.Checks.UpdateCheckRun(ctx, r.Owner, r.Name, id, completed)
	}
	if id == 0 {
		op, publish = fmt.Sprintf("create the check run %q", run.Name), func() (*github.CheckRun, *github.Response, error) {
			return c.gh.Checks.CreateCheckRun(ctx, r.Owner, r.Name, github.CreateCheckRunOptions{
				Name: completed.Name, HeadSHA: run.HeadSHA, ExternalID: completed.ExternalID, DetailsURL: completed.DetailsURL,
				Status: completed.Status, Conclusion: completed.Conclusion, CompletedAt: completed.CompletedAt, Output: completed.Output,
			})
		}
	}
	var info *CheckRunInfo
	err := c.call(ctx, op, func() (*github.Response, error) {
		cr, resp, err := publish()
		if err == nil {
			info = convertCheckRun(cr)
		}
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	for i := 1; i < len(batches); i++ {
		anns := batches[i]
		err := c.call(ctx, fmt.Sprintf("add annotations %d-%d to the check run %q", i*AnnotationsPerRequest+1, i*AnnotationsPerRequest+len(anns), run.Name), func() (*github.Response, error) {
			_, resp, err := c.gh.Checks.UpdateCheckRun(ctx, r.Owner, r.Name, info.ID, github.UpdateCheckRunOptions{
				Name:   run.Name,
				Output: output(anns),
			})
			return resp, err
		})
		if err != nil {
			return info, err
		}
	}
	return info, nil
}

func batch[T any](items []T, n int) [][]T {
	var out [][]T
	for len(items) > n {
		out = append(out, items[:n:n])
		items = items[n:]
	}
	if len(items) > 0 {
		out = append(out, items)
	}
	return out
}

func first[T any](b [][]T) []T {
	if len(b) == 0 {
		return nil
	}
	return b[0]
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func convertAnnotations(anns []Annotation) []*github.CheckRunAnnotation {
	out := make([]*github.CheckRunAnnotation, 0, len(anns))
	for _, a := range anns {
		end := max(a.EndLine, a.StartLine)
		ca := &github.CheckRunAnnotation{
			Path:            github.Ptr(a.Path),
			StartLine:       github.Ptr(a.StartLine),
			EndLine:         github.Ptr(end),
			AnnotationLevel: github.Ptr(a.Level),
			Message:         github.Ptr(a.Message),
			Title:           nonEmpty(a.Title),
			RawDetails:      nonEmpty(a.RawDetails),
		}
		// Columns are only allowed on single-line annotations.
		if end == a.StartLine && a.StartColumn > 0 {
			ca.StartColumn = github.Ptr(a.StartColumn)
			ca.EndColumn = github.Ptr(max(a.EndColumn, a.StartColumn))
		}
		out = append(out, ca)
	}
	return out
}
