package npmpkg

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReadRoundTrip(t *testing.T) {
	doc := testPackageJSON(t)
	tb, err := Build(doc, testFiles())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ReadBytes(tb.Data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.PackageJSON, doc) {
		t.Errorf("package.json read back differs:\n%s", c.PackageJSON)
	}
	if d := cmp.Diff(testManifest(), c.Manifest); d != "" {
		t.Errorf("manifest (-want +got):\n%s", d)
	}
	if d := cmp.Diff(fileMap(testFiles()), fileMap(c.Files)); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
	// Built again from what was read, the tarball is the same.
	again, err := Build(c.PackageJSON, c.Files)
	if err != nil {
		t.Fatal(err)
	}
	if again.Integrity != tb.Integrity {
		t.Error("rebuilding from the read contents changed the tarball")
	}
}

// entry is one tar entry of a hand-made tarball.
type entry struct {
	hdr  tar.Header
	data string
}

func reg(name, data string) entry {
	return entry{tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0)}, data}
}

const okPackageJSON = `{"name":"@acme/x","version":"1.0.0"}`

// makeTGZ writes entries as a gzip-compressed tar, then applies edit to the
// tar bytes before compressing (nil leaves them alone).
func makeTGZ(t testing.TB, entries []entry, edit func([]byte) []byte) []byte {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range entries {
		hdr := e.hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := raw.Bytes()
	if edit != nil {
		b = edit(b)
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b) //nolint:errcheck // bytes.Buffer does not fail
	zw.Close()  //nolint:errcheck
	return out.Bytes()
}

func TestReadAcceptsNPMShapes(t *testing.T) {
	// Directory entries and a global PAX header (other tools write them) are
	// allowed; zero padding after the archive too.
	tgz := makeTGZ(t, []entry{
		{tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "x"}}, ""},
		{tar.Header{Typeflag: tar.TypeDir, Name: "package/", Mode: 0o755}, ""},
		{tar.Header{Typeflag: tar.TypeDir, Name: "package/lib/", Mode: 0o755}, ""},
		reg("package/lib/a.json", "{}"),
		reg("package/package.json", okPackageJSON),
	}, func(b []byte) []byte { return append(b, make([]byte, 8192)...) })
	c, err := ReadBytes(tgz, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Files) != 1 || c.Files[0].Path != "lib/a.json" || c.Manifest.Name != "@acme/x" {
		t.Errorf("read %+v", c)
	}
}

func TestReadRejects(t *testing.T) {
	pj := reg("package/package.json", okPackageJSON)
	gz := func(b []byte) []byte {
		var out bytes.Buffer
		zw := gzip.NewWriter(&out)
		zw.Write(b) //nolint:errcheck
		zw.Close()  //nolint:errcheck
		return out.Bytes()
	}
	good := makeTGZ(t, []entry{pj}, nil)
	for _, tc := range []struct {
		label string
		tgz   []byte
		lim   Limits
		want  string
	}{
		{"not gzip", []byte("package/package.json"), Limits{}, "not gzip-compressed"},
		{"empty", nil, Limits{}, "not gzip-compressed"},
		{"truncated", good[:len(good)-10], Limits{}, "unexpected EOF"},
		{"bad checksum", func() []byte {
			b := bytes.Clone(good)
			b[len(b)-8] ^= 0xff
			return b
		}(), Limits{}, "checksum"},
		{"trailing gzip data", append(bytes.Clone(good), good...), Limits{}, "after the end of the gzip stream"},
		{"trailing tar data", makeTGZ(t, []entry{pj}, func(b []byte) []byte { return append(b, "junk"...) }), Limits{}, "after the end of the tar archive"},
		{"not tar", gz([]byte(strings.Repeat("x", 1024))), Limits{}, "reading entry 1"},
		{"no package.json", makeTGZ(t, []entry{reg("package/a.json", "{}")}, nil), Limits{}, "no package/package.json"},
		{"package.json not an object", makeTGZ(t, []entry{reg("package/package.json", "[1]")}, nil), Limits{}, "not a JSON object"},
		{"outside package/", makeTGZ(t, []entry{pj, reg("other/a.json", "{}")}, nil), Limits{}, `"other/a.json" is not under package/`},
		{"bare package", makeTGZ(t, []entry{pj, reg("package", "{}")}, nil), Limits{}, "not under package/"},
		{"dot dot", makeTGZ(t, []entry{pj, reg("package/../../etc/x", "{}")}, nil), Limits{}, "not a clean relative path"},
		{"absolute", makeTGZ(t, []entry{pj, reg("/package/a", "{}")}, nil), Limits{}, "not under package/"},
		{"dir outside", makeTGZ(t, []entry{pj, {tar.Header{Typeflag: tar.TypeDir, Name: "package/../x/"}, ""}}, nil), Limits{}, "not a clean relative path"},
		{"symlink", makeTGZ(t, []entry{pj, {tar.Header{Typeflag: tar.TypeSymlink, Name: "package/a", Linkname: "/etc/passwd"}, ""}}, nil), Limits{}, "not a regular file"},
		{"hard link", makeTGZ(t, []entry{pj, {tar.Header{Typeflag: tar.TypeLink, Name: "package/a", Linkname: "package/package.json"}, ""}}, nil), Limits{}, "not a regular file"},
		{"device", makeTGZ(t, []entry{pj, {tar.Header{Typeflag: tar.TypeChar, Name: "package/a"}, ""}}, nil), Limits{}, "not a regular file"},
		{"twice", makeTGZ(t, []entry{pj, reg("package/a", "1"), reg("package/a", "2")}, nil), Limits{}, "appears twice"},
		{"package.json twice", makeTGZ(t, []entry{pj, pj}, nil), Limits{}, "appears twice"},
		{"case clash", makeTGZ(t, []entry{pj, reg("package/A", "1"), reg("package/a", "2")}, nil), Limits{}, "differ only in case"},
		{"file and dir", makeTGZ(t, []entry{pj, reg("package/a", "1"), reg("package/a/b", "2")}, nil), Limits{}, "both a file and the directory"},
		{"too many files", makeTGZ(t, []entry{pj, reg("package/a", "1"), reg("package/b", "2")}, nil), Limits{MaxFiles: 2}, "more than 2 entries"},
		{"too large", makeTGZ(t, []entry{pj, reg("package/a", strings.Repeat("x", 100))}, nil), Limits{MaxUnpackedSize: 100}, "exceeds 100 bytes at a"},
	} {
		_, err := ReadBytes(tc.tgz, tc.lim)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Read = %v, want an error about %q", tc.label, err, tc.want)
		}
	}
}

