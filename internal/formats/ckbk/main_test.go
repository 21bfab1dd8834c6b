package ckbk

import (
	"os"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change/changetest"
)

// fired collects the rules the tests saw fire (recordedDiff is Diff for the
// tests that check its findings); TestMain fails the run when one of the
// ckbk/… rules never did.
var (
	fired        changetest.Fired
	recordedDiff = changetest.Recorded(&fired, Diff)
)

func TestMain(m *testing.M) { os.Exit(changetest.Main(m, &fired, Rules)) }
