package source

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/testenv"
)

func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, data := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func paths(es []engine.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Path)
	}
	return out
}

func TestDirFollowsLinksAndSaysWhatItSkips(t *testing.T) {
	tmp := t.TempDir()
	real := filepath.Join(tmp, "real")
	write(t, real, map[string]string{
		"a.json":                 "{}",
		"sub/b.json":             "{}",
		"node_modules/x/c.json":  "{}",
		".git/config":            "x",
		".vscode/settings.json":  "{}",
		"elsewhere/shared.json":  "{}",
		"elsewhere/deep/d.ckbk":  "{}",
		"elsewhere/deep/e.json.": "{}",
	})
	symlink(t, filepath.Join(real, "a.json"), filepath.Join(real, "link-to-file.json"))
	symlink(t, filepath.Join(real, "elsewhere"), filepath.Join(real, "sub", "linked-dir"))
	symlink(t, real, filepath.Join(real, "sub", "loop"))           // back to the root
	symlink(t, "missing.json", filepath.Join(real, "broken.json")) // listed, fails on read
	if err := syscall.Mkfifo(filepath.Join(real, "pipe.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The root itself is reached through a link.
	root := filepath.Join(tmp, "root-link")
	symlink(t, real, root)

	d, err := NewDir(root, "given/root")
	if err != nil {
		t.Fatal(err)
	}
	es, err := d.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		".vscode/settings.json", "a.json", "broken.json",
		"elsewhere/deep/d.ckbk", "elsewhere/deep/e.json.", "elsewhere/shared.json",
		"link-to-file.json", "sub/b.json",
		"sub/linked-dir/deep/d.ckbk", "sub/linked-dir/deep/e.json.", "sub/linked-dir/shared.json",
	}
	if diff := cmp.Diff(want, paths(es)); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	for _, e := range es {
		if e.Name != filepath.Join("given/root", e.Path) {
			t.Errorf("name %q for %q", e.Name, e.Path)
		}
	}
	notes := strings.Join(d.Notes(), "\n")
	for _, w := range []string{"given/root/.git was not searched", "given/root/node_modules was not searched", "given/root/sub/loop links back", "given/root/pipe.json is not a regular file"} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes lack %q:\n%s", w, notes)
		}
	}
	if data, err := d.Read(context.Background(), "sub/linked-dir/shared.json"); err != nil || string(data) != "{}" {
		t.Errorf("read through a linked directory: %q %v", data, err)
	}
	if _, err := d.Read(context.Background(), "broken.json"); err == nil || !strings.Contains(err.Error(), "given/root/broken.json: it is a symbolic link to missing.json, which does not exist") {
		t.Errorf("broken link: %v", err)
	}
	if _, err := d.Read(context.Background(), "../outside"); err == nil {
		t.Error("read outside the tree")
	}
}

func TestDirSingleFile(t *testing.T) {
	tmp := t.TempDir()
	write(t, tmp, map[string]string{"x.json": `{"a": 1}`})
	symlink(t, filepath.Join(tmp, "x.json"), filepath.Join(tmp, "link.json"))
	d, err := NewDir(filepath.Join(tmp, "link.json"), "link.json")
	if err != nil {
		t.Fatal(err)
	}
	es, err := d.List(context.Background())
	if err != nil || !d.IsFile() || len(es) != 1 || es[0].Name != "link.json" {
		t.Fatalf("%v %v %v", es, err, d.IsFile())
	}
	if data, err := d.Read(context.Background(), es[0].Path); err != nil || string(data) != `{"a": 1}` {
		t.Errorf("read %q %v", data, err)
	}
	if _, err := NewDir(filepath.Join(tmp, "nope"), "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing root: %v", err)
	}
}

// gitRepo makes a repository with one commit on main holding files.
func gitRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	repo := t.TempDir()
	write(t, repo, files)
	testenv.Git(t, repo, "init", "-q", "-b", "main")
	testenv.Git(t, repo, "add", ".")
	testenv.Git(t, repo, "commit", "-qm", "base")
	return repo
}

