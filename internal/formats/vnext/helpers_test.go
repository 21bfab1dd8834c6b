package vnext

import (
	"bytes"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

var update = flag.Bool("update", false, "rewrite golden files")

const samplePackage = "testdata/core-package"

// tree is a package's files by package path.
type tree map[string][]byte

var (
	sharedParserOnce sync.Once
	sharedParser     *Parser
	sharedParserErr  error
)

// parser returns one Parser for all tests: compiling the schemas takes tens
// of milliseconds.
func parser(tb testing.TB) *Parser {
	tb.Helper()
	sharedParserOnce.Do(func() { sharedParser, sharedParserErr = NewParser() })
	if sharedParserErr != nil {
		tb.Fatal(sharedParserErr)
	}
	return sharedParser
}

func loadTree(tb testing.TB, dir string) tree {
	tb.Helper()
	t := tree{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		t[filepath.ToSlash(rel)] = src
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func (t tree) clone() tree { return maps.Clone(t) }

func (t tree) files(tb testing.TB) []File {
	tb.Helper()
	paths := slices.Sorted(maps.Keys(t))
	files := make([]File, 0, len(paths))
	for _, p := range paths {
		d, err := formats.ParseJSON(p, t[p])
		if err != nil {
			tb.Fatalf("%s: %v", p, err)
		}
		files = append(files, File{Path: p, Doc: d})
	}
	return files
}

func (t tree) parse(tb testing.TB) *Package {
	tb.Helper()
	pkg, err := parser(tb).ParsePackage(t.files(tb))
	if err != nil {
		tb.Fatalf("ParsePackage: %v", err)
	}
	return pkg
}

// edit rewrites one file: fn changes its parsed tree, which is written back
// in the samples' style (two-space indentation), so an edit changes only the
// lines a person editing the file would change.
func (t tree) edit(tb testing.TB, path string, fn func(root *jsonpos.Value)) tree {
	tb.Helper()
	src, ok := t[path]
	if !ok {
		tb.Fatalf("no file %s", path)
	}
	d, err := jsonpos.Parse(path, slices.Clone(src))
	if err != nil {
		tb.Fatal(err)
	}
	fn(d.Root)
	out := t.clone()
	out[path] = writeJSON(d.Root, bytes.HasSuffix(src, []byte("\n")))
	return out
}

// at finds the value at pointer or fails the test.
func at(tb testing.TB, root *jsonpos.Value, pointer string) *jsonpos.Value {
	tb.Helper()
	v := root.Find(pointer)
	if v == nil {
		tb.Fatalf("nothing at %s", pointer)
	}
	return v
}

// removeAt deletes the array element or object member at pointer.
func removeAt(tb testing.TB, root *jsonpos.Value, pointer string) {
	tb.Helper()
	i := strings.LastIndex(pointer, "/")
	parent := at(tb, root, pointer[:i])
	tok := jsonpos.UnescapeToken(pointer[i+1:])
	for j := range parent.Kids {
		if (parent.Kind == jsonpos.Object && parent.Kids[j].Key == tok) ||
			(parent.Kind == jsonpos.Array && tok == itoa(j)) {
			parent.Kids = slices.Delete(slices.Clone(parent.Kids), j, j+1)
			return
		}
	}
	tb.Fatalf("nothing at %s", pointer)
}

// setMember sets (or adds) member key of the object at pointer to the JSON
// text val.
func setMember(tb testing.TB, root *jsonpos.Value, pointer, key, val string) {
	tb.Helper()
	obj := at(tb, root, pointer)
	nv := parseValue(tb, val)
	nv.Key = key
	for j := range obj.Kids {
		if obj.Kids[j].Key == key {
			obj.Kids[j] = nv
			return
		}
	}
	obj.Kids = append(slices.Clip(obj.Kids), nv)
}

// appendTo appends the JSON text val to the array at pointer.
func appendTo(tb testing.TB, root *jsonpos.Value, pointer, val string) {
	tb.Helper()
	arr := at(tb, root, pointer)
	arr.Kids = append(slices.Clip(arr.Kids), parseValue(tb, val))
}

func parseValue(tb testing.TB, val string) jsonpos.Value {
	tb.Helper()
	d, err := jsonpos.Parse("value", []byte(val))
	if err != nil {
		tb.Fatalf("bad test value %s: %v", val, err)
	}
	return *d.Root
}

func itoa(i int) string { return jsonpos.Pointer("", i)[1:] }

// writeJSON writes v as the samples are written: two-space indentation,
// "key": value, empty containers as [] and {}, non-ASCII text unescaped.
func writeJSON(v *jsonpos.Value, newline bool) []byte {
	var b bytes.Buffer
	writeValue(&b, v, 0)
	if newline {
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func writeValue(b *bytes.Buffer, v *jsonpos.Value, depth int) {
	indent := func(d int) { b.WriteString(strings.Repeat("  ", d)) }
	switch v.Kind {
	case jsonpos.Null:
		b.WriteString("null")
	case jsonpos.Bool, jsonpos.Number:
		b.WriteString(v.Text)
	case jsonpos.String:
		writeString(b, v.Text)
	case jsonpos.Array, jsonpos.Object:
		open, closing := byte('['), byte(']')
		if v.Kind == jsonpos.Object {
			open, closing = '{', '}'
		}
		b.WriteByte(open)
		if len(v.Kids) == 0 {
			b.WriteByte(closing)
			return
		}
		for i := range v.Kids {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
			indent(depth + 1)
			if v.Kind == jsonpos.Object {
				writeString(b, v.Kids[i].Key)
				b.WriteString(": ")
			}
			writeValue(b, &v.Kids[i], depth+1)
		}
		b.WriteByte('\n')
		indent(depth)
		b.WriteByte(closing)
	}
}

func writeString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode's newline
}

// compact writes the tree with no whitespace and the members of every
// object in reverse order: the same JSON, formatted unrecognisably.
func compactReversed(v *jsonpos.Value) []byte {
	var b bytes.Buffer
	var walk func(v *jsonpos.Value)
	walk = func(v *jsonpos.Value) {
		switch v.Kind {
		case jsonpos.Object:
			b.WriteByte('{')
			for i := len(v.Kids) - 1; i >= 0; i-- {
				writeString(&b, v.Kids[i].Key)
				b.WriteByte(':')
				walk(&v.Kids[i])
				if i > 0 {
					b.WriteByte(',')
				}
			}
			b.WriteByte('}')
		case jsonpos.Array:
			b.WriteByte('[')
			for i := range v.Kids {
				if i > 0 {
					b.WriteByte(',')
				}
				walk(&v.Kids[i])
			}
			b.WriteByte(']')
		default:
			writeValue(&b, v, 0)
		}
	}
	walk(v)
	return b.Bytes()
}

// lineOf is the 1-based line of the only occurrence of marker in src,
// counted independently of jsonpos.
func lineOf(tb testing.TB, src []byte, marker string) int {
	tb.Helper()
	i := bytes.Index(src, []byte(marker))
	if i < 0 || bytes.Count(src, []byte(marker)) != 1 {
		tb.Fatalf("marker %q occurs %d times", marker, bytes.Count(src, []byte(marker)))
	}
	return bytes.Count(src[:i], []byte("\n")) + 1
}

func sortedPaths(t tree) []string {
	p := slices.Collect(maps.Keys(t))
	sort.Strings(p)
	return p
}

func TestWriterReproducesSamples(t *testing.T) {
	for path, src := range loadTree(t, samplePackage) {
		d, err := jsonpos.Parse(path, src)
		if err != nil {
			t.Fatal(err)
		}
		// Two samples have trailing blanks on a line; nothing else may differ.
		want := regexp.MustCompile(`[ \t]+\n`).ReplaceAll(src, []byte("\n"))
		if got := writeJSON(d.Root, bytes.HasSuffix(src, []byte("\n"))); !bytes.Equal(got, want) {
			t.Errorf("%s: writing the parsed tree back changes the file", path)
		}
	}
}
