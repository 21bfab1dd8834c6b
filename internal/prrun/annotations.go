package prrun

import (
	"github.com/breakwater-dev/breakwater/internal/actions"
	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
)

// commandLevels are the workflow command for each annotation level.
var commandLevels = map[prsurface.Level]actions.Level{
	prsurface.LevelFailure: actions.LevelError,
	prsurface.LevelWarning: actions.LevelWarning,
	prsurface.LevelNotice:  actions.LevelNotice,
}

// annotateWithCommands prints the annotations as workflow commands within
// GitHub's per-step caps, then says how many did not fit.
func (r *run) annotateWithCommands(anns []prsurface.Annotation) {
	if r.annotated {
		return
	}
	r.annotated = true
	for _, a := range anns {
		r.rn.Annotate(actions.Annotation{Level: commandLevels[a.Level], Title: a.Title, Message: a.Message, File: a.Path, Line: a.Line, Column: a.Column})
	}
	r.rn.ReportCut("The job summary lists every finding.")
}

// annotateInputError marks an input the tool could not read on its line.
func (r *run) annotateInputError(ie *change.InputError) {
	r.rn.Annotate(actions.Annotation{Level: actions.LevelError, Title: ie.Rule, Message: ie.Msg, File: ie.File, Line: ie.Line, Column: ie.Column})
}
