// Package vnext reads burgan-tech vNext domain packages — a vnext.config.json,
// an optional package.json and component definitions under
// <componentsRoot>/Workflows, Tasks, Schemas, Views, Functions, Extensions —
// validates every definition against the vendor's JSON Schemas and diffs two
// versions of a package under the vnext/… rules of the catalogue.
//
// Workflows are matched by (domain, key), states by key and transitions by
// (state, key), so reordering anything reports nothing. References, written
// as {key, domain, version, flow} or {ref: "Tasks/x.json"}, are resolved
// inside the package before they are compared.
package vnext

import (
	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// Format is the format's name in reports and configuration.
const Format = "vnext"

// ConfigFile is the file that makes a directory a vNext package.
const ConfigFile = "vnext.config.json"

// File is one parsed JSON file of a package; its Path is relative to the
// package root, the directory that holds vnext.config.json.
type File = formats.File

// Kind is a component kind; it picks the vendor schema and the folder.
type Kind string

const (
	KindWorkflow  Kind = "workflow"
	KindTask      Kind = "task"
	KindSchema    Kind = "schema"
	KindView      Kind = "view"
	KindFunction  Kind = "function"
	KindExtension Kind = "extension"
	KindMapping   Kind = "mapping"
)

// kindInfo ties a kind to its key in vnext.config.json `paths` and
// `exports`, its default folder and the system flow that manages it.
type kindInfo struct {
	kind    Kind
	pathKey string
	folder  string
	flow    string
}

var kindInfos = [...]kindInfo{
	{KindWorkflow, "workflows", "Workflows", "sys-flows"},
	{KindTask, "tasks", "Tasks", "sys-tasks"},
	{KindSchema, "schemas", "Schemas", "sys-schemas"},
	{KindView, "views", "Views", "sys-views"},
	{KindFunction, "functions", "Functions", "sys-functions"},
	{KindExtension, "extensions", "Extensions", "sys-extensions"},
	{KindMapping, "mappings", "Mappings", "sys-mappings"},
}

// Package is one parsed version of a vNext package.
type Package struct {
	// Name is the artifact name: package.json `name`, else the domain.
	Name   string
	Domain string
	// Version is the version the package declares (vnext.config.json
	// `version`), or a lone definition's own version. Each component also
	// carries its own; they may move by other bumps than the package, and
	// the package's is the one a release is judged by.
	Version *change.Declared
	// Components are the definitions, sorted by path.
	Components []*Component

	componentsRoot string
	folders        map[Kind]string // kind → folder under componentsRoot
	config         *jsonpos.Doc    // nil for a lone definition
	exports        []export
	byPath         map[string]*Component
	// docs are every file read, for the coverage check: the definitions
	// (by what they define: "tasks[core/invalidate-cache]"), the config,
	// package.json and any other member (by path).
	docs []formats.Document
}

// Component is one definition file.
type Component struct {
	Kind   Kind
	Domain string
	Key    string
	Flow   string
	// Version is the definition's own `version`, with its location.
	Version *change.Declared
	// Path is the file's path in the package.
	Path string

	doc       *jsonpos.Doc
	root      *jsonpos.Value
	workflow  *workflow // for workflows, built once every component is known
	unchanged bool      // same bytes as the other side: not validated again
}

// export is one entry of vnext.config.json `exports`.
type export struct {
	kind Kind
	name string // file name under the kind's folder, e.g. "available-transitions.json"
	ptr  string // its pointer in vnext.config.json
	val  *jsonpos.Value
}

// IsDefinition reports whether root looks like a single vNext component
// definition (key, domain, flow and an attributes object), so that one file
// can be diffed outside its package.
func IsDefinition(root *jsonpos.Value) bool {
	if !root.Is(jsonpos.Object) || !root.Get("attributes").Is(jsonpos.Object) {
		return false
	}
	for _, k := range [...]string{"key", "domain", "flow"} {
		if !root.Get(k).Is(jsonpos.String) {
			return false
		}
	}
	return true
}
