package npmpkg

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

func testManifest() Manifest {
	return Manifest{
		Name:        "@acme/vnext.account",
		Version:     "1.17.0",
		Description: "Account workflows <vNext> & friends",
		RuntimeName: "vNext.Account",
		Repository:  "https://github.com/Acme/vnext-account",
		Registry:    "https://npm.pkg.github.com",
	}
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got; -update rewrites it):\n%s", path, d)
	}
}

func TestManifestJSON(t *testing.T) {
	doc, err := testManifest().JSON()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "package.json.golden", doc)

	back, err := ParseManifest(doc)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(testManifest(), back); d != "" {
		t.Errorf("ParseManifest(JSON()) changed the manifest (-want +got):\n%s", d)
	}
	again, _ := back.JSON()
	if !bytes.Equal(doc, again) {
		t.Error("the same manifest gave different bytes")
	}
}

func TestManifestValidate(t *testing.T) {
	for _, tc := range []struct {
		change func(*Manifest)
		want   string
	}{
		{func(m *Manifest) { m.Name = "vnext.account" }, "GitHub Packages"},
		{func(m *Manifest) { m.Name = "@acme/vNext.Account" }, "capital letters"},
		{func(m *Manifest) { m.Version = "v1.17.0" }, `must not start with "v"`},
		{func(m *Manifest) { m.Version = "1.17" }, "not SemVer"},
		{func(m *Manifest) { m.RuntimeName = "" }, "runtime package name is empty"},
		{func(m *Manifest) { m.RuntimeName = "vNext.Billing" }, `must be "vnext.billing"`},
		{func(m *Manifest) { m.Repository = "" }, "repository is empty"},
		{func(m *Manifest) { m.Repository = "github.com/acme/x" }, "not an absolute https URL"},
		{func(m *Manifest) { m.Repository = "http://github.com/acme/x" }, "not an absolute https URL"},
		{func(m *Manifest) { m.Registry = "" }, "publishConfig.registry is empty"},
		{func(m *Manifest) { m.Registry = "https://user:secret@npm.example" }, "credentials"},
		{func(m *Manifest) { m.Registry = "ftp://npm.example" }, "https or http URL"},
	} {
		m := testManifest()
		tc.change(&m)
		err := m.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want an error about %q", m, err, tc.want)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("error %q repeats a credential", err)
		}
		if _, err := m.JSON(); err == nil {
			t.Errorf("JSON() of an invalid manifest %+v succeeded", m)
		}
	}
	m := testManifest()
	m.Registry = "http://127.0.0.1:4873/" // a loopback registry in tests
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
}

func TestParseManifest(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		want Manifest
		err  string
	}{
		{doc: `{"name":"x","version":"1.0.0","repository":"https://github.com/a/b","extra":[1]}`,
			want: Manifest{Name: "x", Version: "1.0.0", Repository: "https://github.com/a/b"}},
		{doc: `{"name":"x","repository":{"type":"git","url":"git+https://github.com/a/b.git"},"publishConfig":{"registry":"https://r","access":"public"},"breakwater":{"runtimeName":"X"}}`,
			want: Manifest{Name: "x", Repository: "https://github.com/a/b", Registry: "https://r", RuntimeName: "X"}},
		{doc: `{"name":null,"description":null}`, want: Manifest{}},
		{doc: `[]`, err: "not a JSON object"},
		{doc: `null`, err: "not a JSON object"},
		{doc: `{"name":`, err: "not a JSON object"},
		{doc: `{"name":1}`, err: `field "name"`},
		{doc: `{"version":["1"]}`, err: `field "version"`},
		{doc: `{"publishConfig":"r"}`, err: `field "publishConfig"`},
		{doc: `{"breakwater":{"runtimeName":2}}`, err: `field "breakwater"`},
		{doc: `{"repository":3}`, err: `"repository"`},
	} {
		got, err := ParseManifest([]byte(tc.doc))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseManifest(%s) = %v, want an error about %q", tc.doc, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseManifest(%s): %v", tc.doc, err)
			continue
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("ParseManifest(%s) (-want +got):\n%s", tc.doc, d)
		}
	}
}

func TestValidateVersion(t *testing.T) {
	for _, v := range []string{"0.0.0", "1.17.0", "1.0.0-rc.1", "1.0.0-pkg.1.17.0", "9007199254740991.0.0"} {
		if err := ValidateVersion(v); err != nil {
			t.Errorf("ValidateVersion(%q) = %v", v, err)
		}
	}
	for v, want := range map[string]string{
		"":                                  "empty",
		"v1.0.0":                            `must not start with "v"`,
		"=1.0.0":                            `must not start with "="`,
		"1.0":                               "not SemVer",
		"1.0.0.0":                           "not SemVer",
		"01.0.0":                            "not SemVer",
		"1.0.0-":                            "not SemVer",
		"1.0.0-01":                          "not SemVer",
		" 1.0.0":                            "not SemVer",
		"1.0.0+build.1":                     "build metadata",
		"1.0.0-pkg.1+acc+b.1":               "not SemVer",
		"9007199254740992.0.0":              "larger than npm accepts",
		"1.0.0-" + strings.Repeat("a", 300): "256 characters",
	} {
		err := ValidateVersion(v)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateVersion(%q) = %v, want an error about %q", v, err, want)
		}
	}
}
