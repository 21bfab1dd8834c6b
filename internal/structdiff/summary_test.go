package structdiff

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Summaries and hashes feed the fingerprints of findings: rewriting a file
// (another indentation, keys and sets in another order) must not change
// them, and a value too long to show is summarised the same way whatever
// its layout.
func TestSummaryIgnoresLayout(t *testing.T) {
	d := MustNew(testSpec)
	base := parse(t, "b.json", `{"slots": []}`)
	long := strings.Repeat("x", 100)
	heads := []string{
		`{"slots": [{"key": "k", "scopes": ["a", "b"], "usage": [{"version_id": 1}], "conditions": []}]}`,
		"{\n\t\"slots\": [\n\t\t{\n\t\t\t\"scopes\": [\n\t\t\t\t\"b\",\n\t\t\t\t\"a\"\n\t\t\t],\n\t\t\t\"key\": \"k\",\n\t\t\t\"usage\": [{\"version_id\": 2}]\n\t\t}\n\t]\n}",
	}
	longs := []string{
		`{"slots": [{"key": "k", "v": "` + long + `", "w": "` + long + `"}]}`,
		`{"slots": [{"w": "` + long + `",` + strings.Repeat(" ", 600) + `"key": "k", "v": "` + long + `"}]}`,
	}
	for _, set := range [][]string{heads, longs} {
		var first []brief
		for _, h := range set {
			got := briefs(d.Diff(Input{Doc: base}, Input{Doc: parse(t, "h.json", h)}))
			for i := range got {
				got[i].Head = ""
			}
			if first == nil {
				first = got
				continue
			}
			if diff := cmp.Diff(first, got); diff != "" {
				t.Errorf("the layout changed the summary (-first +now):\n%s", diff)
			}
		}
	}
	got := briefs(d.Diff(Input{Doc: base}, Input{Doc: parse(t, "h.json", heads[1])}))
	if want := `{"key":"k","scopes":["a","b"],"usage":[{}]}`; got[0].After != want {
		t.Errorf("after = %s, want %s", got[0].After, want)
	}
	got = briefs(d.Diff(Input{Doc: base}, Input{Doc: parse(t, "h.json", longs[0])}))
	if !strings.HasPrefix(got[0].After, "#") {
		t.Errorf("a long value is shown as %s, want its hash", got[0].After)
	}
}

func TestIdentifierHash(t *testing.T) {
	d := MustNew(testSpec)
	a := d.NewIdentifier(Input{Doc: parse(t, "a.json", `{"slots": [{"key": "k", "scopes": ["a", "b"], "usage": [{"version_id": 1}]}, {"key": "j"}]}`)})
	b := d.NewIdentifier(Input{Doc: parse(t, "b.json", `{"slots": [{"key": "j"}, {"scopes": ["b", "a"], "key": "k", "usage": [{"version_id": 2}]}]}`)})
	ha, ok := a.Hash("/slots/0")
	hb, okb := b.Hash("/slots/1")
	if !ok || !okb || ha != hb {
		t.Errorf("equal slots hash %x (%v) and %x (%v)", ha, ok, hb, okb)
	}
	if hj, _ := b.Hash("/slots/0"); hj == hb {
		t.Error("different slots hash alike")
	}
	if _, ok := a.Hash("/slots/7"); ok {
		t.Error("a pointer that leads nowhere has a hash")
	}
}

func TestPairByContent(t *testing.T) {
	for _, tc := range []struct {
		base, head []uint64
		want       [][2]int
	}{
		{[]uint64{5, 1}, []uint64{1, 5}, [][2]int{{1, 0}, {0, 1}}},
		{[]uint64{9, 1}, []uint64{3, 1}, [][2]int{{1, 1}, {0, 0}}},
		{[]uint64{1}, []uint64{7, 1, 4}, [][2]int{{0, 1}, {-1, 2}, {-1, 0}}},
		{[]uint64{3, 2}, nil, [][2]int{{1, -1}, {0, -1}}},
	} {
		if diff := cmp.Diff(tc.want, PairByContent(tc.base, tc.head)); diff != "" {
			t.Errorf("%v × %v (-want +got):\n%s", tc.base, tc.head, diff)
		}
	}
}
