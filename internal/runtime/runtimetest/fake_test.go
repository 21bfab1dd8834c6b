package runtimetest

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// errRecorder collects the fake's test failures instead of failing.
type errRecorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *errRecorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *errRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.errs
	r.errs = nil
	return e
}

func TestFakeIsStrict(t *testing.T) {
	for _, variant := range []Variant{PublishPackage, APIPackage} {
		rec := &errRecorder{TB: t}
		f := New(rec, Config{Variant: variant, Token: "tok", Live: map[string]string{"vNext.A": "1.0.0"}})
		path, pkg := "/publish/package", "package"
		if variant == APIPackage {
			path, pkg = "/api/package/publish", "packageName"
		}
		ok := fmt.Sprintf(`{%q:"vNext.A","version":"1.1.0"}`, pkg)
		for _, tc := range []struct {
			name, method, path, ctype, key, auth, body string
			status                                     int
			wantErr                                    string // "" = accepted without failing the test
		}{
			{"valid", "POST", path, "application/json", "k1", "Bearer tok", ok, 200, ""},
			{"replayed", "POST", path, "application/json", "k1", "Bearer tok", ok, 200, ""},
			{"key reused with another body", "POST", path, "application/json", "k1", "Bearer tok", fmt.Sprintf(`{%q:"vNext.A","version":"1.2.0"}`, pkg), 422, "used before with another body"},
			{"wrong token", "POST", path, "application/json", "k2", "Bearer nope", ok, 401, ""},
			{"unknown route", "POST", "/publish", "application/json", "k3", "Bearer tok", ok, 404, "unknown route"},
			{"query", "POST", path + "?force=1", "application/json", "k3", "Bearer tok", ok, 400, "unexpected query"},
			{"wrong method", "PUT", path, "application/json", "k3", "Bearer tok", ok, 405, "method not allowed"},
			{"wrong content type", "POST", path, "text/plain", "k3", "Bearer tok", ok, 415, "Content-Type"},
			{"no idempotency key", "POST", path, "application/json", "", "Bearer tok", ok, 400, "no Idempotency-Key"},
			{"unknown field", "POST", path, "application/json", "k3", "Bearer tok", fmt.Sprintf(`{%q:"vNext.A","version":"1","force":true}`, pkg), 400, "unknown field"},
			{"missing field", "POST", path, "application/json", "k3", "Bearer tok", `{"version":"1"}`, 400, "required"},
			{"two values", "POST", path, "application/json", "k3", "Bearer tok", ok + ok, 400, "more than one"},
		} {
			req, _ := http.NewRequest(tc.method, f.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.ctype)
			req.Header.Set("Idempotency-Key", tc.key)
			req.Header.Set("Authorization", tc.auth)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			errs := rec.take()
			if resp.StatusCode != tc.status {
				t.Errorf("%v %s: status %d, want %d", variant, tc.name, resp.StatusCode, tc.status)
			}
			switch {
			case tc.wantErr == "" && len(errs) > 0:
				t.Errorf("%v %s: failed the test: %q", variant, tc.name, errs)
			case tc.wantErr != "" && (len(errs) != 1 || !strings.Contains(errs[0], tc.wantErr)):
				t.Errorf("%v %s: test failures %q, want one saying %q", variant, tc.name, errs, tc.wantErr)
			}
		}
		if f.Applied() != 1 || f.Live("vNext.A").Version != "1.1.0" {
			t.Errorf("%v: applied %d, live %+v; want one deploy of 1.1.0", variant, f.Applied(), f.Live("vNext.A"))
		}
		calls := f.Calls()
		if len(calls) < 2 || !calls[1].Replayed {
			t.Errorf("%v: the second call was not replayed: %+v", variant, calls)
		}
	}
}

func TestFakeRollbackNeedsAVersionThatWasLive(t *testing.T) {
	f := New(t, Config{Live: map[string]string{"vNext.A": "1.0.0"}})
	post := func(key, body string) int {
		req, _ := http.NewRequest("POST", f.URL+"/publish/package", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	got := []int{
		post("a", `{"package":"vNext.A","version":"0.9.0","rollback":true}`),
		post("b", `{"package":"vNext.A","version":"1.1.0"}`),
		post("c", `{"package":"vNext.A","version":"1.0.0","rollback":true}`),
	}
	if fmt.Sprint(got) != "[422 200 200]" {
		t.Errorf("statuses = %v, want [422 200 200]", got)
	}
	if l := f.Live("vNext.A"); l.Version != "1.0.0" || !l.Healthy() {
		t.Errorf("live = %+v", l)
	}
}
