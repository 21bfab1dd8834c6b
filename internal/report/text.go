package report

import (
	"bufio"
	"fmt"
	"io"

	"github.com/breakwater-dev/breakwater/internal/change"
)

// TextOptions tune the terminal report.
type TextOptions struct {
	// Color adds ANSI colours; set it only when writing to a terminal.
	Color bool
	// Verbose lists info findings (by default they are only counted) and
	// shows the before and after values.
	Verbose bool
}

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiDim    = "\x1b[2m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// textSections are the headings of the classes, in display order.
var textSections = [numClasses]struct {
	title, color string
}{
	classError:    {"ERRORS", ansiRed + ansiBold},
	classBreaking: {"BREAKING", ansiRed + ansiBold},
	classAccepted: {"ACCEPTED BREAKING", ansiGreen},
	classWarning:  {"WARNINGS", ansiYellow},
	classInfo:     {"INFO", ansiDim},
}

// Text writes the terminal report: the verdict line, the bump and the counts,
// then the findings grouped by severity with file:line:col, rule, message and
// upgrade consequence.
func Text(w io.Writer, r *change.Report, book RuleBook, opts TextOptions) error {
	if r == nil {
		r = &change.Report{}
	}
	bw := bufio.NewWriter(w)
	paint := func(color, s string) string {
		if !opts.Color || color == "" {
			return s
		}
		return color + s + ansiReset
	}

	tone, line := verdict(r)
	mark := map[outcome]string{pass: paint(ansiGreen+ansiBold, "✓"), warn: paint(ansiYellow+ansiBold, "!"), fail: paint(ansiRed+ansiBold, "✗")}[tone]
	fmt.Fprintf(bw, "%s %s\n", mark, paint(ansiBold, line))
	fmt.Fprintf(bw, "  required bump: %s, declared: %s%s\n", r.Summary.RequiredBump, r.Summary.DeclaredBump, textVersions(r.Summary))
	fmt.Fprintf(bw, "  findings: %s\n", countsLine(r))
	fmt.Fprintf(bw, "  compared: %s\n", comparedLine(r.Summary.Compared, termText))
	fmt.Fprintf(bw, "  coverage: %s\n", coverageLine(r.Summary.Coverage))

	groups := partition(r)
	for c := range numClasses {
		fs := groups[c]
		if len(fs) == 0 {
			continue
		}
		sec := textSections[c]
		if c == classInfo && !opts.Verbose {
			fmt.Fprintf(bw, "\n%s\n", paint(sec.color, fmt.Sprintf("%s (%d) not listed; --verbose shows them", sec.title, len(fs))))
			continue
		}
		fmt.Fprintf(bw, "\n%s\n", paint(sec.color, fmt.Sprintf("%s (%d)", sec.title, len(fs))))
		for _, f := range fs {
			writeTextFinding(bw, f, opts, paint)
		}
	}
	if opts.Verbose {
		writeTextRules(bw, r, book, paint)
	}
	if r.Summary.Breaking > 0 {
		fmt.Fprintf(bw, "\nTo accept an intended break, record its fingerprint in the configuration or label the pull request; `breakwater explain RULE` says what each rule means.\n")
	}
	return bw.Flush()
}

func writeTextFinding(w io.Writer, f *change.Finding, opts TextOptions, paint func(string, string) string) {
	loc := termText(where(f))
	if f.Side == change.Base && f.Line > 0 {
		loc += " (base)"
	}
	fmt.Fprintf(w, "  %s  %s", paint(ansiBold, loc), termText(f.Rule))
	if f.Upgrade != "" && f.Upgrade != change.NoUpgrade && f.Severity != change.Info {
		fmt.Fprintf(w, "  upgrade: %s", termText(string(f.Upgrade)))
	}
	fmt.Fprintf(w, "\n    %s\n", termText(f.Message))
	if opts.Verbose && (f.Before != nil || f.After != nil) {
		fmt.Fprintf(w, "    before: %s\n    after:  %s\n", termValue(f.Before), termValue(f.After))
	}
	if a := f.Accepted; a != nil {
		fmt.Fprintf(w, "    %s\n", paint(ansiGreen, "accepted"+textAcceptance(a)))
	}
	if f.Severity == change.Breaking && f.Accepted == nil && f.Fingerprint != "" {
		fmt.Fprintf(w, "    %s\n", paint(ansiDim, "fingerprint "+termText(f.Fingerprint)))
	}
}

// writeTextRules explains each rule that fired once, in the order the rules
// first appear in the report.
func writeTextRules(w io.Writer, r *change.Report, book RuleBook, paint func(string, string) string) {
	seen := map[string]bool{}
	header := false
	for _, f := range r.Changes {
		if seen[f.Rule] {
			continue
		}
		seen[f.Rule] = true
		rule, ok := lookup(book, f.Rule)
		if !ok || (rule.Why == "" && rule.Fix == "") {
			continue
		}
		if !header {
			fmt.Fprintf(w, "\n%s\n", paint(ansiBold, "RULES"))
			header = true
		}
		fmt.Fprintf(w, "  %s\n", paint(ansiBold, termText(f.Rule)))
		if rule.Why != "" {
			fmt.Fprintf(w, "    why: %s\n", termText(rule.Why))
		}
		if rule.Fix != "" {
			fmt.Fprintf(w, "    fix: %s\n", termText(rule.Fix))
		}
	}
}

func textAcceptance(a *change.Acceptance) string {
	s := ""
	if a.By != "" {
		s += " by " + termText(a.By)
	}
	if a.Via != "" {
		s += " via " + termText(a.Via)
	}
	if a.Reason != "" {
		s += ": " + termText(a.Reason)
	}
	return s
}

func textVersions(s change.Summary) string {
	if s.BaseVersion == "" && s.HeadVersion == "" {
		return ""
	}
	return fmt.Sprintf(" (%s → %s)", termText(orDash(s.BaseVersion)), termText(orDash(s.HeadVersion)))
}

func termValue(v any) string {
	if v == nil {
		return "(none)"
	}
	return termText(compactValue(v, 200))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
