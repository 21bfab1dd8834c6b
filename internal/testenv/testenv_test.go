package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPackageName(t *testing.T) {
	for spec, want := range map[string]string{
		"@octokit/openapi@23":        "@octokit/openapi",
		"@octokit/webhooks-examples": "@octokit/webhooks-examples",
		"left-pad@1.3.0":             "left-pad",
		"left-pad":                   "left-pad",
	} {
		got, err := packageName(spec)
		if err != nil || got != want {
			t.Errorf("packageName(%q) = %q, %v; want %q", spec, got, err, want)
		}
	}
	for _, bad := range []string{"", "@", "@scope", "@1.0"} {
		if _, err := packageName(bad); err == nil {
			t.Errorf("packageName(%q) accepted a bad spec", bad)
		}
	}
}

func TestLockFileSerializes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	var mu sync.Mutex
	inside := 0
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := lockFile(path)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			inside++
			if inside != 1 {
				t.Errorf("%d holders of the lock at once", inside)
			}
			mu.Unlock()
			mu.Lock()
			inside--
			mu.Unlock()
			unlock()
		}()
	}
	wg.Wait()
}

func TestNPMPackageUsesCache(t *testing.T) {
	// A pre-marked cache entry is returned without running npm.
	cache := t.TempDir()
	t.Setenv(CacheEnv, cache)
	dir := npmDir(cache, "@octokit/openapi@23")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".installed"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", "") // no npm
	got := NPMPackage(t, "@octokit/openapi@23")
	if want := filepath.Join(dir, "node_modules", "@octokit", "openapi"); got != want {
		t.Errorf("NPMPackage = %q, want %q", got, want)
	}
}

