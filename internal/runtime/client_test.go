package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/runtime"
	"github.com/breakwater-dev/breakwater/internal/runtime/runtimetest"
)

const token = "rt_s3cr3t-T0ken-value"

var (
	v116 = runtime.Target{Package: "vNext.Account", Version: "1.16.0", BundleDigest: "sha256:1111"}
	v117 = runtime.Target{Package: "vNext.Account", Version: "1.17.0", BundleDigest: "sha256:2222"}
)

// sleeps records the waits of the retry loop instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// output collects everything a client may print: its log and the errors and
// results a caller would print. No test may find the token in it.
type output struct {
	t   *testing.T
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) printf(format string, args ...any) { fmt.Fprintf(o, format+"\n", args...) }

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

func newOutput(t *testing.T) *output {
	o := &output{t: t}
	t.Cleanup(func() {
		if s := o.String(); strings.Contains(s, token) || strings.Contains(s, token[:12]) {
			t.Errorf("the runtime token appears in the output:\n%s", s)
		}
	})
	return o
}

type fixture struct {
	fake   *runtimetest.Fake
	client *runtime.Client
	sleeps *sleeps
	out    *output
}

// newFixture starts a fake runtime with vNext.Account 1.16.0 live and a
// client whose retries record their waits without jitter.
func newFixture(t *testing.T, variant runtimetest.Variant, opts ...runtime.Option) *fixture {
	t.Helper()
	fake := runtimetest.New(t, runtimetest.Config{
		Variant:  variant,
		Token:    token,
		Versions: map[string][]string{"vNext.Account": {"1.15.0", "1.16.0", "1.17.0"}},
		Live:     map[string]string{"vNext.Account": "1.16.0"},
	})
	s := &sleeps{}
	out := newOutput(t)
	policy := runtime.DefaultRetryPolicy()
	policy.Sleep = s.sleep
	policy.Jitter = func(d time.Duration) time.Duration { return d }
	shape := runtime.PublishPackageShape()
	if variant == runtimetest.APIPackage {
		shape = runtime.APIPackageShape()
	}
	all := append([]runtime.Option{
		runtime.WithShape(shape),
		runtime.WithRetryPolicy(policy),
		runtime.WithLogger(slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}, opts...)
	client, err := runtime.New(fake.URL, token, all...)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{fake: fake, client: client, sleeps: s, out: out}
}

func (fx *fixture) deploy(t *testing.T, target runtime.Target) (*runtime.Result, error) {
	t.Helper()
	res, err := fx.client.Deploy(context.Background(), target)
	fx.out.printf("deploy: %+v %v", res, err)
	if err != nil {
		var e *runtime.Error
		errors.As(err, &e)
		fx.out.printf("%#v", e)
	}
	return res, err
}

func (fx *fixture) rollback(t *testing.T, target runtime.Target) (*runtime.Result, error) {
	t.Helper()
	res, err := fx.client.Rollback(context.Background(), target)
	fx.out.printf("rollback: %+v %v", res, err)
	return res, err
}

func TestDeployAndRollbackDefaultShape(t *testing.T) {
	fx := newFixture(t, runtimetest.PublishPackage)
	res, err := fx.deploy(t, v117)
	if err != nil {
		t.Fatal(err)
	}
	want := &runtime.Result{Action: runtime.ActionDeploy, Target: v117, IdempotencyKey: runtime.IdempotencyKey(runtime.ActionDeploy, v117), Status: 200, Attempts: 1, Message: "deploy done"}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Deploy (-want +got):\n%s", diff)
	}
	if got := fx.fake.Live("vNext.Account"); !got.Healthy() || got.Version != "1.17.0" {
		t.Errorf("live after deploy: %+v", got)
	}
	if _, err := fx.rollback(t, v116); err != nil {
		t.Fatal(err)
	}
	if got := fx.fake.Live("vNext.Account"); got.Version != "1.16.0" {
		t.Errorf("live after rollback: %+v", got)
	}
	calls := fx.fake.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2", len(calls))
	}
	for i, want := range []struct{ body, key string }{
		{`{"package":"vNext.Account","version":"1.17.0"}`, runtime.IdempotencyKey(runtime.ActionDeploy, v117)},
		{`{"package":"vNext.Account","rollback":true,"version":"1.16.0"}`, runtime.IdempotencyKey(runtime.ActionRollback, v116)},
	} {
		c := calls[i]
		if c.Method != "POST" || c.Path != "/publish/package" || c.Body != want.body || c.IdempotencyKey != want.key || c.Authorization != "Bearer "+token {
			t.Errorf("call %d = %+v\nwant body %s, key %s", i, c, want.body, want.key)
		}
	}
	if calls[0].IdempotencyKey == calls[1].IdempotencyKey {
		t.Error("deploy and rollback share an idempotency key")
	}
	if diff := cmp.Diff([]runtimetest.Event{{Action: "deploy", Version: "1.17.0"}, {Action: "rollback", Version: "1.16.0"}}, fx.fake.History("vNext.Account")); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

