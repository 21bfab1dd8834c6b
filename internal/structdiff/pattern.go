package structdiff

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// Token is one step of a path through a document: an object member or an
// array element.
type Token struct {
	Name string // the member name; empty for an element
	Elem bool
}

// Pattern matches the shape of a path: JSON-pointer syntax in which "*"
// stands for any one step (a member or an element) and "**" for any run of
// steps, including none. "/solution/auth_slots/*/scopes" matches the scopes
// of every auth slot; "/**/labels" matches labels at any depth. A literal
// token matches a member of that name, never an element.
type Pattern struct {
	src  string
	segs []string
}

// ParsePattern parses a pattern; "" matches the root.
func ParsePattern(s string) (Pattern, error) {
	if s == "" {
		return Pattern{}, nil
	}
	if !strings.HasPrefix(s, "/") {
		return Pattern{}, fmt.Errorf("pattern %q must be empty or start with /", s)
	}
	segs := strings.Split(s[1:], "/")
	for i, seg := range segs {
		if seg != "*" && seg != "**" {
			if strings.Contains(seg, "*") {
				return Pattern{}, fmt.Errorf("pattern %q: %q mixes * with a name", s, seg)
			}
			segs[i] = jsonpos.UnescapeToken(seg)
		}
	}
	return Pattern{src: s, segs: segs}, nil
}

func (p Pattern) String() string { return p.src }

// Match reports whether the path tokens match the pattern as a whole.
func (p Pattern) Match(path []Token) bool { return matchSegs(p.segs, path) }

func matchSegs(segs []string, path []Token) bool {
	for len(segs) > 0 {
		switch seg := segs[0]; seg {
		case "**":
			for i := 0; i <= len(path); i++ {
				if matchSegs(segs[1:], path[i:]) {
					return true
				}
			}
			return false
		case "*":
			if len(path) == 0 {
				return false
			}
		default:
			if len(path) == 0 || path[0].Elem || path[0].Name != seg {
				return false
			}
		}
		segs, path = segs[1:], path[1:]
	}
	return len(path) == 0
}

// PointerTokens splits an RFC 6901 pointer into tokens. Whether a token
// names an element cannot be told from the pointer alone; numeric tokens
// are returned as members named by the number, which "*" matches as well.
func PointerTokens(pointer string) []Token {
	if pointer == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	out := make([]Token, len(parts))
	for i, p := range parts {
		out[i] = Token{Name: jsonpos.UnescapeToken(p)}
	}
	return out
}

// The patterns of a spec are compiled into one deterministic automaton over
// path steps, so the walk pays one map lookup per member it visits and
// nothing for the members of subtrees no pattern reaches.

type patKind uint8

const (
	patArray patKind = iota
	patIgnore
	patEmpty
	patRef
)

type compiledPat struct {
	segs  []string
	kind  patKind
	array int // index into the spec's arrays (patArray) or references (patRef)
}

// node is one state of the automaton: the set of (pattern, position) pairs
// still alive after the steps taken so far.
type node struct {
	ignore bool // a member or element here is left out of the comparison
	empty  bool // absent, null, [] and {} are the same here
	array  *arraySpec
	ref    int              // index of the reference whose values sit here; -1 for none
	lit    map[string]*node // steps by member names that some pattern spells out
	other  *node            // any other member name
	elem   *node            // an array element
	live   bool             // some pattern may still match at or below
}

func (n *node) member(name string) *node {
	if next, ok := n.lit[name]; ok {
		return next
	}
	return n.other
}

type item struct{ pat, pos int }

type automaton struct {
	pats  []compiledPat
	nodes map[string]*node
	lits  []string
}

func key(items []item) string {
	var b strings.Builder
	for _, it := range items {
		b.WriteString(strconv.Itoa(it.pat))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(it.pos))
		b.WriteByte(',')
	}
	return b.String()
}

// closure adds, for every position at a "**", the position after it: the
// run may be empty.
func (a *automaton) closure(items []item) []item {
	seen := map[item]bool{}
	var out []item
	var add func(it item)
	add = func(it item) {
		if seen[it] {
			return
		}
		seen[it] = true
		out = append(out, it)
		if segs := a.pats[it.pat].segs; it.pos < len(segs) && segs[it.pos] == "**" {
			add(item{it.pat, it.pos + 1})
		}
	}
	for _, it := range items {
		add(it)
	}
	slices.SortFunc(out, func(x, y item) int {
		if x.pat != y.pat {
			return x.pat - y.pat
		}
		return x.pos - y.pos
	})
	return out
}

func (a *automaton) step(items []item, tok Token) []item {
	var next []item
	for _, it := range items {
		segs := a.pats[it.pat].segs
		if it.pos >= len(segs) {
			continue
		}
		switch seg := segs[it.pos]; {
		case seg == "**":
			next = append(next, it)
		case seg == "*" || (!tok.Elem && seg == tok.Name):
			next = append(next, item{it.pat, it.pos + 1})
		}
	}
	return a.closure(next)
}

// build makes the node for items and, recursively, every node reachable
// from it. The alphabet is finite (the literal names, "any other name" and
// "an element"), so the construction ends.
func (a *automaton) build(items []item, arrays []arraySpec) *node {
	k := key(items)
	if n, ok := a.nodes[k]; ok {
		return n
	}
	n := &node{live: len(items) > 0, ref: -1}
	a.nodes[k] = n
	for _, it := range items {
		p := a.pats[it.pat]
		if it.pos != len(p.segs) {
			continue
		}
		switch p.kind {
		case patIgnore:
			n.ignore = true
		case patEmpty:
			n.empty = true
		case patArray:
			if n.array == nil { // the first declaration wins
				n.array = &arrays[p.array]
			}
		case patRef:
			if n.ref < 0 {
				n.ref = p.array
			}
		}
	}
	if !n.live {
		n.other, n.elem = n, n
		return n
	}
	// "\x00" is no literal of any pattern, so it stands for every other name.
	n.other = a.build(a.step(items, Token{Name: "\x00"}), arrays)
	n.elem = a.build(a.step(items, Token{Elem: true}), arrays)
	for _, l := range a.lits {
		if next := a.build(a.step(items, Token{Name: l}), arrays); next != n.other {
			if n.lit == nil {
				n.lit = map[string]*node{}
			}
			n.lit[l] = next
		}
	}
	return n
}
