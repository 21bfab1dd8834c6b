package vnext

import (
	"cmp"
	"fmt"
	"maps"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// Diff compares two versions of a package; either may be nil (the package
// is new, or gone). The declared versions are the packages' own
// (vnext.config.json `version`), not those of the definitions inside.
func Diff(base, head *Package) change.Comparison {
	comp := change.Comparison{Format: Format}
	if base != nil {
		comp.Artifact, comp.Base = "vnext:"+base.Name, base.Version
	}
	if head != nil {
		comp.Artifact, comp.Head = "vnext:"+head.Name, head.Version
	}
	d := &differ{artifact: comp.Artifact, seen: map[string]bool{}}
	removed := d.workflows(base, head)
	d.exports(base, head, removed)
	// In the order of the files, head before base: reading order, whatever
	// order the differ met them in.
	slices.SortStableFunc(d.findings, func(a, b change.Finding) int {
		return cmp.Or(strings.Compare(a.File, b.File), -strings.Compare(string(a.Side), string(b.Side)),
			a.Line-b.Line, a.Column-b.Column, strings.Compare(a.Rule, b.Rule), strings.Compare(a.Subject, b.Subject))
	})
	comp.Findings = d.findings
	return comp
}

type differ struct {
	artifact string
	findings []change.Finding
	// seen drops repeats: a list may reference one task twice, and both
	// references then move together.
	seen map[string]bool
	// content pairs states and transitions that share a key by their
	// content, in the workflow being diffed.
	content *formats.ContentHasher
	// note is appended to the messages of findings about an element whose
	// key is shared: it says which of them the finding is about.
	note string
}

func (d *differ) add(f change.Finding) {
	if d.note != "" {
		f.Message = strings.TrimSuffix(f.Message, ".") + d.note + "."
	}
	key := f.Rule + "\x00" + f.Subject + "\x00" + fmt.Sprint(f.Before) + "\x00" + fmt.Sprint(f.After)
	if d.seen[key] {
		return
	}
	d.seen[key] = true
	d.findings = append(d.findings, f)
}

// removal is a finding on the base side, where the removed value was.
func (d *differ) removal(r change.Rule, subject string, doc *jsonpos.Doc, v *jsonpos.Value, ptr, msg string) change.Finding {
	return formats.NewFinding(r, d.artifact, subject, change.Base, doc, v, ptr, msg)
}

// change is a finding on the head side: additions and changes.
func (d *differ) change(r change.Rule, subject string, doc *jsonpos.Doc, v *jsonpos.Value, ptr, msg string) change.Finding {
	return formats.NewFinding(r, d.artifact, subject, change.Head, doc, v, ptr, msg)
}

func workflowsOf(p *Package) map[string]*workflow {
	m := map[string]*workflow{}
	if p == nil {
		return m
	}
	for _, c := range p.Components {
		if c.workflow != nil {
			m[c.identity()] = c.workflow
		}
	}
	return m
}

// workflows diffs the workflows and returns the base paths of those removed.
func (d *differ) workflows(base, head *Package) map[string]bool {
	bw, hw := workflowsOf(base), workflowsOf(head)
	removed := map[string]bool{}
	for _, id := range slices.Sorted(maps.Keys(bw)) {
		b, h := bw[id], hw[id]
		if h == nil {
			removed[b.c.Path] = true
			d.add(d.removal(ruleWorkflowRemoved, b.subject, b.c.doc, b.c.root, "",
				fmt.Sprintf("workflow %s was removed; running instances lose their definition", id)).With(id, nil))
			continue
		}
		d.workflow(b, h)
	}
	for _, id := range slices.Sorted(maps.Keys(hw)) {
		if h := hw[id]; bw[id] == nil {
			d.add(d.change(ruleWorkflowAdded, h.subject, h.c.doc, h.c.root, "",
				fmt.Sprintf("workflow %s was added", id)).With(nil, id))
		}
	}
	return removed
}

func (d *differ) workflow(b, h *workflow) {
	wf := b.c.identity()
	d.content = formats.NewContentHasher(Coverage().Structure, structdiff.Input{Doc: b.c.doc}, structdiff.Input{Doc: h.c.doc})
	d.roles(b.queryRoles, h.queryRoles, b.subject+"/queryRoles", "workflow "+wf, "queryRoles", h.c.doc)
	d.refSlots(b.refs, h.refs, b.subject, "workflow "+wf, h.c.doc)

	key := func(s *state) string { return s.key }
	hash := func(side change.Side, s *state) uint64 { return d.content.Hash(side, s.ptr) }
	for _, m := range formats.Match(b.states, h.states, key, hash) {
		note := m.Note("states", "the key "+strconv.Quote(m.Identity), "the one of stateType "+jsonpos.Canonical(m.Latest().stateType))
		switch {
		case !m.InHead:
			d.note = note
			d.add(d.removal(ruleStateRemoved, m.Base.subject, b.c.doc, nil, m.Base.ptr,
				fmt.Sprintf("state %q was removed from workflow %s; running instances may sit in it", m.Base.key, wf)).With(m.Base.key, nil))
		case !m.InBase:
			d.note = note
			d.add(d.change(ruleStateAdded, m.Head.subject, h.c.doc, nil, m.Head.ptr,
				fmt.Sprintf("state %q was added to workflow %s", m.Head.key, wf)).With(nil, m.Head.key))
		default:
			d.state(m.Base, m.Head, wf, b.c.doc, h.c.doc, note)
		}
		d.note = ""
	}
	for i := range b.groups {
		d.group(b.c.doc, b.groups[i], h.c.doc, h.groups[i], wf, "")
	}
	d.note = ""
}

// state diffs a state present on both sides; note says which state it is
// when its key is shared (formats.Matched.Note), for every finding about
// the state and what it holds.
func (d *differ) state(b, h *state, wf string, baseDoc, doc *jsonpos.Doc, note string) {
	d.note = note
	where := fmt.Sprintf("state %q in workflow %s", b.key, wf)
	if !jsonpos.Equal(b.stateType, h.stateType) {
		d.add(d.change(ruleStateTypeChanged, b.subject+"/stateType", doc, h.stateType, h.ptr+"/stateType",
			fmt.Sprintf("stateType of %s changed from %s to %s", where, enumName(b.stateType, stateTypes), enumName(h.stateType, stateTypes))).
			With(b.stateType.Interface(), h.stateType.Interface()))
	}
	d.versionStrategy(b.versionStrategy, h.versionStrategy, b.subject, h.ptr, where, doc)
	d.roles(b.queryRoles, h.queryRoles, b.subject+"/queryRoles", where, "queryRoles", doc)
	d.refSlots(b.refs, h.refs, b.subject, where, doc)
	d.group(baseDoc, b.transitions, doc, h.transitions, wf, note)
}

// group diffs transitions matched by key; outer is the note of the state
// that holds them, when its key is shared.
func (d *differ) group(baseDoc *jsonpos.Doc, b *group, headDoc *jsonpos.Doc, h *group, wf, outer string) {
	key := func(t *transition) string { return t.key }
	hash := func(side change.Side, t *transition) uint64 { return d.content.Hash(side, t.ptr) }
	for _, m := range formats.Match(b.list, h.list, key, hash) {
		d.note = outer + m.Note("transitions", "the key "+strconv.Quote(m.Identity), "the one that leads to "+strconv.Quote(m.Latest().effectiveTarget()))
		switch {
		case !m.InHead:
			d.transitionRemoved(baseDoc, m.Base, wf)
		case !m.InBase:
			d.add(d.change(ruleTransitionAdded, m.Head.subject, headDoc, nil, m.Head.ptr,
				fmt.Sprintf("%s was added to workflow %s", m.Head.describe(), wf)).With(nil, m.Head.key))
		default:
			d.transition(m.Base, m.Head, wf, headDoc)
		}
	}
	d.note = outer
}

// Trigger types: 0 manual, 1 automatic, 2 scheduled, 3 event.
var triggerTypes = map[string]string{"0": "manual", "1": "automatic", "2": "scheduled", "3": "event"}

// State types: 1 initial, 2 intermediate, 3 final, 4 subflow, 5 wizard.
var stateTypes = map[string]string{"1": "initial", "2": "intermediate", "3": "final", "4": "subflow", "5": "wizard"}

func enumName(v *jsonpos.Value, names map[string]string) string {
	if v == nil {
		return "nothing"
	}
	text := jsonpos.Canonical(v)
	if n, ok := names[text]; ok {
		return text + " (" + n + ")"
	}
	return text
}

func (t *transition) describe() string {
	if t.g.owner != "" {
		return fmt.Sprintf("transition %q of state %q", t.key, t.g.owner)
	}
	return fmt.Sprintf("%s %q", t.g.label, t.key)
}

func (d *differ) transitionRemoved(doc *jsonpos.Doc, t *transition, wf string) {
	f := d.removal(ruleTransitionRemoved, t.subject, doc, nil, t.ptr,
		fmt.Sprintf("%s was removed from workflow %s; clients calling it get an error", t.describe(), wf))
	// No client calls an automatic or scheduled transition: its removal
	// changes the flow, not anybody's API.
	if trig := jsonpos.Canonical(t.triggerType); t.triggerType != nil && (trig == "1" || trig == "2") {
		f.Severity = change.Warning
		f.Message = fmt.Sprintf("%s was removed from workflow %s; its trigger is %s, so no client calls it, but instances no longer take it",
			t.describe(), wf, triggerTypes[trig])
	}
	d.add(f.With(t.key, nil))
}

func (d *differ) transition(b, h *transition, wf string, doc *jsonpos.Doc) {
	where := b.describe() + " in workflow " + wf
	if bt, ht := b.effectiveTarget(), h.effectiveTarget(); bt != ht {
		d.add(d.change(ruleTransitionTargetChanged, b.subject+"/target", doc, h.target, h.ptr+"/target",
			fmt.Sprintf("%s now leads to %q instead of %q", where, ht, bt)).
			With(b.target.Interface(), h.target.Interface()))
	}
	if !jsonpos.Equal(b.triggerType, h.triggerType) {
		d.add(d.change(ruleTransitionTriggerChanged, b.subject+"/triggerType", doc, h.triggerType, h.ptr+"/triggerType",
			fmt.Sprintf("triggerType of %s changed from %s to %s", where, enumName(b.triggerType, triggerTypes), enumName(h.triggerType, triggerTypes))).
			With(b.triggerType.Interface(), h.triggerType.Interface()))
	}
	d.versionStrategy(b.versionStrategy, h.versionStrategy, b.subject, h.ptr, where, doc)
	d.roles(b.roles, h.roles, b.subject+"/roles", where, "roles", doc)
	d.refSlots(b.refs, h.refs, b.subject, where, doc)
}

// effectiveTarget reads "$self" as the owning state, so spelling the same
// target either way is no change.
func (t *transition) effectiveTarget() string {
	s := t.target.StrOr("")
	if s == "$self" && t.g.owner != "" {
		return t.g.owner
	}
	return s
}

func (d *differ) versionStrategy(b, h *jsonpos.Value, subject, ptr, where string, doc *jsonpos.Doc) {
	if jsonpos.Equal(b, h) {
		return
	}
	from, to := b.StrOr(jsonpos.Canonical(b)), h.StrOr(jsonpos.Canonical(h))
	msg := fmt.Sprintf("versionStrategy of %s changed from %s to %s", where, from, to)
	if to == "Major" {
		msg += ": escalation to Major — every time it applies, the instance data starts a new major version, which consumers must handle"
	}
	d.add(d.change(ruleVersionStrategyChanged, subject+"/versionStrategy", doc, h, ptr+"/versionStrategy", msg).
		With(b.Interface(), h.Interface()))
}

// roles reports grants lost: an allow entry that disappears (or turns into a
// deny), or a new deny entry. A deny entry that disappears widens access and
// is no finding.
func (d *differ) roles(b, h roles, subject, where, member string, doc *jsonpos.Doc) {
	has := func(r roles, e roleEntry) bool {
		for _, x := range r.entries {
			if x == e {
				return true
			}
		}
		return false
	}
	var lost, denied []string
	for _, e := range b.entries {
		if e.grant != "deny" && !has(h, e) {
			lost = append(lost, e.role)
		}
	}
	for _, e := range h.entries {
		if e.grant == "deny" && !has(b, e) {
			denied = append(denied, e.role)
		}
	}
	if len(lost) == 0 && len(denied) == 0 {
		return
	}
	var parts []string
	if len(lost) > 0 {
		parts = append(parts, "no longer allows "+strings.Join(quoteAll(lost), ", "))
	}
	if len(denied) > 0 {
		parts = append(parts, "now denies "+strings.Join(quoteAll(denied), ", "))
	}
	d.add(d.change(ruleRolesNarrowed, subject, doc, h.val, h.ptr,
		fmt.Sprintf("%s of %s %s", member, where, strings.Join(parts, " and "))).
		With(roleStrings(b), roleStrings(h)))
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}

// roleStrings is a role list in a canonical form ("role:grant", sorted), so
// the finding's fingerprint ignores the order of the entries.
func roleStrings(r roles) []string {
	if len(r.entries) == 0 {
		return nil
	}
	out := make([]string, len(r.entries))
	for i, e := range r.entries {
		out[i] = e.role + ":" + e.grant
	}
	sort.Strings(out)
	return out
}

func (d *differ) refSlots(b, h []refSlot, owner, where string, doc *jsonpos.Doc) {
	for i := range b {
		bs, hs := b[i], h[i]
		if !bs.list {
			if len(bs.refs) == 1 && len(hs.refs) == 1 {
				d.reference(bs.refs[0], hs.refs[0], owner+"/"+bs.name, bs.what+" reference of "+where, doc)
			}
			continue
		}
		for _, p := range pairRefs(bs.refs, hs.refs) {
			d.reference(p[0], p[1], owner+"/"+bs.name+"["+p[0].id.Domain+"/"+p[0].id.Key+"]",
				fmt.Sprintf("%s reference in %s of %s", bs.what, bs.name, where), doc)
		}
	}
}

// pairRefs matches the references of two lists: first by (domain, key),
// then what is left in order, so that swapping one task for another at the
// same place reads as a change of key. References left over were added or
// removed, which no rule covers.
func pairRefs(b, h []refAt) [][2]refAt {
	used := make([]bool, len(h))
	var pairs [][2]refAt
	var restB []refAt
	for _, br := range b {
		found := false
		for j, hr := range h {
			if !used[j] && hr.id.Domain == br.id.Domain && hr.id.Key == br.id.Key {
				used[j], found = true, true
				pairs = append(pairs, [2]refAt{br, hr})
				break
			}
		}
		if !found {
			restB = append(restB, br)
		}
	}
	j := 0
	for _, br := range restB {
		for j < len(h) && used[j] {
			j++
		}
		if j == len(h) {
			break
		}
		used[j] = true
		pairs = append(pairs, [2]refAt{br, h[j]})
	}
	return pairs
}

func (d *differ) reference(b, h refAt, subject, where string, doc *jsonpos.Doc) {
	var why string
	switch bm, hm := major(b.id.Version), major(h.id.Version); {
	case b.id.Domain != h.id.Domain || b.id.Key != h.id.Key:
		why = "another component"
	case bm != "" && hm != "" && bm != hm:
		why = "another major version"
	default:
		return
	}
	f := d.change(ruleReferenceMajorChanged, subject, doc, h.val, h.ptr,
		fmt.Sprintf("%s moved from %s to %s (%s)", where, b.id, h.id, why)).
		With(b.id.String(), h.id.String())
	// A {ref} to a component of the package takes its version from the
	// component: the finding speaks for the component's own version too.
	if b.target != nil && h.target != nil && b.target.identity() == h.target.identity() {
		f = f.Cover(change.Base, b.target.doc.File, "/version").Cover(change.Head, h.target.doc.File, "/version")
	}
	d.add(f)
}

// major is a reference version's major part: "1" of "1.2.3", "1.2" or "1";
// "latest" stays "latest" (it floats across majors, so pinning it or
// unpinning it moves the reference); "" when unknown.
func major(v string) string {
	if i := strings.IndexAny(v, ".-+"); i >= 0 {
		return v[:i]
	}
	return v
}

// exports reports components that vnext.config.json stops exporting, or
// that disappear while exported. Consumers reference a component by domain
// and key, so an export that moves to another file name is still the same
// export. Workflows already reported as removed are skipped.
func (d *differ) exports(base, head *Package, removed map[string]bool) {
	if base == nil {
		return
	}
	headExports := map[string]bool{}
	headHas := map[string]bool{}
	if head != nil {
		for _, e := range head.exports {
			if c := head.exported(e); c != nil {
				headExports[string(c.Kind)+"\x00"+c.identity()] = true
			}
		}
		for _, c := range head.Components {
			headHas[string(c.Kind)+"\x00"+c.identity()] = true
		}
	}
	for _, e := range base.exports {
		c := base.exported(e)
		if c == nil || removed[c.Path] {
			continue
		}
		id := string(c.Kind) + "\x00" + c.identity()
		if headExports[id] {
			continue
		}
		what := fmt.Sprintf("exported %s %s (%s)", c.Kind, c.identity(), e.name)
		msg := what + " is no longer exported; other domains that reference it break"
		if !headHas[id] {
			msg = what + " no longer exists; other domains that reference it break"
		}
		subject := "exports/" + e.kind.pathKey() + "[" + c.identity() + "]"
		d.add(d.removal(ruleWorkflowRemoved, subject, base.config, e.val, e.ptr, msg).With(c.identity(), nil))
	}
}

// exported is the component an export names, if the package has it: a file
// name under the kind's folder, with or without ".json".
func (p *Package) exported(e export) *Component {
	dir := path.Join(p.componentsRoot, cleanDir(p.folders[e.kind]))
	if c := p.byPath[path.Join(dir, e.name)]; c != nil && c.Kind == e.kind {
		return c
	}
	if c := p.byPath[path.Join(dir, e.name+".json")]; c != nil && c.Kind == e.kind {
		return c
	}
	return nil
}

func (k Kind) pathKey() string {
	for _, ki := range kindInfos {
		if ki.kind == k {
			return ki.pathKey
		}
	}
	return string(k)
}
