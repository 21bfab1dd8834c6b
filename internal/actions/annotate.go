package actions

import (
	"fmt"
	"strconv"

	"github.com/breakwater-dev/breakwater/internal/workflowcmd"
)

// Level is an annotation's level.
type Level string

const (
	LevelError   Level = "error"
	LevelWarning Level = "warning"
	LevelNotice  Level = "notice"
)

// GitHub shows at most this many annotations of each level per step, and at
// most MaxPerStep in all (per job, which for an action is its step); the rest
// are dropped without a word. Annotate withholds what would be dropped, and
// ReportCut says how many.
const (
	MaxPerLevel = 10
	MaxPerStep  = 50
)

// Annotation is a message attached to a file and line of the run.
type Annotation struct {
	Level   Level
	Title   string
	Message string
	// File is repository-relative; Line and Column are 1-based, 0 = unset.
	File      string
	Line      int
	EndLine   int
	Column    int
	EndColumn int
}

// Annotate prints the annotation as a workflow command unless GitHub would
// drop it for the per-step caps; it reports whether it was printed. One
// notice is kept in reserve for ReportCut.
func (r *Runner) Annotate(a Annotation) bool {
	r.mu.Lock()
	levelCap := MaxPerLevel
	if a.Level == LevelNotice {
		levelCap--
	}
	if r.shown[a.Level] >= levelCap || r.total >= MaxPerStep-1 {
		r.cut[a.Level]++
		r.mu.Unlock()
		return false
	}
	r.shown[a.Level]++
	r.total++
	r.mu.Unlock()
	r.command(string(a.Level), a.props(), a.Message)
	return true
}

func (a Annotation) props() []workflowcmd.Prop {
	return []workflowcmd.Prop{
		{Key: "title", Value: a.Title},
		{Key: "file", Value: a.File},
		{Key: "line", Value: itoa(a.Line)},
		{Key: "endLine", Value: itoa(a.EndLine)},
		{Key: "col", Value: itoa(a.Column)},
		{Key: "endColumn", Value: itoa(a.EndColumn)},
	}
}

func itoa(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// Notice, Warning and Error print a message annotation that belongs to no
// file. They are always printed (they also land in the log), and they count
// against the caps like any annotation.
func (r *Runner) Notice(msg string)  { r.message(LevelNotice, msg) }
func (r *Runner) Warning(msg string) { r.message(LevelWarning, msg) }
func (r *Runner) Error(msg string)   { r.message(LevelError, msg) }

func (r *Runner) message(l Level, msg string) {
	r.mu.Lock()
	r.shown[l]++
	r.total++
	r.mu.Unlock()
	r.command(string(l), nil, msg)
}

// Cut is the number of annotations Annotate withheld.
func (r *Runner) Cut() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.cut {
		n += c
	}
	return n
}

// ReportCut prints one notice saying how many annotations were withheld and
// where to find all of them; nothing when none were.
func (r *Runner) ReportCut(where string) {
	n := r.Cut()
	if n == 0 {
		return
	}
	noun := "annotations were"
	if n == 1 {
		noun = "annotation was"
	}
	r.command(string(LevelNotice), nil, fmt.Sprintf(
		"%d more %s not shown: GitHub shows at most %d errors, %d warnings and %d notices per step. %s",
		n, noun, MaxPerLevel, MaxPerLevel, MaxPerLevel, where))
}
