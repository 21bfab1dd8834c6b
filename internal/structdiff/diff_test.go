package structdiff

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// testSpec exercises every kind of declaration on a small export-like shape.
var testSpec = Spec{
	Arrays: []Array{
		{Path: "/slots", Keys: []string{"external_id", "key"}, Why: "slots are matched by external_id, else key"},
		{Path: "/slots/*/scopes", Why: "scopes are a set"},
		{Path: "/screens", Keys: []string{"id"}, Ordered: true, Why: "screens are shown in order"},
		{Path: "/screens/*/items", Keys: []string{"slot/externalId"}, Why: "items by the slot they show"},
		{Path: "/**/labels", Keys: []string{"language"}, Why: "one label per language"},
	},
	Ignore: []Field{
		{Path: "/workflows/*/version", Why: "changes on every save"},
		{Path: "/slots/*/usage/*/version_id", Why: "copy of the workflow version"},
	},
	Empty: []Field{{Path: "/slots/*/conditions", Why: "absent conditions are no conditions"}},
	References: []Reference{
		{Path: "/steps/*/group", Array: "/slots", Key: "group", Why: "a step names its slot by group"},
		{Path: "/slots/*/scopes/*", Array: "/slots", Key: "key", Why: "to fuzz references in a set"},
	},
}

