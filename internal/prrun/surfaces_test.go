package prrun_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/actions"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/prrun"
	"github.com/breakwater-dev/breakwater/internal/prrun/prruntest"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
)

// Identities the tests give tokens.
var (
	appBot   = githubtest.AppIdentity("breakwater-app", 4242, 90004242)
	impostor = githubtest.AppIdentity("impostor", 666, 90000666)
	patUser  = githubtest.UserIdentity("release-bot", 7007)
)

// forged are marker comments that others wrote: a person pasting the marker
// and the state that says breaking changes were reported, and another app.
func forge(s *prruntest.Scenario) []int64 {
	body := prsurface.Marker + "\n### Breakwater\n\n3 breaking changes\n<!-- breakwater:state=breaking -->\n"
	return []int64{
		s.Repo.AddComment(prruntest.Number, "mallory", body),
		s.Repo.AddCommentAs(prruntest.Number, impostor, body),
	}
}

// untouched fails the test unless every comment in ids is there, unedited,
// and none was deleted.
func untouched(t *testing.T, s *prruntest.Scenario, ids []int64) {
	t.Helper()
	have := map[int64]githubtest.Comment{}
	for _, c := range s.Repo.Comments(prruntest.Number) {
		have[c.ID] = c
	}
	for _, id := range ids {
		c, ok := have[id]
		if !ok || c.EditCount != 0 {
			t.Errorf("foreign comment %d was deleted or edited: %+v", id, c)
		}
	}
}

// ownSticky are the sticky comments by login.
func ownSticky(s *prruntest.Scenario, login string) []githubtest.Comment {
	var out []githubtest.Comment
	for _, c := range stickyComments(s) {
		if c.Author.Login == login {
			out = append(out, c)
		}
	}
	return out
}

// harmless is the sample's base with one non-breaking change.
func harmless(t *testing.T, base map[string][]byte) map[string][]byte {
	return prruntest.With(base, map[string][]byte{exportFile: mutate(t, base[exportFile], func(e map[string]any) {
		for _, c := range configSlots(e) {
			if c := c.(map[string]any); c["key"] == "uploadLimiter" {
				c["default_value"] = 25
			}
		}
	})})
}

// TestForeignMarkerCommentsAreNeverTrusted: comments that carry the marker
// but were written by someone else — a person, another app — are never
// edited or deleted, and their "breaking changes were reported" state does
// not make a clean run say "resolved".
func TestForeignMarkerCommentsAreNeverTrusted(t *testing.T) {
	base, _ := prruntest.SamplePair(t)
	s := prruntest.New(t, base, harmless(t, base))
	forged := forge(s)
	mustRun(t, s)
	untouched(t, s, forged)
	own := ownSticky(s, githubtest.GitHubActions.Login)
	if len(own) != 1 {
		t.Fatalf("%d comments by the workflow's token, want 1 of its own", len(own))
	}
	if strings.Contains(own[0].Body, "Resolved") {
		t.Errorf("a forged state made the run say resolved:\n%s", own[0].Body)
	}
	// And the second run edits its own comment, not a forged one.
	s.Event("synchronize")
	mustRun(t, s)
	untouched(t, s, forged)
	if d := s.Repo.Deleted(); len(d) != 0 {
		t.Errorf("deleted %+v", d)
	}
}

