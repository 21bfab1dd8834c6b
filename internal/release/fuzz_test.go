package release_test

import (
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/rules"
)

func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{`{"action":"published","release":{"tag_name":"v1.0.0"}}`, `{"ref":"refs/tags/v1","after":"x"}`, `{"inputs":{"version":"1"}}`, `{"inputs":{"version":"1","allow-auth-break":"true"}}`, `{"inputs":{"version":"1","allow-auth-break":true}}`, `[]`, `null`} {
		for _, e := range []string{"release", "push", "workflow_dispatch"} {
			f.Add(e, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, name string, payload []byte) {
		ev, err := release.ParseEvent(name, payload)
		if err != nil {
			return
		}
		if ev.Kind != release.EventRelease && ev.Kind != release.EventRollback || !strings.HasPrefix(ev.Tag, "v") {
			t.Errorf("ParseEvent(%q, %q) = %+v", name, payload, ev)
		}
	})
}

func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(`{"schemaVersion":1,"package":"vNext.Account","npm":"@o/vnext.account","version":"1.0.0","source":{},"createdAt":"2025-01-01T00:00:00Z","changes":null}`))
	f.Add([]byte(`{"schemaVersion":1,"package":"a","version":"1","changes":{"findings":[{"rule":"x","severity":"breaking","category":"auth","slot":{"kind":"auth"}}]}}`))
	f.Add([]byte(`{"schemaVersion":2}`))
	f.Add([]byte(`{"createdAt":"yesterday"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := release.ParseManifest(data)
		if err != nil {
			return
		}
		if m.Package == "" || m.Version == "" || m.SchemaVersion != release.ManifestSchemaVersion {
			t.Fatalf("ParseManifest accepted %q as %+v", data, m)
		}
		// What was read writes back and reads again the same.
		out, err := m.JSON()
		if err != nil {
			t.Fatal(err)
		}
		again, err := release.ParseManifest(out)
		if err != nil || len(rules.AuthBreaks(again.Changes)) != len(rules.AuthBreaks(m.Changes)) || again.Version != m.Version {
			t.Fatalf("round trip of %q: %+v, %v", data, again, err)
		}
	})
}
