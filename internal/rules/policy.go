package rules

import "github.com/breakwater-dev/breakwater/internal/change"

// Policy is what the repository's configuration and the pull request say
// about findings: which rules to ignore or re-grade, which breaks are
// accepted, and what fails the check.
type Policy struct {
	Overrides []Override
	Accepted  []Accepted
	// AcceptAll accepts every breaking finding (the acceptance label is set).
	AcceptAll *change.Acceptance
	// FailOn is the least severe finding that fails the check; empty means
	// change.FailOnBreaking.
	FailOn change.FailOn
	// PathOf maps a finding's file, as reports name it, to the path the
	// override globs match: relative to the compared tree's root, like the
	// artifacts globs. Nil matches the name itself.
	PathOf func(file string) string
}

func (p Policy) pathOf(file string) string {
	if p.PathOf == nil {
		return file
	}
	return p.PathOf(file)
}

// Override ignores or re-grades one rule, everywhere or under some paths.
type Override struct {
	Rule string
	// Paths are glob patterns (path.Match syntax plus "**") matched against a
	// finding's file, relative to the compared tree's root (Policy.PathOf);
	// empty means everywhere.
	Paths    []string
	Ignore   bool
	Severity change.Severity // empty keeps the rule's severity
}

// Accepted is an intended breaking change recorded in the configuration.
type Accepted struct {
	Fingerprint string
	By          string
	Reason      string
}
