package source

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
)

// exportFiles are n small files under exports/ and a README.
func exportFiles(n int) map[string][]byte {
	files := map[string][]byte{"README.md": []byte("# exports\n")}
	for i := range n {
		files[fmt.Sprintf("exports/e%02d.json", i)] = []byte(fmt.Sprintf(`{"n": %d}`, i))
	}
	return files
}

func fakeClient(t *testing.T, fake *githubtest.Fake) *githubapi.Client {
	t.Helper()
	policy := githubapi.DefaultRetryPolicy()
	policy.Sleep = func(context.Context, time.Duration) error { return nil }
	client, err := githubapi.New(fake.URL, "token", githubapi.WithRetryPolicy(policy))
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func operations(fake *githubtest.Fake) []string {
	var out []string
	for _, r := range fake.Requests() {
		out = append(out, r.Operation)
	}
	return out
}

// readAll reads paths from a tree read ahead for them.
func readAll(t *testing.T, g *GitHub, paths []string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	if err := g.ReadAhead(ctx, paths); err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, p := range paths {
		data, err := g.Read(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = data
	}
	return out
}

// A handful of files are read one request each; more come from one
// archive, whatever their number, and read back from disk.
func TestGitHubReadsInBulk(t *testing.T) {
	for _, n := range []int{1, ContentsLimit, ContentsLimit + 1, 60} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			fake := githubtest.New(t)
			files := exportFiles(n)
			sha := fake.AddRepo("o", "r").Commit(nil, files)
			tmp := t.TempDir()
			g := NewGitHub(fakeClient(t, fake), githubapi.Repo{Owner: "o", Name: "r"}, sha, tmp)
			es, err := g.List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			var wanted []string
			for _, e := range es {
				if strings.HasPrefix(e.Path, "exports/") {
					wanted = append(wanted, e.Path)
				}
			}
			got := readAll(t, g, wanted)
			want := maps.Clone(files)
			delete(want, "README.md")
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			wantOps := []string{"git/get-tree", "repos/download-tarball-archive"}
			if n <= ContentsLimit {
				wantOps = append(wantOps[:1], slices.Repeat([]string{"repos/get-content"}, n)...)
			}
			if diff := cmp.Diff(wantOps, operations(fake)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if got := len(operations(fake)) - 1; got != Requests(n) {
				t.Errorf("Requests(%d) = %d, the reads took %d", n, Requests(n), got)
			}
			if err := g.Close(); err != nil {
				t.Fatal(err)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("Close left %d entries in the temporary directory", len(left))
			}
		})
	}
}

