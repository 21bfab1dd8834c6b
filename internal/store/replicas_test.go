package store

import (
	"context"
	"fmt"
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
