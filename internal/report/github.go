package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/workflowcmd"
)

// AnnotationsPerLevel is how many annotations of one level GitHub shows per
// step from workflow commands; more are dropped silently, so the report says
// how many it left out instead.
const AnnotationsPerLevel = 10

// WorkflowCommands writes the report as GitHub Actions workflow commands
// (::error, ::warning, ::notice): one annotation per finding on its file,
// line and column, at most AnnotationsPerLevel per level, most serious first.
// Info findings are left to the full report. Every property and message is
// escaped, so an export can neither end a command nor start one.
func WorkflowCommands(w io.Writer, r *change.Report) error {
	if r == nil {
		r = &change.Report{}
	}
	bw := bufio.NewWriter(w)
	_, line := verdict(r)
	fmt.Fprintf(bw, "breakwater: %s. Required bump: %s, declared: %s; findings: %s; compared: %s; coverage: %s.\n", line, r.Summary.RequiredBump, r.Summary.DeclaredBump, countsLine(r),
		comparedLine(r.Summary.Compared, workflowcmd.EscapeData), coverageLine(r.Summary.Coverage))

	groups := partition(r)
	emitted := map[string]int{}
	skipped := map[string]int{}
	for _, c := range []class{classError, classBreaking, classWarning, classAccepted} {
		for _, f := range groups[c] {
			level, msg := "error", f.Message
			switch c {
			case classWarning:
				level = "warning"
			case classAccepted:
				level = "notice"
				msg = "Accepted breaking change" + plainAcceptance(f.Accepted) + ": " + msg
			}
			if emitted[level] == AnnotationsPerLevel {
				skipped[level]++
				continue
			}
			emitted[level]++
			writeCommand(bw, level, f, msg)
		}
	}
	for _, level := range []string{"error", "warning", "notice"} {
		if n := skipped[level]; n > 0 {
			fmt.Fprintf(bw, "breakwater: %d more %s annotations not shown (GitHub shows %d per step); see the job summary for all findings\n", n, level, AnnotationsPerLevel)
		}
	}
	return bw.Flush()
}

func writeCommand(w io.Writer, level string, f *change.Finding, msg string) {
	var props []workflowcmd.Prop
	if f.File != "" {
		props = append(props, workflowcmd.Prop{Key: "file", Value: f.File})
		if f.Side == change.Base && f.Line > 0 {
			// The line is in the base version: annotate the file and say
			// where it was instead of marking an unrelated head line.
			msg += fmt.Sprintf(" (base version, line %d)", f.Line)
		} else if f.Line > 0 {
			props = append(props, workflowcmd.Prop{Key: "line", Value: strconv.Itoa(f.Line)})
			if f.Column > 0 {
				props = append(props, workflowcmd.Prop{Key: "col", Value: strconv.Itoa(f.Column)})
			}
		}
	}
	props = append(props, workflowcmd.Prop{Key: "title", Value: f.Rule})
	io.WriteString(w, workflowcmd.Format(level, props, msg)) //nolint:errcheck // the bufio.Writer's Flush reports it
}

func plainAcceptance(a *change.Acceptance) string {
	if a == nil {
		return ""
	}
	s := ""
	if a.By != "" {
		s += " by " + a.By
	}
	if a.Reason != "" {
		s += " (" + a.Reason + ")"
	}
	return s
}
