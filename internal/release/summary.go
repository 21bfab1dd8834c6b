package release

import (
	"context"
	"fmt"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/report"
)

// SummaryStep writes the job summary. It always runs, also after a failed
// step: a failed release is reported as completely as a good one.
type SummaryStep struct {
	// Write receives the Markdown (the Actions runner's job summary, or a
	// file); nil makes the step a no-op that only records itself.
	Write func(markdown string) error
}

func (SummaryStep) Name() string { return "job summary" }
func (SummaryStep) Always() bool { return true }

func (s SummaryStep) Run(_ context.Context, r *Release) (string, error) {
	if s.Write == nil {
		return "", Skip("there is no job summary outside GitHub Actions")
	}
	if err := s.Write(Summary(r)); err != nil {
		return "", err
	}
	return "written", nil
}

// mark is a status as the summary shows it.
func (s Status) mark() string {
	switch s {
	case StatusDone:
		return "✅ done"
	case StatusSkipped:
		return "⏭️ skipped"
	case StatusPartial:
		return "⚠️ partial"
	}
	return "❌ failed"
}

// Summary is the release's Markdown report: package, integrity, signature
// identity, publish result, every step, the change record and every
// environment's outcome with what a person must do. Every string that
// comes from outside is escaped; secrets are replaced.
func Summary(r *Release) string {
	var b strings.Builder
	t := report.MarkdownText
	name := r.Package.NPM
	if name == "" {
		name = r.Package.Runtime
	}
	title := "Release"
	if r.Rollback {
		title = "Rollback to"
	}
	fmt.Fprintf(&b, "## %s %s %s\n\n%s\n\n", title, t(name), t(r.Version), verdict(r))
	b.WriteString("| | |\n|---|---|\n")
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "| %s | %s |\n", k, v)
		}
	}
	row("package", t(r.Package.NPM)+packageRuntime(r))
	switch {
	case r.Rollback && r.Previous != nil:
		row("version", t(r.Version)+" (back from "+t(r.Previous.Version)+")")
	case r.Previous != nil:
		row("version", t(r.Version)+" (previous release "+t(r.Previous.Version)+")")
	case r.Version != "" && !r.Rollback:
		row("version", t(r.Version)+" (first release)")
	}
	if r.Tag != "" && r.Commit != "" {
		row("source", t(r.Tag)+" "+t(short(r.Commit)))
	} else if r.Tag != "" {
		row("source", t(r.Tag))
	}
	if r.Verified != nil {
		row("integrity", code(r.Verified.Digests.Integrity()))
	}
	switch {
	case r.Verified != nil && r.Verified.KeyHint != "":
		row("signature", "key "+code(r.Verified.KeyHint)+", verified")
	case r.Verified != nil:
		row("signature", code(r.Verified.SAN)+" (issuer "+code(r.Verified.Issuer)+"), verified")
	case r.Signature != nil:
		row("signature", "made, not verified")
	}
	row("publish", t(r.Published))
	for _, d := range r.Deploys {
		row("deploy "+t(d.Environment), t(d.Outcome))
	}

	b.WriteString("\n### Steps\n\n| step | result | detail |\n|---|---|---|\n")
	for _, rec := range r.Records {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", t(rec.Step), rec.Status.mark(), t(r.redact(rec.Detail)))
	}

	if r.Manifest != nil {
		writeChanges(&b, r)
	}
	for _, d := range r.Deploys {
		writeDeploy(&b, r, d)
	}
	if len(r.Warnings) > 0 {
		b.WriteString("\n### Warnings\n\n")
		for _, w := range r.Warnings {
			fmt.Fprintf(&b, "- %s\n", t(r.redact(w)))
		}
	}
	return r.redact(b.String())
}

// verdict is the summary's first line: done or what failed, and whether a
// person must act.
func verdict(r *Release) string {
	t := report.MarkdownText
	var line string
	for _, rec := range r.Records {
		if rec.Status == StatusFailed || rec.Status == StatusPartial {
			line = fmt.Sprintf("❌ **%s: %s**", t(rec.Step), rec.Status)
			break
		}
	}
	if line == "" && r.Rollback {
		line = "✅ **Rolled back** to " + t(r.Version)
	} else if line == "" {
		line = "✅ **Released** " + t(r.Version) + ": every step is done, or says why it was skipped"
	}
	for _, d := range r.Deploys {
		if len(d.ManualSteps) > 0 {
			return line + ". A person must act: see *What to do* under " + t(d.Environment) + " below."
		}
	}
	return line + "."
}

// code shows an identifier verbatim (a code span), unless it could break
// out of a table cell.
func code(s string) string {
	if strings.ContainsAny(s, "|\r\n") {
		return report.MarkdownText(s)
	}
	return report.CodeSpan(s)
}

