package npmregistry

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/npmpkg"
)

// testToken looks like a GitHub token so that a leak is easy to spot.
const testToken = "ghp_TESTTOKEN0123456789abcdefABCDEF012345"

func sha1Hex(b []byte) string {
	sum := sha1.Sum(b)
	return hex.EncodeToString(sum[:])
}

// testPackage builds a package; content varies the bytes under one version.
func testPackage(t testing.TB, name, version, content string) (tarball, manifest []byte) {
	t.Helper()
	scope, pkg, _ := strings.Cut(strings.TrimPrefix(name, "@"), "/")
	m := npmpkg.Manifest{Name: name, Version: version, Description: "test package", RuntimeName: pkg,
		Repository: "https://github.com/" + scope + "/exports", Registry: "https://npm.pkg.github.com"}
	doc, err := m.JSON()
	if err != nil {
		t.Fatal(err)
	}
	tb, err := npmpkg.Build(doc, []npmpkg.File{{Path: "a.json", Data: []byte(content)}})
	if err != nil {
		t.Fatal(err)
	}
	return tb.Data, doc
}

// harness is a client of a fake registry that records its sleeps and
// logs instead of waiting.
type harness struct {
	reg    *fakeRegistry
	client *Client
	logs   *bytes.Buffer
	mu     sync.Mutex
	sleeps []time.Duration
}