func parse(t testing.TB, name, src string) *jsonpos.Doc {
	t.Helper()
	d, err := jsonpos.Parse(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// brief is a change as tests compare it.
type brief struct {
	Kind          string
	Path          string
	Base, Head    string
	Before, After string
}

func briefs(r Result) []brief {
	out := []brief{}
	for _, c := range r.Changes {
		out = append(out, brief{c.Kind.String(), c.Path, c.Base, c.Head, c.Before, c.After})
	}
	return out
}

func TestDiff(t *testing.T) {
	d := MustNew(testSpec)
	tests := []struct {
		name       string
		base, head string
		want       []brief
	}{
		{"formatting, key order and number spelling are no change",
			`{"a": 1, "b": {"x": [1, 2.50], "y": "s"}}`,
			"{\"b\":{\"y\":\"s\",\n\t\"x\":[1.0,2.5e0]},\"a\":10e-1}", []brief{}},
		{"a scalar changes",
			`{"a": 1, "b": {"c": "x"}}`, `{"a": 1, "b": {"c": "y"}}`,
			[]brief{{"changed", "/b/c", "/b/c", "/b/c", `"x"`, `"y"`}}},
		{"a type changes",
			`{"a": {"x": 1}}`, `{"a": [1]}`,
			[]brief{{"changed", "/a", "/a", "/a", `{"x":1}`, `[1]`}}},
		{"members added and removed",
			`{"a": 1, "gone": true}`, `{"a": 1, "new": null}`,
			[]brief{{"removed", "/gone", "/gone", "", "true", ""}, {"added", "/new", "", "/new", "", "null"}}},
		{"keyed array reordered and edited",
			`{"slots": [{"external_id": "a", "title": "A"}, {"external_id": "b", "title": "B"}]}`,
			`{"slots": [{"external_id": "b", "title": "B2"}, {"external_id": "a", "title": "A"}]}`,
			[]brief{{"changed", "/slots[external_id=b]/title", "/slots/1/title", "/slots/0/title", `"B"`, `"B2"`}}},
		{"fallback key and an added element",
			`{"slots": [{"key": "k", "type": "string"}]}`,
			`{"slots": [{"external_id": "e", "type": "x"}, {"key": "k", "type": "number"}]}`,
			[]brief{
				{"added", "/slots[external_id=e]", "", "/slots/0", "", `{"external_id":"e","type":"x"}`},
				{"changed", "/slots[key=k]/type", "/slots/0/type", "/slots/1/type", `"string"`, `"number"`},
			}},
		{"a set: order and repeats",
			`{"slots": [{"key": "k", "scopes": ["a", "b", "c"]}]}`,
			`{"slots": [{"key": "k", "scopes": ["c", "d", "a"]}]}`,
			[]brief{
				{"removed", `/slots[key=k]/scopes["b"]`, "/slots/0/scopes/1", "", `"b"`, ""},
				{"added", `/slots[key=k]/scopes["d"]`, "", "/slots/0/scopes/1", "", `"d"`},
			}},
		{"ignored volatile fields",
			`{"workflows": [{"id": 1, "version": {"id": "v1"}}], "slots": [{"key": "k", "usage": [{"workflow_id": 1, "version_id": "v1"}]}]}`,
			`{"workflows": [{"id": 1, "version": {"id": "v2", "created": "now"}}], "slots": [{"key": "k", "usage": [{"workflow_id": 1, "version_id": "v2"}]}]}`,
			[]brief{}},
		{"empty is absent where declared, not elsewhere",
			`{"slots": [{"key": "k", "conditions": [], "other": []}]}`,
			`{"slots": [{"key": "k"}]}`,
			[]brief{{"removed", "/slots[key=k]/other", "/slots/0/other", "", "[]", ""}}},
		{"ordered keyed array: a move is a reorder",
			`{"screens": [{"id": "s1"}, {"id": "s2"}, {"id": "s3"}]}`,
			`{"screens": [{"id": "s2"}, {"id": "s1"}, {"id": "s3"}]}`,
			[]brief{{"reordered", "/screens", "/screens", "/screens", "[id=s1],[id=s2],[id=s3]", "[id=s2],[id=s1],[id=s3]"}}},
		{"nested key and a deep pattern",
			`{"screens": [{"id": "s", "items": [{"slot": {"externalId": "x"}, "labels": [{"language": "en", "label": "A"}, {"language": "tr", "label": "B"}]}]}]}`,
			`{"screens": [{"id": "s", "items": [{"slot": {"externalId": "x"}, "labels": [{"language": "tr", "label": "B"}, {"language": "en", "label": "C"}]}]}]}`,
			[]brief{{"changed", "/screens[id=s]/items[slot/externalId=x]/labels[language=en]/label",
				"/screens/0/items/0/labels/0/label", "/screens/0/items/0/labels/1/label", `"A"`, `"C"`}}},
		{"positional array: an insertion is one addition",
			`{"steps": [{"n": 1}, {"n": 2}, {"n": 3}]}`,
			`{"steps": [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]}`,
			[]brief{{"added", "/steps/0", "", "/steps/0", "", `{"n":0}`}}},
		{"positional array: a removal in the middle",
			`{"steps": [1, 2, 3, 4]}`, `{"steps": [1, 2, 4]}`,
			[]brief{{"removed", "/steps/2", "/steps/2", "", "3", ""}}},
		{"positional array: same length compares in place",
			`{"steps": [1, 2, 3]}`, `{"steps": [3, 2, 1]}`,
			[]brief{{"changed", "/steps/0", "/steps/0", "/steps/0", "1", "3"}, {"changed", "/steps/2", "/steps/2", "/steps/2", "3", "1"}}},
		{"keyless elements of a keyed array are identified by content",
			`{"slots": [{"title": "no key"}]}`, `{"slots": [{"title": "still none"}]}`,
			[]brief{
				{"removed", "/slots[#10ffa8844ab43feb]", "/slots/0", "", `{"title":"no key"}`, ""},
				{"added", "/slots[#7d65ddaa45913c89]", "", "/slots/0", "", `{"title":"still none"}`},
			}},
		{"escaping in identities and pointers",
			`{"slots": [{"key": "a]b\\c/d", "x": 1}], "m/n~": 1}`,
			`{"slots": [{"key": "a]b\\c/d", "x": 2}], "m/n~": 2}`,
			[]brief{
				{"changed", "/m~1n~0", "/m~1n~0", "/m~1n~0", "1", "2"},
				{"changed", `/slots[key=a\]b\\c/d]/x`, "/slots/0/x", "/slots/0/x", "1", "2"},
			}},
		{"spaces inside strings are content, spaces between tokens are not",
			`{"o": {"s": "a b", "t": "x\" y"}}`, "{\"o\":{ \"s\":\"ab\",\n \"t\": \"x\\\" y\"}}",
			[]brief{{"changed", "/o/s", "/o/s", "/o/s", `"a b"`, `"ab"`}}},
		{"a duplicate key: the last member counts",
			`{"a": 1, "a": 2}`, `{"a": 2}`, []brief{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.Diff(Input{Doc: parse(t, "b.json", tt.base)}, Input{Doc: parse(t, "h.json", tt.head)})
			if diff := cmp.Diff(tt.want, briefs(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestReferences: values that name another element compare by its
// identity, as sets too.
func TestReferences(t *testing.T) {
	d := MustNew(Spec{
		Arrays: []Array{
			{Path: "/slots", Keys: []string{"external_id"}, Why: "by external_id"},
			{Path: "/recipes", Keys: []string{"role"}, Why: "by role"},
			{Path: "/recipes/*/callers", Why: "a set of recipe ids"},
		},
		Ignore: []Field{{Path: "/recipes/*/id", Why: "renumbered between versions"}},
		References: []Reference{
			{Path: "/steps/*/group", Array: "/slots", Key: "group", Why: "a step names its slot by group"},
			{Path: "/recipes/*/callers/*", Array: "/recipes", Key: "id", Why: "callers by id"},
		},
	})
	tests := []struct {
		name, base, head string
		want             []brief
	}{
		{"a re-created slot is no change where it is used",
			`{"slots": [{"external_id": "a", "group": "g1"}], "steps": [{"group": "g1"}]}`,
			`{"slots": [{"external_id": "a", "group": "g2"}], "steps": [{"group": "g2"}]}`,
			[]brief{{"changed", "/slots[external_id=a]/group", "/slots/0/group", "/slots/0/group", `"g1"`, `"g2"`}}},
		{"a step that moves to another slot is",
			`{"slots": [{"external_id": "a", "group": "g1"}, {"external_id": "b", "group": "g2"}], "steps": [{"group": "g1"}]}`,
			`{"slots": [{"external_id": "a", "group": "g1"}, {"external_id": "b", "group": "g2"}], "steps": [{"group": "g2"}]}`,
			[]brief{{"changed", "/steps/0/group", "/steps/0/group", "/steps/0/group", `"g1"`, `"g2"`}}},
		{"renumbered ids in a set of references",
			`{"recipes": [{"role": "a", "id": 1}, {"role": "b", "id": 2, "callers": [1]}]}`,
			`{"recipes": [{"role": "b", "id": 10, "callers": [20]}, {"role": "a", "id": 20}]}`,
			[]brief{}},
		{"a caller replaced",
			`{"recipes": [{"role": "a", "id": 1}, {"role": "b", "id": 2, "callers": [1]}]}`,
			`{"recipes": [{"role": "a", "id": 1}, {"role": "b", "id": 2, "callers": [2, 7]}]}`,
			[]brief{
				{"added", "/recipes[role=b]/callers[7]", "", "/recipes/1/callers/1", "", "7"},
				{"removed", "/recipes[role=b]/callers[role=a]", "/recipes/1/callers/0", "", "1", ""},
				{"added", "/recipes[role=b]/callers[role=b]", "", "/recipes/1/callers/0", "", "2"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.Diff(Input{Doc: parse(t, "b.json", tt.base)}, Input{Doc: parse(t, "h.json", tt.head)})
			if diff := cmp.Diff(tt.want, briefs(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := New(Spec{References: []Reference{{Path: "/x", Array: "/nowhere", Key: "id", Why: "x"}}}); err == nil {
		t.Error("a reference to an undeclared array was accepted")
	}
}

func TestAncestors(t *testing.T) {
	d := MustNew(testSpec)
	r := d.Diff(Input{Doc: parse(t, "b.json", `{"slots": [{"key": "a/b", "x": {"y": 1}}]}`)},
		Input{Doc: parse(t, "h.json", `{"slots": [{"key": "a/b", "x": {"y": 2}}]}`)})
	want := []string{"", "/slots", "/slots[key=a/b]", "/slots[key=a/b]/x"}
	if len(r.Changes) != 1 {
		t.Fatalf("changes: %v", r.Changes)
	}
	if diff := cmp.Diff(want, r.Changes[0].Ancestors()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDiffAt(t *testing.T) {
	d := MustNew(testSpec)
	base := parse(t, "b.json", `{"exportData": {"slots": [{"key": "k", "t": 1}]}}`)
	head := parse(t, "h.json", `{"slots": [{"key": "k", "t": 2}]}`)
	got := briefs(d.Diff(Input{Doc: base, At: "/exportData"}, Input{Doc: head}))
	want := []brief{{"changed", "/slots[key=k]/t", "/exportData/slots/0/t", "/slots/0/t", "1", "2"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	added := briefs(d.Diff(Input{}, Input{Doc: head}))
	if len(added) != 1 || added[0].Kind != "added" || added[0].Path != "" || added[0].Head != "" {
		t.Errorf("a new file: %+v", added)
	}
	if got := d.Diff(Input{}, Input{}); len(got.Changes) != 0 {
		t.Errorf("two absent sides: %+v", got.Changes)
	}
}

// TestDuplicates: which duplicate is paired with which follows from the
// content, never from the order in the file, and the result says so.
func TestDuplicates(t *testing.T) {
	d := MustNew(testSpec)
	base := `{"slots": [{"key": "k", "v": 1}, {"key": "k", "v": 2}]}`
	heads := []string{
		`{"slots": [{"key": "k", "v": 2}, {"key": "k", "v": 3}]}`,
		`{"slots": [{"key": "k", "v": 3}, {"key": "k", "v": 2}]}`,
	}
	var first []brief
	for i, head := range heads {
		for _, b := range []string{base, `{"slots": [{"key": "k", "v": 2}, {"key": "k", "v": 1}]}`} {
			r := d.Diff(Input{Doc: parse(t, "b.json", b)}, Input{Doc: parse(t, "h.json", head)})
			if len(r.Duplicates) != 1 || len(r.Duplicates[0].Picked) != 2 || r.Duplicates[0].Path != "/slots[key=k]" {
				t.Fatalf("duplicates: %+v", r.Duplicates)
			}
			got := briefs(r)
			for j := range got { // pointers follow the file; identities must not
				got[j].Base, got[j].Head = "", ""
			}
			if len(got) != 1 || got[0].Kind != "changed" || !strings.HasPrefix(got[0].Path, "/slots[key=k") {
				t.Fatalf("head %d: %+v", i, got)
			}
			if first == nil {
				first = got
			} else if diff := cmp.Diff(first, got); diff != "" {
				t.Errorf("order changed the result (-first +now):\n%s", diff)
			}
		}
	}
	// The equal pair (v=2) is matched first: the change is 1 → 3.
	if first[0].Before != "1" || first[0].After != "3" {
		t.Errorf("paired %s → %s, want the equal elements paired and 1 → 3", first[0].Before, first[0].After)
	}
	// A new duplicate beside an unchanged element is the numbered addition.
	r := d.Diff(Input{Doc: parse(t, "b.json", `{"slots": [{"key": "k", "v": 1}]}`)},
		Input{Doc: parse(t, "h.json", `{"slots": [{"key": "k", "v": 9}, {"key": "k", "v": 1}]}`)})
	want := []brief{{"added", "/slots[key=k#2]", "", "/slots/0", "", `{"key":"k","v":9}`}}
	if diff := cmp.Diff(want, briefs(r)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	wantPick := []Pick{{Path: "/slots[key=k]", Base: "/slots/0", Head: "/slots/1"}, {Path: "/slots[key=k#2]", Head: "/slots/0"}}
	if diff := cmp.Diff(wantPick, r.Duplicates[0].Picked); diff != "" {
		t.Errorf("picked (-want +got):\n%s", diff)
	}
}

func TestIdentify(t *testing.T) {
	d := MustNew(testSpec)
	doc := parse(t, "f.json", `{"exportData": {"slots": [{"key": "k"}, {"external_id": "e", "scopes": ["x", "y"]}], "steps": [1, 2]}}`)
	in := Input{Doc: doc, At: "/exportData"}
	for pointer, want := range map[string]string{
		"/exportData/slots/1/scopes/1": `/slots[external_id=e]/scopes["y"]`,
		"/exportData/slots/0":          "/slots[key=k]",
		"/exportData/steps/1":          "/steps/1",
		"/exportData/slots/7/x":        "/slots/7/x",
		"/exportData/none/0":           "/none/0",
		"/elsewhere":                   "/elsewhere",
		"/exportData":                  "",
	} {
		if got := d.Identify(in, pointer); got != want {
			t.Errorf("Identify(%s) = %q, want %q", pointer, got, want)
		}
	}
}

func TestNewRejectsBadSpecs(t *testing.T) {
	for name, spec := range map[string]Spec{
		"no reason":        {Ignore: []Field{{Path: "/a"}}},
		"relative pattern": {Ignore: []Field{{Path: "a", Why: "x"}}},
		"mixed star":       {Ignore: []Field{{Path: "/a*", Why: "x"}}},
		"absolute key":     {Arrays: []Array{{Path: "/a", Keys: []string{"/id"}, Why: "x"}}},
	} {
		if _, err := New(spec); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPatternMatch(t *testing.T) {
	el := Token{Elem: true}
	m := func(s string) Token { return Token{Name: s} }
	tests := []struct {
		pattern string
		path    []Token
		want    bool
	}{
		{"", nil, true},
		{"/a/*/b", []Token{m("a"), el, m("b")}, true},
		{"/a/*/b", []Token{m("a"), m("x"), m("b")}, true},
		{"/a/0", []Token{m("a"), el}, false}, // a literal never matches an element
		{"/**/labels", []Token{m("x"), el, m("labels")}, true},
		{"/**/labels", []Token{m("labels")}, true},
		{"/**/labels", []Token{m("labels"), el}, false},
		{"/a/**", []Token{m("a")}, true},
		{"/a~1b", []Token{m("a/b")}, true},
	}
	for _, tt := range tests {
		p, err := ParsePattern(tt.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Match(tt.path); got != tt.want {
			t.Errorf("%q.Match(%v) = %v", tt.pattern, tt.path, got)
		}
	}
}
