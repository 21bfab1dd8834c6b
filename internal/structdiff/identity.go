package structdiff

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// ident is an element's identity within its array. It is a comparable
// struct rather than a string so that indexing thousands of elements
// allocates nothing: text points into the document.
type ident struct {
	key  int          // index into the array's keys; keyScalar or keyHash
	kind jsonpos.Kind // the JSON type of the identifying value
	text string       // the value: a key's text, a scalar's canonical JSON, or a hash
}

const (
	keyScalar = -1 // a scalar element identified by itself
	keyHash   = -2 // an element with no key, identified by its content
	keyRef    = -3 // a reference, identified by what it names
)

func (sd *side) identify(spec *arraySpec, el *node, v *jsonpos.Value) ident {
	if text, ok := sd.resolve(el, v); ok {
		return ident{key: keyRef, text: text}
	}
	if v.Kind == jsonpos.Object {
		for i, k := range spec.keys {
			kv := v.Path(k...)
			if kv == nil {
				continue
			}
			switch kv.Kind {
			case jsonpos.String:
				if kv.Text != "" {
					return ident{key: i, kind: kv.Kind, text: kv.Text}
				}
			case jsonpos.Number:
				return ident{key: i, kind: kv.Kind, text: jsonpos.Canonical(kv)}
			case jsonpos.Bool:
				return ident{key: i, kind: kv.Kind, text: kv.Text}
			}
		}
	}
	switch v.Kind {
	case jsonpos.Array, jsonpos.Object:
		return ident{key: keyHash, text: fmt.Sprintf("%016x", sd.hash(el, v))}
	}
	return ident{key: keyScalar, kind: v.Kind, text: jsonpos.Canonical(v)}
}

