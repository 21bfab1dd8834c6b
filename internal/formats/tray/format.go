package tray

import (
	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
)

// New is the Tray.io export format, for the registry.
func New() formats.Format {
	return formats.FileFormat[*Export]{
		Meta: formats.Meta{
			FormatName: Format,
			NounPhrase: "a Tray.io export",
			Doc: change.Family{
				Prefix: Format + "/",
				Title:  "Tray.io solution and project exports",
				Intro: "Slots are matched across versions by `external_id` (fallback: config `key`, auth `service_id`); workflows by `id`. " +
					"A hidden or static slot never needs the end user: `user-input` becomes `system-input`.",
			},
			RuleSet:      Rules,
			Exts:         []string{".json"},
			Recognise:    Detect,
			CoverageSpec: Coverage,
		},
		ParseDoc: Parse,
		DiffPair: Diff,
	}
}

// Documents is the export's one file, compared from the export object
// (inside exportData when the export is wrapped).
func (e *Export) Documents() []formats.Document {
	return []formats.Document{{Input: documentOf(e)}}
}

// Identity is the export's solution, else its first project, else its first
// workflow; "" when it names none of them.
func (e *Export) Identity() string {
	if name := artifactName(e); name != artifactName(nil) {
		return name
	}
	return ""
}
