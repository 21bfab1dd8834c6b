package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// InstanceState is where one instance stands in a rollout.
type InstanceState string

const (
	StatePending   InstanceState = "pending"    // to be upgraded by the bot
	StateInFlight  InstanceState = "in-flight"  // claimed by a worker, under a lease
	StateLazy      InstanceState = "lazy"       // the runtime upgrades it by itself
	StateUpgraded  InstanceState = "upgraded"   // upgraded by the bot
	StateNeedsUser InstanceState = "needs-user" // its end user must run the Config Wizard
	StateFailed    InstanceState = "failed"     // permanent failure; Message has the runtime's words
	StateSkipped   InstanceState = "skipped"    // nothing to do (disabled, already current)
)

// States lists every state in display order.
var States = []InstanceState{StatePending, StateInFlight, StateLazy, StateUpgraded, StateNeedsUser, StateFailed, StateSkipped}

// finalStates are what CompleteInstance may record.
var finalStates = map[InstanceState]bool{StateLazy: true, StateUpgraded: true, StateNeedsUser: true, StateFailed: true, StateSkipped: true}

// initialStates are what CreateRollout accepts: pending, or settled from
// the start by the plan.
var initialStates = map[InstanceState]bool{StatePending: true, StateLazy: true, StateNeedsUser: true, StateSkipped: true}

