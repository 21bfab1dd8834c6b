package tray_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/tray"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

// An old instance that needs nothing but the upgrade call: the 2nd
// generated instance is on version 1 and holds every value version 2 needs
// (bits 1, 2, 3 set: region, CRM auth, new service auth).
const oldID = "sol-inst-00016"

func TestAtMostOnceNeverResendsAfterAnUnknownOutcome(t *testing.T) {
	for _, f := range []traytest.Fault{
		{Kind: traytest.FaultLoseResponse, Op: traytest.OpUpgrade, Times: 1},
		{Kind: traytest.Fault5xx, Op: traytest.OpUpgrade, Times: 1},
		{Kind: traytest.FaultTimeout, Op: traytest.OpUpgrade, Times: 1, Hold: 2 * time.Second},
	} {
		t.Run(f.Kind.String(), func(t *testing.T) {
			s := traytest.New(t, traytest.Config{Unlimited: true})
			s.Generate("sol", 32, traytest.GenerateOptions{})
			s.InjectFault(f)
			c := client(t, s, func(o *tray.Options) { o.AttemptTimeout = 500 * time.Millisecond })
			_, err := c.UpgradeInstance(t.Context(), tray.UpgradeInput{InstanceID: oldID, AtMostOnce: true,
				AuthValues: []tray.AuthValue{{ExternalID: "crm_auth", AuthID: "auth-crm-16"}}})
			if err == nil || !tray.MayHaveExecuted(err) || !tray.IsRetryable(err) {
				t.Fatalf("error %v: want a retryable failure that may have executed", err)
			}
			if n := s.CallCount(traytest.OpUpgrade); n != 1 {
				t.Fatalf("%d upgrade requests, want exactly 1", n)
			}
			wantExecuted := 0
			if f.Kind == traytest.FaultLoseResponse {
				wantExecuted = 1
			}
			if n := s.Upgrades(oldID, 2); n != wantExecuted {
				t.Fatalf("executed %d times, want %d", n, wantExecuted)
			}
			// The caller re-reads the flags before trying again.
			in, found, err := c.Instance(t.Context(), "sol", oldID)
			if err != nil || !found || in.Flags.HasNewerVersion != (wantExecuted == 0) {
				t.Fatalf("re-read: %+v found %v, %v", in.Flags, found, err)
			}
		})
	}
}

func TestAtMostOnceStillRetries429(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	s.Generate("sol", 32, traytest.GenerateOptions{})
	s.InjectFault(traytest.Fault{Kind: traytest.Fault429, Op: traytest.OpUpgrade, Times: 2, RetryAfter: time.Second})
	lim := &countingLimiter{}
	c := client(t, s, func(o *tray.Options) { o.Limiter = lim })
	if _, err := c.UpgradeInstance(t.Context(), tray.UpgradeInput{InstanceID: oldID, AtMostOnce: true,
		AuthValues: []tray.AuthValue{{ExternalID: "crm_auth", AuthID: "auth-crm-16"}}}); err != nil {
		t.Fatal(err)
	}
	if n := s.Upgrades(oldID, 2); n != 1 {
		t.Fatalf("executed %d times, want 1", n)
	}
	if lim.waits.Load() != 3 || lim.deferred.Load() != 2 {
		t.Fatalf("limiter: %d waits, %d deferrals; want every request paced (3) and both 429s passed on", lim.waits.Load(), lim.deferred.Load())
	}
}

func TestInstanceByID(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	s.Generate("sol", 40, traytest.GenerateOptions{})
	c := client(t, s, nil)
	in, found, err := c.Instance(t.Context(), "sol", "sol-inst-00033")
	if err != nil || !found || in.ID != "sol-inst-00033" || in.Owner != "user-032" {
		t.Fatalf("Instance: %+v, %v, %v", in, found, err)
	}
	if _, found, err := c.Instance(t.Context(), "sol", "nope"); err != nil || found {
		t.Fatalf("unknown instance: found %v, %v", found, err)
	}
}

// countingLimiter admits everything and counts what the client tells it.
type countingLimiter struct {
	waits, deferred atomic.Int32
}

func (l *countingLimiter) Wait(context.Context) error { l.waits.Add(1); return nil }
func (l *countingLimiter) Defer(time.Duration)        { l.deferred.Add(1) }
