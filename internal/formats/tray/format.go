package tray

import (
	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// New is the Tray.io export format, for the registry.
func New() formats.Format { return format{} }

type format struct{}

func (format) Name() string { return Format }

func (format) Noun() string { return "a Tray.io export" }

func (format) Family() change.Family {
	return change.Family{
		Prefix: Format + "/",
		Title:  "Tray.io solution and project exports",
		Intro: "Slots are matched across versions by `external_id` (fallback: config `key`, auth `service_id`); workflows by `id`. " +
			"A hidden or static slot never needs the end user: `user-input` becomes `system-input`.",
	}
}

func (format) Rules() []change.Rule { return Rules() }

func (format) Extensions() []string { return []string{".json"} }

func (format) Detect(root *jsonpos.Value) bool { return Detect(root) }

func (format) Parse(in formats.Input) (formats.Artifact, error) {
	f, err := formats.Single(Format, in)
	if err != nil {
		return nil, err
	}
	e, err := Parse(f.Doc)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func (format) Diff(base, head formats.Artifact) change.Comparison {
	return Diff(formats.As[*Export](base), formats.As[*Export](head))
}

// Identity is the export's solution, else its first project, else its first
// workflow; "" when it names none of them.
func (e *Export) Identity() string {
	if name := artifactName(e); name != artifactName(nil) {
		return name
	}
	return ""
}
