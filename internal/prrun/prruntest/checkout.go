package prruntest

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/testenv"
)

// Checkout is what the job's workspace holds before the action runs.
type Checkout int

const (
	// NoCheckout: no actions/checkout step, the workspace is empty.
	NoCheckout Checkout = iota
	// FullCheckout: actions/checkout with fetch-depth: 0, every branch's
	// history and the pull request's merge commit.
	FullCheckout
	// ShallowCheckout: actions/checkout's default, the pull request's merge
	// commit alone (depth 1): neither the merge base nor the head is there.
	ShallowCheckout
)

func (c Checkout) String() string {
	switch c {
	case FullCheckout:
		return "full"
	case ShallowCheckout:
		return "shallow"
	}
	return "none"
}

// Checkouts are the three.
var Checkouts = []Checkout{FullCheckout, ShallowCheckout, NoCheckout}

// NewGit is New with the commits made by git, so that a real repository can
// hold them: the fake GitHub knows them by their git SHAs, a bare copy is
// served over git's smart HTTP protocol at GITHUB_SERVER_URL (as
// github.com serves repositories, asking for the job's token), and the
// workspace is checked out as actions/checkout would, per checkout.
func NewGit(t testing.TB, base, head map[string][]byte, checkout Checkout) *Scenario {
	t.Helper()
	s := newScenario(t, head)
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	testenv.Git(t, dir, "init", "-q", "-b", "main", work)
	commit := func(files map[string][]byte, msg string) string {
		t.Helper()
		testenv.Git(t, work, "rm", "-rq", "--ignore-unmatch", ".")
		WriteTree(t, work, files)
		testenv.Git(t, work, "add", "-A")
		testenv.Git(t, work, "commit", "-q", "--allow-empty", "-m", msg)
		return strings.TrimSpace(testenv.GitOutput(t, work, "rev-parse", "HEAD"))
	}
	tip := tipFiles(base)
	s.Root = commit(base, "base")
	s.Tip = commit(tip, "the base branch moves on")
	testenv.Git(t, work, "checkout", "-q", "-b", "feature", s.Root)
	s.Head = commit(head, "the pull request")
	// refs/pull/N/merge: what actions/checkout checks out for a pull request.
	testenv.Git(t, work, "checkout", "-q", "main")
	testenv.Git(t, work, "merge", "-q", "--no-ff", "-m", "merge", "feature")
	merge := strings.TrimSpace(testenv.GitOutput(t, work, "rev-parse", "HEAD"))
	testenv.Git(t, work, "update-ref", fmt.Sprintf("refs/pull/%d/head", Number), s.Head)
	testenv.Git(t, work, "update-ref", fmt.Sprintf("refs/pull/%d/merge", Number), merge)

	s.Repo.CommitAs(s.Root, nil, base)
	s.Repo.CommitAs(s.Tip, []string{s.Root}, tip)
	s.Repo.CommitAs(s.Head, []string{s.Root}, head)

	// The host: a bare mirror that, as GitHub does, lets a client fetch any
	// commit reachable from its refs by SHA.
	hosted := filepath.Join(dir, "host")
	bare := filepath.Join(hosted, Owner, Name)
	testenv.Git(t, dir, "clone", "-q", "--mirror", work, bare)
	testenv.Git(t, bare, "config", "uploadpack.allowReachableSHA1InWant", "true")
	s.GitServer = testenv.StartGitServer(t, hosted, "x-access-token", Token)
	s.Env["GITHUB_SERVER_URL"] = s.GitServer.URL

	s.Checkout = checkout
	if checkout != NoCheckout {
		// As actions/checkout does: origin is the repository's address on
		// the server, fetched here from the mirror directly.
		ws := s.Workspace
		testenv.Git(t, ws, "init", "-q")
		testenv.Git(t, ws, "remote", "add", "origin", s.GitServer.URL+"/"+Owner+"/"+Name)
		mergeRef := fmt.Sprintf("+refs/pull/%d/merge:refs/remotes/pull/%d/merge", Number, Number)
		if checkout == FullCheckout {
			testenv.Git(t, ws, "fetch", "-q", "--no-tags", "file://"+bare, "+refs/heads/*:refs/remotes/origin/*", mergeRef)
		} else {
			testenv.Git(t, ws, "fetch", "-q", "--no-tags", "--depth=1", "file://"+bare, mergeRef)
		}
		testenv.Git(t, ws, "checkout", "-q", "--detach", fmt.Sprintf("refs/remotes/pull/%d/merge", Number))
	}
	s.start()
	return s
}

// HasCommit reports whether the workspace's repository holds commit sha.
func (s *Scenario) HasCommit(sha string) bool {
	cmd := exec.Command("git", "cat-file", "-e", sha+"^{commit}")
	cmd.Dir = s.Workspace
	return cmd.Run() == nil
}

// WriteTree writes files (path → content) under root.
func WriteTree(t testing.TB, root string, files map[string][]byte) {
	t.Helper()
	for _, p := range slices.Sorted(maps.Keys(files)) {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, files[p], 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// sampleSolutionID is the solution id of the real sample pair: what pairs
// its two sides.
const sampleSolutionID = "f96c186b-49b6-45c6-b57f-925a34a6e57a"

// TrayExports are n copies of the real sample pair (SamplePair), each its
// own solution (a solution id of its own), at
// exports/solution-NNN/bynder-dropbox.project.json, with the pair's
// package.json at the root: a pull request that changes n exports the way
// the sample's head changes its one.
func TrayExports(t testing.TB, n int) (base, head map[string][]byte) {
	t.Helper()
	sb, sh := SamplePair(t)
	const name = "bynder-dropbox.project.json"
	if !bytes.Contains(sb[name], []byte(sampleSolutionID)) || !bytes.Contains(sh[name], []byte(sampleSolutionID)) {
		t.Fatalf("the sample pair's solution id is no longer %s", sampleSolutionID)
	}
	base = map[string][]byte{"package.json": sb["package.json"]}
	head = map[string][]byte{"package.json": sh["package.json"]}
	for i := range n {
		id := []byte(fmt.Sprintf("%s%04d", sampleSolutionID[:len(sampleSolutionID)-4], i))
		p := fmt.Sprintf("exports/solution-%03d/%s", i, name)
		base[p] = bytes.ReplaceAll(sb[name], []byte(sampleSolutionID), id)
		head[p] = bytes.ReplaceAll(sh[name], []byte(sampleSolutionID), id)
	}
	return base, head
}
