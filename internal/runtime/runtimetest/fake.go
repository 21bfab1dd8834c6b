// Package runtimetest is a strict fake vNext runtime for tests: an httptest
// server that accepts deploy and rollback requests in either request shape,
// keeps which version of each package is live, replays answers by
// Idempotency-Key like a careful runtime, and answers with injected faults.
//
// It is strict: a request to another path, with another method or content
// type, without an Idempotency-Key, or with a body that has unknown or
// missing fields fails the test (and is answered 4xx). A wrong token is not
// a test failure: it is answered 401, as a runtime would.
package runtimetest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Variant is a request shape the fake serves.
type Variant int

const (
	// PublishPackage: POST /publish/package {"package","version"}, with
	// "rollback": true on a rollback.
	PublishPackage Variant = iota
	// APIPackage: POST /api/package/publish {"packageName","version"},
	// answering {success, failed[]}.
	APIPackage
)

// Config describes the fake runtime.
type Config struct {
	Variant Variant
	// Path replaces the variant's path.
	Path string
	// Token is the bearer token requests must carry; empty accepts any.
	Token string
	// Versions lists the versions the runtime can load, per package; a
	// package not listed here has every version.
	Versions map[string][]string
	// Live is what is live at the start, package → version.
	Live map[string]string
}

// Fake is the fake runtime.
type Fake struct {
	// URL is the runtime's base URL.
	URL string

	t    testing.TB
	cfg  Config
	path string

	mu      sync.Mutex
	live    map[string]*Live
	history map[string][]Event
	calls   []Call
	faults  []*fault
	keys    map[string]*stored
	applied int
}

// Live is the state of a package on the runtime.
type Live struct {
	Version string
	// Failed lists what did not load when the last deploy was partial.
	Failed []string
}

// Healthy is true when the live version loaded completely.
func (l Live) Healthy() bool { return l.Version != "" && len(l.Failed) == 0 }

// Event is a change of the live version.
type Event struct {
	Action  string // "deploy" or "rollback"
	Version string
	Partial bool
}

// Call is a request the fake received.
type Call struct {
	Method, Path string
	// Action is "deploy" or "rollback" ("" when the body was unreadable).
	Action           string
	Package, Version string
	IdempotencyKey   string
	// Authorization is the header as sent; tests assert the token is sent
	// and nowhere else.
	Authorization string
	// Status is the answer's status.
	Status int
	// Replayed is true when the answer came from the idempotency store.
	Replayed bool
	// Fault is true when the answer was an injected fault.
	Fault bool
	// Body is the request body.
	Body string
}

type stored struct {
	bodyHash [32]byte
	status   int
	body     []byte
}

// New starts a fake runtime for the test; it stops when the test ends.
func New(t testing.TB, cfg Config) *Fake {
	t.Helper()
	f := &Fake{t: t, cfg: cfg, live: map[string]*Live{}, history: map[string][]Event{}, keys: map[string]*stored{}}
	f.path = cfg.Path
	if f.path == "" {
		f.path = map[Variant]string{PublishPackage: "/publish/package", APIPackage: "/api/package/publish"}[cfg.Variant]
	}
	for p, v := range cfg.Live {
		f.live[p] = &Live{Version: v}
	}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = srv.URL
	t.Cleanup(srv.Close)
	return f
}

// Fault is an answer the fake gives instead of the normal one.
type Fault struct {
	// Action limits the fault to "deploy" or "rollback" ("" = both).
	Action string
	// Package limits the fault to one package ("" = all).
	Package string
	// Times is how many matching requests get the fault (0 = all).
	Times int
	// Status is the answer's status; 0 with Delay answers normally after the
	// delay, 0 with Failed answers 200.
	Status int
	// RetryAfter is sent as the Retry-After header when not empty.
	RetryAfter string
	// Body is the answer's body; the default is {"message": <status text>}.
	Body string
	// Delay holds the answer back (until the client gives up, if sooner).
	Delay time.Duration
	// Apply applies the request before answering with the fault: the answer
	// is lost, but the version loaded, as when a proxy times out.
	Apply bool
	// Failed makes the deploy partial: these parts do not load, and the
	// answer lists them (success: false, failed: [...]).
	Failed []string
	// Drop closes the connection without an answer.
	Drop bool
}

type fault struct {
	Fault
	used int
}

// Fail injects a fault; faults are matched in the order they were added.
func (f *Fake) Fail(ft Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &fault{Fault: ft})
}

// ServerError answers times requests with status (5xx).
func ServerError(times, status int) Fault { return Fault{Times: times, Status: status} }

// Slow holds times answers back for delay: longer than the client's attempt
// timeout, it is a timeout.
func Slow(times int, delay time.Duration) Fault { return Fault{Times: times, Delay: delay} }

// Conflict answers times requests 409, as a runtime busy with another
// publish of the package does.
func Conflict(times int) Fault {
	return Fault{Times: times, Status: http.StatusConflict, Body: `{"message":"a publish of this package is in progress"}`}
}

