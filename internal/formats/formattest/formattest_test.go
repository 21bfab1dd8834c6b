package formattest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

var spec = structdiff.MustNew(structdiff.Spec{Arrays: []structdiff.Array{
	{Path: "/items", Keys: []string{"id"}, Why: "matched by id"},
	{Path: "/items/*/tags", Why: "a set"},
	{Path: "/screens", Keys: []string{"id"}, Ordered: true, Why: "shown in order"},
}})

const doc = `{"items": [{"id": 1, "tags": ["a", "b", "c", "d"], "x": {"y": [3, 2, 1]}}, {"id": 2}, {"id": 3}, {"id": 4}, {"id": 5}],
  "screens": [{"id": "s1"}, {"id": "s2"}, {"id": "s3"}], "dup": 1, "dup": 2, "s": "é\u0001\"\\"}`

func mustParse(t *testing.T, src []byte) *jsonpos.Doc {
	t.Helper()
	d, err := jsonpos.Parse("t.json", src)
	if err != nil {
		t.Fatalf("%v in:\n%s", err, src)
	}
	return d
}

// Every transform writes a different document that the spec reads the
// same, and only the shuffles of declared arrays move elements.
func TestTransformsPreserveMeaning(t *testing.T) {
	orig := mustParse(t, []byte(doc))
	for _, tr := range append(Standard(One(spec, nil)), AddUnknown(0, 1, 2, 3)) {
		t.Run(tr.Name, func(t *testing.T) {
			out, err := tr.Apply("t.json", []byte(doc), HeadSide)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(out, []byte(doc)) {
				t.Fatal("the transform changed nothing")
			}
			got := mustParse(t, out)
			r := spec.Diff(structdiff.Input{Doc: orig}, structdiff.Input{Doc: got})
			for _, c := range r.Changes {
				if strings.HasPrefix(tr.Name, "add-unknown") && strings.HasSuffix(c.Path, "/"+UnknownName) && c.Kind == structdiff.Added {
					continue
				}
				t.Errorf("%v", c)
			}
			if !strings.HasPrefix(tr.Name, "shuffle-arrays") && !strings.HasPrefix(tr.Name, "add-unknown") && !jsonpos.Equal(orig.Root, got.Root) {
				t.Error("the document changed beyond its layout")
			}
			// Ordered arrays and undeclared arrays never move.
			if a, b := ids(orig.Root.Get("screens")), ids(got.Root.Get("screens")); a != b {
				t.Errorf("screens moved: %s → %s", a, b)
			}
			if y := jsonpos.Canonical(item(got.Root, "1").Path("x", "y")); y != "[3,2,1]" {
				t.Errorf("an undeclared array moved: %s", y)
			}
			if d := got.Root.Get("dup"); d == nil || d.Text != "2" {
				t.Errorf("the repeated key now reads %v", d)
			}
		})
	}
}

func ids(arr *jsonpos.Value) string {
	var out []string
	for i := range arr.Kids {
		out = append(out, jsonpos.Canonical(arr.Kids[i].Get("id")))
	}
	return strings.Join(out, ",")
}

func item(root *jsonpos.Value, id string) *jsonpos.Value {
	items := root.Get("items")
	for i := range items.Kids {
		if jsonpos.Canonical(items.Kids[i].Get("id")) == id {
			return &items.Kids[i]
		}
	}
	return nil
}

func TestShuffleArraysMovesDeclaredArrays(t *testing.T) {
	moved := false
	for seed := range uint64(5) {
		out, err := ShuffleArrays(One(spec, nil), seed).Apply("t.json", []byte(doc), BaseSide)
		if err != nil {
			t.Fatal(err)
		}
		d := mustParse(t, out)
		if jsonpos.Canonical(item(d.Root, "1").Path("x", "y")) != "[3,2,1]" {
			t.Fatal("an undeclared array moved")
		}
		moved = moved || jsonpos.Canonical(d.Root.Find("/items")) != jsonpos.Canonical(mustParse(t, []byte(doc)).Root.Find("/items"))
	}
	if !moved {
		t.Error("no seed moved the items")
	}
}

func TestAddUnknownDepths(t *testing.T) {
	out, err := AddUnknown(0, 2).Apply("t.json", []byte(doc), BaseSide)
	if err != nil {
		t.Fatal(err)
	}
	d := mustParse(t, out)
	for ptr, want := range map[string]bool{"": true, "/items/0": true, "/screens/2": true, "/items/0/x": false} {
		if got := d.Root.Find(ptr).Get(UnknownName) != nil; got != want {
			t.Errorf("%q has the unknown member: %v, want %v", ptr, got, want)
		}
	}
}