func newHarness(t *testing.T) *harness {
	h := &harness{reg: newFakeRegistry(t, testToken), logs: &bytes.Buffer{}}
	logger := slog.New(slog.NewTextHandler(lockedWriter{&h.mu, h.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := New(h.reg.URL(), testToken, Options{Logger: logger, Retry: Retry{MaxAttempts: 4}})
	if err != nil {
		t.Fatal(err)
	}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		h.mu.Lock()
		h.sleeps = append(h.sleeps, d)
		h.mu.Unlock()
		return ctx.Err()
	}
	h.client = c
	// Whatever the test did, the token is in no log line.
	t.Cleanup(func() {
		if strings.Contains(h.logs.String(), testToken) {
			t.Errorf("the token appears in the logs:\n%s", h.logs.String())
		}
	})
	return h
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// checkErr asserts err is not nil, mentions every part and hides the token.
func checkErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one about %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("error %q contains the token", err)
	}
}

func TestPublishNewPackage(t *testing.T) {
	h := newHarness(t)
	tarball, manifest := testPackage(t, "@acme/core", "1.0.0", `{"v":1}`)
	res, err := h.client.Publish(context.Background(), tarball, manifest, PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := &Result{Name: "@acme/core", Version: "1.0.0", Status: Published, Tag: "latest",
		Integrity: npmpkg.Integrity(tarball), Shasum: npmpkg.Shasum(tarball),
		TarballURL: h.reg.srv.URL + "/@acme/core/-/core-1.0.0.tgz"}
	if d := cmp.Diff(want, res); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
	if got := h.reg.requests; !cmp.Equal(got, []string{"GET packument", "PUT packument", "GET packument", "GET tarball"}) {
		t.Errorf("requests %v", got)
	}
	if len(h.sleeps) != 0 {
		t.Errorf("slept %v without a fault", h.sleeps)
	}
	// The next version goes next to it; the dist-tag given is used.
	tarball2, manifest2 := testPackage(t, "@acme/core", "1.1.0-rc.1", `{"v":2}`)
	res, err = h.client.Publish(context.Background(), tarball2, manifest2, PublishOptions{Tag: "next"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != Published || res.Tag != "next" {
		t.Errorf("second version: %+v", res)
	}
}

func TestPublishTwiceIsANoOp(t *testing.T) {
	h := newHarness(t)
	tarball, manifest := testPackage(t, "@acme/core", "1.0.0", `{"v":1}`)
	if _, err := h.client.Publish(context.Background(), tarball, manifest, PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := h.client.Publish(context.Background(), tarball, manifest, PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != AlreadyPublished || res.TarballURL == "" {
		t.Errorf("re-run: %+v, want already published and read back", res)
	}
	if n := h.reg.count("PUT packument"); n != 1 {
		t.Errorf("%d uploads, want 1", n)
	}
}

func TestPublishOtherBytesUnderAPublishedVersion(t *testing.T) {
	h := newHarness(t)
	old, _ := testPackage(t, "@acme/core", "1.0.0", `{"v":1}`)
	h.reg.store("@acme/core", "1.0.0", old)
	tarball, manifest := testPackage(t, "@acme/core", "1.0.0", `{"v":"changed"}`)
	_, err := h.client.Publish(context.Background(), tarball, manifest, PublishOptions{})
	if !errors.Is(err, ErrVersionExists) {
		t.Fatalf("err = %v, want ErrVersionExists", err)
	}
	checkErr(t, err, "@acme/core@1.0.0", npmpkg.Integrity(old), npmpkg.Integrity(tarball), "immutable")
	if n := h.reg.count("PUT packument"); n != 0 {
		t.Errorf("%d uploads, want none", n)
	}
}

func TestPublishRetries(t *testing.T) {
	tarball, manifest := testPackage(t, "@acme/core", "1.0.0", `{"v":1}`)
	for _, tc := range []struct {
		label  string
		faults map[string][]fault
		sleeps []time.Duration // exact sleeps; nil checks backoff bounds instead
		status Status
	}{
		{label: "5xx then success", faults: map[string][]fault{
			"GET packument": {{status: 503, body: `{"error":"down"}`}, {status: 500}},
			"PUT packument": {{status: 502, body: "<html>bad gateway</html>", header: map[string]string{"Content-Type": "text/html"}}},
			"GET tarball":   {{status: 504}},
		}, status: Published},
		{label: "429 with Retry-After seconds", faults: map[string][]fault{
			"PUT packument": {{status: 429, header: map[string]string{"Retry-After": "7"}, body: `{"error":"slow down"}`}},
		}, sleeps: []time.Duration{7 * time.Second}, status: Published},
		{label: "503 with Retry-After date", faults: map[string][]fault{
			"GET packument": {{status: 503, header: map[string]string{"Retry-After": time.Now().Add(-time.Minute).UTC().Format(http.TimeFormat)}}},
		}, sleeps: []time.Duration{0}, status: Published},
		{label: "connection cut before storing", faults: map[string][]fault{
			"PUT packument": {{cut: true}},
		}, status: Published},
		{label: "connection cut after storing", faults: map[string][]fault{
			// The retried PUT meets the stored version: 409, re-checked.
			"PUT packument": {{cut: true, store: true}},
		}, status: AlreadyPublished},
		{label: "5xx after storing", faults: map[string][]fault{
			"PUT packument": {{status: 500, store: true}},
		}, status: AlreadyPublished},
	} {
		t.Run(tc.label, func(t *testing.T) {
			h := newHarness(t)
			for k, fs := range tc.faults {
				h.reg.inject(k, fs...)
			}
			res, err := h.client.Publish(context.Background(), tarball, manifest, PublishOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.status {
				t.Errorf("status %q, want %q", res.Status, tc.status)
			}
			if tc.sleeps != nil {
				if d := cmp.Diff(tc.sleeps, h.sleeps); d != "" {
					t.Errorf("sleeps (-want +got):\n%s", d)
				}
			}
			faults := 0
			for _, fs := range tc.faults {
				faults += len(fs)
			}
			if len(h.sleeps) != faults {
				t.Errorf("%d retries for %d faults", len(h.sleeps), faults)
			}
			for _, s := range h.sleeps {
				if tc.sleeps == nil && (s < 500*time.Millisecond || s > 2*time.Second) {
					t.Errorf("backoff %s, want between 0.5s and 2s (first and second attempt)", s)
				}
			}
		})
	}
}

func TestBackoffGrowsAndIsCapped(t *testing.T) {
	c, err := New("https://registry.example/", "", Options{Retry: Retry{BaseDelay: time.Second, MaxDelay: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 5: 10 * time.Second, 30: 10 * time.Second} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := c.backoff(attempt)
			if d < want/2 || d > want {
				t.Errorf("backoff(%d) = %s, want within [%s, %s]", attempt, d, want/2, want)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("backoff(%d) has no jitter", attempt)
		}
	}
}

func TestPublishGivesUp(t *testing.T) {
	tarball, manifest := testPackage(t, "@acme/core", "1.0.0", `{"v":1}`)
	for _, tc := range []struct {
		label  string
		key    string
		faults []fault
		parts  []string
		tries  int
	}{
		{"persistent 500", "GET packument", repeat(fault{status: 500, body: `{"error":"internal"}`}, 4),
			[]string{"500 Internal Server Error", "internal", "after 4 attempts"}, 4},
		{"persistent cut", "GET packument", repeat(fault{cut: true}, 4), []string{"GET", "after 4 attempts"}, 4},
		{"Retry-After too long", "PUT packument", []fault{{status: 429, header: map[string]string{"Retry-After": "3600"}}},
			[]string{"429", "retry after 1h0m0s", "longer than"}, 1},
		{"400 with error", "PUT packument", []fault{{status: 400, body: `{"error":"invalid package name"}`}},
			[]string{"400 Bad Request", "invalid package name", "PUT"}, 1},
		{"403 with message", "PUT packument", []fault{{status: 403, body: `{"message":"Permission permission_denied: write_package"}`}},
			[]string{"403 Forbidden", "write_package", "packages:write"}, 1},
		{"401 on lookup", "GET packument", []fault{{status: 401, body: `{"error":"authorization required"}`}},
			[]string{"401 Unauthorized", "authorization required", "did not accept the token"}, 1},
		{"token echoed", "PUT packument", []fault{{status: 403, body: `{"error":"token ` + testToken + ` lacks write"}`}},
			[]string{"token *** lacks write"}, 1},
		{"409 without the version", "PUT packument", []fault{{status: 409, body: `{"error":"conflict"}`}},
			[]string{"409 Conflict", "does not list the version"}, 1},
	} {
		t.Run(tc.label, func(t *testing.T) {
			h := newHarness(t)
			h.reg.inject(tc.key, tc.faults...)
			_, err := h.client.Publish(context.Background(), tarball, manifest, PublishOptions{})
			checkErr(t, err, tc.parts...)
			if n := h.reg.count(tc.key); n < tc.tries || (tc.key == "PUT packument" && n != tc.tries) {
				t.Errorf("%d requests %q, want %d", n, tc.key, tc.tries)
			}
			var re *Error
			if strings.Contains(tc.label, "persistent 500") && (!errors.As(err, &re) || re.StatusCode != 500 || re.Attempts != 4) {
				t.Errorf("err = %#v, want an *Error with status 500 after 4 attempts", err)
			}
		})
	}
}

func repeat(f fault, n int) []fault {
	out := make([]fault, n)
	for i := range out {
		out[i] = f
	}
	return out
}

func TestPublishConflictRace(t *testing.T) {
	tarball, manifest := testPackage(t, "@acme/core", "1.0.0", `{"v":1}`)
	other, _ := testPackage(t, "@acme/core", "1.0.0", `{"v":"other"}`)
	for _, tc := range []struct {
		label  string
		stored []byte // what the other run published meanwhile
		want   error
	}{
		{"same bytes won the race", tarball, nil},
		{"other bytes won the race", other, ErrVersionExists},
	} {
		t.Run(tc.label, func(t *testing.T) {
			h := newHarness(t)
			// The first lookup sees nothing; the other run publishes before our PUT.
			h.reg.inject("GET packument", fault{status: 404, body: `{"error":"not found"}`})
			h.reg.store("@acme/core", "1.0.0", tc.stored)
			res, err := h.client.Publish(context.Background(), tarball, manifest, PublishOptions{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.want == nil && res.Status != AlreadyPublished {
				t.Errorf("status %q, want already published", res.Status)
			}
			if n := h.reg.count("PUT packument"); n != 1 {
				t.Errorf("%d uploads, want 1 (answered 409)", n)
			}
		})
	}
}

func TestPublishFailsButAnotherRunPublishedOtherBytes(t *testing.T) {
	h := newHarness(t)
	tarball, manifest := testPackage(t, "@acme/core", "1.0.0", `{"v":1}`)
	other, _ := testPackage(t, "@acme/core", "1.0.0", `{"v":"other"}`)
	h.reg.inject("GET packument", fault{status: 404, body: `{}`})
	h.reg.inject("PUT packument", repeat(fault{status: 503}, 4)...)
	h.reg.store("@acme/core", "1.0.0", other)
	_, err := h.client.Publish(context.Background(), tarball, manifest, PublishOptions{})
	if !errors.Is(err, ErrVersionExists) {
		t.Fatalf("err = %v, want ErrVersionExists", err)
	}
}

func TestPublishReadBackMismatch(t *testing.T) {
	h := newHarness(t)
	tarball, manifest := testPackage(t, "@acme/core", "1.0.0", `{"v":1}`)
	h.reg.serveTarball, _ = testPackage(t, "@acme/core", "1.0.0", `{"v":"tampered"}`)
	_, err := h.client.Publish(context.Background(), tarball, manifest, PublishOptions{})
	if !errors.Is(err, ErrIntegrityMismatch) {
		t.Fatalf("err = %v, want ErrIntegrityMismatch", err)
	}
	checkErr(t, err, "reading back @acme/core@1.0.0", npmpkg.Integrity(h.reg.serveTarball))
}

func TestReadBackWaitsForTheListing(t *testing.T) {
	// A registry that lists the version a moment after accepting it: the
	// first lookup after the upload does not show it yet.
	h := newHarness(t)
	tarball, manifest := testPackage(t, "@acme/core", "1.0.0", `{"v":1}`)
	hidden := false
	h.reg.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && !strings.Contains(r.URL.Path, "/-/") && h.reg.count("PUT packument") == 1 && !hidden {
			hidden = true
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"name":"@acme/core","versions":{}}`)
			return
		}
		h.reg.serve(w, r)
	})
	res, err := h.client.Publish(context.Background(), tarball, manifest, PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != Published || !hidden || len(h.sleeps) != 1 {
		t.Errorf("status %q, hidden %v, sleeps %v: want one wait for the listing", res.Status, hidden, h.sleeps)
	}
}

func TestTokenStaysOnTheRegistryHost(t *testing.T) {
	// dist.tarball on another host (a CDN) is fetched without the token.
	h := newHarness(t)
	var sawAuth []string
	cdn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAuth = append(sawAuth, r.Header.Get("Authorization"))
		h.reg.mu.Lock()
		defer h.reg.mu.Unlock()
		for _, v := range versionsOf(h.reg.packages["@acme/core"]) {
			w.Write(v.tarball) //nolint:errcheck
			return
		}
		http.NotFound(w, r)
	}))
	defer cdn.Close()
	h.reg.tarballHost = cdn.URL
	tarball, manifest := testPackage(t, "@acme/core", "1.0.0", `{"v":1}`)
	res, err := h.client.Publish(context.Background(), tarball, manifest, PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.TarballURL, cdn.URL) || len(sawAuth) != 1 || sawAuth[0] != "" {
		t.Errorf("tarball from %s, Authorization seen by the other host: %q", res.TarballURL, sawAuth)
	}
}

func TestPublishRefusesBadInput(t *testing.T) {
	h := newHarness(t)
	tarball, manifest := testPackage(t, "@acme/core", "1.0.0", `{"v":1}`)
	_, otherManifest := testPackage(t, "@acme/other", "1.0.0", `{}`)
	pre, preManifest := testPackage(t, "@acme/core", "2.0.0-rc.1", `{}`)
	for _, tc := range []struct {
		label             string
		tarball, manifest []byte
		opts              PublishOptions
		want              string
	}{
		{"manifest of another package", tarball, otherManifest, PublishOptions{}, "tarball holds @acme/core@1.0.0, but the manifest to publish says @acme/other@1.0.0"},
		{"not a tarball", []byte("nope"), manifest, PublishOptions{}, "not gzip-compressed"},
		{"manifest not JSON", tarball, []byte("{"), PublishOptions{}, "not a JSON object"},
		{"bad name", tarball, []byte(`{"name":"@acme/Core","version":"1.0.0"}`), PublishOptions{}, "capital letters"},
		{"bad version", tarball, []byte(`{"name":"@acme/core","version":"1.0.0+b"}`), PublishOptions{}, "build metadata"},
		{"private", tarball, []byte(`{"name":"@acme/core","version":"1.0.0","private":true}`), PublishOptions{}, "marked private"},
		{"range as tag", tarball, manifest, PublishOptions{Tag: "1.x"}, "must not be a valid SemVer range"},
		{"tag with slash", tarball, manifest, PublishOptions{Tag: "a/b"}, "URL-safe"},
		{"pre-release as latest", pre, preManifest, PublishOptions{}, "pre-release"},
	} {
		t.Run(tc.label, func(t *testing.T) {
			_, err := h.client.Publish(context.Background(), tc.tarball, tc.manifest, tc.opts)
			checkErr(t, err, tc.want)
		})
	}
	if n := h.reg.count("PUT packument"); n != 0 {
		t.Errorf("%d uploads of refused input", n)
	}
}

func TestPublishWillNotMoveLatestBack(t *testing.T) {
	h := newHarness(t)
	newer, _ := testPackage(t, "@acme/core", "2.0.0", `{}`)
	h.reg.store("@acme/core", "2.0.0", newer)
	tarball, manifest := testPackage(t, "@acme/core", "1.5.0", `{}`)
	_, err := h.client.Publish(context.Background(), tarball, manifest, PublishOptions{})
	checkErr(t, err, "2.0.0 is already published and higher than 1.5.0")
	res, err := h.client.Publish(context.Background(), tarball, manifest, PublishOptions{Tag: "v1-maintenance"})
	if err != nil || res.Status != Published {
		t.Errorf("with an explicit tag: %+v, %v", res, err)
	}
}

func TestPublishStopsWithTheContext(t *testing.T) {
	h := newHarness(t)
	h.reg.inject("GET packument", repeat(fault{status: 503}, 4)...)
	ctx, cancel := context.WithCancel(context.Background())
	h.client.sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	tarball, manifest := testPackage(t, "@acme/core", "1.0.0", `{}`)
	_, err := h.client.Publish(ctx, tarball, manifest, PublishOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if n := h.reg.count("GET packument"); n != 1 {
		t.Errorf("%d lookups after cancelling, want 1", n)
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://npm.pkg.github.com", ""},
		{"http://127.0.0.1:4873/", ""},
		{"https://registry.example/npm/group", ""},
		{"npm.pkg.github.com", "not an absolute http(s) URL"},
		{"ftp://registry.example/", "not an absolute http(s) URL"},
		{"https://user:" + testToken + "@registry.example/", "must not carry credentials"},
		{"https://registry.example/?x=1", "query"},
	} {
		c, err := New(tc.url, testToken, Options{})
		if tc.want == "" {
			if err != nil || !strings.HasSuffix(c.Registry(), "/") {
				t.Errorf("New(%q) = %v, %v", tc.url, c, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), testToken) {
			t.Errorf("New(%q) = %v, want an error about %q without the token", tc.url, err, tc.want)
		}
	}
	c, _ := New("https://registry.example/npm/group", "", Options{})
	if got, want := c.packageURL("@acme/core"), "https://registry.example/npm/group/@acme%2fcore"; got != want {
		t.Errorf("packageURL = %q, want %q", got, want)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"0":  0,
		"7":  7 * time.Second,
		" 3": 3 * time.Second,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	} {
		got, ok := retryAfter(http.Header{"Retry-After": {v}}, now)
		if !ok || got != want {
			t.Errorf("retryAfter(%q) = %s, %v; want %s", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon", "1.5"} {
		if got, ok := retryAfter(http.Header{"Retry-After": {v}}, now); ok {
			t.Errorf("retryAfter(%q) = %s, want none", v, got)
		}
	}
}

func TestRegistryMessage(t *testing.T) {
	c, _ := New("https://r.example/", testToken, Options{})
	for _, tc := range []struct {
		body, contentType, want string
	}{
		{`{"error":"not found"}`, "application/json", "not found"},
		{`{"message":"Permission denied"}`, "application/json", "Permission denied"},
		{`{"error":"forbidden","reason":"user may not publish"}`, "application/json", "forbidden: user may not publish"},
		{`{"error":"same","message":"same"}`, "application/json", "same"},
		{`{"error":{"message":"nested"}}`, "application/json", "nested"},
		{"plain text\nsecond line", "text/plain", "plain text second line"},
		{"<html><body>502</body></html>", "text/html", ""},
		{`{"error":"` + strings.Repeat("x", 600) + `"}`, "application/json", strings.Repeat("x", 500) + "…"},
		{`{"error":"bad token ` + testToken + `"}`, "application/json", "bad token ***"},
	} {
		got := c.registryMessage(&response{status: 400, header: http.Header{"Content-Type": {tc.contentType}}, body: []byte(tc.body)})
		if got != tc.want {
			t.Errorf("registryMessage(%.40q) = %q, want %q", tc.body, got, tc.want)
		}
	}
}

func TestSameDigest(t *testing.T) {
	ours, oursSHA1 := "sha512-AAA", "abc"
	for _, tc := range []struct {
		integrity, shasum string
		same, known       bool
	}{
		{"sha512-AAA", "", true, true},
		{"sha512-BBB", "abc", false, true}, // the sha512 decides, not the sha1
		{"sha1-xyz sha512-AAA", "", true, true},
		{"sha512-AAA?opt", "", true, true},
		{"sha1-xyz", "ABC", true, true},
		{"", "abd", false, true},
		{"", "", false, false},
	} {
		same, known := sameDigest(tc.integrity, tc.shasum, ours, oursSHA1)
		if same != tc.same || known != tc.known {
			t.Errorf("sameDigest(%q, %q) = %v, %v; want %v, %v", tc.integrity, tc.shasum, same, known, tc.same, tc.known)
		}
	}
}

func FuzzRegistryMessage(f *testing.F) {
	f.Add([]byte(`{"error":"x","message":"y","reason":"z"}`), "application/json")
	f.Add([]byte(`{"error":{"message":"n"}}`), "")
	f.Add([]byte("plain\x00text"), "text/plain")
	f.Add([]byte(testToken), "text/plain")
	c, _ := New("https://r.example/", testToken, Options{})
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		msg := c.registryMessage(&response{status: 400, header: http.Header{"Content-Type": {contentType}}, body: body})
		if strings.Contains(msg, testToken) {
			t.Fatalf("message %q holds the token", msg)
		}
		if strings.ContainsFunc(msg, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("message %q holds control characters", msg)
		}
		if len(msg) > 504 {
			t.Fatalf("message of %d bytes", len(msg))
		}
	})
}

func TestValidateTag(t *testing.T) {
	// npm's semver.validRange decides what is a range; these are its answers.
	for tag, isRange := range map[string]bool{
		"latest": false, "next": false, "beta": false, "v1-maintenance": false, "maint-1": false, "x-files": false,
		"1.x": true, "*": true, "x": true, "X": true, "v1": true, "1": true, "1.0.0": true, "1.0.0-rc.1": true, "~1.2": true,
	} {
		err := validateTag(tag)
		if isRange != (err != nil) {
			t.Errorf("validateTag(%q) = %v, want a range: %v", tag, err, isRange)
		}
	}
	for _, tag := range []string{"", "a b", "a/b", "@next", "ünï", "=1.0.0"} {
		if err := validateTag(tag); err == nil || !strings.Contains(err.Error(), "URL-safe") {
			t.Errorf("validateTag(%q) = %v", tag, err)
		}
	}
}
