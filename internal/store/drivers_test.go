package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// driverArgs is the test's driver job; Generation makes each one unique.
type driverArgs struct {
	Rollout    int64 `json:"rollout"`
	Generation int64 `json:"generation"`
}

func (driverArgs) Kind() string { return "store_test_driver" }

func driverJob(id int64) func(int64) Job {
	return func(gen int64) Job { return Job{Args: driverArgs{Rollout: id, Generation: gen}} }
}

func testRolloutPlanning(t *testing.T, b backend) {
	s := open(t, b.URL(t), Options{})
	ctx := context.Background()
	nr := NewRollout{Package: "pkg", Version: "3.0.0", Environment: "prod", Planning: true}
	r, created, err := s.CreateRollout(ctx, nr, Job{})
	if err != nil || !created || !r.Planning {
		t.Fatalf("CreateRollout(planning): %+v, %v, %v", r, created, err)
	}
	page := func(from, to int) []NewInstance {
		var ins []NewInstance
		for i := from; i < to; i++ {
			ins = append(ins, NewInstance{ID: fmt.Sprintf("i%04d", i), Owner: "o", Action: "system-input",
				Payload: []byte(fmt.Sprintf(`{"n":%d}`, i))})
		}
		return ins
	}
	// A planning step repeated after a crash adds nothing twice.
	for _, p := range [][2]int{{0, 600}, {500, 700}, {700, 701}} {
		if err := s.AddRolloutInstances(ctx, r.ID, page(p[0], p[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddRolloutInstances(ctx, r.ID, []NewInstance{{ID: "x", State: StateFailed}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("adding a failed instance: %v, want ErrInvalid", err)
	}
	if ids, _ := s.RolloutsToDrive(ctx); len(ids) != 0 {
		t.Fatalf("a planning rollout is offered to drive: %v", ids)
	}
	if _, enq, err := s.EnsureDriver(ctx, r.ID, time.Minute, driverJob(r.ID)); err != nil || enq {
		t.Fatalf("EnsureDriver while planning: enqueued %v, %v", enq, err)
	}
	if err := s.FinishPlanning(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.AddRolloutInstances(ctx, r.ID, page(800, 801)); !errors.Is(err, ErrConflict) {
		t.Fatalf("adding after planning: %v, want ErrConflict", err)
	}
	counts, _ := s.RolloutCounts(ctx, r.ID)
	if counts[StatePending] != 701 {
		t.Fatalf("counts %v, want 701 pending", counts)
	}
	cs, err := s.ClaimNext(ctx, r.ID, 2, time.Minute)
	if err != nil || len(cs) != 2 || string(cs[1].Payload) != `{"n":1}` || cs[0].Recheck {
		t.Fatalf("claims %+v, %v; want payloads back, no recheck", cs, err)
	}
	if rs, err := s.Rollouts(ctx, "pkg"); err != nil || len(rs) != 1 || rs[0].ID != r.ID || rs[0].Planning {
		t.Fatalf("Rollouts: %+v, %v", rs, err)
	}
	if rs, err := s.Rollouts(ctx, "other"); err != nil || len(rs) != 0 {
		t.Fatalf("Rollouts(other): %+v, %v", rs, err)
	}
}

func testRolloutDrivers(t *testing.T, b backend) {
	clock := newClock()
	s := open(t, b.URL(t), Options{Now: clock.Now})
	ctx := context.Background()
	r := newRollout(t, s, 3)
	ids, err := s.RolloutsToDrive(ctx)
	if err != nil || !slices.Equal(ids, []int64{r.ID}) {
		t.Fatalf("RolloutsToDrive = %v, %v; want the new rollout", ids, err)
	}
	first, enq, err := s.EnsureDriver(ctx, r.ID, time.Minute, driverJob(r.ID))
	if err != nil || !enq || first.ID == 0 {
		t.Fatalf("first EnsureDriver: %+v, %v, %v", first, enq, err)
	}
	// Concurrent callers (the sweep on every replica) enqueue nothing more.
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if _, enq, err := s.EnsureDriver(ctx, r.ID, time.Minute, driverJob(r.ID)); err != nil || enq {
				t.Errorf("EnsureDriver with a driver due: enqueued %v, %v", enq, err)
			}
		})
	}
	wg.Wait()
	if ids, _ := s.RolloutsToDrive(ctx); len(ids) != 0 {
		t.Fatalf("a driven rollout is offered again: %v", ids)
	}
	if err := s.HoldDriver(ctx, r.ID, first.ID+1000, time.Minute); !errors.Is(err, ErrNotDriver) {
		t.Fatalf("another job holds the driver: %v, want ErrNotDriver", err)
	}
	if err := s.HoldDriver(ctx, r.ID, first.ID, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	// The driver's process dies: once its heartbeat lapses, a new one.
	clock.Advance(31 * time.Second)
	if ids, _ := s.RolloutsToDrive(ctx); !slices.Equal(ids, []int64{r.ID}) {
		t.Fatalf("RolloutsToDrive after the heartbeat lapsed = %v", ids)
	}
	second, enq, err := s.EnsureDriver(ctx, r.ID, time.Minute, driverJob(r.ID))
	if err != nil || !enq || second.ID == first.ID {
		t.Fatalf("replacing a dead driver: %+v, %v, %v", second, enq, err)
	}
	if err := s.HoldDriver(ctx, r.ID, first.ID, time.Minute); !errors.Is(err, ErrNotDriver) {
		t.Fatalf("the replaced driver holds on: %v, want ErrNotDriver", err)
	}
	if got, _ := s.Rollout(ctx, r.ID); got.DriverJob != second.ID || got.DriverUntil == nil {
		t.Fatalf("rollout %+v, want driver %d", got, second.ID)
	}
	// A snoozing driver stretches its heartbeat over the snooze.
	if err := s.ReleaseDriver(ctx, r.ID, second.ID, clock.Now().Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(4 * time.Minute)
	if _, enq, _ := s.EnsureDriver(ctx, r.ID, time.Minute, driverJob(r.ID)); enq {
		t.Fatal("a snoozing driver was replaced")
	}
	if err := s.ReleaseDriver(ctx, r.ID, second.ID, clock.Now()); err != nil {
		t.Fatal(err)
	}
	// Paused, or nothing left to do: no driver.
	if err := s.SetRolloutPaused(ctx, r.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, enq, _ := s.EnsureDriver(ctx, r.ID, time.Minute, driverJob(r.ID)); enq {
		t.Fatal("a paused rollout got a driver")
	}
	if ids, _ := s.RolloutsToDrive(ctx); len(ids) != 0 {
		t.Fatalf("a paused rollout is offered: %v", ids)
	}
	s.SetRolloutPaused(ctx, r.ID, false) //nolint:errcheck // checked above
	cs, _ := s.ClaimNext(ctx, r.ID, 3, time.Minute)
	for _, c := range cs {
		if err := s.CompleteInstance(ctx, c, StateUpgraded, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, enq, _ := s.EnsureDriver(ctx, r.ID, time.Minute, driverJob(r.ID)); enq {
		t.Fatal("a finished rollout got a driver")
	}
	jobs, err := s.Jobs(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var gens []int64
	for _, j := range jobs {
		if j.Kind == (driverArgs{}).Kind() {
			gens = append(gens, j.ID)
		}
	}
	if len(gens) != 2 {
		t.Fatalf("%d driver jobs enqueued, want 2", len(gens))
	}
}

func testSettleClaims(t *testing.T, b backend) {
	clock := newClock()
	s := open(t, b.URL(t), Options{Now: clock.Now})
	ctx := context.Background()
	r := newRollout(t, s, 5)
	cs, err := s.ClaimNext(ctx, r.ID, 5, time.Minute)
	if err != nil || len(cs) != 5 {
		t.Fatalf("claims: %+v, %v", cs, err)
	}
	stale := cs[4]
	stale.Token = "not-the-token"
	errs, err := s.SettleClaims(ctx, []Settlement{
		{Claim: cs[0], State: StateUpgraded},
		{Claim: cs[1], State: StateFailed, Message: "Config slot \"region\" does not exist"},
		{Claim: cs[2], NotBefore: clock.Now().Add(10 * time.Second), Message: "503"},
		{Claim: cs[3], Unsent: true, Message: "driver stopped"},
		{Claim: stale, State: StateUpgraded},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs[:4] {
		if e != nil {
			t.Errorf("settlement %d: %v", i, e)
		}
	}
	if !errors.Is(errs[4], ErrLeaseLost) {
		t.Fatalf("stale claim: %v, want ErrLeaseLost", errs[4])
	}
	if _, err := s.SettleClaims(ctx, []Settlement{{Claim: cs[4], State: StateInFlight}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("settling in-flight: %v, want ErrInvalid", err)
	}
	counts, _ := s.RolloutCounts(ctx, r.ID)
	want := map[InstanceState]int{StateUpgraded: 1, StateFailed: 1, StatePending: 2, StateInFlight: 1}
	for st, n := range want {
		if counts[st] != n {
			t.Fatalf("counts %v, want %v", counts, want)
		}
	}
	if n, err := s.SettledSince(ctx, r.ID, clock.Now().Add(-time.Second)); err != nil || n != 2 {
		t.Fatalf("SettledSince = %d, %v; want 2", n, err)
	}
	if n, _ := s.SettledSince(ctx, r.ID, clock.Now().Add(time.Second)); n != 0 {
		t.Fatalf("SettledSince(later) = %d", n)
	}
	next, err := s.NextClaimable(ctx, r.ID)
	if err != nil || next == nil || !next.Equal(clock.Now()) {
		t.Fatalf("NextClaimable = %v, %v; want now (the unsent release)", next, err)
	}
	// The unsent release comes back without Recheck, the 503 with it.
	again, _ := s.ClaimNext(ctx, r.ID, 5, time.Minute)
	if len(again) != 1 || again[0].InstanceID != "i0003" || again[0].Recheck || again[0].Attempts != 2 {
		t.Fatalf("claims after settling: %+v; want only i0003, no recheck", again)
	}
	clock.Advance(10 * time.Second)
	again, _ = s.ClaimNext(ctx, r.ID, 5, time.Minute)
	if len(again) != 1 || again[0].InstanceID != "i0002" || !again[0].Recheck {
		t.Fatalf("claims after the retry time: %+v; want i0002 with Recheck", again)
	}
	// A reclaimed lease always rechecks, and a completion clears it.
	clock.Advance(2 * time.Minute)
	re, _ := s.ClaimNext(ctx, r.ID, 5, time.Minute)
	ids := []string{}
	for _, c := range re {
		ids = append(ids, c.InstanceID)
		if !c.Reclaimed || !c.Recheck {
			t.Errorf("reclaimed %+v without Recheck", c)
		}
	}
	if diff := cmp.Diff([]string{"i0002", "i0003", "i0004"}, ids); diff != "" {
		t.Fatalf("reclaimed (-want +got):\n%s", diff)
	}
	if next, _ := s.NextClaimable(ctx, r.ID); next == nil || !next.Equal(clock.Now().Add(time.Minute)) {
		t.Fatalf("NextClaimable = %v with three in flight for a minute", next)
	}
	for _, c := range re {
		if err := s.CompleteInstance(ctx, c, StateUpgraded, ""); err != nil {
			t.Fatal(err)
		}
	}
	if next, _ := s.NextClaimable(ctx, r.ID); next != nil {
		t.Fatalf("NextClaimable = %v with nothing pending or in flight", next)
	}
}

func testReserveRate(t *testing.T, b backend) {
	s := open(t, b.URL(t), Options{})
	ctx := context.Background()
	const interval = 2 * time.Millisecond
	before := time.Now().Add(-time.Millisecond)
	type grant struct {
		start time.Time
		n     int
	}
	var mu sync.Mutex
	var grants []grant
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 10 {
				n := 1 + (g+i)%5
				start, err := s.ReserveRate(ctx, "tray:test", n, interval, time.Time{})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				grants = append(grants, grant{start, n})
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(grants, func(a, b grant) int { return a.start.Compare(b.start) })
	// Grants never overlap: every request has its own slot.
	for i, g := range grants {
		if g.start.Before(before) {
			t.Fatalf("grant %d starts %v, before the reservations began", i, g.start)
		}
		if i > 0 {
			prev := grants[i-1]
			if end := prev.start.Add(time.Duration(prev.n) * interval); g.start.Before(end) {
				t.Fatalf("grant %d starts %v, inside the previous one (ending %v)", i, g.start, end)
			}
		}
	}
	// A 429's Retry-After holds every later reservation.
	hold := time.Now().Add(time.Hour)
	if err := s.DeferRate(ctx, "tray:test", hold); err != nil {
		t.Fatal(err)
	}
	if err := s.DeferRate(ctx, "tray:test", time.Now()); err != nil { // never moves back
		t.Fatal(err)
	}
	start, err := s.ReserveRate(ctx, "tray:test", 1, interval, time.Time{})
	if err != nil || start.Before(hold.Add(-time.Microsecond)) {
		t.Fatalf("reservation after DeferRate starts %v, %v; want from %v", start, err, hold)
	}
	if start, err := s.ReserveRate(ctx, "other", 1, interval, time.Time{}); err != nil || start.After(time.Now().Add(time.Second)) {
		t.Fatalf("another budget is held too: %v, %v", start, err)
	}
	// The caller's earliest start is respected on an idle budget.
	from := time.Now().Add(50 * time.Millisecond)
	if start, err := s.ReserveRate(ctx, "third", 1, interval, from); err != nil || start.Before(from.Add(-time.Microsecond)) {
		t.Fatalf("reservation from %v starts %v, %v", from, start, err)
	}
	if _, err := s.ReserveRate(ctx, "", 1, interval, time.Time{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty key: %v", err)
	}
}
