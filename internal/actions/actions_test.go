package actions

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// env is a fake process environment.
type env map[string]string

func (e env) get(k string) string { return e[k] }

func TestInputEnvName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"token", "INPUT_TOKEN"},
		{"fail-on", "INPUT_FAIL-ON"},
		{"label names", "INPUT_LABEL_NAMES"},
		{"Config Path", "INPUT_CONFIG_PATH"},
	} {
		if got := InputEnvName(tc.in); got != tc.want {
			t.Errorf("InputEnvName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestBoolInput(t *testing.T) {
	for _, tc := range []struct {
		value   string
		def     bool
		want    bool
		wantErr bool
	}{
		{"", true, true, false},
		{"", false, false, false},
		{"true", false, true, false},
		{"True", false, true, false},
		{"TRUE", false, true, false},
		{" false ", true, false, false},
		{"FALSE", true, false, false},
		{"yes", false, false, true},
		{"1", false, false, true},
	} {
		r := New(env{"INPUT_COMMENT": tc.value}.get, &bytes.Buffer{})
		got, err := r.BoolInput("comment", tc.def)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("BoolInput(%q, %v) = %v, %v; want %v, error %v", tc.value, tc.def, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestListInput(t *testing.T) {
	r := New(env{"INPUT_PATHS": "exports/**/*.json, a.ckbk\n\n  b/*.json  \n"}.get, &bytes.Buffer{})
	if diff := cmp.Diff([]string{"exports/**/*.json", "a.ckbk", "b/*.json"}, r.ListInput("paths")); diff != "" {
		t.Errorf("ListInput (-want +got):\n%s", diff)
	}
	if got := r.ListInput("missing"); got != nil {
		t.Errorf("ListInput(missing) = %q, want nil", got)
	}
}

// parseFileCommands reads a GITHUB_OUTPUT / GITHUB_ENV file the way the
// runner does: name=value lines, or name<<DELIM heredocs ending at a line
// that is exactly DELIM.
func parseFileCommands(t *testing.T, content string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(content, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok && (!strings.Contains(line, "=") || strings.Index(line, "<<") < strings.Index(line, "=")) {
			var val []string
			i++
			for ; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			if i == len(lines) {
				t.Fatalf("heredoc %q for %q is not closed", delim, name)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		name, val, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("invalid file command line %q", line)
		}
		out[name] = val
	}
	return out
}

func tempFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func read(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSetOutputRoundTripsHostileValues(t *testing.T) {
	out := tempFile(t)
	r := New(env{"GITHUB_OUTPUT": out}.get, &bytes.Buffer{})
	values := map[string]string{
		"plain":     "true",
		"multiline": "line one\nline two\n",
		// The fixed delimiter of go-githubactions: with it, this value would
		// close the heredoc and set `breaking=false`.
		"injection": "x\n_GitHubActionsFileCommandDelimeter_\nbreaking=false\nevil<<EOF\npwned\nEOF",
		"lookalike": "ghadelimiter_00000000-0000-0000-0000-000000000000\nbreaking=false",
		"empty":     "",
	}
	for _, name := range []string{"plain", "multiline", "injection", "lookalike", "empty"} {
		if err := r.SetOutput(name, values[name]); err != nil {
			t.Fatalf("SetOutput(%q): %v", name, err)
		}
	}
	got := parseFileCommands(t, read(t, out))
	if diff := cmp.Diff(values, got); diff != "" {
		t.Errorf("outputs as the runner reads them (-want +got):\n%s", diff)
	}
}

func TestDelimitersAreFreshPerValue(t *testing.T) {
	out := tempFile(t)
	r := New(env{"GITHUB_OUTPUT": out}.get, &bytes.Buffer{})
	for i := 0; i < 3; i++ {
		if err := r.SetOutput("n", "v"); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(read(t, out), "\n") {
		if _, d, ok := strings.Cut(line, "<<"); ok {
			if !strings.HasPrefix(d, "ghadelimiter_") || len(d) != len("ghadelimiter_")+32 {
				t.Errorf("delimiter %q is not ghadelimiter_ and 32 hex digits", d)
			}
			if seen[d] {
				t.Errorf("delimiter %q used twice", d)
			}
			seen[d] = true
		}
	}
	if len(seen) != 3 {
		t.Errorf("found %d delimiters, want 3", len(seen))
	}
}

func TestSetOutputRefusesValueContainingDelimiter(t *testing.T) {
	out := tempFile(t)
	// A predictable random source makes the delimiter known in advance.
	zeros := bytes.NewReader(make([]byte, 64))
	r := New(env{"GITHUB_OUTPUT": out}.get, &bytes.Buffer{}).WithRand(zeros)
	value := "a\nghadelimiter_" + strings.Repeat("0", 32) + "\nbreaking=false"
	if err := r.SetOutput("report", value); err == nil {
		t.Fatal("SetOutput accepted a value containing its delimiter")
	}
	if got := read(t, out); got != "" {
		t.Errorf("GITHUB_OUTPUT = %q after a refused value, want it untouched", got)
	}
}

func TestSetOutputErrors(t *testing.T) {
	r := New(env{}.get, &bytes.Buffer{})
	if err := r.SetOutput("a", "b"); err == nil || !strings.Contains(err.Error(), "GITHUB_OUTPUT") {
		t.Errorf("SetOutput without GITHUB_OUTPUT: error %v, want one naming GITHUB_OUTPUT", err)
	}
	r = New(env{"GITHUB_OUTPUT": filepath.Join(t.TempDir(), "missing")}.get, &bytes.Buffer{})
	if err := r.SetOutput("a", "b"); err == nil {
		t.Error("SetOutput created a file the runner did not")
	}
	r = New(env{"GITHUB_OUTPUT": tempFile(t)}.get, &bytes.Buffer{})
	for _, name := range []string{"", "a\nb", "a=b", "a<<b", "a<", "a b"} {
		if err := r.SetOutput(name, "v"); err == nil {
			t.Errorf("SetOutput(%q) accepted an invalid name", name)
		}
	}
}

func TestExportVariable(t *testing.T) {
	p := tempFile(t)
	r := New(env{"GITHUB_ENV": p}.get, &bytes.Buffer{})
	if err := r.ExportVariable("BREAKWATER_REPORT", "a\nb"); err != nil {
		t.Fatal(err)
	}
	if got := parseFileCommands(t, read(t, p)); got["BREAKWATER_REPORT"] != "a\nb" {
		t.Errorf("GITHUB_ENV = %q", got)
	}
}

func TestAddStepSummaryCutsAtLimit(t *testing.T) {
	p := tempFile(t)
	r := New(env{"GITHUB_STEP_SUMMARY": p}.get, &bytes.Buffer{})
	if err := r.AddStepSummary("# Title\n"); err != nil {
		t.Fatal(err)
	}
	line := strings.Repeat("é", 50) + "\n" // multi-byte runes, 101 bytes
	big := strings.Repeat(line, StepSummaryLimit/len(line)+100)
	if err := r.AddStepSummary(big); err != nil {
		t.Fatal(err)
	}
	got := read(t, p)
	if len(got) > StepSummaryLimit {
		t.Errorf("summary is %d bytes, over the %d limit", len(got), StepSummaryLimit)
	}
	if !strings.HasPrefix(got, "# Title\n"+line) || !strings.Contains(got, "The summary was cut here") {
		t.Errorf("summary does not keep the start and say it was cut: %q…", got[:200])
	}
	body := strings.TrimSuffix(got[:strings.Index(got, "\n\n> The summary")], "\n")
	for _, l := range strings.Split(strings.TrimPrefix(body, "# Title\n"), "\n") {
		if l+"\n" != line {
			t.Fatalf("summary was cut inside a line: %q", l)
		}
	}
	if err := r.AddStepSummary(strings.Repeat("x", 100)); err == nil {
		t.Error("AddStepSummary on a full summary did not fail")
	}
}

func TestAddMask(t *testing.T) {
	var out bytes.Buffer
	r := New(env{}.get, &out)
	r.AddMask("ghs_secret%token")
	r.AddMask("line1\nline2")
	r.AddMask("  ")
	want := "::add-mask::ghs_secret%25token\n" +
		"::add-mask::line1%0Aline2\n::add-mask::line1\n::add-mask::line2\n"
	if got := out.String(); got != want {
		t.Errorf("AddMask printed\n%q\nwant\n%q", got, want)
	}
}

// command is a parsed workflow command.
type command struct {
	name  string
	props map[string]string
	data  string
}

// parseCommands reads stdout the way the runner does and unescapes.
func parseCommands(t *testing.T, out string) []command {
	t.Helper()
	unescape := strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")
	var cmds []command
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !strings.HasPrefix(line, "::") {
			continue
		}
		rest := line[2:]
		head, data, ok := strings.Cut(rest, "::")
		if !ok {
			t.Fatalf("malformed command %q", line)
		}
		c := command{props: map[string]string{}, data: unescape.Replace(data)}
		name, props, _ := strings.Cut(head, " ")
		c.name = name
		if props != "" {
			for _, kv := range strings.Split(props, ",") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					t.Fatalf("malformed property %q in %q", kv, line)
				}
				c.props[k] = unescape.Replace(v)
			}
		}
		cmds = append(cmds, c)
	}
	return cmds
}

func TestAnnotationsEscapeHostileText(t *testing.T) {
	var out bytes.Buffer
	r := New(env{}.get, &out)
	msg := "100% broken\r\n::set-output name=breaking::false\n::add-mask::x"
	title := "a:b,c\n::error::injected"
	file := "exports/a,b:c.json"
	r.Annotate(Annotation{Level: LevelError, Title: title, Message: msg, File: file, Line: 3, Column: 7})
	cmds := parseCommands(t, out.String())
	if len(cmds) != 1 {
		t.Fatalf("printed %d commands, want 1:\n%s", len(cmds), out.String())
	}
	want := command{name: "error", data: msg, props: map[string]string{"title": title, "file": file, "line": "3", "col": "7"}}
	if diff := cmp.Diff(want, cmds[0], cmp.AllowUnexported(command{})); diff != "" {
		t.Errorf("annotation (-want +got):\n%s", diff)
	}
}

func TestAnnotationCaps(t *testing.T) {
	var out bytes.Buffer
	r := New(env{}.get, &out)
	shown := map[Level]int{}
	for i := 0; i < 15; i++ {
		for _, l := range []Level{LevelError, LevelWarning, LevelNotice} {
			if r.Annotate(Annotation{Level: l, Message: "m", File: "f.json", Line: i + 1}) {
				shown[l]++
			}
		}
	}
	if diff := cmp.Diff(map[Level]int{LevelError: 10, LevelWarning: 10, LevelNotice: 9}, shown); diff != "" {
		t.Errorf("annotations shown per level (-want +got):\n%s", diff)
	}
	if got := r.Cut(); got != 16 {
		t.Errorf("Cut() = %d, want 16", got)
	}
	r.ReportCut("The job summary lists every finding.")
	cmds := parseCommands(t, out.String())
	if len(cmds) != 30 {
		t.Fatalf("printed %d commands, want 30", len(cmds))
	}
	last := cmds[len(cmds)-1]
	if last.name != "notice" || !strings.Contains(last.data, "16 more annotations were not shown") || !strings.Contains(last.data, "job summary") {
		t.Errorf("last command = %+v, want a notice counting the 16 withheld annotations", last)
	}
}

func TestReportCutSilentWhenNothingCut(t *testing.T) {
	var out bytes.Buffer
	r := New(env{}.get, &out)
	r.Annotate(Annotation{Level: LevelWarning, Message: "m"})
	out.Reset()
	r.ReportCut("x")
	if out.Len() != 0 {
		t.Errorf("ReportCut printed %q with nothing cut", out.String())
	}
}

func TestPrintNeutralizesCommands(t *testing.T) {
	var out bytes.Buffer
	r := New(env{}.get, &out)
	if err := r.Print("no commands here"); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "no commands here\n" {
		t.Errorf("Print = %q", got)
	}
	out.Reset()
	hostile := "title\n::add-mask::secret\n::error file=x::boom"
	if err := r.Print(hostile); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 5 {
		t.Fatalf("Print wrote %q", out.String())
	}
	tok, ok := strings.CutPrefix(lines[0], "::stop-commands::")
	if !ok || len(tok) < 32 {
		t.Fatalf("first line %q does not stop commands with a random token", lines[0])
	}
	if lines[4] != "::"+tok+"::" {
		t.Errorf("last line %q does not resume commands with the token", lines[4])
	}
	if strings.Join(lines[1:4], "\n") != hostile {
		t.Errorf("text between the markers = %q", lines[1:4])
	}
}

func TestContext(t *testing.T) {
	e := env{
		"GITHUB_REPOSITORY": "octo/exports", "GITHUB_EVENT_NAME": "pull_request",
		"GITHUB_EVENT_PATH": "/tmp/e.json", "GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2",
		"GITHUB_API_URL": "http://127.0.0.1:1234/",
	}
	c, err := New(e.get, &bytes.Buffer{}).Context()
	if err != nil {
		t.Fatal(err)
	}
	if c.Owner != "octo" || c.Repo != "exports" || c.APIURL != "http://127.0.0.1:1234" || c.ServerURL != "https://github.com" {
		t.Errorf("Context = %+v", c)
	}
	if got, want := c.RunURL(), "https://github.com/octo/exports/actions/runs/42/attempts/2"; got != want {
		t.Errorf("RunURL = %q, want %q", got, want)
	}
	for _, bad := range []env{
		{"GITHUB_REPOSITORY": "noslash", "GITHUB_EVENT_PATH": "x"},
		{"GITHUB_REPOSITORY": "a/b/c", "GITHUB_EVENT_PATH": "x"},
		{"GITHUB_REPOSITORY": "a/b"},
		{"GITHUB_REPOSITORY": "a/b", "GITHUB_EVENT_PATH": "x", "GITHUB_RUN_ID": "x"},
	} {
		if _, err := New(bad.get, &bytes.Buffer{}).Context(); err == nil {
			t.Errorf("Context(%v) did not fail", bad)
		}
	}
}
