package vnext

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// ParsePackage reads a package from its files: vnext.config.json (required),
// package.json (optional) and the component definitions in the folders the
// config names. Other files are ignored. Every definition is validated
// against the vendor schema of its kind; a violation is returned as a
// *change.InputError with the file, pointer, line and column.
func (p *Parser) ParsePackage(files []File) (*Package, error) {
	var config, npm *jsonpos.Doc
	for _, f := range files {
		if f.Doc == nil {
			return nil, fmt.Errorf("vnext: file %s was not parsed", f.Path)
		}
		switch f.Path {
		case ConfigFile:
			config = f.Doc
		case "package.json":
			npm = f.Doc
		}
	}
	if config == nil {
		return nil, &change.InputError{
			Rule:     change.RuleSchemaViolation,
			Location: change.Location{File: ConfigFile},
			Msg:      "a vNext package needs a " + ConfigFile + " at its root",
		}
	}
	pkg, err := readConfig(config)
	if err != nil {
		return nil, err
	}
	if npm != nil {
		if err := readPackageJSON(pkg, npm); err != nil {
			return nil, err
		}
	}

	for _, f := range files {
		k, ok := pkg.kindAt(f.Path)
		if !ok {
			continue
		}
		c, err := p.component(k, f)
		if err != nil {
			return nil, err
		}
		pkg.Components = append(pkg.Components, c)
	}
	if err := pkg.index(); err != nil {
		return nil, err
	}
	if err := p.validateAll(pkg.Components); err != nil {
		return nil, err
	}
	if pkg.Domain == "" && len(pkg.Components) > 0 {
		pkg.Domain = pkg.Components[0].Domain
	}
	if pkg.Name == "" {
		pkg.Name = pkg.Domain
	}
	pkg.buildWorkflows()
	// Definitions pair up by what they define, as the differ matches them,
	// so a definition moved to another file is compared with its old
	// version; other files by their path.
	for _, f := range files {
		key := f.Path
		if c := pkg.byPath[f.Path]; c != nil {
			key = c.Kind.pathKey() + "[" + c.identity() + "]"
		}
		pkg.docs = append(pkg.docs, formats.Document{Path: key, Input: structdiff.Input{Doc: f.Doc}})
	}
	return pkg, nil
}

// ParseDefinition reads a single definition as a package of one component,
// for a workflow file diffed outside its package. Its kind comes from its
// `flow` (sys-flows, sys-tasks, …), else from the presence of states;
// `{ref}` references cannot be resolved and are compared by file name.
func (p *Parser) ParseDefinition(f File) (*Package, error) {
	if f.Doc == nil {
		return nil, fmt.Errorf("vnext: file %s was not parsed", f.Path)
	}
	root := f.Doc.Root
	if !IsDefinition(root) {
		return nil, &change.InputError{
			Rule:     change.RuleSchemaViolation,
			Location: formats.Locate(f.Doc, ""),
			Msg:      "not a vNext definition: it needs string members key, domain and flow and an attributes object",
		}
	}
	k := kindOfFlow(root.Get("flow").Text)
	if k == "" && root.Path("attributes", "states") != nil {
		k = KindWorkflow
	}
	c, err := p.component(k, f)
	if err != nil {
		return nil, err
	}
	if err := p.validate(c); err != nil {
		return nil, err
	}
	pkg := &Package{
		Name:       c.Domain,
		Domain:     c.Domain,
		Version:    c.Version,
		Components: []*Component{c},
		folders:    defaultFolders(),
	}
	if err := pkg.index(); err != nil {
		return nil, err
	}
	pkg.buildWorkflows()
	pkg.docs = []formats.Document{{Input: structdiff.Input{Doc: f.Doc}}}
	return pkg, nil
}

func kindOfFlow(flow string) Kind {
	for _, ki := range kindInfos {
		if ki.flow == flow {
			return ki.kind
		}
	}
	return ""
}

func defaultFolders() map[Kind]string {
	m := make(map[Kind]string, len(kindInfos))
	for _, ki := range kindInfos {
		m[ki.kind] = ki.folder
	}
	return m
}

// readConfig reads vnext.config.json: version, domain, paths and exports.
// Only the members the differ reads are type-checked.
func readConfig(d *jsonpos.Doc) (*Package, error) {
	root := d.Root
	if !root.Is(jsonpos.Object) {
		return nil, formats.WrongType(d, root, "", jsonpos.Object)
	}
	pkg := &Package{config: d, folders: defaultFolders()}
	domain, err := optString(d, root, "/domain")
	if err != nil {
		return nil, err
	}
	pkg.Domain = domain
	if v := root.Get("version"); v != nil {
		if !v.Is(jsonpos.String) {
			return nil, formats.WrongType(d, v, "/version", jsonpos.String)
		}
		pkg.Version = declared(d, v)
	}

	pkg.componentsRoot = domain
	if paths := root.Get("paths"); paths != nil {
		if !paths.Is(jsonpos.Object) {
			return nil, formats.WrongType(d, paths, "/paths", jsonpos.Object)
		}
		cr, err := optString(d, root, "/paths/componentsRoot")
		if err != nil {
			return nil, err
		}
		if cr != "" {
			pkg.componentsRoot = cr
		}
		for _, ki := range kindInfos {
			folder, err := optString(d, root, "/paths/"+ki.pathKey)
			if err != nil {
				return nil, err
			}
			if folder != "" {
				pkg.folders[ki.kind] = folder
			}
		}
	}
	pkg.componentsRoot = cleanDir(pkg.componentsRoot)

	if exports := root.Get("exports"); exports != nil {
		if !exports.Is(jsonpos.Object) {
			return nil, formats.WrongType(d, exports, "/exports", jsonpos.Object)
		}
		for _, ki := range kindInfos {
			list := exports.Get(ki.pathKey)
			if list == nil {
				continue
			}
			ptr := jsonpos.Pointer("/exports", ki.pathKey)
			if !list.Is(jsonpos.Array) {
				return nil, formats.WrongType(d, list, ptr, jsonpos.Array)
			}
			for i := range list.Kids {
				e := &list.Kids[i]
				eptr := jsonpos.Pointer(ptr, i)
				if !e.Is(jsonpos.String) {
					return nil, formats.WrongType(d, e, eptr, jsonpos.String)
				}
				pkg.exports = append(pkg.exports, export{kind: ki.kind, name: e.Text, ptr: eptr, val: e})
			}
		}
	}
	return pkg, nil
}

