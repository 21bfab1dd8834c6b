package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/cli"
)

// No layout may make the CLI pass without comparing: each case is one way
// it used to say "✓ No breaking changes" while breaking changes were there,
// or while it compared nothing.

const (
	sampleExport = "bynder-dropbox.project.json"
	solutionID   = "f96c186b-49b6-45c6-b57f-925a34a6e57a"
)

func sample(t *testing.T, side, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("../../testdata/examples/tray", side, name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// tree writes files (path → content) under a new temporary directory.
func tree(t *testing.T, files map[string][]byte) string {
	t.Helper()
	root := t.TempDir()
	for p, data := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

type jsonReport struct {
	Summary struct {
		OK       bool `json:"ok"`
		Compared struct {
			Artifacts int `json:"artifacts"`
			BaseFiles int `json:"baseFiles"`
			HeadFiles int `json:"headFiles"`
			Skipped   int `json:"skipped"`
		} `json:"compared"`
	} `json:"summary"`
	Changes []struct {
		Rule string `json:"rule"`
		File string `json:"file"`
	} `json:"changes"`
}

func decode(t *testing.T, r result) jsonReport {
	t.Helper()
	var rep jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	return rep
}

func (r jsonReport) rules() map[string]int {
	m := map[string]int{}
	for _, c := range r.Changes {
		m[c.Rule]++
	}
	return m
}

func TestTwoNamedFilesAreOnePair(t *testing.T) {
	dir := tree(t, map[string][]byte{"v1.json": sample(t, "base", sampleExport), "solution-2025.json": sample(t, "head", sampleExport)})
	r := run(t, dir, "diff", "--format", "json", "v1.json", "solution-2025.json")
	rep := decode(t, r)
	if r.code != 1 || rep.rules()["tray/auth-scopes-added"] != 1 || rep.rules()["artifact/removed"] != 0 {
		t.Errorf("exit %d, rules %v", r.code, rep.rules())
	}
	if c := rep.Summary.Compared; c.Artifacts != 1 || c.BaseFiles != 1 || c.HeadFiles != 1 {
		t.Errorf("compared %+v", c)
	}
}

// A file renamed or moved between the two directories is found by its
// solution id, and reported as one move with the changes inside it.
func TestMovedFileIsOneMove(t *testing.T) {
	base := tree(t, map[string][]byte{"exports/" + sampleExport: sample(t, "base", sampleExport), "package.json": sample(t, "base", "package.json")})
	head := tree(t, map[string][]byte{"solutions/dropbox.json": sample(t, "head", sampleExport), "package.json": sample(t, "head", "package.json")})
	r := run(t, "", "diff", "--format", "json", base, head)
	rules := decode(t, r).rules()
	if r.code != 1 || rules["artifact/moved"] != 1 || rules["artifact/removed"] != 0 || rules["tray/auth-scopes-added"] != 1 || rules["tray/workflow-added"] != 0 {
		t.Errorf("exit %d, rules %v", r.code, rules)
	}
}

// Links are followed: HEAD itself, directories and files inside it.
func TestSymlinksAreFollowed(t *testing.T) {
	real := tree(t, map[string][]byte{"real/" + sampleExport: sample(t, "head", sampleExport), "pkg/package.json": sample(t, "head", "package.json")})
	head := filepath.Join(t.TempDir(), "head")
	must(t, os.Mkdir(head, 0o755))
	must(t, os.Symlink(filepath.Join(real, "real"), filepath.Join(head, "exports")))
	must(t, os.Symlink(filepath.Join(real, "pkg", "package.json"), filepath.Join(head, "package.json")))
	must(t, os.Symlink(head, filepath.Join(head, "exports-loop")))
	link := filepath.Join(t.TempDir(), "head-link")
	must(t, os.Symlink(head, link))
	base := tree(t, map[string][]byte{"exports/" + sampleExport: sample(t, "base", sampleExport), "package.json": sample(t, "base", "package.json")})

	r := run(t, "", "diff", "--format", "json", base, link)
	rep := decode(t, r)
	if r.code != 1 || rep.rules()["tray/auth-scopes-added"] != 1 || rep.rules()["version/bump-insufficient"] != 1 {
		t.Errorf("exit %d, rules %v\n%s", r.code, rep.rules(), r.stderr)
	}
	if !strings.Contains(r.stderr, "exports-loop links back") {
		t.Errorf("the loop is not reported: %s", r.stderr)
	}
}

// A side with nothing to compare, or globs that match nothing, is a tool
// error that says what was searched.
func TestNothingToCompareIsAnError(t *testing.T) {
	export := sample(t, "base", sampleExport)
	cfg := filepath.Join(tree(t, map[string][]byte{"c.yml": []byte("artifacts:\n  - paths: [\"exports/**/*.json\"]\n")}), "c.yml")
	for _, tc := range []struct {
		name       string
		base, head map[string][]byte
		args       []string
		want       string
	}{
		{"empty base", map[string][]byte{"README.md": []byte("x")}, map[string][]byte{"a.json": export}, nil, "no export found in "},
		{"head without an export", map[string][]byte{"a.json": export}, map[string][]byte{"settings.json": []byte(`{"a": 1}`)}, nil, "searched **/*.json, **/*.ckbk (1 of its 1 files matched), none is a Tray.io export"},
		{"globs that match nothing", map[string][]byte{"a.json": export}, map[string][]byte{"a.json": export}, []string{"--config", cfg}, "match no file in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"diff"}, tc.args...), tree(t, tc.base), tree(t, tc.head))
			r := run(t, "", args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q, want 2 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
	// A file and a directory are not two sides of one comparison.
	if r := run(t, "", "diff", sampleBase+"/"+sampleExport, sampleHead); r.code != 2 || !strings.Contains(r.stderr, "a file and a directory") {
		t.Errorf("file vs directory: exit %d, %s", r.code, r.stderr)
	}
}

// The report always says how many files were compared, in every format.
func TestReportsSayWhatWasCompared(t *testing.T) {
	for format, want := range map[string]string{
		"text":     "compared: 1 artifact: 1 file in " + sampleBase + ", 1 in " + sampleHead,
		"markdown": "**Compared:** 1 artifact: 1 file in `" + sampleBase + "`",
		"json":     `"baseFiles": 1`,
		"sarif":    `"artifacts": 1`,
		"github":   "compared: 1 artifact",
	} {
		if r := run(t, "", "diff", "--format", format, sampleBase, sampleHead); !strings.Contains(r.stdout, want) {
			t.Errorf("%s report lacks %q:\n%s", format, want, r.stdout)
		}
	}
}

// Removing a whole export is one finding, in every format.
func TestRemovedExportIsOneFinding(t *testing.T) {
	base := tree(t, map[string][]byte{"a.json": sample(t, "base", sampleExport), "b.ckbk": mustRead(t, "../../testdata/examples/ckbk/base/football-poll.ckbk")})
	head := tree(t, map[string][]byte{"b.ckbk": mustRead(t, "../../testdata/examples/ckbk/base/football-poll.ckbk")})
	r := run(t, "", "diff", "--format", "json", base, head)
	rep := decode(t, r)
	if r.code != 1 || len(rep.Changes) != 1 || rep.Changes[0].Rule != "artifact/removed" {
		t.Errorf("exit %d, changes %+v", r.code, rep.Changes)
	}
}

// A format forced by the configuration must be the file's.
func TestForcedFormatOnAnotherFormat(t *testing.T) {
	dir := tree(t, map[string][]byte{
		".github/breakwater.yml": []byte("artifacts:\n  - paths: [\"*.ckbk\"]\n    format: tray\n"),
		"base/poll.ckbk":         mustRead(t, "../../testdata/examples/ckbk/base/football-poll.ckbk"),
		"head/poll.ckbk":         mustRead(t, "../../testdata/examples/ckbk/head/football-poll.ckbk"),
	})
	r := run(t, dir, "diff", "base", "head")
	if r.code != 2 || !strings.Contains(r.stderr, "the configuration says this file is format tray, but it is not a Tray.io export") {
		t.Errorf("exit %d, stderr %s", r.code, r.stderr)
	}
}

// A version that goes down is an error finding.
func TestVersionDowngrade(t *testing.T) {
	base := tree(t, map[string][]byte{"a.json": sample(t, "base", sampleExport), "package.json": []byte(`{"version": "2.0.0"}`)})
	head := tree(t, map[string][]byte{"a.json": sample(t, "base", sampleExport), "package.json": []byte(`{"version": "1.9.0"}`)})
	r := run(t, "", "diff", base, head)
	if r.code != 1 || !strings.Contains(r.stdout, "version/downgrade") || !strings.Contains(r.stdout, "goes down from 2.0.0 to 1.9.0") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// --base-ref never becomes a git option, and git's errors name the ref.
func TestBaseRefIsNotAnOption(t *testing.T) {
	repo := gitRepo(t)
	marker := filepath.Join(t.TempDir(), "written")
	for _, ref := range []string{"--output=" + marker, "-p", "no-such-branch", "HEAD\n--all"} {
		r := run(t, repo, "diff", "--base-ref", ref, "exports")
		if r.code != 2 || !strings.Contains(r.stderr, "--base-ref") {
			t.Errorf("ref %q: exit %d, stderr %q", ref, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a ref became a git option")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Colours only on a terminal, and never with NO_COLOR set.
func TestNoColor(t *testing.T) {
	for _, tc := range []struct {
		noColor string
		want    bool
	}{{"", true}, {"1", false}} {
		var out bytes.Buffer
		env := cli.Env{
			Stdin: strings.NewReader(""), Stdout: &out, Stderr: &bytes.Buffer{}, Dir: "../..",
			Getenv:     func(k string) string { return map[string]string{"NO_COLOR": tc.noColor}[k] },
			IsTerminal: func(io.Writer) bool { return true },
		}
		cli.Run(context.Background(), []string{"diff", sampleBase, sampleHead}, env)
		if got := strings.Contains(out.String(), "\x1b["); got != tc.want {
			t.Errorf("NO_COLOR=%q: colours %v, want %v", tc.noColor, got, tc.want)
		}
	}
}

// explain and every report describe an upgrade in the same words.
func TestOneWordingForUpgrades(t *testing.T) {
	want := change.UserInput.Meaning()
	for _, args := range [][]string{
		{"explain", "tray/auth-scopes-added"},
		{"diff", "--format", "markdown", sampleBase, sampleHead},
		{"diff", "--format", "sarif", sampleBase, sampleHead},
	} {
		if r := run(t, "", args...); !strings.Contains(r.stdout, want) {
			t.Errorf("%v does not say %q:\n%s", args, want, r.stdout)
		}
	}
}

// A change that fixes an invalid base file can pass: the head is compared
// as a new export, and the report says why.
func TestFixingAnInvalidBaseCanPass(t *testing.T) {
	good := sample(t, "base", sampleExport)
	base := tree(t, map[string][]byte{"a.json": good[:len(good)/2]})
	head := tree(t, map[string][]byte{"a.json": good})
	r := run(t, "", "diff", "--verbose", base, head)
	if r.code != 0 || !strings.Contains(r.stdout, "artifact/base-invalid") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A link to nothing among the exports stops the comparison, naming the
// link, whatever else is read at the same time.
func TestBrokenLinkIsNamed(t *testing.T) {
	base := tree(t, map[string][]byte{sampleExport: sample(t, "base", sampleExport), "package.json": sample(t, "base", "package.json")})
	head := tree(t, map[string][]byte{sampleExport: sample(t, "head", sampleExport), "package.json": sample(t, "head", "package.json")})
	must(t, os.Symlink("gone.json", filepath.Join(head, "dangling.json")))
	r := run(t, "", "diff", base, head)
	want := filepath.Join(head, "dangling.json") + ": it is a symbolic link to gone.json, which does not exist"
	if r.code != 2 || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d, stderr %q, want 2 and %q", r.code, r.stderr, want)
	}
}
