package cli

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/rollout"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/workflowcmd"
)

// progressView prints a rollout's progress: a bar redrawn in place in a
// terminal, plain lines elsewhere (a line only when something changed).
type progressView struct {
	w     io.Writer
	color bool
	live  bool
	drawn bool
	last  string
}

func newProgressView(w io.Writer, color, live bool) *progressView {
	return &progressView{w: w, color: color, live: live}
}

// stateOrder is how counts are listed: outcomes first, then what is left.
var stateOrder = []store.InstanceState{store.StateUpgraded, store.StateNeedsUser, store.StateLazy, store.StateSkipped,
	store.StateFailed, store.StatePending, store.StateInFlight}

// ANSI colours per state (only on a terminal, never with NO_COLOR).
var stateColor = map[store.InstanceState]string{
	store.StateUpgraded: "\x1b[32m", store.StateNeedsUser: "\x1b[33m", store.StateFailed: "\x1b[31m",
}

const resetColor = "\x1b[0m"

func (v *progressView) show(p rollout.Progress) {
	line := v.line(p)
	if v.live {
		fmt.Fprintf(v.w, "\r\x1b[K%s", line)
		v.drawn = true
		return
	}
	if line != v.last {
		fmt.Fprintln(v.w, line)
		v.last = line
	}
}

// end finishes the display: the live line is ended, and failures listed.
func (v *progressView) end(p rollout.Progress) {
	if v.drawn {
		fmt.Fprintln(v.w)
		v.drawn = false
	}
	if len(p.Failed) == 0 {
		return
	}
	fmt.Fprintf(v.w, "failed (%d", p.Counts[store.StateFailed])
	if p.Counts[store.StateFailed] > len(p.Failed) {
		fmt.Fprintf(v.w, ", the first %d", len(p.Failed))
	}
	fmt.Fprintln(v.w, "):")
	for _, in := range p.Failed {
		fmt.Fprintf(v.w, "  %s (owner %s): %s\n", workflowcmd.OneLine(in.ID), workflowcmd.OneLine(in.Owner), workflowcmd.OneLine(in.Message))
	}
}

func (v *progressView) line(p rollout.Progress) string {
	r := p.Rollout
	var b strings.Builder
	fmt.Fprintf(&b, "%s@%s → %s  ", r.Package, r.Version, r.Environment)
	settled := p.Total - p.Remaining()
	frac := 1.0
	if p.Total > 0 {
		frac = float64(settled) / float64(p.Total)
	}
	if v.live {
		const width = 24
		full := int(math.Round(frac * width))
		b.WriteString("[" + strings.Repeat("█", full) + strings.Repeat("░", width-full) + "] ")
	}
	fmt.Fprintf(&b, "%3.0f%%  ", frac*100)
	var parts []string
	for _, st := range stateOrder {
		n := p.Counts[st]
		if n == 0 {
			continue
		}
		part := fmt.Sprintf("%s %d", st, n)
		if c := stateColor[st]; c != "" && v.color {
			part = c + part + resetColor
		}
		parts = append(parts, part)
	}
	b.WriteString(strings.Join(parts, " · "))
	fmt.Fprintf(&b, "  of %d", p.Total)
	switch {
	case p.Done:
		b.WriteString("  done")
	case r.Planning:
		b.WriteString("  planning")
	case r.Paused:
		b.WriteString("  paused")
	case p.Rate > 0:
		left := time.Duration(float64(p.Remaining()) / p.Rate * float64(time.Second)).Round(time.Second)
		fmt.Fprintf(&b, "  %.1f/s, about %s left", p.Rate, left)
	default:
		b.WriteString("  waiting")
	}
	return b.String()
}
