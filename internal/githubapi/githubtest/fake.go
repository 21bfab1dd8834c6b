// Package githubtest is a strict fake of GitHub's REST API for tests: an
// httptest server over an in-memory repository state (commits, pull
// requests, labels, comments, check runs) and the identities tokens act as.
//
// It is strict in the way the real API is and more: every request must be
// an operation of GitHub's official REST description (@octokit/openapi),
// with known query parameters and a body that validates against the
// operation's schema, and must respect the limits GitHub enforces (comment
// length, annotations per request, label colours). Anything else fails the
// test and is answered 404 or 422.
package githubtest

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Fake is the fake GitHub.
type Fake struct {
	// URL is the API's base URL (GITHUB_API_URL).
	URL string
	// UploadURL is the base URL release assets are uploaded to, as
	// uploads.github.com is GitHub's (see release.go).
	UploadURL string
	// CodeloadURL is the host source archives are served from, as
	// codeload.github.com is GitHub's (see archive.go).
	CodeloadURL string

	t    testing.TB
	spec *Spec
	srv  *httptest.Server

	mu         sync.Mutex
	repos      map[string]*Repository
	requests   []Request
	faults     []*fault
	readOnly   map[string]bool // tokens that may only read
	identities map[string]Identity
	meetings   []*meeting
	nextID     int64
	rate       rateLimit
	archives   archives // archive.go
	// GitHub Apps (apps.go).
	apps          map[int64]*appReg
	issued        map[string]issued
	tokenLifetime time.Duration
}

// Request is a request the fake accepted as valid.
type Request struct {
	Method    string
	Path      string
	Query     string
	Operation string // operationId, e.g. issues/add-labels
	Body      string
}

// Write reports whether the request changes anything.
func (r Request) Write() bool { return r.Method != http.MethodGet && r.Method != http.MethodHead }

// New starts a fake GitHub for the test; it stops when the test ends. It
// loads GitHub's REST API description (see LoadSpec).
func New(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{t: t, spec: LoadSpec(t), repos: map[string]*Repository{}, readOnly: map[string]bool{}, identities: map[string]Identity{}, nextID: 1000}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	uploads := httptest.NewServer(http.HandlerFunc(f.serveUpload))
	f.UploadURL = uploads.URL
	t.Cleanup(uploads.Close)
	codeload := httptest.NewServer(http.HandlerFunc(f.serveCodeload))
	f.CodeloadURL = codeload.URL
	t.Cleanup(codeload.Close)
	f.rate = rateLimit{limit: 5000, remaining: 5000, reset: time.Now().Add(time.Hour).Truncate(time.Second)}
	return f
}

// ReadOnlyToken makes token a read-only token, like the GITHUB_TOKEN of a
// pull request from a fork: writes with it are answered 403.
func (f *Fake) ReadOnlyToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.readOnly[token] = true
}

// Identity is the account a token acts as.
type Identity struct {
	Login string
	ID    int64
	// App is the GitHub App of an installation token (the workflow's
	// GITHUB_TOKEN is one): its account is the app's bot, GET /user is
	// refused, what it writes names the app, and only it may create and
	// update check runs. Nil for a user's token.
	App *App
}

// App is a GitHub App.
type App struct {
	ID   int64
	Slug string
}

// GitHubActions is the identity of the workflow's GITHUB_TOKEN, with the
// IDs github.com uses. Tokens the fake was not told about act as it.
var GitHubActions = AppIdentity("github-actions", 15368, 41898282)

// AppIdentity is the identity of a GitHub App's installation token: the
// bot account slug[bot].
func AppIdentity(slug string, appID, botID int64) Identity {
	return Identity{Login: slug + "[bot]", ID: botID, App: &App{ID: appID, Slug: slug}}
}

// UserIdentity is the identity of a user's personal access token.
func UserIdentity(login string, id int64) Identity { return Identity{Login: login, ID: id} }

func (id Identity) userType() string {
	if id.App != nil {
		return "Bot"
	}
	return "User"
}

// SetIdentity makes token act as id.
func (f *Fake) SetIdentity(token string, id Identity) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.identities[token] = id
}

func (f *Fake) identity(req *http.Request) Identity {
	if id, ok := f.identities[token(req)]; ok {
		return id
	}
	return GitHubActions
}

// meeting holds the first n requests of an operation until all n arrived.
type meeting struct {
	operation string
	n         int
	arrived   int
	all       chan struct{}
}

// Rendezvous holds the next n requests of operation until all n have
// arrived, then lets them through together: concurrent clients are made to
// interleave at that step, e.g. every run has listed the comments before
// any of them creates one. The test fails if they do not all arrive within
// ten seconds.
func (f *Fake) Rendezvous(operation string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.meetings = append(f.meetings, &meeting{operation: operation, n: n, all: make(chan struct{})})
}

