package tray

import (
	"errors"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// FuzzParse feeds arbitrary JSON to Detect, Parse and Diff, accounted for
// as the engine does. None may panic; Parse fails only with a located
// schema violation; an export diffed with itself has no findings; every
// finding, generic ones included, is located in its side's file.
func FuzzParse(f *testing.F) {
	f.Add(readFile(f, "testdata/minimal.project.json"))
	// The real samples are too large to fuzz well (minimising their mutants
	// takes minutes); minimal.project.json has every part the rules read.
	f.Add([]byte(`{"exportData": {"tray_export_version": 4, "workflows": [{"id": "w", "steps": {"a": {"authentication": {"service_name": "x", "service_version": 1}}}}]}}`))
	f.Add([]byte(`{"tray_export_version": 4, "solution": {"auth_slots": [{"scopes": "x"}]}}`))
	sample := parse(f, "sample.json", readFile(f, "testdata/minimal.project.json"))
	f.Fuzz(func(t *testing.T, src []byte) {
		doc, err := jsonpos.Parse("fuzz.json", src)
		if err != nil {
			return
		}
		Detect(doc.Root)
		e, err := Parse(doc)
		if err != nil {
			var ie *change.InputError
			if !errors.As(err, &ie) || ie.Rule != change.RuleSchemaViolation || ie.Line < 1 || ie.File != "fuzz.json" {
				t.Fatalf("Parse error %#v is not a located schema violation", err)
			}
			return
		}
		if c := accounted(e, e); len(c.Findings) != 0 {
			t.Fatalf("diff with itself: %s %s", c.Findings[0].Rule, c.Findings[0].Message)
		}
		for _, pair := range [][2]*Export{{sample, e}, {e, sample}, {nil, e}, {e, nil}} {
			for _, f := range accounted(pair[0], pair[1]).Findings {
				side := pair[1]
				if f.Side == change.Base {
					side = pair[0]
				}
				if f.Line < 1 || f.File != side.Doc.File {
					t.Fatalf("%s on the %s side located at %+v", f.Rule, f.Side, f.Location)
				}
			}
		}
	})
}
