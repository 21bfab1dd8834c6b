package tray_test

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestAdapterSpeaksItsOwnTypes: the Tray adapter and its fake import no
// other Breakwater package but helpers that carry no types (waiting on a
// Retry-After): adapters carry their own types, and the core (the plan)
// never sees them.
func TestAdapterSpeaksItsOwnTypes(t *testing.T) {
	helpers := map[string]bool{"github.com/breakwater-dev/breakwater/internal/backoff": true}
	for _, dir := range []string{".", "traytest"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range parsed.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if strings.HasPrefix(path, "github.com/breakwater-dev/breakwater/") && !helpers[path] {
					t.Errorf("%s imports %s", f, path)
				}
			}
		}
	}
}
