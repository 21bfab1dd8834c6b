package structdiff

import (
	"fmt"
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// maxSummary bounds the canonical JSON a change carries; longer values are
// summarised by their hash.
const maxSummary = 120

// summary is v as the walk compares it at node n, written as canonical JSON
// when that fits in maxSummary bytes, else "#" and its hash. Like the hash,
// it never depends on layout, key order or the order of unordered arrays:
// findings built from it must not change when a file is only rewritten.
func (sd *side) summary(n *node, v *jsonpos.Value) string {
	var b strings.Builder
	if sd.canonical(&b, n, v, maxSummary) {
		return b.String()
	}
	return fmt.Sprintf("#%016x", sd.hash(n, v))
}

// canonical writes v normalised at node n to b, and reports whether it fit
// in limit bytes; it stops writing as soon as it does not, so a large value
// costs no more than the limit (plus its members' names).
func (sd *side) canonical(b *strings.Builder, n *node, v *jsonpos.Value, limit int) bool {
	switch v.Kind {
	case jsonpos.Array:
		el := n.elem
		var parts []string
		room := limit - 2
		for i := range v.Kids {
			if el.ignore {
				break
			}
			var p strings.Builder
			if !sd.canonical(&p, el, &v.Kids[i], room) {
				return false
			}
			room -= p.Len() + 1
			parts = append(parts, p.String())
		}
		if n.array != nil && !n.array.Ordered {
			slices.Sort(parts)
		}
		b.WriteByte('[')
		b.WriteString(strings.Join(parts, ","))
		b.WriteByte(']')
	case jsonpos.Object:
		var keys []string
		byKey := map[string]*jsonpos.Value{}
		members(v, func(m *jsonpos.Value) {
			c := n.member(m.Key)
			if c.ignore || (c.empty && isEmpty(m)) {
				return
			}
			keys = append(keys, m.Key)
			byKey[m.Key] = m
		})
		slices.Sort(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonpos.Canonical(&jsonpos.Value{Kind: jsonpos.String, Text: k}))
			b.WriteByte(':')
			if b.Len() > limit || !sd.canonical(b, n.member(k), byKey[k], limit) {
				return false
			}
		}
		b.WriteByte('}')
	default:
		b.WriteString(jsonpos.Canonical(v))
	}
	return b.Len() <= limit
}
