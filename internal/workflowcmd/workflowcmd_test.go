package workflowcmd

import (
	"strings"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name  string
		cmd   string
		props []Prop
		data  string
		want  string
	}{
		{"plain", "error", []Prop{{"file", "a.json"}, {"line", "3"}, {"title", ""}}, "broken", "::error file=a.json,line=3::broken\n"},
		{"no props", "notice", nil, "50% done", "::notice::50%25 done\n"},
		{"a message cannot start a command", "warning", nil, "x\r\n::error::pwned", "::warning::x%0D%0A::error::pwned\n"},
		{"a property cannot add one", "error", []Prop{{"file", "a,line=1::x\n"}}, "m", "::error file=a%2Cline=1%3A%3Ax%0A::m\n"},
		{"terminal escapes become spaces", "error", []Prop{{"title", "\x1b[31mred"}}, "\x1b]0;title\x07", "::error title= [31mred:: ]0;title \n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Format(tc.cmd, tc.props, tc.data)
			if got != tc.want {
				t.Errorf("Format = %q, want %q", got, tc.want)
			}
			if strings.Count(got, "\n") != 1 {
				t.Errorf("%q is not one line", got)
			}
		})
	}
}

func FuzzFormat(f *testing.F) {
	f.Add("error", "a.json", "message")
	f.Add("warning", "a,b:c%\nd", "50% done\r\n::error::pwned")
	f.Fuzz(func(t *testing.T, name, prop, data string) {
		if strings.ContainsAny(name, "\r\n: ,") || name == "" {
			return
		}
		got := Format(name, []Prop{{"file", prop}, {"title", prop}}, data)
		if strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\n") || strings.Contains(got, "\r") {
			t.Fatalf("not one command line: %q", got)
		}
		// The data starts after the second "::" and holds no raw "%" that
		// the runner would unescape into something else.
		rest := strings.TrimPrefix(got, "::"+name)
		_, msg, ok := strings.Cut(rest, "::")
		if !ok {
			t.Fatalf("no data separator in %q", got)
		}
		if strings.Contains(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(msg, "%25", ""), "%0D", ""), "%0A", ""), "%") {
			t.Fatalf("unescaped %% in %q", msg)
		}
	})
}
