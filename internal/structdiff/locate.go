package structdiff

import (
	"strconv"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// Identify turns a concrete pointer into the file of in (one that includes
// in.At, as findings carry) into the identity path Diff would report for
// it, so that two findings can be compared across files whose arrays are
// ordered differently. An element that shares its identity with another
// cannot be told apart from it by anything stable: it is written with "#?"
// ("[collectionRole=Vote#?]"). Steps the document does not have are kept as
// pointer steps; a pointer outside in.At is returned unchanged.
//
// For many pointers into one document, NewIdentifier indexes it once.
func (d *Differ) Identify(in Input, pointer string) string {
	return d.NewIdentifier(in).Identify(pointer)
}

// Identifier identifies pointers into one document; it indexes what it
// needs (referenced arrays, the identities of an array) once. It is not
// safe for concurrent use.
type Identifier struct {
	d      *Differ
	in     Input
	root   *jsonpos.Value
	sd     *side
	counts map[*jsonpos.Value]map[ident]int
}

// NewIdentifier prepares to identify pointers into the document of in.
func (d *Differ) NewIdentifier(in Input) *Identifier {
	root := in.root()
	return &Identifier{d: d, in: in, root: root, sd: d.side(root), counts: map[*jsonpos.Value]map[ident]int{}}
}

// Identify is Differ.Identify for the Identifier's document.
func (id *Identifier) Identify(pointer string) string {
	path, _, _ := id.follow(pointer)
	return path
}

// Hash is the content hash of the value at pointer as the walk compares
// it (ignored members left out, sets in any order, references by what they
// name): equal for values Diff finds equal, whatever the layout. ok is
// false when the pointer leads nowhere in the compared value.
func (id *Identifier) Hash(pointer string) (hash uint64, ok bool) {
	_, v, n := id.follow(pointer)
	if v == nil {
		return 0, false
	}
	return id.sd.hash(n, v), true
}

// follow walks pointer through the document: the identity path, and the
// value and automaton node it leads to (v nil when it leads nowhere).
func (id *Identifier) follow(pointer string) (string, *jsonpos.Value, *node) {
	at := id.in.At
	if !strings.HasPrefix(pointer, at) || (len(pointer) > len(at) && pointer[len(at)] != '/') {
		return pointer, nil, nil
	}
	v, n := id.root, id.d.root
	var out strings.Builder
	for _, tok := range PointerTokens(strings.TrimPrefix(pointer, at)) {
		if v == nil || v.Kind != jsonpos.Array {
			out.WriteString("/" + jsonpos.EscapeToken(tok.Name))
			if v != nil {
				v = v.Get(tok.Name)
			}
			n = n.member(tok.Name)
			continue
		}
		i, err := strconv.Atoi(tok.Name)
		el := n.elem
		if err != nil || i < 0 || i >= len(v.Kids) {
			out.WriteString("/" + jsonpos.EscapeToken(tok.Name))
			v, n = nil, el
			continue
		}
		if n.array == nil {
			out.WriteString("/" + tok.Name)
		} else {
			out.WriteString(id.selector(n.array, el, v, i))
		}
		v, n = &v.Kids[i], el
	}
	return out.String(), v, n
}

func (id *Identifier) selector(spec *arraySpec, el *node, arr *jsonpos.Value, i int) string {
	counts := id.counts[arr]
	if counts == nil {
		counts = make(map[ident]int, len(arr.Kids))
		for j := range arr.Kids {
			counts[id.sd.identify(spec, el, &arr.Kids[j])]++
		}
		id.counts[arr] = counts
	}
	this := id.sd.identify(spec, el, &arr.Kids[i])
	if counts[this] > 1 {
		return strings.TrimSuffix(this.selector(spec, 1), "]") + "#?]"
	}
	return this.selector(spec, 1)
}
