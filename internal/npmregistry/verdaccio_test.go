package npmregistry

// Tests against a real npm registry: Verdaccio on loopback (internal/testenv).

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/npmpkg"
	"github.com/breakwater-dev/breakwater/internal/npmpkg/npmpkgtest"
	"github.com/breakwater-dev/breakwater/internal/testenv"
)

// vnextCore is the real vNext core package (testdata/vnext-core, from the
// vNext sample) under a package.json of ours.
func vnextCore(t testing.TB, name, version string) (doc []byte, files []npmpkg.File) {
	t.Helper()
	_, files, err := npmpkgtest.ReadDir(filepath.Join("testdata", "vnext-core"))
	if err != nil {
		t.Fatal(err)
	}
	_, pkg, _ := strings.Cut(name, "/")
	doc, err = npmpkg.Manifest{Name: name, Version: version, Description: "vNext core domain",
		RuntimeName: pkg, Repository: "https://github.com/acme/vnext-core", Registry: "https://npm.pkg.github.com"}.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return doc, files
}

// npmProject is a consumer directory whose .npmrc points @acme at the
// registry with token, as a GitHub Packages consumer's does.
func npmProject(t *testing.T, v *testenv.Verdaccio, token string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"consumer","version":"1.0.0","private":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".npmrc"), []byte(v.NPMRC("@acme", token)), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runNPM(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := testenv.NPMCommand(ctx, t, dir, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("npm %s: %v\n%s\n%s", strings.Join(args, " "), err, out, stderr.Bytes())
	}
	return out
}

func TestVerdaccio(t *testing.T) {
	v := testenv.StartVerdaccio(t)
	var logMu sync.Mutex
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	client, err := New(v.URL, v.Token, Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const name = "@acme/vnext-core"
	doc, files := vnextCore(t, name, "1.0.0")
	tb, err := npmpkg.Build(doc, files)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, secret := range []string{v.Token, v.Password} {
			if strings.Contains(logs.String(), secret) {
				t.Errorf("a secret appears in the client's logs:\n%s", logs.String())
			}
		}
	})

	t.Run("publish", func(t *testing.T) {
		res, err := client.Publish(ctx, tb.Data, doc, PublishOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != Published || res.Integrity != tb.Integrity || !strings.HasPrefix(res.TarballURL, v.URL) {
			t.Errorf("result %+v", res)
		}
	})

	t.Run("npm install", func(t *testing.T) {
		dir := npmProject(t, v, v.Token)
		runNPM(t, dir, "install", name+"@1.0.0")
		installed := filepath.Join(dir, "node_modules", filepath.FromSlash(name))
		gotDoc, gotFiles, err := npmpkgtest.ReadDir(installed)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gotDoc, doc) {
			t.Errorf("installed package.json differs:\n%s", gotDoc)
		}
		if d := cmp.Diff(fileMap(files), fileMap(gotFiles)); d != "" {
			t.Errorf("installed files (-want +got):\n%s", d)
		}
		var lock struct {
			Packages map[string]struct{ Version, Resolved, Integrity string } `json:"packages"`
		}
		raw, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &lock); err != nil {
			t.Fatal(err)
		}
		e := lock.Packages["node_modules/"+name]
		if e.Integrity != tb.Integrity || e.Version != "1.0.0" || !strings.HasPrefix(e.Resolved, v.URL) {
			t.Errorf("package-lock.json entry %+v; want integrity %s resolved from %s", e, tb.Integrity, v.URL)
		}

		out := runNPM(t, dir, "view", name+"@1.0.0", "dist.integrity", "--json")
		var viewed string
		if err := json.Unmarshal(out, &viewed); err != nil || viewed != tb.Integrity {
			t.Errorf("npm view dist.integrity = %s (%v), want %s", out, err, tb.Integrity)
		}
	})

	t.Run("republish is a no-op", func(t *testing.T) {
		before := storedFiles(t, v.Storage)
		res, err := client.Publish(ctx, tb.Data, doc, PublishOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != AlreadyPublished || res.TarballURL == "" {
			t.Errorf("result %+v, want already published and read back", res)
		}
		if after := storedFiles(t, v.Storage); !cmp.Equal(before, after) {
			t.Errorf("the registry's storage changed:\n%s", cmp.Diff(before, after))
		}
	})

	t.Run("other bytes under the same version", func(t *testing.T) {
		changed := append([]npmpkg.File{{Path: "extra.json", Data: []byte(`{}`)}}, files...)
		other, err := npmpkg.Build(doc, changed)
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.Publish(ctx, other.Data, doc, PublishOptions{})
		if !errors.Is(err, ErrVersionExists) {
			t.Fatalf("err = %v, want ErrVersionExists", err)
		}
		if !strings.Contains(err.Error(), tb.Integrity) || !strings.Contains(err.Error(), other.Integrity) {
			t.Errorf("error %q does not name both digests", err)
		}
	})

	t.Run("a second version", func(t *testing.T) {
		doc2, files2 := vnextCore(t, name, "1.1.0")
		tb2, err := npmpkg.Build(doc2, files2)
		if err != nil {
			t.Fatal(err)
		}
		res, err := client.Publish(ctx, tb2.Data, doc2, PublishOptions{})
		if err != nil || res.Status != Published {
			t.Fatalf("%+v, %v", res, err)
		}
		data, ver, err := client.Download(ctx, name, "1.0.0")
		if err != nil || !bytes.Equal(data, tb.Data) || ver.Integrity != tb.Integrity {
			t.Errorf("the first version after the second: %v, %+v", err, ver)
		}
		// 1.0.1 cannot become "latest" behind 1.1.0 without a tag.
		doc3, files3 := vnextCore(t, name, "1.0.1")
		tb3, _ := npmpkg.Build(doc3, files3)
		if _, err := client.Publish(ctx, tb3.Data, doc3, PublishOptions{}); err == nil || !strings.Contains(err.Error(), "higher") {
			t.Errorf("1.0.1 as latest behind 1.1.0: %v", err)
		}
	})

	t.Run("bad token", func(t *testing.T) {
		const bad = "not-a-valid-token-6f1d2c"
		var badLogs bytes.Buffer
		c, err := New(v.URL, bad, Options{Logger: slog.New(slog.NewTextHandler(&badLogs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
		if err != nil {
			t.Fatal(err)
		}
		doc4, files4 := vnextCore(t, name, "2.0.0")
		tb4, _ := npmpkg.Build(doc4, files4)
		_, err = c.Publish(ctx, tb4.Data, doc4, PublishOptions{})
		var re *Error
		if !errors.As(err, &re) || re.StatusCode != 401 {
			t.Fatalf("err = %v, want a 401 *Error", err)
		}
		t.Logf("with a bad token: %v", err)
		for _, part := range []string{"401 Unauthorized", "did not accept the token", name} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("error %q does not mention %q", err, part)
			}
		}
		if strings.Contains(err.Error(), bad) || strings.Contains(badLogs.String(), bad) {
			t.Errorf("the bad token shows in the error or logs")
		}
	})

	t.Run("the token cannot be read from the published package", func(t *testing.T) {
		data, _, err := client.Download(ctx, name, "1.0.0")
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(v.Token)) {
			t.Error("the tarball holds the token")
		}
	})
}

// storedFiles lists the registry's storage with each file's size and
// modification time.
func storedFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fmt.Sprintf("%s %d bytes", info.ModTime(), info.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fileMap(files []npmpkg.File) map[string]string {
	m := make(map[string]string, len(files))
	for _, f := range files {
		m[f.Path] = string(f.Data)
	}
	return m
}