func TestGitReadsARef(t *testing.T) {
	repo := gitRepo(t, map[string]string{"exports/a.json": `{"v": 1}`, "exports/sub/b.json": "{}", "other/c.json": "{}", "common/s.json": `{"s": 1}`})
	symlink(t, "a.json", filepath.Join(repo, "exports", "link.json"))
	symlink(t, "../common", filepath.Join(repo, "exports", "common"))
	symlink(t, "link.json", filepath.Join(repo, "exports", "chain.json")) // a link to a link
	symlink(t, "loop.json", filepath.Join(repo, "exports", "loop.json"))  // a link to itself
	testenv.Git(t, repo, "add", ".")
	testenv.Git(t, repo, "commit", "-qm", "links")
	// The working tree moves on; the ref keeps what was committed.
	write(t, repo, map[string]string{"exports/a.json": `{"v": 2}`})

	g, err := NewGit(context.Background(), filepath.Join(repo, "exports"), "exports", "main")
	if err != nil {
		t.Fatal(err)
	}
	es, err := g.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.json", "chain.json", "common/s.json", "link.json", "sub/b.json"}, paths(es)); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if !strings.Contains(strings.Join(g.Notes(), "\n"), "exports/loop.json links to loop.json") {
		t.Errorf("the loop is not noted: %q", g.Notes())
	}
	if es[0].Name != "main:exports/a.json" || len(es[0].Blob) != 40 || es[0].Blob != es[3].Blob || es[1].Blob != es[0].Blob {
		t.Errorf("entries %+v", es[:2])
	}
	for p, want := range map[string]string{"a.json": `{"v": 1}`, "link.json": `{"v": 1}`, "chain.json": `{"v": 1}`, "common/s.json": `{"s": 1}`} {
		if data, err := g.Read(context.Background(), p); err != nil || string(data) != want {
			t.Errorf("%s = %q, %v; want %q", p, data, err, want)
		}
	}
	if !strings.Contains(g.String(), "exports at main (") {
		t.Errorf("String() = %q", g)
	}

	// A single file.
	f, err := NewGit(context.Background(), filepath.Join(repo, "exports", "a.json"), "exports/a.json", "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	if es, err := f.List(context.Background()); err != nil || len(es) != 1 || es[0].Path != "a.json" {
		t.Errorf("single file: %+v %v", es, err)
	}
}

// Packed objects, revisions relative to a ref, annotated tags and linked
// worktrees read as git reads them.
func TestGitReadsPackedRepositoriesAndWorktrees(t *testing.T) {
	repo := gitRepo(t, map[string]string{"exports/a.json": `{"v": 1}`})
	testenv.Git(t, repo, "tag", "-a", "-m", "first", "v1")
	write(t, repo, map[string]string{"exports/a.json": `{"v": 2}`})
	testenv.Git(t, repo, "commit", "-qam", "second")
	testenv.Git(t, repo, "gc", "-q")
	linked := filepath.Join(t.TempDir(), "linked")
	testenv.Git(t, repo, "worktree", "add", "-q", "--detach", linked)
	for _, tc := range []struct{ dir, ref, want string }{
		{repo, "main", `{"v": 2}`},
		{repo, "HEAD~1", `{"v": 1}`},
		{repo, "v1", `{"v": 1}`},
		{linked, "main~1", `{"v": 1}`},
		{filepath.Join(linked, "exports"), "HEAD", `{"v": 2}`},
	} {
		g, err := NewGit(context.Background(), tc.dir, "dir", tc.ref)
		if err != nil {
			t.Errorf("%s at %s: %v", tc.dir, tc.ref, err)
			continue
		}
		if _, err := g.List(context.Background()); err != nil {
			t.Fatal(err)
		}
		p := "exports/a.json"
		if strings.HasSuffix(tc.dir, "exports") {
			p = "a.json"
		}
		if data, err := g.Read(context.Background(), p); err != nil || string(data) != tc.want {
			t.Errorf("%s at %s: %q, %v; want %q", tc.dir, tc.ref, data, err, tc.want)
		}
	}
}

