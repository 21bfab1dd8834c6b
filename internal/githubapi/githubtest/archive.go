package githubtest

import (
	"archive/tar"
	"compress/gzip"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// rateLimit is the primary rate limit GitHub counts every API request
// against, and states on every answer.
type rateLimit struct {
	limit, remaining int
	reset            time.Time
}

// take counts one request and writes the X-RateLimit-* headers; false
// means none was left, and GitHub refuses the request (403). Once the reset
// time has passed, a new window of an hour begins, as on GitHub.
func (r *rateLimit) take(h http.Header) bool {
	if now := time.Now(); !now.Before(r.reset) {
		r.remaining, r.reset = r.limit, now.Add(time.Hour).Truncate(time.Second)
	}
	ok := r.remaining > 0
	if ok {
		r.remaining--
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(r.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(r.remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(r.limit-r.remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(r.reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", "core")
	return ok
}

// SetRateLimit sets the primary rate limit: remaining requests of limit,
// until reset (then limit again, for an hour). By default a fake allows
// 5,000 an hour, as GitHub does for a user's token; a workflow's
// GITHUB_TOKEN has 1,000.
func (f *Fake) SetRateLimit(limit, remaining int, reset time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rate = rateLimit{limit: limit, remaining: remaining, reset: reset.Truncate(time.Second)}
}

// archives are the source archive links handed out, by their token.
type archives struct {
	links     map[string]archiveLink
	downloads []string
	// broken is how many more downloads break off midway.
	broken int
}

type archiveLink struct {
	repo *Repository
	sha  string
}

// getTarball answers GET /repos/{owner}/{repo}/tarball/{ref} as GitHub
// does: a redirect to the archive on the codeload host, with a token of its
// own in the address.
func getTarball(c *call) {
	ref := c.op.Params["ref"]
	cm := c.commit(ref)
	if cm == nil {
		c.notFound("Not Found")
		return
	}
	var b [16]byte
	rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	a := &c.f.archives
	if a.links == nil {
		a.links = map[string]archiveLink{}
	}
	a.links[token] = archiveLink{repo: c.repo, sha: cm.sha}
	c.w.Header().Set("Location", fmt.Sprintf("%s/%s/%s/legacy.tar.gz/%s?token=%s", c.f.CodeloadURL, c.repo.Owner, c.repo.Name, ref, token))
	c.w.WriteHeader(http.StatusFound)
}

var codeloadPath = regexp.MustCompile(`^/([^/]+)/([^/]+)/legacy\.tar\.gz/(.+)$`)

// serveCodeload serves the archives getTarball links to, and nothing else:
// an unknown path or token, or a request that carries the API token,
// fails the test.
func (f *Fake) serveCodeload(w http.ResponseWriter, req *http.Request) {
	f.mu.Lock()
	m := codeloadPath.FindStringSubmatch(req.URL.Path)
	link, ok := f.archives.links[req.URL.Query().Get("token")]
	switch {
	case req.Method != http.MethodGet || m == nil:
		f.mu.Unlock()
		f.reject(w, http.StatusNotFound, "%s %s: the codeload host only serves GET /{owner}/{repo}/legacy.tar.gz/{ref}", req.Method, req.URL.Path)
		return
	case req.Header.Get("Authorization") != "":
		f.mu.Unlock()
		f.reject(w, http.StatusBadRequest, "a request to the codeload host carries an Authorization header: the API token must not leave the API")
		return
	case !ok || !strings.EqualFold(m[1]+"/"+m[2], link.repo.fullName()):
		f.mu.Unlock()
		f.reject(w, http.StatusNotFound, "%s: not an archive link the API handed out", req.URL)
		return
	}
	f.archives.downloads = append(f.archives.downloads, req.URL.Path)
	files := link.repo.commits[link.sha].files
	broken := f.archives.broken > 0
	if broken {
		f.archives.broken--
	}
	f.mu.Unlock()

	w.Header().Set("Content-Type", "application/x-gzip")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%s-%s-%s.tar.gz", link.repo.Owner, link.repo.Name, link.sha[:7]))
	w.WriteHeader(http.StatusOK)
	var out io.Writer = w
	if broken {
		// The connection drops after the first few bytes.
		out = &cutWriter{w: w, left: 64}
	}
	if err := writeArchive(out, link.repo, link.sha, files); err != nil && !broken {
		f.t.Errorf("fake GitHub: writing an archive: %v", err)
	}
	if broken {
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		panic(http.ErrAbortHandler)
	}
}

// writeArchive writes a commit's files as `git archive` does for GitHub:
// a pax global header naming the commit, then every directory and file
// under owner-repo-shortsha/, in path order.
func writeArchive(w io.Writer, repo *Repository, sha string, files map[string][]byte) error {
	zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	mtime := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": sha}, Format: tar.FormatPAX}); err != nil {
		return err
	}
	prefix := fmt.Sprintf("%s-%s-%s/", repo.Owner, repo.Name, sha[:7])
	dirs := map[string]bool{}
	dir := func(d string) error {
		if dirs[d] {
			return nil
		}
		dirs[d] = true
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: prefix + d, Mode: 0o775, ModTime: mtime, Format: tar.FormatPAX})
	}
	if err := dir(""); err != nil {
		return err
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		for i := range len(p) {
			if p[i] == '/' {
				if err := dir(p[:i+1]); err != nil {
					return err
				}
			}
		}
		data := files[p]
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: prefix + p, Mode: 0o664, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatPAX}); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// cutWriter stops writing after left bytes.
type cutWriter struct {
	w    io.Writer
	left int
}

func (c *cutWriter) Write(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.ErrClosedPipe
	}
	n := min(len(p), c.left)
	c.left -= n
	n, err := c.w.Write(p[:n])
	if err == nil && n < len(p) {
		err = io.ErrClosedPipe
	}
	return n, err
}

// Downloads are the archives downloaded from the codeload host so far, by
// path.
func (f *Fake) Downloads() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.archives.downloads...)
}

// BreakDownloads makes the next n archive downloads break off after 64
// bytes, as a dropped connection does.
func (f *Fake) BreakDownloads(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.archives.broken = n
}