// RateLimited answers times requests 429 with Retry-After.
func RateLimited(times int, retryAfter string) Fault {
	return Fault{Times: times, Status: http.StatusTooManyRequests, RetryAfter: retryAfter, Body: `{"error":{"code":"rate_limited","message":"too many requests"}}`}
}

// BadRequest answers 400 with message.
func BadRequest(message string) Fault {
	b, _ := json.Marshal(map[string]string{"message": message, "traceId": "0af7651916cd43dd8448eb211c80319c"})
	return Fault{Status: http.StatusBadRequest, Body: string(b)}
}

// Dropped closes times connections without an answer.
func Dropped(times int) Fault { return Fault{Times: times, Drop: true} }

// Partial makes deploys load without the named parts.
func Partial(failed ...string) Fault { return Fault{Action: "deploy", Times: 1, Failed: failed} }

// Calls returns the requests received so far.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Live is the state of pkg ("" version when nothing is live).
func (f *Fake) Live(pkg string) Live {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l := f.live[pkg]; l != nil {
		return Live{Version: l.Version, Failed: slices.Clone(l.Failed)}
	}
	return Live{}
}

// History lists the changes of pkg's live version, oldest first.
func (f *Fake) History(pkg string) []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.history[pkg])
}

// Applied counts the requests that changed anything (replays do not).
func (f *Fake) Applied() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied
}

// request is a decoded request body.
type request struct {
	action, pkg, version string
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	call := Call{Method: r.Method, Path: r.URL.Path, IdempotencyKey: r.Header.Get("Idempotency-Key"), Authorization: r.Header.Get("Authorization"), Body: string(body)}
	answer := func(status int, body string, header ...string) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
		call.Status = status
		f.mu.Lock()
		f.calls = append(f.calls, call)
		f.mu.Unlock()
	}
	reject := func(status int, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		f.t.Errorf("fake runtime rejected a request: %s %s: %s", r.Method, r.URL.Path, msg)
		b, _ := json.Marshal(map[string]string{"message": msg})
		answer(status, string(b))
	}
	switch {
	case err != nil:
		reject(http.StatusBadRequest, "reading the body: %v", err)
		return
	case r.URL.Path != f.path:
		reject(http.StatusNotFound, "unknown route (the runtime serves POST %s)", f.path)
		return
	case r.URL.RawQuery != "":
		reject(http.StatusBadRequest, "unexpected query %q", r.URL.RawQuery)
		return
	case r.Method != http.MethodPost:
		reject(http.StatusMethodNotAllowed, "method not allowed")
		return
	case r.Header.Get("Content-Type") != "application/json":
		reject(http.StatusUnsupportedMediaType, "Content-Type %q, want application/json", r.Header.Get("Content-Type"))
		return
	case call.IdempotencyKey == "":
		reject(http.StatusBadRequest, "no Idempotency-Key header")
		return
	}
	req, err := f.decode(body)
	if err != nil {
		reject(http.StatusBadRequest, "%v", err)
		return
	}
	call.Action, call.Package, call.Version = req.action, req.pkg, req.version
	if f.cfg.Token != "" && call.Authorization != "Bearer "+f.cfg.Token {
		// A runtime that echoes what it got: the client must redact it.
		b, _ := json.Marshal(map[string]string{"message": "invalid token in " + call.Authorization})
		answer(http.StatusUnauthorized, string(b))
		return
	}

	f.mu.Lock()
	ft := f.fault(req)
	hash := sha256.Sum256(body)
	prior := f.keys[call.IdempotencyKey]
	f.mu.Unlock()
	if prior != nil && prior.bodyHash != hash {
		reject(http.StatusUnprocessableEntity, "Idempotency-Key %s was used before with another body", call.IdempotencyKey)
		return
	}
	call.Fault = ft != nil
	status, out := 0, ""
	switch {
	case prior != nil:
		// A retry of a request already applied: the stored answer, unless
		// a fault answers instead.
		call.Replayed = ft == nil || (ft.Status == 0 && !ft.Drop)
		status, out = prior.status, string(prior.body)
	case ft != nil && ft.Apply:
		status, out = f.apply(req, call.IdempotencyKey, hash, ft)
	}
	if ft != nil && ft.Delay > 0 {
		select {
		case <-time.After(ft.Delay):
		case <-r.Context().Done():
			// The client gave up; what was applied stays applied.
			f.mu.Lock()
			f.calls = append(f.calls, call)
			f.mu.Unlock()
			return
		}
	}
	if ft != nil && ft.Drop {
		f.mu.Lock()
		f.calls = append(f.calls, call)
		f.mu.Unlock()
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	if ft != nil && ft.Status != 0 {
		f.answerFault(ft, answer)
		return
	}
	if status == 0 {
		status, out = f.apply(req, call.IdempotencyKey, hash, ft)
	}
	answer(status, out)
}