func TestReadStopsAtTheLimitBeforeAllocating(t *testing.T) {
	// A header claiming 8 GiB must fail on the claim, not on allocation.
	hdr := tar.Header{Typeflag: tar.TypeReg, Name: "package/big", Mode: 0o644, Size: 8 << 30}
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	if err := tw.WriteHeader(&hdr); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(raw.Bytes()) //nolint:errcheck
	zw.Close()            //nolint:errcheck
	_, err := ReadBytes(out.Bytes(), Limits{})
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("Read = %v, want the size limit", err)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadReportsReaderErrors(t *testing.T) {
	_, err := Read(failingReader{}, Limits{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("Read = %v", err)
	}
}

// FuzzRead feeds Read arbitrary bytes: it must never panic or exceed its
// limits, and whatever it accepts must survive a rebuild unchanged.
func FuzzRead(f *testing.F) {
	doc, err := testManifest().JSON()
	if err != nil {
		f.Fatal(err)
	}
	tb, err := Build(doc, testFiles())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tb.Data)
	f.Add(makeTGZ(f, []entry{reg("package/package.json", okPackageJSON), reg("package/a/b.json", "{}")}, nil))
	f.Add(makeTGZ(f, []entry{reg("package/package.json", okPackageJSON), {tar.Header{Typeflag: tar.TypeSymlink, Name: "package/l", Linkname: "x"}, ""}}, nil))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255})
	f.Fuzz(func(t *testing.T, tgz []byte) { checkRead(t, tgz) })
}

// FuzzReadTar fuzzes the tar archive under an intact gzip stream, which
// FuzzRead rarely gets past: paths, entry types, sizes, PAX records.
func FuzzReadTar(f *testing.F) {
	doc, err := testManifest().JSON()
	if err != nil {
		f.Fatal(err)
	}
	tb, err := Build(doc, testFiles())
	if err != nil {
		f.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(tb.Data))
	if err != nil {
		f.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	ungzip := func(tgz []byte) []byte {
		zr, _ := gzip.NewReader(bytes.NewReader(tgz))
		b, _ := io.ReadAll(zr)
		return b
	}
	f.Add(ungzip(makeTGZ(f, []entry{reg("package/package.json", okPackageJSON), {tar.Header{Typeflag: tar.TypeDir, Name: "package/a/"}, ""}, reg("package/a/b", "x")}, nil)))
	f.Add(ungzip(makeTGZ(f, []entry{reg("package/package.json", okPackageJSON), {tar.Header{Typeflag: tar.TypeLink, Name: "package/l", Linkname: "package/package.json"}, ""}}, nil)))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(raw) //nolint:errcheck // bytes.Buffer does not fail
		zw.Close()    //nolint:errcheck
		checkRead(t, buf.Bytes())
	})
}

// checkRead is the property both fuzzers check: Read never exceeds its
// limits or accepts a bad path, and what it accepts survives a rebuild.
func checkRead(t *testing.T, tgz []byte) {
	lim := Limits{MaxUnpackedSize: 1 << 20, MaxFiles: 1000}
	{
		c, err := ReadBytes(tgz, lim)
		if err != nil {
			if c != nil {
				t.Fatal("contents returned with an error")
			}
			return
		}
		var size int64 = int64(len(c.PackageJSON))
		for _, f := range c.Files {
			size += int64(len(f.Data))
			if err := checkPath(f.Path); err != nil {
				t.Fatalf("accepted path: %v", err)
			}
		}
		if size > lim.MaxUnpackedSize || len(c.Files)+1 > lim.MaxFiles {
			t.Fatalf("read %d bytes in %d files, beyond the limits", size, len(c.Files)+1)
		}
		if ValidateScopedName(c.Manifest.Name) != nil || ValidateVersion(c.Manifest.Version) != nil {
			return // Build refuses what npm would; Read reads it all the same
		}
		rebuilt, err := Build(c.PackageJSON, c.Files)
		if err != nil {
			t.Fatalf("Read accepted what Build refuses: %v", err)
		}
		again, err := ReadBytes(rebuilt.Data, lim)
		if err != nil {
			t.Fatalf("reading the rebuilt tarball: %v", err)
		}
		if !bytes.Equal(again.PackageJSON, c.PackageJSON) || !cmp.Equal(fileMap(again.Files), fileMap(c.Files)) {
			t.Fatal("rebuild changed the contents")
		}
	}
}

func fileMap(files []File) map[string]string {
	m := make(map[string]string, len(files))
	for _, f := range files {
		m[f.Path] = string(f.Data)
	}
	return m
}