func TestAPIPackageShape(t *testing.T) {
	fx := newFixture(t, runtimetest.APIPackage)
	res, err := fx.deploy(t, v117)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 || res.Attempts != 1 {
		t.Errorf("Deploy = %+v", res)
	}
	if _, err := fx.rollback(t, v116); err != nil {
		t.Fatal(err)
	}
	calls := fx.fake.Calls()
	if len(calls) != 2 || calls[0].Path != "/api/package/publish" ||
		calls[0].Body != `{"packageName":"vNext.Account","version":"1.17.0"}` ||
		calls[1].Body != `{"packageName":"vNext.Account","version":"1.16.0"}` {
		t.Errorf("calls = %+v", calls)
	}
	if calls[0].IdempotencyKey == calls[1].IdempotencyKey {
		t.Error("a rollback reuses the deploy's idempotency key")
	}
	if got := fx.fake.Live("vNext.Account"); got.Version != "1.16.0" {
		t.Errorf("live after rollback: %+v", got)
	}
}

func TestCustomPathUnderBasePath(t *testing.T) {
	fake := runtimetest.New(t, runtimetest.Config{Variant: runtimetest.APIPackage, Path: "/tenant-a/v2/publish"})
	shape := runtime.APIPackageShape()
	shape.Path = "/v2/publish"
	client, err := runtime.New(fake.URL+"/tenant-a/", "", runtime.WithShape(shape))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Deploy(context.Background(), v117); err != nil {
		t.Fatal(err)
	}
	if c := fake.Calls(); len(c) != 1 || c[0].Authorization != "" {
		t.Errorf("calls = %+v, want one without Authorization", c)
	}
}

func TestIdempotencyKey(t *testing.T) {
	base := runtime.IdempotencyKey(runtime.ActionDeploy, v117)
	if again := runtime.IdempotencyKey(runtime.ActionDeploy, runtime.Target{Package: "vNext.Account", Version: "1.17.0", BundleDigest: "sha256:2222"}); again != base {
		t.Errorf("the key changes between runs: %s, %s", base, again)
	}
	if !strings.HasPrefix(base, "breakwater-deploy-") || len(base) != len("breakwater-deploy-")+32 {
		t.Errorf("key %q has an unexpected form", base)
	}
	seen := map[string]string{base: "base"}
	for name, key := range map[string]string{
		"rollback":        runtime.IdempotencyKey(runtime.ActionRollback, v117),
		"other version":   runtime.IdempotencyKey(runtime.ActionDeploy, runtime.Target{Package: "vNext.Account", Version: "1.17.1", BundleDigest: "sha256:2222"}),
		"other package":   runtime.IdempotencyKey(runtime.ActionDeploy, runtime.Target{Package: "vNext.Billing", Version: "1.17.0", BundleDigest: "sha256:2222"}),
		"other bundle":    runtime.IdempotencyKey(runtime.ActionDeploy, runtime.Target{Package: "vNext.Account", Version: "1.17.0", BundleDigest: "sha256:3333"}),
		"shifted fields":  runtime.IdempotencyKey(runtime.ActionDeploy, runtime.Target{Package: "vNext.Account1", Version: ".17.0", BundleDigest: "sha256:2222"}),
		"shifted fields2": runtime.IdempotencyKey(runtime.ActionDeploy, runtime.Target{Package: "vNext.Account", Version: "1.17.0sha256:2222"}),
	} {
		if prev, dup := seen[key]; dup {
			t.Errorf("%s and %s share the key %s", name, prev, key)
		}
		seen[key] = name
	}
}

