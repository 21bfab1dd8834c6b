package release_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/runtime"
	"github.com/breakwater-dev/breakwater/internal/signing"
)

// Secrets the tests hand the code under test; none may appear in any
// output.
const (
	githubToken  = "ghs_releaseTESTtoken0123456789"
	runtimeToken = "rt-secret-TESTtoken-0123456789"
	trayToken    = "tray-master-TESTtoken-0123456789"
)

var allSecrets = []string{githubToken, runtimeToken, trayToken}

// assertNoSecret fails the test when any secret occurs in any of outs.
func assertNoSecret(t *testing.T, outs ...string) {
	t.Helper()
	for _, out := range outs {
		for _, s := range allSecrets {
			if strings.Contains(out, s) {
				t.Errorf("a secret leaked into the output:\n%s", out)
			}
		}
	}
}

// releaseOutputs is everything a release writes for people.
func releaseOutputs(r *release.Release, err error) []string {
	outs := []string{release.Summary(r)}
	for _, rec := range r.Records {
		outs = append(outs, rec.Detail)
	}
	for _, d := range r.Deploys {
		outs = append(outs, d.Detail, strings.Join(d.ManualSteps, "\n"))
	}
	if err != nil {
		outs = append(outs, err.Error())
	}
	return outs
}

// signedRelease is a release of vNext.Account 1.17.0 after 1.16.0, signed
// with a fresh key and verified: ready to deploy.
func signedRelease(t *testing.T, record *change.Record) (*release.Release, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	r := &release.Release{
		Repo: githubapi.Repo{Owner: "octo-org", Name: "integrations"}, Tag: "v1.17.0", Commit: strings.Repeat("c", 40),
		Package:  release.Package{Runtime: "vNext.Account", NPM: "@octo-org/vnext.account"},
		Version:  "1.17.0",
		Previous: &release.Previous{Tag: "v1.16.0", Version: "1.16.0"},
		Tarball:  bytes.Repeat([]byte("tarball bytes "), 100),
		Manifest: &release.Manifest{Package: "vNext.Account", Version: "1.17.0", PreviousVersion: "1.16.0", Changes: record},
		Secrets:  allSecrets,
	}
	steps := []release.Step{release.SignStep{Key: signing.CryptoSigner(key)}, release.VerifyStep{Policy: signing.Policy{PublicKey: &key.PublicKey}}}
	if err := release.Run(context.Background(), r, steps); err != nil {
		t.Fatal(err)
	}
	return r, key
}

// authBreaking is a change record with a new auth scope.
func authBreaking() *change.Record {
	return &change.Record{Breaking: true, AuthChanges: true, RequiredBump: change.BumpMajor, DeclaredBump: change.BumpMajor, Findings: []change.RecordFinding{{
		Rule: "tray/auth-scopes-added", Severity: change.Breaking, Category: change.CatAuth, Upgrade: change.UserInput,
		Path: "bynder-dropbox.project.json", Pointer: "/solution/auth_slots/0/scopes", Fingerprint: "d9e0c1ed67cf1fc4",
		Message: `Auth slot "Bynder authentication" asks for new scope asset.usage:write, so end users must re-authorise it.`,
		Slot:    &change.SlotRef{Kind: change.AuthSlot, ExternalID: "external_bynder", Change: change.SlotChanged},
	}}}
}

// configOnly is a change record without auth changes.
func configOnly() *change.Record {
	return &change.Record{Breaking: true, ConfigChanges: true, RequiredBump: change.BumpMajor, DeclaredBump: change.BumpMajor, Findings: []change.RecordFinding{{
		Rule: "tray/config-slot-added-required", Severity: change.Breaking, Category: change.CatConfig, Upgrade: change.UserInput,
		Path: "bynder-dropbox.project.json", Pointer: "/solution/config_slots/9", Fingerprint: "a6838117806fd004",
		Message: `New required config slot "Target collection" has no default to fall back to, so every instance must be given a value.`,
		Slot:    &change.SlotRef{Kind: change.ConfigSlot, ExternalID: "external_target_collection", Change: change.SlotAdded, Required: true},
	}}}
}

// github is a strict fake GitHub with the repository, its tags and a client.
type github struct {
	fake   *githubtest.Fake
	repo   *githubtest.Repository
	client *githubapi.Client
}

func newGitHub(t *testing.T) *github {
	t.Helper()
	fake := githubtest.New(t)
	repo := fake.AddRepo("octo-org", "integrations")
	c1 := repo.Commit(nil, map[string][]byte{"a.json": []byte(`{"v":1}`)})
	c2 := repo.Commit([]string{c1}, map[string][]byte{"a.json": []byte(`{"v":2}`)})
	repo.Tag("v1.16.0", c1)
	repo.Tag("v1.17.0", c2)
	policy := githubapi.DefaultRetryPolicy()
	policy.Sleep = func(context.Context, time.Duration) error { return nil }
	client, err := githubapi.New(fake.URL, githubToken, githubapi.WithRetryPolicy(policy), githubapi.WithUploadURL(fake.UploadURL))
	if err != nil {
		t.Fatal(err)
	}
	return &github{fake: fake, repo: repo, client: client}
}

// fastRetries retries at once, so fault tests take no time.
func fastRetries() runtime.Option {
	return runtime.WithRetryPolicy(runtime.RetryPolicy{Attempts: 3, Sleep: func(context.Context, time.Duration) error { return nil }})
}
