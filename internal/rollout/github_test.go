package rollout_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/plan"
	"github.com/breakwater-dev/breakwater/internal/rollout"
	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
	"github.com/breakwater-dev/breakwater/internal/tray/traytest"
	"github.com/breakwater-dev/breakwater/internal/trayplan/trayplantest"
)

// gitHubRig is a repository on the strict fake GitHub whose v2.0.0
// release (trayplantest's pair: a re-created hidden auth slot, a new
// visible auth slot, a new hidden config slot) was deployed to production,
// the fake Tray serving that solution, and a replica whose engine reports
// to GitHub.
type gitHubRig struct {
	fake   *githubtest.Fake
	repo   *githubtest.Repository
	r      githubapi.Repo
	gh     *githubapi.Client
	tray   *traytest.Server
	rep    *replica
	dep    githubapi.Deployment
	want   map[string]expectation
	v1, v2 string // the commits tagged v1.0.0 and v2.0.0
}

const gitHubInstallation = 42

func newGitHubRig(t *testing.T, url string, latency time.Duration, concurrency int) *gitHubRig {
	t.Helper()
	return newGitHubRigConfig(t, url, latency, concurrency, "")
}

// newGitHubRigConfig is newGitHubRig whose configuration has more YAML.
func newGitHubRigConfig(t *testing.T, url string, latency time.Duration, concurrency int, more string) *gitHubRig {
	t.Helper()
	g := &gitHubRig{fake: githubtest.New(t), r: githubapi.Repo{Owner: "octo", Name: "crm"}}
	g.repo = g.fake.AddRepo("octo", "crm")
	base, head := trayplantest.Pair()
	cfg := []byte("tray:\n  solution-id: sol\n" + more)
	g.v1 = g.repo.Commit(nil, map[string][]byte{trayplantest.ExportPath: base, ".github/breakwater.yml": cfg})
	g.v2 = g.repo.Commit([]string{g.v1}, map[string][]byte{trayplantest.ExportPath: head, ".github/breakwater.yml": cfg})
	g.repo.Tag("v1.0.0", g.v1)
	g.repo.Tag("v2.0.0", g.v2)
	g.repo.SetPermission("maintainer", "write")
	g.repo.SetPermission("visitor", "read")
	policy := githubapi.DefaultRetryPolicy()
	policy.Sleep = func(context.Context, time.Duration) error { return nil }
	var err error
	if g.gh, err = githubapi.New(g.fake.URL, "ghs_installation", githubapi.WithRetryPolicy(policy)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if g.dep, _, err = g.gh.EnsureDeployment(ctx, g.r, githubapi.NewDeployment{Ref: "v2.0.0", Environment: "production", Production: true,
		Payload: githubapi.DeploymentPayload{Package: "crm", Version: "2.0.0", PreviousVersion: "1.0.0", BundleDigest: "sha256:abc"}}); err != nil {
		t.Fatal(err)
	}
	g.tray = traytest.New(t, traytest.Config{Unlimited: true, Latency: latency})
	ids := trayplantest.Seed(g.tray, "sol", 96, 5)
	g.want = expectations(g.tray, ids)
	opts := engineOptions()
	opts.Concurrency = concurrency
	opts.GitHub = rollout.GitHubOptions{EditInterval: 300 * time.Millisecond, ContentInterval: 50 * time.Millisecond,
		Client: func(context.Context, int64) (rollout.GitHub, error) { return g.gh, nil }}
	values := plan.Supplied{Config: map[string]string{"external_region": `"eu"`}, Auth: map[string]string{"external_mail": "owner-mail-auth"}}
	g.rep = startReplica(t, url, g.tray, replicaConfig{opts: opts, values: &values})
	return g
}

// deployed is the deployment_status event of the release path's success.
func (g *gitHubRig) deployed() *githubapi.DeploymentStatusEvent {
	return &githubapi.DeploymentStatusEvent{Repo: g.r, State: githubapi.DeploymentSuccess, Description: "deployed crm 2.0.0",
		Creator: githubapi.User{Login: "github-actions[bot]", Type: "Bot"}, At: time.Now(), Deployment: g.dep}
}

func (g *gitHubRig) start(t *testing.T) store.Rollout {
	t.Helper()
	ctx := context.Background()
	if err := g.rep.eng.OnDeploymentStatus(ctx, g.deployed(), rollout.Deployed{Installation: gitHubInstallation, Contents: g.gh, Pipeline: pipeline(t)}); err != nil {
		t.Fatal(err)
	}
	r, err := g.rep.st.FindRollout(ctx, "crm", "2.0.0", "production")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func pipeline(t *testing.T) *engine.Engine {
	t.Helper()
	e, err := engine.New()
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// waitFor polls cond until it holds.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", limit, what)
		}
	}
}