// TestIdentityOfEachKindOfToken: the run learns who its token is from GET
// /user (a personal access token) or from the check run it publishes (an
// app's installation token, the workflow's GITHUB_TOKEN among them), and
// edits only the comments that identity wrote.
func TestIdentityOfEachKindOfToken(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	for _, tc := range []struct {
		name     string
		identity *githubtest.Identity // nil: the workflow's GITHUB_TOKEN
		checkRun bool                 // whether a check run is published
	}{
		{"GITHUB_TOKEN", nil, true},
		{"GitHub App installation token", &appBot, true},
		{"personal access token", &patUser, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := prruntest.New(t, base, head)
			self := githubtest.GitHubActions
			if tc.identity != nil {
				self = *tc.identity
				s.Fake.SetIdentity(prruntest.Token, self)
			}
			// The other identities' sticky comments on the same PR.
			var foreign []int64
			for _, other := range []githubtest.Identity{githubtest.GitHubActions, appBot, patUser, impostor} {
				if other.Login != self.Login {
					foreign = append(foreign, s.Repo.AddCommentAs(prruntest.Number, other, prsurface.Marker+"\nby "+other.Login+"\n<!-- breakwater:state=breaking -->\n"))
				}
			}
			o := mustRun(t, s)
			own := ownSticky(s, self.Login)
			if len(own) != 1 || !strings.Contains(own[0].Body, "3 breaking changes") {
				t.Fatalf("own comments = %+v", own)
			}
			runs := s.Repo.CheckRuns()
			if tc.checkRun {
				if len(runs) != 1 || runs[0].App.Slug != self.App.Slug {
					t.Errorf("check runs = %+v, want one by %s", runs, self.App.Slug)
				}
			} else {
				// GitHub lets only apps create check runs: the findings go
				// out as workflow commands, with one warning saying why.
				if len(runs) != 0 {
					t.Errorf("check runs = %+v", runs)
				}
				if !strings.Contains(o.stdout, "::warning::Breakwater published no check run: only GitHub Apps may create check runs, and the token acts as the user release-bot") ||
					!strings.Contains(o.stdout, "::error title=tray/auth-scopes-added,file="+exportFile) {
					t.Errorf("no warning and workflow-command annotations:\n%s", o.stdout)
				}
			}
			// The next push edits the same comment.
			s.Push(prruntest.With(head, map[string][]byte{exportFile: mutate(t, head[exportFile], func(e map[string]any) {
				e["solution"].(map[string]any)["config_slots"] = append(configSlots(e), requiredSlot("region", "Region"))
			})}))
			s.Event("synchronize")
			mustRun(t, s)
			if again := ownSticky(s, self.Login); len(again) != 1 || again[0].ID != own[0].ID || !strings.Contains(again[0].Body, "4 breaking changes") {
				t.Errorf("after a push: %+v, want comment %d edited", again, own[0].ID)
			}
			untouched(t, s, foreign)
		})
	}
}

// TestUnknownIdentityFailsClosed: an app's token that publishes no check
// run cannot tell its comments from forged ones. It edits none: it writes a
// new one, learns its identity from it, and converges on its oldest comment.
func TestUnknownIdentityFailsClosed(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.Fake.SetIdentity(prruntest.Token, appBot)
	s.Env["INPUT_CHECK-RUN"] = "false"
	forged := forge(s)
	mustRun(t, s)
	first := ownSticky(s, appBot.Login)
	if len(first) != 1 {
		t.Fatalf("own comments after the first run: %+v", first)
	}

	// A harmless push: the run again cannot tell which comment is its own.
	s.Push(harmless(t, base))
	s.Event("synchronize")
	o := mustRun(t, s)
	if !strings.Contains(o.stdout, "::notice::Breakwater learned that its token acts as breakwater-app[bot] only by writing a comment") {
		t.Errorf("no notice naming the identity to set:\n%s", o.stdout)
	}
	own := ownSticky(s, appBot.Login)
	if len(own) != 1 || own[0].ID != first[0].ID {
		t.Fatalf("own comments = %+v, want only the first one", own)
	}
	// Its own earlier state is trusted once the identity is known.
	if !strings.Contains(own[0].Body, "Resolved") || own[0].EditCount != 1 {
		t.Errorf("the kept comment (%d edits) says:\n%s", own[0].EditCount, own[0].Body)
	}
	d := s.Repo.Deleted()
	if len(d) != 1 || d[0].Comment.Author.Login != appBot.Login || d[0].By != appBot.Login {
		t.Errorf("deletions = %+v, want the run's own extra copy", d)
	}
	untouched(t, s, forged)

	// A PR that no longer touches exports: nothing to write, and no
	// comment it cannot prove its own is touched; it says so.
	s.Push(base)
	s.Event("synchronize")
	o = mustRun(t, s)
	if c := ownSticky(s, appBot.Login); len(c) != 1 || c[0].EditCount != 1 {
		t.Errorf("comment = %+v, want it left alone", c)
	}
	if !strings.Contains(o.stdout, "::notice::Breakwater cannot tell which comments its token wrote") {
		t.Errorf("no notice:\n%s", o.stdout)
	}

	// Told who it is, the run edits its comment in place.
	s.Env["INPUT_IDENTITY"] = appBot.Login
	s.Push(head)
	s.Event("synchronize")
	s.Fake.ResetRequests()
	mustRun(t, s)
	for _, r := range writes(s) {
		if r.Operation == "issues/create-comment" || r.Operation == "issues/delete-comment" {
			t.Errorf("told its identity, the run still wrote %s", r.Operation)
		}
	}
	if c := ownSticky(s, appBot.Login); len(c) != 1 || !strings.Contains(c[0].Body, "3 breaking changes") {
		t.Errorf("comment = %+v", c)
	}
	untouched(t, s, forged)
}

