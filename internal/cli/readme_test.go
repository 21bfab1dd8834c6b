package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// block is the first fenced block of kind lang after heading in the README.
func block(t *testing.T, heading, lang string) string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	i := strings.Index(s, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README has no %q", heading)
	}
	m := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```").FindStringSubmatch(s[i:])
	if m == nil {
		t.Fatalf("README's %q has no %s block", heading, lang)
	}
	return m[1]
}

// The README's sample output is what the command prints.
func TestReadmeQuickStartOutput(t *testing.T) {
	r := run(t, "", "diff", sampleBase, sampleHead)
	if diff := cmp.Diff(block(t, "## Quick start", "text"), r.stdout); diff != "" {
		t.Errorf("README's quick start output differs (-README +actual):\n%s", diff)
	}
	if r.code != 1 {
		t.Errorf("exit %d, the README says 1", r.code)
	}
}

// The README's example configuration works on the example files: its globs
// match them and its accepted fingerprint is the sample's new scope.
func TestReadmeConfigurationMatchesTheExamples(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "breakwater.yml")
	if err := os.WriteFile(cfg, []byte(block(t, "## Configuration", "yaml")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ex := range []string{"tray", "ckbk"} {
		r := run(t, "", "diff", "--config", cfg, "--format", "json", "testdata/examples/"+ex+"/base", "testdata/examples/"+ex+"/head")
		rep := decode(t, r)
		if r.code != 1 || rep.Summary.Compared.Artifacts != 1 {
			t.Errorf("%s: exit %d, compared %+v\n%s", ex, r.code, rep.Summary.Compared, r.stderr)
		}
		if ex == "tray" && !strings.Contains(r.stdout, `"accepted": 1`) {
			t.Errorf("the example's fingerprint accepts nothing:\n%s", r.stdout)
		}
	}
}
