package source

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
)

// ContentsLimit is the most files a comparison reads from one side through
// the contents API, one request each; more come from one source archive
// download. A few requests cost less than downloading the whole repository
// for a pull request that touches one or two exports; beyond that the
// archive's one request keeps the count flat however many files change.
const ContentsLimit = 8

// GitHubContents is what a commit's tree needs from GitHub's REST API;
// *githubapi.Client implements it.
type GitHubContents interface {
	Tree(ctx context.Context, r githubapi.Repo, ref string) ([]githubapi.TreeEntry, bool, error)
	FileContent(ctx context.Context, r githubapi.Repo, path, ref string) ([]byte, error)
	Tarball(ctx context.Context, r githubapi.Repo, ref string, read func(io.Reader) error) error
}

// GitHub is a commit of a repository read through the GitHub API for a
// number of requests that does not grow with the files compared: one lists
// the tree; the files a comparison reads come from one source archive
// (engine.ReadAheader), streamed once, the wanted files written to a
// temporary directory as they pass — or, for up to ContentsLimit files,
// one contents request each. Paths and names are the repository's paths.
// Close removes the temporary files.
type GitHub struct {
	api     GitHubContents
	repo    githubapi.Repo
	ref     string
	tempDir string

	mu      sync.Mutex
	archive *archive // nil until an archive was read ahead
	// blobs are the listed files' blob IDs, by path: what an archived
	// file's bytes must hash to (see Read).
	blobs map[string]string
}

// NewGitHub reads repo at ref (a commit SHA, so that both sides stay what
// they were when the run started). An archive is unpacked under tempDir
// ("" for the system's).
func NewGitHub(api GitHubContents, repo githubapi.Repo, ref, tempDir string) *GitHub {
	return &GitHub{api: api, repo: repo, ref: ref, tempDir: tempDir}
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
	blobs := make(map[string]string, len(tree))
	for i, e := range tree {
		out[i] = engine.Entry{Path: e.Path, Name: e.Path, Blob: e.SHA}
		blobs[e.Path] = e.SHA
		if e.Link {
			// A link's blob is its text, but Read gives its target's bytes:
			// an unchanged link to a changed file would pass as unchanged.
			out[i].Blob = ""
		}
	}
	g.mu.Lock()
	g.blobs = blobs
	g.mu.Unlock()
	return out, nil
}

// ReadAhead downloads the commit's source archive when the comparison
// reads more than ContentsLimit files, keeping those files.
func (g *GitHub) ReadAhead(ctx context.Context, paths []string) error {
	if len(paths) <= ContentsLimit {
		return nil
	}
	a, err := newArchive(g.tempDir, paths)
	if err != nil {
		return err
	}
	if err := g.api.Tarball(ctx, g.repo, g.ref, func(r io.Reader) error { return a.unpack(r, g.ref) }); err != nil {
		a.remove()
		return fmt.Errorf("reading the files of %s: %w", g, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.archive != nil {
		g.archive.remove()
	}
	g.archive = a
	return nil
}

// Requests is how many API requests reading paths takes (the listing
// aside): what the run's rate limit must cover.
func Requests(paths int) int {
	if paths <= ContentsLimit {
		return paths
	}
	return 1
}

// Read reads a file of the commit: from the archive when it holds it with
// the listed blob's bytes, else through the contents API (a link to
// another file, a file the archive leaves out, or one it rewrote: an
// export-subst or eol attribute applies to archives, not to the blob that
// the contents API and a checkout's objects serve). The error names the
// file and commit. A file the commit does not have is an error that
// satisfies errors.Is(err, fs.ErrNotExist), as a missing file of a
// directory is.
func (g *GitHub) Read(ctx context.Context, p string) ([]byte, error) {
	g.mu.Lock()
	a, blob := g.archive, g.blobs[p]
	g.mu.Unlock()
	if a != nil {
		data, ok, err := a.read(p)
		if err != nil {
			return nil, fmt.Errorf("%s cannot be compared: reading it from the archive of %s: %w", p, g, err)
		}
		if ok && (blob == "" || plumbing.ComputeHash(plumbing.BlobObject, data).String() == blob) {
			return data, nil
		}
	}
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

// Close removes the archive's files.
func (g *GitHub) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.archive == nil {
		return nil
	}
	err := g.archive.remove()
	g.archive = nil
	return err
}

func short(ref string) string {
	if len(ref) == 40 {
		return ref[:7]
	}
	return ref
}

// ConfigReaders are where a run in GitHub Actions finds the configuration
// (config.Find): the workspace when the job checked the repository out,
// else commit, the commit the run is for (a *GitHub, or a *Git of the
// checkout's objects).
func ConfigReaders(workspace string, commit config.Reader) []config.Reader {
	var out []config.Reader
	if workspace != "" {
		if d, err := NewDir(workspace, workspace); err == nil && !d.IsFile() {
			out = append(out, d)
		}
	}
	return append(out, commit)
}

var _ engine.ReadAheader = (*GitHub)(nil)

// removeAll removes a temporary directory; one already gone is fine.
func removeAll(dir string) error {
	if err := os.RemoveAll(dir); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
