package ckbk

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// Diff compares two versions of a template. Either may be nil: the file was
// added (base nil) or removed (head nil). Checks of the head alone
// (role-duplicate, userdata-missing, chart-orphaned) run whenever there is a
// head.
func Diff(base, head *Template) change.Comparison {
	d := &differ{base: base, head: head, content: formats.NewContentHasher(Coverage().Structure, document(base), document(head))}
	comp := change.Comparison{Format: Format, Artifact: artifact(base, head)}
	comp.Base, comp.Head = declared(base), declared(head)
	d.artifact = comp.Artifact

	if base != nil && head != nil {
		d.metadata()
	}
	pairs := d.roles()
	d.inPlace(pairs)
	d.statistics(pairs)
	d.charts()
	d.userData()
	if head != nil {
		d.duplicateRoles()
		d.missingUserData()
		d.orphanedCharts()
	}
	comp.Findings = d.findings
	return comp
}

func artifact(base, head *Template) string {
	switch {
	case head != nil:
		return Format + ":" + head.Name
	case base != nil:
		return Format + ":" + base.Name
	}
	return Format + ":"
}

func declared(t *Template) *change.Declared {
	if t == nil || t.Version == nil {
		return nil
	}
	return &change.Declared{Version: t.Version.Text, Location: formats.LocateValue(t.Doc, t.Version, "/version")}
}

type differ struct {
	base, head *Template
	artifact   string
	findings   []change.Finding
	// baseRoleOf maps a renamed head recipe to its role in the base.
	baseRoleOf map[*Recipe]string
	// kept are the head recipes paired with a base recipe of their role.
	kept map[*Recipe]bool
	// content pairs elements that share an identity by their content.
	content *formats.ContentHasher
}

func document(t *Template) structdiff.Input {
	if t == nil {
		return structdiff.Input{}
	}
	return structdiff.Input{Doc: t.Doc}
}

// hash is the content hash of the value at pointer on side, for Match.
func (d *differ) hash(side change.Side, pointer string) uint64 { return d.content.Hash(side, pointer) }

// pair is a recipe present on both sides.
type pair struct {
	base, head *Recipe
	renamed    bool
}

func (d *differ) add(r change.Rule, subject string, t *Template, pointer string, v *jsonpos.Value, side change.Side, msg string, before, after any) {
	d.findings = append(d.findings, formats.NewFinding(r, d.artifact, subject, side, t.Doc, v, pointer, msg).With(before, after))
}

// addAt is add for a pointer whose value is not in hand.
func (d *differ) addAt(r change.Rule, subject string, t *Template, pointer string, side change.Side, msg string, before, after any) {
	d.add(r, subject, t, pointer, t.Doc.Root.Find(pointer), side, msg, before, after)
}

func (d *differ) metadata() {
	for i, h := range d.head.Metadata {
		b := d.base.Metadata[i]
		if same(b.Value, h.Value) {
			continue
		}
		t, side, v := d.head, change.Head, h.Value
		if v == nil {
			t, side, v = d.base, change.Base, b.Value
		}
		d.add(ruleMetadataChanged, h.Subject, t, h.Pointer, v, side,
			fmt.Sprintf("%s changed; every workspace shows the new text after the update", h.Subject),
			b.Value.Interface(), h.Value.Interface())
	}
}

func recipesOf(t *Template) []*Recipe {
	if t == nil {
		return nil
	}
	return t.Recipes
}

