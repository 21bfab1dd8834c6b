package rollout

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/clip"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/report"
	"github.com/breakwater-dev/breakwater/internal/store"
)

// The tracking issue of a rollout: rewritten in place, controls at the top
// as checkboxes, and partial failure shown as what it is — some instances
// on the new version, some on the old.

// Control is a checkbox of the tracking issue.
type Control string

const (
	ControlPause    Control = "pause"
	ControlResume   Control = "resume"
	ControlRetry    Control = "retry"
	ControlRollback Control = "rollback"
)

// issueMarker names the rollout in its issue's body (invisible when
// rendered): an issue is a tracking issue only when the store says so too.
func issueMarker(id int64) string { return fmt.Sprintf("<!-- breakwater-rollout:%d -->", id) }

// IssueLabel is the label of tracking issues.
const IssueLabel = "breakwater-rollout"

var (
	markerRE  = regexp.MustCompile(`<!-- breakwater-rollout:(\d+) -->`)
	controlRE = regexp.MustCompile(`(?m)^\s*[-*] \[([ xX])\] .*<!-- breakwater-control:([a-z]+) -->\s*$`)
)

// IssueRollout is the rollout an issue body names, 0 for none.
func IssueRollout(body string) int64 {
	m := markerRE.FindStringSubmatch(body)
	if m == nil {
		return 0
	}
	id, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0 // not a rollout this store could hold
	}
	return id
}

// CheckedControls are the controls ticked in an issue body, in the order
// they appear.
func CheckedControls(body string) []Control {
	var out []Control
	for _, m := range controlRE.FindAllStringSubmatch(body, -1) {
		if m[1] != " " {
			switch c := Control(m[2]); c {
			case ControlPause, ControlResume, ControlRetry, ControlRollback:
				out = append(out, c)
			}
		}
	}
	return out
}

// issueTitle is the tracking issue's title.
func issueTitle(r store.Rollout) string {
	return fmt.Sprintf("Rollout of %s %s to %s", r.Package, r.Version, r.Environment)
}

// IssueBody renders the tracking issue: controls, where every instance
// stands, the failures with Tray's words. previous is the version a
// rollback would go back to ("" offers none); now is when it was written.
func IssueBody(p Progress, previous string, now time.Time) string {
	r := p.Rollout
	var b strings.Builder
	b.WriteString(issueMarker(r.ID) + "\n")
	fmt.Fprintf(&b, "## %s\n\n", report.MarkdownText(issueTitle(r)))
	b.WriteString("**Controls**: tick a box to act. Only people with write access are obeyed; the box is cleared once done.\n\n")
	control := func(c Control, label string) {
		fmt.Fprintf(&b, "- [ ] %s <!-- breakwater-control:%s -->\n", label, c)
	}
	control(ControlPause, "Pause: no new upgrades (those in flight finish)")
	control(ControlResume, "Resume")
	control(ControlRetry, "Retry the failed instances")
	if previous != "" {
		control(ControlRollback, "Roll back to "+report.CodeSpan(previous)+" (refused across auth-breaking changes)")
	}
	fmt.Fprintf(&b, "\n**Status**: %s", statusWord(p))
	if !p.Done && p.Rate > 0 {
		fmt.Fprintf(&b, " · %.1f instances/s, about %s left", p.Rate, eta(p))
	}
	b.WriteString("\n\n")
	b.WriteString(Standing(p) + "\n\n")
	b.WriteString("| state | instances | meaning |\n|---|---:|---|\n")
	for _, row := range []struct {
		st   store.InstanceState
		text string
	}{
		{store.StateUpgraded, "upgraded by Breakwater: on " + r.Version},
		{store.StateNeedsUser, "upgraded; the end user must run the Config Wizard"},
		{store.StateLazy, "Tray upgrades them by itself, within minutes"},
		{store.StateSkipped, "nothing to do: on the newest version already, or disabled"},
		{store.StateFailed, "Tray refused: still on an older version"},
		{store.StatePending, "waiting to be upgraded"},
		{store.StateInFlight, "being upgraded"},
	} {
		fmt.Fprintf(&b, "| %s | %d | %s |\n", row.st, p.Counts[row.st], row.text)
	}
	fmt.Fprintf(&b, "| **total** | **%d** | |\n", p.Total)
	if len(p.Failed) > 0 {
		fmt.Fprintf(&b, "\n### Failed instances (%d", p.Counts[store.StateFailed])
		if p.Counts[store.StateFailed] > len(p.Failed) {
			fmt.Fprintf(&b, ", the first %d", len(p.Failed))
		}
		b.WriteString(")\n\n| instance | owner | Tray's message |\n|---|---|---|\n")
		for _, in := range p.Failed {
			fmt.Fprintf(&b, "| %s | %s | %s |\n", report.MarkdownText(in.ID), report.MarkdownText(in.Owner), report.MarkdownText(clip.Runes(in.Message, 300)))
		}
	}
	fmt.Fprintf(&b, "\n<sub>Breakwater rewrites this issue as the rollout goes (last %s). `breakwater rollout status` shows the same.</sub>\n",
		now.UTC().Format(time.RFC3339))
	return b.String()
}

