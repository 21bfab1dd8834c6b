package formattest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// Files are the files of one side of a comparison by name; a single-file
// format has one.
type Files map[string][]byte

// Format is what Compare needs to know of a format.
type Format struct {
	// Structure holds the format's normalisation: which arrays may be
	// shuffled, and how a pointer becomes an identity path.
	Structure Structure
	// Diff diffs base against head. It must name every parsed document by
	// its key in Files, so findings can be traced back to their file; an
	// error means the input was refused.
	Diff func(base, head Files) ([]change.Finding, error)
}

// Finding is a finding as metamorphic tests compare it: everything but
// line and column, with the pointer replaced by its identity path.
type Finding struct {
	Rule, Severity, Category, Upgrade string
	Artifact, Subject                 string
	File, Side, Path                  string
	Message                           string
	Before, After                     string
	NoEndUser                         bool
	Fingerprint                       string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s %s %s %s: %s", f.Rule, f.Side, f.File, f.Path, f.Message)
}

// Mismatch is a transform under which the findings of a pair changed.
type Mismatch struct {
	Transform string
	// Diff is the go-cmp diff of the findings (-original +transformed).
	Diff string
	// Err is the error the transformed pair was refused with.
	Err error
}

func (m Mismatch) String() string {
	if m.Err != nil {
		return fmt.Sprintf("%s: the transformed pair is refused: %v", m.Transform, m.Err)
	}
	return fmt.Sprintf("%s: findings differ (-original +transformed):\n%s", m.Transform, m.Diff)
}

// Normalise turns findings into what metamorphic tests compare, sorted.
// Each pointer becomes an identity path in the document it points into.
func Normalise(f Format, base, head Files, findings []change.Finding) ([]Finding, error) {
	docs := map[change.Side]map[string]*jsonpos.Doc{change.Base: {}, change.Head: {}}
	for side, files := range map[change.Side]Files{change.Base: base, change.Head: head} {
		for name, src := range files {
			if d, err := jsonpos.Parse(name, src); err == nil {
				docs[side][name] = d
			}
		}
	}
	out := make([]Finding, 0, len(findings))
	for _, fd := range findings {
		n := Finding{
			Rule: fd.Rule, Severity: string(fd.Severity), Category: string(fd.Category), Upgrade: string(fd.Upgrade),
			Artifact: fd.Artifact, Subject: fd.Subject, File: fd.File, Side: string(fd.Side), Path: fd.Pointer,
			Message: fd.Message, Before: canonical(fd.Before), After: canonical(fd.After), NoEndUser: fd.NoEndUser,
			Fingerprint: fd.ComputeFingerprint(),
		}
		doc := docs[fd.Side][fd.File]
		if doc == nil {
			return nil, fmt.Errorf("finding %s names file %q, which the %s side does not have", fd.Rule, fd.File, fd.Side)
		}
		if d, at := f.Structure(fd.File, doc); d != nil {
			n.Path = d.Identify(structdiff.Input{Doc: doc, At: at}, fd.Pointer)
		}
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b Finding) int {
		return cmp.Or(strings.Compare(a.Rule, b.Rule), strings.Compare(a.File, b.File), strings.Compare(a.Path, b.Path),
			strings.Compare(a.Subject, b.Subject), strings.Compare(a.Message, b.Message), strings.Compare(a.Fingerprint, b.Fingerprint))
	})
	return out, nil
}

func canonical(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Apply applies t to every file of a side. A file that is not JSON is kept
// as it is.
func Apply(t Transform, files Files, side Side) (Files, error) {
	out := make(Files, len(files))
	for name, src := range files {
		if _, err := jsonpos.Parse(name, src); err != nil {
			out[name] = src
			continue
		}
		b, err := t.Apply(name, src, side)
		if err != nil {
			return nil, fmt.Errorf("%s on %s: %w", t.Name, name, err)
		}
		out[name] = b
	}
	return out, nil
}

// Compare diffs base against head, then every transformed pair, and
// returns the transforms under which the findings changed. An error means
// the original pair itself could not be diffed.
func Compare(f Format, base, head Files, transforms []Transform) ([]Mismatch, error) {
	want, err := findings(f, base, head)
	if err != nil {
		return nil, fmt.Errorf("the original pair: %w", err)
	}
	var out []Mismatch
	for _, t := range transforms {
		tb, err := Apply(t, base, BaseSide)
		if err != nil {
			return nil, err
		}
		th, err := Apply(t, head, HeadSide)
		if err != nil {
			return nil, err
		}
		got, err := findings(f, tb, th)
		if err != nil {
			out = append(out, Mismatch{Transform: t.Name, Err: err})
			continue
		}
		if d := gocmp.Diff(want, got); d != "" {
			out = append(out, Mismatch{Transform: t.Name, Diff: d})
		}
	}
	return out, nil
}

func findings(f Format, base, head Files) ([]Finding, error) {
	fs, err := f.Diff(base, head)
	if err != nil {
		return nil, err
	}
	return Normalise(f, base, head, fs)
}

// Check is Compare in a test: every mismatch is an error of t.
func Check(t testing.TB, f Format, base, head Files, transforms []Transform) {
	t.Helper()
	ms, err := Compare(f, base, head, transforms)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		t.Error(m)
	}
}

// Names lists the files of a side in order.
func (fs Files) Names() []string { return slices.Sorted(maps.Keys(fs)) }
