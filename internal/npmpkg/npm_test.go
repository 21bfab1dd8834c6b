package npmpkg_test

// These tests hold our tarballs against npm itself: npm installs them, and
// npm pack of the same directory gives the same files.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/npmpkg"
	"github.com/breakwater-dev/breakwater/internal/npmpkg/npmpkgtest"
	"github.com/breakwater-dev/breakwater/internal/testenv"
)

func manifest() npmpkg.Manifest {
	return npmpkg.Manifest{
		Name:        "@acme/vnext.account",
		Version:     "1.17.0",
		Description: "Account workflows",
		RuntimeName: "vNext.Account",
		Repository:  "https://github.com/acme/vnext-account",
		Registry:    "https://npm.pkg.github.com",
	}
}

func files() []npmpkg.File {
	return []npmpkg.File{
		{Path: "vnext.config.json", Data: []byte(`{"version":"1.17.0","domain":"account"}` + "\n")},
		{Path: "account/Workflows/open-account.json", Data: []byte(`{"key":"open-account","states":[]}`)},
		{Path: "account/Tasks/notify.json", Data: []byte(`{"key":"notify"}`)},
		{Path: "breakwater.json", Data: []byte(`{"breaking":false}`)},
		{Path: "account/" + strings.Repeat("long-directory-name/", 8) + "deep.json", Data: []byte(`{}`)},
		{Path: "account/" + strings.Repeat("x", 120) + ".json", Data: []byte(`{}`)},
		{Path: "account/Views/übersicht.json", Data: []byte(`{"ä":1}`)},
		{Path: "empty.txt", Data: nil},
	}
}

func build(t testing.TB) *npmpkg.Tarball {
	t.Helper()
	doc, err := manifest().JSON()
	if err != nil {
		t.Fatal(err)
	}
	tb, err := npmpkg.Build(doc, files())
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func run(t *testing.T, cmd *exec.Cmd) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s\n%s", strings.Join(cmd.Args, " "), err, out, stderr.Bytes())
	}
	return out
}

// readTree reads every file under dir into path → content.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		got[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func wantTree(t *testing.T) map[string]string {
	doc, _ := manifest().JSON()
	want := map[string]string{"package.json": string(doc)}
	for _, f := range files() {
		want[f.Path] = string(f.Data)
	}
	return want
}

