package rollout_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/rollout"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
	"github.com/breakwater-dev/breakwater/internal/tray"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

// versionsFixture: crm-sync 1.0.0, 1.5.0 and 2.0.0 deployed to production
// in that order (2.0.0 current), the fake's newest solution version being
// 2.0.0's. Instances:
//
//	cur-1, cur-2  on the newest version
//	floor-15      behind; the 1.5.0 rollout upgraded it, so it runs 1.5.0
//	old-1         behind, never recorded: 1.0.0 or 1.5.0
func versionsFixture(t *testing.T, url string) (*traytest.Server, *replica) {
	t.Helper()
	s := traytest.New(t, traytest.Config{Unlimited: true})
	s.AddSolution(traytest.Solution{ID: "sol", Title: "CRM sync", Version: 3})
	for _, in := range []traytest.Instance{
		{ID: "cur-1", Owner: "u1", Version: 3}, {ID: "cur-2", Owner: "u2", Version: 3},
		{ID: "floor-15", Owner: "u3", Version: 2}, {ID: "old-1", Owner: "u4", Version: 1},
	} {
		in.SolutionID, in.Enabled = "sol", true
		s.AddInstance(in)
	}
	r := startReplica(t, url, s, replicaConfig{opts: engineOptions(), noWork: true})
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, v := range []string{"1.0.0", "1.5.0", "2.0.0"} {
		at := base.Add(time.Duration(i) * 24 * time.Hour)
		rec := json.RawMessage(`{"breaking":` + map[bool]string{true: "true", false: "false"}[v == "2.0.0"] + `,"findings":[]}`)
		if err := r.st.RecordVersion(ctx, store.Version{Package: "crm-sync", Version: v, ChangeRecord: rec, SignatureDigest: "sha512-" + v,
			Changes: store.ChangeSummary{Breaking: v == "2.0.0", Auth: v == "2.0.0"}, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		if err := r.st.MarkDeployed(ctx, "crm-sync", v, "production", at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	// The 1.5.0 rollout upgraded floor-15.
	ro, _, err := r.st.CreateRollout(ctx, store.NewRollout{Package: "crm-sync", Version: "1.5.0", Environment: "production",
		Instances: []store.NewInstance{{ID: "floor-15", Owner: "u3", Action: "system-input"}}}, store.Job{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := r.st.ClaimInstance(ctx, ro.ID, "floor-15", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.st.CompleteInstance(ctx, c, store.StateUpgraded, ""); err != nil {
		t.Fatal(err)
	}
	return s, r
}

func TestVersionsCountInstances(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			_, r := versionsFixture(t, b.URL(t))
			vs, err := r.eng.Versions(context.Background(), "crm-sync", true)
			if err != nil {
				t.Fatal(err)
			}
			type row struct {
				Version            string
				Current            bool
				Running, Possibly  int
				Breaking, Recorded bool
			}
			var got []row
			for _, v := range vs {
				if len(v.Environments) != 1 || v.Environments[0].Instances == nil || v.Environments[0].Instances.Error != "" {
					t.Fatalf("%s: environments %+v", v.Version, v.Environments)
				}
				e := v.Environments[0]
				got = append(got, row{v.Version, e.Current, e.Instances.Running, e.Instances.Possibly, v.Changes.Breaking,
					v.SignatureDigest == "sha512-"+v.Version && len(v.ChangeRecord) > 0})
			}
			want := []row{
				{"2.0.0", true, 2, 0, true, true},
				{"1.5.0", false, 1, 1, false, true}, // floor-15 runs it; old-1 may
				{"1.0.0", false, 0, 1, false, true}, // old-1 may
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("versions (-want +got):\n%s", diff)
			}
			one, err := r.eng.Version(context.Background(), "crm-sync", "1.5.0", false)
			if err != nil || one.Version != "1.5.0" || one.Environments[0].Instances != nil {
				t.Fatalf("Version without counting: %+v, %v", one, err)
			}
			if _, err := r.eng.Version(context.Background(), "crm-sync", "9.9.9", false); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("unknown version: %v", err)
			}
		})
	}
}

func TestRetireRefusesWhileInstancesRunIt(t *testing.T) {
	s, r := versionsFixture(t, storetest.SQLiteURL(t))
	ctx := context.Background()
	res, err := r.eng.Retire(ctx, "crm-sync", "1.0.0", time.Millisecond, nil)
	if err != nil || res.Retired {
		t.Fatalf("Retire(1.0.0) = %+v, %v; want a refusal", res, err)
	}
	if diff := cmp.Diff([]rollout.InstanceRef{{ID: "old-1", Owner: "u4", Environment: "production", Possibly: true}}, res.Instances); diff != "" {
		t.Fatalf("instances (-want +got):\n%s", diff)
	}
	res, _ = r.eng.Retire(ctx, "crm-sync", "2.0.0", time.Millisecond, nil)
	if res.Retired || !strings.Contains(res.Reason, "current version of environment production") {
		t.Fatalf("Retire(current) = %+v", res)
	}
	// old-1 moves on: Tray upgraded it to the newest version.
	if _, err := r.client.UpgradeInstance(ctx, traytestUpgrade("old-1")); err != nil {
		t.Fatal(err)
	}
	// Runtime counts lag: an instance shows up behind between the checks.
	waited := 0
	res, err = r.eng.Retire(ctx, "crm-sync", "1.0.0", 10*time.Millisecond, func(time.Duration) {
		waited++
		s.AddInstance(traytest.Instance{ID: "late-1", Owner: "u5", SolutionID: "sol", Enabled: true, Version: 1})
	})
	if err != nil || res.Retired || waited != 1 || !strings.Contains(res.Reason, "second check") ||
		!slices.ContainsFunc(res.Instances, func(in rollout.InstanceRef) bool { return in.ID == "late-1" }) {
		t.Fatalf("Retire with a late instance = %+v, %v (waited %d)", res, err, waited)
	}
	if _, err := r.client.UpgradeInstance(ctx, traytestUpgrade("late-1")); err != nil {
		t.Fatal(err)
	}
	res, err = r.eng.Retire(ctx, "crm-sync", "1.0.0", 10*time.Millisecond, nil)
	if err != nil || !res.Retired {
		t.Fatalf("Retire once nothing runs it = %+v, %v", res, err)
	}
	v, _ := r.eng.Version(ctx, "crm-sync", "1.0.0", false)
	if v.RetiredAt == nil {
		t.Fatal("retirement not recorded")
	}
	if _, err := r.eng.Retire(ctx, "crm-sync", "1.0.0", time.Millisecond, nil); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("retiring twice: %v", err)
	}
}

func TestRetireFailsClosedWithoutARuntime(t *testing.T) {
	_, r := versionsFixture(t, storetest.SQLiteURL(t))
	opts := engineOptions()
	opts.Targets = rollout.TargetsFunc(func(ctx context.Context, pkg, env string) (rollout.Target, error) {
		return rollout.Target{}, errors.New("no Tray token for environment production (TRAY_TOKEN_PRODUCTION)")
	})
	eng, err := rollout.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	eng.Bind(r.st)
	res, err := eng.Retire(context.Background(), "crm-sync", "1.0.0", time.Millisecond, nil)
	if err != nil || res.Retired || !strings.Contains(res.Reason, "TRAY_TOKEN_PRODUCTION") {
		t.Fatalf("Retire without a runtime = %+v, %v; want a refusal saying why", res, err)
	}
	vs, _ := eng.Versions(context.Background(), "crm-sync", true)
	if e := vs[0].Environments[0].Instances; e == nil || !strings.Contains(e.Error, "TRAY_TOKEN_PRODUCTION") {
		t.Fatalf("counts without a runtime: %+v", e)
	}
}

// TestRetireRefusesWhereNoDeploymentWasRecorded: a rollout started from
// the command line records no deployment, so no census can place the
// version in that environment; retiring must refuse, not pass unchecked.
func TestRetireRefusesWhereNoDeploymentWasRecorded(t *testing.T) {
	_, r := versionsFixture(t, storetest.SQLiteURL(t))
	ctx := context.Background()
	// Nothing runs 1.0.0 in production any more.
	if _, err := r.client.UpgradeInstance(ctx, traytestUpgrade("old-1")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.st.CreateRollout(ctx, store.NewRollout{Package: "crm-sync", Version: "1.0.0", Environment: "staging",
		Instances: []store.NewInstance{{ID: "stage-1", Owner: "u9", Action: "lazy"}}}, store.Job{}); err != nil {
		t.Fatal(err)
	}
	res, err := r.eng.Retire(ctx, "crm-sync", "1.0.0", time.Millisecond, nil)
	if err != nil || res.Retired || !strings.Contains(res.Reason, "rolled out to staging without a recorded deployment") {
		t.Fatalf("Retire(1.0.0) = %+v, %v; want a refusal naming staging", res, err)
	}
	if v, _ := r.eng.Version(ctx, "crm-sync", "1.0.0", false); v.RetiredAt != nil {
		t.Fatal("the version was retired")
	}
}

// traytestUpgrade is what Tray's lazy update does to an instance.
func traytestUpgrade(id string) tray.UpgradeInput { return tray.UpgradeInput{InstanceID: id} }

// TestVersionsAPI: the bot's versions API lists and shows versions with
// their instance counts, refuses requests without the token, and retires
// through a job whose outcome the version then shows.
func TestVersionsAPI(t *testing.T) {
	url := storetest.SQLiteURL(t)
	s, r := versionsFixture(t, url)
	r.st.Close()
	w := startReplica(t, url, s, replicaConfig{opts: engineOptions()})
	srv := httptest.NewServer(w.eng.API("s3cret"))
	defer srv.Close()
	call := func(method, path, token string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out) //nolint:errcheck // checked by the callers' assertions
		return resp.StatusCode, out
	}
	if code, _ := call("GET", "/api/v1/packages/crm-sync/versions", ""); code != http.StatusUnauthorized {
		t.Fatalf("no token: %d", code)
	}
	if code, _ := call("GET", "/api/v1/packages/crm-sync/versions", "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: %d", code)
	}
	code, list := call("GET", "/api/v1/packages/crm-sync/versions?count=true", "s3cret")
	vs, _ := list["versions"].([]any)
	if code != http.StatusOK || len(vs) != 3 {
		t.Fatalf("list: %d %v", code, list)
	}
	first := vs[0].(map[string]any)
	envs := first["environments"].([]any)
	inst := envs[0].(map[string]any)["instances"].(map[string]any)
	if first["version"] != "2.0.0" || inst["running"] != float64(2) || first["signatureDigest"] != "sha512-2.0.0" {
		t.Fatalf("newest version: %v", first)
	}
	if code, _ := call("GET", "/api/v1/packages/crm-sync/versions/9.9.9", "s3cret"); code != http.StatusNotFound {
		t.Fatalf("unknown version: %d", code)
	}
	if code, _ := call("POST", "/api/v1/packages/crm-sync/versions/1.0.0/retire?interval=forever", "s3cret"); code != http.StatusBadRequest {
		t.Fatalf("bad interval: %d", code)
	}
	// retire asks for the retirement and waits for its outcome.
	retire := func() map[string]any {
		t.Helper()
		code, st := call("POST", "/api/v1/packages/crm-sync/versions/1.0.0/retire?interval=10ms", "s3cret")
		if code != http.StatusAccepted || st["state"] != rollout.RetirePending {
			t.Fatalf("retire: %d %v", code, st)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			_, one := call("GET", "/api/v1/packages/crm-sync/versions/1.0.0", "s3cret")
			if ret, _ := one["retirement"].(map[string]any); ret != nil && ret["state"] != rollout.RetirePending {
				return one
			}
			if time.Now().After(deadline) {
				t.Fatalf("the retirement never ran: %v", one)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	one := retire()
	ret := one["retirement"].(map[string]any)
	if ret["state"] != rollout.RetireRefused || len(ret["instances"].([]any)) != 1 || one["retiredAt"] != nil {
		t.Fatalf("retirement of a version an instance may run: %v", one)
	}
	// Asked again once refused (the instance may have moved on since), it
	// is checked again, not held back by the finished job's uniqueness.
	if one = retire(); one["retirement"].(map[string]any)["state"] != rollout.RetireRefused {
		t.Fatalf("retirement asked again: %v", one)
	}
}
