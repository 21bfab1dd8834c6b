package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/breakwater-dev/breakwater/internal/store/storetest"
)

// Several replicas share one PostgreSQL database (SQLite is one process by
// design). Each replica here is a Store with its own pool and River client.

// TestReplicasWorkEachJobOnce: jobs inserted through either replica are
// worked exactly once between them.
func TestReplicasWorkEachJobOnce(t *testing.T) {
	url := storetest.PostgresURL(t)
	wl := newWorkLog()
	a := open(t, url, Options{River: workerConfig(&workWorker{client: "a", log: wl})})
	b := open(t, url, Options{River: workerConfig(&workWorker{client: "b", log: wl})})
	ctx := context.Background()
	for _, s := range []*Store{a, b} {
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	const jobs = 300
	for i := range jobs {
		via := a
		if i%2 == 1 {
			via = b
		}
		key := fmt.Sprintf("job-%03d", i)
		if _, err := via.RecordDelivery(ctx, Delivery{ID: key, Event: "issues", Payload: []byte("{}")}, Job{Args: workArgs{Key: key}}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 120*time.Second, "every job to be worked", func() bool { return wl.total() >= jobs })
	for _, s := range []*Store{a, b} {
		if err := s.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}
	perClient := map[string]int{}
	for i := range jobs {
		key := fmt.Sprintf("job-%03d", i)
		if n := wl.count(key); n != 1 {
			t.Errorf("%s worked %d times by %v", key, n, wl.by[key])
		}
		for _, c := range wl.by[key] {
			perClient[c]++
		}
	}
	t.Logf("jobs worked per replica: %v", perClient)
}

// TestReplicasPeriodicJobOnLeaderOnly: a periodic job is enqueued by the
// elected leader alone, not once per replica.
func TestReplicasPeriodicJobOnLeaderOnly(t *testing.T) {
	url := storetest.PostgresURL(t)
	wl := newWorkLog()
	ctx := context.Background()
	var stores []*Store
	for _, name := range []string{"a", "b", "c"} {
		cfg := workerConfig(&workWorker{client: name, log: wl})
		cfg.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return workArgs{Key: "nightly"}, nil },
			&river.PeriodicJobOpts{RunOnStart: true})}
		s := open(t, url, Options{River: cfg})
		if err := s.Start(ctx); err != nil {
			t.Fatal(err)
		}
		stores = append(stores, s)
	}
	waitFor(t, 60*time.Second, "the periodic job to run", func() bool { return wl.count("nightly") >= 1 })
	// Give the other replicas the time to (wrongly) enqueue theirs: the
	// leader is elected at start, so any replica would have done so by now.
	time.Sleep(3 * time.Second)
	if n := len(jobsOfKind(t, stores[0])); n != 1 || wl.count("nightly") != 1 {
		t.Fatalf("%d periodic jobs enqueued, worked %d times by %v; want one", n, wl.count("nightly"), wl.by["nightly"])
	}
}

// TestReplicasRecordEachDeliveryOnce: GitHub redelivering to whichever
// replica answers: the same deliveries recorded through two replicas at
// once, in group commits that race each other, are each recorded once
// with one job, and exactly one of the calls per ID is not a duplicate.
func TestReplicasRecordEachDeliveryOnce(t *testing.T) {
	url := storetest.PostgresURL(t)
	a := open(t, url, Options{})
	b := open(t, url, Options{})
	ctx := context.Background()
	const ids, copies = 100, 4 // copies per ID, split between the replicas
	fresh := make([]atomic.Int32, ids)
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, ids*copies)
	for c := range copies {
		via := a
		if c%2 == 1 {
			via = b
		}
		for i := range ids {
			wg.Go(func() {
				<-start
				key := fmt.Sprintf("race-%03d", i)
				rec, err := via.RecordDelivery(ctx, Delivery{ID: key, Event: "issues", Payload: []byte("{}")}, Job{Args: workArgs{Key: key}})
				if err != nil {
					errs <- err
					return
				}
				if !rec.Duplicate {
					fresh[i].Add(1)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	jobs := map[int64]bool{}
	for _, j := range jobsOfKind(t, a) {
		jobs[j.ID] = true
	}
	if len(jobs) != ids {
		t.Errorf("%d jobs enqueued for %d deliveries", len(jobs), ids)
	}
	for i := range ids {
		key := fmt.Sprintf("race-%03d", i)
		if n := fresh[i].Load(); n != 1 {
			t.Errorf("%s recorded as new %d times, want once", key, n)
		}
		d, err := a.Delivery(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if !jobs[d.JobID] {
			t.Errorf("%s points at job %d, not one of its jobs", key, d.JobID)
		}
	}
}
