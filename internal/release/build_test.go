package release_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/npmpkg"
	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/rules"
)

func TestVersionOf(t *testing.T) {
	for tag, want := range map[string]string{"v1.17.0": "1.17.0", "v2.0.0-rc.1": "2.0.0-rc.1"} {
		if got, err := release.VersionOf(tag); err != nil || got != want {
			t.Errorf("VersionOf(%q) = %q, %v; want %q", tag, got, err, want)
		}
	}
	for tag, msg := range map[string]string{
		"1.17.0":                              `does not start with "v"`,
		"v1.17":                               "is not v + a SemVer version",
		"v01.2.3":                             "is not v + a SemVer version",
		"v1.0.0+build.12":                     "has build metadata",
		"v1.0.0-pkg.1.17.0+account+build.123": "is not v + a SemVer version",
	} {
		if _, err := release.VersionOf(tag); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("VersionOf(%q) = %v, want an error saying %q", tag, err, msg)
		}
	}
}

func TestPreviousRelease(t *testing.T) {
	tags := []release.Tag{
		{"v1.9.0", "a"}, {"v1.10.0", "b"}, {"v1.11.0-rc.1", "c"}, {"v1.11.0-rc.2", "d"}, {"v1.11.0", "e"},
		{"v2.0.0", "f"}, {"latest", "g"}, {"1.10.5", "h"}, {"v1.10.1+meta", "i"},
	}
	cases := map[string]string{
		"1.11.0":      "v1.10.0", // SemVer order, not text order; release candidates skipped
		"1.11.0-rc.2": "v1.11.0-rc.1",
		"1.11.0-rc.1": "v1.10.0",
		"2.1.0":       "v2.0.0",
		"1.9.0":       "",
		"1.10.0":      "v1.9.0",
		"1.11.1":      "v1.11.0",
	}
	for v, want := range cases {
		got, err := release.PreviousRelease(tags, v)
		if err != nil {
			t.Fatal(err)
		}
		var gotTag string
		if got != nil {
			gotTag = got.Tag
		}
		if gotTag != want {
			t.Errorf("PreviousRelease(%s) = %q, want %q", v, gotTag, want)
		}
	}
}

// buildRelease builds vNext.Account 1.17.0 from files, as of commitTime.
func buildRelease(t *testing.T, files []release.File, commitTime time.Time, record *change.Report) *release.Release {
	t.Helper()
	r := &release.Release{
		Repo: githubapi.Repo{Owner: "Octo-Org", Name: "integrations"}, Tag: "v1.17.0", Commit: strings.Repeat("c", 40), CommitTime: commitTime,
		Package:  release.Package{Runtime: "vNext.Account", NPM: "@octo-org/vnext.account"},
		Registry: "https://npm.pkg.github.com", Version: "1.17.0",
		Previous: &release.Previous{Tag: "v1.16.0", Version: "1.16.0", Commit: strings.Repeat("b", 40)},
		Record:   record,
	}
	if err := release.Build(r, files); err != nil {
		t.Fatal(err)
	}
	return r
}

var packageFiles = []release.File{
	{Path: "vnext.config.json", Data: []byte(`{"domain":"account"}`)},
	{Path: "core/Workflows/account.json", Data: []byte(`{"key":"account","version":"1.17.0"}`)},
	{Path: "package.json", Data: []byte(`{"name":"exports","version":"1.17.0"}`)}, // replaced by the package's own
}

func sampleRecord() *change.Report {
	return &change.Report{Summary: change.Summary{RequiredBump: change.BumpMajor, DeclaredBump: change.BumpMinor}, Changes: []change.Finding{{
		Rule: "vnext/state-removed", Severity: change.Breaking, Category: change.CatWorkflow, Upgrade: change.Manual,
		Location: change.Location{File: "core/Workflows/account.json", Pointer: "/attributes/states/2"}, Message: "State removed.", Fingerprint: "0123456789abcdef",
	}, {
		Rule: "vnext/roles-narrowed", Severity: change.Breaking, Category: change.CatAuth, Upgrade: change.Manual,
		Location: change.Location{File: "core/Workflows/account.json", Pointer: "/attributes/roles"}, Message: "Roles narrowed.", Fingerprint: "fedcba9876543210",
		Accepted: &change.Acceptance{Via: "config", By: "octocat"},
	}}}
}

// Two builds of the same tag are byte-identical, whatever the clock and
// the order files come in; the manifest is stamped with the commit's time.
func TestBuildIsReproducible(t *testing.T) {
	at := time.Date(2025, 3, 14, 15, 9, 26, 0, time.FixedZone("CET", 3600))
	a := buildRelease(t, packageFiles, at, sampleRecord())
	time.Sleep(1100 * time.Millisecond) // a clock-stamped build would differ now
	reversed := []release.File{packageFiles[2], packageFiles[1], packageFiles[0]}
	b := buildRelease(t, reversed, at, sampleRecord())
	if !bytes.Equal(a.Tarball, b.Tarball) {
		t.Fatalf("two builds of the same tag differ: %s vs %s", npmpkg.Integrity(a.Tarball), npmpkg.Integrity(b.Tarball))
	}
	if a.TarballName != "vnext.account-1.17.0.tgz" {
		t.Errorf("tarball name %q", a.TarballName)
	}
	c := buildRelease(t, packageFiles, at.Add(time.Second), sampleRecord())
	if bytes.Equal(a.Tarball, c.Tarball) {
		t.Error("another commit time gives the same tarball: the manifest does not carry it")
	}
}

