package ckbk

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/coverage"
	"github.com/breakwater-dev/breakwater/internal/formats/formattest"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

func checker(t testing.TB) *coverage.Checker {
	t.Helper()
	c, err := coverage.New(Coverage())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func input(tpl *Template) structdiff.Input {
	if tpl == nil {
		return structdiff.Input{}
	}
	return structdiff.Input{Doc: tpl.Doc}
}

// describe writes a coverage report one item a line: what changed, then
// the rules that cover it or the rule it falls to.
func describe(r coverage.Report, spec coverage.Spec) string {
	var b strings.Builder
	for _, it := range r.Items {
		by := strings.Join(it.CoveredBy, ", ")
		if by == "" {
			by = "UNCOVERED → " + spec.OtherRule.ID
			if it.Class == coverage.Text {
				by = "UNCOVERED → " + spec.TextRule.ID
			}
		}
		fmt.Fprintf(&b, "%s %s\n    %s → %s\n    %s\n", it.Kind, it.Path, orDash(it.Before), orDash(it.After), by)
	}
	for _, file := range []string{"base/poll.ckbk", "head/poll.ckbk"} {
		for _, d := range r.Duplicates[file] {
			fmt.Fprintf(&b, "duplicate %s: base %v, head %v, picked %v\n", d.Path, d.Base, d.Head, d.Picked)
		}
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// TestCoverageOfGoldenPairs records, for every golden pair, each changed
// path and the findings of today's differ that cover it. The uncovered
// ones are what the generic rules of issue 11 must report; the golden
// files pin them (rerun with -update after an intended change).
func TestCoverageOfGoldenPairs(t *testing.T) {
	c := checker(t)
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			base := mustParse(t, "base/poll.ckbk", tc.base)
			head := mustParse(t, "head/poll.ckbk", tc.head(t))
			r := c.Check([]coverage.Pair{{Base: input(base), Head: input(head)}}, Diff(base, head).Findings)
			if len(r.Items) == 0 {
				t.Fatal("no changes found")
			}
			got := describe(r, c.Spec())
			golden := filepath.Join("testdata", "coverage", tc.name+".txt")
			formattest.Golden(t, golden, []byte(got), *update)
		})
	}
}

// TestEveryChangeAccounted: on every golden pair, the findings of the
// accounted comparison (the engine's) cover 100% of the changed paths, and
// the comparison counts them. Generic findings must be rare there; the
// golden edits that produce them are listed with the reason.
func TestEveryChangeAccounted(t *testing.T) {
	c := checker(t)
	generic := map[string][]string{} // golden → "rule subject" of its generic findings; none today
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			base := mustParse(t, "base/poll.ckbk", tc.base)
			head := mustParse(t, "head/poll.ckbk", tc.head(t))
			comp := recordedAccounted(base, head)
			got := formattest.CheckAccounted(t, c, []coverage.Pair{{Base: input(base), Head: input(head)}}, comp)
			if d := cmp.Diff(generic[tc.name], got); d != "" {
				t.Errorf("generic findings (-want +got):\n%s", d)
			}
		})
	}
}

// Renumbering recipe ids, reordering recipes and dropping empty parts is
// no change; text and unknown fields are told apart.
func TestCoverageClassifies(t *testing.T) {
	c := checker(t)
	src := readTestdata(t, "football-poll.ckbk")
	base := mustParse(t, "base/poll.ckbk", src)
	renumbered := mustParse(t, "head/poll.ckbk", reshuffle(t, src, "\t"))
	if r := c.Check([]coverage.Pair{{Base: input(base), Head: input(renumbered)}}, nil); len(r.Items) != 0 {
		t.Errorf("renumbered and reordered: %v", r.Items)
	}
	edited := edit(t, src,
		`"name": "Join the league poll",`, `"name": "Join the poll",`,
		`"author": "Community Sports Trust",`, `"author": "Community Sports Trust", "locale": "en-GB",`,
		`"conditions": [],`+"\n      \"actions\": [\n        { \"type\": \"AddToGroupAction\"", "\"actions\": [\n        { \"type\": \"AddToGroupAction\"")
	head := mustParse(t, "head/poll.ckbk", edited)
	r := c.Check([]coverage.Pair{{Base: input(base), Head: input(head)}}, Diff(base, head).Findings)
	var got []string
	for _, it := range r.Items {
		got = append(got, it.Path+" "+it.Class.String()+" "+strings.Join(it.CoveredBy, ","))
	}
	want := []string{"/locale other ", "/recipes[collectionRole=Registration]/name text "}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestCoverageSpec(t *testing.T) {
	c := checker(t)
	formattest.CheckGenericRules(t, Format, c.Spec(), New().Coverage(), Rules())
}
