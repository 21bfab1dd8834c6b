package tray

import (
	"encoding/json"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/google/go-cmp/cmp"
)

// TestSlotRefs: every finding about a slot names it (kind, external ID,
// what happened, who can supply its value) for the upgrade plan; findings
// about workflows name none.
func TestSlotRefs(t *testing.T) {
	crm := func(c change.SlotChange) *change.SlotRef {
		return &change.SlotRef{Kind: change.AuthSlot, ExternalID: "external_crm", Change: c, Required: true}
	}
	mail := func(c change.SlotChange) *change.SlotRef {
		return &change.SlotRef{Kind: change.AuthSlot, ExternalID: "external_mail", Change: c, Hidden: true, Static: true, Required: true}
	}
	folder := func(def string) *change.SlotRef {
		return &change.SlotRef{Kind: change.ConfigSlot, ExternalID: "external_folder", Change: change.SlotChanged, Required: true, Default: json.RawMessage(def)}
	}
	tests := []struct {
		name string
		base []edit
		head []edit
		want map[string]*change.SlotRef // rule → slot
	}{
		{name: "auth slot added, hidden", head: []edit{{lastAuthSlot, chatSlot(true)}},
			want: map[string]*change.SlotRef{"tray/auth-slot-added": {Kind: change.AuthSlot, ExternalID: "external_chat", Change: change.SlotAdded, Hidden: true, Required: true}}},
		{name: "auth slot removed", base: []edit{{lastAuthSlot, chatSlot(false)}},
			want: map[string]*change.SlotRef{"tray/auth-slot-removed": {Kind: change.AuthSlot, ExternalID: "external_chat", Change: change.SlotRemoved, Required: true}}},
		{name: "scopes added", head: []edit{{`"scopes": ["read", "write"]` + "\n", `"scopes": ["read", "write", "admin"]` + "\n"}},
			want: map[string]*change.SlotRef{"tray/auth-scopes-added": crm(change.SlotChanged)}},
		{name: "scopes removed", head: []edit{{`"scopes": ["read", "write"]` + "\n", `"scopes": ["read"]` + "\n"}},
			want: map[string]*change.SlotRef{"tray/auth-scopes-removed": crm(change.SlotChanged)}},
		{name: "environment changed", head: []edit{{`"auth_app_id": "app-mail"`, `"auth_app_id": "app-mail-2"`}},
			want: map[string]*change.SlotRef{"tray/auth-environment-changed": mail(change.SlotChanged)}},
		{name: "re-created, with the linked dropdown", head: []edit{
			{"\"id\": \"a1\",\n        \"auth_group\": \"g-crm\",", "\"id\": \"a9\",\n        \"auth_group\": \"g-crm9\","},
			{`"group": "g-crm"`, `"group": "g-crm9"`}, {`"auth_slot_id": "a1"`, `"auth_slot_id": "a9"`}, {`"authSlotId": "a1"`, `"authSlotId": "a9"`}},
			want: map[string]*change.SlotRef{"tray/auth-slot-recreated": crm(change.SlotRecreated), "tray/config-ddl-auth-changed": folder(`""`)}},
		{name: "config type changed", head: []edit{{`"type": "string",
        "default_value": "",`, `"type": "number",
        "default_value": 3,`}},
			want: map[string]*change.SlotRef{"tray/config-type-changed": folder(`3`), "tray/config-default-changed": folder(`3`)}},
		{name: "config slot added, required and hidden", head: []edit{{lastConfigSlot, newConfigSlot(true, false, true)}},
			want: map[string]*change.SlotRef{"tray/config-slot-added-required": {Kind: change.ConfigSlot, ExternalID: "external_region", Change: change.SlotAdded, Hidden: true, Required: true}}},
		{name: "config slot added, falls back to its default", head: []edit{{lastConfigSlot, newConfigSlot(true, true, false)}},
			want: map[string]*change.SlotRef{"tray/config-slot-added-optional": {Kind: change.ConfigSlot, ExternalID: "external_region", Change: change.SlotAdded, Required: true, HasDefault: true}}},
		{name: "config slot removed", base: []edit{{lastConfigSlot, newConfigSlot(false, false, false)}},
			want: map[string]*change.SlotRef{"tray/config-slot-removed": {Kind: change.ConfigSlot, ExternalID: "external_region", Change: change.SlotRemoved}}},
	}
	src := string(readFile(t, "testdata/minimal.project.json"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := parse(t, "base.json", []byte(apply(t, src, tt.base)))
			head := parse(t, "head.json", []byte(apply(t, src, tt.head)))
			got := map[string]*change.SlotRef{}
			for _, f := range Diff(base, head).Findings {
				if _, dup := got[f.Rule]; dup {
					t.Fatalf("rule %s fired twice", f.Rule)
				}
				got[f.Rule] = f.Slot
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("slots by rule (-want +got):\n%s", d)
			}
		})
	}
}

// TestSlotRefsOnRealSamples: on the real sample edits, exactly the slot
// rules (and the service rules that resolve to a slot) carry a slot.
func TestSlotRefsOnRealSamples(t *testing.T) {
	for _, variant := range []string{"bynder-dropbox.scope-added", "bynder-dropbox.config-added", "bynder-dropbox.config-changed",
		"bynder-dropbox.auth-recreated", "bynder-dropbox.workflow-edit", "webdam-getty.getty-recreated"} {
		sample := map[bool]string{true: "webdam-getty.project.json", false: "bynder-dropbox.project.json"}[variant[:6] == "webdam"]
		base := parseFile(t, "testdata/"+sample)
		head := parseFile(t, "testdata/variants/"+variant+".json")
		for _, f := range Diff(base, head).Findings {
			slotRule := f.Category == change.CatAuth || f.Category == change.CatConfig
			if slotRule != (f.Slot != nil) {
				t.Errorf("%s: %s has slot %+v", variant, f.Rule, f.Slot)
			}
			if f.Slot != nil && (f.Slot.ExternalID == "" || f.Slot.Change == "") {
				t.Errorf("%s: %s has an incomplete slot %+v", variant, f.Rule, f.Slot)
			}
		}
	}
}
