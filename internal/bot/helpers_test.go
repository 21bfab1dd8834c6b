package bot_test

import (
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
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/bot"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

// The test app and its installation.
const (
	appID          = 4242
	appSlug        = "breakwater-test"
	botID          = 94242
	installationID = 501
	owner, name    = "octo-org", "integrations"
	secret         = "it's a secret to everybody"
	oldSecret      = "the secret before the rotation"
)

var (
	keyOnce sync.Once
	appKey  *rsa.PrivateKey
	appPEM  []byte
)

// testKey is one RSA key per test binary (generating one takes a while).
func testKey(t testing.TB) (*rsa.PrivateKey, []byte) {
	keyOnce.Do(func() {
		var err error
		if appKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		appPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)})
	})
	return appKey, appPEM
}

// harness is a bot on a fresh store, with the strict fake GitHub (the app
// registered and installed on owner/name) and a fake Tray.
type harness struct {
	t      *testing.T
	bot    *bot.Bot
	store  *store.Store
	srv    *httptest.Server
	github *githubtest.Fake
	repo   *githubtest.Repository
	tray   *traytest.Server

	mu     sync.Mutex
	events []bot.Event // what the test handlers saw
}

type harnessOptions struct {
	maxPayload int64
	// noWorkers leaves the jobs queued.
	noWorkers bool
	// handle registers test handlers for these events.
	handle []string
}

func newHarness(t *testing.T, dbURL string, o harnessOptions) *harness {
	t.Helper()
	key, pemKey := testKey(t)
	h := &harness{t: t, github: githubtest.New(t), tray: traytest.New(t, traytest.Config{Unlimited: true})}
	h.github.RegisterApp(appSlug, appID, botID, &key.PublicKey)
	h.repo = h.github.AddRepo(owner, name)
	h.github.Install(appID, installationID, owner+"/"+name)
	b, err := bot.New(bot.Config{
		WebhookSecrets: [][]byte{[]byte(secret), []byte(oldSecret)},
		AppID:          appID, PrivateKey: pemKey, DatabaseURL: dbURL, GitHubAPIURL: h.github.URL,
		TrayToken: h.tray.MasterToken(), TrayURL: h.tray.GraphQLURL(),
		MaxPayload: o.maxPayload, PollInterval: 50 * time.Millisecond, ShutdownGrace: 5 * time.Second,
		Logger: capturedLogger(t, secret, oldSecret, string(pemKey), h.tray.MasterToken()), Version: "test",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range o.handle {
		b.Handle(ev, func(_ context.Context, e bot.Event) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.events = append(h.events, e)
			return nil
		})
	}
	h.bot = b
	ctx := context.Background()
	if h.store, err = b.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.store.Close() })
	if !o.noWorkers {
		if err := h.store.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			h.store.Stop(ctx) //nolint:errcheck
		})
	}
	h.srv = httptest.NewServer(b.Handler())
	t.Cleanup(h.srv.Close)
	return h
}

// capturedLogger keeps every log line, debug included, and checks when
// the test ends that none holds a secret: one of secrets (a PEM text line
// by line), or a credential the fakes mint (installation tokens, the
// app's JWT, Tray user tokens). The lines are shown when the test failed.
// A buffer, not t.Log: a goroutine that logs after the test ended must
// not panic.
func capturedLogger(t *testing.T, secrets ...string) *slog.Logger {
	var mu sync.Mutex
	var buf bytes.Buffer
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		logs := buf.String()
		for i, s := range secrets {
			for _, line := range strings.Split(s, "\n") {
				if line = strings.TrimSpace(line); len(line) >= 8 && !strings.HasPrefix(line, "-----") && strings.Contains(logs, line) {
					t.Errorf("secret %d of capturedLogger's reached the bot's log", i+1)
					break
				}
			}
		}
		for _, minted := range []string{"ghs_fake", "Bearer ", "eyJhbGci", "test-user-token-", "PRIVATE KEY"} {
			if strings.Contains(logs, minted) {
				t.Errorf("a credential (%q…) reached the bot's log", minted)
			}
		}
		if t.Failed() {
			t.Logf("the bot's log:\n%s", logs)
		}
	})
	return slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

// testLogger logs to the test at warn level and above.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewJSONHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// post sends a delivery signed with sig (sign for a proper one) and
// returns the status.
func (h *harness) post(event, id string, body []byte, sig string) int {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+"/webhook", bytes.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if event != "" {
		req.Header.Set("X-GitHub-Event", event)
	}
	if id != "" {
		req.Header.Set("X-GitHub-Delivery", id)
	}
	if sig != "" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	resp.Body.Close()
	return resp.StatusCode
}

func sign(body []byte) string { return bot.Signature([]byte(secret), body) }

// deliver posts a properly signed delivery and requires 202.
func (h *harness) deliver(event, id string, payload []byte) {
	h.t.Helper()
	if got := h.post(event, id, payload, sign(payload)); got != http.StatusAccepted {
		h.t.Fatalf("delivery %s (%s): HTTP %d, want 202", id, event, got)
	}
}

// processed waits until the delivery's job has run.
func (h *harness) processed(id string) store.Delivery {
	h.t.Helper()
	var d store.Delivery
	h.waitFor(func() bool { d = h.delivery(id); return d.ProcessedAt != nil }, func() string {
		job, _ := h.store.Job(context.Background(), d.JobID)
		return fmt.Sprintf("delivery %s was not processed (job %+v)", id, job)
	})
	return d
}

func (h *harness) delivery(id string) store.Delivery {
	h.t.Helper()
	d, err := h.store.Delivery(context.Background(), id)
	if err != nil {
		h.t.Fatal(err)
	}
	return d
}

// waitFor polls until cond holds; after 60 seconds the test fails with
// what went wrong.
func (h *harness) waitFor(cond func() bool, wrong func() string) {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s in 60s", wrong())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (h *harness) stored(id string) bool {
	_, err := h.store.Delivery(context.Background(), id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.t.Fatal(err)
	}
	return err == nil
}

// example is the first example payload of event with action ("" for any)
// from @octokit/webhooks-examples, decoded for adapting.
func example(t testing.TB, event, action string) map[string]any {
	return githubtest.WebhookExample(t, event, action)
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	json.Unmarshal(b, &out) //nolint:errcheck // it was just marshalled
	return out
}

func obj(m map[string]any, key string) map[string]any { return githubtest.Object(m, key) }

// toRepo points an example at the test repository and installation.
func toRepo(ev map[string]any) map[string]any {
	if _, ok := ev["repository"]; ok {
		repo := obj(ev, "repository")
		repo["full_name"], repo["name"] = owner+"/"+name, name
		obj(repo, "owner")["login"] = owner
	}
	obj(ev, "installation")["id"] = installationID
	return ev
}

func encode(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var deliverySeq struct {
	sync.Mutex
	n int
}

// newID is a fresh delivery ID in GitHub's GUID form.
func newID() string {
	deliverySeq.Lock()
	defer deliverySeq.Unlock()
	deliverySeq.n++
	return fmt.Sprintf("%08x-0000-4000-8000-%012d", time.Now().UnixNano()&0xffffffff, deliverySeq.n)
}
