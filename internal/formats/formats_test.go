package formats

import (
	"errors"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
)

func TestLocateFallsBackToNearestParent(t *testing.T) {
	d, err := ParseJSON("f.json", []byte("{\n  \"a\": {\n    \"b\": [10, 20]\n  }\n}"))
	if err != nil {
		t.Fatal(err)
	}
	for ptr, want := range map[string]change.Location{
		"/a/b/1":       {File: "f.json", Pointer: "/a/b/1", Line: 3, Column: 15},
		"/a/missing/x": {File: "f.json", Pointer: "/a/missing/x", Line: 2, Column: 8},
		"":             {File: "f.json", Pointer: "", Line: 1, Column: 1},
	} {
		if got := Locate(d, ptr); got != want {
			t.Errorf("Locate(%q) = %+v, want %+v", ptr, got, want)
		}
	}
}

func TestParseJSONError(t *testing.T) {
	_, err := ParseJSON("bad.json", []byte(`{"a": tru}`))
	var ie *change.InputError
	if !errors.As(err, &ie) || ie.Rule != change.RuleInvalidJSON || ie.Line != 1 || ie.Column != 7 {
		t.Fatalf("err = %#v", err)
	}
	if want := `bad.json:1:7: invalid JSON: unexpected 't', expected "true"`; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
}
