package rollout_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/breakwater-dev/breakwater/internal/rollout"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

// TestSharedLimiterAcrossReplicas: two limiters on one store (two
// replicas) together never exceed the budget in any window, and neither
// replica is starved.
func TestSharedLimiterAcrossReplicas(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			url := b.URL(t)
			s := traytest.New(t, traytest.Config{Unlimited: true})
			const rate, burst = 200.0, 6
			var mu sync.Mutex
			var sent []time.Time
			perReplica := [2]int{}
			var limiters []*rollout.SharedLimiter
			for range 2 {
				r := startReplica(t, url, s, replicaConfig{opts: engineOptions(), noWork: true})
				lim, err := rollout.NewSharedLimiter(r.st, "tray:shared", rollout.LimiterOptions{Rate: rate, Burst: burst})
				if err != nil {
					t.Fatal(err)
				}
				limiters = append(limiters, lim)
			}
			// Both replicas are up before the clock starts.
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			var wg sync.WaitGroup
			for replica, lim := range limiters {
				for range 8 {
					wg.Go(func() {
						for lim.Wait(ctx) == nil {
							mu.Lock()
							sent = append(sent, time.Now())
							perReplica[replica]++
							mu.Unlock()
						}
					})
				}
			}
			wg.Wait()
			slices.SortFunc(sent, func(a, b time.Time) int { return a.Compare(b) })
			// Any window of w holds at most rate*w requests plus the burst
			// the limiter allows itself to drift by.
			const w = 100 * time.Millisecond
			maxIn := int(rate*w.Seconds()) + burst
			for i := range sent {
				j := i
				for j < len(sent) && sent[j].Sub(sent[i]) < w {
					j++
				}
				if j-i > maxIn {
					t.Fatalf("%d requests within %s from %v; at most %d allowed", j-i, w, sent[i], maxIn)
				}
			}
			// How much of the budget is used is a matter of speed, measured
			// by BenchmarkRollout10000; here: both replicas get through, and
			// the budget refills (more than the bursts were sent).
			if perReplica[0] == 0 || perReplica[1] == 0 || len(sent) <= 2*burst {
				t.Fatalf("requests per replica %v: a replica was starved or the budget never refilled", perReplica)
			}
			t.Logf("%d requests in 1.5s, budget %v per second", len(sent), rate)
		})
	}
}

// TestTwoReplicasShareRolloutAndBudget: two replicas on one PostgreSQL
// database: replica b joins a rollout that a drives, a stops, b finishes.
// Each instance is upgraded once, the driver moved from one to the other,
// and the runtime's rate limit, shared through the store, is never
// exceeded.
func TestTwoReplicasShareRolloutAndBudget(t *testing.T) {
	url := storetest.PostgresURL(t)
	const rate, burst = 150.0, 10
	s := traytest.New(t, traytest.Config{RateLimit: rate, Burst: burst, Latency: 5 * time.Millisecond})
	// Enough instances that a cannot finish the rollout while b starts up,
	// even on a loaded machine: about 9 s of work at the rate limit.
	ids := s.Generate("sol", 1280, traytest.GenerateOptions{})
	want := expectations(s, ids)
	opts := engineOptions()
	opts.Slice = 500 * time.Millisecond // hand the rollout over often
	a := startReplica(t, url, s, replicaConfig{opts: opts, rate: rate, burst: burst})
	started, err := a.eng.Start(context.Background(), startRequest())
	if err != nil {
		t.Fatal(err)
	}
	for s.CallCount(traytest.OpUpgrade) < countUpgrades(want)/3 {
		time.Sleep(5 * time.Millisecond)
	}
	b := startReplica(t, url, s, replicaConfig{opts: opts, rate: rate, burst: burst})
	if n := s.CallCount(traytest.OpUpgrade); n >= countUpgrades(want) {
		t.Fatalf("a upgraded all %d instances before b was up: the handover was not exercised", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.st.Stop(ctx); err != nil { // graceful: a's slice ends, b goes on
		t.Fatal(err)
	}
	waitDone(t, b.eng, started.Rollout.ID, 2*time.Minute)
	checkOutcome(t, s, b.st, started.Rollout.ID, want)
	if n := s.Rejected(); n != 0 {
		t.Fatalf("the runtime rejected %d requests for exceeding its rate limit", n)
	}
	jobs, err := b.st.Jobs(context.Background(), river.NewJobListParams().Kinds("breakwater_rollout_drive").First(1000))
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]bool{}
	for _, j := range jobs {
		for _, c := range j.AttemptedBy {
			by[c] = true
		}
	}
	if len(by) != 2 {
		t.Fatalf("driver jobs were worked by %d replicas, want both: %v", len(by), by)
	}
}
