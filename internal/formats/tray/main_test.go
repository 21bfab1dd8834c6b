package tray

import (
	"os"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/change/changetest"
	"github.com/breakwater-dev/breakwater/internal/coverage"
	"github.com/breakwater-dev/breakwater/internal/formats"
)

// fired collects the rules the tests saw fire (recordedDiff is Diff, and
// recordedAccounted accounted, for the tests that check their findings);
// TestMain fails the run when one of the tray/… rules never did.
var (
	fired             changetest.Fired
	recordedDiff      = changetest.Recorded(&fired, Diff)
	recordedAccounted = changetest.Recorded(&fired, accounted)
	// accountant is the format's coverage checker, compiled once.
	accountant = func() *coverage.Checker {
		c, err := coverage.New(Coverage())
		if err != nil {
			panic(err)
		}
		return c
	}()
)

// accounted is Diff with every change accounted for, as the engine runs
// it: what no rule covers is reported by tray/text-changed or
// tray/other-changed.
func accounted(base, head *Export) change.Comparison {
	c := Diff(base, head)
	var b, h formats.Artifact
	if base != nil {
		b = base
	}
	if head != nil {
		h = head
	}
	formats.Account(accountant, b, h, &c)
	return c
}

func TestMain(m *testing.M) { os.Exit(changetest.Main(m, &fired, Rules)) }
