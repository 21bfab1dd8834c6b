// Package npmregistry publishes packages through the npm registry protocol,
// the way `npm publish` does, to GitHub Packages (https://npm.pkg.github.com)
// or any other npm registry.
//
// Publishing is idempotent: a version already published with the same bytes
// is reported as such, one published with other bytes is a hard error
// (versions are immutable), and every publish is read back through the
// registry's dist.tarball and checked against the tarball's sha512.
package npmregistry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/breakwater-dev/breakwater/internal/backoff"
)

// Client talks to one registry with one token. It holds no request state;
// one Client may publish several packages, also concurrently.
type Client struct {
	registry *url.URL // absolute, with a final slash
	token    string
	http     *http.Client
	log      *slog.Logger
	retry    Retry
	// sleep waits between attempts; tests replace it to run without delays.
	sleep func(ctx context.Context, d time.Duration) error
}

// Options tune a Client; the zero value is ready to use.
type Options struct {
	HTTPClient *http.Client // default: one with connection and header timeouts
	Logger     *slog.Logger // default: no logs
	Retry      Retry
}

// Retry is how failed requests are repeated. Only network errors, 5xx and
// 429 are retried; every other answer is final.
type Retry struct {
	MaxAttempts   int           // per request, the first included; default 5
	BaseDelay     time.Duration // first backoff; default 1s, doubled per attempt
	MaxDelay      time.Duration // cap of the backoff; default 30s
	MaxRetryAfter time.Duration // longest Retry-After obeyed; longer is an error; default 5m
	// AttemptTimeout bounds one attempt (a 20 MB upload to a slow registry
	// takes a while); default 10m.
	AttemptTimeout time.Duration
}

func (r Retry) withDefaults() Retry {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = 5
	}
	if r.BaseDelay <= 0 {
		r.BaseDelay = time.Second
	}
	if r.MaxDelay <= 0 {
		r.MaxDelay = 30 * time.Second
	}
	if r.MaxRetryAfter <= 0 {
		r.MaxRetryAfter = 5 * time.Minute
	}
	if r.AttemptTimeout <= 0 {
		r.AttemptTimeout = 10 * time.Minute
	}
	return r
}

