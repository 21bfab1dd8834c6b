package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
)

func renderCommands(t *testing.T, r *change.Report) []string {
	t.Helper()
	var b bytes.Buffer
	if err := WorkflowCommands(&b, r); err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

func TestWorkflowCommandsCannotBeInjected(t *testing.T) {
	f := finding("tray/auth-scopes-added", "a", "s", "evil.json,line=1::x\n::add-mask::", "/p", 3, 4, change.Head,
		"scopes\n::error file=x::pwned\r\n::stop-commands::token", nil, nil)
	lines := renderCommands(t, summarize(&change.Report{Changes: []change.Finding{f}}, change.BumpMajor, change.BumpMinor, "breaking"))
	if len(lines) != 2 {
		t.Fatalf("want the summary line and one command, got %q", lines)
	}
	want := "::error file=evil.json%2Cline=1%3A%3Ax%0A%3A%3Aadd-mask%3A%3A,line=3,col=4,title=tray/auth-scopes-added::Scopes%0A::error file=x::pwned%0D%0A::stop-commands::token."
	if lines[1] != want {
		t.Errorf("command\n got %s\nwant %s", lines[1], want)
	}
	if strings.HasPrefix(lines[0], "::") {
		t.Errorf("summary line is a command: %q", lines[0])
	}
}

func TestWorkflowCommandsCapPerLevel(t *testing.T) {
	var fs []change.Finding
	for i := range 25 {
		fs = append(fs, finding("tray/auth-scopes-added", "a", fmt.Sprint("s", i), "a.json", "/p", i+1, 1, change.Head, "m", nil, nil))
	}
	for i := range 3 {
		fs = append(fs, finding("tray/config-slot-removed", "a", fmt.Sprint("w", i), "a.json", "/p", i+1, 1, change.Head, "m", nil, nil))
		fs = append(fs, finding("tray/workflow-changed", "a", fmt.Sprint("i", i), "a.json", "/p", i+1, 1, change.Head, "m", nil, nil))
	}
	lines := renderCommands(t, summarize(&change.Report{Changes: fs}, change.BumpMajor, change.BumpMinor, "breaking"))
	count := map[string]int{}
	for _, l := range lines {
		if level, _, ok := strings.Cut(strings.TrimPrefix(l, "::"), " "); ok && strings.HasPrefix(l, "::") {
			count[level]++
		}
	}
	if count["error"] != AnnotationsPerLevel || count["warning"] != 3 || count["notice"] != 0 {
		t.Errorf("annotations per level = %v, want 10 errors, 3 warnings, no info", count)
	}
	if !strings.Contains(lines[len(lines)-1], "15 more error annotations not shown") {
		t.Errorf("last line does not count the dropped annotations: %q", lines[len(lines)-1])
	}
}
