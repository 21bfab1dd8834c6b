package traytest

import (
	"encoding/json"
	"fmt"
	"time"
)

// Solution is a solution and its newest published version. Instances on an
// older version have a newer one; what moving to it needs follows from the
// slots, as Tray derives it:
//   - a required hidden or static slot the instance holds no value for
//     needs system input (the owner passes the value);
//   - a re-created auth slot the instance holds an authId for needs system
//     input (the owner re-syncs it with that authId);
//   - a required visible slot the instance holds no value for needs user
//     input (the end user runs the Config Wizard).
type Solution struct {
	ID, Title   string
	Tags        []string
	Version     int // the newest published version, 1 or more
	AuthSlots   []Slot
	ConfigSlots []Slot
}

// Slot is an auth or config slot of the newest version.
type Slot struct {
	ExternalID, Title string
	Hidden, Static    bool
	Required          bool
	// Default is a config slot's default (raw JSON); a required slot with
	// a default never needs a value.
	Default json.RawMessage
	// Recreated marks an auth slot re-created in the newest version.
	Recreated bool
}

func (s Slot) system() bool { return s.Hidden || s.Static }

// Instance is a solution instance the fake serves.
type Instance struct {
	ID, Name, Owner string
	SolutionID      string
	Enabled         bool
	Created         time.Time
	// Version is the solution version the instance runs (default: the
	// solution's newest).
	Version      int
	AuthValues   []AuthValue
	ConfigValues []ConfigValue
	// Flags, when set, replaces the derived solutionVersionFlags until the
	// next upgrade: Tray quirks, e.g. "requires user input" with no newer
	// version.
	Flags *Flags
}

// Flags are solutionVersionFlags.
type Flags struct {
	HasNewerVersion, RequiresUserInput, RequiresSystemInput bool
}

// AuthValue is an auth slot value.
type AuthValue struct{ ExternalID, AuthID string }

// ConfigValue is a config slot value, raw JSON.
type ConfigValue struct {
	ExternalID string
	Value      json.RawMessage
}

type instance struct {
	Instance
	seq int // creation order: cursors and listing order
}

func (in *instance) authValue(id string) (string, bool) {
	for _, a := range in.AuthValues {
		if a.ExternalID == id {
			return a.AuthID, true
		}
	}
	return "", false
}

func (in *instance) hasConfig(id string) bool {
	for _, c := range in.ConfigValues {
		if c.ExternalID == id {
			return true
		}
	}
	return false
}

// flags derives solutionVersionFlags (see Solution).
func flagsOf(in *instance, sol *Solution) Flags {
	if in.Flags != nil {
		return *in.Flags
	}
	if in.Version >= sol.Version {
		return Flags{}
	}
	f := Flags{HasNewerVersion: true}
	need := func(s Slot, has bool) {
		switch {
		case has || !s.Required || len(s.Default) > 0:
		case s.system():
			f.RequiresSystemInput = true
		default:
			f.RequiresUserInput = true
		}
	}
	for _, s := range sol.AuthSlots {
		_, has := in.authValue(s.ExternalID)
		if s.Recreated && has {
			f.RequiresSystemInput = true
			continue
		}
		need(s, has)
	}
	for _, s := range sol.ConfigSlots {
		need(s, in.hasConfig(s.ExternalID))
	}
	return f
}

// GeneratedSolution is the solution Generate serves: version 2 adds a
// required hidden config slot (system input), re-creates an auth slot (a
// re-sync) and adds a required visible auth slot (user input).
func GeneratedSolution(id string) Solution {
	return Solution{
		ID: id, Title: "Generated " + id, Tags: []string{"generated"}, Version: 2,
		AuthSlots: []Slot{
			{ExternalID: "crm_auth", Title: "CRM", Recreated: true},
			{ExternalID: "new_service_auth", Title: "New service", Required: true},
		},
		ConfigSlots: []Slot{
			{ExternalID: "region", Title: "Region", Hidden: true, Required: true},
			{ExternalID: "email", Title: "Support e-mail", Default: json.RawMessage(`"support@example.com"`)},
		},
	}
}

// GenerateOptions shape Generate's instances.
type GenerateOptions struct {
	// Owners is how many end users own the instances (default 50).
	Owners int
	// Quirks adds the flag combinations Tray should never send (input
	// required with no newer version) to every 16th instance, so that every
	// one of the eight combinations occurs.
	Quirks bool
}

// Generate adds GeneratedSolution(solutionID) and n instances of it that
// cycle through every derived flag combination, enabled and disabled, with
// and without the values the new version needs. IDs are
// "<solutionID>-inst-00001"…; it returns them in listing order.
func (s *Server) Generate(solutionID string, n int, o GenerateOptions) []string {
	if o.Owners <= 0 {
		o.Owners = 50
	}
	s.AddSolution(GeneratedSolution(solutionID))
	quirks := []Flags{{false, true, false}, {false, false, true}, {false, true, true}}
	ids := make([]string, 0, n)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		bits := i % 32
		old, hasRegion, hasCRM, hasNew, enabled := bits&1 != 0, bits&2 != 0, bits&4 != 0, bits&8 != 0, bits&16 == 0
		in := Instance{
			ID:         fmt.Sprintf("%s-inst-%05d", solutionID, i+1),
			Name:       fmt.Sprintf("Instance %d", i+1),
			Owner:      fmt.Sprintf("user-%03d", i%o.Owners),
			SolutionID: solutionID, Enabled: enabled,
			Created: base.Add(time.Duration(i) * time.Minute),
			Version: 2,
		}
		if old {
			in.Version = 1
		}
		if hasRegion {
			in.ConfigValues = append(in.ConfigValues, ConfigValue{"region", json.RawMessage(`"eu-west"`)})
		}
		in.ConfigValues = append(in.ConfigValues, ConfigValue{"batch_size", json.RawMessage(fmt.Sprint(i % 100))})
		if hasCRM {
			in.AuthValues = append(in.AuthValues, AuthValue{"crm_auth", fmt.Sprintf("auth-crm-%d", i+1)})
		}
		if hasNew {
			in.AuthValues = append(in.AuthValues, AuthValue{"new_service_auth", fmt.Sprintf("auth-new-%d", i+1)})
		}
		if o.Quirks && i%16 == 15 {
			q := quirks[(i/16)%len(quirks)]
			in.Flags = &q
		}
		s.AddInstance(in)
		ids = append(ids, in.ID)
	}
	return ids
}
