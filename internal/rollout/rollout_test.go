package rollout_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/rollout"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

// TestRolloutUpgradesEveryInstanceOnce: every flag combination, enabled
// and disabled; each instance that needs the bot is upgraded exactly once
// with the right values, the others never, and each ends in its state.
func TestRolloutUpgradesEveryInstanceOnce(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			s := traytest.New(t, traytest.Config{Unlimited: true})
			ids := s.Generate("sol", 320, traytest.GenerateOptions{Quirks: true})
			want := expectations(s, ids)
			rep := &recordingReporter{}
			rc := replicaConfig{opts: engineOptions()}
			rc.opts.Reporter = rep
			r := startReplica(t, b.URL(t), s, rc)
			ctx := context.Background()
			started, err := r.eng.Start(ctx, startRequest())
			if err != nil || !started.Created {
				t.Fatalf("Start: %+v, %v", started, err)
			}
			again, err := r.eng.Start(ctx, startRequest())
			if err != nil || again.Created || again.Rollout.ID != started.Rollout.ID {
				t.Fatalf("second Start: %+v, %v; want the same rollout, not created", again, err)
			}
			p := waitDone(t, r.eng, started.Rollout.ID, 2*time.Minute)
			checkOutcome(t, s, r.st, started.Rollout.ID, want)
			if p.Counts[store.StateFailed] != 0 || p.Total != len(ids) {
				t.Fatalf("progress %+v", p)
			}
			// The values sent: the instance's own authId for the re-created
			// slot, the owner's value for the hidden one, nothing else.
			for _, c := range s.Calls() {
				if c.Op != traytest.OpUpgrade {
					continue
				}
				if c.Principal != "master" {
					t.Errorf("upgrade of %s as %s", c.InstanceID, c.Principal)
				}
				in, _ := s.Instance(c.InstanceID)
				for _, a := range c.AuthValues {
					if a.ExternalID != "crm_auth" || !strings.HasPrefix(a.AuthID, "auth-crm-") || !slices.Contains(in.AuthValues, a) {
						t.Errorf("upgrade of %s sent auth value %+v", c.InstanceID, a)
					}
				}
				for _, cv := range c.ConfigValues {
					if cv.ExternalID != "region" || string(cv.Value) != regionValue {
						t.Errorf("upgrade of %s sent config value %s=%s", c.InstanceID, cv.ExternalID, cv.Value)
					}
				}
			}
			// The driver reports the end right after recording it.
			for deadline := time.Now().Add(10 * time.Second); !rep.sawDone(); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the reporter never saw the rollout done")
				}
			}
		})
	}
}

// TestTransientFailuresAreRetriedOnce: 5xx, timeouts and answers lost after
// Tray executed the upgrade: the instance is retried after a backoff, and
// the retry reads its flags first, so none is upgraded twice.
func TestTransientFailuresAreRetriedOnce(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	ids := s.Generate("sol", 96, traytest.GenerateOptions{})
	want := expectations(s, ids)
	var faulty []string
	for _, id := range ids {
		if want[id].upgrade {
			faulty = append(faulty, id)
		}
	}
	for i, id := range faulty[:24] {
		switch i % 3 {
		case 0:
			s.InjectFault(traytest.Fault{Kind: traytest.Fault5xx, Op: traytest.OpUpgrade, InstanceID: id, Times: 2})
		case 1:
			s.InjectFault(traytest.Fault{Kind: traytest.FaultTimeout, Op: traytest.OpUpgrade, InstanceID: id, Times: 1, Hold: 3 * time.Second})
		case 2:
			s.InjectFault(traytest.Fault{Kind: traytest.FaultLoseResponse, Op: traytest.OpUpgrade, InstanceID: id, Times: 1})
		}
	}
	r := startReplica(t, storetest.SQLiteURL(t), s, replicaConfig{opts: engineOptions()})
	rollOut(t, s, r, want)
	// Every lost answer was resolved by reading the instance, not resending.
	lost := 0
	for _, c := range s.Calls() {
		if c.Fault == traytest.FaultLoseResponse {
			lost++
		}
	}
	if lost != 8 {
		t.Fatalf("%d lost answers, want 8", lost)
	}
}

