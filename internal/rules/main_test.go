package rules

import (
	"os"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/change/changetest"
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
