package coverage

import (
	"fmt"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// Findings reports what no finding covers, one finding per item: text
// shown to people by the spec's TextRule, anything else by its OtherRule.
// The subject is the item's identity path (after the file's path in the
// artifact, for a package member), so the fingerprint survives reordering;
// the finding lands on the head side, on the base side for a removal.
// Before and After hold scalars only: an object or array added, removed or
// put in place of a scalar is named by its kind in the message, so that a
// field a newer exporter adds inside it changes no fingerprint.
func (c *Checker) Findings(r Report, artifact string) []change.Finding {
	var out []change.Finding
	for _, it := range r.Uncovered() {
		rule := c.spec.OtherRule
		if it.Class == Text {
			rule = c.spec.TextRule
		}
		side, doc, v, ptr := change.Head, it.head, it.HeadValue, it.Head
		if it.Kind == structdiff.Removed {
			side, doc, v, ptr = change.Base, it.base, it.BaseValue, it.Base
		}
		if doc == nil || v == nil {
			continue // not an item of a checked pair
		}
		loc := change.Location{File: doc.File, Pointer: ptr}
		loc.Line, loc.Column = doc.Position(v.Off)
		subject := it.subject()
		f := rule.New(artifact, subject, loc, side, message(rule, it, subject))
		if it.Kind == structdiff.Reordered {
			f = f.With(it.Before, it.After)
		} else {
			f = f.With(scalar(it.BaseValue), scalar(it.HeadValue))
		}
		out = append(out, f)
	}
	return out
}

// subject is the item's identity path, after the file's path in its
// artifact when it has one ("core/Tasks/x.json#/version").
func (it Item) subject() string {
	switch {
	case it.path == "":
		return it.Path
	case it.Path == "":
		return it.path
	}
	return it.path + "#" + it.Path
}

func message(r change.Rule, it Item, subject string) string {
	what := subject
	if what == "" {
		what = "the document"
	}
	switch {
	case it.Kind == structdiff.Added && composite(it.HeadValue) != "":
		what += " (" + composite(it.HeadValue) + ")"
	case it.Kind == structdiff.Removed && composite(it.BaseValue) != "":
		what += " (" + composite(it.BaseValue) + ")"
	case it.Kind == structdiff.Changed && (composite(it.BaseValue) != "" || composite(it.HeadValue) != ""):
		what += fmt.Sprintf(" (%s before, %s after)", kindOf(it.BaseValue), kindOf(it.HeadValue))
	}
	if it.Class == Text {
		switch it.Kind {
		case structdiff.Added:
			return "Text shown to people is added at " + what
		case structdiff.Removed:
			return "Text shown to people is removed at " + what
		case structdiff.Reordered:
			return "What " + what + " shows to people is in another order"
		}
		return "Text shown to people changes at " + what
	}
	family, _, _ := strings.Cut(r.ID, "/")
	none := fmt.Sprintf("no other %s/… rule covers it", family)
	switch it.Kind {
	case structdiff.Added:
		return fmt.Sprintf("The value at %s is added; %s", what, none)
	case structdiff.Removed:
		return fmt.Sprintf("The value at %s is removed; %s", what, none)
	case structdiff.Reordered:
		return fmt.Sprintf("The elements of %s are in another order; %s", what, none)
	}
	return fmt.Sprintf("The value at %s changes; %s", what, none)
}

// scalar is what a generic finding shows of one side: a scalar as it is
// (text can be long); nothing for an object or an array.
func scalar(v *jsonpos.Value) any {
	if v == nil || composite(v) != "" {
		return nil
	}
	return v.Interface()
}

// composite names an object or an array; "" for anything else.
func composite(v *jsonpos.Value) string {
	switch {
	case v == nil:
		return ""
	case v.Kind == jsonpos.Object:
		return "an object"
	case v.Kind == jsonpos.Array:
		return "an array"
	}
	return ""
}

// kindOf names a value's JSON type with its article.
func kindOf(v *jsonpos.Value) string {
	if c := composite(v); c != "" {
		return c
	}
	if v.Kind == jsonpos.Null {
		return "null"
	}
	return "a " + v.Kind.String()
}

// Coverage counts the report's items for the summary: every change, and
// those only the generic OtherRule reports.
func (c *Checker) Coverage(r Report) change.Coverage {
	out := change.Coverage{Changes: len(r.Items)}
	for _, it := range r.Items {
		if c.generic(it) {
			out.Generic++
		}
	}
	return out
}

// generic reports whether only the OtherRule reports it: it is covered by
// that rule alone, or by nothing and not text (Findings reports it so).
func (c *Checker) generic(it Item) bool {
	if len(it.CoveredBy) == 0 {
		return it.Class == Other
	}
	for _, by := range it.CoveredBy {
		if by != c.spec.OtherRule.ID {
			return false
		}
	}
	return true
}
