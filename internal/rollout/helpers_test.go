package rollout_test

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/rollout"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/tray"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

// testLogger shows warnings and errors only.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: testLogLevel()}))
}

// solutionFindings are the change record of traytest.GeneratedSolution's
// version 2: the CRM auth slot re-created (a re-sync), a required hidden
// config slot (the owner's value), a required visible auth slot (the end
// user) and a config slot with a default.
func solutionFindings() []plan.Finding {
	return []plan.Finding{
		{Rule: "tray/auth-slot-recreated", Upgrade: plan.UpgradeSystemInput,
			Slot: &plan.Slot{Kind: plan.AuthSlot, ExternalID: "crm_auth", Change: plan.SlotRecreated, Required: true}},
		{Rule: "tray/config-slot-added-required", Upgrade: plan.UpgradeSystemInput,
			Slot: &plan.Slot{Kind: plan.ConfigSlot, ExternalID: "region", Change: plan.SlotAdded, Hidden: true, Required: true}},
		{Rule: "tray/auth-slot-added", Upgrade: plan.UpgradeUserInput,
			Slot: &plan.Slot{Kind: plan.AuthSlot, ExternalID: "new_service_auth", Change: plan.SlotAdded, Required: true}},
		{Rule: "tray/config-slot-added", Upgrade: plan.UpgradeLazy,
			Slot: &plan.Slot{Kind: plan.ConfigSlot, ExternalID: "email", Change: plan.SlotAdded, HasDefault: true}},
	}
}

// regionValue is the owner's value for the hidden "region" slot.
const regionValue = `"eu-central"`

func supplied() plan.Supplied {
	return plan.Supplied{Config: map[string]string{"region": regionValue}}
}

// engineOptions are fast settings for tests: short leases, slices and
// backoffs.
func engineOptions() rollout.Options {
	return rollout.Options{
		Concurrency: 8, Lease: 6 * time.Second, LeaseMargin: 2 * time.Second, DriverLease: 2 * time.Second,
		Slice: 2 * time.Second, SweepInterval: time.Second, MinBackoff: 50 * time.Millisecond, MaxBackoff: 400 * time.Millisecond,
		ReportInterval: 500 * time.Millisecond, Logger: testLogger(),
	}
}

// replica is one process's worth of rollout machinery: a store with its
// River client working the engine's jobs, a Tray client paced by the
// shared budget, and the engine.
type replica struct {
	st     *store.Store
	eng    *rollout.Engine
	client *tray.Client
}

type replicaConfig struct {
	opts  rollout.Options
	rate  float64 // the shared budget (requests per second)
	burst int
	// noWork opens an insert-only store (a CLI), working no jobs.
	noWork bool
	// values replace supplied(); asOwner sends upgrades as the owners.
	values  *plan.Supplied
	asOwner bool
}

