package tray

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

func authSlotsOf(e *Export) []*AuthSlot {
	if e.Solution == nil {
		return nil
	}
	return e.Solution.AuthSlots
}

func configSlotsOf(e *Export) []*ConfigSlot {
	if e.Solution == nil {
		return nil
	}
	return e.Solution.ConfigSlots
}

// index maps each element's key to it. Of elements that share a key
// (invalid input), the one whose rank is smallest wins, so that what a
// message names never depends on the order of the file.
func index[T any](items []T, key func(T) string, rank func(T) string) map[string]T {
	m := make(map[string]T, len(items))
	for _, it := range items {
		if k := key(it); k != "" {
			if prev, seen := m[k]; !seen || rank(it) < rank(prev) {
				m[k] = it
			}
		}
	}
	return m
}

// authRank orders auth slots that share a key: by what messages call
// them, then by internal id.
func authRank(a *AuthSlot) string { return a.Name() + "\x00" + a.ID + "\x00" + a.AuthGroup }

func authSubject(a *AuthSlot) string     { return "auth_slots[" + a.Identity() + "]" }
func configSubject(c *ConfigSlot) string { return "config_slots[" + c.Identity() + "]" }

func (d *differ) authSlots() {
	d.newAuthGroups = map[string]bool{}
	hash := func(side change.Side, a *AuthSlot) uint64 { return d.content.Hash(side, a.Pointer) }
	for _, m := range formats.Match(authSlotsOf(d.base), authSlotsOf(d.head), (*AuthSlot).Identity, hash) {
		d.note = m.Note("auth slots", fmt.Sprintf("the identity %q", m.Identity), fmt.Sprintf("the one with id %q", m.Latest().ID))
		switch {
		case !m.InBase:
			h := m.Head
			if h.AuthGroup != "" {
				d.newAuthGroups[h.AuthGroup] = true
			}
			f := d.add(ruleAuthSlotAdded, authSubject(h), change.Head, nil, h.Pointer,
				fmt.Sprintf("New auth slot %q asks every deployed instance to authenticate a service it has not authenticated before.", h.Name()))
			f.After, f.NoEndUser = h.Name(), h.Hidden || h.Static
			f.Slot = authSlotRef(h, change.SlotAdded)
		case !m.InHead:
			b := m.Base
			f := d.add(ruleAuthSlotRemoved, authSubject(b), change.Base, nil, b.Pointer,
				fmt.Sprintf("Auth slot %q is removed, so the authentications instances stored for it are orphaned.", b.Name()))
			f.Before, f.NoEndUser = b.Name(), b.Hidden || b.Static
			f.Slot = authSlotRef(b, change.SlotRemoved)
		default:
			d.authSlotChanged(m.Base, m.Head)
		}
	}
	d.note = ""
}

// authSlotRef and configSlotRef tell the upgrade plan which slot a finding
// is about, keyed as instances key their values (external_id, else the
// identity the slots are matched by).
func authSlotRef(a *AuthSlot, c change.SlotChange) *change.SlotRef {
	return &change.SlotRef{Kind: change.AuthSlot, ExternalID: a.Identity(), Change: c,
		Hidden: a.Hidden, Static: a.Static, Required: true}
}

func configSlotRef(s *ConfigSlot, c change.SlotChange) *change.SlotRef {
	r := &change.SlotRef{Kind: change.ConfigSlot, ExternalID: s.Identity(), Change: c,
		Hidden: s.Hidden, Static: s.Static, Required: s.Required, HasDefault: s.UseDefault}
	if s.Default != nil && s.Default.Kind != jsonpos.Null {
		r.Default = json.RawMessage(jsonpos.Canonical(s.Default))
	}
	return r
}

