package formattest

import (
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