// recorder stands in for a test to see whether a helper skips or fails.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatal(args ...any) {
	r.fatal = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skip = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func call(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestNPMPackagesUsesOneCacheEntry(t *testing.T) {
	cache := t.TempDir()
	t.Setenv(CacheEnv, cache)
	dir := npmDir(cache, "@sigstore/verify@3.1.0+@sigstore/bundle@4")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".installed"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", "") // no npm
	if got, want := NPMPackages(t, "@sigstore/verify@3.1.0", "@sigstore/bundle@4"), filepath.Join(dir, "node_modules"); got != want {
		t.Errorf("NPMPackages = %q, want %q", got, want)
	}
}

func TestMissingNPMSkipsOrFails(t *testing.T) {
	t.Setenv(CacheEnv, t.TempDir())
	t.Setenv("PATH", "")
	for _, mode := range []string{"", "require"} {
		t.Setenv(RequireEnv, mode)
		r := call(t, func(tb testing.TB) { NPMPackage(tb, "left-pad@1") })
		switch {
		case mode == "" && (r.skip == "" || r.fatal != ""):
			t.Errorf("without %s: skip %q, fatal %q; want a skip", RequireEnv, r.skip, r.fatal)
		case mode == "require" && r.fatal == "":
			t.Errorf("with %s=require: skip %q; want a failure", RequireEnv, r.skip)
		}
		if msg := r.skip + r.fatal; !strings.Contains(msg, "npm is not installed") {
			t.Errorf("message %q does not say npm is missing", msg)
		}
	}
}

func TestNPMProjectCacheKey(t *testing.T) {
	// The install directory follows the package.json, so a changed override
	// cannot reuse a tree installed without it.
	cache := t.TempDir()
	t.Setenv(CacheEnv, cache)
	t.Setenv("PATH", "") // no npm: only pre-marked directories can be returned
	base := NPMProject{Name: "tool-1.0.0", Dependencies: map[string]string{"tool": "1.0.0"}}
	changed := base
	changed.Overrides = map[string]string{"dep": "2.0.0"}
	dirs := map[string]string{}
	for label, p := range map[string]NPMProject{"base": base, "changed": changed} {
		doc, err := p.packageJSON()
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(doc, &got); err != nil {
			t.Fatal(err)
		}
		if _, has := got["overrides"]; has != (len(p.Overrides) > 0) {
			t.Errorf("%s: overrides in package.json = %v, want %v", label, has, len(p.Overrides) > 0)
		}
		r := call(t, func(tb testing.TB) { dirs[label] = p.Install(tb) })
		if !strings.Contains(r.skip+r.fatal, "npm is not installed") {
			t.Fatalf("%s: installing without npm: skip %q, fatal %q", label, r.skip, r.fatal)
		}
	}
	entries, err := os.ReadDir(filepath.Join(cache, "npm-project"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	if len(names) != 2 || names[0] == names[1] {
		t.Errorf("install directories %v: want two, one per package.json", names)
	}
}

func TestVerdaccio(t *testing.T) {
	v := StartVerdaccio(t)
	ctx := context.Background()
	whoami := func(token string) (int, string) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.URL+"-/whoami", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Username string `json:"username"`
		}
		json.NewDecoder(resp.Body).Decode(&body) //nolint:errcheck // an error shows as an empty name
		return resp.StatusCode, body.Username
	}
	if code, user := whoami(v.Token); code != http.StatusOK || user != v.User {
		t.Errorf("whoami with the start token = %d %q, want 200 %q", code, user, v.User)
	}
	other, err := v.AddUser(ctx, "second-user", "another-password")
	if err != nil {
		t.Fatal(err)
	}
	if code, user := whoami(other); code != http.StatusOK || user != "second-user" {
		t.Errorf("whoami with the second token = %d %q", code, user)
	}
	if code, user := whoami("not-a-token"); code == http.StatusOK && user != "" {
		t.Errorf("whoami with a bad token = %d %q, want no user", code, user)
	}
	if _, err := v.AddUser(ctx, "second-user", "another-password"); err == nil {
		t.Error("creating an existing user again succeeded")
	}
	// Nothing is proxied: a package of the public registry is unknown here.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, v.URL+"left-pad", nil)
	req.Header.Set("Authorization", "Bearer "+v.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET left-pad = %d, want 404 (no uplink)", resp.StatusCode)
	}
	if !strings.Contains(v.NPMRC("@acme", "tok"), "@acme:registry="+v.URL) {
		t.Errorf("NPMRC = %q", v.NPMRC("@acme", "tok"))
	}
}

func TestVerdaccioWithoutNodeSkipsOrFails(t *testing.T) {
	t.Setenv(CacheEnv, t.TempDir())
	t.Setenv("PATH", "")
	for _, mode := range []string{"", "require"} {
		t.Setenv(RequireEnv, mode)
		r := call(t, func(tb testing.TB) { StartVerdaccio(tb) })
		if (mode == "") != (r.skip != "" && r.fatal == "") {
			t.Errorf("%s=%q: skip %q, fatal %q", RequireEnv, mode, r.skip, r.fatal)
		}
		if msg := r.skip + r.fatal; !strings.Contains(msg, "node is not installed, so Verdaccio cannot run") {
			t.Errorf("message %q does not say what is missing", msg)
		}
	}
}

// A start that runs out of time says in which phase (a slow bcrypt user
// creation once looked like a dead registry).
func TestStartPhaseNamesTheTimedOutPhase(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	err := startPhase(ctx, "creating the test user", func(ctx context.Context) error {
		<-ctx.Done()
		return fmt.Errorf("creating Verdaccio user: %w", ctx.Err())
	})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "while creating the test user") ||
		!strings.Contains(err.Error(), verdaccioStartTimeout.String()) {
		t.Fatalf("startPhase = %v, want the phase and the deadline named", err)
	}
	plain := errors.New("401 Unauthorized")
	if err := startPhase(context.Background(), "creating the test user", func(context.Context) error { return plain }); err != plain {
		t.Errorf("an error before the deadline = %v, want it unchanged", err)
	}
}
