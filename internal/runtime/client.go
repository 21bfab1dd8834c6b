// Package runtime is the vNext runtime client of the release path: it tells
// a runtime to load a package version (Deploy) or to go back to the previous
// one (Rollback).
//
// A publish can take minutes, so each attempt has a long timeout; attempts
// that fail for a reason that may pass (5xx, a timeout or a dropped
// connection, 409, 429) are retried with capped exponential backoff and
// jitter, and every attempt of one operation carries the same
// Idempotency-Key, so a runtime that already applied a request whose answer
// was lost does not apply it twice. Failures come back as *Error with a Kind
// that tells the caller whether the runtime refused (permanent), whether the
// outcome is unknown (retryable, given up) or whether only some parts failed
// (partial), which is what an automatic rollback decides on.
//
// The request shape is configurable (Shape): POST /publish/package
// {"package","version"} by default, or the variant POST /api/package/publish
// {"packageName","version"} that answers {success, failed[]}.
//
// The runtime token is only ever written to the Authorization header: it is
// not logged, and a runtime message that echoes it is redacted.
package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/backoff"
)

// DefaultTimeout bounds one attempt: loading a package can take minutes.
const DefaultTimeout = 10 * time.Minute

// maxAnswer is the most of an answer that is read.
const maxAnswer = 1 << 20

// Action is what a request asks of the runtime.
type Action string

// Actions.
const (
	ActionDeploy   Action = "deploy"
	ActionRollback Action = "rollback"
)

// Answer says how a 2xx answer is read.
type Answer int

const (
	// AnswerLenient: any 2xx is a success unless its body is a JSON object
	// that says otherwise (success: false, or a non-empty failed list).
	AnswerLenient Answer = iota
	// AnswerSuccessFailed: the body must be {success, failed[]}; a missing
	// or unreadable one is a failure (fail closed).
	AnswerSuccessFailed
)

// Shape is the path and body of a deploy request.
type Shape struct {
	// Path is joined to the base URL, e.g. "/publish/package".
	Path string
	// PackageField and VersionField name the body's fields.
	PackageField, VersionField string
	// RollbackField names the boolean field set to true on a rollback; empty
	// means a rollback is a deploy of the previous version.
	RollbackField string
	// Answer says how a 2xx answer is read.
	Answer Answer
}

// PublishPackageShape is the default shape: POST /publish/package
// {"package","version"}, with "rollback": true on a rollback.
func PublishPackageShape() Shape {
	return Shape{Path: "/publish/package", PackageField: "package", VersionField: "version", RollbackField: "rollback", Answer: AnswerLenient}
}

// APIPackageShape is the variant POST /api/package/publish
// {"packageName","version"} answering {success, failed[]}. It knows no
// rollback flag: a rollback publishes the previous version.
func APIPackageShape() Shape {
	return Shape{Path: "/api/package/publish", PackageField: "packageName", VersionField: "version", Answer: AnswerSuccessFailed}
}

// Target is a package version to load.
type Target struct {
	// Package is the runtime's own name, e.g. "vNext.Account".
	Package string
	// Version is the package version, e.g. "1.17.0".
	Version string
	// BundleDigest identifies the signed artifact, e.g. "sha256:…" of its
	// Sigstore bundle; it keeps the idempotency key of a rebuilt release
	// apart from the original's.
	BundleDigest string
}

func (t Target) String() string { return t.Package + " " + t.Version }

// IdempotencyKey is the Idempotency-Key of action on t: the same on every
// run of the same release, different for a rollback and for another bundle.
func IdempotencyKey(action Action, t Target) string {
	h := sha256.New()
	for _, s := range []string{"breakwater-runtime-v1", string(action), t.Package, t.Version, t.BundleDigest} {
		// Length prefixes keep ("ab","c") apart from ("a","bc").
		fmt.Fprintf(h, "%d:%s\n", len(s), s)
	}
	return "breakwater-" + string(action) + "-" + hex.EncodeToString(h.Sum(nil))[:32]
}

