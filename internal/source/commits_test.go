package source

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/prrun/prruntest"
	"github.com/breakwater-dev/breakwater/internal/testenv"
)

func commitsOptions(t *testing.T, s *prruntest.Scenario) CommitsOptions {
	return CommitsOptions{
		Repo: githubapi.Repo{Owner: prruntest.Owner, Name: prruntest.Name}, Base: s.Root, Head: s.Head,
		API: fakeClient(t, s.Fake), Checkout: s.Workspace,
		RemoteURL: s.GitServer.URL + "/" + prruntest.Owner + "/" + prruntest.Name, Token: prruntest.Token,
		TempDir: t.TempDir(),
	}
}

// side is a tree's listing and every file's content.
type side struct {
	Label   string
	Entries []engine.Entry
	Files   map[string]string
}

func readSide(t *testing.T, tr engine.Tree) side {
	t.Helper()
	ctx := context.Background()
	es, err := tr.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range es {
		paths = append(paths, e.Path)
	}
	if ra, ok := tr.(engine.ReadAheader); ok {
		if err := ra.ReadAhead(ctx, paths); err != nil {
			t.Fatal(err)
		}
	}
	s := side{Label: tr.String(), Entries: es, Files: map[string]string{}}
	for _, p := range paths {
		data, err := tr.Read(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		s.Files[p] = string(data)
	}
	return s
}

// Whatever the checkout, both sides list and read the same: from its
// objects (fetched when missing, with the token, one level deep) or through
// the API; only the API way sends API requests.
func TestOpenCommits(t *testing.T) {
	base, head := prruntest.TrayExports(t, ContentsLimit)
	var want [2]side
	for _, checkout := range []prruntest.Checkout{prruntest.NoCheckout, prruntest.FullCheckout, prruntest.ShallowCheckout} {
		t.Run(checkout.String(), func(t *testing.T) {
			s := prruntest.NewGit(t, base, head, checkout)
			c, err := OpenCommits(context.Background(), commitsOptions(t, s))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			wantMode := map[prruntest.Checkout]string{prruntest.NoCheckout: ModeAPI, prruntest.FullCheckout: ModeCheckout, prruntest.ShallowCheckout: ModeFetched}[checkout]
			if c.Mode != wantMode || c.Why != "" {
				t.Errorf("mode %q (%s), want %q", c.Mode, c.Why, wantMode)
			}
			got := [2]side{readSide(t, c.Base), readSide(t, c.Head)}
			if checkout == prruntest.NoCheckout {
				want = got
				if n, w := len(s.Fake.Requests()), 2+Requests(len(base))+Requests(len(head)); n != w {
					t.Errorf("%d API requests, want %d (two listings, and the reads)", n, w)
				}
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the sides differ from the API's (-api +checkout):\n%s", diff)
			}
			if reqs := s.Fake.Requests(); len(reqs) != 0 {
				t.Errorf("%d API requests from a checkout: %+v", len(reqs), reqs)
			}
			if checkout == prruntest.ShallowCheckout {
				if diff := cmp.Diff([]string{s.Root, s.Head}, c.Fetched); diff != "" {
					t.Errorf("fetched (-want +got):\n%s", diff)
				}
				if !s.HasCommit(s.Root) || !s.HasCommit(s.Head) || len(s.GitServer.Requests()) == 0 {
					t.Errorf("after the fetch: root %v, head %v, %d git requests", s.HasCommit(s.Root), s.HasCommit(s.Head), len(s.GitServer.Requests()))
				}
				if refs := testenv.GitOutput(t, s.Workspace, "for-each-ref", "refs/breakwater"); refs != "" {
					t.Errorf("the fetch left refs: %s", refs)
				}
			}
		})
	}
}

// A checkout that cannot serve is passed over, saying why, and never gets
// the token to an address that is not the repository's.
func TestOpenCommitsFallsBack(t *testing.T) {
	base, head := prruntest.TrayExports(t, 1)
	for name, tc := range map[string]struct {
		checkout prruntest.Checkout
		prepare  func(s *prruntest.Scenario, o *CommitsOptions)
		why      string
	}{
		"wrong token": {prruntest.ShallowCheckout, func(_ *prruntest.Scenario, o *CommitsOptions) { o.Token = "not-the-token" }, "failed"},
		"no address":  {prruntest.ShallowCheckout, func(_ *prruntest.Scenario, o *CommitsOptions) { o.RemoteURL = "" }, "no address to fetch them from"},
		"other origin": {prruntest.ShallowCheckout, func(s *prruntest.Scenario, _ *CommitsOptions) {
			testenv.Git(t, s.Workspace, "remote", "set-url", "origin", "https://user:secret@example.com/someone/else.git")
		}, "its origin (https://example.com/someone/else.git) is not"},
		"partial clone": {prruntest.FullCheckout, func(s *prruntest.Scenario, _ *CommitsOptions) {
			testenv.Git(t, s.Workspace, "config", "remote.origin.promisor", "true")
		}, "partial clone"},
	} {
		t.Run(name, func(t *testing.T) {
			s := prruntest.NewGit(t, base, head, tc.checkout)
			o := commitsOptions(t, s)
			tc.prepare(s, &o)
			c, err := OpenCommits(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if c.Mode != ModeAPI || !strings.Contains(c.Why, tc.why) {
				t.Errorf("mode %q, why %q; want the API, saying %q", c.Mode, c.Why, tc.why)
			}
			if strings.Contains(c.Why, prruntest.Token) || strings.Contains(c.Why, "secret") {
				t.Errorf("why names a credential: %s", c.Why)
			}
			if _, err := c.Head.List(context.Background()); err != nil {
				t.Errorf("the API way does not list: %v", err)
			}
			if name == "other origin" && len(s.GitServer.Requests()) != 0 {
				t.Error("fetched from the repository's host into a clone of another")
			}
		})
	}
}

func TestSameRepository(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"https://github.com/Octo/Repo", "https://github.com/octo/repo", true},
		{"https://github.com/octo/repo.git", "https://github.com/octo/repo", true},
		{"https://x-access-token:abc@github.com/octo/repo", "https://github.com/octo/repo", true},
		{"git@github.com:octo/repo.git", "https://github.com/octo/repo", true},
		{"https://github.com/octo/repo2", "https://github.com/octo/repo", false},
		{"https://ghes.example.com/octo/repo", "https://github.com/octo/repo", false},
	} {
		if got := sameRepository(tc.a, tc.b); got != tc.same {
			t.Errorf("sameRepository(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
