package vnext

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/coverage"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/formats/formattest"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

func checker(t testing.TB) *coverage.Checker {
	t.Helper()
	c, err := coverage.New(Coverage())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pairs pairs the files of two trees as the engine does
// (Package.Documents).
func pairs(t testing.TB, base, head tree) []coverage.Pair {
	t.Helper()
	return formats.Pairs(base.parse(t).Documents(), head.parse(t).Documents())
}

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
		fmt.Fprintf(&b, "%s %s %s\n    %s → %s\n    %s\n", it.File, it.Kind, it.Path, orDash(it.Before), orDash(it.After), by)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// TestCoverageOfGoldenPairs records, for every golden scenario, each
// changed path and the findings of today's differ that cover it. The
// uncovered ones are what the generic rules of issue 11 must report; the
// golden files pin them (rerun with -update after an intended change).
func TestCoverageOfGoldenPairs(t *testing.T) {
	c := checker(t)
	sample := loadTree(t, samplePackage)
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			base := s.base(t, sample)
			head := s.head(t, base)
			r := c.Check(pairs(t, base, head), Diff(base.parse(t), head.parse(t)).Findings)
			got := describe(r, c.Spec())
			golden := filepath.Join("testdata", "coverage", s.name+".txt")
			formattest.Golden(t, golden, []byte(got), *update)
		})
	}
}

// TestEveryChangeAccounted: on every golden scenario, the findings of the
// accounted comparison (the engine's) cover 100% of the changed paths, and
// the comparison counts them. Generic findings must be rare there; the
// scenarios that produce them are listed with the reason.
func TestEveryChangeAccounted(t *testing.T) {
	c := checker(t)
	sample := loadTree(t, samplePackage)
	generic := map[string][]string{} // scenario → "rule subject" of its generic findings; none today
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			base := s.base(t, sample)
			head := s.head(t, base)
			comp := recordedAccounted(base.parse(t), head.parse(t))
			got := formattest.CheckAccounted(t, c, pairs(t, base, head), comp)
			if d := cmp.Diff(generic[s.name], got); d != "" {
				t.Errorf("generic findings (-want +got):\n%s", d)
			}
		})
	}
}

// The edits issue 11 names: a relabelled workflow and a schema reference
// moved within its major version. No precise rule reports them; the
// accounted comparison does, by the text and the generic rule.
func TestCoverageFindsWhatTheDifferMisses(t *testing.T) {
	c := checker(t)
	sample := loadTree(t, samplePackage)
	base := editFlows(func(tb testing.TB, r *jsonpos.Value) {
		setMember(tb, r, startTr, "schema", `{"key": "workflow", "domain": "core", "version": "1.0.0", "flow": "sys-schemas"}`)
	})(t, sample)
	head := editFlows(func(tb testing.TB, r *jsonpos.Value) {
		setMember(tb, r, startTr+"/schema", "version", `"1.4.0"`)
		setMember(tb, r, "/attributes/labels/0", "label", `"Flows (renamed)"`)
	})(t, base)
	fs := Diff(base.parse(t), head.parse(t)).Findings
	if len(fs) != 0 {
		t.Fatalf("the differ now reports %v: update this test", fs)
	}
	r := c.Check(pairs(t, base, head), fs)
	var got []string
	for _, it := range r.Uncovered() {
		got = append(got, it.Class.String()+" "+it.Path)
	}
	lang := at(t, mustRoot(t, head[sysFlows]), "/attributes/labels/0/language").Text
	want := []string{
		"text /attributes/labels[language=" + lang + "]/label",
		"other /attributes/startTransition/schema/version",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	var reported []string
	for _, f := range recordedAccounted(base.parse(t), head.parse(t)).Findings {
		reported = append(reported, f.Rule+" "+f.Subject+": "+f.Message)
	}
	wantReported := []string{
		"vnext/text-changed workflows[core/sys-flows]#/attributes/labels[language=" + lang + "]/label: " +
			"Text shown to people changes at workflows[core/sys-flows]#/attributes/labels[language=" + lang + "]/label.",
		"vnext/other-changed workflows[core/sys-flows]#/attributes/startTransition/schema/version: " +
			"The value at workflows[core/sys-flows]#/attributes/startTransition/schema/version changes; no other vnext/… rule covers it.",
	}
	if d := cmp.Diff(wantReported, reported); d != "" {
		t.Errorf("accounted (-want +got):\n%s", d)
	}
	// The package's own version is the version/… rules' business.
	bumped := base.edit(t, ConfigFile, func(r *jsonpos.Value) { setMember(t, r, "", "version", `"1.1.0"`) })
	if r := c.Check(pairs(t, base, bumped), nil); len(r.Items) != 0 {
		t.Errorf("a version bump alone: %v", r.Items)
	}
}

func mustRoot(t testing.TB, src []byte) *jsonpos.Value {
	d, err := jsonpos.Parse("x.json", src)
	if err != nil {
		t.Fatal(err)
	}
	return d.Root
}

func TestCoverageSpec(t *testing.T) {
	c := checker(t)
	formattest.CheckGenericRules(t, Format, c.Spec(), New().Coverage(), Rules())
	if c.DifferFor("core/Workflows/sys-flows.json") == c.DifferFor(ConfigFile) {
		t.Error("vnext.config.json has no normalisation of its own")
	}
}
