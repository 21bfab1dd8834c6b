package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// NPMProject is a set of npm packages installed together, for tools that
// need pinned transitive versions: Overrides become the "overrides" of the
// project's package.json (npm ≥ 8.3), e.g. {"node-fetch": "2.7.0"}.
type NPMProject struct {
	Name         string            // cache directory name, e.g. "verdaccio-6.8.0"
	Dependencies map[string]string // package → exact version
	Overrides    map[string]string // package → version, for every depth
	// Lockfile, when set, is the project's package-lock.json: `npm ci`
	// installs exactly the transitive versions and digests it pins, so a
	// new release of some dependency cannot break the tests.
	Lockfile []byte
}

// packageJSON is the project's package.json; encoding/json sorts map keys,
// so the same project always gives the same bytes (and cache key).
func (p NPMProject) packageJSON() ([]byte, error) {
	doc := map[string]any{
		"name":         "breakwater-testenv-" + safeName.ReplaceAllString(p.Name, "-"),
		"private":      true,
		"description":  "installed by internal/testenv for integration tests",
		"dependencies": p.Dependencies,
	}
	if len(p.Overrides) > 0 {
		doc["overrides"] = p.Overrides
	}
	return json.MarshalIndent(doc, "", "  ")
}

// Install installs the project once into the test cache (under a file lock,
// like NPMPackage) and returns its directory, which holds node_modules/.
// The directory name carries a hash of the package.json and lockfile, so
// changing a version or an override installs afresh instead of reusing a
// stale tree.
func (p NPMProject) Install(t testing.TB) string {
	t.Helper()
	if p.Name == "" || len(p.Dependencies) == 0 {
		t.Fatalf("testenv: NPMProject needs a name and dependencies: %+v", p)
	}
	doc, err := p.packageJSON()
	if err != nil {
		t.Fatal(err)
	}
	cache, err := CacheDir()
	if err != nil {
		Require(t, err.Error())
	}
	sum := sha256.Sum256(append(doc, p.Lockfile...))
	dir := filepath.Join(cache, "npm-project", safeName.ReplaceAllString(p.Name, "_")+"-"+hex.EncodeToString(sum[:6]))
	installOnce(t, dir, p.Name, func(ctx context.Context, npm string) error {
		if err := os.WriteFile(filepath.Join(dir, "package.json"), doc, 0o644); err != nil {
			return fmt.Errorf("writing the package.json of %s: %v", p.Name, err)
		}
		verb := "install"
		if p.Lockfile != nil {
			verb = "ci"
			if err := os.WriteFile(filepath.Join(dir, "package-lock.json"), p.Lockfile, 0o644); err != nil {
				return fmt.Errorf("writing the package-lock.json of %s: %v", p.Name, err)
			}
		}
		cmd := exec.CommandContext(ctx, npm, verb,
			"--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("npm %s of %s failed: %v\n%s", verb, p.Name, err, out)
		}
		for name := range p.Dependencies {
			if _, err := os.Stat(filepath.Join(dir, "node_modules", filepath.FromSlash(name), "package.json")); err != nil {
				return fmt.Errorf("npm install of %s did not install %s: %v", p.Name, name, err)
			}
		}
		return nil
	})
	return dir
}

// NPM is the path of the npm command; without npm the test is skipped (or
// fails, see Require).
func NPM(t testing.TB) string {
	t.Helper()
	npm, err := exec.LookPath("npm")
	if err != nil {
		Require(t, "npm is not installed: "+err.Error())
	}
	return npm
}

// NPMCommand is `npm args…` run in dir with a cache of its own (the test
// neither reads nor fills the user's npm cache) and without update checks,
// audits or funding notices. The user's and global npmrc files are not
// read: dir's .npmrc is the only configuration.
func NPMCommand(ctx context.Context, t testing.TB, dir string, args ...string) *exec.Cmd {
	t.Helper()
	npm := NPM(t)
	tmp := t.TempDir()
	user, global := filepath.Join(tmp, "user-npmrc"), filepath.Join(tmp, "global-npmrc")
	for _, f := range []string{user, global} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(ctx, npm, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"npm_config_cache="+filepath.Join(tmp, "npm-cache"),
		"npm_config_userconfig="+user,
		"npm_config_globalconfig="+global,
		"npm_config_update_notifier=false",
		"npm_config_audit=false",
		"npm_config_fund=false",
		"npm_config_loglevel=warn",
	)
	return cmd
}
