// Package report renders a classified *change.Report: text for terminals,
// Markdown for the pull request comment and job summary, JSON (described by
// schema/report.schema.json), SARIF 2.1.0 for code scanning and GitHub
// workflow commands. Renderers only print: the verdict, the counts and the
// bump all come from the report, so every face of the tool agrees.
package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/clip"
)

// RuleBook looks a rule's metadata up by ID (the rules catalogue implements
// it). A nil RuleBook, or a rule it does not know, only leaves out the
// explanations.
type RuleBook interface {
	Rule(id string) (change.Rule, bool)
}

func lookup(book RuleBook, id string) (change.Rule, bool) {
	if book == nil {
		return change.Rule{}, false
	}
	return book.Rule(id)
}

// bumpInsufficient is the rule the verdict already states in words.
const bumpInsufficient = "version/bump-insufficient"

// class is how the renderers group findings, in the order they show them:
// what fails the check first, what only informs last.
type class int

const (
	classError class = iota
	classBreaking
	classAccepted
	classWarning
	classInfo
	numClasses
)

func classOf(f *change.Finding) class {
	switch f.Severity {
	case change.Error:
		return classError
	case change.Breaking:
		if f.Accepted != nil {
			return classAccepted
		}
		return classBreaking
	case change.Warning:
		return classWarning
	}
	return classInfo
}

// partition splits the findings by class, keeping the report's order within
// each class.
func partition(r *change.Report) [numClasses][]*change.Finding {
	var out [numClasses][]*change.Finding
	for i := range r.Changes {
		f := &r.Changes[i]
		c := classOf(f)
		out[c] = append(out[c], f)
	}
	return out
}

// severityCounts are the summary's counts; a report built without them (by
// hand, in a test) is counted from its findings.
func severityCounts(r *change.Report) map[change.Severity]int {
	if r.Summary.Severities != nil {
		return r.Summary.Severities
	}
	counts := map[change.Severity]int{}
	for _, f := range r.Changes {
		counts[f.Severity]++
	}
	return counts
}

// outcome is the verdict's tone.
type outcome int

const (
	pass outcome = iota
	warn         // something would fail the check, but fail-on says never
	fail
)

// verdict is the one line every format leads with. It is built from counts
// and bump names only, never from strings out of the exports.
func verdict(r *change.Report) (outcome, string) {
	s := r.Summary
	errs, bumpFinding := 0, false
	for _, f := range r.Changes {
		switch {
		case f.Rule == bumpInsufficient:
			bumpFinding = true
		case f.Severity == change.Error:
			errs++
		}
	}
	var parts []string
	if s.Breaking > 0 {
		n := plural(s.Breaking, "breaking change", "breaking changes")
		if s.DeclaredBump == change.BumpMajor {
			parts = append(parts, fmt.Sprintf("%s %s not accepted (declared: major)", n, verb(s.Breaking, "is", "are")))
		} else {
			parts = append(parts, fmt.Sprintf("%s %s a major version bump (declared: %s)", n, verb(s.Breaking, "needs", "need"), s.DeclaredBump))
		}
	} else if bumpFinding || (s.DeclaredBump != change.BumpUnknown && s.DeclaredBump < s.RequiredBump) {
		parts = append(parts, fmt.Sprintf("the version bump is too small: %s required, %s declared", s.RequiredBump, s.DeclaredBump))
	}
	if errs > 0 {
		parts = append(parts, fmt.Sprintf("%s must be fixed", plural(errs, "error", "errors")))
	}
	if s.FailOn == change.FailOnWarning {
		if w := severityCounts(r)[change.Warning]; w > 0 {
			parts = append(parts, fmt.Sprintf("%s (fail-on: warning)", plural(w, "warning", "warnings")))
		}
	}
	switch {
	case !s.OK && len(parts) == 0:
		return fail, "The check failed"
	case !s.OK:
		return fail, capitalize(strings.Join(parts, "; "))
	case len(parts) > 0:
		return warn, capitalize(strings.Join(parts, "; ")) + " — not failing (fail-on: " + string(failOn(s)) + ")"
	case s.Accepted > 0:
		return pass, fmt.Sprintf("No unaccepted breaking changes (%d accepted)", s.Accepted)
	}
	return pass, "No breaking changes"
}

