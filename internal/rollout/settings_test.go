package rollout_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/rollout"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
	"github.com/breakwater-dev/breakwater/internal/tray"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

// countingRuntime records how many upgrades are in flight at most, and
// when each was sent.
type countingRuntime struct {
	rollout.Runtime
	mu       sync.Mutex
	inFlight int
	peak     int
	sent     []time.Time
}

func (c *countingRuntime) UpgradeInstance(ctx context.Context, in tray.UpgradeInput) (*tray.Instance, error) {
	c.mu.Lock()
	c.inFlight++
	c.peak = max(c.peak, c.inFlight)
	c.sent = append(c.sent, time.Now())
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
	}()
	return c.Runtime.UpgradeInstance(ctx, in)
}

// TestSettingsPaceTheRollout: a repository's rollout section
// (Engine.SetSettings) slows its rollout down, never past the engine's
// own limits (the operator's flags).
func TestSettingsPaceTheRollout(t *testing.T) {
	tests := []struct {
		name        string
		engine      int // the engine's (serve's) concurrency
		settings    rollout.Settings
		maxInFlight int
		rate        float64 // > 0: upgrades are spaced by at least 1/rate
	}{
		{name: "concurrency below the engine's", engine: 8, settings: rollout.Settings{Concurrency: 1}, maxInFlight: 1},
		{name: "concurrency capped by the engine's", engine: 2, settings: rollout.Settings{Concurrency: 16}, maxInFlight: 2},
		{name: "rate limit", engine: 4, settings: rollout.Settings{RateLimit: 25}, maxInFlight: 4, rate: 25},
	}
	b := storetest.Backends[0]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := traytest.New(t, traytest.Config{Unlimited: true, Latency: 5 * time.Millisecond})
			s.Generate("sol", 40, traytest.GenerateOptions{Quirks: true})
			rt := &countingRuntime{}
			rc := replicaConfig{opts: engineOptions()}
			rc.opts.Concurrency = tt.engine
			rc.opts.Targets = rollout.TargetsFunc(func(context.Context, string, string) (rollout.Target, error) {
				return rollout.Target{Runtime: rt, SolutionID: "sol", Values: supplied()}, nil
			})
			r := startReplica(t, b.URL(t), s, rc)
			rt.Runtime = r.client
			ctx := context.Background()
			req := startRequest()
			if err := r.eng.SetSettings(ctx, req.Package, req.Environment, tt.settings); err != nil {
				t.Fatal(err)
			}
			if got, err := r.eng.SettingsOf(ctx, req.Package, req.Environment); err != nil || got != tt.settings {
				t.Fatalf("SettingsOf = %+v, %v; want %+v", got, err, tt.settings)
			}
			started, err := r.eng.Start(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			waitDone(t, r.eng, started.Rollout.ID, 2*time.Minute)
			rt.mu.Lock()
			defer rt.mu.Unlock()
			if len(rt.sent) < 5 {
				t.Fatalf("only %d upgrades: too few to tell", len(rt.sent))
			}
			if rt.peak > tt.maxInFlight {
				t.Errorf("%d upgrades in flight at once, want at most %d", rt.peak, tt.maxInFlight)
			}
			if tt.maxInFlight > 1 && tt.rate == 0 && rt.peak < 2 {
				t.Errorf("upgrades were never concurrent (peak %d): the test shows nothing", rt.peak)
			}
			if tt.rate > 0 {
				// A lower bound only: the limiter can never beat it.
				span := rt.sent[len(rt.sent)-1].Sub(rt.sent[0])
				if least := time.Duration(float64(len(rt.sent)-1) / tt.rate * float64(time.Second)); span < least {
					t.Errorf("%d upgrades in %v, want at least %v at %v per second", len(rt.sent), span, least, tt.rate)
				}
			}
		})
	}
}

// TestDeploymentRecordsTheRolloutSection: the release commit's rollout
// section paces the rollout the deployment starts.
func TestDeploymentRecordsTheRolloutSection(t *testing.T) {
	b := storetest.Backends[0]
	g := newGitHubRigConfig(t, b.URL(t), 0, 8, "rollout:\n  concurrency: 3\n  rate-limit: 500\n")
	r := g.start(t)
	got, err := g.rep.eng.SettingsOf(context.Background(), r.Package, r.Environment)
	if want := (rollout.Settings{Concurrency: 3, RateLimit: 500}); err != nil || got != want {
		t.Fatalf("settings of the deployed rollout = %+v, %v; want %+v", got, err, want)
	}
	waitDone(t, g.rep.eng, r.ID, 2*time.Minute)
	checkOutcome(t, g.tray, g.rep.st, r.ID, g.want)
}
