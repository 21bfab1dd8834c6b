package ckbk

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
)

// headOnly are the rules that judge the head alone; comparing a template with
// itself may report them, and nothing else.
var headOnly = map[string]bool{ruleRoleDuplicate.ID: true, ruleUserDataMissing.ID: true, ruleChartOrphaned.ID: true}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.ckbk")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(small))
	f.Add([]byte(`{"recipes": [{"collectionRole": "a", "id": 1, "triggers": [{"type": "RECIPE", "data": {"callingRecipeIds": [1, "x"], "delaySeconds": 1e400}}]}, {"collectionRole": "a"}]}`))
	football := mustParse(f, "football.ckbk", readTestdata(f, "football-poll.ckbk"))
	f.Fuzz(func(t *testing.T, src []byte) {
		doc, err := formats.ParseJSON("f.ckbk", src)
		if err != nil {
			return
		}
		Detect(doc.Root)
		tpl, err := Parse(doc)
		if err != nil {
			var ie *change.InputError
			if !errors.As(err, &ie) || ie.Rule != change.RuleSchemaViolation || ie.Line == 0 {
				t.Fatalf("parse error is not a located schema violation: %v", err)
			}
			return
		}
		for _, fd := range accounted(tpl, tpl).Findings {
			if !headOnly[fd.Rule] {
				t.Errorf("template differs from itself: %s at %s: %s", fd.Rule, fd.Pointer, fd.Message)
			}
		}
		// Accounted as the engine does, every finding (generic ones too) is
		// located.
		for _, c := range []change.Comparison{Diff(nil, tpl), Diff(tpl, nil), accounted(football, tpl), accounted(tpl, football)} {
			for _, fd := range c.Findings {
				if fd.Line == 0 || fd.Rule == "" || fd.ComputeFingerprint() == "" {
					t.Errorf("unlocated finding %+v", fd)
				}
			}
		}
	})
}
