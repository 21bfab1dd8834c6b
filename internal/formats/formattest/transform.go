// Package formattest helps the format packages test that their findings do
// not depend on how a file is written: metamorphic transforms that rewrite
// a JSON document into an equivalent one (keys shuffled, arrays whose order
// means nothing shuffled, re-indented, an unknown field added on both
// sides), and Compare, which diffs the findings of a pair with those of
// every transformed pair.
//
// It is test support: it holds no state and does no I/O.
package formattest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// Side names the side of a comparison a transform is applied to: shuffles
// use another permutation on each side.
type Side int

const (
	BaseSide Side = iota
	HeadSide
)

// Transform rewrites a JSON document into one a format must read the same.
// name is the file's name in its Files.
type Transform struct {
	Name  string
	Apply func(name string, src []byte, side Side) ([]byte, error)
}

// Structure says which normalisation applies to a file and where its paths
// start in the document ("" or "/exportData"); a nil Differ leaves the file
// out of array shuffles and compares its pointers as they are.
type Structure func(name string, doc *jsonpos.Doc) (d *structdiff.Differ, at string)

// One is the Structure of a format with one normalisation for every file;
// root may be nil (the paths start at the root).
func One(d *structdiff.Differ, root func(*jsonpos.Doc) string) Structure {
	return func(_ string, doc *jsonpos.Doc) (*structdiff.Differ, string) {
		if root == nil {
			return d, ""
		}
		return d, root(doc)
	}
}

// rewrite is one way of writing a parsed document back.
type rewrite struct {
	indent      string // "" writes compact JSON
	keys        *rand.Rand
	arrays      *rand.Rand
	differ      *structdiff.Differ // which arrays may be shuffled
	at          []structdiff.Token // where the differ's paths start
	unknown     string             // member name added to objects at the depths below
	unknownJSON string
	depths      map[int]bool
	data        []structdiff.Pattern // objects whose members are data: nothing is added in them
}

func (r *rewrite) apply(src []byte) ([]byte, error) {
	d, err := jsonpos.Parse("transform.json", src)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	r.value(&b, d.Root, nil, 0)
	if r.indent != "" {
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

func (r *rewrite) newline(b *bytes.Buffer, depth int) {
	if r.indent == "" {
		return
	}
	b.WriteByte('\n')
	for range depth {
		b.WriteString(r.indent)
	}
}

func (r *rewrite) value(b *bytes.Buffer, v *jsonpos.Value, path []structdiff.Token, depth int) {
	switch v.Kind {
	case jsonpos.Null:
		b.WriteString("null")
	case jsonpos.Bool, jsonpos.Number:
		b.WriteString(v.Text)
	case jsonpos.String:
		writeString(b, v.Text)
	case jsonpos.Array:
		order := make([]int, len(v.Kids))
		for i := range order {
			order[i] = i
		}
		if r.arrays != nil && r.shuffles(path) {
			r.arrays.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		}
		b.WriteByte('[')
		for n, i := range order {
			if n > 0 {
				b.WriteByte(',')
			}
			r.newline(b, depth+1)
			r.value(b, &v.Kids[i], append(path, structdiff.Token{Elem: true}), depth+1)
		}
		if len(order) > 0 {
			r.newline(b, depth)
		}
		b.WriteByte(']')
	case jsonpos.Object:
		kids := v.Kids
		if r.keys != nil {
			kids = shuffleMembers(r.keys, kids)
		}
		b.WriteByte('{')
		n := 0
		member := func(key string, write func()) {
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			r.newline(b, depth+1)
			writeString(b, key)
			b.WriteByte(':')
			if r.indent != "" {
				b.WriteByte(' ')
			}
			write()
		}
		if r.unknown != "" && r.depths[depth] && v.Get(r.unknown) == nil && !r.inData(path) {
			member(r.unknown, func() { b.WriteString(r.unknownJSON) })
		}
		for i := range kids {
			m := &kids[i]
			member(m.Key, func() { r.value(b, m, append(path, structdiff.Token{Name: m.Key}), depth+1) })
		}
		if n > 0 {
			r.newline(b, depth)
		}
		b.WriteByte('}')
	}
}

// shuffles reports whether the array at path is one whose order means
// nothing: declared, identity-matched and not ordered.
func (r *rewrite) shuffles(path []structdiff.Token) bool {
	if r.differ == nil || len(path) < len(r.at) || !slices.Equal(path[:len(r.at)], r.at) {
		return false
	}
	a := r.differ.ArrayAt(path[len(r.at):])
	return a != nil && !a.Ordered
}

// inData reports whether path is one of the data objects, or beneath one.
func (r *rewrite) inData(path []structdiff.Token) bool {
	for _, p := range r.data {
		for n := 0; n <= len(path); n++ {
			if p.Match(path[:n]) {
				return true
			}
		}
	}
	return false
}

// shuffleMembers permutes members, keeping the relative order of members
// with the same name: with a repeated key the last one counts, and that
// must stay the same member.
func shuffleMembers(rng *rand.Rand, kids []jsonpos.Value) []jsonpos.Value {
	order := make([]int, len(kids))
	for i := range order {
		order[i] = i
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	byKey := map[string][]int{}
	for i := range kids {
		byKey[kids[i].Key] = append(byKey[kids[i].Key], i)
	}
	out := make([]jsonpos.Value, len(kids))
	for n, i := range order {
		same := byKey[kids[i].Key]
		out[n] = kids[same[0]]
		byKey[kids[i].Key] = same[1:]
	}
	return out
}

// writeString writes s as a JSON string, escaping only what JSON requires,
// so the bytes of the content stay as they were.
func writeString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(b, `\u%04x`, c)
		case c < utf8.RuneSelf:
			b.WriteByte(c)
		default:
			_, n := utf8.DecodeRuneInString(s[i:])
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		i++
	}
	b.WriteByte('"')
}

func rng(seed uint64, side Side) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(side)+1))
}

