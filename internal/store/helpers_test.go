package store

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/breakwater-dev/breakwater/internal/store/storetest"
)

// backend runs a conformance case on a fresh database of one backend.
type backend = storetest.Backend

// testLogger shows warnings and errors only: River is chatty at info.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// open opens url for the test and closes it at the end.
func open(t testing.TB, url string, opts Options) *Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := Open(ctx, url, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// waitFor polls cond until it holds, failing the test after limit.
func waitFor(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// workArgs is the test job: Key names what the worker records.
type workArgs struct {
	Key string `json:"key"`
}

func (workArgs) Kind() string { return "store_test_work" }

// workLog counts how often each key was worked, and by which client.
type workLog struct {
	mu     sync.Mutex
	counts map[string]int
	by     map[string][]string
}

func newWorkLog() *workLog { return &workLog{counts: map[string]int{}, by: map[string][]string{}} }

func (l *workLog) add(key, client string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts[key]++
	l.by[key] = append(l.by[key], client)
	return l.counts[key]
}

func (l *workLog) count(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[key]
}

func (l *workLog) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.counts {
		n += c
	}
	return n
}

// workWorker records each job in its log. failFirst makes the first
// attempt of every job fail; block makes it wait for its context.
type workWorker struct {
	river.WorkerDefaults[workArgs]
	client    string
	log       *workLog
	failFirst bool
	started   chan string // receives the key of every job started, if set
	block     bool
	hold      time.Duration
}

var errFirstAttempt = errors.New("first attempt fails on purpose")

func (w *workWorker) Work(ctx context.Context, job *river.Job[workArgs]) error {
	if w.started != nil {
		w.started <- job.Args.Key
	}
	if w.block {
		<-ctx.Done()
		return ctx.Err()
	}
	if w.hold > 0 {
		select {
		case <-time.After(w.hold):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if w.failFirst && job.Attempt == 1 {
		return errFirstAttempt
	}
	w.log.add(job.Args.Key, w.client)
	return nil
}

// workerConfig is a River config that works workArgs with w.
func workerConfig(w *workWorker) *river.Config {
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	return &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		Workers:           workers,
		FetchPollInterval: 100 * time.Millisecond,
		FetchCooldown:     20 * time.Millisecond,
		Logger:            testLogger(),
	}
}

// jobsOfKind lists every job of the test kind.
func jobsOfKind(t testing.TB, s *Store) []*rivertype.JobRow {
	t.Helper()
	jobs, err := s.Jobs(context.Background(), river.NewJobListParams().Kinds(workArgs{}.Kind()).First(10000))
	if err != nil {
		t.Fatal(err)
	}
	return jobs
}

// jobState is a job's current state.
func jobState(t testing.TB, s *Store, id int64) rivertype.JobState {
	t.Helper()
	j, err := s.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j.State
}

func count(t testing.TB, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.db.queryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
