package report

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/clip"
)

// bigReport has n findings of every class, with long and hostile messages,
// in the engine's order of discovery (classes interleaved).
func bigReport(n int) *change.Report {
	r := &change.Report{Version: change.ReportFormatVersion}
	for i := range n {
		msg := fmt.Sprintf("finding %d: config slot \"</details> @octocat #%d **x**\" changes %s", i, i, strings.Repeat("and changes again ", 12))
		var f change.Finding
		switch i % 7 {
		case 0:
			f = finding("version/bump-insufficient", "package", fmt.Sprint("v", i), "package.json", "/version", 3, 14, change.Head, msg, nil, nil)
		case 1, 2:
			f = finding("tray/auth-scopes-added", "tray:solution/Big", fmt.Sprint("auth_slots[s", i, "]/scopes"), "exports/big/solution.json", "/auth_slots/0/scopes", i+1, 9, change.Head, msg, []any{"a"}, []any{"a", "b"})
		case 3:
			f = finding("ckbk/role-renamed", "ckbk:Big", fmt.Sprint("recipes[r", i, "]"), "recipes/big.ckbk", "/recipes/0/collectionRole", i+1, 5, change.Head, msg, "Old", "New")
			f.Accepted = &change.Acceptance{By: "@octocat", Reason: "intended </details>", Via: "config"}
		case 4:
			f = finding("tray/config-slot-removed", "tray:solution/Big", fmt.Sprint("config_slots[c", i, "]"), "exports/big/solution.json", "/config_slots/0", i+1, 9, change.Base, msg, "x", nil)
		default:
			f = finding("tray/workflow-changed", "tray:solution/Big", fmt.Sprint("workflows[w", i, "]"), "exports/big/wf.json", "/steps", i+1, 3, change.Head, msg, nil, nil)
		}
		r.Changes = append(r.Changes, f)
	}
	return summarize(r, change.BumpMajor, change.BumpMinor, "breaking")
}

var (
	cutNotice      = regexp.MustCompile(`(\d+) of (\d+) findings are not shown`)
	findingMessage = regexp.MustCompile(`finding (\d+):`)
)

func TestMarkdownBudget(t *testing.T) {
	const url = "https://github.com/o/r/actions/runs/42#summary"
	big := bigReport(20000)
	tests := []struct {
		name   string
		report *change.Report
		budget int
	}{
		{"20000 findings, default budget", big, 0},
		{"20000 findings, 20k budget", big, 20000},
		{"20000 findings, 3k budget", big, 3000},
		{"fixture, 2k budget", fixtureReport(), 2000},
		{"fixture, 4k budget", fixtureReport(), 4000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := MarkdownOptions{Budget: tt.budget, FullReportURL: url, Marker: "<!-- breakwater -->"}
			out := Markdown(tt.report, book, opts)
			budget := tt.budget
			if budget == 0 {
				budget = DefaultBudget
			}
			if len(out) > budget {
				t.Fatalf("%d bytes, budget %d", len(out), budget)
			}

			// Verdict and counts are intact, first.
			lines := strings.Split(out, "\n")
			_, v := verdict(tt.report)
			if lines[0] != opts.Marker || lines[1] != "❌ **"+v+"**" {
				t.Errorf("does not start with the marker and verdict:\n%s", strings.Join(lines[:3], "\n"))
			}
			if !strings.Contains(lines[3], "**findings:** "+countsLine(tt.report)) {
				t.Errorf("counts line %q lacks %q", lines[3], countsLine(tt.report))
			}

			// What is shown plus what the notice says is missing is everything.
			m := cutNotice.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no cut notice in:\n%s", tail(out))
			}
			omitted, _ := strconv.Atoi(m[1])
			total, _ := strconv.Atoi(m[2])
			shown := strings.Count(out, "\n- ")
			if total != len(tt.report.Changes) || shown+omitted != total || shown == 0 {
				t.Errorf("shown %d + omitted %d != %d findings (notice says total %d)", shown, omitted, len(tt.report.Changes), total)
			}
			if !strings.Contains(out, "[See the full report]("+url+")") {
				t.Errorf("no link to the full report:\n%s", tail(out))
			}

			// Most serious first: a finding of a class is shown only when
			// every finding of the classes before it is.
			checkSeriousFirst(t, tt.report, out)

			// Still valid Markdown: the HTML GitHub builds has balanced
			// <details>, the verdict paragraph and the link.
			html := renderHTML(t, out)
			if o, c := strings.Count(html, "<details>"), strings.Count(html, "</details>"); o != c {
				t.Errorf("%d <details> but %d </details>", o, c)
			}
			if strings.Contains(html, "<details open") || strings.Contains(html, "<img") {
				t.Errorf("injected HTML reached the output")
			}
			if !strings.Contains(html, "<p>❌ <strong>"+v+"</strong></p>") {
				t.Errorf("verdict paragraph missing from the rendered HTML")
			}
			if !strings.Contains(html, `<a href="`+url+`">See the full report</a>`) {
				t.Errorf("full report link not rendered")
			}
		})
	}
}

