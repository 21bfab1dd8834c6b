package vnext

import (
	"fmt"
	"path"
	"strings"
	"sync"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
)

// New is the vNext package format, for the registry. The vendor schemas are
// compiled on first use (or by Prepare), so listing formats and rules costs
// nothing.
func New() formats.Format {
	return &format{Meta: formats.Meta{
		FormatName: Format,
		NounPhrase: "a vNext definition",
		Doc: change.Family{
			Prefix: Format + "/",
			Title:  "vNext workflow packages",
			Intro:  "Workflows are matched by (`domain`, `key`), states by `key`, transitions by (state, `key`).",
		},
		RuleSet: Rules,
		Exts:    []string{".json"},
		// A single definition; a package is recognised by its Marker.
		Recognise:    IsDefinition,
		CoverageSpec: Coverage,
	}}
}

type format struct {
	formats.Meta
	once    sync.Once
	parser  *Parser // validates against the vendor schemas
	trusted *Parser // the base side: no schema validation
	err     error
}

// Prepare compiles the vendor schemas; the engine calls it once up front so
// that a broken schema is an error at start and the first parse is not slow.
func (f *format) Prepare() error {
	f.once.Do(func() {
		if f.parser, f.err = NewParser(); f.err == nil {
			f.trusted = f.parser.Trusted()
		}
	})
	return f.err
}

// Marker is the file that makes a directory a vNext package.
func (*format) Marker() string { return ConfigFile }

// Member: a package is read from its JSON files.
func (*format) Member(rel string) bool { return strings.EqualFold(path.Ext(rel), ".json") }

// Parse reads a package when the input holds its vnext.config.json, else a
// single definition.
func (f *format) Parse(in formats.Input) (formats.Artifact, error) {
	if err := f.Prepare(); err != nil {
		return nil, fmt.Errorf("loading the vNext schemas: %w", err)
	}
	p := f.parser
	if in.Trusted {
		p = f.trusted
	}
	var (
		pkg *Package
		err error
	)
	if isPackage(in.Files) {
		pkg, err = p.ParsePackage(in.Files)
	} else {
		var one formats.File
		if one, err = formats.Single(Format, in); err == nil {
			pkg, err = p.ParseDefinition(one)
		}
	}
	if err != nil {
		return nil, err
	}
	return pkg, nil
}

func isPackage(files []formats.File) bool {
	for _, f := range files {
		if f.Path == ConfigFile {
			return true
		}
	}
	return false
}

func (*format) Diff(base, head formats.Artifact) change.Comparison {
	return Diff(formats.As[*Package](base), formats.As[*Package](head))
}

// Documents are the package's files by their path in the package, or a
// lone definition's one file.
func (p *Package) Documents() []formats.Document { return p.docs }

// Identity is the package's name (package.json `name`, else its domain), or
// a lone definition's domain and key.
func (p *Package) Identity() string {
	switch {
	case p.config != nil && p.Name != "":
		return Format + ":" + p.Name
	case p.config == nil && len(p.Components) == 1:
		return Format + ":" + p.Components[0].identity()
	}
	return ""
}
