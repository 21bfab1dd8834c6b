package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/report"
	"github.com/breakwater-dev/breakwater/internal/rules"
)

// Every rule of the real catalogue, rendered as SARIF: descriptions read as
// one sentence each, and the help explains the upgrade in the catalogue's
// one wording.
func TestSARIFDescribesEveryRuleOnce(t *testing.T) {
	cat := rules.Default()
	r := &change.Report{}
	for _, rule := range cat.All() {
		r.Changes = append(r.Changes, rule.New("a", "s", change.Location{File: "f.json", Line: 1, Column: 1}, change.Head, "m"))
	}
	var b bytes.Buffer
	if err := report.SARIF(&b, r, cat, report.ToolInfo{Name: "breakwater"}); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID               string `json:"id"`
						ShortDescription struct{ Text string }
						Help             struct{ Text string }
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	got := log.Runs[0].Tool.Driver.Rules
	if len(got) != len(cat.All()) {
		t.Fatalf("%d rules described, want %d", len(got), len(cat.All()))
	}
	for _, d := range got {
		rule, _ := cat.Rule(d.ID)
		if text := d.ShortDescription.Text; strings.HasSuffix(text, "..") || !strings.HasSuffix(text, ".") || text[0] < 'A' || text[0] > 'Z' {
			t.Errorf("%s: short description %q is not one sentence", d.ID, text)
		}
		if m := rule.Upgrade.Meaning(); !strings.Contains(d.Help.Text, m) {
			t.Errorf("%s: help does not explain the upgrade as %q", d.ID, m)
		}
	}
}
