package githubapi

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"

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
	// SHA is the blob's: equal SHAs mean equal content, except for a Link,
	// whose blob is the link's text while reading it gives its target's.
	SHA  string
	Size int
	// Link is a symbolic link (mode 120000).
	Link bool
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
			files = append(files, TreeEntry{Path: e.GetPath(), SHA: e.GetSHA(), Size: e.GetSize(), Link: e.GetMode() == "120000"})
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
	opts := &github.ListOptions{PerPage: perPage}
	return listAll(ctx, c, fmt.Sprintf("list the labels of %s", r), opts,
		func() ([]*github.Label, *github.Response, error) {
			return c.gh.Issues.ListLabels(ctx, r.Owner, r.Name, opts)
		},
		func(l *github.Label) (Label, bool) {
			return Label{Name: l.GetName(), Color: l.GetColor(), Description: l.GetDescription()}, true
		})
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
