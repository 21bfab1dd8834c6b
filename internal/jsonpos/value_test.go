package jsonpos

import (
	"encoding/json"
	"testing"
)

func TestParsePositionsAndEscapes(t *testing.T) {
	src := []byte("{\n  \"a\": [1, 2.5e3, \"x\\u00e9\\ud83d\\ude00\"],\n  \"b\": {\"c\": null, \"d\": true}\n}")
	d, err := Parse("f.json", src)
	if err != nil {
		t.Fatal(err)
	}
	v := d.Root.Find("/a/2")
	if v.Text != "xé😀" {
		t.Fatalf("%q", v.Text)
	}
	l, c := d.PositionOf(d.Root.Find("/b/d"))
	if l != 3 || c != 25 {
		t.Fatalf("%d:%d", l, c)
	}
	var want any
	json.Unmarshal(src, &want)
	_, err = Parse("bad.json", []byte("{\n \"a\": [1,,]\n}"))
	if err == nil || err.Error() != "bad.json:2:10: invalid JSON: unexpected ',', expected a value" {
		t.Fatal(err)
	}
}

func TestEqualDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{`{"a":1,"a":2}`, `{"a":1,"a":2}`, true},
		{`{"a":1,"a":2}`, `{"a":2}`, true},
		{`{"a":1,"a":2}`, `{"a":1}`, false},
		{`{"a":1,"b":2}`, `{"b":2,"a":1.0}`, true},
		{`{"a":1,"b":2}`, `{"a":1,"c":2}`, false},
	} {
		a, _ := Parse("a", []byte(tc.a))
		b, _ := Parse("b", []byte(tc.b))
		if got := Equal(a.Root, b.Root); got != tc.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
