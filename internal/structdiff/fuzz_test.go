package structdiff

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// swapped is c as Diff(head, base) must report it.
func swapped(c Change) brief {
	kind := c.Kind
	switch kind {
	case Added:
		kind = Removed
	case Removed:
		kind = Added
	}
	return brief{kind.String(), c.Path, c.Head, c.Base, c.After, c.Before}
}

// FuzzDiff compares two arbitrary JSON documents under testSpec. It must
// never panic; a document compared with itself, or with itself re-indented,
// has no change; swapping the sides swaps additions and removals and
// nothing else; and the pointers of a change lead to its values.
func FuzzDiff(f *testing.F) {
	pairs := [][2]string{
		{`{"slots": [{"key": "k", "v": 1}, {"key": "k", "v": 2}]}`, `{"slots": [{"key": "k", "v": 3}, {"key": "k", "v": 2}]}`},
		{`{"screens": [{"id": "a", "items": [{"slot": {"externalId": "x"}}]}, {"id": "b"}]}`, `{"screens": [{"id": "b"}, {"id": "a", "items": []}]}`},
		{`{"slots": [{"external_id": "e", "scopes": ["a", "a", "b"], "conditions": null}]}`, `{"slots": [{"key": "e", "scopes": ["b", "a"]}]}`},
		{`[1, 2, 3, {"labels": [{"language": "en"}, {"language": "en"}]}]`, `[0, 1, 2, 3, {"labels": [{"language": "en", "x": 1}]}]`},
		{`{"workflows": [{"version": {"id": 1}}], "a": 1e400, "b": -0}`, `{"workflows": [{"version": {"id": 2}}], "a": 1E400, "b": 0.0}`},
		{`"x"`, `{"a": "\u00e9\ud800"}`},
		{`{"slots": [{"key": "k", "group": "g", "scopes": ["k", "j"]}], "steps": [{"group": "g"}, {"group": "h"}]}`,
			`{"slots": [{"key": "j", "group": "g"}, {"key": "k", "group": 1, "scopes": ["j"]}], "steps": [{"group": 1}, {"group": "g"}]}`},
	}
	for _, p := range pairs {
		f.Add([]byte(p[0]), []byte(p[1]))
	}
	d := MustNew(testSpec)
	f.Fuzz(func(t *testing.T, a, b []byte) {
		da, err := jsonpos.Parse("a.json", a)
		if err != nil {
			return
		}
		db, err := jsonpos.Parse("b.json", b)
		if err != nil {
			return
		}
		in := func(doc *jsonpos.Doc) Input { return Input{Doc: doc} }
		if r := d.Diff(in(da), in(da)); len(r.Changes) != 0 {
			t.Fatalf("a document differs from itself: %v", r.Changes[0])
		}
		var indented bytes.Buffer
		if json.Indent(&indented, a, "", "\t") == nil {
			if di, err := jsonpos.Parse("i.json", indented.Bytes()); err == nil {
				if r := d.Diff(in(da), in(di)); len(r.Changes) != 0 {
					t.Fatalf("re-indenting is a change: %v", r.Changes[0])
				}
				// Nor does it change what the changes say.
				plain, re := d.Diff(in(da), in(db)), d.Diff(in(di), in(db))
				if len(plain.Changes) != len(re.Changes) {
					t.Fatalf("re-indenting the base finds %d changes, not %d", len(re.Changes), len(plain.Changes))
				}
				for i, c := range plain.Changes {
					if r := re.Changes[i]; r.String() != c.String() || r.Before != c.Before {
						t.Fatalf("re-indenting the base turns %v (%s) into %v (%s)", c, c.Before, r, r.Before)
					}
				}
			}
		}
		ab, ba := d.Diff(in(da), in(db)), d.Diff(in(db), in(da))
		if len(ab.Changes) != len(ba.Changes) {
			t.Fatalf("%d changes one way, %d the other", len(ab.Changes), len(ba.Changes))
		}
		want := map[brief]int{}
		for _, c := range ab.Changes {
			want[swapped(c)]++
		}
		for _, c := range ba.Changes {
			got := brief{c.Kind.String(), c.Path, c.Base, c.Head, c.Before, c.After}
			if want[got] == 0 {
				t.Fatalf("b→a reports %+v, which a→b does not mirror", got)
			}
			want[got]--
		}
		for _, c := range ab.Changes {
			if (c.BaseValue != nil) != (c.Kind != Added) || (c.HeadValue != nil) != (c.Kind != Removed) {
				t.Fatalf("%v: values on the wrong sides", c)
			}
			if c.BaseValue != nil && da.Root.Find(c.Base) != c.BaseValue {
				t.Fatalf("%v: base pointer %q does not lead to its value", c, c.Base)
			}
			if c.HeadValue != nil && db.Root.Find(c.Head) != c.HeadValue {
				t.Fatalf("%v: head pointer %q does not lead to its value", c, c.Head)
			}
			if len(ab.Duplicates) == 0 && c.Kind != Reordered {
				side, ptr := in(db), c.Head
				if c.Kind == Removed {
					side, ptr = in(da), c.Base
				}
				if got := d.Identify(side, ptr); got != c.Path {
					t.Fatalf("Identify(%q) = %q, the change says %q", ptr, got, c.Path)
				}
			}
		}
	})
}