// meet waits at an open rendezvous for op, if there is one.
func (f *Fake) meet(op string) {
	f.mu.Lock()
	var m *meeting
	for _, x := range f.meetings {
		if x.operation == op && x.arrived < x.n {
			m = x
			break
		}
	}
	if m == nil {
		f.mu.Unlock()
		return
	}
	m.arrived++
	if m.arrived == m.n {
		close(m.all)
	}
	f.mu.Unlock()
	select {
	case <-m.all:
	case <-time.After(10 * time.Second):
		f.t.Errorf("fake GitHub: only %d of %d %s requests arrived at the rendezvous", m.arrived, m.n, op)
	}
}

// Requests returns the requests accepted so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// ResetRequests forgets the requests seen so far.
func (f *Fake) ResetRequests() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}

// Fault is an answer the fake gives instead of the real one.
type Fault struct {
	// Operation is the operationId it applies to ("" = every operation).
	Operation string
	// Times is how many requests get the fault (0 = all of them).
	Times  int
	Status int
	Header http.Header
	Body   string
}

type fault struct {
	Fault
	used int
}

// Fail makes the next matching requests fail; see Fault.
func (f *Fake) Fail(ft Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &fault{Fault: ft})
}

// SecondaryRateLimit is the fault GitHub answers when a client exceeds a
// secondary rate limit: 403 with Retry-After.
func SecondaryRateLimit(operation string, times int, retryAfter time.Duration) Fault {
	return Fault{
		Operation: operation, Times: times, Status: http.StatusForbidden,
		Header: http.Header{"Retry-After": {strconv.Itoa(int(retryAfter / time.Second))}},
		Body:   `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`,
	}
}

// Repository is a repository of the fake.
type Repository struct {
	Owner, Name string

	f         *Fake
	rel       *releaseState // release.go
	iss       *issueState   // issues.go
	commits   map[string]*commit
	labels    []Label
	pulls     map[int]*PullRequest
	comments  []*Comment
	deleted   []Deletion
	checkRuns []*CheckRun
	branches  map[string]string // branch → commit SHA
	perms     map[string]string // login (lower case) → admin, write, read, none
	pushes    []Pushed
}

// Deletion is a comment deleted through the API.
type Deletion struct {
	Comment Comment
	// By is the login of the account that deleted it.
	By string
}

type commit struct {
	sha     string
	parents []string
	files   map[string][]byte
	// at is the author and committer date (see SetCommitTime).
	at time.Time
}

// Label is a repository label.
type Label struct {
	Name        string `json:"name"`
	Color       string `json:"color"`
	Description string `json:"description"`
}

// PullRequest is a pull request of the fake.
type PullRequest struct {
	Number  int
	Title   string
	HeadSHA string
	HeadRef string
	// HeadRepo is the head repository's owner/name; empty means the base
	// repository, another name makes a pull request from a fork.
	HeadRepo string
	BaseRef  string
	// BaseSHA is the tip of the base branch.
	BaseSHA string
	Labels  []string
}

// Comment is an issue comment.
type Comment struct {
	ID     int64
	Issue  int
	Body   string
	Author Identity
	// EditCount counts the edits through the API.
	EditCount int
	// EditedBy are the logins of the accounts that edited it, in order.
	EditedBy  []string
	CreatedAt time.Time
}

// CheckRun is a check run as GitHub keeps it: its annotations are the
// concatenation of every request's.
type CheckRun struct {
	ID          int64
	Name        string
	HeadSHA     string
	ExternalID  string
	Status      string
	Conclusion  string
	Title       string
	Summary     string
	Text        string
	Annotations []Annotation
	Requests    int // create plus updates
	// App created it; only it may update it.
	App App
}

// Annotation is a check run annotation.
type Annotation struct {
	Path            string `json:"path"`
	StartLine       int    `json:"start_line"`
	EndLine         int    `json:"end_line"`
	StartColumn     int    `json:"start_column,omitempty"`
	EndColumn       int    `json:"end_column,omitempty"`
	AnnotationLevel string `json:"annotation_level"`
	Message         string `json:"message"`
	Title           string `json:"title,omitempty"`
	RawDetails      string `json:"raw_details,omitempty"`
}

// AddRepo adds an empty repository.
func (f *Fake) AddRepo(owner, name string) *Repository {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := &Repository{Owner: owner, Name: name, f: f, commits: map[string]*commit{}, pulls: map[int]*PullRequest{},
		branches: map[string]string{}, perms: map[string]string{}}
	f.repos[strings.ToLower(owner+"/"+name)] = r
	return r
}

// Commit adds a commit whose tree is files (a complete snapshot, path →
// content) and returns its SHA.
func (r *Repository) Commit(parents []string, files map[string][]byte) string {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	h := sha1.New()
	for _, p := range parents {
		io.WriteString(h, "parent "+p+"\n")
	}
	paths := slices.Sorted(maps.Keys(files))
	for _, p := range paths {
		fmt.Fprintf(h, "%s %s\n", p, blobSHA(files[p]))
	}
	sha := hex.EncodeToString(h.Sum(nil))
	r.addCommit(sha, parents, files)
	return sha
}