// Standing says in one sentence how many instances run the new version
// and how many still run an older one, and why.
func Standing(p Progress) string {
	c := p.Counts
	onNew := c[store.StateUpgraded] + c[store.StateNeedsUser]
	old := c[store.StateFailed] + c[store.StateLazy] + c[store.StatePending] + c[store.StateInFlight]
	s := fmt.Sprintf("%d of %d instances run %s (%d needing their user's Config Wizard)", onNew, p.Total-c[store.StateSkipped], p.Rollout.Version, c[store.StateNeedsUser])
	if old == 0 {
		return s + "; none is left on an older version."
	}
	var why []string
	for _, x := range []struct {
		n    int
		what string
	}{{c[store.StateFailed], "failed"}, {c[store.StateLazy], "upgrading by themselves"},
		{c[store.StatePending] + c[store.StateInFlight], "still to upgrade"}} {
		if x.n > 0 {
			why = append(why, fmt.Sprintf("%d %s", x.n, x.what))
		}
	}
	return fmt.Sprintf("%s; %d still run an older version: %s.", s, old, strings.Join(why, ", "))
}

func statusWord(p Progress) string {
	switch {
	case p.Done && p.Counts[store.StateFailed] > 0:
		return "done, with failures (partial rollout)"
	case p.Done:
		return "done"
	case p.Rollout.Planning:
		return "planning"
	case p.Rollout.Paused:
		return "paused"
	}
	return "running"
}

func eta(p Progress) string {
	return time.Duration(float64(p.Remaining()) / p.Rate * float64(time.Second)).Round(time.Second).String()
}

// checkRun is the rollout's check run on the release commit: in progress
// until done; then success, or failure when instances failed.
func checkRun(p Progress, commit string) githubapi.CheckRun {
	r := p.Rollout
	run := githubapi.CheckRun{Name: "Breakwater rollout (" + r.Environment + ")", HeadSHA: commit,
		ExternalID: fmt.Sprintf("breakwater-rollout:%d", r.ID)}
	onNew := p.Counts[store.StateUpgraded] + p.Counts[store.StateNeedsUser]
	run.Title = fmt.Sprintf("%s: %d of %d upgraded", statusWord(p), onNew, p.Total-p.Counts[store.StateSkipped])
	run.Summary = Standing(p)
	if r.TrackingIssue > 0 {
		run.Summary += fmt.Sprintf("\n\nThe tracking issue (#%d) has the controls and the failures.", r.TrackingIssue)
	}
	if p.Done {
		run.Conclusion = "success"
		if p.Counts[store.StateFailed] > 0 {
			run.Conclusion = "failure"
		}
	}
	return run
}

// deploymentDescription sums up a finished rollout for its deployment
// status (GitHub keeps 140 characters).
func deploymentDescription(p Progress) string {
	c := p.Counts
	return githubapi.TruncateDescription(fmt.Sprintf("%s %d upgraded, %d need their user, %d lazy, %d failed",
		DescriptionPrefix, c[store.StateUpgraded], c[store.StateNeedsUser], c[store.StateLazy], c[store.StateFailed]))
}

// DescriptionPrefix starts the deployment statuses the rollout writes, so
// that its own deployment_status events are not taken for a new deploy.
const DescriptionPrefix = "Breakwater rollout:"
