// Package formats holds what the platform packages below it share: turning
// JSON bytes into a located document and input errors with positions.
//
// Each platform lives in its own package (tray, ckbk, vnext) with the same
// shape: Rules (its part of the catalogue), Detect, Parse and Diff.
package formats

import (
	"errors"
	"fmt"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// ParseJSON parses src as the file named file; invalid JSON is an
// input/invalid-json error naming file:line:column.
func ParseJSON(file string, src []byte) (*jsonpos.Doc, error) {
	d, err := jsonpos.Parse(file, src)
	if err != nil {
		var se *jsonpos.SyntaxError
		if errors.As(err, &se) {
			return nil, &change.InputError{
				Rule:     change.RuleInvalidJSON,
				Location: change.Location{File: file, Line: se.Line, Column: se.Column},
				Msg:      "invalid JSON: " + se.Msg,
			}
		}
		return nil, err
	}
	return d, nil
}

// Locate is the location of the value at pointer in d. When the pointer leads
// nowhere (a value that is absent), it falls back to the nearest parent that
// exists, so an annotation still lands close.
func Locate(d *jsonpos.Doc, pointer string) change.Location {
	loc := change.Location{File: d.File, Pointer: pointer}
	for p := pointer; ; {
		if v := d.Root.Find(p); v != nil {
			loc.Line, loc.Column = d.Position(v.Off)
			return loc
		}
		i := lastSlash(p)
		if i < 0 {
			return loc
		}
		p = p[:i]
	}
}

// LocateValue is Locate for a value already in hand.
func LocateValue(d *jsonpos.Doc, v *jsonpos.Value, pointer string) change.Location {
	loc := change.Location{File: d.File, Pointer: pointer}
	if v != nil {
		loc.Line, loc.Column = d.Position(v.Off)
		return loc
	}
	return Locate(d, pointer)
}

func lastSlash(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return i
		}
	}
	return -1
}

// WrongType is the input/schema-violation for a field the rules read that
// holds the wrong JSON type.
func WrongType(d *jsonpos.Doc, v *jsonpos.Value, pointer string, want jsonpos.Kind) *change.InputError {
	return &change.InputError{
		Rule:     change.RuleSchemaViolation,
		Location: LocateValue(d, v, pointer),
		Msg:      fmt.Sprintf("schema violation: %s must be %s %s, not %s", pointer, article(want), want, article(v.Kind)+" "+v.Kind.String()),
	}
}

// Missing is the input/schema-violation for a required field that is absent.
func Missing(d *jsonpos.Doc, pointer string) *change.InputError {
	return &change.InputError{
		Rule:     change.RuleSchemaViolation,
		Location: Locate(d, pointer),
		Msg:      fmt.Sprintf("schema violation: required field %s is missing", pointer),
	}
}

func article(k jsonpos.Kind) string {
	if k == jsonpos.Array || k == jsonpos.Object {
		return "an"
	}
	return "a"
}

// NewFinding is how every format builds a finding: rule r about subject,
// located at v (or, when v is not in hand, wherever pointer leads) in doc,
// the file of the side the finding is about.
func NewFinding(r change.Rule, artifact, subject string, side change.Side, doc *jsonpos.Doc, v *jsonpos.Value, pointer, message string) change.Finding {
	return r.New(artifact, subject, LocateValue(doc, v, pointer), side, message)
}
