package ckbk

import (
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The regular expressions userDataKeys replaces, kept as its specification.
var (
	specExpression  = regexp.MustCompile(`\$\{[^}]*\}`)
	specUserDataRef = regexp.MustCompile(`\buserData\s*\[\s*(?:'([^']*)'|"([^"]*)")\s*\]`)
)

func specKeys(s string) []string {
	var keys []string
	for _, expr := range specExpression.FindAllString(s, -1) {
		for _, m := range specUserDataRef.FindAllStringSubmatch(expr, -1) {
			keys = append(keys, m[1]+m[2])
		}
	}
	return keys
}

func FuzzUserDataKeys(f *testing.F) {
	for _, s := range []string{
		`${userData['reminder']}`,
		`Hi ${userData["name"]}, ${ userData [ 'a' ] + userData['b'] }`,
		`userData['outside']`,
		`${myuserData['x']}`,
		`${userData['unterminated}`,
		`${userData[ "k" ]`,
		`${userData['a'}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if diff := cmp.Diff(specKeys(s), userDataKeys(s)); diff != "" {
			t.Errorf("userDataKeys(%q) differs from the regexp (-spec +got):\n%s", s, diff)
		}
	})
}
