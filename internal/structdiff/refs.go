package structdiff

import (
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// Reference declares values that name another element of the document by
// one of its members (a step's authentication.group names the auth slot
// with that auth_group). They are compared by the identity of the element
// they name, so re-creating that element (new internal id, same identity)
// is no change where it is referenced; it is reported once, where the
// element itself changed.
type Reference struct {
	// Path is a pattern of the referencing values (scalars).
	Path string
	// Array is the pointer of the array that holds the named elements,
	// relative to the compared value and without wildcards; Arrays must
	// declare it.
	Array string
	// Key is the member of those elements that the values hold.
	Key string
	Why string
}

// side is what the walk knows of one side beyond its tree: for each
// reference, which elements each key value names. The index of a reference
// is built the first time a value of it is met: most comparisons meet none
// (no caller changed), and indexing a large array is not free.
type side struct {
	d    *Differ
	root *jsonpos.Value
	refs []map[string]string // per reference: canonical key value → the named identities; nil until built
}

// side prepares the reference indexes of the document whose compared value
// is root.
func (d *Differ) side(root *jsonpos.Value) *side {
	return &side{d: d, root: root, refs: make([]map[string]string, len(d.refs))}
}

// index builds the index of reference i.
func (sd *side) index(i int) map[string]string {
	r := sd.d.refs[i]
	m := map[string]string{}
	arr := sd.root.Find(r.Array)
	if !arr.Is(jsonpos.Array) {
		return m
	}
	n := sd.d.at(PointerTokens(r.Array))
	if n.array == nil {
		return m
	}
	named := map[string][]string{}
	for k := range arr.Kids {
		el := &arr.Kids[k]
		kv := el.Get(r.Key)
		if kv == nil || kv.Kind == jsonpos.Array || kv.Kind == jsonpos.Object || kv.Kind == jsonpos.Null {
			continue
		}
		// Elements are identified without references: a reference chain
		// could otherwise loop.
		id := (&side{}).identify(n.array, n.elem, el)
		named[jsonpos.Canonical(kv)] = append(named[jsonpos.Canonical(kv)], id.selector(n.array, 1))
	}
	for k, ids := range named {
		slices.Sort(ids)
		m[k] = strings.Join(slices.Compact(ids), "")
	}
	return m
}

// resolve returns the identity that a reference at node n names, when n is
// a reference and v names an element; ok is false otherwise, and v is then
// compared as the value it is.
func (sd *side) resolve(n *node, v *jsonpos.Value) (string, bool) {
	if n.ref < 0 || sd == nil || n.ref >= len(sd.refs) || v.Kind == jsonpos.Array || v.Kind == jsonpos.Object {
		return "", false
	}
	if sd.refs[n.ref] == nil {
		sd.refs[n.ref] = sd.index(n.ref)
	}
	id, ok := sd.refs[n.ref][jsonpos.Canonical(v)]
	return id, ok
}