func TestRetries(t *testing.T) {
	date := time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		name    string
		variant runtimetest.Variant
		faults  []runtimetest.Fault
		opts    []runtime.Option
		// waits are the expected sleeps; nil means check only their count.
		waits    []time.Duration
		attempts int
	}{
		{name: "500 then success", faults: []runtimetest.Fault{runtimetest.ServerError(1, 500)}, waits: []time.Duration{2 * time.Second}, attempts: 2},
		{name: "502, 503, 504", faults: []runtimetest.Fault{runtimetest.ServerError(1, 502), runtimetest.ServerError(1, 503), runtimetest.ServerError(1, 504)}, waits: []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}, attempts: 4},
		{name: "503 with Retry-After", faults: []runtimetest.Fault{{Times: 1, Status: 503, RetryAfter: "7"}}, waits: []time.Duration{7 * time.Second}, attempts: 2},
		{name: "409 publish in progress", faults: []runtimetest.Fault{runtimetest.Conflict(2)}, waits: []time.Duration{2 * time.Second, 4 * time.Second}, attempts: 3},
		{name: "429 Retry-After seconds", faults: []runtimetest.Fault{runtimetest.RateLimited(1, "30")}, waits: []time.Duration{30 * time.Second}, attempts: 2},
		{name: "429 Retry-After zero", faults: []runtimetest.Fault{runtimetest.RateLimited(1, "0")}, waits: []time.Duration{0}, attempts: 2},
		{name: "429 Retry-After date", faults: []runtimetest.Fault{runtimetest.RateLimited(1, date)}, attempts: 2},
		{name: "429 unreadable Retry-After backs off", faults: []runtimetest.Fault{runtimetest.RateLimited(1, "soon")}, waits: []time.Duration{2 * time.Second}, attempts: 2},
		{name: "timeout", faults: []runtimetest.Fault{runtimetest.Slow(1, 10*time.Second)}, opts: []runtime.Option{runtime.WithTimeout(100 * time.Millisecond)}, waits: []time.Duration{2 * time.Second}, attempts: 2},
		{name: "dropped connection", faults: []runtimetest.Fault{runtimetest.Dropped(1)}, waits: []time.Duration{2 * time.Second}, attempts: 2},
		{name: "api-package 503", variant: runtimetest.APIPackage, faults: []runtimetest.Fault{runtimetest.ServerError(1, 503)}, waits: []time.Duration{2 * time.Second}, attempts: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, tc.variant, tc.opts...)
			for _, f := range tc.faults {
				fx.fake.Fail(f)
			}
			res, err := fx.deploy(t, v117)
			if err != nil {
				t.Fatal(err)
			}
			if res.Attempts != tc.attempts {
				t.Errorf("attempts = %d, want %d", res.Attempts, tc.attempts)
			}
			waits := fx.sleeps.got()
			if tc.waits != nil {
				if diff := cmp.Diff(tc.waits, waits); diff != "" {
					t.Errorf("waits (-want +got):\n%s", diff)
				}
			} else if len(waits) != tc.attempts-1 || waits[0] <= 0 || waits[0] > 30*time.Second {
				t.Errorf("waits = %v, want one of at most 30s from the date", waits)
			}
			calls := fx.fake.Calls()
			if len(calls) != tc.attempts {
				t.Fatalf("%d calls, want %d", len(calls), tc.attempts)
			}
			for _, c := range calls {
				if c.IdempotencyKey != res.IdempotencyKey {
					t.Errorf("a retry carries the key %s, want %s", c.IdempotencyKey, res.IdempotencyKey)
				}
			}
			if n := fx.fake.Applied(); n != 1 {
				t.Errorf("the runtime applied the deploy %d times, want once", n)
			}
			if got := fx.fake.Live("vNext.Account"); got.Version != "1.17.0" || !got.Healthy() {
				t.Errorf("live = %+v", got)
			}
		})
	}
}

