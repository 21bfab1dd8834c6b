package ckbk

import (
	"os"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/change/changetest"
)

// fired collects the rules the tests saw fire; TestMain fails the run when
// one of the ckbk/… rules never did.
var fired changetest.Fired

func TestMain(m *testing.M) { os.Exit(changetest.Main(m, &fired, Rules)) }

// recordedDiff is Diff for tests that check its findings.
func recordedDiff(base, head *Template) change.Comparison {
	return fired.RecordComparison(Diff(base, head))
}
