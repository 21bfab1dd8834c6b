package change

import "testing"

func TestFingerprintIgnoresPositions(t *testing.T) {
	r := Rule{ID: "tray/auth-scopes-added", Severity: Breaking}
	a := r.New("tray:solution/s1", "auth_slots[x]/scopes", Location{File: "a.json", Pointer: "/solution/auth_slots/0/scopes", Line: 10, Column: 3}, Head, "m").With([]any{"a"}, []any{"a", "b"})
	moved := r.New("tray:solution/s1", "auth_slots[x]/scopes", Location{File: "b.json", Pointer: "/solution/auth_slots/7/scopes", Line: 999, Column: 1}, Head, "other words").With([]any{"a"}, []any{"a", "b"})
	if a.ComputeFingerprint() != moved.ComputeFingerprint() {
		t.Error("fingerprint depends on file, pointer, line or message")
	}
	for name, other := range map[string]Finding{
		"rule":     Rule{ID: "tray/auth-scopes-removed"}.New(a.Artifact, a.Subject, a.Location, Head, "").With(a.Before, a.After),
		"artifact": r.New("tray:solution/s2", a.Subject, a.Location, Head, "").With(a.Before, a.After),
		"subject":  r.New(a.Artifact, "auth_slots[y]/scopes", a.Location, Head, "").With(a.Before, a.After),
		"values":   r.New(a.Artifact, a.Subject, a.Location, Head, "").With([]any{"a"}, []any{"a", "c"}),
	} {
		if other.ComputeFingerprint() == a.ComputeFingerprint() {
			t.Errorf("fingerprint ignores the %s", name)
		}
	}
	// Map key order never matters: values are encoded canonically.
	m1 := r.New("x", "y", Location{}, Head, "").With(map[string]any{"a": 1, "b": 2}, nil)
	m2 := r.New("x", "y", Location{}, Head, "").With(map[string]any{"b": 2, "a": 1}, nil)
	if m1.ComputeFingerprint() != m2.ComputeFingerprint() {
		t.Error("fingerprint depends on map order")
	}
}

func TestCondition(t *testing.T) {
	for in, want := range map[string]string{
		"An auth slot gains scopes.":                  "an auth slot gains scopes",
		"a recipe changes":                            "a recipe changes",
		"UpdateStatisticsAction changes its key.":     "UpdateStatisticsAction changes its key",
		"A recipe keeps its id but gets a new role. ": "a recipe keeps its id but gets a new role",
	} {
		if got := (Rule{FiresWhen: in}).Condition(); got != want {
			t.Errorf("Condition(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBumpText(t *testing.T) {
	for _, b := range []Bump{BumpUnknown, BumpNone, BumpPatch, BumpMinor, BumpMajor} {
		text, _ := b.MarshalText()
		var back Bump
		if err := back.UnmarshalText(text); err != nil || back != b {
			t.Errorf("%v round-trips to %v (%v)", b, back, err)
		}
	}
}
