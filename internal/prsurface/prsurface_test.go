package prsurface_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
)

// breakingReport is a report with one unaccepted breaking change.
func breakingReport() *change.Report {
	return &change.Report{
		Summary: change.Summary{Breaking: 1, RequiredBump: change.BumpMajor, DeclaredBump: change.BumpMinor, FailOn: "breaking",
			Severities: map[change.Severity]int{change.Breaking: 1}},
		Changes: []change.Finding{{
			Rule: "tray/auth-scopes-added", Severity: change.Breaking, Category: change.CatAuth, Upgrade: change.Upgrade("user-input"),
			Location: change.Location{File: "exports/solution.json", Pointer: "/auth/scopes/1", Line: 3, Column: 7},
			Side:     change.Head, Message: "Auth slot asks for a new scope.", Fingerprint: "0123456789abcdef",
		}},
	}
}

// TestPublishAsAKnownApp is how the bot publishes: it knows its app, so it
// asks GitHub nothing about itself, and what it writes is the same as the
// Action's — labels, one comment it edits in place, one check run per head
// commit — while another identity's sticky comment stays untouched.
func TestPublishAsAKnownApp(t *testing.T) {
	fake := githubtest.New(t)
	repo := fake.AddRepo("octo", "exports")
	sha := repo.Commit(nil, map[string][]byte{"exports/solution.json": []byte("{}")})
	repo.OpenPullRequest(githubtest.PullRequest{Number: 3, HeadSHA: sha, BaseSHA: sha})
	bot := githubtest.AppIdentity("breakwater", 77, 9077)
	fake.SetIdentity("ghs_installation", bot)
	actions := repo.AddCommentAs(3, githubtest.GitHubActions, prsurface.Marker+"\nfrom the workflow\n")
	gh, err := githubapi.New(fake.URL, "ghs_installation")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pr := prsurface.PullRequest{Repo: githubapi.Repo{Owner: "octo", Name: "exports"}, Number: 3, HeadSHA: sha}
	content := prsurface.Content{
		Report: breakingReport(), Touched: true, Labels: config.Default().Labels, ConfigPath: config.DefaultPath,
		ReportURL: "https://breakwater.example/octo/exports/pull/3",
	}
	content.Annotations = prsurface.Annotations(content.Report, prsurface.Sources{})
	opts := prsurface.Options{Comment: true, CheckRun: true, Now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC),
		Identity: prsurface.AppIdentity(githubapi.App{ID: 77, Slug: "breakwater"}, "the app's registration")}

	res, err := prsurface.Publish(ctx, gh, pr, content, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(res.Labels, []string{"breaking-change", "breaking:auth", "semver:major"}) || !cmp.Equal(repo.PullLabels(3), res.Labels) {
		t.Errorf("labels = %q, on the PR %q", res.Labels, repo.PullLabels(3))
	}
	runs := repo.CheckRuns()
	if len(runs) != 1 || runs[0].App.ID != 77 || runs[0].Conclusion != "failure" || len(runs[0].Annotations) != 1 || runs[0].ID != res.CheckRunID {
		t.Errorf("check runs = %+v", runs)
	}
	for _, r := range fake.Requests() {
		if r.Operation == "users/get-authenticated" {
			t.Error("a caller that knows its app was asked about by GET /user")
		}
	}

	pr.Labels = repo.PullLabels(3)
	again, err := prsurface.Publish(ctx, gh, pr, content, opts)
	if err != nil {
		t.Fatal(err)
	}
	var own []githubtest.Comment
	for _, c := range repo.Comments(3) {
		switch {
		case c.ID == actions:
			if c.EditCount != 0 {
				t.Errorf("the workflow's comment was edited: %+v", c)
			}
		case c.Author.Login == "breakwater[bot]":
			own = append(own, c)
		}
	}
	if len(own) != 1 || own[0].ID != res.CommentID || again.CommentID != res.CommentID || own[0].EditCount != 0 ||
		!strings.HasPrefix(own[0].Body, prsurface.Marker) {
		t.Errorf("own comments = %+v, results %d and %d", own, res.CommentID, again.CommentID)
	}
	if runs := repo.CheckRuns(); len(runs) != 1 || runs[0].Requests != 2 || len(runs[0].Annotations) != 1 {
		t.Errorf("check runs after the second publish = %+v", runs)
	}
}

