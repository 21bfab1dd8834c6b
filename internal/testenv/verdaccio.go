package testenv

import (
	"bytes"
	"context"
	_ "embed" // the Verdaccio lockfile
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// verdaccioLock pins Verdaccio's 327 packages. To update it, change the
// project below, install it without Lockfile and copy the package-lock.json
// the install wrote into the test cache.
//
//go:embed verdaccio-6.8.0.package-lock.json
var verdaccioLock []byte

// VerdaccioProject is the Verdaccio install the tests use. Verdaccio 6.8.0
// is the last release that runs on Node 20; its audit plugin asks for
// node-fetch by the dist-tag "cjs", which no longer resolves, hence the
// override.
func VerdaccioProject() NPMProject {
	return NPMProject{
		Name:         "verdaccio-6.8.0",
		Dependencies: map[string]string{"verdaccio": "6.8.0"},
		Overrides:    map[string]string{"node-fetch": "2.7.0"},
		Lockfile:     verdaccioLock,
	}
}

// Verdaccio is a real npm registry on loopback with its own empty storage.
// It proxies nothing: every package it serves was published to it. Reading
// and publishing both need a token, as on GitHub Packages.
type Verdaccio struct {
	URL      string // "http://127.0.0.1:PORT/", with the final slash npm uses
	User     string // a user created at start
	Password string
	Token    string // User's bearer token, allowed to publish
	Storage  string // the storage directory

	logs *syncBuffer
}

// StartVerdaccio installs Verdaccio (once, into the test cache), starts it
// on a free loopback port and stops it when the test ends. Without npm or
// node the test is skipped (or fails, see Require).
func StartVerdaccio(t testing.TB) *Verdaccio {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		Require(t, "node is not installed, so Verdaccio cannot run: "+err.Error())
	}
	dir := VerdaccioProject().Install(t)
	bin := filepath.Join(dir, "node_modules", "verdaccio", "bin", "verdaccio")

	var lastErr error
	for range 3 { // another process may take the free port before Verdaccio binds it
		v, err := startVerdaccio(t, node, bin)
		if err == nil {
			return v
		}
		lastErr = err
	}
	Require(t, fmt.Sprintf("Verdaccio did not start: %v", lastErr))
	return nil
}

func startVerdaccio(t testing.TB, node, bin string) (*Verdaccio, error) {
	t.Helper()
	work := t.TempDir()
	storage := filepath.Join(work, "storage")
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	config := filepath.Join(work, "config.yaml")
	if err := os.WriteFile(config, []byte(verdaccioConfig(storage, filepath.Join(work, "htpasswd"))), 0o644); err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logs := &syncBuffer{}
	cmd := exec.Command(node, bin, "--config", config, "--listen", addr)
	cmd.Dir = work
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Env = append(os.Environ(), "HOME="+work, "XDG_CONFIG_HOME="+work, "XDG_DATA_HOME="+work)
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // it may have exited already
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill() //nolint:errcheck
			<-exited
		}
	}

	v := &Verdaccio{URL: "http://" + addr + "/", Storage: storage, logs: logs, User: "breakwater-test", Password: "test-password-1"}
	ctx, cancel := context.WithTimeout(context.Background(), verdaccioStartTimeout)
	defer cancel()
	if err := startPhase(ctx, "waiting for it to answer", func(ctx context.Context) error { return v.waitReady(ctx, exited) }); err != nil {
		stop()
		return nil, fmt.Errorf("%w\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("Verdaccio's log:\n%s", logs.String())
		}
	})
	if err := startPhase(ctx, "creating the test user", func(ctx context.Context) error {
		var err error
		v.Token, err = v.AddUser(ctx, v.User, v.Password)
		return err
	}); err != nil {
		return nil, err
	}
	return v, nil
}

// verdaccioStartTimeout bounds Verdaccio's whole start (process up, then
// the test user). On a loaded 2-core machine creating the user (bcrypt)
// alone has taken 7 s; a minute ran out, so leave ample room.
const verdaccioStartTimeout = 3 * time.Minute

// startPhase runs one phase of the start and, when the start's deadline
// ran out during it, says which phase that was.
func startPhase(ctx context.Context, phase string, f func(context.Context) error) error {
	err := f(ctx)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("Verdaccio's start ran out of time (%v for the whole start) while %s: %w", verdaccioStartTimeout, phase, err)
	}
	return err
}

// verdaccioConfig allows authenticated users to read and publish every
// package, proxies nothing, and takes bodies large enough for a 20 MB
// tarball (base64 makes it 27 MB). Its tokens are JWTs: Verdaccio's legacy
// tokens make it verify the password (bcrypt) on every request, which
// would dominate the timing of anything measured against it.
func verdaccioConfig(storage, htpasswd string) string {
	return fmt.Sprintf(`storage: %q
auth:
  htpasswd:
    file: %q
    max_users: 1000
uplinks: {}
packages:
  '@*/*':
    access: $authenticated
    publish: $authenticated
    unpublish: $authenticated
  '**':
    access: $authenticated
    publish: $authenticated
    unpublish: $authenticated
middlewares:
  audit:
    enabled: false
max_body_size: 200mb
security:
  api:
    jwt:
      sign:
        expiresIn: 1d
web:
  enable: false
log: {type: stdout, format: pretty, level: warn}
`, storage, htpasswd)
}

func (v *Verdaccio) waitReady(ctx context.Context, exited <-chan error) error {
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.URL+"-/ping", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("Verdaccio exited before it was ready: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("Verdaccio was not ready at %s: %w", v.URL, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// AddUser creates a user the way `npm adduser` does, through
// PUT /-/user/org.couchdb.user:NAME, and returns its token.
func (v *Verdaccio) AddUser(ctx context.Context, name, password string) (string, error) {
	body, err := json.Marshal(map[string]any{
		"_id": "org.couchdb.user:" + name, "name": name, "password": password,
		"type": "user", "roles": []string{}, "date": time.Now().UTC().Format(time.RFC3339),
	})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut,
		v.URL+"-/user/org.couchdb.user:"+url.PathEscape(name), bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("creating Verdaccio user %s: %w", name, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var out struct {
		Token string `json:"token"`
		Error string `json:"error"`
	}
	_ = json.Unmarshal(raw, &out)
	if resp.StatusCode != http.StatusCreated || out.Token == "" {
		return "", fmt.Errorf("creating Verdaccio user %s: %s %s", name, resp.Status, strings.TrimSpace(out.Error))
	}
	return out.Token, nil
}

// NPMRC is an .npmrc that sends scope's packages to this registry with
// token, as a consumer of GitHub Packages writes it.
func (v *Verdaccio) NPMRC(scope, token string) string {
	hostPath := strings.TrimPrefix(v.URL, "http:")
	return fmt.Sprintf("@%s:registry=%s\n%s:_authToken=%s\n", strings.TrimPrefix(scope, "@"), v.URL, hostPath, token)
}

// Logs is what Verdaccio printed so far.
func (v *Verdaccio) Logs() string { return v.logs.String() }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free loopback port: %w", err)
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("finding a free loopback port: not a TCP address")
	}
	return addr.Port, nil
}

// syncBuffer collects a process's output while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
