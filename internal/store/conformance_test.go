package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/breakwater-dev/breakwater/internal/store/storetest"
)

// TestConformance runs every case on SQLite and on PostgreSQL, each on a
// fresh database.
func TestConformance(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			for _, c := range conformance {
				t.Run(c.name, func(t *testing.T) { c.run(t, b) })
			}
		})
	}
}

var conformance = []struct {
	name string
	run  func(t *testing.T, b backend)
}{
	{"MigrationsIdempotent", testMigrationsIdempotent},
	{"MigrationsConcurrentOpen", testMigrationsConcurrentOpen},
	{"NewerSchemaRefused", testNewerSchemaRefused},
	{"DeliveryRoundTrip", testDeliveryRoundTrip},
	{"DeliveryInvalid", testDeliveryInvalid},
	{"DeliveryDedupConcurrent", testDeliveryDedupConcurrent},
	{"DeliveryConcurrentMixed", testDeliveryConcurrentMixed},
	{"DeliveryJobWorkedOnce", testDeliveryJobWorkedOnce},
	{"UniqueJobs", testUniqueJobs},
	{"RetryAfterWorkerError", testRetryAfterWorkerError},
	{"StopFinishesRunningJob", testStopFinishesRunningJob},
	{"StopRequeuesUnfinishedJob", testStopRequeuesUnfinishedJob},
	{"PeriodicJobOnLeader", testPeriodicJobOnLeader},
	{"Installations", testInstallations},
	{"Versions", testVersions},
	{"RolloutCreateOnce", testRolloutCreateOnce},
	{"ClaimNextExclusive", testClaimNextExclusive},
	{"ClaimInstanceExclusive", testClaimInstanceExclusive},
	{"LeaseExpiry", testLeaseExpiry},
	{"ReleaseAndRetryFailed", testReleaseAndRetryFailed},
	{"PausedRolloutClaimsNothing", testPausedRollout},
	{"IssueEditThrottle", testIssueEditThrottle},
	{"ThrottleAndValues", testThrottleAndValues},
	{"Acceptances", testAcceptances},
	{"RolloutPlanning", testRolloutPlanning},
	{"RolloutDrivers", testRolloutDrivers},
	{"SettleClaims", testSettleClaims},
	{"ReserveRate", testReserveRate},
}

func testMigrationsIdempotent(t *testing.T, b backend) {
	url := b.URL(t)
	ctx := context.Background()
	s := open(t, url, Options{})
	all, err := migrations(s.loc.Backend)
	if err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, `SELECT count(*) FROM breakwater_migrations`); got != len(all) {
		t.Fatalf("breakwater_migrations has %d rows, want %d", got, len(all))
	}
	riverVersions := count(t, s, `SELECT count(*) FROM river_migration`)
	if riverVersions == 0 {
		t.Fatal("River's migrations were not applied")
	}
	if _, err := s.RecordDelivery(ctx, Delivery{ID: "d1", Event: "ping", Payload: []byte(`{}`)}, Job{}); err != nil {
		t.Fatal(err)
	}
	// Opening again applies nothing and keeps the data.
	s2 := open(t, url, Options{})
	if got := count(t, s2, `SELECT count(*) FROM breakwater_migrations`); got != len(all) {
		t.Fatalf("after a second Open: %d migration rows, want %d", got, len(all))
	}
	if got := count(t, s2, `SELECT count(*) FROM river_migration`); got != riverVersions {
		t.Fatalf("after a second Open: %d River migration rows, want %d", got, riverVersions)
	}
	if _, err := s2.Delivery(ctx, "d1"); err != nil {
		t.Fatalf("data lost across Opens: %v", err)
	}
}

func testMigrationsConcurrentOpen(t *testing.T, b backend) {
	url := b.URL(t)
	const n = 4
	stores := make([]*Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			stores[i], errs[i] = Open(ctx, url, Options{Logger: testLogger()})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d of %d at once: %v", i+1, n, err)
			continue
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	if t.Failed() {
		return
	}
	all, _ := migrations(stores[0].loc.Backend)
	if got := count(t, stores[0], `SELECT count(*) FROM breakwater_migrations`); got != len(all) {
		t.Fatalf("%d migration rows after concurrent Opens, want %d", got, len(all))
	}
	if got := count(t, stores[0], `SELECT count(*) - count(DISTINCT version) FROM river_migration`); got != 0 {
		t.Fatalf("River migrations applied twice: %d duplicate rows", got)
	}
}

func testNewerSchemaRefused(t *testing.T, b backend) {
	url := b.URL(t)
	s := open(t, url, Options{})
	if _, err := s.db.exec(context.Background(), `INSERT INTO breakwater_migrations (version, name, applied_at) VALUES (9999, 'future', $1)`, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), url, Options{Logger: testLogger()})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("newer than this binary")) {
		t.Fatalf("Open on a newer schema: %v, want a refusal naming the version", err)
	}
}

