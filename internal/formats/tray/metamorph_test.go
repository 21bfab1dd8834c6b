package tray

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/formats/formattest"
)

// metamorphic is the format as formattest sees it: one file a side, diffed
// and accounted for as the engine does, generic findings included.
func metamorphic(t testing.TB) formattest.Format {
	return formattest.Format{
		Structure: formattest.One(checker(t).Differ(), exportRoot),
		Diff: func(base, head formattest.Files) ([]change.Finding, error) {
			var sides [2]*Export
			for i, files := range []formattest.Files{base, head} {
				for _, name := range files.Names() {
					doc, err := formats.ParseJSON(name, files[name])
					if err != nil {
						return nil, err
					}
					if sides[i], err = Parse(doc); err != nil {
						return nil, err
					}
				}
			}
			return accounted(sides[0], sides[1]).Findings, nil
		},
	}
}

type pair struct {
	name       string
	base, head []byte
}

// goldenPairs are the pairs of TestGoldenSampleEdits.
func goldenPairs(t testing.TB) []pair {
	variants, _ := filepath.Glob("testdata/variants/*.json")
	var out []pair
	for _, v := range variants {
		name := strings.TrimSuffix(filepath.Base(v), ".json")
		sample := strings.SplitN(name, ".", 2)[0] + ".project.json"
		out = append(out, pair{name, readFile(t, filepath.Join("testdata", sample)), readFile(t, v)})
	}
	if len(out) == 0 {
		t.Fatal("no golden pairs")
	}
	return out
}

// corpusPairs pair every FuzzParse corpus entry that is an export with the
// minimal export, both ways, as the fuzz target diffs them.
func corpusPairs(t testing.TB) []pair {
	minimal := readFile(t, "testdata/minimal.project.json")
	entries, _ := filepath.Glob("testdata/fuzz/FuzzParse/*")
	var out []pair
	for _, e := range entries {
		data, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		vals, err := formattest.ParseCorpus(data)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		src := vals[0].([]byte)
		doc, err := formats.ParseJSON("x.json", src)
		if err != nil {
			continue
		}
		if _, err := Parse(doc); err != nil {
			continue
		}
		name := filepath.Base(e)
		out = append(out, pair{"minimal→" + name, minimal, src}, pair{name + "→minimal", src, minimal})
	}
	return out
}

