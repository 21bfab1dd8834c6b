package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/breakwater-dev/breakwater/internal/engine"
)

// Git is a file or directory of a git working tree as it is at a ref, read
// with the git binary, so that comparing with a branch needs no second
// checkout. The ref is resolved to a commit once; every later command names
// that commit, so nothing the user typed can become a git option.
type Git struct {
	ref     string // as given
	commit  string // resolved
	top     string // the repository's top level
	prefix  string // the directory or file, relative to top; "." for top
	file    bool
	display string
	// blobs are the tree's files by path in the tree, filled by List.
	blobs map[string]string
	notes []string
}

// NewGit resolves ref in the repository holding dir (a file or directory,
// as the user gave it) and reads dir's files at that ref.
func NewGit(ctx context.Context, dir, display, ref string) (*Git, error) {
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("git"); err != nil {
		return nil, fmt.Errorf("--base-ref reads the base with git, which is not installed: %w", err)
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
	isFile, gitDir := !info.IsDir(), abs
	if isFile {
		gitDir = filepath.Dir(abs)
	}
	out, err := runGit(ctx, gitDir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s is not in a git repository, so --base-ref cannot read its base: %w", display, err)
	}
	top := strings.TrimSpace(string(out))
	if resolved, err := filepath.EvalSymlinks(top); err == nil {
		top = resolved
	}
	prefix, err := filepath.Rel(top, abs)
	if err != nil || prefix == ".." || strings.HasPrefix(prefix, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("%s is outside the git repository at %s", display, top)
	}
	sha, err := runGit(ctx, top, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("--base-ref %q is not a commit, branch or tag of the repository at %s", ref, top)
	}
	return &Git{
		ref: ref, commit: strings.TrimSpace(string(sha)), top: top, prefix: filepath.ToSlash(prefix),
		file: isFile, display: display,
	}, nil
}

// checkRef refuses what can never be a ref, before git sees it.
func checkRef(ref string) error {
	switch {
	case ref == "":
		return errors.New("--base-ref is empty")
	case strings.HasPrefix(ref, "-"):
		return fmt.Errorf("--base-ref %q starts with \"-\": no git ref does, and git would read it as an option", ref)
	case strings.ContainsFunc(ref, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }):
		return fmt.Errorf("--base-ref %q holds a space or control character: no git ref does", ref)
	}
	return nil
}

func (g *Git) String() string {
	return fmt.Sprintf("%s at %s (%s)", g.display, g.ref, g.commit[:min(len(g.commit), 12)])
}

// Commit is the commit the ref resolved to.
func (g *Git) Commit() string { return g.commit }

// Notes say what the last List did not read: submodules, links it could
// not follow.
func (g *Git) Notes() []string { return slices.Clone(g.notes) }

// List lists the files under the directory at the commit. Links to files
// and directories inside the commit are followed once.
func (g *Git) List(ctx context.Context) ([]engine.Entry, error) {
	// The whole commit is listed: a link may point outside the directory.
	out, err := runGit(ctx, g.top, "ls-tree", "-r", "-z", "--full-tree", g.commit)
	if err != nil {
		return nil, fmt.Errorf("listing %s at %s: %w", g.display, g.ref, err)
	}
	type object struct{ mode, kind, id string }
	objects := map[string]object{}
	var paths []string
	for _, rec := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if rec == "" {
			continue
		}
		meta, p, ok := strings.Cut(rec, "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("listing %s at %s: unexpected git ls-tree output %q", g.display, g.ref, rec)
		}
		objects[p] = object{fields[0], fields[1], fields[2]}
		paths = append(paths, p)
	}
	g.blobs, g.notes = map[string]string{}, nil
	var entries []engine.Entry
	add := func(p, blob string) {
		rel := g.rel(p)
		g.blobs[rel] = blob
		entries = append(entries, engine.Entry{Path: rel, Name: g.ref + ":" + p, Blob: blob})
	}
	for _, p := range paths {
		o := objects[p]
		if !g.inside(p) {
			continue
		}
		switch {
		case o.kind == "commit":
			g.notes = append(g.notes, fmt.Sprintf("%s:%s is a submodule and was not searched", g.ref, p))
		case o.mode == "120000":
			target, err := g.readBlob(ctx, o.id, p)
			if err != nil {
				return nil, err
			}
			dest := path.Clean(path.Join(path.Dir(p), string(target)))
			if t, ok := objects[dest]; ok && t.kind == "blob" && t.mode != "120000" {
				add(p, t.id)
				continue
			}
			// A link to a directory: its files, once (links among them are
			// not followed again, so a loop ends here).
			n := 0
			for _, q := range paths {
				if t := objects[q]; strings.HasPrefix(q, dest+"/") && t.kind == "blob" && t.mode != "120000" {
					add(p+strings.TrimPrefix(q, dest), t.id)
					n++
				}
			}
			if n == 0 {
				g.notes = append(g.notes, fmt.Sprintf("%s:%s links to %s, which is not a file or directory listed here; it was not followed", g.ref, p, target))
			}
		case o.kind == "blob":
			add(p, o.id)
		}
	}
	return entries, nil
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

// Read reads a listed file at the commit.
func (g *Git) Read(ctx context.Context, p string) ([]byte, error) {
	blob, ok := g.blobs[p]
	if !ok {
		return nil, fmt.Errorf("reading %s at %s: not listed", p, g.ref)
	}
	return g.readBlob(ctx, blob, p)
}

func (g *Git) readBlob(ctx context.Context, blob, p string) ([]byte, error) {
	out, err := runGit(ctx, g.top, "cat-file", "blob", blob)
	if err != nil {
		return nil, fmt.Errorf("reading %s at %s (%s): %w", p, g.ref, g.commit[:min(len(g.commit), 12)], err)
	}
	return out, nil
}

func runGit(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	// Settings of the user's environment must not change what is read.
	cmd.Env = append(cmd.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("git %s: %s", args[0], msg)
	}
	return out, nil
}
