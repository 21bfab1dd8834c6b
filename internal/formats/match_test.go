package formats

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/coverage"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

type el struct{ id, content string }

// Elements are matched by identity; those that share one are paired by
// content (equal first), whatever their order.
func TestMatch(t *testing.T) {
	hash := func(_ change.Side, e el) uint64 {
		var h uint64
		for _, c := range e.content {
			h = h*31 + uint64(c)
		}
		return h
	}
	id := func(e el) string { return e.id }
	base := []el{{"a", "1"}, {"d", "x"}, {"d", "y"}, {"", "no id"}, {"gone", "g"}}
	type row struct {
		Identity     string
		Base, Head   string
		Shared       [2]int
		Dup, In, Out bool
	}
	var first []row
	for _, head := range [][]el{
		{{"d", "y"}, {"a", "2"}, {"d", "z"}, {"new", "n"}},
		{{"new", "n"}, {"d", "z"}, {"a", "2"}, {"d", "y"}},
	} {
		var got []row
		for _, m := range Match(base, head, id, hash) {
			got = append(got, row{m.Identity, m.Base.content, m.Head.content, m.Shared, m.Duplicated(), m.InBase, m.InHead})
		}
		if first == nil {
			first = got
		} else if d := cmp.Diff(first, got); d != "" {
			t.Errorf("the order of the list changed the matching (-first +now):\n%s", d)
		}
	}
	want := []row{
		{"a", "1", "2", [2]int{1, 1}, false, true, true},
		{"d", "y", "y", [2]int{2, 2}, true, true, true}, // the equal pair first
		{"d", "x", "z", [2]int{2, 2}, true, true, true},
		{"gone", "g", "", [2]int{1, 0}, false, true, false},
		{"new", "", "n", [2]int{0, 1}, false, false, true},
	}
	if d := cmp.Diff(want, first); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

type doc struct{ docs []Document }

func (d doc) Identity() string      { return "" }
func (d doc) Documents() []Document { return d.docs }

// Account adds a generic finding for what the format's findings leave out
// and counts the changes; documents pair by path.
func TestAccount(t *testing.T) {
	parse := func(name, src string) structdiff.Input {
		d, err := jsonpos.Parse(name, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return structdiff.Input{Doc: d}
	}
	checker, err := coverage.New(coverage.Spec{
		TextRule:  change.Rule{ID: "t/text-changed"},
		OtherRule: change.Rule{ID: "t/other-changed"},
	})
	if err != nil {
		t.Fatal(err)
	}
	base := doc{[]Document{{Path: "a.json", Input: parse("b/a.json", `{"x": 1, "y": 1}`)}, {Path: "gone.json", Input: parse("b/gone.json", `{}`)}}}
	head := doc{[]Document{{Path: "a.json", Input: parse("h/a.json", `{"x": 2, "y": 2}`)}}}
	comp := change.Comparison{Artifact: "t:x", Findings: []change.Finding{
		change.Rule{ID: "t/x-changed"}.New("t:x", "x", change.Location{File: "h/a.json", Pointer: "/x"}, change.Head, "x changed"),
	}}
	Account(checker, base, head, &comp)
	var got []string
	for _, f := range comp.Findings {
		got = append(got, f.Rule+" "+f.Subject)
	}
	if d := cmp.Diff([]string{"t/x-changed x", "t/other-changed gone.json", "t/other-changed a.json#/y"}, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if comp.Coverage != (change.Coverage{Changes: 3, Generic: 2}) {
		t.Errorf("coverage %+v", comp.Coverage)
	}
	// An artifact on one side only is left as the format reported it.
	alone := change.Comparison{}
	Account(checker, nil, head, &alone)
	if len(alone.Findings) != 0 || alone.Coverage != (change.Coverage{}) {
		t.Errorf("one side: %+v", alone)
	}
}