// TestDeploymentStartsRolloutWithGitHubSurfaces: the release path's
// successful deployment starts the rollout: the version is recorded with
// its change record, the instances are upgraded with the re-syncs the
// change record asks for, and GitHub shows it: one tracking issue rewritten
// in place, a check run on the release commit, a deployment status.
func TestDeploymentStartsRolloutWithGitHubSurfaces(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			g := newGitHubRig(t, b.URL(t), 0, 8)
			ctx := context.Background()
			r := g.start(t)
			waitDone(t, g.rep.eng, r.ID, 2*time.Minute)
			checkOutcome(t, g.tray, g.rep.st, r.ID, g.want)
			// The final report writes the issue, the check run, then the
			// deployment status: wait for the last of them (reading between
			// two of its writes once made this test index an empty list).
			waitFor(t, 30*time.Second, "the final report", func() bool {
				runs := g.repo.CheckRuns()
				deps := g.repo.Deployments()
				return len(runs) == 1 && runs[0].Status == "completed" && len(deps) == 1 && len(deps[0].Statuses) > 0 &&
					strings.HasPrefix(deps[0].Statuses[len(deps[0].Statuses)-1].Description, rollout.DescriptionPrefix)
			})
			v, err := g.rep.st.Version(ctx, "crm", "2.0.0")
			if err != nil || v.Previous != "1.0.0" || !v.Changes.Auth || v.SignatureDigest != "sha256:abc" || len(v.Deployments) != 1 {
				t.Fatalf("recorded version %+v, %v", v, err)
			}
			fs, diffed, err := rollout.FindingsOf(v.ChangeRecord)
			if err != nil || !diffed || !slices.ContainsFunc(fs, func(f plan.Finding) bool { return f.Slot != nil && f.Slot.Change == plan.SlotRecreated }) {
				t.Fatalf("change record findings %+v (diffed %v, %v)", fs, diffed, err)
			}
			// The re-created hidden auth slot was re-synced with each
			// instance's own authId.
			resynced := 0
			for _, c := range g.tray.Calls() {
				if c.Op != traytest.OpUpgrade {
					continue
				}
				in, _ := g.tray.Instance(c.InstanceID)
				for _, a := range c.AuthValues {
					if a.ExternalID == "external_mail" && a.AuthID != "owner-mail-auth" {
						resynced++
						if !slices.Contains(in.AuthValues, a) {
							t.Errorf("%s re-synced with %s, not its own", c.InstanceID, a.AuthID)
						}
					}
				}
			}
			if resynced == 0 {
				t.Fatal("no instance was re-synced")
			}
			issues := g.repo.Issues()
			if len(issues) != 1 || !slices.Contains(issues[0].Labels, rollout.IssueLabel) || rollout.IssueRollout(issues[0].Body) != r.ID ||
				!strings.Contains(issues[0].Body, "**Status**: done") || !strings.Contains(issues[0].Title, "crm 2.0.0 to production") {
				t.Fatalf("issues: %+v", issues)
			}
			run := g.repo.CheckRuns()[0]
			if run.HeadSHA != g.v2 || run.Conclusion != "success" || !strings.Contains(run.Summary, "none is left on an older version") {
				t.Fatalf("check run %+v", run)
			}
			deps := g.repo.Deployments()
			last := deps[0].Statuses[len(deps[0].Statuses)-1]
			if !strings.HasPrefix(last.Description, rollout.DescriptionPrefix) || last.State != "success" {
				t.Fatalf("deployment statuses %+v", deps[0].Statuses)
			}
			// The same delivery again, and the rollout's own status: nothing new.
			again := g.deployed()
			if err := g.rep.eng.OnDeploymentStatus(ctx, again, rollout.Deployed{Installation: gitHubInstallation, Contents: g.gh, Pipeline: pipeline(t)}); err != nil {
				t.Fatal(err)
			}
			own := g.deployed()
			own.Description = last.Description
			if err := g.rep.eng.OnDeploymentStatus(ctx, own, rollout.Deployed{Installation: gitHubInstallation, Contents: g.gh}); err != nil {
				t.Fatal(err)
			}
			if rs, _ := g.rep.st.Rollouts(ctx, ""); len(rs) != 1 || len(g.repo.Issues()) != 1 || len(g.repo.CheckRuns()) != 1 {
				t.Fatalf("a second delivery made %d rollouts, %d issues, %d check runs", len(rs), len(g.repo.Issues()), len(g.repo.CheckRuns()))
			}
			// Edits were throttled: far fewer than the reports asked for.
			if e := g.repo.Issues()[0].Edits; e > 30 {
				t.Fatalf("the tracking issue was edited %d times", e)
			}
		})
	}
}

