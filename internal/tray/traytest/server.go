// Package traytest is a strict fake of Tray's Embedded GraphQL API and the
// publish preview of its platform API, for tests.
//
// Every GraphQL request is parsed and validated with gqlparser against
// schema.graphql (the SDL of docs/tray-api.md), its variables against their
// declared types; an invalid query, an unknown field, an undeclared or
// mistyped variable, an unknown route or a call of updateSolutionInstance
// fails the test (t.Errorf) and is answered with errors.
//
// The fake keeps solutions and instances (thousands, see Generate), pages
// them Relay style, executes upgradeSolutionInstance as Tray does (moving the
// instance to the newest version, refusing missing system values),
// authorize and importProject, and logs every call. It has its own rate
// limit (429 with Retry-After past it, counted), injected faults and
// latency. It is safe for concurrent use.
package traytest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"golang.org/x/time/rate"
)

//go:embed schema.graphql
var schemaSDL string

// Schema parses the embedded SDL.
func Schema() (*ast.Schema, error) {
	return gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: schemaSDL})
}

// Config configures a Server; the zero value is Tray's documented
// behaviour.
type Config struct {
	// MasterToken is the token that sees everything (default "test-master-token").
	MasterToken string
	// RateLimit is the requests per second the fake admits (default 30),
	// Burst its bucket (default 50); past it, 429 with Retry-After.
	// Unlimited turns the limit off.
	RateLimit float64
	Burst     int
	Unlimited bool
	// Latency delays every admitted request.
	Latency time.Duration
	// MaxPageSize caps "first" and "last" (default 100).
	MaxPageSize int
	// UserTokenLifetime is how long authorize's tokens work (default 48h,
	// "about two days"); Now is the clock that decides (default time.Now).
	UserTokenLifetime time.Duration
	Now               func() time.Time
	// UpgradeNeedsUserToken refuses upgrades sent with the master token.
	UpgradeNeedsUserToken bool
}

// Server is the fake. Create it with New.
type Server struct {
	t       testing.TB
	cfg     Config
	schema  *ast.Schema
	http    *httptest.Server
	limiter *rate.Limiter
	closing chan struct{}

	requests, rejected atomic.Int64

	mu         sync.RWMutex
	solutions  map[string]*Solution
	solOrder   []string
	instances  map[string]*instance
	all        []*instance // creation order
	bySolution map[string][]*instance
	nextSeq    int
	users      map[string]userToken // token → user
	minted     int
	faults     []*faultRule
	previews   map[string]json.RawMessage
	drafts     []Draft

	logMu    sync.Mutex
	calls    []Call
	upgrades map[upgradeKey]int
}

type userToken struct {
	user    string
	expires time.Time
}

type upgradeKey struct {
	id      string
	version int
}

// New starts a fake on loopback; it stops when the test ends.
func New(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.MasterToken == "" {
		cfg.MasterToken = "test-master-token"
	}
	if cfg.RateLimit <= 0 {
		cfg.RateLimit = 30
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 50
	}
	if cfg.MaxPageSize <= 0 {
		cfg.MaxPageSize = 100
	}
	if cfg.UserTokenLifetime <= 0 {
		cfg.UserTokenLifetime = 48 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	schema, err := Schema()
	if err != nil {
		t.Fatalf("traytest: schema.graphql: %v", err)
	}
	s := &Server{
		t: t, cfg: cfg, schema: schema, closing: make(chan struct{}),
		limiter:   rate.NewLimiter(rate.Limit(cfg.RateLimit), cfg.Burst),
		solutions: map[string]*Solution{}, instances: map[string]*instance{},
		bySolution: map[string][]*instance{}, users: map[string]userToken{},
		previews: map[string]json.RawMessage{}, upgrades: map[upgradeKey]int{},
	}
	if cfg.Unlimited {
		s.limiter.SetLimit(rate.Inf)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /graphql", s.serveGraphQL)
	mux.HandleFunc("POST /core/v1/solutions/{solutionId}/releases/previews", s.servePreview)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.t.Errorf("traytest: unknown route %s %s", r.Method, r.URL.Path)
		writeJSON(w, http.StatusNotFound, map[string]any{"message": "Not Found"})
	})
	s.http = httptest.NewServer(s.admit(mux))
	t.Cleanup(s.Close)
	return s
}

// Close stops the server, releasing requests held by a timeout fault.
func (s *Server) Close() {
	select {
	case <-s.closing:
		return
	default:
		close(s.closing)
	}
	s.http.Close()
}

// URL is the server's root; GraphQLURL and APIURL are what the client's
// options take.
func (s *Server) URL() string         { return s.http.URL }
func (s *Server) GraphQLURL() string  { return s.http.URL + "/graphql" }
func (s *Server) APIURL() string      { return s.http.URL + "/core/v1" }
func (s *Server) MasterToken() string { return s.cfg.MasterToken }

// Requests is how many requests arrived; Rejected how many of them the
// rate limit turned away with 429.
func (s *Server) Requests() int64 { return s.requests.Load() }
func (s *Server) Rejected() int64 { return s.rejected.Load() }

// SetLatency changes the delay of every admitted request.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.cfg.Latency = d
	s.mu.Unlock()
}

// admit applies the rate limit and the latency.
func (s *Server) admit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if !s.limiter.Allow() {
			s.rejected.Add(1)
			wait := 1.0
			if lim := float64(s.limiter.Limit()); lim > 0 {
				wait = max(1, math.Ceil((1-s.limiter.Tokens())/lim))
			}
			w.Header().Set("Retry-After", strconv.Itoa(int(wait)))
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "Too Many Requests"})
			return
		}
		s.mu.RLock()
		latency := s.cfg.Latency
		s.mu.RUnlock()
		if latency > 0 && !s.hold(r, latency) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hold waits d, or until the client gives up or the server closes (false).
