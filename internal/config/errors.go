package config

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in a configuration file, at a 1-based line and
// column (zero when unknown).
type Error struct {
	File   string
	Line   int
	Column int
	Msg    string
}

func (e *Error) Error() string {
	var where string
	switch {
	case e.Line == 0:
		where = e.File
	case e.Column == 0:
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	default:
		where = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Column)
	}
	if where == "" {
		return e.Msg
	}
	return where + ": " + e.Msg
}

// Errors are all the problems found in one file, in file order, so a user
// fixes them in one go. errors.As finds each *Error.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}

// err is nil for no errors (never a nil Errors in an error interface), the
// single *Error for one, and the sorted list otherwise.
func (es Errors) err() error {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	sorted := slices.Clone(es)
	slices.SortStableFunc(sorted, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return sorted
}
