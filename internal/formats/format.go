package formats

import (
	"fmt"
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/coverage"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// Format is one platform's export format. Each platform package implements
// it once, and the registry (internal/formats/registry) lists them; nothing
// else names a format.
type Format interface {
	// Name is the format's name in the configuration (`format: tray`), in
	// reports and in the rule IDs of its family ("tray/…").
	Name() string
	// Noun names one artifact of the format in messages: "a Tray.io export".
	Noun() string
	// Family documents the format's rules in the reference (docs/rules.md).
	Family() change.Family
	// Rules is the format's part of the rule catalogue.
	Rules() []change.Rule
	// Extensions are the file name extensions the format's files have
	// (".json"); the default artifact globs are made of them.
	Extensions() []string
	// Detect reports whether a parsed file is of this format, by content.
	Detect(root *jsonpos.Value) bool
	// Parse reads one artifact: a single file, or a package's files (see
	// Packager). Input the format cannot read is a *change.InputError.
	Parse(in Input) (Artifact, error)
	// Diff compares two versions of an artifact Parse returned; either may
	// be nil (the artifact was added or removed).
	Diff(base, head Artifact) change.Comparison
	// Coverage declares how the format accounts for every change
	// (internal/coverage, docs/formats.md): its normalisation, the values
	// that are text shown to people, how far its rules' findings reach, and
	// the two rules that report what no other rule does.
	Coverage() coverage.Spec
}

// Packager is a Format whose artifacts can be directories: a file named
// Marker makes the directory holding it one artifact, and the files under it
// for which Member is true belong to it (the innermost marker wins).
type Packager interface {
	Format
	Marker() string
	// Member reports whether a file, by its path relative to the package
	// root, is read as part of the package.
	Member(rel string) bool
}

// Artifact is one parsed version of an export.
type Artifact interface {
	// Identity is the artifact's logical identity, independent of file
	// paths ("tray:solution/4f1c…", "ckbk:Poll"), or "" when it has none
	// that can be trusted to find the artifact again after a move.
	Identity() string
	// Documents are the artifact's parsed files, as the coverage check
	// compares them with the other version's.
	Documents() []Document
}

// Document is one parsed file of an artifact as the coverage check
// compares it.
type Document struct {
	// Path pairs the file with the other version's: its path in a package;
	// "" for the one file of a single-file artifact, which pairs with the
	// other version's one file whatever its name.
	Path string
	structdiff.Input
}

// Input is what Parse reads.
type Input struct {
	// Files are the artifact's files: one, or a package's members with paths
	// relative to the package root.
	Files []File
	// Trusted marks the base side: it was accepted before, so checks that
	// only judge validity (vendor schemas) are skipped, and a pull request
	// that fixes a violation is not failed for the base still having it.
	Trusted bool
}

// File is one parsed JSON file of an artifact.
type File struct {
	// Path is slash-separated: relative to the package root for a package
	// member, the path in the tree for a single file.
	Path string
	Doc  *jsonpos.Doc
	// Unchanged says the file has the same bytes on the other side of the
	// comparison: it was accepted before, so it is not validated again.
	Unchanged bool
}

// As is a's concrete type, the zero value when a is nil. Diff uses it: the
// engine only ever hands a format the artifacts that format parsed.
func As[T Artifact](a Artifact) T {
	var zero T
	if a == nil {
		return zero
	}
	return a.(T)
}

// Registry is the set of formats, in detection order.
type Registry struct {
	all    []Format
	byName map[string]Format
}

// NewRegistry makes a registry; a duplicate name is a programming error.
func NewRegistry(fs ...Format) *Registry {
	r := &Registry{all: fs, byName: make(map[string]Format, len(fs))}
	for _, f := range fs {
		if _, dup := r.byName[f.Name()]; dup {
			panic("formats: duplicate format " + f.Name())
		}
		r.byName[f.Name()] = f
	}
	return r
}

// All returns the formats in detection order.
func (r *Registry) All() []Format { return slices.Clone(r.all) }

// Lookup finds a format by name.
func (r *Registry) Lookup(name string) (Format, bool) {
	f, ok := r.byName[name]
	return f, ok
}

// Names are the format names, in detection order.
func (r *Registry) Names() []string {
	out := make([]string, len(r.all))
	for i, f := range r.all {
		out[i] = f.Name()
	}
	return out
}

// Detect is the first format that recognises the content, if any.
func (r *Registry) Detect(root *jsonpos.Value) (Format, bool) {
	for _, f := range r.all {
		if f.Detect(root) {
			return f, true
		}
	}
	return nil, false
}

// Rules are every format's rules, in registry order.
func (r *Registry) Rules() []change.Rule {
	var out []change.Rule
	for _, f := range r.all {
		out = append(out, f.Rules()...)
	}
	return out
}

// Extensions are the file name extensions any format reads, in registry
// order.
func (r *Registry) Extensions() []string {
	var out []string
	for _, f := range r.all {
		for _, e := range f.Extensions() {
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	return out
}

// Readable reports whether a file name has an extension some format reads.
func (r *Registry) Readable(name string) bool {
	for _, e := range r.Extensions() {
		if len(name) > len(e) && strings.EqualFold(name[len(name)-len(e):], e) {
			return true
		}
	}
	return false
}

// Packagers are the formats whose artifacts can be directories.
func (r *Registry) Packagers() []Packager {
	var out []Packager
	for _, f := range r.all {
		if p, ok := f.(Packager); ok {
			out = append(out, p)
		}
	}
	return out
}

// Nouns lists what the formats read, for messages: "a Tray.io export, a
// FrontlineCloud .ckbk template or a vNext definition".
func (r *Registry) Nouns() string {
	nouns := make([]string, len(r.all))
	for i, f := range r.all {
		nouns[i] = f.Noun()
	}
	if len(nouns) < 2 {
		return strings.Join(nouns, "")
	}
	return fmt.Sprintf("%s or %s", strings.Join(nouns[:len(nouns)-1], ", "), nouns[len(nouns)-1])
}

// Single is the one file of a single-file format's input.
func Single(format string, in Input) (File, error) {
	if len(in.Files) != 1 || in.Files[0].Doc == nil {
		return File{}, fmt.Errorf("%s: an artifact is one parsed file, got %d files", format, len(in.Files))
	}
	return in.Files[0], nil
}

// FileFormat is a Format whose artifacts are single files, made from a
// platform package's own functions; Tray.io and .ckbk are made this way.
type FileFormat[T Artifact] struct {
	Meta
	// ParseDoc reads one parsed file.
	ParseDoc func(*jsonpos.Doc) (T, error)
	// DiffPair compares two versions; either may be nil.
	DiffPair func(base, head T) change.Comparison
}

// Meta is what describes a format without reading anything.
type Meta struct {
	FormatName string
	// NounPhrase names one artifact in messages: "a Tray.io export".
	NounPhrase string
	Doc        change.Family
	RuleSet    func() []change.Rule
	Exts       []string
	// Recognise reports whether a parsed file is of the format.
	Recognise func(root *jsonpos.Value) bool
	// CoverageSpec is the format's coverage declaration.
	CoverageSpec func() coverage.Spec
}

func (m Meta) Name() string                    { return m.FormatName }
func (m Meta) Noun() string                    { return m.NounPhrase }
func (m Meta) Family() change.Family           { return m.Doc }
func (m Meta) Rules() []change.Rule            { return m.RuleSet() }
func (m Meta) Extensions() []string            { return slices.Clone(m.Exts) }
func (m Meta) Detect(root *jsonpos.Value) bool { return m.Recognise(root) }
func (m Meta) Coverage() coverage.Spec         { return m.CoverageSpec() }

// Parse parses the input's one file.
func (f FileFormat[T]) Parse(in Input) (Artifact, error) {
	file, err := Single(f.FormatName, in)
	if err != nil {
		return nil, err
	}
	a, err := f.ParseDoc(file.Doc)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Diff compares two artifacts Parse returned.
func (f FileFormat[T]) Diff(base, head Artifact) change.Comparison {
	return f.DiffPair(As[T](base), As[T](head))
}
