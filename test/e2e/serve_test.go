package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/bot"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
)

const (
	serveSecret   = "e2e webhook secret"
	serveAppID    = 5151
	serveInstall  = 8080
	serveOwner    = "octo-org"
	serveRepoName = "integrations"
)

// app is a GitHub App registered with the strict fake GitHub and
// installed on one repository.
type app struct {
	fake *githubtest.Fake
	repo *githubtest.Repository
	pem  []byte
}

func newApp(t *testing.T) *app {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	a := &app{fake: githubtest.New(t), pem: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})}
	a.fake.RegisterApp("breakwater-e2e", serveAppID, 95151, &key.PublicKey)
	a.repo = a.fake.AddRepo(serveOwner, serveRepoName)
	sha := a.repo.Commit(nil, map[string][]byte{"README.md": []byte("hi\n")})
	a.repo.OpenPullRequest(githubtest.PullRequest{Number: 1, HeadSHA: sha, BaseSHA: sha, HeadRef: "topic"})
	a.repo.SetPermission("maintainer", "write")
	a.fake.Install(serveAppID, serveInstall, serveOwner+"/"+serveRepoName)
	return a
}

// server is one `breakwater serve` process.
type server struct {
	cmd  *exec.Cmd
	addr string
	logs *bytes.Buffer
	mu   *sync.Mutex
}

// startServe runs the binary on a free port and waits until it is ready.
func startServe(t *testing.T, a *app, dbURL string, extra ...string) *server {
	t.Helper()
	return startServeEnv(t, a, dbURL, nil, extra...)
}

// startServeEnv is startServe with more environment variables.
func startServeEnv(t *testing.T, a *app, dbURL string, env []string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--database", dbURL, "--shutdown-grace", "5s", "--log-level", "info"}, extra...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		bot.EnvWebhookSecret + "=" + serveSecret,
		bot.EnvAppID + "=" + fmt.Sprint(serveAppID),
		bot.EnvPrivateKey + "=" + string(a.pem),
		bot.EnvGitHubAPIURL + "=" + a.fake.URL,
	}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: &bytes.Buffer{}, mu: &sync.Mutex{}}
	t.Cleanup(func() {
		cmd.Process.Kill() //nolint:errcheck // already gone in the normal case
		cmd.Wait()         //nolint:errcheck
		s.mu.Lock()
		defer s.mu.Unlock()
		if t.Failed() {
			t.Logf("serve's log:\n%s", s.logs.String())
		}
		if leak := secretIn(s.logs.String(), cmd.Env); leak != "" {
			t.Errorf("a secret reached serve's log: %s", leak)
		}
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.logs.WriteString(line + "\n")
			s.mu.Unlock()
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "breakwater serve is ready" {
				ready <- rec.Addr
			}
		}
	}()
	select {
	case s.addr = <-ready:
	case <-time.After(60 * time.Second):
		s.mu.Lock()
		defer s.mu.Unlock()
		t.Fatalf("serve was not ready in 60s:\n%s", s.logs.String())
	}
	return s
}

// mintedSecrets are the shapes of the credentials serve is handed while it
// runs: GitHub installation tokens and the app's JWT (from the fake
// GitHub), Tray user tokens (from the fake Tray).
var mintedSecrets = []string{"ghs_fake", "Bearer ", "eyJhbGci", "test-user-token-", "PRIVATE KEY"}

// secretIn names the first secret found in logs: a value of serve's
// environment that is a secret (the webhook secrets, the app key, the Tray
// and API tokens, a database password) or a minted credential.
func secretIn(logs string, env []string) string {
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if !strings.Contains(k, "SECRET") && !strings.Contains(k, "TOKEN") && !strings.Contains(k, "PRIVATE_KEY") {
			continue
		}
		for _, line := range strings.Split(v, "\n") {
			// A PEM key is checked line by line: any line of it is a leak.
			if line = strings.TrimSpace(line); len(line) >= 8 && !strings.HasPrefix(line, "-----") && strings.Contains(logs, line) {
				return k
			}
		}
	}
	for rest := logs; ; {
		_, after, found := strings.Cut(rest, "password=")
		if !found {
			break
		}
		if !strings.HasPrefix(after, "xxxxx") {
			return "a database password"
		}
		rest = after
	}
	for _, m := range mintedSecrets {
		if strings.Contains(logs, m) {
			return m
		}
	}
	return ""
}

// send posts a signed delivery; it reports whether it was acknowledged
// (202, or 200 for a duplicate).
func (s *server) send(event, id string, body []byte) (int, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+s.addr+"/webhook", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-Hub-Signature-256", bot.Signature([]byte(serveSecret), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.cmd.Wait() //nolint:errcheck // killed on purpose
}

