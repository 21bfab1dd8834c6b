package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
)

// A small catalogue keeps these tests about classification, not about any
// one platform's rules.
func testCatalogue() *Catalogue {
	rs := []change.Rule{
		{ID: "t/break", Severity: change.Breaking, Category: change.CatAuth, Upgrade: change.UserInput, Bump: change.BumpPatch},
		{ID: "t/added", Severity: change.Info, Category: change.CatConfig, Upgrade: change.Lazy, Bump: change.BumpMinor},
		{ID: "t/changed", Severity: change.Info, Category: change.CatWorkflow, Upgrade: change.Lazy, Bump: change.BumpPatch},
		{ID: "t/warn", Severity: change.Warning, Category: change.CatConfig, Upgrade: change.Lazy, Bump: change.BumpPatch},
		{ID: "t/error", Severity: change.Error, Category: change.CatUserData, Upgrade: change.NoUpgrade, Bump: change.BumpPatch},
	}
	return New(append(rs, versionRules()...))
}

func finding(c *Catalogue, id, file, subject string) change.Finding {
	r, ok := c.Rule(id)
	if !ok {
		panic(id)
	}
	return r.New("art", subject, change.Location{File: file, Pointer: "/x", Line: 3, Column: 5}, change.Head, id)
}

func declared(v, file string) *change.Declared {
	return &change.Declared{Version: v, Location: change.Location{File: file, Pointer: "/version", Line: 2, Column: 14}}
}

func rulesOf(r *change.Report) []string {
	var ids []string
	for _, f := range r.Changes {
		ids = append(ids, f.Rule)
	}
	return ids
}

