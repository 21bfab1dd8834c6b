package ckbk

import (
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// Template is a parsed .ckbk recipe collection template. Pointers are RFC
// 6901 pointers into Doc; values point into Doc's tree.
type Template struct {
	Doc *jsonpos.Doc
	// Name is the template's `name`, else its file name without extension.
	Name string
	// Version is the template's declared `version` string, nil when absent.
	Version *jsonpos.Value
	// Metadata are the texts ckbk/metadata-changed watches, in a fixed order.
	Metadata []Field
	Recipes  []*Recipe
	// UserData holds the entries of either UserData form, in document order.
	UserData []*UserDataEntry
	Charts   []*Chart

	named bool // Name comes from the template, not its file name
}

// Field is one located value.
type Field struct {
	Subject string // identity path, e.g. "collection/introText"
	Pointer string
	Value   *jsonpos.Value // nil when absent
}

// Recipe is one entry of `recipes`.
type Recipe struct {
	Pointer string // "/recipes/3"
	Value   *jsonpos.Value
	// ID is the canonical JSON of `id` ("" when absent). Ids are not stable
	// across versions; they only resolve callingRecipeIds and spot renames.
	ID   string
	Name string
	Role string
	// RoleValue is the collectionRole string, for locations.
	RoleValue *jsonpos.Value
	Triggers  []Trigger
	// Parts are triggers, conditions, actions and elseActions (nil when absent).
	Parts [len(partNames)]*jsonpos.Value
	// Stats are the UpdateStatisticsActions, in document order.
	Stats []*StatWrite
	// UserDataRefs are the ${userData['k']} references, first one per key.
	UserDataRefs []UserDataRef
}

// partNames are the members of a recipe whose change is a change "in place".
var partNames = [...]string{"triggers", "conditions", "actions", "elseActions"}

const partTriggers = 0

// Trigger is the part of a trigger that decides whether a recipe is delayed.
type Trigger struct {
	Type string
	// Timed is a TIME trigger: absolute (nextTriggerTime) or scheduled.
	Timed     bool
	Scheduled bool
	// DelaySeconds is a RECIPE trigger's delay.
	DelaySeconds float64
	// CallingRecipeIDs are the canonical JSON of callingRecipeIds' elements.
	CallingRecipeIDs []string
}

// StatWrite is one UpdateStatisticsAction.
type StatWrite struct {
	Group, Key string
	Branch     string // "actions" or "elseActions"
	Pointer    string // the action
	Action     *jsonpos.Value
}

// UserDataRef is a ${userData['k']} reference inside a recipe string.
type UserDataRef struct {
	Key     string
	Pointer string
	Value   *jsonpos.Value // the string holding the reference
}

// UserDataEntry is one UserData entry of either form.
type UserDataEntry struct {
	Key     string
	Pointer string // the entry: the property object, or the flat member
	Entry   *jsonpos.Value
	// ValuePointer and Value are the entry's value (nil when a property has none).
	ValuePointer string
	Value        *jsonpos.Value
}

// Chart is one entry of `charts`.
type Chart struct {
	Title           string
	GroupIdentifier string // "" when the chart names none
	Pointer         string
	Value           *jsonpos.Value
}

// Detect reports whether root looks like a recipe collection template: an
// object with a `recipes` array whose entries carry collectionRole, triggers
// or actions, and none of a Tray export's top-level members.
func Detect(root *jsonpos.Value) bool {
	if !root.Is(jsonpos.Object) {
		return false
	}
	for _, tray := range []string{"tray_export_version", "exportData", "workflows", "projects", "solution"} {
		if root.Get(tray) != nil {
			return false
		}
	}
	recipes := root.Get("recipes")
	if !recipes.Is(jsonpos.Array) {
		return false
	}
	if recipes.Len() == 0 {
		// An empty collection still has its collection or UserData block.
		return root.Get("collection").Is(jsonpos.Object) || root.Get("userData") != nil || root.Get("UserData") != nil
	}
	for i := range recipes.Kids {
		r := &recipes.Kids[i]
		if r.Get("collectionRole") != nil || r.Get("triggers") != nil || r.Get("actions") != nil {
			return true
		}
	}
	return false
}

// Parse reads a template. A wrong JSON type for a field the rules read, or a
// recipe without a collectionRole, is an input/schema-violation
// (*change.InputError).
func Parse(doc *jsonpos.Doc) (*Template, error) {
	// The *change.InputError is returned as is: it already names the file,
	// pointer and line, and the engine reports it verbatim.
	if doc == nil || doc.Root == nil {
		return nil, errors.New("parse recipe collection template: no document")
	}
	p := parser{doc: doc}
	return p.template()
}

type parser struct{ doc *jsonpos.Doc }

func (p *parser) wrong(v *jsonpos.Value, pointer string, want jsonpos.Kind) error {
	return formats.WrongType(p.doc, v, pointer, want)
}

// optional returns v's member key when it has kind k, nil when it is absent
// or null, and a schema violation otherwise.
func (p *parser) optional(v *jsonpos.Value, pointer, key string, k jsonpos.Kind) (*jsonpos.Value, string, error) {
	ptr := jsonpos.Pointer(pointer, key)
	m := v.Get(key)
	if m == nil || m.Kind == jsonpos.Null {
		return nil, ptr, nil
	}
	if m.Kind != k {
		return nil, ptr, p.wrong(m, ptr, k)
	}
	return m, ptr, nil
}

func (p *parser) optionalString(v *jsonpos.Value, pointer, key string) (string, error) {
	m, _, err := p.optional(v, pointer, key, jsonpos.String)
	return m.StrOr(""), err
}

func (p *parser) template() (*Template, error) {
	root := p.doc.Root
	if !root.Is(jsonpos.Object) {
		return nil, p.wrong(root, "", jsonpos.Object)
	}
	t := &Template{Doc: p.doc}
	var err error
	if t.Name, err = p.optionalString(root, "", "name"); err != nil {
		return nil, err
	}
	t.named = t.Name != ""
	if t.Name == "" {
		t.Name = strings.TrimSuffix(path.Base(p.doc.File), path.Ext(p.doc.File))
	}
	if t.Version, _, err = p.optional(root, "", "version", jsonpos.String); err != nil {
		return nil, err
	}
	if err = p.metadata(t); err != nil {
		return nil, err
	}
	recipes := root.Get("recipes")
	switch {
	case recipes == nil:
		return nil, formats.Missing(p.doc, "/recipes")
	case recipes.Kind != jsonpos.Array:
		return nil, p.wrong(recipes, "/recipes", jsonpos.Array)
	}
	for i := range recipes.Kids {
		r, err := p.recipe(&recipes.Kids[i], jsonpos.Pointer("/recipes", i))
		if err != nil {
			return nil, err
		}
		t.Recipes = append(t.Recipes, r)
	}
	// Both spellings are read; a template carries one of them.
	for _, key := range []string{"userData", "UserData"} {
		if err := p.userData(t, key); err != nil {
			return nil, err
		}
	}
	charts, _, err := p.optional(root, "", "charts", jsonpos.Array)
	if err != nil {
		return nil, err
	}
	for i := range charts.Len() {
		c, err := p.chart(&charts.Kids[i], jsonpos.Pointer("/charts", i))
		if err != nil {
			return nil, err
		}
		t.Charts = append(t.Charts, c)
	}
	return t, nil
}

func (p *parser) metadata(t *Template) error {
	root := p.doc.Root
	collection, _, err := p.optional(root, "", "collection", jsonpos.Object)
	if err != nil {
		return err
	}
	for _, key := range []string{"type", "description", "introText"} {
		v, ptr, err := p.optional(collection, "/collection", key, jsonpos.String)
		if err != nil {
			return err
		}
		t.Metadata = append(t.Metadata, Field{Subject: "collection/" + key, Pointer: ptr, Value: v})
	}
	// The cookbook's own description is what the vendor documents; the
	// collection block's one is our convention. Watch both.
	v, ptr, err := p.optional(root, "", "description", jsonpos.String)
	if err != nil {
		return err
	}
	t.Metadata = append(t.Metadata, Field{Subject: "description", Pointer: ptr, Value: v})
	return nil
}

func (p *parser) recipe(v *jsonpos.Value, pointer string) (*Recipe, error) {
	if v.Kind != jsonpos.Object {
		return nil, p.wrong(v, pointer, jsonpos.Object)
	}
	r := &Recipe{Pointer: pointer, Value: v}
	rolePtr := jsonpos.Pointer(pointer, "collectionRole")
	role := v.Get("collectionRole")
	switch {
	case role == nil || role.Kind == jsonpos.Null:
		return nil, formats.Missing(p.doc, rolePtr)
	case role.Kind != jsonpos.String:
		return nil, p.wrong(role, rolePtr, jsonpos.String)
	case strings.TrimSpace(role.Text) == "":
		return nil, &change.InputError{
			Rule:     change.RuleSchemaViolation,
			Location: formats.LocateValue(p.doc, role, rolePtr),
			Msg:      fmt.Sprintf("schema violation: %s must not be empty", rolePtr),
		}
	}
	r.Role, r.RoleValue = role.Text, role
	if id := v.Get("id"); id != nil && id.Kind != jsonpos.Null {
		if id.Kind != jsonpos.Number && id.Kind != jsonpos.String {
			return nil, p.wrong(id, jsonpos.Pointer(pointer, "id"), jsonpos.Number)
		}
		r.ID = jsonpos.Canonical(id)
	}
	var err error
	if r.Name, err = p.optionalString(v, pointer, "name"); err != nil {
		return nil, err
	}
	for i, name := range partNames {
		if r.Parts[i], _, err = p.optional(v, pointer, name, jsonpos.Array); err != nil {
			return nil, err
		}
	}
	triggers := r.Parts[partTriggers]
	for i := range triggers.Len() {
		tr, err := p.trigger(&triggers.Kids[i], jsonpos.Pointer(pointer, "triggers", i))
		if err != nil {
			return nil, err
		}
		r.Triggers = append(r.Triggers, tr)
	}
	for i, name := range partNames {
		part := r.Parts[i]
		partPtr := jsonpos.Pointer(pointer, name)
		if name == "actions" || name == "elseActions" {
			if err := p.actions(r, part, partPtr, name); err != nil {
				return nil, err
			}
		}
		if name != "triggers" {
			r.collectRefs(part, partPtr, nil)
		}
	}
	return r, nil
}

func (p *parser) trigger(v *jsonpos.Value, pointer string) (Trigger, error) {
	var tr Trigger
	if v.Kind != jsonpos.Object {
		return tr, p.wrong(v, pointer, jsonpos.Object)
	}
	var err error
	if tr.Type, err = p.optionalString(v, pointer, "type"); err != nil {
		return tr, err
	}
	data, dataPtr, err := p.optional(v, pointer, "data", jsonpos.Object)
	if err != nil {
		return tr, err
	}
	switch tr.Type {
	case "TIME":
		tr.Timed = true
		tr.Scheduled = data.Get("scheduleType") != nil || data.Get("repeatFrequency") != nil
	case "RECIPE":
		delay, _, err := p.optional(data, dataPtr, "delaySeconds", jsonpos.Number)
		if err != nil {
			return tr, err
		}
		tr.DelaySeconds, _ = delay.Float()
		ids, idsPtr, err := p.optional(data, dataPtr, "callingRecipeIds", jsonpos.Array)
		if err != nil {
			return tr, err
		}
		for i := range ids.Len() {
			id := &ids.Kids[i]
			if id.Kind != jsonpos.Number && id.Kind != jsonpos.String {
				return tr, p.wrong(id, jsonpos.Pointer(idsPtr, i), jsonpos.Number)
			}
			tr.CallingRecipeIDs = append(tr.CallingRecipeIDs, jsonpos.Canonical(id))
		}
	}
	return tr, nil
}

func (p *parser) actions(r *Recipe, list *jsonpos.Value, pointer, branch string) error {
	for i := range list.Len() {
		a := &list.Kids[i]
		aPtr := jsonpos.Pointer(pointer, i)
		if a.Kind != jsonpos.Object {
			return p.wrong(a, aPtr, jsonpos.Object)
		}
		typ, err := p.optionalString(a, aPtr, "type")
		if err != nil {
			return err
		}
		if typ != "UpdateStatisticsAction" {
			continue
		}
		data, dataPtr, err := p.optional(a, aPtr, "data", jsonpos.Object)
		if err != nil {
			return err
		}
		s := &StatWrite{Branch: branch, Pointer: aPtr, Action: a}
		if s.Group, err = p.optionalString(data, dataPtr, "groupIdentifier"); err != nil {
			return err
		}
		if s.Key, err = p.optionalString(data, dataPtr, "key"); err != nil {
			return err
		}
		r.Stats = append(r.Stats, s)
	}
	return nil
}

// collectRefs records the first ${userData[…]} reference per key in any
// string under v.
// collectRefs finds ${userData['k']} references below v. The pointer of a
// value is built only when it holds a reference: templates are large and
// references few.
func (r *Recipe) collectRefs(v *jsonpos.Value, base string, path []any) {
	if v == nil {
		return
	}
	switch v.Kind {
	case jsonpos.String:
		if !strings.Contains(v.Text, "userData") {
			return
		}
		for _, key := range userDataKeys(v.Text) {
			if !r.refersTo(key) {
				r.UserDataRefs = append(r.UserDataRefs, UserDataRef{Key: key, Pointer: jsonpos.Pointer(base, path...), Value: v})
			}
		}
	case jsonpos.Array:
		for i := range v.Kids {
			r.collectRefs(&v.Kids[i], base, append(path, i))
		}
	case jsonpos.Object:
		for i := range v.Kids {
			r.collectRefs(&v.Kids[i], base, append(path, v.Kids[i].Key))
		}
	}
}

func (r *Recipe) refersTo(key string) bool {
	for _, ref := range r.UserDataRefs {
		if ref.Key == key {
			return true
		}
	}
	return false
}

// userData reads the block under key: `{properties: [{key, value, …}]}`, or
// the older flat `{key: value}` object.
func (p *parser) userData(t *Template, key string) error {
	block, blockPtr, err := p.optional(p.doc.Root, "", key, jsonpos.Object)
	if err != nil || block == nil {
		return err
	}
	props := block.Get("properties")
	if props.Is(jsonpos.Array) {
		propsPtr := jsonpos.Pointer(blockPtr, "properties")
		for i := range props.Kids {
			e := &props.Kids[i]
			ePtr := jsonpos.Pointer(propsPtr, i)
			if e.Kind != jsonpos.Object {
				return p.wrong(e, ePtr, jsonpos.Object)
			}
			k := e.Get("key")
			switch {
			case k == nil:
				return formats.Missing(p.doc, jsonpos.Pointer(ePtr, "key"))
			case k.Kind != jsonpos.String:
				return p.wrong(k, jsonpos.Pointer(ePtr, "key"), jsonpos.String)
			}
			t.UserData = append(t.UserData, &UserDataEntry{
				Key: k.Text, Pointer: ePtr, Entry: e,
				ValuePointer: jsonpos.Pointer(ePtr, "value"), Value: e.Get("value"),
			})
		}
		return nil
	}
	for i := range block.Kids {
		m := &block.Kids[i]
		if block.Get(m.Key) != m {
			continue // a repeated key: the last one counts, as everywhere in JSON
		}
		ptr := jsonpos.Pointer(blockPtr, m.Key)
		t.UserData = append(t.UserData, &UserDataEntry{Key: m.Key, Pointer: ptr, Entry: m, ValuePointer: ptr, Value: m})
	}
	return nil
}

func (p *parser) chart(v *jsonpos.Value, pointer string) (*Chart, error) {
	if v.Kind != jsonpos.Object {
		return nil, p.wrong(v, pointer, jsonpos.Object)
	}
	c := &Chart{Pointer: pointer, Value: v}
	var err error
	if c.Title, err = p.optionalString(v, pointer, "title"); err != nil {
		return nil, err
	}
	if c.GroupIdentifier, err = p.optionalString(v, pointer, "groupIdentifier"); err != nil {
		return nil, err
	}
	return c, nil
}

// userDataKeys returns the keys of the userData['k'] and userData["k"]
// lookups inside the ${…} expressions of s, so both ${userData['k']} and
// ${userData['a'] + userData['b']} are found. A hand scanner rather than a
// regexp: it runs on every string of large templates.
func userDataKeys(s string) []string {
	const space = " \t\n\f\r"
	var keys []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return keys
		}
		s = s[i+2:]
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return keys
		}
		expr := s[:end]
		s = s[end+1:]
		for from := 0; ; {
			j := strings.Index(expr[from:], "userData")
			if j < 0 {
				break
			}
			j += from
			from = j + len("userData")
			rest := strings.TrimLeft(expr[from:], space)
			if (j > 0 && isWordByte(expr[j-1])) || !strings.HasPrefix(rest, "[") {
				continue
			}
			rest = strings.TrimLeft(rest[1:], space)
			if rest == "" || (rest[0] != '\'' && rest[0] != '"') {
				continue
			}
			k := strings.IndexByte(rest[1:], rest[0])
			if k < 0 {
				continue
			}
			if after := strings.TrimLeft(rest[2+k:], space); strings.HasPrefix(after, "]") {
				keys = append(keys, rest[1:1+k])
			}
		}
	}
}

func isWordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
