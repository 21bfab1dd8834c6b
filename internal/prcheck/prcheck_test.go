package prcheck_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/prcheck"
	"github.com/breakwater-dev/breakwater/internal/prrun/prruntest"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
	"github.com/breakwater-dev/breakwater/internal/source"
)

// open opens a pull request that changes n Tray exports, with no checkout:
// through the API.
func open(t *testing.T, n int, rate func(*githubtest.Fake)) (*prcheck.Sides, *githubtest.Fake) {
	t.Helper()
	fake := githubtest.New(t)
	repo := fake.AddRepo("octo", "exports")
	base, head := prruntest.TrayExports(t, n)
	root := repo.Commit(nil, base)
	headSHA := repo.Commit([]string{root}, head)
	if rate != nil {
		rate(fake)
	}
	gh, err := githubapi.New(fake.URL, "ghs_token")
	if err != nil {
		t.Fatal(err)
	}
	s, err := prcheck.Open(context.Background(), gh, prcheck.Options{
		Repo: githubapi.Repo{Owner: "octo", Name: "exports"}, BaseSHA: root, HeadSHA: headSHA, TempDir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if s.Commits.Mode != source.ModeAPI || s.MergeBase != root {
		t.Fatalf("opened %s at merge base %s, want the API at %s", s.Commits.Mode, s.MergeBase, root)
	}
	return s, fake
}

// A check the rate limit cannot cover stops before it reads either side,
// naming what is left, what it needs and when the limit resets; one it
// can cover compares what differs between the trees.
func TestRunChecksTheBudgetBeforeReading(t *testing.T) {
	eng, err := engine.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reset := time.Now().Add(37 * time.Minute).Truncate(time.Second)
	s, fake := open(t, 12, func(f *githubtest.Fake) { f.SetRateLimit(1000, 10, reset) })
	cfg, err := s.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	opts := prsurface.Options{Comment: true, CheckRun: true}
	_, err = s.Run(ctx, eng, prcheck.Request{Number: 3, Config: cfg, Publish: &opts})
	var short *prcheck.BudgetError
	if !errors.As(err, &short) {
		t.Fatalf("err = %v, want a *BudgetError", err)
	}
	// Two requests were sent: the merge base and the configuration.
	if short.Rate.Remaining != 8 || short.Rate.Limit != 1000 || !short.Rate.Reset.Equal(reset) || short.Need <= 18 {
		t.Errorf("shortfall %+v: want 8 of 1000 left and more than the reads' 18 needed", short)
	}
	at := reset.UTC().Format(time.DateTime)
	for _, want := range []string{"8 of the token's 1000 requests are left until " + at + " UTC (in 37m0s)", "comparing the pull request and publishing the result needs about"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	for _, r := range fake.Requests() {
		if r.Operation != "repos/compare-commits" && r.Operation != "repos/get-content" {
			t.Errorf("read %s with the budget short", r.Operation)
		}
	}

	// left starts a new window of the rate limit (within one, GitHub's
	// count only goes down), and makes a request so that the client hears
	// of it.
	left := func(remaining int, reset time.Time) {
		fake.SetRateLimit(1000, remaining, reset)
		if _, err := s.Commits.Head.Read(ctx, "no-such-file"); !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}

	// Without writes, the reads alone must be covered: 18.
	left(19, reset.Add(time.Minute))
	res, err := s.Run(ctx, eng, prcheck.Request{Number: 3, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Report.Summary.Compared; c.Artifacts != 12 || !res.Touched || !res.Failed {
		t.Errorf("compared %+v, touched %v, failed %v", c, res.Touched, res.Failed)
	}
	if n := len(fake.Downloads()); n != 2 {
		t.Errorf("%d archives, want one per side", n)
	}

	// What is left then cannot cover publishing 37 annotations, labels and
	// the comment; after the reset it can.
	content := res.Content(eng.Rules(), "https://github.com", "https://example.com/run")
	pr := prsurface.PullRequest{Repo: s.Repo, Number: 3, HeadSHA: s.HeadSHA}
	left(10, reset.Add(2*time.Minute))
	if err := s.CheckPublish(pr, content, opts); !errors.As(err, &short) || short.What != "publishing the result" || short.Rate.Remaining != 9 {
		t.Errorf("CheckPublish with 9 left: %v", err)
	}
	left(1000, reset.Add(time.Hour))
	if err := s.CheckPublish(pr, content, opts); err != nil {
		t.Errorf("CheckPublish with the limit reset: %v", err)
	}
}