func TestClassify(t *testing.T) {
	c := testCatalogue()
	hidden := finding(c, "t/break", "a.json", "slot[h]")
	hidden.NoEndUser = true

	tests := []struct {
		name       string
		findings   []change.Finding
		base, head *change.Declared
		policy     Policy
		wantRules  []string
		wantSum    change.Summary
		check      func(t *testing.T, r *change.Report)
	}{
		{
			name:      "nothing changed",
			wantRules: nil,
			wantSum:   change.Summary{RequiredBump: change.BumpNone, DeclaredBump: change.BumpUnknown, OK: true},
		},
		{
			name:      "breaking requires major and fails",
			findings:  []change.Finding{finding(c, "t/break", "a.json", "s1"), finding(c, "t/added", "a.json", "s2")},
			wantRules: []string{"t/break", "t/added"},
			wantSum:   change.Summary{RequiredBump: change.BumpMajor, DeclaredBump: change.BumpUnknown, Breaking: 1, OK: false},
		},
		{
			name:      "an addition requires minor",
			findings:  []change.Finding{finding(c, "t/added", "a.json", "s"), finding(c, "t/changed", "a.json", "t")},
			wantRules: []string{"t/added", "t/changed"},
			wantSum:   change.Summary{RequiredBump: change.BumpMinor, DeclaredBump: change.BumpUnknown, OK: true},
		},
		{
			name:      "declared bump too small is an error finding at the head version",
			findings:  []change.Finding{finding(c, "t/added", "a.json", "s")},
			base:      declared("1.2.3", "base/package.json"),
			head:      declared("1.2.4", "head/package.json"),
			wantRules: []string{BumpInsufficient, "t/added"},
			wantSum:   change.Summary{RequiredBump: change.BumpMinor, DeclaredBump: change.BumpPatch, BaseVersion: "1.2.3", HeadVersion: "1.2.4", OK: false},
			check: func(t *testing.T, r *change.Report) {
				f := r.Changes[0]
				if f.File != "head/package.json" || f.Line != 2 || f.Before != "1.2.3" || f.After != "1.2.4" {
					t.Errorf("bump finding = %+v", f)
				}
			},
		},
		{
			name:      "a sufficient bump passes",
			findings:  []change.Finding{finding(c, "t/break", "a.json", "s")},
			base:      declared("1.2.3", "base/package.json"),
			head:      declared("2.0.0", "head/package.json"),
			policy:    Policy{AcceptAll: &change.Acceptance{Via: "label", By: "octocat"}},
			wantRules: []string{"t/break"},
			wantSum:   change.Summary{RequiredBump: change.BumpMajor, DeclaredBump: change.BumpMajor, BaseVersion: "1.2.3", HeadVersion: "2.0.0", Accepted: 1, OK: true},
		},
		{
			name:      "not semver",
			findings:  []change.Finding{finding(c, "t/changed", "a.json", "s")},
			base:      declared("1.2", "base/package.json"),
			head:      declared("1.3.0", "head/package.json"),
			wantRules: []string{NotSemver, "t/changed"},
			wantSum:   change.Summary{RequiredBump: change.BumpPatch, DeclaredBump: change.BumpUnknown, OK: false},
		},
		{
			// A version that goes down is an error, even for a change that
			// needs no bump, and it is the only version finding.
			name:      "downgrade",
			findings:  []change.Finding{finding(c, "t/added", "a.json", "s")},
			base:      declared("2.0.0", "base/package.json"),
			head:      declared("1.9.0", "head/package.json"),
			wantRules: []string{Downgrade, "t/added"},
			wantSum:   change.Summary{RequiredBump: change.BumpMinor, DeclaredBump: change.BumpNone, BaseVersion: "2.0.0", HeadVersion: "1.9.0", OK: false},
		},
		{
			name:      "downgrade without changes",
			base:      declared("1.0.1", "base/package.json"),
			head:      declared("1.0.0", "head/package.json"),
			wantRules: []string{Downgrade},
			wantSum:   change.Summary{RequiredBump: change.BumpNone, DeclaredBump: change.BumpNone, BaseVersion: "1.0.1", HeadVersion: "1.0.0", OK: false},
		},
		{
			name:     "ignore by path and re-grade",
			findings: []change.Finding{finding(c, "t/break", "exports/a.json", "s"), finding(c, "t/break", "legacy/b.json", "s"), finding(c, "t/warn", "x.json", "w")},
			policy: Policy{Overrides: []Override{
				{Rule: "t/break", Paths: []string{"legacy/**"}, Ignore: true},
				{Rule: "t/warn", Severity: change.Info},
			}},
			wantRules: []string{"t/break", "t/warn"},
			wantSum:   change.Summary{RequiredBump: change.BumpMajor, DeclaredBump: change.BumpUnknown, Breaking: 1, OK: false},
			check: func(t *testing.T, r *change.Report) {
				if r.Changes[1].Severity != change.Info {
					t.Errorf("t/warn not re-graded: %s", r.Changes[1].Severity)
				}
			},
		},
		{
			name:      "hidden slot turns user-input into system-input",
			findings:  []change.Finding{hidden},
			wantRules: []string{"t/break"},
			wantSum:   change.Summary{RequiredBump: change.BumpMajor, DeclaredBump: change.BumpUnknown, Breaking: 1, OK: false},
			check: func(t *testing.T, r *change.Report) {
				if r.Changes[0].Upgrade != change.SystemInput {
					t.Errorf("upgrade = %s, want system-input", r.Changes[0].Upgrade)
				}
			},
		},
		{
			name:      "fail-on warning",
			findings:  []change.Finding{finding(c, "t/warn", "a.json", "w")},
			policy:    Policy{FailOn: "warning"},
			wantRules: []string{"t/warn"},
			wantSum:   change.Summary{RequiredBump: change.BumpPatch, DeclaredBump: change.BumpUnknown, FailOn: "warning", OK: false},
		},
		{
			// never means never: only a tool error (exit code 2) fails.
			name:      "fail-on never passes error findings too",
			findings:  []change.Finding{finding(c, "t/break", "a.json", "b"), finding(c, "t/error", "a.json", "e")},
			policy:    Policy{FailOn: "never"},
			wantRules: []string{"t/error", "t/break"},
			wantSum:   change.Summary{RequiredBump: change.BumpMajor, DeclaredBump: change.BumpUnknown, Breaking: 1, FailOn: "never", OK: true},
		},
		{
			name:      "fail-on never passes breaking changes",
			findings:  []change.Finding{finding(c, "t/break", "a.json", "b")},
			policy:    Policy{FailOn: "never"},
			wantRules: []string{"t/break"},
			wantSum:   change.Summary{RequiredBump: change.BumpMajor, DeclaredBump: change.BumpUnknown, Breaking: 1, FailOn: "never", OK: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			comps := []change.Comparison{{Artifact: "art", Findings: tc.findings}}
			r := classify(c, comps, tc.base, tc.head, tc.policy)
			if diff := cmp.Diff(tc.wantRules, rulesOf(r)); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
			got := r.Summary
			got.Severities, got.Categories = nil, nil
			want := tc.wantSum
			if want.FailOn == "" {
				want.FailOn = "breaking"
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			for _, f := range r.Changes {
				if len(f.Fingerprint) != 16 {
					t.Errorf("%s: fingerprint %q", f.Rule, f.Fingerprint)
				}
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestAcceptByFingerprint(t *testing.T) {
	c := testCatalogue()
	f := finding(c, "t/break", "a.json", "s")
	fp := f.ComputeFingerprint()
	p := Policy{Accepted: []Accepted{{Fingerprint: fp, By: "alice", Reason: "planned re-auth"}}}
	r := classify(c, []change.Comparison{{Findings: []change.Finding{f, finding(c, "t/break", "a.json", "other")}}}, nil, nil, p)
	var accepted, open int
	for _, f := range r.Changes {
		if f.Accepted != nil {
			accepted++
			if f.Accepted.By != "alice" || f.Accepted.Via != "config" {
				t.Errorf("acceptance = %+v", f.Accepted)
			}
		} else {
			open++
		}
	}
	if accepted != 1 || open != 1 || r.Summary.OK || r.Summary.Accepted != 1 || r.Summary.Breaking != 1 {
		t.Errorf("accepted %d, open %d, summary %+v", accepted, open, r.Summary)
	}
}

// Several artifacts sharing one package.json get one version verdict.
func TestSharedVersionJudgedOnce(t *testing.T) {
	c := testCatalogue()
	comps := []change.Comparison{
		{Artifact: "a", Findings: []change.Finding{finding(c, "t/break", "a.json", "s")}},
		{Artifact: "b", Findings: []change.Finding{finding(c, "t/added", "b.json", "s")}},
	}
	r := classify(c, comps, declared("1.0.0", "base/package.json"), declared("1.1.0", "head/package.json"), Policy{})
	n := 0
	for _, f := range r.Changes {
		if f.Rule == BumpInsufficient {
			n++
			if want := "The changes require a major version bump, but the version goes from 1.0.0 to 1.1.0 (minor)."; f.Message != want {
				t.Errorf("message = %q", f.Message)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d bump findings, want 1", n)
	}
}

func TestMatchGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"**/*.json", "a.json", true},
		{"**/*.json", "x/y/a.json", true},
		{"exports/**", "exports/a/b.json", true},
		{"exports/**", "other/a.json", false},
		{"*.json", "x/a.json", false},
		{"x/**/a.json", "x/a.json", true},
		{"./exports/*.ckbk", "exports/poll.ckbk", true},
	} {
		if got := MatchGlob(tc.pattern, tc.name); got != tc.want {
			t.Errorf("MatchGlob(%q, %q) = %v", tc.pattern, tc.name, got)
		}
	}
}
