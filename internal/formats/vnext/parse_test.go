package vnext

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

func TestParseSamplePackage(t *testing.T) {
	pkg := loadTree(t, samplePackage).parse(t)
	if pkg.Name != "@burgan-tech/vnext-core" || pkg.Domain != "core" {
		t.Errorf("name %q domain %q", pkg.Name, pkg.Domain)
	}
	if want := (change.Declared{Version: "1.0.0", Location: change.Location{File: ConfigFile, Pointer: "/version", Line: 2, Column: 14}}); pkg.Version == nil || *pkg.Version != want {
		t.Errorf("declared version %+v, want %+v", pkg.Version, want)
	}
	var got []string
	for _, c := range pkg.Components {
		got = append(got, string(c.Kind)+" "+c.identity()+"@"+c.Version.Version+" "+c.Version.Location.String())
	}
	want := []string{
		"extension core/available-transitions@1.0.0 core/Extensions/available-transitions.json:3:14",
		"task core/invalidate-cache@1.0.0 core/Tasks/invalidate-cache.json:3:14",
		"task core/script-task@1.0.0 core/Tasks/script-task.json:3:14",
		"workflow core/sys-extensions@1.0.0 core/Workflows/sys-extensions.json:3:14",
		"workflow core/sys-flows@1.0.0 core/Workflows/sys-flows.json:3:14",
		"workflow core/sys-functions@1.0.0 core/Workflows/sys-functions.json:3:14",
		"workflow core/sys-schemas@1.0.0 core/Workflows/sys-schemas.json:3:14",
		"workflow core/sys-tasks@1.0.0 core/Workflows/sys-tasks.json:3:14",
		"workflow core/sys-views@1.0.0 core/Workflows/sys-views.json:3:14",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("components (-want +got):\n%s", diff)
	}
	if fs := recordedDiff(pkg, pkg).Findings; len(fs) != 0 {
		t.Errorf("a package against itself: %v", fs)
	}
	// Declared versions are located as jsonpos would locate them, also
	// after a byte-order mark and non-ASCII text on the same line.
	for _, src := range []string{"\xef\xbb\xbf{\"version\": \"1.0.0\"}", "{\"ä\": 1, \"version\": \"1.0.0\"}", "{\n\n  \"version\":\n\"2.0.0\"}"} {
		d, err := jsonpos.Parse("x.json", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		v := d.Root.Get("version")
		got := declared(d, v).Location
		line, col := d.Position(v.Off)
		if got.Line != line || got.Column != col {
			t.Errorf("%q: declared at %d:%d, jsonpos says %d:%d", src, got.Line, got.Column, line, col)
		}
	}
}

// The vendor's own package carries members its schemas forbid
// (startTransition.view, a Dapr service task's config.data): unknown members
// are tolerated, everything else the schemas say is enforced.
func TestSchemaViolations(t *testing.T) {
	sample := loadTree(t, samplePackage)
	cases := []struct {
		name    string
		file    string
		edit    func(tb testing.TB, r *jsonpos.Value)
		pointer string
		marker  string // the violating value's line holds it
		delta   int
		msg     string
	}{
		{
			name: "state type out of range", file: sysFlows,
			edit:    func(tb testing.TB, r *jsonpos.Value) { setMember(tb, r, stPassive, "stateType", "9") },
			pointer: stPassive + "/stateType", marker: `"stateType": 9`,
			msg: "value must be one of",
		},
		{
			name: "trigger type as a string", file: sysFlows,
			edit:    func(tb testing.TB, r *jsonpos.Value) { setMember(tb, r, trRecover, "triggerType", `"0"`) },
			pointer: trRecover + "/triggerType", marker: `"triggerType": "0"`,
			msg: "got string, want integer",
		},
		{
			name: "transition without a target", file: sysFlows,
			edit:    func(tb testing.TB, r *jsonpos.Value) { removeAt(tb, r, trArchive+"/target") },
			pointer: trArchive, marker: `"key": "archive"`, delta: -1,
			msg: "missing property 'target'",
		},
		{
			name: "scheduled transition without its timer", file: sysFlows,
			edit:    func(tb testing.TB, r *jsonpos.Value) { setMember(tb, r, trArchive, "triggerType", "2") },
			pointer: trArchive, marker: `"key": "archive"`, delta: -1,
			msg: "missing property 'timer'",
		},
		{
			name: "two initial states", file: sysFlows,
			edit:    func(tb testing.TB, r *jsonpos.Value) { setMember(tb, r, stDeleted, "stateType", "1") },
			pointer: "/attributes/states", marker: `"states": [`,
			msg: "/attributes/states",
		},
		{
			name: "bad duration (lookahead pattern)", file: sysFlows,
			edit: func(tb testing.TB, r *jsonpos.Value) {
				setMember(tb, r, "/attributes", "timeout", `{"key": "expire", "target": "deleted", "versionStrategy": "Minor", "timer": {"reset": "N", "duration": "PT"}}`)
			},
			pointer: "/attributes/timeout/timer/duration", marker: `"duration": "PT"`,
			msg: "does not match pattern",
		},
		{
			name: "task of an unknown type", file: taskFile,
			edit:    func(tb testing.TB, r *jsonpos.Value) { setMember(tb, r, "/attributes", "type", `"99"`) },
			pointer: "/attributes/type", marker: `"type": "99"`,
			msg: "value must be one of",
		},
		{
			name: "workflow key with capitals", file: sysFlows,
			edit:    func(tb testing.TB, r *jsonpos.Value) { setMember(tb, r, "", "key", `"Sys-Flows"`) },
			pointer: "/key", marker: `"key": "Sys-Flows"`,
			msg: "does not match pattern",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := sample.edit(t, c.file, func(r *jsonpos.Value) { c.edit(t, r) })
			_, err := parser(t).ParsePackage(bad.files(t))
			var ie *change.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("want an input error, got %v", err)
			}
			want := change.Location{File: c.file, Pointer: c.pointer, Line: lineOf(t, bad[c.file], c.marker) + c.delta}
			got := ie.Location
			got.Column = 0
			if ie.Rule != change.RuleSchemaViolation || got != want {
				t.Errorf("got %s at %+v, want %s at %+v", ie.Rule, got, change.RuleSchemaViolation, want)
			}
			if !strings.Contains(ie.Msg, c.msg) || !strings.Contains(ie.Error(), c.pointer) {
				t.Errorf("message %q lacks %q or the pointer", ie.Error(), c.msg)
			}
		})
	}
}