var selEscaper = strings.NewReplacer(`\`, `\\`, `]`, `\]`)

// selector renders an identity as a path step; ordinal > 1 numbers a
// duplicate.
func (id ident) selector(spec *arraySpec, ordinal int) string {
	var s string
	switch id.key {
	case keyScalar:
		s = "[" + selEscaper.Replace(id.text)
	case keyHash:
		s = "[#" + id.text
	case keyRef:
		s = "[" + strings.TrimPrefix(strings.TrimSuffix(id.text, "]"), "[")
	default:
		s = "[" + spec.Keys[id.key] + "=" + selEscaper.Replace(id.text)
	}
	if ordinal > 1 {
		s += fmt.Sprintf("#%d", ordinal)
	}
	return s + "]"
}

// group lists the elements of one side that share each identity, in
// document order, with the identities in order of first appearance.
type group struct {
	ids   []ident
	ends  map[ident][2]int // identity → indexes of its first and last element
	next  []int            // element → next element with the same identity, or -1
	order []ident          // distinct identities in document order
}

func (sd *side) groupOf(spec *arraySpec, el *node, v *jsonpos.Value) group {
	g := group{ids: make([]ident, len(v.Kids)), ends: make(map[ident][2]int, len(v.Kids)), next: make([]int, len(v.Kids))}
	for i := range v.Kids {
		id := sd.identify(spec, el, &v.Kids[i])
		g.ids[i], g.next[i] = id, -1
		if e, seen := g.ends[id]; seen {
			g.next[e[1]] = i
			g.ends[id] = [2]int{e[0], i}
		} else {
			g.ends[id] = [2]int{i, i}
			g.order = append(g.order, id)
		}
	}
	return g
}

func (g group) members(id ident) []int {
	e, ok := g.ends[id]
	if !ok {
		return nil
	}
	i := e[0]
	var out []int
	for ; i >= 0; i = g.next[i] {
		out = append(out, i)
	}
	return out
}

// pair is one matched element, or an element left alone (bi or hi -1).
// Its selector is rendered only when a change needs it.
type pair struct {
	bi, hi  int
	id      ident
	ordinal int
}

// identified compares an array whose elements are matched by identity.
func (w *walker) identified(n *node, b, h *jsonpos.Value) bool {
	spec, el := n.array, n.elem
	if w.probe && len(b.Kids) != len(h.Kids) {
		w.found = true
		return true
	}
	bg, hg := w.bs.groupOf(spec, el, b), w.hs.groupOf(spec, el, h)
	var pairs []pair
	visit := func(id ident) {
		be, inBase := bg.ends[id]
		he, inHead := hg.ends[id]
		if (!inBase || be[0] == be[1]) && (!inHead || he[0] == he[1]) {
			p := pair{bi: -1, hi: -1, id: id, ordinal: 1}
			if inBase {
				p.bi = be[0]
			}
			if inHead {
				p.hi = he[0]
			}
			pairs = append(pairs, p)
			return
		}
		pairs = append(pairs, w.duplicates(spec, el, id, b, bg.members(id), h, hg.members(id))...)
	}
	for _, id := range bg.order {
		visit(id)
	}
	for _, id := range hg.order {
		if _, inBase := bg.ends[id]; !inBase {
			visit(id)
		}
	}

	changed := false
	for _, p := range pairs {
		st := step{elem: true, spec: spec, id: p.id, ordinal: p.ordinal, bi: p.bi, hi: p.hi}
		switch {
		case p.hi < 0:
			w.emitAt(st, Removed, el, &b.Kids[p.bi], nil)
			changed = true
		case p.bi < 0:
			w.emitAt(st, Added, el, nil, &h.Kids[p.hi])
			changed = true
		case w.walkAt(st, el, &b.Kids[p.bi], &h.Kids[p.hi]):
			changed = true
		}
		if changed && w.probe {
			return true
		}
	}
	if spec.Ordered && w.reordered(n, pairs, b, h) {
		changed = true
	}
	return changed
}

// reordered reports a change in the order of the matched elements.
func (w *walker) reordered(n *node, pairs []pair, b, h *jsonpos.Value) bool {
	var matched []pair
	for _, p := range pairs {
		if p.bi >= 0 && p.hi >= 0 {
			matched = append(matched, p)
		}
	}
	byBase := slices.SortedFunc(slices.Values(matched), func(x, y pair) int { return x.bi - y.bi })
	byHead := slices.SortedFunc(slices.Values(matched), func(x, y pair) int { return x.hi - y.hi })
	if slices.EqualFunc(byBase, byHead, func(x, y pair) bool { return x.id == y.id && x.ordinal == y.ordinal }) {
		return false
	}
	w.emit(Reordered, n, b, h)
	if !w.probe {
		c := &w.changes[len(w.changes)-1]
		c.Before, c.After = sequence(n.array, byBase), sequence(n.array, byHead)
	}
	return true
}

func sequence(spec *arraySpec, ps []pair) string {
	var s strings.Builder
	for i, p := range ps {
		if i > 0 {
			s.WriteByte(',')
		}
		s.WriteString(p.id.selector(spec, p.ordinal))
	}
	if s.Len() <= maxSummary {
		return s.String()
	}
	return fmt.Sprintf("#%016x", fnv(s.String()))
}

// duplicates pairs the elements of one identity when a side holds more
// than one, as PairByContent does, so the result never depends on the order
// in the file.
func (w *walker) duplicates(spec *arraySpec, el *node, id ident, b *jsonpos.Value, bm []int, h *jsonpos.Value, hm []int) []pair {
	hashes := func(sd *side, v *jsonpos.Value, idx []int) []uint64 {
		out := make([]uint64, len(idx))
		for k, i := range idx {
			out[k] = sd.hash(el, &v.Kids[i])
		}
		return out
	}
	var pairs []pair
	for _, p := range PairByContent(hashes(w.bs, b, bm), hashes(w.hs, h, hm)) {
		pr := pair{bi: -1, hi: -1}
		if p[0] >= 0 {
			pr.bi = bm[p[0]]
		}
		if p[1] >= 0 {
			pr.hi = hm[p[1]]
		}
		pairs = append(pairs, pr)
	}
	for k := range pairs {
		pairs[k].id, pairs[k].ordinal = id, k+1
	}
	if !w.probe {
		path, bp, hp, _, _ := w.render()
		d := Duplicate{Path: path + id.selector(spec, 1)}
		for _, i := range bm {
			d.Base = append(d.Base, bp+"/"+fmt.Sprint(i))
		}
		for _, i := range hm {
			d.Head = append(d.Head, hp+"/"+fmt.Sprint(i))
		}
		for _, p := range pairs {
			pk := Pick{Path: path + id.selector(spec, p.ordinal)}
			if p.bi >= 0 {
				pk.Base = bp + "/" + fmt.Sprint(p.bi)
			}
			if p.hi >= 0 {
				pk.Head = hp + "/" + fmt.Sprint(p.hi)
			}
			d.Picked = append(d.Picked, pk)
		}
		w.dups = append(w.dups, d)
	}
	return pairs
}

// PairByContent pairs the elements that share one identity, given the
// content hash of each on either side (Identifier.Hash): equal elements
// first, then the others in the order of their hashes; what is left on one
// side stays alone (-1 on the other). It returns index pairs into base and
// head in the order the walk numbers them ("", "#2", "#3"…). Formats pair
// their own duplicates with it, so that findings and coverage agree and
// neither depends on the order of the file.
func PairByContent(base, head []uint64) [][2]int {
	type member struct {
		i    int
		hash uint64
	}
	sorted := func(hs []uint64) []member {
		out := make([]member, len(hs))
		for i, h := range hs {
			out[i] = member{i, h}
		}
		slices.SortStableFunc(out, func(x, y member) int { return cmp.Compare(x.hash, y.hash) })
		return out
	}
	bs, hs := sorted(base), sorted(head)
	var pairs [][2]int
	var restB, restH []member
	i, j := 0, 0
	for i < len(bs) && j < len(hs) {
		switch {
		case bs[i].hash == hs[j].hash:
			pairs = append(pairs, [2]int{bs[i].i, hs[j].i})
			i++
			j++
		case bs[i].hash < hs[j].hash:
			restB = append(restB, bs[i])
			i++
		default:
			restH = append(restH, hs[j])
			j++
		}
	}
	restB, restH = append(restB, bs[i:]...), append(restH, hs[j:]...)
	for len(restB) > 0 && len(restH) > 0 {
		pairs = append(pairs, [2]int{restB[0].i, restH[0].i})
		restB, restH = restB[1:], restH[1:]
	}
	for _, m := range restB {
		pairs = append(pairs, [2]int{m.i, -1})
	}
	for _, m := range restH {
		pairs = append(pairs, [2]int{-1, m.i})
	}
	return pairs
}
