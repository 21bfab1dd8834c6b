package release_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/signing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s\n(go test ./internal/release -run %s -update rewrites it)", name, diff, t.Name())
	}
}

// failedRelease is a release whose deploy to test loaded only in part and,
// because 1.17.0 adds an auth scope, was not rolled back: the case a
// person has to read the summary for.
func failedRelease() *release.Release {
	record := authBreaking()
	record.ConfigChanges = true
	record.Findings = append(record.Findings, configOnly().Findings...)
	digests := signing.Digests{SHA512: strings.Repeat("ab", 64), SHA256: strings.Repeat("cd", 32)}
	manual := []string{
		"Find out what test runs now: 1.17.0 may be partly live.",
		"Read the auth findings above: end users who re-authorised for 1.17.0 may have to authorise again after a rollback, and instances set up on 1.17.0 may lose their new auths.",
		"Either fix forward with a new version, or roll back as a person's decision: `breakwater rollback --environment test --version 1.16.0 --allow-auth-break` (or run the release workflow by hand with version 1.16.0 and allow-auth-break checked).",
	}
	return &release.Release{
		Repo: githubapi.Repo{Owner: "octo-org", Name: "integrations"}, Tag: "v1.17.0", Commit: strings.Repeat("c", 40),
		Package:  release.Package{Runtime: "vNext.Account", NPM: "@octo-org/vnext.account"},
		Version:  "1.17.0",
		Previous: &release.Previous{Tag: "v1.16.0", Version: "1.16.0"},
		Manifest: &release.Manifest{Package: "vNext.Account", Version: "1.17.0", PreviousVersion: "1.16.0", Changes: record,
			Source: release.Source{Tag: "v1.17.0", PreviousTag: "v1.16.0"}},
		Verified:  &signing.Verified{Digests: digests, SAN: "https://github.com/octo-org/integrations/.github/workflows/release.yml@refs/tags/v1.17.0", Issuer: signing.GitHubActionsIssuer},
		Published: "published",
		Records: []release.Record{
			{Step: "resolve version", Status: release.StatusDone, Detail: "1.17.0 from v1.17.0; previous release v1.16.0"},
			{Step: "change record", Status: release.StatusDone, Detail: "2 finding(s) since v1.16.0; breaking: yes, auth changes: yes; required bump major, declared major"},
			{Step: "package", Status: release.StatusDone, Detail: "vnext.account-1.17.0.tgz, 12 files, " + digests.Integrity()},
			{Step: "sign", Status: release.StatusDone, Detail: "signed keyless as https://github.com/octo-org/integrations/.github/workflows/release.yml@refs/tags/v1.17.0 (Rekor entry 42) (vnext.account-1.17.0.tgz.sigstore.json)"},
			{Step: "verify", Status: release.StatusDone, Detail: "verified: https://github.com/octo-org/integrations/.github/workflows/release.yml@refs/tags/v1.17.0, issuer " + signing.GitHubActionsIssuer},
			{Step: "publish", Status: release.StatusDone, Detail: "@octo-org/vnext.account@1.17.0 published (read back from https://npm.pkg.github.com/download/@octo-org/vnext.account/1.17.0, integrity matches)"},
			{Step: "attach bundle and attestation", Status: release.StatusDone, Detail: "attestation stored; vnext.account-1.17.0.tgz.sigstore.json uploaded on release v1.17.0"},
			{Step: "deploy test", Status: release.StatusPartial, Detail: "rollback refused: runtime deploy of vNext.Account 1.17.0 partially failed: 1 part(s) did not load: core/Workflows/sys-flows (the component did not start)"},
			{Step: "deploy prod", Status: release.StatusSkipped, Detail: "skipped, because deploy test failed"},
			{Step: "job summary", Status: release.StatusDone, Detail: "written"},
		},
		Deploys: []release.DeployResult{{
			Environment: "test", Target: "runtime https://runtime.test.example.com", Outcome: release.OutcomeRollbackRefused,
			Detail:       "runtime deploy of vNext.Account 1.17.0 partially failed; not rolled back to 1.16.0 automatically: 1 auth-breaking change(s) between 1.16.0 and 1.17.0 force end users to authenticate again, so rolling back across them is a person's decision",
			Failed:       []string{"core/Workflows/sys-flows (the component did not start)"},
			AuthFindings: record.Findings[:1], ManualSteps: manual,
		}},
		Warnings: []string{"keyless signing writes the repository and workflow names to the public Rekor log; octo-org/integrations is private"},
	}
}

// The job summary and the log of a failed release, as a person reads them.
func TestSummaryAndTextReadWell(t *testing.T) {
	r := failedRelease()
	golden(t, "summary.golden.md", release.Summary(r))
	golden(t, "text.golden.txt", release.Text(r))
}

// A finding's message comes from an export: in the summary it cannot open
// markup, and a manual step's command stays a code span.
func TestSummaryEscapes(t *testing.T) {
	r := failedRelease()
	r.Deploys[0].AuthFindings = []change.RecordFinding{{Rule: "tray/auth-scopes-added", Path: "a.json", Message: "<img src=x> @admin ## | cell"}}
	r.Deploys[0].ManualSteps = []string{"Run `rm -rf / | x` then `a` and <b>", "An unpaired ` and <i>"}
	s := release.Summary(r)
	for _, bad := range []string{"<img", "@admin", "<b>", "<i>"} {
		if strings.Contains(s, bad) {
			t.Errorf("the summary carries %q unescaped:\n%s", bad, s)
		}
	}
	if !strings.Contains(s, "1. Run `rm -rf / | x` then") {
		t.Errorf("the command is not a code span:\n%s", s)
	}
}
