package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// A rollout is worked by one River job at a time, its driver. The store
// decides which job that is, so that a driver that died with its process
// (its River job left "running" until River's rescuer notices, an hour
// later by default) is replaced as soon as its heartbeat lapses:
//
//   - EnsureDriver enqueues a new driver when a rollout has work and no
//     live driver, and records the job's ID;
//   - the job calls HoldDriver when it starts and then as its heartbeat;
//     an error means another job has become the driver, so it must stop;
//   - ReleaseDriver ends the heartbeat, or stretches it over a snooze.
//
// Instance claims stay exclusive whatever happens to drivers: two drivers
// of one rollout, which these rules make short-lived at worst, never hold
// the same instance.

// ErrNotDriver: the job is not (or no longer) the rollout's driver.
var ErrNotDriver = errors.New("not the rollout's driver")

// AddRolloutInstances adds instances to a rollout created with Planning
// set; an instance already added is left as it is, so a planning step can
// be repeated after a crash. ErrConflict once planning has ended.
func (s *Store) AddRolloutInstances(ctx context.Context, rolloutID int64, ins []NewInstance) error {
	if err := checkNewInstances(ins); err != nil {
		return fmt.Errorf("add instances to rollout %d: %w", rolloutID, err)
	}
	now := s.stamp(time.Time{})
	err := s.db.inTx(ctx, func(q querier, _ insertFunc) error {
		var planning bool
		err := q.queryRow(ctx, `SELECT planning FROM rollouts WHERE id = $1`+s.db.forUpdate(false), rolloutID).Scan(&planning)
		if err != nil {
			return err
		}
		if !planning {
			return fmt.Errorf("its planning has ended: %w", ErrConflict)
		}
		// updated_at shows that planning makes progress.
		if _, err := q.exec(ctx, `UPDATE rollouts SET updated_at = $2 WHERE id = $1`, rolloutID, now); err != nil {
			return err
		}
		return insertInstances(ctx, q, rolloutID, ins, now)
	})
	if err != nil {
		return fmt.Errorf("add instances to rollout %d: %w", rolloutID, err)
	}
	return nil
}

// FinishPlanning ends a rollout's planning: from now on it can be driven.
// Finishing twice is harmless.
func (s *Store) FinishPlanning(ctx context.Context, rolloutID int64) error {
	return s.updateRollout(ctx, "finish planning of", rolloutID, `planning = false`)
}