// A download that breaks off midway is started over; the files are whole.
func TestGitHubArchiveDownloadStartsOver(t *testing.T) {
	fake := githubtest.New(t)
	files := exportFiles(20)
	sha := fake.AddRepo("o", "r").Commit(nil, files)
	fake.BreakDownloads(1)
	g := NewGitHub(fakeClient(t, fake), githubapi.Repo{Owner: "o", Name: "r"}, sha, t.TempDir())
	defer g.Close()
	paths := slices.Sorted(maps.Keys(files))
	got := readAll(t, g, paths)
	if diff := cmp.Diff(files, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if n := len(fake.Downloads()); n != 2 {
		t.Errorf("%d downloads, want 2", n)
	}
}

// archiveAPI serves one handmade archive, and contents from files.
type archiveAPI struct {
	archive  []byte
	files    map[string][]byte
	tree     []githubapi.TreeEntry
	contents []string // paths read through the contents API
}

func (a *archiveAPI) Tree(context.Context, githubapi.Repo, string) ([]githubapi.TreeEntry, bool, error) {
	return a.tree, false, nil
}

func (a *archiveAPI) FileContent(_ context.Context, _ githubapi.Repo, p, _ string) ([]byte, error) {
	a.contents = append(a.contents, p)
	data, ok := a.files[p]
	if !ok {
		return nil, fmt.Errorf("no %s", p)
	}
	return data, nil
}

func (a *archiveAPI) Tarball(_ context.Context, _ githubapi.Repo, _ string, read func(io.Reader) error) error {
	return read(bytes.NewReader(a.archive))
}

type tarEntry struct {
	hdr  tar.Header
	data string
}

func makeArchive(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := e.hdr
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeReg {
			h.Size, h.Mode = int64(len(e.data)), 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.data); err != nil && h.Typeflag == tar.TypeReg {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const commit = "0123456789abcdef0123456789abcdef01234567"

func globalHeader(sha string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": sha}}}
}

// What the archive does not hold as a file — a link, a file it leaves out
// (export-ignore) — is read through the contents API; an archive of
// another commit, or with entries outside its directory, is an error.
func TestGitHubArchiveEdges(t *testing.T) {
	ctx := context.Background()
	wanted := []string{"a/1.json", "a/2.json", "a/3.json", "a/4.json", "a/5.json", "a/6.json", "a/7.json", "a/8.json", "a/link.json", "a/ignored.json"}
	var entries []tarEntry
	entries = append(entries, globalHeader(commit), tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "o-r-0123456/"}})
	for _, p := range wanted[:8] {
		entries = append(entries, tarEntry{hdr: tar.Header{Name: "o-r-0123456/" + p}, data: p})
	}
	entries = append(entries, tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "o-r-0123456/a/link.json", Linkname: "1.json"}},
		tarEntry{hdr: tar.Header{Name: "o-r-0123456/a/unwanted.json"}, data: "x"})
	api := &archiveAPI{archive: makeArchive(t, entries...), files: map[string][]byte{"a/link.json": []byte("a/1.json"), "a/ignored.json": []byte("ignored")}}
	g := NewGitHub(api, githubapi.Repo{Owner: "o", Name: "r"}, commit, t.TempDir())
	defer g.Close()
	if err := g.ReadAhead(ctx, wanted); err != nil {
		t.Fatal(err)
	}
	for _, p := range wanted {
		data, err := g.Read(ctx, p)
		want := map[string]string{"a/ignored.json": "ignored", "a/link.json": "a/1.json" /* the target's, as GitHub serves a link */}[p]
		if want == "" {
			want = p
		}
		if err != nil || string(data) != want {
			t.Errorf("%s = %q, %v; want %q", p, data, err, want)
		}
	}
	if diff := cmp.Diff([]string{"a/link.json", "a/ignored.json"}, api.contents); diff != "" {
		t.Errorf("contents requests (-want +got):\n%s", diff)
	}

	for name, bad := range map[string][]tarEntry{
		"the archive is of commit": {globalHeader(strings.Repeat("f", 40)), {hdr: tar.Header{Name: "o-r-fffffff/a/1.json"}, data: "x"}},
		"outside its directory":    {globalHeader(commit), {hdr: tar.Header{Name: "o-r-0123456/a/1.json"}, data: "x"}, {hdr: tar.Header{Name: "elsewhere/a/2.json"}, data: "x"}},
	} {
		g := NewGitHub(&archiveAPI{archive: makeArchive(t, bad...)}, githubapi.Repo{Owner: "o", Name: "r"}, commit, t.TempDir())
		if err := g.ReadAhead(ctx, wanted); err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "o/r@0123456") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	g = NewGitHub(&archiveAPI{archive: []byte("not gzip")}, githubapi.Repo{Owner: "o", Name: "r"}, commit, t.TempDir())
	if err := g.ReadAhead(ctx, wanted); err == nil || !strings.Contains(err.Error(), "not gzip-compressed") {
		t.Errorf("garbage: err = %v", err)
	}
}

