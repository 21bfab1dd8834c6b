// Package tray is the adapter for Tray.io's Embedded GraphQL API and its
// platform REST API (docs/tray-api.md): it lists solution instances, upgrades
// them, mints user tokens, imports projects and asks for publish previews.
// It speaks its own types; the upgrade plan (internal/plan) never sees them.
//
// Every request goes through one client-side token bucket (30 requests per
// second by default), waits out a 429's Retry-After for all requests, and
// is retried with capped, jittered backoff on 5xx, timeouts and 429. Other
// 4xx answers and GraphQL errors are permanent. Tokens never appear in
// errors or logs.
//
// There is deliberately no method for updateSolutionInstance: it changes
// values of the current version and does not move an instance to the new
// one, so an upgrade through it would silently do nothing.
package tray

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/breakwater-dev/breakwater/internal/backoff"
	"golang.org/x/time/rate"
)

// Region is one of Tray's data centres.
type Region string

const (
	RegionUS   Region = "us"
	RegionEU   Region = "eu"
	RegionAPAC Region = "apac"
)

// GraphQLURL is the region's Embedded GraphQL endpoint.
func (r Region) GraphQLURL() (string, error) {
	switch r {
	case RegionUS, "":
		return "https://tray.io/graphql", nil
	case RegionEU:
		return "https://eu1.tray.io/graphql", nil
	case RegionAPAC:
		return "https://ap1.tray.io/graphql", nil
	}
	return "", fmt.Errorf("tray: unknown region %q (want us, eu or apac)", string(r))
}

// APIURL is the region's platform REST base, ending in /core/v1. Tray
// documents no APAC endpoint for it: set Options.APIURL there.
func (r Region) APIURL() (string, error) {
	switch r {
	case RegionUS, "":
		return "https://api.tray.io/core/v1", nil
	case RegionEU:
		return "https://api.eu1.tray.io/core/v1", nil
	case RegionAPAC:
		return "", errors.New("tray: no documented platform API endpoint for region apac; set the API URL explicitly")
	}
	return "", fmt.Errorf("tray: unknown region %q (want us, eu or apac)", string(r))
}

// Defaults. The rate limit is a secondary source's figure (about 30
// requests per second, bursts near 50), hence configurable.
const (
	DefaultRateLimit      = 30
	DefaultBurst          = 1
	DefaultPageSize       = 100
	DefaultMaxAttempts    = 5
	DefaultMinBackoff     = 250 * time.Millisecond
	DefaultMaxBackoff     = 10 * time.Second
	DefaultMaxRetryAfter  = 2 * time.Minute
	DefaultAttemptTimeout = 30 * time.Second
	// AssumedUserTokenLifetime is our assumption, from Tray's documents
	// ("valid for about two days"): the authorize answer carries no expiry.
	AssumedUserTokenLifetime = 48 * time.Hour
	// DefaultUserTokenRenewBefore renews a cached user token this long
	// before its assumed expiry, to absorb clock skew and long operations.
	DefaultUserTokenRenewBefore = 2 * time.Hour
	maxBody                     = 64 << 20
)

// Options configure a Client. MasterToken is required; everything else has
// a default.
type Options struct {
	// MasterToken is the Embedded master token (Tray UI). Sent as
	// "Authorization: Bearer …", never logged.
	MasterToken string
	// Region picks the endpoints (default US); GraphQLURL and APIURL
	// override them (tests, proxies).
	Region     Region
	GraphQLURL string
	APIURL     string // platform REST base ending in /core/v1
	HTTPClient *http.Client
	// RateLimit is the most requests per second the client sends (all
	// endpoints together); Burst is the token bucket's size.
	RateLimit float64
	Burst     int
	// Limiter, when set, paces requests instead of RateLimit and Burst:
	// e.g. a budget shared with other processes. When it also implements
	// Deferrer, a 429's Retry-After is passed on to it.
	Limiter Limiter
	// PageSize is "first" of each solutionInstances page.
	PageSize int
	// MaxAttempts bounds the tries of one call, the first included.
	MaxAttempts int
	// MinBackoff is the first retry's wait; it doubles per retry up to
	// MaxBackoff, with jitter.
	MinBackoff, MaxBackoff time.Duration
	// MaxRetryAfter: a 429 asking for a longer wait fails the call at once
	// (retryable), so a caller can reschedule instead of blocking.
	MaxRetryAfter time.Duration
	// AttemptTimeout bounds one request.
	AttemptTimeout time.Duration
	// UserTokenLifetime is how long a minted user token is assumed valid
	// (AssumedUserTokenLifetime); it is reused until UserTokenRenewBefore
	// before that.
	UserTokenLifetime    time.Duration
	UserTokenRenewBefore time.Duration
	// Now is the clock for token expiry (tests inject one).
	Now    func() time.Time
	Logger *slog.Logger
}