// CommitAs adds a commit under the SHA a real git repository gave it, so
// that a test's git checkout and the fake hold the same commits.
func (r *Repository) CommitAs(sha string, parents []string, files map[string][]byte) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.addCommit(sha, parents, files)
}

func (r *Repository) addCommit(sha string, parents []string, files map[string][]byte) {
	cp := make(map[string][]byte, len(files))
	for k, v := range files {
		cp[k] = append([]byte(nil), v...)
	}
	// A fixed date per commit, an hour after the previous one: the same
	// test sees the same dates on every run.
	at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(len(r.commits)) * time.Hour)
	r.commits[sha] = &commit{sha: sha, parents: append([]string(nil), parents...), files: cp, at: at}
}

// OpenPullRequest adds or replaces a pull request.
func (r *Repository) OpenPullRequest(pr PullRequest) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	cp := pr
	cp.Labels = append([]string(nil), pr.Labels...)
	for _, l := range cp.Labels {
		r.ensureLabel(l)
	}
	r.pulls[pr.Number] = &cp
	if cp.HeadRef != "" && (cp.HeadRepo == "" || strings.EqualFold(cp.HeadRepo, r.fullName())) {
		r.branches[cp.HeadRef] = cp.HeadSHA
	}
}

// SetLabels replaces the labels of pull request number, as a person would.
func (r *Repository) SetLabels(number int, labels ...string) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.pulls[number].Labels = append([]string(nil), labels...)
	for _, l := range labels {
		r.ensureLabel(l)
	}
}

// AddComment adds a comment as a person would.
func (r *Repository) AddComment(number int, user, body string) int64 {
	return r.AddCommentAs(number, UserIdentity(user, 0), body)
}

// AddCommentAs adds a comment written by id (a person, another app's bot).
func (r *Repository) AddCommentAs(number int, id Identity, body string) int64 {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	return r.addComment(number, id, body).ID
}

func (r *Repository) addComment(number int, id Identity, body string) *Comment {
	r.f.nextID++
	if id.ID == 0 {
		id.ID = r.f.nextID
	}
	c := &Comment{ID: r.f.nextID, Issue: number, Body: body, Author: id, CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.f.nextID) * time.Second)}
	r.comments = append(r.comments, c)
	return c
}

// CreateCheckRun adds a completed check run as app would have created it.
func (r *Repository) CreateCheckRun(app App, cr CheckRun) int64 {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	r.f.nextID++
	cr.ID, cr.App, cr.Status = r.f.nextID, app, "completed"
	r.checkRuns = append(r.checkRuns, &cr)
	return cr.ID
}

// PullLabels are the labels of pull request number.
func (r *Repository) PullLabels(number int) []string {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	ls := append([]string(nil), r.pulls[number].Labels...)
	sort.Strings(ls)
	return ls
}

// Labels are the repository's labels.
func (r *Repository) Labels() []Label {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	return append([]Label(nil), r.labels...)
}

// Comments are the comments of issue number, oldest first.
func (r *Repository) Comments(number int) []Comment {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	var out []Comment
	for _, c := range r.comments {
		if c.Issue == number {
			out = append(out, *c)
		}
	}
	return out
}

// Deleted are the comments deleted through the API, in order.
func (r *Repository) Deleted() []Deletion {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	return append([]Deletion(nil), r.deleted...)
}

// CheckRuns are the check runs, oldest first.
func (r *Repository) CheckRuns() []CheckRun {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	out := make([]CheckRun, len(r.checkRuns))
	for i, c := range r.checkRuns {
		out[i] = *c
		out[i].Annotations = append([]Annotation(nil), c.Annotations...)
	}
	return out
}

func (r *Repository) fullName() string { return r.Owner + "/" + r.Name }

func (r *Repository) ensureLabel(name string) Label {
	for _, l := range r.labels {
		if strings.EqualFold(l.Name, name) {
			return l
		}
	}
	l := Label{Name: name, Color: "ededed"}
	r.labels = append(r.labels, l)
	return l
}

// blobSHA is git's blob object ID.
func blobSHA(data []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// mergeBase is the first ancestor of head (breadth first) that is also an
// ancestor of base.
func (r *Repository) mergeBase(base, head string) string {
	ancestors := map[string]bool{}
	queue := []string{base}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if ancestors[c] || r.commits[c] == nil {
			continue
		}
		ancestors[c] = true
		queue = append(queue, r.commits[c].parents...)
	}
	seen := map[string]bool{}
	queue = []string{head}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if seen[c] || r.commits[c] == nil {
			continue
		}
		if ancestors[c] {
			return c
		}
		seen[c] = true
		queue = append(queue, r.commits[c].parents...)
	}
	return ""
}

// fileChange is one entry of a pull request's or a comparison's files.
type fileChange struct {
	SHA              string `json:"sha"`
	Filename         string `json:"filename"`
	Status           string `json:"status"`
	Additions        int    `json:"additions"`
	Deletions        int    `json:"deletions"`
	Changes          int    `json:"changes"`
	PreviousFilename string `json:"previous_filename,omitempty"`
}

