package bot_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/bot"
)

// TestRunServesWhileGitHubHangs: learning the app's name from GitHub must
// not hold back deliveries or health checks. The fake GitHub holds GET /app
// until the test has seen /healthz answer.
func TestRunServesWhileGitHubHangs(t *testing.T) {
	_, pemKey := testKey(t)
	release := make(chan struct{})
	asked := make(chan struct{}, 1)
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/app" {
			t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
			http.Error(w, "not here", http.StatusNotFound)
			return
		}
		select {
		case asked <- struct{}{}:
		default:
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
	}))
	defer gh.Close()
	defer close(release) // before gh.Close: the held request ends first

	b, err := bot.New(bot.Config{WebhookSecrets: [][]byte{[]byte(secret)}, AppID: appID, PrivateKey: pemKey,
		DatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "bot.db"), GitHubAPIURL: gh.URL, Addr: "127.0.0.1:0",
		Logger: capturedLogger(t, secret, string(pemKey)), ShutdownGrace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx, func(addr string) { ready <- addr }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("Run ended before serving: %v", err)
	case <-time.After(time.Minute): // a guard against hanging, not a measurement
		t.Fatal("Run did not start serving while GitHub held GET /app")
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/healthz answered %d", resp.StatusCode)
	}
	// Serving first is fine; the name must still be asked for.
	select {
	case <-asked:
	case <-time.After(time.Minute):
		t.Fatal("the bot never asked GitHub for the app")
	}
}
