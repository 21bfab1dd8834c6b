package tray

import (
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// Export is a parsed Tray.io export. It keeps the located document: findings
// point back into it, and workflow content is hashed from it when diffing.
type Export struct {
	Doc *jsonpos.Doc
	// Pointer is where the export object sits: "" or "/exportData".
	Pointer string
	// Type is export_type: "project" or "workflow".
	Type      string
	Workflows []*Workflow
	Projects  []*Project
	Solution  *Solution // nil for plain project and workflow exports
}

// Workflow is one entry of workflows[].
type Workflow struct {
	ID, Title string
	Pointer   string
	// Steps are in document order; byName finds them by step name.
	Steps            []*Step
	Structure        *jsonpos.Value // steps_structure
	Settings         *jsonpos.Value
	StepsPointer     string
	TriggerStep      string         // the first node of steps_structure, else "trigger"
	byName           map[string]int // index into Steps
	structurePtr     string
	settingsPtr      string
	triggerConnector string
}

// Step returns the step called name, or nil.
func (w *Workflow) Step(name string) *Step {
	if i, ok := w.byName[name]; ok {
		return w.Steps[i]
	}
	return nil
}

// Identity matches workflows across versions: id, else title.
func (w *Workflow) Identity() string { return firstNonEmpty(w.ID, w.Title) }

// Name is what messages call the workflow.
func (w *Workflow) Name() string { return firstNonEmpty(w.Title, w.ID) }

// Scheduled reports whether the workflow's trigger is a schedule: it then
// picks a release up only at its next scheduled run.
func (w *Workflow) Scheduled() bool { return strings.Contains(w.triggerConnector, "schedule") }

// Step is one member of a workflow's steps object.
type Step struct {
	Name, Title      string
	Pointer          string
	Value            *jsonpos.Value
	Connector        string
	ConnectorVersion *jsonpos.Value // string in real exports; numbers are tolerated
	Auth             *StepAuth
}

// StepAuth is a step's authentication block.
type StepAuth struct {
	Group          string // the auth slot's auth_group
	ServiceName    string
	ServiceVersion *jsonpos.Value // an integer
	Pointer        string
}

// Project is one entry of projects[].
type Project struct {
	ID, Name string
	Pointer  string
}

// Solution is the Embedded solution of a project export.
type Solution struct {
	ID, Name    string
	Pointer     string
	AuthSlots   []*AuthSlot
	ConfigSlots []*ConfigSlot
}

// AuthSlot is one entry of solution.auth_slots[].
type AuthSlot struct {
	ID, AuthGroup, ServiceID, AuthAppID string
	Title, ExternalID                   string
	Hidden, Static                      bool
	Scopes                              []string
	Pointer                             string
	scopeValues                         []*jsonpos.Value // parallel to Scopes, for locating one scope
}

// Identity matches auth slots across versions: external_id, else service_id.
func (a *AuthSlot) Identity() string { return firstNonEmpty(a.ExternalID, a.ServiceID) }

// Name is what messages call the slot.
func (a *AuthSlot) Name() string { return firstNonEmpty(a.Title, a.ExternalID, a.ServiceID, a.ID) }

// ConfigSlot is one entry of solution.config_slots[], with what the
// view_schema adds about it.
type ConfigSlot struct {
	ID, Key, Title, ExternalID, Type string
	Default                          *jsonpos.Value // nil when absent
	Required, UseDefault             bool
	Hidden, Static                   bool
	// AuthSlotID links the slot to an auth slot (auth_slot_id, or
	// slot.authSlotId of its view item); AuthSlotPointer is where.
	AuthSlotID      string
	AuthSlotPointer string
	// Lookup is the dynamic-dropdown lookup {operation, input} from the view
	// item's jsonSchema; nil when the slot is no dynamic dropdown.
	Lookup        *jsonpos.Value
	LookupPointer string
	Pointer       string
}

// Identity matches config slots across versions: external_id, else key.
func (c *ConfigSlot) Identity() string { return firstNonEmpty(c.ExternalID, c.Key) }

// Name is what messages call the slot.
func (c *ConfigSlot) Name() string { return firstNonEmpty(c.Title, c.Key, c.ExternalID, c.ID) }

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// Detect reports whether root is a Tray.io export, flat or wrapped in
// {"exportData": {…}}.
func Detect(root *jsonpos.Value) bool {
	if !root.Is(jsonpos.Object) {
		return false
	}
	if inner := root.Get("exportData"); inner.Is(jsonpos.Object) && looksLikeExport(inner) {
		return true
	}
	return looksLikeExport(root)
}

func looksLikeExport(v *jsonpos.Value) bool {
	if v.Get("tray_export_version") != nil {
		return true
	}
	if t, ok := v.Get("export_type").Str(); ok && t != "" {
		return v.Get("workflows") != nil || v.Get("projects") != nil || v.Get("solution") != nil
	}
	return false
}

// parser reads fields and turns a wrong JSON type into the schema violation
// that names its pointer and line; the first one stops the parse.
type parser struct {
	doc *jsonpos.Doc
	err error
}

func (p *parser) fail(v *jsonpos.Value, ptr string, want jsonpos.Kind) {
	if p.err == nil {
		p.err = formats.WrongType(p.doc, v, ptr, want)
	}
}

// get returns member key of obj when it has kind k; nil when absent or null.
func (p *parser) get(obj *jsonpos.Value, ptr, key string, k jsonpos.Kind) (*jsonpos.Value, string) {
	v := obj.Get(key)
	mp := jsonpos.Pointer(ptr, key)
	if v == nil || v.Kind == jsonpos.Null {
		return nil, mp
	}
	if v.Kind != k {
		p.fail(v, mp, k)
		return nil, mp
	}
	return v, mp
}

func (p *parser) str(obj *jsonpos.Value, ptr, key string) string {
	v, _ := p.get(obj, ptr, key, jsonpos.String)
	return v.StrOr("")
}

func (p *parser) boolean(obj *jsonpos.Value, ptr, key string) bool {
	v, _ := p.get(obj, ptr, key, jsonpos.Bool)
	return v.Truthy()
}

// scalar returns a version-like member: a string or a number.
func (p *parser) scalar(obj *jsonpos.Value, ptr, key string) *jsonpos.Value {
	v := obj.Get(key)
	if v == nil || v.Kind == jsonpos.Null {
		return nil
	}
	if v.Kind != jsonpos.String && v.Kind != jsonpos.Number {
		p.fail(v, jsonpos.Pointer(ptr, key), jsonpos.String)
		return nil
	}
	return v
}

// objects iterates the object elements of an array member, reporting any
// element that is not an object.
func (p *parser) objects(obj *jsonpos.Value, ptr, key string, each func(v *jsonpos.Value, ptr string)) {
	arr, ap := p.get(obj, ptr, key, jsonpos.Array)
	for i := range arr.Len() {
		el := &arr.Kids[i]
		ep := jsonpos.Pointer(ap, i)
		if el.Kind != jsonpos.Object {
			p.fail(el, ep, jsonpos.Object)
			return
		}
		each(el, ep)
		if p.err != nil {
			return
		}
	}
}

// Parse reads a Tray.io export. Unknown fields are ignored and missing ones
// are empty; a field the rules read that has the wrong JSON type is an
// input/schema-violation (*change.InputError) naming its pointer and line.
func Parse(doc *jsonpos.Doc) (*Export, error) {
	p := &parser{doc: doc}
	root, ptr := doc.Root, ""
	if !root.Is(jsonpos.Object) {
		return nil, formats.WrongType(doc, root, "", jsonpos.Object)
	}
	if inner := root.Get("exportData"); inner != nil && !looksLikeExport(root) {
		if inner.Kind != jsonpos.Object {
			return nil, formats.WrongType(doc, inner, "/exportData", jsonpos.Object)
		}
		root, ptr = inner, "/exportData"
	}
	e := &Export{Doc: doc, Pointer: ptr, Type: p.str(root, ptr, "export_type")}
	p.objects(root, ptr, "workflows", func(v *jsonpos.Value, vp string) {
		e.Workflows = append(e.Workflows, p.workflow(v, vp))
	})
	p.objects(root, ptr, "projects", func(v *jsonpos.Value, vp string) {
		e.Projects = append(e.Projects, &Project{ID: p.str(v, vp, "id"), Name: p.str(v, vp, "name"), Pointer: vp})
	})
	if sol, sp := p.get(root, ptr, "solution", jsonpos.Object); sol != nil {
		e.Solution = p.solution(sol, sp)
	}
	if p.err != nil {
		return nil, p.err
	}
	return e, nil
}

func (p *parser) workflow(v *jsonpos.Value, ptr string) *Workflow {
	w := &Workflow{ID: p.str(v, ptr, "id"), Title: p.str(v, ptr, "title"), Pointer: ptr}
	w.Structure, w.structurePtr = p.get(v, ptr, "steps_structure", jsonpos.Array)
	w.Settings, w.settingsPtr = p.get(v, ptr, "settings", jsonpos.Object)
	steps, sp := p.get(v, ptr, "steps", jsonpos.Object)
	w.StepsPointer = sp
	w.byName = make(map[string]int, steps.Len())
	for i := range steps.Len() {
		sv := &steps.Kids[i]
		stp := jsonpos.Pointer(sp, sv.Key)
		if sv.Kind != jsonpos.Object {
			p.fail(sv, stp, jsonpos.Object)
			break
		}
		s := p.step(sv, stp)
		w.byName[s.Name] = len(w.Steps) // a duplicate name: the last wins, as in Get
		w.Steps = append(w.Steps, s)
	}
	w.TriggerStep = "trigger"
	if first := w.Structure.Index(0); first.Is(jsonpos.Object) {
		if name := p.str(first, jsonpos.Pointer(w.structurePtr, 0), "name"); name != "" {
			w.TriggerStep = name
		}
	}
	if t := w.Step(w.TriggerStep); t != nil {
		w.triggerConnector = t.Connector
	}
	return w
}

func (p *parser) step(v *jsonpos.Value, ptr string) *Step {
	s := &Step{Name: v.Key, Title: p.str(v, ptr, "title"), Pointer: ptr, Value: v}
	if c, cp := p.get(v, ptr, "connector", jsonpos.Object); c != nil {
		s.Connector = p.str(c, cp, "name")
		s.ConnectorVersion = p.scalar(c, cp, "version")
	}
	if a, ap := p.get(v, ptr, "authentication", jsonpos.Object); a != nil {
		s.Auth = &StepAuth{
			Group:          p.str(a, ap, "group"),
			ServiceName:    p.str(a, ap, "service_name"),
			ServiceVersion: p.scalar(a, ap, "service_version"),
			Pointer:        ap,
		}
		p.get(a, ap, "scopes", jsonpos.Array) // hashed as a set: must be one
	}
	return s
}

func (p *parser) solution(v *jsonpos.Value, ptr string) *Solution {
	s := &Solution{ID: p.str(v, ptr, "id"), Name: p.str(v, ptr, "name"), Pointer: ptr}
	p.objects(v, ptr, "auth_slots", func(v *jsonpos.Value, vp string) {
		s.AuthSlots = append(s.AuthSlots, p.authSlot(v, vp))
	})
	// A view item names its slot by external id, key or id; slots that
	// share one (invalid) all get what the item says, so that nothing
	// depends on which of them comes first.
	bySlot := map[string][]*ConfigSlot{}
	p.objects(v, ptr, "config_slots", func(v *jsonpos.Value, vp string) {
		c := p.configSlot(v, vp)
		s.ConfigSlots = append(s.ConfigSlots, c)
		for _, k := range []string{c.ExternalID, c.Key, c.ID} {
			if k != "" && !slices.Contains(bySlot[k], c) {
				bySlot[k] = append(bySlot[k], c)
			}
		}
	})
	if view, vp := p.get(v, ptr, "view_schema", jsonpos.Object); view != nil {
		p.objects(view, vp, "screens", func(screen *jsonpos.Value, sp string) {
			items, ip := p.get(screen, sp, "items", jsonpos.Array)
			for i := range items.Len() {
				if it := &items.Kids[i]; it.Kind == jsonpos.Object { // other items are layout
					p.viewItem(it, jsonpos.Pointer(ip, i), bySlot)
				}
			}
		})
	}
	return s
}

func (p *parser) authSlot(v *jsonpos.Value, ptr string) *AuthSlot {
	a := &AuthSlot{
		ID: p.str(v, ptr, "id"), AuthGroup: p.str(v, ptr, "auth_group"),
		ServiceID: p.str(v, ptr, "service_id"), AuthAppID: p.str(v, ptr, "auth_app_id"),
		Title: p.str(v, ptr, "title"), ExternalID: p.str(v, ptr, "external_id"),
		Hidden: p.boolean(v, ptr, "hidden"), Static: p.boolean(v, ptr, "static"),
		Pointer: ptr,
	}
	scopes, sp := p.get(v, ptr, "scopes", jsonpos.Array)
	for i := range scopes.Len() {
		sc := &scopes.Kids[i]
		if sc.Kind != jsonpos.String {
			p.fail(sc, jsonpos.Pointer(sp, i), jsonpos.String)
			break
		}
		a.Scopes = append(a.Scopes, sc.Text)
		a.scopeValues = append(a.scopeValues, sc)
	}
	return a
}

func (p *parser) configSlot(v *jsonpos.Value, ptr string) *ConfigSlot {
	c := &ConfigSlot{
		ID: p.str(v, ptr, "id"), Key: p.str(v, ptr, "key"), Title: p.str(v, ptr, "title"),
		ExternalID: p.str(v, ptr, "external_id"), Type: p.str(v, ptr, "type"),
		Default:  v.Get("default_value"),
		Required: p.boolean(v, ptr, "required"), UseDefault: p.boolean(v, ptr, "use_default_value"),
		Hidden: p.boolean(v, ptr, "hidden"), Static: p.boolean(v, ptr, "static"),
		Pointer: ptr,
	}
	if c.AuthSlotID = p.str(v, ptr, "auth_slot_id"); c.AuthSlotID != "" {
		c.AuthSlotPointer = jsonpos.Pointer(ptr, "auth_slot_id")
	}
	return c
}

// viewItem adds what a config item of the view_schema says about its slot:
// the dynamic-dropdown lookup and the linked auth slot.
func (p *parser) viewItem(it *jsonpos.Value, ptr string, bySlot map[string][]*ConfigSlot) {
	if t := it.Get("itemType"); t == nil || t.Kind != jsonpos.Number || t.Text != "1" {
		return
	}
	slot, sp := p.get(it, ptr, "slot", jsonpos.Object)
	if slot == nil {
		return
	}
	var slots []*ConfigSlot
	for _, key := range []string{"externalId", "key", "id"} {
		if slots = bySlot[p.str(slot, sp, key)]; slots != nil {
			break
		}
	}
	for _, c := range slots {
		p.viewItemOf(c, it, ptr, slot, sp)
	}
}

// viewItemOf adds what a config item says to the slot it shows.
func (p *parser) viewItemOf(c *ConfigSlot, it *jsonpos.Value, ptr string, slot *jsonpos.Value, sp string) {
	if c.AuthSlotID == "" {
		if c.AuthSlotID = p.str(slot, sp, "authSlotId"); c.AuthSlotID != "" {
			c.AuthSlotPointer = jsonpos.Pointer(sp, "authSlotId")
		}
	}
	// Real exports put jsonSchema on the item; accept it on the slot copy too.
	for _, owner := range []struct {
		v   *jsonpos.Value
		ptr string
	}{{it, ptr}, {slot, sp}} {
		schema, schemaPtr := p.get(owner.v, owner.ptr, "jsonSchema", jsonpos.Object)
		if lookup, lp := p.get(schema, schemaPtr, "lookup", jsonpos.Object); lookup != nil && c.Lookup == nil {
			c.Lookup, c.LookupPointer = lookup, lp
		}
	}
}
