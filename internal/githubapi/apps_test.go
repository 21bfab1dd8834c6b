package githubapi_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
)

// appKey is a fresh RSA key for a test app, and its PEM.
func appKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
}

// TestAppAuthentication: the app signs a JWT the fake verifies against its
// public key, trades it for an installation token, reuses that token, and
// asks for a new one before it expires (the fake fails the test on any
// request made with an expired token).
func TestAppAuthentication(t *testing.T) {
	fake := githubtest.New(t)
	repo := fake.AddRepo("octo", "exports")
	sha := repo.Commit(nil, map[string][]byte{"a.json": []byte(`{}`)})
	repo.OpenPullRequest(githubtest.PullRequest{Number: 1, HeadSHA: sha, BaseSHA: sha})
	key, pemKey := appKey(t)
	fake.RegisterApp("breakwater", 77, 9077, &key.PublicKey)
	fake.Install(77, 501, "octo/exports")
	// ghinstallation renews a token a minute before it expires: with 62 s
	// the second token is due 2 s after the first.
	fake.SetTokenLifetime(62 * time.Second)

	apps, err := githubapi.NewApps(githubapi.AppConfig{APIURL: fake.URL, AppID: 77, PrivateKey: pemKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	app, err := apps.Describe(ctx)
	if err != nil || app.ID != 77 || app.Slug != "breakwater" {
		t.Fatalf("Describe = %+v, %v", app, err)
	}
	id, err := apps.RepoInstallation(ctx, githubapi.Repo{Owner: "octo", Name: "exports"})
	if err != nil || id != 501 {
		t.Fatalf("RepoInstallation = %d, %v", id, err)
	}
	if _, err := apps.RepoInstallation(ctx, githubapi.Repo{Owner: "octo", Name: "other"}); !githubapi.IsNotFound(err) {
		t.Fatalf("RepoInstallation of a repository without the app: %v, want a 404", err)
	}
	c, err := apps.Installation(501)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := apps.Installation(501); again != c {
		t.Error("the installation client is not cached")
	}
	r := githubapi.Repo{Owner: "octo", Name: "exports"}
	for range 3 {
		if _, err := c.Labels(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if n := fake.TokensIssued(501); n != 1 {
		t.Fatalf("%d tokens issued for three requests, want 1 (cached)", n)
	}
	time.Sleep(2500 * time.Millisecond)
	cm, err := c.CreateComment(ctx, r, 1, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if n := fake.TokensIssued(501); n != 2 {
		t.Fatalf("%d tokens issued, want 2: the token was not renewed before it expired", n)
	}
	if cm.Author.Login != "breakwater[bot]" || cm.ViaApp.ID != 77 {
		t.Errorf("the comment was written by %+v via %+v, want the app's bot", cm.Author, cm.ViaApp)
	}
	if _, err := apps.Installation(0); err == nil {
		t.Error("an installation without an ID gave a client")
	}
}

// TestAppKeyErrorsNameNoSecret: a bad key is refused with a message that
// says what is wrong and never quotes the key.
func TestAppKeyErrorsNameNoSecret(t *testing.T) {
	secret := "-----BEGIN RSA PRIVATE KEY-----\nTOPSECRETMATERIAL\n-----END RSA PRIVATE KEY-----\n"
	_, err := githubapi.NewApps(githubapi.AppConfig{AppID: 1, PrivateKey: []byte(secret)})
	if err == nil || strings.Contains(err.Error(), "TOPSECRET") || !strings.Contains(err.Error(), "private key") {
		t.Fatalf("err = %v", err)
	}
	if _, err := githubapi.NewApps(githubapi.AppConfig{PrivateKey: []byte(secret)}); err == nil || !strings.Contains(err.Error(), "app ID") {
		t.Fatalf("no app ID: %v", err)
	}
}

// TestPermissionsAndFileCommits: collaborator permissions, and a commit to
// a branch through the contents API that refuses a stale blob SHA.
func TestPermissionsAndFileCommits(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	f.repo.SetPermission("maintainer", "write")
	f.repo.SetPermission("stranger", "none")
	for user, want := range map[string]bool{"maintainer": true, "stranger": false, "reader": false} {
		p, err := f.client.CollaboratorPermission(ctx, f.r, user)
		if err != nil {
			t.Fatal(err)
		}
		if p.CanWrite() != want {
			t.Errorf("%s: permission %q, CanWrite = %v", user, p, p.CanWrite())
		}
	}
	fv, err := f.client.FileAt(ctx, f.r, "a.json", "feature")
	if err != nil || string(fv.Content) != `{"a":2}` || fv.SHA == "" {
		t.Fatalf("FileAt = %+v, %v", fv, err)
	}
	missing, err := f.client.FileAt(ctx, f.r, ".github/breakwater.yml", "feature")
	if err != nil || missing.SHA != "" {
		t.Fatalf("FileAt of a missing file = %+v, %v", missing, err)
	}
	sha, err := f.client.UpdateFile(ctx, f.r, githubapi.FileUpdate{Path: "a.json", Branch: "feature", Message: "edit", Content: []byte(`{"a":3}`), SHA: fv.SHA})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.repo.File("feature", "a.json"); string(got) != `{"a":3}` || f.repo.Branch("feature") != sha {
		t.Fatalf("after the commit the branch holds %s at %s", got, f.repo.Branch("feature"))
	}
	pr, err := f.client.PullRequest(ctx, f.r, 7)
	if err != nil || pr.HeadSHA != sha {
		t.Fatalf("the pull request's head did not move with its branch: %+v %v", pr, err)
	}
	_, err = f.client.UpdateFile(ctx, f.r, githubapi.FileUpdate{Path: "a.json", Branch: "feature", Message: "stale", Content: []byte(`{}`), SHA: fv.SHA})
	if !githubapi.IsConflict(err) {
		t.Fatalf("a stale blob SHA: %v, want a conflict", err)
	}
}
