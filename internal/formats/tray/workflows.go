package tray

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

func workflowSubject(w *Workflow) string { return "workflows[" + w.Identity() + "]" }

func (d *differ) workflowAdded(w *Workflow) {
	f := d.add(ruleWorkflowAdded, workflowSubject(w), change.Head, nil, w.Pointer,
		fmt.Sprintf("Workflow %q is added; instances get it about 2 minutes after the release is published.", w.Name()))
	f.After = w.Name()
}

func (d *differ) workflowRemoved(w *Workflow) {
	f := d.add(ruleWorkflowRemoved, workflowSubject(w), change.Base, nil, w.Pointer,
		fmt.Sprintf("Workflow %q is removed, so anything that still calls it stops working.", w.Name()))
	f.Before = w.Name()
}

// serviceVersionChange groups the steps that move one service from one
// service version to another: they need one re-authentication, not many.
type serviceVersionChange struct {
	service, from, to string
	before, after     any
	steps             []workflowStep
	workflows         map[string]bool
}

// workflowStep is a step of a head workflow.
type workflowStep struct {
	w *Workflow
	s *Step
}

// first is the step a finding about several steps points at: the smallest
// by workflow identity and step name (then workflow title, for workflows
// that share an identity), whatever the order of the file.
func first(steps []workflowStep) workflowStep {
	best := steps[0]
	for _, ws := range steps[1:] {
		if cmp.Or(cmp.Compare(ws.w.Identity(), best.w.Identity()), cmp.Compare(ws.s.Name, best.s.Name),
			cmp.Compare(ws.w.Title, best.w.Title)) < 0 {
			best = ws
		}
	}
	return best
}

// workflows matches workflows by identity and reports added, removed and
// changed ones, and the version changes of their steps.
func (d *differ) workflows() {
	var versions []*serviceVersionChange
	byVersion := map[[3]string]*serviceVersionChange{}
	hash := func(side change.Side, w *Workflow) uint64 { return d.content.Hash(side, w.Pointer) }
	for _, m := range formats.Match(d.base.Workflows, d.head.Workflows, (*Workflow).Identity, hash) {
		d.note = m.Note("workflows", fmt.Sprintf("the identity %q", m.Identity), fmt.Sprintf("the one titled %q", m.Latest().Title))
		switch {
		case !m.InBase:
			d.workflowAdded(m.Head)
			continue
		case !m.InHead:
			d.workflowRemoved(m.Base)
			continue
		}
		b, h := m.Base, m.Head
		d.workflowChanged(b, h)
		for _, hs := range h.Steps {
			bs := b.Step(hs.Name)
			if bs == nil {
				continue
			}
			if hs.Auth != nil && bs.Auth != nil && hs.Auth.ServiceVersion != nil && bs.Auth.ServiceVersion != nil &&
				!jsonpos.Equal(bs.Auth.ServiceVersion, hs.Auth.ServiceVersion) {
				service := firstNonEmpty(hs.Auth.ServiceName, hs.Connector)
				key := [3]string{service, jsonpos.Canonical(bs.Auth.ServiceVersion), jsonpos.Canonical(hs.Auth.ServiceVersion)}
				c := byVersion[key]
				if c == nil {
					c = &serviceVersionChange{service: service,
						from: bs.Auth.ServiceVersion.Text, to: hs.Auth.ServiceVersion.Text,
						before: bs.Auth.ServiceVersion.Interface(), after: hs.Auth.ServiceVersion.Interface(),
						workflows: map[string]bool{}}
					byVersion[key] = c
					versions = append(versions, c)
				}
				c.steps = append(c.steps, workflowStep{h, hs})
				c.workflows[h.Identity()] = true
				continue
			}
			if hs.ConnectorVersion != nil && bs.ConnectorVersion != nil && hs.Connector == bs.Connector &&
				!jsonpos.Equal(bs.ConnectorVersion, hs.ConnectorVersion) {
				f := d.add(ruleConnectorVersionChanged, workflowSubject(h)+"/steps["+hs.Name+"]/connector", change.Head,
					hs.ConnectorVersion, jsonpos.Pointer(hs.Pointer, "connector", "version"),
					fmt.Sprintf("Step %q of workflow %q moves connector %s from version %s to %s.", hs.Name, h.Name(),
						hs.Connector, bs.ConnectorVersion.Text, hs.ConnectorVersion.Text))
				*f = f.With(bs.ConnectorVersion.Interface(), hs.ConnectorVersion.Interface())
			}
		}
	}
	d.note = ""
	slotByGroup := slotsByGroup(d.head)
	for _, c := range versions {
		at := first(c.steps)
		users := c.service
		slot := slotByGroup[at.s.Auth.Group]
		if slot != nil {
			users = fmt.Sprintf("%s (auth slot %q)", c.service, slot.Name())
		}
		f := d.add(ruleAuthServiceVersionChanged, "services["+c.service+"]/service_version", change.Head,
			at.s.Auth.ServiceVersion, jsonpos.Pointer(at.s.Auth.Pointer, "service_version"),
			fmt.Sprintf("%d %s in %d %s move service %s from service version %s to %s, so end users must authenticate again.",
				len(c.steps), plural(len(c.steps), "step", "steps"), len(c.workflows), plural(len(c.workflows), "workflow", "workflows"),
				users, c.from, c.to))
		*f = f.With(c.before, c.after)
		// It speaks for every step it counted, and for their connector
		// versions, which move with the service version and are not
		// reported on their own (tray/connector-version-changed).
		for _, ws := range c.steps {
			*f = f.Cover(change.Head, d.head.Doc.File, jsonpos.Pointer(ws.s.Auth.Pointer, "service_version"),
				jsonpos.Pointer(ws.s.Pointer, "connector", "version"))
		}
		f.NoEndUser = slot != nil && (slot.Hidden || slot.Static)
		if slot != nil {
			f.Slot = authSlotRef(slot, change.SlotChanged)
		}
	}
}

