package report

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/clip"
)

// GitHubCommentLimit is the most characters GitHub accepts in a comment body
// or a job summary.
const GitHubCommentLimit = 65536

// DefaultBudget leaves room under GitHub's limit for the sticky comment's
// marker and for whatever the caller wraps around the report.
const DefaultBudget = GitHubCommentLimit - 1024

// Limits on single user-controlled strings, in runes: one giant value must
// not eat the budget of every other finding.
const (
	maxMessage = 300
	maxName    = 200
	maxValue   = 80
)

// MarkdownOptions tune the pull request comment and job summary.
type MarkdownOptions struct {
	// Budget is the most bytes the result may have (bytes never undercount
	// GitHub's characters); 0 means DefaultBudget. What does not fit is cut,
	// lowest severity first, and replaced by a count and FullReportURL.
	Budget int
	// FullReportURL links the complete report (the job summary or an
	// artifact) when the comment had to be cut; only http(s) URLs are linked.
	FullReportURL string
	// Marker is the hidden HTML comment that finds the sticky comment again,
	// e.g. "<!-- breakwater -->"; it is written first, as given.
	Marker string
	// Title is an optional heading above the verdict.
	Title string
}

// mdSection is one block of the comment: a heading or a folded <details>
// with one chunk per finding. A rule group's explanation rides on its first
// finding's chunk, so cutting never leaves a heading without a finding.
type mdSection struct {
	open, close string
	chunks      []string
	// noun names the findings in the cut notice: "3 warnings".
	one, many string
}

// Markdown renders the report for a pull request comment or a job summary: a
// one-line verdict, the required and declared bump, the breaking findings
// with what each means for deployed instances and what to do, accepted
// breaks with who accepted them and why, then warnings and info folded in
// <details>. The result never exceeds the budget, however large the report.
func Markdown(r *change.Report, book RuleBook, opts MarkdownOptions) string {
	if r == nil {
		r = &change.Report{}
	}
	budget := opts.Budget
	if budget <= 0 {
		budget = DefaultBudget
	}
	head := mdHeader(r, opts)
	foot := mdFooter(r)
	groups := partition(r)

	secs := mdSections(groups, book, false)
	var b strings.Builder
	b.WriteString(head)
	for _, s := range secs {
		b.WriteString(s.open)
		for _, c := range s.chunks {
			b.WriteString(c)
		}
		b.WriteString(s.close)
	}
	b.WriteString(foot)
	if b.Len() <= budget {
		return b.String()
	}
	// Too large: fold the accepted breaks too, then cut.
	return mdCut(head, foot, mdSections(groups, book, true), len(r.Changes), opts, budget)
}

// mdCut keeps as many findings as fit, in display order (errors, breaking,
// accepted, warnings, info), and says how many it left out and where the full
// report is. Once one finding does not fit, none after it is shown, so what
// is shown is always the most serious part.
func mdCut(head, foot string, secs []mdSection, total int, opts MarkdownOptions, budget int) string {
	// Reserve the notice at its longest: every section omitted in full.
	worst := make([]int, len(secs))
	for i := range secs {
		worst[i] = total
	}
	remaining := budget - len(head) - len(foot) - len(mdCutNotice(secs, worst, total, opts))
	var b strings.Builder
	b.WriteString(head)
	omitted := make([]int, len(secs))
	stopped := false
	for i, s := range secs {
		n, used := 0, len(s.open)+len(s.close)+len(mdMore(len(s.chunks)))
		for !stopped && n < len(s.chunks) && used+len(s.chunks[n]) <= remaining {
			used += len(s.chunks[n])
			n++
		}
		omitted[i] = len(s.chunks) - n
		if n == 0 {
			stopped = true
			continue
		}
		b.WriteString(s.open)
		for _, c := range s.chunks[:n] {
			b.WriteString(c)
		}
		if n < len(s.chunks) {
			b.WriteString(mdMore(len(s.chunks) - n))
			stopped = true
		}
		b.WriteString(s.close)
		remaining -= used
	}
	b.WriteString(foot)
	b.WriteString(mdCutNotice(secs, omitted, total, opts))
	out := b.String()
	if len(out) > budget {
		// Only a budget smaller than the header itself gets here.
		out = cutAtRune(out, budget)
	}
	return out
}

func mdMore(n int) string {
	return fmt.Sprintf("\n*…and %d more not shown here.*\n", n)
}

