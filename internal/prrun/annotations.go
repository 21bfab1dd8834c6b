package prrun

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/actions"
	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
)

// maxCheckAnnotations bounds the annotations of one check run (20 requests
// of 50); the job summary lists every finding anyway.
const maxCheckAnnotations = 1000

// maxAnnotationMessage keeps a message well under GitHub's 64 KB.
const maxAnnotationMessage = 4000

// annotation is a finding placed on a line of the pull request's head.
type annotation struct {
	level   actions.Level // error, warning or notice
	title   string
	message string
	path    string
	line    int
	column  int
}

// annotations places the findings worth a mark in the diff — errors,
// breaking changes (accepted ones as notices) and warnings — most serious
// first. Info findings stay in the report. A removal's location is in the
// base file, whose lines mean nothing in the head: it is marked on the
// nearest enclosing value that still exists in the head (the engine's
// anchor), with a link to the line in the base.
func (r *run) annotations(rep *change.Report) []annotation {
	var byLevel [4][]annotation
	for _, f := range rep.Changes {
		var rank int
		a := annotation{title: f.Rule, message: f.Message, path: f.File, line: f.Line, column: f.Column}
		switch {
		case f.Severity == change.Error:
			a.level, rank = actions.LevelError, 0
		case f.Severity == change.Breaking && f.Accepted == nil:
			a.level, rank = actions.LevelError, 1
		case f.Severity == change.Warning:
			a.level, rank = actions.LevelWarning, 2
		case f.Severity == change.Breaking:
			a.level, rank = actions.LevelNotice, 3
			a.message = "Accepted breaking change: " + a.message
		default:
			continue
		}
		if a.path == "" {
			continue
		}
		if a.line < 1 {
			a.line, a.column = 1, 0
		}
		if f.Side == change.Base {
			a.message += " (removed from " + r.baseLink(f.Location) + ")"
			if h := f.HeadAnchor; h != nil {
				a.path, a.line, a.column = h.File, max(h.Line, 1), h.Column
			}
		}
		if len(a.message) > maxAnnotationMessage {
			a.message = a.message[:maxAnnotationMessage] + "…"
		}
		byLevel[rank] = append(byLevel[rank], a)
	}
	var out []annotation
	for _, l := range byLevel {
		out = append(out, l...)
	}
	return out
}

// baseLink is the web address of a line in the merge base's version.
func (r *run) baseLink(loc change.Location) string {
	u := fmt.Sprintf("%s/%s/%s/blob/%s/%s", r.actx.ServerURL, url.PathEscape(r.repo.Owner), url.PathEscape(r.repo.Name), r.mergeBase, escapeRepoPath(loc.File))
	if loc.Line > 0 {
		u += fmt.Sprintf("#L%d", loc.Line)
	}
	return u
}

func escapeRepoPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// checkAnnotations converts for the Checks API.
func checkAnnotations(anns []annotation) []githubapi.Annotation {
	out := make([]githubapi.Annotation, 0, min(len(anns), maxCheckAnnotations))
	for i, a := range anns {
		if i == maxCheckAnnotations {
			break
		}
		level := githubapi.AnnotationNotice
		switch a.level {
		case actions.LevelError:
			level = githubapi.AnnotationFailure
		case actions.LevelWarning:
			level = githubapi.AnnotationWarning
		}
		out = append(out, githubapi.Annotation{
			Path: a.path, StartLine: a.line, EndLine: a.line, StartColumn: a.column, EndColumn: a.column,
			Level: level, Title: a.title, Message: a.message,
		})
	}
	return out
}

// annotateWithCommands prints the annotations as workflow commands within
// GitHub's per-step caps, then says how many did not fit.
func (r *run) annotateWithCommands(anns []annotation) {
	if r.annotated {
		return
	}
	r.annotated = true
	for _, a := range anns {
		r.rn.Annotate(actions.Annotation{Level: a.level, Title: a.title, Message: a.message, File: a.path, Line: a.line, Column: a.column})
	}
	r.rn.ReportCut("The job summary lists every finding.")
}

// annotateInputError marks an input the tool could not read on its line.
func (r *run) annotateInputError(ie *change.InputError) {
	r.rn.Annotate(actions.Annotation{Level: actions.LevelError, Title: ie.Rule, Message: ie.Msg, File: ie.File, Line: ie.Line, Column: ie.Column})
}
