package testenv

import (
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Git runs git in dir with a fixed author and committer, failing the test
// when it fails. Without git the test is skipped (or fails, see Require).
func Git(t testing.TB, dir string, args ...string) {
	t.Helper()
	GitOutput(t, dir, args...)
}

// GitOutput is Git, returning what git printed on standard output.
func GitOutput(t testing.TB, dir string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		Require(t, "git is not installed")
	}
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_AUTHOR_DATE=2025-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2025-01-01T00:00:00Z",
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// GitServer serves the bare repositories under root over git's smart HTTP
// protocol, as a git host does (`git http-backend`, the server git itself
// ships), at URL/<path under root>. Every request must authenticate with
// HTTP basic auth as user and password, as GitHub asks of a job's token;
// others are answered 401.
type GitServer struct {
	URL string

	mu       sync.Mutex
	requests []string
}

// StartGitServer starts a GitServer for the test; it stops when the test
// ends. Without git's http-backend the test is skipped (or fails, see
// Require).
func StartGitServer(t testing.TB, root, user, password string) *GitServer {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		Require(t, "git is not installed")
	}
	execPath := strings.TrimSpace(GitOutput(t, root, "--exec-path"))
	backend := filepath.Join(execPath, "git-http-backend")
	if _, err := os.Stat(backend); err != nil {
		Require(t, "git's http-backend is not installed: "+err.Error())
	}
	s := &GitServer{}
	h := &cgi.Handler{
		Path: backend,
		Dir:  root,
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1",
			"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, req.Method+" "+req.URL.Path)
		s.mu.Unlock()
		if u, p, ok := req.BasicAuth(); !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Requests are the requests served so far, as "METHOD /path".
func (s *GitServer) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}