// New is a client of the registry at registryURL ("https://npm.pkg.github.com")
// authenticating with token (sent as "Authorization: Bearer", only to the
// registry's own host). The token may be empty for anonymous reads.
func New(registryURL, token string, opts Options) (*Client, error) {
	u, err := url.Parse(registryURL)
	if err != nil {
		return nil, fmt.Errorf("registry URL %q: %w", registryURL, err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("registry URL %q is not an absolute http(s) URL", registryURL)
	}
	if u.User != nil {
		return nil, errors.New("registry URL must not carry credentials; pass the token separately")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("registry URL %q must not have a query or fragment", registryURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	c := &Client{
		registry: u,
		token:    token,
		http:     opts.HTTPClient,
		log:      opts.Logger,
		retry:    opts.Retry.withDefaults(),
		sleep:    backoff.Sleep,
	}
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func defaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = 5 * time.Minute // a registry may take a while to store an upload
	return &http.Client{Transport: t}
}

// Registry is the registry's URL, with a final slash.
func (c *Client) Registry() string { return c.registry.String() }

// Error is an answer of the registry that ends a request: any 4xx other
// than 429, or a 5xx/429 that persisted through every retry.
type Error struct {
	Method     string
	URL        string
	StatusCode int
	Message    string // the registry's own words (its "error", "message" or "reason")
	Attempts   int
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("npm registry answered %s %s with %d %s", e.Method, e.URL, e.StatusCode, http.StatusText(e.StatusCode))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	switch e.StatusCode {
	case http.StatusUnauthorized:
		msg += "; the registry did not accept the token: check that it is set and valid"
	case http.StatusForbidden:
		msg += "; the token may lack the right to publish this package (on GitHub Packages: packages:write, and the package linked to this repository)"
	}
	return msg
}

// response is a completed HTTP exchange whose body has been read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// maxBody bounds what is read from any answer: a packument of a package
// with many versions, or a large tarball.
const maxBody = 1 << 30

// do sends one request, retrying network errors, 5xx and 429 with capped
// exponential backoff and jitter (or the server's Retry-After). Any other
// status is returned to the caller, which decides what it means.
func (c *Client) do(ctx context.Context, method, rawURL, accept string, body []byte) (*response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("npm registry: bad URL %q: %w", rawURL, err)
	}
	shown := redactURL(u)
	var last error
	for attempt := 1; ; attempt++ {
		resp, err := c.attempt(ctx, method, u, accept, body)
		if err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("npm registry: %s %s: %w", method, shown, ctx.Err())
		}
		var delay time.Duration
		serverDelay := false
		switch {
		case err != nil:
			last = fmt.Errorf("npm registry: %s %s: %s", method, shown, c.redact(err.Error()))
		case resp.status >= 500 || resp.status == http.StatusTooManyRequests:
			last = &Error{Method: method, URL: shown, StatusCode: resp.status, Message: c.registryMessage(resp), Attempts: attempt}
			if ra, ok := retryAfter(resp.header, time.Now()); ok {
				if ra > c.retry.MaxRetryAfter {
					return nil, fmt.Errorf("%w; it asks to retry after %s, longer than the %s this client waits", last, ra, c.retry.MaxRetryAfter)
				}
				delay, serverDelay = ra, true
			}
		default:
			return resp, nil
		}
		if attempt >= c.retry.MaxAttempts {
			var re *Error
			if errors.As(last, &re) {
				return nil, last
			}
			return nil, fmt.Errorf("%w (after %d attempts)", last, attempt)
		}
		if !serverDelay {
			delay = c.backoff(attempt)
		}
		c.log.WarnContext(ctx, "npm registry request failed, retrying",
			"method", method, "url", shown, "attempt", attempt, "delay", delay, "error", last.Error())
		if err := c.sleep(ctx, delay); err != nil {
			return nil, fmt.Errorf("npm registry: %s %s: %w (while waiting to retry: %v)", method, shown, err, last)
		}
	}
}

func (c *Client) attempt(ctx context.Context, method string, u *url.URL, accept string, body []byte) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.retry.AttemptTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.URL = u // keep the escaping of "@scope%2fname" exactly
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "breakwater (npm registry client)")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" && sameOrigin(u, c.registry) {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	if len(data) > maxBody {
		return nil, fmt.Errorf("the answer is larger than %d bytes", maxBody)
	}
	c.log.DebugContext(ctx, "npm registry request", "method", method, "url", redactURL(u),
		"status", resp.StatusCode, "bytes_sent", len(body), "bytes_received", len(data), "duration", time.Since(start))
	return &response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// backoff is the delay before attempt+1: BaseDelay doubled per attempt,
// capped at MaxDelay, with "equal jitter" (between half and all of it) so
// that parallel publishers do not retry in step.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.retry.BaseDelay
	for i := 1; i < attempt && d < c.retry.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, c.retry.MaxDelay)
	half := d / 2
	return half + rand.N(half+1)
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// registryMessage is the registry's explanation of a refusal: the "error",
// "message" or "reason" field npm registries answer with, else the start of
// a plain-text body. The token is blanked if a registry echoes it.
func (c *Client) registryMessage(resp *response) string {
	var doc struct {
		Error   any    `json:"error"`
		Message string `json:"message"`
		Reason  string `json:"reason"`
	}
	var parts []string
	if json.Unmarshal(resp.body, &doc) == nil {
		switch e := doc.Error.(type) {
		case string:
			parts = append(parts, e)
		case map[string]any: // {"error": {"message": "…"}}
			if m, ok := e["message"].(string); ok {
				parts = append(parts, m)
			}
		}
		for _, s := range []string{doc.Message, doc.Reason} {
			if s != "" && !slices.Contains(parts, s) {
				parts = append(parts, s)
			}
		}
	} else if ct := resp.header.Get("Content-Type"); !strings.Contains(ct, "html") {
		parts = append(parts, strings.TrimSpace(string(resp.body)))
	}
	msg := c.redact(strings.Join(parts, ": "))
	msg = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, msg)
	if len(msg) > 500 {
		cut := 500
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = msg[:cut] + "…"
	}
	return msg
}

// redact blanks the token wherever it might appear in text we produce.
func (c *Client) redact(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, "***")
}

// redactURL is u without user info, for messages and logs.
func redactURL(u *url.URL) string {
	if u.User == nil {
		return u.String()
	}
	v := *u
	v.User = nil
	return v.String()
}

// sameOrigin reports whether u is on the registry's scheme, host and port,
// the only place the token is sent.
func sameOrigin(u, registry *url.URL) bool {
	return strings.EqualFold(u.Scheme, registry.Scheme) &&
		strings.EqualFold(u.Hostname(), registry.Hostname()) && port(u) == port(registry)
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}
