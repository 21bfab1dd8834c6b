package githubapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
)

// sleeps records the waits of the retry loop instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return nil
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

type fixture struct {
	fake   *githubtest.Fake
	repo   *githubtest.Repository
	client *githubapi.Client
	sleeps *sleeps
	r      githubapi.Repo
	base   string // merge base
	head   string
	tip    string // base branch tip, after the merge base
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	fake := githubtest.New(t)
	repo := fake.AddRepo("octo", "exports")
	files := map[string][]byte{"a.json": []byte(`{"a":1}`), "dir/b.json": []byte(`{"b":1}`), "old.json": []byte(`{"o":1}`)}
	base := repo.Commit(nil, files)
	// The base branch moves on after the branch point: a shallow diff of
	// the tips would show this change, the merge base does not.
	tip := repo.Commit([]string{base}, map[string][]byte{"a.json": []byte(`{"a":1}`), "dir/b.json": []byte(`{"b":1}`), "old.json": []byte(`{"o":1}`), "main-only.json": []byte(`{}`)})
	head := repo.Commit([]string{base}, map[string][]byte{"a.json": []byte(`{"a":2}`), "dir/b.json": []byte(`{"b":1}`), "new.json": []byte(`{"o":1}`), "dir/c d.json": []byte(`{"c":1}`)})
	repo.OpenPullRequest(githubtest.PullRequest{Number: 7, Title: "Change", HeadSHA: head, HeadRef: "feature", BaseSHA: tip, BaseRef: "main", Labels: []string{"bug"}})
	s := &sleeps{}
	policy := githubapi.DefaultRetryPolicy()
	policy.Sleep = s.sleep
	client, err := githubapi.New(fake.URL, "ghs_token", githubapi.WithRetryPolicy(policy))
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{fake: fake, repo: repo, client: client, sleeps: s, r: githubapi.Repo{Owner: "octo", Name: "exports"}, base: base, head: head, tip: tip}
}

func TestReads(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	pr, err := fx.client.PullRequest(ctx, fx.r, 7)
	if err != nil {
		t.Fatal(err)
	}
	if pr.HeadSHA != fx.head || pr.BaseSHA != fx.tip || pr.HeadRepo != "octo/exports" || pr.BaseRepo != "octo/exports" || !cmp.Equal(pr.Labels, []string{"bug"}) {
		t.Errorf("PullRequest = %+v", pr)
	}
	mb, err := fx.client.MergeBase(ctx, fx.r, pr.BaseSHA, pr.HeadSHA)
	if err != nil || mb != fx.base {
		t.Errorf("MergeBase = %q, %v; want %q", mb, err, fx.base)
	}
	data, err := fx.client.FileContent(ctx, fx.r, "dir/c d.json", fx.head)
	if err != nil || string(data) != `{"c":1}` {
		t.Errorf("FileContent = %q, %v", data, err)
	}
	_, err = fx.client.FileContent(ctx, fx.r, "new.json", fx.base)
	if !githubapi.IsNotFound(err) {
		t.Errorf("FileContent of a missing file: %v, want a 404", err)
	}
	tree, truncated, err := fx.client.Tree(ctx, fx.r, fx.head)
	if err != nil || truncated {
		t.Fatal(err, truncated)
	}
	var paths []string
	for _, e := range tree {
		paths = append(paths, e.Path)
	}
	if diff := cmp.Diff([]string{"a.json", "dir/b.json", "dir/c d.json", "new.json"}, paths); diff != "" {
		t.Errorf("Tree (-want +got):\n%s", diff)
	}
}

func TestPagination(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	head := fx.repo.Commit([]string{fx.base}, nil)
	fx.repo.OpenPullRequest(githubtest.PullRequest{Number: 8, HeadSHA: head, BaseSHA: fx.base})
	for i := 0; i < 130; i++ {
		fx.repo.AddComment(8, "someone", fmt.Sprint(i))
	}
	comments, err := fx.client.Comments(ctx, fx.r, 8)
	if err != nil || len(comments) != 130 || comments[129].Body != "129" {
		t.Errorf("Comments: %d comments, %v", len(comments), err)
	}
	pages := 0
	for _, r := range fx.fake.Requests() {
		if r.Operation == "issues/list-comments" {
			pages++
		}
	}
	if pages != 2 {
		t.Errorf("%d list-comments requests, want 2 pages of 100", pages)
	}
}