func (d *differ) authSlotChanged(b, h *AuthSlot) {
	noEndUser := h.Hidden || h.Static
	added, firstAdded := missingFrom(h, b)
	removed, firstRemoved := missingFrom(b, h)
	// The findings point at the first of the scopes in alphabetical order
	// (scopes are a set), and the extents of the rules (coverage.go) speak
	// for the others.
	scopePointer := func(a *AuthSlot, i int) string { return jsonpos.Pointer(a.Pointer, "scopes", i) }
	before, after := sortedCopy(b.Scopes), sortedCopy(h.Scopes)
	if len(added) > 0 {
		f := d.add(ruleAuthScopesAdded, authSubject(h)+"/scopes", change.Head, h.scopeValues[firstAdded], scopePointer(h, firstAdded),
			fmt.Sprintf("Auth slot %q asks for new %s %s, so end users must re-authorise it.", h.Name(), plural(len(added), "scope", "scopes"), strings.Join(added, ", ")))
		*f = f.With(before, after)
		f.NoEndUser, f.Slot = noEndUser, authSlotRef(h, change.SlotChanged)
	}
	if len(removed) > 0 {
		f := d.add(ruleAuthScopesRemoved, authSubject(b)+"/scopes", change.Base, b.scopeValues[firstRemoved], scopePointer(b, firstRemoved),
			fmt.Sprintf("Auth slot %q no longer asks for %s %s.", h.Name(), plural(len(removed), "scope", "scopes"), strings.Join(removed, ", ")))
		*f = f.With(before, after)
		f.NoEndUser, f.Slot = noEndUser, authSlotRef(h, change.SlotChanged)
	}
	switch {
	case b.ServiceID != h.ServiceID || b.AuthAppID != h.AuthAppID:
		field, what := "service_id", "service"
		if b.ServiceID == h.ServiceID {
			field, what = "auth_app_id", "OAuth app"
		}
		f := d.add(ruleAuthEnvironmentChanged, authSubject(h)+"/environment", change.Head, nil, jsonpos.Pointer(h.Pointer, field),
			fmt.Sprintf("Auth slot %q now uses another %s, so end users must authenticate again.", h.Name(), what))
		*f = f.With(map[string]any{"service_id": b.ServiceID, "auth_app_id": b.AuthAppID},
			map[string]any{"service_id": h.ServiceID, "auth_app_id": h.AuthAppID})
		f.NoEndUser, f.Slot = noEndUser, authSlotRef(h, change.SlotChanged)
	case len(added) == 0 && len(removed) == 0 && (b.ID != h.ID || b.AuthGroup != h.AuthGroup):
		field := "id"
		if b.ID == h.ID {
			field = "auth_group"
		}
		f := d.add(ruleAuthSlotRecreated, authSubject(h), change.Head, nil, jsonpos.Pointer(h.Pointer, field),
			fmt.Sprintf("Auth slot %q was re-created, so every instance must be upgraded with its existing authId for this slot.", h.Name()))
		*f = f.With(map[string]any{"id": b.ID, "auth_group": b.AuthGroup}, map[string]any{"id": h.ID, "auth_group": h.AuthGroup})
		f.NoEndUser, f.Slot = noEndUser, authSlotRef(h, change.SlotRecreated)
	}
}

// missingFrom lists, sorted, the scopes of a that b lacks, and the index in
// a of the first of them in that order (where the annotation goes).
func missingFrom(a, b *AuthSlot) ([]string, int) {
	have := make(map[string]bool, len(b.Scopes))
	for _, s := range b.Scopes {
		have[s] = true
	}
	var missing []string
	for _, s := range a.Scopes {
		if !have[s] {
			have[s] = true // report a duplicated scope once
			missing = append(missing, s)
		}
	}
	slices.Sort(missing)
	if len(missing) == 0 {
		return nil, -1
	}
	return missing, slices.Index(a.Scopes, missing[0])
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...) // never nil: an empty list prints as []
	slices.Sort(out)
	return slices.Compact(out)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (d *differ) configSlots() {
	baseAuth := index(authSlotsOf(d.base), func(a *AuthSlot) string { return a.ID }, authRank)
	headAuth := index(authSlotsOf(d.head), func(a *AuthSlot) string { return a.ID }, authRank)
	hash := func(side change.Side, c *ConfigSlot) uint64 { return d.content.Hash(side, c.Pointer) }
	for _, m := range formats.Match(configSlotsOf(d.base), configSlotsOf(d.head), (*ConfigSlot).Identity, hash) {
		d.note = m.Note("config slots", fmt.Sprintf("the identity %q", m.Identity), fmt.Sprintf("the one with id %q", m.Latest().ID))
		switch {
		case !m.InBase:
			d.configSlotAdded(m.Head)
		case !m.InHead:
			b := m.Base
			f := d.add(ruleConfigSlotRemoved, configSubject(b), change.Base, nil, b.Pointer,
				fmt.Sprintf("Config slot %q is removed, so the values instances stored for it are orphaned.", b.Name()))
			f.Before, f.NoEndUser = b.Name(), b.Hidden || b.Static
			f.Slot = configSlotRef(b, change.SlotRemoved)
		default:
			d.configSlotChanged(m.Base, m.Head, baseAuth, headAuth)
		}
	}
	d.note = ""
}