func TestSchemaToleratesUnknownMembers(t *testing.T) {
	sample := loadTree(t, samplePackage)
	ok := sample.edit(t, sysFlows, func(r *jsonpos.Value) {
		setMember(t, r, "", "x-owner", `"team-a"`)
		setMember(t, r, stDraft, "x-note", `{"any": ["thing"]}`)
		// An unknown member inside a {ref} reference: its oneOf branch fails
		// on that alone, so the reference still counts as one.
		setMember(t, r, startTr+"/schema", "x-comment", `"pinned later"`)
	})
	if _, err := parser(t).ParsePackage(ok.files(t)); err != nil {
		t.Fatalf("unknown members rejected: %v", err)
	}
}

func TestPackageInputErrors(t *testing.T) {
	sample := loadTree(t, samplePackage)
	cases := []struct {
		name    string
		tree    tree
		file    string
		pointer string
	}{
		{"no config", func() tree { t := sample.clone(); delete(t, ConfigFile); return t }(), ConfigFile, ""},
		{"version not a string", sample.edit(t, ConfigFile, func(r *jsonpos.Value) { setMember(t, r, "", "version", "1") }), ConfigFile, "/version"},
		{"paths not an object", sample.edit(t, ConfigFile, func(r *jsonpos.Value) { setMember(t, r, "", "paths", `"core"`) }), ConfigFile, "/paths"},
		{"export not a string", sample.edit(t, ConfigFile, func(r *jsonpos.Value) { appendTo(t, r, "/exports/tasks", `{"file": "x.json"}`) }), ConfigFile, "/exports/tasks/0"},
		{"package name not a string", sample.edit(t, "package.json", func(r *jsonpos.Value) { setMember(t, r, "", "name", "[]") }), "package.json", "/name"},
		{"component not an object", func() tree { t := sample.clone(); t["core/Tasks/list.json"] = []byte("[]"); return t }(), "core/Tasks/list.json", ""},
		{"duplicate workflow", func() tree { t := sample.clone(); t["core/Workflows/copy.json"] = t[sysFlows]; return t }(), "core/Workflows/sys-flows.json", "/key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parser(t).ParsePackage(c.tree.files(t))
			var ie *change.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("want an input error, got %v", err)
			}
			if ie.Rule != change.RuleSchemaViolation || ie.File != c.file || ie.Pointer != c.pointer {
				t.Errorf("got %s in %s at %q, want %s in %s at %q", ie.Rule, ie.File, ie.Pointer, change.RuleSchemaViolation, c.file, c.pointer)
			}
		})
	}
}

