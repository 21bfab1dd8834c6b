package rules

import (
	"flag"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The rule reference in docs/ is generated from the catalogue the code uses;
// this keeps the two from drifting. Regenerate with: go test ./internal/rules -update
func TestReferenceIsUpToDate(t *testing.T) {
	const path = "../../docs/rules.md"
	got := Default().Reference()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/rules -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("docs/rules.md is stale; run go test ./internal/rules -update (-file +catalogue):\n%s", diff)
	}
}

func TestCatalogueIsComplete(t *testing.T) {
	for _, r := range Default().All() {
		if r.ID == "" || r.Severity.Rank() < 0 || r.Category == "" || r.Upgrade == "" || r.FiresWhen == "" || r.Why == "" || r.Fix == "" {
			t.Errorf("rule %q lacks a field: %+v", r.ID, r)
		}
	}
	for _, id := range []string{BumpInsufficient, NotSemver, "input/invalid-json", "input/unknown-format", "input/schema-violation", "tray/auth-scopes-added", "ckbk/role-renamed", "vnext/state-removed"} {
		if !Default().Has(id) {
			t.Errorf("catalogue lacks %s", id)
		}
	}
}