// withCode renders a manual step: its `…` spans as code (commands to
// copy), the rest escaped.
func withCode(s string) string {
	parts := strings.Split(s, "`")
	if len(parts)%2 == 0 { // an unpaired backtick: no spans at all
		return report.MarkdownText(s)
	}
	for i, p := range parts {
		if i%2 == 1 {
			parts[i] = report.CodeSpan(p)
			continue
		}
		// MarkdownText trims; the spaces around a span stay.
		text := report.MarkdownText(p)
		if i > 0 && strings.HasPrefix(p, " ") {
			text = " " + text
		}
		if i < len(parts)-1 && strings.HasSuffix(p, " ") {
			text += " "
		}
		parts[i] = text
	}
	return strings.Join(parts, "")
}

func packageRuntime(r *Release) string {
	if r.Package.Runtime == "" {
		return ""
	}
	return " (runtime name " + report.MarkdownText(r.Package.Runtime) + ")"
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func writeChanges(b *strings.Builder, r *Release) {
	t := report.MarkdownText
	c := r.Manifest.Changes
	if c == nil {
		b.WriteString("\n### Changes\n\nFirst release: there is no previous release to compare with.\n")
		return
	}
	since := r.Manifest.Source.PreviousTag
	if since == "" && r.Previous != nil {
		since = r.Previous.Tag
	}
	fmt.Fprintf(b, "\n### Changes since %s\n\n", t(since))
	fmt.Fprintf(b, "breaking: **%s** · auth changes: %s · config changes: %s · role changes: %s · required bump: %s · declared bump: %s\n\n",
		yesNo(c.Breaking), yesNo(c.AuthChanges), yesNo(c.ConfigChanges), yesNo(c.RoleChanges), c.RequiredBump, c.DeclaredBump)
	if len(c.Findings) == 0 {
		b.WriteString("No findings.\n")
		return
	}
	fmt.Fprintf(b, "<details><summary>%d finding(s)</summary>\n\n| rule | severity | upgrade | where |\n|---|---|---|---|\n", len(c.Findings))
	for _, f := range c.Findings {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", t(f.Rule), t(string(f.Severity)), t(string(f.Upgrade)), t(f.Path+" "+f.Pointer))
	}
	b.WriteString("\n</details>\n")
}

func writeDeploy(b *strings.Builder, r *Release, d DeployResult) {
	t := report.MarkdownText
	fmt.Fprintf(b, "\n### %s: %s\n\n%s\n", t(d.Environment), t(d.Outcome), t(r.redact(d.Target+": "+d.Detail)))
	if len(d.Failed) > 0 {
		b.WriteString("\nParts that did not load:\n\n")
		for _, f := range d.Failed {
			fmt.Fprintf(b, "- %s\n", t(r.redact(f)))
		}
	}
	if len(d.AuthFindings) > 0 {
		b.WriteString("\nAuth changes that need a person:\n\n")
		for _, f := range d.AuthFindings {
			fmt.Fprintf(b, "- %s (%s): %s\n", t(f.Rule), t(f.Path+" "+f.Pointer), t(f.Message))
		}
	}
	if len(d.ManualSteps) > 0 {
		b.WriteString("\nWhat to do:\n\n")
		for i, s := range d.ManualSteps {
			fmt.Fprintf(b, "%d. %s\n", i+1, withCode(r.redact(s)))
		}
	}
	if len(d.Disagreements) > 0 {
		b.WriteString("\nTray's publish preview disagrees with the findings:\n\n")
		for _, s := range d.Disagreements {
			fmt.Fprintf(b, "- %s\n", t(s))
		}
	}
}

// Text is the release for a terminal or the Actions log: every step's
// outcome, then per environment that needs a person the auth findings and
// what to do. Warnings are left to the caller (the Action makes them
// annotations).
func Text(r *Release) string {
	var b strings.Builder
	for _, rec := range r.Records {
		fmt.Fprintf(&b, "%-30s %-8s %s\n", rec.Step, rec.Status, rec.Detail)
	}
	for _, d := range r.Deploys {
		if len(d.ManualSteps) == 0 && len(d.AuthFindings) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s: %s\n", d.Environment, d.Outcome)
		if len(d.AuthFindings) > 0 {
			b.WriteString("  auth changes that need a person:\n")
			for _, f := range d.AuthFindings {
				fmt.Fprintf(&b, "    - %s (%s %s): %s\n", f.Rule, f.Path, f.Pointer, f.Message)
			}
		}
		if len(d.ManualSteps) > 0 {
			b.WriteString("  what to do:\n")
			for i, s := range d.ManualSteps {
				fmt.Fprintf(&b, "    %d. %s\n", i+1, s)
			}
		}
	}
	return r.redact(b.String())
}