// A runtime that applied the deploy but whose answer was lost gets the
// retry with the same key and answers it from its store, without loading
// the package twice.
func TestLostAnswerIsNotAppliedTwice(t *testing.T) {
	for _, ft := range []runtimetest.Fault{
		{Times: 1, Status: http.StatusGatewayTimeout, Apply: true},
		{Times: 1, Drop: true, Apply: true},
		{Times: 1, Delay: 10 * time.Second, Apply: true},
	} {
		t.Run(fmt.Sprintf("%d drop=%v delay=%v", ft.Status, ft.Drop, ft.Delay), func(t *testing.T) {
			fx := newFixture(t, runtimetest.PublishPackage, runtime.WithTimeout(100*time.Millisecond))
			fx.fake.Fail(ft)
			if _, err := fx.deploy(t, v117); err != nil {
				t.Fatal(err)
			}
			calls := fx.fake.Calls()
			if len(calls) != 2 || !calls[1].Replayed || fx.fake.Applied() != 1 {
				t.Errorf("calls %+v, applied %d; want the retry replayed and one application", calls, fx.fake.Applied())
			}
		})
	}
}

func TestStopsOnPermanentFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  *runtimetest.Fault
		token  string
		target runtime.Target
		status int
		msg    string
	}{
		{name: "400", fault: ptr(runtimetest.BadRequest("version 1.17.0 does not match the manifest")), target: v117, status: 400, msg: "version 1.17.0 does not match the manifest"},
		{name: "401 bad token echoed back", token: "wrong-" + token, target: v117, status: 401, msg: "invalid token in Bearer [REDACTED]"},
		{name: "403", fault: &runtimetest.Fault{Status: 403, Body: `{"error":"the token may not publish vNext.Account"}`}, target: v117, status: 403, msg: "the token may not publish vNext.Account"},
		{name: "422 unknown version", target: runtime.Target{Package: "vNext.Account", Version: "9.9.9", BundleDigest: "sha256:9"}, status: 422, msg: "package vNext.Account has no version 9.9.9"},
		{name: "404 plain text", fault: &runtimetest.Fault{Status: 404, Body: "no such route\n::error::injected"}, target: v117, status: 404, msg: "no such route ::error::injected"},
		{name: "422 errors list", fault: &runtimetest.Fault{Status: 422, Body: `{"errors":[{"field":"version","message":"is not SemVer"},"and something else"]}`}, target: v117, status: 422, msg: "is not SemVer; and something else"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t, runtimetest.PublishPackage)
			if tc.fault != nil {
				fx.fake.Fail(*tc.fault)
			}
			client := fx.client
			if tc.token != "" {
				var err error
				client, err = runtime.New(fx.fake.URL, tc.token, runtime.WithLogger(slog.New(slog.NewTextHandler(fx.out, nil))))
				if err != nil {
					t.Fatal(err)
				}
			}
			res, err := client.Deploy(context.Background(), tc.target)
			fx.out.printf("%v %v", res, err)
			var e *runtime.Error
			if !errors.As(err, &e) {
				t.Fatalf("Deploy = %+v, %v; want a *runtime.Error", res, err)
			}
			if e.Kind != runtime.KindPermanent || e.Status != tc.status || e.Message != tc.msg || e.Attempts != 1 || e.GaveUp {
				t.Errorf("error = %#v\nwant permanent, HTTP %d, message %q, one attempt", e, tc.status, tc.msg)
			}
			if !strings.Contains(err.Error(), "runtime deploy of vNext.Account") || !strings.Contains(err.Error(), fmt.Sprint(tc.status)) {
				t.Errorf("error %q does not say what failed", err)
			}
			if n := len(fx.fake.Calls()); n != 1 || len(fx.sleeps.got()) != 0 {
				t.Errorf("%d calls and %d waits for a permanent failure, want 1 and 0", n, len(fx.sleeps.got()))
			}
			if got := fx.fake.Live("vNext.Account"); got.Version != "1.16.0" {
				t.Errorf("live = %+v, want 1.16.0 untouched", got)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// A partial deploy is its own kind; rolling back restores the previous
// version, which is what an automatic rollback relies on.
func TestPartialFailureAndRollback(t *testing.T) {
	for _, variant := range []runtimetest.Variant{runtimetest.APIPackage, runtimetest.PublishPackage} {
		t.Run(fmt.Sprint(variant), func(t *testing.T) {
			fx := newFixture(t, variant)
			fx.fake.Fail(runtimetest.Partial("Account.Onboarding", "Account.Closure"))
			_, err := fx.deploy(t, v117)
			var e *runtime.Error
			if !errors.As(err, &e) || e.Kind != runtime.KindPartial || runtime.KindOf(err) != runtime.KindPartial {
				t.Fatalf("Deploy error = %v, want a partial failure", err)
			}
			var names []string
			for _, f := range e.Failed {
				names = append(names, f.Name)
			}
			if diff := cmp.Diff([]string{"Account.Onboarding", "Account.Closure"}, names); diff != "" {
				t.Errorf("failed (-want +got):\n%s", diff)
			}
			if !strings.Contains(err.Error(), "partially failed: 2 part(s) did not load: Account.Onboarding") {
				t.Errorf("error %q", err)
			}
			if e.Attempts != 1 || len(fx.sleeps.got()) != 0 {
				t.Errorf("a partial failure was retried: %d attempts", e.Attempts)
			}
			if got := fx.fake.Live("vNext.Account"); got.Version != "1.17.0" || got.Healthy() {
				t.Errorf("live after a partial deploy = %+v", got)
			}
			if _, err := fx.rollback(t, v116); err != nil {
				t.Fatal(err)
			}
			if got := fx.fake.Live("vNext.Account"); got.Version != "1.16.0" || !got.Healthy() {
				t.Errorf("live after the rollback = %+v, want 1.16.0 healthy", got)
			}
		})
	}
}

func TestGivesUp(t *testing.T) {
	fx := newFixture(t, runtimetest.PublishPackage)
	fx.fake.Fail(runtimetest.ServerError(0, 503))
	_, err := fx.deploy(t, v117)
	var e *runtime.Error
	if !errors.As(err, &e) || e.Kind != runtime.KindRetryable || !e.GaveUp || e.Attempts != 5 || e.Status != 503 {
		t.Fatalf("error = %#v", err)
	}
	if !strings.Contains(err.Error(), "gave up after 5 attempts") {
		t.Errorf("error %q does not say it gave up", err)
	}
	// 2s doubling, capped at a minute by a policy with a small cap.
	if diff := cmp.Diff([]time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}, fx.sleeps.got()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	keys := map[string]bool{}
	for _, c := range fx.fake.Calls() {
		keys[c.IdempotencyKey] = true
	}
	if len(keys) != 1 {
		t.Errorf("%d idempotency keys over the retries, want 1", len(keys))
	}
}

func TestBackoffIsCapped(t *testing.T) {
	s := &sleeps{}
	policy := runtime.RetryPolicy{Attempts: 7, Backoff: time.Second, MaxBackoff: 5 * time.Second, Sleep: s.sleep, Jitter: func(d time.Duration) time.Duration { return d }}
	fake := runtimetest.New(t, runtimetest.Config{})
	fake.Fail(runtimetest.ServerError(0, 500))
	client, err := runtime.New(fake.URL, "", runtime.WithRetryPolicy(policy))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Deploy(context.Background(), v117); runtime.KindOf(err) != runtime.KindRetryable {
		t.Fatalf("error = %v", err)
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second}
	if diff := cmp.Diff(want, s.got()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestDefaultJitterStaysInBounds(t *testing.T) {
	s := &sleeps{}
	policy := runtime.RetryPolicy{Attempts: 40, Backoff: time.Second, MaxBackoff: time.Second, Sleep: s.sleep}
	fake := runtimetest.New(t, runtimetest.Config{})
	fake.Fail(runtimetest.ServerError(0, 500))
	client, err := runtime.New(fake.URL, "", runtime.WithRetryPolicy(policy))
	if err != nil {
		t.Fatal(err)
	}
	client.Deploy(context.Background(), v117)
	distinct := map[time.Duration]bool{}
	for _, d := range s.got() {
		if d < time.Second/2 || d > time.Second {
			t.Errorf("jittered wait %v outside [0.5s, 1s]", d)
		}
		distinct[d] = true
	}
	if len(distinct) < 2 {
		t.Errorf("39 jittered waits took %d distinct values", len(distinct))
	}
}

func TestRetryAfterBeyondCapGivesUpAtOnce(t *testing.T) {
	fx := newFixture(t, runtimetest.PublishPackage)
	fx.fake.Fail(runtimetest.RateLimited(0, "3600"))
	_, err := fx.deploy(t, v117)
	var e *runtime.Error
	if !errors.As(err, &e) || e.Kind != runtime.KindRetryable || !e.GaveUp || e.RetryAfter != time.Hour {
		t.Fatalf("error = %#v", err)
	}
	if !strings.Contains(err.Error(), "asked to retry after 1h0m0s, longer than the 5m0s allowed") {
		t.Errorf("error %q", err)
	}
	if n := len(fx.fake.Calls()); n != 1 || len(fx.sleeps.got()) != 0 {
		t.Errorf("%d calls, %d waits", n, len(fx.sleeps.got()))
	}
}

func TestCancelStopsWaiting(t *testing.T) {
	fake := runtimetest.New(t, runtimetest.Config{})
	fake.Fail(runtimetest.ServerError(0, 502))
	ctx, cancel := context.WithCancel(context.Background())
	policy := runtime.DefaultRetryPolicy()
	policy.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	client, err := runtime.New(fake.URL, "", runtime.WithRetryPolicy(policy))
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Deploy(ctx, v117)
	if !errors.Is(err, context.Canceled) || runtime.KindOf(err) != runtime.KindRetryable {
		t.Errorf("error = %v, want the 502 and the cancellation", err)
	}
	if n := len(fake.Calls()); n != 1 {
		t.Errorf("%d calls after cancelling, want 1", n)
	}
}

func TestDeadlineDuringAttempt(t *testing.T) {
	fake := runtimetest.New(t, runtimetest.Config{})
	fake.Fail(runtimetest.Slow(0, 10*time.Second))
	client, err := runtime.New(fake.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = client.Deploy(ctx, v117)
	var e *runtime.Error
	if !errors.As(err, &e) || e.Kind != runtime.KindRetryable || e.Attempts != 1 || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want one attempt cut off by the caller's deadline", err)
	}
}

func TestAnswersThatAreNotSuccess(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shape runtime.Shape
		body  string
		kind  runtime.Kind
		msg   string
	}{
		{"lenient: plain text", runtime.PublishPackageShape(), "OK", 0, ""},
		{"lenient: empty", runtime.PublishPackageShape(), "", 0, ""},
		{"lenient: success false", runtime.PublishPackageShape(), `{"success":false,"message":"disk full"}`, runtime.KindPermanent, "the runtime answered success: false; disk full"},
		{"lenient: success is a string", runtime.PublishPackageShape(), `{"success":"false"}`, runtime.KindPermanent, `the answer's success is "false", not a boolean`},
		{"strict: no success field", runtime.APIPackageShape(), `{"published":true}`, runtime.KindPermanent, "the answer is not {success, failed[]}"},
		{"strict: not JSON", runtime.APIPackageShape(), `<html>ok</html>`, runtime.KindPermanent, "the answer is not {success, failed[]}: the answer is not a JSON object"},
		{"strict: success with extra fields", runtime.APIPackageShape(), `{"success":true,"failed":null,"took":"3m","nested":{"a":[1]}}`, 0, ""},
		{"strict: success true but failed", runtime.APIPackageShape(), `{"success":true,"failed":["Account.X"]}`, runtime.KindPartial, ""},
		{"strict: failed is a map", runtime.APIPackageShape(), `{"success":false,"failed":{"Account.X":"timed out"}}`, runtime.KindPartial, ""},
		{"strict: failed unreadable", runtime.APIPackageShape(), `{"success":true,"failed":7}`, runtime.KindPartial, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			client, err := runtime.New(srv.URL, "", runtime.WithShape(tc.shape))
			if err != nil {
				t.Fatal(err)
			}
			_, err = client.Deploy(context.Background(), v117)
			if got := runtime.KindOf(err); got != tc.kind {
				t.Fatalf("kind = %v (%v), want %v", got, err, tc.kind)
			}
			var e *runtime.Error
			if tc.msg != "" && (!errors.As(err, &e) || e.Message != tc.msg) {
				t.Errorf("message = %q, want %q", e.Message, tc.msg)
			}
		})
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		http.Redirect(w, r, "https://elsewhere.example/publish/package", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	client, err := runtime.New(srv.URL, token)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Deploy(context.Background(), v117)
	if runtime.KindOf(err) != runtime.KindPermanent || !strings.Contains(err.Error(), `redirects to "https://elsewhere.example/publish/package"`) || hits != 1 {
		t.Errorf("error = %v after %d requests", err, hits)
	}
}

func TestNewRefusesBadConfiguration(t *testing.T) {
	for _, tc := range []struct {
		url   string
		shape runtime.Shape
		want  string
	}{
		{"ftp://runtime.example", runtime.PublishPackageShape(), "scheme must be http or https"},
		{"https://", runtime.PublishPackageShape(), "has no host"},
		{"https://user:" + token + "@runtime.example", runtime.PublishPackageShape(), "carries credentials"},
		{"https://runtime.example?x=1", runtime.PublishPackageShape(), "query or fragment"},
		{"https://runtime.example", runtime.Shape{Path: "publish", PackageField: "p", VersionField: "v"}, "must start with /"},
		{"https://runtime.example", runtime.Shape{Path: "/p", PackageField: "p", VersionField: "p"}, "must differ"},
		{"https://runtime.example", runtime.Shape{Path: "/p", PackageField: "p"}, "need names"},
		{"https://runtime.example", runtime.Shape{Path: "/p?x", PackageField: "p", VersionField: "v"}, "query or fragment"},
		{"%zz", runtime.PublishPackageShape(), "runtime URL"},
	} {
		_, err := runtime.New(tc.url, token, runtime.WithShape(tc.shape))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q, %+v) = %v, want an error saying %q", tc.url, tc.shape, err, tc.want)
		} else if strings.Contains(err.Error(), token) {
			t.Errorf("New(%q): the error shows the token: %v", tc.url, err)
		}
	}
}

func TestRefusesIncompleteTargets(t *testing.T) {
	fake := runtimetest.New(t, runtimetest.Config{})
	client, err := runtime.New(fake.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tgt := range []runtime.Target{{Package: "vNext.Account", Version: "1.17.0"}, {Version: "1", BundleDigest: "d"}, {Package: "p", BundleDigest: "d"}} {
		if _, err := client.Deploy(context.Background(), tgt); runtime.KindOf(err) != runtime.KindPermanent {
			t.Errorf("Deploy(%+v) = %v, want a permanent error", tgt, err)
		}
	}
	if n := len(fake.Calls()); n != 0 {
		t.Errorf("%d requests for incomplete targets", n)
	}
}

// Every scenario at once, with a debug log: the token goes out in the
// Authorization header and nowhere else (newOutput's cleanup asserts it).
func TestTokenNeverInOutput(t *testing.T) {
	fx := newFixture(t, runtimetest.APIPackage, runtime.WithTimeout(100*time.Millisecond))
	fx.fake.Fail(runtimetest.Fault{Times: 1, Status: 500, Body: `{"message":"upstream said: Authorization: Bearer ` + token + `"}`})
	fx.fake.Fail(runtimetest.Slow(1, 5*time.Second))
	fx.fake.Fail(runtimetest.Fault{Times: 1, Status: 400, Body: `{"message":"bad header ` + token + `"}`})
	fx.fake.Fail(runtimetest.Fault{Action: "deploy", Times: 1, Failed: []string{"part " + token}})
	fx.deploy(t, v117)
	fx.deploy(t, v117)
	fx.rollback(t, v116)
	sent := 0
	for _, c := range fx.fake.Calls() {
		if c.Authorization == "Bearer "+token {
			sent++
		}
		if strings.Contains(c.Body, token) {
			t.Errorf("the token is in a request body: %s", c.Body)
		}
	}
	if sent != len(fx.fake.Calls()) || sent < 4 {
		t.Errorf("the token went out with %d of %d requests", sent, len(fx.fake.Calls()))
	}
	if !strings.Contains(fx.out.String(), "[REDACTED]") {
		t.Errorf("no redacted echo in the output; the scenario did not run:\n%s", fx.out)
	}
}
