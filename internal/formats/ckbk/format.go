package ckbk

import (
	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// New is the .ckbk template format, for the registry.
func New() formats.Format { return format{} }

type format struct{}

func (format) Name() string { return Format }

func (format) Noun() string { return "a FrontlineCloud .ckbk template" }

func (format) Family() change.Family {
	return change.Family{
		Prefix: Format + "/",
		Title:  "FrontlineCloud recipe collection templates (`.ckbk`)",
		Intro: "Recipes are matched by `collectionRole`. Template updates reach every workspace automatically, " +
			"so the upgrade consequence is what happens to queued work and statistics.",
	}
}

func (format) Rules() []change.Rule { return Rules() }

// Extensions: templates are .ckbk files; one saved as .json is detected by
// its content all the same.
func (format) Extensions() []string { return []string{".ckbk"} }

func (format) Detect(root *jsonpos.Value) bool { return Detect(root) }

func (format) Parse(in formats.Input) (formats.Artifact, error) {
	f, err := formats.Single(Format, in)
	if err != nil {
		return nil, err
	}
	t, err := Parse(f.Doc)
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (format) Diff(base, head formats.Artifact) change.Comparison {
	return Diff(formats.As[*Template](base), formats.As[*Template](head))
}

// Identity is the template's name; "" for a template that has none of its
// own (its file name would not find it again after a move).
func (t *Template) Identity() string {
	if !t.named {
		return ""
	}
	return Format + ":" + t.Name
}
