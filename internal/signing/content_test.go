package signing

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPackagePURLAndNames(t *testing.T) {
	for _, tc := range []struct {
		pkg           Package
		purl, tarball string
	}{
		{Package{"@acme-corp/vnext.account", "1.17.0"}, "pkg:npm/%40acme-corp/vnext.account@1.17.0", "vnext.account-1.17.0.tgz"},
		{Package{"left-pad", "1.3.0"}, "pkg:npm/left-pad@1.3.0", "left-pad-1.3.0.tgz"},
		{Package{"@o/p", "1.0.0-rc.1+build.5"}, "pkg:npm/%40o/p@1.0.0-rc.1%2Bbuild.5", "p-1.0.0-rc.1+build.5.tgz"},
	} {
		if err := tc.pkg.Validate(); err != nil {
			t.Errorf("%v: %v", tc.pkg, err)
		}
		if got := tc.pkg.PURL(); got != tc.purl {
			t.Errorf("PURL(%v) = %q, want %q", tc.pkg, got, tc.purl)
		}
		if got := tc.pkg.TarballName(); got != tc.tarball {
			t.Errorf("TarballName(%v) = %q, want %q", tc.pkg, got, tc.tarball)
		}
	}
	for _, bad := range []Package{
		{"@Acme/x", "1.0.0"}, {"@acme/x", "v1.0.0"}, {"", "1.0.0"}, {"@acme", "1.0.0"}, {"a b", "1.0.0"}, {"@acme/x", "1.0"},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%v) accepted it", bad)
		}
	}
}

func TestDigestsIntegrityIsNPMs(t *testing.T) {
	// dist.integrity of a file holding "hello\n":
	// printf 'hello\n' | openssl dgst -sha512 -binary | base64
	d := DigestsOf([]byte("hello\n"))
	if got, want := d.Integrity(), "sha512-58IrmUxZ2c8rSOVJseJGZmNgRZMNPafBrLKZ0cO3+TH5Sq5B7dosKyB6NuEPi8uNRSI+VIePWzFufOO2vAGWKQ=="; got != want {
		t.Errorf("Integrity = %s, want %s", got, want)
	}
}

func TestStatementWithGitHubProvenance(t *testing.T) {
	env := map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme-corp/integrations",
		"GITHUB_REPOSITORY_ID": "101", "GITHUB_REPOSITORY_OWNER_ID": "202",
		"GITHUB_WORKFLOW_REF": "acme-corp/integrations/.github/workflows/release.yml@refs/tags/v1.17.0",
		"GITHUB_REF":          "refs/tags/v1.17.0", "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
		"GITHUB_EVENT_NAME": "push", "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "2", "RUNNER_ENVIRONMENT": "github-hosted",
	}
	prov := ProvenanceFromEnv(func(k string) string { return env[k] })
	if prov == nil {
		t.Fatal("ProvenanceFromEnv = nil inside Actions")
	}
	pkg := Package{"@acme-corp/vnext.account", "1.17.0"}
	raw, pt, err := buildStatement(pkg, DigestsOf([]byte("tarball")), prov)
	if err != nil {
		t.Fatal(err)
	}
	if pt != SLSAProvenancePredicate {
		t.Errorf("predicate type %s", pt)
	}
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"_type": "https://in-toto.io/Statement/v1",
		"subject": []any{map[string]any{
			"name": "pkg:npm/%40acme-corp/vnext.account@1.17.0",
			"digest": map[string]any{
				"sha512": DigestsOf([]byte("tarball")).SHA512,
				"sha256": DigestsOf([]byte("tarball")).SHA256,
			},
		}},
		"predicateType": "https://slsa.dev/provenance/v1",
		"predicate": map[string]any{
			"buildDefinition": map[string]any{
				"buildType": "https://actions.github.io/buildtypes/workflow/v1",
				"externalParameters": map[string]any{"workflow": map[string]any{
					"ref": "refs/tags/v1.17.0", "repository": "https://github.com/acme-corp/integrations", "path": ".github/workflows/release.yml",
				}},
				"internalParameters": map[string]any{"github": map[string]any{
					"event_name": "push", "repository_id": "101", "repository_owner_id": "202", "runner_environment": "github-hosted",
				}},
				"resolvedDependencies": []any{map[string]any{
					"uri":    "git+https://github.com/acme-corp/integrations@refs/tags/v1.17.0",
					"digest": map[string]any{"gitCommit": "0123456789abcdef0123456789abcdef01234567"},
				}},
			},
			"runDetails": map[string]any{
				"builder":  map[string]any{"id": "https://github.com/acme-corp/integrations/.github/workflows/release.yml@refs/tags/v1.17.0"},
				"metadata": map[string]any{"invocationId": "https://github.com/acme-corp/integrations/actions/runs/4242/attempts/2"},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statement (-want +got):\n%s", diff)
	}
}

func TestStatementWithoutProvenanceIsARelease(t *testing.T) {
	if p := ProvenanceFromEnv(func(string) string { return "" }); p != nil {
		t.Fatalf("ProvenanceFromEnv outside Actions = %+v", p)
	}
	pkg := Package{"@o/p", "2.0.0"}
	raw, pt, err := buildStatement(pkg, DigestsOf([]byte("x")), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		PredicateType string         `json:"predicateType"`
		Predicate     map[string]any `json:"predicate"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if pt != ReleasePredicate || got.PredicateType != ReleasePredicate || got.Predicate["purl"] != "pkg:npm/%40o/p@2.0.0" {
		t.Errorf("got %s %+v", pt, got)
	}
	if _, _, err := buildStatement(pkg, DigestsOf([]byte("x")), &Provenance{Repository: "o/p"}); err == nil {
		t.Error("an incomplete provenance was accepted")
	}
}