// Paths come from vnext.config.json: another components root and folder
// names are followed; files outside them are ignored.
func TestConfiguredPaths(t *testing.T) {
	sample := loadTree(t, samplePackage)
	moved := tree{}
	for p, src := range sample {
		p = strings.Replace(p, "core/Workflows/", "src/flows/", 1)
		p = strings.Replace(p, "core/", "src/", 1)
		moved[p] = src
	}
	moved = moved.edit(t, ConfigFile, func(r *jsonpos.Value) {
		setMember(t, r, "/paths", "componentsRoot", `"./src/"`)
		setMember(t, r, "/paths", "workflows", `"flows"`)
	})
	moved["src/README.json"] = []byte(`{"not": "a component"}`)
	moved["docs/example.json"] = []byte(`[1, 2, 3]`)
	pkg := moved.parse(t)
	if n := len(pkg.Components); n != 9 {
		t.Fatalf("%d components, want 9", n)
	}
	if fs := recordedDiff(sample.parse(t), pkg).Findings; len(fs) != 0 {
		t.Errorf("moving the components root changed something: %v", fs)
	}
}

func TestIsDefinition(t *testing.T) {
	sample := loadTree(t, samplePackage)
	for path, want := range map[string]bool{
		sysFlows: true, taskFile: true, extension: true,
		ConfigFile: false, "package.json": false,
	} {
		d, err := formats.ParseJSON(path, sample[path])
		if err != nil {
			t.Fatal(err)
		}
		if got := IsDefinition(d.Root); got != want {
			t.Errorf("IsDefinition(%s) = %v, want %v", path, got, want)
		}
	}
	for _, src := range []string{`[]`, `{"key": "a", "domain": "b", "flow": "c", "attributes": []}`, `{"key": 1, "domain": "b", "flow": "c", "attributes": {}}`} {
		d, _ := jsonpos.Parse("x", []byte(src))
		if IsDefinition(d.Root) {
			t.Errorf("IsDefinition(%s) = true", src)
		}
	}
}

