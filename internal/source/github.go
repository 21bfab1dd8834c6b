package source

import (
	"context"
	"fmt"
	"io/fs"

	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
)

// GitHubContents is what a commit's tree needs from GitHub's REST API;
// *githubapi.Client implements it.
type GitHubContents interface {
	Tree(ctx context.Context, r githubapi.Repo, ref string) ([]githubapi.TreeEntry, bool, error)
	FileContent(ctx context.Context, r githubapi.Repo, path, ref string) ([]byte, error)
}

// GitHub is a commit of a repository read through the GitHub API: one
// request lists the tree, one reads each file. Paths and names are the
// repository's paths.
type GitHub struct {
	api  GitHubContents
	repo githubapi.Repo
	ref  string
}

// NewGitHub reads repo at ref (a commit SHA, so that both sides stay what
// they were when the run started).
func NewGitHub(api GitHubContents, repo githubapi.Repo, ref string) *GitHub {
	return &GitHub{api: api, repo: repo, ref: ref}
}

func (g *GitHub) String() string { return fmt.Sprintf("%s@%s", g.repo, short(g.ref)) }

// List lists the commit's files. GitHub cuts the listing of a very large
// tree short; then it is an error, because a file left out could be an
// export the change touches.
func (g *GitHub) List(ctx context.Context) ([]engine.Entry, error) {
	tree, truncated, err := g.api.Tree(ctx, g.repo, g.ref)
	if err != nil {
		return nil, err
	}
	if truncated {
		return nil, fmt.Errorf("GitHub cut the file listing of %s short (more than 100,000 files or 7 MB): "+
			"Breakwater cannot tell which files are exports, so it stops rather than compare part of the change", g)
	}
	out := make([]engine.Entry, len(tree))
	for i, e := range tree {
		out[i] = engine.Entry{Path: e.Path, Name: e.Path, Blob: e.SHA}
	}
	return out, nil
}

// Read reads a file of the commit; the error names the file and commit. A
// file the commit does not have is an error that satisfies
// errors.Is(err, fs.ErrNotExist), as a missing file of a directory is.
func (g *GitHub) Read(ctx context.Context, p string) ([]byte, error) {
	data, err := g.api.FileContent(ctx, g.repo, p, g.ref)
	if githubapi.IsNotFound(err) {
		return nil, &notExist{msg: fmt.Sprintf("%s does not exist in %s", p, g), err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("%s cannot be compared: %w", p, err)
	}
	return data, nil
}

// notExist is GitHub's 404 for a file, as fs.ErrNotExist.
type notExist struct {
	msg string
	err error
}

func (e *notExist) Error() string        { return e.msg }
func (e *notExist) Unwrap() error        { return e.err }
func (e *notExist) Is(target error) bool { return target == fs.ErrNotExist }

func short(ref string) string {
	if len(ref) == 40 {
		return ref[:7]
	}
	return ref
}

// ConfigReaders are where a run in GitHub Actions finds the configuration
// (config.Find): the workspace when the job checked the repository out,
// else commit ref of repo through the API.
func ConfigReaders(workspace string, api GitHubContents, repo githubapi.Repo, ref string) []config.Reader {
	var out []config.Reader
	if workspace != "" {
		if d, err := NewDir(workspace, workspace); err == nil && !d.IsFile() {
			out = append(out, d)
		}
	}
	return append(out, NewGitHub(api, repo, ref))
}
