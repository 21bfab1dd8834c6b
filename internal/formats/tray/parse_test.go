package tray

import (
	"errors"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name, src string
		want      bool
	}{
		{"flat export", `{"tray_export_version": 4, "export_type": "project", "workflows": []}`, true},
		{"wrapped export", `{"exportData": {"tray_export_version": 4, "export_type": "project"}}`, true},
		{"export_type without version", `{"export_type": "workflow", "workflows": []}`, true},
		{"ckbk template", `{"name": "Poll", "version": "1.0.0", "recipes": []}`, false},
		{"vnext workflow", `{"key": "x", "flow": "sys-flows", "attributes": {"states": []}}`, false},
		{"export_type alone", `{"export_type": "csv"}`, false},
		{"wrapped something else", `{"exportData": {"rows": []}}`, false},
		{"array", `[{"tray_export_version": 4}]`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := jsonpos.Parse("x.json", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if got := Detect(d.Root); got != tt.want {
				t.Errorf("Detect = %v, want %v", got, tt.want)
			}
		})
	}
	for _, f := range []string{"testdata/bynder-dropbox.project.json", "testdata/webdam-getty.project.json", "testdata/bynder-dropbox-sync-master.workflow.json"} {
		if !Detect(parseFile(t, f).Doc.Root) {
			t.Errorf("%s not detected", f)
		}
	}
}

func TestParseSample(t *testing.T) {
	e := parseFile(t, "testdata/webdam-getty.project.json")
	if e.Type != "project" || len(e.Workflows) != 6 || e.Solution == nil || len(e.Solution.AuthSlots) != 2 || len(e.Solution.ConfigSlots) != 11 {
		t.Fatalf("parsed %s export with %d workflows, solution %v", e.Type, len(e.Workflows), e.Solution != nil)
	}
	var org *ConfigSlot
	for _, c := range e.Solution.ConfigSlots {
		if c.ExternalID == "external_orgdownloads" {
			org = c
		}
	}
	if org == nil || org.AuthSlotID != "132a43e4-3415-46ec-ad18-68fae2621a42" || org.AuthSlotPointer != "/solution/config_slots/0/auth_slot_id" {
		t.Errorf("orgDownloads slot: %+v", org)
	}
	var scheduled []string
	for _, w := range e.Workflows {
		if w.Scheduled() {
			scheduled = append(scheduled, w.Title)
		}
	}
	if len(scheduled) != 1 || !strings.Contains(scheduled[0], "Interval Control") {
		t.Errorf("scheduled workflows = %q, want the Interval Control one", scheduled)
	}
}

func TestParseLookupAndLinkFromView(t *testing.T) {
	src := `{"tray_export_version": 4, "export_type": "project", "solution": {
  "config_slots": [{"id": "c1", "key": "drive", "type": "string"}],
  "view_schema": {"screens": [{"items": [
    {"itemType": 1, "slot": {"key": "drive", "authSlotId": "a1", "jsonSchema": {"lookup": {"operation": "list_drives", "input": {}}}}}
  ]}]}}}`
	e := parse(t, "v.json", []byte(src))
	c := e.Solution.ConfigSlots[0]
	if c.AuthSlotID != "a1" || c.AuthSlotPointer != "/solution/view_schema/screens/0/items/0/slot/authSlotId" {
		t.Errorf("link %q at %q", c.AuthSlotID, c.AuthSlotPointer)
	}
	if c.Lookup == nil || c.LookupPointer != "/solution/view_schema/screens/0/items/0/slot/jsonSchema/lookup" {
		t.Errorf("lookup %v at %q", c.Lookup, c.LookupPointer)
	}
}

func TestWrappedExportDiffsLikeFlat(t *testing.T) {
	wrap := func(src []byte) []byte {
		return []byte(`{"exportData": ` + string(src) + "}")
	}
	baseSrc := readFile(t, "testdata/bynder-dropbox.project.json")
	headSrc := readFile(t, "testdata/variants/bynder-dropbox.workflow-edit.json")
	flat := recordedDiff(parse(t, "base.json", baseSrc), parse(t, "head.json", headSrc))
	wrapped := recordedDiff(parse(t, "base.json", wrap(baseSrc)), parse(t, "head.json", wrap(headSrc)))
	if wrapped.Artifact != flat.Artifact || len(wrapped.Findings) != len(flat.Findings) || len(flat.Findings) == 0 {
		t.Fatalf("wrapped: %s with %d findings, flat: %s with %d", wrapped.Artifact, len(wrapped.Findings), flat.Artifact, len(flat.Findings))
	}
	for i, w := range wrapped.Findings {
		f := flat.Findings[i]
		if w.Rule != f.Rule || w.Subject != f.Subject || w.Pointer != "/exportData"+f.Pointer || w.Line != f.Line ||
			w.ComputeFingerprint() != f.ComputeFingerprint() {
			t.Errorf("wrapped finding %s %s at %s:%d differs from flat %s %s at %s:%d",
				w.Rule, w.Subject, w.Pointer, w.Line, f.Rule, f.Subject, f.Pointer, f.Line)
		}
	}
	// Wrapping alone changes nothing.
	if got := recordedDiff(parse(t, "base.json", baseSrc), parse(t, "head.json", wrap(baseSrc))); len(got.Findings) != 0 {
		t.Errorf("flat vs wrapped sample: %d findings", len(got.Findings))
	}
}

