package vnext

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/formats/formattest"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// metamorphic is the format as formattest sees it: a package a side, its
// files by path, diffed and accounted for as the engine does, generic
// findings included.
func metamorphic(t testing.TB) formattest.Format {
	c := checker(t)
	p := parser(t)
	return formattest.Format{
		Structure: func(name string, _ *jsonpos.Doc) (*structdiff.Differ, string) { return c.DifferFor(name), "" },
		Diff: func(base, head formattest.Files) ([]change.Finding, error) {
			var sides [2]*Package
			for i, files := range []formattest.Files{base, head} {
				var fs []File
				for _, name := range files.Names() {
					doc, err := formats.ParseJSON(name, files[name])
					if err != nil {
						return nil, err
					}
					fs = append(fs, File{Path: name, Doc: doc})
				}
				pkg, err := p.ParsePackage(fs)
				if err != nil {
					return nil, err
				}
				sides[i] = pkg
			}
			return accounted(sides[0], sides[1]).Findings, nil
		},
	}
}

type mpair struct {
	name       string
	base, head tree
}

// corpusPairs put every FuzzParsePackage corpus entry into the sample
// package, as the fuzz target does, and pair that package with the sample,
// both ways.
func corpusPairs(t *testing.T, sample tree) []mpair {
	p := parser(t)
	entries, _ := filepath.Glob("testdata/fuzz/FuzzParsePackage/*")
	var out []mpair
	for _, e := range entries {
		data, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		vals, err := formattest.ParseCorpus(data)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		ki := kindInfos[int(vals[0].(uint8))%len(kindInfos)]
		fuzzed := sample.clone()
		fuzzed["core/"+ki.folder+"/fuzz.json"] = vals[1].([]byte)
		if _, err := formats.ParseJSON("x.json", vals[1].([]byte)); err != nil {
			continue
		}
		if _, err := p.ParsePackage(fuzzed.files(t)); err != nil {
			continue
		}
		name := filepath.Base(e)
		out = append(out, mpair{"sample→" + name, sample, fuzzed}, mpair{name + "→sample", fuzzed, sample})
	}
	return out
}

// invalidPairs hold duplicate keys the golden scenarios do not: the
// findings must not depend on which duplicate comes first.
func invalidPairs(t *testing.T, sample tree) []mpair {
	dupState := editFlows(func(tb testing.TB, r *jsonpos.Value) {
		appendTo(tb, r, "/attributes/states", `{"key": "passive", "stateType": 3, "versionStrategy": "Minor", "labels": `+labelsJSON+`}`)
	})(t, sample)
	dupTransition := editFlows(func(tb testing.TB, r *jsonpos.Value) {
		appendTo(tb, r, stActive+"/transitions",
			`{"key": "deactivate", "target": "deleted", "triggerType": 0, "versionStrategy": "Minor", "labels": `+labelsJSON+`}`)
	})(t, sample)
	return []mpair{
		{"two task references replaced", sample, editFlows(func(tb testing.TB, r *jsonpos.Value) {
			setMember(tb, r, trActivate+"/onExecutionTasks/0", "task", `{"key": "notify", "domain": "core", "version": "1.0.0", "flow": "sys-tasks"}`)
			setMember(tb, r, trActivate+"/onExecutionTasks/1", "task", `{"key": "archive", "domain": "core", "version": "1.0.0", "flow": "sys-tasks"}`)
		})(t, sample)},
		{"duplicate state key", dupState, editFlows(func(tb testing.TB, r *jsonpos.Value) {
			setMember(tb, r, "/attributes/states/4", "stateType", `2`)
		})(t, dupState)},
		{"duplicate transition key", dupTransition, editFlows(func(tb testing.TB, r *jsonpos.Value) {
			setMember(tb, r, stActive+"/transitions/2", "target", `"passive"`)
		})(t, dupTransition)},
	}
}

// definitionFormat diffs lone definitions, as FuzzParseDefinition does.
func definitionFormat(t testing.TB) formattest.Format {
	f := metamorphic(t)
	p := parser(t)
	f.Diff = func(base, head formattest.Files) ([]change.Finding, error) {
		var sides [2]*Package
		for i, files := range []formattest.Files{base, head} {
			for _, name := range files.Names() {
				doc, err := formats.ParseJSON(name, files[name])
				if err != nil {
					return nil, err
				}
				if sides[i], err = p.ParseDefinition(File{Path: name, Doc: doc}); err != nil {
					return nil, err
				}
			}
		}
		return accounted(sides[0], sides[1]).Findings, nil
	}
	return f
}

