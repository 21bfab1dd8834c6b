// Package source adapts the places a comparison's sides come from to
// engine.Tree: a local file or directory, a commit of a git repository read
// from its objects (go-git: no git binary), and a commit read through the
// GitHub API (one listing, one source archive). OpenCommits picks the
// cheapest way to read two commits of a GitHub repository — a checkout's
// objects, fetched when missing, else the API — for the Action and the bot.
// A tree lists every file or fails; it never silently lists fewer.
package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"

	"github.com/breakwater-dev/breakwater/internal/engine"
)

// skippedDir is a directory a scan does not enter: version control
// internals and installed dependencies, never exports and often huge.
// Skipping one is reported (Dir.Notes), never silent.
func skippedDir(name string) bool { return name == ".git" || name == "node_modules" }

// Dir is a local file or directory. Symbolic links are followed, to files
// and to directories (the root itself too); a link back to a directory
// being walked is not followed again, and says so.
type Dir struct {
	root    string // where to read, absolute or relative to the process
	display string // the root as the user gave it, for names
	file    bool   // the root is a single file
	notes   []string
}

// NewDir opens root; display is how messages and reports name it (the path
// as given on the command line, where root may be resolved against another
// working directory).
func NewDir(root, display string) (*Dir, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", display, err)
	}
	return &Dir{root: root, display: display, file: !info.IsDir()}, nil
}

func (d *Dir) String() string { return d.display }

// IsFile reports whether the tree is one file.
func (d *Dir) IsFile() bool { return d.file }

// Notes say what the last List did not search: skipped directories, links
// not followed, special files.
func (d *Dir) Notes() []string { return slices.Clone(d.notes) }

// List walks the directory. A single file lists as itself, under its base
// name.
func (d *Dir) List(ctx context.Context) ([]engine.Entry, error) {
	d.notes = nil
	if d.file {
		return []engine.Entry{{Path: filepath.Base(d.root), Name: d.display}}, nil
	}
	real, err := filepath.EvalSymlinks(d.root)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", d.display, err)
	}
	var out []engine.Entry
	if err := d.walk(ctx, d.root, "", []string{real}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// walk lists dir (rel inside the tree); ancestors are the real paths of the
// directories being walked, to stop at a link that loops back.
func (d *Dir) walk(ctx context.Context, dir, rel string, ancestors []string, out *[]engine.Entry) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("reading %s: %w", d.name(rel), err)
	}
	for _, e := range entries {
		full, r := filepath.Join(dir, e.Name()), path.Join(rel, e.Name())
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			info, err := os.Stat(full)
			if err != nil {
				// A broken link is listed: reading it, if it is ever wanted,
				// fails with the reason.
				*out = append(*out, engine.Entry{Path: r, Name: d.name(r)})
				continue
			}
			mode = info.Mode().Type()
		}
		switch {
		case mode.IsDir() && skippedDir(e.Name()):
			d.notes = append(d.notes, fmt.Sprintf("%s was not searched (%s directories never hold exports)", d.name(r), e.Name()))
		case mode.IsDir():
			real, err := filepath.EvalSymlinks(full)
			if err != nil {
				return fmt.Errorf("reading %s: %w", d.name(r), err)
			}
			if slices.Contains(ancestors, real) {
				d.notes = append(d.notes, fmt.Sprintf("%s links back to %s, which is being searched; the loop was not followed", d.name(r), real))
				continue
			}
			if err := d.walk(ctx, full, r, append(slices.Clip(ancestors), real), out); err != nil {
				return err
			}
		case mode.IsRegular():
			*out = append(*out, engine.Entry{Path: r, Name: d.name(r)})
		default:
			d.notes = append(d.notes, fmt.Sprintf("%s is not a regular file (%s) and was not read", d.name(r), mode))
		}
	}
	return nil
}

func (d *Dir) name(rel string) string {
	if rel == "" {
		return d.display
	}
	return filepath.Join(d.display, filepath.FromSlash(rel))
}

// Read reads the file at p, following links.
func (d *Dir) Read(ctx context.Context, p string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full, name := d.root, d.display
	if !d.file {
		if !fs.ValidPath(p) {
			return nil, fmt.Errorf("reading %s: not a path inside %s", p, d.display)
		}
		full, name = filepath.Join(d.root, filepath.FromSlash(p)), d.name(p)
	}
	data, err := os.ReadFile(full)
	if err != nil {
		if target, lerr := os.Readlink(full); lerr == nil && errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading %s: it is a symbolic link to %s, which does not exist: %w", name, target, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return data, nil
}