// Rollout is one version's rollout to one environment.
type Rollout struct {
	ID            int64
	Package       string
	Version       string
	Environment   string
	Paused        bool
	TrackingIssue int64      // issue number, 0 until created
	IssueEditedAt *time.Time // last tracking-issue edit (throttling)
	// Planning: instances are still being added (AddRolloutInstances);
	// nothing drives the rollout until FinishPlanning.
	Planning bool
	// DriverJob is the River job allowed to work the rollout, DriverUntil
	// when its heartbeat lapses (see EnsureDriver).
	DriverJob   int64
	DriverUntil *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NewRollout is a rollout to create, with its instances from the plan.
type NewRollout struct {
	Package     string
	Version     string
	Environment string
	Instances   []NewInstance
	// Planning creates the rollout in planning: more instances follow
	// through AddRolloutInstances, and FinishPlanning ends it. A plan read
	// page by page never has to be held whole.
	Planning bool
}

// NewInstance is one instance of a new rollout.
type NewInstance struct {
	ID     string
	Owner  string
	Action string        // the plan's action (lazy, auth-resync, system-input, user-input, nothing)
	State  InstanceState // pending (the default), lazy, needs-user or skipped
	// Payload is what the caller needs to upgrade the instance later,
	// returned with every claim; opaque to the store. Never a secret.
	Payload []byte
	// Message says why the instance starts where it does (e.g. skipped:
	// disabled).
	Message string
}

// Instance is one instance's recorded state.
type Instance struct {
	ID         string
	Owner      string
	Action     string
	State      InstanceState
	Message    string
	Attempts   int
	LeaseUntil *time.Time
	NotBefore  *time.Time
	UpdatedAt  time.Time
}

// Claim is a worker's lease on one instance. Only the holder of a claim
// whose token is still current can complete or release the instance.
type Claim struct {
	RolloutID  int64
	InstanceID string
	Owner      string
	Action     string
	// Attempts counts claims since the instance became pending (at
	// creation or through RetryFailed), this one included.
	Attempts   int
	Token      string
	LeaseUntil time.Time
	Payload    []byte
	// Reclaimed: a previous claim's lease expired without a result. That
	// worker may have upgraded the instance before it died, so check the
	// instance's version at the runtime before upgrading it again.
	Reclaimed bool
	// Recheck: an earlier claim may have reached the runtime (it was
	// reclaimed, released after a failure whose outcome is unknown, or
	// retried after failing), so read the instance's state at the runtime
	// before upgrading it. Always true when Reclaimed is.
	Recheck bool
}

// createBatch bounds the rows of one multi-row INSERT (SQLite allows
// 32,766 parameters per statement; a row has 8).
const createBatch = 500

// CreateRollout creates a rollout with its instances and enqueues job in
// the same transaction. A rollout for the same package, version and
// environment is created once: later calls return it with created false,
// insert nothing and enqueue nothing.
func (s *Store) CreateRollout(ctx context.Context, nr NewRollout, job Job) (r Rollout, created bool, err error) {
	if nr.Package == "" || nr.Version == "" || nr.Environment == "" {
		return Rollout{}, false, fmt.Errorf("create rollout: package %q, version %q and environment %q are required: %w", nr.Package, nr.Version, nr.Environment, ErrInvalid)
	}
	if err := checkNewInstances(nr.Instances); err != nil {
		return Rollout{}, false, fmt.Errorf("create rollout %s@%s: %w", nr.Package, nr.Version, err)
	}
	now := s.stamp(time.Time{})
	err = s.db.inTx(ctx, func(q querier, insert insertFunc) error {
		var id int64
		err := q.queryRow(ctx, `INSERT INTO rollouts (package, version, environment, planning, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
			ON CONFLICT (package, version, environment) DO NOTHING RETURNING id`, nr.Package, nr.Version, nr.Environment, nr.Planning, now).Scan(&id)
		if errors.Is(err, ErrNotFound) {
			r, err = findRollout(ctx, q, nr.Package, nr.Version, nr.Environment)
			return err
		}
		if err != nil {
			return err
		}
		if err := insertInstances(ctx, q, id, nr.Instances, now); err != nil {
			return err
		}
		if _, err := enqueueTx(ctx, insert, job); err != nil {
			return err
		}
		created = true
		r, err = getRollout(ctx, q, id)
		return err
	})
	if err != nil {
		return Rollout{}, false, fmt.Errorf("create rollout of %s@%s to %s: %w", nr.Package, nr.Version, nr.Environment, err)
	}
	return r, created, nil
}

// checkNewInstances refuses empty or repeated IDs and states an instance
// cannot start in.
func checkNewInstances(ins []NewInstance) error {
	seen := make(map[string]bool, len(ins))
	for i, in := range ins {
		if in.ID == "" || seen[in.ID] {
			return fmt.Errorf("instance %d has an empty or repeated ID %q: %w", i, in.ID, ErrInvalid)
		}
		seen[in.ID] = true
		if in.State != "" && !initialStates[in.State] {
			return fmt.Errorf("instance %s cannot start %s: %w", in.ID, in.State, ErrInvalid)
		}
	}
	return nil
}

// insertInstances adds instances to a rollout in multi-row INSERTs; an
// instance already there is left as it is.
func insertInstances(ctx context.Context, q querier, rolloutID int64, ins []NewInstance, now time.Time) error {
	const cols = 8
	for start := 0; start < len(ins); start += createBatch {
		batch := ins[start:min(start+createBatch, len(ins))]
		var sb strings.Builder
		sb.WriteString(`INSERT INTO rollout_instances (rollout_id, instance_id, owner, action, state, payload, message, updated_at) VALUES `)
		args := make([]any, 0, cols*len(batch))
		for i, in := range batch {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteByte('(')
			for c := range cols {
				if c > 0 {
					sb.WriteString(", ")
				}
				fmt.Fprintf(&sb, "$%d", len(args)+c+1)
			}
			sb.WriteByte(')')
			state := in.State
			if state == "" {
				state = StatePending
			}
			payload := in.Payload
			if payload == nil {
				payload = []byte{}
			}
			args = append(args, rolloutID, in.ID, in.Owner, in.Action, string(state), payload, in.Message, now)
		}
		sb.WriteString(` ON CONFLICT (rollout_id, instance_id) DO NOTHING`)
		if _, err := q.exec(ctx, sb.String(), args...); err != nil {
			return fmt.Errorf("insert instances: %w", err)
		}
	}
	return nil
}

const rolloutColumns = `id, package, version, environment, paused, tracking_issue, issue_edited_at, planning, driver_job, driver_until, created_at, updated_at`

func scanRollout(r row) (Rollout, error) {
	var ro Rollout
	err := r.Scan(&ro.ID, &ro.Package, &ro.Version, &ro.Environment, &ro.Paused, &ro.TrackingIssue, &ro.IssueEditedAt,
		&ro.Planning, &ro.DriverJob, &ro.DriverUntil, &ro.CreatedAt, &ro.UpdatedAt)
	return ro, err
}

func getRollout(ctx context.Context, q querier, id int64) (Rollout, error) {
	r, err := scanRollout(q.queryRow(ctx, `SELECT `+rolloutColumns+` FROM rollouts WHERE id = $1`, id))
	if errors.Is(err, ErrNotFound) {
		return Rollout{}, fmt.Errorf("rollout %d: %w", id, ErrNotFound)
	}
	return r, err
}

func findRollout(ctx context.Context, q querier, pkg, version, env string) (Rollout, error) {
	r, err := scanRollout(q.queryRow(ctx, `SELECT `+rolloutColumns+` FROM rollouts WHERE package = $1 AND version = $2 AND environment = $3`, pkg, version, env))
	if errors.Is(err, ErrNotFound) {
		return Rollout{}, fmt.Errorf("no rollout of %s@%s to %s: %w", pkg, version, env, ErrNotFound)
	}
	return r, err
}

// Rollout returns a rollout by ID.
func (s *Store) Rollout(ctx context.Context, id int64) (Rollout, error) {
	return getRollout(ctx, s.db, id)
}

// FindRollout returns the rollout of a version to an environment.
func (s *Store) FindRollout(ctx context.Context, pkg, version, env string) (Rollout, error) {
	return findRollout(ctx, s.db, pkg, version, env)
}

// RolloutEnvironments lists the environments pkg@version has a rollout in,
// in name order: where its instances may run whether or not a deployment
// was recorded (a rollout started from the command line records none).
func (s *Store) RolloutEnvironments(ctx context.Context, pkg, version string) ([]string, error) {
	rs, err := s.db.query(ctx, `SELECT DISTINCT environment FROM rollouts WHERE package = $1 AND version = $2 ORDER BY environment`, pkg, version)
	if err != nil {
		return nil, fmt.Errorf("environments of the rollouts of %s@%s: %w", pkg, version, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		var env string
		if err := rs.Scan(&env); err != nil {
			return nil, fmt.Errorf("environments of the rollouts of %s@%s: %w", pkg, version, err)
		}
		out = append(out, env)
	}
	return out, rs.Err()
}

// updateRollout runs an UPDATE of one rollout row; ErrNotFound when the
// rollout does not exist.
func (s *Store) updateRollout(ctx context.Context, what string, id int64, set string, args ...any) error {
	n, err := s.db.exec(ctx, `UPDATE rollouts SET `+set+`, updated_at = $2 WHERE id = $1`, append([]any{id, s.stamp(time.Time{})}, args...)...)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("%s rollout %d: %w", what, id, err)
	}
	return nil
}

// SetRolloutPaused pauses or resumes a rollout: while paused, nothing can
// be claimed (claims already made run to their end).
func (s *Store) SetRolloutPaused(ctx context.Context, id int64, paused bool) error {
	return s.updateRollout(ctx, "pause/resume", id, `paused = $3`, paused)
}

// SetTrackingIssue records the rollout's tracking issue number.
func (s *Store) SetTrackingIssue(ctx context.Context, id int64, issue int64) error {
	return s.updateRollout(ctx, "set the tracking issue of", id, `tracking_issue = $3`, issue)
}

// ClaimIssueEdit reports whether the tracking issue may be edited now: at
// most once per interval across replicas. A true answer records the edit
// time, so the caller must edit.
func (s *Store) ClaimIssueEdit(ctx context.Context, id int64, interval time.Duration) (bool, error) {
	now := s.stamp(time.Time{})
	n, err := s.db.exec(ctx, `UPDATE rollouts SET issue_edited_at = $2
		WHERE id = $1 AND (issue_edited_at IS NULL OR issue_edited_at <= $3)`, id, now, now.Add(-interval))
	if err != nil {
		return false, fmt.Errorf("claim an edit of rollout %d's issue: %w", id, err)
	}
	if n == 0 {
		if _, err := s.Rollout(ctx, id); err != nil {
			return false, err
		}
	}
	return n == 1, nil
}

// RolloutCounts counts a rollout's instances per state; every state is
// present, zero or not.
func (s *Store) RolloutCounts(ctx context.Context, id int64) (map[InstanceState]int, error) {
	if _, err := s.Rollout(ctx, id); err != nil {
		return nil, err
	}
	rs, err := s.db.query(ctx, `SELECT state, count(*) FROM rollout_instances WHERE rollout_id = $1 GROUP BY state`, id)
	if err != nil {
		return nil, fmt.Errorf("count instances of rollout %d: %w", id, err)
	}
	defer rs.Close()
	out := make(map[InstanceState]int, len(States))
	for _, st := range States {
		out[st] = 0
	}
	for rs.Next() {
		var st string
		var n int
		if err := rs.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count instances of rollout %d: %w", id, err)
		}
		out[InstanceState(st)] = n
	}
	return out, rs.Err()
}

