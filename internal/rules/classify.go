package rules

import (
	"cmp"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/breakwater-dev/breakwater/internal/change"
)

// Classify applies the policy to the comparisons of one run and produces the
// report. fallback is the declared version pair for artifacts that declare
// none themselves (a package.json); either side may be nil. The steps:
//
//  1. overrides: ignore or re-grade findings, and group artifacts by the
//     version they declare;
//  2. versions: check each group's declared bump against what it requires;
//  3. settle: upgrade adjustments, fingerprints and acceptances, in report
//     order;
//  4. summary: the bumps, the counts and the verdict.
func (c *Catalogue) Classify(comps []change.Comparison, fallbackBase, fallbackHead *change.Declared, p Policy) *change.Report {
	all, groups, required := c.overridden(comps, fallbackBase, fallbackHead, p)
	var covered change.Coverage
	for _, comp := range comps {
		covered = covered.Add(comp.Coverage)
	}
	vf, declared, from := c.versions(groups, p)
	all = append(all, vf...)
	c.settle(all, p)

	r := &change.Report{Version: change.ReportFormatVersion, Changes: all}
	if all == nil {
		r.Changes = []change.Finding{}
	}
	s := &r.Summary
	s.RequiredBump, s.DeclaredBump = required, declared
	s.Coverage = covered
	if from[0] != nil {
		s.BaseVersion = from[0].Version
	}
	if from[1] != nil {
		s.HeadVersion = from[1].Version
	}
	s.FailOn = cmp.Or(p.FailOn, change.FailOnBreaking)
	s.OK = c.verdict(r)
	return r
}

// versionGroup is the artifacts that share a declared version (one
// package.json for several exports): the bump is checked once per version.
type versionGroup struct {
	artifact   string
	base, head *change.Declared
	required   change.Bump
	changed    bool
}

// overridden applies the overrides to every comparison's findings, groups
// the comparisons by declared version and returns the bump the whole change
// requires.
func (c *Catalogue) overridden(comps []change.Comparison, fallbackBase, fallbackHead *change.Declared, p Policy) ([]change.Finding, []*versionGroup, change.Bump) {
	var all []change.Finding
	required := change.BumpNone
	var groups []*versionGroup
	byKey := map[string]*versionGroup{}
	for _, comp := range comps {
		findings := c.applyOverrides(comp.Findings, p)
		bump := c.requiredBump(findings)
		required = max(required, bump)
		all = append(all, findings...)

		base, head := comp.Base, comp.Head
		if base == nil && head == nil {
			base, head = fallbackBase, fallbackHead
		}
		key := declaredKey(base) + "\x00" + declaredKey(head)
		g := byKey[key]
		if g == nil {
			g = &versionGroup{artifact: comp.Artifact, base: base, head: head}
			byKey[key] = g
			groups = append(groups, g)
		}
		g.required = max(g.required, bump)
		g.changed = g.changed || len(findings) > 0
	}
	return all, groups, required
}

// versions checks every group's declared versions; the declared bump of the
// change is the smallest one read, with the versions it was read from.
func (c *Catalogue) versions(groups []*versionGroup, p Policy) ([]change.Finding, change.Bump, [2]*change.Declared) {
	var out []change.Finding
	declared := change.BumpUnknown
	var from [2]*change.Declared
	for _, g := range groups {
		vf, bump := c.versionFindings(g.artifact, g.base, g.head, g.required, g.changed)
		out = append(out, c.applyOverrides(vf, p)...)
		if bump != change.BumpUnknown && (declared == change.BumpUnknown || bump < declared) {
			declared, from = bump, [2]*change.Declared{g.base, g.head}
		}
	}
	return out, declared, from
}

// settle gives every finding what depends on the whole policy: the upgrade
// of hidden slots, the fingerprint and the acceptance; then sorts them.
func (c *Catalogue) settle(all []change.Finding, p Policy) {
	for i := range all {
		f := &all[i]
		if f.NoEndUser && f.Upgrade == change.UserInput {
			f.Upgrade = change.SystemInput
		}
		f.Fingerprint = f.ComputeFingerprint()
		f.Accepted = accept(f, p)
	}
	sortFindings(all)
}

// verdict counts the findings into the summary and says whether the check
// passes: with fail-on never nothing fails it, with breaking unaccepted
// breaking and error findings do, with warning warnings too.
func (c *Catalogue) verdict(r *change.Report) bool {
	s := &r.Summary
	s.Severities = map[change.Severity]int{}
	s.Categories = map[change.Category]int{}
	failed := false
	for _, f := range r.Changes {
		s.Severities[f.Severity]++
		s.Categories[f.Category]++
		switch {
		case f.Accepted != nil:
			s.Accepted++
		case f.Severity == change.Breaking:
			s.Breaking++
			failed = true
		case f.Severity == change.Error:
			failed = true
		case f.Severity == change.Warning:
			failed = failed || s.FailOn == change.FailOnWarning
		}
	}
	return !failed || s.FailOn == change.FailOnNever
}