// tick ticks a control's box in the tracking issue as a person would and
// sends the issues.edited event.
func (g *gitHubRig) tick(t *testing.T, issue int, c rollout.Control, who string) {
	t.Helper()
	var body string
	for _, is := range g.repo.Issues() {
		if is.Number == issue {
			body = is.Body
		}
	}
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		if strings.Contains(l, "<!-- breakwater-control:"+string(c)+" -->") {
			l = strings.Replace(l, "- [ ]", "- [x]", 1)
		}
		lines = append(lines, l)
	}
	body = strings.Join(lines, "\n")
	g.repo.SetIssueBody(issue, body)
	ev := &githubapi.IssuesEvent{Action: "edited", Repo: g.r, Issue: githubapi.Issue{Number: issue, Body: body},
		Sender: githubapi.User{Login: who, Type: "User"}}
	if err := g.rep.eng.OnIssueEdited(context.Background(), ev, gitHubInstallation); err != nil {
		t.Fatal(err)
	}
}

func (g *gitHubRig) issueBody(n int) string {
	for _, is := range g.repo.Issues() {
		if is.Number == n {
			return is.Body
		}
	}
	return ""
}

// TestIssueControls: ticking Pause pauses the rollout and the box is
// cleared; a reader's tick is refused politely and changes nothing;
// Resume lets it finish.
func TestIssueControls(t *testing.T) {
	g := newGitHubRig(t, storetest.SQLiteURL(t), 40*time.Millisecond, 1)
	ctx := context.Background()
	r := g.start(t)
	waitFor(t, 30*time.Second, "the tracking issue", func() bool { return len(g.repo.Issues()) == 1 })
	issue := g.repo.Issues()[0].Number
	g.tick(t, issue, rollout.ControlPause, "maintainer")
	if got, _ := g.rep.st.Rollout(ctx, r.ID); !got.Paused {
		t.Fatal("ticking Pause did not pause the rollout")
	}
	// The rewrite clearing the box waits for the installation's budget.
	waitFor(t, 10*time.Second, "the box to be cleared", func() bool { return len(rollout.CheckedControls(g.issueBody(issue))) == 0 })
	g.tick(t, issue, rollout.ControlResume, "visitor")
	if got, _ := g.rep.st.Rollout(ctx, r.ID); !got.Paused {
		t.Fatal("a reader resumed the rollout")
	}
	comments := g.repo.Comments(issue)
	if len(comments) != 2 || !strings.Contains(comments[0].Body, "Paused the rollout") || !strings.Contains(comments[1].Body, "only people with write access") {
		t.Fatalf("comments: %+v", comments)
	}
	waitFor(t, 10*time.Second, "the refused box to be cleared", func() bool { return len(rollout.CheckedControls(g.issueBody(issue))) == 0 })
	// Edits by the app itself (its own rewrites) are not controls.
	bot := &githubapi.IssuesEvent{Action: "edited", Repo: g.r, Issue: githubapi.Issue{Number: issue, Body: strings.ReplaceAll(g.issueBody(issue), "- [ ]", "- [x]")},
		Sender: githubapi.User{Login: "breakwater[bot]", Type: "Bot"}}
	if err := g.rep.eng.OnIssueEdited(ctx, bot, gitHubInstallation); err != nil {
		t.Fatal(err)
	}
	if got, _ := g.rep.st.Rollout(ctx, r.ID); !got.Paused {
		t.Fatal("a bot's edit acted")
	}
	g.tick(t, issue, rollout.ControlResume, "maintainer")
	waitDone(t, g.rep.eng, r.ID, 2*time.Minute)
	checkOutcome(t, g.tray, g.rep.st, r.ID, g.want)
}