// services reports services that head's steps authenticate with and no step
// of base did, unless a new auth slot already accounts for them: once per
// service, at the first step that uses it by workflow identity and step
// name.
func (d *differ) services() {
	used := map[string]bool{}
	for _, w := range d.base.Workflows {
		for _, s := range w.Steps {
			if s.Auth != nil {
				used[s.Auth.ServiceName] = true
			}
		}
	}
	users := map[string][]workflowStep{}
	var services []string
	for _, w := range d.head.Workflows {
		for _, s := range w.Steps {
			if s.Auth == nil || s.Auth.ServiceName == "" || used[s.Auth.ServiceName] || d.newAuthGroups[s.Auth.Group] {
				continue
			}
			if users[s.Auth.ServiceName] == nil {
				services = append(services, s.Auth.ServiceName)
			}
			users[s.Auth.ServiceName] = append(users[s.Auth.ServiceName], workflowStep{w, s})
		}
	}
	slotByGroup := slotsByGroup(d.head)
	for _, service := range services {
		at := first(users[service])
		w, s := at.w, at.s
		f := d.add(ruleAuthServiceAdded, "services["+service+"]", change.Head, nil,
			jsonpos.Pointer(s.Auth.Pointer, "service_name"),
			fmt.Sprintf("Step %q of workflow %q authenticates with service %s, which no step used before, so instances must be given an authentication for it.",
				s.Name, w.Name(), service))
		f.After = service
		slot := slotByGroup[s.Auth.Group]
		f.NoEndUser = slot != nil && (slot.Hidden || slot.Static)
		if slot != nil {
			f.Slot = authSlotRef(slot, change.SlotChanged)
		}
	}
}

// workflowHash summarises what tray/workflow-changed compares.
type workflowHash struct {
	structure, settings, steps uint64
	perStep                    []uint64 // parallel to Workflow.Steps
}

// slotsByGroup maps each auth_group of e's auth slots to the slot.
func slotsByGroup(e *Export) map[string]*AuthSlot {
	return index(authSlotsOf(e), func(a *AuthSlot) string { return a.AuthGroup }, authRank)
}

// slotGroups maps each auth_group of e's auth slots to the slot's identity.
func slotGroups(e *Export) map[string]string {
	m := map[string]string{}
	for group, a := range slotsByGroup(e) {
		m[group] = a.Identity()
	}
	return m
}

// hashWorkflow hashes w; groups maps auth groups to auth slot identities so
// that a re-created slot (new auth_group, reported by its own rule) does not
// make every step that uses it look changed.
func (d *differ) hashWorkflow(w *Workflow, groups map[string]string) workflowHash {
	h := d.hasher
	wh := workflowHash{
		structure: h.Value(w.Structure),
		settings:  d.hashWithout(w.Settings, "config"), // mirrors the project config: the config rules cover it
		perStep:   make([]uint64, len(w.Steps)),
	}
	var all jsonpos.ObjectHash
	for i, s := range w.Steps {
		wh.perStep[i] = d.hashStep(s.Value, groups)
		all.Add(h, s.Name, wh.perStep[i])
	}
	wh.steps = all.Sum()
	return wh
}

