package vnext

import (
	"path"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// workflow is what the rules read of a workflow definition. Values keep
// their *jsonpos.Value so findings can point at them.
type workflow struct {
	c       *Component
	subject string // workflows[domain/key]
	// states are every state with a key, in document order; states that
	// share a key (invalid) are paired by content when diffed.
	states []*state
	// groups are the transitions outside states: startTransition,
	// sharedTransitions, cancel, exit and updateData.
	groups     []*group
	queryRoles roles
	refs       []refSlot
}

type state struct {
	key             string
	ptr             string
	subject         string
	stateType       *jsonpos.Value
	versionStrategy *jsonpos.Value
	queryRoles      roles
	transitions     *group
	refs            []refSlot
}

// group is a list of transitions matched by key: a state's transitions, or
// one of the workflow-level kinds.
type group struct {
	name   string // subject segment: "transitions", "startTransition", …
	label  string // how messages name its members: "transition", "start transition", …
	parent string // subject of the owner
	owner  string // the state key that "$self" means; "" outside states
	list   []*transition
}

type transition struct {
	key             string
	ptr             string
	subject         string
	g               *group
	target          *jsonpos.Value
	triggerType     *jsonpos.Value
	versionStrategy *jsonpos.Value
	roles           roles
	refs            []refSlot
}

// roles is a roles or queryRoles list: {role, grant} objects, or bare role
// names, which grant access.
type roles struct {
	ptr     string
	val     *jsonpos.Value
	entries []roleEntry
}

type roleEntry struct{ role, grant string }

// refSlot is a place that holds references: one (a transition's schema, a
// state's subflow) or a list (tasks, functions, extensions).
type refSlot struct {
	name string // subject segment and member name: "schema", "onExecutionTasks", …
	what string // what messages call it: "schema", "subflow", "task", …
	list bool
	refs []refAt
}

type refAt struct {
	id  refID
	ptr string
	val *jsonpos.Value
	// target is the component of the package the reference names, when it
	// names one: its own version is then the reference's.
	target *Component
}

// refID is a resolved reference. Version may be "latest", "1", "1.2" or a
// full version; it is "" when a {ref} path could not be resolved.
type refID struct {
	Domain, Key, Version string
}

func (r refID) String() string {
	v := r.Version
	if v == "" {
		v = "?"
	}
	return r.Domain + "/" + r.Key + "@" + v
}

// buildWorkflows reads every workflow once all components are known, so that
// {ref} paths resolve.
func (pkg *Package) buildWorkflows() {
	for _, c := range pkg.Components {
		if c.Kind == KindWorkflow {
			c.workflow = pkg.readWorkflow(c)
		}
	}
}

func (pkg *Package) readWorkflow(c *Component) *workflow {
	w := &workflow{c: c, subject: "workflows[" + c.identity() + "]"}
	attrs := c.root.Get("attributes")
	const base = "/attributes"

	states := attrs.Get("states")
	if !states.Is(jsonpos.Array) {
		states = nil
	}
	for i := range states.Len() {
		s := states.Index(i)
		key, ok := s.Get("key").Str()
		if !ok {
			continue
		}
		ptr := jsonpos.Pointer(base, "states", i)
		st := &state{
			key: key, ptr: ptr, subject: w.subject + "/states[" + key + "]",
			stateType:       s.Get("stateType"),
			versionStrategy: s.Get("versionStrategy"),
			queryRoles:      readRoles(s.Get("queryRoles"), ptr+"/queryRoles"),
		}
		st.transitions = pkg.readGroup(s.Get("transitions"), ptr+"/transitions", "transitions", "transition", st.subject, key)
		if sub := s.Get("subFlow"); sub.Is(jsonpos.Object) {
			st.refs = append(st.refs, pkg.singleRef("subFlow", "subflow", sub.Get("process"), ptr+"/subFlow/process"))
		}
		st.refs = append(st.refs,
			pkg.taskRefs("onEntries", s.Get("onEntries"), ptr+"/onEntries"),
			pkg.taskRefs("onExits", s.Get("onExits"), ptr+"/onExits"))
		w.states = append(w.states, st)
	}

	w.groups = []*group{
		pkg.readGroup(attrs.Get("startTransition"), base+"/startTransition", "startTransition", "start transition", w.subject, ""),
		pkg.readGroup(attrs.Get("sharedTransitions"), base+"/sharedTransitions", "sharedTransitions", "shared transition", w.subject, ""),
		pkg.readGroup(attrs.Get("cancel"), base+"/cancel", "cancel", "cancel transition", w.subject, ""),
		pkg.readGroup(attrs.Get("exit"), base+"/exit", "exit", "exit transition", w.subject, ""),
		pkg.readGroup(attrs.Get("updateData"), base+"/updateData", "updateData", "update-data transition", w.subject, ""),
	}
	w.queryRoles = readRoles(attrs.Get("queryRoles"), base+"/queryRoles")
	w.refs = []refSlot{
		pkg.singleRef("schema", "schema", attrs.Get("schema"), base+"/schema"),
		pkg.refList("functions", "function", attrs.Get("functions"), base+"/functions", ""),
		pkg.refList("extensions", "extension", attrs.Get("extensions"), base+"/extensions", ""),
	}
	return w
}

// readGroup reads transitions from v: an array of them, or a single one
// (startTransition, cancel, exit, updateData).
func (pkg *Package) readGroup(v *jsonpos.Value, ptr, name, label, parent, owner string) *group {
	g := &group{name: name, label: label, parent: parent, owner: owner}
	add := func(t *jsonpos.Value, tptr string) {
		key, ok := t.Get("key").Str()
		if !ok {
			return
		}
		tr := &transition{
			key: key, ptr: tptr, g: g, subject: parent + "/" + name + "[" + key + "]",
			target:          t.Get("target"),
			triggerType:     t.Get("triggerType"),
			versionStrategy: t.Get("versionStrategy"),
			roles:           readRoles(t.Get("roles"), tptr+"/roles"),
		}
		tr.refs = []refSlot{
			pkg.singleRef("schema", "schema", t.Get("schema"), tptr+"/schema"),
			pkg.taskRefs("onExecutionTasks", t.Get("onExecutionTasks"), tptr+"/onExecutionTasks"),
		}
		g.list = append(g.list, tr)
	}
	switch {
	case v.Is(jsonpos.Array):
		for i := range v.Kids {
			add(&v.Kids[i], jsonpos.Pointer(ptr, i))
		}
	case v.Is(jsonpos.Object):
		add(v, ptr)
	}
	return g
}

func readRoles(v *jsonpos.Value, ptr string) roles {
	r := roles{ptr: ptr, val: v}
	if !v.Is(jsonpos.Array) {
		return r
	}
	for i := range v.Kids {
		e := &v.Kids[i]
		switch e.Kind {
		case jsonpos.String:
			r.entries = append(r.entries, roleEntry{role: e.Text, grant: "allow"})
		case jsonpos.Object:
			role, ok := e.Get("role").Str()
			if !ok {
				continue
			}
			r.entries = append(r.entries, roleEntry{role: role, grant: strings.ToLower(e.Get("grant").StrOr("allow"))})
		}
	}
	return r
}

func (pkg *Package) singleRef(name, what string, v *jsonpos.Value, ptr string) refSlot {
	s := refSlot{name: name, what: what}
	if id, target, ok := pkg.resolve(v); ok {
		s.refs = []refAt{{id: id, ptr: ptr, val: v, target: target}}
	}
	return s
}

// taskRefs reads the task references of onEntries, onExits or
// onExecutionTasks: each item holds its reference in `task`.
func (pkg *Package) taskRefs(name string, v *jsonpos.Value, ptr string) refSlot {
	return pkg.refList(name, "task", v, ptr, "task")
}

// refList reads a list of references, each item itself a reference or, with
// member set, holding it in that member.
func (pkg *Package) refList(name, what string, v *jsonpos.Value, ptr, member string) refSlot {
	s := refSlot{name: name, what: what, list: true}
	if !v.Is(jsonpos.Array) {
		return s
	}
	for i := range v.Kids {
		item, iptr := &v.Kids[i], jsonpos.Pointer(ptr, i)
		if member != "" {
			item, iptr = item.Get(member), jsonpos.Pointer(iptr, member)
		}
		if id, target, ok := pkg.resolve(item); ok {
			s.refs = append(s.refs, refAt{id: id, ptr: iptr, val: item, target: target})
		}
	}
	return s
}

// resolve reads a reference: {key, domain, version, flow} as written, or
// {ref: "Tasks/x.json"} looked up relative to the components root (or the
// package root). A path that resolves nowhere — the component lives in
// another package, or a lone definition is being diffed — keeps its file name
// as key, which the vendor's tooling requires to match, and an unknown
// version. The component a path leads to in the package is returned too:
// its own version is the reference's.
func (pkg *Package) resolve(v *jsonpos.Value) (refID, *Component, bool) {
	if !v.Is(jsonpos.Object) {
		return refID{}, nil, false
	}
	if p, ok := v.Get("ref").Str(); ok {
		p = strings.TrimPrefix(path.Clean("/"+p), "/")
		for _, cand := range [...]string{path.Join(pkg.componentsRoot, p), p} {
			if c := pkg.byPath[cand]; c != nil {
				id := refID{Domain: c.Domain, Key: c.Key}
				if c.Version != nil {
					id.Version = c.Version.Version
				}
				return id, c, true
			}
		}
		return refID{Domain: pkg.Domain, Key: strings.TrimSuffix(path.Base(p), ".json")}, nil, true
	}
	key, ok := v.Get("key").Str()
	if !ok {
		return refID{}, nil, false
	}
	return refID{Domain: v.Get("domain").StrOr(""), Key: key, Version: v.Get("version").StrOr("")}, nil, true
}
