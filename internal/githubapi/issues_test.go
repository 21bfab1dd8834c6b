package githubapi_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
)

func TestIssuesCheckRunsAndDispatch(t *testing.T) {
	fx := newReleaseFixture(t)
	ctx := context.Background()
	is, err := fx.client.CreateIssue(ctx, fx.r, "Rollout of crm-sync 2.0.0", "body one", []string{"breakwater-rollout"})
	if err != nil || is.Number == 0 || is.State != "open" {
		t.Fatalf("CreateIssue: %+v, %v", is, err)
	}
	if _, err := fx.client.CreateIssue(ctx, fx.r, "Unrelated", "x", nil); err != nil {
		t.Fatal(err)
	}
	if err := fx.client.UpdateIssueBody(ctx, fx.r, is.Number, "body two"); err != nil {
		t.Fatal(err)
	}
	got, err := fx.client.Issue(ctx, fx.r, is.Number)
	if err != nil || got.Body != "body two" || got.Title != "Rollout of crm-sync 2.0.0" {
		t.Fatalf("Issue: %+v, %v", got, err)
	}
	labelled, err := fx.client.IssuesWithLabel(ctx, fx.r, "breakwater-rollout")
	if err != nil || len(labelled) != 1 || labelled[0].Number != is.Number {
		t.Fatalf("IssuesWithLabel: %+v, %v", labelled, err)
	}
	if _, err := fx.client.CreateComment(ctx, fx.r, is.Number, "a reply on an issue"); err != nil {
		t.Fatalf("comment on an issue: %v", err)
	}

	// A check run in progress, updated, then completed.
	run := githubapi.CheckRun{Name: "Breakwater rollout", HeadSHA: fx.c2, Title: "0 of 10 upgraded", Summary: "starting"}
	info, err := fx.client.ProgressCheckRun(ctx, fx.r, 0, run)
	if err != nil || info.ID == 0 || info.Status != "in_progress" {
		t.Fatalf("ProgressCheckRun(create): %+v, %v", info, err)
	}
	run.Title = "5 of 10 upgraded"
	if info, err = fx.client.ProgressCheckRun(ctx, fx.r, info.ID, run); err != nil || info.Status != "in_progress" {
		t.Fatalf("ProgressCheckRun(update): %+v, %v", info, err)
	}
	run.Conclusion, run.Title = "success", "10 of 10 upgraded"
	if _, err := fx.client.PublishCheckRun(ctx, fx.r, info.ID, run, time.Now()); err != nil {
		t.Fatal(err)
	}
	runs := fx.repo.CheckRuns()
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "success" || runs[0].Title != "10 of 10 upgraded" || runs[0].Requests != 3 {
		t.Fatalf("check runs: %+v", runs)
	}

	if err := fx.client.DispatchWorkflow(ctx, fx.r, "release.yml", "v1.16.0", map[string]any{"version": "1.16.0", "environment": "production"}); err != nil {
		t.Fatal(err)
	}
	want := []githubtest.Dispatch{{Workflow: "release.yml", Ref: "v1.16.0", Inputs: map[string]any{"version": "1.16.0", "environment": "production"}, By: githubtest.GitHubActions.Login}}
	if diff := cmp.Diff(want, fx.repo.Dispatches()); diff != "" {
		t.Fatalf("dispatches (-want +got):\n%s", diff)
	}
}

func TestParseRolloutEvents(t *testing.T) {
	ds := githubtest.WebhookExample(t, "deployment_status", "created")
	githubtest.Object(ds, "deployment")["payload"] = map[string]any{"package": "crm-sync", "version": "2.0.0", "previousVersion": "1.0.0"}
	raw, _ := json.Marshal(ds)
	ev, err := githubapi.ParseDeploymentStatusEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	if ev.State != "success" || ev.Deployment.ID == 0 || ev.Deployment.SHA == "" || ev.Deployment.Environment != "production" ||
		ev.Deployment.Payload.Version != "2.0.0" || ev.Repo.String() != "Codertocat/Hello-World" || ev.Creator.Login == "" {
		t.Fatalf("deployment_status: %+v", ev)
	}
	ie := githubtest.WebhookExample(t, "issues", "edited")
	githubtest.Object(ie, "changes")["body"] = map[string]any{"from": "before"}
	raw, _ = json.Marshal(ie)
	iv, err := githubapi.ParseIssuesEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	if iv.Action != "edited" || iv.Issue.Number == 0 || iv.Sender.Login == "" || iv.PreviousBody == nil || *iv.PreviousBody != "before" {
		t.Fatalf("issues: %+v", iv)
	}
	for _, bad := range []string{`{}`, `not json`, `{"deployment_status":{}}`} {
		if _, err := githubapi.ParseDeploymentStatusEvent([]byte(bad)); err == nil {
			t.Errorf("deployment_status %s: no error", bad)
		}
		if _, err := githubapi.ParseIssuesEvent([]byte(bad)); err == nil {
			t.Errorf("issues %s: no error", bad)
		}
	}
}
