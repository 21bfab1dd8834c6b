package structdiff

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// Identify turns a concrete pointer into the file of in (one that includes
// in.At, as findings carry) into the identity path Diff would report for
// it, so that two findings can be compared across files whose arrays are
// ordered differently. Duplicates of one identity are numbered by the
// order of their content hashes within this document. Steps the document
// does not have are kept as pointer steps; a pointer outside in.At is
// returned unchanged.
func (d *Differ) Identify(in Input, pointer string) string {
	if !strings.HasPrefix(pointer, in.At) || (len(pointer) > len(in.At) && pointer[len(in.At)] != '/') {
		return pointer
	}
	rest := strings.TrimPrefix(pointer, in.At)
	v, n := in.root(), d.root
	sd := d.side(v)
	var out strings.Builder
	for _, tok := range PointerTokens(rest) {
		if v == nil || v.Kind != jsonpos.Array {
			out.WriteString("/" + jsonpos.EscapeToken(tok.Name))
			if v != nil {
				v = v.Get(tok.Name)
			}
			n = n.member(tok.Name)
			continue
		}
		i, err := strconv.Atoi(tok.Name)
		el := n.elem
		if err != nil || i < 0 || i >= len(v.Kids) {
			out.WriteString("/" + jsonpos.EscapeToken(tok.Name))
			v, n = nil, el
			continue
		}
		if n.array == nil {
			out.WriteString("/" + tok.Name)
		} else {
			out.WriteString(sd.ordinalSelector(n.array, el, v, i))
		}
		v, n = &v.Kids[i], el
	}
	return out.String()
}

func (sd *side) ordinalSelector(spec *arraySpec, el *node, arr *jsonpos.Value, i int) string {
	id := sd.identify(spec, el, &arr.Kids[i])
	type member struct {
		i    int
		hash uint64
	}
	var same []member
	for j := range arr.Kids {
		if j == i || sd.identify(spec, el, &arr.Kids[j]) == id {
			same = append(same, member{j, sd.hash(el, &arr.Kids[j])})
		}
	}
	// Equal duplicates cannot be told apart: they share an ordinal.
	slices.SortStableFunc(same, func(x, y member) int { return cmp.Compare(x.hash, y.hash) })
	ordinal := 0
	for k, m := range same {
		if k == 0 || m.hash != same[k-1].hash {
			ordinal++
		}
		if m.i == i {
			break
		}
	}
	return id.selector(spec, ordinal)
}