func failOn(s change.Summary) change.FailOn {
	return cmp.Or(s.FailOn, change.FailOnBreaking)
}

// countsLine lists the findings per severity, e.g.
// "4 breaking (1 accepted), 2 warnings, 5 info, 1 error".
func countsLine(r *change.Report) string {
	c := severityCounts(r)
	if c[change.Breaking]+c[change.Warning]+c[change.Info]+c[change.Error] == 0 {
		return "no findings"
	}
	var parts []string
	if n := c[change.Error]; n > 0 {
		parts = append(parts, plural(n, "error", "errors"))
	}
	if n := c[change.Breaking]; n > 0 {
		p := fmt.Sprintf("%d breaking", n)
		if r.Summary.Accepted > 0 {
			p += fmt.Sprintf(" (%d accepted)", r.Summary.Accepted)
		}
		parts = append(parts, p)
	}
	if n := c[change.Warning]; n > 0 {
		parts = append(parts, plural(n, "warning", "warnings"))
	}
	if n := c[change.Info]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d info", n))
	}
	return strings.Join(parts, ", ")
}

// comparedLine says what the run compared, e.g. "1 artifact: 2 files in
// base/, 2 in head/"; quote renders the sides' names for the output.
func comparedLine(c change.Compared, quote func(string) string) string {
	side := func(name, fallback string) string {
		if name == "" {
			return fallback
		}
		return quote(clip.Runes(name, maxName))
	}
	s := fmt.Sprintf("%s: %s in %s, %d in %s", plural(c.Artifacts, "artifact", "artifacts"),
		plural(c.BaseFiles, "file", "files"), side(c.Base, "the base"), c.HeadFiles, side(c.Head, "the head"))
	if c.Artifacts == 0 {
		s = "no artifact"
	}
	if c.Skipped > 0 {
		s += fmt.Sprintf("; %s the globs matched %s of no known format", plural(c.Skipped, "file", "files"), verb(c.Skipped, "is", "are"))
	}
	return s
}

// coverageLine says how many changes the compared artifacts hold and how
// many of them only a generic rule reports (docs/formats.md, "Every change
// accounted for"): "12 changes, all classified".
func coverageLine(c change.Coverage) string {
	switch {
	case c.Changes == 0:
		return "no changes in the artifacts compared on both sides"
	case c.Generic == 0:
		return plural(c.Changes, "change", "changes") + ", all classified"
	}
	return fmt.Sprintf("%s, %d of them reported only by a generic …/other-changed rule", plural(c.Changes, "change", "changes"), c.Generic)
}

// maxValueJSON caps a before or after value in the JSON and SARIF reports:
// a 50 MB default value must not be copied whole into every report. The
// fingerprint was computed from the whole value.
const maxValueJSON = 4 << 10

// capValue is v, or, when v is longer than maxValueJSON as JSON, a string
// that shows its start and says it was cut and how long it was.
func capValue(v any) any {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil || len(b) <= maxValueJSON {
		return v
	}
	return fmt.Sprintf("%s [cut by Breakwater: %d bytes of JSON in all]", clip.Runes(string(b), 200), len(b))
}

// capValues is a copy of the findings with their values capped.
func capValues(fs []change.Finding) []change.Finding {
	out := make([]change.Finding, len(fs))
	for i, f := range fs {
		f.Before, f.After = capValue(f.Before), capValue(f.After)
		out[i] = f
	}
	return out
}

// where is a finding's position for people: file:line:col, the file alone
// when there is no line, "(no file)" when the finding has no file at all.
func where(f *change.Finding) string {
	if f.File == "" {
		return "(no file)"
	}
	return f.Location.String()
}

// compactValue renders a before/after value as short JSON. HTML is not
// escaped here: every caller escapes for its own output.
func compactValue(v any, limit int) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return clip.Runes(fmt.Sprint(v), limit)
	}
	return clip.Runes(strings.TrimSuffix(b.String(), "\n"), limit)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
