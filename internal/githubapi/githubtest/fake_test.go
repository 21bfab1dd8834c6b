package githubtest

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// errRecorder collects the fake's test failures instead of failing.
type errRecorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *errRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *errRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.errs
	r.errs = nil
	return e
}

func TestFakeRejectsWhatGitHubWouldNot(t *testing.T) {
	rec := &errRecorder{TB: t}
	f := New(rec)
	repo := f.AddRepo("o", "r")
	sha := repo.Commit(nil, map[string][]byte{"a.json": []byte("{}")})
	repo.OpenPullRequest(PullRequest{Number: 1, HeadSHA: sha, BaseSHA: sha})

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		wantErr                  string // "" = accepted without failing the test
	}{
		{"valid", "GET", "/repos/o/r/pulls/1", "", 200, ""},
		{"unknown route", "GET", "/repos/o/r/frobnicate", "", 404, "is not an operation"},
		{"unknown query", "GET", "/repos/o/r/pulls/1/files?color=red", "", 422, "unknown query parameter"},
		{"bad body", "POST", "/repos/o/r/issues/1/labels", `["bare","array"]`, 422, "does not match"},
		{"comment too long", "POST", "/repos/o/r/issues/1/comments", `{"body":"` + strings.Repeat("é", MaxCommentLength+1) + `"}`, 422, "too long"},
		{"bad colour", "POST", "/repos/o/r/labels", `{"name":"x","color":"red"}`, 422, "six hex digits"},
		{"unknown commit", "POST", "/repos/o/r/check-runs", `{"name":"n","head_sha":"0000000000000000000000000000000000000000"}`, 422, "not a commit"},
		{"columns on many lines", "POST", "/repos/o/r/check-runs", `{"name":"n","head_sha":"` + sha + `","output":{"title":"t","summary":"s","annotations":[{"path":"a.json","start_line":1,"end_line":2,"start_column":1,"annotation_level":"notice","message":"m"}]}}`, 422, "multi-line"},
		{"valid but not implemented", "GET", "/repos/o/r/releases", "", 501, "does not implement"},
	} {
		req, err := http.NewRequest(tc.method, f.URL+tc.path, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		errs := rec.take()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		switch {
		case tc.wantErr == "" && len(errs) > 0:
			t.Errorf("%s: failed the test: %q", tc.name, errs)
		case tc.wantErr != "" && (len(errs) != 1 || !strings.Contains(errs[0], tc.wantErr)):
			t.Errorf("%s: test failures %q, want one saying %q", tc.name, errs, tc.wantErr)
		}
	}
}

// withPullRequest is a fake with repository o/r and pull request #1.
func withPullRequest(t *testing.T) (*Fake, *Repository, string) {
	f := New(t)
	repo := f.AddRepo("o", "r")
	sha := repo.Commit(nil, map[string][]byte{"a.json": []byte("{}")})
	repo.OpenPullRequest(PullRequest{Number: 1, HeadSHA: sha, BaseSHA: sha})
	return f, repo, sha
}

