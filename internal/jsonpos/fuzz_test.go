package jsonpos

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks the parser against encoding/json: the same inputs are
// accepted, accepted inputs decode to the same values, and every recorded
// offset maps to the line and column an editor would show.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{}`, `[]`, `null`, `true`, `-0.5e+3`, `"a\u00e9\ud83d\ude00\n"`,
		"{\n  \"a\": [1, 2.5e3, \"x\"],\n  \"b\": {\"c\": null, \"d\": true}\n}",
		`{"a":1,"a":2}`, `[1,,]`, `{"a" 1}`, `"\ud800"`, "\xef\xbb\xbf{}", `01`, `[1]x`,
		`{"tray_export_version":4,"export_type":"project","workflows":[{"id":"w","steps":{}}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		doc, err := Parse("f.json", src)
		plain := bytes.TrimPrefix(src, []byte("\xef\xbb\xbf")) // Parse skips a BOM, encoding/json does not
		if valid := json.Valid(plain); valid != (err == nil) {
			t.Fatalf("json.Valid = %v, Parse error = %v", valid, err)
		}
		if err != nil {
			se, ok := err.(*SyntaxError)
			if !ok {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
			wantLine, wantCol := position(src, se.Offset)
			if se.Line != wantLine || se.Column != wantCol {
				t.Fatalf("error at offset %d reported at %d:%d, want %d:%d", se.Offset, se.Line, se.Column, wantLine, wantCol)
			}
			return
		}
		if utf8.Valid(plain) { // encoding/json replaces invalid UTF-8, Parse keeps the bytes
			dec := json.NewDecoder(bytes.NewReader(plain))
			dec.UseNumber()
			var want any
			if err := dec.Decode(&want); err != nil {
				t.Fatal(err)
			}
			if got := doc.Root.Interface(); !reflect.DeepEqual(got, want) {
				t.Fatalf("Interface() = %#v, encoding/json = %#v", got, want)
			}
		}
		h := NewHasher()
		if h.Value(doc.Root) != h.Value(doc.Root) {
			t.Fatal("hash is not deterministic")
		}
		var walk func(v *Value)
		walk = func(v *Value) {
			if v.Off < 0 || v.Off >= len(src) {
				t.Fatalf("offset %d outside the input", v.Off)
			}
			line, col := doc.Position(v.Off)
			if wl, wc := position(src, v.Off); line != wl || col != wc {
				t.Fatalf("offset %d at %d:%d, want %d:%d", v.Off, line, col, wl, wc)
			}
			for i := range v.Kids {
				walk(&v.Kids[i])
			}
		}
		walk(doc.Root)
	})
}

// position is the slow, obviously right line and column of a byte offset.
func position(src []byte, off int) (line, col int) {
	off = max(0, min(off, len(src)))
	line = 1 + bytes.Count(src[:off], []byte{'\n'})
	start := bytes.LastIndexByte(src[:off], '\n') + 1
	return line, utf8.RuneCount(src[start:off]) + 1
}
