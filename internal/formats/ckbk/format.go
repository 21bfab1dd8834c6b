package ckbk

import (
	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
)

// New is the .ckbk template format, for the registry. Templates are .ckbk
// files; one saved as .json is detected by its content all the same.
func New() formats.Format {
	return formats.FileFormat[*Template]{
		Meta: formats.Meta{
			FormatName: Format,
			NounPhrase: "a FrontlineCloud .ckbk template",
			Doc: change.Family{
				Prefix: Format + "/",
				Title:  "FrontlineCloud recipe collection templates (`.ckbk`)",
				Intro: "Recipes are matched by `collectionRole`. Template updates reach every workspace automatically, " +
					"so the upgrade consequence is what happens to queued work and statistics.",
			},
			RuleSet:      Rules,
			Exts:         []string{".ckbk"},
			Recognise:    Detect,
			CoverageSpec: Coverage,
		},
		ParseDoc: Parse,
		DiffPair: Diff,
	}
}

// Documents is the template's one file.
func (t *Template) Documents() []formats.Document {
	return []formats.Document{{Input: document(t)}}
}

// Identity is the template's name; "" for a template that has none of its
// own (its file name would not find it again after a move).
func (t *Template) Identity() string {
	if !t.named {
		return ""
	}
	return Format + ":" + t.Name
}
