package runtimeversion

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-cmp/cmp"
)

func mustParse(t *testing.T, s string) Version {
	t.Helper()
	v, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return v
}

func TestParse(t *testing.T) {
	type parts struct{ Artifact, Package, Name, String string }
	str := func(v *semver.Version) string {
		if v == nil {
			return ""
		}
		return v.String()
	}
	for in, want := range map[string]parts{
		"1.0.0-pkg.1.17.0+account":           {"1.0.0", "1.17.0", "account", "1.0.0-pkg.1.17.0+account"},
		"2.3.4-pkg.10.0.1+vNext.Account":     {"2.3.4", "10.0.1", "vNext.Account", "2.3.4-pkg.10.0.1+vNext.Account"},
		"1.0.0-pkg.2.0.0-rc.1+account":       {"1.0.0", "2.0.0-rc.1", "account", "1.0.0-pkg.2.0.0-rc.1+account"},
		"1.0.0-pkg.1.17.0":                   {"1.0.0", "1.17.0", "", "1.0.0-pkg.1.17.0"},
		"1.0.0":                              {"1.0.0", "", "", "1.0.0"},
		"2.0.0-alpha.1":                      {"2.0.0-alpha.1", "", "", "2.0.0-alpha.1"},
		"1.0.0+build.5":                      {"1.0.0", "", "build.5", "1.0.0+build.5"},
		"1.0.0-pkgx.1+a":                     {"1.0.0-pkgx.1", "", "a", "1.0.0-pkgx.1+a"}, // not the pkg. prefix
		"18446744073709551615.0.0-pkg.0.0.0": {"18446744073709551615.0.0", "0.0.0", "", "18446744073709551615.0.0-pkg.0.0.0"},
	} {
		v := mustParse(t, in)
		got := parts{str(v.Artifact), str(v.Package), v.Name, v.String()}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", in, diff)
		}
		if v.Extended() != (want.Package != "") {
			t.Errorf("Parse(%q).Extended() = %v", in, v.Extended())
		}
	}
}

func TestParseRejects(t *testing.T) {
	for in, msg := range map[string]string{
		"1.0.0-pkg.1.17.0+account+build.123":      `build metadata may follow only one '+' (write "1.0.0-pkg.1.17.0+account.build.123"`,
		"1.0.0-pkg.1.17+account":                  "package version",
		"1.0.0-pkg.01.17.0+account":               "starts with 0",
		"1.0.0-pkg.+account":                      "not SemVer",
		"1.0-pkg.1.17.0":                          "not SemVer",
		"v1.0.0-pkg.1.17.0":                       "not SemVer",
		"1.0.0-pkg.1.17.0+acc_ount":               "not SemVer",
		"1.0.0-pkg.1.17.0+":                       "not SemVer",
		"":                                        "not SemVer",
		"1.0.0-pkg.1.2.3-rc.99999999999999999999": "too large",
	} {
		_, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) accepted", in)
			continue
		}
		if !strings.Contains(err.Error(), msg) {
			t.Errorf("Parse(%q) = %v, want a message containing %q", in, err, msg)
		}
	}
}

func TestParseLenient(t *testing.T) {
	v, err := ParseLenient("1.0.0-pkg.1.17.0+account+build.123")
	if err != nil {
		t.Fatal(err)
	}
	if v.Name != "account" || v.Build != "build.123" || v.Package.String() != "1.17.0" {
		t.Errorf("got name %q build %q package %v", v.Name, v.Build, v.Package)
	}
	// Its String is valid SemVer again, and orders the same.
	if s := v.String(); s != "1.0.0-pkg.1.17.0+account.build.123" {
		t.Errorf("String() = %q", s)
	}
	if back := mustParse(t, v.String()); Compare(back, v) != 0 {
		t.Errorf("reparsed %v orders apart from %v", back, v)
	}
	for _, bad := range []string{"1.0.0+a+", "1.0.0+a++b", "1.0.0+a+b_c", "1.0+a+b"} {
		if _, err := ParseLenient(bad); err == nil {
			t.Errorf("ParseLenient(%q) accepted", bad)
		}
	}
}

