package release_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/runtime"
	"github.com/breakwater-dev/breakwater/internal/runtime/runtimetest"
	"github.com/breakwater-dev/breakwater/internal/signing"
)

const pkg = "vNext.Account"

func runtimeEnv(name string, production bool, url string) config.Environment {
	return config.Environment{Name: name, Production: production, Runtime: config.EnvironmentRuntime{URL: url}}
}

func newRuntime(t *testing.T, variant runtimetest.Variant) (*runtimetest.Fake, *runtime.Client) {
	t.Helper()
	fake := runtimetest.New(t, runtimetest.Config{Variant: variant, Token: runtimeToken, Live: map[string]string{pkg: "1.16.0"}})
	shape := runtime.PublishPackageShape()
	if variant == runtimetest.APIPackage {
		shape = runtime.APIPackageShape()
	}
	client, err := runtime.New(fake.URL, runtimeToken, runtime.WithShape(shape), fastRetries())
	if err != nil {
		t.Fatal(err)
	}
	return fake, client
}

func history(f *runtimetest.Fake) []string {
	var out []string
	for _, e := range f.History(pkg) {
		s := e.Action + " " + e.Version
		if e.Partial {
			s += " (partial)"
		}
		out = append(out, s)
	}
	return out
}

// The automatic rollback happens exactly when the runtime may have changed:
// a partial load or an outcome unknown after retries; never after a
// refusal, never without a previous version, never across an auth break.
func TestDeployRollsBackExactlyWhenItShould(t *testing.T) {
	cases := []struct {
		name     string
		variant  runtimetest.Variant
		fault    *runtimetest.Fault
		record   func() *change.Record
		noPrev   bool
		outcome  string
		status   release.Status
		history  []string
		failed   []string
		manual   bool
		authRefs int
	}{
		{name: "success", outcome: release.OutcomeDeployed, status: release.StatusDone, history: []string{"deploy 1.17.0"}},
		{name: "success after two 503s", fault: &runtimetest.Fault{Action: "deploy", Times: 2, Status: http.StatusServiceUnavailable},
			outcome: release.OutcomeDeployed, status: release.StatusDone, history: []string{"deploy 1.17.0"}},
		{name: "partial failed[] rolls back", variant: runtimetest.APIPackage, fault: ptr(runtimetest.Partial("core/Workflows/sys-flows")),
			outcome: release.OutcomeRolledBack, status: release.StatusPartial,
			history: []string{"deploy 1.17.0 (partial)", "deploy 1.16.0"}, failed: []string{"core/Workflows/sys-flows (the component did not start)"}},
		{name: "unknown outcome after retries rolls back", fault: &runtimetest.Fault{Action: "deploy", Status: http.StatusBadGateway, Apply: true},
			outcome: release.OutcomeRolledBack, status: release.StatusFailed, history: []string{"deploy 1.17.0", "rollback 1.16.0"}},
		{name: "refusal keeps the previous version", fault: ptr(runtimetest.BadRequest("the package vNext.Account 1.17.0 is not in the registry")),
			outcome: release.OutcomeRefused, status: release.StatusFailed, history: nil},
		{name: "auth break refuses the rollback", variant: runtimetest.APIPackage, fault: ptr(runtimetest.Partial("core/Workflows/sys-flows")), record: authBreaking,
			outcome: release.OutcomeRollbackRefused, status: release.StatusPartial, history: []string{"deploy 1.17.0 (partial)"},
			failed: []string{"core/Workflows/sys-flows (the component did not start)"}, manual: true, authRefs: 1},
		{name: "first release has nothing to roll back to", fault: &runtimetest.Fault{Action: "deploy", Status: http.StatusServiceUnavailable}, noPrev: true,
			outcome: release.OutcomeNoRollback, status: release.StatusFailed, history: nil},
		{name: "a failed rollback says the state is unknown", fault: &runtimetest.Fault{Status: http.StatusServiceUnavailable}, // deploy and rollback
			outcome: release.OutcomeRollbackFailed, status: release.StatusFailed, history: nil, manual: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			record := configOnly()
			if tc.record != nil {
				record = tc.record()
			}
			r, _ := signedRelease(t, record)
			if tc.noPrev {
				r.Previous, r.Manifest.PreviousVersion = nil, ""
			}
			fake, client := newRuntime(t, tc.variant)
			if tc.fault != nil {
				fake.Fail(*tc.fault)
			}
			gh := newGitHub(t)
			err := release.Run(context.Background(), r, []release.Step{release.DeployStep{Env: runtimeEnv("test", false, fake.URL), Runtime: client, Tracker: gh.client}})
			if (err == nil) != (tc.status == release.StatusDone) {
				t.Fatalf("Run = %v, want status %s", err, tc.status)
			}
			rec := r.Records[len(r.Records)-1]
			if rec.Status != tc.status || len(r.Deploys) != 1 {
				t.Fatalf("record %+v, deploys %+v; want %s", rec, r.Deploys, tc.status)
			}
			d := r.Deploys[0]
			if d.Outcome != tc.outcome {
				t.Errorf("outcome %q (%s), want %q", d.Outcome, d.Detail, tc.outcome)
			}
			if diff := cmp.Diff(tc.history, history(fake)); diff != "" {
				t.Errorf("runtime history (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.failed, d.Failed); diff != "" {
				t.Errorf("failed parts (-want +got):\n%s", diff)
			}
			if (len(d.ManualSteps) > 0) != tc.manual || len(d.AuthFindings) != tc.authRefs {
				t.Errorf("manual steps %q, auth findings %v", d.ManualSteps, d.AuthFindings)
			}
			if tc.manual && tc.authRefs == 0 && strings.Contains(strings.Join(d.ManualSteps, "\n"), "auth") {
				t.Errorf("the manual steps speak of auth changes there are none of: %q", d.ManualSteps)
			}
			if tc.authRefs > 0 {
				for _, c := range fake.Calls() {
					if c.Action == "rollback" || c.Version == "1.16.0" {
						t.Errorf("a rollback was sent despite the auth break: %+v", c)
					}
				}
				if !strings.Contains(d.Detail, "auth-breaking change(s) between 1.16.0 and 1.17.0") ||
					!strings.Contains(strings.Join(d.ManualSteps, "\n"), "rollback --environment test --version 1.16.0 --allow-auth-break") {
					t.Errorf("the refusal does not say why and what to do: %s / %q", d.Detail, d.ManualSteps)
				}
				if s := release.Summary(r); !strings.Contains(s, `tray/auth\-scopes\-added`) || !strings.Contains(s, "What to do") {
					t.Errorf("the summary lacks the findings or the manual steps:\n%s", s)
				}
			}
			// The deployment records the outcome: in_progress → success or failure.
			deps := gh.repo.Deployments()
			if len(deps) != 1 {
				t.Fatalf("%d deployments, want 1", len(deps))
			}
			var states []string
			for _, s := range deps[0].Statuses {
				states = append(states, s.State)
			}
			want := []string{"in_progress", "success"}
			if tc.status != release.StatusDone {
				want = []string{"in_progress", "failure"}
			}
			if diff := cmp.Diff(want, states); diff != "" {
				t.Errorf("deployment statuses (-want +got):\n%s", diff)
			}
			var payload githubapi.DeploymentPayload
			if err := json.Unmarshal(deps[0].Payload, &payload); err != nil {
				t.Fatal(err)
			}
			wantPayload := githubapi.DeploymentPayload{Package: pkg, Version: "1.17.0", PreviousVersion: r.PreviousVersion(), BundleDigest: r.BundleDigest}
			if payload != wantPayload || deps[0].Ref != "v1.17.0" || deps[0].Environment != "test" {
				t.Errorf("deployment %+v payload %+v, want %+v", deps[0], payload, wantPayload)
			}
			for _, c := range fake.Calls() {
				if c.Authorization != "Bearer "+runtimeToken {
					t.Errorf("runtime call without the token: %+v", c)
				}
			}
			assertNoSecret(t, releaseOutputs(r, err)...)
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Nothing unverified reaches a runtime: a bundle that did not verify, or
// none at all, stops the deploy before any request.
func TestDeployRefusesUnverified(t *testing.T) {
	r, _ := signedRelease(t, configOnly())
	_, other := signedRelease(t, configOnly())
	fake, client := newRuntime(t, runtimetest.PublishPackage)
	// Verify against another key: the gate stays closed.
	r.Verified, r.Records = nil, nil
	err := release.Run(context.Background(), r, []release.Step{
		release.VerifyStep{Policy: signing.Policy{PublicKey: &other.PublicKey}},
		release.DeployStep{Env: runtimeEnv("test", false, fake.URL), Runtime: client},
	})
	if err == nil || len(fake.Calls()) != 0 {
		t.Fatalf("Run = %v with %d runtime calls; want a failed verification and no call", err, len(fake.Calls()))
	}
	if r.Records[0].Status != release.StatusFailed || r.Records[1].Status != release.StatusSkipped ||
		r.Records[1].Detail != "skipped, because verify failed" {
		t.Errorf("records = %+v", r.Records)
	}
	// A deploy step run alone without verification refuses too.
	err = release.Run(context.Background(), r, []release.Step{release.DeployStep{Env: runtimeEnv("test", false, fake.URL), Runtime: client}})
	if err == nil || !strings.Contains(err.Error(), "did not verify against the configured policy") || len(fake.Calls()) != 0 {
		t.Errorf("Run = %v, %d calls", err, len(fake.Calls()))
	}
}
