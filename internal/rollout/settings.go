package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/time/rate"

	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/tray"
)

// Settings are a repository's pacing of its rollouts: its configuration's
// rollout section (.github/breakwater.yml). They only ever slow a rollout
// down: the engine's Concurrency and the shared Tray budget (the
// operator's flags) stay the ceiling.
type Settings struct {
	// Concurrency is how many upgrades of the rollout are in flight at
	// once, at most Options.Concurrency (0: Options.Concurrency).
	Concurrency int `json:"concurrency,omitempty"`
	// RateLimit is the most Tray calls per second the rollout makes (each
	// one request, plus any retry), within the budget every replica shares
	// (0: that budget alone).
	RateLimit float64 `json:"rateLimit,omitempty"`
}

func settingsKey(pkg, env string) string { return "rollout-settings/" + pkg + "/" + env }

// SetSettings records the pacing of pkg's rollouts to env: the deployment
// handler records the release commit's configuration, `breakwater rollout
// start --config` the one it is given. Drivers read it at every slice, so
// it applies to the rollout under way too.
func (e *Engine) SetSettings(ctx context.Context, pkg, env string, s Settings) error {
	if err := e.bound(); err != nil {
		return err
	}
	if s.Concurrency < 0 || s.RateLimit < 0 {
		return fmt.Errorf("rollout settings of %s to %s: concurrency %d and rate limit %v must not be negative", pkg, env, s.Concurrency, s.RateLimit)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return e.store.PutValue(ctx, settingsKey(pkg, env), b)
}

// SettingsOf returns the recorded pacing of pkg's rollouts to env (zero
// when none is recorded).
func (e *Engine) SettingsOf(ctx context.Context, pkg, env string) (Settings, error) {
	var s Settings
	if err := e.bound(); err != nil {
		return s, err
	}
	b, err := e.store.Value(ctx, settingsKey(pkg, env))
	if errors.Is(err, store.ErrNotFound) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("the recorded rollout settings of %s to %s are unreadable: %w", pkg, env, err)
	}
	return s, nil
}

// concurrency is a driver's: the settings' within the engine's ceiling.
func (e *Engine) concurrency(s Settings) int {
	if s.Concurrency > 0 {
		return min(e.opts.Concurrency, s.Concurrency)
	}
	return e.opts.Concurrency
}

// pacedRuntime makes at most a rollout's rate limit of calls per second,
// on top of the shared budget that the runtime's client waits for. Only
// what a driver calls is paced: it never lists instances.
type pacedRuntime struct {
	Runtime
	lim *rate.Limiter
}

func paced(rt Runtime, perSecond float64) Runtime {
	if perSecond <= 0 {
		return rt
	}
	return &pacedRuntime{Runtime: rt, lim: rate.NewLimiter(rate.Limit(perSecond), 1)}
}

func (p *pacedRuntime) Instance(ctx context.Context, solutionID, id string) (tray.Instance, bool, error) {
	if err := p.lim.Wait(ctx); err != nil {
		return tray.Instance{}, false, err
	}
	return p.Runtime.Instance(ctx, solutionID, id)
}

func (p *pacedRuntime) UpgradeInstance(ctx context.Context, in tray.UpgradeInput) (*tray.Instance, error) {
	if err := p.lim.Wait(ctx); err != nil {
		return nil, err
	}
	return p.Runtime.UpgradeInstance(ctx, in)
}
