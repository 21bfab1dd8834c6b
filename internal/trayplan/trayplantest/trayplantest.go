// Package trayplantest gives tests of upgrade plans a Tray export pair, a
// fake Tray population that covers every flag combination and value
// holding, and an oracle that says, instance by instance, what the plan
// must prescribe — written from the decision table of docs, not from
// internal/plan's code.
//
// The pair is a small Tray solution (testdata/base.project.json) whose head
// re-creates the hidden mail auth slot (external_mail), adds a visible
// required auth slot (external_chat) and a hidden required config slot
// without default (external_region).
package trayplantest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
)

//go:embed testdata/base.project.json
var baseExport string

// ExportPath is where the pair's export lives in a repository.
const ExportPath = "integrations/crm/solution.json"

// Pair is the export before and after the change.
func Pair() (base, head []byte) {
	s := baseExport
	for _, e := range [][2]string{
		{"\"id\": \"a2\",\n        \"auth_group\": \"g-mail\",", "\"id\": \"a8\",\n        \"auth_group\": \"g-mail8\","},
		{"\"scopes\": [\"send\"]\n      }", "\"scopes\": [\"send\"]\n      },\n      {\"id\": \"a3\", \"auth_group\": \"g-chat\", \"service_id\": \"svc-chat\", \"auth_app_id\": \"app-chat\", \"title\": \"Chat authentication\", \"external_id\": \"external_chat\", \"hidden\": false, \"scopes\": []}"},
		{"\"hidden\": true,\n        \"static\": true\n      }\n    ],", "\"hidden\": true,\n        \"static\": true\n      },\n      {\"id\": \"c4\", \"key\": \"region\", \"title\": \"Region\", \"external_id\": \"external_region\", \"type\": \"string\", \"required\": true, \"use_default_value\": false, \"hidden\": true}\n    ],"},
	} {
		if !strings.Contains(s, e[0]) {
			panic("trayplantest: the base export lacks " + e[0])
		}
		s = strings.Replace(s, e[0], e[1], 1)
	}
	return []byte(baseExport), []byte(s)
}

// Solution is the head as the fake Tray serves it once published.
func Solution(id string) traytest.Solution {
	return traytest.Solution{
		ID: id, Title: "CRM", Version: 2,
		AuthSlots: []traytest.Slot{
			{ExternalID: "external_crm", Title: "CRM authentication", Required: true},
			{ExternalID: "external_mail", Title: "Mail authentication", Hidden: true, Static: true, Required: true, Recreated: true},
			{ExternalID: "external_chat", Title: "Chat authentication", Required: true},
		},
		ConfigSlots: []traytest.Slot{
			{ExternalID: "external_limit", Title: "Limit", Required: true, Default: json.RawMessage("5")},
			{ExternalID: "external_region", Title: "Region", Hidden: true, Required: true},
		},
	}
}

// Seed adds the solution and n instances that cycle through every
// combination of: on the old or the new version, enabled or not, holding a
// value for each of the three changed slots or not; every 37th carries
// forced flags, cycling through all eight combinations (among them those
// Tray should never send: input required without a newer version, and a
// newer version that needs nothing, which this solution never derives).
// Owners are user-000… (owners of them). It returns the IDs in listing
// order.
func Seed(s *traytest.Server, solutionID string, n, owners int) []string {
	s.AddSolution(Solution(solutionID))
	var quirks []traytest.Flags
	for b := range 8 {
		quirks = append(quirks, traytest.Flags{HasNewerVersion: b&1 != 0, RequiresUserInput: b&2 != 0, RequiresSystemInput: b&4 != 0})
	}
	ids := make([]string, 0, n)
	for i := range n {
		bits := i % 32
		in := traytest.Instance{
			ID: fmt.Sprintf("%s-%05d", solutionID, i+1), Name: fmt.Sprintf("Customer %d", i+1),
			Owner: fmt.Sprintf("user-%03d", i%owners), SolutionID: solutionID,
			Enabled: bits&1 == 0, Version: 2 - bits>>1&1,
			Created:    time.Date(2025, 1, 1, 0, 0, i, 0, time.UTC),
			AuthValues: []traytest.AuthValue{{ExternalID: "external_crm", AuthID: fmt.Sprintf("crm-%d", i)}},
		}
		if bits&4 != 0 {
			in.AuthValues = append(in.AuthValues, traytest.AuthValue{ExternalID: "external_chat", AuthID: fmt.Sprintf("chat-%d", i)})
		}
		if bits&8 != 0 {
			in.AuthValues = append(in.AuthValues, traytest.AuthValue{ExternalID: "external_mail", AuthID: fmt.Sprintf("mail-%d", i)})
		}
		if bits&16 != 0 {
			in.ConfigValues = append(in.ConfigValues, traytest.ConfigValue{ExternalID: "external_region", Value: json.RawMessage(`"eu-west"`)})
		}
		if i%37 == 36 {
			q := quirks[(i/74)%len(quirks)] // each combination once enabled, once disabled
			in.Flags = &q
		}
		s.AddInstance(in)
		ids = append(ids, in.ID)
	}
	return ids
}

// Predicted is the action the pair's changes predict for an instance before
// publishing: the end user must connect the new chat slot unless the
// instance holds one; the owner must supply the new hidden region unless it
// holds one; the re-created hidden mail slot is re-synced with the
// instance's authId, or needs the owner's when it holds none. The most
// demanding wins.
func Predicted(in traytest.Instance) plan.Action {
	holds := func(id string) bool {
		for _, a := range in.AuthValues {
			if a.ExternalID == id {
				return true
			}
		}
		for _, c := range in.ConfigValues {
			if c.ExternalID == id {
				return true
			}
		}
		return false
	}
	switch {
	case !holds("external_chat"):
		return plan.UserInput
	case !holds("external_region"), !holds("external_mail"):
		return plan.SystemInput
	}
	return plan.AuthResync
}

// ByFlags is the decision table of the flags alone.
func ByFlags(f traytest.Flags) plan.Action {
	switch {
	case !f.HasNewerVersion:
		return plan.Nothing
	case f.RequiresUserInput:
		return plan.UserInput
	case f.RequiresSystemInput:
		return plan.SystemInput
	}
	return plan.Lazy
}