// A ref can never become an option, and git's errors name the ref and the
// path.
func TestGitRefsAreNotOptions(t *testing.T) {
	repo := gitRepo(t, map[string]string{"a.json": "{}"})
	marker := filepath.Join(t.TempDir(), "written")
	for _, ref := range []string{"--output=" + marker, "-h", "", "main\n--all", "no-such-branch", "main:a.json"} {
		_, err := NewGit(context.Background(), repo, "exports", ref)
		if err == nil {
			t.Errorf("ref %q was accepted", ref)
			continue
		}
		if ref != "" && !strings.Contains(err.Error(), "--base-ref") {
			t.Errorf("ref %q: error %q does not name --base-ref", ref, err)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a ref became a git option")
	}
	if _, err := NewGit(context.Background(), t.TempDir(), "not-a-repo", "main"); err == nil || !strings.Contains(err.Error(), "not-a-repo is not in a git repository") {
		t.Errorf("outside a repository: %v", err)
	}
}

func TestGitHubTree(t *testing.T) {
	fake := githubtest.New(t)
	repo := fake.AddRepo("o", "r")
	sha := repo.Commit(nil, map[string][]byte{"exports/a.json": []byte(`{"a": 1}`), "README.md": []byte("x")})
	client, err := githubapi.New(fake.URL, "token", githubapi.WithRetryPolicy(githubapi.RetryPolicy{Attempts: 1}))
	if err != nil {
		t.Fatal(err)
	}
	r := githubapi.Repo{Owner: "o", Name: "r"}
	g := NewGitHub(client, r, sha, t.TempDir())
	es, err := g.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"README.md", "exports/a.json"}, paths(es)); diff != "" {
		t.Errorf("paths (-want +got):\n%s", diff)
	}
	if data, err := g.Read(context.Background(), "exports/a.json"); err != nil || string(data) != `{"a": 1}` {
		t.Errorf("read %q %v", data, err)
	}

	// A file the commit does not have is fs.ErrNotExist, as in a
	// directory (config.Find relies on it), and still GitHub's 404.
	_, err = g.Read(context.Background(), "missing.json")
	if !errors.Is(err, fs.ErrNotExist) || !githubapi.IsNotFound(err) || err.Error() != "missing.json does not exist in o/r@"+sha[:7] {
		t.Errorf("a missing file: %v", err)
	}
	// A file the API cannot serve is an error naming it.
	fake.Fail(githubtest.Fault{Operation: "repos/get-content", Times: 1, Status: http.StatusForbidden, Body: `{"message":"This API returns blobs up to 100 MB in size."}`})
	if _, err := g.Read(context.Background(), "exports/a.json"); err == nil || !strings.Contains(err.Error(), "exports/a.json cannot be compared") {
		t.Errorf("err = %v", err)
	}
	// A link's blob is its text, not its target's content: it gets no
	// Blob, so an unchanged link to a changed file counts as changed.
	body, _ := json.Marshal(map[string]any{"sha": sha, "truncated": false, "tree": []any{
		map[string]any{"path": "exports/a.json", "mode": "100644", "type": "blob", "sha": strings.Repeat("a", 40), "size": 8},
		map[string]any{"path": "exports/b.json", "mode": "120000", "type": "blob", "sha": strings.Repeat("b", 40), "size": 6},
	}})
	fake.Fail(githubtest.Fault{Operation: "git/get-tree", Times: 1, Status: http.StatusOK, Body: string(body)})
	es, err = g.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	blobs := map[string]string{}
	for _, e := range es {
		blobs[e.Path] = e.Blob
	}
	if diff := cmp.Diff(map[string]string{"exports/a.json": strings.Repeat("a", 40), "exports/b.json": ""}, blobs); diff != "" {
		t.Errorf("blobs (-want +got):\n%s", diff)
	}
	// A listing GitHub cut short is an error, never a shorter list.
	body, _ = json.Marshal(map[string]any{"sha": sha, "truncated": true, "tree": []any{}})
	fake.Fail(githubtest.Fault{Operation: "git/get-tree", Times: 1, Status: http.StatusOK, Body: string(body)})
	if _, err := g.List(context.Background()); err == nil || !strings.Contains(err.Error(), "cut the file listing of o/r@"+sha[:7]+" short") {
		t.Errorf("err = %v", err)
	}
}

