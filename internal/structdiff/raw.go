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

// rawEqual reports whether two values are spelled with the same tokens,
// whitespace aside, which implies that they are equal under any
// normalisation. Identical bytes are the common case (a file re-exported
// with a few edits) and cost a memory compare; the same tokens differently
// indented (a file re-formatted) cost a scan.
func rawEqual(bsrc []byte, b *jsonpos.Value, hsrc []byte, h *jsonpos.Value) bool {
	if len(b.Kids) != len(h.Kids) {
		return false
	}
	if b.Off < 0 || b.Off >= len(bsrc) || h.Off < 0 || h.Off >= len(hsrc) {
		return false // not a tree parsed from these bytes
	}
	be, he := valueEnd(bsrc, b), valueEnd(hsrc, h)
	if be > len(bsrc) || he > len(hsrc) {
		return false
	}
	if be-b.Off == he-h.Off && bytes.Equal(bsrc[b.Off:be], hsrc[h.Off:he]) {
		return true
	}
	return tokensEqual(bsrc[b.Off:be], hsrc[h.Off:he])
}

// tokensEqual compares two spans of valid JSON byte by byte, skipping the
// whitespace between tokens.
func tokensEqual(a, b []byte) bool {
	i, j := 0, 0
	inString := false
	for {
		if !inString {
			for i < len(a) && isSpace(a[i]) {
				i++
			}
			for j < len(b) && isSpace(b[j]) {
				j++
			}
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		c := a[i]
		if c != b[j] {
			return false
		}
		i, j = i+1, j+1
		switch {
		case !inString:
			inString = c == '"'
		case c == '\\': // the escaped byte must match too
			if i == len(a) || j == len(b) || a[i] != b[j] {
				return false
			}
			i, j = i+1, j+1
		case c == '"':
			inString = false
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
