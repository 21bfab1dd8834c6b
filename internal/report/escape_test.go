package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer/html"
)

// gfm renders Markdown the way GitHub does as far as structure goes (GFM
// tables, strikethrough, autolinks) and passes raw HTML through, so an
// injection shows up in the output instead of being silently dropped.
var gfm = goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithRendererOptions(html.WithUnsafe()))

func renderHTML(t *testing.T, md string) string {
	t.Helper()
	var b bytes.Buffer
	if err := gfm.Convert([]byte(md), &b); err != nil {
		t.Fatalf("rendering Markdown: %v", err)
	}
	return b.String()
}

var hostile = []struct {
	name string
	in   string
}{
	{"bold", "**bold** and __bold__"},
	{"emphasis", "*em* _em_ ~~strike~~"},
	{"image tag", `<img src=x onerror="alert(1)">`},
	{"script", "<script>alert(1)</script>"},
	{"close details", "</details>"},
	{"open details", "<details open><summary>x</summary>"},
	{"html comment", "<!-- breakwater -->"},
	{"mention", "@octocat"},
	{"team mention", "ping @github/security"},
	{"issue ref", "fixes #123"},
	{"cross-repo ref", "octo/repo#42"},
	{"GH ref", "see GH-99"},
	{"pipes", "| col | col |"},
	{"backticks", "`code` and ``more``"},
	{"js link", "[link](javascript:alert(1))"},
	{"image", "![x](https://evil.example/x.png)"},
	{"autolink", "https://evil.example/phish and www.evil.example"},
	{"angle autolink", "<https://evil.example>"},
	{"newlines", "line one\n\n# heading\n- item\n> quote\n```\nfence"},
	{"carriage return", "a\r\n---\r\nb"},
	{"ordered list start", "1. first"},
	{"heading start", "# heading"},
	{"leading spaces", "        indented code"},
	{"math", "$x^2$ and $$y$$"},
	{"entity", "&lt;b&gt; &#64;octocat"},
	{"backslash", `\*not escaped\*`},
	{"footnote", "[^1]"},
	{"unicode line separator", "a\u2028b\u2029c"},
}

// TestMdTextHostile renders each hostile string as a list item's text and
// checks the HTML GitHub would build from it: one list item of plain text.
func TestMdTextHostile(t *testing.T) {
	issueRef := regexp.MustCompile(`#\d|(?i)gh-\d`)
	mention := regexp.MustCompile(`@[A-Za-z0-9]`)
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			esc := mdText(tt.in)
			if strings.ContainsAny(esc, "\n\r<>") {
				t.Errorf("mdText(%q) = %q keeps a line break or angle bracket", tt.in, esc)
			}
			out := renderHTML(t, "- "+esc+"\n")
			body := strings.TrimSuffix(strings.TrimPrefix(out, "<ul>\n<li>"), "</li>\n</ul>\n")
			if body == out {
				t.Fatalf("not a single list item: %q", out)
			}
			// Entities are all the HTML the text may produce.
			if strings.ContainsAny(strings.NewReplacer("&lt;", "", "&gt;", "", "&amp;", "", "&quot;", "").Replace(body), "<>") {
				t.Errorf("HTML markup in %q", body)
			}
			if issueRef.MatchString(body) {
				t.Errorf("issue reference survives in %q", body)
			}
			if mention.MatchString(body) {
				t.Errorf("mention survives in %q", body)
			}
			if strings.Contains(body, "://") || strings.Contains(strings.ToLower(body), "www.") {
				t.Errorf("autolinkable URL survives in %q", body)
			}
			if strings.ContainsAny(body, "$") && !strings.Contains(esc, `\$`) {
				t.Errorf("math delimiter not escaped in %q", esc)
			}
			// The reader still sees the text: escapes render away and only
			// invisible joiners and spaces for line breaks are added.
			visible := strings.NewReplacer(zwj, "", "&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", `"`).Replace(body)
			if want := strings.TrimSpace(oneLine(tt.in)); visible != want {
				t.Errorf("renders as %q, want the text %q", visible, want)
			}
		})
	}
}

