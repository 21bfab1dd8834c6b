package cli_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/cli"
	"github.com/breakwater-dev/breakwater/internal/npmpkg"
	"github.com/breakwater-dev/breakwater/internal/runtime/runtimetest"
	"github.com/breakwater-dev/breakwater/internal/source"
	"github.com/breakwater-dev/breakwater/internal/testenv"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

// runIn runs the CLI in process with env as its whole environment.
func runIn(t *testing.T, env map[string]string, args ...string) (cli.ExitCode, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return env[k] }, Version: "test"})
	return code, stdout.String(), stderr.String()
}

func TestReleaseCommandsHelp(t *testing.T) {
	for _, cmd := range []string{"package", "sign", "verify", "publish", "deploy", "rollback", "release"} {
		code, out, _ := runIn(t, nil, cmd, "--help")
		if code != cli.ExitOK || !strings.Contains(out, "Usage: breakwater "+cmd) {
			t.Errorf("%s --help: exit %d, %q", cmd, code, out)
		}
	}
}

// taggedRepo is a git repository with the Tray sample at v1.4.0 and a
// breaking change at v2.0.0 (HEAD, an annotated tag).
func taggedRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(from string, version string) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "examples", "tray", from, "bynder-dropbox.project.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "bynder-dropbox.project.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"x","version":"`+version+`"}`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Git(t, dir, "init", "-q", "-b", "main")
	write("base", "1.4.0")
	testenv.Git(t, dir, "add", ".")
	testenv.Git(t, dir, "commit", "-qm", "v1.4.0")
	testenv.Git(t, dir, "tag", "v1.4.0")
	write("head", "2.0.0")
	testenv.Git(t, dir, "add", ".")
	testenv.Git(t, dir, "commit", "-qm", "v2.0.0")
	testenv.Git(t, dir, "tag", "-a", "v2.0.0", "-m", "release 2.0.0")
	return dir
}

// Two builds of the same tag are byte-identical — in another checkout, at
// another time — and the manifest holds the change record against the
// previous tag read from git.
func TestPackageIsReproducible(t *testing.T) {
	dir := taggedRepo(t)
	clone := filepath.Join(t.TempDir(), "elsewhere")
	testenv.Git(t, dir, "clone", "-q", dir, clone)
	env := map[string]string{"GITHUB_REPOSITORY": "octo-org/bynder-dropbox"}
	var tarballs [][]byte
	for _, d := range []string{dir, clone} {
		out := filepath.Join(t.TempDir(), "out")
		code, stdout, stderr := runIn(t, env, "package", d, "--out", out)
		if code != cli.ExitOK {
			t.Fatalf("package: exit %d\n%s%s", code, stdout, stderr)
		}
		path := strings.TrimSpace(stdout)
		if path != filepath.Join(out, "bynder-dropbox-2.0.0.tgz") {
			t.Fatalf("package printed %q", path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tarballs = append(tarballs, data)
	}
	if !bytes.Equal(tarballs[0], tarballs[1]) {
		t.Fatalf("two builds differ: %s vs %s", npmpkg.Integrity(tarballs[0]), npmpkg.Integrity(tarballs[1]))
	}
	c, err := npmpkg.ReadBytes(tarballs[0], npmpkg.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		PreviousVersion string
		CreatedAt       string
		Changes         struct {
			Breaking, AuthChanges, ConfigChanges bool
			Findings                             []struct{ Rule string }
		}
	}
	for _, f := range c.Files {
		if f.Path == "breakwater.json" {
			if err := json.Unmarshal(f.Data, &manifest); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, at, err := source.GitCommit(context.Background(), dir, "v2.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if manifest.PreviousVersion != "1.4.0" || manifest.CreatedAt != at.Format(time.RFC3339) || !manifest.Changes.Breaking ||
		!manifest.Changes.AuthChanges || !manifest.Changes.ConfigChanges || len(manifest.Changes.Findings) == 0 {
		t.Errorf("manifest = %+v", manifest)
	}
	if c.Manifest.Name != "@octo-org/bynder-dropbox" || c.Manifest.RuntimeName != "bynder-dropbox" {
		t.Errorf("package.json = %+v", c.Manifest)
	}
}

func writeKeys(t *testing.T, dir string) (priv, pub string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	priv, pub = filepath.Join(dir, "key.pem"), filepath.Join(dir, "key.pub.pem")
	os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644)
	return priv, pub
}

// packaged builds v2.0.0 of taggedRepo into a temporary directory and
// makes a key pair there: the environment, the directory, the tarball's
// path and the key files.
func packaged(t *testing.T) (env map[string]string, tmp, tgz, priv, pub string) {
	t.Helper()
	dir := taggedRepo(t)
	tmp = t.TempDir()
	env = map[string]string{"GITHUB_REPOSITORY": "octo-org/bynder-dropbox"}
	code, stdout, stderr := runIn(t, env, "package", dir, "--out", tmp)
	if code != cli.ExitOK {
		t.Fatalf("package: exit %d\n%s%s", code, stdout, stderr)
	}
	priv, pub = writeKeys(t, tmp)
	return env, tmp, strings.TrimSpace(stdout), priv, pub
}

// sign and verify offline with a key; verify's exit codes: 0 verified,
// 1 does not verify (with the reason), 2 cannot run.
func TestSignAndVerifyExitCodes(t *testing.T) {
	env, tmp, tgz, priv, pub := packaged(t)
	_, otherPub := writeKeys(t, t.TempDir())
	keyPEM, _ := os.ReadFile(priv)
	env["BREAKWATER_SIGNING_KEY"] = string(keyPEM)

	code, stdout, stderr := runIn(t, env, "sign", tgz, "--key", "env://BREAKWATER_SIGNING_KEY")
	if code != cli.ExitOK || strings.TrimSpace(stdout) != tgz+".sigstore.json" {
		t.Fatalf("sign: exit %d\n%s%s", code, stdout, stderr)
	}
	if strings.Contains(stdout+stderr, "PRIVATE KEY") {
		t.Error("the key was printed")
	}
	tampered := filepath.Join(tmp, "tampered.tgz")
	data, _ := os.ReadFile(tgz)
	data[len(data)/2] ^= 1
	os.WriteFile(tampered, data, 0o644)
	bad := filepath.Join(tmp, "bad.pem")
	os.WriteFile(bad, []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), 0o644)

	cases := []struct {
		name string
		args []string
		code cli.ExitCode
		out  string
	}{
		{"verified", []string{"verify", tgz, "--key", pub}, cli.ExitOK, "Verified OK: pkg:npm/%40octo-org/bynder-dropbox@2.0.0 signed by key"},
		{"another key", []string{"verify", tgz, "--key", otherPub}, cli.ExitFindings, "does not verify"},
		{"tampered tarball", []string{"verify", tampered, "--bundle", tgz + ".sigstore.json", "--key", pub}, cli.ExitFindings, "does not verify"},
		{"a keyless policy for a key bundle", []string{"verify", tgz, "--certificate-identity-regexp", ".*", "--trusted-root", filepath.Join("..", "signing", "testdata", "missing.json")}, cli.ExitError, "trusted root"},
		{"missing bundle", []string{"verify", tgz, "--bundle", filepath.Join(tmp, "nope.json"), "--key", pub}, cli.ExitError, "reading the bundle"},
		{"bad key", []string{"verify", tgz, "--key", bad}, cli.ExitError, "breakwater:"},
		{"no policy", []string{"verify", tgz}, cli.ExitError, "no verification policy"},
	}
	for _, tc := range cases {
		code, stdout, stderr := runIn(t, env, tc.args...)
		if code != tc.code || !strings.Contains(stdout+stderr, tc.out) {
			t.Errorf("%s: exit %d, want %d with %q\n%s%s", tc.name, code, tc.code, tc.out, stdout, stderr)
		}
	}
}

// publish against a real registry: published, then a no-op, then a
// different tarball under the same version is a hard error, and a bad token
// a clear exit 2.
func TestPublishCommand(t *testing.T) {
	v := testenv.StartVerdaccio(t)
	dir := taggedRepo(t)
	env := map[string]string{"GITHUB_REPOSITORY": "octo-org/bynder-dropbox"}
	out1 := t.TempDir()
	_, stdout, _ := runIn(t, env, "package", dir, "--out", out1)
	tgz := strings.TrimSpace(stdout)
	// Another build of 2.0.0: other bytes under the same version.
	out2 := t.TempDir()
	env2 := map[string]string{"GITHUB_REPOSITORY": "octo-org/bynder-dropbox", "SOURCE_DATE_EPOCH": "1700000000"}
	_, stdout, _ = runIn(t, env2, "package", dir, "--out", out2)
	other := strings.TrimSpace(stdout)

	env["NODE_AUTH_TOKEN"] = v.Token
	for i, want := range []string{"published", "already published"} {
		code, stdout, stderr := runIn(t, env, "publish", tgz, "--registry", v.URL)
		if code != cli.ExitOK || !strings.Contains(stdout, "@octo-org/bynder-dropbox@2.0.0 "+want+":") {
			t.Errorf("publish #%d: exit %d\n%s%s", i+1, code, stdout, stderr)
		}
	}
	code, stdout, stderr := runIn(t, env, "publish", other, "--registry", v.URL)
	if code != cli.ExitError || !strings.Contains(stderr, "already published with a different tarball") {
		t.Errorf("other bytes: exit %d\n%s%s", code, stdout, stderr)
	}
	env["NODE_AUTH_TOKEN"] = "npm_BADtoken0123456789"
	code, stdout, stderr = runIn(t, env, "publish", tgz, "--registry", v.URL)
	if code != cli.ExitError || !strings.Contains(stderr, "401") || strings.Contains(stdout+stderr, "npm_BADtoken0123456789") || strings.Contains(stdout+stderr, v.Token) {
		t.Errorf("bad token: exit %d\n%s%s", code, stdout, stderr)
	}
}

// deploy to a Tray environment from the command line: the tarball verifies
// against the configured key, Tray's preview is compared, and the new auth
// scope of the sample stops the import with what to authenticate.
func TestDeployToTrayRefusesNewAuth(t *testing.T) {
	env, tmp, tgz, priv, pub := packaged(t)
	if code, out, errOut := runIn(t, env, "sign", tgz, "--key", priv); code != cli.ExitOK {
		t.Fatalf("sign: %d %s %s", code, out, errOut)
	}
	const token = "tray-master-SECRET-0123456789"
	srv := traytest.New(t, traytest.Config{MasterToken: token, Unlimited: true})
	srv.AddSolution(traytest.Solution{ID: "sol-1", Title: "Bynder Dropbox", Version: 1})
	srv.SetPreview("sol-1", map[string]any{"breakingChanges": true, "requiresNewUserInput": true, "requiresNewSystemInput": false,
		"authSlots": map[string]any{"updated": []any{}}, "configSlots": map[string]any{"created": []any{}}})
	cfg := filepath.Join(tmp, "breakwater.yml")
	os.WriteFile(cfg, []byte(`signing:
  mode: key
  key: `+priv+`
  policy:
    public-key: `+pub+`
