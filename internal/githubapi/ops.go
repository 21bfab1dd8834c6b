package githubapi

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v88/github"
)

// perPage is the largest page the list endpoints serve.
const perPage = 100

// PullRequest is what the pull request run reads of a pull request.
type PullRequest struct {
	Number  int
	Title   string
	State   string
	HTMLURL string
	HeadSHA string
	HeadRef string
	// HeadRepo is the head repository's owner/name; "" when it was deleted.
	HeadRepo string
	BaseSHA  string
	BaseRef  string
	BaseRepo string
	Labels   []string
}

// PullRequest gets pull request number.
func (c *Client) PullRequest(ctx context.Context, r Repo, number int) (*PullRequest, error) {
	var pr *github.PullRequest
	err := c.call(ctx, fmt.Sprintf("get pull request %s#%d", r, number), func() (*github.Response, error) {
		var resp *github.Response
		var err error
		pr, resp, err = c.gh.PullRequests.Get(ctx, r.Owner, r.Name, number)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	return convertPR(pr), nil
}

func convertPR(pr *github.PullRequest) *PullRequest {
	out := &PullRequest{
		Number:  pr.GetNumber(),
		Title:   pr.GetTitle(),
		State:   pr.GetState(),
		HTMLURL: pr.GetHTMLURL(),
		HeadSHA: pr.GetHead().GetSHA(),
		HeadRef: pr.GetHead().GetRef(),
		BaseSHA: pr.GetBase().GetSHA(),
		BaseRef: pr.GetBase().GetRef(),
	}
	if repo := pr.GetHead().GetRepo(); repo != nil {
		out.HeadRepo = repo.GetFullName()
	}
	if repo := pr.GetBase().GetRepo(); repo != nil {
		out.BaseRepo = repo.GetFullName()
	}
	for _, l := range pr.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	return out
}

// MergeBase is the best common ancestor of base and head (commits, branches
// or tags), from the compare endpoint.
func (c *Client) MergeBase(ctx context.Context, r Repo, base, head string) (string, error) {
	var cmp *github.CommitsComparison
	err := c.call(ctx, fmt.Sprintf("compare %s...%s in %s", base, head, r), func() (*github.Response, error) {
		var resp *github.Response
		var err error
		// One commit per page: only the merge base is wanted.
		cmp, resp, err = c.gh.Repositories.CompareCommits(ctx, r.Owner, r.Name, base, head, &github.ListOptions{PerPage: 1})
		return resp, err
	})
	if err != nil {
		return "", err
	}
	sha := cmp.GetMergeBaseCommit().GetSHA()
	if sha == "" {
		return "", &Error{Op: fmt.Sprintf("compare %s...%s in %s", base, head, r), Message: "the answer names no merge base commit"}
	}
	return sha, nil
}

// ChangedFile is a file a pull request changes.
type ChangedFile struct {
	// Path is the file's path at the head.
	Path string
	// PreviousPath is the path at the base of a renamed file.
	PreviousPath string
	// Status is added, removed, modified, renamed, copied, changed or unchanged.
	Status string
}

// PullRequestFiles lists every file pull request number changes, following
// pagination (GitHub lists at most 3,000).
func (c *Client) PullRequestFiles(ctx context.Context, r Repo, number int) ([]ChangedFile, error) {
	var out []ChangedFile
	opts := &github.ListOptions{PerPage: perPage}
	for {
		var page []*github.CommitFile
		var resp *github.Response
		err := c.call(ctx, fmt.Sprintf("list the files of pull request %s#%d (page %d)", r, number, max(opts.Page, 1)), func() (*github.Response, error) {
			var err error
			page, resp, err = c.gh.PullRequests.ListFiles(ctx, r.Owner, r.Name, number, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, f := range page {
			out = append(out, ChangedFile{Path: f.GetFilename(), PreviousPath: f.GetPreviousFilename(), Status: f.GetStatus()})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// FileContent is the raw content of the file at path in commit ref. A
// missing file is an error for which IsNotFound is true.
func (c *Client) FileContent(ctx context.Context, r Repo, path, ref string) ([]byte, error) {
	u := fmt.Sprintf("repos/%s/%s/contents/%s?ref=%s", url.PathEscape(r.Owner), url.PathEscape(r.Name), escapePath(path), url.QueryEscape(ref))
	var buf bytes.Buffer
	err := c.call(ctx, fmt.Sprintf("read %s at %s", path, shortSHA(ref)), func() (*github.Response, error) {
		buf.Reset()
		req, err := c.gh.NewRequest(ctx, "GET", u, nil)
		if err != nil {
			return nil, err
		}
		// The raw media type serves files up to 100 MB in one request; the
		// JSON form stops at 1 MB.
		req.Header.Set("Accept", "application/vnd.github.raw+json")
		return c.gh.Do(req, &buf)
	})
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func escapePath(p string) string {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

func shortSHA(ref string) string {
	if len(ref) == 40 {
		return ref[:7]
	}
	return ref
}

// TreeEntry is a file in a commit's tree.
type TreeEntry struct {
	Path string
	// SHA is the blob's: equal SHAs mean equal content.
	SHA  string
	Size int
}

// Tree lists every file (blob) in the tree of commit ref. Truncated is true
// when GitHub cut the listing (more than 100,000 entries or 7 MB).
func (c *Client) Tree(ctx context.Context, r Repo, ref string) (files []TreeEntry, truncated bool, err error) {
	var tree *github.Tree
	err = c.call(ctx, fmt.Sprintf("list the files at %s", shortSHA(ref)), func() (*github.Response, error) {
		var resp *github.Response
		var err error
		tree, resp, err = c.gh.Git.GetTree(ctx, r.Owner, r.Name, ref, true)
		return resp, err
	})
	if err != nil {
		return nil, false, err
	}
	for _, e := range tree.Entries {
		if e.GetType() == "blob" {
			files = append(files, TreeEntry{Path: e.GetPath(), SHA: e.GetSHA(), Size: e.GetSize()})
		}
	}
	return files, tree.GetTruncated(), nil
}

// Label is a repository label.
type Label struct {
	Name string
	// Color is six hex digits without '#'.
	Color       string
	Description string
}

// Labels lists the repository's labels.
func (c *Client) Labels(ctx context.Context, r Repo) ([]Label, error) {
	var out []Label
	opts := &github.ListOptions{PerPage: perPage}
	for {
		var page []*github.Label
		var resp *github.Response
		err := c.call(ctx, fmt.Sprintf("list the labels of %s", r), func() (*github.Response, error) {
			var err error
			page, resp, err = c.gh.Issues.ListLabels(ctx, r.Owner, r.Name, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, l := range page {
			out = append(out, Label{Name: l.GetName(), Color: l.GetColor(), Description: l.GetDescription()})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// CreateLabel creates a repository label.
func (c *Client) CreateLabel(ctx context.Context, r Repo, l Label) error {
	return c.call(ctx, fmt.Sprintf("create the label %q", l.Name), func() (*github.Response, error) {
		_, resp, err := c.gh.Issues.CreateLabel(ctx, r.Owner, r.Name, &github.Label{
			Name: github.Ptr(l.Name), Color: github.Ptr(l.Color), Description: github.Ptr(l.Description),
		})
		return resp, err
	})
}

// AddLabels adds labels to issue or pull request number.
func (c *Client) AddLabels(ctx context.Context, r Repo, number int, names []string) error {
	u := fmt.Sprintf("repos/%s/%s/issues/%d/labels", url.PathEscape(r.Owner), url.PathEscape(r.Name), number)
	return c.call(ctx, fmt.Sprintf("add the labels %s to #%d", strings.Join(names, ", "), number), func() (*github.Response, error) {
		// The documented body is {"labels": [...]}; go-github's
		// AddLabelsToIssue sends a bare array, which the API description
		// does not allow.
		req, err := c.gh.NewRequest(ctx, "POST", u, struct {
			Labels []string `json:"labels"`
		}{names})
		if err != nil {
			return nil, err
		}
		return c.gh.Do(req, nil)
	})
}

// RemoveLabel removes a label from issue or pull request number; a label
// that is not there (404) is not an error.
func (c *Client) RemoveLabel(ctx context.Context, r Repo, number int, name string) error {
	err := c.call(ctx, fmt.Sprintf("remove the label %q from #%d", name, number), func() (*github.Response, error) {
		return c.gh.Issues.RemoveLabelForIssue(ctx, r.Owner, r.Name, number, url.PathEscape(name))
	})
	if IsNotFound(err) {
		return nil
	}
	return err
}

// Comment is an issue or pull request comment.
type Comment struct {
	ID   int64
	Body string
	// Author is the login; AuthorType is "User" or "Bot".
	Author     string
	AuthorType string
}

// Comments lists the comments of issue or pull request number, oldest first.
func (c *Client) Comments(ctx context.Context, r Repo, number int) ([]Comment, error) {
	var out []Comment
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: perPage}}
	for {
		var page []*github.IssueComment
		var resp *github.Response
		err := c.call(ctx, fmt.Sprintf("list the comments of #%d", number), func() (*github.Response, error) {
			var err error
			page, resp, err = c.gh.Issues.ListComments(ctx, r.Owner, r.Name, number, opts)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, cm := range page {
			out = append(out, Comment{ID: cm.GetID(), Body: cm.GetBody(), Author: cm.GetUser().GetLogin(), AuthorType: cm.GetUser().GetType()})
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// CreateComment comments on issue or pull request number and returns the
// new comment's ID.
func (c *Client) CreateComment(ctx context.Context, r Repo, number int, body string) (int64, error) {
	var id int64
	err := c.call(ctx, fmt.Sprintf("comment on #%d", number), func() (*github.Response, error) {
		cm, resp, err := c.gh.Issues.CreateComment(ctx, r.Owner, r.Name, number, &github.IssueComment{Body: github.Ptr(body)})
		id = cm.GetID()
		return resp, err
	})
	return id, err
}

// UpdateComment replaces the body of comment id.
func (c *Client) UpdateComment(ctx context.Context, r Repo, id int64, body string) error {
	return c.call(ctx, fmt.Sprintf("edit comment %d", id), func() (*github.Response, error) {
		_, resp, err := c.gh.Issues.EditComment(ctx, r.Owner, r.Name, id, &github.IssueComment{Body: github.Ptr(body)})
		return resp, err
	})
}

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
	// Conclusion is success, failure, neutral, cancelled, skipped, timed_out
	// or action_required.
	Conclusion  string
	DetailsURL  string
	Title       string
	Summary     string // Markdown, at most MaxCheckRunText characters
	Text        string // Markdown, at most MaxCheckRunText characters
	Annotations []Annotation
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

// PublishCheckRun creates the completed check run and adds its annotations
// in batches of 50, the most one request may carry; it returns the check
// run's ID.
func (c *Client) PublishCheckRun(ctx context.Context, r Repo, run CheckRun, now time.Time) (int64, error) {
	batches := batch(run.Annotations, AnnotationsPerRequest)
	output := func(anns []Annotation) *github.CheckRunOutput {
		return &github.CheckRunOutput{
			Title:       github.Ptr(run.Title),
			Summary:     github.Ptr(run.Summary),
			Text:        nonEmpty(run.Text),
			Annotations: convertAnnotations(anns),
		}
	}
	var id int64
	err := c.call(ctx, fmt.Sprintf("create the check run %q", run.Name), func() (*github.Response, error) {
		cr, resp, err := c.gh.Checks.CreateCheckRun(ctx, r.Owner, r.Name, github.CreateCheckRunOptions{
			Name:        run.Name,
			HeadSHA:     run.HeadSHA,
			DetailsURL:  nonEmpty(run.DetailsURL),
			Status:      github.Ptr("completed"),
			Conclusion:  github.Ptr(run.Conclusion),
			CompletedAt: &github.Timestamp{Time: now},
			Output:      output(first(batches)),
		})
		id = cr.GetID()
		return resp, err
	})
	if err != nil {
		return 0, err
	}
	for i := 1; i < len(batches); i++ {
		anns := batches[i]
		err := c.call(ctx, fmt.Sprintf("add annotations %d-%d to the check run %q", i*AnnotationsPerRequest+1, i*AnnotationsPerRequest+len(anns), run.Name), func() (*github.Response, error) {
			_, resp, err := c.gh.Checks.UpdateCheckRun(ctx, r.Owner, r.Name, id, github.UpdateCheckRunOptions{
				Name:   run.Name,
				Output: output(anns),
			})
			return resp, err
		})
		if err != nil {
			return id, err
		}
	}
	return id, nil
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