func (s *Server) hold(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.closing:
	}
	return false
}

// principal is who a request authenticates as: "" for the master token,
// else the user's ID.
type principal struct {
	user string
}

func (p principal) String() string {
	if p.user == "" {
		return "master"
	}
	return "user:" + p.user
}

func (s *Server) authenticate(r *http.Request) (principal, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return principal{}, false
	}
	if tok == s.cfg.MasterToken {
		return principal{}, true
	}
	s.mu.RLock()
	u, ok := s.users[tok]
	s.mu.RUnlock()
	if !ok || !s.cfg.Now().Before(u.expires) {
		return principal{}, false
	}
	return principal{user: u.user}, true
}

// AddSolution adds or replaces a solution.
func (s *Server) AddSolution(sol Solution) {
	if sol.Version <= 0 {
		sol.Version = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.solutions[sol.ID]; !ok {
		s.solOrder = append(s.solOrder, sol.ID)
	}
	c := cloneSolution(sol)
	s.solutions[sol.ID] = &c
}

// Publish makes a new version of a solution the newest, after change (may
// be nil) edits its slots, and returns the new version number.
func (s *Server) Publish(solutionID string, change func(*Solution)) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	sol := s.solutions[solutionID]
	if sol == nil {
		s.t.Fatalf("traytest: Publish: no solution %q", solutionID)
		return 0
	}
	if change != nil {
		change(sol)
	}
	sol.Version++
	return sol.Version
}

// AddInstance adds an instance of an added solution.
func (s *Server) AddInstance(in Instance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sol := s.solutions[in.SolutionID]
	if sol == nil {
		s.t.Fatalf("traytest: AddInstance %q: no solution %q", in.ID, in.SolutionID)
		return
	}
	if _, dup := s.instances[in.ID]; dup || in.ID == "" {
		s.t.Fatalf("traytest: AddInstance: duplicate or empty instance ID %q", in.ID)
		return
	}
	if in.Version <= 0 {
		in.Version = sol.Version
	}
	if in.Created.IsZero() {
		in.Created = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	s.nextSeq++
	p := &instance{Instance: cloneInstance(in), seq: s.nextSeq}
	s.instances[in.ID] = p
	s.all = append(s.all, p)
	s.bySolution[in.SolutionID] = append(s.bySolution[in.SolutionID], p)
}

// Instance returns a copy of an instance's current state.
func (s *Server) Instance(id string) (Instance, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	in, ok := s.instances[id]
	if !ok {
		return Instance{}, false
	}
	return cloneInstance(in.Instance), true
}

// FlagsOf returns the flags the fake reports for an instance now.
func (s *Server) FlagsOf(id string) Flags {
	s.mu.RLock()
	defer s.mu.RUnlock()
	in := s.instances[id]
	if in == nil {
		return Flags{}
	}
	return flagsOf(in, s.solutions[in.SolutionID])
}

// SetPreview sets the publish preview answer for a solution (any JSON).
func (s *Server) SetPreview(solutionID string, answer any) {
	b, err := json.Marshal(answer)
	if err != nil {
		s.t.Fatalf("traytest: SetPreview: %v", err)
	}
	s.mu.Lock()
	s.previews[solutionID] = b
	s.mu.Unlock()
}

// Draft is a project imported with importProject: a draft, never published.
type Draft struct {
	TargetProjectID string
	ExportedProject json.RawMessage
	Config          json.RawMessage // nil when no configJson was sent
}

// Drafts lists the imported drafts in order.
func (s *Server) Drafts() []Draft {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.drafts)
}

func (s *Server) servePreview(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"message": "Unauthorized"})
		return
	}
	id := r.PathValue("solutionId")
	call := Call{Op: OpPreview, Principal: p.String(), SolutionID: id}
	if f := s.fault(OpPreview, ""); f != nil {
		s.applyFault(w, r, f, call)
		return
	}
	var body json.RawMessage
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil && err.Error() != "EOF" {
		s.t.Errorf("traytest: publish preview body is not JSON: %v", err)
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Bad Request"})
		return
	}
	s.mu.RLock()
	_, known := s.solutions[id]
	answer := s.previews[id]
	s.mu.RUnlock()
	if !known {
		call.Status, call.Error = http.StatusNotFound, "solution not found"
		s.record(call)
		writeJSON(w, http.StatusNotFound, map[string]any{"message": fmt.Sprintf("Solution %s not found", id)})
		return
	}
	if answer == nil {
		answer = json.RawMessage(`{"breakingChanges":false,"requiresNewUserInput":false,"requiresNewSystemInput":false,"authSlots":{"created":[],"updated":[]},"configSlots":{"created":[],"updated":[]}}`)
	}
	call.Status = http.StatusOK
	s.record(call)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(answer)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func cloneSolution(s Solution) Solution {
	s.Tags = slices.Clone(s.Tags)
	s.AuthSlots = slices.Clone(s.AuthSlots)
	s.ConfigSlots = slices.Clone(s.ConfigSlots)
	return s
}

func cloneInstance(in Instance) Instance {
	in.AuthValues = slices.Clone(in.AuthValues)
	in.ConfigValues = slices.Clone(in.ConfigValues)
	if in.Flags != nil {
		f := *in.Flags
		in.Flags = &f
	}
	return in
}
