package report

import (
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/breakwater-dev/breakwater/internal/workflowcmd"
)

// Everything a report prints that comes from an export or a pull request —
// messages, file names, values, versions, who accepted a break and why — is
// hostile until escaped: an export must never inject Markdown, HTML, mentions,
// issue links, terminal escape sequences or workflow commands. The helpers in
// this file are the only way such strings reach an output.

// zwj is the zero-width joiner: placed right after "@" or "#" it keeps the
// text readable while GitHub no longer sees a mention or an issue reference.
const zwj = "\u200d"

// mdPunct are the characters with a meaning in CommonMark or GFM inline
// syntax (and "$", GitHub's math); a backslash makes each of them literal.
// "<", ">", "&", "@" and "#" are handled separately.
const mdPunct = "\\`*_[]()+-!|~$"

// mdText escapes s for Markdown running text (paragraphs, list items, table
// cells): one line, no HTML, no emphasis, links, images, autolinks, mentions
// or issue references, no way out of a table row, list item or <details>
// block.
func mdText(s string) string {
	// Leading spaces could turn a list item's text into a code block.
	s = strings.TrimSpace(oneLine(s))
	var b strings.Builder
	// "1. " at the start of a list item would open a nested ordered list.
	if digits := len(s) - len(strings.TrimLeft(s, "0123456789")); digits > 0 && strings.HasPrefix(s[digits:], ".") {
		b.WriteString(s[:digits] + `\.`)
		s = s[digits+1:]
	}
	b.Grow(len(s) + len(s)/4)
	for i, r := range s {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case r == '@':
			b.WriteString("@" + zwj)
		case r == '#':
			b.WriteString(`\#`)
			if next, _ := utf8.DecodeRuneInString(s[i+1:]); unicode.IsDigit(next) {
				b.WriteString(zwj)
			}
		case r < utf8.RuneSelf && strings.ContainsRune(mdPunct, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return neutralizeLinks(neutralizeGHRefs(b.String()))
}

// neutralizeLinks keeps GitHub from turning bare URLs into links (GFM's
// extended autolinks): an export's text stays text.
func neutralizeLinks(s string) string {
	if !strings.Contains(s, "://") && !strings.Contains(strings.ToLower(s), "www.") {
		return s
	}
	s = strings.ReplaceAll(s, "://", ":"+zwj+"//")
	for _, w := range []string{"www.", "WWW.", "Www."} {
		s = strings.ReplaceAll(s, w, w[:3]+zwj+".")
	}
	return s
}

// neutralizeGHRefs breaks "GH-123", GitHub's other issue reference form.
func neutralizeGHRefs(s string) string {
	if !strings.Contains(strings.ToUpper(s), "GH") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		// After the escaping above the hyphen reads `\-`.
		if i >= 1 && (s[i-1] == 'G' || s[i-1] == 'g') && (s[i] == 'H' || s[i] == 'h') &&
			strings.HasPrefix(s[i+1:], `\-`) {
			b.WriteString(zwj)
		}
	}
	return b.String()
}

// mdCode renders s as an inline code span: shown verbatim, and GitHub
// processes no mentions or references inside code. The fence is one backtick
// longer than the longest run of backticks in s, so s cannot close it.
// Not for table cells: GFM splits cells at "|" even inside code spans.
func mdCode(s string) string {
	s = oneLine(s)
	if s == "" {
		return "` `"
	}
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	// A space on each side keeps a leading or trailing backtick from
	// merging with the fence; CommonMark strips one such space.
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// CodeSpan renders any string as an inline Markdown code span it cannot
// break out of; for adapters that write Markdown of their own.
func CodeSpan(s string) string { return mdCode(s) }

// MarkdownText renders any string as one line of Markdown running text (a
// paragraph, list item or table cell) that cannot inject markup, mentions
// or references; for adapters and faces that write Markdown of their own.
func MarkdownText(s string) string { return mdText(s) }

// mdTrusted is for text the project wrote itself (rule explanations): its
// code spans and emphasis are kept, but it still stays on one line and
// cannot open HTML, so a slip in the catalogue cannot break the layout.
func mdTrusted(s string) string {
	s = oneLine(s)
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "@", "@"+zwj).Replace(s)
}

// mdURL returns u if it is an absolute http(s) URL, percent-encoding the
// characters that could end a Markdown link destination early.
func mdURL(u string) (string, bool) {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return "", false
	}
	s := p.String()
	return strings.NewReplacer("(", "%28", ")", "%29", " ", "%20", "<", "%3C", ">", "%3E", "\"", "%22", "'", "%27", "`", "%60").Replace(s), true
}

// oneLine replaces line breaks, tabs and other control or invisible
// formatting characters with a space: a value can then never start a new
// Markdown block, end a table row or a list item (workflow commands need
// the same, so the rule has one home).
func oneLine(s string) string { return workflowcmd.OneLine(s) }

func isBreaking(r rune) bool { return workflowcmd.BreaksLine(r) }

// termText makes s safe for a terminal: control characters (escape
// sequences that could move the cursor, recolour or retitle the terminal)
// are shown as Go escapes instead of being interpreted.
func termText(s string) string {
	if !strings.ContainsFunc(s, isBreaking) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isBreaking(r) {
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
