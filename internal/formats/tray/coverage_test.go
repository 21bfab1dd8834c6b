package tray

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/coverage"
	"github.com/breakwater-dev/breakwater/internal/formats/formattest"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
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

// exportRoot is where the export object sits in doc, as Parse finds it.
func exportRoot(doc *jsonpos.Doc) string {
	if inner := doc.Root.Get("exportData"); inner != nil && !looksLikeExport(doc.Root) {
		return "/exportData"
	}
	return ""
}

func input(e *Export) structdiff.Input {
	if e == nil {
		return structdiff.Input{}
	}
	return structdiff.Input{Doc: e.Doc, At: e.Pointer}
}

// coverageReport diffs a pair with today's differ and checks its coverage.
func coverageReport(t testing.TB, c *coverage.Checker, base, head *Export) coverage.Report {
	return c.Check([]coverage.Pair{{Base: input(base), Head: input(head)}}, Diff(base, head).Findings)
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
	variants, _ := filepath.Glob("testdata/variants/*.json")
	if len(variants) == 0 {
		t.Fatal("no variants")
	}
	for _, v := range variants {
		name := strings.TrimSuffix(filepath.Base(v), ".json")
		t.Run(name, func(t *testing.T) {
			sample := strings.SplitN(name, ".", 2)[0] + ".project.json"
			base := parse(t, sample, readFile(t, filepath.Join("testdata", sample)))
			head := parse(t, name+".json", readFile(t, v))
			r := coverageReport(t, c, base, head)
			if len(r.Items) == 0 {
				t.Fatal("no changes found")
			}
			got := describe(r, c.Spec())
			golden := filepath.Join("testdata", "coverage", name+".txt")
			formattest.Golden(t, golden, []byte(got), *update)
		})
	}
}

// TestEveryChangeAccounted: on every golden pair, the findings of the
// accounted comparison (the engine's) cover 100% of the changed paths, and
// the comparison counts them. Generic findings must be rare there: every
// golden edit is one a precise rule knows, so none may fall to the generic
// rules, and text changes only where an edit changed text.
func TestEveryChangeAccounted(t *testing.T) {
	c := checker(t)
	generic := map[string][]string{} // golden → "rule subject" of its generic findings; none today
	for _, p := range goldenPairs(t) {
		t.Run(p.name, func(t *testing.T) {
			base, head := parse(t, "base.json", p.base), parse(t, "head.json", p.head)
			comp := recordedAccounted(base, head)
			got := formattest.CheckAccounted(t, c, []coverage.Pair{{Base: input(base), Head: input(head)}}, comp)
			if d := cmp.Diff(generic[p.name], got); d != "" {
				t.Errorf("generic findings (-want +got):\n%s", d)
			}
		})
	}
}

// TestCoverageClassifies: an edit no rule knows is found, text apart from
// the rest, and a covered change is covered.
func TestCoverageClassifies(t *testing.T) {
	c := checker(t)
	src := string(readFile(t, "testdata/bynder-dropbox.project.json"))
	base := parse(t, "base.json", []byte(src))
	edited := apply(t, src, []edit{
		{"\"title\": \"Bynder authentication\",\n        \"description\"", "\"title\": \"Bynder login\",\n        \"description\""},
		{`"tray_export_version": 4,`, `"tray_export_version": 4, "exported_by": "tray-cli 2.0",`},
		{`"id": "ecde2aca-4ca8-48b1-8170-af8558217bed",`, `"id": "00000000-0000-4000-8000-000000000000",`}, // a workflow version id
		{"\"external_includesubfolders\",\n        \"hidden\": false,\n        \"type\": \"boolean\"",
			"\"external_includesubfolders\",\n        \"hidden\": false,\n        \"type\": \"string\""},
	})
	r := coverageReport(t, c, base, parse(t, "head.json", []byte(edited)))
	type row struct {
		Path, Class string
		By          string
	}
	var got []row
	for _, it := range r.Items {
		got = append(got, row{it.Path, it.Class.String(), strings.Join(it.CoveredBy, ",")})
	}
	want := []row{
		{"/exported_by", "other", ""},
		{"/solution/auth_slots[external_id=external_bynder_authentication_1]/title", "text", ""},
		{"/solution/config_slots[external_id=external_includesubfolders]/type", "other", "tray/config-type-changed"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestCoverageSpec(t *testing.T) {
	c := checker(t)
	formattest.CheckGenericRules(t, Format, c.Spec(), New().Coverage(), Rules())
	// The volatile fields exist in the real samples and differ between
	// workflows, which is what makes them volatile.
	base := parseFile(t, "testdata/bynder-dropbox.project.json")
	for _, ptr := range []string{"/workflows/0/version/id", "/workflows/0/version/created", "/solution/auth_slots/0/usage/0/version_id"} {
		if base.Doc.Root.Find(ptr) == nil {
			t.Errorf("the sample has no %s", ptr)
		}
	}
}
