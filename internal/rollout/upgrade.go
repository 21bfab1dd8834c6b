package rollout

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/tray"
)

// process upgrades one claimed instance and says what to record.
//
// The rule that keeps an instance from being upgraded twice: a claim with
// Recheck set (an earlier claim may have reached Tray: its driver died, or
// its outcome was unknown) first reads the instance's flags, and an
// instance no longer behind is recorded as done without a call. Upgrades
// are sent at most once per claim (tray.UpgradeInput.AtMostOnce), never
// after the claim's lease minus LeaseMargin, so that the next claim of the
// instance cannot overlap with them.
func (d *drive) process(ctx context.Context, c store.Claim) store.Settlement {
	e := d.e
	uctx, cancel := context.WithDeadline(ctx, c.LeaseUntil.Add(-e.opts.LeaseMargin))
	defer cancel()
	rt, tgt := d.target.Runtime, d.target
	if c.Recheck {
		in, found, err := rt.Instance(uctx, tgt.SolutionID, c.InstanceID)
		if err != nil {
			return d.failed(ctx, c, fmt.Errorf("reading it again before upgrading: %w", err), true)
		}
		if !found {
			return done(c, store.StateSkipped, "the runtime no longer has this instance")
		}
		if !in.Flags.HasNewerVersion {
			st, note := upgradedState(c)
			return done(c, st, join("on the newest version when read again: an earlier attempt went through", note))
		}
	}
	input, err := upgradeInput(c, tgt.Values, tgt.AsOwner)
	if err != nil {
		return done(c, store.StateFailed, err.Error())
	}
	if _, err := rt.UpgradeInstance(uctx, input); err != nil {
		return d.failed(ctx, c, err, false)
	}
	st, note := upgradedState(c)
	if note != "" {
		note = join("upgraded", note)
	}
	return done(c, st, note)
}

// upgradedState is what an upgraded instance becomes, with a note: needs-user
// when its end user must still run the Config Wizard.
func upgradedState(c store.Claim) (store.InstanceState, string) {
	if c.Action == string(plan.UserInput) {
		return store.StateNeedsUser, "its end user must run the Config Wizard"
	}
	return store.StateUpgraded, ""
}

func join(a, b string) string {
	if b == "" {
		return a
	}
	return a + "; " + b
}

func done(c store.Claim, st store.InstanceState, msg string) store.Settlement {
	return store.Settlement{Claim: c, State: st, Message: msg}
}

// failed records a failed attempt: failed for good when the runtime says
// the same call will fail again (with its message) or the attempts ran
// out, else released for a retry after a backoff or the runtime's
// Retry-After. unsent says no upgrade was sent by this attempt.
func (d *drive) failed(ctx context.Context, c store.Claim, err error, unsent bool) store.Settlement {
	var te *tray.Error
	isTray := errors.As(err, &te)
	if isTray && !te.Retryable() {
		msg := te.Message()
		if msg == "" {
			msg = err.Error()
		}
		return done(c, store.StateFailed, msg)
	}
	// Whether it reached Tray is known only for Tray's own answers.
	unsent = unsent || isTray && !tray.MayHaveExecuted(err)
	if !isTray {
		// The driver is stopping, or the lease ran short (a long wait for
		// the rate budget): not the instance's fault, try again at once.
		return store.Settlement{Claim: c, NotBefore: time.Now(), Unsent: unsent, Message: "interrupted: " + err.Error()}
	}
	if c.Attempts >= d.e.opts.MaxAttempts {
		return done(c, store.StateFailed, fmt.Sprintf("gave up after %d attempts: %v", c.Attempts, err))
	}
	wait := max(te.RetryAfter, d.e.backoff(c.Attempts))
	return store.Settlement{Claim: c, NotBefore: time.Now().Add(wait), Unsent: unsent, Message: err.Error()}
}

// backoff is the wait after failed attempt n (1-based): MinBackoff doubling
// up to MaxBackoff, half of it random so that instances spread out.
func (e *Engine) backoff(n int) time.Duration {
	d := e.opts.MinBackoff
	for i := 1; i < n && d < e.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, e.opts.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}