// configSlotChanged reports what changed in a config slot present on both
// sides.
func (d *differ) configSlotChanged(b, h *ConfigSlot, baseAuth, headAuth map[string]*AuthSlot) {
	noEndUser := h.Hidden || h.Static
	if b.Type != h.Type {
		f := d.add(ruleConfigTypeChanged, configSubject(h)+"/type", change.Head, nil, jsonpos.Pointer(h.Pointer, "type"),
			fmt.Sprintf("Config slot %q changes type from %s to %s, so values stored by instances no longer fit.", h.Name(), orNone(b.Type), orNone(h.Type)))
		*f = f.With(b.Type, h.Type)
		f.NoEndUser, f.Slot = noEndUser, configSlotRef(h, change.SlotChanged)
	}
	if (b.Lookup != nil || h.Lookup != nil) && !jsonpos.Equal(b.Lookup, h.Lookup) {
		ptr := h.LookupPointer
		if h.Lookup == nil {
			ptr = h.Pointer
		}
		f := d.add(ruleConfigDDLChanged, configSubject(h)+"/lookup", change.Head, h.Lookup, ptr,
			fmt.Sprintf("Dynamic dropdown %q changes its lookup, so end users must pick its value again.", h.Name()))
		*f = f.With(b.Lookup.Interface(), h.Lookup.Interface())
		f.NoEndUser, f.Slot = noEndUser, configSlotRef(h, change.SlotChanged)
	}
	d.configAuthLink(b, h, baseAuth, headAuth)
	if !jsonpos.Equal(b.Default, h.Default) {
		f := d.add(ruleConfigDefaultChanged, configSubject(h)+"/default_value", change.Head, h.Default, jsonpos.Pointer(h.Pointer, "default_value"),
			fmt.Sprintf("Config slot %q changes its default value; instances keep the value they stored.", h.Name()))
		*f = f.With(b.Default.Interface(), h.Default.Interface())
		f.NoEndUser, f.Slot = noEndUser, configSlotRef(h, change.SlotChanged)
	}
}

func (d *differ) configSlotAdded(h *ConfigSlot) {
	r, msg := ruleConfigSlotAddedOptional, "New optional config slot %q needs no action: instances run without it or with its default."
	if h.Required && !h.UseDefault {
		r, msg = ruleConfigSlotAddedRequired, "New required config slot %q has no default to fall back to, so every instance must be given a value."
	}
	f := d.add(r, configSubject(h), change.Head, nil, h.Pointer, fmt.Sprintf(msg, h.Name()))
	f.After, f.NoEndUser = h.Name(), h.Hidden || h.Static
	f.Slot = configSlotRef(h, change.SlotAdded)
}

// configAuthLink reports a config slot whose linked auth slot is another one
// than before, or the same one re-created.
func (d *differ) configAuthLink(b, h *ConfigSlot, baseAuth, headAuth map[string]*AuthSlot) {
	if b.AuthSlotID == "" && h.AuthSlotID == "" {
		return
	}
	bl, blSlot := linkIdentity(b.AuthSlotID, baseAuth)
	hl, hlSlot := linkIdentity(h.AuthSlotID, headAuth)
	var msg string
	switch {
	case bl != hl:
		msg = fmt.Sprintf("Config slot %q is now linked to %s instead of %s, so end users must pick its value again.",
			h.Name(), linkName(hl, hlSlot), linkName(bl, blSlot))
	case blSlot != nil && hlSlot != nil && (blSlot.ID != hlSlot.ID || blSlot.AuthGroup != hlSlot.AuthGroup):
		msg = fmt.Sprintf("Config slot %q is linked to auth slot %q, which was re-created, so end users must pick its value again.",
			h.Name(), hlSlot.Name())
	default:
		return
	}
	ptr := h.AuthSlotPointer
	if ptr == "" {
		ptr = h.Pointer
	}
	f := d.add(ruleConfigDDLAuthChanged, configSubject(h)+"/auth_slot", change.Head, nil, ptr, msg)
	*f = f.With(linkValue(bl, blSlot), linkValue(hl, hlSlot))
	f.NoEndUser, f.Slot = h.Hidden || h.Static, configSlotRef(h, change.SlotChanged)
}

// linkIdentity resolves an auth_slot_id to the linked slot's identity; an id
// that names no slot stands for itself.
func linkIdentity(id string, byID map[string]*AuthSlot) (string, *AuthSlot) {
	if id == "" {
		return "", nil
	}
	if a := byID[id]; a != nil && a.Identity() != "" {
		return a.Identity(), a
	}
	return "id:" + id, nil
}

func linkName(identity string, a *AuthSlot) string {
	switch {
	case a != nil:
		return fmt.Sprintf("auth slot %q", a.Name())
	case identity == "":
		return "no auth slot"
	}
	return fmt.Sprintf("unknown auth slot %q", strings.TrimPrefix(identity, "id:"))
}

func linkValue(identity string, a *AuthSlot) any {
	if identity == "" {
		return nil
	}
	v := map[string]any{"auth_slot": identity}
	if a != nil {
		v["id"], v["auth_group"] = a.ID, a.AuthGroup
	}
	return v
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