// applyOverrides drops ignored findings and re-grades the rest; the last
// matching override wins, so a path-specific entry after a global one
// refines it.
func (c *Catalogue) applyOverrides(in []change.Finding, p Policy) []change.Finding {
	overrides := p.Overrides
	if len(overrides) == 0 {
		return in
	}
	out := in[:0:0]
	for _, f := range in {
		keep := true
		for _, o := range overrides {
			if o.Rule != f.Rule || !matchesAny(o.Paths, p.pathOf(f.File)) {
				continue
			}
			keep = !o.Ignore
			if o.Severity != "" {
				f.Severity = o.Severity
			}
		}
		if keep {
			out = append(out, f)
		}
	}
	return out
}

// requiredBump is SemVer's answer for a set of findings: any breaking
// finding → major, any addition → minor, any other change → patch.
func (c *Catalogue) requiredBump(findings []change.Finding) change.Bump {
	b := change.BumpNone
	for _, f := range findings {
		switch {
		case f.Severity == change.Breaking:
			return change.BumpMajor
		case f.Severity == change.Error:
			// Invalid input is no change to version.
		default:
			if r, ok := c.Rule(f.Rule); ok {
				b = max(b, r.Bump)
			} else {
				b = max(b, change.BumpPatch)
			}
		}
	}
	return b
}

// versionFindings checks the declared versions of one artifact against the
// bump its findings require, and returns the declared bump (BumpUnknown
// when it cannot be read).
func (c *Catalogue) versionFindings(artifact string, base, head *change.Declared, required change.Bump, changed bool) ([]change.Finding, change.Bump) {
	var out []change.Finding
	parse := func(d *change.Declared, side change.Side) *semver.Version {
		if d == nil {
			return nil
		}
		v, err := semver.StrictNewVersion(d.Version)
		if err != nil {
			r, _ := c.Rule(NotSemver)
			out = append(out, r.New(artifact, "version/"+string(side), d.Location, side,
				fmt.Sprintf("The declared version %q is not SemVer 2.0 (%v).", d.Version, err)).With(nil, d.Version))
			return nil
		}
		return v
	}
	bv, hv := parse(base, change.Base), parse(head, change.Head)
	if bv == nil || hv == nil {
		return out, change.BumpUnknown
	}
	declared := bumpBetween(bv, hv)
	switch {
	case hv.LessThan(bv):
		r, _ := c.Rule(Downgrade)
		out = append(out, r.New(artifact, "version", head.Location, change.Head,
			fmt.Sprintf("The declared version goes down from %s to %s.", base.Version, head.Version)).With(base.Version, head.Version))
	case declared < required && changed:
		r, _ := c.Rule(BumpInsufficient)
		out = append(out, r.New(artifact, "version", head.Location, change.Head,
			fmt.Sprintf("The changes require a %s version bump, but the version goes from %s to %s (%s).",
				required, base.Version, head.Version, declared)).With(base.Version, head.Version))
	}
	return out, declared
}

func declaredKey(d *change.Declared) string {
	if d == nil {
		return ""
	}
	return d.File + "#" + d.Pointer
}

func bumpBetween(from, to *semver.Version) change.Bump {
	switch {
	case !to.GreaterThan(from):
		return change.BumpNone
	case to.Major() != from.Major():
		return change.BumpMajor
	case to.Minor() != from.Minor():
		return change.BumpMinor
	default:
		return change.BumpPatch
	}
}

func accept(f *change.Finding, p Policy) *change.Acceptance {
	if f.Severity != change.Breaking {
		return nil
	}
	for _, a := range p.Accepted {
		if a.Fingerprint == f.Fingerprint {
			return &change.Acceptance{By: a.By, Reason: a.Reason, Via: "config"}
		}
	}
	if p.AcceptAll != nil {
		a := *p.AcceptAll
		return &a
	}
	return nil
}

// sortFindings orders the report: most serious first, then by place.
func sortFindings(fs []change.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if ra, rb := a.Severity.Rank(), b.Severity.Rank(); ra != rb {
			return ra > rb
		}
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Rule < b.Rule
	})
}

func matchesAny(patterns []string, file string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if MatchGlob(p, file) {
			return true
		}
	}
	return false
}

// MatchGlob matches a slash-separated path against a pattern in path.Match
// syntax extended with "**" for any number of directories.
func MatchGlob(pattern, name string) bool {
	pattern, name = strings.TrimPrefix(pattern, "./"), strings.TrimPrefix(name, "./")
	if !strings.Contains(pattern, "**") {
		ok, _ := path.Match(pattern, name)
		return ok
	}
	return matchSegments(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegments(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegments(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	return len(name) == 0
}
