package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

const reportSchemaPath = "../../schema/report.schema.json"

func compileSchema(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatalf("compiling %s: %v", path, err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, doc []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("output is not JSON: %v", err)
	}
	return sch.Validate(inst)
}

func TestJSONValidatesAgainstSchema(t *testing.T) {
	sch := compileSchema(t, reportSchemaPath)
	handBuilt := &change.Report{Changes: []change.Finding{{Rule: "x/y", Severity: change.Info, Category: change.CatMetadata, Upgrade: change.Lazy}}}
	withSlot := &change.Report{Changes: []change.Finding{{Rule: "tray/config-slot-added-required", Severity: change.Breaking, Category: change.CatConfig, Upgrade: change.SystemInput,
		Slot: &change.SlotRef{Kind: change.ConfigSlot, ExternalID: "external_region", Change: change.SlotAdded, Hidden: true, Required: true, HasDefault: true, Default: json.RawMessage(`{"a":[1]}`)}}}}
	for name, r := range map[string]*change.Report{
		"fixture":              fixtureReport(),
		"clean":                cleanReport(),
		"hostile":              hostileReport(),
		"20000 findings":       bigReport(20000),
		"hand-built, no gaps":  handBuilt,
		"with a slot":          withSlot,
		"zero value":           {},
		"nil":                  nil,
		"declared bump unread": summarize(&change.Report{}, change.BumpNone, change.BumpUnknown, "never"),
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := JSON(&b, r); err != nil {
				t.Fatal(err)
			}
			if err := validate(t, sch, b.Bytes()); err != nil {
				t.Errorf("does not validate against %s:\n%v", reportSchemaPath, err)
			}
		})
	}
}

// TestReportSchemaRejects proves the schema is not vacuous: each mutation of
// a valid report breaks it.
func TestReportSchemaRejects(t *testing.T) {
	sch := compileSchema(t, reportSchemaPath)
	var b bytes.Buffer
	if err := JSON(&b, fixtureReport()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		mutate func(m map[string]any)
	}{
		{"no summary", func(m map[string]any) { delete(m, "summary") }},
		{"no ok", func(m map[string]any) { delete(summaryOf(m), "ok") }},
		{"bad bump", func(m map[string]any) { summaryOf(m)["requiredBump"] = "huge" }},
		{"unknown required bump", func(m map[string]any) { summaryOf(m)["requiredBump"] = "unknown" }},
		{"missing severity count", func(m map[string]any) { delete(summaryOf(m)["severities"].(map[string]any), "info") }},
		{"negative count", func(m map[string]any) { summaryOf(m)["breaking"] = -1 }},
		{"bad severity", func(m map[string]any) { changeOf(m)["severity"] = "fatal" }},
		{"bad upgrade", func(m map[string]any) { changeOf(m)["upgrade"] = "later" }},
		{"slot without external ID", func(m map[string]any) { changeOf(m)["slot"] = map[string]any{"kind": "auth", "change": "added"} }},
		{"bad slot change", func(m map[string]any) {
			changeOf(m)["slot"] = map[string]any{"kind": "auth", "externalId": "x", "change": "renamed"}
		}},
		{"no fingerprint", func(m map[string]any) { delete(changeOf(m), "fingerprint") }},
		{"bad pointer", func(m map[string]any) { changeOf(m)["pointer"] = "auth_slots/0" }},
		{"bad acceptance", func(m map[string]any) { changeOf(m)["accepted"] = map[string]any{"by": "alice"} }},
		{"extra field", func(m map[string]any) { changeOf(m)["extra"] = true }},
		{"wrong version", func(m map[string]any) { m["version"] = "2" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(b.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			tt.mutate(m)
			doc, _ := json.Marshal(m)
			if err := validate(t, sch, doc); err == nil {
				t.Errorf("the schema accepts a report with %s", tt.name)
			}
		})
	}
}

func summaryOf(m map[string]any) map[string]any { return m["summary"].(map[string]any) }
func changeOf(m map[string]any) map[string]any  { return m["changes"].([]any)[1].(map[string]any) }

// TestJSONRoundTrip: the JSON report decodes into the report it came from,
// so consumers lose nothing.
func TestJSONRoundTrip(t *testing.T) {
	want := fixtureReport()
	var b bytes.Buffer
	if err := JSON(&b, want); err != nil {
		t.Fatal(err)
	}
	var got change.Report
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// Values come back as generic JSON (numbers as float64); NoEndUser is
	// internal to classification and not part of the format.
	for i := range want.Changes {
		f := &want.Changes[i]
		f.Before, f.After, f.NoEndUser = viaJSON(f.Before), viaJSON(f.After), false
	}
	if diff := cmp.Diff(want, &got); diff != "" {
		t.Errorf("round trip differs (-want +got):\n%s", diff)
	}
}

func viaJSON(v any) any {
	if v == nil {
		return nil
	}
	raw, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

func TestJSONIsStable(t *testing.T) {
	var a, b bytes.Buffer
	if err := JSON(&a, fixtureReport()); err != nil {
		t.Fatal(err)
	}
	if err := JSON(&b, fixtureReport()); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Errorf("two renderings of the same report differ")
	}
	// The brief's field order for a change.
	order := []string{`"rule"`, `"severity"`, `"category"`, `"upgrade"`, `"artifact"`, `"subject"`, `"file"`, `"pointer"`, `"line"`, `"column"`, `"side"`, `"message"`, `"before"`, `"after"`, `"fingerprint"`}
	first := a.String()[strings.Index(a.String(), `"changes"`):]
	last := -1
	for _, key := range order {
		i := strings.Index(first, key)
		if i <= last {
			t.Errorf("%s out of order in the first change", key)
		}
		last = i
	}
}

func TestJSONDoesNotMutateReport(t *testing.T) {
	r := &change.Report{}
	var b bytes.Buffer
	if err := JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if r.Version != "" || r.Changes != nil || r.Summary.Severities != nil || r.Summary.FailOn != "" {
		t.Errorf("JSON changed its input: %+v", r)
	}
}

// A huge value is cut with a visible marker in JSON and SARIF, not copied
// whole; the fingerprint still speaks for the whole value.
func TestHugeValuesAreCut(t *testing.T) {
	huge := strings.Repeat("x", 50<<20)
	f := book["tray/config-default-changed"].New("a", "s", change.Location{File: "f.json", Line: 1, Column: 1}, change.Head, "m").
		With("small", map[string]any{"default": huge})
	f.Fingerprint = f.ComputeFingerprint()
	r := &change.Report{Changes: []change.Finding{f}}
	for name, render := range map[string]func(*bytes.Buffer) error{
		"json":  func(b *bytes.Buffer) error { return JSON(b, r) },
		"sarif": func(b *bytes.Buffer) error { return SARIF(b, r, book, tool) },
	} {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if b.Len() > 64<<10 || !strings.Contains(out, fmt.Sprintf("[cut by Breakwater: %d bytes of JSON in all]", len(huge)+len(`{"default":""}`))) || !strings.Contains(out, `"small"`) {
			t.Errorf("%s: %d bytes, marker present: %v", name, b.Len(), strings.Contains(out, "cut by Breakwater"))
		}
		if !strings.Contains(out, f.Fingerprint) {
			t.Errorf("%s: the fingerprint is gone", name)
		}
	}
	if r.Changes[0].After.(map[string]any)["default"] != huge {
		t.Error("rendering changed the report's own value")
	}
}
