package githubapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
)

type releaseFixture struct {
	fake   *githubtest.Fake
	repo   *githubtest.Repository
	client *githubapi.Client
	sleeps *sleeps
	r      githubapi.Repo
	c1, c2 string // commits tagged v1.16.0 and v1.17.0
}

func newReleaseFixture(t *testing.T) *releaseFixture {
	t.Helper()
	fake := githubtest.New(t)
	repo := fake.AddRepo("octo", "exports")
	c1 := repo.Commit(nil, map[string][]byte{"a.json": []byte(`{"v":1}`)})
	c2 := repo.Commit([]string{c1}, map[string][]byte{"a.json": []byte(`{"v":2}`)})
	repo.Tag("v1.16.0", c1)
	repo.Tag("v1.17.0", c2)
	s := &sleeps{}
	policy := githubapi.DefaultRetryPolicy()
	policy.Sleep = s.sleep
	client, err := githubapi.New(fake.URL, "ghs_token", githubapi.WithRetryPolicy(policy), githubapi.WithUploadURL(fake.UploadURL))
	if err != nil {
		t.Fatal(err)
	}
	return &releaseFixture{fake: fake, repo: repo, client: client, sleeps: s, r: githubapi.Repo{Owner: "octo", Name: "exports"}, c1: c1, c2: c2}
}

func (fx *releaseFixture) ops() []string {
	var out []string
	for _, r := range fx.fake.Requests() {
		out = append(out, r.Operation)
	}
	return out
}

func TestUploadURL(t *testing.T) {
	for _, tc := range []struct {
		api, want string
	}{
		{"https://api.github.com", "https://uploads.github.com/"},
		{"https://API.github.com/", "https://uploads.github.com/"},
		{"https://ghe.example.com/api/v3", "https://ghe.example.com/api/uploads/"},
		{"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/uploads/"},
		{"https://ghe.example.com:8443/github/api/v3", "https://ghe.example.com:8443/github/api/uploads/"},
		{"https://api.octocorp.ghe.com", "https://uploads.octocorp.ghe.com/"},
		{"http://127.0.0.1:1234", ""},
		{"https://proxy.example/github", ""},
		{"https://api.github.com.evil.example", ""},
		{"::", ""},
	} {
		got, ok := githubapi.UploadURL(tc.api)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("UploadURL(%q) = %q, %v; want %q", tc.api, got, ok, tc.want)
		}
	}
}

// rewrite sends requests for GitHub.com's hosts to the fake's servers and
// records which host each request was for.
type rewrite struct {
	mu    sync.Mutex
	to    map[string]string // host → fake base URL
	hosts []string
}

func (rw *rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	rw.mu.Lock()
	rw.hosts = append(rw.hosts, req.URL.Host)
	target, ok := rw.to[req.URL.Host]
	rw.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("request for %s, which the test does not serve", req.URL)
	}
	u, _ := url.Parse(target)
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = u.Scheme, u.Host, ""
	return http.DefaultTransport.RoundTrip(out)
}

func TestUploadGoesToUploadsHostOfGitHubCom(t *testing.T) {
	fake := githubtest.New(t)
	repo := fake.AddRepo("octo", "exports")
	repo.Tag("v1.17.0", repo.Commit(nil, map[string][]byte{"a": []byte("1")}))
	id := repo.AddRelease("v1.17.0", "1.17.0", false)
	rw := &rewrite{to: map[string]string{"api.github.com": fake.URL, "uploads.github.com": fake.UploadURL}}
	client, err := githubapi.New("https://api.github.com", "ghs_token", githubapi.WithHTTPClient(&http.Client{Transport: rw}))
	if err != nil {
		t.Fatal(err)
	}
	_, outcome, err := client.UploadReleaseAsset(context.Background(), githubapi.Repo{Owner: "octo", Name: "exports"}, id,
		githubapi.AssetUpload{Name: "account-1.17.0.tgz.sigstore.json", ContentType: "application/json", Data: []byte(`{}`)})
	if err != nil || outcome != githubapi.AssetUploaded {
		t.Fatalf("upload: %v, %v", outcome, err)
	}
	if diff := cmp.Diff([]string{"api.github.com", "uploads.github.com"}, rw.hosts); diff != "" {
		t.Errorf("hosts (-want +got):\n%s", diff)
	}
}