// diff lists what changed from commit a to commit b, with renames of
// identical content detected as git does by default.
func (r *Repository) diff(a, b string) []fileChange {
	fa, fb := r.commits[a].files, r.commits[b].files
	var out []fileChange
	var removed []string
	added := map[string]string{} // blob → path
	for _, p := range slices.Sorted(maps.Keys(fb)) {
		old, ok := fa[p]
		switch {
		case !ok:
			added[blobSHA(fb[p])] = p
		case string(old) != string(fb[p]):
			out = append(out, fileChange{SHA: blobSHA(fb[p]), Filename: p, Status: "modified", Changes: 1})
		}
	}
	for _, p := range slices.Sorted(maps.Keys(fa)) {
		if _, ok := fb[p]; !ok {
			removed = append(removed, p)
		}
	}
	for _, p := range removed {
		blob := blobSHA(fa[p])
		if np, ok := added[blob]; ok {
			out = append(out, fileChange{SHA: blob, Filename: np, Status: "renamed", PreviousFilename: p})
			delete(added, blob)
			continue
		}
		out = append(out, fileChange{SHA: blob, Filename: p, Status: "removed", Deletions: 1, Changes: 1})
	}
	for blob, p := range added {
		out = append(out, fileChange{SHA: blob, Filename: p, Status: "added", Additions: 1, Changes: 1})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Filename < out[j].Filename })
	return out
}

// serve validates a request against the description, then answers it.
func (f *Fake) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		f.reject(w, http.StatusBadRequest, "reading the request body: %v", err)
		return
	}
	op, err := f.spec.Check(req.Method, req.URL, body)
	if err != nil {
		status := http.StatusUnprocessableEntity
		if strings.Contains(err.Error(), "is not an operation") {
			status = http.StatusNotFound
		}
		f.reject(w, status, "%v", err)
		return
	}
	f.meet(op.ID)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.expired(token(req)) {
		f.t.Errorf("fake GitHub: %s %s with an installation token that expired: tokens must be renewed before they expire", req.Method, req.URL.Path)
		writeJSONRaw(w, http.StatusUnauthorized, `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest"}`)
		return
	}
	f.requests = append(f.requests, Request{Method: req.Method, Path: req.URL.Path, Query: req.URL.RawQuery, Operation: op.ID, Body: string(body)})
	if !f.rate.take(w.Header()) {
		writeJSONRaw(w, http.StatusForbidden, `{"message":"API rate limit exceeded for installation ID 1.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}`)
		return
	}
	for _, ft := range f.faults {
		if (ft.Operation == "" || ft.Operation == op.ID) && (ft.Times == 0 || ft.used < ft.Times) {
			ft.used++
			for k, v := range ft.Header {
				w.Header()[k] = v
			}
			writeJSONRaw(w, ft.Status, ft.Body)
			return
		}
	}
	if h := userHandlers[op.ID]; h != nil {
		h(&call{f: f, w: w, req: req, op: op, body: body, as: f.identity(req)})
		return
	}
	repo := f.repos[strings.ToLower(op.Params["owner"]+"/"+op.Params["repo"])]
	if repo == nil {
		writeJSONRaw(w, http.StatusNotFound, `{"message":"Not Found"}`)
		return
	}
	if req.Method != http.MethodGet && f.readOnly[token(req)] {
		writeJSONRaw(w, http.StatusForbidden, `{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest","status":"403"}`)
		return
	}
	h := handlers[op.ID]
	if h == nil {
		h = releaseHandlers[op.ID]
	}
	if h == nil {
		h = issueHandlers[op.ID]
	}
	if h == nil {
		f.reject(w, http.StatusNotImplemented, "%s %s (%s) is valid, but the fake does not implement it", req.Method, req.URL.Path, op.ID)
		return
	}
	h(&call{f: f, w: w, req: req, repo: repo, op: op, body: body, as: f.identity(req)})
}

func token(req *http.Request) string {
	a := req.Header.Get("Authorization")
	for _, p := range []string{"Bearer ", "bearer ", "token "} {
		if t, ok := strings.CutPrefix(a, p); ok {
			return t
		}
	}
	return ""
}

// reject fails the test: the code under test sent something GitHub would
// not accept.
func (f *Fake) reject(w http.ResponseWriter, status int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	f.t.Errorf("fake GitHub rejected a request: %s", msg)
	b, _ := json.Marshal(map[string]string{"message": msg})
	writeJSONRaw(w, status, string(b))
}

func writeJSONRaw(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

type call struct {
	f    *Fake
	w    http.ResponseWriter
	req  *http.Request
	repo *Repository
	op   *Operation
	body []byte
	as   Identity // who the token acts as
}

func (c *call) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.f.t.Errorf("fake GitHub: encoding a response: %v", err)
	}
	writeJSONRaw(c.w, status, string(b))
}

