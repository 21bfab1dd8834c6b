package githubtest

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSpecCheck(t *testing.T) {
	start := time.Now()
	s := LoadSpec(t)
	t.Logf("loaded the description in %v", time.Since(start))
	for _, tc := range []struct {
		method, url, body string
		wantOp            string // "" = must be rejected
		wantErr           string
	}{
		{"GET", "/repos/o/r/pulls/7", "", "pulls/get", ""},
		{"GET", "/repos/o/r/pulls/7/files?per_page=100&page=2", "", "pulls/list-files", ""},
		{"GET", "/repos/o/r/pulls/seven", "", "", "not a number"},
		{"GET", "/repos/o/r/pulls/7/files?per_page=100&colour=red", "", "", "unknown query parameter"},
		{"GET", "/repos/o/r/contents/dir/sub/file.json?ref=abc", "", "repos/get-content", ""},
		{"GET", "/repos/o/r/compare/abc...def?per_page=1", "", "repos/compare-commits", ""},
		{"GET", "/repos/o/r/git/trees/abc?recursive=1", "", "git/get-tree", ""},
		{"POST", "/repos/o/r/issues/7/labels", `{"labels":["a","b"]}`, "issues/add-labels", ""},
		{"POST", "/repos/o/r/issues/7/labels", `["a","b"]`, "", "does not match"},
		{"DELETE", "/repos/o/r/issues/7/labels/breaking:auth", "", "issues/remove-label", ""},
		{"POST", "/repos/o/r/labels", `{"name":"x","color":"ff0000","description":"d"}`, "issues/create-label", ""},
		{"POST", "/repos/o/r/labels", `{"color":"ff0000"}`, "", "does not match"},
		{"PATCH", "/repos/o/r/issues/comments/12", `{"body":"hi"}`, "issues/update-comment", ""},
		{"POST", "/repos/o/r/check-runs", `{"name":"n","head_sha":"abc","status":"completed","conclusion":"success","output":{"title":"t","summary":"s"}}`, "checks/create", ""},
		{"PATCH", "/repos/o/r/check-runs/5", `{"name":"n","status":"completed"}`, "", "does not match"},
		{"PATCH", "/repos/o/r/check-runs/5", `{"name":"n","output":{"title":"t","summary":"s"}}`, "checks/update", ""},
		{"POST", "/repos/o/r/check-runs", `{"name":"n","head_sha":"abc","output":{"title":"t","summary":"` + strings.Repeat("x", 65536) + `"}}`, "", "does not match"},
		{"GET", "/repos/o/r/frobnicate", "", "", "not an operation"},
		{"PUT", "/repos/o/r/pulls/7", "", "", "not an operation"},
		{"GET", "/repos/o/r/pulls/7", `{"x":1}`, "", "takes no JSON request body"},
	} {
		u, err := url.Parse(tc.url)
		if err != nil {
			t.Fatal(err)
		}
		var body []byte
		if tc.body != "" {
			body = []byte(tc.body)
		}
		op, err := s.Check(tc.method, u, body)
		switch {
		case tc.wantOp != "" && err != nil:
			t.Errorf("%s %s: %v", tc.method, tc.url, err)
		case tc.wantOp != "" && op.ID != tc.wantOp:
			t.Errorf("%s %s matched %s, want %s", tc.method, tc.url, op.ID, tc.wantOp)
		case tc.wantOp == "" && err == nil:
			t.Errorf("%s %s was accepted as %s", tc.method, tc.url, op.ID)
		case tc.wantOp == "" && !strings.Contains(err.Error(), tc.wantErr):
			t.Errorf("%s %s: error %q does not say %q", tc.method, tc.url, err, tc.wantErr)
		}
	}
}
