// Package engine runs a comparison: it groups the files of both sides into
// artifacts, detects each artifact's format, runs that format's differ and
// classifies the findings under the policy. It reads no files itself.
package engine

import (
	"errors"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/rules"
)

// File is one file of one side of a comparison.
type File struct {
	// Path is slash-separated and relative to the side's root; it pairs the
	// base and head versions of a file.
	Path string
	// Name is what reports show: the repository-relative path in the Action,
	// the path as given on the command line in the CLI.
	Name string
	Data []byte
}

// Options tune a comparison.
type Options struct {
	Policy rules.Policy
	// Explicit means the files were named by the user or matched configured
	// globs: a file of no known format is then input/unknown-format instead of
	// being skipped.
	Explicit bool
	// Version is where the declared version lives when the artifacts do not
	// declare one themselves (a package.json or another JSON file among the
	// files, and a pointer into it). Empty means "package.json" at the root.
	VersionFile    string
	VersionPointer string
}

// Compare diffs base against head and classifies the result. An error is an
// input the tool cannot compare (*change.InputError) and means exit code 2.
func Compare(base, head []File, opts Options) (*change.Report, error) {
	return nil, errors.New("engine.Compare: not implemented yet")
}
