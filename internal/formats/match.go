package formats

import (
	"fmt"
	"slices"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// Matched is one element of a list matched across two versions by its
// identity (a slot's external_id, a recipe's collectionRole); Base or Head
// is the zero value for an element on one side only.
type Matched[T any] struct {
	Base, Head T
	// InBase and InHead say which sides hold the element.
	InBase, InHead bool
	// Identity is what the element was matched by.
	Identity string
	// Shared counts the elements of each side (base, head) with this
	// identity. More than one is invalid input: messages then say which of
	// them a finding compares.
	Shared [2]int
}

// Duplicated reports whether the identity is shared on either side.
func (m Matched[T]) Duplicated() bool { return m.Shared[0] > 1 || m.Shared[1] > 1 }

// Latest is the head element, or the base one when it was removed.
func (m Matched[T]) Latest() T {
	if m.InHead {
		return m.Head
	}
	return m.Base
}

// Note says, for the messages of findings about a duplicated element, which
// of the elements that share the identity they are about, in words that do
// not depend on the order of the file: what names the elements ("config
// slots"), shared what they share (`the identity "x"`), which the one meant
// (`the one with id "c2"`). It is "" when the identity is unique.
func (m Matched[T]) Note(what, shared, which string) string {
	if !m.Duplicated() {
		return ""
	}
	return fmt.Sprintf(" (%d %s share %s, which the platform rejects; paired by content, this is %s)",
		max(m.Shared[0], m.Shared[1]), what, shared, which)
}

// Match pairs the elements of base and head that have the same non-empty
// identity; elements without one are left out. The result is sorted by
// identity. Elements that share an identity on one side, which every
// platform rejects but a diff must still report alike whatever their order
// in the file, are paired by content as the coverage check pairs them
// (structdiff.PairByContent): equal elements first, then in the order of
// their content hashes. hash is called only for those.
func Match[T any](base, head []T, identity func(T) string, hash func(side change.Side, el T) uint64) []Matched[T] {
	group := func(xs []T) (map[string][]T, []string) {
		m := map[string][]T{}
		var order []string
		for _, x := range xs {
			id := identity(x)
			if id == "" {
				continue
			}
			if _, seen := m[id]; !seen {
				order = append(order, id)
			}
			m[id] = append(m[id], x)
		}
		return m, order
	}
	bm, border := group(base)
	hm, horder := group(head)
	ids := append(border, horder...)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var out []Matched[T]
	for _, id := range ids {
		bs, hs := bm[id], hm[id]
		shared := [2]int{len(bs), len(hs)}
		if len(bs) <= 1 && len(hs) <= 1 {
			m := Matched[T]{Identity: id, Shared: shared, InBase: len(bs) == 1, InHead: len(hs) == 1}
			if m.InBase {
				m.Base = bs[0]
			}
			if m.InHead {
				m.Head = hs[0]
			}
			out = append(out, m)
			continue
		}
		hashes := func(side change.Side, xs []T) []uint64 {
			out := make([]uint64, len(xs))
			for i, x := range xs {
				out[i] = hash(side, x)
			}
			return out
		}
		for _, p := range structdiff.PairByContent(hashes(change.Base, bs), hashes(change.Head, hs)) {
			m := Matched[T]{Identity: id, Shared: shared, InBase: p[0] >= 0, InHead: p[1] >= 0}
			if m.InBase {
				m.Base = bs[p[0]]
			}
			if m.InHead {
				m.Head = hs[p[1]]
			}
			out = append(out, m)
		}
	}
	return out
}

// ContentHasher hashes values of the two versions of an artifact by their
// content as the coverage check compares them, for Match: it compiles the
// format's normalisation and indexes a document only when first asked, as
// only invalid input with duplicate identities needs it. It is not safe for
// concurrent use.
type ContentHasher struct {
	spec   structdiff.Spec
	differ *structdiff.Differ
	sides  [2]structdiff.Input
	ids    [2]*structdiff.Identifier
}

// NewContentHasher hashes values of base and head under spec.
func NewContentHasher(spec structdiff.Spec, base, head structdiff.Input) *ContentHasher {
	return &ContentHasher{spec: spec, sides: [2]structdiff.Input{base, head}}
}

// Hash is the content hash of the value at pointer on side; 0 when the
// pointer leads nowhere.
func (h *ContentHasher) Hash(side change.Side, pointer string) uint64 {
	i := 1
	if side == change.Base {
		i = 0
	}
	if h.ids[i] == nil {
		if h.differ == nil {
			h.differ = structdiff.MustNew(h.spec)
		}
		h.ids[i] = h.differ.NewIdentifier(h.sides[i])
	}
	v, _ := h.ids[i].Hash(pointer)
	return v
}