func TestWrites(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	if err := fx.client.CreateLabel(ctx, fx.r, githubapi.Label{Name: "breaking:auth", Color: "b60205", Description: "Breaks authentication"}); err != nil {
		t.Fatal(err)
	}
	labels, err := fx.client.Labels(ctx, fx.r)
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(labels, []githubapi.Label{{Name: "bug", Color: "ededed"}, {Name: "breaking:auth", Color: "b60205", Description: "Breaks authentication"}}) {
		t.Errorf("Labels = %+v", labels)
	}
	if err := fx.client.AddLabels(ctx, fx.r, 7, []string{"breaking:auth", "semver:major"}); err != nil {
		t.Fatal(err)
	}
	if err := fx.client.RemoveLabel(ctx, fx.r, 7, "bug"); err != nil {
		t.Fatal(err)
	}
	if err := fx.client.RemoveLabel(ctx, fx.r, 7, "not there"); err != nil {
		t.Errorf("removing a label the PR does not carry: %v", err)
	}
	if got := fx.repo.PullLabels(7); !cmp.Equal(got, []string{"breaking:auth", "semver:major"}) {
		t.Errorf("PR labels = %q", got)
	}

	created, err := fx.client.CreateComment(ctx, fx.r, 7, "first")
	if err != nil {
		t.Fatal(err)
	}
	// The fake's unknown tokens act as the workflow's GITHUB_TOKEN.
	actions := githubapi.User{Login: "github-actions[bot]", ID: githubtest.GitHubActions.ID, Type: "Bot"}
	if created.Author != actions || created.ViaApp != (githubapi.App{ID: 15368, Slug: "github-actions"}) {
		t.Errorf("created comment = %+v, want one by github-actions[bot] via its app", created)
	}
	if err := fx.client.UpdateComment(ctx, fx.r, created.ID, "second"); err != nil {
		t.Fatal(err)
	}
	person := fx.repo.AddComment(7, "octocat", "by a person")
	cs, err := fx.client.Comments(ctx, fx.r, 7)
	if err != nil || len(cs) != 2 || cs[0].ID != created.ID || cs[0].Body != "second" || cs[0].Author != actions ||
		cs[1].Author.Login != "octocat" || cs[1].Author.Type != "User" || cs[1].ViaApp != (githubapi.App{}) || !cs[0].CreatedAt.Before(cs[1].CreatedAt) {
		t.Errorf("Comments = %+v, %v", cs, err)
	}
	if err := fx.client.DeleteComment(ctx, fx.r, person); err != nil {
		t.Fatal(err)
	}
	if err := fx.client.DeleteComment(ctx, fx.r, person); err != nil {
		t.Errorf("deleting a comment that is already gone: %v", err)
	}
	if d := fx.repo.Deleted(); len(d) != 1 || d[0].Comment.ID != person || d[0].By != "github-actions[bot]" {
		t.Errorf("deletions = %+v", d)
	}
}

func TestAuthenticatedUserByTokenKind(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	fx.fake.SetIdentity("ghp_personal", githubtest.UserIdentity("octocat", 583231))
	pat, err := githubapi.New(fx.fake.URL, "ghp_personal")
	if err != nil {
		t.Fatal(err)
	}
	u, err := pat.AuthenticatedUser(ctx)
	if err != nil || *u != (githubapi.User{Login: "octocat", ID: 583231, Type: "User"}) {
		t.Errorf("with a personal token: %+v, %v", u, err)
	}
	// An installation token (the workflow's GITHUB_TOKEN is one) acts as
	// no user.
	if _, err := fx.client.AuthenticatedUser(ctx); !githubapi.IsForbidden(err) {
		t.Errorf("with an app's token: %v, want 403", err)
	}
}

