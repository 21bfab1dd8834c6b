package jsonpos

import (
	"hash/maphash"
	"math"
	"strconv"
)

// Hasher computes 64-bit hashes of values in one pass, without building
// canonical text: the fast way to ask "did this large subtree change?".
//
// Hashes ignore key order and number formatting, as Equal does, so
// Equal(a, b) implies equal hashes (for objects without duplicate keys). They are seeded per Hasher: compare only
// hashes made by the same Hasher, and never store them.
type Hasher struct {
	seed maphash.Seed
}

// NewHasher returns a Hasher with a fresh random seed.
func NewHasher() *Hasher { return &Hasher{seed: maphash.MakeSeed()} }

// Distinct tags keep values of different kinds apart ("1" and 1, [] and {}).
const (
	tagNull uint64 = 0x1000193 * (iota + 1) // small distinct constants; mix spreads them
	tagFalse
	tagTrue
	tagNumber
	tagString
	tagArray
	tagObject
	tagSet
	tagMember
)

// mix is the 64-bit finaliser of MurmurHash3: every input bit affects every
// output bit, which the order-independent sums below rely on.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// Value hashes v; nil hashes like null.
func (h *Hasher) Value(v *Value) uint64 {
	if v == nil {
		return mix(tagNull)
	}
	switch v.Kind {
	case Bool:
		if v.Text == "true" {
			return mix(tagTrue)
		}
		return mix(tagFalse)
	case Number:
		return h.number(v.Text)
	case String:
		return h.String(v.Text)
	case Array:
		a := ArrayHash{}
		for i := range v.Kids {
			a.Add(h.Value(&v.Kids[i]))
		}
		return a.Sum()
	case Object:
		o := ObjectHash{}
		for i := range v.Kids {
			o.Add(h, v.Kids[i].Key, h.Value(&v.Kids[i]))
		}
		return o.Sum()
	}
	return mix(tagNull)
}

// String hashes a JSON string value.
func (h *Hasher) String(s string) uint64 {
	return mix(maphash.String(h.seed, s) ^ tagString)
}

func (h *Hasher) number(text string) uint64 {
	f, err := strconv.ParseFloat(text, 64)
	if err != nil { // out of range: only the literal is left to compare
		return mix(maphash.String(h.seed, text) ^ tagNumber)
	}
	if f == 0 {
		f = 0 // -0 equals 0
	}
	return mix(math.Float64bits(f) ^ tagNumber)
}

// Set hashes an array as a multiset: element order does not matter.
func (h *Hasher) Set(v *Value) uint64 {
	if v == nil || v.Kind != Array {
		return h.Value(v)
	}
	var sum uint64
	for i := range v.Kids {
		sum += mix(h.Value(&v.Kids[i]))
	}
	return mix(sum ^ tagSet ^ uint64(len(v.Kids)))
}

// ArrayHash accumulates the element hashes of an array, in order.
type ArrayHash struct {
	acc uint64
	n   int
}

// Add appends one element's hash.
func (a *ArrayHash) Add(elem uint64) {
	a.acc = mix(a.acc*0x9e3779b97f4a7c15 + elem + 1)
	a.n++
}

// Sum is the array's hash.
func (a ArrayHash) Sum() uint64 { return mix(a.acc ^ tagArray ^ uint64(a.n)) }

// ObjectHash accumulates the members of an object in any order, so callers
// can hash an object while leaving some members out or hashing them their
// own way. With every member added as h.Value would, Sum equals h.Value.
type ObjectHash struct {
	sum uint64
	n   int
}

// Add adds one member with the hash of its value.
func (o *ObjectHash) Add(h *Hasher, key string, value uint64) {
	o.sum += mix(maphash.String(h.seed, key)*0x9e3779b97f4a7c15 ^ value ^ tagMember)
	o.n++
}

// Sum is the object's hash.
func (o ObjectHash) Sum() uint64 { return mix(o.sum ^ tagObject ^ uint64(o.n)) }