// startReplica opens the store at url and starts working rollouts against
// the fake Tray s.
func startReplica(t testing.TB, url string, s *traytest.Server, rc replicaConfig) *replica {
	t.Helper()
	r := &replica{}
	opts := rc.opts
	values := supplied()
	if rc.values != nil {
		values = *rc.values
	}
	if opts.Targets == nil {
		opts.Targets = rollout.TargetsFunc(func(ctx context.Context, pkg, env string) (rollout.Target, error) {
			return rollout.Target{Runtime: r.client, SolutionID: "sol", Values: values, AsOwner: rc.asOwner}, nil
		})
	}
	eng, err := rollout.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	sopts := store.Options{Logger: testLogger()}
	if !rc.noWork {
		cfg := eng.RiverConfig(2)
		cfg.FetchPollInterval = 50 * time.Millisecond
		cfg.FetchCooldown = 10 * time.Millisecond
		cfg.Logger = testLogger()
		sopts.River = cfg
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := store.Open(ctx, url, sopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng.Bind(st)
	if rc.rate == 0 {
		rc.rate = 1000
	}
	lim, err := rollout.NewSharedLimiter(st, "tray:"+s.GraphQLURL(), rollout.LimiterOptions{Rate: rc.rate, Burst: rc.burst})
	if err != nil {
		t.Fatal(err)
	}
	r.client, err = tray.New(tray.Options{MasterToken: s.MasterToken(), GraphQLURL: s.GraphQLURL(), Limiter: lim,
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, AttemptTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r.st, r.eng = st, eng
	if !rc.noWork {
		if err := st.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			st.Stop(ctx) //nolint:errcheck // closing anyway
		})
	}
	return r
}

// startRequest is the rollout of version 2.0.0 of the test package.
func startRequest() rollout.StartRequest {
	return rollout.StartRequest{Package: "crm-sync", Version: "2.0.0", Environment: "production", Findings: solutionFindings(), Diffed: true}
}

// waitDone waits for the rollout to finish and returns its progress.
func waitDone(t testing.TB, eng *rollout.Engine, id int64, limit time.Duration) rollout.Progress {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		p, err := eng.Status(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if p.Done {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("rollout %d not done after %s: %v", id, limit, p.Counts)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// rollOut starts the test rollout through r, waits for it to finish and
// checks every instance's outcome.
func rollOut(t testing.TB, s *traytest.Server, r *replica, want map[string]expectation) int64 {
	t.Helper()
	started, err := r.eng.Start(context.Background(), startRequest())
	if err != nil {
		t.Fatal(err)
	}
	waitDone(t, r.eng, started.Rollout.ID, 2*time.Minute)
	checkOutcome(t, s, r.st, started.Rollout.ID, want)
	return started.Rollout.ID
}

// expectation is what the fake's state at the start says must happen to
// an instance: the ground truth the rollout is checked against.
type expectation struct {
	upgrade   bool // the bot must call upgradeSolutionInstance once
	state     store.InstanceState
	wasBehind bool
}

// expectations derive every instance's outcome from its flags at the
// start, independently of the plan package.
func expectations(s *traytest.Server, ids []string) map[string]expectation {
	out := make(map[string]expectation, len(ids))
	for _, id := range ids {
		in, _ := s.Instance(id)
		f := s.FlagsOf(id)
		var e expectation
		switch {
		case !in.Enabled:
			e.state = store.StateSkipped
		case !f.HasNewerVersion:
			e.state = store.StateSkipped
		case f.RequiresUserInput:
			e.upgrade, e.state = true, store.StateNeedsUser
		case f.RequiresSystemInput:
			e.upgrade, e.state = true, store.StateUpgraded
		default:
			e.state = store.StateLazy
		}
		e.wasBehind = f.HasNewerVersion
		out[id] = e
	}
	return out
}

// checkOutcome asserts from the fake's call log and the store that every
// instance was upgraded exactly as often as it must be (once, or never)
// and ended in the state its flags called for.
func checkOutcome(t testing.TB, s *traytest.Server, st *store.Store, rolloutID int64, want map[string]expectation) {
	t.Helper()
	ctx := context.Background()
	got := map[string]store.Instance{}
	after := ""
	for {
		page, err := st.Instances(ctx, rolloutID, "", after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range page {
			got[in.ID] = in
		}
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(got) != len(want) {
		t.Fatalf("the rollout has %d instances, the runtime %d", len(got), len(want))
	}
	bad := 0
	for id, w := range want {
		n := s.Upgrades(id, 2)
		wantN := 0
		if w.upgrade {
			wantN = 1
		}
		in := got[id]
		if n != wantN || in.State != w.state {
			bad++
			if bad <= 10 {
				t.Errorf("instance %s: upgraded %d times, state %s (%s); want %d and %s", id, n, in.State, in.Message, wantN, w.state)
			}
		}
		if w.upgrade {
			if cur, _ := s.Instance(id); cur.Version != 2 {
				t.Errorf("instance %s is on version %d after its upgrade", id, cur.Version)
			}
		}
	}
	if bad > 10 {
		t.Errorf("… %d instances wrong in all", bad)
	}
}

// testLogLevel is error, or what BREAKWATER_TEST_LOG says (debug, info…).
func testLogLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("BREAKWATER_TEST_LOG"))); err != nil {
		return slog.LevelError
	}
	return l
}
