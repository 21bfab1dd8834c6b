package vnext

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats/formattest"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// scenario is a realistic edit of the real core package.
type scenario struct {
	name string
	base func(tb testing.TB, sample tree) tree
	head func(tb testing.TB, base tree) tree
}

func editFlows(fn func(tb testing.TB, r *jsonpos.Value)) func(tb testing.TB, t tree) tree {
	return func(tb testing.TB, t tree) tree {
		return t.edit(tb, sysFlows, func(r *jsonpos.Value) { fn(tb, r) })
	}
}

func unchanged(_ testing.TB, t tree) tree { return t }

var scenarios = []scenario{
	{
		// The "deleted" state goes; "archive" now leads to "passive" itself.
		name: "remove-state", base: unchanged,
		head: editFlows(func(tb testing.TB, r *jsonpos.Value) {
			removeAt(tb, r, stDeleted)
			setMember(tb, r, trArchive, "target", `"$self"`)
		}),
	},
	{
		name: "retarget-transition", base: unchanged,
		head: editFlows(func(tb testing.TB, r *jsonpos.Value) {
			setMember(tb, r, stActive+"/transitions/0", "target", `"deleted"`)
		}),
	},
	{
		// Reactivation becomes automatic: nobody calls it any more.
		name: "automatic-trigger", base: unchanged,
		head: editFlows(func(tb testing.TB, r *jsonpos.Value) { automatic(tb, r, trReact) }),
	},
	{
		name: "narrow-roles",
		base: editFlows(func(tb testing.TB, r *jsonpos.Value) {
			setMember(tb, r, trActivate, "roles", `[{"role": "morph-idm.maker", "grant": "allow"}, {"role": "morph-idm.checker", "grant": "allow"}]`)
			setMember(tb, r, stActive, "queryRoles", `[{"role": "morph-idm.viewer", "grant": "allow"}]`)
		}),
		head: editFlows(func(tb testing.TB, r *jsonpos.Value) {
			removeAt(tb, r, trActivate+"/roles/0")
			appendTo(tb, r, stActive+"/queryRoles", `{"role": "morph-idm.guest", "grant": "deny"}`)
		}),
	},
	{
		name: "escalate-major", base: unchanged,
		head: editFlows(func(tb testing.TB, r *jsonpos.Value) {
			setMember(tb, r, startTr, "versionStrategy", `"Major"`)
			setMember(tb, r, stDraft, "versionStrategy", `"Major"`)
			setMember(tb, r, trActivate, "versionStrategy", `"Major"`)
		}),
	},
	{
		name: "schema-reference-major",
		base: editFlows(func(tb testing.TB, r *jsonpos.Value) {
			setMember(tb, r, startTr, "schema", `{"key": "workflow", "domain": "core", "version": "1.0.0", "flow": "sys-schemas"}`)
		}),
		head: editFlows(func(tb testing.TB, r *jsonpos.Value) {
			setMember(tb, r, startTr+"/schema", "version", `"2.0.0"`)
		}),
	},
	{
		name: "task-major", base: unchanged,
		head: func(tb testing.TB, t tree) tree {
			return t.edit(tb, taskFile, func(r *jsonpos.Value) { setMember(tb, r, "", "version", `"2.0.0"`) })
		},
	},
	{
		// A release that adds a workflow, a state and a transition, drops
		// sys-views and stops exporting the extension.
		name: "release-mix", base: unchanged,
		head: func(tb testing.TB, t tree) tree {
			t = t.edit(tb, sysFlows, func(r *jsonpos.Value) {
				appendTo(tb, r, "/attributes/states",
					`{"key": "suspended", "stateType": 2, "versionStrategy": "Minor", "labels": `+labelsJSON+`, "transitions": [
					  {"key": "resume", "target": "active", "triggerType": 0, "versionStrategy": "Minor", "labels": `+labelsJSON+`}]}`)
				appendTo(tb, r, stActive+"/transitions",
					`{"key": "suspend", "target": "suspended", "triggerType": 0, "versionStrategy": "Minor", "labels": `+labelsJSON+`}`)
			})
			t = t.edit(tb, ConfigFile, func(r *jsonpos.Value) {
				removeAt(tb, r, "/exports/extensions/0")
				setMember(tb, r, "", "version", `"2.0.0"`)
			})
			delete(t, sysViews)
			t["core/Workflows/sys-audits.json"] = bytes.Replace(t[sysFlows], []byte(`"key": "sys-flows"`), []byte(`"key": "sys-audits"`), 1)
			return t
		},
	},
}

// goldenComparison is what the golden files hold: the comparison with
// fingerprints, as reports show it.
type goldenComparison struct {
	Format   string           `json:"format"`
	Artifact string           `json:"artifact"`
	Base     *change.Declared `json:"base"`
	Head     *change.Declared `json:"head"`
	Findings []change.Finding `json:"findings"`
}