// send makes a request with token and returns the status and body.
func send(t *testing.T, f *Fake, method, path, body, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestReadOnlyTokenAndFaults(t *testing.T) {
	f, _, _ := withPullRequest(t)
	f.ReadOnlyToken("ro")
	do := func(method, path, body, token string) int {
		status, _ := send(t, f, method, path, body, token)
		return status
	}
	if s := do("GET", "/repos/o/r/pulls/1", "", "ro"); s != 200 {
		t.Errorf("read with a read-only token: %d", s)
	}
	if s := do("POST", "/repos/o/r/issues/1/comments", `{"body":"x"}`, "ro"); s != 403 {
		t.Errorf("write with a read-only token: %d, want 403", s)
	}
	if s := do("POST", "/repos/o/r/issues/1/comments", `{"body":"x"}`, "rw"); s != 201 {
		t.Errorf("write with a write token: %d, want 201", s)
	}
	f.Fail(Fault{Operation: "pulls/get", Times: 2, Status: 502})
	got := []int{do("GET", "/repos/o/r/pulls/1", "", "rw"), do("GET", "/repos/o/r/pulls/1", "", "rw"), do("GET", "/repos/o/r/pulls/1", "", "rw")}
	if fmt.Sprint(got) != "[502 502 200]" {
		t.Errorf("statuses with a fault of 2 = %v", got)
	}
}

func TestMergeBaseAndDiff(t *testing.T) {
	f := New(t)
	repo := f.AddRepo("o", "r")
	root := repo.Commit(nil, map[string][]byte{"a": []byte("1"), "b": []byte("2")})
	main := repo.Commit([]string{root}, map[string][]byte{"a": []byte("1"), "b": []byte("2"), "c": []byte("3")})
	head := repo.Commit([]string{root}, map[string][]byte{"a": []byte("9"), "moved": []byte("2")})
	if mb := repo.mergeBase(main, head); mb != root {
		t.Errorf("merge base = %s, want the root", mb)
	}
	got := fmt.Sprint(repo.diff(root, head))
	want := "[{" + blobSHA([]byte("9")) + " a modified 0 0 1 } {" + blobSHA([]byte("2")) + " moved renamed 0 0 0 b}]"
	if got != want {
		t.Errorf("diff = %s\nwant %s", got, want)
	}
}

func TestIdentities(t *testing.T) {
	f, repo, sha := withPullRequest(t)
	f.SetIdentity("ghp_user", UserIdentity("octocat", 1))
	f.SetIdentity("ghs_app", AppIdentity("breakwater", 7, 700))
	do := func(method, path, body, token string) (int, string) { return send(t, f, method, path, body, token) }
	for _, tc := range []struct {
		method, path, body, token string
		status                    int
		has                       string
	}{
		{"GET", "/user", "", "ghp_user", 200, `"login":"octocat"`},
		{"GET", "/user", "", "ghs_app", 403, "Resource not accessible by integration"},
		{"GET", "/user", "", "unknown", 403, "Resource not accessible by integration"},
		{"POST", "/repos/o/r/issues/1/comments", `{"body":"x"}`, "ghs_app", 201, `"performed_via_github_app":{"id":7,`},
		{"POST", "/repos/o/r/issues/1/comments", `{"body":"x"}`, "ghp_user", 201, `"user":{"id":1,"login":"octocat","type":"User"}`},
		{"POST", "/repos/o/r/check-runs", `{"name":"n","head_sha":"` + sha + `"}`, "ghp_user", 403, "You must authenticate via a GitHub App."},
		{"POST", "/repos/o/r/check-runs", `{"name":"n","head_sha":"` + sha + `"}`, "ghs_app", 201, `"slug":"breakwater"`},
	} {
		status, body := do(tc.method, tc.path, tc.body, tc.token)
		if status != tc.status || !strings.Contains(body, tc.has) {
			t.Errorf("%s %s as %s: %d %s, want %d with %s", tc.method, tc.path, tc.token, status, body, tc.status, tc.has)
		}
	}
	runs := repo.CheckRuns()
	if status, body := do("PATCH", fmt.Sprintf("/repos/o/r/check-runs/%d", runs[0].ID), `{"name":"n"}`, "unknown"); status != 403 || !strings.Contains(body, "Invalid app_id `15368`") {
		t.Errorf("another app updating the check run: %d %s", status, body)
	}
}

func TestRendezvousMakesRequestsMeet(t *testing.T) {
	f, repo, _ := withPullRequest(t)
	f.Rendezvous("issues/create-comment", 3)
	var wg sync.WaitGroup
	post := func() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(f.URL+"/repos/o/r/issues/1/comments", "application/json", strings.NewReader(`{"body":"x"}`))
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		}()
	}
	arrived := func() int {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.meetings[0].arrived
	}
	post()
	post()
	for arrived() < 2 {
		runtime.Gosched()
	}
	if n := len(repo.Comments(1)); n != 0 {
		t.Fatalf("%d comments created before all three requests arrived", n)
	}
	post()
	wg.Wait()
	if n := len(repo.Comments(1)); n != 3 {
		t.Errorf("%d comments after the rendezvous, want 3", n)
	}
}