func TestParseDefinition(t *testing.T) {
	sample := loadTree(t, samplePackage)
	one := func(tb testing.TB, src []byte) *Package {
		tb.Helper()
		d, err := formats.ParseJSON("sys-flows.json", src)
		if err != nil {
			tb.Fatal(err)
		}
		pkg, err := parser(tb).ParseDefinition(File{Path: "sys-flows.json", Doc: d})
		if err != nil {
			tb.Fatal(err)
		}
		return pkg
	}
	base := one(t, sample[sysFlows])
	if base.Name != "core" || base.Version == nil || base.Version.Version != "1.0.0" || base.Version.File != "sys-flows.json" {
		t.Errorf("lone definition: name %q version %+v", base.Name, base.Version)
	}
	head := sample.edit(t, sysFlows, func(r *jsonpos.Value) {
		removeAt(t, r, trArchive)
		setMember(t, r, "", "version", `"2.0.0"`)
	})
	cmpr := recordedDiff(base, one(t, head[sysFlows]))
	if len(cmpr.Findings) != 1 || cmpr.Findings[0].Rule != "vnext/transition-removed" || cmpr.Artifact != "vnext:core" {
		t.Errorf("got %s %v", cmpr.Artifact, cmpr.Findings)
	}
	if cmpr.Base.Version != "1.0.0" || cmpr.Head.Version != "2.0.0" {
		t.Errorf("declared %v → %v", cmpr.Base, cmpr.Head)
	}

	// A lone definition is validated too.
	bad := sample.edit(t, sysFlows, func(r *jsonpos.Value) { setMember(t, r, stDraft, "stateType", `"initial"`) })
	d, _ := formats.ParseJSON(sysFlows, bad[sysFlows])
	_, err := parser(t).ParseDefinition(File{Path: sysFlows, Doc: d})
	var ie *change.InputError
	if !errors.As(err, &ie) || ie.Pointer != stDraft+"/stateType" {
		t.Errorf("got %v", err)
	}
	// Not a definition at all.
	d, _ = formats.ParseJSON(ConfigFile, sample[ConfigFile])
	if _, err := parser(t).ParseDefinition(File{Path: ConfigFile, Doc: d}); !errors.As(err, &ie) {
		t.Errorf("vnext.config.json as a definition: %v", err)
	}
}

func TestRulesMatchCatalogue(t *testing.T) {
	// The vnext/… table of docs/rules.md, copied by hand.
	want := map[string][3]string{
		"vnext/workflow-removed":           {"breaking", "workflow", "manual"},
		"vnext/state-removed":              {"breaking", "workflow", "manual"},
		"vnext/state-type-changed":         {"breaking", "workflow", "manual"},
		"vnext/transition-removed":         {"breaking", "workflow", "manual"},
		"vnext/transition-target-changed":  {"breaking", "workflow", "manual"},
		"vnext/transition-trigger-changed": {"breaking", "workflow", "manual"},
		"vnext/reference-major-changed":    {"breaking", "workflow", "manual"},
		"vnext/roles-narrowed":             {"breaking", "auth", "manual"},
		"vnext/version-strategy-changed":   {"warning", "workflow", "none"},
		"vnext/state-added":                {"info", "workflow", "none"},
		"vnext/transition-added":           {"info", "workflow", "none"},
		"vnext/workflow-added":             {"info", "workflow", "none"},
		// Added beyond the product spec (README, "Rules").
		"vnext/text-changed":  {"info", "metadata", "none"},
		"vnext/other-changed": {"info", "other", "none"},
	}
	got := map[string][3]string{}
	for _, r := range Rules() {
		got[r.ID] = [3]string{string(r.Severity), string(r.Category), string(r.Upgrade)}
		wantBump := change.BumpPatch
		if strings.HasSuffix(r.ID, "-added") {
			wantBump = change.BumpMinor
		}
		if r.Bump != wantBump || r.FiresWhen == "" || r.Why == "" || r.Fix == "" {
			t.Errorf("%s: bump %v, texts %q %q %q", r.ID, r.Bump, r.FiresWhen, r.Why, r.Fix)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-catalogue +code):\n%s", diff)
	}
}

func TestLookaheadPattern(t *testing.T) {
	re, err := compileECMARegexp(`^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$`)
	if err != nil {
		t.Fatal(err)
	}
	// What JavaScript answers for the same pattern.
	for s, want := range map[string]bool{
		"P1D": true, "PT5M": true, "P1Y2M3DT4H5M6S": true, "P2W": false,
		"P": false, "PT": false, "P1DT": true, "PX": false, "1D": false,
	} {
		if got := re.MatchString(s); got != want {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
	}
	for _, bad := range []string{`a(?=b)c`, `^[a-z](?=b)c`, `^x(?=b`, `^x(?<=b)c`} {
		if _, err := compileECMARegexp(bad); err == nil {
			t.Errorf("%q compiled; only a lookahead after a literal prefix is supported", bad)
		}
	}
}