// A GitHub Enterprise Server serves the API under /api/v3 and uploads under
// /api/uploads of one host; the client finds the latter from the former.
func TestUploadOnEnterpriseServerLayout(t *testing.T) {
	fake := githubtest.New(t)
	repo := fake.AddRepo("octo", "exports")
	repo.Tag("v1.17.0", repo.Commit(nil, map[string][]byte{"a": []byte("1")}))
	id := repo.AddRelease("v1.17.0", "1.17.0", false)
	apiURL, _ := url.Parse(fake.URL)
	uploadURL, _ := url.Parse(fake.UploadURL)
	var mu sync.Mutex
	var paths []string
	ghes := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		mu.Lock()
		paths = append(paths, pr.In.URL.Path)
		mu.Unlock()
		if rest, ok := strings.CutPrefix(pr.In.URL.Path, "/api/uploads"); ok {
			pr.SetURL(uploadURL)
			pr.Out.URL.Path, pr.Out.URL.RawPath = rest, ""
			return
		}
		pr.SetURL(apiURL)
		pr.Out.URL.Path, pr.Out.URL.RawPath = strings.TrimPrefix(pr.In.URL.Path, "/api/v3"), ""
	}})
	defer ghes.Close()
	client, err := githubapi.New(ghes.URL+"/api/v3", "ghs_token")
	if err != nil {
		t.Fatal(err)
	}
	r := githubapi.Repo{Owner: "octo", Name: "exports"}
	if _, err := client.ReleaseByTag(context.Background(), r, "v1.17.0"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.UploadReleaseAsset(context.Background(), r, id, githubapi.AssetUpload{Name: "a.json", ContentType: "application/json", Data: []byte(`1`)}); err != nil {
		t.Fatal(err)
	}
	want := []string{"/api/v3/repos/octo/exports/releases/tags/v1.17.0", fmt.Sprintf("/api/v3/repos/octo/exports/releases/%d/assets", id), fmt.Sprintf("/api/uploads/repos/octo/exports/releases/%d/assets", id)}
	if diff := cmp.Diff(want, paths); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
}

func TestUploadNeedsAKnownUploadsURL(t *testing.T) {
	fx := newReleaseFixture(t)
	client, err := githubapi.New(fx.fake.URL, "t")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = client.UploadReleaseAsset(context.Background(), fx.r, 1, githubapi.AssetUpload{Name: "a.json", ContentType: "application/json"})
	if err == nil || !strings.Contains(err.Error(), "WithUploadURL") {
		t.Errorf("error = %v, want one naming WithUploadURL", err)
	}
	if n := len(fx.fake.Requests()); n != 0 {
		t.Errorf("%d requests", n)
	}
}

