package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
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
