// Package tray diffs Tray.io project, workflow and Embedded solution exports
// (docs/formats.md) and classifies every change by a tray/… rule.
//
// Slots are matched by external_id, workflows by id and steps by name, so
// array order, key order and formatting never produce a finding. The diff is
// linear in the size of the exports: matching goes through maps and workflow
// content is compared by hashes computed once per workflow.
package tray

import (
	"cmp"
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// Format is the name the engine knows this format by.
const Format = "tray"

// Diff compares two versions of one export. Either may be nil: the export
// was added or removed. A new export has no deployed instances, so it only
// reports its workflows as added; a removed one reports them as removed.
//
// Tray exports declare no version, so the comparison's Base and Head are nil.
func Diff(base, head *Export) change.Comparison {
	c := change.Comparison{Format: Format, Artifact: artifactName(head)}
	if head == nil {
		c.Artifact = artifactName(base)
	}
	d := &differ{base: base, head: head, artifact: c.Artifact, hasher: jsonpos.NewHasher(),
		content: formats.NewContentHasher(Coverage().Structure, documentOf(base), documentOf(head))}
	switch {
	case base == nil && head == nil:
	case base == nil:
		for _, w := range head.Workflows {
			d.workflowAdded(w)
		}
	case head == nil:
		for _, w := range base.Workflows {
			d.workflowRemoved(w)
		}
	default:
		d.baseGroups, d.headGroups = slotGroups(base), slotGroups(head)
		d.authSlots()
		d.configSlots()
		d.services()
		d.workflows()
	}
	slices.SortStableFunc(d.out, func(a, b change.Finding) int {
		return cmp.Or(cmp.Compare(a.Side, b.Side)*-1, // head before base
			cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Subject, b.Subject))
	})
	c.Findings = d.out
	return c
}

// artifactName is the export's logical identity: its solution, else its
// first project, else its first workflow.
func artifactName(e *Export) string {
	switch {
	case e == nil:
		return "tray:export"
	case e.Solution != nil && e.Solution.ID != "":
		return "tray:solution/" + e.Solution.ID
	case len(e.Projects) > 0 && e.Projects[0].ID != "":
		return "tray:project/" + e.Projects[0].ID
	case len(e.Workflows) > 0 && e.Workflows[0].ID != "":
		return "tray:workflow/" + e.Workflows[0].ID
	}
	return "tray:export"
}

type differ struct {
	base, head *Export
	artifact   string
	hasher     *jsonpos.Hasher
	out        []change.Finding
	// newAuthGroups are the auth_groups of auth slots added in head: steps
	// using them are already reported by tray/auth-slot-added.
	newAuthGroups map[string]bool
	// baseGroups and headGroups map auth groups to auth slot identities.
	baseGroups, headGroups map[string]string
	// content pairs elements that share an identity by their content.
	content *formats.ContentHasher
	// note is appended to the messages of findings about an element whose
	// identity is shared: it says which of them the finding is about.
	note string
}

func documentOf(e *Export) structdiff.Input {
	if e == nil {
		return structdiff.Input{}
	}
	return structdiff.Input{Doc: e.Doc, At: e.Pointer}
}

// add records a finding located in head (additions and changes) or in base
// (removals): at v when it is in hand, else wherever pointer leads.
func (d *differ) add(r change.Rule, subject string, side change.Side, v *jsonpos.Value, pointer, message string) *change.Finding {
	e := d.head
	if side == change.Base {
		e = d.base
	}
	if d.note != "" {
		message = strings.TrimSuffix(message, ".") + d.note + "."
	}
	d.out = append(d.out, formats.NewFinding(r, d.artifact, subject, side, e.Doc, v, pointer, message))
	return &d.out[len(d.out)-1]
}
