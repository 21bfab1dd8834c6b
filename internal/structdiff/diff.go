package structdiff

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// Kind says how a path changed.
type Kind uint8

const (
	Added     Kind = iota + 1 // only head has a value at the path
	Removed                   // only base has a value at the path
	Changed                   // both have a value and they differ: another scalar, or another JSON type
	Reordered                 // an ordered, identity-matched array holds the same elements in another order
)

func (k Kind) String() string {
	switch k {
	case Added:
		return "added"
	case Removed:
		return "removed"
	case Changed:
		return "changed"
	case Reordered:
		return "reordered"
	}
	return "unknown"
}

// Change is one changed path.
type Change struct {
	Kind Kind
	// Path is the identity path: JSON-pointer steps for members and ordered
	// positions, "[key=value]" for an element matched by identity,
	// `["value"]` for a set element, "[#hash]" for an element identified by
	// its content. It stays the same when unrelated elements move. A key
	// value is written as is, with "\" and "]" escaped by a backslash.
	Path string
	// Base and Head are the concrete RFC 6901 pointers of the value in each
	// file (including the Input's At); meaningful only where the side has
	// the value: BaseValue or HeadValue non-nil.
	Base, Head           string
	BaseValue, HeadValue *jsonpos.Value
	// Before and After summarise the values as the walk compares them:
	// canonical JSON (keys sorted, unordered arrays sorted, ignored and
	// empty members left out) when it is short, else "#" and a hash of the
	// normalised value; "" where absent. Neither depends on how the file is
	// written.
	Before, After string

	shape  []Token
	prefix []int // len(Path) after each step of shape
}

// Ancestors are the identity paths of the values enclosing the change,
// outermost first: "", "/solution", "/solution/config_slots[key=x]".
func (c Change) Ancestors() []string {
	if len(c.prefix) == 0 {
		return nil
	}
	out := make([]string, 0, len(c.prefix))
	out = append(out, "")
	for _, n := range c.prefix[:max(len(c.prefix)-1, 0)] {
		out = append(out, c.Path[:n])
	}
	return out
}

// Shape is the path as tokens (members by name, elements as elements), for
// matching Patterns.
func (c Change) Shape() []Token { return c.shape }

func (c Change) String() string {
	s := c.Kind.String() + " " + c.Path
	if c.Kind == Changed {
		s += fmt.Sprintf(": %s → %s", c.Before, c.After)
	}
	return s
}

// Duplicate records elements of an identity-matched array that share one
// identity on either side (invalid in every format, but it must not make
// the result depend on their order), and how they were paired: equal
// elements first, then the rest in the order of their content hashes; the
// first pair keeps the plain identity, the others are numbered "#2", "#3".
type Duplicate struct {
	// Path is the shared identity path, "/recipes[collectionRole=Vote]".
	Path string
	// Base and Head are the pointers of the elements with that identity on
	// each side, in document order.
	Base, Head []string
	// Picked says which element was paired with which, and the identity
	// path each pair (or unpaired element) is reported under.
	Picked []Pick
}

// Pick is one pairing of a Duplicate; Base or Head is "" for an element
// left without a partner, which is then removed or added.
type Pick struct {
	Path, Base, Head string
}

// Result is the structural difference of two documents.
type Result struct {
	// Changes are sorted by Path, then Kind.
	Changes    []Change
	Duplicates []Duplicate
}

// Input is one side of a comparison: a parsed document and the pointer of
// the value to compare in it ("" for the whole document; "/exportData" for
// a wrapped Tray export). A nil Doc is a side that does not exist.
type Input struct {
	Doc *jsonpos.Doc
	At  string
}

func (in Input) root() *jsonpos.Value {
	if in.Doc == nil {
		return nil
	}
	return in.Doc.Root.Find(in.At)
}

func (in Input) src() []byte {
	if in.Doc == nil {
		return nil
	}
	return in.Doc.Src
}