// TestRemovalsAreMarkedOnTheHead: a removal's location is in the base file;
// it is marked on the nearest value that still exists in the head, with a
// link to the base line.
func TestRemovalsAreMarkedOnTheHead(t *testing.T) {
	rep := &change.Report{Changes: []change.Finding{{
		Rule: "tray/config-slot-removed", Severity: change.Breaking, Side: change.Base, Message: "Slot removed.",
		Location: change.Location{File: "dir/a b.json", Pointer: "/slots/1", Line: 40, Column: 5},
		// The pipeline anchors a removal on the nearest value the head still has.
		HeadAnchor: &change.Location{File: "dir/a b.json", Pointer: "/slots", Line: 2, Column: 12},
	}, {
		Rule: "tray/info", Severity: change.Info, Location: change.Location{File: "dir/a b.json", Line: 2},
	}}}
	got := prsurface.Annotations(rep, prsurface.Sources{
		BaseURL: prsurface.BlobURL("https://github.example/", githubapi.Repo{Owner: "o", Name: "r"}, "abc123"),
	})
	want := []prsurface.Annotation{{
		Level: prsurface.LevelFailure, Title: "tray/config-slot-removed", Path: "dir/a b.json", Line: 2, Column: 12,
		Message: "Slot removed. (removed from https://github.example/o/r/blob/abc123/dir/a%20b.json#L40)",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
}

// TestCommentBody: "resolved" comes from the state of the comment this
// identity wrote before.
func TestCommentBody(t *testing.T) {
	clean := prsurface.Content{Report: &change.Report{Summary: change.Summary{OK: true}}, Touched: true, Labels: config.Default().Labels}
	breaking := clean
	breaking.Report = breakingReport()
	was := &githubapi.Comment{Body: prsurface.CommentBody(breaking, nil)}
	for _, tc := range []struct {
		name string
		c    prsurface.Content
		prev *githubapi.Comment
		has  []string
		not  []string
	}{
		{"breaking", breaking, nil, []string{"To accept this breaking change", "`breaking-change-accepted`", "0123456789abcdef"}, []string{"Resolved"}},
		{"clean, never breaking", clean, nil, nil, []string{"Resolved"}},
		{"clean after breaking", clean, was, []string{"Resolved:** the breaking changes reported earlier are gone"}, nil},
		{"no export any more", prsurface.Content{}, was, []string{"no longer changes any export file"}, nil},
	} {
		body := prsurface.CommentBody(tc.c, tc.prev)
		if !strings.HasPrefix(body, prsurface.Marker) {
			t.Errorf("%s: the marker does not open the body", tc.name)
		}
		for _, s := range tc.has {
			if !strings.Contains(body, s) {
				t.Errorf("%s: the body lacks %q:\n%s", tc.name, s, body)
			}
		}
		for _, s := range tc.not {
			if strings.Contains(body, s) {
				t.Errorf("%s: the body has %q:\n%s", tc.name, s, body)
			}
		}
	}
}

// Requests bounds what Publish sends, closely enough to budget with: a
// first run, one with many annotations, one that removes labels, one by a
// token of unknown identity.
func TestRequestsBoundPublish(t *testing.T) {
	for name, tc := range map[string]struct {
		findings int
		labels   []string
		app      bool
		failure  bool
	}{
		"first run":        {findings: 1, app: true},
		"many annotations": {findings: 240, app: true},
		"labels to remove": {findings: 1, labels: []string{"breaking:workflow", "semver:patch", "bug"}, app: true},
		"unknown identity": {findings: 3},
		"a failure":        {findings: 1, labels: []string{"breaking:workflow"}, app: true, failure: true},
	} {
		t.Run(name, func(t *testing.T) {
			fake := githubtest.New(t)
			repo := fake.AddRepo("octo", "exports")
			sha := repo.Commit(nil, map[string][]byte{"exports/solution.json": []byte("{}")})
			repo.OpenPullRequest(githubtest.PullRequest{Number: 3, HeadSHA: sha, BaseSHA: sha, Labels: tc.labels})
			gh, err := githubapi.New(fake.URL, "ghs_token")
			if err != nil {
				t.Fatal(err)
			}
			rep := breakingReport()
			for i := 1; i < tc.findings; i++ {
				f := rep.Changes[0]
				f.Line, f.Fingerprint = 3+i, fmt.Sprintf("%016x", i)
				rep.Changes = append(rep.Changes, f)
			}
			content := prsurface.Content{Report: rep, Touched: true, Labels: config.Default().Labels, ConfigPath: config.DefaultPath}
			content.Annotations = prsurface.Annotations(rep, prsurface.Sources{})
			if tc.failure {
				content = prsurface.Content{Failure: "the rate limit is short", ReportURL: "https://example.com/checks"}
			}
			opts := prsurface.Options{Comment: true, CheckRun: true, Now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
			if tc.app {
				opts.Identity = prsurface.AppIdentity(githubapi.App{ID: 15368, Slug: "github-actions"}, "a test")
			}
			pr := prsurface.PullRequest{Repo: githubapi.Repo{Owner: "octo", Name: "exports"}, Number: 3, HeadSHA: sha, Labels: tc.labels}
			bound := prsurface.Requests(pr, content, opts)
			if _, err := prsurface.Publish(context.Background(), gh, pr, content, opts); err != nil {
				t.Fatal(err)
			}
			sent := len(fake.Requests())
			if sent > bound || bound > sent+4 {
				t.Errorf("Publish sent %d requests; Requests said %d", sent, bound)
			}
		})
	}
}
