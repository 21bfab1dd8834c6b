// Package structdiff computes the normalised structural difference of two
// JSON documents: the set of paths whose values differ once formatting, key
// order, number spelling, the order of arrays whose order means nothing and
// a declared list of volatile fields are set aside.
//
// Each format declares its normalisation once, as a Spec: which arrays are
// matched by identity (and by which members), which are sets, and which
// fields are left out (with the reason). Every change is reported by an
// identity path that survives reordering ("/solution/config_slots[external_id=abc]/title")
// and by the concrete JSON pointers on the base and head sides, so a report
// can locate it.
//
// The package is pure: no I/O, no globals. A Differ is safe for concurrent
// use.
package structdiff

import (
	"fmt"
	"slices"
	"strings"
)

// Spec declares how a format's documents are normalised.
type Spec struct {
	// Arrays are the arrays matched by identity instead of position. An
	// array no entry declares is compared element by element, in order.
	Arrays []Array
	// Ignore lists fields left out of the comparison: volatile values such as
	// timestamps and internal version ids, derived copies, and values other
	// rules judge (declared versions).
	Ignore []Field
	// Empty lists members for which absent, null, [] and {} mean the same.
	Empty []Field
	// References are values compared by the identity of the element they
	// name.
	References []Reference
}

// Array declares an array whose elements are matched by identity.
type Array struct {
	// Path is a pattern (see Pattern) of the array.
	Path string
	// Keys are the identity members, tried in order: the first that holds a
	// non-empty scalar is the element's identity ("external_id", then
	// "key"). A key may be a relative path, "slot/externalId". Elements with
	// no key, and every element when Keys is empty (a set), are identified
	// by their value: a scalar by itself, anything else by a hash of its
	// normalised content.
	Keys []string
	// Ordered says that the order of the elements still means something
	// (the screens of a wizard): elements are matched by identity, and a
	// change in the order of matched elements is a Reordered change of the
	// array.
	Ordered bool
	// Why says why the order carries no meaning, or why these keys.
	Why string
}

// Field is a declared field with the reason for the declaration.
type Field struct {
	Path string // a pattern
	Why  string
}

type arraySpec struct {
	Array
	keys [][]string // Keys split into member names
}

// Differ compares documents under one compiled Spec.
type Differ struct {
	spec   Spec
	arrays []arraySpec
	refs   []Reference
	root   *node
}

// New compiles spec. Every pattern must parse, every reason be given: a
// normalisation nobody can explain is a hidden finding.
func New(spec Spec) (*Differ, error) {
	d := &Differ{spec: spec}
	a := &automaton{nodes: map[string]*node{}}
	lits := map[string]bool{}
	add := func(path, why string, kind patKind, array int) error {
		p, err := ParsePattern(path)
		if err != nil {
			return err
		}
		if strings.TrimSpace(why) == "" {
			return fmt.Errorf("pattern %q: give the reason for it", path)
		}
		for _, s := range p.segs {
			if strings.ContainsRune(s, 0) {
				return fmt.Errorf("pattern %q holds a NUL character", path)
			}
			if s != "*" && s != "**" {
				lits[s] = true
			}
		}
		a.pats = append(a.pats, compiledPat{segs: p.segs, kind: kind, array: array})
		return nil
	}
	for i, arr := range spec.Arrays {
		as := arraySpec{Array: arr}
		for _, k := range arr.Keys {
			if k == "" || strings.HasPrefix(k, "/") || strings.HasSuffix(k, "/") {
				return nil, fmt.Errorf("array %q: key %q must be a relative member path", arr.Path, k)
			}
			as.keys = append(as.keys, strings.Split(k, "/"))
		}
		d.arrays = append(d.arrays, as)
		if err := add(arr.Path, arr.Why, patArray, i); err != nil {
			return nil, err
		}
	}
	for _, f := range spec.Ignore {
		if err := add(f.Path, f.Why, patIgnore, -1); err != nil {
			return nil, err
		}
	}
	for _, f := range spec.Empty {
		if err := add(f.Path, f.Why, patEmpty, -1); err != nil {
			return nil, err
		}
	}
	for i, r := range spec.References {
		if r.Key == "" || strings.Contains(r.Array, "*") {
			return nil, fmt.Errorf("reference %q: name the key and the array without wildcards", r.Path)
		}
		d.refs = append(d.refs, r)
		if err := add(r.Path, r.Why, patRef, i); err != nil {
			return nil, err
		}
	}
	for l := range lits {
		a.lits = append(a.lits, l)
	}
	slices.Sort(a.lits)
	start := make([]item, len(a.pats))
	for i := range a.pats {
		start[i] = item{pat: i}
	}
	d.root = a.build(a.closure(start), d.arrays)
	for _, r := range spec.References {
		if d.at(PointerTokens(r.Array)).array == nil {
			return nil, fmt.Errorf("reference %q: the array %q it names is not declared in Arrays", r.Path, r.Array)
		}
	}
	return d, nil
}

// MustNew is New for specs written in code, which tests check: it panics on
// an invalid spec.
func MustNew(spec Spec) *Differ {
	d, err := New(spec)
	if err != nil {
		panic("structdiff: " + err.Error())
	}
	return d
}

// Spec returns the spec the Differ was built from.
func (d *Differ) Spec() Spec { return d.spec }

// at follows tokens from the root of the automaton.
func (d *Differ) at(tokens []Token) *node {
	n := d.root
	for _, t := range tokens {
		if t.Elem {
			n = n.elem
		} else {
			n = n.member(t.Name)
		}
	}
	return n
}

// ArrayAt returns the declaration of the array at the path, or nil when the
// array is compared by position.
func (d *Differ) ArrayAt(path []Token) *Array {
	if a := d.at(path).array; a != nil {
		return &a.Array
	}
	return nil
}