// Instances pages through a rollout's instances by ID: those after the ID
// after ("" to start), limit at most, only in state unless it is "".
func (s *Store) Instances(ctx context.Context, rolloutID int64, state InstanceState, after string, limit int) ([]Instance, error) {
	if limit <= 0 {
		limit = 100
	}
	rs, err := s.db.query(ctx, `SELECT instance_id, owner, action, state, message, attempts, lease_until, not_before, updated_at
		FROM rollout_instances WHERE rollout_id = $1 AND ($2 = '' OR state = $2) AND instance_id > $3
		ORDER BY instance_id LIMIT $4`, rolloutID, string(state), after, limit)
	if err != nil {
		return nil, fmt.Errorf("instances of rollout %d: %w", rolloutID, err)
	}
	defer rs.Close()
	var out []Instance
	for rs.Next() {
		var in Instance
		var st string
		if err := rs.Scan(&in.ID, &in.Owner, &in.Action, &st, &in.Message, &in.Attempts, &in.LeaseUntil, &in.NotBefore, &in.UpdatedAt); err != nil {
			return nil, fmt.Errorf("instances of rollout %d: %w", rolloutID, err)
		}
		in.State = InstanceState(st)
		out = append(out, in)
	}
	return out, rs.Err()
}

// claimable is the condition under which an instance may be claimed at $2:
// pending and due, or in flight under an expired lease.
const claimable = `((state = 'pending' AND (not_before IS NULL OR not_before <= $2))
	OR (state = 'in-flight' AND lease_until <= $2))`

