package traytest

import (
	"testing"
)

// FuzzCursor: cursors round-trip, and any string either names a position
// of its kind or is refused, never a panic.
func FuzzCursor(f *testing.F) {
	f.Add("inst", 42, "aW5zdDo0Mg==")
	f.Add("sol", 0, "c29sOi0x")
	f.Add("inst", -7, "not base64 at all")
	f.Add("inst", 1, "aW5zdDo=")
	f.Fuzz(func(t *testing.T, kind string, n int, raw string) {
		got, err := parseCursor(kind, cursorOf(kind, n))
		if err != nil || got != n {
			t.Fatalf("round trip of %q/%d: %d, %v", kind, n, got, err)
		}
		if m, err := parseCursor(kind, raw); err == nil && cursorOf(kind, m) == "" {
			t.Fatalf("%q parsed to %d without a cursor", raw, m)
		}
	})
}
