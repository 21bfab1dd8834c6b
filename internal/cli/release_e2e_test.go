package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/cli"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/prrun/prruntest"
	"github.com/breakwater-dev/breakwater/internal/runtime/runtimetest"
	"github.com/breakwater-dev/breakwater/internal/signing/sigstoretest"
	"github.com/breakwater-dev/breakwater/internal/testenv"
)

// The release side of the Action, end to end through cli.Run: a real
// release.published (and push) payload of @octokit/webhooks-examples, the
// strict fake GitHub, keyless signing against a local Sigstore, a real
// Verdaccio, and two strict fake runtimes (test, then prod).

const (
	relOwner       = "octo-org"
	relRepo        = "integrations"
	relGitHubToken = "ghs_e2eRELEASEtoken0123456789abcdef"
	testRTToken    = "rt-test-SECRET-0123456789"
	prodRTToken    = "rt-prod-SECRET-0123456789"
)

var (
	webhookOnce sync.Once
	webhooks    map[string][]json.RawMessage
	webhookErr  error
)

// webhookExample is the first example payload of event whose action (for
// release) or ref kind (for push) fits.
func webhookExample(t *testing.T, event string, fits func(map[string]any) bool) map[string]any {
	t.Helper()
	dir := testenv.NPMPackage(t, prruntest.WebhooksExamplesPackage)
	webhookOnce.Do(func() {
		var data []byte
		if data, webhookErr = os.ReadFile(filepath.Join(dir, "api.github.com", "index.json")); webhookErr != nil {
			return
		}
		var index []struct {
			Name     string            `json:"name"`
			Examples []json.RawMessage `json:"examples"`
		}
		if webhookErr = json.Unmarshal(data, &index); webhookErr != nil {
			return
		}
		webhooks = map[string][]json.RawMessage{}
		for _, e := range index {
			webhooks[e.Name] = e.Examples
		}
	})
	if webhookErr != nil {
		t.Fatal(webhookErr)
	}
	for _, raw := range webhooks[event] {
		raw = bytes.ReplaceAll(raw, []byte("Codertocat/Hello-World"), []byte(relOwner+"/"+relRepo))
		var ev map[string]any
		if json.Unmarshal(raw, &ev) == nil && fits(ev) {
			return ev
		}
	}
	t.Fatalf("%s has no fitting %s example", prruntest.WebhooksExamplesPackage, event)
	return nil
}

// releaseWorld is everything a release talks to.
type releaseWorld struct {
	t          *testing.T
	gh         *githubtest.Fake
	repo       *githubtest.Repository
	sigstore   *sigstoretest.Instance
	verdaccio  *testenv.Verdaccio
	test, prod *runtimetest.Fake
	env        map[string]string
	dir        string
	c1, c2     string // v1.4.0 and v2.0.0
}