// ClaimNext claims up to limit claimable instances of a rollout for lease,
// in instance ID order. Concurrent callers (other goroutines, other
// replicas) never get the same instance while its lease runs. An empty
// result means nothing is claimable now; ErrRolloutPaused when paused.
func (s *Store) ClaimNext(ctx context.Context, rolloutID int64, limit int, lease time.Duration) ([]Claim, error) {
	if limit <= 0 || lease <= 0 {
		return nil, fmt.Errorf("claim instances of rollout %d: limit %d and lease %s must be positive: %w", rolloutID, limit, lease, ErrInvalid)
	}
	var claims []Claim
	err := s.db.inTx(ctx, func(q querier, _ insertFunc) error {
		if err := checkNotPaused(ctx, q, rolloutID); err != nil {
			return err
		}
		now := s.stamp(time.Time{})
		rs, err := q.query(ctx, `SELECT instance_id, state FROM rollout_instances
			WHERE rollout_id = $1 AND `+claimable+` ORDER BY instance_id LIMIT $3`+s.db.forUpdate(true), rolloutID, now, limit)
		if err != nil {
			return err
		}
		type candidate struct {
			id    string
			state string
		}
		var cands []candidate
		for rs.Next() {
			var c candidate
			if err := rs.Scan(&c.id, &c.state); err != nil {
				rs.Close()
				return err
			}
			cands = append(cands, c)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		for _, c := range cands {
			cl, err := claimRow(ctx, q, rolloutID, c.id, now, lease, c.state == string(StateInFlight))
			if err != nil {
				return err
			}
			claims = append(claims, cl)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim instances of rollout %d: %w", rolloutID, err)
	}
	return claims, nil
}

// ClaimInstance claims one instance for lease: ErrNotClaimable unless it is
// pending and due or its lease expired, ErrRolloutPaused when paused.
func (s *Store) ClaimInstance(ctx context.Context, rolloutID int64, instanceID string, lease time.Duration) (Claim, error) {
	if lease <= 0 {
		return Claim{}, fmt.Errorf("claim instance %s: lease %s must be positive: %w", instanceID, lease, ErrInvalid)
	}
	var cl Claim
	err := s.db.inTx(ctx, func(q querier, _ insertFunc) error {
		if err := checkNotPaused(ctx, q, rolloutID); err != nil {
			return err
		}
		now := s.stamp(time.Time{})
		var state string
		err := q.queryRow(ctx, `SELECT state FROM rollout_instances WHERE rollout_id = $1 AND instance_id = $3 AND `+claimable+s.db.forUpdate(false),
			rolloutID, now, instanceID).Scan(&state)
		if errors.Is(err, ErrNotFound) {
			return s.whyNotClaimable(ctx, q, rolloutID, instanceID)
		}
		if err != nil {
			return err
		}
		cl, err = claimRow(ctx, q, rolloutID, instanceID, now, lease, state == string(StateInFlight))
		return err
	})
	if err != nil {
		return Claim{}, fmt.Errorf("claim instance %s of rollout %d: %w", instanceID, rolloutID, err)
	}
	return cl, nil
}

func (s *Store) whyNotClaimable(ctx context.Context, q querier, rolloutID int64, instanceID string) error {
	var state string
	err := q.queryRow(ctx, `SELECT state FROM rollout_instances WHERE rollout_id = $1 AND instance_id = $2`, rolloutID, instanceID).Scan(&state)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("no such instance: %w", ErrNotFound)
	}
	if err != nil {
		return err
	}
	return fmt.Errorf("it is %s: %w", state, ErrNotClaimable)
}

func checkNotPaused(ctx context.Context, q querier, rolloutID int64) error {
	var paused bool
	err := q.queryRow(ctx, `SELECT paused FROM rollouts WHERE id = $1`, rolloutID).Scan(&paused)
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("no rollout %d: %w", rolloutID, ErrNotFound)
	}
	if err != nil {
		return err
	}
	if paused {
		return ErrRolloutPaused
	}
	return nil
}

// claimRow moves a row the caller has locked (and found claimable) to
// in-flight under a new lease.
func claimRow(ctx context.Context, q querier, rolloutID int64, instanceID string, now time.Time, lease time.Duration, reclaimed bool) (Claim, error) {
	cl := Claim{RolloutID: rolloutID, InstanceID: instanceID, Token: newToken(), LeaseUntil: now.Add(lease), Reclaimed: reclaimed}
	err := q.queryRow(ctx, `UPDATE rollout_instances
		SET state = 'in-flight', lease_token = $3, lease_until = $4, not_before = NULL, attempts = attempts + 1, updated_at = $5,
			recheck = (recheck OR $6)
		WHERE rollout_id = $1 AND instance_id = $2
		RETURNING owner, action, attempts, payload, recheck`, rolloutID, instanceID, cl.Token, cl.LeaseUntil, now, reclaimed).
		Scan(&cl.Owner, &cl.Action, &cl.Attempts, &cl.Payload, &cl.Recheck)
	return cl, err
}

func newToken() string {
	b := make([]byte, 16)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// CompleteInstance records a claimed instance's outcome (upgraded, failed
// with the runtime's message, …). ErrLeaseLost when the claim is no
// longer current: another worker holds the instance, record nothing.
func (s *Store) CompleteInstance(ctx context.Context, c Claim, state InstanceState, message string) error {
	if !finalStates[state] {
		return fmt.Errorf("complete instance %s: %q is not a final state: %w", c.InstanceID, state, ErrInvalid)
	}
	return s.settleClaim(ctx, "complete", c, completeSet, string(state), message)
}

// completeSet and releaseSet are the UPDATEs of CompleteInstance and
// ReleaseInstance after settleClaim's first three parameters.
const (
	completeSet = `state = $4, message = $5, lease_token = NULL, lease_until = NULL, recheck = false`
	releaseSet  = `state = 'pending', message = $4, not_before = $5, recheck = (recheck OR $6), lease_token = NULL, lease_until = NULL`
)

// ReleaseInstance gives a claimed instance back as pending, to be claimed
// again from notBefore (a retry after a transient failure: 5xx, timeout,
// 429 with Retry-After). message says why. The next claim has Recheck set:
// the failed attempt may have reached the runtime.
func (s *Store) ReleaseInstance(ctx context.Context, c Claim, notBefore time.Time, message string) error {
	return s.settleClaim(ctx, "release", c, releaseSet, message, s.stamp(notBefore), true)
}

// ExtendLease pushes a current claim's lease to now+lease (long work).
func (s *Store) ExtendLease(ctx context.Context, c *Claim, lease time.Duration) error {
	until := s.stamp(time.Time{}).Add(lease)
	if err := s.settleClaim(ctx, "extend the lease of", *c, `lease_until = $4`, until); err != nil {
		return err
	}
	c.LeaseUntil = until
	return nil
}

func (s *Store) settleClaim(ctx context.Context, what string, c Claim, set string, args ...any) error {
	n, err := s.db.exec(ctx, `UPDATE rollout_instances SET `+set+`, updated_at = $3
		WHERE rollout_id = $1 AND instance_id = $2 AND state = 'in-flight' AND lease_token = $`+fmt.Sprint(4+len(args)),
		append(append([]any{c.RolloutID, c.InstanceID, s.stamp(time.Time{})}, args...), c.Token)...)
	if err == nil && n == 0 {
		err = ErrLeaseLost
	}
	if err != nil {
		return fmt.Errorf("%s instance %s of rollout %d: %w", what, c.InstanceID, c.RolloutID, err)
	}
	return nil
}

// RetryFailed makes a rollout's failed instances pending again (the
// "retry failed" control) and returns how many. Their attempts start
// over, and their next claim has Recheck set.
func (s *Store) RetryFailed(ctx context.Context, rolloutID int64) (int64, error) {
	n, err := s.db.exec(ctx, `UPDATE rollout_instances SET state = 'pending', not_before = NULL, attempts = 0, recheck = true, updated_at = $2
		WHERE rollout_id = $1 AND state = 'failed'`, rolloutID, s.stamp(time.Time{}))
	if err != nil {
		return 0, fmt.Errorf("retry failed instances of rollout %d: %w", rolloutID, err)
	}
	return n, nil
}
