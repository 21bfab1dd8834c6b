package githubapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-github/v88/github"
)

// Permission is a user's permission on a repository as GET
// /repos/{owner}/{repo}/collaborators/{username}/permission answers it:
// admin, write, read or none (maintain counts as write, triage as read).
type Permission string

// CanWrite reports whether the permission lets the user push: admin or
// write.
func (p Permission) CanWrite() bool { return p == "admin" || p == "write" }

// CollaboratorPermission is user's permission on r. A user GitHub does not
// know as a collaborator has none.
func (c *Client) CollaboratorPermission(ctx context.Context, r Repo, user string) (Permission, error) {
	var lvl *github.RepositoryPermissionLevel
	err := c.call(ctx, fmt.Sprintf("read %s's permission on %s", user, r), func() (*github.Response, error) {
		var resp *github.Response
		var err error
		lvl, resp, err = c.gh.Repositories.GetPermissionLevel(ctx, r.Owner, r.Name, user)
		return resp, err
	})
	if IsNotFound(err) {
		return "none", nil
	}
	if err != nil {
		return "", err
	}
	return Permission(lvl.GetPermission()), nil
}

// FileVersion is a file's content at a branch with the blob SHA an update
// must name.
type FileVersion struct {
	Content []byte
	// SHA is the blob's; "" when the file does not exist.
	SHA string
}

// FileAt reads path at ref (a branch, to update the file there). A missing
// file is a zero FileVersion, not an error.
func (c *Client) FileAt(ctx context.Context, r Repo, path, ref string) (FileVersion, error) {
	var fc *github.RepositoryContent
	err := c.call(ctx, fmt.Sprintf("read %s at %s", path, ref), func() (*github.Response, error) {
		var resp *github.Response
		var err error
		fc, _, resp, err = c.gh.Repositories.GetContents(ctx, r.Owner, r.Name, path, &github.RepositoryContentGetOptions{Ref: ref})
		return resp, err
	})
	if IsNotFound(err) {
		return FileVersion{}, nil
	}
	if err != nil {
		return FileVersion{}, err
	}
	if fc == nil || fc.GetType() != "file" {
		return FileVersion{}, &Error{Op: fmt.Sprintf("read %s at %s", path, ref), Message: "it is not a file"}
	}
	if fc.GetEncoding() == "none" || fc.GetEncoding() == "" && fc.GetSize() > 0 && fc.Content == nil {
		// Over 1 MB the JSON form carries no content: read it raw.
		data, err := c.FileContent(ctx, r, path, ref)
		return FileVersion{Content: data, SHA: fc.GetSHA()}, err
	}
	s, err := fc.GetContent()
	if err != nil {
		return FileVersion{}, &Error{Op: fmt.Sprintf("decode %s at %s", path, ref), Err: err}
	}
	return FileVersion{Content: []byte(s), SHA: fc.GetSHA()}, nil
}

// FileUpdate is a commit that writes one file on a branch.
type FileUpdate struct {
	Path, Branch, Message string
	Content               []byte
	// SHA is the blob being replaced ("" creates the file): GitHub refuses
	// the commit (IsConflict) when the file changed since it was read.
	SHA string
}

// IsConflict reports a 409 (or the 422 GitHub answers for a stale blob
// SHA): what was written meanwhile must be read again.
func IsConflict(err error) bool {
	s := StatusOf(err)
	return s == http.StatusConflict || s == http.StatusUnprocessableEntity
}

// UpdateFile commits u and returns the new commit's SHA.
func (c *Client) UpdateFile(ctx context.Context, r Repo, u FileUpdate) (string, error) {
	opts := &github.RepositoryContentFileOptions{
		Message: github.Ptr(u.Message), Content: u.Content, Branch: github.Ptr(u.Branch),
	}
	if u.SHA != "" {
		opts.SHA = github.Ptr(u.SHA)
	}
	var res *github.RepositoryContentResponse
	err := c.call(ctx, fmt.Sprintf("commit %s to %s", u.Path, u.Branch), func() (*github.Response, error) {
		var resp *github.Response
		var err error
		res, resp, err = c.gh.Repositories.UpdateFile(ctx, r.Owner, r.Name, u.Path, opts)
		return resp, err
	})
	if err != nil {
		return "", err
	}
	return res.Commit.GetSHA(), nil
}
