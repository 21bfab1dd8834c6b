package githubapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/breakwater-dev/breakwater/internal/backoff"
	"github.com/google/go-github/v88/github"
)

// archiveIdle is how long a download may go without a byte before it is
// given up as stalled.
const archiveIdle = 60 * time.Second

// Tarball downloads the source archive of commit ref: one API request
// (GET /repos/{owner}/{repo}/tarball/{ref}), answered with a redirect to
// the codeload host, then the archive from there — gzip-compressed tar,
// every entry under one top-level directory (owner-repo-shortsha/). It
// hands the compressed stream to read as it arrives, so nothing holds the
// whole archive.
//
// The token goes to the API only, never to the host of the redirect (the
// address GitHub answers carries its own short-lived credential). A failed
// request, or a download cut off midway, is retried like any call from the
// start, with a fresh link: read must then start over too. Errors of read's
// own are returned as they are.
func (c *Client) Tarball(ctx context.Context, r Repo, ref string, read func(io.Reader) error) error {
	op := fmt.Sprintf("download the source archive of %s at %s", r, shortSHA(ref))
	return c.retry.run(ctx, func() error {
		link, err := c.archiveLink(ctx, r, ref, op)
		if err != nil {
			return err
		}
		return c.fetchArchive(ctx, link, op, read)
	})
}

// archiveLink asks the API where the archive is.
func (c *Client) archiveLink(ctx context.Context, r Repo, ref, op string) (*url.URL, error) {
	u := fmt.Sprintf("repos/%s/%s/tarball/%s", url.PathEscape(r.Owner), url.PathEscape(r.Name), escapePath(ref))
	req, err := c.gh.NewRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	// The API client adds the token on every request it sends, redirects
	// included: stop at the redirect.
	hc := c.gh.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	defer resp.Body.Close()
	c.rate.observe(resp)
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusTemporaryRedirect {
		if err := github.CheckResponse(resp); err != nil {
			return nil, wrap(op, &github.Response{Response: resp}, err)
		}
		return nil, &Error{Op: op, Status: resp.StatusCode, Message: "the answer is not a redirect to the archive"}
	}
	link, err := req.URL.Parse(resp.Header.Get("Location"))
	if err != nil || link.Host == "" || (link.Scheme != "https" && link.Scheme != "http") {
		return nil, &Error{Op: op, Status: resp.StatusCode, Message: fmt.Sprintf("the redirect names no archive address (%q)", resp.Header.Get("Location"))}
	}
	return link, nil
}

// fetchArchive streams the archive at link into read.
func (c *Client) fetchArchive(ctx context.Context, link *url.URL, op string, read func(io.Reader) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link.String(), nil)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	resp, err := c.download.Do(req)
	if err != nil {
		return &Error{Op: op, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		e := &Error{Op: op, Status: resp.StatusCode, Message: "from " + link.Host + ": " + string(msg)}
		e.RetryAfter, e.retryAfterSet = backoff.ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		return e
	}
	body := &watchedBody{r: resp.Body, idle: time.AfterFunc(archiveIdle, func() { cancel(errStalled) })}
	defer body.idle.Stop()
	err = read(body)
	switch {
	case body.err == nil || !errors.Is(err, body.err):
		return err
	case errors.Is(context.Cause(ctx), errStalled):
		return &Error{Op: op, Err: &streamError{errStalled}}
	case ctx.Err() != nil:
		return &Error{Op: op, Err: err}
	}
	// The connection broke, not the archive: start over.
	return &Error{Op: op, Err: &streamError{err}}
}

var errStalled = fmt.Errorf("no data for %v", archiveIdle)

// watchedBody is a download's body: it remembers its first error, and
// pushes the stall timer back on every read.
type watchedBody struct {
	r    io.Reader
	idle *time.Timer
	err  error
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.idle.Reset(archiveIdle)
	}
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}

// streamError is a download cut off midway: worth another try.
type streamError struct{ err error }

func (e *streamError) Error() string { return "the download broke off: " + e.err.Error() }
func (e *streamError) Unwrap() error { return e.err }
