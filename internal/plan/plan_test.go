package plan

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
)

var update = flag.Bool("update", false, "rewrite golden files")

// Findings of every class, as the Tray differ and the classifier make them.
var (
	fDefault       = Finding{Rule: "tray/config-default-changed", Upgrade: UpgradeNone, Slot: &Slot{Kind: ConfigSlot, ExternalID: "limit", Change: SlotChanged, Required: true, HasDefault: true}}
	fWorkflow      = Finding{Rule: "tray/workflow-changed", Upgrade: UpgradeLazy}
	fScopes        = Finding{Rule: "tray/auth-scopes-added", Upgrade: UpgradeUserInput, Slot: &Slot{Kind: AuthSlot, ExternalID: "crm", Change: SlotChanged, Required: true}}
	fScopesHidden  = Finding{Rule: "tray/auth-scopes-added", Upgrade: UpgradeUserInput, Slot: &Slot{Kind: AuthSlot, ExternalID: "mail", Change: SlotChanged, Hidden: true, Required: true}}
	fEmailAdded    = Finding{Rule: "tray/config-slot-added-required", Upgrade: UpgradeUserInput, Slot: &Slot{Kind: ConfigSlot, ExternalID: "email", Change: SlotAdded, Required: true}}
	fRegionAdded   = Finding{Rule: "tray/config-slot-added-required", Upgrade: UpgradeSystemInput, Slot: &Slot{Kind: ConfigSlot, ExternalID: "region", Change: SlotAdded, Hidden: true, Required: true}}
	fBatchAdded    = Finding{Rule: "tray/config-slot-added-optional", Upgrade: UpgradeLazy, Slot: &Slot{Kind: ConfigSlot, ExternalID: "batch", Change: SlotAdded, Hidden: true, Required: true, HasDefault: true}}
	fHiddenDefault = Finding{Rule: "tray/config-slot-added-required", Upgrade: UpgradeSystemInput, Slot: &Slot{Kind: ConfigSlot, ExternalID: "zone", Change: SlotAdded, Static: true, Required: true, HasDefault: true}}
	fVaultAdded    = Finding{Rule: "tray/auth-slot-added", Upgrade: UpgradeSystemInput, Slot: &Slot{Kind: AuthSlot, ExternalID: "vault", Change: SlotAdded, Hidden: true, Required: true}}
	fRecreated     = Finding{Rule: "tray/auth-slot-recreated", Upgrade: UpgradeSystemInput, Slot: &Slot{Kind: AuthSlot, ExternalID: "crm", Change: SlotRecreated, Required: true}}
	fTypeHidden    = Finding{Rule: "tray/config-type-changed", Upgrade: UpgradeSystemInput, Slot: &Slot{Kind: ConfigSlot, ExternalID: "region", Change: SlotChanged, Hidden: true, Required: true}}
	fSlotRemoved   = Finding{Rule: "tray/auth-slot-removed", Upgrade: UpgradeLazy, Slot: &Slot{Kind: AuthSlot, ExternalID: "old", Change: SlotRemoved, Required: true}}
	fManual        = Finding{Rule: "vnext/state-removed", Upgrade: UpgradeManual}
	fSystemNoSlot  = Finding{Rule: "tray/auth-service-version-changed", Upgrade: UpgradeSystemInput}
)

var supplied = Supplied{
	Config: map[string]string{"region": `"eu-west"`, "email": `"support@example.com"`},
	Auth:   map[string]string{"vault": "auth-vault-owner", "mail": "auth-mail-owner"},
}

func instance(id string, edits ...func(*Instance)) Instance {
	in := Instance{ID: id, Name: "Instance " + id, Owner: "owner-" + id, Enabled: true}
	for _, e := range edits {
		e(&in)
	}
	return in
}

func withAuth(ext, id string) func(*Instance) {
	return func(in *Instance) { in.AuthValues = append(in.AuthValues, AuthValue{ext, id}) }
}

func withConfig(ext, v string) func(*Instance) {
	return func(in *Instance) { in.ConfigValues = append(in.ConfigValues, ConfigValue{ext, v}) }
}

func flags(newer, user, system bool) func(*Instance) {
	return func(in *Instance) { in.Flags = VersionFlags{newer, user, system} }
}

func disabled(in *Instance) { in.Enabled = false }