// orderDependent is a differ with the bug metamorphic tests exist for: it
// reports the first of two items that share an id, and where it is.
func orderDependent(base, head Files) ([]change.Finding, error) {
	d, err := jsonpos.Parse("f.json", head["f.json"])
	if err != nil {
		return nil, err
	}
	rule := change.Rule{ID: "test/duplicate", Severity: change.Error}
	seen := map[string]int{}
	var out []change.Finding
	for i, it := range d.Root.Get("items").Kids {
		id := jsonpos.Canonical(it.Get("id"))
		if j, dup := seen[id]; dup {
			ptr := fmt.Sprintf("/items/%d", j)
			out = append(out, rule.New("t", "items["+id+"]", change.Location{File: "f.json", Pointer: ptr}, change.Head, "duplicate id, first at "+ptr))
		}
		seen[id] = i
	}
	return out, nil
}

func TestCompareFindsOrderDependence(t *testing.T) {
	f := Format{Structure: One(spec, nil), Diff: orderDependent}
	head := Files{"f.json": []byte(`{"items": [{"id": 1, "v": "a"}, {"id": 1, "v": "b"}, {"id": 2}]}`)}
	ms, err := Compare(f, Files{"f.json": []byte(`{}`)}, head, Standard(One(spec, nil)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.Transform)
	}
	if len(ms) == 0 || !strings.HasPrefix(names[0], "shuffle-arrays") {
		t.Fatalf("mismatches %v, want the array shuffles only", names)
	}
	for _, n := range names {
		if !strings.HasPrefix(n, "shuffle-arrays") {
			t.Errorf("%s reported a mismatch: layout must not matter", n)
		}
	}
	// A differ that reads only meaning passes every transform.
	fair := Format{Structure: One(spec, nil), Diff: func(base, head Files) ([]change.Finding, error) {
		d, err := jsonpos.Parse("f.json", head["f.json"])
		if err != nil {
			return nil, err
		}
		return []change.Finding{change.Rule{ID: "test/count"}.New("t", "items", change.Location{File: "f.json", Pointer: "/items"}, change.Head,
			fmt.Sprintf("%d items", len(d.Root.Get("items").Kids)))}, nil
	}}
	Check(t, fair, Files{"f.json": []byte(`{}`)}, head, Standard(One(spec, nil)))
}

func TestParseCorpus(t *testing.T) {
	got, err := ParseCorpus([]byte("go test fuzz v1\nbyte('\\x06')\n[]byte(\"{\\\"a\\\": 1}\")\nstring(`raw`)\nbool(true)\nint(-3)\nuint8(7)\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []any{uint8(6), []byte(`{"a": 1}`), "raw", true, -3, uint8(7)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for _, bad := range []string{"", "go test fuzz v2\n", "go test fuzz v1\nfloat64(1)\n", "go test fuzz v1\n[]byte(\"x)\n"} {
		if _, err := ParseCorpus([]byte(bad)); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
	// Every corpus entry of the repository parses.
	entries, _ := filepath.Glob("../../*/testdata/fuzz/*/*")
	more, _ := filepath.Glob("../*/testdata/fuzz/*/*")
	entries = append(entries, more...)
	if len(entries) == 0 {
		t.Fatal("no corpus entries found")
	}
	for _, e := range entries {
		data, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseCorpus(data); err != nil {
			t.Errorf("%s: %v", e, err)
		}
	}
}

// Nothing is added in, or beneath, the objects whose members are data.
func TestAddUnknownOutsideData(t *testing.T) {
	doc := `{"a": {"b": {"c": {}}}, "data": {"k": {"v": {}}}}`
	out, err := AddUnknownOutside([]string{"/data"}, 1, 2).Apply("t.json", []byte(doc), BaseSide)
	if err != nil {
		t.Fatal(err)
	}
	got, err := jsonpos.Parse("out.json", out)
	if err != nil {
		t.Fatal(err)
	}
	for ptr, want := range map[string]bool{"/a": true, "/a/b": true, "/data": false, "/data/k": false, "/data/k/v": false} {
		if has := got.Root.Find(ptr).Get(UnknownName) != nil; has != want {
			t.Errorf("%s has the unknown field: %v, want %v", ptr, has, want)
		}
	}
}