// Result is a request the runtime accepted.
type Result struct {
	Action         Action
	Target         Target
	IdempotencyKey string
	// Status is the HTTP status of the accepted answer.
	Status int
	// Attempts counts the requests sent, the first included.
	Attempts int
	// Message is the runtime's message, if it gave one (one line, redacted).
	Message string
}

// Client talks to one runtime. It is safe for concurrent use.
type Client struct {
	endpoint  string
	token     string
	shape     Shape
	timeout   time.Duration
	retry     RetryPolicy
	http      *http.Client
	log       *slog.Logger
	userAgent string
}

// Option configures a Client.
type Option func(*Client)

// WithShape replaces PublishPackageShape.
func WithShape(s Shape) Option { return func(c *Client) { c.shape = s } }

// WithTimeout bounds one attempt (DefaultTimeout when not set or not
// positive); the caller's context bounds the whole operation.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// WithHTTPClient sets the HTTP client (transport, TLS). Its Timeout should
// be zero or above the attempt timeout; redirects are never followed.
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithLogger logs every attempt (nothing is logged by default).
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client for the runtime at baseURL (its path, if any, is a
// prefix of the shape's path), authenticated with token when it is not
// empty.
func New(baseURL, token string, opts ...Option) (*Client, error) {
	c := &Client{token: token, shape: PublishPackageShape(), timeout: DefaultTimeout, retry: DefaultRetryPolicy(), userAgent: "breakwater"}
	for _, o := range opts {
		o(c)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("runtime URL: %w", redactURLError(err))
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("runtime URL %q: the scheme must be http or https", u.Redacted())
	case u.Host == "":
		return nil, fmt.Errorf("runtime URL %q has no host", u.Redacted())
	case u.User != nil:
		// Credentials in a URL end up in logs and error messages; the token
		// goes in the Authorization header instead.
		return nil, fmt.Errorf("runtime URL %q carries credentials; give the token separately", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return nil, fmt.Errorf("runtime URL %q must not have a query or fragment", u.Redacted())
	}
	if err := c.shape.validate(); err != nil {
		return nil, err
	}
	c.endpoint = strings.TrimRight(u.String(), "/") + c.shape.Path
	hc := http.Client{}
	if c.http != nil {
		hc = *c.http
	}
	// A redirect would resend the request somewhere the configuration does
	// not name; the answer is reported instead.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.http = &hc
	return c, nil
}

func (s Shape) validate() error {
	switch {
	case !strings.HasPrefix(s.Path, "/"):
		return fmt.Errorf("runtime path %q must start with /", s.Path)
	case strings.ContainsAny(s.Path, "?#"):
		return fmt.Errorf("runtime path %q must not have a query or fragment", s.Path)
	case s.PackageField == "" || s.VersionField == "":
		return errors.New("runtime request shape: the package and version fields need names")
	case s.PackageField == s.VersionField || s.RollbackField == s.PackageField || s.RollbackField == s.VersionField:
		return fmt.Errorf("runtime request shape: the field names %q, %q and %q must differ", s.PackageField, s.VersionField, s.RollbackField)
	}
	return nil
}

func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			ue.URL = u.Redacted()
		} else {
			ue.URL = "(unparsable URL)"
		}
	}
	return err
}

// Deploy asks the runtime to load t.
func (c *Client) Deploy(ctx context.Context, t Target) (*Result, error) {
	if t.BundleDigest == "" {
		return nil, &Error{Kind: KindPermanent, Action: ActionDeploy, Target: t, Message: "no bundle digest: only a verified, signed package may be deployed"}
	}
	return c.do(ctx, ActionDeploy, t)
}

// Rollback asks the runtime to go back to the previous version t.Version
// (t.BundleDigest is that version's, when known).
func (c *Client) Rollback(ctx context.Context, previous Target) (*Result, error) {
	return c.do(ctx, ActionRollback, previous)
}

func (c *Client) body(action Action, t Target) ([]byte, error) {
	m := map[string]any{c.shape.PackageField: t.Package, c.shape.VersionField: t.Version}
	if action == ActionRollback && c.shape.RollbackField != "" {
		m[c.shape.RollbackField] = true
	}
	return json.Marshal(m)
}

