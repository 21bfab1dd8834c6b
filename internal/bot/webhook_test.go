package bot_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/breakwater-dev/breakwater/internal/bot"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
)

// TestWebhookIntake: what GitHub signs is recorded once, with its job;
// anything else is refused before a byte of it is stored.
func TestWebhookIntake(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b.URL(t), harnessOptions{maxPayload: 256 << 10, noWorkers: true})
			payload := encode(t, toRepo(example(t, "check_run", "requested_action")))

			refused := []struct {
				name, event, id string
				body            []byte
				sig             string
				want            int
			}{
				{"no signature", "check_run", newID(), payload, "", http.StatusUnauthorized},
				{"wrong signature", "check_run", newID(), payload, bot.Signature([]byte("guess"), payload), http.StatusUnauthorized},
				{"signature of another body", "check_run", newID(), payload, sign([]byte(`{}`)), http.StatusUnauthorized},
				{"not hex", "check_run", newID(), payload, "sha256=zz", http.StatusUnauthorized},
				{"sha1 form", "check_run", newID(), payload, "sha1=" + strings.Repeat("0", 40), http.StatusUnauthorized},
				{"malformed JSON", "check_run", newID(), []byte(`{"action": `), sign([]byte(`{"action": `)), http.StatusBadRequest},
				{"JSON but not an object", "check_run", newID(), []byte(`[1,2]`), sign([]byte(`[1,2]`)), http.StatusBadRequest},
				{"no delivery ID", "check_run", "", payload, sign(payload), http.StatusBadRequest},
				{"no event", "", newID(), payload, sign(payload), http.StatusBadRequest},
			}
			big := append([]byte(`{"padding":"`), make([]byte, 300<<10)...)
			for i := 12; i < len(big); i++ {
				big[i] = 'x'
			}
			big = append(big, `"}`...)
			refused = append(refused, struct {
				name, event, id string
				body            []byte
				sig             string
				want            int
			}{"over the cap", "check_run", newID(), big, sign(big), http.StatusRequestEntityTooLarge})
			for _, tc := range refused {
				if got := h.post(tc.event, tc.id, tc.body, tc.sig); got != tc.want {
					t.Errorf("%s: HTTP %d, want %d", tc.name, got, tc.want)
				}
				if tc.id != "" && h.stored(tc.id) {
					t.Errorf("%s: the refused delivery was stored", tc.name)
				}
			}
			if jobs, err := h.store.Jobs(context.Background(), river.NewJobListParams().First(100)); err != nil || len(jobs) != 0 {
				t.Fatalf("refused requests left %d jobs (%v)", len(jobs), err)
			}
			resp, err := http.Get(h.srv.URL + "/webhook")
			if err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
				t.Errorf("GET /webhook: %v %v", resp.Status, err)
			}

			// A good delivery, then the same delivery again: one record, one job.
			id := newID()
			h.deliver("check_run", id, payload)
			if got := h.post("check_run", id, payload, sign(payload)); got != http.StatusOK {
				t.Errorf("redelivery: HTTP %d, want 200", got)
			}
			// Signed with the previous secret during a rotation: accepted.
			rotated := newID()
			if got := h.post("check_run", rotated, payload, bot.Signature([]byte(oldSecret), payload)); got != http.StatusAccepted {
				t.Errorf("previous secret: HTTP %d, want 202", got)
			}
			jobs, err := h.store.Jobs(context.Background(), river.NewJobListParams().Kinds(bot.DeliveryArgs{}.Kind()).First(100))
			if err != nil || len(jobs) != 2 {
				t.Fatalf("%d jobs (%v), want 2: one per delivery", len(jobs), err)
			}
			d, err := h.store.Delivery(context.Background(), id)
			if err != nil || d.Event != "check_run" || d.Action != "requested_action" || d.InstallationID != installationID || d.Repo != owner+"/"+name || string(d.Payload) != string(payload) {
				t.Errorf("stored delivery = %+v (%v)", d, err)
			}

			for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200} {
				resp, err := http.Get(h.srv.URL + path)
				if err != nil || resp.StatusCode != want {
					t.Errorf("GET %s: %v %v, want %d", path, resp.Status, err, want)
				}
			}
			metrics := get(t, h.srv.URL+"/metrics")
			for _, m := range []string{
				`breakwater_webhook_deliveries_rejected_total{reason="signature"} 5`,
				`breakwater_webhook_deliveries_rejected_total{reason="size"} 1`,
				`breakwater_webhook_deliveries_rejected_total{reason="json"} 2`,
				`breakwater_webhook_deliveries_duplicate_total 1`,
				`breakwater_webhook_deliveries_received_total{event="check_run"} 3`,
				`breakwater_jobs{state="available"} 2`,
			} {
				if !strings.Contains(metrics, m) {
					t.Errorf("/metrics lacks %s", m)
				}
			}
			if strings.Contains(metrics, secret) {
				t.Error("/metrics shows the webhook secret")
			}
		})
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
