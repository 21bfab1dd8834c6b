package clip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRunes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"héllo wörld", 5, "héll…"},
		{"日本語テキスト", 4, "日本語…"},
		{"a\xffb", 5, "a\uFFFDb"},
		{"abc", 1, "…"},
		{"abc", 0, ""},
	} {
		if got := Runes(tc.in, tc.n); got != tc.want {
			t.Errorf("Runes(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

// FuzzRunes: the result is valid UTF-8, never longer than n runes, and a
// prefix of the (repaired) input when it was cut.
func FuzzRunes(f *testing.F) {
	f.Add("héllo wörld", 5)
	f.Add("a\xffb\xfe", 2)
	f.Add(strings.Repeat("日", 300), 140)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 1000
		got := Runes(s, n)
		if !utf8.ValidString(got) {
			t.Fatalf("Runes(%q, %d) = %q: invalid UTF-8", s, n, got)
		}
		if c := utf8.RuneCountInString(got); c > max(n, 0) {
			t.Fatalf("Runes(%q, %d) = %q: %d runes", s, n, got, c)
		}
		valid := strings.ToValidUTF8(s, "\uFFFD")
		if got != valid && n > 0 && !strings.HasPrefix(valid, strings.TrimSuffix(got, Ellipsis)) {
			t.Fatalf("Runes(%q, %d) = %q: not a prefix of the input", s, n, got)
		}
	})
}
