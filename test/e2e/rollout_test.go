package e2e

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/bot"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
	"github.com/breakwater-dev/breakwater/internal/trayplan/trayplantest"
)

// The rollout end to end: `breakwater serve` gets the release path's
// successful deployment_status, upgrades the instances of the fake Tray
// and shows it on the strict fake GitHub — and is killed with SIGKILL at
// random points of the rollout and restarted, or runs as two replicas of
// which one is killed. The call log then says whether any instance was
// upgraded twice or never.

// rolloutRig is the app's repository with a release deployed, and the
// fake Tray with the solution's instances.
type rolloutRig struct {
	a       *app
	tray    *traytest.Server
	payload []byte         // the deployment_status delivery
	upgrade map[string]int // instance → upgrades it must get (0 or 1)
	env     []string
}

func newRolloutRig(t *testing.T, instances int) *rolloutRig {
	t.Helper()
	a := newApp(t)
	base, head := trayplantest.Pair()
	cfg := []byte("tray:\n  solution-id: sol\n")
	v1 := a.repo.Commit(nil, map[string][]byte{trayplantest.ExportPath: base, ".github/breakwater.yml": cfg})
	v2 := a.repo.Commit([]string{v1}, map[string][]byte{trayplantest.ExportPath: head, ".github/breakwater.yml": cfg})
	a.repo.Tag("v1.0.0", v1)
	a.repo.Tag("v2.0.0", v2)
	// The release path's deployment, as its workflow recorded it.
	gh, err := githubapi.New(a.fake.URL, "release-workflow-token")
	if err != nil {
		t.Fatal(err)
	}
	r := githubapi.Repo{Owner: serveOwner, Name: serveRepoName}
	dep, _, err := gh.EnsureDeployment(context.Background(), r, githubapi.NewDeployment{Ref: "v2.0.0", Environment: "production", Production: true,
		Payload: githubapi.DeploymentPayload{Package: "crm", Version: "2.0.0", PreviousVersion: "1.0.0", BundleDigest: "sha256:e2e"}})
	if err != nil {
		t.Fatal(err)
	}
	ev := repoExample(t, "deployment_status", "created")
	d := githubtest.Object(ev, "deployment")
	d["id"], d["sha"], d["ref"], d["environment"] = dep.ID, v2, "v2.0.0", "production"
	d["payload"] = map[string]any{"package": "crm", "version": "2.0.0", "previousVersion": "1.0.0", "bundleDigest": "sha256:e2e"}
	st := githubtest.Object(ev, "deployment_status")
	st["state"], st["environment"], st["description"] = "success", "production", "deployed crm 2.0.0"
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	s := traytest.New(t, traytest.Config{Unlimited: true, Latency: 10 * time.Millisecond})
	ids := trayplantest.Seed(s, "sol", instances, 9)
	upgrade := map[string]int{}
	for _, id := range ids {
		in, _ := s.Instance(id)
		f := s.FlagsOf(id)
		if in.Enabled && f.HasNewerVersion && (f.RequiresUserInput || f.RequiresSystemInput) {
			upgrade[id] = 1
		} else {
			upgrade[id] = 0
		}
	}
	values := `{"config": {"external_region": "\"eu\""}, "auth": {"external_mail": "owner-mail-auth"}}`
	return &rolloutRig{a: a, tray: s, payload: payload, upgrade: upgrade,
		env: []string{bot.EnvTrayToken + "=" + s.MasterToken(), bot.EnvTrayURL + "=" + s.GraphQLURL(), "BREAKWATER_ROLLOUT_VALUES=" + values}}
}

// serve starts `breakwater serve` with short leases and heartbeats, so
// that a dead replica's work is taken over within seconds.
func (g *rolloutRig) serve(t *testing.T, dbURL string) *server {
	t.Helper()
	return startServeEnv(t, g.a, dbURL, g.env, "--job-timeout", "30s", "--rollout-lease", "3s", "--rollout-heartbeat", "1s",
		"--rollout-slice", "1s", "--tray-rate-limit", "2000", "--tray-burst", "100", "--rollout-concurrency", "8")
}

