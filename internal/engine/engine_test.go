package engine

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/change/changetest"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/rules"
)

// fired collects the rules the tests saw fire; TestMain fails the run when
// an artifact/… or input/… rule, which the engine reports, never did.
var fired changetest.Fired

func TestMain(m *testing.M) {
	os.Exit(changetest.Main(m, &fired, func() []change.Rule {
		var own []change.Rule
		for _, r := range rules.Default().All() {
			if strings.HasPrefix(r.ID, "artifact/") || strings.HasPrefix(r.ID, "input/") {
				own = append(own, r)
			}
		}
		return own
	}))
}

func newEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// files is one side of a comparison in memory, named "side/<path>".
type files map[string]string

func (f files) tree(label string) *MemTree {
	t := &MemTree{Label: label, Files: map[string][]byte{}, NamePrefix: "side/"}
	for p, data := range f {
		t.Files[p] = []byte(data)
	}
	return t
}

// run compares base and head under req (its trees are filled in) and
// records the rules that fired.
func run(t testing.TB, e *Engine, base, head files, req Request) (*Result, error) {
	t.Helper()
	req.Base, req.Head = base.tree("base"), head.tree("head")
	res, err := e.Run(context.Background(), req)
	fired.RecordError(err)
	if res != nil {
		fired.Record(res.Report.Changes...)
	}
	return res, err
}

