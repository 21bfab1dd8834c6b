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
// replicas) together never exceed the budget in any window, and both go
// on being served, batch after batch.
//
// How much of the budget they use is a performance figure, measured by
// BenchmarkRollout10000: here a loaded machine wakes waiters late, and a
// slot woken late is dropped on purpose (never sent late), so the count
// in a fixed time says more about the machine than about the limiter. The
// test runs until each replica got several batches instead.
func TestSharedLimiterAcrossReplicas(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			url := b.URL(t)
			s := traytest.New(t, traytest.Config{Unlimited: true})
			const rate, burst = 200.0, 6
			const batch = int(rate / 10) // the limiter's default
			const enough = 4 * batch     // per replica: it reserved again and again
			var mu sync.Mutex
			var sent []time.Time
			got := make([]int, 2)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			start := time.Now()
			var wg sync.WaitGroup
			for rep := range 2 {
				r := startReplica(t, url, s, replicaConfig{opts: engineOptions(), noWork: true})
				lim, err := rollout.NewSharedLimiter(r.st, "tray:shared", rollout.LimiterOptions{Rate: rate, Burst: burst})
				if err != nil {
					t.Fatal(err)
				}
				for range 8 {
					wg.Go(func() {
						for lim.Wait(ctx) == nil {
							mu.Lock()
							sent = append(sent, time.Now())
							got[rep]++
							if got[0] >= enough && got[1] >= enough {
								cancel()
							}
							mu.Unlock()
						}
					})
				}
			}
			wg.Wait()
			took := time.Since(start)
			if got[0] < enough || got[1] < enough {
				t.Fatalf("in %v the replicas got %v requests through, want %d each: a limiter starves", took.Round(time.Millisecond), got, enough)
			}
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
			t.Logf("%d requests (%v) in %v, budget %v per second", len(sent), got, took.Round(time.Millisecond), rate)
		})
	}
}

// TestTwoReplicasShareRolloutAndBudget: two replicas on one PostgreSQL
// database: a drives the rollout, stops gracefully with upgrades in flight,
// and b, sharing the store, finishes it. Each instance is upgraded once,
// the driver moved from one to the other, and the runtime's rate limit,
// shared through the store, is never exceeded.
//
// The rollout is paused while a stops and b starts: otherwise, on a
// loaded machine, a could finish the whole rollout before b is up (or
// within the slice it ends when stopping), and b would have nothing left.
func TestTwoReplicasShareRolloutAndBudget(t *testing.T) {
	url := storetest.PostgresURL(t)
	const rate, burst = 150.0, 10
	s := traytest.New(t, traytest.Config{RateLimit: rate, Burst: burst, Latency: 5 * time.Millisecond})
	ids := s.Generate("sol", 640, traytest.GenerateOptions{})
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
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := a.eng.Pause(ctx, started.Rollout.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.st.Stop(ctx); err != nil { // graceful: the upgrades in flight finish
		t.Fatal(err)
	}
	b := startReplica(t, url, s, replicaConfig{opts: opts, rate: rate, burst: burst})
	if p, err := b.eng.Status(ctx, started.Rollout.ID); err != nil || p.Remaining() == 0 {
		t.Fatalf("nothing left for b (%v): %+v", err, p.Counts)
	}
	if err := b.eng.Resume(ctx, started.Rollout.ID); err != nil {
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