// TestPermanentFailureRecordedAndRetried: Tray refuses one instance with a
// GraphQL error; it is failed with Tray's message while the rest goes on;
// retry-failed (the fault gone) upgrades it once.
func TestPermanentFailureRecordedAndRetried(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			s := traytest.New(t, traytest.Config{Unlimited: true})
			ids := s.Generate("sol", 64, traytest.GenerateOptions{})
			want := expectations(s, ids)
			var victim string
			for _, id := range ids {
				if want[id].upgrade {
					victim = id
					break
				}
			}
			const msg = `Config value for "region" is not one of the allowed values`
			s.InjectFault(traytest.Fault{Kind: traytest.FaultGraphQLError, Op: traytest.OpUpgrade, InstanceID: victim, Message: msg})
			r := startReplica(t, b.URL(t), s, replicaConfig{opts: engineOptions()})
			ctx := context.Background()
			started, err := r.eng.Start(ctx, startRequest())
			if err != nil {
				t.Fatal(err)
			}
			p := waitDone(t, r.eng, started.Rollout.ID, time.Minute)
			if p.Counts[store.StateFailed] != 1 || len(p.Failed) != 1 || p.Failed[0].ID != victim || p.Failed[0].Message != msg {
				t.Fatalf("failed: %v %+v; want %s failed with Tray's message", p.Counts, p.Failed, victim)
			}
			if s.Upgrades(victim, 2) != 0 {
				t.Fatal("the refused upgrade counts as executed")
			}
			s.ClearFaults()
			n, err := r.eng.RetryFailed(ctx, started.Rollout.ID)
			if err != nil || n != 1 {
				t.Fatalf("RetryFailed = %d, %v", n, err)
			}
			waitDone(t, r.eng, started.Rollout.ID, time.Minute)
			checkOutcome(t, s, r.st, started.Rollout.ID, want)
		})
	}
}

// TestPauseAndResume: a paused rollout sends nothing more once the
// upgrades in flight end; resumed, it finishes.
func TestPauseAndResume(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true, Latency: 30 * time.Millisecond})
	ids := s.Generate("sol", 256, traytest.GenerateOptions{})
	want := expectations(s, ids)
	opts := engineOptions()
	opts.Concurrency = 2
	r := startReplica(t, storetest.SQLiteURL(t), s, replicaConfig{opts: opts})
	ctx := context.Background()
	started, err := r.eng.Start(ctx, startRequest())
	if err != nil {
		t.Fatal(err)
	}
	id := started.Rollout.ID
	for s.CallCount(traytest.OpUpgrade) < 10 {
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.eng.Pause(ctx, id); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // the upgrades in flight end
	frozen := s.CallCount(traytest.OpUpgrade)
	time.Sleep(2 * time.Second)
	if n := s.CallCount(traytest.OpUpgrade); n != frozen {
		t.Fatalf("%d upgrades sent while paused", n-frozen)
	}
	p, _ := r.eng.Status(ctx, id)
	if p.Done || p.Counts[store.StatePending] == 0 || !p.Rollout.Paused {
		t.Fatalf("paused progress %+v", p)
	}
	if err := r.eng.Resume(ctx, id); err != nil {
		t.Fatal(err)
	}
	waitDone(t, r.eng, id, time.Minute)
	checkOutcome(t, s, r.st, id, want)
}

// Test429Storm: Tray turns away a third of the upgrades with 429 and a
// Retry-After; they are retried after it and each instance is upgraded
// once.
func Test429Storm(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	ids := s.Generate("sol", 96, traytest.GenerateOptions{})
	want := expectations(s, ids)
	s.InjectFault(traytest.Fault{Kind: traytest.Fault429, Op: traytest.OpUpgrade, Times: 40, RetryAfter: time.Second})
	r := startReplica(t, storetest.SQLiteURL(t), s, replicaConfig{opts: engineOptions()})
	rollOut(t, s, r, want)
	var refused []time.Time
	for _, c := range s.Calls() {
		if c.Fault == traytest.Fault429 {
			refused = append(refused, c.At)
		}
	}
	if len(refused) != 40 {
		t.Fatalf("%d upgrades refused with 429, want 40", len(refused))
	}
	// Retry-After is honoured: after a 429 nothing is sent for a second.
	// Requests already in flight may still be handled late on a loaded
	// machine: at most one per other worker.
	calls := s.Calls()
	for _, at := range refused {
		var late []time.Duration
		for _, c := range calls {
			if d := c.At.Sub(at); d > 50*time.Millisecond && d < 950*time.Millisecond {
				late = append(late, d)
			}
		}
		if len(late) >= engineOptions().Concurrency {
			t.Fatalf("%d calls within a second of a 429 asking for 1s: %v", len(late), late)
		}
	}
}

