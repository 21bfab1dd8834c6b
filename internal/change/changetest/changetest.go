// Package changetest checks that every rule of a catalogue fires in at least
// one test: a package's tests record the findings (and input errors) they
// see, and its TestMain fails the run when a rule it owns never fired.
package changetest

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
)

// Fired is the set of rule IDs seen so far. The zero value is ready to use,
// and it is safe for concurrent use (tests run in parallel).
type Fired struct {
	mu  sync.Mutex
	ids map[string]bool
}

// Record notes the rules of findings.
func (f *Fired) Record(findings ...change.Finding) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ids == nil {
		f.ids = map[string]bool{}
	}
	for _, x := range findings {
		f.ids[x.Rule] = true
	}
}

// RecordComparison notes the rules of a comparison's findings and returns it.
func (f *Fired) RecordComparison(c change.Comparison) change.Comparison {
	f.Record(c.Findings...)
	return c
}

// RecordError notes the rule of an input error, if err is one.
func (f *Fired) RecordError(err error) {
	var ie *change.InputError
	if errors.As(err, &ie) {
		f.Record(change.Finding{Rule: ie.Rule})
	}
}

// Missing are the rules that never fired, sorted.
func (f *Fired) Missing(rules []change.Rule) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, r := range rules {
		if !f.ids[r.ID] {
			out = append(out, r.ID)
		}
	}
	slices.Sort(out)
	return out
}

// Main runs the package's tests, then fails when a rule in rules never
// fired. A run limited by -run, -skip or -short, or one that fuzzes or only
// benchmarks, does not see every test, so it is not checked.
func Main(m *testing.M, fired *Fired, rules func() []change.Rule) int {
	code := m.Run()
	if code != 0 || partial() {
		return code
	}
	if missing := fired.Missing(rules()); len(missing) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: no test saw these rules fire: %s\n(add a table or golden test case for each)\n", strings.Join(missing, ", "))
		return 1
	}
	return 0
}

func partial() bool {
	for _, name := range []string{"test.run", "test.skip", "test.fuzz"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			return true
		}
	}
	return testing.Short()
}

// Recorded is diff, recording the rules of every comparison it returns.
func Recorded[T any](fired *Fired, diff func(base, head T) change.Comparison) func(base, head T) change.Comparison {
	return func(base, head T) change.Comparison { return fired.RecordComparison(diff(base, head)) }
}
