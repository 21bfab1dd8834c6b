package tray_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2"

	"github.com/breakwater-dev/breakwater/internal/tray"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

// clock is an injectable, advanceable time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// client makes a client for the fake with fast retries; edit adjusts the
// options.
func client(t *testing.T, s *traytest.Server, edit func(*tray.Options)) *tray.Client {
	t.Helper()
	o := tray.Options{
		MasterToken: s.MasterToken(), GraphQLURL: s.GraphQLURL(), APIURL: s.APIURL(),
		RateLimit: 1000, Burst: 1, MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
		AttemptTimeout: 5 * time.Second,
	}
	if edit != nil {
		edit(&o)
	}
	c, err := tray.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDocumentsAreValidAndNeverUpdate(t *testing.T) {
	schema, err := traytest.Schema()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range tray.Documents {
		if _, errs := gqlparser.LoadQueryWithRules(schema, d, nil); len(errs) > 0 {
			t.Errorf("invalid document: %v\n%s", errs, d)
		}
		if strings.Contains(d, "updateSolutionInstance") {
			t.Errorf("a document calls updateSolutionInstance:\n%s", d)
		}
	}
	typ := reflect.TypeFor[*tray.Client]()
	for i := range typ.NumMethod() {
		if name := typ.Method(i).Name; strings.Contains(strings.ToLower(name), "update") {
			t.Errorf("Client has method %s: upgrades go through UpgradeInstance only", name)
		}
	}
}

func TestRegions(t *testing.T) {
	tests := []struct {
		region    tray.Region
		gql, api  string
		apiFailed bool
	}{
		{"", "https://tray.io/graphql", "https://api.tray.io/core/v1", false},
		{tray.RegionUS, "https://tray.io/graphql", "https://api.tray.io/core/v1", false},
		{tray.RegionEU, "https://eu1.tray.io/graphql", "https://api.eu1.tray.io/core/v1", false},
		{tray.RegionAPAC, "https://ap1.tray.io/graphql", "", true},
	}
	for _, tt := range tests {
		g, err := tt.region.GraphQLURL()
		a, aerr := tt.region.APIURL()
		if g != tt.gql || err != nil || a != tt.api || (aerr != nil) != tt.apiFailed {
			t.Errorf("%q: %q %v, %q %v", tt.region, g, err, a, aerr)
		}
	}
	if _, err := tray.New(tray.Options{MasterToken: "x", Region: "mars"}); err == nil {
		t.Error("unknown region accepted")
	}
	if _, err := tray.New(tray.Options{Region: tray.RegionEU}); err == nil || !strings.Contains(err.Error(), "master token") {
		t.Errorf("no token: %v", err)
	}
	// APAC has no documented REST endpoint: the preview fails clearly, GraphQL works.
	c, err := tray.New(tray.Options{MasterToken: "x", Region: tray.RegionAPAC})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PreviewRelease(t.Context(), "sol"); !tray.IsPermanent(err) || !strings.Contains(err.Error(), "apac") {
		t.Errorf("APAC preview: %v", err)
	}
}

// TestListThousandsOfInstances pages through 3,000 instances with every
// flag combination and checks each against the fake's state.
func TestListThousandsOfInstances(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	ids := s.Generate("sol", 3000, traytest.GenerateOptions{Quirks: true})
	s.Generate("other", 50, traytest.GenerateOptions{})
	c := client(t, s, nil)

	got, err := c.ListInstances(t.Context(), tray.InstanceFilter{SolutionID: "sol"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Fatalf("%d instances, want %d", len(got), len(ids))
	}
	combos := map[tray.VersionFlags]int{}
	for i, in := range got {
		want, _ := s.Instance(ids[i])
		f := s.FlagsOf(ids[i])
		wantFlags := tray.VersionFlags{HasNewerVersion: f.HasNewerVersion, RequiresUserInput: f.RequiresUserInput, RequiresSystemInput: f.RequiresSystemInput}
		if in.ID != want.ID || in.Owner != want.Owner || in.Name != want.Name || in.Enabled != want.Enabled ||
			!in.Created.Equal(want.Created) || in.Flags != wantFlags {
			t.Fatalf("instance %d: got %+v, want %+v flags %+v", i, in, want, wantFlags)
		}
		if len(in.ConfigValues) != len(want.ConfigValues) || len(in.AuthValues) != len(want.AuthValues) {
			t.Fatalf("%s: values %+v, want %+v", in.ID, in, want)
		}
		for j, cv := range in.ConfigValues {
			if cv.ExternalID != want.ConfigValues[j].ExternalID || !bytes.Equal(cv.Value, want.ConfigValues[j].Value) {
				t.Fatalf("%s: config value %s=%s, want %s", in.ID, cv.ExternalID, cv.Value, want.ConfigValues[j].Value)
			}
		}
		combos[in.Flags]++
	}
	if len(combos) != 8 {
		t.Errorf("flag combinations seen: %v, want all 8", combos)
	}
	if n := s.CallCount(traytest.OpSolutionInstances); n != 30 {
		t.Errorf("%d page requests, want 30", n)
	}

	// One page, then the owner filter.
	p, err := c.InstancesPage(t.Context(), tray.InstanceFilter{SolutionID: "sol"}, "", 7)
	if err != nil || len(p.Instances) != 7 || p.TotalCount != 3000 || !p.HasNextPage || p.EndCursor == "" {
		t.Fatalf("first page: %+v, %v", p, err)
	}
	mine, err := c.ListInstances(t.Context(), tray.InstanceFilter{SolutionID: "sol", Owner: "user-007"})
	if err != nil || len(mine) != 60 {
		t.Fatalf("owner filter: %d, %v", len(mine), err)
	}
	for _, in := range mine {
		if in.Owner != "user-007" {
			t.Errorf("owner filter returned %s of %s", in.ID, in.Owner)
		}
	}
	if _, err := c.ListInstances(t.Context(), tray.InstanceFilter{}); !tray.IsPermanent(err) {
		t.Errorf("listing without a solution: %v", err)
	}
	// Stopping the iterator early stops paging.
	before := s.CallCount(traytest.OpSolutionInstances)
	n := 0
	for _, err := range c.Instances(t.Context(), tray.InstanceFilter{SolutionID: "sol"}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 150 {
			break
		}
	}
	if d := s.CallCount(traytest.OpSolutionInstances) - before; d != 2 {
		t.Errorf("150 instances took %d pages, want 2", d)
	}
}

func TestUpgrade(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	s.AddSolution(traytest.GeneratedSolution("sol"))
	newAuth := traytest.AuthValue{ExternalID: "new_service_auth", AuthID: "a-new"}
	region := traytest.ConfigValue{ExternalID: "region", Value: json.RawMessage(`"eu"`)}
	s.AddInstance(traytest.Instance{ID: "system", Owner: "u1", SolutionID: "sol", Version: 1, AuthValues: []traytest.AuthValue{newAuth}})
	s.AddInstance(traytest.Instance{ID: "resync", Owner: "u2", SolutionID: "sol", Version: 1,
		AuthValues: []traytest.AuthValue{{ExternalID: "crm_auth", AuthID: "a-crm-7"}, newAuth}, ConfigValues: []traytest.ConfigValue{region}})
	s.AddInstance(traytest.Instance{ID: "user", Owner: "u3", SolutionID: "sol", Version: 1, ConfigValues: []traytest.ConfigValue{region}})
	c := client(t, s, nil)
	ctx := t.Context()

	// Missing system value: a permanent error with Tray's words, one request.
	_, err := c.UpgradeInstance(ctx, tray.UpgradeInput{InstanceID: "system"})
	var te *tray.Error
	if !errors.As(err, &te) || !tray.IsPermanent(err) || te.Kind != tray.KindGraphQL || !strings.Contains(te.Message(), `hidden config slot "region" needs a value`) {
		t.Fatalf("missing value: %v", err)
	}
	if n := s.CallCount(traytest.OpUpgrade); n != 1 {
		t.Errorf("a permanent error was retried: %d calls", n)
	}
	in, err := c.UpgradeInstance(ctx, tray.UpgradeInput{InstanceID: "system",
		ConfigValues: []tray.ConfigValue{{ExternalID: "region", Value: json.RawMessage(`{"name": "eu-west", "zones": [1, 7, 4]}`)}}})
	if err != nil || in.Flags.HasNewerVersion {
		t.Fatalf("system upgrade: %+v, %v", in, err)
	}
	stored, _ := s.Instance("system")
	if stored.Version != 2 || string(stored.ConfigValues[0].Value) != `{"name": "eu-west", "zones": [1, 7, 4]}` {
		t.Errorf("stored: %+v", stored)
	}
	if v := string(in.ConfigValues[0].Value); v != `{"name": "eu-west", "zones": [1, 7, 4]}` {
		t.Errorf("answered config value %s", v)
	}
	if _, err := c.UpgradeInstance(ctx, tray.UpgradeInput{InstanceID: "resync",
		AuthValues: []tray.AuthValue{{ExternalID: "crm_auth", AuthID: "a-crm-7"}}}); err != nil {
		t.Fatalf("re-sync: %v", err)
	}
	if _, err := c.UpgradeInstance(ctx, tray.UpgradeInput{InstanceID: "user"}); err != nil {
		t.Fatalf("user-input upgrade with only the ID: %v", err)
	}
	calls := s.Calls()
	if last := calls[len(calls)-1]; !last.NeedsConfigWizard || last.ToVersion != 2 {
		t.Errorf("user-input upgrade: %+v", last)
	}
	for _, id := range []string{"system", "resync", "user"} {
		if n := s.Upgrades(id, 2); n != 1 {
			t.Errorf("%s upgraded %d times", id, n)
		}
	}
	// Refused before sending.
	for _, bad := range []tray.UpgradeInput{
		{},
		{InstanceID: "x", ConfigValues: []tray.ConfigValue{{ExternalID: "region", Value: json.RawMessage(`eu`)}}},
		{InstanceID: "x", ConfigValues: []tray.ConfigValue{{ExternalID: "region"}}},
		{InstanceID: "x", AuthValues: []tray.AuthValue{{ExternalID: "crm_auth"}}},
	} {
		var te *tray.Error
		if _, err := c.UpgradeInstance(ctx, bad); !errors.As(err, &te) || te.Kind != tray.KindInput {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if n := s.CallCount(traytest.OpUpgrade); n != 4 {
		t.Errorf("invalid input reached the server: %d upgrade calls", n)
	}
}

// TestUserTokens: minted once per user, shared by concurrent callers,
// renewed before the assumed expiry, re-minted when Tray rejects one.
func TestUserTokens(t *testing.T) {
	clk := &clock{now: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	s := traytest.New(t, traytest.Config{Unlimited: true, UpgradeNeedsUserToken: true, Now: clk.Now})
	ids := s.Generate("sol", 64, traytest.GenerateOptions{Owners: 2})
	var lazy []string // version 1, nothing missing: bits old+region, no crm, with new auth
	for i, id := range ids {
		if b := i % 32; b == 1|2|8 || b == 1|2|8|16 {
			lazy = append(lazy, id)
		}
	}
	c := client(t, s, func(o *tray.Options) { o.Now = clk.Now })
	ctx := t.Context()
	up := func(id string) error {
		in, _ := s.Instance(id)
		_, err := c.UpgradeInstance(ctx, tray.UpgradeInput{InstanceID: id, AsUser: in.Owner})
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(lazy))
	for _, id := range lazy {
		wg.Go(func() { errs <- up(id) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	owners := map[string]bool{}
	for _, id := range lazy {
		in, _ := s.Instance(id)
		owners[in.Owner] = true
	}
	if n := s.CallCount(traytest.OpAuthorize); n != len(owners) {
		t.Errorf("%d authorize calls for %d owners", n, len(owners))
	}
	for _, call := range s.Calls() {
		if call.Op == traytest.OpUpgrade && !strings.HasPrefix(call.Principal, "user:") {
			t.Errorf("upgrade sent as %s", call.Principal)
		}
	}

	// Within the assumed lifetime minus the margin: reused.
	s.Publish("sol", nil)
	clk.Advance(45 * time.Hour)
	if err := up(lazy[0]); err != nil {
		t.Fatal(err)
	}
	if n := s.CallCount(traytest.OpAuthorize); n != len(owners) {
		t.Errorf("token re-minted inside its lifetime: %d authorize calls", n)
	}
	// Past lifetime minus margin (46h): minted again.
	clk.Advance(90 * time.Minute)
	if err := up(lazy[0]); err != nil {
		t.Fatal(err)
	}
	if n := s.CallCount(traytest.OpAuthorize); n != len(owners)+1 {
		t.Errorf("token not renewed before expiry: %d authorize calls", n)
	}

	// Tray expires tokens earlier than assumed: one 401, then a fresh token.
	short := client(t, s, func(o *tray.Options) { o.Now = clk.Now; o.UserTokenLifetime = 100 * time.Hour })
	in, _ := s.Instance(lazy[1])
	if _, err := short.UpgradeInstance(ctx, tray.UpgradeInput{InstanceID: lazy[1], AsUser: in.Owner}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(60 * time.Hour) // the fake's 48h are over, the client assumed 100h
	s.Publish("sol", nil)
	before := s.CallCount(traytest.OpAuthorize)
	if _, err := short.UpgradeInstance(ctx, tray.UpgradeInput{InstanceID: lazy[1], AsUser: in.Owner}); err != nil {
		t.Fatalf("after an early expiry: %v", err)
	}
	if n := s.CallCount(traytest.OpAuthorize) - before; n != 1 {
		t.Errorf("%d authorize calls after a rejected token, want 1", n)
	}
}

// TestRateLimitNeverExceeded: at the fake's own rate, the client's bucket
// keeps every request inside the limit.
func TestRateLimitNeverExceeded(t *testing.T) {
	const rps = 100
	// Burst 10 absorbs 90 ms of scheduling jitter between the client's bucket and
	// the server's clock on a loaded machine; the rate is the same.
	s := traytest.New(t, traytest.Config{RateLimit: rps, Burst: 10})
	ids := s.Generate("sol", 400, traytest.GenerateOptions{})
	c := client(t, s, func(o *tray.Options) { o.RateLimit = rps; o.Burst = 1; o.PageSize = 10 })
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < 120; i += 4 {
				if _, err := c.UpgradeInstance(t.Context(), tray.UpgradeInput{InstanceID: ids[i*2]}); err != nil && !tray.IsPermanent(err) {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		if _, err := c.ListInstances(t.Context(), tray.InstanceFilter{SolutionID: "sol"}); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	if s.Rejected() != 0 || s.Requests() < 160 {
		t.Errorf("%d of %d requests rejected", s.Rejected(), s.Requests())
	}
}

// TestRetryAfterHonoured: a client faster than the fake gets 429s, waits
// as told (for all its requests) and still finishes.
func TestRetryAfterHonoured(t *testing.T) {
	s := traytest.New(t, traytest.Config{RateLimit: 5, Burst: 5})
	s.Generate("sol", 60, traytest.GenerateOptions{})
	c := client(t, s, func(o *tray.Options) { o.RateLimit = 1000; o.PageSize = 5 })
	start := time.Now()
	got, err := c.ListInstances(t.Context(), tray.InstanceFilter{SolutionID: "sol"})
	if err != nil || len(got) != 60 {
		t.Fatalf("%d instances, %v", len(got), err)
	}
	if s.Rejected() == 0 {
		t.Fatal("the fake never rejected: the test proves nothing")
	}
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Errorf("finished in %v: Retry-After: 1 was not waited", elapsed)
	}

	// An injected 429 with Retry-After 1 delays that call by a second.
	s2 := traytest.New(t, traytest.Config{Unlimited: true})
	s2.Generate("sol", 3, traytest.GenerateOptions{})
	s2.InjectFault(traytest.Fault{Kind: traytest.Fault429, Op: traytest.OpSolutionInstances, Times: 1, RetryAfter: time.Second})
	c2 := client(t, s2, nil)
	start = time.Now()
	if _, err := c2.ListInstances(t.Context(), tray.InstanceFilter{SolutionID: "sol"}); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < time.Second || s2.CallCount(traytest.OpSolutionInstances) != 2 {
		t.Errorf("elapsed %v, %d calls", elapsed, s2.CallCount(traytest.OpSolutionInstances))
	}
	// Longer than the client will wait: a retryable error at once.
	s2.InjectFault(traytest.Fault{Kind: traytest.Fault429, Op: traytest.OpSolutionInstances, RetryAfter: time.Hour})
	_, err = c2.ListInstances(t.Context(), tray.InstanceFilter{SolutionID: "sol"})
	var te *tray.Error
	if !errors.As(err, &te) || !tray.IsRetryable(err) || te.RetryAfter != time.Hour || te.Attempts != 1 {
		t.Errorf("long Retry-After: %v", err)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		fault     traytest.Fault
		ok        bool
		kind      tray.ErrorKind
		wantCalls int
	}{
		{name: "5xx twice then success", fault: traytest.Fault{Kind: traytest.Fault5xx, Times: 2}, ok: true, wantCalls: 3},
		{name: "502 then success", fault: traytest.Fault{Kind: traytest.Fault5xx, Status: 502, Times: 1}, ok: true, wantCalls: 2},
		{name: "timeout then success", fault: traytest.Fault{Kind: traytest.FaultTimeout, Times: 1}, ok: true, wantCalls: 2},
		{name: "5xx for ever", fault: traytest.Fault{Kind: traytest.Fault5xx}, kind: tray.KindServer, wantCalls: 5},
		{name: "permanent GraphQL error", fault: traytest.Fault{Kind: traytest.FaultGraphQLError, Message: "Solution instance is archived"}, kind: tray.KindGraphQL, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := traytest.New(t, traytest.Config{Unlimited: true})
			s.Generate("sol", 1, traytest.GenerateOptions{})
			tt.fault.Op = traytest.OpUpgrade
			tt.fault.InstanceID = "sol-inst-00001"
			s.InjectFault(tt.fault)
			c := client(t, s, func(o *tray.Options) { o.AttemptTimeout = 200 * time.Millisecond })
			_, err := c.UpgradeInstance(t.Context(), tray.UpgradeInput{InstanceID: "sol-inst-00001"})
			if n := s.CallCount(traytest.OpUpgrade); n != tt.wantCalls {
				t.Errorf("%d calls, want %d", n, tt.wantCalls)
			}
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var te *tray.Error
			if !errors.As(err, &te) || te.Kind != tt.kind {
				t.Fatalf("error %v, want kind %v", err, tt.kind)
			}
			if te.Kind == tray.KindGraphQL && (te.Message() != "Solution instance is archived" || !tray.IsPermanent(err)) {
				t.Errorf("message %q, permanent %v", te.Message(), tray.IsPermanent(err))
			}
			if te.Kind == tray.KindServer && (te.Attempts != 5 || !tray.IsRetryable(err)) {
				t.Errorf("attempts %d, retryable %v", te.Attempts, tray.IsRetryable(err))
			}
		})
	}
}

// TestLostResponseIsResent documents at-least-once: an upgrade Tray executed
// but whose answer was lost is sent again, and the fake counts both.
func TestLostResponseIsResent(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	s.Generate("sol", 1, traytest.GenerateOptions{})
	s.InjectFault(traytest.Fault{Kind: traytest.FaultLoseResponse, Op: traytest.OpUpgrade, Times: 1})
	c := client(t, s, nil)
	if _, err := c.UpgradeInstance(t.Context(), tray.UpgradeInput{InstanceID: "sol-inst-00001"}); err != nil {
		t.Fatal(err)
	}
	if n := s.Upgrades("sol-inst-00001", 2); n != 2 {
		t.Errorf("Upgrades = %d, want 2", n)
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	c := client(t, s, func(o *tray.Options) { o.MasterToken = "wrong-token" })
	_, err := c.ListInstances(t.Context(), tray.InstanceFilter{SolutionID: "sol"})
	var te *tray.Error
	if !errors.As(err, &te) || te.Kind != tray.KindAuth || te.Status != 401 || !tray.IsPermanent(err) {
		t.Fatalf("wrong token: %v", err)
	}
	if s.Requests() != 1 {
		t.Errorf("%d requests, want 1", s.Requests())
	}
}

func TestContextCancelStopsRetrying(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	s.InjectFault(traytest.Fault{Kind: traytest.Fault5xx})
	c := client(t, s, func(o *tray.Options) { o.MinBackoff, o.MaxBackoff, o.MaxAttempts = time.Second, time.Second, 100 })
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := c.ListInstances(ctx, tray.InstanceFilter{SolutionID: "sol"})
	if !errors.Is(err, context.DeadlineExceeded) || tray.IsRetryable(err) || tray.IsPermanent(err) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestTokensNeverLeak: a server that echoes the Authorization header into
// its error bodies; neither errors nor logs may carry a token.
func TestTokensNeverLeak(t *testing.T) {
	const master = "MASTER-SECRET-123"
	var userToken string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Query string `json:"query"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		if strings.Contains(req.Query, "authorize") {
			userToken = "USER-SECRET-456"
			w.Write([]byte(`{"data":{"authorize":{"accessToken":"USER-SECRET-456"}}}`))
			return
		}
		auth := r.Header.Get("Authorization")
		if strings.Contains(req.Query, "upgrade") {
			w.Write([]byte(`{"errors":[{"message":"token ` + strings.TrimPrefix(auth, "Bearer ") + ` may not do this"}]}`))
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("internal error for " + auth))
	}))
	defer srv.Close()
	var logs bytes.Buffer
	c, err := tray.New(tray.Options{MasterToken: master, GraphQLURL: srv.URL, APIURL: srv.URL, MaxAttempts: 2,
		MinBackoff: time.Millisecond, Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	_, err1 := c.ListInstances(t.Context(), tray.InstanceFilter{SolutionID: "s"})
	_, err2 := c.UpgradeInstance(t.Context(), tray.UpgradeInput{InstanceID: "i", AsUser: "u"})
	_, err3 := c.PreviewRelease(t.Context(), "s")
	if userToken == "" || err1 == nil || err2 == nil || err3 == nil {
		t.Fatalf("setup: %v %v %v", err1, err2, err3)
	}
	for _, s := range []string{err1.Error(), err2.Error(), err3.Error(), logs.String()} {
		if strings.Contains(s, master) || strings.Contains(s, "USER-SECRET") {
			t.Errorf("a token leaked: %s", s)
		}
	}
	if !strings.Contains(err2.Error(), "[REDACTED]") || !strings.Contains(logs.String(), "retrying") {
		t.Errorf("expected a redacted message and a retry log: %v\n%s", err2, logs.String())
	}
}

func TestImportProject(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	c := client(t, s, nil)
	export := json.RawMessage(`{"tray_export_version": 4, "workflows": [{"id": "w1"}]}`)
	if err := c.ImportProject(t.Context(), tray.ImportProjectInput{TargetProjectID: "proj-1", ExportedProject: export, Config: json.RawMessage(`{"env":"prod"}`)}); err != nil {
		t.Fatal(err)
	}
	if err := c.ImportProject(t.Context(), tray.ImportProjectInput{TargetProjectID: "proj-2", ExportedProject: export}); err != nil {
		t.Fatal(err)
	}
	want := []traytest.Draft{
		{TargetProjectID: "proj-1", ExportedProject: export, Config: json.RawMessage(`{"env":"prod"}`)},
		{TargetProjectID: "proj-2", ExportedProject: export},
	}
	if d := cmp.Diff(want, s.Drafts()); d != "" {
		t.Errorf("drafts (-want +got):\n%s", d)
	}
	for _, bad := range []tray.ImportProjectInput{{ExportedProject: export}, {TargetProjectID: "p"}, {TargetProjectID: "p", ExportedProject: json.RawMessage("{")},
		{TargetProjectID: "p", ExportedProject: export, Config: json.RawMessage("nope")}} {
		if err := c.ImportProject(t.Context(), bad); !tray.IsPermanent(err) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	if n := s.CallCount(traytest.OpImportProject); n != 2 {
		t.Errorf("%d import calls", n)
	}
}

func TestPreviewRelease(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	s.AddSolution(traytest.Solution{ID: "sol/with slash"})
	s.SetPreview("sol/with slash", json.RawMessage(tray.PreviewExample))
	c := client(t, s, nil)
	p, err := c.PreviewRelease(t.Context(), "sol/with slash")
	if err != nil {
		t.Fatal(err)
	}
	want := &tray.ReleasePreview{
		ReleaseID: "rel-1", BreakingChanges: true, RequiresNewUserInput: true,
		AuthSlots: tray.SlotChanges{
			"created": {{ID: "slot-9", Title: "Dropbox", Description: "Files", ServiceID: "svc-dropbox", ServiceEnvironmentID: "env-1",
				Scopes: []string{"files.read"}, ExternalID: "external_dropbox", HasBreakingChange: true,
				Changes:               []tray.PreviewChange{{Message: "A mandatory auth slot was created", Code: "CreatedMandatorySlot", BreakingChange: true}},
				SlotRecreationReasons: []tray.SlotRecreateReason{}}},
			"updated": {{ID: "slot-2", Title: "Bynder", ExternalID: "external_bynder", Changes: []tray.PreviewChange{}, Recreated: true,
				SlotRecreationReasons: []tray.SlotRecreateReason{{Code: "AuthenticationIdChanged", Message: "The authentication changed"}},
				RecreatedFromSlotID:   "slot-1"}},
			"deleted": {},
		},
		ConfigSlots: tray.SlotChanges{
			"created": {{ExternalID: "region", Title: "Region", Hidden: true,
				Changes: []tray.PreviewChange{{Message: "Created", Code: "CreatedOptionalSlot"}}}},
			"updated": {},
		},
	}
	if d := cmp.Diff(want, p); d != "" {
		t.Errorf("preview (-want +got):\n%s", d)
	}
	if got := p.AuthSlots.Groups(); !slices.Equal(got, []string{"created", "deleted", "updated"}) || len(p.AuthSlots.Created()) != 1 || len(p.AuthSlots.Updated()) != 1 {
		t.Errorf("groups %v", got)
	}
	if _, err := c.PreviewRelease(t.Context(), "unknown"); !tray.IsPermanent(err) {
		t.Errorf("unknown solution: %v", err)
	}
	s.SetPreview("sol/with slash", map[string]any{"breakingChanges": true})
	var te *tray.Error
	if _, err := c.PreviewRelease(t.Context(), "sol/with slash"); !errors.As(err, &te) || te.Kind != tray.KindDecode {
		t.Errorf("preview without verdict flags: %v", err)
	}
}