func newReleaseWorld(t *testing.T) *releaseWorld {
	t.Helper()
	w := &releaseWorld{t: t, dir: t.TempDir()}
	w.verdaccio = testenv.StartVerdaccio(t)
	w.gh = githubtest.New(t)
	w.repo = w.gh.AddRepo(relOwner, relRepo)
	base, head := prruntest.SamplePair(t)
	head["package.json"] = []byte(`{"name":"@bynder/dropbox-solution","version":"2.0.0","private":true}` + "\n")
	base["README.md"], head["README.md"] = []byte("# integrations\n"), []byte("# integrations\n")
	w.c1 = w.repo.Commit(nil, base)
	w.c2 = w.repo.Commit([]string{w.c1}, head)
	w.repo.Tag("v1.4.0", w.c1)
	w.repo.Tag("v2.0.0", w.c2)
	w.repo.SetCommitTime(w.c2, time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC))

	w.sigstore = sigstoretest.New(t, sigstoretest.Options{Claims: sigstoretest.Claims{
		Repository: relOwner + "/" + relRepo, Visibility: "public",
		JobWorkflowRef: relOwner + "/" + relRepo + "/.github/workflows/release.yml@refs/tags/v2.0.0",
		Ref:            "refs/tags/v2.0.0", SHA: w.c2, EventName: "release", RunID: "777",
	}})
	w.test = runtimetest.New(t, runtimetest.Config{Token: testRTToken, Live: map[string]string{"bynder-dropbox": "1.4.0"}})
	w.prod = runtimetest.New(t, runtimetest.Config{Variant: runtimetest.APIPackage, Token: prodRTToken, Live: map[string]string{"bynder-dropbox": "1.4.0"}})

	root := filepath.Join(w.dir, "trusted_root.json")
	if err := os.WriteFile(root, w.sigstore.TrustedRootJSON(), 0o644); err != nil {
		t.Fatal(err)
	}
	workspace := filepath.Join(w.dir, "workspace")
	if err := os.MkdirAll(filepath.Join(workspace, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := `packages:
  - runtime: bynder-dropbox
    npm: "@octo-org/bynder-dropbox"
registry:
  url: ` + w.verdaccio.URL + `
signing:
  mode: keyless
  fulcio-url: ` + w.sigstore.FulcioURL + `
  rekor-url: ` + w.sigstore.RekorURL + `
  tsa-url: ` + w.sigstore.TSAURL + `
  trusted-root: ` + root + `
environments:
  - name: test
    runtime: {url: "` + w.test.URL + `"}
  - name: prod
    production: true
    runtime: {url: "` + w.prod.URL + `", variant: api-package}
`
	if err := os.WriteFile(filepath.Join(workspace, ".github", "breakwater.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	w.env = map[string]string{
		"CI": "true", "GITHUB_ACTIONS": "true",
		"GITHUB_REPOSITORY": relOwner + "/" + relRepo, "GITHUB_REPOSITORY_OWNER": relOwner, "GITHUB_REPOSITORY_ID": "1296269", "GITHUB_REPOSITORY_OWNER_ID": "1",
		"GITHUB_EVENT_PATH": filepath.Join(w.dir, "event.json"),
		"GITHUB_API_URL":    w.gh.URL, "GITHUB_UPLOAD_URL": w.gh.UploadURL, "GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_WORKSPACE": workspace, "GITHUB_RUN_ID": "777", "GITHUB_RUN_ATTEMPT": "1", "GITHUB_ACTOR": "octocat",
		"GITHUB_WORKFLOW_REF": relOwner + "/" + relRepo + "/.github/workflows/release.yml@refs/tags/v2.0.0",
		"GITHUB_SHA":          w.c2, "GITHUB_REF": "refs/tags/v2.0.0", "RUNNER_ENVIRONMENT": "github-hosted",
		"GITHUB_OUTPUT": filepath.Join(w.dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(w.dir, "summary.md"),
		"INPUT_TOKEN":                    relGitHubToken,
		"NODE_AUTH_TOKEN":                w.verdaccio.Token,
		"ACTIONS_ID_TOKEN_REQUEST_URL":   w.sigstore.TokenRequestURL,
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": w.sigstore.TokenRequestToken,
		"RUNTIME_TOKEN_TEST":             testRTToken,
		"RUNTIME_TOKEN_PROD":             prodRTToken,
	}
	return w
}

// secrets are every secret the run was given or minted.
func (w *releaseWorld) secrets() []string {
	out := []string{relGitHubToken, w.verdaccio.Token, w.sigstore.TokenRequestToken, testRTToken, prodRTToken}
	return append(out, w.sigstore.IssuedTokens()...)
}

type actionResult struct {
	code                    cli.ExitCode
	stdout, stderr, summary string
	output                  string
}

func (w *releaseWorld) event(name string, payload map[string]any) {
	w.env["GITHUB_EVENT_NAME"] = name
	data, err := json.Marshal(payload)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(w.env["GITHUB_EVENT_PATH"], data, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func (w *releaseWorld) run(args ...string) actionResult {
	w.t.Helper()
	for _, k := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		if err := os.WriteFile(w.env[k], nil, 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
		Getenv: func(k string) string { return w.env[k] }, Version: "e2e"})
	summary, _ := os.ReadFile(w.env["GITHUB_STEP_SUMMARY"])
	output, _ := os.ReadFile(w.env["GITHUB_OUTPUT"])
	res := actionResult{code: code, stdout: stdout.String(), stderr: stderr.String(), summary: string(summary), output: string(output)}
	// No secret in any output, log or report.
	var written []string
	for _, d := range w.repo.Deployments() {
		for _, s := range d.Statuses {
			written = append(written, s.Description)
		}
	}
	// The ::add-mask:: commands are the one place a secret must be written:
	// the runner consumes them and masks the value everywhere after.
	var logged []string
	for _, line := range strings.Split(res.stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			logged = append(logged, line)
		}
	}
	for _, out := range append(written, strings.Join(logged, "\n"), res.stderr, res.summary, res.output) {
		for _, s := range w.secrets() {
			if s != "" && strings.Contains(out, s) {
				w.t.Errorf("a secret leaked:\n%s", out)
			}
		}
	}
	return res
}

func releasePublished(t *testing.T, tag string) map[string]any {
	ev := webhookExample(t, "release", func(e map[string]any) bool { return e["action"] == "published" })
	ev["release"].(map[string]any)["tag_name"] = tag
	return ev
}

func tagPush(t *testing.T, tag, sha string) map[string]any {
	ev := webhookExample(t, "push", func(e map[string]any) bool { _, ok := e["ref"].(string); return ok })
	ev["ref"], ev["after"], ev["deleted"], ev["created"] = "refs/tags/"+tag, sha, false, true
	return ev
}

func TestActionReleaseEndToEnd(t *testing.T) {
	w := newReleaseWorld(t)
	w.repo.AddRelease("v2.0.0", "v2.0.0", false)

	w.event("release", releasePublished(t, "v2.0.0"))
	first := w.run("action")
	if first.code != cli.ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s\nsummary:\n%s", first.code, first.stdout, first.stderr, first.summary)
	}
	for _, want := range []string{
		"## Release @‍octo\\-org/bynder\\-dropbox 2\\.0.0", "previous release 1\\.4.0",
		"`https://github.com/octo-org/integrations/.github/workflows/release.yml@refs/tags/v2.0.0`",
		"| publish | published |", "| deploy test | deployed |", "| deploy prod | deployed |",
		"auth changes: yes", "tray/auth\\-scopes\\-added",
	} {
		if !strings.Contains(first.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, first.summary)
		}
	}
	if w.test.Live("bynder-dropbox").Version != "2.0.0" || w.prod.Live("bynder-dropbox").Version != "2.0.0" {
		t.Errorf("live: test %+v, prod %+v", w.test.Live("bynder-dropbox"), w.prod.Live("bynder-dropbox"))
	}
	for _, o := range []string{"version<<", "2.0.0", "deployed<<", "test,prod", "published<<", "published"} {
		if !strings.Contains(first.output, o) {
			t.Errorf("outputs lack %q:\n%s", o, first.output)
		}
	}

	// A consumer's verification, as the README tells it: `npm pack` fetches
	// the exact published bytes (npm names the file scope-name-version.tgz),
	// the bundle comes from the GitHub release, `breakwater verify` checks
	// one against the other; `npm install` installs the version with its
	// breakwater.json.
	ctx := context.Background()
	if atts := w.repo.Attestations(); len(atts) != 1 {
		t.Errorf("%d attestations, want 1", len(atts))
	}
	rel, _ := w.repo.Release("v2.0.0")
	if len(rel.Assets) != 1 || rel.Assets[0].Name != "bynder-dropbox-2.0.0.tgz.sigstore.json" {
		t.Fatalf("release assets = %+v", rel.Assets)
	}
	consumer := t.TempDir()
	os.WriteFile(filepath.Join(consumer, "package.json"), []byte(`{"name":"consumer","version":"1.0.0","private":true}`), 0o644)
	os.WriteFile(filepath.Join(consumer, ".npmrc"), []byte(w.verdaccio.NPMRC("@octo-org", w.verdaccio.Token)), 0o600)
	bundle := filepath.Join(consumer, rel.Assets[0].Name)
	if err := os.WriteFile(bundle, rel.Assets[0].Data, 0o644); err != nil {
		t.Fatal(err)
	}
	ictx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	if out, err := testenv.NPMCommand(ictx, t, consumer, "pack", "@octo-org/bynder-dropbox@2.0.0").CombinedOutput(); err != nil {
		t.Fatalf("npm pack: %v\n%s", err, out)
	}
	tgz := filepath.Join(consumer, "octo-org-bynder-dropbox-2.0.0.tgz")
	verify := w.run("verify", tgz, "--bundle", bundle,
		"--certificate-identity-regexp", `https://github\.com/octo-org/integrations/\.github/workflows/release\.yml@refs/tags/v.*`,
		"--certificate-oidc-issuer", sigstoretest.Issuer, "--trusted-root", filepath.Join(w.dir, "trusted_root.json"))
	if verify.code != cli.ExitOK || !strings.Contains(verify.stdout, "Verified OK: pkg:npm/%40octo-org/bynder-dropbox@2.0.0") {
		t.Errorf("verify: exit %d\n%s%s", verify.code, verify.stdout, verify.stderr)
	}
	if out, err := testenv.NPMCommand(ictx, t, consumer, "install", "@octo-org/bynder-dropbox@2.0.0").CombinedOutput(); err != nil {
		t.Fatalf("npm install: %v\n%s", err, out)
	}
	manifest, err := os.ReadFile(filepath.Join(consumer, "node_modules", "@octo-org", "bynder-dropbox", "breakwater.json"))
	if err != nil || !bytes.Contains(manifest, []byte(`"createdAt": "2025-06-01T09:30:00Z"`)) || !bytes.Contains(manifest, []byte(`"previousVersion": "1.4.0"`)) {
		t.Errorf("installed breakwater.json: %v\n%s", err, manifest)
	}

	// The tag push of the same tag changes nothing: same bytes, the same
	// bundle reused, the version already published, the deployments done.
	calls := len(w.test.Calls()) + len(w.prod.Calls())
	w.event("push", tagPush(t, "v2.0.0", w.c2))
	second := w.run("action")
	if second.code != cli.ExitOK {
		t.Fatalf("tag push: exit %d\n%s\n%s\n%s", second.code, second.stdout, second.stderr, second.summary)
	}
	for _, want := range []string{"reusing the bundle", "| publish | already published |", "already deployed"} {
		if !strings.Contains(second.summary, want) {
			t.Errorf("second summary lacks %q:\n%s", want, second.summary)
		}
	}
	if n := len(w.test.Calls()) + len(w.prod.Calls()); n != calls {
		t.Errorf("the re-run sent %d runtime requests", n-calls)
	}
	if atts := w.repo.Attestations(); len(atts) != 1 {
		t.Errorf("%d attestations after the re-run, want 1", len(atts))
	}
}

func dispatch(t *testing.T, inputs map[string]any) map[string]any {
	ev := webhookExample(t, "workflow_dispatch", func(map[string]any) bool { return true })
	ev["inputs"] = inputs
	return ev
}

// A deploy that fails partly where the change holds an auth break is not
// rolled back: the run refuses with the findings and the manual steps,
// prod is never touched, and a person's workflow_dispatch then rolls back.
func TestActionAuthBreakRefusesRollbackThenManualRollback(t *testing.T) {
	w := newReleaseWorld(t)
	w.test.Fail(runtimetest.Fault{Action: "deploy", Times: 1, Failed: []string{"bynder-dropbox/workflows/sync"}})
	w.event("push", tagPush(t, "v2.0.0", w.c2))
	res := w.run("action")
	if res.code != cli.ExitError {
		t.Fatalf("exit %d, want 2\n%s\n%s", res.code, res.stdout, res.summary)
	}
	for _, want := range []string{"### test: rollback refused", "Auth changes that need a person", "tray/auth\\-scopes\\-added",
		"What to do", "`breakwater rollback --environment test --version 1.4.0 --allow-auth-break`", "| deploy prod | ⏭️ skipped | skipped, because deploy test failed |",
		"bynder\\-dropbox/workflows/sync", "the bundle is not attached"} {
		if !strings.Contains(res.summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, res.summary)
		}
	}
	for _, e := range w.test.History("bynder-dropbox") {
		if e.Action == "rollback" || e.Version == "1.4.0" {
			t.Errorf("rolled back despite the auth break: %+v", w.test.History("bynder-dropbox"))
		}
	}
	if len(w.prod.Calls()) != 0 {
		t.Errorf("prod got %d requests", len(w.prod.Calls()))
	}
	states := map[string]string{}
	for _, d := range w.repo.Deployments() {
		states[d.Environment+" "+d.Ref] = d.State()
	}
	if states["test v2.0.0"] != "failure" || len(states) != 1 {
		t.Errorf("deployments = %v", states)
	}

	// A person's dispatched rollback obeys the same rule: it reads the
	// manifest of 2.0.0 from the registry, finds the new scope and refuses,
	// with the findings and what to do; nothing is sent, nothing recorded.
	calls := len(w.test.Calls())
	w.event("workflow_dispatch", dispatch(t, map[string]any{"version": "1.4.0", "environment": "test"}))
	res = w.run("action")
	if res.code != cli.ExitError {
		t.Fatalf("rollback across the auth break: exit %d, want 2\n%s\n%s", res.code, res.stdout, res.summary)
	}
	for _, want := range []string{"### test: rollback refused", "1 auth\\-breaking change\\(s\\) between 1.4.0 and 2.0.0", "tray/auth\\-scopes\\-added",
		"What to do", "`breakwater rollback --environment test --version 1.4.0 --allow-auth-break`", "| rollback test | ⏭️ skipped |", "test runs 2.0.0 \\(deployment "} {
		if !strings.Contains(res.summary, want) {
			t.Errorf("refused rollback: summary lacks %q:\n%s", want, res.summary)
		}
	}
	if !strings.Contains(res.stdout, "tray/auth-scopes-added (bynder-dropbox.project.json") || !strings.Contains(res.stdout, "--allow-auth-break") {
		t.Errorf("the log lacks the findings or the way on:\n%s", res.stdout)
	}
	if n := len(w.test.Calls()); n != calls {
		t.Errorf("the refused rollback sent %d runtime requests", n-calls)
	}
	if n := len(w.repo.Deployments()); n != 1 {
		t.Errorf("the refused rollback recorded a deployment: %d deployments", n)
	}

	// The person decides: allow-auth-break rolls back, with a warning.
	w.event("workflow_dispatch", dispatch(t, map[string]any{"version": "1.4.0", "environment": "test", "allow-auth-break": true}))
	res = w.run("action")
	if res.code != cli.ExitOK || !strings.Contains(res.summary, "## Rollback to @‍octo\\-org/bynder\\-dropbox 1\\.4.0") || !strings.Contains(res.summary, "rolled back") {
		t.Fatalf("rollback: exit %d\n%s\n%s\n%s", res.code, res.stdout, res.stderr, res.summary)
	}
	if !strings.Contains(res.stdout, "::warning::1 auth-breaking change(s) between 1.4.0 and 2.0.0") ||
		!strings.Contains(res.summary, `rolled back anyway because \-\-allow\-auth\-break was given: tray/auth\-scopes\-added`) {
		t.Errorf("rolling back across the auth break was not warned about:\n%s\n%s", res.stdout, res.summary)
	}
	if l := w.test.Live("bynder-dropbox"); !l.Healthy() || l.Version != "1.4.0" {
		t.Errorf("test runs %+v after the rollback", l)
	}
	if !strings.Contains(res.output, "version<<") || !strings.Contains(res.output, "1.4.0") || !regexp.MustCompile(`deployed<<(\S+)\ntest\n`).MatchString(res.output) {
		t.Errorf("rollback outputs:\n%s", res.output)
	}
	states = map[string]string{}
	for _, d := range w.repo.Deployments() {
		states[d.Environment+" "+d.Ref] = d.State()
	}
	if states["test v1.4.0"] != "success" {
		t.Errorf("deployments after the rollback = %v", states)
	}
}