func (c *Client) do(ctx context.Context, action Action, t Target) (*Result, error) {
	if t.Package == "" || t.Version == "" {
		return nil, &Error{Kind: KindPermanent, Action: action, Target: t, Message: "the package name and version must not be empty"}
	}
	body, err := c.body(action, t)
	if err != nil {
		return nil, &Error{Kind: KindPermanent, Action: action, Target: t, Err: err}
	}
	key := IdempotencyKey(action, t)
	p := c.retry.withDefaults()
	log := c.log.With("action", string(action), "package", t.Package, "version", t.Version, "idempotency_key", key)
	var last *Error
	for attempt := 1; ; attempt++ {
		log.Info("runtime request", "attempt", attempt, "url", c.endpoint)
		res, aerr := c.attempt(ctx, action, t, key, body)
		if aerr == nil {
			res.Attempts = attempt
			log.Info("runtime accepted", "attempt", attempt, "status", res.Status)
			return res, nil
		}
		aerr.Attempts = attempt
		last = aerr
		if aerr.Kind != KindRetryable {
			log.Warn("runtime refused", "attempt", attempt, "status", aerr.Status, "error", aerr.Error())
			return nil, aerr
		}
		if ctx.Err() != nil {
			last.Err = errors.Join(last.Err, ctx.Err())
			return nil, last
		}
		if attempt >= p.Attempts {
			last.GaveUp = true
			log.Warn("runtime request failed; giving up", "attempt", attempt, "status", aerr.Status, "error", aerr.Error())
			return nil, last
		}
		wait := p.backoff(attempt)
		if aerr.retryAfterSet {
			if aerr.RetryAfter > p.MaxRetryAfter {
				last.GaveUp = true
				last.Message = joinMessage(last.Message, fmt.Sprintf("the runtime asked to retry after %v, longer than the %v allowed", aerr.RetryAfter, p.MaxRetryAfter))
				return nil, last
			}
			wait = aerr.RetryAfter
		}
		log.Warn("runtime request failed; retrying", "attempt", attempt, "status", aerr.Status, "wait", wait, "error", aerr.Error())
		if err := p.Sleep(ctx, wait); err != nil {
			last.Err = errors.Join(last.Err, err)
			return nil, last
		}
	}
}