// mdCutNotice says how many findings of each kind were left out.
func mdCutNotice(secs []mdSection, omitted []int, total int, opts MarkdownOptions) string {
	sum := 0
	var parts []string
	for i, n := range omitted {
		if n > 0 {
			sum += n
			parts = append(parts, plural(n, secs[i].one, secs[i].many))
		}
	}
	s := fmt.Sprintf("\n---\n\n✂️ **This report was cut to fit GitHub's size limit:** %d of %d findings are not shown", min(sum, total), total)
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	s += "."
	if u, ok := mdURL(opts.FullReportURL); ok {
		s += " [See the full report](" + u + ")."
	} else {
		s += " Run `breakwater diff --format text --verbose` or see the JSON or SARIF output for all of them."
	}
	return s + "\n"
}

func cutAtRune(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func mdHeader(r *change.Report, opts MarkdownOptions) string {
	var b strings.Builder
	if opts.Marker != "" {
		b.WriteString(oneLine(opts.Marker))
		b.WriteString("\n")
	}
	if opts.Title != "" {
		fmt.Fprintf(&b, "### %s\n\n", mdText(clip.Runes(opts.Title, maxName)))
	}
	tone, line := verdict(r)
	icon := map[outcome]string{pass: "✅", warn: "⚠️", fail: "❌"}[tone]
	fmt.Fprintf(&b, "%s **%s**\n\n", icon, line)
	s := r.Summary
	fmt.Fprintf(&b, "**Required bump:** %s · **declared:** %s", s.RequiredBump, s.DeclaredBump)
	if s.BaseVersion != "" || s.HeadVersion != "" {
		fmt.Fprintf(&b, " (%s → %s)", mdVersion(s.BaseVersion), mdVersion(s.HeadVersion))
	}
	fmt.Fprintf(&b, " · **findings:** %s\n\n", countsLine(r))
	fmt.Fprintf(&b, "**Compared:** %s · **coverage:** %s\n", comparedLine(r.Summary.Compared, func(s string) string { return mdCode(s) }),
		coverageLine(r.Summary.Coverage))
	return b.String()
}

func mdVersion(v string) string {
	if v == "" {
		return "none"
	}
	return mdCode(clip.Runes(v, 64))
}

func mdFooter(r *change.Report) string {
	if r.Summary.Breaking == 0 {
		return ""
	}
	return "\n> [!TIP]\n> To accept an intended break, add the acceptance label to the pull request, or record the finding's fingerprint with who accepted it and why in the configuration.\n"
}

func mdSections(groups [numClasses][]*change.Finding, book RuleBook, foldAccepted bool) []mdSection {
	heading := func(title string, n int) string { return fmt.Sprintf("\n### %s (%d)\n", title, n) }
	folded := func(title string, n int) (string, string) {
		return fmt.Sprintf("\n<details>\n<summary>%s (%d)</summary>\n", title, n), "\n</details>\n"
	}
	var secs []mdSection
	if fs := groups[classError]; len(fs) > 0 {
		secs = append(secs, mdSection{open: heading("⛔ Errors", len(fs)), chunks: mdGrouped(fs, book, false), one: "error", many: "errors"})
	}
	if fs := groups[classBreaking]; len(fs) > 0 {
		secs = append(secs, mdSection{open: heading("❌ Breaking changes", len(fs)), chunks: mdGrouped(fs, book, true), one: "breaking", many: "breaking"})
	}
	if fs := groups[classAccepted]; len(fs) > 0 {
		s := mdSection{chunks: mdList(fs), one: "accepted", many: "accepted"}
		if foldAccepted {
			s.open, s.close = folded("✔️ Accepted breaking changes", len(fs))
		} else {
			s.open = heading("✔️ Accepted breaking changes", len(fs))
		}
		secs = append(secs, s)
	}
	if fs := groups[classWarning]; len(fs) > 0 {
		s := mdSection{chunks: mdGrouped(fs, book, false), one: "warning", many: "warnings"}
		s.open, s.close = folded("⚠️ Warnings", len(fs))
		secs = append(secs, s)
	}
	if fs := groups[classInfo]; len(fs) > 0 {
		s := mdSection{chunks: mdList(fs), one: "info", many: "info"}
		s.open, s.close = folded("ℹ️ Info", len(fs))
		secs = append(secs, s)
	}
	return secs
}

// mdGrouped renders findings grouped by rule, in order of each rule's first
// finding: the rule's explanation once, then one list item per finding.
func mdGrouped(fs []*change.Finding, book RuleBook, breaking bool) []string {
	var order []string
	byRule := map[string][]*change.Finding{}
	for _, f := range fs {
		if _, seen := byRule[f.Rule]; !seen {
			order = append(order, f.Rule)
		}
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	chunks := make([]string, 0, len(fs))
	for _, id := range order {
		group := byRule[id]
		var upgrades []change.Upgrade
		for _, f := range group {
			if f.Upgrade != "" && !containsUpgrade(upgrades, f.Upgrade) {
				upgrades = append(upgrades, f.Upgrade)
			}
		}
		if group[0].Severity == change.Error {
			// Invalid input affects no instance: the upgrade says nothing.
			upgrades = nil
		}
		head := mdRuleHeader(id, group[0].Category, upgrades, book, breaking)
		for i, f := range group {
			item := mdItem(f, false, len(upgrades) > 1, breaking)
			if i == 0 {
				item = head + "\n" + item
			}
			chunks = append(chunks, item)
		}
	}
	return chunks
}

func containsUpgrade(us []change.Upgrade, u change.Upgrade) bool {
	for _, x := range us {
		if x == u {
			return true
		}
	}
	return false
}

func mdRuleHeader(id string, cat change.Category, upgrades []change.Upgrade, book RuleBook, breaking bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n#### %s", mdCode(id))
	if cat != "" {
		fmt.Fprintf(&b, " · %s", mdText(string(cat)))
	}
	b.WriteString("\n\n")
	var lines []string
	if len(upgrades) > 0 {
		var parts []string
		for _, u := range upgrades {
			p := mdCode(string(u))
			if m := u.Meaning(); m != "" {
				p += " — " + m
			}
			parts = append(parts, p)
		}
		lines = append(lines, "**Upgrade:** "+strings.Join(parts, "; ")+".")
	}
	if rule, ok := lookup(book, id); ok {
		if rule.Why != "" {
			label := "**Why it matters:** "
			if breaking {
				label = "**For deployed instances:** "
			}
			lines = append(lines, label+mdTrusted(rule.Why))
		}
		if rule.Fix != "" {
			lines = append(lines, "**What to do:** "+mdTrusted(rule.Fix))
		}
	}
	for i, l := range lines {
		if i > 0 {
			b.WriteString(">\n")
		}
		b.WriteString("> " + l + "\n")
	}
	return b.String()
}

// mdList renders findings as a flat list naming each finding's rule.
func mdList(fs []*change.Finding) []string {
	chunks := make([]string, len(fs))
	for i, f := range fs {
		chunks[i] = mdItem(f, true, false, false)
		if i == 0 {
			chunks[i] = "\n" + chunks[i]
		}
	}
	return chunks
}

// mdItem is one finding as a list item, every user-controlled part escaped.
func mdItem(f *change.Finding, withRule, withUpgrade, withFingerprint bool) string {
	var b strings.Builder
	b.WriteString("- ")
	if f.File == "" {
		b.WriteString("*(no file)*")
	} else {
		b.WriteString(mdCode(clip.Runes(where(f), maxName)))
		if f.Side == change.Base && f.Line > 0 {
			b.WriteString(" (base)")
		}
	}
	if withRule {
		b.WriteString(" · " + mdCode(f.Rule))
	}
	b.WriteString(" — " + mdText(clip.Runes(f.Message, maxMessage)))
	if withUpgrade && f.Upgrade != "" {
		b.WriteString(" · upgrade: " + mdCode(string(f.Upgrade)))
	}
	if f.Before != nil || f.After != nil {
		fmt.Fprintf(&b, " · %s → %s", mdValue(f.Before), mdValue(f.After))
	}
	if a := f.Accepted; a != nil {
		b.WriteString(" — **accepted**")
		if a.By != "" {
			b.WriteString(" by " + mdText(clip.Runes(a.By, maxValue)))
		}
		if a.Via != "" {
			b.WriteString(" via " + mdText(clip.Runes(a.Via, maxValue)))
		}
		if a.Reason != "" {
			b.WriteString(": " + mdText(clip.Runes(a.Reason, maxMessage)))
		}
	}
	if withFingerprint && f.Fingerprint != "" {
		b.WriteString(" · fingerprint " + mdCode(clip.Runes(f.Fingerprint, 64)))
	}
	b.WriteString("\n")
	return b.String()
}

func mdValue(v any) string {
	if v == nil {
		return "*none*"
	}
	return mdCode(compactValue(v, maxValue))
}