func TestReleaseAssetReplacedIdempotently(t *testing.T) {
	fx := newReleaseFixture(t)
	ctx := context.Background()
	fx.repo.AddRelease("v1.17.0", "Account 1.17.0", false)
	rel, err := fx.client.ReleaseByTag(ctx, fx.r, "v1.17.0")
	if err != nil {
		t.Fatal(err)
	}
	if rel.TagName != "v1.17.0" || rel.Name != "Account 1.17.0" || rel.Draft || len(rel.Assets) != 0 {
		t.Errorf("release = %+v", rel)
	}
	name := "account-1.17.0.tgz.sigstore.json"
	upload := func(data string) (githubapi.ReleaseAsset, githubapi.UploadOutcome) {
		t.Helper()
		a, outcome, err := fx.client.UploadReleaseAsset(ctx, fx.r, rel.ID, githubapi.AssetUpload{Name: name, ContentType: "application/json", Data: []byte(data)})
		if err != nil {
			t.Fatal(err)
		}
		return a, outcome
	}
	sum := sha256.Sum256([]byte(`{"v":1}`))
	a, outcome := upload(`{"v":1}`)
	if outcome != githubapi.AssetUploaded || a.Name != name || a.Size != 7 || a.State != "uploaded" || a.Digest != "sha256:"+hex.EncodeToString(sum[:]) || a.ContentType != "application/json" {
		t.Errorf("first upload: %v %+v", outcome, a)
	}
	fx.fake.ResetRequests()
	if again, outcome := upload(`{"v":1}`); outcome != githubapi.AssetUnchanged || again.ID != a.ID {
		t.Errorf("second upload: %v %+v, want unchanged asset %d", outcome, again, a.ID)
	}
	if diff := cmp.Diff([]string{"repos/list-release-assets"}, fx.ops()); diff != "" {
		t.Errorf("a re-run of the same upload made requests (-want +got):\n%s", diff)
	}
	fx.fake.ResetRequests()
	if _, outcome := upload(`{"v":2}`); outcome != githubapi.AssetReplaced {
		t.Errorf("upload of other content: %v, want replaced", outcome)
	}
	if diff := cmp.Diff([]string{"repos/list-release-assets", "repos/delete-release-asset", "repos/upload-release-asset"}, fx.ops()); diff != "" {
		t.Errorf("replacing (-want +got):\n%s", diff)
	}
	got, _ := fx.repo.Release("v1.17.0")
	if len(got.Assets) != 1 || string(got.Assets[0].Data) != `{"v":2}` || got.Assets[0].ContentType != "application/json" {
		t.Errorf("assets = %+v", got.Assets)
	}
}

