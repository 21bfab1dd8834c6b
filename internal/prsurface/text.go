package prsurface

import (
	"fmt"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/report"
)

// HasBreaking reports breaking findings, accepted or not: they make the
// change a breaking one, whatever the check says.
func HasBreaking(rep *change.Report) bool {
	if rep == nil {
		return false
	}
	for _, f := range rep.Changes {
		if f.Severity == change.Breaking {
			return true
		}
	}
	return false
}

// unaccepted are the breaking findings nobody accepted.
func unaccepted(rep *change.Report) []change.Finding {
	if rep == nil {
		return nil
	}
	var out []change.Finding
	for _, f := range rep.Changes {
		if f.Severity == change.Breaking && f.Accepted == nil {
			out = append(out, f)
		}
	}
	return out
}

// AcceptHowTo tells how to accept the unaccepted breaking changes, naming
// the acceptance label and the fingerprints to record in configPath; "" when
// there are none.
func AcceptHowTo(rep *change.Report, acceptLabel, configPath string) string {
	open := unaccepted(rep)
	if len(open) == 0 {
		return ""
	}
	const maxListed = 10
	var b strings.Builder
	what, pronoun := "this breaking change", "its fingerprint"
	if len(open) > 1 {
		what, pronoun = fmt.Sprintf("these %d breaking changes", len(open)), "their fingerprints"
	}
	fmt.Fprintf(&b, "\n**To accept %s**, add the label %s to this pull request, or record %s in %s:\n\n```yaml\naccepted:\n",
		what, report.CodeSpan(acceptLabel), pronoun, report.CodeSpan(configPath))
	for i, f := range open {
		if i == maxListed {
			fmt.Fprintf(&b, "  # …and %d more: see the JSON report\n", len(open)-maxListed)
			break
		}
		fmt.Fprintf(&b, "  - fingerprint: %s  # %s\n    by: your-github-login\n    reason: why this break is intended\n", f.Fingerprint, f.Rule)
	}
	b.WriteString("```\n")
	return b.String()
}

// FailureMessage says, in one line for a log or an error annotation, why the
// check failed and how to accept an intended break.
func FailureMessage(rep *change.Report, acceptLabel, configPath string) string {
	s := rep.Summary
	var parts []string
	if s.Breaking > 0 {
		fps := []string{}
		for i, f := range unaccepted(rep) {
			if i == 5 {
				fps = append(fps, "…")
				break
			}
			fps = append(fps, f.Fingerprint)
		}
		parts = append(parts, fmt.Sprintf("%s not accepted. To accept, add the label %q to the pull request, or add the fingerprints (%s) under `accepted:` in %s with who accepted them and why",
			plural(s.Breaking, "breaking change is", "breaking changes are"), acceptLabel, strings.Join(fps, ", "), configPath))
	}
	if s.DeclaredBump != change.BumpUnknown && s.DeclaredBump < s.RequiredBump {
		parts = append(parts, fmt.Sprintf("the declared version bump (%s) is smaller than the required one (%s): raise the version", s.DeclaredBump, s.RequiredBump))
	}
	if n := s.Severities[change.Error]; n > 0 {
		parts = append(parts, fmt.Sprintf("%s must be fixed", plural(n, "error finding", "error findings")))
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf("findings at or above fail-on: %s", s.FailOn))
	}
	return "Breakwater: the check failed: " + strings.Join(parts, "; ") + "."
}

// CheckTitle is the check run's one-line title, from counts only.
func CheckTitle(rep *change.Report, touched bool) string {
	if !touched {
		return "No export files changed"
	}
	s := rep.Summary
	switch {
	case s.Breaking > 0 && s.Accepted > 0:
		return fmt.Sprintf("%s (%d accepted)", plural(s.Breaking, "unaccepted breaking change", "unaccepted breaking changes"), s.Accepted)
	case s.Breaking > 0:
		return plural(s.Breaking, "breaking change", "breaking changes")
	case !s.OK:
		return "The check failed"
	case s.Accepted > 0:
		return fmt.Sprintf("No unaccepted breaking changes (%d accepted)", s.Accepted)
	case len(rep.Changes) > 0:
		return fmt.Sprintf("No breaking changes (%s)", plural(len(rep.Changes), "finding", "findings"))
	}
	return "No breaking changes"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