// checkSeriousFirst checks that the findings shown are a prefix of the
// display order: all errors, then breaking, accepted, warnings, info.
func checkSeriousFirst(t *testing.T, r *change.Report, out string) {
	t.Helper()
	numbered := map[int]bool{}
	for _, m := range findingMessage.FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[1])
		numbered[n] = true
	}
	isShown := func(f *change.Finding) bool {
		if n := findingNumber(f); n >= 0 {
			return numbered[n]
		}
		return strings.Contains(out, mdText(clip.Runes(f.Message, maxMessage)))
	}
	groups := partition(r)
	cut := false
	for c := range numClasses {
		shown := 0
		for _, f := range groups[c] {
			if isShown(f) {
				shown++
			}
		}
		if cut && shown > 0 {
			t.Errorf("class %d has %d findings shown after an earlier class was cut", c, shown)
		}
		if shown < len(groups[c]) {
			cut = true
		}
	}
}

func findingNumber(f *change.Finding) int {
	var n int
	if _, err := fmt.Sscanf(f.Message, "finding %d:", &n); err != nil {
		return -1
	}
	return n
}

func tail(s string) string {
	if len(s) > 600 {
		return "…" + s[len(s)-600:]
	}
	return s
}

func TestMarkdownFitsWithoutCut(t *testing.T) {
	out := Markdown(fixtureReport(), book, MarkdownOptions{})
	if strings.Contains(out, "findings are not shown") {
		t.Errorf("a small report was cut:\n%s", out)
	}
	if n := strings.Count(out, "\n- "); n != len(fixtureReport().Changes) {
		t.Errorf("%d findings listed, want %d", n, len(fixtureReport().Changes))
	}
}

func TestMarkdownHugeValuesAreShortened(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	r := &change.Report{Changes: []change.Finding{
		finding("tray/auth-scopes-added", "tray:solution/"+huge, huge, huge+".json", "/p", 1, 1, change.Head, huge, huge, []any{huge}),
	}}
	r = summarize(r, change.BumpMajor, change.BumpMinor, "breaking")
	out := Markdown(r, book, MarkdownOptions{})
	if len(out) > 4000 {
		t.Errorf("one finding with megabyte values renders as %d bytes", len(out))
	}
	if strings.Contains(out, "findings are not shown") {
		t.Errorf("the finding was cut instead of shortened")
	}
}

func TestMarkdownTinyBudget(t *testing.T) {
	for _, budget := range []int{1, 50, 200, 400} {
		out := Markdown(bigReport(50), book, MarkdownOptions{Budget: budget, Title: strings.Repeat("é", 500)})
		if len(out) > budget {
			t.Errorf("budget %d: %d bytes", budget, len(out))
		}
		if !strings.HasPrefix(strings.ToValidUTF8(out, "?"), out) {
			t.Errorf("budget %d: cut inside a character", budget)
		}
	}
}

func TestMarkdownFoldsAcceptedWhenCut(t *testing.T) {
	r := bigReport(200)
	full := Markdown(r, book, MarkdownOptions{Budget: 1 << 30})
	if !strings.Contains(full, "\n### ✔️ Accepted breaking changes") {
		t.Fatalf("accepted breaks not shown open in the full report")
	}
	cut := Markdown(r, book, MarkdownOptions{Budget: len(full) - 1})
	if !strings.Contains(cut, "<summary>✔️ Accepted breaking changes") {
		t.Errorf("accepted breaks not folded once the report is over budget")
	}
}

func TestMarkdownWithoutURLSaysWhereToLook(t *testing.T) {
	out := Markdown(bigReport(2000), book, MarkdownOptions{Budget: 5000, FullReportURL: "javascript:alert(1)"})
	if strings.Contains(out, "javascript:") {
		t.Errorf("a non-http URL was linked")
	}
	if !strings.Contains(out, "breakwater diff") {
		t.Errorf("no pointer to the full report:\n%s", tail(out))
	}
}