func joinMessage(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// attempt sends one request and classifies its outcome.
func (c *Client) attempt(ctx context.Context, action Action, t Target, key string, body []byte) (*Result, *Error) {
	fail := func(kind Kind, status int, msg string, err error) *Error {
		return &Error{Kind: kind, Action: action, Target: t, Status: status, Message: c.redact(msg), Err: err}
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, fail(KindPermanent, 0, "", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Idempotency-Key", key)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, fail(KindRetryable, 0, fmt.Sprintf("no answer within %v", c.timeout), err)
		}
		// Network failures and the caller's cancellation; the loop stops
		// on the latter. Either way the runtime may have acted.
		return nil, fail(KindRetryable, 0, "", err)
	}
	defer resp.Body.Close()
	raw, rerr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if rerr != nil && resp.StatusCode < 300 {
		// Accepted, but the answer broke off: whether it said success is
		// unknown, so ask again (the idempotency key makes that safe).
		return nil, fail(KindRetryable, resp.StatusCode, "reading the answer", rerr)
	}
	ans := decodeAnswer(raw)
	status := resp.StatusCode
	switch {
	case status >= 200 && status < 300:
		return c.accepted(action, t, key, status, ans, fail)
	case retryableStatus(status):
		e := fail(KindRetryable, status, ans.message(raw), nil)
		e.RetryAfter, e.retryAfterSet = backoff.ParseRetryAfter(resp.Header.Get("Retry-After"), c.retry.now())
		return nil, e
	case status >= 300 && status < 400:
		loc := resp.Header.Get("Location")
		if u, err := url.Parse(loc); err == nil {
			loc = u.Redacted()
		}
		return nil, fail(KindPermanent, status, fmt.Sprintf("the runtime redirects to %q; configure that URL instead", loc), nil)
	default:
		return nil, fail(KindPermanent, status, ans.message(raw), nil)
	}
}

func (c *Client) accepted(action Action, t Target, key string, status int, ans answer, fail func(Kind, int, string, error) *Error) (*Result, *Error) {
	switch {
	case len(ans.Failed) > 0:
		e := fail(KindPartial, status, ans.Message, nil)
		for _, f := range ans.Failed {
			e.Failed = append(e.Failed, Failure{Name: c.redact(f.Name), Message: c.redact(f.Message)})
		}
		return nil, e
	case ans.Success != nil && !*ans.Success:
		msg := "the runtime answered success: false"
		if ans.err != nil {
			msg = "the answer's " + ans.err.Error()
		}
		return nil, fail(KindPermanent, status, joinMessage(msg, ans.Message), nil)
	case c.shape.Answer == AnswerSuccessFailed && ans.Success == nil:
		msg := "the answer is not {success, failed[]}"
		if ans.err != nil {
			msg += ": " + ans.err.Error()
		}
		return nil, fail(KindPermanent, status, msg, nil)
	}
	return &Result{Action: action, Target: t, IdempotencyKey: key, Status: status, Message: c.redact(ans.Message)}, nil
}

// retryableStatus: server errors, timeouts, conflicts (a publish in
// progress) and rate limits may pass; other 4xx will not.
func retryableStatus(s int) bool {
	switch s {
	case http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return s >= 500
}

// redact removes the token from text that came from the runtime: a runtime
// may echo the request's headers in an error.
func (c *Client) redact(s string) string {
	if c.token == "" || s == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[REDACTED]")
}

// Kind sorts failures for the caller's decision on an automatic rollback.
type Kind int

const (
	// KindPermanent: the runtime refused (400, 401, 403, 422, …) or said the
	// publish failed; retrying will not help. The version did not load.
	KindPermanent Kind = iota + 1
	// KindRetryable: every attempt failed for a reason that may pass (5xx,
	// timeouts, 409, 429), or the caller stopped waiting. Whether the
	// runtime loaded the version is unknown.
	KindRetryable
	// KindPartial: the runtime loaded the version only in part; Failed lists
	// what did not load.
	KindPartial
)

func (k Kind) String() string {
	switch k {
	case KindPermanent:
		return "permanent"
	case KindRetryable:
		return "retryable"
	case KindPartial:
		return "partial"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Failure is one entry of a partial failure's failed list.
type Failure struct {
	// Name is what failed (a component or package), when the runtime said.
	Name string
	// Message is why, when the runtime said.
	Message string
}

func (f Failure) String() string {
	switch {
	case f.Name == "":
		return f.Message
	case f.Message == "":
		return f.Name
	}
	return f.Name + " (" + f.Message + ")"
}

// Error is a failed deploy or rollback.
type Error struct {
	Kind   Kind
	Action Action
	Target Target
	// Status is the last HTTP status, 0 when no answer came.
	Status int
	// Message is the runtime's message or what went wrong (one line, the
	// token redacted).
	Message string
	// Failed lists what did not load (KindPartial).
	Failed []Failure
	// Attempts counts the requests sent.
	Attempts int
	// GaveUp is true when retries ran out (or the runtime asked for a longer
	// wait than allowed).
	GaveUp bool
	// RetryAfter is the last wait the runtime asked for.
	RetryAfter time.Duration
	Err        error

	retryAfterSet bool
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "runtime %s of %s", e.Action, e.Target)
	switch e.Kind {
	case KindPartial:
		fmt.Fprintf(&b, " partially failed: %d part(s) did not load: ", len(e.Failed))
		for i, f := range e.Failed {
			if i > 0 {
				b.WriteString(", ")
			}
			if i == 10 {
				fmt.Fprintf(&b, "and %d more", len(e.Failed)-i)
				break
			}
			b.WriteString(f.String())
		}
	default:
		b.WriteString(" failed")
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil && (e.Status == 0 || e.Message == "") {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.GaveUp {
		fmt.Fprintf(&b, " (gave up after %d attempts)", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf is the Kind of a failed Deploy or Rollback, 0 for other errors.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}
