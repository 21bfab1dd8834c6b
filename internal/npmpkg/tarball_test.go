package npmpkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func testPackageJSON(t testing.TB) []byte {
	t.Helper()
	doc, err := testManifest().JSON()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func testFiles() []File {
	return []File{
		{Path: "vnext.config.json", Data: []byte(`{"version":"1.17.0","domain":"account"}` + "\n")},
		{Path: "account/Workflows/open-account.json", Data: []byte(`{"key":"open-account","states":[]}`)},
		{Path: "account/Tasks/notify.json", Data: []byte(`{"key":"notify"}`)},
		{Path: "breakwater.json", Data: []byte(`{"breaking":false}`)},
		{Path: "account/" + strings.Repeat("long-directory-name/", 8) + "deep.json", Data: []byte(`{}`)}, // needs ustar's prefix field
		{Path: "account/" + strings.Repeat("x", 120) + ".json", Data: []byte(`{}`)},                      // needs a PAX path record
		{Path: "account/Views/übersicht.json", Data: []byte(`{"ä":1}`)},                                  // non-ASCII: PAX too
		{Path: "empty.txt", Data: nil},
	}
}

func TestBuildIsReproducible(t *testing.T) {
	doc := testPackageJSON(t)
	first, err := Build(doc, testFiles())
	if err != nil {
		t.Fatal(err)
	}
	// The order files come in does not matter.
	shuffled := testFiles()
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	second, err := Build(doc, shuffled)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Data, second.Data) {
		t.Fatal("two builds of the same input differ")
	}
	if first.Integrity != second.Integrity {
		t.Fatalf("integrity %s vs %s", first.Integrity, second.Integrity)
	}
	// The digest is pinned: a change of the format (order, headers, mode,
	// time, compression) shows here and must be deliberate, because the same
	// tag must keep giving the same sha512.
	golden(t, "reproducible.integrity", []byte(first.Integrity+"\n"))

	// Different content gives a different digest.
	changed := testFiles()
	changed[0].Data = []byte(`{"version":"1.17.1"}`)
	third, err := Build(doc, changed)
	if err != nil {
		t.Fatal(err)
	}
	if third.Integrity == first.Integrity {
		t.Error("changed content, same integrity")
	}
}

func TestBuildFigures(t *testing.T) {
	doc := testPackageJSON(t)
	tb, err := Build(doc, testFiles())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum512(tb.Data)
	if want := "sha512-" + base64.StdEncoding.EncodeToString(sum[:]); tb.Integrity != want {
		t.Errorf("Integrity = %s, want %s", tb.Integrity, want)
	}
	if len(tb.Shasum) != 40 || tb.Shasum != Shasum(tb.Data) {
		t.Errorf("Shasum = %q", tb.Shasum)
	}
	want := int64(len(doc))
	for _, f := range testFiles() {
		want += int64(len(f.Data))
	}
	if tb.UnpackedSize != want {
		t.Errorf("UnpackedSize = %d, want %d", tb.UnpackedSize, want)
	}
	if tb.Size() != int64(len(tb.Data)) || tb.Size() < 100 {
		t.Errorf("Size = %d", tb.Size())
	}
	if tb.FileCount != len(testFiles())+1 {
		t.Errorf("FileCount = %d, want %d", tb.FileCount, len(testFiles())+1)
	}
	if tb.Name != "@acme/vnext.account" || tb.Version != "1.17.0" {
		t.Errorf("Name, Version = %q, %q", tb.Name, tb.Version)
	}
	if got := tb.Filename(); got != "acme-vnext.account-1.17.0.tgz" {
		t.Errorf("Filename = %q", got)
	}
}

