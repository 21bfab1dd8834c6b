package tray

import (
	"bytes"
	"encoding/json"
	"flag"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats/formattest"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenFinding is a finding as the golden files show it: with the
// fingerprint computed and NoEndUser, which reports do not print.
type goldenFinding struct {
	change.Finding
	NoEndUser bool `json:"noEndUser,omitempty"`
}

// TestGoldenSampleEdits diffs the real samples against realistic edits of
// them (testdata/variants, written by make_variants.py). The rules each edit
// must trigger are listed here so that a golden file cannot silently accept
// a wrong classification; the golden files pin messages, positions and values.
func TestGoldenSampleEdits(t *testing.T) {
	tests := []struct {
		variant string
		rules   []string
	}{
		{"bynder-dropbox.scope-added", []string{"tray/auth-scopes-added"}},
		{"bynder-dropbox.auth-env", []string{"tray/auth-environment-changed"}},
		{"bynder-dropbox.auth-recreated", []string{"tray/auth-slot-recreated"}},
		{"bynder-dropbox.config-added", []string{"tray/config-slot-added-optional", "tray/config-slot-added-required", "tray/config-slot-added-required"}},
		{"bynder-dropbox.config-changed", []string{"tray/config-default-changed", "tray/config-default-changed", "tray/config-type-changed"}},
		{"bynder-dropbox.workflow-edit", []string{"tray/auth-service-version-changed", "tray/connector-version-changed", "tray/workflow-changed", "tray/workflow-changed"}},
		{"bynder-dropbox.workflow-removed", []string{"tray/workflow-removed"}},
		{"bynder-dropbox.service-added", []string{"tray/auth-service-added", "tray/workflow-changed"}},
		{"webdam-getty.getty-recreated", []string{"tray/auth-slot-recreated", "tray/config-ddl-auth-changed"}},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			sample := strings.SplitN(tt.variant, ".", 2)[0] + ".project.json"
			base := parse(t, sample, readFile(t, filepath.Join("testdata", sample)))
			head := parse(t, tt.variant+".json", readFile(t, filepath.Join("testdata", "variants", tt.variant+".json")))
			c := recordedAccounted(base, head)

			var rules []string
			out := make([]goldenFinding, len(c.Findings))
			for i, f := range c.Findings {
				rules = append(rules, f.Rule)
				f.Fingerprint = f.ComputeFingerprint()
				out[i] = goldenFinding{Finding: f, NoEndUser: f.NoEndUser}
			}
			slices.Sort(rules)
			if d := cmp.Diff(tt.rules, rules); d != "" {
				t.Errorf("rules (-want +got):\n%s", d)
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", tt.variant+".json")
			formattest.Golden(t, golden, got, *update)
		})
	}
}

// TestFormattingAndOrderAreNoChange re-indents, minifies and reorders the
// samples (object keys everywhere; slots, scopes, workflows, projects and
// other identity-matched lists) and expects no finding at all, not even of
// the generic rules.
func TestFormattingAndOrderAreNoChange(t *testing.T) {
	for _, sample := range []string{"bynder-dropbox.project.json", "webdam-getty.project.json", "bynder-dropbox-sync-master.workflow.json"} {
		src := readFile(t, filepath.Join("testdata", sample))
		base := parse(t, sample, src)
		var minified, tabbed bytes.Buffer
		if err := json.Compact(&minified, src); err != nil {
			t.Fatal(err)
		}
		if err := json.Indent(&tabbed, src, "", "\t"); err != nil {
			t.Fatal(err)
		}
		variants := map[string][]byte{
			"minified":  minified.Bytes(),
			"tabbed":    tabbed.Bytes(),
			"reordered": reorder(base.Doc.Root),
		}
		for name, v := range variants {
			t.Run(sample+"/"+name, func(t *testing.T) {
				if bytes.Equal(v, src) {
					t.Fatal("variant is identical to the sample")
				}
				head := parse(t, name+".json", v)
				for _, c := range []change.Comparison{recordedAccounted(base, head), recordedAccounted(head, base)} {
					for _, f := range c.Findings {
						t.Errorf("unexpected %s at %s: %s", f.Rule, f.Pointer, f.Message)
					}
				}
			})
		}
	}
}

// TestReorderingStructureIsAChange is the control for the test above: the
// order of steps_structure is execution order, so reversing it is a change.
func TestReorderingStructureIsAChange(t *testing.T) {
	base := parseFile(t, "testdata/bynder-dropbox.project.json")
	var b bytes.Buffer
	writeReordered(&b, base.Doc.Root, "", "\n", append(slices.Clone(unordered), "/workflows/*/steps_structure"))
	c := recordedDiff(base, parse(t, "reversed.json", b.Bytes()))
	if len(c.Findings) == 0 {
		t.Fatal("reversing steps_structure went unnoticed")
	}
	for _, f := range c.Findings {
		if f.Rule != "tray/workflow-changed" || !strings.Contains(f.Message, "execution order changed") {
			t.Errorf("unexpected %s: %s", f.Rule, f.Message)
		}
	}
}