// roles matches recipes by collectionRole, reports removed, renamed and added
// roles, and returns the recipes present on both sides. Recipes that share a
// role (ckbk/role-duplicate) are paired by content, so nothing depends on
// their order in the file.
func (d *differ) roles() []pair {
	var pairs []pair
	// Recipes left alone: those whose role is gone (removed) or new
	// (added), and the duplicates of a role the other side has (extra).
	var removed, added, baseExtra, headExtra []*Recipe
	hash := func(side change.Side, r *Recipe) uint64 { return d.hash(side, r.Pointer) }
	newRoles := map[string]bool{}
	d.kept = map[*Recipe]bool{}
	for _, m := range formats.Match(recipesOf(d.base), recipesOf(d.head), func(r *Recipe) string { return r.Role }, hash) {
		switch {
		case m.InBase && m.InHead:
			pairs = append(pairs, pair{base: m.Base, head: m.Head})
			d.kept[m.Head] = true
		case m.InBase && m.Shared[1] == 0:
			removed = append(removed, m.Base)
		case m.InBase:
			baseExtra = append(baseExtra, m.Base)
		case m.Shared[0] == 0 && !newRoles[m.Identity]:
			newRoles[m.Identity] = true // one addition per new role; its duplicates are extra
			added = append(added, m.Head)
		default:
			headExtra = append(headExtra, m.Head)
		}
	}
	// A recipe renamed onto a role that already exists is a rename too (and
	// a ckbk/role-duplicate); it is never reported as an added role.
	sources := append(slices.Clone(removed), baseExtra...)
	candidates := append(slices.Clone(added), headExtra...)

	// A removed and an added recipe that share an id, else a name, are one
	// recipe whose role was renamed. Ids first: a name is more likely reused.
	renamedTo := map[*Recipe]*Recipe{}
	taken := map[*Recipe]bool{}
	for _, same := range []func(b, h *Recipe) bool{
		func(b, h *Recipe) bool { return b.ID != "" && b.ID == h.ID },
		func(b, h *Recipe) bool { return b.Name != "" && b.Name == h.Name },
	} {
		for _, b := range sources {
			if renamedTo[b] != nil {
				continue
			}
			for _, h := range candidates {
				if !taken[h] && same(b, h) {
					renamedTo[b], taken[h] = h, true
					break
				}
			}
		}
	}

	d.baseRoleOf = map[*Recipe]string{}
	for _, b := range sources {
		h := renamedTo[b]
		if h == nil {
			if slices.Contains(removed, b) {
				d.add(ruleRoleRemoved, recipeSubject(b.Role), d.base, jsonpos.Pointer(b.Pointer, "collectionRole"), b.RoleValue, change.Base,
					fmt.Sprintf("recipe role %s is removed: every workspace deletes the recipe and skips anything queued against it", b.Role),
					b.Role, nil)
			}
			continue
		}
		d.baseRoleOf[h] = b.Role
		pairs = append(pairs, pair{base: b, head: h, renamed: true})
		f := formats.NewFinding(ruleRoleRenamed, d.artifact, recipeSubject(b.Role), change.Head, d.head.Doc, h.RoleValue,
			jsonpos.Pointer(h.Pointer, "collectionRole"),
			fmt.Sprintf("recipe %s changed its collectionRole from %s to %s: entries queued for %s will not trigger it", describeRecipe(h), b.Role, h.Role, b.Role)).
			With(b.Role, h.Role)
		// It speaks for the recipe on both sides: the base one is the same
		// recipe under its old role.
		d.findings = append(d.findings, f.Cover(change.Base, d.base.Doc.File, b.Pointer))
	}
	for _, h := range added {
		if taken[h] {
			continue
		}
		d.add(ruleRoleAdded, recipeSubject(h.Role), d.head, jsonpos.Pointer(h.Pointer, "collectionRole"), h.RoleValue, change.Head,
			fmt.Sprintf("new recipe role %s: every workspace creates the recipe on update", h.Role),
			nil, h.Role)
	}
	return pairs
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func recipeSubject(role string) string { return "recipes[" + role + "]" }

func describeRecipe(r *Recipe) string {
	switch {
	case r.Name != "" && r.ID != "":
		return fmt.Sprintf("%q (id %s)", r.Name, r.ID)
	case r.Name != "":
		return strconv.Quote(r.Name)
	case r.ID != "":
		return "id " + r.ID
	}
	return r.Role
}

// duplicateRoles reports each collectionRole that several head recipes
// share, once, naming the recipes in a stable order and pointing at the
// second of them: the recipe that kept the role from the base comes first,
// then the others by name and id, then content.
func (d *differ) duplicateRoles() {
	byRole := map[string][]*Recipe{}
	var roles []string
	for _, r := range d.head.Recipes {
		if byRole[r.Role] == nil {
			roles = append(roles, r.Role)
		}
		byRole[r.Role] = append(byRole[r.Role], r)
	}
	for _, role := range roles {
		rs := byRole[role]
		if len(rs) < 2 {
			continue
		}
		slices.SortStableFunc(rs, func(a, b *Recipe) int {
			return cmp.Or(-cmp.Compare(b2i(d.kept[a]), b2i(d.kept[b])), strings.Compare(describeRecipe(a), describeRecipe(b)),
				cmp.Compare(d.hash(change.Head, a.Pointer), d.hash(change.Head, b.Pointer)))
		})
		names := make([]string, len(rs))
		for i, r := range rs {
			names[i] = describeRecipe(r)
		}
		at := rs[1]
		d.add(ruleRoleDuplicate, recipeSubject(role), d.head, jsonpos.Pointer(at.Pointer, "collectionRole"), at.RoleValue, change.Head,
			fmt.Sprintf("collectionRole %s is used by %d recipes, %s; roles must be unique", role, len(rs), strings.Join(names, ", ")),
			nil, role)
	}
}

// inPlace reports recipes whose role stayed and whose behaviour changed.
// Renamed recipes are skipped: nothing queued reaches them anyway.
func (d *differ) inPlace(pairs []pair) {
	baseRoles := roleByID(d.base, nil)
	headRoles := roleByID(d.head, d.baseRoleOf)
	for _, p := range pairs {
		if p.renamed {
			continue
		}
		delay := delayReason(p.head, headRoles)
		if delay == "" {
			delay = delayReason(p.base, baseRoles)
		}
		for i, name := range partNames {
			b, h := p.base.Parts[i], p.head.Parts[i]
			if i == partTriggers {
				b, h = normalizeTriggers(b, baseRoles), normalizeTriggers(h, headRoles)
			} else {
				b, h = orEmpty(b), orEmpty(h)
			}
			if same(b, h) {
				continue
			}
			ptr, before, after := firstDiff(b, h, jsonpos.Pointer(p.head.Pointer, name))
			subject := recipeSubject(p.head.Role) + "/" + name
			if delay != "" {
				d.addAt(ruleDelayedRecipeChanged, subject, d.head, ptr, change.Head,
					fmt.Sprintf("recipe %s %s and its %s changed in place: triggers already queued will run the new version, so it must be backward compatible; if it is not, give it a new collectionRole", p.head.Role, delay, name),
					before, after)
			} else {
				d.addAt(ruleRecipeChanged, subject, d.head, ptr, change.Head,
					fmt.Sprintf("recipe %s: %s changed; every workspace runs the new version from its next trigger", p.head.Role, name),
					before, after)
			}
		}
	}
}

// roleByID maps a recipe id to its role; alias gives renamed head recipes
// their base role, so both sides name the same caller alike. An id that
// several recipes share (invalid) names all their roles, sorted, whatever
// their order in the file.
func roleByID(t *Template, alias map[*Recipe]string) map[string]string {
	roles := map[string][]string{}
	if t == nil {
		return map[string]string{}
	}
	for _, r := range t.Recipes {
		if r.ID == "" {
			continue
		}
		role := r.Role
		if a, ok := alias[r]; ok {
			role = a
		}
		roles[r.ID] = append(roles[r.ID], role)
	}
	m := make(map[string]string, len(roles))
	for id, rs := range roles {
		slices.Sort(rs)
		m[id] = strings.Join(slices.Compact(rs), " or ")
	}
	return m
}

// delayReason says why r counts as delayed, "" when it does not. Scheduled
// TIME triggers count too: the catalogue speaks of "delayed or time
// triggers", and their next run is queued like a delayed send.
func delayReason(r *Recipe, roles map[string]string) string {
	for _, t := range r.Triggers {
		switch {
		case t.Timed && t.Scheduled:
			return "runs on a schedule (TIME trigger)"
		case t.Timed:
			return "has a TIME trigger"
		case t.Type == "RECIPE" && t.DelaySeconds > 0:
			callers := make([]string, len(t.CallingRecipeIDs))
			for i, id := range t.CallingRecipeIDs {
				callers[i] = callerName(id, roles)
			}
			by := ""
			if len(callers) > 0 {
				by = " by " + strings.Join(callers, ", ")
			}
			return fmt.Sprintf("is called%s after a delay of %s s", by, strconv.FormatFloat(t.DelaySeconds, 'f', -1, 64))
		}
	}
	return ""
}

func callerName(id string, roles map[string]string) string {
	if role, ok := roles[id]; ok {
		return role
	}
	return "unknown recipe id " + id
}

// orEmpty treats an absent part like an empty one: adding "conditions": []
// changes nothing.
func orEmpty(v *jsonpos.Value) *jsonpos.Value {
	if v == nil {
		return &jsonpos.Value{Kind: jsonpos.Array}
	}
	return v
}

// normalizeTriggers replaces each RECIPE trigger's callingRecipeIds by the
// callers' roles, sorted: ids are renumbered between template versions, roles
// are not. Ids that resolve to no recipe stay as they are.
func normalizeTriggers(triggers *jsonpos.Value, roles map[string]string) *jsonpos.Value {
	out := *orEmpty(triggers)
	out.Kids = slices.Clone(out.Kids)
	for i := range out.Kids {
		ids := out.Kids[i].Path("data", "callingRecipeIds")
		if !ids.Is(jsonpos.Array) {
			continue
		}
		callers := jsonpos.Value{Kind: jsonpos.Array, Kids: make([]jsonpos.Value, len(ids.Kids))}
		for j := range ids.Kids {
			callers.Kids[j] = ids.Kids[j]
			if role, ok := roles[jsonpos.Canonical(&ids.Kids[j])]; ok {
				callers.Kids[j] = jsonpos.Value{Kind: jsonpos.String, Off: ids.Kids[j].Off, Text: role}
			}
		}
		slices.SortStableFunc(callers.Kids, func(a, b jsonpos.Value) int {
			return strings.Compare(jsonpos.Canonical(&a), jsonpos.Canonical(&b))
		})
		out.Kids[i] = replaceMember(out.Kids[i], []string{"data", "callingRecipeIds"}, callers)
	}
	return &out
}

// replaceMember returns v with the member at path replaced by repl, copying
// only the objects along the path so the parsed tree stays untouched.
func replaceMember(v jsonpos.Value, path []string, repl jsonpos.Value) jsonpos.Value {
	if len(path) == 0 {
		repl.Key, repl.Off = v.Key, v.Off
		return repl
	}
	v.Kids = slices.Clone(v.Kids)
	for i := range v.Kids {
		if v.Kids[i].Key == path[0] {
			v.Kids[i] = replaceMember(v.Kids[i], path[1:], repl)
		}
	}
	return v
}

// firstDiff narrows a difference between b and h, found at pointer, down to
// the single member or element that changed, so the annotation lands on the
// changed line. It stops where more than one thing changed, and returns the
// values there: what a finding shows and its fingerprint is made of, so
// that a field added to both sides elsewhere (by a newer template version)
// changes neither.
func firstDiff(b, h *jsonpos.Value, pointer string) (string, any, any) {
	pointer, b, h = narrow(b, h, pointer)
	return pointer, b.Interface(), h.Interface()
}

func narrow(b, h *jsonpos.Value, pointer string) (string, *jsonpos.Value, *jsonpos.Value) {
	for b != nil && h != nil && b.Kind == h.Kind {
		var next string
		var nb, nh *jsonpos.Value
		diffs := 0
		switch h.Kind {
		case jsonpos.Object:
			for i := range h.Kids {
				k := h.Kids[i].Key
				if bv := b.Get(k); !same(bv, h.Get(k)) {
					diffs++
					next, nb, nh = jsonpos.Pointer(pointer, k), bv, h.Get(k)
				}
			}
			for i := range b.Kids {
				if h.Get(b.Kids[i].Key) == nil {
					diffs += 2 // a removal: stay on the object
				}
			}
		case jsonpos.Array:
			if len(b.Kids) != len(h.Kids) {
				return pointer, b, h
			}
			for i := range h.Kids {
				if !same(&b.Kids[i], &h.Kids[i]) {
					diffs++
					next, nb, nh = jsonpos.Pointer(pointer, i), &b.Kids[i], &h.Kids[i]
				}
			}
		}
		if diffs != 1 {
			return pointer, b, h
		}
		pointer, b, h = next, nb, nh
	}
	return pointer, b, h
}

// statistics matches the UpdateStatisticsActions of each recipe pair. Within
// a branch, identical (group, key) writes match first, so reordering actions
// reports nothing; the rest pair up in order and are key changes.
func (d *differ) statistics(pairs []pair) {
	changedTo := map[statKey]bool{}
	for _, p := range pairs {
		for _, branch := range []string{"actions", "elseActions"} {
			bs, hs := statsIn(p.base, branch), statsIn(p.head, branch)
			bs, hs = unmatched(bs, hs), unmatched(hs, bs)
			for i := range min(len(bs), len(hs)) {
				b, h := bs[i], hs[i]
				field := "key"
				if b.Group != h.Group {
					field = "groupIdentifier"
				}
				changedTo[statKey{h.Group, h.Key}] = true
				d.addAt(ruleStatisticKeyChanged, recipeSubject(p.head.Role)+"/"+statSubject(b.Group, b.Key), d.head,
					jsonpos.Pointer(h.Pointer, "data", field), change.Head,
					fmt.Sprintf("recipe %s now writes statistic %s instead of %s: legacy figures stop showing on the charts", p.head.Role, statName(h.Group, h.Key), statName(b.Group, b.Key)),
					statValue(b), statValue(h))
			}
		}
	}
	if d.base == nil || d.head == nil {
		return // a new collection has no legacy data to start beside
	}
	written := map[statKey]bool{}
	for _, r := range d.base.Recipes {
		for _, s := range r.Stats {
			written[statKey{s.Group, s.Key}] = true
		}
	}
	for _, r := range d.head.Recipes {
		for _, s := range r.Stats {
			k := statKey{s.Group, s.Key}
			if written[k] || changedTo[k] {
				continue
			}
			written[k] = true
			d.addAt(ruleStatisticAdded, statSubject(s.Group, s.Key), d.head, jsonpos.Pointer(s.Pointer, "data"), change.Head,
				fmt.Sprintf("recipe %s starts writing statistic %s; it starts from zero beside legacy data", r.Role, statName(s.Group, s.Key)),
				nil, statValue(s))
		}
	}
}

type statKey struct{ group, key string }

func statSubject(group, key string) string { return "statistics[" + group + "][" + key + "]" }

func statName(group, key string) string { return group + "/" + key }

func statValue(s *StatWrite) map[string]any {
	return map[string]any{"groupIdentifier": s.Group, "key": s.Key}
}

func statsIn(r *Recipe, branch string) []*StatWrite {
	var out []*StatWrite
	for _, s := range r.Stats {
		if s.Branch == branch {
			out = append(out, s)
		}
	}
	return out
}

// unmatched returns the writes of xs with no identical (group, key) write in
// ys, matching each write of ys at most once.
func unmatched(xs, ys []*StatWrite) []*StatWrite {
	used := make([]bool, len(ys))
	var out []*StatWrite
	for _, x := range xs {
		found := false
		for j, y := range ys {
			if !used[j] && x.Group == y.Group && x.Key == y.Key {
				used[j], found = true, true
				break
			}
		}
		if !found {
			out = append(out, x)
		}
	}
	return out
}

func chartsOf(t *Template) []*Chart {
	if t == nil {
		return nil
	}
	return t.Charts
}

func chartSubject(title string) string { return "charts[" + title + "]" }

// untitled stands for the empty title when charts are matched: untitled
// charts are paired by content like charts that share a title.
const untitled = "\x00untitled"

// charts matches charts by title. Charts that share one are paired by
// content; a chart added or removed is named by its title, so a field a
// newer template version adds to every chart changes no fingerprint.
func (d *differ) charts() {
	title := func(c *Chart) string { return cmp.Or(c.Title, untitled) }
	hash := func(side change.Side, c *Chart) uint64 { return d.hash(side, c.Pointer) }
	for _, m := range formats.Match(chartsOf(d.base), chartsOf(d.head), title, hash) {
		note := m.Note("charts", "the title "+strconv.Quote(m.Latest().Title), "the one of type "+strconv.Quote(m.Latest().Value.Get("type").StrOr("")))
		switch {
		case !m.InHead:
			b := m.Base
			d.add(ruleChartChanged, chartSubject(b.Title), d.base, b.Pointer, b.Value, change.Base,
				fmt.Sprintf("chart %q is removed; its statistics are kept%s", b.Title, note), b.Title, nil)
		case !m.InBase:
			h := m.Head
			d.add(ruleChartChanged, chartSubject(h.Title), d.head, h.Pointer, h.Value, change.Head,
				fmt.Sprintf("chart %q is added%s", h.Title, note), nil, h.Title)
		case !same(m.Base.Value, m.Head.Value):
			b, h := m.Base, m.Head
			ptr, before, after := firstDiff(b.Value, h.Value, h.Pointer)
			d.addAt(ruleChartChanged, chartSubject(h.Title), d.head, ptr, change.Head,
				fmt.Sprintf("chart %q changed; charts are replaced on update, statistics are kept%s", h.Title, note), before, after)
		}
	}
}

func (d *differ) orphanedCharts() {
	written := map[string]bool{}
	for _, r := range d.head.Recipes {
		for _, s := range r.Stats {
			written[s.Group] = true
		}
	}
	for _, c := range d.head.Charts {
		if c.GroupIdentifier == "" || written[c.GroupIdentifier] {
			continue
		}
		d.addAt(ruleChartOrphaned, chartSubject(c.Title), d.head, jsonpos.Pointer(c.Pointer, "groupIdentifier"), change.Head,
			fmt.Sprintf("chart %q reads statistics group %q, which no recipe writes: it only shows legacy data", c.Title, c.GroupIdentifier),
			nil, c.GroupIdentifier)
	}
}

func userDataOf(t *Template) []*UserDataEntry {
	if t == nil {
		return nil
	}
	return t.UserData
}

func userDataSubject(key string) string { return "userData[" + key + "]" }

// userData reports new entries and new values. Entries that share a key are
// paired by content.
func (d *differ) userData() {
	if d.head == nil {
		return // no rule covers removed entries
	}
	key := func(e *UserDataEntry) string { return e.Key }
	hash := func(side change.Side, e *UserDataEntry) uint64 { return d.hash(side, e.Pointer) }
	for _, m := range formats.Match(userDataOf(d.base), userDataOf(d.head), key, hash) {
		if !m.InHead {
			continue
		}
		h := m.Head
		note := m.Note("UserData entries", "the key "+strconv.Quote(h.Key), "the one labelled "+strconv.Quote(h.Entry.Get("userFriendlyName").StrOr(h.Key)))
		switch {
		case !m.InBase:
			d.add(ruleUserDataAdded, userDataSubject(h.Key), d.head, h.Pointer, h.Entry, change.Head,
				fmt.Sprintf("new UserData entry %q: its value is saved in every workspace%s", h.Key, note),
				nil, h.Value.Interface())
		case !same(m.Base.Value, h.Value):
			d.add(ruleUserDataDefaultChanged, userDataSubject(h.Key), d.head, h.ValuePointer, h.Value, change.Head,
				fmt.Sprintf("UserData %q has a new value: workspaces that edited it keep theirs, the others get the new one%s", h.Key, note),
				m.Base.Value.Interface(), h.Value.Interface())
		}
	}
}

func (d *differ) missingUserData() {
	entries := map[string]bool{}
	for _, e := range d.head.UserData {
		entries[e.Key] = true
	}
	for _, r := range d.head.Recipes {
		for _, ref := range r.UserDataRefs {
			if entries[ref.Key] {
				continue
			}
			d.add(ruleUserDataMissing, recipeSubject(r.Role)+"/"+userDataSubject(ref.Key), d.head, ref.Pointer, ref.Value, change.Head,
				fmt.Sprintf("recipe %s references ${userData['%s']} but the template has no UserData entry %q", r.Role, ref.Key, ref.Key),
				nil, ref.Key)
		}
	}
}

// same reports whether a and b are the same JSON value, ignoring key order and
// number formatting. It compares canonical forms rather than using
// jsonpos.Equal, which is not reflexive for objects with a repeated key.
func same(a, b *jsonpos.Value) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a == b || jsonpos.Equal(a, b)
}
