package bot_test

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
	"github.com/breakwater-dev/breakwater/internal/trayplan/trayplantest"
)

const (
	prNumber   = 42
	headBranch = "feature/crm"
	solutionID = "sol-crm"
	configText = "# Breakwater settings for the CRM integration.\ntray:\n  solution-id: " + solutionID + "   # the published solution\n\n# Who accepted what.\naccepted:\n  - fingerprint: 00000000000000aa  # an old break\n    by: someone\n    reason: long ago\n"
)

// pr sets up the repository: a base with the export and the
// configuration, a base branch that moved on, and a pull request whose
// head changes the export (trayplantest.Pair). fork makes it come from
// another repository.
func (h *harness) pr(fork bool) (head string) {
	base, headExport := trayplantest.Pair()
	files := map[string][]byte{trayplantest.ExportPath: base, ".github/breakwater.yml": []byte(configText)}
	root := h.repo.Commit(nil, files)
	tip := h.repo.Commit([]string{root}, with(files, "docs/notes.md", []byte("unrelated\n")))
	head = h.repo.Commit([]string{root}, with(files, trayplantest.ExportPath, headExport))
	p := githubtest.PullRequest{Number: prNumber, Title: "CRM: chat and region", HeadSHA: head, HeadRef: headBranch, BaseSHA: tip, BaseRef: "main"}
	if fork {
		p.HeadRepo = "contributor/" + name
	}
	h.repo.OpenPullRequest(p)
	h.repo.SetPermission("maintainer", "write")
	return head
}

func with(files map[string][]byte, path string, data []byte) map[string][]byte {
	out := make(map[string][]byte, len(files)+1)
	for k, v := range files {
		out[k] = v
	}
	out[path] = data
	return out
}

// prEvent is the real pull_request example for action, pointed at the
// test pull request.
func (h *harness) prEvent(action string, head string, fork bool) []byte {
	ev := toRepo(example(h.t, "pull_request", action))
	ev["number"] = prNumber
	pr := obj(ev, "pull_request")
	pr["number"] = prNumber
	obj(pr, "head")["sha"], obj(pr, "head")["ref"] = head, headBranch
	headRepo := obj(obj(pr, "head"), "repo")
	headRepo["full_name"] = owner + "/" + name
	if fork {
		headRepo["full_name"] = "contributor/" + name
	}
	obj(obj(pr, "base"), "repo")["full_name"] = owner + "/" + name
	obj(ev, "sender")["login"] = "maintainer"
	return encode(h.t, ev)
}

// expectedPlan is the oracle's prediction for the fake's enabled
// instances: counts per action and, per action, instances per owner.
func expectedPlan(s *traytest.Server, ids []string) (map[plan.Action]int, map[plan.Action]map[string]int) {
	counts := map[plan.Action]int{}
	owners := map[plan.Action]map[string]int{}
	for _, id := range ids {
		in, _ := s.Instance(id)
		if !in.Enabled {
			continue
		}
		a := trayplantest.Predicted(in)
		counts[a]++
		if owners[a] == nil {
			owners[a] = map[string]int{}
		}
		owners[a][in.Owner]++
	}
	return counts, owners
}

var (
	countRow  = regexp.MustCompile("(?m)^\\| `([a-z-]+)` \\| (\\d+) \\|")
	ownerLine = regexp.MustCompile("^- `([^`]+)`: (\\d+) instances?$")
)

// planInComment reads the counts and the owners back from the comment.
func planInComment(t *testing.T, body string) (map[plan.Action]int, map[plan.Action]map[string]int) {
	t.Helper()
	counts := map[plan.Action]int{}
	for _, m := range countRow.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.Atoi(m[2])
		counts[plan.Action(m[1])] = n
	}
	owners := map[plan.Action]map[string]int{}
	var cur plan.Action
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "<details><summary>Owners of") {
			i := strings.Index(line, "<code>")
			cur = plan.Action(line[i+6 : strings.Index(line, "</code>")])
			owners[cur] = map[string]int{}
			continue
		}
		if line == "</details>" {
			cur = ""
		}
		if m := ownerLine.FindStringSubmatch(line); m != nil && cur != "" {
			n, _ := strconv.Atoi(m[2])
			owners[cur][m[1]] = n
		}
	}
	return counts, owners
}

