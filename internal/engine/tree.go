package engine

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"slices"
)

// Tree is one side of a comparison: a directory, a git commit, a commit read
// through the GitHub API, an archive. Implementations live in
// internal/source; the engine lists a tree first and reads only the files it
// compares, one artifact at a time.
type Tree interface {
	// String says what the tree is, for messages and reports: a directory
	// as given, "main (1a2b3c4)", "owner/repo@1a2b3c4".
	String() string
	// List returns every file of the tree. A listing that cannot be
	// complete is an error, never a shorter list: a file left out could be
	// a changed export.
	List(ctx context.Context) ([]Entry, error)
	// Read returns the content of the file an Entry of List names by Path.
	// Its errors name the file and the tree.
	Read(ctx context.Context, path string) ([]byte, error)
}

// ReadAheader is a Tree that reads many files better at once than one at a
// time: a commit read through GitHub's API downloads one archive instead
// of sending a request per file. Run calls ReadAhead once, after planning
// and before the first Read, with every path it will read from the tree.
type ReadAheader interface {
	ReadAhead(ctx context.Context, paths []string) error
}

// Entry is one file of a tree.
type Entry struct {
	// Path is slash-separated and relative to the tree's root; it pairs the
	// base and head versions of a file, and the configured globs match it.
	Path string
	// Name is what reports show for the file: the path as given on the
	// command line, the repository path in a pull request.
	Name string
	// Blob identifies the content when the tree knows it without reading it
	// (a git blob ID): equal non-empty Blobs mean equal bytes, so a file the
	// same on both sides is read once.
	Blob string
}

// MemTree is a Tree held in memory: for tests, and for callers that already
// hold the bytes.
type MemTree struct {
	// Label is what String returns.
	Label string
	// Files are the contents by slash-separated path.
	Files map[string][]byte
	// NamePrefix is put before a path ("base/") to make the name reports
	// show.
	NamePrefix string
}

func (t *MemTree) String() string { return t.Label }

// List lists the files in path order.
func (t *MemTree) List(ctx context.Context) ([]Entry, error) {
	out := make([]Entry, 0, len(t.Files))
	for _, p := range slices.Sorted(maps.Keys(t.Files)) {
		out = append(out, Entry{Path: p, Name: t.NamePrefix + p})
	}
	return out, ctx.Err()
}

// Read returns the bytes held for path (not a copy).
func (t *MemTree) Read(ctx context.Context, path string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, ok := t.Files[path]
	if !ok {
		return nil, fmt.Errorf("reading %s%s: %w", t.NamePrefix, path, fs.ErrNotExist)
	}
	return data, nil
}
