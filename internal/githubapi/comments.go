package githubapi

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/google/go-github/v88/github"
)

// User is a GitHub account.
type User struct {
	Login string
	ID    int64
	// Type is "User", "Bot" or "Organization".
	Type string
}

// App is a GitHub App, as the API names it on what the app wrote.
type App struct {
	ID   int64
	Slug string
}

// AuthenticatedUser is the account token acts as (GET /user). Tokens of
// GitHub Apps — installation tokens, among them the workflow's
// GITHUB_TOKEN — act as no user: GitHub answers 403, for which IsForbidden
// is true.
func (c *Client) AuthenticatedUser(ctx context.Context) (*User, error) {
	var u *github.User
	err := c.call(ctx, "get the authenticated user", func() (*github.Response, error) {
		var resp *github.Response
		var err error
		u, resp, err = c.gh.Users.Get(ctx, "")
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	return &User{Login: u.GetLogin(), ID: u.GetID(), Type: u.GetType()}, nil
}

// Comment is an issue or pull request comment.
type Comment struct {
	ID   int64
	Body string
	// Author wrote it; an app's bot account for a comment an app made.
	Author User
	// ViaApp is the GitHub App it was made through (performed_via_github_app),
	// zero for none.
	ViaApp    App
	CreatedAt time.Time
}

// apiComment is an issue comment as the REST API serves it; go-github's
// IssueComment lacks performed_via_github_app.
type apiComment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
	User *struct {
		Login string `json:"login"`
		ID    int64  `json:"id"`
		Type  string `json:"type"`
	} `json:"user"`
	PerformedViaGitHubApp *struct {
		ID   int64  `json:"id"`
		Slug string `json:"slug"`
	} `json:"performed_via_github_app"`
	CreatedAt time.Time `json:"created_at"`
}

func (a apiComment) comment() Comment {
	c := Comment{ID: a.ID, Body: a.Body, CreatedAt: a.CreatedAt}
	if a.User != nil {
		c.Author = User{Login: a.User.Login, ID: a.User.ID, Type: a.User.Type}
	}
	if a.PerformedViaGitHubApp != nil {
		c.ViaApp = App{ID: a.PerformedViaGitHubApp.ID, Slug: a.PerformedViaGitHubApp.Slug}
	}
	return c
}

func (r Repo) path(format string, args ...any) string {
	return fmt.Sprintf("repos/%s/%s/", url.PathEscape(r.Owner), url.PathEscape(r.Name)) + fmt.Sprintf(format, args...)
}

// Comments lists the comments of issue or pull request number, oldest first.
func (c *Client) Comments(ctx context.Context, r Repo, number int) ([]Comment, error) {
	var out []Comment
	for page := 1; page != 0; {
		var batch []apiComment
		var resp *github.Response
		err := c.call(ctx, fmt.Sprintf("list the comments of #%d", number), func() (*github.Response, error) {
			batch = nil
			req, err := c.gh.NewRequest(ctx, "GET", r.path("issues/%d/comments?per_page=%d&page=%d", number, perPage, page), nil)
			if err != nil {
				return nil, err
			}
			resp, err = c.gh.Do(req, &batch)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, a := range batch {
			out = append(out, a.comment())
		}
		page = resp.NextPage
	}
	return out, nil
}

// CreateComment comments on issue or pull request number and returns the
// comment as GitHub stored it, with its author: the account the token acts
// as.
func (c *Client) CreateComment(ctx context.Context, r Repo, number int, body string) (*Comment, error) {
	var created apiComment
	err := c.call(ctx, fmt.Sprintf("comment on #%d", number), func() (*github.Response, error) {
		req, err := c.gh.NewRequest(ctx, "POST", r.path("issues/%d/comments", number), map[string]string{"body": body})
		if err != nil {
			return nil, err
		}
		return c.gh.Do(req, &created)
	})
	if err != nil {
		return nil, err
	}
	cm := created.comment()
	return &cm, nil
}

// UpdateComment replaces the body of comment id.
func (c *Client) UpdateComment(ctx context.Context, r Repo, id int64, body string) error {
	return c.call(ctx, fmt.Sprintf("edit comment %d", id), func() (*github.Response, error) {
		_, resp, err := c.gh.Issues.EditComment(ctx, r.Owner, r.Name, id, &github.IssueComment{Body: github.Ptr(body)})
		return resp, err
	})
}

// DeleteComment deletes comment id; one already gone (404) is not an error.
func (c *Client) DeleteComment(ctx context.Context, r Repo, id int64) error {
	err := c.call(ctx, fmt.Sprintf("delete comment %d", id), func() (*github.Response, error) {
		return c.gh.Issues.DeleteComment(ctx, r.Owner, r.Name, id)
	})
	if IsNotFound(err) {
		return nil
	}
	return err
}