// Diff compares base with head. The trees must be as jsonpos.Parse built
// them (unmodified), since unchanged subtrees are recognised by their bytes.
func (d *Differ) Diff(base, head Input) Result {
	b, h := base.root(), head.root()
	w := &walker{bsrc: base.src(), hsrc: head.src(), bat: base.At, hat: head.At, bs: d.side(b), hs: d.side(h)}
	switch {
	case b == nil && h == nil:
	case b == nil:
		w.emit(Added, d.root, nil, h)
	case h == nil:
		w.emit(Removed, d.root, b, nil)
	default:
		w.walk(d.root, b, h)
	}
	slices.SortFunc(w.changes, func(x, y Change) int {
		return cmp.Or(strings.Compare(x.Path, y.Path), cmp.Compare(x.Kind, y.Kind),
			strings.Compare(x.Base, y.Base), strings.Compare(x.Head, y.Head))
	})
	slices.SortFunc(w.dups, func(x, y Duplicate) int { return strings.Compare(x.Path, y.Path) })
	return Result{Changes: w.changes, Duplicates: w.dups}
}

// step is one step of the path being walked, kept on the walker's stack.
// Paths are rendered only when a change is found: most of the walk finds
// none, and it allocates nothing for the steps it takes.
type step struct {
	name    string // a member's name
	elem    bool
	spec    *arraySpec // for an identity-matched element: its array, identity and ordinal
	id      ident
	ordinal int
	bi      int // an element's index on each side; -1 where absent
	hi      int
}

type walker struct {
	bsrc, hsrc []byte
	bat, hat   string
	bs, hs     *side // what references name on each side
	// probe stops at the first difference and records nothing: it answers
	// "are these equal?" with the same rules as the walk.
	probe   bool
	found   bool
	stack   []step
	changes []Change
	dups    []Duplicate
}

func (w *walker) push(s step) { w.stack = append(w.stack, s) }
func (w *walker) pop()        { w.stack = w.stack[:len(w.stack)-1] }

// member and element are the steps to a member and to a positional element.
func member(name string) step { return step{name: name} }
func element(bi, hi int) step { return step{elem: true, bi: bi, hi: hi} }

// render returns the identity path, the base and head pointers and the
// shape of the walker's current path, and the length of the path after
// each step.
func (w *walker) render() (path, bp, hp string, shape []Token, prefix []int) {
	var p, b, h strings.Builder
	b.WriteString(w.bat)
	h.WriteString(w.hat)
	shape, prefix = make([]Token, len(w.stack)), make([]int, len(w.stack))
	for i, f := range w.stack {
		if !f.elem {
			tok := "/" + jsonpos.EscapeToken(f.name)
			p.WriteString(tok)
			b.WriteString(tok)
			h.WriteString(tok)
			shape[i], prefix[i] = Token{Name: f.name}, p.Len()
			continue
		}
		switch {
		case f.spec != nil:
			p.WriteString(f.id.selector(f.spec, f.ordinal))
		case f.hi >= 0:
			p.WriteString("/" + strconv.Itoa(f.hi))
		default:
			p.WriteString("/" + strconv.Itoa(f.bi))
		}
		b.WriteString("/" + strconv.Itoa(f.bi))
		h.WriteString("/" + strconv.Itoa(f.hi))
		shape[i], prefix[i] = Token{Elem: true}, p.Len()
	}
	return p.String(), b.String(), h.String(), shape, prefix
}

// emitAt emits a change one step below the current path.
func (w *walker) emitAt(s step, k Kind, n *node, b, h *jsonpos.Value) {
	w.push(s)
	w.emit(k, n, b, h)
	w.pop()
}

// walkAt walks one step below the current path.
func (w *walker) walkAt(s step, n *node, b, h *jsonpos.Value) bool {
	w.push(s)
	changed := w.walk(n, b, h)
	w.pop()
	return changed
}

func (w *walker) emit(k Kind, n *node, b, h *jsonpos.Value) {
	if w.probe {
		w.found = true
		return
	}
	c := Change{Kind: k, BaseValue: b, HeadValue: h}
	var bp, hp string
	c.Path, bp, hp, c.shape, c.prefix = w.render()
	if b != nil {
		c.Base = bp
		if k != Reordered {
			c.Before = w.bs.summary(n, b)
		}
	}
	if h != nil {
		c.Head = hp
		if k != Reordered {
			c.After = w.hs.summary(n, h)
		}
	}
	w.changes = append(w.changes, c)
}