// TestPullRequestCheckWithPlan: a pull_request delivery gets the same
// labels, sticky comment and check run as the Action would publish, from
// the app's installation token — on a pull request from a fork too — and
// the comment holds the upgrade plan of 2,500 paginated Tray instances,
// every count and owner as the oracle predicts. A redelivery has no second
// effect.
func TestPullRequestCheckWithPlan(t *testing.T) {
	for _, b := range storetest.Backends {
		for _, fork := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/fork=%v", b.Name, fork), func(t *testing.T) {
				h := newHarness(t, b.URL(t), harnessOptions{})
				ids := trayplantest.Seed(h.tray, solutionID, 2500, 70)
				head := h.pr(fork)
				id := newID()
				payload := h.prEvent("opened", head, fork)
				h.deliver("pull_request", id, payload)
				h.processed(id)

				if got := h.repo.PullLabels(prNumber); !slices.Contains(got, "breaking-change") || !slices.Contains(got, "breaking:auth") || !slices.Contains(got, "semver:major") {
					t.Errorf("labels = %v", got)
				}
				var sticky []githubtest.Comment
				for _, c := range h.repo.Comments(prNumber) {
					if strings.HasPrefix(c.Body, prsurface.Marker) {
						sticky = append(sticky, c)
					}
				}
				if len(sticky) != 1 || sticky[0].Author.Login != appSlug+"[bot]" {
					t.Fatalf("sticky comments: %+v", sticky)
				}
				body := sticky[0].Body
				for _, want := range []string{"tray/auth-slot-added", "tray/config-slot-added-required", "### Upgrade plan for Tray solution `" + solutionID + "`", "Prediction from the changes"} {
					if !strings.Contains(body, want) {
						t.Errorf("the comment lacks %q", want)
					}
				}
				wantCounts, wantOwners := expectedPlan(h.tray, ids)
				gotCounts, gotOwners := planInComment(t, body)
				t.Logf("plan in the comment: %v (%d bytes)", gotCounts, len(body))
				for _, a := range plan.Actions {
					if gotCounts[a] != wantCounts[a] {
						t.Errorf("comment: %d instances need %s, the oracle says %d", gotCounts[a], a, wantCounts[a])
					}
				}
				for a, want := range wantOwners {
					if a == plan.Nothing {
						continue
					}
					for owner, n := range want {
						if gotOwners[a][owner] != n {
							t.Errorf("comment: owner %s has %d instances needing %s, the oracle says %d", owner, gotOwners[a][owner], a, n)
						}
					}
					if len(gotOwners[a]) != len(want) {
						t.Errorf("comment: %d owners for %s, the oracle says %d", len(gotOwners[a]), a, len(want))
					}
				}
				runs := h.repo.CheckRuns()
				if len(runs) != 1 || runs[0].App.ID != appID || runs[0].HeadSHA != head || runs[0].Conclusion != "failure" {
					t.Errorf("check runs = %+v", runs)
				}
				if n := h.tray.CallCount("upgradeSolutionInstance"); n != 0 {
					t.Errorf("the plan upgraded %d instances", n)
				}

				// The same delivery again: acknowledged, no second effect.
				before := len(h.github.Requests())
				if got := h.post("pull_request", id, payload, sign(payload)); got != 200 {
					t.Errorf("redelivery: HTTP %d", got)
				}
				time.Sleep(500 * time.Millisecond)
				if after := len(h.github.Requests()); after != before {
					t.Errorf("a redelivery made %d more GitHub requests", after-before)
				}
			})
		}
	}
}
