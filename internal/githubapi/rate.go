package githubapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Rate is GitHub's primary rate limit for REST requests, as the latest
// response said it (the X-RateLimit-* headers): a workflow's GITHUB_TOKEN
// has 1,000 requests an hour per repository, an app's installation token
// 5,000 or more, a user's token 5,000.
type Rate struct {
	Limit     int
	Remaining int
	// Reset is when Remaining goes back to Limit.
	Reset time.Time
	// Resource is the limit's pool: "core" for the REST operations used
	// here.
	Resource string
}

// rateOf reads the rate limit headers; ok is false when a response has
// none (a GitHub Enterprise Server without rate limiting, another host).
func rateOf(h http.Header) (r Rate, ok bool) {
	limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, err3 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return Rate{}, false
	}
	return Rate{Limit: limit, Remaining: remaining, Reset: time.Unix(reset, 0).UTC(), Resource: h.Get("X-RateLimit-Resource")}, true
}

// rateTracker keeps the latest word on the core rate limit. Concurrent
// responses of one window may arrive in any order, so within a window the
// lowest Remaining wins; a later Reset starts a new window.
type rateTracker struct {
	mu    sync.Mutex
	rate  Rate
	known bool
}

func (t *rateTracker) observe(resp *http.Response) {
	if resp == nil {
		return
	}
	r, ok := rateOf(resp.Header)
	if !ok || (r.Resource != "" && r.Resource != "core") {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case !t.known, r.Reset.After(t.rate.Reset):
		t.rate, t.known = r, true
	case r.Reset.Equal(t.rate.Reset) && r.Remaining < t.rate.Remaining:
		t.rate = r
	}
}

// RateLimit is the core rate limit as the latest response said it; ok is
// false before any response said it.
func (c *Client) RateLimit() (r Rate, ok bool) {
	c.rate.mu.Lock()
	defer c.rate.mu.Unlock()
	return c.rate.rate, c.rate.known
}
