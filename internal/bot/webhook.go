package bot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/store"
)

// Signature is the X-Hub-Signature-256 value GitHub sends for body signed
// with secret: "sha256=" and the hex HMAC-SHA256.
func Signature(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// verify reports whether header is body's signature under one of the
// secrets, comparing in constant time.
func verify(secrets [][]byte, header string, body []byte) bool {
	hexSig, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	match := false
	for _, s := range secrets {
		m := hmac.New(sha256.New, s)
		m.Write(body)
		// Every secret is tried, so the time does not say which matched.
		match = hmac.Equal(got, m.Sum(nil)) || match
	}
	return match
}

// envelope is what every delivery's payload says about where it is from.
type envelope struct {
	Action       string `json:"action"`
	Installation *struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Repository *struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
}

// parseEnvelope reads the payload's action, installation and repository;
// an error means the body is not a JSON object.
func parseEnvelope(body []byte) (envelope, error) {
	var e envelope
	if t := strings.TrimLeft(string(body[:min(len(body), 64)]), " \t\r\n"); !strings.HasPrefix(t, "{") {
		return envelope{}, errors.New("not a JSON object")
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return envelope{}, err
	}
	return e, nil
}

// reject answers a request that is not a delivery to record.
func (b *Bot) reject(w http.ResponseWriter, status int, reason, msg string) {
	b.metrics.rejected.WithLabelValues(reason).Inc()
	http.Error(w, msg, status)
}

// serveWebhook takes one delivery: size, then signature, then headers and
// JSON, then the store. It answers 202 only after the delivery and its job
// are committed; a delivery seen before gets 200 and has no second effect.
func (b *Bot) serveWebhook(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		b.reject(w, http.StatusMethodNotAllowed, "method", "webhook deliveries are POSTed")
		return
	}
	max := b.cfg.MaxPayload
	if r.ContentLength > max {
		b.reject(w, http.StatusRequestEntityTooLarge, "size", fmt.Sprintf("the body is larger than %d bytes", max))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		b.reject(w, http.StatusRequestEntityTooLarge, "size", fmt.Sprintf("the body is larger than %d bytes", max))
		return
	case err != nil:
		b.reject(w, http.StatusBadRequest, "read", "reading the body failed")
		return
	}
	// Nothing of an unsigned body is looked at.
	if !verify(b.cfg.WebhookSecrets, r.Header.Get("X-Hub-Signature-256"), body) {
		b.reject(w, http.StatusUnauthorized, "signature", "missing or wrong X-Hub-Signature-256")
		return
	}
	event, id := r.Header.Get("X-GitHub-Event"), r.Header.Get("X-GitHub-Delivery")
	if event == "" || id == "" || len(id) > 200 || len(event) > 100 {
		b.reject(w, http.StatusBadRequest, "headers", "X-GitHub-Event and X-GitHub-Delivery are required")
		return
	}
	env, err := parseEnvelope(body)
	if err != nil {
		b.reject(w, http.StatusBadRequest, "json", "the body is not a JSON object")
		return
	}
	if event == "ping" {
		b.metrics.received.WithLabelValues(event).Inc()
		fmt.Fprintln(w, "pong")
		return
	}
	d := store.Delivery{ID: id, Event: event, Action: env.Action, Payload: body, ReceivedAt: b.cfg.Now()}
	if env.Installation != nil {
		d.InstallationID = env.Installation.ID
	}
	if env.Repository != nil {
		d.Repo = env.Repository.FullName
	}
	// The store write outlives a client that hangs up: GitHub may retry,
	// and the transaction either commits or does not.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Second)
	defer cancel()
	rec, err := b.Store().RecordDelivery(ctx, d, store.Job{Args: DeliveryArgs{DeliveryID: id, Event: event}})
	if err != nil {
		b.log.Error("recording a delivery failed", "delivery", id, "event", event, "err", err)
		b.reject(w, http.StatusServiceUnavailable, "store", "the delivery could not be recorded; GitHub may redeliver it")
		return
	}
	b.metrics.received.WithLabelValues(event).Inc()
	if rec.Duplicate {
		b.metrics.duplicates.Inc()
		w.WriteHeader(http.StatusOK)
		fmt.Fprintln(w, "duplicate delivery: already recorded")
		return
	}
	b.metrics.ack.Observe(time.Since(start).Seconds())
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintln(w, "accepted")
}