func readPackageJSON(pkg *Package, d *jsonpos.Doc) error {
	if !d.Root.Is(jsonpos.Object) {
		return formats.WrongType(d, d.Root, "", jsonpos.Object)
	}
	name, err := optString(d, d.Root, "/name")
	if err != nil {
		return err
	}
	pkg.Name = name
	return nil
}

// optString reads an optional string member by pointer; absent is "".
func optString(d *jsonpos.Doc, root *jsonpos.Value, ptr string) (string, error) {
	v := root.Find(ptr)
	if v == nil || v.Kind == jsonpos.Null {
		return "", nil
	}
	if v.Kind != jsonpos.String {
		return "", formats.WrongType(d, v, ptr, jsonpos.String)
	}
	return v.Text, nil
}

func cleanDir(p string) string {
	p = path.Clean("/" + strings.TrimSpace(p))
	return strings.TrimPrefix(p, "/")
}

// kindAt says which kind of component a package path holds, if any: a JSON
// file anywhere under <componentsRoot>/<folder>/.
func (pkg *Package) kindAt(p string) (Kind, bool) {
	if !strings.HasSuffix(p, ".json") {
		return "", false
	}
	for _, ki := range kindInfos {
		dir := path.Join(pkg.componentsRoot, cleanDir(pkg.folders[ki.kind])) + "/"
		if strings.HasPrefix(p, dir) {
			return ki.kind, true
		}
	}
	return "", false
}

// component reads the identity of one definition file of kind k ("" when
// the kind is unknown: then no schema validates it).
func (p *Parser) component(k Kind, f File) (*Component, error) {
	d := f.Doc
	root := d.Root
	if !root.Is(jsonpos.Object) {
		return nil, formats.WrongType(d, root, "", jsonpos.Object)
	}
	c := &Component{Kind: k, Path: f.Path, doc: d, root: root, unchanged: f.Unchanged}
	var err error
	for _, m := range [...]struct {
		ptr string
		dst *string
	}{{"/key", &c.Key}, {"/domain", &c.Domain}, {"/flow", &c.Flow}} {
		if *m.dst, err = optString(d, root, m.ptr); err != nil {
			return nil, err
		}
	}
	if c.Key == "" {
		return nil, formats.Missing(d, "/key")
	}
	if v := root.Get("version"); v != nil {
		if !v.Is(jsonpos.String) {
			return nil, formats.WrongType(d, v, "/version", jsonpos.String)
		}
		c.Version = declared(d, v)
	}
	return c, nil
}

// index sorts the components and refuses two definitions of one identity:
// the runtime could not tell them apart either.
func (pkg *Package) index() error {
	sort.Slice(pkg.Components, func(i, j int) bool { return pkg.Components[i].Path < pkg.Components[j].Path })
	pkg.byPath = make(map[string]*Component, len(pkg.Components))
	seen := make(map[string]*Component, len(pkg.Components))
	for _, c := range pkg.Components {
		pkg.byPath[c.Path] = c
		id := string(c.Kind) + "\x00" + c.identity()
		if prev, dup := seen[id]; dup {
			return &change.InputError{
				Rule:     change.RuleSchemaViolation,
				Location: formats.Locate(c.doc, "/key"),
				Msg:      fmt.Sprintf("%s %s is also defined in %s", kindName(c.Kind), c.identity(), prev.Path),
			}
		}
		seen[id] = c
	}
	return nil
}

// identity is how a component is matched across versions: domain/key.
func (c *Component) identity() string { return c.Domain + "/" + c.Key }

func kindName(k Kind) string {
	if k == "" {
		return "definition"
	}
	return string(k)
}

// declared is the version v at the top level of d, located. It counts lines
// up to v itself, as jsonpos.Doc.Position would, without indexing the whole
// file: most definitions never get a finding that would need the index.
func declared(d *jsonpos.Doc, v *jsonpos.Value) *change.Declared {
	before := d.Src[:v.Off]
	lineStart := bytes.LastIndexByte(before, '\n') + 1
	return &change.Declared{Version: v.Text, Location: change.Location{
		File:    d.File,
		Pointer: "/version",
		Line:    bytes.Count(before, []byte{'\n'}) + 1,
		Column:  utf8.RuneCount(before[lineStart:]) + 1,
	}}
}