// TestFingerprintsIgnoreOrder checks that reordering the base does not change
// what an edit reports, down to the fingerprints acceptances are keyed on.
func TestFingerprintsIgnoreOrder(t *testing.T) {
	base := parseFile(t, "testdata/bynder-dropbox.project.json")
	reordered := parse(t, "reordered.json", reorder(base.Doc.Root))
	for _, variant := range []string{"scope-added", "workflow-edit", "config-changed", "auth-recreated"} {
		head := parseFile(t, "testdata/variants/bynder-dropbox."+variant+".json")
		want, got := identities(recordedDiff(base, head)), identities(recordedDiff(reordered, head))
		if len(want) == 0 {
			t.Fatalf("%s: no findings", variant)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s with a reordered base (-want +got):\n%s", variant, d)
		}
	}
}

func identities(c change.Comparison) []string {
	var out []string
	for _, f := range c.Findings {
		out = append(out, f.Rule+" "+f.Subject+" "+f.ComputeFingerprint())
	}
	slices.Sort(out)
	return out
}

// unordered are the lists whose order means nothing: they are matched by
// identity or compared as sets. steps_structure is not among them, nor are
// the Config Wizard's screens and their items, which it shows in order
// (docs/formats.md).
var unordered = []string{
	"/workflows", "/projects", "/projects/*/workflows", "/workflows/*/tags",
	"/workflows/*/steps/*/authentication/scopes",
	"/solution/tags", "/solution/auth_slots", "/solution/config_slots",
	"/solution/auth_slots/*/scopes", "/solution/auth_slots/*/usage", "/solution/config_slots/*/usage",
}

// The Config Wizard shows its screens, and each screen its items, in the
// order of the export: end users see a new order, so it is a change, of the
// text rule (what people see), and the only one.
func TestConfigWizardOrderIsAChange(t *testing.T) {
	base := parseFile(t, "testdata/bynder-dropbox.project.json")
	for _, list := range []string{"/solution/view_schema/screens", "/solution/view_schema/screens/*/items"} {
		t.Run(list, func(t *testing.T) {
			var b bytes.Buffer
			writeReordered(&b, base.Doc.Root, "", "\n", append(slices.Clone(unordered), list))
			c := recordedAccounted(base, parse(t, "reversed.json", b.Bytes()))
			if len(c.Findings) == 0 {
				t.Fatal("reversing the list went unnoticed")
			}
			for _, f := range c.Findings {
				if f.Rule != ruleTextChanged.ID || !strings.Contains(f.Message, "in another order") {
					t.Errorf("unexpected %s at %s: %s", f.Rule, f.Subject, f.Message)
				}
			}
		})
	}
}

// reorder writes v back as JSON with every object's keys reversed and the
// unordered lists reversed, indented differently from the samples.
func reorder(v *jsonpos.Value) []byte {
	var b bytes.Buffer
	writeReordered(&b, v, "", "\n", unordered)
	return b.Bytes()
}

func writeReordered(b *bytes.Buffer, v *jsonpos.Value, at, indent string, unordered []string) {
	inner := indent + "   "
	switch v.Kind {
	case jsonpos.Object:
		b.WriteString("{")
		for i := len(v.Kids) - 1; i >= 0; i-- {
			k := &v.Kids[i]
			b.WriteString(inner)
			key, _ := json.Marshal(k.Key)
			b.Write(key)
			b.WriteString(": ")
			writeReordered(b, k, at+"/"+jsonpos.EscapeToken(k.Key), inner, unordered)
			if i > 0 {
				b.WriteString(",")
			}
		}
		b.WriteString(indent + "}")
	case jsonpos.Array:
		order := make([]int, len(v.Kids))
		for i := range order {
			order[i] = i
		}
		if slices.ContainsFunc(unordered, func(p string) bool { ok, _ := path.Match(p, at); return ok }) {
			slices.Reverse(order)
		}
		b.WriteString("[")
		for n, i := range order {
			b.WriteString(inner)
			writeReordered(b, &v.Kids[i], at+"/*", inner, unordered)
			if n < len(order)-1 {
				b.WriteString(",")
			}
		}
		b.WriteString(indent + "]")
	case jsonpos.String:
		q, _ := json.Marshal(v.Text)
		b.Write(q)
	case jsonpos.Null:
		b.WriteString("null")
	default:
		b.WriteString(v.Text)
	}
}