// TestIdentityInputThatContradictsTheToken: an identity input that names
// another account than the token's is an error before any comment is
// touched, since acting on it could edit that account's comments.
func TestIdentityInputThatContradictsTheToken(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	for _, tc := range []struct {
		name, input string
		identity    githubtest.Identity
		want        string
	}{
		{"app token", "impostor[bot]", githubtest.GitHubActions,
			"the token acts as github-actions[bot] (learned from the check run it published), not as impostor[bot] (from the identity input)"},
		{"personal token", "mallory", patUser,
			"the token acts as release-bot (learned from GET /user), not as mallory (from the identity input)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := prruntest.New(t, base, head)
			s.Fake.SetIdentity(prruntest.Token, tc.identity)
			forged := forge(s)
			s.Repo.AddCommentAs(prruntest.Number, impostor, prsurface.Marker+"\nanother\n")
			s.Env["INPUT_IDENTITY"] = tc.input
			o := run(t, s)
			if o.err == nil || !strings.Contains(o.err.Error(), tc.want) {
				t.Fatalf("error = %v, want %q", o.err, tc.want)
			}
			for _, r := range writes(s) {
				if strings.HasPrefix(r.Operation, "issues/") && strings.Contains(r.Operation, "comment") {
					t.Errorf("wrote %s", r.Operation)
				}
			}
			untouched(t, s, forged)
		})
	}
	s := prruntest.New(t, base, head)
	s.Env["INPUT_IDENTITY"] = "not a login"
	if o := run(t, s); o.err == nil || !strings.Contains(o.err.Error(), "input identity") {
		t.Errorf("error = %v", o.err)
	}
}

// TestCheckRunIsUpdatedNotMultiplied: one check run per head commit and
// name. Runs on the same commit update it, without repeating its
// annotations; another app's check run of the same name, and a workflow
// job's check run named like it, are left alone.
func TestCheckRunIsUpdatedNotMultiplied(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	head = prruntest.With(head, map[string][]byte{"package.json": []byte(`{"name":"@bynder/dropbox-solution","version":"2.0.0"}`)})
	s := prruntest.New(t, base, head)
	// The Breakwater app's own check run, and a job named Breakwater.
	botRun := s.Repo.CreateCheckRun(*appBot.App, githubtest.CheckRun{Name: prsurface.CheckRunName, HeadSHA: s.Head, ExternalID: "breakwater", Conclusion: "success", Requests: 1})
	jobRun := s.Repo.CreateCheckRun(*githubtest.GitHubActions.App, githubtest.CheckRun{Name: prsurface.CheckRunName, HeadSHA: s.Head, Conclusion: "success", Requests: 1})

	mine := func() githubtest.CheckRun {
		t.Helper()
		var out []githubtest.CheckRun
		for _, cr := range s.Repo.CheckRuns() {
			switch cr.ID {
			case botRun, jobRun:
				if cr.Requests != 1 || cr.Conclusion != "success" {
					t.Errorf("another check run was changed: %+v", cr)
				}
			default:
				out = append(out, cr)
			}
		}
		if len(out) != 1 {
			t.Fatalf("%d check runs of the action, want 1: %+v", len(out), out)
		}
		return out[0]
	}
	mustRun(t, s)
	first := mine()
	if first.Conclusion != "failure" || len(first.Annotations) != 3 {
		t.Fatalf("first check run = %+v", first)
	}

	// A re-run on the same commit: the same check run, no annotation twice.
	s.Event("labeled", prruntest.EventOptions{Label: "documentation"})
	mustRun(t, s)
	if cr := mine(); cr.ID != first.ID || cr.Requests != 2 || len(cr.Annotations) != 3 {
		t.Errorf("after a re-run: %d requests, %d annotations", cr.Requests, len(cr.Annotations))
	}

	// Accepted on the same commit: the check passes; the accepted breaks
	// are added as notices, and the summary says why the failures stay.
	s.SetLabels("breaking-change", "breaking:auth", "breaking:config", "semver:major", "breaking-change-accepted")
	s.Event("labeled", prruntest.EventOptions{Label: "breaking-change-accepted", Sender: "lead"})
	mustRun(t, s)
	cr := mine()
	notices := 0
	for _, a := range cr.Annotations {
		if a.AnnotationLevel == "notice" {
			notices++
		}
	}
	if cr.ID != first.ID || cr.Conclusion != "success" || notices != 3 || len(cr.Annotations) != 6 || !strings.Contains(cr.Summary, "GitHub cannot remove a check run's annotations") {
		t.Errorf("after acceptance: %s, %d annotations (%d notices), summary:\n%s", cr.Conclusion, len(cr.Annotations), notices, cr.Summary)
	}

	// A new commit gets its own check run.
	s.Push(prruntest.With(head, map[string][]byte{"README.md": []byte("x\n")}))
	s.Event("synchronize")
	mustRun(t, s)
	if n := len(s.Repo.CheckRuns()); n != 4 {
		t.Errorf("%d check runs after a push, want 4", n)
	}
}

