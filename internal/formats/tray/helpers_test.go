package tray

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
)

// catalogue is the tray/… table of docs/rules.md, copied by hand so that a
// rule drifting from the documented catalogue fails a test.
var catalogue = map[string]struct {
	severity change.Severity
	category change.Category
	upgrade  change.Upgrade
}{
	"tray/auth-slot-added":              {change.Breaking, change.CatAuth, change.UserInput},
	"tray/auth-service-added":           {change.Breaking, change.CatAuth, change.UserInput},
	"tray/auth-scopes-added":            {change.Breaking, change.CatAuth, change.UserInput},
	"tray/auth-scopes-removed":          {change.Info, change.CatAuth, change.Lazy},
	"tray/auth-service-version-changed": {change.Breaking, change.CatAuth, change.UserInput},
	"tray/auth-environment-changed":     {change.Breaking, change.CatAuth, change.UserInput},
	"tray/auth-slot-recreated":          {change.Breaking, change.CatAuth, change.SystemInput},
	"tray/auth-slot-removed":            {change.Warning, change.CatAuth, change.Lazy},
	"tray/config-type-changed":          {change.Breaking, change.CatConfig, change.UserInput},
	"tray/config-ddl-changed":           {change.Breaking, change.CatConfig, change.UserInput},
	"tray/config-ddl-auth-changed":      {change.Breaking, change.CatConfig, change.UserInput},
	"tray/config-slot-added-required":   {change.Breaking, change.CatConfig, change.UserInput},
	"tray/config-slot-added-optional":   {change.Info, change.CatConfig, change.Lazy},
	"tray/config-slot-removed":          {change.Warning, change.CatConfig, change.Lazy},
	"tray/config-default-changed":       {change.Info, change.CatConfig, change.NoUpgrade},
	"tray/workflow-added":               {change.Info, change.CatWorkflow, change.Lazy},
	"tray/workflow-removed":             {change.Warning, change.CatWorkflow, change.Lazy},
	"tray/workflow-changed":             {change.Info, change.CatWorkflow, change.Lazy},
	"tray/connector-version-changed":    {change.Info, change.CatWorkflow, change.Lazy},
	// Added beyond the product spec (README, "Rules"): every change is
	// accounted for.
	"tray/text-changed":  {change.Info, change.CatMetadata, change.Lazy},
	"tray/other-changed": {change.Info, change.CatOther, change.Lazy},
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// parse parses src as the file named file and fails the test on error.
func parse(t testing.TB, file string, src []byte) *Export {
	t.Helper()
	doc, err := formats.ParseJSON(file, src)
	if err != nil {
		t.Fatal(err)
	}
	e, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func parseFile(t testing.TB, path string) *Export {
	t.Helper()
	return parse(t, path, readFile(t, path))
}

// edit replaces old, which must occur exactly once, with new.
type edit struct{ old, new string }

func apply(t *testing.T, src string, edits []edit) string {
	t.Helper()
	for _, e := range edits {
		if n := strings.Count(src, e.old); n != 1 {
			t.Fatalf("edit %q matches %d times, want once", e.old, n)
		}
		src = strings.Replace(src, e.old, e.new, 1)
	}
	return src
}

// lineCol is where the unique snippet starts in text: the obvious, slow way,
// independent of jsonpos.
func lineCol(t *testing.T, text, snippet string) (int, int) {
	t.Helper()
	if n := strings.Count(text, snippet); n != 1 {
		t.Fatalf("snippet %q occurs %d times, want once", snippet, n)
	}
	i := strings.Index(text, snippet)
	before := text[:i]
	line := strings.Count(before, "\n") + 1
	col := len([]rune(before[strings.LastIndex(before, "\n")+1:])) + 1
	return line, col
}

// normalize turns a value into what encoding/json decodes it to, so that
// []string and []any, or 5 and json.Number("5"), compare equal.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func readFileOnce(path string) []byte {
	src, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return src
}