func TestCheckRunsBelongToTheirApp(t *testing.T) {
	fx := newFixture(t)
	ctx := context.Background()
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	other := fx.repo.CreateCheckRun(githubtest.App{ID: 99, Slug: "other"}, githubtest.CheckRun{Name: "Breakwater", HeadSHA: fx.head, ExternalID: "breakwater", Conclusion: "success"})
	run := githubapi.CheckRun{Name: "Breakwater", HeadSHA: fx.head, ExternalID: "breakwater", Conclusion: "failure", Title: "t", Summary: "s",
		Annotations: []githubapi.Annotation{{Path: "a.json", StartLine: 1, Level: githubapi.AnnotationFailure, Message: "m"}}}
	if _, err := fx.client.PublishCheckRun(ctx, fx.r, other, run, now); !githubapi.IsForbidden(err) {
		t.Errorf("updating another app's check run: %v, want 403", err)
	}
	info, err := fx.client.PublishCheckRun(ctx, fx.r, 0, run, now)
	if err != nil {
		t.Fatal(err)
	}
	if info.App != (githubapi.App{ID: 15368, Slug: "github-actions"}) || info.ExternalID != "breakwater" || info.AnnotationsCount != 1 {
		t.Errorf("created = %+v", info)
	}
	run.Conclusion, run.Annotations = "success", nil
	if _, err := fx.client.PublishCheckRun(ctx, fx.r, info.ID, run, now); err != nil {
		t.Fatal(err)
	}
	runs, err := fx.client.CheckRuns(ctx, fx.r, fx.head, "Breakwater")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, fmt.Sprintf("%d %s %s %s %d", r.ID, r.App.Slug, r.ExternalID, r.Conclusion, r.AnnotationsCount))
	}
	want := []string{fmt.Sprintf("%d other breakwater success 0", other), fmt.Sprintf("%d github-actions breakwater success 1", info.ID)}
	if !cmp.Equal(got, want) {
		t.Errorf("CheckRuns = %q, want %q", got, want)
	}
	anns, err := fx.client.CheckRunAnnotations(ctx, fx.r, info.ID)
	if err != nil || len(anns) != 1 || anns[0] != (githubapi.Annotation{Path: "a.json", StartLine: 1, EndLine: 1, Level: githubapi.AnnotationFailure, Message: "m"}) {
		t.Errorf("CheckRunAnnotations = %+v, %v", anns, err)
	}
	if runs[1].Name != "Breakwater" || runs[1].HeadSHA != fx.head {
		t.Errorf("check run %+v", runs[1])
	}
	for _, r := range fx.fake.Requests() {
		if r.Operation == "checks/list-for-ref" && r.Query != "check_name=Breakwater&filter=all&per_page=100" {
			t.Errorf("list query = %q", r.Query)
		}
	}
}