// TestCommandsAndRollback: /breakwater rollout pause|resume|retry and
// /breakwater rollback, by the release path's rule: refused across the
// auth-breaking change of 2.0.0, or when the history cannot be checked;
// allowed from a later 2.0.1, through the release workflow.
func TestCommandsAndRollback(t *testing.T) {
	g := newGitHubRig(t, storetest.SQLiteURL(t), 40*time.Millisecond, 1)
	ctx := context.Background()
	r := g.start(t)
	waitFor(t, 30*time.Second, "the tracking issue", func() bool { return len(g.repo.Issues()) == 1 })
	issue := g.repo.Issues()[0].Number
	cmd := func(number int, name string, args ...string) string {
		t.Helper()
		reply, err := g.rep.eng.Command(ctx, g.gh, g.r, number, name, args)
		if err != nil {
			t.Fatal(err)
		}
		return reply
	}
	if reply := cmd(issue, "rollout", "pause"); !strings.Contains(reply, "Paused") {
		t.Fatalf("pause: %q", reply)
	}
	if got, _ := g.rep.st.Rollout(ctx, r.ID); !got.Paused {
		t.Fatal("not paused")
	}
	// From a pull request (not the tracking issue): the repository's rollout.
	if reply := cmd(7, "rollout", "resume", "2.0.0"); !strings.Contains(reply, "Resumed") {
		t.Fatalf("resume: %q", reply)
	}
	if reply := cmd(7, "rollout", "retry"); !strings.Contains(reply, "Retrying 0 failed") {
		t.Fatalf("retry: %q", reply)
	}
	if reply := cmd(7, "rollout", "frobnicate"); !strings.Contains(reply, "not `frobnicate`") {
		t.Fatalf("unknown: %q", reply)
	}
	// 2.0.0 re-created an auth slot: back to 1.0.0 is a person's decision.
	reply := cmd(issue, "rollback")
	if !strings.Contains(reply, "I did not roll back production to `1.0.0`") || !strings.Contains(reply, "auth-breaking") || !strings.Contains(reply, "allow-auth-break") {
		t.Fatalf("rollback across an auth break: %q", reply)
	}
	if reply := cmd(issue, "rollback", "0.9.0"); !strings.Contains(reply, "I did not roll back") || !strings.Contains(reply, "cannot be checked") {
		t.Fatalf("rollback to an unrecorded version: %q", reply)
	}
	if d := g.repo.Dispatches(); len(d) != 0 {
		t.Fatalf("refused rollbacks dispatched %+v", d)
	}
	// 2.0.1 changes nothing of auth: going back to 2.0.0 is allowed.
	rec, _ := json.Marshal(map[string]any{"findings": []any{}})
	if err := g.rep.st.RecordVersion(ctx, store.Version{Package: "crm", Version: "2.0.1", Previous: "2.0.0", ChangeRecord: rec}); err != nil {
		t.Fatal(err)
	}
	if err := g.rep.st.MarkDeployed(ctx, "crm", "2.0.1", "production", time.Now()); err != nil {
		t.Fatal(err)
	}
	// An app registered without actions: write: GitHub refuses the
	// dispatch; the reply says so once (no retried job), the rollout
	// stays paused.
	g.fake.Fail(githubtest.Fault{Operation: "actions/create-workflow-dispatch", Times: 1, Status: http.StatusForbidden,
		Body: `{"message":"Resource not accessible by integration"}`})
	reply = cmd(issue, "rollback", "v2.0.0")
	if !strings.Contains(reply, "could not start the `release.yml` workflow") || !strings.Contains(reply, "actions: write") {
		t.Fatalf("rollback the app may not dispatch: %q", reply)
	}
	if got, _ := g.rep.st.Rollout(ctx, r.ID); !got.Paused {
		t.Fatal("the rollout goes on after a rollback was asked for")
	}
	reply = cmd(issue, "rollback", "v2.0.0")
	if !strings.Contains(reply, "Rolling production back from `2.0.1` to `2.0.0`") {
		t.Fatalf("allowed rollback: %q", reply)
	}
	want := []githubtest.Dispatch{{Workflow: "release.yml", Ref: "v2.0.0", Inputs: map[string]any{"version": "2.0.0", "environment": "production"}, By: githubtest.GitHubActions.Login}}
	if d := g.repo.Dispatches(); len(d) != 1 || d[0].Workflow != want[0].Workflow || d[0].Ref != want[0].Ref || d[0].Inputs["version"] != "2.0.0" {
		t.Fatalf("dispatches %+v, want %+v", d, want)
	}
	if got, _ := g.rep.st.Rollout(ctx, r.ID); !got.Paused {
		t.Fatal("the rollout goes on while rolling back")
	}
}

