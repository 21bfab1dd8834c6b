package report

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/plan"
)

// samplePlan covers every action, a disabled instance, an owner value and
// an owner whose name tries to inject Markdown.
func samplePlan(t *testing.T) *plan.Plan {
	t.Helper()
	findings := []plan.Finding{
		{Rule: "tray/auth-slot-added", Upgrade: plan.UpgradeUserInput, Slot: &plan.Slot{Kind: plan.AuthSlot, ExternalID: "chat", Change: plan.SlotAdded, Required: true}},
		{Rule: "tray/config-slot-added-required", Upgrade: plan.UpgradeSystemInput, Slot: &plan.Slot{Kind: plan.ConfigSlot, ExternalID: "region", Change: plan.SlotAdded, Hidden: true, Required: true}},
		{Rule: "tray/auth-slot-recreated", Upgrade: plan.UpgradeSystemInput, Slot: &plan.Slot{Kind: plan.AuthSlot, ExternalID: "mail", Change: plan.SlotRecreated, Hidden: true}},
	}
	all := []plan.AuthValue{{ExternalID: "chat", AuthID: "c"}, {ExternalID: "mail", AuthID: "m"}}
	region := []plan.ConfigValue{{ExternalID: "region", Value: `"eu"`}}
	p, err := plan.Build(plan.Input{Mode: plan.ModePrediction, Diffed: true, Findings: findings, Instances: []plan.Instance{
		{ID: "i1", Owner: "alice", Enabled: true},
		{ID: "i2", Owner: "bob", Enabled: true, AuthValues: all[:1]},
		{ID: "i3", Owner: "bob", Enabled: true, AuthValues: all, ConfigValues: region},
		{ID: "i4", Owner: "<b>@carol</b>", Enabled: true, AuthValues: all[:1], ConfigValues: region},
		{ID: "i5", Owner: "dave", Enabled: false},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPlanGolden(t *testing.T) {
	p := samplePlan(t)
	opts := PlanOptions{SolutionID: "sol-1", Verbose: true}
	var text, js bytes.Buffer
	if err := PlanText(&text, p, opts); err != nil {
		t.Fatal(err)
	}
	if err := PlanJSON(&js, p, opts); err != nil {
		t.Fatal(err)
	}
	md := PlanMarkdown(p, opts)
	checkGolden(t, "plan.txt", text.Bytes())
	checkGolden(t, "plan.json", js.Bytes())
	checkGolden(t, "plan.md", []byte(md))
	if !strings.Contains(md, "- `<b>@carol</b>`: 1 instance") {
		t.Error("an owner's name is not in a code span, where GitHub shows it verbatim")
	}
}

// TestPlanMarkdownBudget: thousands of owners are cut to the budget, never
// the counts.
func TestPlanMarkdownBudget(t *testing.T) {
	var ins []plan.Instance
	for i := range 5000 {
		ins = append(ins, plan.Instance{ID: strconv.Itoa(i), Owner: "owner-with-a-long-name-" + strconv.Itoa(i), Enabled: true})
	}
	p, err := plan.Build(plan.Input{Mode: plan.ModePrediction, Diffed: true, Instances: ins,
		Findings: []plan.Finding{{Rule: "r", Upgrade: plan.UpgradeUserInput}}})
	if err != nil {
		t.Fatal(err)
	}
	md := PlanMarkdown(p, PlanOptions{Budget: 6000})
	if len(md) > 6000 || !strings.Contains(md, "| `user-input` | 5000 |") || !strings.Contains(md, "more owners") {
		t.Errorf("%d bytes:\n%s", len(md), md[max(0, len(md)-300):])
	}
}
