package vnext

import (
	"os"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change/changetest"
	"github.com/breakwater-dev/breakwater/internal/formats/formattest"
)

// fired collects the rules the tests saw fire (recordedDiff is Diff, and
// recordedAccounted accounted, for the tests that check their findings);
// TestMain fails the run when one of the vnext/… rules never did.
var (
	fired changetest.Fired
	// accounted is Diff with every change accounted for, as the engine
	// runs it: what no rule covers is reported by vnext/text-changed or
	// vnext/other-changed.
	accounted         = formattest.Accounted(Coverage(), Diff)
	recordedDiff      = changetest.Recorded(&fired, Diff)
	recordedAccounted = changetest.Recorded(&fired, accounted)
)

func TestMain(m *testing.M) { os.Exit(changetest.Main(m, &fired, Rules)) }