environments:
  - name: tray
    tray:
      project-id: proj-1
      solution-id: sol-1
      graphql-url: `+srv.GraphQLURL()+`
      api-url: `+srv.APIURL()+`
`), 0o644)
	env["TRAY_TOKEN_TRAY"] = token
	code, stdout, stderr := runIn(t, env, "deploy", tgz, "--config", cfg)
	if code != cli.ExitError {
		t.Fatalf("deploy: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"verify", "verified against the public key", "import refused", "tray/auth-scopes-added", "Tray's publish preview disagrees"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if srv.CallCount(traytest.OpPreview) != 1 || srv.CallCount(traytest.OpImportProject) != 0 {
		t.Errorf("preview calls %d, imports %d", srv.CallCount(traytest.OpPreview), srv.CallCount(traytest.OpImportProject))
	}
	if strings.Contains(stdout+stderr, token) {
		t.Error("the Tray token leaked")
	}
}

// `breakwater release` outside Actions: git trees at the tag, key-based
// signing, Verdaccio, a fake runtime; no GitHub, so nothing is attached
// or tracked, and the report says so.
func TestReleaseCommandFromGit(t *testing.T) {
	v := testenv.StartVerdaccio(t)
	dir := taggedRepo(t)
	tmp := t.TempDir()
	priv, pub := writeKeys(t, tmp)
	rt := runtimetest.New(t, runtimetest.Config{Token: "rt-SECRET-0123456789", Live: map[string]string{"bynder-dropbox": "1.4.0"}})
	cfg := filepath.Join(tmp, "breakwater.yml")
	os.WriteFile(cfg, []byte(`registry: {url: "`+v.URL+`"}
