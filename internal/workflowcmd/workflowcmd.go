// Package workflowcmd builds GitHub Actions workflow commands
// (::error file=…,line=…::message), the one way the report renderer and the
// Actions runner write them. Values are escaped the way the runner
// unescapes them (the escapes of GitHub's own toolkit, @actions/core), and
// other control characters become spaces, so that nothing in a message or a
// property — a file name or a title from an export — can end the command,
// start another one or drive the terminal.
package workflowcmd

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Prop is one property of a command; empty values are left out.
type Prop struct {
	Key, Value string
}

// Format is the command line "::name k=v,k=v::data\n".
func Format(name string, props []Prop, data string) string {
	var b strings.Builder
	b.WriteString("::")
	b.WriteString(name)
	first := true
	for _, p := range props {
		if p.Value == "" {
			continue
		}
		if first {
			b.WriteByte(' ')
			first = false
		} else {
			b.WriteByte(',')
		}
		b.WriteString(p.Key)
		b.WriteByte('=')
		b.WriteString(EscapeProperty(p.Value))
	}
	b.WriteString("::")
	b.WriteString(EscapeData(data))
	b.WriteByte('\n')
	return b.String()
}

// EscapeData escapes a command's message: %, CR and LF.
func EscapeData(s string) string {
	return OneLine(strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s))
}

// EscapeProperty escapes a property value: what EscapeData escapes plus
// ':' and ','.
func EscapeProperty(s string) string {
	return OneLine(strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s))
}

// OneLine replaces line breaks, tabs and every other control character
// (terminal escapes too) and invisible line separator with a space.
func OneLine(s string) string {
	if !strings.ContainsFunc(s, BreaksLine) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if BreaksLine(r) {
			return ' '
		}
		return r
	}, s)
}

// BreaksLine reports the runes OneLine replaces.
func BreaksLine(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == utf8.RuneError
}
