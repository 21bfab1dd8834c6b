package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
)

func newEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func file(path, data string) File {
	return File{Path: path, Name: "side/" + path, Data: []byte(data)}
}

const trayBase = `{"tray_export_version": 4, "export_type": "project", "workflows": [{"id": "w1", "title": "Sync", "steps": {}, "steps_structure": []}], "projects": [{"id": "p1", "name": "P"}],
 "solution": {"id": "s1", "name": "S", "auth_slots": [{"id": "a1", "auth_group": "g1", "service_id": "svc", "auth_app_id": "app", "title": "Slack", "external_id": "external_slack", "scopes": ["chat:write"]}], "config_slots": []}}`

var trayHead = strings.Replace(trayBase, `["chat:write"]`, `["chat:write", "users:read"]`, 1)

const ckbkBase = `{"name": "Poll", "version": "1.0.0", "recipes": [{"id": 1, "name": "Entry", "collectionRole": "Entry", "triggers": [], "conditions": [], "actions": [], "elseActions": []}]}`

var ckbkHead = strings.Replace(strings.Replace(ckbkBase, `"collectionRole": "Entry"`, `"collectionRole": "Start"`, 1), `"1.0.0"`, `"2.0.0"`, 1)

func rulesOf(r *change.Report) []string {
	var ids []string
	for _, f := range r.Changes {
		ids = append(ids, f.Rule)
	}
	return ids
}

func TestCompareDetectsAndPairsByPath(t *testing.T) {
	e := newEngine(t)
	base := []File{file("tray/solution.json", trayBase), file("poll.ckbk", ckbkBase), file("notes.json", `{"hello": "world"}`)}
	head := []File{file("tray/solution.json", trayHead), file("poll.ckbk", ckbkHead), file("notes.json", `{"hello": "there"}`)}
	r, err := e.Compare(base, head, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"ckbk/role-renamed", "tray/auth-scopes-added"}
	if diff := cmp.Diff(want, rulesOf(r)); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	for _, f := range r.Changes {
		if !strings.HasPrefix(f.File, "side/") || f.Line == 0 {
			t.Errorf("%s: location %v does not name the head file and line", f.Rule, f.Location)
		}
	}
	// The .ckbk declares 1.0.0 → 2.0.0, a major bump: no version finding.
	if r.Summary.DeclaredBump != change.BumpMajor || r.Summary.RequiredBump != change.BumpMajor {
		t.Errorf("bumps: %+v", r.Summary)
	}
}

func TestComparePackageJSONVersion(t *testing.T) {
	e := newEngine(t)
	base := []File{file("s.json", trayBase), file("package.json", `{"name": "x", "version": "1.0.0"}`)}
	head := []File{file("s.json", trayHead), file("package.json", `{"name": "x",
  "version": "1.1.0"}`)}
	r, err := e.Compare(base, head, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"version/bump-insufficient", "tray/auth-scopes-added"}, rulesOf(r)); diff != "" {
		t.Fatalf("rules (-want +got):\n%s", diff)
	}
	got := r.Changes[0].Location
	if want := (change.Location{File: "side/package.json", Pointer: "/version", Line: 2, Column: 14}); got != want {
		t.Errorf("bump finding at %+v, want %+v", got, want)
	}
}

func TestCompareInputErrors(t *testing.T) {
	e := newEngine(t)
	tests := []struct {
		name     string
		head     []File
		explicit bool
		wantRule string
		wantMsg  string
	}{
		{"invalid JSON names file:line:column", []File{file("s.json", "{\n  \"a\": [1,\n}")}, false, change.RuleInvalidJSON, "side/s.json:3:1: invalid JSON"},
		{"unknown format when named explicitly", []File{file("notes.json", `{"a": 1}`)}, true, change.RuleUnknownFormat, "side/notes.json:1:1: unknown format"},
		{"schema violation", []File{file("s.json", strings.Replace(trayBase, `"scopes": ["chat:write"]`, `"scopes": "chat:write"`, 1))}, false, change.RuleSchemaViolation, "/solution/auth_slots/0/scopes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Compare(nil, tc.head, Options{Explicit: tc.explicit})
			var ie *change.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want an InputError", err)
			}
			if ie.Rule != tc.wantRule || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("got %s: %v; want %s containing %q", ie.Rule, err, tc.wantRule, tc.wantMsg)
			}
		})
	}
	// The same unknown file is passed over by a directory scan.
	if _, err := e.Compare(nil, []File{file("notes.json", `{"a": 1}`)}, Options{}); err != nil {
		t.Errorf("scan: %v", err)
	}
}

