package plan

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var findingPool = []Finding{fDefault, fWorkflow, fScopes, fScopesHidden, fEmailAdded, fRegionAdded, fBatchAdded,
	fHiddenDefault, fVaultAdded, fRecreated, fTypeHidden, fSlotRemoved, fManual, fSystemNoSlot}

// randomInput draws findings, instances with any values and any of the
// eight flag combinations, and a random subset of supplied values.
func randomInput(r *rand.Rand, mode Mode) Input {
	in := Input{Mode: mode, Diffed: mode == ModePrediction || r.IntN(2) == 0,
		Supplied: Supplied{Config: map[string]string{}, Auth: map[string]string{}}}
	for _, f := range findingPool {
		if r.IntN(3) == 0 {
			in.Findings = append(in.Findings, f)
		}
	}
	for k, v := range supplied.Config {
		if r.IntN(2) == 0 {
			in.Supplied.Config[k] = v
		}
	}
	for k, v := range supplied.Auth {
		if r.IntN(2) == 0 {
			in.Supplied.Auth[k] = v
		}
	}
	for i := range r.IntN(40) {
		inst := Instance{ID: fmt.Sprintf("i%d", i), Owner: fmt.Sprintf("o%d", r.IntN(5)), Enabled: r.IntN(4) != 0,
			Flags: VersionFlags{r.IntN(2) == 0, r.IntN(2) == 0, r.IntN(2) == 0}}
		for _, ext := range []string{"crm", "mail", "vault", "old"} {
			if r.IntN(2) == 0 {
				inst.AuthValues = append(inst.AuthValues, AuthValue{ext, fmt.Sprintf("auth-%s-%d", ext, i)})
			}
		}
		for _, ext := range []string{"region", "email", "batch", "limit"} {
			if r.IntN(2) == 0 {
				inst.ConfigValues = append(inst.ConfigValues, ConfigValue{ext, fmt.Sprint(i)})
			}
		}
		in.Instances = append(in.Instances, inst)
	}
	return in
}

func allPlans(p *Plan) []InstancePlan {
	return append(append([]InstancePlan{}, p.Instances...), p.Disabled...)
}

func TestProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 1000 {
		mode := []Mode{ModePrediction, ModeFlags}[iter%2]
		in := randomInput(r, mode)
		p, err := Build(in)
		if err != nil {
			t.Fatal(err)
		}
		fail := func(format string, args ...any) {
			t.Helper()
			b, _ := json.Marshal(in)
			t.Fatalf("iteration %d (%s): %s\ninput: %s", iter, mode, fmt.Sprintf(format, args...), b)
		}
		// Every instance gets exactly one action, enabled and disabled apart, in input order.
		var ids, enabledIDs, disabledIDs []string
		for _, inst := range in.Instances {
			ids = append(ids, inst.ID)
			if inst.Enabled {
				enabledIDs = append(enabledIDs, inst.ID)
			} else {
				disabledIDs = append(disabledIDs, inst.ID)
			}
		}
		idsOf := func(ps []InstancePlan) (out []string) {
			for _, ip := range ps {
				out = append(out, ip.ID)
			}
			return out
		}
		if !slices.Equal(idsOf(p.Instances), enabledIDs) || !slices.Equal(idsOf(p.Disabled), disabledIDs) {
			fail("instances %v / %v, want %v / %v", idsOf(p.Instances), idsOf(p.Disabled), enabledIDs, disabledIDs)
		}
		// Counts add up, every action present.
		sum := func(m map[Action]int) int {
			n := 0
			for _, a := range Actions {
				v, ok := m[a]
				if !ok {
					fail("counts lack %s", a)
				}
				n += v
			}
			return n
		}
		if sum(p.Counts) != len(p.Instances) || sum(p.DisabledCounts) != len(p.Disabled) || len(p.Counts) != len(Actions) {
			fail("counts %v %v for %d + %d instances", p.Counts, p.DisabledCounts, len(p.Instances), len(p.Disabled))
		}
		wizard := 0
		resyncs := 0
		byID := map[string]Instance{}
		for _, inst := range in.Instances {
			byID[inst.ID] = inst
		}
		for _, ip := range allPlans(p) {
			inst := byID[ip.ID]
			if ip.Action.rank() < 0 || ip.Reason == "" {
				fail("%s: action %q, reason %q", ip.ID, ip.Action, ip.Reason)
			}
			// No call, no values.
			if !ip.Action.NeedsUpgradeCall() && (len(ip.AuthValues)+len(ip.ConfigValues)+len(ip.Missing) > 0) {
				fail("%s: %s sends values", ip.ID, ip.Action)
			}
			// A re-sync sends only the instance's current authIds.
			if ip.Action == AuthResync {
				if len(ip.ConfigValues) > 0 || len(ip.AuthValues) == 0 {
					fail("%s: auth-resync sends %+v %+v", ip.ID, ip.AuthValues, ip.ConfigValues)
				}
				for _, v := range ip.AuthValues {
					if id, _ := authOf(inst, v.ExternalID); id != v.AuthID {
						fail("%s: re-sync of %s with %s, instance holds %q", ip.ID, v.ExternalID, v.AuthID, id)
					}
				}
			}
			// Every value sent is JSON, one per slot, and comes from the instance or the owner.
			seen := map[string]bool{}
			for _, v := range ip.ConfigValues {
				if !json.Valid([]byte(v.Value)) || seen[v.ExternalID] || in.Supplied.Config[v.ExternalID] != v.Value {
					fail("%s: config value %+v", ip.ID, v)
				}
				seen[v.ExternalID] = true
			}
			for _, v := range ip.AuthValues {
				held, _ := authOf(inst, v.ExternalID)
				if seen["auth:"+v.ExternalID] || (v.AuthID != held && in.Supplied.Auth[v.ExternalID] != v.AuthID) {
					fail("%s: auth value %+v", ip.ID, v)
				}
				seen["auth:"+v.ExternalID] = true
			}
			// Missing values are exactly the unsupplied ones.
			for _, m := range ip.Missing {
				if in.Supplied.has(m) {
					fail("%s: %v is supplied yet missing", ip.ID, m)
				}
			}
			if mode == ModeFlags {
				want := flagsAction(inst.Flags)
				if ip.Action != want && !(want == SystemInput && ip.Action == AuthResync) {
					fail("%s: flags %+v gave %s, want %s", ip.ID, inst.Flags, ip.Action, want)
				}
			}
			if inst.Enabled && ip.Action == UserInput {
				wizard++
			}
			if inst.Enabled && ip.Action.NeedsUpgradeCall() {
				for _, v := range ip.AuthValues {
					if held, _ := authOf(inst, v.ExternalID); held == v.AuthID && mode == ModePrediction {
						resyncs++
					}
				}
			}
		}
		if len(p.ConfigWizard) != wizard {
			fail("config wizard lists %d, want %d", len(p.ConfigWizard), wizard)
		}
		if mode == ModePrediction && len(p.AuthResyncs) != resyncs {
			fail("auth re-syncs %d, want %d", len(p.AuthResyncs), resyncs)
		}
		if mode == ModePrediction && len(p.Disagreements) != 0 {
			fail("a prediction reports disagreements")
		}
		// Deterministic, and independent of the order of findings.
		if again, _ := Build(in); !reflect.DeepEqual(p, again) {
			fail("not deterministic:\n%s", cmp.Diff(p, again))
		}
		rev := in
		rev.Findings = slices.Clone(in.Findings)
		slices.Reverse(rev.Findings)
		revPlan, _ := Build(rev)
		origPlans := allPlans(p)
		for i, ip := range allPlans(revPlan) {
			orig := origPlans[i]
			if ip.Action != orig.Action || !cmp.Equal(ip.AuthValues, orig.AuthValues) || !cmp.Equal(ip.ConfigValues, orig.ConfigValues) {
				fail("finding order changed %s: %+v vs %+v", ip.ID, ip, orig)
			}
		}
	}
}

func flagsAction(f VersionFlags) Action {
	switch {
	case !f.HasNewerVersion:
		return Nothing
	case f.RequiresUserInput:
		return UserInput
	case f.RequiresSystemInput:
		return SystemInput
	}
	return Lazy
}

// TestMonotone: in a prediction, one more finding never makes an instance
// need less, and supplying every owner value leaves none missing.
func TestMonotone(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 500 {
		in := randomInput(r, ModePrediction)
		p, _ := Build(in)
		more := in
		more.Findings = append(slices.Clone(in.Findings), findingPool[r.IntN(len(findingPool))])
		q, _ := Build(more)
		befores := allPlans(p)
		for i, ip := range allPlans(q) {
			if before := befores[i]; ip.Action.rank() < before.Action.rank() {
				t.Fatalf("%s: adding %s lowered %s to %s", ip.ID, more.Findings[len(more.Findings)-1].Rule, before.Action, ip.Action)
			}
		}
		all := in
		all.Supplied = supplied
		full, _ := Build(all)
		for _, ip := range allPlans(full) {
			if len(ip.Missing) > 0 {
				t.Fatalf("%s: missing %v with every value supplied", ip.ID, ip.Missing)
			}
		}
		for _, ov := range full.OwnerValues {
			if !ov.Supplied || ov.Instances == 0 {
				t.Fatalf("owner value %+v", ov)
			}
		}
	}
}
