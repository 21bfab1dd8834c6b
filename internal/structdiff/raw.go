package structdiff

import (
	"bytes"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// valueEnd is the offset just after v in src, found from v's start and its
// last child without rescanning the value: the walk compares untouched
// subtrees as bytes, which is much faster than comparing them as trees and
// is the common case (an export re-saved with a few edits). v must be a tree
// as jsonpos.Parse built it, children in document order.
func valueEnd(src []byte, v *jsonpos.Value) int {
	switch v.Kind {
	case jsonpos.Null:
		return v.Off + 4
	case jsonpos.Bool, jsonpos.Number:
		return v.Off + len(v.Text)
	case jsonpos.String:
		for i := v.Off + 1; i < len(src); i++ {
			switch src[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return len(src)
	}
	i := v.Off + 1
	if n := len(v.Kids); n > 0 {
		i = valueEnd(src, &v.Kids[n-1])
	}
	for i < len(src) && src[i] != ']' && src[i] != '}' {
		i++ // whitespace before the closing bracket
	}
	return min(i+1, len(src))
}

// rawEqual reports whether two values are spelled with the same bytes, which
// implies that they are equal under any normalisation.
func rawEqual(bsrc []byte, b *jsonpos.Value, hsrc []byte, h *jsonpos.Value) bool {
	if len(b.Kids) != len(h.Kids) {
		return false
	}
	if b.Off < 0 || b.Off >= len(bsrc) || h.Off < 0 || h.Off >= len(hsrc) {
		return false // not a tree parsed from these bytes
	}
	be, he := valueEnd(bsrc, b), valueEnd(hsrc, h)
	if be > len(bsrc) || he > len(hsrc) || be-b.Off != he-h.Off {
		return false
	}
	return bytes.Equal(bsrc[b.Off:be], hsrc[h.Off:he])
}