// What a release reads of a local repository — tags, a commit's time, the
// v-tag at HEAD, the GitHub origin — reads as git reports it, from packed
// and loose refs, annotated and lightweight tags, in a linked worktree too.
func TestGitReleaseReads(t *testing.T) {
	ctx := context.Background()
	repo := gitRepo(t, map[string]string{"a.json": `{"v": 1}`})
	testenv.Git(t, repo, "tag", "-a", "-m", "first", "v1.0.0")
	testenv.Git(t, repo, "tag", "not-a-version")
	testenv.Git(t, repo, "gc", "-q") // packs the refs so far
	write(t, repo, map[string]string{"a.json": `{"v": 2}`})
	testenv.Git(t, repo, "commit", "-qam", "second")
	testenv.Git(t, repo, "tag", "v2.0.0-light")
	testenv.Git(t, repo, "tag", "-a", "-m", "second", "v2.0.0")
	testenv.Git(t, repo, "remote", "add", "origin", "git@github.com:acme-corp/integrations.git")
	linked := filepath.Join(t.TempDir(), "linked")
	testenv.Git(t, repo, "worktree", "add", "-q", "--detach", linked)

	for _, dir := range []string{repo, linked} {
		var want []Tag
		for _, line := range strings.Split(strings.TrimSpace(testenv.GitOutput(t, dir, "for-each-ref", "--format=%(refname:strip=2) %(*objectname)%(objectname)", "refs/tags")), "\n") {
			name, ids, _ := strings.Cut(line, " ")
			want = append(want, Tag{Name: name, Commit: ids[:40]})
		}
		got, err := GitTags(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" || len(got) != 4 {
			t.Errorf("%s: tags (-git +got):\n%s", dir, diff)
		}
		sha, at, err := GitCommit(ctx, dir, "v1.0.0")
		wantSHA := strings.TrimSpace(testenv.GitOutput(t, dir, "rev-parse", "v1.0.0^{commit}"))
		if err != nil || sha != wantSHA {
			t.Errorf("%s: v1.0.0 is %s, %v; want %s", dir, sha, err, wantSHA)
		}
		wantAt, err := time.Parse(time.RFC3339, strings.TrimSpace(testenv.GitOutput(t, dir, "log", "-1", "--format=%cI", "HEAD")))
		if err != nil {
			t.Fatal(err)
		}
		if _, at, err = GitCommit(ctx, dir, ""); err != nil || !at.Equal(wantAt) || at.Location() != time.UTC {
			t.Errorf("%s: HEAD's committer time %v, %v; want %v in UTC", dir, at, err, wantAt)
		}
		// Of two v-tags at HEAD, git describe names the annotated one.
		if got := GitVersionTag(ctx, dir); got != "v2.0.0" {
			t.Errorf("%s: the v-tag at HEAD is %q, want v2.0.0", dir, got)
		}
		if got := GitHubOrigin(ctx, dir); got != "acme-corp/integrations" {
			t.Errorf("%s: origin %q", dir, got)
		}
	}
	if _, _, err := GitCommit(ctx, repo, "v9"); err == nil || !strings.Contains(err.Error(), `"v9" is not a commit`) {
		t.Errorf("an unknown ref: %v", err)
	}
	if got := GitVersionTag(ctx, t.TempDir()); got != "" {
		t.Errorf("outside a repository: %q", got)
	}
}
