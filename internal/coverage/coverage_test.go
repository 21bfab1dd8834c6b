package coverage

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

var spec = Spec{
	Structure: structdiff.Spec{Arrays: []structdiff.Array{
		{Path: "/slots", Keys: []string{"key"}, Why: "by key"},
		{Path: "/flows", Keys: []string{"id"}, Why: "by id"},
		{Path: "/items", Keys: []string{"slot"}, Why: "by slot"},
	}},
	Text: []structdiff.Field{{Path: "/slots/*/title", Why: "a label"}, {Path: "/items/*/title", Why: "its copy"}},
	Extents: []Extent{
		{Rule: "t/flow-changed", Path: "/flows/*", Why: "points at the first changed step"},
		{Rule: "t/recreated", Path: "/slots/*", Members: []string{"id", "group"}, Why: "id and group change together"},
	},
	Links: []Link{
		{Path: "/items/*", Via: "slot", Array: "/slots", Key: "key", Why: "an item shows a slot"},
		{Path: "/index/*", Array: "/flows", Key: "id", Why: "an index of flows"},
	},
	TextRule:  change.Rule{ID: "t/text-changed"},
	OtherRule: change.Rule{ID: "t/other-changed"},
}

func doc(t *testing.T, name, src string) *jsonpos.Doc {
	t.Helper()
	d, err := jsonpos.Parse(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func finding(rule, file, pointer string, side change.Side) change.Finding {
	return change.Rule{ID: rule}.New("t", "s", change.Location{File: file, Pointer: pointer}, side, "m")
}

type row struct{ Path, Class, By string }

func rows(r Report) []row {
	var out []row
	for _, it := range r.Items {
		out = append(out, row{it.Path, it.Class.String(), strings.Join(it.CoveredBy, ",")})
	}
	return out
}

func TestCheck(t *testing.T) {
	c, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	base := doc(t, "b.json", `{"slots": [{"key": "a", "id": 1, "group": "g", "title": "A", "type": "s"}, {"key": "b", "title": "B"}],
		"flows": [{"id": "f1", "steps": {"x": 1, "y": 1}}, {"id": "f2"}], "index": ["f1", "f2"],
		"items": [{"slot": "a", "title": "A"}, {"slot": "b", "title": "B"}], "meta": 1}`)
	head := doc(t, "h.json", `{"slots": [{"key": "a", "id": 2, "group": "h", "title": "A", "type": "n"}, {"key": "b", "title": "B2"}],
		"flows": [{"id": "f1", "steps": {"x": 2, "y": 2}}], "index": ["f1"],
		"items": [{"slot": "a", "title": "A", "type": "n"}, {"slot": "b", "title": "B2"}], "meta": 2}`)
	findings := []change.Finding{
		finding("t/recreated", "h.json", "/slots/0/id", change.Head),
		finding("t/type-changed", "h.json", "/slots/0/type", change.Head),
		finding("t/flow-changed", "h.json", "/flows/0/steps/x", change.Head),
		finding("t/flow-removed", "b.json", "/flows/1", change.Base),
		finding("t/elsewhere", "package.json", "/version", change.Head),
		finding("t/wrong-side", "b.json", "/meta", change.Head), // no head file is called b.json
	}
	r := c.Check([]Pair{{Base: structdiff.Input{Doc: base}, Head: structdiff.Input{Doc: head}}}, findings)
	want := []row{
		{"/flows[id=f1]/steps/x", "other", "t/flow-changed"},
		{"/flows[id=f1]/steps/y", "other", "t/flow-changed"}, // the extent
		{"/flows[id=f2]", "other", "t/flow-removed"},
		{"/index/1", "other", "t/flow-removed"},                        // linked to the removed flow
		{"/items[slot=a]/type", "other", "t/recreated,t/type-changed"}, // linked to a slot findings mention
		{"/items[slot=b]/title", "text", "t/text-changed"},             // a copy of a change the text rule reports
		{"/meta", "other", ""},                                         // nothing covers it
		{"/slots[key=a]/group", "other", "t/recreated"},                // the extent's members
		{"/slots[key=a]/id", "other", "t/recreated"},
		{"/slots[key=a]/type", "other", "t/type-changed"},
		{"/slots[key=b]/title", "text", ""},
	}
	if d := cmp.Diff(want, rows(r)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	var uncovered []string
	for _, it := range r.Uncovered() {
		uncovered = append(uncovered, it.Path)
	}
	if d := cmp.Diff([]string{"/meta", "/slots[key=b]/title"}, uncovered); d != "" {
		t.Errorf("uncovered (-want +got):\n%s", d)
	}
}

// A finding beneath a change does not cover it; a wrapped export's
// extents apply below its root; added and removed files are one change.
func TestCheckEdges(t *testing.T) {
	c, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	base := doc(t, "b.json", `{"exportData": {"flows": [{"id": "f1", "steps": {"x": 1}}], "slots": [{"key": "a", "scopes": ["s"]}]}}`)
	head := doc(t, "h.json", `{"exportData": {"flows": [{"id": "f1", "steps": {"x": 2}, "title": "t"}]}}`)
	r := c.Check([]Pair{{Base: structdiff.Input{Doc: base, At: "/exportData"}, Head: structdiff.Input{Doc: head, At: "/exportData"}}},
		[]change.Finding{
			finding("t/flow-changed", "h.json", "/exportData/flows/0/steps/x", change.Head),
			finding("t/scope-removed", "b.json", "/exportData/slots/0/scopes/0", change.Base),
		})
	want := []row{
		{"/flows[id=f1]/steps/x", "other", "t/flow-changed"},
		{"/flows[id=f1]/title", "other", "t/flow-changed"},
		{"/slots", "other", ""},
	}
	if d := cmp.Diff(want, rows(r)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	added := c.Check([]Pair{{Head: structdiff.Input{Doc: head}}}, []change.Finding{finding("t/added", "h.json", "", change.Head)})
	if d := cmp.Diff([]row{{"", "other", "t/added"}}, rows(added)); d != "" {
		t.Errorf("an added file (-want +got):\n%s", d)
	}
}

func TestNewRejects(t *testing.T) {
	for name, mutate := range map[string]func(*Spec){
		"extent without reason": func(s *Spec) { s.Extents = []Extent{{Rule: "x", Path: "/a"}} },
		"link with wildcard":    func(s *Spec) { s.Links = []Link{{Path: "/a", Array: "/b/*", Key: "k", Why: "x"}} },
		"no generic rule":       func(s *Spec) { s.OtherRule = change.Rule{} },
		"bad text pattern":      func(s *Spec) { s.Text = []structdiff.Field{{Path: "a", Why: "x"}} },
	} {
		s := spec
		mutate(&s)
		if _, err := New(s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// A finding speaks for what it Covers, on either side, and only for that.
func TestCovers(t *testing.T) {
	c, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	base := doc(t, "b.json", `{"slots": [{"key": "old", "v": 1}], "meta": 1, "other": 1}`)
	head := doc(t, "h.json", `{"slots": [{"key": "new", "v": 1}], "meta": 2, "other": 2}`)
	renamed := finding("t/renamed", "h.json", "/slots/0/key", change.Head).
		Cover(change.Base, "b.json", "/slots/0").Cover(change.Head, "h.json", "/slots/0")
	counted := finding("t/counted", "h.json", "/none", change.Head).Cover(change.Head, "h.json", "/meta")
	r := c.Check([]Pair{{Base: structdiff.Input{Doc: base}, Head: structdiff.Input{Doc: head}}}, []change.Finding{renamed, counted})
	want := []row{
		{"/meta", "other", "t/counted"},
		{"/other", "other", ""},
		{"/slots[key=new]", "other", "t/renamed"},
		{"/slots[key=old]", "other", "t/renamed"},
	}
	if d := cmp.Diff(want, rows(r)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

// What nothing covers becomes a finding of the generic rules: located in
// the file, identified by its identity path, with normalised values.
func TestFindings(t *testing.T) {
	c, err := New(spec)
	if err != nil {
		t.Fatal(err)
	}
	base := doc(t, "b.json", `{"slots": [{"key": "b", "title": "B"}], "gone": {"x": [1]}, "meta": 1}`)
	head := doc(t, "h.json", "{\"slots\": [{\"key\": \"b\", \"title\": \"B2\"}],\n \"meta\": 2, \"new\": {\"z\": 1, \"a\": [2]}}")
	r := c.Check([]Pair{{Base: structdiff.Input{Doc: base}, Head: structdiff.Input{Doc: head}, Path: "pkg/h.json"}}, nil)
	type brief struct {
		Rule, Subject, File, Pointer string
		Line, Column                 int
		Side                         change.Side
		Message, Before, After       string
	}
	var got []brief
	for _, f := range c.Findings(r, "t:artifact") {
		if f.Artifact != "t:artifact" {
			t.Errorf("artifact %q", f.Artifact)
		}
		got = append(got, brief{f.Rule, f.Subject, f.File, f.Pointer, f.Line, f.Column, f.Side, f.Message,
			canonicalJSON(t, f.Before), canonicalJSON(t, f.After)})
	}
	want := []brief{
		{"t/other-changed", "pkg/h.json#/gone", "b.json", "/gone", 1, 49, change.Base,
			"The value at pkg/h.json#/gone (an object) is removed; no other t/… rule covers it.", "", ""},
		{"t/other-changed", "pkg/h.json#/meta", "h.json", "/meta", 2, 10, change.Head,
			"The value at pkg/h.json#/meta changes; no other t/… rule covers it.", "1", "2"},
		{"t/other-changed", "pkg/h.json#/new", "h.json", "/new", 2, 20, change.Head,
			"The value at pkg/h.json#/new (an object) is added; no other t/… rule covers it.", "", ""},
		{"t/text-changed", "pkg/h.json#/slots[key=b]/title", "h.json", "/slots/0/title", 1, 34, change.Head,
			"Text shown to people changes at pkg/h.json#/slots[key=b]/title.", `"B"`, `"B2"`},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if cov := c.Coverage(r); cov != (change.Coverage{Changes: 4, Generic: 3}) {
		t.Errorf("coverage %+v, want 4 changes, 3 generic", cov)
	}
}

func canonicalJSON(t *testing.T, v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
