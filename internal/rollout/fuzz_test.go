package rollout

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/store"
)

// FuzzFindingsOf: any stored change record is read or refused with an
// error, never a panic; what is read keeps every finding and its slot.
func FuzzFindingsOf(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `{"findings":null}`, `{"findings":[]}`,
		`{"breaking":true,"findings":[{"rule":"tray/auth-scopes-added","severity":"breaking","upgrade":"user-input","message":"m","fingerprint":"f","accepted":true}]}`,
		`{"findings":[{"rule":"r","upgrade":"system-input","slot":{"kind":"config","externalId":"region","change":"added","hidden":true,"required":true,"default":"\"eu\""}}]}`,
		`{"findings":[{"slot":{"kind":7}}]}`, `{"findings":{"rule":"r"}}`, `{"findings":[null]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs, diffed, err := FindingsOf(data)
		if err != nil {
			if fs != nil || diffed {
				t.Fatalf("an error with findings: %v %v", fs, diffed)
			}
			return
		}
		var rec struct {
			Findings []json.RawMessage `json:"findings"`
		}
		if json.Unmarshal(data, &rec) == nil && len(fs) != len(rec.Findings) {
			t.Fatalf("%d findings read of %d", len(fs), len(rec.Findings))
		}
		if !diffed && len(fs) > 0 {
			t.Fatal("findings without a diff")
		}
		// What planning makes of them never fails on the findings alone.
		if _, err := plan.Build(plan.Input{Mode: plan.ModeFlags, Findings: fs, Diffed: diffed,
			Instances: []plan.Instance{{ID: "i", Enabled: true, Flags: plan.VersionFlags{HasNewerVersion: true, RequiresSystemInput: true},
				AuthValues: []plan.AuthValue{{ExternalID: "a", AuthID: "x"}}}}}); err != nil {
			t.Fatalf("plan from read findings: %v", err)
		}
	})
}

// FuzzUpgradeInput: a stored payload is turned into an upgrade or refused
// with an error, never a panic, and never sends a value the process was
// not given.
func FuzzUpgradeInput(f *testing.F) {
	for _, seed := range []string{``, `{}`, `null`, `{"auth":[{"externalId":"crm","authId":"a1"}]}`,
		`{"suppliedConfig":["region"],"suppliedAuth":["svc"]}`, `{"suppliedConfig":["missing"]}`, `{"auth":"x"}`} {
		f.Add([]byte(seed))
	}
	values := plan.Supplied{Config: map[string]string{"region": `"eu"`}, Auth: map[string]string{"svc": "auth-9"}}
	f.Fuzz(func(t *testing.T, payload []byte) {
		in, err := upgradeInput(store.Claim{InstanceID: "i", Owner: "o", Payload: payload}, values, true)
		if err != nil {
			return
		}
		if in.InstanceID != "i" || in.AsUser != "o" || !in.AtMostOnce {
			t.Fatalf("upgrade %+v", in)
		}
		for _, c := range in.ConfigValues {
			if values.Config[c.ExternalID] != string(c.Value) {
				t.Fatalf("sends %s=%s, not a supplied value", c.ExternalID, c.Value)
			}
		}
	})
}

// FuzzIssueControls: any issue body (people write them) yields known
// controls only, and the rollout it names only from the marker.
func FuzzIssueControls(f *testing.F) {
	body := IssueBody(Progress{Rollout: store.Rollout{ID: 3, Package: "p", Version: "1.0.0", Environment: "e"},
		Counts: map[store.InstanceState]int{}}, "0.9.0", time.Unix(0, 0))
	for _, seed := range []string{"", body, strings.ReplaceAll(body, "- [ ]", "- [x]"), "- [x] x <!-- breakwater-control:pause -->",
		"<!-- breakwater-rollout:99999999999999999999999 -->", "* [X] y <!-- breakwater-control:rollback -->\r\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, c := range CheckedControls(body) {
			switch c {
			case ControlPause, ControlResume, ControlRetry, ControlRollback:
			default:
				t.Fatalf("unknown control %q", c)
			}
		}
		if id := IssueRollout(body); id != 0 && !strings.Contains(body, issueMarker(id)) {
			t.Fatalf("rollout %d from a body without its marker", id)
		}
	})
}
