package cli

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/rules"
)

// skipDir is a directory a scan never enters: not exports, and often huge.
func skipDir(name string) bool {
	return name == "node_modules" || (strings.HasPrefix(name, ".") && name != "." && name != "..")
}

// loadPath reads a file or a directory tree into engine files. Paths are
// relative to root (a file's own name for a single file) so that the base and
// head sides pair up; names are shown as given on the command line.
func loadPath(ctx context.Context, root string, globs []string) ([]engine.File, error) {
	info, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", root, err)
	}
	if !info.IsDir() {
		data, err := os.ReadFile(root)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", root, err)
		}
		return []engine.File{{Path: filepath.Base(root), Name: root, Data: data}}, nil
	}
	var files []engine.File
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && skipDir(d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !wanted(rel, globs) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("reading %s: %w", p, err)
		}
		files = append(files, engine.File{Path: rel, Name: p, Data: data})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", root, err)
	}
	return files, nil
}

// wanted keeps the files a scan compares: those matching the artifact globs,
// plus the files a comparison reads beside them (package.json, vNext package
// configuration).
func wanted(rel string, globs []string) bool {
	switch path.Base(rel) {
	case "package.json", "vnext.config.json":
		return true
	}
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if rules.MatchGlob(g, rel) {
			return true
		}
	}
	return false
}

// loadGitRef reads the files under dir as they are at ref, via git, so that
// `breakwater diff --base-ref main exports/` needs no second checkout.
func loadGitRef(ctx context.Context, ref, dir string, globs []string) ([]engine.File, error) {
	top, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	topDir := strings.TrimSpace(string(top))
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	prefix, err := filepath.Rel(topDir, abs)
	if err != nil {
		return nil, err
	}
	prefix = filepath.ToSlash(prefix)
	out, err := git(ctx, topDir, "ls-tree", "-r", "-z", "--name-only", ref, "--", prefix)
	if err != nil {
		return nil, err
	}
	var files []engine.File
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(name, prefix), "/")
		if prefix == "." {
			rel = name
		}
		if rel == "" { // dir named a single file
			rel = path.Base(name)
		}
		if hasSkippedDir(rel) || !wanted(rel, globs) {
			continue
		}
		data, err := git(ctx, topDir, "show", ref+":"+name)
		if err != nil {
			return nil, err
		}
		files = append(files, engine.File{Path: rel, Name: ref + ":" + name, Data: data})
	}
	return files, nil
}

func hasSkippedDir(rel string) bool {
	parts := strings.Split(rel, "/")
	for _, p := range parts[:len(parts)-1] {
		if skipDir(p) {
			return true
		}
	}
	return false
}

func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
