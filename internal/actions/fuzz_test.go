package actions

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzOutputRoundTrip: whatever the value, the runner reads back exactly
// one output with exactly that value — or SetOutput refuses it.
func FuzzOutputRoundTrip(f *testing.F) {
	f.Add("report", "plain")
	f.Add("labels", "a\nb\r\nc")
	f.Add("breaking", "x\n_GitHubActionsFileCommandDelimeter_\nbreaking=false")
	f.Add("x", "ghadelimiter_\nEOF\n<<EOF\n")
	// A name ending in "<" once made "name<<<delimiter", which the runner
	// splits at the wrong "<<".
	f.Add("name<", "x")
	r := New(env{}.get, &bytes.Buffer{})
	f.Fuzz(func(t *testing.T, name, value string) {
		content, err := r.keyValue(name, value)
		if err != nil {
			return
		}
		lines := strings.Split(content, "\n")
		// name<<DELIM, the value's lines, DELIM, and the final newline.
		head, delim, ok := strings.Cut(lines[0], "<<")
		if !ok || head != name {
			t.Fatalf("first line %q", lines[0])
		}
		end := -1
		for i := 1; i < len(lines); i++ {
			if lines[i] == delim {
				end = i
				break
			}
		}
		if end < 0 || strings.Join(lines[1:end], "\n") != value || strings.Join(lines[end+1:], "\n") != "" {
			t.Fatalf("the runner would read %q back from %q (value %q)", strings.Join(lines[1:max(end, 1)], "\n"), content, value)
		}
	})
}

// FuzzCommandRoundTrip: an annotation with any text prints one command
// line, and unescaping its parts gives the text back.
func FuzzCommandRoundTrip(f *testing.F) {
	f.Add("100% done\n::error::x", "a:b,c", "dir/file,1.json")
	f.Add("%0A%25", "%3A", "::")
	f.Fuzz(func(t *testing.T, msg, title, file string) {
		var out bytes.Buffer
		r := New(env{}.get, &out)
		r.Annotate(Annotation{Level: LevelWarning, Title: title, Message: msg, File: file, Line: 1})
		if strings.Count(out.String(), "\n") != 1 {
			t.Fatalf("printed %q: not one line", out.String())
		}
		cmds := parseCommands(t, out.String())
		if len(cmds) != 1 || cmds[0].name != "warning" || cmds[0].data != msg {
			t.Fatalf("commands %+v from %q", cmds, out.String())
		}
		if title != "" && cmds[0].props["title"] != title {
			t.Fatalf("title %q read back as %q", title, cmds[0].props["title"])
		}
		if file != "" && cmds[0].props["file"] != file {
			t.Fatalf("file %q read back as %q", file, cmds[0].props["file"])
		}
	})
}