// A vNext package is a directory: its files compare as one artifact, and a
// transition retargeted in one definition is found.
func TestCompareVNextPackage(t *testing.T) {
	e := newEngine(t)
	base := corePackage(t, "", "", "")
	head := corePackage(t, "Workflows/sys-flows.json", `"target": "active"`, `"target": "draft"`)
	r, err := e.Compare(base, head, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The package keeps version 1.0.0 in vnext.config.json, so the breaking
	// change also fails the bump check.
	if diff := cmp.Diff([]string{"version/bump-insufficient", "vnext/transition-target-changed"}, rulesOf(r)); diff != "" {
		t.Fatalf("rules (-want +got):\n%s", diff)
	}
	if f := r.Changes[0]; f.File != "pkg/vnext.config.json" {
		t.Errorf("bump finding in %s, want the package's vnext.config.json", f.File)
	}
	if r2, err := e.Compare(base, base, Options{}); err != nil || len(r2.Changes) != 0 {
		t.Errorf("identical package: %v %v", rulesOf(r2), err)
	}
}

// corePackage is the real vNext core package under pkg/; with an edit, the
// first occurrence of old in the file ending in suffix becomes new.
func corePackage(t testing.TB, suffix, old, new string) []File {
	t.Helper()
	files := readTree(t, "../formats/vnext/testdata/core-package", "pkg")
	if suffix == "" {
		return files
	}
	for i, f := range files {
		if strings.HasSuffix(f.Path, suffix) {
			edited := strings.Replace(string(f.Data), old, new, 1)
			if edited == string(f.Data) {
				t.Fatalf("fixture edit %q → %q did not apply to %s", old, new, f.Path)
			}
			files[i].Data = []byte(edited)
			return files
		}
	}
	t.Fatalf("no file ends in %s", suffix)
	return nil
}

func readTree(t testing.TB, root, prefix string) []File {
	t.Helper()
	var files []File
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = prefix + "/" + filepath.ToSlash(rel)
		files = append(files, File{Path: rel, Name: rel, Data: data})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestCompareFormatChangeIsRemovalAndAddition(t *testing.T) {
	e := newEngine(t)
	r, err := e.Compare([]File{file("x.json", trayBase)}, []File{file("x.json", ckbkBase)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(rulesOf(r), " ")
	if !strings.Contains(got, "tray/workflow-removed") || !strings.Contains(got, "ckbk/role-added") {
		t.Errorf("rules = %s, want the Tray export removed and the template added", got)
	}
}

// A base that violates the vendor schema does not stop a pull request that
// fixes it; a head that violates it does.
func TestCompareValidatesOnlyTheHead(t *testing.T) {
	e := newEngine(t)
	good := corePackage(t, "", "", "")
	bad := corePackage(t, "Workflows/sys-flows.json", `"stateType": 1`, `"stateType": 9`)
	if _, err := e.Compare(bad, good, Options{}); err != nil {
		t.Errorf("invalid base, valid head: %v", err)
	}
	_, err := e.Compare(good, bad, Options{})
	var ie *change.InputError
	if !errors.As(err, &ie) || ie.Rule != change.RuleSchemaViolation || !strings.Contains(ie.File, "sys-flows.json") || ie.Line == 0 {
		t.Errorf("valid base, invalid head: %v", err)
	}
}

// Only what the change touches is validated: a violation already in the
// base, left untouched, does not fail a pull request about something else.
func TestCompareValidatesOnlyChangedFiles(t *testing.T) {
	e := newEngine(t)
	base := corePackage(t, "Workflows/sys-flows.json", `"stateType": 1`, `"stateType": 9`)
	head := append([]File(nil), base...)
	edited := corePackage(t, "Workflows/sys-tasks.json", `"versionStrategy": "Minor"`, `"versionStrategy": "Major"`)
	for i, f := range edited {
		if strings.HasSuffix(f.Path, "Workflows/sys-tasks.json") {
			head[i] = f
		}
	}
	if _, err := e.Compare(base, head, Options{}); err != nil {
		t.Errorf("untouched invalid file failed the comparison: %v", err)
	}
}
