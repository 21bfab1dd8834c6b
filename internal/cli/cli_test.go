package cli_test

import (
	"bytes"
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater"
	"github.com/breakwater-dev/breakwater/internal/cli"
	"github.com/breakwater-dev/breakwater/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// binary is the real breakwater binary, built once: TestBinary checks exit
// codes the way users and the Action runner meet them; every other test
// runs the command line in process.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testenv.RunWithBreakwater(m, "", &binary))
}

type result struct {
	code           int
	stdout, stderr string
}

// run executes the command line in process, through cli.Run, in dir (the
// repository root by default).
func run(t *testing.T, dir string, args ...string) result {
	t.Helper()
	if dir == "" {
		dir = "../.."
	}
	var out, errb bytes.Buffer
	env := cli.Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv:  func(k string) string { return map[string]string{"NO_COLOR": "1"}[k] },
		Version: "v0.0.0-test", Dir: dir,
	}
	code := cli.Run(context.Background(), args, env)
	return result{int(code), out.String(), errb.String()}
}

// runBinary executes the real binary in dir (the repository root by
// default): exit codes as the shell and the Action runner see them.
func runBinary(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	if dir == "" {
		dir = "../.."
	}
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

const (
	sampleBase = "testdata/examples/tray/base"
	sampleHead = "testdata/examples/tray/head"
)

func TestExitCodes(t *testing.T) {
	tmp := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	broken := write("broken.json", "{\n  \"tray_export_version\": 4,\n  \"workflows\": [,]\n}")
	notes := write("notes.json", `{"hello": "world"}`)
	badConfig := write("bad.yml", "fail-on: breaking\nrules:\n  - rule: tray/auth-scopes-added\n    severty: warning\n")
	acceptAll := write("accept.yml", "fail-on: never\n")
	sampleFile := sampleBase + "/bynder-dropbox.project.json" // relative to the repository root, where run executes

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string // substring
		wantStdout string // substring
	}{
		{"identical inputs pass", []string{"diff", sampleBase, sampleBase}, 0, "", "No breaking changes"},
		{"breaking changes fail the check", []string{"diff", sampleBase, sampleHead}, 1, "", "tray/auth-scopes-added"},
		// never means never: the breaking and the version error findings are
		// reported, and nothing fails the check.
		{"fail-on never from the config", []string{"diff", "--config", acceptAll, sampleBase, sampleHead}, 0, "", "version/bump-insufficient"},
		{"fail-on never from the flag", []string{"diff", "--fail-on", "never", sampleBase, sampleHead}, 0, "", "not failing (fail-on: never)"},
		{"fail-on is validated like the configuration", []string{"diff", "--fail-on", "sometimes", sampleBase, sampleHead}, 2, `fail-on must be one of breaking, warning, never, not "sometimes"`, ""},
		{"--fail-on=warning", []string{"diff", "--fail-on=warning", sampleBase, sampleBase}, 0, "", "No breaking changes"},
		{"invalid JSON is a tool error with file:line:column", []string{"diff", sampleFile, broken}, 2, broken + ":3:17: invalid JSON: unexpected ',', expected a value", ""},
		{"unknown format named explicitly", []string{"diff", sampleFile, notes}, 2, notes + ":1:1: unknown format", ""},
		{"configuration errors name key and line", []string{"diff", "--config", badConfig, sampleBase, sampleHead}, 2, badConfig + `:4:5: unknown key "severty"`, ""},
		{"missing configuration file given explicitly", []string{"diff", "--config", filepath.Join(tmp, "nope.yml"), sampleBase, sampleHead}, 2, "nope.yml", ""},
		{"missing input", []string{"diff", sampleBase, filepath.Join(tmp, "missing")}, 2, "missing", ""},
		{"wrong number of arguments", []string{"diff", sampleBase}, 2, "needs BASE and HEAD", ""},
		{"unknown format flag", []string{"diff", "--format", "yaml", sampleBase, sampleHead}, 2, `unknown --format "yaml"`, ""},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`, ""},
		{"explain a rule", []string{"explain", "tray/auth-scopes-added"}, 0, "", "Upgrade:   user-input"},
		{"explain an unknown rule", []string{"explain", "tray/scopes"}, 2, "no rule", ""},
		{"version", []string{"version"}, 0, "", "breakwater v0.0.0-test"},
		{"--version", []string{"--version"}, 0, "", "breakwater v0.0.0-test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, "", tc.args...)
			if r.code != tc.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.wantCode, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.wantStderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tc.wantStderr)
			}
			if !strings.Contains(r.stdout, tc.wantStdout) {
				t.Errorf("stdout does not contain %q:\n%s", tc.wantStdout, r.stdout)
			}
		})
	}
}

// TestBinary is the one test of the built binary: the process's exit codes
// for a pass, a failed check and a tool error, and the version flag.
func TestBinary(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"diff", sampleBase, sampleBase}, 0, "No breaking changes"},
		{[]string{"diff", sampleBase, sampleHead}, 1, "tray/auth-scopes-added"},
		{[]string{"diff", sampleBase, "testdata/missing"}, 2, "testdata/missing"},
		// go build stamps no version: the VERSION file's, never "dev".
		{[]string{"--version"}, 0, "breakwater v" + breakwater.VersionFile() + "-dev"},
	} {
		r := runBinary(t, "", []string{"NO_COLOR=1"}, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
			t.Errorf("%v: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", tc.args, r.code, tc.code, tc.want, r.stdout, r.stderr)
		}
	}
}

func TestHelpEverywhere(t *testing.T) {
	for _, cmd := range []string{"diff", "explain", "rules", "action", "version"} {
		r := run(t, "", cmd, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Usage: breakwater "+cmd) {
			t.Errorf("%s --help: exit %d, stdout %q, stderr %q", cmd, r.code, r.stdout, r.stderr)
		}
	}
	// Flags are shown the way users type them.
	if r := run(t, "", "diff", "--help"); !strings.Contains(r.stdout, "\n  --format format\n") || strings.Contains(r.stdout, "\n  -format") {
		t.Errorf("diff --help shows flags with one dash:\n%s", r.stdout)
	}
	if r := run(t, "", "--help"); r.code != 0 || !strings.Contains(r.stdout, "Exit codes") {
		t.Errorf("--help: exit %d, %q", r.code, r.stdout)
	}
}

// Golden reports of the example pairs: the quick-start Tray pair in every
// format, the .ckbk and vNext pairs as text and JSON.
// Regenerate with: go test ./internal/cli -update
func TestGoldenReports(t *testing.T) {
	type example struct{ name, dir, format string }
	var examples []example
	for _, format := range []string{"text", "markdown", "json", "sarif", "github"} {
		examples = append(examples, example{"tray-sample", "testdata/examples/tray", format})
	}
	for _, format := range []string{"text", "json"} {
		examples = append(examples, example{"ckbk-sample", "testdata/examples/ckbk", format}, example{"vnext-sample", "testdata/examples/vnext", format})
	}
	for _, ex := range examples {
		t.Run(ex.name+"."+ex.format, func(t *testing.T) {
			r := run(t, "", "diff", "--format", ex.format, "--verbose", ex.dir+"/base", ex.dir+"/head")
			if r.code != 1 {
				t.Fatalf("exit code %d, stderr %s", r.code, r.stderr)
			}
			golden := filepath.Join("testdata", "golden", ex.name+"."+ex.format)
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), r.stdout); diff != "" {
				t.Errorf("report differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// gitRepo is a repository whose main branch holds the sample base under
// exports/, and whose working tree holds the sample head.
func gitRepo(t *testing.T) string {
	t.Helper()
	repo := t.TempDir()
	copyDir := func(from string) {
		for _, name := range []string{"bynder-dropbox.project.json", "package.json"} {
			data, err := os.ReadFile(filepath.Join("../..", from, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(repo, "exports"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(repo, "exports", name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	testenv.Git(t, repo, "init", "-q", "-b", "main")
	copyDir(sampleBase)
	testenv.Git(t, repo, "add", ".")
	testenv.Git(t, repo, "commit", "-qm", "base")
	copyDir(sampleHead)
	return repo
}

// --base-ref reads the base from git, so a single checkout is enough.
func TestDiffAgainstGitRef(t *testing.T) {
	repo := gitRepo(t)
	r := run(t, repo, "diff", "--format", "json", "--base-ref", "main", "exports")
	if r.code != 1 || !strings.Contains(r.stdout, `"tray/auth-scopes-added"`) || !strings.Contains(r.stdout, `"file": "exports/bynder-dropbox.project.json"`) {
		t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	// The configured version file is read from the ref too.
	if !strings.Contains(r.stdout, `"baseVersion": "1.4.0"`) {
		t.Errorf("the base version was not read from main:\n%s", r.stdout)
	}
	// One file against its committed version.
	if r := run(t, repo, "diff", "--base-ref", "main", "exports/bynder-dropbox.project.json"); r.code != 1 || !strings.Contains(r.stdout, "tray/auth-scopes-added") {
		t.Errorf("single file: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, repo, "diff", "--base-ref", "HEAD", "exports"); r.code != 1 {
		t.Errorf("HEAD vs working tree: exit %d: %s", r.code, r.stderr)
	}
	testenv.Git(t, repo, "commit", "-qam", "head")
	if r := run(t, repo, "diff", "--base-ref", "HEAD", "exports"); r.code != 0 {
		t.Errorf("committed tree vs itself: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// A usage error is one line on stderr that names flags as users type them
// ("--name") and says where to look, and exit code 2.
func TestUsageErrorsAreOneLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"diff", "--fail-on", "nope", "a", "b"}, `breakwater diff: invalid value "nope" for flag --fail-on: fail-on must be one of breaking, warning, never, not "nope"; see breakwater diff --help`},
		{[]string{"diff", "-fail-on=", "a", "b"}, `invalid value "" for flag --fail-on`},
		{[]string{"diff", "--bogus", "a", "b"}, "breakwater diff: flag provided but not defined: --bogus; see breakwater diff --help"},
		{[]string{"diff", "a", "b", "--format"}, "flag needs an argument: --format"},
		{[]string{"diff", "--verbose=maybe", "a", "b"}, `invalid boolean value "maybe" for --verbose`},
		{[]string{"frobnicate"}, `breakwater: unknown command "frobnicate"; see breakwater --help`},
		{[]string{"diff", "a"}, "breakwater: diff needs BASE and HEAD"},
		{[]string{"rollout"}, "breakwater: rollout needs a subcommand"},
		{[]string{"rules", "extra"}, `breakwater rules: takes no arguments, got ["extra"]; see breakwater rules --help`},
		{[]string{"version", "extra"}, "breakwater version: takes no arguments"},
		{[]string{"action", "extra"}, "breakwater action: takes no arguments"},
		{[]string{"help", "frobnicate"}, `breakwater: unknown command "frobnicate"; see breakwater --help`},
	} {
		r := run(t, "", tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
			t.Errorf("%q: exit %d, want 2 and one line with %q\nstderr:\n%s\nstdout:\n%s", tc.args, r.code, tc.want, r.stderr, r.stdout)
		}
	}
}
