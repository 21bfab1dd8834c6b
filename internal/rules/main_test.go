package rules

import (
	"os"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/change/changetest"
	"github.com/breakwater-dev/breakwater/internal/formats/registry"
)

// fired collects the rules the tests saw fire; TestMain fails the run when
// a version/… rule never did. The format packages check their own families,
// and the engine the artifact/… and input/… rules.
var fired changetest.Fired

func TestMain(m *testing.M) { os.Exit(changetest.Main(m, &fired, versionRules)) }

// classify is Catalogue.Classify for tests that check its findings.
func classify(c *Catalogue, comps []change.Comparison, base, head *change.Declared, p Policy) *change.Report {
	r := c.Classify(comps, base, head, p)
	fired.Record(r.Changes...)
	return r
}

// Every family's rules are checked to fire by the package that reports
// them: each format package its own, the engine artifact/… and input/…,
// this package version/…. A family outside that list would go unchecked.
func TestEveryFamilyIsCheckedToFire(t *testing.T) {
	checked := map[string]bool{"artifact/": true, "input/": true, "version/": true}
	for _, name := range registry.Default().Names() {
		checked[name+"/"] = true
	}
	for _, f := range Default().Families() {
		if !checked[f.Prefix] {
			t.Errorf("family %s has no test that checks its rules fire", f.Prefix)
		}
	}
}
