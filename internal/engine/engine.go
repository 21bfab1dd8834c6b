// Package engine runs a comparison: it groups the files of both sides into
// artifacts, detects each artifact's format from its content, runs that
// format's differ and classifies the findings under the policy. It reads no
// files itself: adapters (the CLI, the Action) hand it bytes.
package engine

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/formats/ckbk"
	"github.com/breakwater-dev/breakwater/internal/formats/tray"
	"github.com/breakwater-dev/breakwater/internal/formats/vnext"
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

// Engine holds what is expensive to build once: the rule catalogue and the
// compiled vNext schemas. It is safe for concurrent use.
type Engine struct {
	rules *rules.Catalogue
	vnext *vnext.Parser
	// vnextBase reads the base side without schema validation: a pull
	// request that fixes a violation must not fail on the base having it.
	vnextBase *vnext.Parser
}

// New builds an engine.
func New() (*Engine, error) {
	vp, err := vnext.NewParser()
	if err != nil {
		return nil, fmt.Errorf("loading the vNext schemas: %w", err)
	}
	return &Engine{rules: rules.Default(), vnext: vp, vnextBase: vp.Trusted()}, nil
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
		if b != nil && h != nil && b.format != h.format {
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
	format string
	tray   *tray.Export
	ckbk   *ckbk.Template
	vnext  *vnext.Package
	isBase bool
}

// diff compares a (base, or head when alone) with other (the head).
func (a *artifact) diff(other *artifact) change.Comparison {
	base, head := a, other
	if !a.isBase {
		base, head = nil, a
	}
	switch a.format {
	case tray.Format:
		return tray.Diff(pick(base, func(x *artifact) *tray.Export { return x.tray }), pick(head, func(x *artifact) *tray.Export { return x.tray }))
	case ckbk.Format:
		return ckbk.Diff(pick(base, func(x *artifact) *ckbk.Template { return x.ckbk }), pick(head, func(x *artifact) *ckbk.Template { return x.ckbk }))
	default:
		return vnext.Diff(pick(base, func(x *artifact) *vnext.Package { return x.vnext }), pick(head, func(x *artifact) *vnext.Package { return x.vnext }))
	}
}

func pick[T any](a *artifact, get func(*artifact) *T) *T {
	if a == nil {
		return nil
	}
	return get(a)
}

// side is one side of the comparison, parsed.
type side struct {
	artifacts map[string]*artifact // by artifact key (file path or package root)
	version   *change.Declared     // from the version file, if any
}

func (e *Engine) parseSide(files []File, opts Options, isBase bool) (*side, error) {
	s := &side{artifacts: map[string]*artifact{}}
	vp := e.vnext
	if isBase {
		vp = e.vnextBase
	}
	versionFile := opts.VersionFile
	if versionFile == "" {
		versionFile = "package.json"
	}

	// vNext packages are directories: every file below a vnext.config.json
	// belongs to that package (the innermost one when they nest).
	var roots []string
	for _, f := range files {
		if path.Base(f.Path) == vnext.ConfigFile {
			roots = append(roots, path.Dir(f.Path))
		}
	}
	sort.Slice(roots, func(i, j int) bool { return len(roots[i]) > len(roots[j]) })
	packages := map[string][]vnext.File{}

	for _, f := range files {
		if f.Path == versionFile {
			d, err := declaredVersion(f, opts.VersionPointer)
			if err != nil {
				return nil, err
			}
			s.version = d
		}
		if root, ok := packageRoot(roots, f.Path); ok {
			if !isJSONName(f.Path) {
				continue
			}
			doc, err := formats.ParseJSON(f.Name, f.Data)
			if err != nil {
				return nil, err
			}
			rel := strings.TrimPrefix(strings.TrimPrefix(f.Path, root), "/")
			if root == "." {
				rel = f.Path
			}
			packages[root] = append(packages[root], vnext.File{Path: rel, Doc: doc, Unchanged: f.unchanged})
			continue
		}
		// Manifests are read beside exports, never compared as exports.
		if f.Path == versionFile || path.Base(f.Path) == "package.json" || (!opts.Explicit && !isJSONName(f.Path)) {
			continue
		}
		a, err := e.parseFile(vp, f, opts)
		if err != nil {
			return nil, err
		}
		if a != nil {
			a.isBase = isBase
			s.artifacts[f.Path] = a
		}
	}
	for root, pfiles := range packages {
		pkg, err := vp.ParsePackage(pfiles)
		if err != nil {
			return nil, err
		}
		s.artifacts[root+"/"+vnext.ConfigFile] = &artifact{format: vnext.Format, vnext: pkg, isBase: isBase}
	}
	return s, nil
}

// parseFile detects a single file's format and parses it; nil when the file
// is of no known format and was not named explicitly.
func (e *Engine) parseFile(vp *vnext.Parser, f File, opts Options) (*artifact, error) {
	doc, err := formats.ParseJSON(f.Name, f.Data)
	if err != nil {
		return nil, err
	}
	format := ""
	for _, o := range opts.Formats {
		if rules.MatchGlob(o.Glob, f.Path) && o.Format != "auto" {
			format = o.Format
		}
	}
	if format == "" {
		switch {
		case tray.Detect(doc.Root):
			format = tray.Format
		case ckbk.Detect(doc.Root):
			format = ckbk.Format
		case vnext.IsDefinition(doc.Root):
			format = vnext.Format
		}
	}
	switch format {
	case tray.Format:
		x, err := tray.Parse(doc)
		return &artifact{format: format, tray: x}, err
	case ckbk.Format:
		x, err := ckbk.Parse(doc)
		return &artifact{format: format, ckbk: x}, err
	case vnext.Format:
		x, err := vp.ParseDefinition(vnext.File{Path: f.Path, Doc: doc})
		return &artifact{format: format, vnext: x}, err
	case "":
		if !opts.Explicit {
			return nil, nil
		}
		return nil, &change.InputError{
			Rule:     change.RuleUnknownFormat,
			Location: change.Location{File: f.Name, Line: 1, Column: 1},
			Msg:      "unknown format: not a Tray.io export, a FrontlineCloud .ckbk template or a vNext definition",
		}
	}
	return nil, fmt.Errorf("%s: unknown format %q in the configuration (want tray, ckbk or vnext)", f.Name, format)
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

func packageRoot(roots []string, p string) (string, bool) {
	for _, r := range roots {
		if r == "." || strings.HasPrefix(p, r+"/") {
			return r, true
		}
	}
	return "", false
}

func isJSONName(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	return ext == ".json" || ext == ".ckbk"
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
