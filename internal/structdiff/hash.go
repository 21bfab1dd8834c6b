package structdiff

import (
	"math"
	"strconv"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// The walk needs a content hash where values have no identity of their own
// (the elements of a set, duplicates of one key). Identity paths and the
// pairing of duplicates are built from it, and they must be the same on
// every run and machine, so unlike jsonpos.Hasher it is not seeded: FNV-1a
// for bytes, the MurmurHash3 finaliser to mix, sums for order-independence.

const (
	tagNull uint64 = iota + 0x9e3779b97f4a7c15
	tagFalse
	tagTrue
	tagNumber
	tagString
	tagArray
	tagObject
	tagSet
	tagMember
)

func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

func fnv(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// hash hashes v as the walk compares it at node n: ignored members left
// out, empty members like absent ones, sets in any order, numbers by value,
// references by what they name.
func (sd *side) hash(n *node, v *jsonpos.Value) uint64 {
	if text, ok := sd.resolve(n, v); ok {
		return mix(fnv(text) ^ tagString)
	}
	switch v.Kind {
	case jsonpos.Null:
		return mix(tagNull)
	case jsonpos.Bool:
		if v.Text == "true" {
			return mix(tagTrue)
		}
		return mix(tagFalse)
	case jsonpos.Number:
		if f, err := strconv.ParseFloat(v.Text, 64); err == nil {
			if f == 0 {
				f = 0 // -0 is 0
			}
			return mix(math.Float64bits(f) ^ tagNumber)
		}
		return mix(fnv(v.Text) ^ tagNumber)
	case jsonpos.String:
		return mix(fnv(v.Text) ^ tagString)
	case jsonpos.Array:
		el := n.elem
		if n.array != nil && !n.array.Ordered {
			var sum uint64
			count := 0
			for i := range v.Kids {
				if !el.ignore {
					sum += mix(sd.hash(el, &v.Kids[i]))
					count++
				}
			}
			return mix(sum ^ tagSet ^ uint64(count))
		}
		acc, count := uint64(0), 0
		for i := range v.Kids {
			if !el.ignore {
				acc = mix(acc*0x9e3779b97f4a7c15 + sd.hash(el, &v.Kids[i]) + 1)
				count++
			}
		}
		return mix(acc ^ tagArray ^ uint64(count))
	}
	var sum uint64
	count := 0
	members(v, func(m *jsonpos.Value) {
		c := n.member(m.Key)
		if c.ignore || (c.empty && isEmpty(m)) {
			return
		}
		sum += mix(fnv(m.Key)*0x9e3779b97f4a7c15 ^ sd.hash(c, m) ^ tagMember)
		count++
	})
	return mix(sum ^ tagObject ^ uint64(count))
}

// isEmpty is null, [] or {}.
func isEmpty(v *jsonpos.Value) bool {
	return v.Kind == jsonpos.Null || ((v.Kind == jsonpos.Array || v.Kind == jsonpos.Object) && len(v.Kids) == 0)
}

// members calls fn for the members of object v that Get would return: with
// a repeated key, only the last one counts, as in encoding/json.
func members(v *jsonpos.Value, fn func(m *jsonpos.Value)) {
	kids := v.Kids
	if len(kids) <= 16 {
		for i := range kids {
			if !shadowed(kids, i) {
				fn(&kids[i])
			}
		}
		return
	}
	last := make(map[string]int, len(kids))
	for i := range kids {
		last[kids[i].Key] = i
	}
	for i := range kids {
		if last[kids[i].Key] == i {
			fn(&kids[i])
		}
	}
}

// shadowed reports whether a later member has the same key as kids[i].
func shadowed(kids []jsonpos.Value, i int) bool {
	for j := i + 1; j < len(kids); j++ {
		if kids[j].Key == kids[i].Key {
			return true
		}
	}
	return false
}