func golden(c change.Comparison) goldenComparison {
	g := goldenComparison{Format: c.Format, Artifact: c.Artifact, Base: c.Base, Head: c.Head, Findings: slices.Clone(c.Findings)}
	for i := range g.Findings {
		g.Findings[i].Fingerprint = g.Findings[i].ComputeFingerprint()
	}
	if g.Findings == nil {
		g.Findings = []change.Finding{}
	}
	return g
}

func TestGolden(t *testing.T) {
	sample := loadTree(t, samplePackage)
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			base := s.base(t, sample)
			head := s.head(t, base)
			got, err := json.MarshalIndent(golden(recordedAccounted(base.parse(t), head.parse(t))), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", s.name+".json")
			formattest.Golden(t, path, got, *update)
		})
	}
}

// reformat turns every file of a package into the same JSON written
// differently: states and transitions in reverse order, object members in
// reverse order, no whitespace.
func reformat(tb testing.TB, t tree) tree {
	out := tree{}
	for path, src := range t {
		d, err := jsonpos.Parse(path, slices.Clone(src))
		if err != nil {
			tb.Fatal(err)
		}
		if states := d.Root.Path("attributes", "states"); states.Is(jsonpos.Array) {
			slices.Reverse(states.Kids)
			for i := range states.Kids {
				if tr := states.Kids[i].Get("transitions"); tr.Is(jsonpos.Array) {
					slices.Reverse(tr.Kids)
				}
			}
		}
		out[path] = compactReversed(d.Root)
	}
	return out
}

// Fingerprints come from identities and values, never positions: the same
// change in a reformatted, reordered package has the same fingerprints.
func TestFingerprintsIgnoreLayout(t *testing.T) {
	sample := loadTree(t, samplePackage)
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			base := s.base(t, sample)
			head := s.head(t, base)
			plain := recordedAccounted(base.parse(t), head.parse(t))
			moved := recordedAccounted(reformat(t, base).parse(t), reformat(t, head).parse(t))
			prints := func(c change.Comparison) []string {
				var out []string
				for _, f := range c.Findings {
					out = append(out, f.Rule+" "+f.Subject+" "+f.ComputeFingerprint())
				}
				slices.Sort(out)
				return out
			}
			if diff := cmp.Diff(prints(plain), prints(moved)); diff != "" {
				t.Errorf("fingerprints depend on layout (-plain +reformatted):\n%s", diff)
			}
			for _, f := range moved.Findings {
				if f.Line != 1 { // compact files are one line long
					t.Errorf("%s at line %d of a one-line file", f.Rule, f.Line)
				}
			}
		})
	}
}

func TestNoOpEdits(t *testing.T) {
	sample := loadTree(t, samplePackage)
	cases := map[string]func(tb testing.TB, t tree) tree{
		"reformatted and reordered": reformat,
		"$self for the owning state": editFlows(func(tb testing.TB, r *jsonpos.Value) {
			setMember(tb, r, stDraft+"/transitions/1", "target", `"$self"`) // delete → draft
		}),
		"tasks reordered": editFlows(func(tb testing.TB, r *jsonpos.Value) {
			tasks := at(tb, r, trActivate+"/onExecutionTasks")
			slices.Reverse(tasks.Kids)
		}),
		"ref path spelled explicitly": editFlows(func(tb testing.TB, r *jsonpos.Value) {
			setMember(tb, r, trActivate+"/onExecutionTasks/0", "task",
				`{"key": "invalidate-cache", "domain": "core", "version": "1.0.0", "flow": "sys-tasks"}`)
		}),
		"workflow file moved": func(tb testing.TB, t tree) tree {
			t = t.clone()
			t["core/Workflows/lifecycle/flows.json"] = t[sysFlows]
			delete(t, sysFlows)
			return t
		},
		"exported file renamed": func(tb testing.TB, t tree) tree {
			t = t.edit(tb, ConfigFile, func(r *jsonpos.Value) {
				setMember(tb, r, "/exports", "extensions", `["transitions"]`) // the ".json" is optional
			})
			t["core/Extensions/transitions.json"] = t[extension]
			delete(t, extension)
			return t
		},
		"labels, tags and mappings edited": editFlows(func(tb testing.TB, r *jsonpos.Value) {
			setMember(tb, r, stDraft+"/labels/0", "label", `"Drafts"`)
			appendTo(tb, r, "/tags", `"audited"`)
			setMember(tb, r, trActivate+"/onExecutionTasks/0/mapping", "code", `"dXBkYXRlZA=="`)
		}),
	}
	base := sample.parse(t)
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			if fs := recordedDiff(base, edit(t, sample).parse(t)).Findings; len(fs) != 0 {
				var b strings.Builder
				for _, f := range fs {
					b.WriteString("\n" + f.Rule + " " + f.Subject + ": " + f.Message)
				}
				t.Errorf("findings for a change that changes nothing:%s", b.String())
			}
		})
	}
}