func TestCheckRunAnnotationsInBatches(t *testing.T) {
	fx := newFixture(t)
	var anns []githubapi.Annotation
	for i := 1; i <= 120; i++ {
		anns = append(anns, githubapi.Annotation{Path: "a.json", StartLine: i, StartColumn: 3, EndColumn: 9, Level: githubapi.AnnotationFailure, Title: "t", Message: fmt.Sprint(i)})
	}
	anns = append(anns, githubapi.Annotation{Path: "a.json", StartLine: 5, EndLine: 7, StartColumn: 2, Level: githubapi.AnnotationNotice, Message: "multi-line"})
	info, err := fx.client.PublishCheckRun(context.Background(), fx.r, 0, githubapi.CheckRun{
		Name: "Breakwater", HeadSHA: fx.head, Conclusion: "failure", Title: "2 breaking changes", Summary: "summary", Annotations: anns,
	}, time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	runs := fx.repo.CheckRuns()
	if len(runs) != 1 || runs[0].ID != info.ID {
		t.Fatalf("check runs = %+v", runs)
	}
	cr := runs[0]
	if cr.Requests != 3 || len(cr.Annotations) != 121 || cr.Conclusion != "failure" || cr.Status != "completed" {
		t.Errorf("check run: %d requests, %d annotations, %s/%s; want 3, 121, completed/failure", cr.Requests, len(cr.Annotations), cr.Status, cr.Conclusion)
	}
	if last := cr.Annotations[120]; last.StartColumn != 0 || last.EndLine != 7 {
		t.Errorf("multi-line annotation kept columns: %+v", last)
	}
}

func TestRetriesServerErrors(t *testing.T) {
	fx := newFixture(t)
	fx.fake.Fail(githubtest.Fault{Operation: "pulls/get", Times: 2, Status: http.StatusBadGateway, Body: `{"message":"Server Error"}`})
	if _, err := fx.client.PullRequest(context.Background(), fx.r, 7); err != nil {
		t.Fatalf("PullRequest after two 502s: %v", err)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, fx.sleeps.got()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestGivesUpAfterAttempts(t *testing.T) {
	fx := newFixture(t)
	fx.fake.Fail(githubtest.Fault{Operation: "pulls/get", Status: http.StatusServiceUnavailable, Body: `{"message":"Service Unavailable"}`})
	_, err := fx.client.PullRequest(context.Background(), fx.r, 7)
	if githubapi.StatusOf(err) != http.StatusServiceUnavailable {
		t.Fatalf("error %v, want a 503", err)
	}
	for _, want := range []string{"get pull request octo/exports#7", "HTTP 503", "4 attempts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if n := len(fx.sleeps.got()); n != 3 {
		t.Errorf("%d waits, want 3", n)
	}
}

func TestSecondaryRateLimitHonoursRetryAfter(t *testing.T) {
	fx := newFixture(t)
	fx.fake.Fail(githubtest.SecondaryRateLimit("issues/create-comment", 1, 7*time.Second))
	if _, err := fx.client.CreateComment(context.Background(), fx.r, 7, "hi"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second}, fx.sleeps.got()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if n := len(fx.repo.Comments(7)); n != 1 {
		t.Errorf("%d comments, want 1", n)
	}
}

func TestRateLimitWaitBeyondCapFails(t *testing.T) {
	fx := newFixture(t)
	fx.fake.Fail(githubtest.SecondaryRateLimit("", 0, 10*time.Minute))
	_, err := fx.client.PullRequest(context.Background(), fx.r, 7)
	if err == nil || !strings.Contains(err.Error(), "secondary rate limit") || !strings.Contains(err.Error(), "not retrying") {
		t.Errorf("error %v, want a secondary rate limit not retried", err)
	}
	if n := len(fx.sleeps.got()); n != 0 {
		t.Errorf("waited %d times for a wait beyond the cap", n)
	}
	if githubapi.IsForbidden(err) {
		t.Error("a rate limit counts as forbidden")
	}
}

func TestForbiddenIsNotRetried(t *testing.T) {
	fx := newFixture(t)
	fx.fake.ReadOnlyToken("ghs_token")
	err := fx.client.AddLabels(context.Background(), fx.r, 7, []string{"x"})
	if !githubapi.IsForbidden(err) {
		t.Fatalf("error %v, want forbidden", err)
	}
	if !strings.Contains(err.Error(), "Resource not accessible by integration") || !strings.Contains(err.Error(), "add the labels x to #7") {
		t.Errorf("error %q lacks GitHub's message or the operation", err)
	}
	if n := len(fx.sleeps.got()); n != 0 {
		t.Errorf("retried a 403 %d times", n)
	}
}

func TestServiceUnavailableHonoursRetryAfter(t *testing.T) {
	fx := newFixture(t)
	fx.fake.Fail(githubtest.Fault{Operation: "pulls/get", Times: 2, Status: http.StatusServiceUnavailable,
		Header: http.Header{"Retry-After": {"0"}}, Body: `{"message":"Service Unavailable"}`})
	fx.fake.Fail(githubtest.Fault{Operation: "pulls/get", Times: 1, Status: http.StatusTooManyRequests,
		Header: http.Header{"Retry-After": {"5"}}, Body: `{"message":"Too Many Requests"}`})
	if _, err := fx.client.PullRequest(context.Background(), fx.r, 7); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{0, 0, 5 * time.Second}, fx.sleeps.got()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
}

func TestCanceledContextStopsRetries(t *testing.T) {
	fx := newFixture(t)
	fx.fake.Fail(githubtest.Fault{Operation: "pulls/get", Status: http.StatusBadGateway, Body: `{"message":"Bad Gateway"}`})
	policy := githubapi.DefaultRetryPolicy()
	ctx, cancel := context.WithCancel(context.Background())
	policy.Sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}
	client, err := githubapi.New(fx.fake.URL, "t", githubapi.WithRetryPolicy(policy))
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.PullRequest(ctx, fx.r, 7)
	if !errors.Is(err, context.Canceled) || githubapi.StatusOf(err) != http.StatusBadGateway {
		t.Errorf("error = %v, want the 502 and the cancellation", err)
	}
}
