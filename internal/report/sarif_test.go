package report

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/google/go-cmp/cmp"
)

// sarifSchemaPath is the official OASIS schema; see testdata/README.md.
const sarifSchemaPath = "testdata/sarif-schema-2.1.0.json"

func renderSARIF(t *testing.T, r *change.Report, b RuleBook, ti ToolInfo) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := SARIF(&out, r, b, ti); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestSARIFValidatesAgainstOfficialSchema(t *testing.T) {
	sch := compileSchema(t, sarifSchemaPath)
	odd := finding("tray/auth-scopes-added", "a", "s", `C:\exports\a b#1?.json`, "/p", 2, 0, change.Head, "", nil, nil)
	abs := finding("tray/auth-scopes-added", "a", "s2", "/tmp/exports/x.json", "/p", 0, 0, change.Head, "m", nil, nil)
	tests := []struct {
		name string
		r    *change.Report
		book RuleBook
		tool ToolInfo
	}{
		{"fixture", fixtureReport(), book, tool},
		{"clean", cleanReport(), book, tool},
		{"hostile", hostileReport(), book, tool},
		{"20000 findings", bigReport(20000), book, tool},
		{"no rule book", fixtureReport(), nil, ToolInfo{}},
		{"relative information URI", fixtureReport(), book, ToolInfo{Name: "bw", InformationURI: "not a url"}},
		{"odd file names", &change.Report{Changes: []change.Finding{odd, abs}}, book, tool},
		{"nil report", nil, nil, tool},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := validate(t, sch, renderSARIF(t, tt.r, tt.book, tt.tool)); err != nil {
				t.Errorf("not valid SARIF 2.1.0:\n%v", err)
			}
		})
	}
}

// TestSARIFSchemaRejects proves the official schema is wired in for real.
func TestSARIFSchemaRejects(t *testing.T) {
	sch := compileSchema(t, sarifSchemaPath)
	for name, doc := range map[string]string{
		"wrong version":   `{"version":"2.0.0","runs":[]}`,
		"bad level":       `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"fatal"}]}]}`,
		"region line 0":   `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a"},"region":{"startLine":0}}}]}]}]}`,
		"no message":      `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":"r"}]}]}`,
		"bad suppression": `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"suppressions":[{"kind":"label"}]}]}]}`,
		"bad uri":         `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a b\\c"}}}]}]}]}`,
	} {
		if err := validate(t, sch, []byte(doc)); err == nil {
			t.Errorf("the schema accepts a log with %s", name)
		}
	}
}

// sarifView is the part of a SARIF log the assertions look at.
type sarifView struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID                   string `json:"id"`
					ShortDescription     struct{ Text string }
					Help                 *struct{ Text, Markdown string }
					DefaultConfiguration struct{ Level string }
					Properties           struct{ Tags []string }
				}
			}
		}
		Results []struct {
			RuleID              string
			RuleIndex           int
			Level               string
			Message             struct{ Text string }
			Locations           []json.RawMessage
			PartialFingerprints map[string]string
			Suppressions        []struct{ Kind, State, Justification string }
			Properties          map[string]any
		}
	}
}