signing:
  mode: key
  key: `+priv+`
  policy: {public-key: `+pub+`}
environments:
  - name: staging
    runtime: {url: "`+rt.URL+`", token-env: STAGING_TOKEN}
`), 0o644)
	summary := filepath.Join(tmp, "summary.md")
	env := map[string]string{"NODE_AUTH_TOKEN": v.Token, "STAGING_TOKEN": "rt-SECRET-0123456789"}
	code, stdout, stderr := runIn(t, env, "release", dir, "--tag", "v2.0.0", "--repository", "octo-org/bynder-dropbox", "--config", cfg, "--summary", summary, "--out", tmp)
	if code != cli.ExitOK {
		t.Fatalf("release: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"previous release v1.4.0", "bynder-dropbox-2.0.0.tgz", "published", "no GitHub repository to attach", "deployed: bynder-dropbox 2.0.0 is live"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	if rt.Live("bynder-dropbox").Version != "2.0.0" {
		t.Errorf("runtime runs %+v", rt.Live("bynder-dropbox"))
	}
	md, _ := os.ReadFile(summary)
	for _, out := range []string{stdout, stderr, string(md)} {
		if strings.Contains(out, "rt-SECRET-0123456789") || strings.Contains(out, v.Token) {
			t.Errorf("a secret leaked:\n%s", out)
		}
	}
	// Rolling staging back to 1.4.0 crosses 2.0.0's new auth scope: the
	// rollback reads 2.0.0's manifest from the registry and refuses with the
	// finding and what to do; without GitHub it must be told what runs.
	code, stdout, stderr = runIn(t, env, "rollback", "--environment", "staging", "--version", "1.4.0", "--repository", "octo-org/bynder-dropbox", "--config", cfg)
	if code != cli.ExitError || !strings.Contains(stdout+stderr, "give --from VERSION") {
		t.Errorf("rollback without knowing what runs: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runIn(t, env, "rollback", "--environment", "staging", "--version", "1.4.0", "--from", "2.0.0", "--repository", "octo-org/bynder-dropbox", "--config", cfg)
	if code != cli.ExitError {
		t.Fatalf("rollback across the auth break: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"refused: staging runs 2.0.0 (as given): 1 auth-breaking change(s) between 1.4.0 and 2.0.0",
		"- tray/auth-scopes-added (bynder-dropbox.project.json", "`breakwater rollback --environment staging --version 1.4.0 --allow-auth-break`"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("refused rollback: output lacks %q:\n%s", want, stdout)
		}
	}
	if rt.Live("bynder-dropbox").Version != "2.0.0" {
		t.Errorf("the refused rollback changed the runtime: %+v", rt.Live("bynder-dropbox"))
	}
	code, stdout, stderr = runIn(t, env, "rollback", "--environment", "staging", "--version", "1.4.0", "--from", "2.0.0", "--allow-auth-break", "--repository", "octo-org/bynder-dropbox", "--config", cfg)
	if code != cli.ExitOK || rt.Live("bynder-dropbox").Version != "1.4.0" || !strings.Contains(stdout, "warning: 1 auth-breaking change(s)") {
		t.Errorf("rollback allowed by a person: exit %d, runtime %+v\n%s%s", code, rt.Live("bynder-dropbox"), stdout, stderr)
	}

	// The tarball written is the one `package` builds from the tag's commit.
	released, _ := os.ReadFile(filepath.Join(tmp, "bynder-dropbox-2.0.0.tgz"))
	code, stdout, _ = runIn(t, map[string]string{"GITHUB_REPOSITORY": "octo-org/bynder-dropbox"}, "package", dir, "--config", cfg, "--out", t.TempDir())
	again, _ := os.ReadFile(strings.TrimSpace(stdout))
	if code != cli.ExitOK || !bytes.Equal(released, again) {
		t.Errorf("release and package built different bytes from the same tag")
	}
}