// editPair builds a pair from the minimal export: both sides get prepare,
// the head also gets edit.
func editPair(t testing.TB, name string, prepare, edit func(doc map[string]any)) pair {
	t.Helper()
	build := func(edits ...func(map[string]any)) []byte {
		var doc map[string]any
		if err := json.Unmarshal(readFile(t, "testdata/minimal.project.json"), &doc); err != nil {
			t.Fatal(err)
		}
		for _, e := range edits {
			e(doc)
		}
		out, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	return pair{name, build(prepare), build(prepare, edit)}
}

func list(doc map[string]any, path ...string) []any {
	v := any(doc)
	for _, p := range path {
		v = v.(map[string]any)[p]
	}
	return v.([]any)
}

func set(doc map[string]any, v any, path ...string) {
	m := doc
	for _, p := range path[:len(path)-1] {
		m = m[p].(map[string]any)
	}
	m[path[len(path)-1]] = v
}

func copyOf(v any) map[string]any {
	b, _ := json.Marshal(v)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// invalidPairs hold duplicate identities (invalid for the platform, but
// the findings must not depend on which duplicate comes first) and edits
// that touch several steps and services at once.
func invalidPairs(t testing.TB) []pair {
	dupConfig := func(doc map[string]any) {
		slots := list(doc, "solution", "config_slots")
		c := copyOf(slots[0])
		c["id"], c["title"], c["type"] = "c-dup", "Limit copy", "string"
		set(doc, append(slots, c), "solution", "config_slots")
	}
	dupAuth := func(doc map[string]any) {
		slots := list(doc, "solution", "auth_slots")
		a := copyOf(slots[0])
		a["id"], a["title"] = "a-dup", "CRM copy"
		set(doc, append(slots, a), "solution", "auth_slots")
	}
	dupWorkflow := func(doc map[string]any) {
		wfs := list(doc, "workflows")
		w := copyOf(wfs[0])
		w["title"] = "Sync copy"
		set(doc, append(wfs, w), "workflows")
	}
	return []pair{
		editPair(t, "duplicate config external_id", dupConfig, func(doc map[string]any) {
			list(doc, "solution", "config_slots")[3].(map[string]any)["type"] = "number" // the copy
		}),
		editPair(t, "duplicate auth external_id", dupAuth, func(doc map[string]any) {
			a := list(doc, "solution", "auth_slots")[2].(map[string]any)
			a["scopes"] = append(a["scopes"].([]any), "admin")
		}),
		editPair(t, "duplicate workflow id", dupWorkflow, func(doc map[string]any) {
			steps := list(doc, "workflows")[2].(map[string]any)["steps"].(map[string]any)
			steps["storage-1"].(map[string]any)["title"] = "Store twice"
		}),
		editPair(t, "several scopes added and removed", func(map[string]any) {}, func(doc map[string]any) {
			a := list(doc, "solution", "auth_slots")[0].(map[string]any)
			a["scopes"] = []any{"admin", "export", "audit"}
		}),
		editPair(t, "several steps and services", func(map[string]any) {}, func(doc map[string]any) {
			for _, w := range list(doc, "workflows") {
				for name, st := range w.(map[string]any)["steps"].(map[string]any) {
					st := st.(map[string]any)
					st["title"] = "edited " + name
					st["authentication"] = map[string]any{"group": "g-" + name, "service_name": "svc-" + name, "service_version": 1}
				}
			}
		}),
	}
}

// TestMetamorphic: the findings of every golden and fuzz corpus pair stay
// the same, down to fingerprints and messages, when the files are
// re-indented, their keys and their unordered arrays shuffled, or an
// unknown field is added on both sides.
func TestMetamorphic(t *testing.T) {
	f := metamorphic(t)
	for _, p := range append(append(goldenPairs(t), corpusPairs(t)...), invalidPairs(t)...) {
		base, head := formattest.Files{"export.json": p.base}, formattest.Files{"export.json": p.head}
		t.Run(p.name+"/layout", func(t *testing.T) {
			formattest.Check(t, f, base, head, formattest.Layout(f.Structure))
		})
		t.Run(p.name+"/unknown-field", func(t *testing.T) {
			formattest.Check(t, f, base, head, formattest.Unknown())
		})
	}
}

// Duplicate identities are paired by content, and the message says which
// element a finding is about, by something other than its position.
func TestDuplicatesSayWhichWasPicked(t *testing.T) {
	want := map[string]string{
		"duplicate config external_id": `Config slot "Limit copy" changes type from string to number, so values stored by instances no longer fit (2 config slots share the identity "external_limit", which the platform rejects; paired by content, this is the one with id "c-dup").`,
		"duplicate auth external_id":   `Auth slot "CRM copy" asks for new scope admin, so end users must re-authorise it (2 auth slots share the identity "external_crm", which the platform rejects; paired by content, this is the one with id "a-dup").`,
		"duplicate workflow id":        `Workflow "Sync copy" changes (step "storage-1" modified); instances pick it up about 2 minutes after the release is published (2 workflows share the identity "wf-sync", which the platform rejects; paired by content, this is the one titled "Sync copy").`,
	}
	seen := 0
	defer func() {
		if seen != len(want) {
			t.Errorf("%d of the %d pairs exist", seen, len(want))
		}
	}()
	for _, p := range invalidPairs(t) {
		msg, ok := want[p.name]
		if !ok {
			continue
		}
		seen++
		fs := recordedAccounted(parse(t, "b.json", p.base), parse(t, "h.json", p.head)).Findings
		if len(fs) != 1 || fs[0].Message != msg {
			t.Errorf("%s: got %v, want one finding: %s", p.name, fs, msg)
		}
	}
}

// Tolerance: a field a newer exporter adds on both sides is no finding and
// no error, wherever it is; one that changes is reported by the generic
// rule, and text by the text rule.
func TestUnknownFields(t *testing.T) {
	both := func(doc map[string]any) {
		doc["exported_by"] = map[string]any{"tool": "tray-cli", "v": 2}
		list(doc, "solution", "config_slots")[0].(map[string]any)["x_validation"] = "^[0-9]+$"
	}
	for _, tc := range []struct {
		name string
		edit func(map[string]any)
		want []string
	}{
		{"same on both sides", func(map[string]any) {}, nil},
		{"unknown field changes", func(doc map[string]any) {
			list(doc, "solution", "config_slots")[0].(map[string]any)["x_validation"] = "^[0-9]*$"
		}, []string{"tray/other-changed /solution/config_slots[external_id=external_limit]/x_validation"}},
		{"title changes", func(doc map[string]any) {
			list(doc, "solution", "config_slots")[0].(map[string]any)["title"] = "Page size"
		}, []string{"tray/text-changed /solution/config_slots[external_id=external_limit]/title"}},
	} {
		p := editPair(t, tc.name, both, tc.edit)
		var got []string
		for _, f := range recordedAccounted(parse(t, "b.json", p.base), parse(t, "h.json", p.head)).Findings {
			got = append(got, f.Rule+" "+f.Subject)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}