// walk compares b and h, both present, at node n; it reports whether they
// differ.
func (w *walker) walk(n *node, b, h *jsonpos.Value) bool {
	if n.ref >= 0 {
		bt, bok := w.bs.resolve(n, b)
		ht, hok := w.hs.resolve(n, h)
		if bok && hok {
			if bt == ht {
				return false
			}
			w.emit(Changed, n, b, h)
			return true
		}
	}
	if b.Kind != h.Kind {
		if n.empty && isEmpty(b) && isEmpty(h) {
			return false
		}
		w.emit(Changed, n, b, h)
		return true
	}
	switch b.Kind {
	case jsonpos.Null:
		return false
	case jsonpos.Bool, jsonpos.String:
		if b.Text == h.Text {
			return false
		}
	case jsonpos.Number:
		if numberEqual(b.Text, h.Text) {
			return false
		}
	case jsonpos.Object:
		if rawEqual(w.bsrc, b, w.hsrc, h) {
			return false
		}
		return w.object(n, b, h)
	case jsonpos.Array:
		if rawEqual(w.bsrc, b, w.hsrc, h) {
			return false
		}
		if n.elem.ignore {
			return false
		}
		if n.array != nil {
			return w.identified(n, b, h)
		}
		return w.positional(n, b, h)
	}
	w.emit(Changed, n, b, h)
	return true
}

// numberEqual compares numbers by value (1.0 is 1); numbers beyond float64
// compare by their literal.
func numberEqual(a, b string) bool {
	if a == b {
		return true
	}
	fa, erra := strconv.ParseFloat(a, 64)
	fb, errb := strconv.ParseFloat(b, 64)
	return erra == nil && errb == nil && fa == fb
}

// lookup finds members by key, the last duplicate winning.
type lookup struct {
	v *jsonpos.Value
	m map[string]int
}

func newLookup(v *jsonpos.Value) lookup {
	l := lookup{v: v}
	if len(v.Kids) > 16 {
		l.m = make(map[string]int, len(v.Kids))
		for i := range v.Kids {
			l.m[v.Kids[i].Key] = i
		}
	}
	return l
}

func (l lookup) get(key string) *jsonpos.Value {
	if l.m == nil {
		return l.v.Get(key)
	}
	if i, ok := l.m[key]; ok {
		return &l.v.Kids[i]
	}
	return nil
}

func (w *walker) object(n *node, b, h *jsonpos.Value) bool {
	changed := false
	bl, hl := newLookup(b), newLookup(h)
	members(b, func(bm *jsonpos.Value) {
		if w.found {
			return
		}
		c := n.member(bm.Key)
		if c.ignore {
			return
		}
		hm := hl.get(bm.Key)
		switch {
		case hm == nil:
			if c.empty && isEmpty(bm) {
				return
			}
			w.emitAt(member(bm.Key), Removed, c, bm, nil)
			changed = true
		case w.walkAt(member(bm.Key), c, bm, hm):
			changed = true
		}
	})
	members(h, func(hm *jsonpos.Value) {
		if w.found {
			return
		}
		c := n.member(hm.Key)
		if c.ignore || bl.get(hm.Key) != nil || (c.empty && isEmpty(hm)) {
			return
		}
		w.emitAt(member(hm.Key), Added, c, nil, hm)
		changed = true
	})
	return changed
}

// equal reports whether b and h are equal under the walk's rules.
func (w *walker) equal(n *node, b, h *jsonpos.Value) bool {
	p := walker{bsrc: w.bsrc, hsrc: w.hsrc, bs: w.bs, hs: w.hs, probe: true}
	return !p.walk(n, b, h)
}

// positional compares an array whose order means something: a common
// prefix and suffix are matched first, so that inserting an element
// reports one addition rather than a change of every element after it;
// what is left is compared position by position.
func (w *walker) positional(n *node, b, h *jsonpos.Value) bool {
	el := n.elem
	nb, nh := len(b.Kids), len(h.Kids)
	pre, suf := 0, 0
	if nb != nh {
		if w.probe {
			w.found = true
			return true
		}
		m := min(nb, nh)
		for pre < m && w.equal(el, &b.Kids[pre], &h.Kids[pre]) {
			pre++
		}
		for suf < m-pre && w.equal(el, &b.Kids[nb-1-suf], &h.Kids[nh-1-suf]) {
			suf++
		}
	}
	changed := false
	k := pre
	for ; k < nb-suf && k < nh-suf; k++ {
		if w.walkAt(element(k, k), el, &b.Kids[k], &h.Kids[k]) {
			changed = true
			if w.probe {
				return true
			}
		}
	}
	for i := k; i < nb-suf; i++ {
		w.emitAt(element(i, -1), Removed, el, &b.Kids[i], nil)
		changed = true
	}
	for i := k; i < nh-suf; i++ {
		w.emitAt(element(-1, i), Added, el, nil, &h.Kids[i])
		changed = true
	}
	return changed
}