// hashStep hashes a step without the versions that have their own rules,
// and with the authentication's scopes as a set.
func (d *differ) hashStep(v *jsonpos.Value, groups map[string]string) uint64 {
	h := d.hasher
	var o jsonpos.ObjectHash
	for i := range v.Kids {
		m := &v.Kids[i]
		switch m.Key {
		case "connector":
			o.Add(h, m.Key, d.hashWithout(m, "version"))
		case "authentication":
			if m.Kind != jsonpos.Object {
				o.Add(h, m.Key, h.Value(m))
				continue
			}
			var a jsonpos.ObjectHash
			for j := range m.Kids {
				switch am := &m.Kids[j]; am.Key {
				case "service_version":
				case "scopes":
					a.Add(h, am.Key, h.Set(am))
				case "group":
					if slot, ok := groups[am.Text]; ok && am.Kind == jsonpos.String {
						a.Add(h, am.Key, h.String("auth_slots["+slot+"]"))
					} else {
						a.Add(h, am.Key, h.Value(am))
					}
				default:
					a.Add(h, am.Key, h.Value(am))
				}
			}
			o.Add(h, m.Key, a.Sum())
		default:
			o.Add(h, m.Key, h.Value(m))
		}
	}
	return o.Sum()
}

// hashWithout hashes an object without one member.
func (d *differ) hashWithout(v *jsonpos.Value, skip string) uint64 {
	if !v.Is(jsonpos.Object) {
		return d.hasher.Value(v)
	}
	var o jsonpos.ObjectHash
	for i := range v.Kids {
		if m := &v.Kids[i]; m.Key != skip {
			o.Add(d.hasher, m.Key, d.hasher.Value(m))
		}
	}
	return o.Sum()
}

func (d *differ) workflowChanged(b, h *Workflow) {
	hb, hh := d.hashWorkflow(b, d.baseGroups), d.hashWorkflow(h, d.headGroups)
	if hb.structure == hh.structure && hb.settings == hh.settings && hb.steps == hh.steps {
		return
	}
	var added, removed, modified []string
	var where *jsonpos.Value
	wherePtr := ""
	if hb.steps != hh.steps {
		var at *Step // the changed step with the smallest name: the file's order of steps means nothing
		for i, s := range h.Steps {
			j, ok := b.byName[s.Name]
			switch {
			case !ok:
				added = append(added, s.Name)
			case hb.perStep[j] != hh.perStep[i]:
				modified = append(modified, s.Name)
			default:
				continue
			}
			if at == nil || s.Name < at.Name {
				at = s
			}
		}
		if at != nil {
			where, wherePtr = at.Value, at.Pointer
		}
		for _, s := range b.Steps {
			if h.Step(s.Name) == nil {
				removed = append(removed, s.Name)
			}
		}
	}
	reordered := hb.structure != hh.structure && len(added) == 0 && len(removed) == 0
	settings := hb.settings != hh.settings
	var parts []string
	after := map[string]any{}
	for _, l := range []struct {
		key   string
		names []string
	}{{"modified", modified}, {"added", added}, {"removed", removed}} {
		if len(l.names) > 0 {
			names := sortedCopy(l.names)
			parts = append(parts, fmt.Sprintf("%s %s %s", plural(len(names), "step", "steps"), quoteList(names), l.key))
			after[l.key] = names
		}
	}
	if reordered {
		parts = append(parts, "execution order changed")
		after["structure"] = true
	}
	if settings {
		parts = append(parts, "settings changed")
		after["settings"] = true
	}
	if len(parts) == 0 { // duplicate step names can hide which one changed
		parts = append(parts, "steps changed")
		after["steps"] = true
	}
	switch {
	case where != nil:
	case hb.structure != hh.structure:
		where, wherePtr = h.Structure, h.structurePtr
	case settings:
		where, wherePtr = h.Settings, h.settingsPtr
	default:
		wherePtr = h.StepsPointer
	}
	when := "about 2 minutes after the release is published"
	if h.Scheduled() {
		when = "at its next scheduled run, because it runs on a schedule"
	}
	f := d.add(ruleWorkflowChanged, workflowSubject(h), change.Head, where, wherePtr,
		fmt.Sprintf("Workflow %q changes (%s); instances pick it up %s.", h.Name(), strings.Join(parts, "; "), when))
	f.After = after
}

// quoteList quotes names, keeping long lists short.
func quoteList(names []string) string {
	const show = 5
	var b strings.Builder
	for i, n := range names[:min(len(names), show)] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	if len(names) > show {
		fmt.Fprintf(&b, " and %d more", len(names)-show)
	}
	return b.String()
}