type wantPlan struct {
	action  Action
	auth    []AuthValue
	config  []ConfigValue
	missing []SlotRef
	reason  string // a substring
}

func check1(t *testing.T, p *Plan, w wantPlan) InstancePlan {
	t.Helper()
	all := append(append([]InstancePlan{}, p.Instances...), p.Disabled...)
	if len(all) != 1 {
		t.Fatalf("%d instances planned, want 1", len(all))
	}
	got := all[0]
	if got.Action != w.action {
		t.Errorf("action %s, want %s (reason: %s)", got.Action, w.action, got.Reason)
	}
	if d := cmp.Diff(nonNil(w.auth), got.AuthValues); d != "" {
		t.Errorf("authValues (-want +got):\n%s", d)
	}
	if d := cmp.Diff(nonNil(w.config), got.ConfigValues); d != "" {
		t.Errorf("configValues (-want +got):\n%s", d)
	}
	if d := cmp.Diff(w.missing, got.Missing); d != "" {
		t.Errorf("missing (-want +got):\n%s", d)
	}
	if !strings.Contains(got.Reason, w.reason) {
		t.Errorf("reason %q lacks %q", got.Reason, w.reason)
	}
	return got
}

// TestPrediction: every finding class against instances that hold or lack
// the values it concerns, one instance at a time.
func TestPrediction(t *testing.T) {
	resync := AuthValue{"crm", "auth-crm-1"}
	tests := []struct {
		name     string
		findings []Finding
		inst     Instance
		supplied Supplied
		want     wantPlan
	}{
		{name: "no findings", inst: instance("a"), want: wantPlan{action: Nothing, reason: "no change"}},
		{name: "no effect (none)", findings: []Finding{fDefault}, inst: instance("a"), want: wantPlan{action: Nothing}},
		{name: "lazy", findings: []Finding{fWorkflow, fDefault}, inst: instance("a"), want: wantPlan{action: Lazy, reason: "picked up automatically"}},
		{name: "removed slot is lazy", findings: []Finding{fSlotRemoved}, inst: instance("a", withAuth("old", "x")), want: wantPlan{action: Lazy}},
		{name: "optional new slot is lazy", findings: []Finding{fBatchAdded}, inst: instance("a"), want: wantPlan{action: Lazy}},
		{name: "new scopes: user input", findings: []Finding{fScopes, fWorkflow}, inst: instance("a", withAuth("crm", "c")),
			want: wantPlan{action: UserInput, reason: "Config Wizard"}},
		{name: "new scopes on a hidden slot: the owner's authId", findings: []Finding{fScopesHidden}, supplied: supplied,
			inst: instance("a", withAuth("mail", "old")),
			want: wantPlan{action: SystemInput, auth: []AuthValue{{"mail", "auth-mail-owner"}}, reason: "owner's authId"}},
		{name: "new required visible slot, lacking", findings: []Finding{fEmailAdded}, supplied: supplied, inst: instance("a"),
			want: wantPlan{action: UserInput}},
		{name: "new required visible slot, already held", findings: []Finding{fEmailAdded}, inst: instance("a", withConfig("email", `"me@x.org"`)),
			want: wantPlan{action: Lazy, reason: "already holds a value"}},
		{name: "new hidden slot, supplied", findings: []Finding{fRegionAdded}, supplied: supplied, inst: instance("a"),
			want: wantPlan{action: SystemInput, config: []ConfigValue{{"region", `"eu-west"`}}, reason: "owner's value"}},
		{name: "new hidden slot, not supplied", findings: []Finding{fRegionAdded}, inst: instance("a"),
			want: wantPlan{action: SystemInput, missing: []SlotRef{{ConfigSlot, "region"}}, reason: "none was given"}},
		{name: "new hidden slot, already held", findings: []Finding{fRegionAdded}, supplied: supplied, inst: instance("a", withConfig("region", `"us"`)),
			want: wantPlan{action: Lazy, reason: "already holds"}},
		{name: "new static slot with a default", findings: []Finding{fHiddenDefault}, inst: instance("a"),
			want: wantPlan{action: Lazy, reason: "default"}},
		{name: "new hidden auth slot, supplied", findings: []Finding{fVaultAdded}, supplied: supplied, inst: instance("a"),
			want: wantPlan{action: SystemInput, auth: []AuthValue{{"vault", "auth-vault-owner"}}}},
		{name: "re-created slot: re-sync", findings: []Finding{fRecreated, fWorkflow}, supplied: supplied, inst: instance("a", withAuth("crm", "auth-crm-1")),
			want: wantPlan{action: AuthResync, auth: []AuthValue{resync}, reason: "current authId"}},
		{name: "re-created slot the instance never authenticated", findings: []Finding{fRecreated}, inst: instance("a"),
			want: wantPlan{action: Lazy, reason: "nothing to re-sync"}},
		{name: "re-sync and a new hidden slot", findings: []Finding{fRecreated, fRegionAdded}, supplied: supplied, inst: instance("a", withAuth("crm", "auth-crm-1")),
			want: wantPlan{action: SystemInput, auth: []AuthValue{resync}, config: []ConfigValue{{"region", `"eu-west"`}}}},
		{name: "re-sync and new scopes: the user-input upgrade carries the re-sync", findings: []Finding{fRecreated, fScopes}, inst: instance("a", withAuth("crm", "auth-crm-1")),
			want: wantPlan{action: UserInput, auth: []AuthValue{resync}}},
		{name: "hidden slot changes type: the held value no longer fits", findings: []Finding{fTypeHidden}, supplied: supplied, inst: instance("a", withConfig("region", `7`)),
			want: wantPlan{action: SystemInput, config: []ConfigValue{{"region", `"eu-west"`}}}},
		{name: "two findings on one slot send one value", findings: []Finding{fTypeHidden, fRegionAdded}, supplied: supplied, inst: instance("a"),
			want: wantPlan{action: SystemInput, config: []ConfigValue{{"region", `"eu-west"`}}}},
		{name: "manual", findings: []Finding{fManual}, inst: instance("a"), want: wantPlan{action: UserInput, reason: "no safe automation"}},
		{name: "system input naming no slot", findings: []Finding{fSystemNoSlot}, inst: instance("a"), want: wantPlan{action: SystemInput, reason: "no value is known"}},
		{name: "disabled instances are planned apart", findings: []Finding{fScopes}, inst: instance("a", disabled), want: wantPlan{action: UserInput}},
		{name: "behind an earlier version", findings: []Finding{fWorkflow}, inst: instance("a", flags(true, false, false)), want: wantPlan{action: Lazy, reason: "earlier published version"}},
		{name: "null counts as no value", findings: []Finding{fRegionAdded}, supplied: supplied, inst: instance("a", withConfig("region", "null")),
			want: wantPlan{action: SystemInput, config: []ConfigValue{{"region", `"eu-west"`}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Build(Input{Mode: ModePrediction, Diffed: true, Findings: tt.findings, Instances: []Instance{tt.inst}, Supplied: tt.supplied})
			if err != nil {
				t.Fatal(err)
			}
			got := check1(t, p, tt.want)
			counts := p.Counts
			if !tt.inst.Enabled {
				counts = p.DisabledCounts
				if len(p.Instances) != 0 || p.Counts[got.Action] != 0 {
					t.Errorf("a disabled instance is counted: %+v", p.Counts)
				}
			}
			if counts[got.Action] != 1 {
				t.Errorf("counts %v", counts)
			}
			wizard := tt.inst.Enabled && got.Action == UserInput
			if (len(p.ConfigWizard) == 1) != wizard {
				t.Errorf("config wizard list %+v", p.ConfigWizard)
			}
			if got.Action == AuthResync && !cmp.Equal(p.AuthResyncs, []Resync{{"a", "owner-a", "crm", "auth-crm-1"}}) {
				t.Errorf("auth re-syncs %+v", p.AuthResyncs)
			}
		})
	}
}

// TestFlags: after publishing, the flags decide by the decision table; the
// findings only supply values, and contradictions are reported.
func TestFlags(t *testing.T) {
	predictResync := []Finding{fRecreated, fWorkflow}
	predictSystem := []Finding{fRecreated, fRegionAdded}
	held := withAuth("crm", "auth-crm-1")
	tests := []struct {
		name     string
		findings []Finding
		diffed   bool
		supplied Supplied
		inst     Instance
		want     wantPlan
		disagree *Disagreement
	}{
		{name: "no newer version", findings: predictSystem, diffed: true, supplied: supplied, inst: instance("a", held, flags(false, false, false)),
			want: wantPlan{action: Nothing, reason: "no newer version"}},
		{name: "no newer version, yet input required", findings: predictSystem, diffed: true, inst: instance("a", held, flags(false, true, true)),
			want:     wantPlan{action: Nothing, reason: "inconsistent"},
			disagree: &Disagreement{InstanceID: "a", Owner: "owner-a", Predicted: SystemInput, Flags: Nothing, Reason: "flags say input is required but no newer version exists"}},
		{name: "newer version only", findings: []Finding{fWorkflow}, diffed: true, inst: instance("a", flags(true, false, false)),
			want: wantPlan{action: Lazy, reason: "picked up automatically"}},
		{name: "system input, re-sync only", findings: predictResync, diffed: true, inst: instance("a", held, flags(true, false, true)),
			want: wantPlan{action: AuthResync, auth: []AuthValue{{"crm", "auth-crm-1"}}, reason: "re-syncing"}},
		{name: "system input with values", findings: predictSystem, diffed: true, supplied: supplied, inst: instance("a", held, flags(true, false, true)),
			want: wantPlan{action: SystemInput, auth: []AuthValue{{"crm", "auth-crm-1"}}, config: []ConfigValue{{"region", `"eu-west"`}}}},
		{name: "user input carries the owner's values", findings: predictSystem, diffed: true, supplied: supplied, inst: instance("a", held, flags(true, true, false)),
			want:     wantPlan{action: UserInput, auth: []AuthValue{{"crm", "auth-crm-1"}}, config: []ConfigValue{{"region", `"eu-west"`}}, reason: "Config Wizard"},
			disagree: &Disagreement{InstanceID: "a", Owner: "owner-a", Predicted: SystemInput, Flags: UserInput}},
		{name: "user and system input", findings: []Finding{fScopes, fRegionAdded}, diffed: true, supplied: supplied, inst: instance("a", flags(true, true, true)),
			want: wantPlan{action: UserInput, config: []ConfigValue{{"region", `"eu-west"`}}}},
		{name: "flags win over a user-input prediction", findings: []Finding{fScopes}, diffed: true, supplied: supplied, inst: instance("a", flags(true, false, true)),
			want:     wantPlan{action: SystemInput, auth: []AuthValue{{"mail", "auth-mail-owner"}, {"vault", "auth-vault-owner"}}, config: []ConfigValue{{"email", `"support@example.com"`}, {"region", `"eu-west"`}}, reason: "supplied values"},
			disagree: &Disagreement{InstanceID: "a", Owner: "owner-a", Predicted: UserInput, Flags: SystemInput}},
		{name: "lazy by flags although an upgrade was predicted", findings: predictSystem, diffed: true, supplied: supplied, inst: instance("a", held, flags(true, false, false)),
			want:     wantPlan{action: Lazy},
			disagree: &Disagreement{InstanceID: "a", Owner: "owner-a", Predicted: SystemInput, Flags: Lazy}},
		{name: "flags alone: supplied values the instance lacks", supplied: supplied, inst: instance("a", withConfig("region", `"us"`), withAuth("mail", "m"), flags(true, false, true)),
			want: wantPlan{action: SystemInput, auth: []AuthValue{{"vault", "auth-vault-owner"}}, config: []ConfigValue{{"email", `"support@example.com"`}}}},
		{name: "flags alone, nothing supplied", inst: instance("a", flags(true, false, true)),
			want: wantPlan{action: SystemInput, reason: "no value is known"}},
		{name: "flags alone, user input", inst: instance("a", flags(true, true, false)), want: wantPlan{action: UserInput}},
		{name: "disabled", findings: predictSystem, diffed: true, inst: instance("a", disabled, flags(true, true, false)),
			want:     wantPlan{action: UserInput, missing: []SlotRef{{ConfigSlot, "region"}}},
			disagree: &Disagreement{InstanceID: "a", Owner: "owner-a", Predicted: SystemInput, Flags: UserInput}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Build(Input{Mode: ModeFlags, Diffed: tt.diffed, Findings: tt.findings, Instances: []Instance{tt.inst}, Supplied: tt.supplied})
			if err != nil {
				t.Fatal(err)
			}
			got := check1(t, p, tt.want)
			if tt.disagree == nil {
				if len(p.Disagreements) != 0 || got.Predicted != "" {
					t.Errorf("unexpected disagreement %+v (predicted %q)", p.Disagreements, got.Predicted)
				}
				return
			}
			if len(p.Disagreements) != 1 {
				t.Fatalf("disagreements %+v, want 1", p.Disagreements)
			}
			d := p.Disagreements[0]
			if tt.disagree.Reason == "" {
				d.Reason = ""
			}
			if diff := cmp.Diff(*tt.disagree, d); diff != "" {
				t.Errorf("disagreement (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"unknown mode", Input{Mode: "guess"}, "unknown mode"},
		{"prediction without a diff", Input{Mode: ModePrediction}, "needs the findings of a diff"},
		{"instance without ID", Input{Mode: ModeFlags, Instances: []Instance{{}}}, "has no ID"},
		{"duplicate instance", Input{Mode: ModeFlags, Instances: []Instance{instance("a"), instance("a")}}, `"a" is listed twice`},
		{"config value not JSON", Input{Mode: ModeFlags, Supplied: Supplied{Config: map[string]string{"email": "support@example.com"}}}, `"\"support@example.com\""`},
		{"empty authId", Input{Mode: ModeFlags, Supplied: Supplied{Auth: map[string]string{"vault": " "}}}, `auth slot "vault" is empty`},
	}
	for _, tt := range tests {
		_, err := Build(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestFromChange(t *testing.T) {
	got := FromChange([]change.Finding{
		{Rule: "tray/config-slot-added-required", Upgrade: change.SystemInput, Fingerprint: "abc", Message: "New slot.",
			Slot: &change.SlotRef{Kind: change.ConfigSlot, ExternalID: "region", Change: change.SlotAdded, Hidden: true, Required: true, HasDefault: true, Default: json.RawMessage(`"x"`)}},
		{Rule: "tray/workflow-changed", Upgrade: change.Lazy},
	})
	want := []Finding{
		{Rule: "tray/config-slot-added-required", Upgrade: UpgradeSystemInput, Fingerprint: "abc", Message: "New slot.",
			Slot: &Slot{Kind: ConfigSlot, ExternalID: "region", Change: SlotAdded, Hidden: true, Required: true, HasDefault: true}},
		{Rule: "tray/workflow-changed", Upgrade: UpgradeLazy},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// The plan's vocabulary is the change model's.
	for _, u := range []change.Upgrade{change.Lazy, change.SystemInput, change.UserInput, change.Manual, change.NoUpgrade} {
		switch Upgrade(u) {
		case UpgradeLazy, UpgradeSystemInput, UpgradeUserInput, UpgradeManual, UpgradeNone:
		default:
			t.Errorf("change.Upgrade %q has no plan counterpart", u)
		}
	}
	for _, c := range []change.SlotChange{change.SlotAdded, change.SlotChanged, change.SlotRecreated, change.SlotRemoved} {
		switch SlotChange(c) {
		case SlotAdded, SlotChanged, SlotRecreated, SlotRemoved:
		default:
			t.Errorf("change.SlotChange %q has no plan counterpart", c)
		}
	}
}

// TestGoldenJSON pins the JSON form the bot and `breakwater plan` print: a
// mixed population in both modes.
func TestGoldenJSON(t *testing.T) {
	instances := []Instance{
		instance("i1", withAuth("crm", "auth-crm-1"), withConfig("region", `"us"`)),
		instance("i2", withAuth("crm", "auth-crm-2")),
		instance("i3"),
		instance("i4", withAuth("crm", "auth-crm-4"), disabled),
		instance("i5", withConfig("email", `"me@example.org"`)),
	}
	flagsOf := []VersionFlags{{true, false, true}, {true, false, true}, {true, true, true}, {true, false, true}, {false, false, false}}
	for _, mode := range []Mode{ModePrediction, ModeFlags} {
		in := Input{Mode: mode, Diffed: true, Findings: []Finding{fRecreated, fRegionAdded, fEmailAdded, fWorkflow},
			Supplied: Supplied{Config: map[string]string{"region": `"eu-west"`}}}
		for i, inst := range instances {
			if mode == ModeFlags {
				inst.Flags = flagsOf[i]
			}
			in.Instances = append(in.Instances, inst)
		}
		p, err := Build(in)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		if err := enc.Encode(p); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "golden", string(mode)+".json")
		if *update {
			if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(string(want), b.String()); d != "" {
			t.Errorf("%s differs (-want +got), rerun with -update if intended:\n%s", golden, d)
		}
	}
}