// TestOwnerTokensAndMissingValues: with AsOwner each upgrade goes with its
// owner's token; a value the process lacks fails the instance with a
// message saying so, and no request is sent for it.
func TestOwnerTokensAndMissingValues(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true, UpgradeNeedsUserToken: true})
	ids := s.Generate("sol", 64, traytest.GenerateOptions{Owners: 4})
	want := expectations(s, ids)
	url := storetest.SQLiteURL(t)
	r := startReplica(t, url, s, replicaConfig{opts: engineOptions(), noWork: true, asOwner: true})
	started, err := r.eng.Start(context.Background(), startRequest())
	if err != nil {
		t.Fatal(err)
	}
	r.st.Close()
	// The worker was started without the secret.
	w := startReplica(t, url, s, replicaConfig{opts: engineOptions(), asOwner: true, values: &plan.Supplied{}})
	p := waitDone(t, w.eng, started.Rollout.ID, time.Minute)
	failed := 0
	for _, in := range p.Failed {
		if !strings.Contains(in.Message, `no value for hidden config slot "region" was supplied to this process`) {
			t.Errorf("failed %s: %s", in.ID, in.Message)
		}
		failed++
	}
	if failed == 0 {
		t.Fatal("no instance needed the missing value")
	}
	for _, c := range s.Calls() {
		if c.Op == traytest.OpUpgrade && (c.Error != "" || !strings.HasPrefix(c.Principal, "user:")) {
			t.Errorf("upgrade of %s as %s: %s", c.InstanceID, c.Principal, c.Error)
		}
	}
	upgraded := 0
	for id, e := range want {
		if e.upgrade && s.Upgrades(id, 2) == 1 {
			upgraded++
		}
	}
	if upgraded+failed != countUpgrades(want) {
		t.Fatalf("%d upgraded and %d failed of %d to upgrade", upgraded, failed, countUpgrades(want))
	}
}

func countUpgrades(want map[string]expectation) int {
	n := 0
	for _, e := range want {
		if e.upgrade {
			n++
		}
	}
	return n
}

// TestStartRecordsEveryInstance: the plan's states and payloads as stored,
// before any work: pending with what to send, lazy, skipped with why.
func TestStartRecordsEveryInstance(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	ids := s.Generate("sol", 450, traytest.GenerateOptions{Quirks: true}) // more than two pages
	want := expectations(s, ids)
	r := startReplica(t, storetest.SQLiteURL(t), s, replicaConfig{opts: engineOptions(), noWork: true})
	ctx := context.Background()
	started, err := r.eng.Start(ctx, startRequest())
	if err != nil {
		t.Fatal(err)
	}
	if started.Rollout.Planning || started.Rollout.DriverJob == 0 {
		t.Fatalf("rollout %+v: want planned, with a driver enqueued", started.Rollout)
	}
	ins, err := r.st.Instances(ctx, started.Rollout.ID, "", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != len(ids) {
		t.Fatalf("%d instances stored, want %d", len(ins), len(ids))
	}
	for _, in := range ins {
		w := want[in.ID]
		wantState := w.state
		if w.upgrade {
			wantState = store.StatePending
		}
		if in.State != wantState {
			t.Errorf("%s: %s (%s), want %s", in.ID, in.State, in.Message, wantState)
		}
		if in.State == store.StateSkipped && in.Message == "" {
			t.Errorf("%s skipped without a reason", in.ID)
		}
	}
	// A claim carries what to send; secrets are named, never stored.
	cs, err := r.st.ClaimNext(ctx, started.Rollout.ID, 400, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if strings.Contains(string(c.Payload), "eu-central") {
			t.Fatalf("the owner's value is stored: %s", c.Payload)
		}
		var p map[string]any
		if err := json.Unmarshal(c.Payload, &p); err != nil {
			t.Fatalf("payload of %s: %v", c.InstanceID, err)
		}
	}
}

// recordingReporter keeps every progress report.
type recordingReporter struct {
	mu      sync.Mutex
	reports []rollout.Progress
}

func (r *recordingReporter) Report(_ context.Context, p rollout.Progress) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reports = append(r.reports, p)
	return nil
}

func (r *recordingReporter) sawDone() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.ContainsFunc(r.reports, func(p rollout.Progress) bool { return p.Done })
}
