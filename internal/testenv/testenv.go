// Package testenv gives integration tests what they need from outside the
// module: npm packages (example payloads, API descriptions) and, later,
// services such as a registry or a database. Missing tools skip the test,
// unless BREAKWATER_INTEGRATION=require makes every such skip a failure, so
// CI cannot pass by silently skipping.
package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// RequireEnv is the variable that turns skips into failures when set to
// "require".
const RequireEnv = "BREAKWATER_INTEGRATION"

// CacheEnv overrides where downloaded test dependencies are kept.
const CacheEnv = "BREAKWATER_TEST_CACHE"

// Required reports whether integration prerequisites must be present.
func Required() bool { return os.Getenv(RequireEnv) == "require" }

// Require skips the test with reason, or fails it when integration tests
// are required.
func Require(t testing.TB, reason string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s (%s=require: integration prerequisites must be present)", reason, RequireEnv)
	}
	t.Skipf("skipping: %s (set %s=require to make this a failure)", reason, RequireEnv)
}

// CacheDir is the directory test dependencies are cached in: $BREAKWATER_TEST_CACHE,
// or breakwater-test in the user's cache directory.
func CacheDir() (string, error) {
	if d := os.Getenv(CacheEnv); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory (set %s): %w", CacheEnv, err)
	}
	return filepath.Join(d, "breakwater-test"), nil
}

// NPMPackage installs the npm package spec ("@octokit/openapi@23") once into
// the cache and returns the package's directory (…/node_modules/@octokit/openapi).
// Parallel test binaries share the cache under a file lock. Without npm, or
// when the install fails, the test is skipped (or fails, see Require).
func NPMPackage(t testing.TB, spec string) string {
	t.Helper()
	name, err := packageName(spec)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(installNPM(t, spec, []string{spec}), filepath.FromSlash(name))
}

// NPMPackages installs several specs together, so that each resolves the
// others (a script that requires @sigstore/verify and @sigstore/bundle),
// and returns the install's node_modules directory, for NODE_PATH.
func NPMPackages(t testing.TB, specs ...string) string {
	t.Helper()
	if len(specs) == 0 {
		t.Fatal("testenv: NPMPackages needs at least one spec")
	}
	for _, spec := range specs {
		if _, err := packageName(spec); err != nil {
			t.Fatal(err)
		}
	}
	return installNPM(t, strings.Join(specs, "+"), specs)
}

// installNPM installs specs into the cache entry named key once and
// returns its node_modules directory.
func installNPM(t testing.TB, key string, specs []string) string {
	t.Helper()
	cache, err := CacheDir()
	if err != nil {
		Require(t, err.Error())
	}
	dir := npmDir(cache, key)
	modules := filepath.Join(dir, "node_modules")
	what := strings.Join(specs, " ")
	installOnce(t, dir, what, func(ctx context.Context, npm string) error {
		args := append([]string{"install", "--prefix", dir,
			"--no-audit", "--no-fund", "--no-save", "--ignore-scripts", "--loglevel=error"}, specs...)
		cmd := exec.CommandContext(ctx, npm, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("npm install %s failed: %v\n%s", what, err, out)
		}
		for _, spec := range specs {
			name, _ := packageName(spec)
			if _, err := os.Stat(filepath.Join(modules, filepath.FromSlash(name), "package.json")); err != nil {
				return fmt.Errorf("npm install %s did not produce %s: %v", what, name, err)
			}
		}
		return nil
	})
	return modules
}

// installOnce runs install in dir unless an earlier run finished there,
// holding a file lock so that parallel test binaries install only once.
// A failed install skips the test (or fails it, see Require) and leaves
// dir unmarked, so the next run tries again.
func installOnce(t testing.TB, dir, what string, install func(ctx context.Context, npm string) error) {
	t.Helper()
	done := filepath.Join(dir, ".installed")
	if _, err := os.Stat(done); err == nil {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		Require(t, fmt.Sprintf("cannot create the test cache %s: %v", dir, err))
	}
	unlock, err := lockFile(dir + ".lock")
	if err != nil {
		Require(t, fmt.Sprintf("cannot lock the test cache: %v", err))
	}
	defer unlock()
	if _, err := os.Stat(done); err == nil { // another process installed it meanwhile
		return
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		Require(t, fmt.Sprintf("npm is not installed, so the npm package %s cannot be fetched", what))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	start := time.Now()
	if err := install(ctx, npm); err != nil {
		Require(t, err.Error())
	}
	t.Logf("testenv: installed %s into %s in %s", what, dir, time.Since(start).Round(100*time.Millisecond))
	if err := os.WriteFile(done, []byte(what+"\n"), 0o644); err != nil {
		t.Fatalf("marking %s installed: %v", what, err)
	}
}

var safeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// npmDir is where spec is installed in the cache.
func npmDir(cache, spec string) string {
	return filepath.Join(cache, "npm", safeName.ReplaceAllString(spec, "_"))
}

// packageName is the package name of an npm spec without its version:
// "@octokit/openapi@23" → "@octokit/openapi", "left-pad@1" → "left-pad".
func packageName(spec string) (string, error) {
	rest := spec
	prefix := ""
	if strings.HasPrefix(spec, "@") {
		prefix, rest = "@", spec[1:]
	}
	name, _, _ := strings.Cut(rest, "@")
	if name == "" || (prefix == "@" && !strings.Contains(name, "/")) {
		return "", fmt.Errorf("testenv: %q is not an npm package spec", spec)
	}
	return prefix + name, nil
}
