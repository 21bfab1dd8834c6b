package rollout

import (
	"context"
	"fmt"
	"time"

	"github.com/breakwater-dev/breakwater/internal/store"
)

// The controls of a running rollout: the tracking issue's checkboxes, the
// /breakwater rollout commands and the CLI call these.

// Pause stops a rollout from claiming instances; upgrades already in
// flight finish.
func (e *Engine) Pause(ctx context.Context, rolloutID int64) error {
	if err := e.bound(); err != nil {
		return err
	}
	if err := e.store.SetRolloutPaused(ctx, rolloutID, true); err != nil {
		return err
	}
	e.report(ctx, rolloutID)
	return nil
}

// Resume lets a paused rollout go on.
func (e *Engine) Resume(ctx context.Context, rolloutID int64) error {
	if err := e.bound(); err != nil {
		return err
	}
	if err := e.store.SetRolloutPaused(ctx, rolloutID, false); err != nil {
		return err
	}
	if err := e.ensureDriver(ctx, rolloutID); err != nil {
		return err
	}
	e.report(ctx, rolloutID)
	return nil
}

// RetryFailed makes the failed instances pending again and returns how
// many. Each is read again at the runtime before it is upgraded.
func (e *Engine) RetryFailed(ctx context.Context, rolloutID int64) (int64, error) {
	if err := e.bound(); err != nil {
		return 0, err
	}
	n, err := e.store.RetryFailed(ctx, rolloutID)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		if err := e.ensureDriver(ctx, rolloutID); err != nil {
			return n, err
		}
	}
	e.report(ctx, rolloutID)
	return n, nil
}

// Find returns the rollout of a version to an environment; with version
// empty, the package's newest rollout there.
func (e *Engine) Find(ctx context.Context, pkg, version, environment string) (store.Rollout, error) {
	if err := e.bound(); err != nil {
		return store.Rollout{}, err
	}
	if version != "" {
		return e.store.FindRollout(ctx, pkg, version, environment)
	}
	rs, err := e.store.Rollouts(ctx, pkg)
	if err != nil {
		return store.Rollout{}, err
	}
	for _, r := range rs {
		if environment == "" || r.Environment == environment {
			return r, nil
		}
	}
	return store.Rollout{}, fmt.Errorf("no rollout of %s to %q: %w", pkg, environment, store.ErrNotFound)
}

// planningStall is how long a rollout may plan without a change before
// Idle takes it for abandoned.
const planningStall = 5 * time.Minute

// Idle reports whether no rollout has work left that a worker could do:
// every one has nothing pending or in flight, or is paused, or is a
// planning that stopped (no change for planningStall: its Start must run
// again).
func (e *Engine) Idle(ctx context.Context) (bool, error) {
	if err := e.bound(); err != nil {
		return false, err
	}
	rs, err := e.store.Rollouts(ctx, "")
	if err != nil {
		return false, err
	}
	for _, r := range rs {
		if r.Paused {
			continue
		}
		if r.Planning {
			if time.Since(r.UpdatedAt) < planningStall {
				return false, nil
			}
			continue
		}
		counts, err := e.store.RolloutCounts(ctx, r.ID)
		if err != nil {
			return false, err
		}
		if counts[store.StatePending]+counts[store.StateInFlight] > 0 {
			return false, nil
		}
	}
	return true, nil
}
