package formats

import (
	"cmp"
	"slices"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/coverage"
)

// Account makes comp, the comparison of base and head by their format,
// account for every change (docs/formats.md, "Every change accounted
// for"): it checks the changed paths of each pair of documents against
// comp's findings, adds a finding of the format's text or generic rule for
// each change they leave unmentioned, and counts the changes in
// comp.Coverage. checker is the format's (coverage.New(f.Coverage())).
//
// An artifact on one side only is left as the format reported it: a new
// one by its additions, a removed one as a whole (artifact/removed).
func Account(checker *coverage.Checker, base, head Artifact, comp *change.Comparison) coverage.Report {
	if base == nil || head == nil {
		return coverage.Report{}
	}
	r := checker.Check(Pairs(base.Documents(), head.Documents()), comp.Findings)
	comp.Findings = append(comp.Findings, checker.Findings(r, comp.Artifact)...)
	comp.Coverage = checker.Coverage(r)
	return r
}

// Pairs pairs the documents of two versions by path, sorted by path; a
// document on one side only pairs with nothing (it was added or removed).
func Pairs(base, head []Document) []coverage.Pair {
	byPath := map[string]*coverage.Pair{}
	var out []*coverage.Pair
	at := func(path string) *coverage.Pair {
		p := byPath[path]
		if p == nil {
			p = &coverage.Pair{Path: path}
			byPath[path] = p
			out = append(out, p)
		}
		return p
	}
	for _, d := range base {
		at(d.Path).Base = d.Input
	}
	for _, d := range head {
		at(d.Path).Head = d.Input
	}
	slices.SortFunc(out, func(a, b *coverage.Pair) int { return cmp.Compare(a.Path, b.Path) })
	pairs := make([]coverage.Pair, len(out))
	for i, p := range out {
		pairs[i] = *p
	}
	return pairs
}