// Limiter paces requests: Wait returns when one may be sent.
type Limiter interface {
	Wait(ctx context.Context) error
}

// Deferrer is a Limiter that can be told to hold every request for d (Tray
// answered 429 with Retry-After d).
type Deferrer interface {
	Defer(d time.Duration)
}

// Client talks to Tray. It is safe for concurrent use.
type Client struct {
	opts    Options
	gqlURL  string
	apiURL  string
	apiErr  error
	http    *http.Client
	limiter Limiter
	log     *slog.Logger

	mu          sync.Mutex
	pausedUntil time.Time // a 429's Retry-After holds every request
	tokens      map[string]userToken
	minting     map[string]*mintCall
}

// New makes a client. It fails when the master token or an endpoint is
// missing.
func New(o Options) (*Client, error) {
	if strings.TrimSpace(o.MasterToken) == "" {
		return nil, errors.New("tray: no master token (Embedded master token from the Tray UI)")
	}
	c := &Client{opts: o, gqlURL: o.GraphQLURL, apiURL: o.APIURL,
		tokens: map[string]userToken{}, minting: map[string]*mintCall{}}
	if c.gqlURL == "" {
		u, err := o.Region.GraphQLURL()
		if err != nil {
			return nil, err
		}
		c.gqlURL = u
	}
	if c.apiURL == "" {
		// Only the publish preview needs it: fail that call, not New.
		c.apiURL, c.apiErr = o.Region.APIURL()
	}
	c.apiURL = strings.TrimRight(c.apiURL, "/")
	c.http = o.HTTPClient
	if c.http == nil {
		// Keep a connection per concurrent caller: the default keeps 2 idle
		// per host, so a rollout with more workers would dial per request.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = 64
		c.http = &http.Client{Transport: t}
	}
	o = withDefaults(o)
	c.opts = o
	c.limiter = o.Limiter
	if c.limiter == nil {
		c.limiter = rate.NewLimiter(rate.Limit(o.RateLimit), o.Burst)
	}
	c.log = o.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func withDefaults(o Options) Options {
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.RateLimit <= 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.Burst <= 0 {
		o.Burst = DefaultBurst
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	set(&o.MinBackoff, DefaultMinBackoff)
	set(&o.MaxBackoff, DefaultMaxBackoff)
	set(&o.MaxRetryAfter, DefaultMaxRetryAfter)
	set(&o.AttemptTimeout, DefaultAttemptTimeout)
	set(&o.UserTokenLifetime, AssumedUserTokenLifetime)
	set(&o.UserTokenRenewBefore, DefaultUserTokenRenewBefore)
	if o.UserTokenRenewBefore >= o.UserTokenLifetime {
		o.UserTokenRenewBefore = o.UserTokenLifetime / 2
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// request is one call: its endpoint, body and the token it uses.
type request struct {
	op    string // for errors and logs
	url   string
	body  []byte
	token string
	// atMostOnce: never resend after an outcome that may have executed
	// the request (see UpgradeInput.AtMostOnce).
	atMostOnce bool
}

// send makes the request with rate limiting and retries, and returns the
// body of a 2xx answer. Failures are *Error, except a cancelled ctx.
func (c *Client) send(ctx context.Context, r request) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		if err := c.waitTurn(ctx); err != nil {
			return nil, fmt.Errorf("tray: %s: %w", r.op, err)
		}
		body, err := c.try(ctx, r)
		if err == nil {
			return body, nil
		}
		var te *Error
		if !errors.As(err, &te) {
			return nil, err // ctx ended
		}
		te.Attempts = attempt
		if !te.Retryable() {
			return nil, te
		}
		if te.Kind == KindRateLimited {
			c.pause(te.RetryAfter)
		}
		if attempt >= c.opts.MaxAttempts || r.atMostOnce && !te.notExecuted() {
			return nil, te
		}
		if te.RetryAfter > c.opts.MaxRetryAfter {
			return nil, te // the caller reschedules rather than block
		}
		wait := max(te.RetryAfter, c.backoff(attempt))
		c.log.LogAttrs(ctx, slog.LevelWarn, "tray request failed, retrying",
			slog.String("op", r.op), slog.String("kind", te.Kind.String()), slog.Int("status", te.Status),
			slog.Int("attempt", attempt), slog.Duration("wait", wait))
		if err := backoff.Sleep(ctx, wait); err != nil {
			return nil, fmt.Errorf("tray: %s: %w (last failure: %v)", r.op, err, te)
		}
	}
}

// waitTurn waits for a 429 pause to end, then for the limiter, and again
// if a pause began meanwhile (another request met a 429 while this one
// waited for its turn).
func (c *Client) waitTurn(ctx context.Context) error {
	for {
		for {
			c.mu.Lock()
			until := c.pausedUntil
			c.mu.Unlock()
			d := time.Until(until)
			if d <= 0 {
				break
			}
			if err := backoff.Sleep(ctx, d); err != nil {
				return err
			}
		}
		if err := c.limiter.Wait(ctx); err != nil {
			return err
		}
		c.mu.Lock()
		paused := time.Now().Before(c.pausedUntil)
		c.mu.Unlock()
		if !paused {
			return nil
		}
	}
}

func (c *Client) pause(d time.Duration) {
	if d <= 0 {
		return
	}
	until := time.Now().Add(d)
	c.mu.Lock()
	if until.After(c.pausedUntil) {
		c.pausedUntil = until
	}
	c.mu.Unlock()
	// Then tell a shared limiter, so that other processes hold too.
	if df, ok := c.limiter.(Deferrer); ok {
		df.Defer(d)
	}
}

// backoff is the wait before retry n (1-based): MinBackoff doubling up to
// MaxBackoff, with "equal jitter" (half fixed, half random) so concurrent
// callers spread out but never retry at once.
func (c *Client) backoff(n int) time.Duration {
	d := c.opts.MinBackoff
	for i := 1; i < n && d < c.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.opts.MaxBackoff)
	half := d / 2
	return half + rand.N(half+1)
}

// try makes one request and classifies its outcome.
func (c *Client) try(ctx context.Context, r request) ([]byte, error) {
	actx, cancel := context.WithTimeout(ctx, c.opts.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, r.url, bytes.NewReader(r.body))
	if err != nil {
		return nil, &Error{Op: r.op, Kind: KindInput, Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Op: r.op, Kind: KindTransport, Err: c.redactErr(err), unsent: isDialError(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &Error{Op: r.op, Kind: KindTransport, Status: resp.StatusCode, Err: c.redactErr(err)}
	}
	if len(body) > maxBody {
		return nil, &Error{Op: r.op, Kind: KindDecode, Status: resp.StatusCode,
			Err: fmt.Errorf("answer larger than %d MiB", maxBody>>20)}
	}
	if resp.StatusCode/100 == 2 {
		return body, nil
	}
	e := &Error{Op: r.op, Status: resp.StatusCode, Messages: c.bodyMessages(body)}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		e.Kind = KindRateLimited
		e.RetryAfter, _ = backoff.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case resp.StatusCode >= 500:
		e.Kind = KindServer
		e.RetryAfter, _ = backoff.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		e.Kind = KindAuth
	default:
		e.Kind = KindRequest
	}
	return nil, e
}

// bodyMessages reads an error answer: the GraphQL errors' messages when it
// has them, else a short excerpt of the body.
func (c *Client) bodyMessages(body []byte) []string {
	var g struct {
		Errors []gqlError `json:"errors"`
	}
	if json.Unmarshal(body, &g) == nil && len(g.Errors) > 0 {
		msgs := make([]string, 0, len(g.Errors))
		for _, e := range g.Errors {
			msgs = append(msgs, c.redact(e.Message))
		}
		return msgs
	}
	s := strings.TrimSpace(string(body))
	if s == "" {
		return nil
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return []string{c.redact(s)}
}

// redact removes every token the client knows from s.
func (c *Client) redact(s string) string {
	s = strings.ReplaceAll(s, c.opts.MasterToken, "[REDACTED]")
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, t := range c.tokens {
		if t.token != "" {
			s = strings.ReplaceAll(s, t.token, "[REDACTED]")
		}
	}
	return s
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Timeout keeps net.Error's meaning visible through the redaction.
func (e *redactedError) Timeout() bool {
	var ne net.Error
	return errors.As(e.err, &ne) && ne.Timeout()
}

func (c *Client) redactErr(err error) error {
	return &redactedError{msg: c.redact(err.Error()), err: err}
}

// isDialError reports whether a transport error happened before the
// request was written: the connection could not be made.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
