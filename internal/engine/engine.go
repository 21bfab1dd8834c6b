// Package engine runs a comparison: it groups the files of both sides into
// artifacts, detects each artifact's format from its content, runs that
// format's differ and classifies the findings under the policy. It reads no
// files itself: adapters (the CLI, the Action) hand it bytes.
package engine

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/formats/registry"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
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

	unchanged bool // same bytes on the base side; set by Compare
}

// markUnchanged flags the head files whose bytes equal the base file at the
// same path: the base was accepted before, so only what the change touches
// is validated against vendor schemas.
func markUnchanged(base, head []File) []File {
	byPath := make(map[string][]byte, len(base))
	for _, f := range base {
		byPath[f.Path] = f.Data
	}
	out := make([]File, len(head))
	for i, f := range head {
		b, ok := byPath[f.Path]
		f.unchanged = ok && bytes.Equal(b, f.Data)
		out[i] = f
	}
	return out
}

// Options tune a comparison.
type Options struct {
	Policy rules.Policy
	// Explicit means the files were named by the user or matched configured
	// globs: a file of no known format is then input/unknown-format instead of
	// being skipped.
	Explicit bool
	// VersionFile and VersionPointer say where the declared version lives for
	// artifacts that declare none themselves. Defaults: "package.json" at the
	// root and "/version".
	VersionFile    string
	VersionPointer string
	// Formats forces the format of files by path glob ("tray", "ckbk",
	// "vnext"); unmatched files are detected from their content.
	Formats []FormatOverride
}

// FormatOverride forces a format for the files matching a glob.
type FormatOverride struct {
	Glob   string
	Format string
}

// Engine holds what is expensive to build once: the formats (with their
// compiled schemas) and the rule catalogue. It is safe for concurrent use.
type Engine struct {
	formats *formats.Registry
	rules   *rules.Catalogue
}

// preparer is a format with set-up that can fail (compiling schemas).
type preparer interface{ Prepare() error }

// New builds an engine over the registry's formats.
func New() (*Engine, error) {
	reg := registry.Default()
	for _, f := range reg.All() {
		if p, ok := f.(preparer); ok {
			if err := p.Prepare(); err != nil {
				return nil, fmt.Errorf("preparing the %s format: %w", f.Name(), err)
			}
		}
	}
	return &Engine{formats: reg, rules: rules.ForFormats(reg)}, nil
}

// Rules is the engine's rule catalogue.
func (e *Engine) Rules() *rules.Catalogue { return e.rules }

// Compare diffs base against head and classifies the result. An error is an
// input the tool cannot compare (*change.InputError) and means exit code 2.
func (e *Engine) Compare(base, head []File, opts Options) (*change.Report, error) {
	var bs, hs *side
	var berr, herr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the two sides are independent: parse them on two cores
		defer wg.Done()
		bs, berr = e.parseSide(base, opts, true)
	}()
	hs, herr = e.parseSide(markUnchanged(base, head), opts, false)
	wg.Wait()
	if berr != nil {
		return nil, berr
	}
	if herr != nil {
		return nil, herr
	}

	var comps []change.Comparison
	for _, key := range unionKeys(bs.artifacts, hs.artifacts) {
		b, h := bs.artifacts[key], hs.artifacts[key]
		if b != nil && h != nil && b.format.Name() != h.format.Name() {
			// The file changed platform: that is a removal and an addition.
			comps = append(comps, b.diff(nil), h.diff(nil))
			continue
		}
		if b != nil {
			comps = append(comps, b.diff(h))
		} else {
			comps = append(comps, h.diff(nil))
		}
	}
	return e.rules.Classify(comps, bs.version, hs.version, opts.Policy), nil
}

// artifact is one parsed artifact of one side.
type artifact struct {
	format formats.Format
	parsed formats.Artifact
	isBase bool
}

// diff compares a (base, or head when alone) with other (the head).
func (a *artifact) diff(other *artifact) change.Comparison {
	if !a.isBase {
		return a.format.Diff(nil, a.parsed)
	}
	if other == nil {
		return a.format.Diff(a.parsed, nil)
	}
	return a.format.Diff(a.parsed, other.parsed)
}

// side is one side of the comparison, parsed.
type side struct {
	artifacts map[string]*artifact // by artifact key (file path or package root)
	version   *change.Declared     // from the version file, if any
}