// The orderings release.md lists, and the numeric comparison of
// pre-release identifiers.
func TestCompare(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.0.0-pkg.1.18.0+account", "1.0.0-pkg.1.17.0+account", 1},
		{"2.0.0-pkg.1.0.0+account", "1.0.0-pkg.2.0.0+account", 1},
		{"1.0.0-pkg.1.17.0+account", "1.0.0-pkg.1.17.0+other.build.9", 0}, // build metadata ignored
		{"1.0.0-pkg.1.17.0+account", "1.0.0", -1},                         // a pre-release sorts below
		{"1.0.0-pkg.1.17.0+account", "1.0.0-pkg.1.9.0+account", 1},        // 17 > 9, not "17" < "9"
		{"1.0.0-pkg.1.10.0", "1.0.0-pkg.1.9.99", 1},
		// SemVer's quirk, kept because the runtime orders the same way: the
		// package's own pre-release makes the identifier "0-rc", which is
		// alphanumeric and so sorts above the numeric "0" of the release.
		{"1.0.0-pkg.2.0.0-rc.1", "1.0.0-pkg.2.0.0", 1},
		{"1.0.0-pkg.2.0.0-rc.2", "1.0.0-pkg.2.0.0-rc.10", -1},
		{"0.9.9", "1.0.0-pkg.0.0.1", -1},
	} {
		a, b := mustParse(t, c.a), mustParse(t, c.b)
		if got := Compare(a, b); got != c.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Compare(b, a); got != -c.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

func TestSortMatchesSpec(t *testing.T) {
	in := []string{
		"1.0.0", "1.0.0-pkg.1.17.0+account", "2.0.0-pkg.1.0.0+account", "1.0.0-pkg.1.9.0+account",
		"1.0.0-pkg.2.0.0+account", "1.0.0-pkg.1.18.0+account", "1.1.0-pkg.0.1.0+account",
	}
	vs := make([]Version, len(in))
	for i, s := range in {
		vs[i] = mustParse(t, s)
	}
	slices.SortFunc(vs, Compare)
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	want := []string{
		"1.0.0-pkg.1.9.0+account", "1.0.0-pkg.1.17.0+account", "1.0.0-pkg.1.18.0+account",
		"1.0.0-pkg.2.0.0+account", "1.0.0", "1.1.0-pkg.0.1.0+account", "2.0.0-pkg.1.0.0+account",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sorted (-want +got):\n%s", diff)
	}
}

func TestNew(t *testing.T) {
	for _, c := range []struct {
		artifact, pkg, name, want string
	}{
		{"1.0.0", "1.17.0", "account", "1.0.0-pkg.1.17.0+account"},
		{"1.2.3-beta.1+x", "2.0.0-rc.1+sha.abc", "vNext.Account", "1.2.3-pkg.2.0.0-rc.1+vNext.Account"},
		{"1.0.0", "1.0.0", "vNext_Account..v2", "1.0.0-pkg.1.0.0+vNext-Account.v2"},
		{"1.0.0-beta.1", "", "account", "1.0.0-beta.1+account"},
	} {
		var pkg *semver.Version
		if c.pkg != "" {
			pkg = semver.MustParse(c.pkg)
		}
		v := New(semver.MustParse(c.artifact), pkg, c.name)
		if v.String() != c.want {
			t.Errorf("New(%s, %s, %q) = %s, want %s", c.artifact, c.pkg, c.name, v, c.want)
		}
		back, err := Parse(v.String())
		if err != nil || Compare(back, v) != 0 || back.Name != v.Name {
			t.Errorf("New gave %s, which does not parse back: %v", v, err)
		}
	}
}

func TestText(t *testing.T) {
	var got struct{ V Version }
	if err := json.Unmarshal([]byte(`{"V": "1.0.0-pkg.1.17.0+account"}`), &got); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(got)
	if err != nil || string(out) != `{"V":"1.0.0-pkg.1.17.0+account"}` {
		t.Errorf("round trip: %s, %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"V": "1.0.0+a+b"}`), &got); err == nil {
		t.Error("UnmarshalText accepted two '+'")
	}
	if _, err := ParseExtended("1.0.0"); err == nil {
		t.Error("ParseExtended accepted a plain version")
	}
	if _, err := ParseExtended("1.0.0-pkg.1.0.0+core"); err != nil {
		t.Error(err)
	}
	// A zero Version orders as 0.0.0 instead of panicking.
	if Compare(Version{}, mustParse(t, "0.0.1")) != -1 || (Version{}).String() != "0.0.0" {
		t.Error("zero Version")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"1.0.0-pkg.1.17.0+account", "2.0.0-pkg.1.0.0+account", "1.0.0", "1.0.0-pkg.1.17.0+account+build.123",
		"1.0.0-pkg.2.0.0-rc.1+vNext.Account", "0.0.0-pkg.0.0.0", "1.0.0-alpha.1+x",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	anchors := []Version{}
	for _, s := range []string{"1.0.0", "1.0.0-pkg.1.17.0+account", "2.0.0-pkg.1.0.0"} {
		v, _ := Parse(s)
		anchors = append(anchors, v)
	}
	f.Fuzz(func(t *testing.T, s string, lenient bool) {
		parse := Parse
		if lenient {
			parse = ParseLenient
		}
		v, err := parse(s)
		if err != nil {
			return
		}
		// String is strict SemVer and reads back to the same version.
		back, err := Parse(v.String())
		if err != nil {
			t.Fatalf("%q → %q, which Parse rejects: %v", s, v, err)
		}
		if Compare(v, back) != 0 || back.String() != v.String() || back.Extended() != v.Extended() {
			t.Fatalf("%q → %q → %q", s, v, back)
		}
		if !lenient && v.String() != s {
			t.Fatalf("Parse(%q).String() = %q", s, v)
		}
		for _, a := range anchors {
			if Compare(v, a) != -Compare(a, v) {
				t.Fatalf("Compare(%s, %s) is not antisymmetric", v, a)
			}
		}
	})
}
