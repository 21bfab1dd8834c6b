package registry

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/formats"
)

func TestEveryFormatIsDescribedAndOwnsItsRules(t *testing.T) {
	reg := Default()
	if diff := cmp.Diff([]string{"tray", "ckbk", "vnext"}, reg.Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	for _, f := range reg.All() {
		if f.Family().Prefix != f.Name()+"/" || f.Family().Title == "" || f.Noun() == "" || len(f.Extensions()) == 0 {
			t.Errorf("%s is not fully described: %+v %q %v", f.Name(), f.Family(), f.Noun(), f.Extensions())
		}
		if len(f.Rules()) == 0 {
			t.Errorf("%s has no rules", f.Name())
		}
		for _, r := range f.Rules() {
			if !strings.HasPrefix(r.ID, f.Name()+"/") {
				t.Errorf("%s's rule %s is outside its family", f.Name(), r.ID)
			}
		}
	}
	if got := reg.Extensions(); !cmp.Equal(got, []string{".json", ".ckbk"}) {
		t.Errorf("extensions %v", got)
	}
	if !reg.Readable("a/B.CKBK") || reg.Readable("a.yml") {
		t.Error("Readable")
	}
	if got := reg.Nouns(); got != "a Tray.io export, a FrontlineCloud .ckbk template or a vNext definition" {
		t.Errorf("nouns %q", got)
	}
	if len(reg.Packagers()) != 1 || reg.Packagers()[0].Marker() != "vnext.config.json" {
		t.Errorf("packagers %v", reg.Packagers())
	}
}

func TestDetection(t *testing.T) {
	reg := Default()
	for src, want := range map[string]string{
		`{"tray_export_version": 4, "workflows": []}`:                        "tray",
		`{"exportData": {"tray_export_version": 4}}`:                         "tray",
		`{"name": "Poll", "recipes": [{"collectionRole": "A"}]}`:             "ckbk",
		`{"key": "k", "domain": "d", "flow": "sys-flows", "attributes": {}}`: "vnext",
		`{"editor.tabSize": 2}`:                                              "",
		`[1, 2]`:                                                             "",
	} {
		doc, err := formats.ParseJSON("f.json", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if f, ok := reg.Detect(doc.Root); ok {
			got = f.Name()
		}
		if got != want {
			t.Errorf("%s detected as %q, want %q", src, got, want)
		}
	}
}

func TestDuplicateNamesAreAProgrammingError(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	f := Default().All()[0]
	formats.NewRegistry(f, f)
}