func (e *Engine) parseSide(files []File, opts Options, isBase bool) (*side, error) {
	s := &side{artifacts: map[string]*artifact{}}
	versionFile := opts.VersionFile
	if versionFile == "" {
		versionFile = "package.json"
	}

	// Packages are directories: every member below a marker belongs to that
	// package (the innermost one when they nest).
	type root struct {
		dir string
		fmt formats.Packager
	}
	var roots []root
	for _, f := range files {
		for _, p := range e.formats.Packagers() {
			if path.Base(f.Path) == p.Marker() {
				roots = append(roots, root{path.Dir(f.Path), p})
			}
		}
	}
	sort.Slice(roots, func(i, j int) bool { return len(roots[i].dir) > len(roots[j].dir) })
	packages := map[string][]formats.File{}

	for _, f := range files {
		if f.Path == versionFile {
			d, err := declaredVersion(f, opts.VersionPointer)
			if err != nil {
				return nil, err
			}
			s.version = d
		}
		if i := slices.IndexFunc(roots, func(r root) bool { return r.dir == "." || strings.HasPrefix(f.Path, r.dir+"/") }); i >= 0 {
			r := roots[i]
			rel := strings.TrimPrefix(strings.TrimPrefix(f.Path, r.dir), "/")
			if r.dir == "." {
				rel = f.Path
			}
			if !r.fmt.Member(rel) {
				continue
			}
			doc, err := formats.ParseJSON(f.Name, f.Data)
			if err != nil {
				return nil, err
			}
			packages[r.dir] = append(packages[r.dir], formats.File{Path: rel, Doc: doc, Unchanged: f.unchanged})
			continue
		}
		// Manifests are read beside exports, never compared as exports.
		if f.Path == versionFile || path.Base(f.Path) == "package.json" || (!opts.Explicit && !e.formats.Readable(f.Path)) {
			continue
		}
		a, err := e.parseFile(f, opts, isBase)
		if err != nil {
			return nil, err
		}
		if a != nil {
			a.isBase = isBase
			s.artifacts[f.Path] = a
		}
	}
	for _, r := range roots {
		pfiles, ok := packages[r.dir]
		if !ok {
			continue
		}
		delete(packages, r.dir)
		pkg, err := r.fmt.Parse(formats.Input{Files: pfiles, Trusted: isBase})
		if err != nil {
			return nil, err
		}
		s.artifacts[path.Join(r.dir, r.fmt.Marker())] = &artifact{format: r.fmt, parsed: pkg, isBase: isBase}
	}
	return s, nil
}

// parseFile detects a single file's format and parses it; nil when the file
// is of no known format and was not named explicitly.
func (e *Engine) parseFile(f File, opts Options, isBase bool) (*artifact, error) {
	doc, err := formats.ParseJSON(f.Name, f.Data)
	if err != nil {
		return nil, err
	}
	name := ""
	for _, o := range opts.Formats {
		if rules.MatchGlob(o.Glob, f.Path) && o.Format != "auto" {
			name = o.Format
		}
	}
	var format formats.Format
	if name != "" {
		var ok bool
		if format, ok = e.formats.Lookup(name); !ok {
			return nil, fmt.Errorf("%s: unknown format %q in the configuration (want one of %s)", f.Name, name, strings.Join(e.formats.Names(), ", "))
		}
	} else if format, _ = e.formats.Detect(doc.Root); format == nil {
		if !opts.Explicit {
			return nil, nil
		}
		return nil, &change.InputError{
			Rule:     change.RuleUnknownFormat,
			Location: change.Location{File: f.Name, Line: 1, Column: 1},
			Msg:      "unknown format: not " + e.formats.Nouns(),
		}
	}
	parsed, err := format.Parse(formats.Input{Files: []formats.File{{Path: f.Path, Doc: doc, Unchanged: f.unchanged}}, Trusted: isBase})
	if err != nil {
		return nil, err
	}
	return &artifact{format: format, parsed: parsed}, nil
}

// declaredVersion reads the version at pointer in a package.json-like file.
func declaredVersion(f File, pointer string) (*change.Declared, error) {
	if pointer == "" {
		pointer = "/version"
	}
	doc, err := formats.ParseJSON(f.Name, f.Data)
	if err != nil {
		return nil, err
	}
	v := doc.Root.Find(pointer)
	if v == nil {
		return nil, nil
	}
	s, ok := v.Str()
	if !ok {
		return nil, formats.WrongType(doc, v, pointer, jsonpos.String)
	}
	return &change.Declared{Version: s, Location: formats.LocateValue(doc, v, pointer)}, nil
}

func unionKeys(a, b map[string]*artifact) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