// waitUpgrades waits until the fake Tray has handled n upgrades.
func (g *rolloutRig) waitUpgrades(t *testing.T, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for g.tray.CallCount(traytest.OpUpgrade) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d upgrades after %s, waiting for %d", g.tray.CallCount(traytest.OpUpgrade), limit, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitDone waits until the rollout is finished and its final report is
// on GitHub, reading the store.
func (g *rolloutRig) waitDone(t *testing.T, dbURL string, limit time.Duration) {
	t.Helper()
	st, err := store.Open(context.Background(), dbURL, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(limit)
	for {
		r, err := st.FindRollout(context.Background(), "crm", "2.0.0", "production")
		if err == nil {
			counts, err := st.RolloutCounts(context.Background(), r.ID)
			if err != nil {
				t.Fatal(err)
			}
			runs := g.a.repo.CheckRuns()
			if counts[store.StatePending]+counts[store.StateInFlight] == 0 && len(runs) == 1 && runs[0].Status == "completed" && g.statusWritten() {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rollout was not done in %s (%v)", limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// statusWritten reports whether the rollout wrote its deployment status
// (the last of its final report).
func (g *rolloutRig) statusWritten() bool {
	deps := g.a.repo.Deployments()
	return len(deps) > 0 && slices.ContainsFunc(deps[0].Statuses, func(s githubtest.DeploymentStatus) bool {
		return strings.HasPrefix(s.Description, "Breakwater rollout:")
	})
}

// check asserts from the call log that each instance got the upgrades it
// needed, once, and from the fake GitHub that the surfaces are one issue,
// one completed check run and a deployment status.
func (g *rolloutRig) check(t *testing.T) {
	t.Helper()
	bad := 0
	for id, want := range g.upgrade {
		if got := g.tray.Upgrades(id, 2); got != want {
			bad++
			if bad < 10 {
				t.Errorf("instance %s upgraded %d times, want %d", id, got, want)
			}
		}
	}
	issues := g.a.repo.Issues()
	if len(issues) != 1 || !strings.Contains(issues[0].Body, "**Status**: done") {
		t.Fatalf("%d tracking issues: %+v", len(issues), issues)
	}
	if runs := g.a.repo.CheckRuns(); runs[0].Conclusion != "success" {
		t.Fatalf("check run %+v", runs[0])
	}
	if !g.statusWritten() {
		t.Fatalf("no rollout status on the deployment: %+v", g.a.repo.Deployments())
	}
}

func countOnes(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestServeRolloutSurvivesSIGKILL: serve is killed with SIGKILL at random
// points of the rollout and restarted each time; every instance is
// upgraded exactly once, and GitHub shows one tracking issue.
func TestServeRolloutSurvivesSIGKILL(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			g := newRolloutRig(t, 1200)
			dbURL := b.URL(t)
			rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
			s := g.serve(t, dbURL)
			if code, err := s.send("deployment_status", "deploy-1-"+b.Name, g.payload); err != nil || code != http.StatusAccepted {
				t.Fatalf("delivery: %d, %v", code, err)
			}
			const kills = 5
			total := countOnes(g.upgrade)
			for range kills {
				g.waitUpgrades(t, g.tray.CallCount(traytest.OpUpgrade)+1+rng.IntN(max(1, total/(kills+2))), 2*time.Minute)
				s.kill(t)
				s = g.serve(t, dbURL)
			}
			g.waitDone(t, dbURL, 3*time.Minute)
			g.check(t)
			t.Logf("%d instances to upgrade, %d upgrade calls, %d kills", total, g.tray.CallCount(traytest.OpUpgrade), kills)
		})
	}
}

// TestServeReplicaKilledMidRollout: two serve replicas share a PostgreSQL
// database; the one the delivery went to is killed mid-rollout; the other
// finishes it.
func TestServeReplicaKilledMidRollout(t *testing.T) {
	g := newRolloutRig(t, 1200)
	dbURL := storetest.PostgresURL(t)
	s1 := g.serve(t, dbURL)
	g.serve(t, dbURL)
	if code, err := s1.send("deployment_status", "deploy-replicas", g.payload); err != nil || code != http.StatusAccepted {
		t.Fatalf("delivery: %d, %v", code, err)
	}
	g.waitUpgrades(t, countOnes(g.upgrade)/3, 2*time.Minute)
	s1.kill(t)
	g.waitDone(t, dbURL, 3*time.Minute)
	g.check(t)
}