func TestManifestInTheTarball(t *testing.T) {
	at := time.Date(2025, 3, 14, 14, 9, 26, 0, time.UTC)
	r := buildRelease(t, packageFiles, at, sampleRecord())
	contents, err := npmpkg.ReadBytes(r.Tarball, npmpkg.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	var manifest []byte
	for _, f := range contents.Files {
		paths = append(paths, f.Path)
		if f.Path == release.ManifestFile {
			manifest = f.Data
		}
	}
	if diff := cmp.Diff([]string{"breakwater.json", "core/Workflows/account.json", "vnext.config.json"}, paths); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if contents.Manifest.Name != "@octo-org/vnext.account" || contents.Manifest.RuntimeName != "vNext.Account" ||
		contents.Manifest.Repository != "https://github.com/Octo-Org/integrations" || contents.Manifest.Registry != "https://npm.pkg.github.com" {
		t.Errorf("package.json = %+v", contents.Manifest)
	}
	var got map[string]any
	if err := json.Unmarshal(manifest, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"schemaVersion": 1.0, "package": "vNext.Account", "npm": "@octo-org/vnext.account", "version": "1.17.0", "previousVersion": "1.16.0",
		"source":    map[string]any{"repository": "https://github.com/Octo-Org/integrations", "commit": strings.Repeat("c", 40), "tag": "v1.17.0", "previousTag": "v1.16.0"},
		"createdAt": "2025-03-14T14:09:26Z",
		"changes": map[string]any{
			"breaking": true, "authChanges": true, "configChanges": false, "roleChanges": false, "requiredBump": "major", "declaredBump": "minor",
			"findings": []any{
				map[string]any{"rule": "vnext/state-removed", "severity": "breaking", "category": "workflow", "upgrade": "manual",
					"path": "core/Workflows/account.json", "pointer": "/attributes/states/2", "message": "State removed.", "fingerprint": "0123456789abcdef"},
				map[string]any{"rule": "vnext/roles-narrowed", "severity": "breaking", "category": "auth", "upgrade": "manual",
					"path": "core/Workflows/account.json", "pointer": "/attributes/roles", "message": "Roles narrowed.", "fingerprint": "fedcba9876543210", "accepted": true},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("breakwater.json (-want +got):\n%s", diff)
	}

	// A tarball read back gives the same release (what deploy works from).
	var back release.Release
	if err := release.FromTarball(&back, r.Tarball); err != nil {
		t.Fatal(err)
	}
	if back.Version != "1.17.0" || back.Package.NPM != r.Package.NPM || back.Package.Runtime != r.Package.Runtime || back.PreviousVersion() != "1.16.0" || back.Tag != "v1.17.0" ||
		len(rules.AuthBreaks(back.Manifest.Changes)) != 1 || !back.CommitTime.Equal(at) || back.TarballName != r.TarballName {
		t.Errorf("FromTarball = %+v", back)
	}
}

func TestFirstReleaseHasNoChangeRecord(t *testing.T) {
	r := buildRelease(t, packageFiles, time.Unix(1700000000, 0), nil)
	if r.Manifest.Changes != nil || r.Manifest.PreviousVersion != "1.16.0" {
		t.Errorf("manifest = %+v", r.Manifest)
	}
	r.Previous = nil
	err := release.Run(context.Background(), r, []release.Step{release.ChangeRecordStep{Compare: func(context.Context, release.Previous) (*change.Report, error) {
		t.Error("compared without a previous release")
		return nil, nil
	}}})
	if err != nil || r.Records[0].Status != release.StatusSkipped || !strings.Contains(r.Records[0].Detail, "first release") {
		t.Errorf("Run = %v, %+v", err, r.Records)
	}
}

func TestChangeRecordGates(t *testing.T) {
	run := func(rep *change.Report) error {
		r := &release.Release{Tag: "v1.17.0", Version: "1.17.0", Previous: &release.Previous{Tag: "v1.16.0", Version: "1.16.0"}}
		return release.Run(context.Background(), r, []release.Step{release.ChangeRecordStep{Compare: func(_ context.Context, p release.Previous) (*change.Report, error) {
			if p.Tag != "v1.16.0" {
				t.Errorf("compared with %s", p.Tag)
			}
			return rep, nil
		}}})
	}
	if err := run(sampleRecord()); err != nil {
		t.Errorf("a record with breaking findings stops the release: %v", err)
	}
	bad := &change.Report{Changes: []change.Finding{{Rule: "version/bump-insufficient", Severity: change.Error, Location: change.Location{File: "package.json", Line: 3, Column: 14}}}}
	if err := run(bad); err == nil || !strings.Contains(err.Error(), "version/bump-insufficient (package.json:3:14)") {
		t.Errorf("an error finding = %v, want it to stop the release naming it", err)
	}
	mismatch := &change.Report{Summary: change.Summary{HeadVersion: "1.16.5"}}
	if err := run(mismatch); err == nil || !strings.Contains(err.Error(), "declare version 1.16.5") {
		t.Errorf("a declared version other than the tag's = %v", err)
	}
}

func TestBuildRefusesWithoutCommitTime(t *testing.T) {
	r := &release.Release{Tag: "v1.17.0", Version: "1.17.0", Package: release.Package{Runtime: "vNext.Account", NPM: "@o/vnext.account"}, Registry: "https://npm.pkg.github.com"}
	if err := release.Build(r, packageFiles); err == nil || !strings.Contains(err.Error(), "never the clock") {
		t.Errorf("Build = %v", err)
	}
}