// definitionPairs pair the real sys-flows definition with every fuzz seed
// and FuzzParseDefinition corpus entry that is a definition, both ways.
func definitionPairs(t *testing.T, sample tree) []mpair {
	p := parser(t)
	srcs := fuzzSeeds(t, sample)
	entries, _ := filepath.Glob("testdata/fuzz/FuzzParseDefinition/*")
	for _, e := range entries {
		data, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		vals, err := formattest.ParseCorpus(data)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		srcs = append(srcs, vals[0].([]byte))
	}
	var out []mpair
	for i, src := range srcs {
		doc, err := formats.ParseJSON(sysFlows, src)
		if err != nil || !IsDefinition(doc.Root) {
			continue
		}
		if _, err := p.ParseDefinition(File{Path: sysFlows, Doc: doc}); err != nil {
			continue
		}
		name := fmt.Sprintf("definition-%d", i)
		if i >= len(srcs)-len(entries) {
			name = filepath.Base(entries[i-(len(srcs)-len(entries))])
		}
		out = append(out, mpair{"sys-flows→" + name, tree{sysFlows: sample[sysFlows]}, tree{sysFlows: src}},
			mpair{name + "→sys-flows", tree{sysFlows: src}, tree{sysFlows: sample[sysFlows]}})
	}
	if len(out) == 0 {
		t.Fatal("no definition pairs")
	}
	return out
}

// TestMetamorphic: the findings of every golden scenario and fuzz corpus
// pair stay the same, down to fingerprints and messages, when the files
// are re-indented, their keys and their unordered arrays shuffled, or an
// unknown field is added on both sides.
func TestMetamorphic(t *testing.T) {
	f := metamorphic(t)
	sample := loadTree(t, samplePackage)
	var pairs []mpair
	for _, s := range scenarios {
		base := s.base(t, sample)
		pairs = append(pairs, mpair{s.name, base, s.head(t, base)})
	}
	pairs = append(pairs, corpusPairs(t, sample)...)
	pairs = append(pairs, invalidPairs(t, sample)...)
	run := func(f formattest.Format, pairs []mpair) {
		for _, p := range pairs {
			base, head := formattest.Files(p.base), formattest.Files(p.head)
			t.Run(p.name+"/layout", func(t *testing.T) {
				formattest.Check(t, f, base, head, formattest.Layout(f.Structure))
			})
			t.Run(p.name+"/unknown-field", func(t *testing.T) {
				formattest.Check(t, f, base, head, formattest.Unknown())
			})
		}
	}
	run(f, pairs)
	run(definitionFormat(t), definitionPairs(t, sample))
}

// Duplicate keys are paired by content, and the message says which element
// a finding is about, by something other than its position.
func TestDuplicatesSayWhichWasPicked(t *testing.T) {
	sample := loadTree(t, samplePackage)
	want := map[string][]string{
		"duplicate state key":      {`stateType of state "passive" in workflow core/sys-flows changed from 3 (final) to 2 (intermediate) (2 states share the key "passive", which the platform rejects; paired by content, this is the one of stateType 2).`},
		"duplicate transition key": {`Transition "deactivate" of state "active" in workflow core/sys-flows now leads to "passive" instead of "deleted" (2 transitions share the key "deactivate", which the platform rejects; paired by content, this is the one that leads to "passive").`},
	}
	seen := 0
	defer func() {
		if seen != len(want) {
			t.Errorf("%d of the %d pairs exist", seen, len(want))
		}
	}()
	for _, p := range invalidPairs(t, sample) {
		w, ok := want[p.name]
		if !ok {
			continue
		}
		seen++
		var got []string
		for _, f := range recordedAccounted(p.base.parse(t), p.head.parse(t)).Findings {
			got = append(got, f.Message)
		}
		if d := cmp.Diff(w, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", p.name, d)
		}
	}
}

// Tolerance: a field a newer tool adds on both sides is no finding and no
// error (the vendor schemas allow it where they allow it); one that changes
// is reported by the generic rule.
func TestUnknownFields(t *testing.T) {
	sample := loadTree(t, samplePackage)
	both := sample.edit(t, ConfigFile, func(r *jsonpos.Value) { setMember(t, r, "", "x-generator", `{"tool": "vnext-cli", "v": 2}`) })
	for _, tc := range []struct {
		name string
		head tree
		want []string
	}{
		{"same on both sides", both, nil},
		{"unknown field changes", both.edit(t, ConfigFile, func(r *jsonpos.Value) { setMember(t, r, "/x-generator", "v", `3`) }),
			[]string{"vnext/other-changed vnext.config.json#/x-generator/v"}},
	} {
		var got []string
		for _, f := range recordedAccounted(both.parse(t), tc.head.parse(t)).Findings {
			got = append(got, f.Rule+" "+f.Subject)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}
