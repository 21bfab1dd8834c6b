package config

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"
)

// FuzzParse: no input panics; a rejected file gets positioned errors for
// this file, in file order; an accepted one is accepted by the JSON Schema
// too, and the rest of the API works on it.
func FuzzParse(f *testing.F) {
	for _, name := range testdataConfigs(f) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tt := range validCases {
		f.Add([]byte(tt.yaml))
	}
	for _, tt := range errorCases {
		f.Add([]byte(tt.yaml))
	}
	_, schema := loadSchema(f)

	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(file, data)
		if err != nil {
			if c != nil {
				t.Fatal("Parse returned a configuration with its error")
			}
			// An upper bound: every possible line break ends a line.
			lines := 1
			for _, brk := range []string{"\n", "\r", "\u0085", "\u2028", "\u2029"} {
				lines += bytes.Count(data, []byte(brk))
			}
			all := allErrors(t, err)
			for _, e := range all {
				if e.File != file || e.Msg == "" || e.Line < 0 || e.Line > lines || e.Column < 0 {
					t.Fatalf("bad error %+v in a file of %d lines", e, lines)
				}
			}
			if !slices.IsSortedFunc(all, func(a, b *Error) int {
				if a.Line != b.Line {
					return a.Line - b.Line
				}
				return a.Column - b.Column
			}) {
				t.Fatalf("errors out of file order:\n%v", err)
			}
			return
		}
		if c.Path != file || len(c.Artifacts) == 0 || c.Rollout.Concurrency < 1 || c.Runtime.Timeout <= 0 {
			t.Fatalf("accepted an unusable configuration: %+v", c)
		}
		v, err := yamlToJSON(data)
		if err != nil {
			t.Fatalf("the parser accepts a file the YAML reader rejects: %v", err)
		}
		if err := schema.Validate(v); err != nil {
			t.Fatalf("the parser accepts a file the schema rejects: %v", err)
		}
		c.Policy(true)
		if _, err := c.Signing.Policy.IdentityRegexp(); err != nil {
			t.Fatalf("accepted identity does not compile anchored: %v", err)
		}
		if err := c.CheckRules(func(string) bool { return false }); err != nil {
			for _, e := range allErrors(t, err) {
				if e.Line == 0 {
					t.Fatalf("CheckRules error without a line: %v", e)
				}
			}
		}
	})
}

// allErrors is the *Error or the Errors that err is.
func allErrors(t *testing.T, err error) []*Error {
	if es, ok := err.(Errors); ok {
		return es
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not *Error or Errors", err, err)
	}
	return []*Error{e}
}