func mustRun(t testing.TB, e *Engine, base, head files, req Request) *Result {
	t.Helper()
	res, err := run(t, e, base, head, req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const trayBase = `{"tray_export_version": 4, "export_type": "project", "workflows": [{"id": "w1", "title": "Sync", "steps": {}, "steps_structure": []}], "projects": [{"id": "p1", "name": "P"}],
 "solution": {"id": "s1", "name": "S", "auth_slots": [{"id": "a1", "auth_group": "g1", "service_id": "svc", "auth_app_id": "app", "title": "Slack", "external_id": "external_slack", "scopes": ["chat:write"]}], "config_slots": []}}`

var trayHead = strings.Replace(trayBase, `["chat:write"]`, `["chat:write", "users:read"]`, 1)

// traySolution is trayBase as another solution.
func traySolution(id string) string {
	return strings.Replace(trayBase, `"id": "s1"`, `"id": "`+id+`"`, 1)
}

const ckbkBase = `{"name": "Poll", "version": "1.0.0", "recipes": [{"id": 1, "name": "Entry", "collectionRole": "Entry", "triggers": [], "conditions": [], "actions": [], "elseActions": []}]}`

var ckbkHead = strings.Replace(strings.Replace(ckbkBase, `"collectionRole": "Entry"`, `"collectionRole": "Start"`, 1), `"1.0.0"`, `"2.0.0"`, 1)

func rulesOf(r *Result) []string {
	var ids []string
	for _, f := range r.Report.Changes {
		ids = append(ids, f.Rule)
	}
	return ids
}

func explicitConfig() *config.Config {
	c := config.Default()
	c.ArtifactsSet = true
	return c
}

func TestDetectsAndPairsByPath(t *testing.T) {
	e := newEngine(t)
	base := files{"tray/solution.json": trayBase, "poll.ckbk": ckbkBase, "notes.json": `{"hello": "world"}`, ".vscode/settings.json": `{"editor.tabSize": 2}`}
	head := files{"tray/solution.json": trayHead, "poll.ckbk": ckbkHead, "notes.json": `{"hello": "there"}`, ".vscode/settings.json": `{"editor.tabSize": 4}`}
	r := mustRun(t, e, base, head, Request{})
	want := []string{"ckbk/role-renamed", "tray/auth-scopes-added"}
	if diff := cmp.Diff(want, rulesOf(r)); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	for _, f := range r.Report.Changes {
		if !strings.HasPrefix(f.File, "side/") || f.Line == 0 {
			t.Errorf("%s: location %v does not name the head file and line", f.Rule, f.Location)
		}
	}
	// The .ckbk declares 1.0.0 → 2.0.0, a major bump: no version finding.
	if s := r.Report.Summary; s.DeclaredBump != change.BumpMajor || s.RequiredBump != change.BumpMajor {
		t.Errorf("bumps: %+v", s)
	}
	// Files that are not exports by content are read and passed over, and
	// counted as such.
	want2 := change.Compared{Base: "base", Head: "head", Artifacts: 2, BaseFiles: 2, HeadFiles: 2, Skipped: 4}
	if diff := cmp.Diff(want2, r.Compared()); diff != "" {
		t.Errorf("compared (-want +got):\n%s", diff)
	}
}

func TestPackageJSONVersion(t *testing.T) {
	e := newEngine(t)
	base := files{"s.json": trayBase, "package.json": `{"name": "x", "version": "1.0.0"}`}
	head := files{"s.json": trayHead, "package.json": "{\"name\": \"x\",\n  \"version\": \"1.1.0\"}"}
	r := mustRun(t, e, base, head, Request{})
	if diff := cmp.Diff([]string{"version/bump-insufficient", "tray/auth-scopes-added"}, rulesOf(r)); diff != "" {
		t.Fatalf("rules (-want +got):\n%s", diff)
	}
	got := r.Report.Changes[0].Location
	if want := (change.Location{File: "side/package.json", Pointer: "/version", Line: 2, Column: 14}); got != want {
		t.Errorf("bump finding at %+v, want %+v", got, want)
	}
}

// The configured version file is read wherever it is, whatever the globs.
func TestConfiguredVersionFile(t *testing.T) {
	e := newEngine(t)
	cfg := config.Default()
	cfg.Artifacts = []config.Artifact{{Paths: []string{"exports/*.json"}, Format: config.FormatAuto}}
	cfg.Version = config.VersionSource{File: "release/meta.json", Pointer: "/release/version"}
	base := files{"exports/s.json": trayBase, "release/meta.json": `{"release": {"version": "1.0.0"}}`}
	head := files{"exports/s.json": trayHead, "release/meta.json": `{"release": {"version": "1.0.1"}}`}
	r := mustRun(t, e, base, head, Request{Config: cfg})
	if s := r.Report.Summary; s.BaseVersion != "1.0.0" || s.HeadVersion != "1.0.1" || s.DeclaredBump != change.BumpPatch {
		t.Errorf("summary = %+v, want the versions of release/meta.json", s)
	}
}

func TestInputErrors(t *testing.T) {
	e := newEngine(t)
	tests := []struct {
		name     string
		head     files
		cfg      *config.Config
		wantRule string
		wantMsg  string
	}{
		{"invalid JSON names file:line:column", files{"s.json": "{\n  \"a\": [1,\n}"}, nil, change.RuleInvalidJSON, "side/s.json:3:1: invalid JSON"},
		{"unknown format when the globs are configured", files{"notes.json": `{"a": 1}`}, explicitConfig(), change.RuleUnknownFormat, "side/notes.json:1:1: unknown format"},
		{"schema violation", files{"s.json": strings.Replace(trayBase, `"scopes": ["chat:write"]`, `"scopes": "chat:write"`, 1)}, nil, change.RuleSchemaViolation, "/solution/auth_slots/0/scopes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, e, nil, tc.head, Request{Config: tc.cfg})
			var ie *change.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an InputError", err)
			}
			if ie.Rule != tc.wantRule || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("got %s: %v; want %s containing %q", ie.Rule, err, tc.wantRule, tc.wantMsg)
			}
		})
	}
	// The same unknown file is passed over by a scan with the default globs.
	if _, err := run(t, e, nil, files{"notes.json": `{"a": 1}`}, Request{}); err != nil {
		t.Errorf("scan: %v", err)
	}
}

// Every format forced by the configuration on a file of another format is
// a tool error, never an empty export.
func TestForcedFormatMustMatch(t *testing.T) {
	e := newEngine(t)
	for _, name := range e.Formats().Names() {
		t.Run(name, func(t *testing.T) {
			cfg := config.Default()
			cfg.ArtifactsSet = true
			cfg.Artifacts = []config.Artifact{{Paths: []string{"*.json"}, Format: name}}
			_, err := run(t, e, nil, files{"notes.json": `{"hello": "world"}`}, Request{Config: cfg})
			var ie *change.InputError
			if !errors.As(err, &ie) || ie.Rule != change.RuleUnknownFormat || !strings.Contains(ie.Msg, "format "+name) {
				t.Errorf("err = %v, want input/unknown-format naming %s", err, name)
			}
		})
	}
}

