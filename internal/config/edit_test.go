package config

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var newEntry = []Accepted{{Fingerprint: "0123456789abcdef", By: "octocat", Reason: "owners were told: re-authorise by June"}}

const newEntryText = `- fingerprint: 0123456789abcdef
    by: octocat
    reason: 'owners were told: re-authorise by June'
`

func TestAddAccepted(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"empty file", "", "accepted:\n  " + newEntryText},
		{"only comments, no final newline", "# breakwater settings", "# breakwater settings\naccepted:\n  " + newEntryText},
		{"no accepted key",
			"# top\nfail-on: breaking   # keep\n\nlabels:\n  breaking: breaks\n",
			"# top\nfail-on: breaking   # keep\n\nlabels:\n  breaking: breaks\naccepted:\n  " + newEntryText},
		{"append to a block list, before the next key and its comment",
			"accepted:\n  # the scope change\n  - fingerprint: aaaaaaaaaaaaaaaa\n    by: a\n    reason: \"x\"   # why\n\n# what fails\nfail-on: warning\n",
			"accepted:\n  # the scope change\n  - fingerprint: aaaaaaaaaaaaaaaa\n    by: a\n    reason: \"x\"   # why\n  " + newEntryText + "\n# what fails\nfail-on: warning\n"},
		{"list at column 0, other indentation",
			"accepted:\n-   fingerprint: aaaaaaaaaaaaaaaa\n    by: a\n    reason: r\n",
			"accepted:\n-   fingerprint: aaaaaaaaaaaaaaaa\n    by: a\n    reason: r\n-   fingerprint: 0123456789abcdef\n    by: octocat\n    reason: 'owners were told: re-authorise by June'\n"},
		{"empty value with a comment",
			"accepted:   # none yet\nfail-on: breaking\n",
			"accepted: # none yet\n  " + newEntryText + "fail-on: breaking\n"},
		{"empty flow list", "accepted: []\n", "accepted:\n  " + newEntryText},
		{"null", "accepted: ~\ncomment: false\n", "accepted:\n  " + newEntryText + "comment: false\n"},
		{"CRLF line ends", "fail-on: breaking\r\n", "fail-on: breaking\r\naccepted:\r\n  " + strings.ReplaceAll(newEntryText, "\n", "\r\n")},
		{"already accepted", "accepted:\n  - fingerprint: 0123456789abcdef\n    by: x\n    reason: y\n", "accepted:\n  - fingerprint: 0123456789abcdef\n    by: x\n    reason: y\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AddAccepted(DefaultPath, []byte(tc.in), newEntry)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestAddAcceptedToTheExample edits the fully commented example: every
// line of it is still there, in order, and the entries parse.
func TestAddAcceptedToTheExample(t *testing.T) {
	data, err := os.ReadFile("testdata/breakwater.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	add := append(newEntry, Accepted{Fingerprint: "fedcba9876543210", By: "hubot", Reason: `quotes " and # hashes`})
	got, err := AddAccepted("x.yml", data, add)
	if err != nil {
		t.Fatal(err)
	}
	assertSubsequence(t, string(data), string(got))
	c, err := Parse("x.yml", got)
	if err != nil {
		t.Fatal(err)
	}
	last := c.Accepted[len(c.Accepted)-1]
	if len(c.Accepted) != 3 || last.Reason != `quotes " and # hashes` || last.By != "hubot" {
		t.Errorf("accepted = %+v", c.Accepted)
	}
}

// assertSubsequence: every line of in is in out, in order.
func assertSubsequence(t testing.TB, in, out string) {
	t.Helper()
	// A last line without its end gains one: compare without "\r".
	outLines := strings.Split(strings.ReplaceAll(out, "\r", ""), "\n")
	j := 0
	for _, l := range strings.Split(strings.ReplaceAll(in, "\r", ""), "\n") {
		for j < len(outLines) && outLines[j] != l {
			j++
		}
		if j == len(outLines) {
			t.Fatalf("line %q of the original is gone:\n%s", l, out)
		}
		j++
	}
}

func TestAddAcceptedRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"flow list":    "accepted: [{fingerprint: aaaaaaaaaaaaaaaa, by: a, reason: r}]\n",
		"flow mapping": "{fail-on: breaking}\n",
		"alias":        "rules: &a []\naccepted: *a\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := AddAccepted(DefaultPath, []byte(in), newEntry); !errors.Is(err, ErrCannotEdit) {
				t.Fatalf("err = %v, want ErrCannotEdit", err)
			}
		})
	}
	if _, err := AddAccepted(DefaultPath, []byte("fail-on: sometimes\n"), newEntry); err == nil || errors.Is(err, ErrCannotEdit) {
		t.Fatalf("an invalid configuration: %v, want its parse error", err)
	}
}

// FuzzAddAccepted: whatever valid configuration it edits, the result holds
// the old configuration plus the entry, every original line is still there,
// or the edit is refused with ErrCannotEdit.
func FuzzAddAccepted(f *testing.F) {
	for _, s := range []string{"", "accepted:\n  - fingerprint: aaaaaaaaaaaaaaaa\n    by: a\n    reason: r\n", "accepted: []\n", "fail-on: never\n# c\n", "accepted:\n- fingerprint: aaaaaaaaaaaaaaaa\n  by: a\n  reason: r\n  # trailing\n\nrules: []\n"} {
		f.Add(s, "why: because")
	}
	f.Fuzz(func(t *testing.T, in, reason string) {
		if _, err := Parse(DefaultPath, []byte(in)); err != nil {
			return
		}
		entry := []Accepted{{Fingerprint: "0123456789abcdef", By: "octocat", Reason: reason}}
		out, err := AddAccepted(DefaultPath, []byte(in), entry)
		if errors.Is(err, ErrCannotEdit) {
			return
		}
		if err != nil {
			t.Fatalf("AddAccepted(%q): %v", in, err)
		}
		c, err := Parse(DefaultPath, out)
		if err != nil || len(c.Accepted) == 0 || c.Accepted[len(c.Accepted)-1].Reason != reason && !strings.Contains(in, "0123456789abcdef") {
			t.Fatalf("AddAccepted(%q) = %q: %v", in, out, err)
		}
		if !strings.Contains(in, "accepted") {
			assertSubsequence(t, in, string(out))
		}
	})
}