// TestMdCodeHostile: a code span shows its content verbatim and nothing in
// it can close the span or the surrounding block.
func TestMdCodeHostile(t *testing.T) {
	for _, tt := range hostile {
		t.Run(tt.name, func(t *testing.T) {
			esc := mdCode(tt.in)
			if strings.ContainsAny(esc, "\n\r") {
				t.Fatalf("mdCode(%q) = %q spans lines", tt.in, esc)
			}
			out := renderHTML(t, "- "+esc+"\n")
			const pre, post = "<ul>\n<li><code>", "</code></li>\n</ul>\n"
			if !strings.HasPrefix(out, pre) || !strings.HasSuffix(out, post) {
				t.Fatalf("not one code span in one list item: %q", out)
			}
			code := strings.TrimSuffix(strings.TrimPrefix(out, pre), post)
			code = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&", "&quot;", `"`).Replace(code)
			if want := oneLine(tt.in); code != want {
				t.Errorf("code span shows %q, want %q", code, want)
			}
		})
	}
}

func TestMdCodeFence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "`plain`"},
		{"", "` `"},
		{"a`b", "``a`b``"},
		{"``x``", "``` ``x`` ```"},
		{" padded ", "`  padded  `"},
	}
	for _, tt := range tests {
		if got := mdCode(tt.in); got != tt.want {
			t.Errorf("mdCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMdURL(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"https://github.com/o/r/actions/runs/1#summary", "https://github.com/o/r/actions/runs/1#summary", true},
		{"https://example.com/a (b)", "https://example.com/a%20%28b%29", true},
		{"javascript:alert(1)", "", false},
		{"/relative/path", "", false},
		{"", "", false},
		{"http://", "", false},
	}
	for _, tt := range tests {
		got, ok := mdURL(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("mdURL(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTermText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain → text", "plain → text"},
		{"\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"title\x1b]0;pwned\x07", `title\x1b]0;pwned\a`},
		{"two\nlines", `two\nlines`},
		{"c1\u009bcontrol", `c1\u009bcontrol`},
	}
	for _, tt := range tests {
		if got := termText(tt.in); got != tt.want {
			t.Errorf("termText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzMdText: whatever an export contains, as a list item's text it stays
// one list item of plain text.
func FuzzMdText(f *testing.F) {
	for _, tt := range hostile {
		f.Add(tt.in)
	}
	issueRef := regexp.MustCompile(`#\d|(?i)gh-\d`)
	mention := regexp.MustCompile(`@[A-Za-z0-9]`)
	f.Fuzz(func(t *testing.T, s string) {
		esc := mdText(s)
		var b bytes.Buffer
		if err := gfm.Convert([]byte("- "+esc+"\n"), &b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.TrimSpace(oneLine(s)) == "" {
			return // an empty item renders differently; nothing to inject
		}
		body, ok := strings.CutPrefix(out, "<ul>\n<li>")
		if !ok {
			t.Fatalf("mdText(%q) = %q is not a single list item: %q", s, esc, out)
		}
		body, ok = strings.CutSuffix(body, "</li>\n</ul>\n")
		if !ok || strings.Contains(body, "<li>") {
			t.Fatalf("mdText(%q) = %q is not a single list item: %q", s, esc, out)
		}
		if strings.ContainsAny(strings.NewReplacer("&lt;", "", "&gt;", "", "&amp;", "", "&quot;", "").Replace(body), "<>") {
			t.Errorf("mdText(%q) = %q renders markup: %q", s, esc, body)
		}
		if issueRef.MatchString(body) || mention.MatchString(body) {
			t.Errorf("mdText(%q) = %q renders a mention or reference: %q", s, esc, body)
		}
	})
}

func TestMdTrusted(t *testing.T) {
	tests := []struct{ in, want string }{
		{"pass `configValues` to **every** instance", "pass `configValues` to **every** instance"},
		{"see @actions/core", "see @" + zwj + "actions/core"},
		{"a <b>bold</b>\nline", "a &lt;b&gt;bold&lt;/b&gt; line"},
	}
	for _, tt := range tests {
		if got := mdTrusted(tt.in); got != tt.want {
			t.Errorf("mdTrusted(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
