package vnext

import (
	"errors"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// fuzzSeeds are the real components plus edits that reach the parts of the
// model the real package leaves empty: roles, shared transitions, subflows.
func fuzzSeeds(tb testing.TB, sample tree) [][]byte {
	var seeds [][]byte
	for _, p := range sortedPaths(sample) {
		seeds = append(seeds, sample[p])
	}
	rich := sample.edit(tb, sysFlows, func(r *jsonpos.Value) {
		setMember(tb, r, trActivate, "roles", `[{"role": "admin", "grant": "allow"}, "legacy-role"]`)
		setMember(tb, r, stActive, "queryRoles", `[{"role": "viewer", "grant": "deny"}]`)
		appendTo(tb, r, "/attributes/sharedTransitions",
			`{"key": "force-delete", "target": "$self", "triggerType": 0, "versionStrategy": "Major", "labels": `+labelsJSON+`}`)
		appendTo(tb, r, "/attributes/states",
			`{"key": "kyc", "stateType": 4, "versionStrategy": "Minor", "labels": `+labelsJSON+`,
			  "subFlow": {"type": "S", "process": {"key": "kyc-flow", "domain": "idm", "version": "latest", "flow": "sys-flows"},
			              "mapping": {"location": "./src/Kyc.csx", "code": "eA=="}}}`)
		setMember(tb, r, "/attributes", "functions", `[{"key": "score", "domain": "risk", "version": "2", "flow": "sys-functions"}]`)
	})
	return append(seeds, rich[sysFlows])
}

// checkComparison holds for every comparison: findings are located in a
// file with a line, and name a rule of the catalogue.
func checkComparison(t *testing.T, c change.Comparison) {
	t.Helper()
	ids := map[string]bool{}
	for _, r := range Rules() {
		ids[r.ID] = true
	}
	for _, f := range c.Findings {
		if !ids[f.Rule] || f.File == "" || f.Line < 1 || f.Column < 1 || f.Subject == "" {
			t.Fatalf("bad finding %+v", f)
		}
	}
}

func checkInputError(t *testing.T, err error) {
	t.Helper()
	var ie *change.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error is no input error: %v", err)
	}
	if ie.File == "" || ie.Msg == "" {
		t.Fatalf("input error without file or message: %+v", ie)
	}
}

// FuzzParsePackage puts arbitrary bytes into the real package as a
// component of any kind: parsing must fail with a located input error or
// give a package that diffs cleanly.
func FuzzParsePackage(f *testing.F) {
	sample := loadTree(f, samplePackage)
	for _, s := range fuzzSeeds(f, sample) {
		for k := range kindInfos {
			f.Add(uint8(k), s)
		}
	}
	p := parser(f)
	base, err := p.ParsePackage(sample.files(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, kind uint8, src []byte) {
		ki := kindInfos[int(kind)%len(kindInfos)]
		path := "core/" + ki.folder + "/fuzz.json"
		d, err := formats.ParseJSON(path, src)
		if err != nil {
			return
		}
		files := append(sample.files(t), File{Path: path, Doc: d})
		pkg, err := p.ParsePackage(files)
		if err != nil {
			checkInputError(t, err)
			return
		}
		if fs := accounted(pkg, pkg).Findings; len(fs) != 0 {
			t.Fatalf("a package against itself: %v", fs)
		}
		checkComparison(t, accounted(base, pkg))
		checkComparison(t, accounted(pkg, base))
		checkComparison(t, Diff(nil, pkg))
	})
}

// FuzzParseDefinition diffs arbitrary bytes as a lone definition against
// the real sys-flows workflow.
func FuzzParseDefinition(f *testing.F) {
	sample := loadTree(f, samplePackage)
	for _, s := range fuzzSeeds(f, sample) {
		f.Add(s)
	}
	p := parser(f)
	d, err := formats.ParseJSON(sysFlows, sample[sysFlows])
	if err != nil {
		f.Fatal(err)
	}
	base, err := p.ParseDefinition(File{Path: sysFlows, Doc: d})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := formats.ParseJSON("fuzz.json", src)
		if err != nil {
			return
		}
		if !IsDefinition(d.Root) {
			if _, err := p.ParseDefinition(File{Path: "fuzz.json", Doc: d}); err == nil {
				t.Fatal("ParseDefinition accepted what IsDefinition rejects")
			}
			return
		}
		pkg, err := p.ParseDefinition(File{Path: "fuzz.json", Doc: d})
		if err != nil {
			checkInputError(t, err)
			return
		}
		if fs := accounted(pkg, pkg).Findings; len(fs) != 0 {
			t.Fatalf("a definition against itself: %v", fs)
		}
		checkComparison(t, accounted(base, pkg))
		checkComparison(t, accounted(pkg, base))
	})
}
