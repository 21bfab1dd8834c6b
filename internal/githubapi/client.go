// Package githubapi is the GitHub REST adapter: the few operations the pull
// request run (ops.go) and the release path (release.go) need, over
// go-github, with errors that name the operation and the HTTP status, and
// bounded retries for server errors and rate limits.
//
// Callers define the interface they need (see prrun.GitHub); *Client
// satisfies it.
package githubapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/backoff"
	"github.com/google/go-github/v88/github"
)

// Repo names a repository.
type Repo struct {
	Owner, Name string
}

func (r Repo) String() string { return r.Owner + "/" + r.Name }

// Client is a GitHub REST client. It is safe for concurrent use.
type Client struct {
	gh    *github.Client
	retry RetryPolicy
	// uploads is the base URL of release asset uploads, "" when it is not
	// known (see UploadURL).
	uploads string
	// download fetches what the API redirects to (source archives): no
	// token goes there, and no overall timeout cuts a long download short.
	download *http.Client
	rate     *rateTracker
}

// Option configures a Client.
type Option func(*options)

type options struct {
	httpClient *http.Client
	retry      RetryPolicy
	userAgent  string
	uploadURL  string
	// downloadTransport carries downloads when the HTTP client's transport
	// authenticates every request (an installation's): no token may reach
	// the host an archive is redirected to.
	downloadTransport http.RoundTripper
}

// WithHTTPClient sets the HTTP client (timeouts, transport).
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithRetryPolicy replaces DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option { return func(o *options) { o.retry = p } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(o *options) { o.userAgent = ua } }

// WithUploadURL sets the base URL of release asset uploads when UploadURL
// cannot derive it from the API URL (a proxy, a test server).
func WithUploadURL(u string) Option { return func(o *options) { o.uploadURL = u } }

// New returns a client for the REST API at apiURL (https://api.github.com,
// or a GitHub Enterprise Server's https://HOST/api/v3) authenticated with
// token; an empty token makes anonymous requests.
func New(apiURL, token string, opts ...Option) (*Client, error) {
	o := options{retry: DefaultRetryPolicy(), userAgent: "breakwater"}
	for _, opt := range opts {
		opt(&o)
	}
	if o.httpClient == nil {
		o.httpClient = &http.Client{Timeout: 60 * time.Second}
	}
	base := strings.TrimRight(apiURL, "/") + "/"
	uploads := o.uploadURL
	if uploads == "" {
		uploads, _ = UploadURL(apiURL)
	}
	if uploads != "" {
		uploads = strings.TrimRight(uploads, "/") + "/"
	}
	goUploads := cmp.Or(uploads, base)
	gopts := []github.ClientOptionsFunc{
		github.WithHTTPClient(o.httpClient),
		github.WithURLs(&base, &goUploads),
		github.WithUserAgent(o.userAgent),
		// Rate limits are handled by the retry loop here, with an injectable
		// clock; go-github's own bookkeeping would refuse requests by the wall
		// clock instead.
		github.WithDisableRateLimitCheck(),
	}
	if token != "" {
		gopts = append(gopts, github.WithAuthToken(token))
	}
	gh, err := github.NewClient(gopts...)
	if err != nil {
		return nil, fmt.Errorf("GitHub client for %s: %w", apiURL, err)
	}
	download := *o.httpClient
	download.Timeout = 0
	if o.downloadTransport != nil {
		download.Transport = o.downloadTransport
	}
	return &Client{gh: gh, retry: o.retry, uploads: uploads, download: &download, rate: &rateTracker{}}, nil
}

// Error is a failed GitHub API call.
type Error struct {
	// Op says what was attempted, e.g. "list the files of pull request #7".
	Op string
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Message is GitHub's message, if any.
	Message string
	// RetryAfter is how long GitHub asked to wait (Retry-After), when it did.
	RetryAfter time.Duration
	// RateReset is when the exhausted primary rate limit resets, for a
	// rate-limited call.
	RateReset time.Time
	Err       error

	retryAfterSet bool // a Retry-After header came, possibly "0"
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("GitHub API: ")
	b.WriteString(e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	switch {
	case e.Message != "":
		b.WriteString(": ")
		b.WriteString(e.Message)
	case e.Status == 0 && e.Err != nil:
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (GitHub asked to retry after %v)", e.RetryAfter)
	}
	if !e.RateReset.IsZero() {
		fmt.Fprintf(&b, " (the rate limit resets at %s)", e.RateReset.UTC().Format(time.DateTime+" MST"))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// StatusOf is the HTTP status of a failed call, 0 when err is not an *Error
// or no response arrived.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsNotFound reports a 404.
func IsNotFound(err error) bool { return StatusOf(err) == http.StatusNotFound }

// IsForbidden reports a 403 that is not a rate limit: the token may not do
// this (a read-only token on a fork pull request, or missing permissions).
func IsForbidden(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == http.StatusForbidden && !isRateLimit(e.Err)
}

func isRateLimit(err error) bool {
	var a *github.AbuseRateLimitError
	var r *github.RateLimitError
	return errors.As(err, &a) || errors.As(err, &r)
}

// wrap turns a go-github error into an *Error.
func wrap(op string, resp *github.Response, err error) error {
	if err == nil {
		return nil
	}
	e := &Error{Op: op, Err: err}
	if resp != nil && resp.Response != nil {
		e.Status = resp.StatusCode
	}
	var er *github.ErrorResponse
	var ab *github.AbuseRateLimitError
	var rl *github.RateLimitError
	switch {
	case errors.As(err, &ab):
		e.Message = ab.Message
		if ab.Response != nil {
			e.Status = ab.Response.StatusCode
		}
		if ab.RetryAfter != nil {
			e.RetryAfter, e.retryAfterSet = *ab.RetryAfter, true
		}
	case errors.As(err, &rl):
		e.Message, e.RateReset = rl.Message, rl.Rate.Reset.Time
		if rl.Response != nil {
			e.Status = rl.Response.StatusCode
		}
	case errors.As(err, &er):
		e.Message = er.Message
		if er.Response != nil {
			e.Status = er.Response.StatusCode
			e.RetryAfter, e.retryAfterSet = backoff.ParseRetryAfter(er.Response.Header.Get("Retry-After"), time.Now())
		}
	}
	return e
}

// call runs one API request with retries and wraps its error.
func (c *Client) call(ctx context.Context, op string, do func() (*github.Response, error)) error {
	return c.retry.run(ctx, func() error {
		resp, err := do()
		if resp != nil {
			c.rate.observe(resp.Response)
		}
		return wrap(op, resp, err)
	})
}

// listAll reads every page of a listing, following GitHub's pagination:
// list sends one request with page (the ListOptions inside the call's
// options), which listAll advances; keep converts an item, or drops it.
// op names the listing in errors, with the page.
func listAll[T, R any](ctx context.Context, c *Client, op string, page *github.ListOptions,
	list func() ([]T, *github.Response, error), keep func(T) (R, bool)) ([]R, error) {
	var out []R
	for {
		var items []T
		var resp *github.Response
		err := c.call(ctx, fmt.Sprintf("%s (page %d)", op, max(page.Page, 1)), func() (*github.Response, error) {
			var err error
			items, resp, err = list()
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if r, ok := keep(it); ok {
				out = append(out, r)
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		page.Page = resp.NextPage
	}
}
