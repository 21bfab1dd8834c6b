package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/breakwater-dev/breakwater/internal/engine"
)

// objectCache bounds the decoded objects go-git keeps for reuse (its
// default, 96 MiB, would hold most of a large comparison's files).
const objectCache = 8 * cache.MiByte

// Git is a file or directory of a git repository as it is in one commit,
// read from the repository's objects (packfiles and loose objects, through
// go-git): no git binary, no process per file, no second checkout. The CLI
// reads `--base-ref` through it, the Action and the bot a checkout that
// holds a pull request's commits (see OpenCommits).
type Git struct {
	repo   *repository
	commit plumbing.Hash
	label  string // String()
	prefix string // the directory or file, relative to the top; "." for all
	file   bool
	name   func(repoPath string) string // what reports call a file
	// blobs are the tree's files by path in the tree, filled by List.
	blobs map[string]plumbing.Hash
	notes []string
}

// repository is an opened git repository. go-git's object storage is not
// safe for concurrent reads, so they take turns.
type repository struct {
	mu  sync.Mutex
	git *git.Repository
	top string // the working tree's top level, "" for a bare repository
}

// openRepository opens the repository whose working tree is at dir, or
// (detect) holds dir.
func openRepository(dir string, detect bool) (*repository, error) {
	r, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: detect, EnableDotGitCommonDir: true})
	if err != nil {
		return nil, err
	}
	out := &repository{git: r}
	var worktree billy.Filesystem
	if wt, err := r.Worktree(); err == nil {
		worktree, out.top = wt.Filesystem, wt.Filesystem.Root()
	}
	// The same repository with a smaller cache of decoded objects.
	if st, ok := r.Storer.(*filesystem.Storage); ok {
		small := filesystem.NewStorage(st.Filesystem(), cache.NewObjectLRU(objectCache))
		if out.git, err = git.Open(small, worktree); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// hasCommit reports whether the repository holds commit sha and its tree.
func (r *repository) hasCommit(sha string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, err := r.git.CommitObject(plumbing.NewHash(sha))
	if err != nil {
		return false
	}
	_, err = c.Tree()
	return err == nil
}

func (r *repository) readBlob(h plumbing.Hash) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, err := r.git.BlobObject(h)
	if err != nil {
		return nil, err
	}
	rd, err := b.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	data := make([]byte, b.Size)
	if _, err := io.ReadFull(rd, data); err != nil {
		return nil, err
	}
	return data, nil
}

// NewGit resolves ref in the repository holding dir (a file or directory,
// as the user gave it) and reads dir's files at that commit. Names in
// reports are "ref:path".
func NewGit(ctx context.Context, dir, display, ref string) (*Git, error) {
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", display, err)
	}
	repo, err := openRepository(abs, true)
	if err != nil {
		return nil, fmt.Errorf("%s is not in a git repository, so --base-ref cannot read its base: %w", display, err)
	}
	top := repo.top
	if top == "" {
		return nil, fmt.Errorf("%s is in a bare git repository, which has no files to compare with", display)
	}
	if resolved, err := filepath.EvalSymlinks(top); err == nil {
		top = resolved
	}
	prefix, err := filepath.Rel(top, abs)
	if err != nil || prefix == ".." || strings.HasPrefix(prefix, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("%s is outside the git repository at %s", display, top)
	}
	hash, err := repo.git.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		return nil, fmt.Errorf("--base-ref %q is not a commit, branch or tag of the repository at %s", ref, top)
	}
	g := &Git{
		repo: repo, commit: *hash, prefix: filepath.ToSlash(prefix), file: !info.IsDir(),
		label: fmt.Sprintf("%s at %s (%s)", display, ref, hash.String()[:12]),
		name:  func(p string) string { return ref + ":" + p },
	}
	return g, nil
}

// checkRef refuses what can never be a ref, before the repository sees it.
func checkRef(ref string) error {
	switch {
	case ref == "":
		return errors.New("--base-ref is empty")
	case strings.HasPrefix(ref, "-"):
		return fmt.Errorf("--base-ref %q starts with \"-\": no git ref does, and git would read it as an option", ref)
	case strings.ContainsFunc(ref, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }):
		return fmt.Errorf("--base-ref %q holds a space or control character: no git ref does", ref)
	case strings.Contains(ref, ":"):
		return fmt.Errorf("--base-ref %q holds \":\": no git ref does (REF:PATH names a file, not a commit)", ref)
	}
	return nil
}

func (g *Git) String() string { return g.label }

// Commit is the commit the tree is of.
func (g *Git) Commit() string { return g.commit.String() }

// Notes say what the last List did not read: submodules, links it could
// not follow.
func (g *Git) Notes() []string { return slices.Clone(g.notes) }

// gitObject is an entry of a commit's tree.
type gitObject struct {
	mode filemode.FileMode
	hash plumbing.Hash
}