func (c *call) notFound(msg string) {
	c.json(http.StatusNotFound, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest"})
}

// invalid is a request GitHub would answer 422: the code under test must
// not send it, so it fails the test.
func (c *call) invalid(format string, args ...any) {
	c.f.t.Errorf("fake GitHub: %s %s: %s", c.req.Method, c.req.URL.Path, fmt.Sprintf(format, args...))
	c.json(http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed", "errors": []any{fmt.Sprintf(format, args...)}})
}

func (c *call) intParam(name string) int {
	n, _ := strconv.Atoi(c.op.Params[name])
	return n
}

func (c *call) decode(v any) bool {
	if err := json.Unmarshal(c.body, v); err != nil {
		c.invalid("decoding the body: %v", err)
		return false
	}
	return true
}

// page serves items[page] with GitHub's Link header.
func page[T any](c *call, items []T) {
	c.json(http.StatusOK, pageOf(c, items))
}

// pageOf is the page of items the query asks for; it sets GitHub's Link
// header to the next and last pages.
func pageOf[T any](c *call, items []T) []T {
	q := c.req.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	if per > 100 {
		per = 100
	}
	n, _ := strconv.Atoi(q.Get("page"))
	if n <= 0 {
		n = 1
	}
	start := min((n-1)*per, len(items))
	end := min(start+per, len(items))
	last := max((len(items)+per-1)/per, 1)
	if n < last {
		link := func(p int) string {
			q.Set("page", strconv.Itoa(p))
			q.Set("per_page", strconv.Itoa(per))
			return fmt.Sprintf("<%s%s?%s>", c.f.URL, c.req.URL.Path, q.Encode())
		}
		c.w.Header().Set("Link", link(n+1)+`; rel="next", `+link(last)+`; rel="last"`)
	}
	out := items[start:end]
	if out == nil {
		out = []T{}
	}
	return out
}

var handlers = map[string]func(*call){
	"pulls/get":                               getPull,
	"pulls/list-files":                        listPullFiles,
	"repos/compare-commits":                   compare,
	"repos/get-content":                       getContent,
	"git/get-tree":                            getTree,
	"repos/download-tarball-archive":          getTarball,
	"git/get-commit":                          getGitCommit,
	"issues/list-labels-for-repo":             listLabels,
	"issues/create-label":                     createLabel,
	"issues/add-labels":                       addLabels,
	"issues/remove-label":                     removeLabel,
	"issues/list-comments":                    listComments,
	"issues/create-comment":                   createComment,
	"issues/update-comment":                   updateComment,
	"issues/delete-comment":                   deleteComment,
	"checks/create":                           createCheckRun,
	"checks/update":                           updateCheckRun,
	"checks/list-for-ref":                     listCheckRunsForRef,
	"checks/list-annotations":                 listCheckRunAnnotations,
	"repos/get-collaborator-permission-level": getPermission,
	"repos/create-or-update-file-contents":    putContent,
}

// userHandlers answer operations outside any repository.
var userHandlers = map[string]func(*call){
	"users/get-authenticated":               getAuthenticatedUser,
	"apps/get-authenticated":                getAuthenticatedApp,
	"apps/create-installation-access-token": createInstallationToken,
	"apps/get-repo-installation":            getRepoInstallation,
}

func (c *call) pull() *PullRequest {
	pr := c.repo.pulls[c.intParam("pull_number")]
	if pr == nil {
		pr = c.repo.pulls[c.intParam("issue_number")]
	}
	return pr
}

func repoJSON(fullName string, fork bool) map[string]any {
	owner, name, _ := strings.Cut(fullName, "/")
	return map[string]any{"full_name": fullName, "name": name, "owner": map[string]any{"login": owner}, "fork": fork}
}

func getPull(c *call) {
	pr := c.pull()
	if pr == nil {
		c.notFound("Not Found")
		return
	}
	headRepo := pr.HeadRepo
	if headRepo == "" {
		headRepo = c.repo.fullName()
	}
	labels := []Label{}
	for _, n := range pr.Labels {
		labels = append(labels, c.repo.ensureLabel(n))
	}
	c.json(http.StatusOK, map[string]any{
		"number": pr.Number, "title": pr.Title, "state": "open",
		"html_url": fmt.Sprintf("https://github.com/%s/pull/%d", c.repo.fullName(), pr.Number),
		"head":     map[string]any{"sha": pr.HeadSHA, "ref": pr.HeadRef, "repo": repoJSON(headRepo, headRepo != c.repo.fullName())},
		"base":     map[string]any{"sha": pr.BaseSHA, "ref": pr.BaseRef, "repo": repoJSON(c.repo.fullName(), false)},
		"labels":   labels,
	})
}

func listPullFiles(c *call) {
	pr := c.pull()
	if pr == nil {
		c.notFound("Not Found")
		return
	}
	mb := c.repo.mergeBase(pr.BaseSHA, pr.HeadSHA)
	if mb == "" {
		c.notFound("no merge base")
		return
	}
	page(c, c.repo.diff(mb, pr.HeadSHA))
}

func compare(c *call) {
	base, head := c.op.Params["base"], c.op.Params["head"]
	if bh, ok := c.op.Params["basehead"]; ok {
		base, head, _ = strings.Cut(bh, "...")
	}
	if c.repo.commits[base] == nil || c.repo.commits[head] == nil {
		c.notFound("Not Found")
		return
	}
	mb := c.repo.mergeBase(base, head)
	if mb == "" {
		c.notFound("No common ancestor between " + base + " and " + head + ".")
		return
	}
	c.json(http.StatusOK, map[string]any{
		"status":            "diverged",
		"base_commit":       map[string]any{"sha": base},
		"merge_base_commit": map[string]any{"sha": mb},
		"files":             c.repo.diff(mb, head),
		"commits":           []any{},
	})
}

// commit resolves a ref: a commit SHA or a branch (see SetBranch).
func (c *call) commit(ref string) *commit {
	if sha, ok := c.repo.branches[ref]; ok {
		return c.repo.commits[sha]
	}
	return c.repo.commits[ref]
}

func getContent(c *call) {
	ref := c.req.URL.Query().Get("ref")
	cm := c.commit(ref)
	if cm == nil {
		c.notFound("No commit found for the ref " + ref)
		return
	}
	p := c.op.Params["path"]
	data, ok := cm.files[p]
	if !ok {
		c.notFound("Not Found")
		return
	}
	if strings.Contains(c.req.Header.Get("Accept"), "raw") {
		c.w.Header().Set("Content-Type", "application/vnd.github.raw+json")
		c.w.WriteHeader(http.StatusOK)
		c.w.Write(data)
		return
	}
	if len(data) > 1<<20 {
		c.json(http.StatusOK, map[string]any{"type": "file", "path": p, "sha": blobSHA(data), "size": len(data), "encoding": "none", "content": ""})
		return
	}
	c.json(http.StatusOK, map[string]any{"type": "file", "path": p, "sha": blobSHA(data), "size": len(data), "encoding": "base64", "content": base64.StdEncoding.EncodeToString(data)})
}

func getTree(c *call) {
	cm := c.commit(c.op.Params["tree_sha"])
	if cm == nil {
		c.notFound("Not Found")
		return
	}
	if c.req.URL.Query().Get("recursive") == "" {
		c.invalid("the fake only serves recursive trees")
		return
	}
	var entries []map[string]any
	dirs := map[string]bool{}
	for _, p := range slices.Sorted(maps.Keys(cm.files)) {
		for d := p; strings.Contains(d, "/"); {
			d = d[:strings.LastIndex(d, "/")]
			if !dirs[d] {
				dirs[d] = true
				entries = append(entries, map[string]any{"path": d, "mode": "040000", "type": "tree", "sha": strings.Repeat("0", 40)})
			}
		}
		entries = append(entries, map[string]any{"path": p, "mode": "100644", "type": "blob", "sha": blobSHA(cm.files[p]), "size": len(cm.files[p])})
	}
	c.json(http.StatusOK, map[string]any{"sha": cm.sha, "truncated": false, "tree": entries})
}

func listLabels(c *call) { page(c, c.repo.labels) }

var labelColor = regexp.MustCompile(`^[0-9a-fA-F]{6}$`)

func createLabel(c *call) {
	var l Label
	if !c.decode(&l) {
		return
	}
	switch {
	case utf8.RuneCountInString(l.Name) > 50:
		c.invalid("label name %q is longer than 50 characters", l.Name)
		return
	case l.Color != "" && !labelColor.MatchString(l.Color):
		c.invalid("label color %q is not six hex digits", l.Color)
		return
	case utf8.RuneCountInString(l.Description) > 100:
		c.invalid("label description is longer than 100 characters")
		return
	}
	for _, x := range c.repo.labels {
		if strings.EqualFold(x.Name, l.Name) {
			// A client that lists the labels first gets this only when a
			// concurrent run created the label meanwhile.
			c.json(http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
				"errors": []any{map[string]string{"resource": "Label", "code": "already_exists", "field": "name"}}})
			return
		}
	}
	if l.Color == "" {
		l.Color = "ededed"
	}
	c.repo.labels = append(c.repo.labels, l)
	c.json(http.StatusCreated, l)
}

func (c *call) issueLabels(pr *PullRequest) []Label {
	out := []Label{}
	for _, n := range pr.Labels {
		out = append(out, c.repo.ensureLabel(n))
	}
	return out
}

func addLabels(c *call) {
	pr := c.pull()
	if pr == nil {
		c.notFound("Not Found")
		return
	}
	var body struct {
		Labels []string `json:"labels"`
	}
	if !c.decode(&body) {
		return
	}
	for _, n := range body.Labels {
		l := c.repo.ensureLabel(n)
		if !containsFold(pr.Labels, l.Name) {
			pr.Labels = append(pr.Labels, l.Name)
		}
	}
	c.json(http.StatusOK, c.issueLabels(pr))
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func removeLabel(c *call) {
	pr := c.pull()
	if pr == nil {
		c.notFound("Not Found")
		return
	}
	name := c.op.Params["name"]
	for i, l := range pr.Labels {
		if strings.EqualFold(l, name) {
			pr.Labels = append(pr.Labels[:i:i], pr.Labels[i+1:]...)
			c.json(http.StatusOK, c.issueLabels(pr))
			return
		}
	}
	c.notFound("Label does not exist")
}

func userJSON(id Identity) map[string]any {
	return map[string]any{"login": id.Login, "id": id.ID, "type": id.userType()}
}

func appJSON(a App) map[string]any {
	return map[string]any{"id": a.ID, "slug": a.Slug, "name": a.Slug, "owner": map[string]any{"login": "github"}}
}

func commentJSON(cm *Comment) map[string]any {
	out := map[string]any{"id": cm.ID, "body": cm.Body, "user": userJSON(cm.Author), "created_at": cm.CreatedAt.Format(time.RFC3339)}
	if cm.Author.App != nil {
		out["performed_via_github_app"] = appJSON(*cm.Author.App)
	}
	return out
}

// getAuthenticatedUser answers GET /user: the user of a personal token, a
// 403 for an app's token, as GitHub does.
func getAuthenticatedUser(c *call) {
	if c.as.App != nil {
		c.json(http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user", "status": "403"})
		return
	}
	c.json(http.StatusOK, userJSON(c.as))
}

func listComments(c *call) {
	n := c.intParam("issue_number")
	var out []map[string]any
	for _, cm := range c.repo.comments {
		if cm.Issue == n {
			out = append(out, commentJSON(cm))
		}
	}
	page(c, out)
}

// MaxCommentLength is the most characters GitHub accepts in a comment.
const MaxCommentLength = 65536

func (c *call) commentBody() (string, bool) {
	var body struct {
		Body string `json:"body"`
	}
	if !c.decode(&body) {
		return "", false
	}
	if n := utf8.RuneCountInString(body.Body); n > MaxCommentLength {
		c.invalid("Body is too long (maximum is %d characters), got %d", MaxCommentLength, n)
		return "", false
	}
	return body.Body, true
}

func createComment(c *call) {
	n := c.intParam("issue_number")
	if c.repo.pulls[n] == nil && c.repo.issue(n) == nil {
		c.notFound("Not Found")
		return
	}
	body, ok := c.commentBody()
	if !ok {
		return
	}
	c.json(http.StatusCreated, commentJSON(c.repo.addComment(n, c.as, body)))
}

func updateComment(c *call) {
	id, _ := strconv.ParseInt(c.op.Params["comment_id"], 10, 64)
	for _, cm := range c.repo.comments {
		if cm.ID == id {
			body, ok := c.commentBody()
			if !ok {
				return
			}
			cm.Body = body
			cm.EditCount++
			cm.EditedBy = append(cm.EditedBy, c.as.Login)
			c.json(http.StatusOK, commentJSON(cm))
			return
		}
	}
	c.notFound("Not Found")
}

// deleteComment deletes a comment. GitHub lets anyone with write access
// delete any comment, so the fake does too; tests check whose comments were
// deleted (Repository.Deleted).
func deleteComment(c *call) {
	id, _ := strconv.ParseInt(c.op.Params["comment_id"], 10, 64)
	for i, cm := range c.repo.comments {
		if cm.ID == id {
			c.repo.comments = append(c.repo.comments[:i:i], c.repo.comments[i+1:]...)
			c.repo.deleted = append(c.repo.deleted, Deletion{Comment: *cm, By: c.as.Login})
			c.w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	c.notFound("Not Found")
}

type checkRunBody struct {
	Name       string `json:"name"`
	HeadSHA    string `json:"head_sha"`
	ExternalID string `json:"external_id"`
	Status     string `json:"status"`
	Conclusion string `json:"conclusion"`
	Output     *struct {
		Title       string       `json:"title"`
		Summary     string       `json:"summary"`
		Text        string       `json:"text"`
		Annotations []Annotation `json:"annotations"`
	} `json:"output"`
}

// checkAnnotations applies the rules GitHub enforces beyond the schema.
func (c *call) checkAnnotations(anns []Annotation) bool {
	for _, a := range anns {
		switch {
		case a.StartLine < 1 || a.EndLine < a.StartLine:
			c.invalid("annotation on %s has lines %d-%d", a.Path, a.StartLine, a.EndLine)
			return false
		case (a.StartColumn != 0 || a.EndColumn != 0) && a.StartLine != a.EndLine:
			c.invalid("annotation on %s has columns on a multi-line range", a.Path)
			return false
		case utf8.RuneCountInString(a.Title) > 255:
			c.invalid("annotation title is longer than 255 characters")
			return false
		case len(a.Message) > 64*1024 || len(a.RawDetails) > 64*1024:
			c.invalid("annotation message or raw_details is larger than 64 KB")
			return false
		}
	}
	return true
}

func (cr *CheckRun) json() map[string]any {
	out := map[string]any{
		"id": cr.ID, "name": cr.Name, "head_sha": cr.HeadSHA, "status": cr.Status, "conclusion": cr.Conclusion,
		"app":    appJSON(cr.App),
		"output": map[string]any{"title": cr.Title, "summary": cr.Summary, "text": cr.Text, "annotations_count": len(cr.Annotations)},
	}
	if cr.ExternalID != "" {
		out["external_id"] = cr.ExternalID
	}
	return out
}

// forbidden answers 403 with GitHub's message, as for a token that may not
// do this; it does not fail the test.
func (c *call) forbidden(msg string) {
	c.json(http.StatusForbidden, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest/checks/runs"})
}

// apply stores what a create or update request says.
func (cr *CheckRun) apply(c *call, b checkRunBody) bool {
	if b.Name != "" {
		cr.Name = b.Name
	}
	if b.ExternalID != "" {
		cr.ExternalID = b.ExternalID
	}
	if b.Status != "" {
		cr.Status = b.Status
	}
	if b.Conclusion != "" {
		cr.Conclusion, cr.Status = b.Conclusion, "completed"
	}
	if b.Output != nil {
		if !c.checkAnnotations(b.Output.Annotations) {
			return false
		}
		cr.Title, cr.Summary, cr.Text = b.Output.Title, b.Output.Summary, b.Output.Text
		// GitHub appends: annotations cannot be replaced or removed.
		cr.Annotations = append(cr.Annotations, b.Output.Annotations...)
	}
	return true
}

// createCheckRun creates a check run; only an app's token may.
func createCheckRun(c *call) {
	var b checkRunBody
	if !c.decode(&b) {
		return
	}
	if c.repo.commits[b.HeadSHA] == nil {
		c.invalid("head_sha %q is not a commit of the repository", b.HeadSHA)
		return
	}
	if c.as.App == nil {
		c.forbidden("You must authenticate via a GitHub App.")
		return
	}
	c.f.nextID++
	cr := &CheckRun{ID: c.f.nextID, HeadSHA: b.HeadSHA, Status: "queued", App: *c.as.App, Requests: 1}
	if !cr.apply(c, b) {
		return
	}
	c.repo.checkRuns = append(c.repo.checkRuns, cr)
	c.json(http.StatusCreated, cr.json())
}

// updateCheckRun updates a check run; only the app that created it may.
func updateCheckRun(c *call) {
	cr := c.checkRun()
	if cr == nil {
		return
	}
	var b checkRunBody
	if !c.decode(&b) {
		return
	}
	if c.as.App == nil || c.as.App.ID != cr.App.ID {
		var app int64
		if c.as.App != nil {
			app = c.as.App.ID
		}
		c.forbidden(fmt.Sprintf("Invalid app_id `%d` - check run can only be modified by the GitHub App that created it.", app))
		return
	}
	cr.Requests++
	if !cr.apply(c, b) {
		return
	}
	c.json(http.StatusOK, cr.json())
}

// checkRun is the check run the path names; nil, answered 404, when there
// is none.
func (c *call) checkRun() *CheckRun {
	id, _ := strconv.ParseInt(c.op.Params["check_run_id"], 10, 64)
	for _, x := range c.repo.checkRuns {
		if x.ID == id {
			return x
		}
	}
	c.notFound("Not Found")
	return nil
}

// listCheckRunsForRef lists the check runs of a commit. filter=latest (the
// default) keeps the most recent run of each name and app.
func listCheckRunsForRef(c *call) {
	ref := c.op.Params["ref"]
	if c.repo.commits[ref] == nil {
		c.notFound("No commit found for SHA: " + ref)
		return
	}
	q := c.req.URL.Query()
	appID, _ := strconv.ParseInt(q.Get("app_id"), 10, 64)
	type key struct {
		app  int64
		name string
	}
	newest := map[key]int64{}
	for _, cr := range c.repo.checkRuns {
		if cr.HeadSHA == ref {
			newest[key{cr.App.ID, cr.Name}] = max(newest[key{cr.App.ID, cr.Name}], cr.ID)
		}
	}
	var runs []map[string]any
	for _, cr := range c.repo.checkRuns {
		switch {
		case cr.HeadSHA != ref,
			q.Has("check_name") && cr.Name != q.Get("check_name"),
			q.Has("status") && cr.Status != q.Get("status"),
			appID != 0 && cr.App.ID != appID,
			q.Get("filter") != "all" && newest[key{cr.App.ID, cr.Name}] != cr.ID:
			continue
		}
		runs = append(runs, cr.json())
	}
	c.json(http.StatusOK, map[string]any{"total_count": len(runs), "check_runs": pageOf(c, runs)})
}

func listCheckRunAnnotations(c *call) {
	if cr := c.checkRun(); cr != nil {
		page(c, cr.Annotations)
	}
}