func TestBuildHeaders(t *testing.T) {
	tb, err := Build(testPackageJSON(t), testFiles())
	if err != nil {
		t.Fatal(err)
	}
	// gzip: no name, no time, no extra fields, OS byte 255.
	if tb.Data[3] != 0 {
		t.Errorf("gzip flags = %#x, want 0 (no name, comment or extra field)", tb.Data[3])
	}
	if !bytes.Equal(tb.Data[4:8], []byte{0, 0, 0, 0}) {
		t.Errorf("gzip mtime = % x, want zero", tb.Data[4:8])
	}
	if tb.Data[9] != 255 {
		t.Errorf("gzip OS = %d, want 255", tb.Data[9])
	}

	zr, err := gzip.NewReader(bytes.NewReader(tb.Data))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(raw))
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, strings.TrimPrefix(hdr.Name, "package/"))
		want := tar.Header{Typeflag: tar.TypeReg, Name: hdr.Name, Mode: 0o644, Size: hdr.Size,
			ModTime: time.Date(1985, 10, 26, 8, 15, 0, 0, time.UTC), Format: hdr.Format, PAXRecords: hdr.PAXRecords}
		got := *hdr
		got.ModTime = got.ModTime.UTC()
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("header of %s (-want +got):\n%s", hdr.Name, d)
		}
		if !strings.HasPrefix(hdr.Name, "package/") {
			t.Errorf("entry %s is not under package/", hdr.Name)
		}
		if hdr.Format == tar.FormatGNU {
			t.Errorf("entry %s uses the GNU format", hdr.Name)
		}
		for k := range hdr.PAXRecords {
			if k != "path" {
				t.Errorf("entry %s has PAX record %q; only long or non-ASCII paths need one", hdr.Name, k)
			}
		}
	}
	want := []string{"package.json"}
	for _, f := range testFiles() {
		want = append(want, f.Path)
	}
	slices.Sort(want[1:])
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("entry order (-want +got):\n%s", d)
	}
	// No user or group name anywhere in the raw headers (ustar offsets 265 and 297).
	for off := 0; off+512 <= len(raw); off += 512 {
		block := raw[off : off+512]
		if string(block[257:262]) != "ustar" {
			continue
		}
		if uname := bytes.TrimRight(block[265:297], "\x00"); len(uname) > 0 {
			t.Errorf("header at %d has user name %q", off, uname)
		}
		if gname := bytes.TrimRight(block[297:329], "\x00"); len(gname) > 0 {
			t.Errorf("header at %d has group name %q", off, gname)
		}
	}
}

func TestBuildRejects(t *testing.T) {
	doc := testPackageJSON(t)
	for _, tc := range []struct {
		label string
		doc   string
		files []File
		want  string
	}{
		{"no scope", `{"name":"core","version":"1.0.0"}`, nil, "GitHub Packages"},
		{"upper case", `{"name":"@acme/Core","version":"1.0.0"}`, nil, "capital letters"},
		{"bad version", `{"name":"@acme/core","version":"1.0"}`, nil, "not SemVer"},
		{"no version", `{"name":"@acme/core"}`, nil, "version is empty"},
		{"not json", `name: core`, nil, "not a JSON object"},
		{"package.json twice", "", []File{{Path: "package.json"}}, "package.json is given twice"},
		{"duplicate", "", []File{{Path: "a.json"}, {Path: "a.json"}}, "a.json is given twice"},
		{"case clash", "", []File{{Path: "A.json"}, {Path: "a.json"}}, "differ only in case"},
		{"case clash with package.json", "", []File{{Path: "Package.json"}}, "differ only in case"},
		{"file and dir", "", []File{{Path: "a"}, {Path: "a/b.json"}}, "both a file and the directory"},
		{"file and dir, case", "", []File{{Path: "A"}, {Path: "a/b.json"}}, "both a file and the directory"},
		{"empty path", "", []File{{Path: ""}}, "empty path"},
		{"absolute", "", []File{{Path: "/etc/passwd"}}, "absolute"},
		{"dot dot", "", []File{{Path: "../x"}}, "not a clean relative path"},
		{"inner dot dot", "", []File{{Path: "a/../../x"}}, "not a clean relative path"},
		{"dot", "", []File{{Path: "./a"}}, "not a clean relative path"},
		{"double slash", "", []File{{Path: "a//b"}}, "not a clean relative path"},
		{"trailing slash", "", []File{{Path: "a/"}}, "not a clean relative path"},
		{"backslash", "", []File{{Path: `a\b`}}, "backslash"},
		{"control", "", []File{{Path: "a\nb"}}, "control character"},
		{"bad utf-8", "", []File{{Path: "a\xffb"}}, "UTF-8"},
	} {
		d := doc
		if tc.doc != "" {
			d = []byte(tc.doc)
		}
		_, err := Build(d, tc.files)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Build = %v, want an error about %q", tc.label, err, tc.want)
		}
	}
}
