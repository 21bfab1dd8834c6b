package githubtest

import (
	"fmt"
	"io"
	"net/http"
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

func TestReadOnlyTokenAndFaults(t *testing.T) {
	f := New(t)
	repo := f.AddRepo("o", "r")
	sha := repo.Commit(nil, map[string][]byte{"a.json": []byte("{}")})
	repo.OpenPullRequest(PullRequest{Number: 1, HeadSHA: sha, BaseSHA: sha})
	f.ReadOnlyToken("ro")
	do := func(method, path, body, token string) int {
		req, _ := http.NewRequest(method, f.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
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
