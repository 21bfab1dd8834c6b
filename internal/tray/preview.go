package tray

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
)

// ReleasePreview is Tray's own verdict on publishing a solution's draft
// (POST /core/v1/solutions/{solutionId}/releases/previews). Breakwater
// compares it with its findings.
type ReleasePreview struct {
	ReleaseID              string      `json:"releaseId,omitempty"`
	BreakingChanges        bool        `json:"breakingChanges"`
	RequiresNewUserInput   bool        `json:"requiresNewUserInput"`
	RequiresNewSystemInput bool        `json:"requiresNewSystemInput"`
	AuthSlots              SlotChanges `json:"authSlots"`
	ConfigSlots            SlotChanges `json:"configSlots"`
}

// SlotChanges groups slot entries by what happened to them: "created",
// "updated" and whatever other groups Tray sends (kept, not dropped).
type SlotChanges map[string][]PreviewSlot

// Created and Updated are the documented groups.
func (s SlotChanges) Created() []PreviewSlot { return s["created"] }
func (s SlotChanges) Updated() []PreviewSlot { return s["updated"] }

// Groups lists the group names, sorted.
func (s SlotChanges) Groups() []string {
	var g []string
	for k := range s {
		g = append(g, k)
	}
	slices.Sort(g)
	return g
}

// PreviewSlot is one slot entry of a preview. Config slot entries use the
// subset of fields that applies to them.
type PreviewSlot struct {
	ID                    string               `json:"id"`
	AuthenticationID      string               `json:"authenticationId,omitempty"`
	Title                 string               `json:"title"`
	Description           string               `json:"description,omitempty"`
	ServiceID             string               `json:"serviceId,omitempty"`
	ServiceEnvironmentID  string               `json:"serviceEnvironmentId,omitempty"`
	Scopes                []string             `json:"scopes,omitempty"`
	ExternalID            string               `json:"externalId"`
	Static                bool                 `json:"static"`
	Hidden                bool                 `json:"hidden"`
	HasBreakingChange     bool                 `json:"hasBreakingChange"`
	Changes               []PreviewChange      `json:"changes,omitempty"`
	Recreated             bool                 `json:"recreated"`
	SlotRecreationReasons []SlotRecreateReason `json:"slotRecreationReasons,omitempty"`
	RecreatedFromSlotID   string               `json:"recreatedFromSlotId,omitempty"`
}

// PreviewChange is one change Tray found in a slot, e.g. code
// "CreatedMandatorySlot".
type PreviewChange struct {
	Message        string `json:"message"`
	Code           string `json:"code"`
	BreakingChange bool   `json:"breakingChange"`
}

// SlotRecreateReason says why Tray re-creates a slot, e.g. code
// "AuthenticationIdChanged".
type SlotRecreateReason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// PreviewRelease asks Tray what publishing the solution's current draft
// would change for deployed instances.
func (c *Client) PreviewRelease(ctx context.Context, solutionID string) (*ReleasePreview, error) {
	op := fmt.Sprintf("publish preview of solution %q", solutionID)
	if solutionID == "" {
		return nil, &Error{Op: "publish preview", Kind: KindInput, Err: errors.New("no solution ID")}
	}
	if c.apiErr != nil {
		return nil, &Error{Op: op, Kind: KindInput, Err: c.apiErr}
	}
	u := c.apiURL + "/solutions/" + url.PathEscape(solutionID) + "/releases/previews"
	body, err := c.send(ctx, request{op: op, url: u, body: []byte("{}"), token: c.opts.MasterToken})
	if err != nil {
		return nil, err
	}
	p, err := decodePreview(body)
	if err != nil {
		return nil, &Error{Op: op, Kind: KindDecode, Status: 200, Err: err}
	}
	return p, nil
}

// decodePreview reads a preview answer, tolerating unknown fields and null
// groups; the three verdict flags are required (fail closed).
func decodePreview(body []byte) (*ReleasePreview, error) {
	var flags struct {
		BreakingChanges        *bool `json:"breakingChanges"`
		RequiresNewUserInput   *bool `json:"requiresNewUserInput"`
		RequiresNewSystemInput *bool `json:"requiresNewSystemInput"`
	}
	if err := json.Unmarshal(body, &flags); err != nil {
		return nil, fmt.Errorf("answer is not a release preview: %w", err)
	}
	if flags.BreakingChanges == nil || flags.RequiresNewUserInput == nil || flags.RequiresNewSystemInput == nil {
		return nil, errors.New("answer lacks breakingChanges, requiresNewUserInput or requiresNewSystemInput")
	}
	var p ReleasePreview
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("answer is not a release preview: %w", err)
	}
	return &p, nil
}