// runs starts the action n times at once on the scenario's pull request,
// each with its own runner files, as concurrent workflow runs would.
func runTogether(t *testing.T, s *prruntest.Scenario, n int) []error {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		env := map[string]string{}
		for k, v := range s.Env {
			env[k] = v
		}
		dir := t.TempDir()
		env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"], env["GITHUB_WORKSPACE"] = filepath.Join(dir, "output"), filepath.Join(dir, "summary"), dir
		for _, p := range []string{env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"]} {
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out bytes.Buffer
			_, errs[i] = prrun.Run(context.Background(), prrun.Env{
				Runner: actions.New(func(k string) string { return env[k] }, &out),
				Engine: testEngine(t),
				NewGitHub: func(apiURL, token string) (prrun.GitHub, error) {
					return githubapi.New(apiURL, token)
				},
				Now: func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) },
			})
		}()
	}
	wg.Wait()
	return errs
}

// TestConcurrentRunsConvergeOnOneComment: four runs started together on
// one pull request, each of which lists the comments before any creates
// one, then one more: exactly one sticky comment remains, and the foreign
// marker comments are untouched.
func TestConcurrentRunsConvergeOnOneComment(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	forged := forge(s)
	const n = 4
	s.Fake.Rendezvous("issues/create-comment", n)
	for i, err := range runTogether(t, s, n) {
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	created := 0
	for _, r := range s.Fake.Requests() {
		if r.Operation == "issues/create-comment" {
			created++
		}
	}
	if created != n {
		t.Fatalf("%d comments created, want %d: the runs did not overlap", created, n)
	}
	own := ownSticky(s, githubtest.GitHubActions.Login)
	if len(own) != 1 {
		t.Fatalf("%d sticky comments after %d concurrent runs, want 1", len(own), n)
	}
	for _, d := range s.Repo.Deleted() {
		if d.Comment.Author.Login != githubtest.GitHubActions.Login || d.Comment.ID < own[0].ID {
			t.Errorf("deleted %+v, keeping %d", d.Comment, own[0].ID)
		}
	}
	untouched(t, s, forged)

	// One more run: it finds the one comment and leaves it alone.
	s.Fake.ResetRequests()
	mustRun(t, s)
	for _, r := range writes(s) {
		if strings.Contains(r.Operation, "comment") {
			t.Errorf("the next run wrote %s", r.Operation)
		}
	}
	if after := ownSticky(s, githubtest.GitHubActions.Login); len(after) != 1 || after[0].ID != own[0].ID {
		t.Errorf("after one more run: %+v", after)
	}
	untouched(t, s, forged)
	if got := s.Repo.PullLabels(prruntest.Number); fmt.Sprint(got) != "[breaking-change breaking:auth breaking:config semver:major]" {
		t.Errorf("labels = %q", got)
	}
}