// ShuffleKeys writes every object's members in a random order.
func ShuffleKeys(seed uint64) Transform {
	return Transform{
		Name: "shuffle-keys/" + strconv.FormatUint(seed, 10),
		Apply: func(_ string, src []byte, side Side) ([]byte, error) {
			return (&rewrite{indent: "  ", keys: rng(seed, side)}).apply(src)
		},
	}
}

// ShuffleArrays writes the arrays that the file's structure declares
// unordered (matched by identity and not Ordered) in a random order.
func ShuffleArrays(s Structure, seed uint64) Transform {
	return Transform{
		Name: "shuffle-arrays/" + strconv.FormatUint(seed, 10),
		Apply: func(name string, src []byte, side Side) ([]byte, error) {
			doc, err := jsonpos.Parse(name, src)
			if err != nil {
				return nil, err
			}
			d, at := s(name, doc)
			r := &rewrite{indent: "  ", arrays: rng(seed, side), differ: d, at: structdiff.PointerTokens(at)}
			return r.apply(src)
		},
	}
}

// Reindent writes the document with another indentation: "" for compact
// JSON, "    ", "\t".
func Reindent(indent string) Transform {
	return Transform{
		Name:  "reindent/" + strconv.Quote(indent),
		Apply: func(_ string, src []byte, _ Side) ([]byte, error) { return (&rewrite{indent: indent}).apply(src) },
	}
}

// UnknownMember is the member AddUnknown adds: a name no format knows and
// an object value, which is what a newer exporter would add.
const (
	UnknownName  = "x-breakwater-unknown"
	UnknownValue = `{"note":"added by a newer exporter","n":1}`
)

// AddUnknown adds UnknownName to every object at the given depths (0 is
// the root) that does not have it, the same on both sides.
func AddUnknown(depths ...int) Transform { return AddUnknownOutside(nil, depths...) }

// AddUnknownOutside is AddUnknown for a format with objects whose members
// are data rather than fields (a .ckbk template's flat UserData block, where
// each member is an entry): nothing is added in the objects that data, a
// list of patterns (see structdiff.Pattern), matches, nor beneath them.
func AddUnknownOutside(data []string, depths ...int) Transform {
	set := map[int]bool{}
	for _, d := range depths {
		set[d] = true
	}
	var pats []structdiff.Pattern
	for _, d := range data {
		p, err := structdiff.ParsePattern(d)
		if err != nil {
			panic("formattest: data pattern: " + err.Error())
		}
		pats = append(pats, p)
	}
	return Transform{
		Name: fmt.Sprintf("add-unknown/%v", depths),
		Apply: func(_ string, src []byte, _ Side) ([]byte, error) {
			return (&rewrite{indent: "  ", unknown: UnknownName, unknownJSON: UnknownValue, depths: set, data: pats}).apply(src)
		},
	}
}

// Layout are the transforms that change how a document is written and
// nothing else: indentation, key order, the order of unordered arrays.
func Layout(s Structure) []Transform {
	return []Transform{
		Reindent(""), Reindent("    "), Reindent("\t"),
		ShuffleKeys(1), ShuffleKeys(2),
		ShuffleArrays(s, 1), ShuffleArrays(s, 2), ShuffleArrays(s, 3),
	}
}

// Unknown are the transforms that add an unknown field on both sides, at
// the root, near it and deep down; data lists the objects whose members are
// data (see AddUnknownOutside).
func Unknown(data ...string) []Transform {
	return []Transform{AddUnknownOutside(data, 0), AddUnknownOutside(data, 1, 2), AddUnknownOutside(data, 3, 4, 5)}
}

// Standard is the set of transforms every format's pairs are checked with:
// Layout and Unknown.
func Standard(s Structure) []Transform {
	return append(Layout(s), Unknown()...)
}