func testDeliveryRoundTrip(t *testing.T, b backend) {
	clock := newClock()
	s := open(t, b.URL(t), Options{Now: clock.Now})
	ctx := context.Background()
	payload := []byte("{\"action\":\"opened\",\"x\":\"\u00e9\\u0000\"}\n  ")
	in := Delivery{ID: "72d3162e-cc78-11e3-81ab-4c9367dc0958", Event: "pull_request", Action: "opened",
		InstallationID: 42, Repo: "octo/hello", Payload: payload, ReceivedAt: time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.FixedZone("X", 3600))}
	rec, err := s.RecordDelivery(ctx, in, Job{Args: workArgs{Key: in.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Duplicate || rec.Job.ID == 0 {
		t.Fatalf("first record: %+v, want a new delivery with a job", rec)
	}
	got, err := s.Delivery(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := in
	want.ReceivedAt = in.ReceivedAt.UTC().Truncate(time.Microsecond)
	want.JobID = rec.Job.ID
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("delivery round trip (-want +got):\n%s", diff)
	}
	j, err := s.Job(ctx, rec.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	var args workArgs
	if err := json.Unmarshal(j.EncodedArgs, &args); err != nil || args.Key != in.ID {
		t.Fatalf("job args %s, want key %s", j.EncodedArgs, in.ID)
	}
	// Processed once; pruning keeps unprocessed and recent ones.
	clock.Advance(time.Minute)
	if err := s.MarkDeliveryProcessed(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Delivery(ctx, in.ID)
	if got.ProcessedAt == nil || !got.ProcessedAt.Equal(clock.Now()) {
		t.Fatalf("processed at %v, want %v", got.ProcessedAt, clock.Now())
	}
	clock.Advance(time.Minute)
	if err := s.MarkDeliveryProcessed(ctx, in.ID); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.Delivery(ctx, in.ID); !again.ProcessedAt.Equal(*got.ProcessedAt) {
		t.Fatalf("a second MarkDeliveryProcessed moved the time to %v", again.ProcessedAt)
	}
	if err := s.MarkDeliveryProcessed(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("MarkDeliveryProcessed(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.RecordDelivery(ctx, Delivery{ID: "old-unprocessed", Event: "ping", Payload: []byte("{}"), ReceivedAt: in.ReceivedAt}, Job{}); err != nil {
		t.Fatal(err)
	}
	n, err := s.PruneDeliveries(ctx, in.ReceivedAt.Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("PruneDeliveries = %d, %v; want 1 (the processed one)", n, err)
	}
	if _, err := s.Delivery(ctx, "old-unprocessed"); err != nil {
		t.Fatalf("an unprocessed delivery was pruned: %v", err)
	}
	if _, err := s.Delivery(ctx, in.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("pruned delivery still there: %v", err)
	}
}

func testDeliveryInvalid(t *testing.T, b backend) {
	s := open(t, b.URL(t), Options{})
	ctx := context.Background()
	for name, d := range map[string]Delivery{
		"no id":      {Event: "ping", Payload: []byte("{}")},
		"long id":    {ID: string(bytes.Repeat([]byte("a"), 201)), Event: "ping", Payload: []byte("{}")},
		"no event":   {ID: "x", Payload: []byte("{}")},
		"no payload": {ID: "x", Event: "ping"},
	} {
		if _, err := s.RecordDelivery(ctx, d, Job{Args: workArgs{Key: "x"}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM webhook_deliveries`); n != 0 {
		t.Errorf("%d invalid deliveries stored", n)
	}
	if n := len(jobsOfKind(t, s)); n != 0 {
		t.Errorf("%d jobs enqueued for invalid deliveries", n)
	}
}

func testDeliveryDedupConcurrent(t *testing.T, b backend) {
	s := open(t, b.URL(t), Options{})
	ctx := context.Background()
	const goroutines = 16
	var fresh, dup atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			d := Delivery{ID: "same-delivery", Event: "issues", Payload: []byte(fmt.Sprintf(`{"n":%d}`, i))}
			rec, err := s.RecordDelivery(ctx, d, Job{Args: workArgs{Key: d.ID}})
			if err != nil {
				t.Error(err)
				return
			}
			if rec.Duplicate {
				dup.Add(1)
			} else {
				fresh.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if fresh.Load() != 1 || dup.Load() != goroutines-1 {
		t.Fatalf("%d recorded as new, %d as duplicate; want 1 and %d", fresh.Load(), dup.Load(), goroutines-1)
	}
	if n := count(t, s, `SELECT count(*) FROM webhook_deliveries`); n != 1 {
		t.Fatalf("%d delivery rows, want 1", n)
	}
	jobs := jobsOfKind(t, s)
	if len(jobs) != 1 {
		t.Fatalf("%d jobs, want 1", len(jobs))
	}
	d, _ := s.Delivery(ctx, "same-delivery")
	if d.JobID != jobs[0].ID {
		t.Fatalf("delivery points at job %d, the job is %d", d.JobID, jobs[0].ID)
	}
}

// badArgs cannot be encoded, so inserting its job fails.
type badArgs struct {
	C chan int `json:"c"`
}

func (badArgs) Kind() string { return "store_test_bad" }

// testDeliveryConcurrentMixed: concurrent deliveries, some duplicates and
// some whose job cannot be inserted, arriving together (in one group
// commit): each gets its own outcome, the failures leave no trace.
func testDeliveryConcurrentMixed(t *testing.T, b backend) {
	s := open(t, b.URL(t), Options{})
	ctx := context.Background()
	type outcome struct {
		rec Recorded
		err error
	}
	const good, dups, bad = 40, 10, 10
	results := make([]outcome, good+dups+bad)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			id := fmt.Sprintf("mixed-%02d", i%good) // the dups repeat the first good IDs
			job := Job{Args: workArgs{Key: id}}
			if i >= good+dups {
				id = fmt.Sprintf("bad-%02d", i)
				job = Job{Args: badArgs{C: make(chan int)}}
			}
			rec, err := s.RecordDelivery(ctx, Delivery{ID: id, Event: "push", Payload: []byte("{}")}, job)
			results[i] = outcome{rec, err}
		}()
	}
	close(start)
	wg.Wait()
	fresh, dup := 0, 0
	for i, r := range results {
		switch {
		case i >= good+dups:
			if r.err == nil {
				t.Errorf("delivery %d with an unencodable job was recorded", i)
			}
		case r.err != nil:
			t.Errorf("delivery %d: %v", i, r.err)
		case r.rec.Duplicate:
			dup++
		default:
			fresh++
		}
	}
	if fresh != good || dup != dups {
		t.Fatalf("%d new and %d duplicates, want %d and %d", fresh, dup, good, dups)
	}
	if n := count(t, s, `SELECT count(*) FROM webhook_deliveries`); n != good {
		t.Fatalf("%d deliveries stored, want %d", n, good)
	}
	if n := len(jobsOfKind(t, s)); n != good {
		t.Fatalf("%d jobs, want %d", n, good)
	}
	if n := count(t, s, `SELECT count(*) FROM webhook_deliveries WHERE job_id IS NULL OR id LIKE 'bad-%'`); n != 0 {
		t.Fatalf("%d deliveries without a job or with a failed one", n)
	}
}

func testDeliveryJobWorkedOnce(t *testing.T, b backend) {
	wl := newWorkLog()
	s := open(t, b.URL(t), Options{River: workerConfig(&workWorker{client: "a", log: wl})})
	ctx := context.Background()
	completed, cancel := s.Subscribe(river.EventKindJobCompleted)
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	d := Delivery{ID: "d-once", Event: "pull_request", Action: "opened", Payload: []byte(`{}`)}
	rec, err := s.RecordDelivery(ctx, d, Job{Args: workArgs{Key: d.ID}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-completed:
		if ev.Job.ID != rec.Job.ID {
			t.Fatalf("completed job %d, want %d", ev.Job.ID, rec.Job.ID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the delivery's job was not worked within 30s")
	}
	// A redelivery after the work is done has no second effect.
	again, err := s.RecordDelivery(ctx, d, Job{Args: workArgs{Key: d.ID}})
	if err != nil || !again.Duplicate {
		t.Fatalf("redelivery: %+v, %v; want a duplicate", again, err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if n := wl.count(d.ID); n != 1 {
		t.Fatalf("worked %d times, want once", n)
	}
	if jobs := jobsOfKind(t, s); len(jobs) != 1 || jobs[0].State != rivertype.JobStateCompleted {
		t.Fatalf("jobs after the work: %d, want one completed", len(jobs))
	}
}

func testUniqueJobs(t *testing.T, b backend) {
	s := open(t, b.URL(t), Options{})
	ctx := context.Background()
	opts := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
	first, err := s.Enqueue(ctx, workArgs{Key: "rollout-7"}, opts)
	if err != nil || first.Duplicate {
		t.Fatalf("first unique insert: %+v, %v", first, err)
	}
	second, err := s.Enqueue(ctx, workArgs{Key: "rollout-7"}, opts)
	if err != nil || !second.Duplicate || second.ID != first.ID {
		t.Fatalf("second unique insert: %+v, %v; want a duplicate of job %d", second, err, first.ID)
	}
	other, err := s.Enqueue(ctx, workArgs{Key: "rollout-8"}, opts)
	if err != nil || other.Duplicate {
		t.Fatalf("different args: %+v, %v; want a new job", other, err)
	}
	// Unique inside RecordDelivery's transaction too: two deliveries, one job.
	r1, err := s.RecordDelivery(ctx, Delivery{ID: "u1", Event: "release", Payload: []byte("{}")}, Job{Args: workArgs{Key: "release-1.2.0"}, Opts: opts})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := s.RecordDelivery(ctx, Delivery{ID: "u2", Event: "release", Payload: []byte("{}")}, Job{Args: workArgs{Key: "release-1.2.0"}, Opts: opts})
	if err != nil || r2.Duplicate || !r2.Job.Duplicate || r2.Job.ID != r1.Job.ID {
		t.Fatalf("second delivery with the same unique job: %+v, %v; want a new delivery sharing job %d", r2, err, r1.Job.ID)
	}
	if n := len(jobsOfKind(t, s)); n != 3 {
		t.Fatalf("%d jobs, want 3", n)
	}
	counts, err := s.JobCounts(ctx)
	if err != nil || counts[rivertype.JobStateAvailable] != 3 {
		t.Fatalf("JobCounts = %v, %v; want 3 available", counts, err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func testRetryAfterWorkerError(t *testing.T, b backend) {
	wl := newWorkLog()
	s := open(t, b.URL(t), Options{River: workerConfig(&workWorker{client: "a", log: wl, failFirst: true})})
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := s.Enqueue(ctx, workArgs{Key: "flaky"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 60*time.Second, "the retried job to complete", func() bool {
		return jobState(t, s, res.ID) == rivertype.JobStateCompleted
	})
	j, _ := s.Job(ctx, res.ID)
	if j.Attempt != 2 || len(j.Errors) != 1 || j.Errors[0].Error != errFirstAttempt.Error() {
		t.Fatalf("attempt %d, errors %+v; want attempt 2 after one recorded error", j.Attempt, j.Errors)
	}
	if n := wl.count("flaky"); n != 1 {
		t.Fatalf("succeeded %d times, want once", n)
	}
}

func testStopFinishesRunningJob(t *testing.T, b backend) {
	wl := newWorkLog()
	started := make(chan string, 1)
	cfg := workerConfig(&workWorker{client: "a", log: wl, started: started, hold: 300 * time.Millisecond})
	cfg.SoftStopTimeout = 20 * time.Second
	s := open(t, b.URL(t), Options{River: cfg})
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := s.Enqueue(ctx, workArgs{Key: "finishing"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("job did not start")
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if st := jobState(t, s, res.ID); st != rivertype.JobStateCompleted || wl.count("finishing") != 1 {
		t.Fatalf("after Stop: job %s, worked %d times; want completed once", st, wl.count("finishing"))
	}
}

func testStopRequeuesUnfinishedJob(t *testing.T, b backend) {
	url := b.URL(t)
	started := make(chan string, 1)
	cfg := workerConfig(&workWorker{client: "a", log: newWorkLog(), started: started, block: true})
	cfg.SoftStopTimeout = 200 * time.Millisecond
	s := open(t, url, Options{River: cfg})
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := s.Enqueue(ctx, workArgs{Key: "long"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		t.Fatal("job did not start")
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	j, err := s.Job(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != rivertype.JobStateAvailable {
		t.Fatalf("job cancelled by the shutdown is %s, want available again", j.State)
	}
	// The next process works it.
	wl := newWorkLog()
	s2 := open(t, url, Options{River: workerConfig(&workWorker{client: "b", log: wl})})
	if err := s2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "the requeued job to complete", func() bool {
		return jobState(t, s2, res.ID) == rivertype.JobStateCompleted
	})
	if wl.count("long") != 1 {
		t.Fatalf("requeued job worked %d times, want once", wl.count("long"))
	}
}

func testPeriodicJobOnLeader(t *testing.T, b backend) {
	wl := newWorkLog()
	cfg := workerConfig(&workWorker{client: "a", log: wl})
	cfg.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return workArgs{Key: "periodic"}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
	s := open(t, b.URL(t), Options{River: cfg})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Periodic jobs are enqueued by the elected leader only: this proves
	// leader election works on the backend.
	waitFor(t, 60*time.Second, "the periodic job to run", func() bool { return wl.count("periodic") == 1 })
}

func testInstallations(t *testing.T, b backend) {
	s := open(t, b.URL(t), Options{})
	ctx := context.Background()
	err := s.PutInstallation(ctx, Installation{ID: 7, Account: "octo-org", AccountType: "Organization",
		Repos: []Repo{{ID: 2, FullName: "octo-org/Zeta"}, {ID: 1, FullName: "octo-org/alpha"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddInstallationRepos(ctx, 7, []Repo{{ID: 3, FullName: "octo-org/beta"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveInstallationRepos(ctx, 7, []int64{2}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Installation(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Repo{{1, "octo-org/alpha"}, {3, "octo-org/beta"}}, got.Repos); diff != "" || got.Account != "octo-org" || got.AccountType != "Organization" {
		t.Fatalf("installation %+v; repos (-want +got):\n%s", got, diff)
	}
	if id, err := s.InstallationForRepo(ctx, "OCTO-ORG/Alpha"); err != nil || id != 7 {
		t.Fatalf("InstallationForRepo = %d, %v; want 7 (case-insensitive)", id, err)
	}
	// Repositories added before the installation event arrives.
	if err := s.AddInstallationRepos(ctx, 8, []Repo{{ID: 9, FullName: "solo/app"}}); err != nil {
		t.Fatal(err)
	}
	if id, err := s.InstallationForRepo(ctx, "solo/app"); err != nil || id != 8 {
		t.Fatalf("InstallationForRepo(solo/app) = %d, %v", id, err)
	}
	// Suspended installations cover nothing; Put without Repos keeps them.
	if err := s.PutInstallation(ctx, Installation{ID: 8, Account: "solo", Suspended: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InstallationForRepo(ctx, "solo/app"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("suspended installation still answers: %v", err)
	}
	if in, _ := s.Installation(ctx, 8); len(in.Repos) != 1 || !in.Suspended {
		t.Fatalf("after suspend: %+v", in)
	}
	// Put with Repos replaces the set; Delete removes everything.
	if err := s.PutInstallation(ctx, Installation{ID: 7, Account: "octo-org", Repos: []Repo{}}); err != nil {
		t.Fatal(err)
	}
	if in, _ := s.Installation(ctx, 7); len(in.Repos) != 0 {
		t.Fatalf("repos not replaced: %+v", in.Repos)
	}
	if err := s.DeleteInstallation(ctx, 8); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Installation(ctx, 8); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted installation: %v", err)
	}
	if n := count(t, s, `SELECT count(*) FROM installation_repositories WHERE installation_id = 8`); n != 0 {
		t.Fatalf("%d repositories of a deleted installation remain", n)
	}
	if err := s.PutInstallation(ctx, Installation{ID: 1, Repos: []Repo{{ID: 1, FullName: "no-slash"}}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad repository name: %v, want ErrInvalid", err)
	}
}

func testVersions(t *testing.T, b backend) {
	clock := newClock()
	s := open(t, b.URL(t), Options{Now: clock.Now})
	ctx := context.Background()
	v1 := Version{Package: "bynder-dropbox", Version: "1.4.0", ChangeRecord: json.RawMessage(`{"breaking": false, "findings": []}`), SignatureDigest: "sha256:aaa"}
	v2 := Version{Package: "bynder-dropbox", Version: "2.0.0", Previous: "1.4.0", Changes: ChangeSummary{Breaking: true, Auth: true},
		ChangeRecord: json.RawMessage(`{"breaking": true, "rules": ["tray/auth-scopes-added"]}`), SignatureDigest: "sha256:bbb"}
	if err := s.RecordVersion(ctx, v1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour)
	if err := s.RecordVersion(ctx, v2); err != nil {
		t.Fatal(err)
	}
	// The same record again (formatted differently) is fine; a different one is not.
	same := v2
	same.ChangeRecord = json.RawMessage(`{"rules":["tray/auth-scopes-added"],"breaking":true}`)
	if err := s.RecordVersion(ctx, same); err != nil {
		t.Fatalf("re-recording the same version: %v", err)
	}
	changed := v2
	changed.SignatureDigest = "sha256:ccc"
	if err := s.RecordVersion(ctx, changed); !errors.Is(err, ErrConflict) {
		t.Fatalf("re-recording with another digest: %v, want ErrConflict", err)
	}
	changed = v2
	changed.Previous = "1.3.0"
	if err := s.RecordVersion(ctx, changed); !errors.Is(err, ErrConflict) {
		t.Fatalf("re-recording with another previous version: %v, want ErrConflict", err)
	}
	if got, err := s.Version(ctx, "bynder-dropbox", "2.0.0"); err != nil || got.Previous != "1.4.0" {
		t.Fatalf("Version: previous %q, %v", got.Previous, err)
	}
	bad := v1
	bad.Version, bad.ChangeRecord = "9.9.9", json.RawMessage(`[1]`)
	if err := s.RecordVersion(ctx, bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("non-object change record: %v, want ErrInvalid", err)
	}
	deployed := clock.Now().Add(time.Minute)
	if err := s.MarkDeployed(ctx, "bynder-dropbox", "2.0.0", "production", deployed); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDeployed(ctx, "bynder-dropbox", "2.0.0", "staging", deployed.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkRolledBack(ctx, "bynder-dropbox", "2.0.0", "production", deployed.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkRolledBack(ctx, "bynder-dropbox", "1.4.0", "production", deployed); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rolling back an undeployed version: %v, want ErrNotFound", err)
	}
	if err := s.MarkDeployed(ctx, "bynder-dropbox", "3.0.0", "production", deployed); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deploying an unrecorded version: %v, want ErrNotFound", err)
	}
	if err := s.MarkRetired(ctx, "bynder-dropbox", "1.4.0", clock.Now()); err != nil {
		t.Fatal(err)
	}
	list, err := s.Versions(ctx, "bynder-dropbox")
	if err != nil {
		t.Fatal(err)
	}
	rolledBack := deployed.Add(time.Hour)
	retired := clock.Now()
	want := []Version{
		{Package: "bynder-dropbox", Version: "2.0.0", Previous: "1.4.0", Changes: ChangeSummary{Breaking: true, Auth: true}, SignatureDigest: "sha256:bbb",
			CreatedAt: newClock().Now().Add(time.Hour), Deployments: []Deployment{
				{Environment: "production", DeployedAt: deployed, RolledBackAt: &rolledBack},
				{Environment: "staging", DeployedAt: deployed.Add(-time.Minute)},
			}},
		{Package: "bynder-dropbox", Version: "1.4.0", SignatureDigest: "sha256:aaa", CreatedAt: newClock().Now(), RetiredAt: &retired, Deployments: []Deployment{}},
	}
	opt := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".ChangeRecord" }, cmp.Ignore())
	if diff := cmp.Diff(want, list, opt); diff != "" {
		t.Fatalf("versions (-want +got):\n%s", diff)
	}
	if !sameJSON(list[0].ChangeRecord, v2.ChangeRecord) {
		t.Fatalf("change record %s, want %s", list[0].ChangeRecord, v2.ChangeRecord)
	}
	// Deploying again after a rollback clears it.
	if err := s.MarkDeployed(ctx, "bynder-dropbox", "2.0.0", "production", rolledBack.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	v, err := s.Version(ctx, "bynder-dropbox", "2.0.0")
	if err != nil || v.Deployments[0].RolledBackAt != nil {
		t.Fatalf("redeployed: %+v, %v", v.Deployments, err)
	}
	if _, err := s.Version(ctx, "bynder-dropbox", "0.0.1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown version: %v", err)
	}
}

// newRollout creates a rollout of n pending instances i0000, i0001, ….
func newRollout(t *testing.T, s *Store, n int) Rollout {
	t.Helper()
	nr := NewRollout{Package: "pkg", Version: "2.0.0", Environment: "production"}
	for i := range n {
		nr.Instances = append(nr.Instances, NewInstance{ID: fmt.Sprintf("i%04d", i), Owner: fmt.Sprintf("owner-%d", i%7), Action: "system-input"})
	}
	r, created, err := s.CreateRollout(context.Background(), nr, Job{})
	if err != nil || !created {
		t.Fatalf("CreateRollout: %v (created %v)", err, created)
	}
	return r
}

func testRolloutCreateOnce(t *testing.T, b backend) {
	s := open(t, b.URL(t), Options{})
	ctx := context.Background()
	nr := NewRollout{Package: "pkg", Version: "2.0.0", Environment: "production"}
	for i := range 1203 { // more than two INSERT batches
		st := StatePending
		switch i % 4 {
		case 1:
			st = StateLazy
		case 2:
			st = StateSkipped
		case 3:
			st = StateNeedsUser
		}
		nr.Instances = append(nr.Instances, NewInstance{ID: fmt.Sprintf("inst-%05d", i), Owner: "o", Action: "a", State: st})
	}
	job := Job{Args: workArgs{Key: "rollout"}}
	r, created, err := s.CreateRollout(ctx, nr, job)
	if err != nil || !created || r.ID == 0 || r.Paused || r.TrackingIssue != 0 {
		t.Fatalf("CreateRollout: %+v, %v, %v", r, created, err)
	}
	again, created, err := s.CreateRollout(ctx, nr, job)
	if err != nil || created || again.ID != r.ID {
		t.Fatalf("second CreateRollout: %+v, created %v, %v; want the same rollout, not created", again, created, err)
	}
	if n := len(jobsOfKind(t, s)); n != 1 {
		t.Fatalf("%d rollout jobs, want 1", n)
	}
	counts, err := s.RolloutCounts(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[InstanceState]int{StatePending: 301, StateLazy: 301, StateSkipped: 301, StateNeedsUser: 300,
		StateInFlight: 0, StateUpgraded: 0, StateFailed: 0}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Fatalf("counts (-want +got):\n%s", diff)
	}
	if f, err := s.FindRollout(ctx, "pkg", "2.0.0", "production"); err != nil || f.ID != r.ID {
		t.Fatalf("FindRollout: %+v, %v", f, err)
	}
	if _, err := s.FindRollout(ctx, "pkg", "2.0.0", "staging"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("FindRollout(staging): %v", err)
	}
	page, err := s.Instances(ctx, r.ID, StateSkipped, "inst-00500", 3)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, in := range page {
		ids = append(ids, in.ID)
	}
	if diff := cmp.Diff([]string{"inst-00502", "inst-00506", "inst-00510"}, ids); diff != "" {
		t.Fatalf("page (-want +got):\n%s", diff)
	}
	bad := NewRollout{Package: "p", Version: "1", Environment: "e", Instances: []NewInstance{{ID: "x"}, {ID: "x"}}}
	if _, _, err := s.CreateRollout(ctx, bad, Job{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("repeated instance IDs: %v, want ErrInvalid", err)
	}
	bad = NewRollout{Package: "p", Version: "1", Environment: "e", Instances: []NewInstance{{ID: "x", State: StateUpgraded}}}
	if _, _, err := s.CreateRollout(ctx, bad, Job{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("instance starting upgraded: %v, want ErrInvalid", err)
	}
}

func testClaimNextExclusive(t *testing.T, b backend) {
	s := open(t, b.URL(t), Options{})
	ctx := context.Background()
	const instances, workers = 300, 8
	r := newRollout(t, s, instances)
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				cs, err := s.ClaimNext(ctx, r.ID, 7, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(cs) == 0 {
					return
				}
				for _, c := range cs {
					mu.Lock()
					claimed[c.InstanceID]++
					mu.Unlock()
					if c.Reclaimed || c.Attempts != 1 || c.Owner == "" || c.Action != "system-input" {
						t.Errorf("claim %+v: want a first claim with owner and action", c)
					}
					if err := s.CompleteInstance(ctx, c, StateUpgraded, ""); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(claimed) != instances {
		t.Fatalf("%d instances claimed, want %d", len(claimed), instances)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("instance %s claimed %d times", id, n)
		}
	}
	counts, _ := s.RolloutCounts(ctx, r.ID)
	if counts[StateUpgraded] != instances {
		t.Fatalf("counts %v, want all %d upgraded", counts, instances)
	}
}

func testClaimInstanceExclusive(t *testing.T, b backend) {
	s := open(t, b.URL(t), Options{})
	ctx := context.Background()
	r := newRollout(t, s, 3)
	var won, refused atomic.Int32
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.ClaimInstance(ctx, r.ID, "i0001", time.Minute)
			switch {
			case err == nil:
				won.Add(1)
			case errors.Is(err, ErrNotClaimable):
				refused.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 || refused.Load() != 11 {
		t.Fatalf("%d claims won, %d refused; want 1 and 11", won.Load(), refused.Load())
	}
	if _, err := s.ClaimInstance(ctx, r.ID, "nope", time.Minute); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claiming an unknown instance: %v", err)
	}
	if _, err := s.ClaimInstance(ctx, 999, "i0001", time.Minute); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claiming in an unknown rollout: %v", err)
	}
}

func testLeaseExpiry(t *testing.T, b backend) {
	clock := newClock()
	s := open(t, b.URL(t), Options{Now: clock.Now})
	ctx := context.Background()
	r := newRollout(t, s, 2)
	first, err := s.ClaimNext(ctx, r.ID, 1, 5*time.Minute)
	if err != nil || len(first) != 1 || first[0].InstanceID != "i0000" {
		t.Fatalf("first claim: %+v, %v", first, err)
	}
	// While the lease runs, the instance is not offered again.
	clock.Advance(4 * time.Minute)
	other, err := s.ClaimNext(ctx, r.ID, 5, 5*time.Minute)
	if err != nil || len(other) != 1 || other[0].InstanceID != "i0001" {
		t.Fatalf("claim during the lease: %+v, %v; want only i0001", other, err)
	}
	if err := s.CompleteInstance(ctx, other[0], StateUpgraded, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimInstance(ctx, r.ID, "i0000", time.Minute); !errors.Is(err, ErrNotClaimable) {
		t.Fatalf("ClaimInstance during the lease: %v, want ErrNotClaimable", err)
	}
	// The worker died: after the lease, another worker gets it, told so.
	clock.Advance(2 * time.Minute)
	second, err := s.ClaimNext(ctx, r.ID, 1, 5*time.Minute)
	if err != nil || len(second) != 1 || second[0].InstanceID != "i0000" || !second[0].Reclaimed || second[0].Attempts != 2 {
		t.Fatalf("claim after the lease: %+v, %v; want i0000 reclaimed on attempt 2", second, err)
	}
	if err := s.CompleteInstance(ctx, first[0], StateUpgraded, ""); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("completing with the expired claim: %v, want ErrLeaseLost", err)
	}
	if err := s.ExtendLease(ctx, &first[0], time.Hour); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("extending the expired claim: %v, want ErrLeaseLost", err)
	}
	cl := second[0]
	if err := s.ExtendLease(ctx, &cl, time.Hour); err != nil || !cl.LeaseUntil.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("ExtendLease: %v, until %v", err, cl.LeaseUntil)
	}
	clock.Advance(10 * time.Minute) // past the original lease, within the extension
	if cs, _ := s.ClaimNext(ctx, r.ID, 5, time.Minute); len(cs) != 0 {
		t.Fatalf("an extended lease was taken over: %+v", cs)
	}
	if err := s.CompleteInstance(ctx, cl, StateFailed, "upgradeSolutionInstance: 422 config value rejected"); err != nil {
		t.Fatal(err)
	}
	if err := s.CompleteInstance(ctx, cl, StateUpgraded, ""); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("completing twice: %v, want ErrLeaseLost", err)
	}
	if err := s.CompleteInstance(ctx, cl, StateInFlight, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("completing as in-flight: %v, want ErrInvalid", err)
	}
	failed, err := s.Instances(ctx, r.ID, StateFailed, "", 10)
	if err != nil || len(failed) != 1 || failed[0].Message != "upgradeSolutionInstance: 422 config value rejected" || failed[0].Attempts != 2 || failed[0].LeaseUntil != nil {
		t.Fatalf("failed instances: %+v, %v", failed, err)
	}
}

func testReleaseAndRetryFailed(t *testing.T, b backend) {
	clock := newClock()
	s := open(t, b.URL(t), Options{Now: clock.Now})
	ctx := context.Background()
	r := newRollout(t, s, 1)
	c, err := s.ClaimInstance(ctx, r.ID, "i0000", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// A 429 with Retry-After: 30s.
	if err := s.ReleaseInstance(ctx, c, clock.Now().Add(30*time.Second), "429 Too Many Requests"); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.ClaimNext(ctx, r.ID, 1, time.Minute); len(cs) != 0 {
		t.Fatalf("claimed before its retry time: %+v", cs)
	}
	clock.Advance(30 * time.Second)
	cs, err := s.ClaimNext(ctx, r.ID, 1, time.Minute)
	if err != nil || len(cs) != 1 || cs[0].Reclaimed || cs[0].Attempts != 2 {
		t.Fatalf("claim after the retry time: %+v, %v", cs, err)
	}
	if err := s.CompleteInstance(ctx, cs[0], StateFailed, "500"); err != nil {
		t.Fatal(err)
	}
	n, err := s.RetryFailed(ctx, r.ID)
	if err != nil || n != 1 {
		t.Fatalf("RetryFailed = %d, %v", n, err)
	}
	// Attempts start over; the failed attempt may have reached the runtime.
	if cs, err := s.ClaimNext(ctx, r.ID, 1, time.Minute); err != nil || len(cs) != 1 || cs[0].Attempts != 1 || !cs[0].Recheck || cs[0].Reclaimed {
		t.Fatalf("claim after RetryFailed: %+v, %v; want attempt 1 with Recheck", cs, err)
	}
}

func testPausedRollout(t *testing.T, b backend) {
	s := open(t, b.URL(t), Options{})
	ctx := context.Background()
	r := newRollout(t, s, 2)
	if err := s.SetRolloutPaused(ctx, r.ID, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Rollout(ctx, r.ID); !got.Paused {
		t.Fatal("pause not recorded")
	}
	if _, err := s.ClaimNext(ctx, r.ID, 1, time.Minute); !errors.Is(err, ErrRolloutPaused) {
		t.Fatalf("ClaimNext while paused: %v, want ErrRolloutPaused", err)
	}
	if _, err := s.ClaimInstance(ctx, r.ID, "i0000", time.Minute); !errors.Is(err, ErrRolloutPaused) {
		t.Fatalf("ClaimInstance while paused: %v, want ErrRolloutPaused", err)
	}
	if err := s.SetRolloutPaused(ctx, r.ID, false); err != nil {
		t.Fatal(err)
	}
	if cs, err := s.ClaimNext(ctx, r.ID, 5, time.Minute); err != nil || len(cs) != 2 {
		t.Fatalf("ClaimNext after resume: %+v, %v", cs, err)
	}
	if err := s.SetRolloutPaused(ctx, 999, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("pausing an unknown rollout: %v", err)
	}
	if err := s.SetTrackingIssue(ctx, r.ID, 41); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Rollout(ctx, r.ID); got.TrackingIssue != 41 {
		t.Fatalf("tracking issue %d, want 41", got.TrackingIssue)
	}
}

func testIssueEditThrottle(t *testing.T, b backend) {
	clock := newClock()
	s := open(t, b.URL(t), Options{Now: clock.Now})
	ctx := context.Background()
	r := newRollout(t, s, 1)
	var granted atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.ClaimIssueEdit(ctx, r.ID, 10*time.Second)
			if err != nil {
				t.Error(err)
			}
			if ok {
				granted.Add(1)
			}
		}()
	}
	wg.Wait()
	if granted.Load() != 1 {
		t.Fatalf("%d concurrent edits granted, want 1", granted.Load())
	}
	if got, _ := s.Rollout(ctx, r.ID); got.IssueEditedAt == nil || !got.IssueEditedAt.Equal(clock.Now()) {
		t.Fatalf("edit time %v, want %v", got.IssueEditedAt, clock.Now())
	}
	clock.Advance(9 * time.Second)
	if ok, _ := s.ClaimIssueEdit(ctx, r.ID, 10*time.Second); ok {
		t.Fatal("edit granted within the interval")
	}
	clock.Advance(time.Second)
	if ok, _ := s.ClaimIssueEdit(ctx, r.ID, 10*time.Second); !ok {
		t.Fatal("edit refused after the interval")
	}
	if _, err := s.ClaimIssueEdit(ctx, 999, time.Second); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown rollout: %v", err)
	}
}

func testThrottleAndValues(t *testing.T, b backend) {
	clock := newClock()
	s := open(t, b.URL(t), Options{Now: clock.Now})
	ctx := context.Background()
	var granted atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.Throttle(ctx, "notify/owner-1", time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				granted.Add(1)
			}
		}()
	}
	wg.Wait()
	if granted.Load() != 1 {
		t.Fatalf("%d concurrent throttles granted, want 1", granted.Load())
	}
	if ok, _ := s.Throttle(ctx, "notify/owner-2", time.Minute); !ok {
		t.Fatal("another key was throttled")
	}
	clock.Advance(time.Minute)
	if ok, _ := s.Throttle(ctx, "notify/owner-1", time.Minute); !ok {
		t.Fatal("refused after the interval")
	}
	if _, err := s.Value(ctx, "cursor"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing value: %v", err)
	}
	for _, v := range [][]byte{[]byte("abc"), {0, 1, 2, 255}, {}} {
		if err := s.PutValue(ctx, "cursor", v); err != nil {
			t.Fatal(err)
		}
		got, err := s.Value(ctx, "cursor")
		if err != nil || !bytes.Equal(got, v) {
			t.Fatalf("Value = %q, %v; want %q", got, err, v)
		}
	}
	// Throttle keys and value keys do not collide.
	if _, err := s.Value(ctx, "notify/owner-1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("throttle visible as a value: %v", err)
	}
}

func testAcceptances(t *testing.T, b backend) {
	s := open(t, b.URL(t), Options{})
	ctx := context.Background()
	at := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	a := Acceptance{Repo: "octo/app", Fingerprint: "d9e0c1ed67cf1fc4", By: "octocat", Reason: "owners were told", PullRequest: 12, At: at}
	if err := s.RecordAcceptance(ctx, a); err != nil {
		t.Fatal(err)
	}
	a2 := a
	a2.Reason, a2.By = "re-accepted", "hubot"
	if err := s.RecordAcceptance(ctx, a2); err != nil {
		t.Fatal(err)
	}
	b2 := Acceptance{Repo: "octo/app", Fingerprint: "4d33793ad6c85573", By: "octocat", Reason: "r", At: at}
	if err := s.RecordAcceptance(ctx, b2); err != nil {
		t.Fatal(err)
	}
	got, err := s.Acceptances(ctx, "octo/app")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Acceptance{b2, a2}, got); diff != "" {
		t.Fatalf("acceptances (-want +got):\n%s", diff)
	}
	if err := s.RecordAcceptance(ctx, Acceptance{Repo: "octo/app", Fingerprint: "x"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("acceptance without user and reason: %v", err)
	}
}

// TestMarkProcessedConcurrently: marks that arrive together (SQLite batches
// them) each take effect, and an unknown ID is ErrNotFound for its caller
// alone.
func TestMarkProcessedConcurrently(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			s := open(t, b.URL(t), Options{})
			ctx := context.Background()
			const n = 150
			for i := range n {
				if _, err := s.RecordDelivery(ctx, Delivery{ID: fmt.Sprintf("mark-%03d", i), Event: "push", Payload: []byte("{}")}, Job{}); err != nil {
					t.Fatal(err)
				}
			}
			errs := make([]error, n+5)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					id := fmt.Sprintf("mark-%03d", i)
					if i >= n {
						id = fmt.Sprintf("unknown-%d", i)
					}
					errs[i] = s.MarkDeliveryProcessed(ctx, id)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if i < n && err != nil {
					t.Errorf("mark-%03d: %v", i, err)
				}
				if i >= n && !errors.Is(err, ErrNotFound) {
					t.Errorf("unknown-%d: %v, want ErrNotFound", i, err)
				}
			}
			if got := count(t, s, `SELECT count(*) FROM webhook_deliveries WHERE processed_at IS NOT NULL`); got != n {
				t.Errorf("%d deliveries processed, want %d", got, n)
			}
		})
	}
}
