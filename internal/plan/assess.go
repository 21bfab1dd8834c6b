package plan

import (
	"fmt"
	"slices"
	"strings"
)

// assessment is what the findings predict for one instance.
type assessment struct {
	action Action
	// auth and config are what an upgrade sends: re-syncs and the owner's
	// supplied values, one per slot.
	auth    []AuthValue
	config  []ConfigValue
	resyncs []AuthValue // the re-sync part of auth
	// missing are owner-only slots needing a value nobody supplied;
	// ownerSlots every owner-only slot that needs one (supplied or not).
	missing, ownerSlots []SlotRef
	// reasons by the action they raise to.
	reasons map[Action][]string
}

func (a *assessment) raise(to Action, reason string) {
	if to.rank() > a.action.rank() {
		a.action = to
	}
	if !slices.Contains(a.reasons[to], reason) {
		a.reasons[to] = append(a.reasons[to], reason)
	}
}

// reason explains the action: the reasons that raised it there.
func (a *assessment) reason() string {
	rs := a.reasons[a.action]
	if len(rs) == 0 {
		if a.action == Nothing {
			return "no change of the release affects deployed instances"
		}
		return string(a.action)
	}
	const most = 3
	if len(rs) > most {
		return strings.Join(rs[:most], "; ") + fmt.Sprintf("; and %d more", len(rs)-most)
	}
	return strings.Join(rs, "; ")
}

func (a *assessment) sendAuth(v AuthValue) {
	if !slices.ContainsFunc(a.auth, func(x AuthValue) bool { return x.ExternalID == v.ExternalID }) {
		a.auth = append(a.auth, v)
	}
}

func (a *assessment) sendConfig(v ConfigValue) {
	if !slices.ContainsFunc(a.config, func(x ConfigValue) bool { return x.ExternalID == v.ExternalID }) {
		a.config = append(a.config, v)
	}
}

// assess applies every finding to one instance.
func assess(inst Instance, findings []Finding, supplied Supplied) *assessment {
	a := &assessment{action: Nothing, reasons: map[Action][]string{}}
	for _, f := range findings {
		up, s := f.Upgrade, f.Slot
		if s != nil && s.ownerOnly() && up == UpgradeUserInput {
			up = UpgradeSystemInput // a hidden or static slot never needs the end user
		}
		what := f.Rule
		if s != nil {
			what = fmt.Sprintf("%s (%s slot %q)", f.Rule, s.Kind, s.ExternalID)
		}
		switch up {
		case UpgradeNone, "":
		case UpgradeLazy:
			a.raise(Lazy, what+": picked up automatically")
		case UpgradeManual:
			a.raise(UserInput, what+": no safe automation, someone must act")
		case UpgradeUserInput:
			if s != nil && s.Change == SlotAdded && holds(inst, s) {
				a.raise(Lazy, what+": it already holds a value for the new slot")
				continue
			}
			a.raise(UserInput, what+": the end user must act in the Config Wizard")
		case UpgradeSystemInput:
			a.systemInput(inst, f, what, supplied)
		default:
			a.raise(UserInput, fmt.Sprintf("%s: unknown upgrade class %q, assumed to need the end user", what, f.Upgrade))
		}
	}
	// Owner-suppliable values travel with any upgrade call, in slot order.
	slices.SortFunc(a.auth, func(x, y AuthValue) int { return strings.Compare(x.ExternalID, y.ExternalID) })
	slices.SortFunc(a.config, func(x, y ConfigValue) int { return strings.Compare(x.ExternalID, y.ExternalID) })
	return a
}

// systemInput is a change the owner handles without the end user.
func (a *assessment) systemInput(inst Instance, f Finding, what string, supplied Supplied) {
	s := f.Slot
	if s == nil {
		a.raise(SystemInput, what+": the owner must upgrade it; the change names no slot, so no value is known")
		return
	}
	ref := SlotRef{Kind: s.Kind, ExternalID: s.ExternalID}
	switch {
	case s.Change == SlotRecreated && s.Kind == AuthSlot:
		if id, ok := authOf(inst, s.ExternalID); ok {
			v := AuthValue{ExternalID: s.ExternalID, AuthID: id}
			a.sendAuth(v)
			if !slices.Contains(a.resyncs, v) {
				a.resyncs = append(a.resyncs, v)
			}
			a.raise(AuthResync, what+": re-synced with its current authId, nobody re-authenticates")
			return
		}
		if s.ownerOnly() {
			a.ownerValue(ref, what, supplied)
			return
		}
		a.raise(Lazy, what+": it holds no authentication for the re-created slot, nothing to re-sync")
	case s.Change == SlotAdded:
		switch {
		case holds(inst, s):
			a.raise(Lazy, what+": it already holds a value for the new slot")
		case s.HasDefault || !s.Required:
			a.raise(Lazy, what+": it falls back to the slot's default")
		default:
			a.ownerValue(ref, what, supplied)
		}
	case s.Change == SlotRemoved:
		a.raise(Lazy, what+": the slot is gone")
	default: // changed: the value it holds no longer fits
		a.ownerValue(ref, what, supplied)
	}
}

// ownerValue sends the owner's value for an owner-only slot, or records
// it as missing.
func (a *assessment) ownerValue(ref SlotRef, what string, supplied Supplied) {
	if !slices.Contains(a.ownerSlots, ref) {
		a.ownerSlots = append(a.ownerSlots, ref)
	}
	if ref.Kind == AuthSlot {
		if id, ok := supplied.Auth[ref.ExternalID]; ok {
			a.sendAuth(AuthValue{ExternalID: ref.ExternalID, AuthID: id})
			a.raise(SystemInput, what+": the owner's authId is sent")
			return
		}
	} else if v, ok := supplied.Config[ref.ExternalID]; ok {
		a.sendConfig(ConfigValue{ExternalID: ref.ExternalID, Value: v})
		a.raise(SystemInput, what+": the owner's value is sent")
		return
	}
	if !slices.Contains(a.missing, ref) {
		a.missing = append(a.missing, ref)
	}
	a.raise(SystemInput, what+": the owner must supply a value (configuration or secret), none was given")
}

func holds(inst Instance, s *Slot) bool {
	if s.Kind == AuthSlot {
		_, ok := authOf(inst, s.ExternalID)
		return ok
	}
	return hasConfig(inst, s.ExternalID)
}

func authOf(inst Instance, id string) (string, bool) {
	for _, v := range inst.AuthValues {
		if v.ExternalID == id && v.AuthID != "" {
			return v.AuthID, true
		}
	}
	return "", false
}

func hasConfig(inst Instance, id string) bool {
	for _, v := range inst.ConfigValues {
		if v.ExternalID == id && v.Value != "" && v.Value != "null" {
			return true
		}
	}
	return false
}
