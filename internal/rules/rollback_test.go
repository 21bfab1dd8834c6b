package rules

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
)

func record(fs ...change.RecordFinding) *change.Record {
	return &change.Record{Findings: append([]change.RecordFinding{}, fs...)}
}

var (
	newScope = change.RecordFinding{Rule: "tray/auth-scopes-added", Severity: change.Breaking, Category: change.CatAuth, Upgrade: change.UserInput, Path: "a.json"}
	// Accepted breaks count: deployed copies are affected either way.
	newAuthAccepted = change.RecordFinding{Rule: "tray/auth-slot-added", Severity: change.Breaking, Category: change.CatAuth, Accepted: true, Path: "a.json"}
	lessScope       = change.RecordFinding{Rule: "tray/auth-scopes-removed", Severity: change.Info, Category: change.CatAuth, Path: "a.json"}
	newConfig       = change.RecordFinding{Rule: "tray/config-slot-added-required", Severity: change.Breaking, Category: change.CatConfig, Path: "a.json"}
)

func TestCheckRollback(t *testing.T) {
	// 1.4.0 → 1.5.0 (config break) → 2.0.0 (new scope) → 2.1.0 (less scope)
	history := []Released{
		{Version: "2.1.0", Previous: "2.0.0", Changes: record(lessScope)},
		{Version: "2.0.0", Previous: "1.5.0", Changes: record(newScope, newConfig)},
		{Version: "1.5.0", Previous: "1.4.0", Changes: record(newConfig)},
		{Version: "1.4.0"},
	}
	cases := []struct {
		name       string
		from, to   string
		history    []Released
		crossed    []string
		authBreaks []change.RecordFinding
		why        string
		err        string
	}{
		{name: "one step without auth changes", from: "2.1.0", to: "2.0.0", history: history, crossed: []string{"2.1.0"}},
		{name: "one step across a new scope", from: "2.0.0", to: "1.5.0", history: history, crossed: []string{"2.0.0"}, authBreaks: []change.RecordFinding{newScope},
			why: "1 auth-breaking change(s) between 1.5.0 and 2.0.0 force end users to authenticate again, so rolling back across them is a person's decision"},
		{name: "several steps collect every release's auth breaks", from: "2.1.0", to: "1.4.0", history: history,
			crossed: []string{"2.1.0", "2.0.0", "1.5.0"}, authBreaks: []change.RecordFinding{newScope}},
		{name: "accepted breaks count", from: "3.0.0", to: "2.1.0", history: []Released{{Version: "3.0.0", Previous: "2.1.0", Changes: record(newAuthAccepted)}},
			crossed: []string{"3.0.0"}, authBreaks: []change.RecordFinding{newAuthAccepted}},
		{name: "below the auth break is free", from: "1.5.0", to: "1.4.0", history: history, crossed: []string{"1.5.0"}},
		{name: "to the version that runs crosses nothing", from: "2.0.0", to: "2.0.0", history: nil},
		{name: "forward is not a rollback", from: "1.5.0", to: "2.0.0", history: history, err: "2.0.0 is newer than 1.5.0, which runs now: that is a deploy, not a rollback"},
		{name: "a missing manifest fails closed", from: "2.1.0", to: "1.4.0", history: history[:2],
			err: "there is no release manifest of 1.5.0, so the changes between 1.4.0 and 2.1.0 cannot be checked"},
		{name: "a target that was never released fails closed", from: "2.0.0", to: "1.4.5", history: history,
			err: "1.4.5 is not a release in 2.0.0's history (the release before 1.5.0 is 1.4.0)"},
		{name: "below the first release fails closed", from: "1.4.0", to: "1.3.0", history: history,
			err: "1.4.0 is the first release and 1.3.0 is not a release before it"},
		{name: "a manifest without a change record fails closed", from: "2.0.0", to: "1.5.0", history: []Released{{Version: "2.0.0", Previous: "1.5.0"}},
			err: "the manifest of 2.0.0 holds no change record against 1.5.0"},
		{name: "a previous release that is not earlier fails closed", from: "2.0.0", to: "1.5.0", history: []Released{{Version: "2.0.0", Previous: "2.0.0", Changes: record()}},
			err: `the manifest of 2.0.0 names "2.0.0" as the release before it, which is not an earlier version`},
		{name: "versions must be SemVer", from: "latest", to: "1.5.0", err: `the version that runs, "latest", is not SemVer`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckRollback(tc.from, tc.to, tc.history)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.crossed, got.Crossed); diff != "" {
				t.Errorf("crossed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.authBreaks, got.AuthBreaks); diff != "" {
				t.Errorf("auth breaks (-want +got):\n%s", diff)
			}
			if got.Automatic() != (len(tc.authBreaks) == 0) {
				t.Errorf("Automatic() = %t with %d auth breaks", got.Automatic(), len(tc.authBreaks))
			}
			if tc.why != "" && got.Why() != tc.why {
				t.Errorf("Why() = %q, want %q", got.Why(), tc.why)
			}
			if got.Automatic() && got.Why() != "" {
				t.Errorf("an automatic rollback says why not: %q", got.Why())
			}
		})
	}
}

func TestAuthBreaking(t *testing.T) {
	for f, want := range map[*change.RecordFinding]bool{&newScope: true, &newAuthAccepted: true, &lessScope: false, &newConfig: false} {
		if got := AuthBreaking(*f); got != want {
			t.Errorf("AuthBreaking(%s) = %t, want %t", f.Rule, got, want)
		}
	}
	if got := AuthBreaks(nil, record(newConfig, newScope), record(lessScope, newAuthAccepted)); !cmp.Equal(got, []change.RecordFinding{newScope, newAuthAccepted}) {
		t.Errorf("AuthBreaks = %+v", got)
	}
}
