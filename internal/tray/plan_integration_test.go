package tray_test

import (
	"testing"

	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/tray"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
	"github.com/breakwater-dev/breakwater/internal/trayplan"
)

// generatedFindings are the findings the Tray differ reports for
// traytest.GeneratedSolution's version 2, after classification.
var generatedFindings = []plan.Finding{
	{Rule: "tray/auth-slot-recreated", Upgrade: plan.UpgradeSystemInput,
		Slot: &plan.Slot{Kind: plan.AuthSlot, ExternalID: "crm_auth", Change: plan.SlotRecreated, Required: true}},
	{Rule: "tray/auth-slot-added", Upgrade: plan.UpgradeUserInput,
		Slot: &plan.Slot{Kind: plan.AuthSlot, ExternalID: "new_service_auth", Change: plan.SlotAdded, Required: true}},
	{Rule: "tray/config-slot-added-required", Upgrade: plan.UpgradeSystemInput,
		Slot: &plan.Slot{Kind: plan.ConfigSlot, ExternalID: "region", Change: plan.SlotAdded, Hidden: true, Required: true}},
	{Rule: "tray/config-slot-added-optional", Upgrade: plan.UpgradeLazy,
		Slot: &plan.Slot{Kind: plan.ConfigSlot, ExternalID: "email", Change: plan.SlotAdded, HasDefault: true}},
	{Rule: "tray/workflow-changed", Upgrade: plan.UpgradeLazy},
}

// TestPlanAgainstTheFake: the plan, made from the instances the client
// lists, agrees with the fake's flags on every instance, and the upgrades
// it prescribes are all accepted and move every planned instance.
func TestPlanAgainstTheFake(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	s.Generate("sol", 320, traytest.GenerateOptions{Owners: 9})
	c := client(t, s, nil)
	listed, err := c.ListInstances(t.Context(), tray.InstanceFilter{SolutionID: "sol"})
	if err != nil {
		t.Fatal(err)
	}
	var instances []plan.Instance
	for _, in := range listed {
		instances = append(instances, trayplan.FromTray(in))
	}
	supplied := plan.Supplied{Config: map[string]string{"region": `"eu-west"`}}
	p, err := plan.Build(plan.Input{Mode: plan.ModeFlags, Diffed: true, Findings: generatedFindings, Instances: instances, Supplied: supplied})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Disagreements) != 0 {
		t.Errorf("the findings disagree with the fake's flags on %d instances, e.g. %+v", len(p.Disagreements), p.Disagreements[0])
	}
	for _, a := range plan.Actions {
		if p.Counts[a] == 0 {
			t.Errorf("no instance needs %s: the population does not cover the table (%v)", a, p.Counts)
		}
	}
	for _, ip := range append(p.Instances, p.Disabled...) {
		if !ip.Action.NeedsUpgradeCall() {
			continue
		}
		got, err := c.UpgradeInstance(t.Context(), trayplan.UpgradeInput(ip))
		if err != nil {
			t.Errorf("%s (%s): %v", ip.ID, ip.Action, err)
			continue
		}
		if got.Flags.HasNewerVersion || s.Upgrades(ip.ID, 2) != 1 {
			t.Errorf("%s (%s): still behind after the upgrade", ip.ID, ip.Action)
		}
	}
	// A prediction from the same findings agrees with the flags too.
	pred, err := plan.Build(plan.Input{Mode: plan.ModePrediction, Diffed: true, Findings: generatedFindings, Instances: instances, Supplied: supplied})
	if err != nil {
		t.Fatal(err)
	}
	for i, ip := range pred.Instances {
		byFlags := p.Instances[i]
		if instances[indexOf(instances, ip.ID)].Flags.HasNewerVersion && ip.Action != byFlags.Action {
			t.Errorf("%s: predicted %s, flags say %s", ip.ID, ip.Action, byFlags.Action)
		}
	}
}

func indexOf(ins []plan.Instance, id string) int {
	for i, in := range ins {
		if in.ID == id {
			return i
		}
	}
	return -1
}
