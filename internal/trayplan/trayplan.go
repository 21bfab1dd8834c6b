// Package trayplan makes upgrade plans against Tray: it reads a solution's
// live instances through the Tray adapter, converts them to the plan's own
// types (the one place tray.Instance becomes plan.Instance, and a planned
// upgrade becomes a tray.UpgradeInput), and builds the plan from a report's
// findings or from the flags alone. `breakwater plan`, the bot's pull
// request comment and the rollout all plan through it.
package trayplan

import (
	"context"
	"fmt"
	"iter"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/tray"
)

// Lister reads a solution's instances; *tray.Client implements it.
type Lister interface {
	Instances(ctx context.Context, f tray.InstanceFilter) iter.Seq2[tray.Instance, error]
}

// FromTray converts an instance as Tray reports it.
func FromTray(in tray.Instance) plan.Instance {
	p := plan.Instance{ID: in.ID, Name: in.Name, Owner: in.Owner, Enabled: in.Enabled,
		Flags: plan.VersionFlags{HasNewerVersion: in.Flags.HasNewerVersion, RequiresUserInput: in.Flags.RequiresUserInput,
			RequiresSystemInput: in.Flags.RequiresSystemInput}}
	for _, a := range in.AuthValues {
		p.AuthValues = append(p.AuthValues, plan.AuthValue{ExternalID: a.ExternalID, AuthID: a.AuthID})
	}
	for _, c := range in.ConfigValues {
		p.ConfigValues = append(p.ConfigValues, plan.ConfigValue{ExternalID: c.ExternalID, Value: string(c.Value)})
	}
	return p
}

// UpgradeInput is the upgradeSolutionInstance call that carries out a
// planned instance's action.
func UpgradeInput(ip plan.InstancePlan) tray.UpgradeInput {
	up := tray.UpgradeInput{InstanceID: ip.ID}
	for _, a := range ip.AuthValues {
		up.AuthValues = append(up.AuthValues, tray.AuthValue{ExternalID: a.ExternalID, AuthID: a.AuthID})
	}
	for _, c := range ip.ConfigValues {
		up.ConfigValues = append(up.ConfigValues, tray.ConfigValue{ExternalID: c.ExternalID, Value: []byte(c.Value)})
	}
	return up
}

// Instances reads every instance of the solution, page by page.
func Instances(ctx context.Context, tc Lister, solutionID string) ([]plan.Instance, error) {
	var out []plan.Instance
	for in, err := range tc.Instances(ctx, tray.InstanceFilter{SolutionID: solutionID}) {
		if err != nil {
			return nil, fmt.Errorf("reading the instances of Tray solution %s: %w", solutionID, err)
		}
		out = append(out, FromTray(in))
	}
	return out, nil
}

// Request is one plan to make.
type Request struct {
	SolutionID string
	// Report is the comparison of the release, nil to plan from the
	// flags alone.
	Report *change.Report
	// Published says the compared head is published already: the flags
	// decide and disagreements with the findings are reported. Without it a
	// report makes a prediction (the pull request's case).
	Published bool
	Supplied  plan.Supplied
}

// Build reads the solution's instances and makes the plan.
func Build(ctx context.Context, tc Lister, req Request) (*plan.Plan, error) {
	instances, err := Instances(ctx, tc, req.SolutionID)
	if err != nil {
		return nil, err
	}
	in := plan.Input{Mode: plan.ModeFlags, Instances: instances, Supplied: req.Supplied}
	if req.Report != nil {
		in.Diffed = true
		in.Findings = plan.FromChange(req.Report.Changes)
		if !req.Published {
			in.Mode = plan.ModePrediction
		}
	}
	return plan.Build(in)
}