// A vNext package is a directory: its files compare as one artifact, and a
// transition retargeted in one definition is found.
func TestVNextPackage(t *testing.T) {
	e := newEngine(t)
	base := corePackage(t, "", "", "")
	head := corePackage(t, "Workflows/sys-flows.json", `"target": "active"`, `"target": "draft"`)
	r := mustRun(t, e, base, head, Request{})
	// The package keeps version 1.0.0 in vnext.config.json, so the breaking
	// change also fails the bump check.
	if diff := cmp.Diff([]string{"version/bump-insufficient", "vnext/transition-target-changed"}, rulesOf(r)); diff != "" {
		t.Fatalf("rules (-want +got):\n%s", diff)
	}
	if f := r.Report.Changes[0]; f.File != "side/pkg/vnext.config.json" {
		t.Errorf("bump finding in %s, want the package's vnext.config.json", f.File)
	}
	if c := r.Compared(); c.Artifacts != 1 || c.BaseFiles != len(base) || c.HeadFiles != len(head) {
		t.Errorf("compared %+v, want 1 artifact of %d files", c, len(base))
	}
	if r2 := mustRun(t, e, base, base, Request{}); len(r2.Report.Changes) != 0 {
		t.Errorf("identical package: %v", rulesOf(r2))
	}
}

// corePackage is the real vNext core package under pkg/; with an edit, the
// first occurrence of old in the file ending in suffix becomes new. Names
// are the paths themselves.
func corePackage(t testing.TB, suffix, old, new string) files {
	t.Helper()
	fs := readTree(t, "../formats/vnext/testdata/core-package", "pkg")
	if suffix == "" {
		return fs
	}
	for p, data := range fs {
		if strings.HasSuffix(p, suffix) {
			edited := strings.Replace(data, old, new, 1)
			if edited == data {
				t.Fatalf("fixture edit %q → %q did not apply to %s", old, new, p)
			}
			fs[p] = edited
			return fs
		}
	}
	t.Fatalf("no file ends in %s", suffix)
	return nil
}

