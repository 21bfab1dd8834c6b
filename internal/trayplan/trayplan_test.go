package trayplan_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/report"
	"github.com/breakwater-dev/breakwater/internal/tray"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
	"github.com/breakwater-dev/breakwater/internal/trayplan"
	"github.com/breakwater-dev/breakwater/internal/trayplan/trayplantest"
)

// TestBuildAgainstTheOracle plans 2,000 paginated instances of the fake
// Tray, from the pair's findings (prediction) and from the flags alone,
// and checks every instance against the oracle; the JSON form validates
// against schema/plan.schema.json and lists every instance.
func TestBuildAgainstTheOracle(t *testing.T) {
	s := traytest.New(t, traytest.Config{Unlimited: true})
	ids := trayplantest.Seed(s, "sol-crm", 2000, 60)
	tc, err := tray.New(tray.Options{MasterToken: s.MasterToken(), GraphQLURL: s.GraphQLURL()})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New()
	if err != nil {
		t.Fatal(err)
	}
	base, head := trayplantest.Pair()
	res, err := eng.Run(t.Context(), engine.Request{
		Base: &engine.MemTree{Label: "base", Files: map[string][]byte{trayplantest.ExportPath: base}},
		Head: &engine.MemTree{Label: "head", Files: map[string][]byte{trayplantest.ExportPath: head}},
	})
	if err != nil {
		t.Fatal(err)
	}
	schema := compileSchema(t)
	for _, tc2 := range []struct {
		name   string
		req    trayplan.Request
		oracle func(id string) plan.Action
	}{
		{"prediction", trayplan.Request{SolutionID: "sol-crm", Report: res.Report}, func(id string) plan.Action {
			in, _ := s.Instance(id)
			return trayplantest.Predicted(in)
		}},
		{"flags", trayplan.Request{SolutionID: "sol-crm"}, func(id string) plan.Action { return trayplantest.ByFlags(s.FlagsOf(id)) }},
	} {
		t.Run(tc2.name, func(t *testing.T) {
			p, err := trayplan.Build(t.Context(), tc, tc2.req)
			if err != nil {
				t.Fatal(err)
			}
			all := append(append([]plan.InstancePlan{}, p.Instances...), p.Disabled...)
			if len(all) != len(ids) {
				t.Fatalf("planned %d instances, the fake serves %d", len(all), len(ids))
			}
			want := map[plan.Action]int{}
			for _, ip := range all {
				in, _ := s.Instance(ip.ID)
				w := tc2.oracle(ip.ID)
				if ip.Action != w || ip.Enabled != in.Enabled || ip.Owner != in.Owner {
					t.Errorf("%s: %s (enabled %v, owner %s), want %s (enabled %v, owner %s): %s", ip.ID, ip.Action, ip.Enabled, ip.Owner, w, in.Enabled, in.Owner, ip.Reason)
				}
				if ip.Action == plan.AuthResync && (len(ip.AuthValues) != 1 || ip.AuthValues[0].ExternalID != "external_mail") {
					t.Errorf("%s: a re-sync sends %+v", ip.ID, ip.AuthValues)
				}
				if in.Enabled {
					want[w]++
				}
			}
			for _, a := range plan.Actions {
				if p.Counts[a] != want[a] {
					t.Errorf("count of %s = %d, want %d", a, p.Counts[a], want[a])
				}
			}
			t.Logf("%d instances: counts %v, disabled %v, %d disagreements", len(all), p.Counts, p.DisabledCounts, len(p.Disagreements))
			var buf bytes.Buffer
			if err := report.PlanJSON(&buf, p, report.PlanOptions{SolutionID: "sol-crm"}); err != nil {
				t.Fatal(err)
			}
			doc, err := jsonschema.UnmarshalJSON(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if err := schema.Validate(doc); err != nil {
				t.Fatalf("the JSON plan does not match schema/plan.schema.json: %v", err)
			}
			if n := len(doc.(map[string]any)["instances"].([]any)); n != len(ids) {
				t.Errorf("the JSON lists %d instances, want %d", n, len(ids))
			}
			if md := report.PlanMarkdown(p, report.PlanOptions{Budget: 4000}); len(md) > 4000 {
				t.Errorf("the Markdown plan takes %d bytes of a 4000-byte budget", len(md))
			}
		})
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("../../schema/plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("plan.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("plan.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}