func TestIssueBodyAndControls(t *testing.T) {
	p := rollout.Progress{
		Rollout: store.Rollout{ID: 7, Package: "crm", Version: "2.0.0", Environment: "production"},
		Counts: map[store.InstanceState]int{store.StateUpgraded: 40, store.StateNeedsUser: 5, store.StateLazy: 10, store.StateSkipped: 3,
			store.StateFailed: 2, store.StatePending: 0, store.StateInFlight: 0},
		Total: 60, Done: true,
		Failed: []store.Instance{{ID: "inst-|1", Owner: "@everyone", Message: "Config value <b>bad</b>\nsecond line"}, {ID: "inst-2", Owner: "u2", Message: "nope"}},
	}
	body := rollout.IssueBody(p, "1.0.0", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	for _, want := range []string{
		"<!-- breakwater-rollout:7 -->", "done, with failures (partial rollout)",
		"45 of 57 instances run 2.0.0 (5 needing their user's Config Wizard); 12 still run an older version: 2 failed, 10 upgrading by themselves.",
		"- [ ] Roll back to `1.0.0`", "| failed | 2 |",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the body lacks %q:\n%s", want, body)
		}
	}
	for _, bad := range []string{"<b>", "@everyone", "inst-|1"} {
		if strings.Contains(body, bad) {
			t.Errorf("the body carries %q unescaped", bad)
		}
	}
	if rollout.IssueRollout(body) != 7 || len(rollout.CheckedControls(body)) != 0 {
		t.Fatal("a fresh body names another rollout or has ticked boxes")
	}
	ticked := strings.Replace(strings.Replace(body, "- [ ] Resume", "- [x] Resume", 1), "- [ ] Pause", "- [X] Pause", 1)
	if got := rollout.CheckedControls(ticked); !slices.Equal(got, []rollout.Control{rollout.ControlPause, rollout.ControlResume}) {
		t.Fatalf("CheckedControls = %v", got)
	}
	if got := rollout.CheckedControls("- [x] Pause <!-- breakwater-control:explode -->"); len(got) != 0 {
		t.Fatalf("an unknown control counts: %v", got)
	}
}