func TestUploadRecoversFromABrokenUpload(t *testing.T) {
	fx := newReleaseFixture(t)
	id := fx.repo.AddRelease("v1.17.0", "", false)
	fx.repo.BreakUploads(1)
	_, outcome, err := fx.client.UploadReleaseAsset(context.Background(), fx.r, id, githubapi.AssetUpload{Name: "b.json", ContentType: "application/json", Data: []byte("{}")})
	if err != nil || outcome != githubapi.AssetUploaded {
		t.Fatalf("upload: %v, %v", outcome, err)
	}
	want := []string{"repos/list-release-assets", "repos/upload-release-asset", "repos/list-release-assets", "repos/delete-release-asset", "repos/upload-release-asset"}
	if diff := cmp.Diff(want, fx.ops()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	got, _ := fx.repo.Release("v1.17.0")
	if len(got.Assets) != 1 || got.Assets[0].State != "uploaded" {
		t.Errorf("assets = %+v, want one uploaded", got.Assets)
	}
	if diff := cmp.Diff([]time.Duration{time.Second}, fx.sleeps.got()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestUploadRefusals(t *testing.T) {
	fx := newReleaseFixture(t)
	id := fx.repo.AddRelease("v1.17.0", "", false)
	for _, a := range []githubapi.AssetUpload{
		{Name: ".hidden", ContentType: "text/plain"},
		{Name: "trailing.", ContentType: "text/plain"},
		{Name: "a b.json", ContentType: "text/plain"},
		{Name: "pkg-1.0.0+build.tgz", ContentType: "text/plain"},
		{Name: "", ContentType: "text/plain"},
		{Name: "ok.json"},
	} {
		if _, _, err := fx.client.UploadReleaseAsset(context.Background(), fx.r, id, a); err == nil {
			t.Errorf("upload of %+v was accepted", a)
		}
	}
	if n := len(fx.fake.Requests()); n != 0 {
		t.Errorf("%d requests for refused uploads", n)
	}
	fx.fake.Fail(githubtest.Fault{Operation: "repos/upload-release-asset", Status: 403, Body: `{"message":"Resource not accessible by integration"}`})
	_, _, err := fx.client.UploadReleaseAsset(context.Background(), fx.r, id, githubapi.AssetUpload{Name: "ok.json", ContentType: "application/json"})
	if !githubapi.IsForbidden(err) || !strings.Contains(err.Error(), "upload ok.json to release") || !strings.Contains(err.Error(), "Resource not accessible by integration") {
		t.Errorf("error = %v", err)
	}
}

func TestReleaseByTagNotFound(t *testing.T) {
	fx := newReleaseFixture(t)
	fx.repo.AddRelease("v1.16.0", "draft", true)
	for _, tag := range []string{"v1.16.0", "v9.9.9"} {
		_, err := fx.client.ReleaseByTag(context.Background(), fx.r, tag)
		if !githubapi.IsNotFound(err) || !strings.Contains(err.Error(), "get the release of tag "+tag) {
			t.Errorf("ReleaseByTag(%s) = %v, want a 404 naming the tag", tag, err)
		}
	}
}

func TestTags(t *testing.T) {
	fx := newReleaseFixture(t)
	for i := range 150 {
		fx.repo.Tag(fmt.Sprintf("x%03d", i), fx.c1)
	}
	tags, err := fx.client.Tags(context.Background(), fx.r)
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) != 152 {
		t.Fatalf("%d tags, want 152", len(tags))
	}
	found := map[string]string{}
	for _, tg := range tags {
		found[tg.Name] = tg.SHA
	}
	if found["v1.16.0"] != fx.c1 || found["v1.17.0"] != fx.c2 || found["x149"] != fx.c1 {
		t.Errorf("tags = %v", found)
	}
	if n := len(fx.fake.Requests()); n != 2 {
		t.Errorf("%d requests, want 2 pages", n)
	}
}

func TestDeploymentLifecycle(t *testing.T) {
	fx := newReleaseFixture(t)
	ctx := context.Background()
	deploy := func(env string, production bool, tag, version, previous string) githubapi.Deployment {
		t.Helper()
		d, created, err := fx.client.EnsureDeployment(ctx, fx.r, githubapi.NewDeployment{
			Ref: tag, Environment: env, Production: production, Description: "Deploy vNext.Account " + version,
			Payload: githubapi.DeploymentPayload{Package: "vNext.Account", Version: version, PreviousVersion: previous, BundleDigest: "sha256:" + version},
		})
		if err != nil || !created {
			t.Fatalf("EnsureDeployment(%s, %s): created %v, %v", env, tag, created, err)
		}
		for _, s := range []string{githubapi.DeploymentInProgress, githubapi.DeploymentSuccess} {
			if err := fx.client.SetDeploymentStatus(ctx, fx.r, d.ID, githubapi.DeploymentStatus{State: s, Description: s, LogURL: "https://github.com/octo/exports/actions/runs/1"}); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	prod1 := deploy("prod", true, "v1.16.0", "1.16.0", "")
	test1 := deploy("test", false, "v1.16.0", "1.16.0", "")
	prod2 := deploy("prod", true, "v1.17.0", "1.17.0", "1.16.0")
	test2 := deploy("test", false, "v1.17.0", "1.17.0", "1.16.0")
	if prod2.SHA != fx.c2 || prod2.Ref != "v1.17.0" || prod2.Environment != "prod" ||
		prod2.Payload != (githubapi.DeploymentPayload{Package: "vNext.Account", Version: "1.17.0", PreviousVersion: "1.16.0", BundleDigest: "sha256:1.17.0"}) {
		t.Errorf("deployment = %+v", prod2)
	}

	// What GitHub stored: the request asked for exactly this.
	stored := map[int64]githubtest.Deployment{}
	for _, d := range fx.repo.Deployments() {
		stored[d.ID] = d
	}
	sd := stored[prod2.ID]
	if sd.AutoMerge || sd.RequiredContexts == nil || len(sd.RequiredContexts) != 0 || !sd.Production || sd.Transient || sd.Task != "deploy" {
		t.Errorf("stored deployment = %+v; want auto_merge false, required_contexts [], production", sd)
	}
	if string(sd.Payload) != `{"package":"vNext.Account","version":"1.17.0","previousVersion":"1.16.0","bundleDigest":"sha256:1.17.0"}` {
		t.Errorf("payload = %s", sd.Payload)
	}
	// GitHub deactivates the superseded test deployment itself, not the
	// production one.
	if s := stored[test1.ID]; s.State() != "inactive" || !s.Statuses[len(s.Statuses)-1].Auto {
		t.Errorf("test deployment of 1.16.0: %+v, want inactive by auto_inactive", s.Statuses)
	}
	if s := stored[prod1.ID]; s.State() != "success" {
		t.Errorf("prod deployment of 1.16.0 is %s before DeactivateSuperseded", s.State())
	}

	marked, err := fx.client.DeactivateSuperseded(ctx, fx.r, "prod", prod2.ID, "Superseded by 1.17.0")
	if err != nil || !cmp.Equal(marked, []int64{prod1.ID}) {
		t.Errorf("DeactivateSuperseded(prod) = %v, %v; want [%d]", marked, err, prod1.ID)
	}
	if marked, err := fx.client.DeactivateSuperseded(ctx, fx.r, "test", test2.ID, "Superseded by 1.17.0"); err != nil || len(marked) != 0 {
		t.Errorf("DeactivateSuperseded(test) = %v, %v; want nothing left to mark", marked, err)
	}
	for id, want := range map[int64]string{prod1.ID: "inactive", prod2.ID: "success", test1.ID: "inactive", test2.ID: "success"} {
		s, err := fx.client.LatestDeploymentStatus(ctx, fx.r, id)
		if err != nil || s.State != want {
			t.Errorf("deployment %d: %+v, %v; want %s", id, s, err, want)
		}
	}

	// A re-run finds the deployment instead of creating another.
	fx.fake.ResetRequests()
	again, created, err := fx.client.EnsureDeployment(ctx, fx.r, githubapi.NewDeployment{Ref: "v1.17.0", Environment: "prod", Production: true,
		Payload: githubapi.DeploymentPayload{Package: "vNext.Account", Version: "1.17.0", PreviousVersion: "1.16.0", BundleDigest: "sha256:1.17.0"}})
	if err != nil || created || again.ID != prod2.ID {
		t.Errorf("re-run: %+v created=%v %v; want deployment %d found", again, created, err, prod2.ID)
	}
	if diff := cmp.Diff([]string{"repos/list-deployments"}, fx.ops()); diff != "" {
		t.Errorf("re-run requests (-want +got):\n%s", diff)
	}
	if q := fx.fake.Requests()[0].Query; q != "environment=prod&per_page=100&ref=v1.17.0" {
		t.Errorf("query = %s", q)
	}
	list, err := fx.client.Deployments(ctx, fx.r, githubapi.DeploymentQuery{Environment: "prod"})
	if err != nil || len(list) != 2 || list[0].ID != prod2.ID || list[1].ID != prod1.ID {
		t.Errorf("Deployments(prod) = %+v, %v; want newest first", list, err)
	}
}

func TestDeploymentsPages(t *testing.T) {
	fx := newReleaseFixture(t)
	ctx := context.Background()
	for i := range 105 {
		_, _, err := fx.client.EnsureDeployment(ctx, fx.r, githubapi.NewDeployment{Ref: "v1.17.0", Environment: "preview", Transient: true,
			Payload: githubapi.DeploymentPayload{Package: "vNext.Account", Version: fmt.Sprint(i)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	if d := fx.repo.Deployments()[0]; !d.Transient || d.Production {
		t.Errorf("preview deployment = %+v, want transient, not production", d)
	}
	fx.fake.ResetRequests()
	all, err := fx.client.Deployments(ctx, fx.r, githubapi.DeploymentQuery{Environment: "preview"})
	if err != nil || len(all) != 105 || len(fx.fake.Requests()) != 2 {
		t.Errorf("%d deployments in %d requests, %v; want 105 in 2", len(all), len(fx.fake.Requests()), err)
	}
	fx.fake.ResetRequests()
	some, err := fx.client.Deployments(ctx, fx.r, githubapi.DeploymentQuery{Environment: "preview", Limit: 5})
	if err != nil || len(some) != 5 || some[0].Payload.Version != "104" || len(fx.fake.Requests()) != 1 {
		t.Errorf("limited: %d deployments in %d requests, %v", len(some), len(fx.fake.Requests()), err)
	}
}

func TestDeploymentErrors(t *testing.T) {
	fx := newReleaseFixture(t)
	ctx := context.Background()
	_, _, err := fx.client.EnsureDeployment(ctx, fx.r, githubapi.NewDeployment{Ref: "v9.9.9", Environment: "prod", Payload: githubapi.DeploymentPayload{Package: "p", Version: "9.9.9"}})
	if githubapi.StatusOf(err) != 422 || !strings.Contains(err.Error(), "No ref found for: v9.9.9") || !strings.Contains(err.Error(), "create a deployment of v9.9.9") {
		t.Errorf("unknown ref: %v", err)
	}
	if _, _, err := fx.client.EnsureDeployment(ctx, fx.r, githubapi.NewDeployment{Ref: "v1.17.0", Environment: "prod"}); err == nil {
		t.Error("a deployment without a package was created")
	}
	fx.fake.ReadOnlyToken("ghs_token")
	_, _, err = fx.client.EnsureDeployment(ctx, fx.r, githubapi.NewDeployment{Ref: "v1.17.0", Environment: "prod", Payload: githubapi.DeploymentPayload{Package: "p", Version: "1"}})
	if !githubapi.IsForbidden(err) || !strings.Contains(err.Error(), "Resource not accessible by integration") {
		t.Errorf("read-only token: %v", err)
	}
	if n := len(fx.sleeps.got()); n != 0 {
		t.Errorf("%d retries of 4xx answers", n)
	}
}

func TestDeploymentStatusRetriesRateLimit(t *testing.T) {
	fx := newReleaseFixture(t)
	ctx := context.Background()
	d, _, err := fx.client.EnsureDeployment(ctx, fx.r, githubapi.NewDeployment{Ref: "v1.17.0", Environment: "prod", Payload: githubapi.DeploymentPayload{Package: "p", Version: "1"}})
	if err != nil {
		t.Fatal(err)
	}
	fx.fake.Fail(githubtest.SecondaryRateLimit("repos/create-deployment-status", 1, 3*time.Second))
	long := strings.Repeat("é", 100) + strings.Repeat("🚀", 100)
	if err := fx.client.SetDeploymentStatus(ctx, fx.r, d.ID, githubapi.DeploymentStatus{State: githubapi.DeploymentFailure, Description: long}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{3 * time.Second}, fx.sleeps.got()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	st := fx.repo.Deployments()[0].Statuses
	if len(st) != 1 || utf8.RuneCountInString(st[0].Description) != 140 || !strings.HasSuffix(st[0].Description, "🚀…") {
		t.Errorf("statuses = %+v", st)
	}
}

func TestTruncateDescription(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		strings.Repeat("a", 140): strings.Repeat("a", 140),
		strings.Repeat("a", 141): strings.Repeat("a", 139) + "…",
		strings.Repeat("語", 200): strings.Repeat("語", 139) + "…",
		"bad \xff byte":          "bad \uFFFD byte",
	} {
		if got := githubapi.TruncateDescription(in); got != want {
			t.Errorf("TruncateDescription(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzTruncateDescription(f *testing.F) {
	f.Add(strings.Repeat("é", 141))
	f.Add("\xff\xfe" + strings.Repeat("x", 150))
	f.Fuzz(func(t *testing.T, s string) {
		got := githubapi.TruncateDescription(s)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > githubapi.MaxDescription {
			t.Fatalf("TruncateDescription(%q) = %q", s, got)
		}
		valid := strings.ToValidUTF8(s, "\uFFFD")
		if got != valid && !strings.HasPrefix(valid, strings.TrimSuffix(got, "…")) {
			t.Fatalf("TruncateDescription(%q) = %q is not a prefix", s, got)
		}
	})
}

// signedBundle is a key-based Sigstore bundle (v0.3) of an in-toto
// statement about the npm tarball data, signed with a fresh P-256 key.
func signedBundle(t *testing.T, data []byte) (bundle []byte, sha256Digest, sha512Digest string) {
	t.Helper()
	s256, s512 := sha256.Sum256(data), sha512.Sum512(data)
	statement, _ := json.Marshal(map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []any{map[string]any{"name": "pkg:npm/%40octo/account@1.17.0", "digest": map[string]string{"sha256": hex.EncodeToString(s256[:]), "sha512": hex.EncodeToString(s512[:])}}},
		"predicateType": "https://slsa.dev/provenance/v1",
		"predicate":     map[string]any{"buildDefinition": map[string]any{"buildType": "https://breakwater.invalid/release/v1"}},
	})
	const payloadType = "application/vnd.in-toto+json"
	pae := fmt.Sprintf("DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(statement), statement)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256([]byte(pae))
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	bundle, _ = json.Marshal(map[string]any{
		"mediaType":            "application/vnd.dev.sigstore.bundle.v0.3+json",
		"verificationMaterial": map[string]any{"publicKey": map[string]string{"hint": "release-key"}},
		"dsseEnvelope": map[string]any{
			"payload": base64.StdEncoding.EncodeToString(statement), "payloadType": payloadType,
			"signatures": []any{map[string]string{"sig": base64.StdEncoding.EncodeToString(sig), "keyid": ""}},
		},
	})
	return bundle, "sha256:" + hex.EncodeToString(s256[:]), "sha512:" + hex.EncodeToString(s512[:])
}

func TestAttestations(t *testing.T) {
	fx := newReleaseFixture(t)
	ctx := context.Background()
	bundle, d256, d512 := signedBundle(t, []byte("the tarball"))
	id, stored, err := fx.client.StoreAttestation(ctx, fx.r, d256, bundle)
	if err != nil || !stored || id == 0 {
		t.Fatalf("StoreAttestation = %d, %v, %v", id, stored, err)
	}
	if diff := cmp.Diff([]string{"repos/list-attestations", "repos/create-attestation"}, fx.ops()); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	var sent struct {
		Bundle json.RawMessage `json:"bundle"`
	}
	if err := json.Unmarshal([]byte(fx.fake.Requests()[1].Body), &sent); err != nil || string(sent.Bundle) != string(bundle) {
		t.Errorf("the request did not carry the bundle as it is: %s", fx.fake.Requests()[1].Body)
	}

	fx.fake.ResetRequests()
	if _, stored, err := fx.client.StoreAttestation(ctx, fx.r, d256, bundle); err != nil || stored {
		t.Errorf("re-run: stored %v, %v; want found", stored, err)
	}
	if diff := cmp.Diff([]string{"repos/list-attestations"}, fx.ops()); diff != "" {
		t.Errorf("re-run requests (-want +got):\n%s", diff)
	}
	for _, digest := range []string{d256, d512} {
		list, err := fx.client.Attestations(ctx, fx.r, digest)
		if err != nil || len(list) != 1 || string(list[0].Bundle) != string(bundle) {
			t.Errorf("Attestations(%s) = %d, %v", digest[:10], len(list), err)
		}
	}
	other := "sha256:" + strings.Repeat("0", 64)
	if list, err := fx.client.Attestations(ctx, fx.r, other); err != nil || len(list) != 0 {
		t.Errorf("Attestations(other) = %v, %v", list, err)
	}
	if got := fx.repo.Attestations(); len(got) != 1 || !cmp.Equal(got[0].Subjects, []string{d256, d512}) {
		t.Errorf("stored = %+v", got)
	}

	// A re-signed bundle of the same artifact is another attestation.
	resigned, _, _ := signedBundle(t, []byte("the tarball"))
	if _, stored, err := fx.client.StoreAttestation(ctx, fx.r, d256, resigned); err != nil || !stored {
		t.Errorf("re-signed: stored %v, %v", stored, err)
	}
}

func TestAttestationsPages(t *testing.T) {
	fx := newReleaseFixture(t)
	ctx := context.Background()
	var digest string
	for range 130 {
		var b []byte
		b, digest, _ = signedBundle(t, []byte("same artifact"))
		if _, _, err := fx.client.StoreAttestation(ctx, fx.r, digest, b); err != nil {
			t.Fatal(err)
		}
	}
	fx.fake.ResetRequests()
	list, err := fx.client.Attestations(ctx, fx.r, digest)
	if err != nil || len(list) != 130 {
		t.Fatalf("%d attestations, %v", len(list), err)
	}
	reqs := fx.fake.Requests()
	if len(reqs) != 2 || !strings.Contains(reqs[1].Query, "after=") {
		t.Errorf("requests = %+v, want two pages by cursor", reqs)
	}
}

func TestAttestationRefusals(t *testing.T) {
	fx := newReleaseFixture(t)
	ctx := context.Background()
	bundle, d256, _ := signedBundle(t, []byte("x"))
	messageSignature := `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AA=="},"signature":"AA=="}}`
	for _, tc := range []struct {
		digest, bundle, want string
	}{
		{d256, messageSignature, "DSSE envelope"},
		{d256, `not json`, "not JSON"},
		{"sha256:ABC", string(bundle), "sha256:HEX"},
		{"md5:" + strings.Repeat("0", 32), string(bundle), "sha256:HEX"},
	} {
		_, _, err := fx.client.StoreAttestation(ctx, fx.r, tc.digest, []byte(tc.bundle))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("StoreAttestation(%s, %.30s) = %v, want an error saying %q", tc.digest, tc.bundle, err, tc.want)
		}
	}
	if n := len(fx.fake.Requests()); n != 0 {
		t.Errorf("%d requests for refused attestations", n)
	}
	fx.fake.Fail(githubtest.Fault{Operation: "repos/create-attestation", Status: 403, Body: `{"message":"Attestations are not available for private repositories on this plan"}`})
	_, _, err := fx.client.StoreAttestation(ctx, fx.r, d256, bundle)
	if githubapi.StatusOf(err) != 403 || !strings.Contains(err.Error(), "not available for private repositories") || !strings.Contains(err.Error(), "store the attestation of") {
		t.Errorf("error = %v", err)
	}
}

func TestCommitTime(t *testing.T) {
	fx := newReleaseFixture(t)
	at := time.Date(2025, 3, 14, 15, 9, 26, 0, time.FixedZone("CET", 3600))
	fx.repo.SetCommitTime(fx.c2, at)
	got, err := fx.client.CommitTime(context.Background(), fx.r, fx.c2)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(at) || got.Location() != time.UTC {
		t.Errorf("CommitTime = %v, want %v in UTC", got, at)
	}
	_, err = fx.client.CommitTime(context.Background(), fx.r, strings.Repeat("0", 40))
	if !githubapi.IsNotFound(err) || !strings.Contains(err.Error(), "get commit 0000000") {
		t.Errorf("CommitTime of an unknown commit = %v, want a 404 naming it", err)
	}
}