// FuzzArchive: whatever the bytes, unpacking ends with an error or with
// files that are among the wanted ones and inside the directory.
func FuzzArchive(f *testing.F) {
	f.Add(makeArchive(f, globalHeader(commit), tarEntry{hdr: tar.Header{Name: "o-r-0123456/a/1.json"}, data: "{}"}))
	f.Add(makeArchive(f, tarEntry{hdr: tar.Header{Name: "o-r-0123456/../a/1.json"}, data: "{}"}))
	f.Add([]byte("\x1f\x8b\x08\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		a, err := newArchive(dir, []string{"a/1.json", "../a/1.json", "a/2.json"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.unpack(bytes.NewReader(data), commit); err != nil {
			return
		}
		for p, name := range a.files {
			if !a.wanted[p] || !strings.HasPrefix(name, a.dir+string(os.PathSeparator)) {
				t.Errorf("kept %q as %q", p, name)
			}
		}
	})
}

// A path the archive holds twice (tar's later entry wins) must not make
// the next file's temporary name collide with one already written.
func TestArchiveHoldsAPathTwice(t *testing.T) {
	a, err := newArchive(t.TempDir(), []string{"a/1.json", "a/2.json"})
	if err != nil {
		t.Fatal(err)
	}
	data := makeArchive(t, globalHeader(commit),
		tarEntry{hdr: tar.Header{Name: "o-r-0123456/a/1.json"}, data: "old"},
		tarEntry{hdr: tar.Header{Name: "o-r-0123456/a/1.json"}, data: "new"},
		tarEntry{hdr: tar.Header{Name: "o-r-0123456/a/2.json"}, data: "two"})
	if err := a.unpack(bytes.NewReader(data), commit); err != nil {
		t.Fatalf("unpack: %v", err)
	}
	for p, want := range map[string]string{"a/1.json": "new", "a/2.json": "two"} {
		got, ok, err := a.read(p)
		if err != nil || !ok || string(got) != want {
			t.Errorf("read(%s) = %q, %v, %v; want %q", p, got, ok, err, want)
		}
	}
}

// An archive's file whose bytes are not the listed blob's (git archive
// applied an eol or export-subst attribute) is read through the contents
// API, as the blob is: a side must not depend on the way it was read.
func TestGitHubArchiveRewroteAFile(t *testing.T) {
	ctx := context.Background()
	blobID := func(data string) string { return plumbing.ComputeHash(plumbing.BlobObject, []byte(data)).String() }
	api := &archiveAPI{files: map[string][]byte{"a/crlf.json": []byte("{\n}\n")}}
	entries := []tarEntry{globalHeader(commit)}
	var paths []string
	for i := range ContentsLimit + 1 {
		p, data := fmt.Sprintf("a/%d.json", i), fmt.Sprintf("{\"n\": %d}\n", i)
		if i == 0 {
			p, data = "a/crlf.json", "{\n}\n"
		}
		archived := data
		if i == 0 {
			archived = "{\r\n}\r\n"
		}
		paths = append(paths, p)
		api.tree = append(api.tree, githubapi.TreeEntry{Path: p, SHA: blobID(data), Size: len(data)})
		entries = append(entries, tarEntry{hdr: tar.Header{Name: "o-r-0123456/" + p}, data: archived})
	}
	api.archive = makeArchive(t, entries...)
	g := NewGitHub(api, githubapi.Repo{Owner: "o", Name: "r"}, commit, t.TempDir())
	defer g.Close()
	if _, err := g.List(ctx); err != nil {
		t.Fatal(err)
	}
	if err := g.ReadAhead(ctx, paths); err != nil {
		t.Fatal(err)
	}
	for _, e := range api.tree {
		data, err := g.Read(ctx, e.Path)
		if err != nil || blobID(string(data)) != e.SHA {
			t.Errorf("%s = %q, %v: not the listed blob", e.Path, data, err)
		}
	}
	if diff := cmp.Diff([]string{"a/crlf.json"}, api.contents); diff != "" {
		t.Errorf("contents requests (-want +got):\n%s", diff)
	}
}