func TestParseSchemaViolations(t *testing.T) {
	src := string(readFile(t, "testdata/minimal.project.json"))
	tests := []struct {
		name    string
		edits   []edit
		raw     string // the whole document instead of edits
		pointer string
		at      string // snippet where the offending value starts
		want    string // in the message
	}{
		{
			name:    "auth_slots is an object",
			edits:   []edit{{"\"auth_slots\": [", "\"auth_slots\": {\"list\": ["}, {"\"scopes\": [\"send\"]\n      }\n    ],", "\"scopes\": [\"send\"]\n      }\n    ]},"}},
			pointer: "/solution/auth_slots", at: `{"list": [`, want: "must be an array, not an object",
		},
		{
			name:    "scopes is a string",
			edits:   []edit{{`"scopes": ["send"]`, `"scopes": "send"`}},
			pointer: "/solution/auth_slots/1/scopes", at: `"send"`, want: "must be an array, not a string",
		},
		{
			name:    "a scope is a number",
			edits:   []edit{{`"scopes": ["send"]`, `"scopes": [42]`}},
			pointer: "/solution/auth_slots/1/scopes/0", at: `42]`, want: "must be a string",
		},
		{
			name:    "hidden is a string",
			edits:   []edit{{"\"hidden\": true,\n        \"static\": true,\n        \"scopes\"", "\"hidden\": \"yes\",\n        \"static\": true,\n        \"scopes\""}},
			pointer: "/solution/auth_slots/1/hidden", at: `"yes"`, want: "must be a boolean",
		},
		{
			name:    "config slot is a number",
			edits:   []edit{{"\"config_slots\": [\n", "\"config_slots\": [\n      7,\n"}},
			pointer: "/solution/config_slots/0", at: "7,\n", want: "must be an object",
		},
		{
			name:    "workflows is an object",
			edits:   []edit{{"\"workflows\": [\n    {\n      \"id\": \"wf-sync\"", "\"workflows\": {\"x\": [\n    {\n      \"id\": \"wf-sync\""}, {"    }\n  ],\n  \"projects\"", "    }\n  ]},\n  \"projects\""}},
			pointer: "/workflows", at: `{"x": [`, want: "must be an array",
		},
		{
			name:    "step is a string",
			edits:   []edit{{`"storage-1": {"title": "Store"`, `"storage-1": "oops", "storage-2": {"title": "Store"`}},
			pointer: "/workflows/0/steps/storage-1", at: `"oops"`, want: "must be an object",
		},
		{
			name:    "service_version is a boolean",
			edits:   []edit{{`"service_version": 1}`, `"service_version": true}`}},
			pointer: "/workflows/0/steps/crm-1/authentication/service_version", at: `true}`, want: "must be a string",
		},
		{
			name:    "lookup is a string",
			edits:   []edit{{`"lookup": {"operation": "list_folders", "input": {"root": "/"}}`, `"lookup": "list_folders"`}},
			pointer: "/solution/view_schema/screens/0/items/2/jsonSchema/lookup", at: `"list_folders"`, want: "must be an object",
		},
		{
			name: "root is an array", raw: `[{"tray_export_version": 4}]`,
			pointer: "", at: `[{`, want: "must be an object",
		},
		{
			name: "exportData is a string", raw: `{"exportData": "nope"}`,
			pointer: "/exportData", at: `"nope"`, want: "must be an object",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := tt.raw
			if text == "" {
				text = apply(t, src, tt.edits)
			}
			doc, err := formats.ParseJSON("bad.json", []byte(text))
			if err != nil {
				t.Fatal(err)
			}
			e, err := Parse(doc)
			var ie *change.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("Parse = %v, %v; want an *change.InputError", e, err)
			}
			line, col := lineCol(t, text, tt.at)
			want := change.Location{File: "bad.json", Pointer: tt.pointer, Line: line, Column: col}
			if ie.Rule != change.RuleSchemaViolation || ie.Location != want {
				t.Errorf("error %s at %+v, want %s at %+v", ie.Rule, ie.Location, change.RuleSchemaViolation, want)
			}
			if !strings.Contains(ie.Msg, tt.want) || !strings.Contains(ie.Error(), tt.pointer) {
				t.Errorf("message %q lacks %q or the pointer", ie.Error(), tt.want)
			}
		})
	}
}

func TestParseTolerates(t *testing.T) {
	for _, src := range []string{
		`{"tray_export_version": 4}`,
		`{"tray_export_version": 4, "workflows": null, "solution": null, "projects": [{"extra": [1, 2]}]}`,
		`{"tray_export_version": 4, "workflows": [{"steps": {"s": {"connector": {"version": 2}, "authentication": {"service_version": "2"}}}}]}`,
		`{"tray_export_version": 4, "solution": {"auth_slots": [{"scopes": null}], "view_schema": {"screens": [{"items": ["SPACER", 3, {"itemType": "SPACER"}]}]}}}`,
	} {
		e := parse(t, "ok.json", []byte(src))
		if got := recordedDiff(e, e); len(got.Findings) != 0 {
			t.Errorf("%s: diff with itself has %d findings", src, len(got.Findings))
		}
	}
}