// repoExample is an example payload of @octokit/webhooks-examples pointed
// at the app's repository and installation.
func repoExample(t *testing.T, event, action string) map[string]any {
	t.Helper()
	ev := githubtest.WebhookExample(t, event, action)
	repo := githubtest.Object(ev, "repository")
	repo["full_name"], repo["name"] = serveOwner+"/"+serveRepoName, serveRepoName
	githubtest.Object(repo, "owner")["login"] = serveOwner
	githubtest.Object(ev, "installation")["id"] = serveInstall
	return ev
}

func checkRunPayload(t *testing.T) []byte {
	ev := repoExample(t, "check_run", "requested_action")
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitProcessed waits until every delivery is processed, reading the
// store directly.
func waitProcessed(t *testing.T, dbURL string, ids []string, within time.Duration) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dbURL, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(within)
	pending := ids
	for len(pending) > 0 {
		var still []string
		for _, id := range pending {
			d, err := st.Delivery(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				t.Fatalf("acknowledged delivery %s is not in the store", id)
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.ProcessedAt == nil {
				still = append(still, id)
			}
		}
		pending = still
		if len(pending) > 0 && time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged deliveries were not processed within %v, e.g. %s", len(pending), len(ids), within, pending[0])
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestServeSIGKILLLosesNoDelivery: `breakwater serve`, killed with
// SIGKILL while deliveries arrive, loses none it acknowledged: after a
// restart every one is in the store and gets processed, jobs that were
// running when it died included (rescued after twice --job-timeout).
func TestServeSIGKILLLosesNoDelivery(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			a := newApp(t)
			dbURL := b.URL(t)
			s := startServe(t, a, dbURL, "--job-timeout", "3s")
			payload := checkRunPayload(t)

			var mu sync.Mutex
			var acked []string
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						id := fmt.Sprintf("crash-%d-%d-%s", g, i, b.Name)
						code, err := s.send("check_run", id, payload)
						if err != nil {
							return // the process is gone
						}
						if code == http.StatusAccepted {
							mu.Lock()
							acked = append(acked, id)
							mu.Unlock()
						}
					}
				}()
			}
			for {
				mu.Lock()
				n := len(acked)
				mu.Unlock()
				if n >= 300 {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			s.kill(t) // while the senders keep sending
			close(stop)
			wg.Wait()

			startServe(t, a, dbURL, "--job-timeout", "3s")
			waitProcessed(t, dbURL, acked, 3*time.Minute)
			t.Logf("%d deliveries acknowledged before SIGKILL; all stored and processed after the restart", len(acked))
		})
	}
}

// TestServeReplicasHandleEachDeliveryOnce: two `breakwater serve`
// processes on one PostgreSQL database, each delivery sent to both (as
// GitHub's redelivery behind a load balancer would): each is handled
// exactly once — one reply comment per command.
func TestServeReplicasHandleEachDeliveryOnce(t *testing.T) {
	a := newApp(t)
	// Trust authentication ignores the password; it is there to show it
	// never reaches the log.
	dbURL := storetest.PostgresURL(t) + "&password=e2e-db-password"
	s1 := startServe(t, a, dbURL)
	s2 := startServe(t, a, dbURL)
	const n = 60
	var ids []string
	var wg sync.WaitGroup
	for i := range n {
		ev := repoExample(t, "issue_comment", "created")
		issue := githubtest.Object(ev, "issue")
		issue["number"] = 1
		issue["pull_request"] = map[string]any{"url": "https://example.invalid/pulls/1"}
		c := githubtest.Object(ev, "comment")
		c["body"] = fmt.Sprintf("/breakwater unknown%03d", i)
		githubtest.Object(c, "user")["login"] = "maintainer"
		body, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("replica-%03d", i)
		ids = append(ids, id)
		for _, s := range []*server{s1, s2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if code, err := s.send("issue_comment", id, body); err != nil || code != http.StatusAccepted && code != http.StatusOK {
					t.Errorf("%s to a replica: %d %v", id, code, err)
				}
			}()
		}
	}
	wg.Wait()
	waitProcessed(t, dbURL, ids, 2*time.Minute)
	time.Sleep(time.Second) // a second handling would show by now
	replies := map[string]int{}
	for _, c := range a.repo.Comments(1) {
		for i := range n {
			if strings.Contains(c.Body, fmt.Sprintf("unknown%03d", i)) {
				replies[fmt.Sprintf("unknown%03d", i)]++
			}
		}
	}
	for i := range n {
		if got := replies[fmt.Sprintf("unknown%03d", i)]; got != 1 {
			t.Errorf("command unknown%03d was answered %d times, want once", i, got)
		}
	}
}

// TestServeStopsGracefully: SIGTERM stops serve with exit code 0 after it
// stopped taking requests and its jobs.
func TestServeStopsGracefully(t *testing.T) {
	a := newApp(t)
	s := startServe(t, a, storetest.SQLiteURL(t))
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		resp, err := http.Get("http://" + s.addr + path)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("GET %s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of SIGTERM")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !strings.Contains(s.logs.String(), `"msg":"stopped"`) {
		t.Errorf("no orderly stop in the log:\n%s", s.logs.String())
	}
}