func (f *Fake) answerFault(ft *Fault, answer func(int, string, ...string)) {
	body := ft.Body
	if body == "" {
		b, _ := json.Marshal(map[string]string{"message": http.StatusText(ft.Status)})
		body = string(b)
	}
	var h []string
	if ft.RetryAfter != "" {
		h = []string{"Retry-After", ft.RetryAfter}
	}
	answer(ft.Status, body, h...)
}

// fault picks and uses the first matching fault; f.mu is held.
func (f *Fake) fault(req request) *Fault {
	for _, ft := range f.faults {
		if (ft.Action == "" || ft.Action == req.action) && (ft.Package == "" || ft.Package == req.pkg) && (ft.Times == 0 || ft.used < ft.Times) {
			ft.used++
			cp := ft.Fault
			return &cp
		}
	}
	return nil
}

// decode reads the body strictly: every field known, none missing.
func (f *Fake) decode(body []byte) (request, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var req request
	switch f.cfg.Variant {
	case APIPackage:
		var b struct {
			PackageName *string `json:"packageName"`
			Version     *string `json:"version"`
		}
		if err := dec.Decode(&b); err != nil {
			return req, fmt.Errorf("body %s: %w", body, err)
		}
		if b.PackageName == nil || b.Version == nil || *b.PackageName == "" || *b.Version == "" {
			return req, fmt.Errorf("body %s: packageName and version are required", body)
		}
		req = request{action: "deploy", pkg: *b.PackageName, version: *b.Version}
	default:
		var b struct {
			Package  *string `json:"package"`
			Version  *string `json:"version"`
			Rollback *bool   `json:"rollback"`
		}
		if err := dec.Decode(&b); err != nil {
			return req, fmt.Errorf("body %s: %w", body, err)
		}
		if b.Package == nil || b.Version == nil || *b.Package == "" || *b.Version == "" {
			return req, fmt.Errorf("body %s: package and version are required", body)
		}
		if b.Rollback != nil && !*b.Rollback {
			return req, fmt.Errorf("body %s: rollback is only sent as true", body)
		}
		req = request{action: "deploy", pkg: *b.Package, version: *b.Version}
		if b.Rollback != nil {
			req.action = "rollback"
		}
	}
	if dec.More() {
		return req, fmt.Errorf("body %s: more than one JSON value", body)
	}
	return req, nil
}

// apply changes the live state and stores the answer under key.
func (f *Fake) apply(req request, key string, hash [32]byte, ft *Fault) (int, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	status, out := f.applyLocked(req, ft)
	f.keys[key] = &stored{bodyHash: hash, status: status, body: []byte(out)}
	return status, out
}

func (f *Fake) applyLocked(req request, ft *Fault) (int, string) {
	if vs, ok := f.cfg.Versions[req.pkg]; ok && !slices.Contains(vs, req.version) {
		return http.StatusUnprocessableEntity, fmt.Sprintf(`{"message":%q}`, fmt.Sprintf("package %s has no version %s", req.pkg, req.version))
	}
	if req.action == "rollback" && !f.wasLive(req.pkg, req.version) {
		return http.StatusUnprocessableEntity, fmt.Sprintf(`{"message":%q}`, fmt.Sprintf("cannot roll back %s to %s: that version was never live", req.pkg, req.version))
	}
	f.applied++
	var failed []string
	if ft != nil {
		failed = slices.Clone(ft.Failed)
	}
	f.live[req.pkg] = &Live{Version: req.version, Failed: failed}
	f.history[req.pkg] = append(f.history[req.pkg], Event{Action: req.action, Version: req.version, Partial: len(failed) > 0})
	switch {
	case f.cfg.Variant == APIPackage && len(failed) > 0:
		items := make([]map[string]string, len(failed))
		for i, n := range failed {
			items[i] = map[string]string{"name": n, "error": "the component did not start"}
		}
		b, _ := json.Marshal(map[string]any{"success": false, "failed": items, "requestId": "r-" + strconv.Itoa(f.applied)})
		return http.StatusOK, string(b)
	case len(failed) > 0:
		b, _ := json.Marshal(map[string]any{"status": "degraded", "failed": failed})
		return http.StatusOK, string(b)
	case f.cfg.Variant == APIPackage:
		// Fields beyond {success, failed} test the client's tolerance.
		b, _ := json.Marshal(map[string]any{"success": true, "failed": []string{}, "requestId": "r-" + strconv.Itoa(f.applied), "durationMs": 1234})
		return http.StatusOK, string(b)
	}
	b, _ := json.Marshal(map[string]any{"package": req.pkg, "version": req.version, "status": "published", "message": req.action + " done"})
	return http.StatusOK, string(b)
}

// wasLive reports whether version was ever live for pkg; f.mu is held.
func (f *Fake) wasLive(pkg, version string) bool {
	if f.cfg.Live[pkg] == version {
		return true
	}
	for _, e := range f.history[pkg] {
		if e.Version == version {
			return true
		}
	}
	return false
}

// Packages lists the packages with a live version, sorted.
func (f *Fake) Packages() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.live))
}

func (v Variant) String() string {
	if v == APIPackage {
		return "api-package"
	}
	return "publish-package"
}
