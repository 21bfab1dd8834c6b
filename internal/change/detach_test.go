package change

import (
	"encoding/json"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// After Detach nothing of a comparison points into the bytes it was parsed
// from: overwriting them changes nothing.
func TestDetach(t *testing.T) {
	src := []byte(`"Region" "tray:solution/1" "a/b" "/x" "42" "scope:a" "k"`)
	word := func(i, j int) string { return unsafe.String(&src[i], j-i) }
	region, artifact, subject, ptr, num, scope, key := word(1, 7), word(10, 25), word(28, 31), word(34, 36), word(39, 41), word(44, 51), word(54, 55)
	// build makes a comparison whose strings all point into src.
	build := func() Comparison {
		loc := Location{File: subject, Pointer: ptr, Line: 3, Column: 7}
		return Comparison{
			Format: key, Artifact: artifact,
			Base: &Declared{Version: num, Location: loc},
			Findings: []Finding{{
				Rule: key, Artifact: artifact, Subject: subject, Location: loc, Message: region, Fingerprint: key,
				Before: map[string]any{key: []any{region, json.Number(num)}}, After: []string{scope},
				HeadAnchor: &loc, Slot: &SlotRef{ExternalID: scope, Default: json.RawMessage(src[0:8])},
				Accepted: &Acceptance{By: region, Reason: region, Via: key},
			}, {
				Before: struct{ Title string }{region}, After: 7,
			}},
		}
	}
	c := build()
	c.Detach()
	for i := range src {
		src[i] = 'X'
	}
	if shared := build(); shared.Findings[0].Message != "XXXXXX" {
		t.Fatalf("the test's strings do not share the source: %q", shared.Findings[0].Message)
	}
	lit := Location{File: "a/b", Pointer: "/x", Line: 3, Column: 7}
	want := Comparison{
		Format: "k", Artifact: "tray:solution/1",
		Base: &Declared{Version: "42", Location: lit},
		Findings: []Finding{{
			Rule: "k", Artifact: "tray:solution/1", Subject: "a/b", Location: lit, Message: "Region", Fingerprint: "k",
			Before: map[string]any{"k": []any{"Region", json.Number("42")}}, After: []string{"scope:a"},
			HeadAnchor: &lit, Slot: &SlotRef{ExternalID: "scope:a", Default: json.RawMessage(`"Region"`)},
			Accepted: &Acceptance{By: "Region", Reason: "Region", Via: "k"},
		}, {
			Before: map[string]any{"Title": "Region"}, After: 7,
		}},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("after Detach and overwriting the source (-want +got):\n%s", diff)
	}
}
