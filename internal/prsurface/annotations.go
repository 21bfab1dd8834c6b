package prsurface

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
)

// maxCheckAnnotations bounds the annotations of one check run (20 requests
// of 50); the full report lists every finding anyway.
const maxCheckAnnotations = 1000

// maxAnnotationMessage keeps a message well under GitHub's 64 KB.
const maxAnnotationMessage = 4000

// Level is how serious an annotation is.
type Level int

// Levels, most serious first.
const (
	LevelFailure Level = iota
	LevelWarning
	LevelNotice
)

// Annotation is a finding placed on a line of the pull request's head.
type Annotation struct {
	Level   Level
	Title   string
	Message string
	Path    string
	Line    int
	Column  int
}

// Sources link findings to lines they no longer have.
type Sources struct {
	// BaseURL is the web address of a line in the base version, which a
	// removal links to; nil links nothing.
	BaseURL func(change.Location) string
}

// BlobURL links lines of repo at commit sha on the GitHub server at
// serverURL (https://github.com, or a GitHub Enterprise Server's address).
func BlobURL(serverURL string, repo githubapi.Repo, sha string) func(change.Location) string {
	return func(loc change.Location) string {
		parts := strings.Split(loc.File, "/")
		for i, s := range parts {
			parts[i] = url.PathEscape(s)
		}
		u := fmt.Sprintf("%s/%s/%s/blob/%s/%s", strings.TrimRight(serverURL, "/"), url.PathEscape(repo.Owner), url.PathEscape(repo.Name), sha, strings.Join(parts, "/"))
		if loc.Line > 0 {
			u += fmt.Sprintf("#L%d", loc.Line)
		}
		return u
	}
}

// Annotations places the findings worth a mark in the diff — errors,
// breaking changes (accepted ones as notices) and warnings — most serious
// first. Info findings stay in the report. A removal's location is in the
// base file, whose lines mean nothing in the head: it is marked on the
// nearest enclosing value that still exists in the head, with a link to the
// line in the base. The pipeline finds that value (change.Finding.HeadAnchor).
func Annotations(rep *change.Report, src Sources) []Annotation {
	if rep == nil {
		return nil
	}
	var byRank [4][]Annotation
	for _, f := range rep.Changes {
		var rank int
		a := Annotation{Title: f.Rule, Message: f.Message, Path: f.File, Line: f.Line, Column: f.Column}
		switch {
		case f.Severity == change.Error:
			a.Level, rank = LevelFailure, 0
		case f.Severity == change.Breaking && f.Accepted == nil:
			a.Level, rank = LevelFailure, 1
		case f.Severity == change.Warning:
			a.Level, rank = LevelWarning, 2
		case f.Severity == change.Breaking:
			a.Level, rank = LevelNotice, 3
			a.Message = "Accepted breaking change: " + a.Message
		default:
			continue
		}
		if a.Path == "" {
			continue
		}
		if a.Line < 1 {
			a.Line, a.Column = 1, 0
		}
		if f.Side == change.Base {
			if src.BaseURL != nil {
				a.Message += " (removed from " + src.BaseURL(f.Location) + ")"
			}
			if h := f.HeadAnchor; h != nil {
				a.Path, a.Line, a.Column = h.File, max(h.Line, 1), h.Column
			}
		}
		if len(a.Message) > maxAnnotationMessage {
			a.Message = a.Message[:maxAnnotationMessage] + "…"
		}
		byRank[rank] = append(byRank[rank], a)
	}
	var out []Annotation
	for _, l := range byRank {
		out = append(out, l...)
	}
	return out
}

// checkAnnotations converts for the Checks API, at most
// maxCheckAnnotations of them.
func checkAnnotations(anns []Annotation) []githubapi.Annotation {
	out := make([]githubapi.Annotation, 0, min(len(anns), maxCheckAnnotations))
	for i, a := range anns {
		if i == maxCheckAnnotations {
			break
		}
		level := githubapi.AnnotationNotice
		switch a.Level {
		case LevelFailure:
			level = githubapi.AnnotationFailure
		case LevelWarning:
			level = githubapi.AnnotationWarning
		}
		out = append(out, githubapi.Annotation{
			Path: a.Path, StartLine: a.Line, EndLine: a.Line, StartColumn: a.Column, EndColumn: a.Column,
			Level: level, Title: a.Title, Message: a.Message,
		})
	}
	return out
}