// List lists the files under the directory at the commit. Links to files
// and directories inside the commit are followed once.
func (g *Git) List(ctx context.Context) ([]engine.Entry, error) {
	objects, paths, err := g.walk(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", g, err)
	}
	g.blobs, g.notes = map[string]plumbing.Hash{}, nil
	var entries []engine.Entry
	add := func(p string, blob plumbing.Hash) {
		rel := g.rel(p)
		g.blobs[rel] = blob
		entries = append(entries, engine.Entry{Path: rel, Name: g.name(p), Blob: blob.String()})
	}
	isFile := func(o gitObject) bool { return o.mode.IsFile() && o.mode != filemode.Symlink }
	for _, p := range paths {
		o := objects[p]
		if !g.inside(p) {
			continue
		}
		switch {
		case o.mode == filemode.Submodule:
			g.notes = append(g.notes, fmt.Sprintf("%s is a submodule and was not searched", g.name(p)))
		case o.mode == filemode.Symlink:
			dest, target, err := g.follow(objects, p)
			if err != nil {
				return nil, err
			}
			if t, ok := objects[dest]; ok && isFile(t) {
				add(p, t.hash)
				continue
			}
			// A link to a directory: its files, once (links among them are
			// not followed again, so a loop ends here).
			n := 0
			for _, q := range paths {
				if t := objects[q]; strings.HasPrefix(q, dest+"/") && isFile(t) {
					add(p+strings.TrimPrefix(q, dest), t.hash)
					n++
				}
			}
			if n == 0 {
				g.notes = append(g.notes, fmt.Sprintf("%s links to %s, which is not a file or directory listed here; it was not followed", g.name(p), target))
			}
		case isFile(o):
			add(p, o.hash)
		}
	}
	return entries, nil
}

// maxLinks is how many links in a row follow resolves, as the kernel's
// limit: a chain longer than this loops.
const maxLinks = 40

// follow resolves the link at p, and the links it leads to, as the file
// system does: dest is a repository path, target the first link's text.
func (g *Git) follow(objects map[string]gitObject, p string) (dest string, target []byte, err error) {
	dest = p
	for range maxLinks {
		o, ok := objects[dest]
		if !ok || o.mode != filemode.Symlink {
			return dest, target, nil
		}
		t, err := g.repo.readBlob(o.hash)
		if err != nil {
			return "", nil, fmt.Errorf("reading the link %s: %w", g.name(dest), err)
		}
		if target == nil {
			target = t
		}
		dest = path.Clean(path.Join(path.Dir(dest), string(t)))
	}
	return dest, target, nil
}

// walk lists every entry of the commit's tree but directories, in path
// order: a link may point outside the listed directory.
func (g *Git) walk(ctx context.Context) (map[string]gitObject, []string, error) {
	g.repo.mu.Lock()
	defer g.repo.mu.Unlock()
	c, err := g.repo.git.CommitObject(g.commit)
	if err != nil {
		return nil, nil, err
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, nil, err
	}
	w := object.NewTreeWalker(tree, true, nil)
	defer w.Close()
	// The names are never used as file system paths here.
	w.SkipPathValidation()
	objects := map[string]gitObject{}
	var paths []string
	for {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		name, e, err := w.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if e.Mode == filemode.Dir {
			continue
		}
		objects[name] = gitObject{e.Mode, e.Hash}
		paths = append(paths, name)
	}
	slices.Sort(paths)
	return objects, paths, nil
}

// inside reports whether a repository path is the file or under the
// directory.
func (g *Git) inside(p string) bool {
	return g.prefix == "." || p == g.prefix || strings.HasPrefix(p, g.prefix+"/")
}

// rel is a repository path relative to the directory (a file's own name
// for a single file).
func (g *Git) rel(p string) string {
	switch {
	case g.file:
		return path.Base(p)
	case g.prefix == ".":
		return p
	}
	return strings.TrimPrefix(p, g.prefix+"/")
}

// Read reads a file at the commit: one List listed, or, before any List,
// any file of the tree (a configuration read first). A file that is not
// there is an error for which errors.Is(err, fs.ErrNotExist) is true.
func (g *Git) Read(ctx context.Context, p string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	blob, err := g.blobAt(p)
	if err != nil {
		return nil, fmt.Errorf("reading %s in %s: %w", p, g, err)
	}
	data, err := g.repo.readBlob(blob)
	if err != nil {
		return nil, fmt.Errorf("reading %s in %s: %w", p, g, err)
	}
	return data, nil
}

// blobAt is the blob of the file at p (relative to the listed directory).
func (g *Git) blobAt(p string) (plumbing.Hash, error) {
	if g.blobs != nil {
		if h, ok := g.blobs[p]; ok {
			return h, nil
		}
		return plumbing.ZeroHash, fmt.Errorf("not listed: %w", fs.ErrNotExist)
	}
	full := p
	if !g.file && g.prefix != "." {
		full = g.prefix + "/" + p
	}
	g.repo.mu.Lock()
	defer g.repo.mu.Unlock()
	c, err := g.repo.git.CommitObject(g.commit)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	tree, err := c.Tree()
	if err != nil {
		return plumbing.ZeroHash, err
	}
	e, err := tree.FindEntry(full)
	switch {
	case errors.Is(err, object.ErrEntryNotFound), errors.Is(err, object.ErrDirectoryNotFound):
		return plumbing.ZeroHash, fmt.Errorf("no such file: %w", fs.ErrNotExist)
	case err != nil:
		return plumbing.ZeroHash, err
	case !e.Mode.IsFile() || e.Mode == filemode.Symlink:
		return plumbing.ZeroHash, fmt.Errorf("not a file (mode %s)", e.Mode)
	}
	return e.Hash, nil
}
