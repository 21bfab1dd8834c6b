package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/prrun/prruntest"
	"github.com/breakwater-dev/breakwater/internal/source"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
)

// manyExports opens a pull request that changes n Tray exports (copies of
// the real sample pair), with no configuration: the defaults.
func (h *harness) manyExports(n int) (head string) {
	base, headFiles := prruntest.TrayExports(h.t, n)
	root := h.repo.Commit(nil, base)
	tip := h.repo.Commit([]string{root}, with(base, "docs/notes.md", []byte("unrelated\n")))
	head = h.repo.Commit([]string{root}, headFiles)
	h.repo.OpenPullRequest(githubtest.PullRequest{Number: prNumber, Title: "Many exports", HeadSHA: head, HeadRef: headBranch, BaseSHA: tip, BaseRef: "main"})
	return head
}

// TestRateLimitChecksAgainAfterTheReset: when the installation's rate
// limit cannot cover the check, the bot reads nothing more, fails the check
// run naming the shortfall and the reset time, writes no labels or comment,
// and snoozes the delivery's job (it stays unprocessed). After the reset
// the job runs again and publishes the whole result, updating that same
// check run — reading both sides of the pull request's 12 changed exports
// through one source archive each (no token reaches the archive host), not
// file by file, and without listing the pull request's files.
func TestRateLimitChecksAgainAfterTheReset(t *testing.T) {
	const exports = 12
	if exports+1 <= source.ContentsLimit {
		t.Fatal("the pull request must read more files than the contents API serves")
	}
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b.URL(t), harnessOptions{})
			head := h.manyExports(exports)
			// Enough for the app, its token, the pull request, the merge base
			// and the configuration, not for reading and publishing.
			reset := time.Now().Add(2 * time.Second)
			h.github.SetRateLimit(5000, 12, reset)
			id := newID()
			h.deliver("pull_request", id, h.prEvent("opened", head, false))

			run := h.waitCheckRun(func(r githubtest.CheckRun) bool { return r.Title == "Breakwater could not check this pull request" })
			at := reset.UTC().Format(time.DateTime) + " UTC"
			if run.Conclusion != "failure" || !strings.Contains(run.Summary, "rate limit cannot cover this run") || !strings.Contains(run.Summary, at) ||
				!strings.Contains(run.Summary, "checks this pull request again after the reset") {
				t.Errorf("the check run does not name the shortfall and the reset at %s: %s %q", at, run.Conclusion, run.Summary)
			}
			if labels := h.repo.PullLabels(prNumber); len(labels) != 0 {
				t.Errorf("labels were written: %v", labels)
			}
			if comments := h.repo.Comments(prNumber); len(comments) != 0 {
				t.Errorf("a comment was written: %+v", comments)
			}
			if n := len(h.github.Downloads()); n != 0 {
				t.Errorf("%d archives were read with the budget short", n)
			}
			// Snoozed (River makes a short snooze available at once, to run
			// at its time).
			d, job := h.waitJob(id, rivertype.JobStateScheduled, rivertype.JobStateAvailable)
			if d.ProcessedAt != nil || job.Attempt != 0 || job.ScheduledAt.Before(reset) {
				t.Errorf("the delivery (processed %v) and its job (attempt %d, at %v) do not wait for the reset at %v", d.ProcessedAt, job.Attempt, job.ScheduledAt, reset)
			}

			// The limit resets (the fake starts a new window, as GitHub
			// does): the job runs again and publishes the result.
			h.processed(id)
			_, job = h.waitJob(id, rivertype.JobStateCompleted)
			var meta struct{ Snoozes int }
			if err := json.Unmarshal(job.Metadata, &meta); err != nil || job.Attempt != 1 || meta.Snoozes != 1 {
				t.Errorf("the job ran %d attempts, metadata %s (%v): want one attempt after one snooze", job.Attempt, job.Metadata, err)
			}
			runs := h.repo.CheckRuns()
			if len(runs) != 1 || runs[0].ID != run.ID || runs[0].Title == run.Title || runs[0].Conclusion != "failure" || runs[0].Requests != 2 {
				t.Errorf("after the reset the check run was not updated with the report: %+v", runs)
			}
			if got := h.repo.PullLabels(prNumber); !slices.Contains(got, "breaking-change") || !slices.Contains(got, "semver:major") {
				t.Errorf("labels = %v", got)
			}
			if comments := h.repo.Comments(prNumber); len(comments) != 1 || comments[0].Author.Login != appSlug+"[bot]" {
				t.Errorf("comments = %+v", comments)
			}
			if n := len(h.github.Downloads()); n != 2 {
				t.Errorf("%d archive downloads, want one per side", n)
			}
			contents := 0
			for _, r := range h.github.Requests() {
				switch r.Operation {
				case "pulls/list-files":
					t.Errorf("the bot listed the pull request's files: %s", r.Path)
				case "repos/get-content":
					contents++
				}
			}
			// The configuration at the head (twice: once per run) and at the
			// merge base (for the plan), never an export.
			if contents != 3 {
				t.Errorf("%d contents requests, want 3 (the configuration)", contents)
			}
		})
	}
}

// waitCheckRun waits until the pull request's only check run is one ok
// accepts.
func (h *harness) waitCheckRun(ok func(githubtest.CheckRun) bool) githubtest.CheckRun {
	h.t.Helper()
	var runs []githubtest.CheckRun
	h.waitFor(func() bool { runs = h.repo.CheckRuns(); return len(runs) == 1 && ok(runs[0]) },
		func() string { return fmt.Sprintf("no such check run: %+v", runs) })
	return runs[0]
}

// waitJob waits until the delivery's job is in one of states.
func (h *harness) waitJob(id string, states ...rivertype.JobState) (store.Delivery, *rivertype.JobRow) {
	h.t.Helper()
	var d store.Delivery
	var job *rivertype.JobRow
	h.waitFor(func() bool {
		d = h.delivery(id)
		var err error
		if job, err = h.store.Job(context.Background(), d.JobID); err != nil {
			h.t.Fatal(err)
		}
		return slices.Contains(states, job.State)
	}, func() string { return fmt.Sprintf("the job of delivery %s is %s, not %v,", id, job.State, states) })
	return d, job
}
