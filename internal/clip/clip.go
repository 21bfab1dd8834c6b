// Package clip shortens text shown to people (comments, check runs,
// deployment statuses, error messages) without splitting a character: one
// absurdly long value must not eat a budget or break a page.
package clip

import (
	"strings"
	"unicode/utf8"
)

// Ellipsis marks where text was cut.
const Ellipsis = "…"

// Runes returns s in at most n runes: unchanged when it fits, else its first
// n-1 runes and Ellipsis. Invalid UTF-8 is replaced by U+FFFD first, so the
// result is always valid text. n < 1 gives "".
func Runes(s string, n int) string {
	if n < 1 {
		return ""
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	count := 0
	for i := range s {
		if count == n-1 {
			return s[:i] + Ellipsis
		}
		count++
	}
	return s
}
