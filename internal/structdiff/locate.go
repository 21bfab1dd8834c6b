package structdiff

import (
	"strconv"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// Identify turns a concrete pointer into the file of in (one that includes
// in.At, as findings carry) into the identity path Diff would report for
// it, so that two findings can be compared across files whose arrays are
// ordered differently. An element that shares its identity with another
// cannot be told apart from it by anything stable: it is written with "#?"
// ("[collectionRole=Vote#?]"). Steps the document does not have are kept as
// pointer steps; a pointer outside in.At is returned unchanged.
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
	for j := range arr.Kids {
		if j != i && sd.identify(spec, el, &arr.Kids[j]) == id {
			return strings.TrimSuffix(id.selector(spec, 1), "]") + "#?]"
		}
	}
	return id.selector(spec, 1)
}