func TestNPMInstallsOurTarball(t *testing.T) {
	tb := build(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	tgz := filepath.Join(dir, tb.Filename())
	if err := os.WriteFile(tgz, tb.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"consumer","version":"1.0.0","private":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, testenv.NPMCommand(ctx, t, dir, "install", "--offline", "./"+tb.Filename()))

	installed := filepath.Join(dir, "node_modules", "@acme", "vnext.account")
	if d := cmp.Diff(wantTree(t), readTree(t, installed)); d != "" {
		t.Errorf("installed files (-want +got):\n%s", d)
	}
	var lock struct {
		Packages map[string]struct {
			Version   string `json:"version"`
			Integrity string `json:"integrity"`
		} `json:"packages"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &lock); err != nil {
		t.Fatal(err)
	}
	entry := lock.Packages["node_modules/@acme/vnext.account"]
	if entry.Integrity != tb.Integrity || entry.Version != "1.17.0" {
		t.Errorf("package-lock.json has %+v, want integrity %s", entry, tb.Integrity)
	}
}

func TestNPMPackGivesTheSameFiles(t *testing.T) {
	tb := build(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, out := t.TempDir(), t.TempDir()
	doc, _ := manifest().JSON()
	if err := npmpkgtest.WriteDir(dir, doc, files()); err != nil {
		t.Fatal(err)
	}
	raw := run(t, testenv.NPMCommand(ctx, t, dir, "pack", "--json", "--pack-destination", out))
	var packed []struct {
		Name, Version, Filename, Integrity, Shasum string
		EntryCount                                 int   `json:"entryCount"`
		UnpackedSize                               int64 `json:"unpackedSize"`
		Files                                      []struct{ Path string }
	}
	if err := json.Unmarshal(raw, &packed); err != nil || len(packed) != 1 {
		t.Fatalf("npm pack --json: %v\n%s", err, raw)
	}
	p := packed[0]
	if p.Name != tb.Name || p.Version != tb.Version || p.Filename != tb.Filename() {
		t.Errorf("npm pack: %s %s %s; ours: %s %s %s", p.Name, p.Version, p.Filename, tb.Name, tb.Version, tb.Filename())
	}
	if p.EntryCount != tb.FileCount || p.UnpackedSize != tb.UnpackedSize {
		t.Errorf("npm pack: %d entries, %d bytes; ours: %d, %d", p.EntryCount, p.UnpackedSize, tb.FileCount, tb.UnpackedSize)
	}
	var npmPaths []string
	for _, f := range p.Files {
		npmPaths = append(npmPaths, f.Path)
	}
	ours, err := npmpkg.ReadBytes(tb.Data, npmpkg.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ourPaths := []string{"package.json"}
	for _, f := range ours.Files {
		ourPaths = append(ourPaths, f.Path)
	}
	if d := cmp.Diff(sorted(npmPaths), sorted(ourPaths)); d != "" {
		t.Errorf("file set, npm pack (-) vs ours (+):\n%s", d)
	}

	// npm's tarball holds the same bytes, and npm's digests of it are
	// what our Integrity and Shasum compute.
	theirs, err := os.ReadFile(filepath.Join(out, p.Filename))
	if err != nil {
		t.Fatal(err)
	}
	if got := npmpkg.Integrity(theirs); got != p.Integrity {
		t.Errorf("Integrity(npm's tarball) = %s, npm says %s", got, p.Integrity)
	}
	if got := npmpkg.Shasum(theirs); got != p.Shasum {
		t.Errorf("Shasum(npm's tarball) = %s, npm says %s", got, p.Shasum)
	}
	read, err := npmpkg.ReadBytes(theirs, npmpkg.Limits{})
	if err != nil {
		t.Fatalf("reading npm's tarball: %v", err)
	}
	if !bytes.Equal(read.PackageJSON, ours.PackageJSON) {
		t.Errorf("npm's package.json differs:\n%s", read.PackageJSON)
	}
	if d := cmp.Diff(contentMap(ours.Files), contentMap(read.Files)); d != "" {
		t.Errorf("contents, ours (-) vs npm pack (+):\n%s", d)
	}
	t.Logf("npm pack: %d bytes; ours: %d bytes", len(theirs), len(tb.Data))
}

func TestTarListsFixedHeaders(t *testing.T) {
	tar, err := exec.LookPath("tar")
	if err != nil {
		testenv.Require(t, "tar is not installed")
	}
	tb := build(t)
	path := filepath.Join(t.TempDir(), tb.Filename())
	if err := os.WriteFile(path, tb.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tar, "-tzvf", path)
	cmd.Env = append(os.Environ(), "TZ=UTC", "LC_ALL=C")
	out := run(t, cmd)
	// GNU tar prints numeric owners when the names are empty.
	line := regexp.MustCompile(`^-rw-r--r-- 0/0 +(\d+) 1985-10-26 08:15 package/(.+)$`)
	var listed []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Errorf("tar -tzvf line %q: want mode -rw-r--r--, owner 0/0, time 1985-10-26 08:15, under package/", sc.Text())
			continue
		}
		listed = append(listed, m[2])
	}
	if len(listed) != tb.FileCount {
		t.Errorf("tar lists %d entries, want %d:\n%s", len(listed), tb.FileCount, out)
	}
	if len(listed) > 0 && listed[0] != "package.json" {
		t.Errorf("first entry %q, want package.json", listed[0])
	}
}

func TestBuildLargerPackage(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 4 MB")
	}
	fs := npmpkgtest.GenerateFiles(4<<20, 1)
	doc, _ := manifest().JSON()
	a, err := npmpkg.Build(doc, fs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := npmpkg.Build(doc, fs)
	if err != nil {
		t.Fatal(err)
	}
	if a.Integrity != b.Integrity {
		t.Error("two builds of the 4 MB package differ")
	}
	c, err := npmpkg.ReadBytes(a.Data, npmpkg.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(contentMap(fs), contentMap(c.Files)); d != "" {
		t.Error("the 4 MB package read back differs")
	}
	t.Logf("4 MB package: %d files, %d bytes unpacked, tarball %d bytes", len(fs), a.UnpackedSize, len(a.Data))
}

func ExampleBuild() {
	doc, err := npmpkg.Manifest{
		Name:        "@acme/vnext.account",
		Version:     "1.17.0",
		RuntimeName: "vNext.Account",
		Repository:  "https://github.com/acme/exports",
		Registry:    "https://npm.pkg.github.com",
	}.JSON()
	if err != nil {
		fmt.Println(err)
		return
	}
	tb, err := npmpkg.Build(doc, []npmpkg.File{{Path: "account/Workflows/open.json", Data: []byte(`{"key":"open"}`)}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tb.Filename(), tb.FileCount, strings.HasPrefix(tb.Integrity, "sha512-"))
	// Output: acme-vnext.account-1.17.0.tgz 2 true
}

func contentMap(fs []npmpkg.File) map[string]string {
	m := make(map[string]string, len(fs))
	for _, f := range fs {
		m[f.Path] = string(f.Data)
	}
	return m
}

func sorted(s []string) []string {
	return slices.Sorted(slices.Values(s))
}
