package formattest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/coverage"
)

// Golden compares got with the golden file at path, or, with update (the
// package's -update flag), writes it there.
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got), rerun with -update if intended:\n%s", path, d)
	}
}

// CheckGenericRules checks a format's coverage spec against its rules:
// the text and other rules are complete info rules, patch-level, named
// under the format and registered; registered is the spec the format
// declares to the registry; every extent names one of the rules.
func CheckGenericRules(t testing.TB, format string, spec, registered coverage.Spec, rules []change.Rule) {
	t.Helper()
	ids := map[string]bool{}
	for _, r := range rules {
		ids[r.ID] = true
	}
	for _, r := range []change.Rule{spec.TextRule, spec.OtherRule} {
		if r.Severity != change.Info || r.Bump != change.BumpPatch || r.FiresWhen == "" || r.Why == "" || r.Fix == "" ||
			!strings.HasPrefix(r.ID, format+"/") || !ids[r.ID] {
			t.Errorf("generic rule %+v is incomplete or not registered", r)
		}
	}
	if registered.OtherRule.ID != spec.OtherRule.ID || registered.TextRule.ID != spec.TextRule.ID {
		t.Error("the registry's format does not declare this coverage")
	}
	for _, e := range spec.Extents {
		if !ids[e.Rule] {
			t.Errorf("extent for unknown rule %s", e.Rule)
		}
	}
}
