package formattest

import (
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/coverage"
	"github.com/breakwater-dev/breakwater/internal/formats"
)

// Accounted is a format's diff followed by formats.Account with the
// format's coverage spec, as the engine runs it: the comparison a format's
// tests check, generic findings included. An invalid spec panics: the
// format's own tests compile it first.
func Accounted[T interface {
	comparable
	formats.Artifact
}](spec coverage.Spec, diff func(base, head T) change.Comparison) func(base, head T) change.Comparison {
	checker, err := coverage.New(spec)
	if err != nil {
		panic("formattest: the coverage spec: " + err.Error())
	}
	return func(base, head T) change.Comparison {
		c := diff(base, head)
		var zero T
		var b, h formats.Artifact // nil, not a typed nil, for a missing side
		if base != zero {
			b = base
		}
		if head != zero {
			h = head
		}
		formats.Account(checker, b, h, &c)
		return c
	}
}

// CheckAccounted fails t unless the findings of comp, the accounted
// comparison of pairs, cover every changed path and comp counts them all.
// It returns the findings of the checker's text and generic rules as "rule
// subject", for the test to compare with those it expects: on realistic
// edits they must be rare.
func CheckAccounted(t testing.TB, checker *coverage.Checker, pairs []coverage.Pair, comp change.Comparison) []string {
	t.Helper()
	r := checker.Check(pairs, comp.Findings)
	if len(r.Items) == 0 {
		t.Fatal("no changes found")
	}
	for _, it := range r.Uncovered() {
		t.Errorf("uncovered: %s %s %s", it.File, it.Kind, it.Path)
	}
	if comp.Coverage.Changes != len(r.Items) {
		t.Errorf("the comparison counts %d changes, the check finds %d", comp.Coverage.Changes, len(r.Items))
	}
	spec := checker.Spec()
	var generic []string
	for _, f := range comp.Findings {
		if f.Rule == spec.TextRule.ID || f.Rule == spec.OtherRule.ID {
			generic = append(generic, f.Rule+" "+f.Subject)
		}
	}
	return generic
}
