package plan

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsStayInTheCore: the plan is core: no I/O,
// no adapters, no GitHub or Tray types.
func TestImportsStayInTheCore(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"cmp": true, "encoding/json": true, "errors": true, "fmt": true, "slices": true, "strings": true,
		"github.com/breakwater-dev/breakwater/internal/change": true}
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
			if !allowed[path] {
				t.Errorf("%s imports %s; the plan may import only %v", f, path, allowed)
			}
		}
	}
}