// EnsureDriver enqueues job as the rollout's driver unless it needs none:
// it is planning or paused, has nothing pending or in flight, or its
// driver's heartbeat has not lapsed. newJob gets the driver's generation
// (1 for the first), to make the job's arguments unique. A new driver has
// until now+grace to start (HoldDriver) before another may replace it.
func (s *Store) EnsureDriver(ctx context.Context, rolloutID int64, grace time.Duration, newJob func(generation int64) Job) (res JobResult, enqueued bool, err error) {
	now := s.stamp(time.Time{})
	err = s.db.inTx(ctx, func(q querier, insert insertFunc) error {
		var planning, paused bool
		var gen int64
		var until *time.Time
		err := q.queryRow(ctx, `SELECT planning, paused, driver_generation, driver_until FROM rollouts WHERE id = $1`+s.db.forUpdate(false), rolloutID).
			Scan(&planning, &paused, &gen, &until)
		if err != nil {
			return err
		}
		if planning || paused || until != nil && until.After(now) {
			return nil
		}
		var work int
		if err := q.queryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM rollout_instances
			WHERE rollout_id = $1 AND state IN ('pending', 'in-flight') LIMIT 1) AS w`, rolloutID).Scan(&work); err != nil {
			return err
		}
		if work == 0 {
			return nil
		}
		job := newJob(gen + 1)
		if job.Args == nil {
			return fmt.Errorf("no driver job: %w", ErrInvalid)
		}
		res, err = enqueueTx(ctx, insert, job)
		if err != nil {
			return err
		}
		if _, err := q.exec(ctx, `UPDATE rollouts SET driver_job = $2, driver_generation = $3, driver_until = $4 WHERE id = $1`,
			rolloutID, res.ID, gen+1, now.Add(grace)); err != nil {
			return err
		}
		enqueued = true
		return nil
	})
	if err != nil {
		return JobResult{}, false, fmt.Errorf("ensure a driver for rollout %d: %w", rolloutID, err)
	}
	return res, enqueued, nil
}

// HoldDriver renews the driver's heartbeat until now+lease; ErrNotDriver
// when job is not the rollout's driver (anymore).
func (s *Store) HoldDriver(ctx context.Context, rolloutID, job int64, lease time.Duration) error {
	return s.driverUntil(ctx, "hold the driver of", rolloutID, job, s.stamp(time.Time{}).Add(lease))
}

// ReleaseDriver sets the driver's heartbeat to lapse at until: now when it
// stops, after a snooze when it will come back (so that nobody replaces
// it meanwhile).
func (s *Store) ReleaseDriver(ctx context.Context, rolloutID, job int64, until time.Time) error {
	return s.driverUntil(ctx, "release the driver of", rolloutID, job, s.stamp(until))
}

func (s *Store) driverUntil(ctx context.Context, what string, rolloutID, job int64, until time.Time) error {
	n, err := s.db.exec(ctx, `UPDATE rollouts SET driver_until = $3 WHERE id = $1 AND driver_job = $2`, rolloutID, job, until)
	if err == nil && n == 0 {
		err = ErrNotDriver
	}
	if err != nil {
		return fmt.Errorf("%s rollout %d (job %d): %w", what, rolloutID, job, err)
	}
	return nil
}

// RolloutsToDrive lists the rollouts that have work and no live driver:
// not planning, not paused, something pending or in flight, the driver's
// heartbeat lapsed. EnsureDriver checks again under a lock.
func (s *Store) RolloutsToDrive(ctx context.Context) ([]int64, error) {
	rs, err := s.db.query(ctx, `SELECT r.id FROM rollouts r
		WHERE NOT r.planning AND NOT r.paused AND (r.driver_until IS NULL OR r.driver_until <= $1)
		AND EXISTS (SELECT 1 FROM rollout_instances i WHERE i.rollout_id = r.id AND i.state IN ('pending', 'in-flight'))
		ORDER BY r.id`, s.stamp(time.Time{}))
	if err != nil {
		return nil, fmt.Errorf("rollouts to drive: %w", err)
	}
	defer rs.Close()
	var ids []int64
	for rs.Next() {
		var id int64
		if err := rs.Scan(&id); err != nil {
			return nil, fmt.Errorf("rollouts to drive: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rs.Err()
}

// Rollouts lists a package's rollouts, newest first ("" for every
// package).
func (s *Store) Rollouts(ctx context.Context, pkg string) ([]Rollout, error) {
	rs, err := s.db.query(ctx, `SELECT `+rolloutColumns+` FROM rollouts WHERE $1 = '' OR package = $1 ORDER BY created_at DESC, id DESC`, pkg)
	if err != nil {
		return nil, fmt.Errorf("rollouts of %q: %w", pkg, err)
	}
	defer rs.Close()
	out := []Rollout{}
	for rs.Next() {
		r, err := scanRollout(rs)
		if err != nil {
			return nil, fmt.Errorf("rollouts of %q: %w", pkg, err)
		}
		out = append(out, r)
	}
	return out, rs.Err()
}

// Settlement is the outcome of one claim: complete it in State (a final
// state), or, with State empty, release it to be claimed again from
// NotBefore.
type Settlement struct {
	Claim   Claim
	State   InstanceState
	Message string
	// NotBefore is when a released instance may be claimed again.
	NotBefore time.Time
	// Unsent marks a release whose attempt never reached the runtime (the
	// driver stopped first): it leaves Recheck as it was.
	Unsent bool
}

// SettleClaims records many outcomes in one transaction (one commit for a
// batch of upgrades, not one each). errs[i] is settlements[i]'s own
// failure, ErrLeaseLost when its claim is no longer current; err is a
// failure of the whole batch, of which nothing was recorded.
func (s *Store) SettleClaims(ctx context.Context, settlements []Settlement) (errs []error, err error) {
	for _, st := range settlements {
		if st.State != "" && !finalStates[st.State] {
			return nil, fmt.Errorf("settle instance %s: %q is not a final state: %w", st.Claim.InstanceID, st.State, ErrInvalid)
		}
	}
	now := s.stamp(time.Time{})
	err = s.db.inTx(ctx, func(q querier, _ insertFunc) error {
		errs = make([]error, len(settlements))
		for i, st := range settlements {
			c := st.Claim
			set, args := completeSet, []any{string(st.State), st.Message}
			if st.State == "" {
				set, args = releaseSet, []any{st.Message, s.stamp(st.NotBefore), !st.Unsent}
			}
			n, err := q.exec(ctx, `UPDATE rollout_instances SET `+set+`, updated_at = $3
				WHERE rollout_id = $1 AND instance_id = $2 AND state = 'in-flight' AND lease_token = $`+fmt.Sprint(4+len(args)),
				append(append([]any{c.RolloutID, c.InstanceID, now}, args...), c.Token)...)
			if err != nil {
				return err
			}
			if n == 0 {
				errs[i] = fmt.Errorf("settle instance %s of rollout %d: %w", c.InstanceID, c.RolloutID, ErrLeaseLost)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("settle %d claims: %w", len(settlements), err)
	}
	return errs, nil
}

// SettledSince counts a rollout's instances that reached upgraded,
// needs-user or failed at or after since: the work done, for a rate.
func (s *Store) SettledSince(ctx context.Context, rolloutID int64, since time.Time) (int, error) {
	var n int
	err := s.db.queryRow(ctx, `SELECT count(*) FROM rollout_instances
		WHERE rollout_id = $1 AND state IN ('upgraded', 'needs-user', 'failed') AND updated_at >= $2`, rolloutID, s.stamp(since)).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("instances of rollout %d settled since %s: %w", rolloutID, since.Format(time.RFC3339), err)
	}
	return n, nil
}

// NextClaimable is when a rollout's next instance can be claimed: the
// earliest retry time of a pending instance (now or earlier when one is
// due) or lease end of an in-flight one; nil when none is pending or in
// flight.
func (s *Store) NextClaimable(ctx context.Context, rolloutID int64) (*time.Time, error) {
	var n int
	var at *time.Time
	err := s.db.queryRow(ctx, `SELECT count(*), min(CASE WHEN state = 'pending' THEN coalesce(not_before, updated_at) ELSE lease_until END)
		FROM rollout_instances WHERE rollout_id = $1 AND state IN ('pending', 'in-flight')`, rolloutID).Scan(&n, &at)
	if err != nil {
		return nil, fmt.Errorf("next claimable instance of rollout %d: %w", rolloutID, err)
	}
	if n == 0 {
		return nil, nil
	}
	return at, nil
}

// ReserveRate reserves n requests of the budget key, which admits one
// request per interval across every replica (a generic cell rate
// algorithm): the i-th of them (from 0) may be sent at start + i*interval.
// start is never before now nor from (the caller's estimate of when the
// answer reaches it), and later when others reserved first.
func (s *Store) ReserveRate(ctx context.Context, key string, n int, interval time.Duration, from time.Time) (start time.Time, err error) {
	if key == "" || n <= 0 || interval <= 0 {
		return time.Time{}, fmt.Errorf("reserve %d requests of budget %q every %s: %w", n, key, interval, ErrInvalid)
	}
	now := s.stamp(time.Time{}).UnixMicro()
	if !from.IsZero() {
		now = max(now, s.stamp(from).UnixMicro())
	}
	span := int64(n) * max(1, interval.Microseconds())
	err = s.db.inTx(ctx, func(q querier, _ insertFunc) error {
		if _, err := q.exec(ctx, `INSERT INTO rate_limits (key, tat) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, now); err != nil {
			return err
		}
		var tat int64
		if err := q.queryRow(ctx, `SELECT tat FROM rate_limits WHERE key = $1`+s.db.forUpdate(false), key).Scan(&tat); err != nil {
			return err
		}
		first := max(tat, now)
		if _, err := q.exec(ctx, `UPDATE rate_limits SET tat = $2 WHERE key = $1`, key, first+span); err != nil {
			return err
		}
		start = time.UnixMicro(first).UTC()
		return nil
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("reserve %d requests of budget %q: %w", n, key, err)
	}
	return start, nil
}

// DeferRate holds the budget key until until: no reservation made after
// this starts earlier (a 429's Retry-After, shared with every replica).
func (s *Store) DeferRate(ctx context.Context, key string, until time.Time) error {
	u := s.stamp(until).UnixMicro()
	err := s.db.inTx(ctx, func(q querier, _ insertFunc) error {
		if _, err := q.exec(ctx, `INSERT INTO rate_limits (key, tat) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, u); err != nil {
			return err
		}
		_, err := q.exec(ctx, `UPDATE rate_limits SET tat = $2 WHERE key = $1 AND tat < $2`, key, u)
		return err
	})
	if err != nil {
		return fmt.Errorf("defer budget %q: %w", key, err)
	}
	return nil
}