func readTree(t testing.TB, root, prefix string) files {
	t.Helper()
	out := files{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		out[prefix+"/"+filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Names of package files are their paths here (the tree's prefix is "side/"
// for every file, and findings in a package name the parsed document).
func TestFormatChangeIsRemovalAndAddition(t *testing.T) {
	e := newEngine(t)
	r := mustRun(t, e, files{"x.json": trayBase}, files{"x.json": ckbkBase}, Request{})
	if diff := cmp.Diff([]string{"artifact/removed", "ckbk/role-added"}, rulesOf(r)); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
}

// A base that violates the vendor schema does not stop a pull request that
// fixes it; a head that violates it does.
func TestValidatesOnlyTheHead(t *testing.T) {
	e := newEngine(t)
	good := corePackage(t, "", "", "")
	bad := corePackage(t, "Workflows/sys-flows.json", `"stateType": 1`, `"stateType": 9`)
	if _, err := run(t, e, bad, good, Request{}); err != nil {
		t.Errorf("invalid base, valid head: %v", err)
	}
	_, err := run(t, e, good, bad, Request{})
	var ie *change.InputError
	if !errors.As(err, &ie) || ie.Rule != change.RuleSchemaViolation || !strings.Contains(ie.File, "sys-flows.json") || ie.Line == 0 {
		t.Errorf("valid base, invalid head: %v", err)
	}
}

// Only what the change touches is validated: a violation already in the
// base, left untouched, does not fail a pull request about something else.
func TestValidatesOnlyChangedFiles(t *testing.T) {
	e := newEngine(t)
	base := corePackage(t, "Workflows/sys-flows.json", `"stateType": 1`, `"stateType": 9`)
	head := maps.Clone(base)
	edited := corePackage(t, "Workflows/sys-tasks.json", `"versionStrategy": "Minor"`, `"versionStrategy": "Major"`)
	for p, data := range edited {
		if strings.HasSuffix(p, "Workflows/sys-tasks.json") {
			head[p] = data
		}
	}
	if _, err := run(t, e, base, head, Request{}); err != nil {
		t.Errorf("untouched invalid file failed the comparison: %v", err)
	}
}

// A base file that cannot be read at all (invalid JSON, a schema violation)
// does not stop the change that fixes it: the head is compared as new, and
// the report says so.
func TestFixingAnInvalidBasePasses(t *testing.T) {
	e := newEngine(t)
	for name, broken := range map[string]string{
		"invalid JSON":     trayBase[:len(trayBase)/2],
		"schema violation": strings.Replace(trayBase, `"scopes": ["chat:write"]`, `"scopes": "chat:write"`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			r := mustRun(t, e, files{"s.json": broken}, files{"s.json": trayBase}, Request{})
			if !r.Report.Summary.OK {
				t.Errorf("the fix fails the check: %v", rulesOf(r))
			}
			var got *change.Finding
			for i, f := range r.Report.Changes {
				if f.Rule == rules.ArtifactBaseInvalid {
					got = &r.Report.Changes[i]
				}
			}
			if got == nil || got.Side != change.Base || got.File != "side/s.json" || got.Line == 0 {
				t.Errorf("no located %s finding: %+v", rules.ArtifactBaseInvalid, r.Report.Changes)
			}
		})
	}
}

// A file that moved is paired by its identity, before its path, and shown
// as one move with the changes inside it.
func TestMovesArePairedByIdentity(t *testing.T) {
	e := newEngine(t)
	tests := []struct {
		name       string
		base, head files
		want       []string
	}{
		{"renamed file", files{"old/solution.json": trayBase}, files{"new/renamed.json": trayHead},
			[]string{"tray/auth-scopes-added", "artifact/moved"}},
		{"two files swap places", files{"a.json": traySolution("s1"), "b.json": traySolution("s2")}, files{"a.json": traySolution("s2"), "b.json": traySolution("s1")},
			[]string{"artifact/moved", "artifact/moved"}},
		{"a template renamed on disk", files{"poll.ckbk": ckbkBase}, files{"poll-v2.ckbk": ckbkHead},
			[]string{"ckbk/role-renamed", "artifact/moved"}},
		{"a vNext package moved", prefixed(corePackage(t, "", "", ""), "pkg/", "packages/core/"), corePackage(t, "", "", ""),
			[]string{"artifact/moved"}},
		// Same path, another identity, and no partner elsewhere: the same
		// file, compared as such; no rule but the generic one knows what a
		// new solution id means.
		{"identity changed in place", files{"s.json": traySolution("s1")}, files{"s.json": traySolution("s9")}, []string{"tray/other-changed"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustRun(t, e, tc.base, tc.head, Request{})
			if diff := cmp.Diff(tc.want, rulesOf(r)); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
			for _, f := range r.Report.Changes {
				if f.Rule == rules.ArtifactMoved && (f.Side != change.Head || f.Before == nil || f.After == nil || !strings.Contains(f.Message, "moved from")) {
					t.Errorf("move finding %+v does not say from where to where", f)
				}
			}
		})
	}
}

func prefixed(f files, old, new string) files {
	out := files{}
	for p, d := range f {
		out[new+strings.TrimPrefix(p, old)] = d
	}
	return out
}

// Removing a whole artifact is one finding with one meaning, whatever the
// format.
func TestRemovingAnArtifactIsOneFinding(t *testing.T) {
	e := newEngine(t)
	for name, base := range map[string]files{
		"tray":  {"s.json": trayBase},
		"ckbk":  {"poll.ckbk": ckbkBase},
		"vnext": corePackage(t, "", "", ""),
	} {
		t.Run(name, func(t *testing.T) {
			r := mustRun(t, e, base, files{"README.json.txt": "x"}, Request{})
			if diff := cmp.Diff([]string{"artifact/removed"}, rulesOf(r)); diff != "" {
				t.Fatalf("rules (-want +got):\n%s", diff)
			}
			f := r.Report.Changes[0]
			if f.Severity != change.Breaking || f.Side != change.Base || f.Line == 0 || !strings.HasPrefix(f.Artifact, name+":") {
				t.Errorf("removal finding %+v", f)
			}
			if r.Compared().Artifacts != 1 || r.Compared().HeadFiles != 0 {
				t.Errorf("compared %+v", r.Compared())
			}
		})
	}
}

// A finding about a removed value is anchored in the head file too, at the
// nearest value that is still there.
func TestBaseFindingsAreAnchoredInTheHead(t *testing.T) {
	e := newEngine(t)
	head := strings.Replace(trayBase, `"config_slots": []`, `"config_slots": [],"x":1`, 1)
	head = strings.Replace(head, `{"id": "w1", "title": "Sync", "steps": {}, "steps_structure": []}`, ``, 1)
	r := mustRun(t, e, files{"a.json": trayBase}, files{"b.json": head}, Request{})
	var removal *change.Finding
	for i, f := range r.Report.Changes {
		if f.Rule == "tray/workflow-removed" {
			removal = &r.Report.Changes[i]
		}
	}
	if removal == nil || removal.HeadAnchor == nil {
		t.Fatalf("no anchored removal in %+v", r.Report.Changes)
	}
	if a := removal.HeadAnchor; a.File != "side/b.json" || a.Line != 1 || a.Pointer != removal.Pointer {
		t.Errorf("anchor %+v, want the moved head file", a)
	}
}

// Every change of a compared pair is accounted for: what no rule covers is
// a finding of the format's generic rule, located like any finding (a
// removal anchored in the head), and the summary counts the changes.
func TestEveryChangeAccounted(t *testing.T) {
	e := newEngine(t)
	base := strings.Replace(trayBase, `"name": "S",`, `"name": "S", "x_gone": {"a": 1}, "x_level": 1,`, 1)
	head := strings.Replace(trayHead, `"name": "S",`, `"name": "Slack sync", "x_level": 2,`, 1)
	r := mustRun(t, e, files{"s.json": base}, files{"s.json": head}, Request{})
	got := map[string]string{}
	for _, f := range r.Report.Changes {
		got[f.Subject] = f.Rule
		if f.Rule == "tray/other-changed" && f.Side == change.Base && (f.HeadAnchor == nil || f.HeadAnchor.File != "side/s.json") {
			t.Errorf("removal %s is not anchored in the head: %+v", f.Subject, f.HeadAnchor)
		}
	}
	want := map[string]string{
		"auth_slots[external_slack]/scopes": "tray/auth-scopes-added",
		"/solution/name":                    "tray/text-changed",
		"/solution/x_gone":                  "tray/other-changed",
		"/solution/x_level":                 "tray/other-changed",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if c := r.Report.Summary.Coverage; c != (change.Coverage{Changes: 4, Generic: 2}) {
		t.Errorf("coverage %+v, want 4 changes, 2 generic", c)
	}
}

func TestTwoNamedFilesAreOnePair(t *testing.T) {
	e := newEngine(t)
	r := mustRun(t, e, files{"v1.json": trayBase}, files{"export-2025.json": trayHead}, Request{Pair: true})
	if diff := cmp.Diff([]string{"tray/auth-scopes-added"}, rulesOf(r)); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	// Named files must be exports.
	_, err := run(t, e, files{"a.json": trayBase}, files{"b.json": `{"x": 1}`}, Request{Pair: true})
	var ie *change.InputError
	if !errors.As(err, &ie) || ie.Rule != change.RuleUnknownFormat {
		t.Errorf("err = %v, want input/unknown-format", err)
	}
}

// A comparison that would compare nothing is an error that says what was
// searched, when the face requires artifacts.
func TestNothingToCompare(t *testing.T) {
	e := newEngine(t)
	cfg := explicitConfig()
	cfg.Artifacts = []config.Artifact{{Paths: []string{"exports/**/*.json"}, Format: config.FormatAuto}}
	tests := []struct {
		name       string
		base, head files
		cfg        *config.Config
		want       string
	}{
		{"empty base", files{"notes.txt": "x"}, files{"s.json": trayBase}, nil, "no export found in base: searched **/*.json, **/*.ckbk (0 of its 1 files matched)"},
		{"no export in the head", files{"s.json": trayBase}, files{"notes.json": "{}"}, nil, "no export found in head"},
		{"globs match nothing", files{"s.json": trayBase}, files{"s.json": trayHead}, cfg, "the artifacts globs of the configuration (exports/**/*.json, relative to the compared directories) match no file in base or head"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, e, tc.base, tc.head, Request{Config: tc.cfg, RequireArtifacts: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	// A pull request's comparison too: with globs that match nothing, every
	// change would touch no export.
	if _, err := run(t, e, files{"s.json": trayBase}, files{"s.json": trayHead}, Request{Config: cfg, OnlyChanged: true}); err == nil || !strings.Contains(err.Error(), "match no file in base or head") {
		t.Errorf("only changed: err = %v", err)
	}
}

// A change set limits the comparison to what it touches; a changed export
// no tree lists is an error, never left out.
func TestChangedFiles(t *testing.T) {
	e := newEngine(t)
	base := files{"a.json": trayBase, "b.json": traySolution("s2"), "docs/readme.md": "x"}
	head := files{"a.json": trayHead, "b.json": strings.Replace(traySolution("s2"), `"chat:write"`, `"admin"`, 1), "docs/readme.md": "y"}
	r := mustRun(t, e, base, head, Request{Changed: []string{"a.json", "docs/readme.md"}})
	if diff := cmp.Diff([]string{"tray/auth-scopes-added"}, rulesOf(r)); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if r := mustRun(t, e, base, head, Request{Changed: []string{"docs/readme.md"}}); r.Compared().Artifacts != 0 {
		t.Errorf("a change to no export compared %+v", r.Compared())
	}
	_, err := run(t, e, base, head, Request{Changed: []string{"exports/gone.json"}})
	if err == nil || !strings.Contains(err.Error(), "exports/gone.json is changed") {
		t.Errorf("err = %v, want the unlisted changed export named", err)
	}
	// Only files that are exports by content count.
	r = mustRun(t, e, files{".vscode/settings.json": "{}"}, files{".vscode/settings.json": `{"a": 1}`}, Request{Changed: []string{".vscode/settings.json"}})
	if c := r.Compared(); c.Artifacts != 0 || c.Skipped != 2 || len(r.Report.Changes) != 0 {
		t.Errorf("settings file: %+v %v", c, rulesOf(r))
	}
}

// OnlyChanged compares what the trees' blobs say changed, as if the
// changed files were named, and reads nothing else.
func TestOnlyChangedByBlobs(t *testing.T) {
	e := newEngine(t)
	base := files{"a.json": trayBase, "b.json": traySolution("s2"), "docs/readme.md": "x", "package.json": `{"version": "1.0.0"}`}
	head := files{"a.json": trayHead, "b.json": traySolution("s2"), "docs/readme.md": "y", "package.json": `{"version": "1.0.0"}`}
	bt, ht := &countingTree{MemTree: base.tree("base")}, &countingTree{MemTree: head.tree("head")}
	r, err := e.Run(context.Background(), Request{Base: bt, Head: ht, OnlyChanged: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"version/bump-insufficient", "tray/auth-scopes-added"}, rulesOf(r)); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	if c := r.Compared(); c.Artifacts != 1 || bt.reads.Load() != 2 || ht.reads.Load() != 2 {
		t.Errorf("compared %+v with %d+%d reads, want a.json and package.json on each side", c, bt.reads.Load(), ht.reads.Load())
	}

	// A change to no export compares and reads nothing.
	head = maps.Clone(base)
	head["docs/readme.md"] = "z"
	bt, ht = &countingTree{MemTree: base.tree("base")}, &countingTree{MemTree: head.tree("head")}
	if r, err := e.Run(context.Background(), Request{Base: bt, Head: ht, OnlyChanged: true}); err != nil || r.Compared().Artifacts != 0 || bt.reads.Load()+ht.reads.Load() != 0 {
		t.Errorf("a change to no export: %v, %+v, %d reads", err, r, bt.reads.Load()+ht.reads.Load())
	}

	// Entries without blobs are changed: everything is compared.
	if r := mustRun(t, e, base, head, Request{OnlyChanged: true}); r.Compared().Artifacts != 2 {
		t.Errorf("without blobs: compared %+v", r.Compared())
	}
	if _, err := run(t, e, base, head, Request{OnlyChanged: true, Changed: []string{"a.json"}}); err == nil {
		t.Error("a list of changed files was taken with OnlyChanged")
	}
}

// A tree that reads better in bulk is told, once and before any read, every
// file the comparison reads from it.
func TestReadAhead(t *testing.T) {
	e := newEngine(t)
	pkg := corePackage(t, "", "", "")
	base := files{"a.json": trayBase, "b.json": traySolution("s2"), "package.json": `{"version": "1.0.0"}`}
	maps.Copy(base, pkg)
	head := maps.Clone(base)
	head["a.json"] = trayHead
	bt, ht := &aheadTree{countingTree: countingTree{MemTree: base.tree("base")}}, &aheadTree{countingTree: countingTree{MemTree: head.tree("head")}}
	changed := []string{"a.json", "pkg/core/Tasks/script-task.json"}
	if _, err := e.Run(context.Background(), Request{Base: bt, Head: ht, Changed: changed}); err != nil {
		t.Fatal(err)
	}
	want := []string{"a.json", "package.json"}
	for p := range pkg {
		want = append(want, p)
	}
	slices.Sort(want)
	for _, tr := range []*aheadTree{bt, ht} {
		if tr.calls != 1 || tr.readFirst {
			t.Errorf("%s: %d calls, a read before: %v", tr.Label, tr.calls, tr.readFirst)
		}
		if diff := cmp.Diff(want, tr.ahead); diff != "" {
			t.Errorf("%s read ahead (-want +got):\n%s", tr.Label, diff)
		}
		for _, p := range tr.read {
			if !slices.Contains(tr.ahead, p) {
				t.Errorf("%s: %s was read without being announced", tr.Label, p)
			}
		}
	}
}

// aheadTree is a countingTree that reads ahead.
type aheadTree struct {
	countingTree
	mu        sync.Mutex
	calls     int
	readFirst bool
	ahead     []string
	read      []string
}

func (t *aheadTree) ReadAhead(_ context.Context, paths []string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls++
	t.readFirst = t.readFirst || len(t.read) > 0
	t.ahead = paths
	return nil
}

func (t *aheadTree) Read(ctx context.Context, p string) ([]byte, error) {
	t.mu.Lock()
	t.read = append(t.read, p)
	t.mu.Unlock()
	return t.countingTree.Read(ctx, p)
}

// Blobs the trees know to be equal are read once.
func TestEqualBlobsAreReadOnce(t *testing.T) {
	e := newEngine(t)
	pkg := corePackage(t, "", "", "")
	bt, ht := &countingTree{MemTree: pkg.tree("base")}, &countingTree{MemTree: pkg.tree("head")}
	if _, err := e.Run(context.Background(), Request{Base: bt, Head: ht}); err != nil {
		t.Fatal(err)
	}
	if n := bt.reads.Load() + ht.reads.Load(); n != int64(len(pkg)) {
		t.Errorf("%d reads for %d distinct files", n, len(pkg))
	}
}

// countingTree is a MemTree whose entries carry blob IDs (the content) and
// that counts reads.
type countingTree struct {
	*MemTree
	reads atomic.Int64
}

func (t *countingTree) List(ctx context.Context) ([]Entry, error) {
	es, err := t.MemTree.List(ctx)
	for i := range es {
		es[i].Blob = string(t.Files[es[i].Path])
	}
	return es, err
}

func (t *countingTree) Read(ctx context.Context, p string) ([]byte, error) {
	t.reads.Add(1)
	return t.MemTree.Read(ctx, p)
}

// Override globs match paths in the tree, like the artifacts globs, not the
// names reports show (which carry the directory given on the command line).
func TestOverridePathsAreRelativeToTheTree(t *testing.T) {
	e := newEngine(t)
	cfg := config.Default()
	cfg.Rules = []config.RuleOverride{{Rule: "tray/auth-scopes-added", Ignore: true, Paths: []string{"legacy/**"}}}
	base := files{"legacy/a.json": trayBase, "current/b.json": traySolution("s2")}
	head := files{"legacy/a.json": trayHead, "current/b.json": strings.Replace(traySolution("s2"), `["chat:write"]`, `["chat:write", "users:read"]`, 1)}
	r := mustRun(t, e, base, head, Request{Config: cfg})
	if len(r.Report.Changes) != 1 || r.Report.Changes[0].File != "side/current/b.json" {
		t.Errorf("findings %+v, want only current/b.json's", r.Report.Changes)
	}
}

// stallingTree lists one more file than it holds, broken; reading any
// other file waits until the comparison gives up, as a slow read would.
type stallingTree struct {
	*MemTree
	broken string
}

func (t *stallingTree) List(ctx context.Context) ([]Entry, error) {
	list, err := t.MemTree.List(ctx)
	return append(list, Entry{Path: t.broken, Name: t.NamePrefix + t.broken}), err
}

func (t *stallingTree) Read(ctx context.Context, p string) ([]byte, error) {
	if p == t.broken {
		return nil, errors.New("reading side/" + p + ": dangling link")
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// The error is the one that stopped the comparison, not the cancellation
// of the reads it interrupted ("context canceled" names no file).
func TestReadErrorNamesTheFile(t *testing.T) {
	e := newEngine(t)
	base := files{"a.json": trayBase, "b.json": traySolution("s2")}
	_, err := e.Run(context.Background(), Request{Base: base.tree("base"), Head: &stallingTree{MemTree: base.tree("head"), broken: "z.json"}})
	if err == nil || !strings.Contains(err.Error(), "side/z.json: dangling link") {
		t.Errorf("err = %v, want the broken file named", err)
	}
}