func TestSARIFMapsFindings(t *testing.T) {
	r := fixtureReport()
	var log sarifView
	if err := json.Unmarshal(renderSARIF(t, r, book, tool), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	rules := run.Tool.Driver.Rules
	for i := 1; i < len(rules); i++ {
		if rules[i-1].ID >= rules[i].ID {
			t.Errorf("rules not sorted and unique: %s before %s", rules[i-1].ID, rules[i].ID)
		}
	}
	if len(run.Results) != len(r.Changes) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(r.Changes))
	}
	wantLevel := map[change.Severity]string{change.Breaking: "error", change.Error: "error", change.Warning: "warning", change.Info: "note"}
	for i, res := range run.Results {
		f := r.Changes[i]
		rule := rules[res.RuleIndex]
		if res.RuleID != f.Rule || rule.ID != f.Rule {
			t.Errorf("result %d: ruleId %s, ruleIndex names %s, want %s", i, res.RuleID, rule.ID, f.Rule)
		}
		if res.Level != wantLevel[f.Severity] {
			t.Errorf("%s: level %s, want %s", f.Rule, res.Level, wantLevel[f.Severity])
		}
		if rule.DefaultConfiguration.Level != wantLevel[book[f.Rule].Severity] {
			t.Errorf("%s: default level %s", f.Rule, rule.DefaultConfiguration.Level)
		}
		if diff := cmp.Diff([]string{string(book[f.Rule].Category)}, rule.Properties.Tags); diff != "" {
			t.Errorf("%s: tags (-want +got):\n%s", f.Rule, diff)
		}
		if res.PartialFingerprints["breakwater/v1"] != f.Fingerprint {
			t.Errorf("%s: partial fingerprint %v, want %s", f.Rule, res.PartialFingerprints, f.Fingerprint)
		}
		if res.Properties["upgrade"] != string(f.Upgrade) || res.Properties["pointer"] != f.Pointer || res.Properties["category"] != string(f.Category) {
			t.Errorf("%s: properties %v", f.Rule, res.Properties)
		}
		if (f.Accepted != nil) != (len(res.Suppressions) == 1) {
			t.Errorf("%s: accepted=%v but %d suppressions", f.Rule, f.Accepted != nil, len(res.Suppressions))
		}
	}

	// A re-graded finding keeps the rule's default level but gets its own.
	r.Changes[6].Severity = change.Breaking // tray/config-slot-removed, a warning by default
	if err := json.Unmarshal(renderSARIF(t, r, book, tool), &log); err != nil {
		t.Fatal(err)
	}
	res := log.Runs[0].Results[6]
	if res.Level != "error" || log.Runs[0].Tool.Driver.Rules[res.RuleIndex].DefaultConfiguration.Level != "warning" {
		t.Errorf("re-graded warning: level %s, default %s", res.Level, log.Runs[0].Tool.Driver.Rules[res.RuleIndex].DefaultConfiguration.Level)
	}
}

func TestSARIFLocations(t *testing.T) {
	tests := []struct {
		name string
		f    change.Finding
		want string // the result's locations, as JSON
	}{
		{"head with line", finding("tray/auth-scopes-added", "a", "s", "exports/a b.json", "/p", 42, 7, change.Head, "m", nil, nil),
			`[{"physicalLocation":{"artifactLocation":{"uri":"exports/a%20b.json"},"region":{"startLine":42,"startColumn":7}}}]`},
		{"line 0 omits region", finding("tray/auth-scopes-added", "a", "s", "a.json", "", 0, 0, change.Head, "m", nil, nil),
			`[{"physicalLocation":{"artifactLocation":{"uri":"a.json"}}}]`},
		{"base side omits region", finding("vnext/state-removed", "a", "s", "w.json", "/s", 88, 9, change.Base, "m", nil, nil),
			`[{"physicalLocation":{"artifactLocation":{"uri":"w.json"}}}]`},
		{"no file, no location", finding("version/bump-insufficient", "a", "s", "", "", 0, 0, change.Head, "m", nil, nil),
			`null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log struct {
				Runs []struct {
					Results []struct {
						Locations  json.RawMessage
						Properties map[string]any
					}
				}
			}
			out := renderSARIF(t, &change.Report{Changes: []change.Finding{tt.f}}, book, tool)
			if err := json.Unmarshal(out, &log); err != nil {
				t.Fatal(err)
			}
			got := log.Runs[0].Results[0].Locations
			var compact bytes.Buffer
			if len(got) > 0 {
				_ = json.Compact(&compact, got)
			} else {
				compact.WriteString("null")
			}
			if compact.String() != tt.want {
				t.Errorf("locations = %s, want %s", compact.String(), tt.want)
			}
			if tt.f.Side == change.Base && log.Runs[0].Results[0].Properties["baseLine"] != float64(tt.f.Line) {
				t.Errorf("base line not kept in properties: %v", log.Runs[0].Results[0].Properties)
			}
		})
	}
}

func TestFileURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"exports/solution.json", "exports/solution.json"},
		{"exports/a b.json", "exports/a%20b.json"},
		{"a#b?.json", "a%23b%3F.json"},
		{`dir\file.json`, "dir/file.json"},
		{"c:file.json", "./c:file.json"},
		{"/abs/path.json", "file:///abs/path.json"},
	}
	for _, tt := range tests {
		if got := fileURI(tt.in); got != tt.want {
			t.Errorf("fileURI(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
