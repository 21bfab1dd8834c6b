package prrun_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/actions"
	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/prrun"
	"github.com/breakwater-dev/breakwater/internal/prrun/prruntest"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
)

const exportFile = "bynder-dropbox.project.json"

var codeSpans = regexp.MustCompile("`[^`]*`")

var (
	engOnce sync.Once
	eng     *engine.Engine
	engErr  error
)

func testEngine(t testing.TB) *engine.Engine {
	engOnce.Do(func() { eng, engErr = engine.New() })
	if engErr != nil {
		t.Fatal(engErr)
	}
	return eng
}

// outcome is one run: its result or error, and what it printed.
type outcome struct {
	res    *prrun.Result
	err    error
	stdout string
	waits  []time.Duration
}

func run(t testing.TB, s *prruntest.Scenario) outcome {
	t.Helper()
	s.ResetFiles()
	var out bytes.Buffer
	var mu sync.Mutex
	var waits []time.Duration
	policy := githubapi.DefaultRetryPolicy()
	policy.Sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		return nil
	}
	res, err := prrun.Run(context.Background(), prrun.Env{
		Runner: actions.New(s.Getenv, &out),
		Engine: testEngine(t),
		NewGitHub: func(apiURL, token string) (prrun.GitHub, error) {
			return githubapi.New(apiURL, token, githubapi.WithRetryPolicy(policy))
		},
		Now: func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) },
	})
	return outcome{res: res, err: err, stdout: out.String(), waits: waits}
}

func mustRun(t *testing.T, s *prruntest.Scenario) outcome {
	t.Helper()
	o := run(t, s)
	if o.err != nil {
		t.Fatalf("run failed: %v\n%s", o.err, o.stdout)
	}
	return o
}

// stickyComments are the comments that carry Breakwater's marker.
func stickyComments(s *prruntest.Scenario) []githubtest.Comment {
	var out []githubtest.Comment
	for _, c := range s.Repo.Comments(prruntest.Number) {
		if strings.HasPrefix(c.Body, prsurface.Marker) {
			out = append(out, c)
		}
	}
	return out
}

func writes(s *prruntest.Scenario) []githubtest.Request {
	var out []githubtest.Request
	for _, r := range s.Fake.Requests() {
		if r.Write() {
			out = append(out, r)
		}
	}
	return out
}

// mutate decodes a Tray export, lets change edit it and encodes it again,
// indented so that findings land on distinct lines.
func mutate(t testing.TB, data []byte, change func(export map[string]any)) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var export map[string]any
	if err := dec.Decode(&export); err != nil {
		t.Fatal(err)
	}
	change(export)
	out, err := json.MarshalIndent(export, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func configSlots(export map[string]any) []any {
	return export["solution"].(map[string]any)["config_slots"].([]any)
}

func requiredSlot(key, title string) map[string]any {
	return map[string]any{
		"id": "id-" + key, "key": key, "title": title, "description": "", "external_id": "external_" + key,
		"hidden": false, "type": "string", "default_value": "", "required": true, "use_default_value": false,
		"static": false, "usage": []any{},
	}
}

func TestBreakingPullRequest(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	o := mustRun(t, s)

	if !o.res.Failed || !o.res.Touched || o.res.ReadOnly {
		t.Errorf("result = %+v, want a failed check with writes", o.res)
	}
	wantLabels := []string{"breaking-change", "breaking:auth", "breaking:config", "semver:major"}
	if diff := cmp.Diff(wantLabels, s.Repo.PullLabels(prruntest.Number)); diff != "" {
		t.Errorf("PR labels (-want +got):\n%s", diff)
	}
	for _, l := range s.Repo.Labels() {
		if l.Color == "ededed" || !strings.HasPrefix(l.Description, "Breakwater:") {
			t.Errorf("label %+v was not created with colour and description", l)
		}
	}

	comments := stickyComments(s)
	if len(comments) != 1 {
		t.Fatalf("%d sticky comments, want 1", len(comments))
	}
	body := comments[0].Body
	for _, want := range []string{"3 breaking changes", "tray/auth-scopes-added", "tray/config-slot-added-required", "`breaking-change-accepted`", "fingerprint: "} {
		if !strings.Contains(body, want) {
			t.Errorf("comment does not say %q", want)
		}
	}

	runs := s.Repo.CheckRuns()
	if len(runs) != 1 || runs[0].Conclusion != "failure" || runs[0].HeadSHA != s.Head {
		t.Fatalf("check runs = %+v, want one failure on the head", runs)
	}
	// The annotations sit on the changed JSON values of the head file.
	headLines := strings.Split(string(head[exportFile]), "\n")
	byRule := map[string]githubtest.Annotation{}
	for _, a := range runs[0].Annotations {
		byRule[a.Title] = a
	}
	for rule, want := range map[string]string{
		"tray/auth-scopes-added":          `"asset.usage:write"`,
		"tray/config-type-changed":        `"string"`,
		"tray/config-slot-added-required": `{`,
	} {
		a, ok := byRule[rule]
		if !ok {
			t.Errorf("no annotation for %s", rule)
			continue
		}
		if a.Path != exportFile || a.AnnotationLevel != "failure" {
			t.Errorf("%s annotation = %+v", rule, a)
		}
		if line := headLines[a.StartLine-1]; !strings.Contains(line[max(a.StartColumn-1, 0):], want) {
			t.Errorf("%s annotation is on line %d col %d, %q, which does not hold %s", rule, a.StartLine, a.StartColumn, line, want)
		}
	}

	out := s.Outputs()
	if out["breaking"] != "true" || out["required-bump"] != "major" || out["declared-bump"] != "minor" ||
		out["labels"] != strings.Join(wantLabels, ",") || out["report"] != prrun.ReportPath || out["findings"] != fmt.Sprint(len(o.res.Report.Changes)) {
		t.Errorf("outputs = %v", out)
	}
	var rep change.Report
	data, err := os.ReadFile(filepath.Join(s.Workspace, out["report"]))
	if err != nil || json.Unmarshal(data, &rep) != nil || len(rep.Changes) != len(o.res.Report.Changes) {
		t.Errorf("the JSON report at the report output does not hold the findings: %v", err)
	}
	if summary := s.Summary(); !strings.Contains(summary, "3 breaking changes") || !strings.Contains(summary, "tray/config-type-changed") {
		t.Errorf("job summary lacks the report:\n%s", summary)
	}
	if !strings.Contains(o.stdout, "::error::Breakwater: the check failed: 3 breaking changes are not accepted. To accept, add the label") {
		t.Errorf("no failure message saying how to accept:\n%s", o.stdout)
	}
	if !strings.HasPrefix(o.stdout, "::add-mask::"+prruntest.Token+"\n") {
		t.Errorf("the token is not masked first:\n%s", o.stdout[:min(200, len(o.stdout))])
	}
	if strings.Count(o.stdout, prruntest.Token) != 1 {
		t.Error("the token appears in the log beyond its mask")
	}
}

func TestSecondRunEditsTheSameComment(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	mustRun(t, s)
	first := stickyComments(s)[0]

	// A push that adds one more breaking change.
	s.Push(prruntest.With(head, map[string][]byte{exportFile: mutate(t, head[exportFile], func(e map[string]any) {
		sol := e["solution"].(map[string]any)
		sol["config_slots"] = append(configSlots(e), requiredSlot("region", "Region"))
	})}))
	s.Event("synchronize")
	mustRun(t, s)
	comments := stickyComments(s)
	if len(comments) != 1 || comments[0].ID != first.ID {
		t.Fatalf("comments after the second run = %+v, want the first one edited", comments)
	}
	if comments[0].EditCount != 1 || !strings.Contains(comments[0].Body, "4 breaking changes") {
		t.Errorf("the comment was edited %d times and says:\n%s", comments[0].EditCount, comments[0].Body)
	}

	// A re-run with nothing new leaves the comment alone.
	s.Fake.ResetRequests()
	mustRun(t, s)
	for _, r := range writes(s) {
		if r.Operation == "issues/update-comment" || r.Operation == "issues/create-comment" || r.Operation == "issues/add-labels" {
			t.Errorf("an unchanged re-run wrote %s", r.Operation)
		}
	}
}

func TestCleanAfterBreaking(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	mustRun(t, s)

	// Only a harmless change is left: a default value, in a minor release.
	s.Push(prruntest.With(base, map[string][]byte{"package.json": head["package.json"], exportFile: mutate(t, base[exportFile], func(e map[string]any) {
		for _, c := range configSlots(e) {
			if c := c.(map[string]any); c["key"] == "uploadLimiter" {
				c["default_value"] = 25
			}
		}
	})}))
	s.Event("synchronize")
	o := mustRun(t, s)
	if o.res.Failed {
		t.Fatalf("a PR with no breaking change failed:\n%s", o.stdout)
	}
	comments := stickyComments(s)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "Resolved") || strings.Contains(comments[0].Body, "breaking changes need") {
		t.Errorf("the comment was not turned into a resolved report: %+v", comments)
	}
	if got := s.Repo.PullLabels(prruntest.Number); !cmp.Equal(got, []string{"semver:patch"}) {
		t.Errorf("labels after the fix = %q, want only semver:patch", got)
	}
	if runs := s.Repo.CheckRuns(); runs[len(runs)-1].Conclusion != "success" {
		t.Errorf("last check run = %+v", runs[len(runs)-1])
	}
	if out := s.Outputs(); out["breaking"] != "false" || out["required-bump"] != "patch" {
		t.Errorf("outputs = %v", out)
	}

	// Reverting the export entirely: the PR no longer touches exports.
	s.Push(base)
	s.Event("synchronize")
	mustRun(t, s)
	comments = stickyComments(s)
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "no longer changes any export file") {
		t.Errorf("comment after the revert: %+v", comments)
	}
	if got := s.Repo.PullLabels(prruntest.Number); len(got) != 0 {
		t.Errorf("labels after the revert = %q, want none", got)
	}
}

func TestPullRequestThatNeverTouchedExports(t *testing.T) {
	base, _ := prruntest.SamplePair(t)
	s := prruntest.New(t, base, prruntest.With(base, map[string][]byte{"README.md": []byte("# docs\n")}))
	s.SetLabels("documentation")
	o := mustRun(t, s)
	if o.res.Failed || o.res.Touched {
		t.Errorf("result = %+v", o.res)
	}
	// Only the check run, so that a required status check reports: no
	// labels, no comment.
	if w := writes(s); len(w) != 1 || w[0].Operation != "checks/create" {
		t.Errorf("a PR without export changes got writes: %+v", w)
	}
	runs := s.Repo.CheckRuns()
	if len(runs) != 1 || runs[0].Conclusion != "success" || runs[0].HeadSHA != s.Head || runs[0].Name != prsurface.CheckRunName ||
		runs[0].Title != "No export files changed" || len(runs[0].Annotations) != 0 {
		t.Errorf("check runs = %+v, want one successful run on the head", runs)
	}
	// A second run on the same commit updates that check run.
	s.Event("labeled", prruntest.EventOptions{Label: "documentation"})
	mustRun(t, s)
	if runs := s.Repo.CheckRuns(); len(runs) != 1 || runs[0].Requests != 2 || runs[0].Conclusion != "success" {
		t.Errorf("check runs after a second run = %+v, want the one updated", runs)
	}
	if n := len(s.Repo.Comments(prruntest.Number)); n != 0 {
		t.Errorf("%d comments on a PR that never touched exports", n)
	}
	if out := s.Outputs(); out["breaking"] != "false" || out["findings"] != "0" || out["labels"] != "" {
		t.Errorf("outputs = %v", out)
	}
	if !strings.Contains(s.Summary(), "changes no export files") {
		t.Errorf("summary = %q", s.Summary())
	}
}

func TestAcceptedByLabel(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	// The version is raised to a major one, so only acceptance is missing.
	head = prruntest.With(head, map[string][]byte{"package.json": []byte(`{"name":"@bynder/dropbox-solution","version":"2.0.0"}`)})
	s := prruntest.New(t, base, head)
	if o := mustRun(t, s); !o.res.Failed {
		t.Fatal("unaccepted breaking changes did not fail the check")
	}

	s.SetLabels("breaking-change", "breaking:auth", "breaking:config", "semver:major", "breaking-change-accepted")
	s.Event("labeled", prruntest.EventOptions{Label: "breaking-change-accepted", Sender: "lead-reviewer"})
	o := mustRun(t, s)
	if o.res.Failed {
		t.Fatalf("the acceptance label did not accept:\n%s", o.stdout)
	}
	for _, f := range o.res.Report.Changes {
		if f.Severity == change.Breaking && (f.Accepted == nil || f.Accepted.Via != "label" || f.Accepted.By != "lead-reviewer") {
			t.Errorf("finding %s accepted = %+v, want by lead-reviewer via label", f.Rule, f.Accepted)
		}
	}
	// Labels describe the change: the breaking ones stay, and the
	// reviewers' acceptance label is never removed.
	if got := s.Repo.PullLabels(prruntest.Number); !cmp.Equal(got, []string{"breaking-change", "breaking-change-accepted", "breaking:auth", "breaking:config", "semver:major"}) {
		t.Errorf("labels = %q", got)
	}
	if out := s.Outputs(); out["breaking"] != "true" {
		t.Errorf("breaking output = %q for accepted breaking changes", out["breaking"])
	}

	s.SetLabels("breaking-change", "breaking:auth", "breaking:config", "semver:major")
	s.Event("unlabeled", prruntest.EventOptions{Label: "breaking-change-accepted"})
	if o := mustRun(t, s); !o.res.Failed {
		t.Error("removing the acceptance label did not fail the check again")
	}
}

func TestAcceptedByConfigFingerprint(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	head = prruntest.With(head, map[string][]byte{"package.json": []byte(`{"name":"@bynder/dropbox-solution","version":"2.0.0"}`)})
	s := prruntest.New(t, base, head)
	o := mustRun(t, s)
	var yaml strings.Builder
	yaml.WriteString("accepted:\n")
	for _, f := range o.res.Report.Changes {
		if f.Severity == change.Breaking {
			fmt.Fprintf(&yaml, "  - fingerprint: %s\n    by: product-owner\n    reason: customers were told\n", f.Fingerprint)
		}
	}
	// The configuration comes from the PR's head through the API: the
	// workspace has no checkout at all.
	s.Push(prruntest.With(head, map[string][]byte{".github/breakwater.yml": []byte(yaml.String())}))
	s.Event("synchronize")
	o = mustRun(t, s)
	if o.res.Failed {
		t.Fatalf("fingerprints in the configuration did not accept:\n%s", o.stdout)
	}
	if o.res.Report.Summary.Accepted != 3 {
		t.Errorf("accepted = %d, want 3", o.res.Report.Summary.Accepted)
	}
}

func TestForkPullRequest(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.FromFork()
	s.Event("opened")
	o := mustRun(t, s)
	if !o.res.ReadOnly || !o.res.Failed {
		t.Errorf("result = %+v, want read-only and failed", o.res)
	}
	if w := writes(s); len(w) != 0 {
		t.Errorf("a fork PR got writes: %+v", w)
	}
	if n := strings.Count(o.stdout, "::notice::Breakwater did not write to the pull request: this pull request comes from a fork"); n != 1 {
		t.Errorf("%d fork notices, want 1:\n%s", n, o.stdout)
	}
	if !strings.Contains(o.stdout, prrun.AppURL) {
		t.Error("the fork notice does not point to the bot")
	}
	if !strings.Contains(o.stdout, "::error title=tray/auth-scopes-added,file=bynder-dropbox.project.json,line=") {
		t.Errorf("no workflow-command annotations:\n%s", o.stdout)
	}
	if out := s.Outputs(); out["breaking"] != "true" || out["labels"] == "" {
		t.Errorf("outputs = %v", out)
	}
	if !strings.Contains(s.Summary(), "3 breaking changes") {
		t.Error("no job summary")
	}
}

func TestForkPullRequestTargetDegradesOn403(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.FromFork()
	s.Env["GITHUB_EVENT_NAME"] = "pull_request_target"
	s.Event("opened")
	o := mustRun(t, s)
	if !o.res.ReadOnly || !strings.Contains(o.stdout, "Breakwater did not write to the pull request: GitHub refused the write") {
		t.Errorf("a 403 on a fork did not degrade:\n%s", o.stdout)
	}
	if !strings.Contains(o.stdout, "::error title=tray/") {
		t.Error("no workflow-command annotations after degrading")
	}
}

func TestForbiddenOnSameRepositoryIsAToolError(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.Fake.ReadOnlyToken(prruntest.Token)
	o := run(t, s)
	if o.err == nil || githubapi.StatusOf(o.err) != http.StatusForbidden || !strings.Contains(o.err.Error(), "pull-requests: write") {
		t.Fatalf("error = %v, want a 403 naming the missing permission", o.err)
	}
	// What needs no write was still produced.
	if out := s.Outputs(); out["breaking"] != "true" {
		t.Errorf("outputs = %v", out)
	}
}

func TestServerErrors(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.Fake.Fail(githubtest.Fault{Operation: "repos/get-content", Status: http.StatusBadGateway, Body: `{"message":"Bad Gateway"}`})
	o := run(t, s)
	if o.err == nil || githubapi.StatusOf(o.err) != http.StatusBadGateway || !strings.Contains(o.err.Error(), "4 attempts") {
		t.Fatalf("error = %v, want a 502 after retries", o.err)
	}
	if len(o.waits) == 0 {
		t.Error("server errors were not retried")
	}
}

func TestSecondaryRateLimit(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.Fake.Fail(githubtest.SecondaryRateLimit("issues/create-comment", 1, 30*time.Second))
	o := mustRun(t, s)
	if !cmp.Equal(o.waits, []time.Duration{30 * time.Second}) {
		t.Errorf("waits = %v, want the 30s Retry-After", o.waits)
	}
	if n := len(stickyComments(s)); n != 1 {
		t.Errorf("%d comments after the retry, want 1", n)
	}
}

func TestLargeReportIsBudgeted(t *testing.T) {
	base, _ := prruntest.SamplePair(t)
	head := prruntest.With(base, map[string][]byte{exportFile: mutate(t, base[exportFile], func(e map[string]any) {
		slots := configSlots(e)
		for i := range 1500 {
			slots = append(slots, requiredSlot(fmt.Sprintf("field%04d", i), fmt.Sprintf("A required field with a rather long title, number %d", i)))
		}
		e["solution"].(map[string]any)["config_slots"] = slots
	})})
	s := prruntest.New(t, base, head)
	o := mustRun(t, s)
	if n := len(o.res.Report.Changes); n < 1500 {
		t.Fatalf("%d findings, want at least 1500", n)
	}
	body := stickyComments(s)[0].Body
	if n := utf8.RuneCountInString(body); n > githubtest.MaxCommentLength {
		t.Errorf("comment has %d characters", n)
	}
	if !strings.Contains(body, "This report was cut") || !strings.Contains(body, "actions/runs/1234567") {
		t.Errorf("the cut comment does not say so and link the full report")
	}
	cr := s.Repo.CheckRuns()[0]
	if len(cr.Annotations) != 1000 || cr.Requests != 20 {
		t.Errorf("check run: %d annotations in %d requests, want 1000 in 20", len(cr.Annotations), cr.Requests)
	}
	if n := len(s.Summary()); n > actions.StepSummaryLimit {
		t.Errorf("summary has %d bytes", n)
	}
}

func TestHostileTitlesAreNeutralized(t *testing.T) {
	const hostile = "Evil <img src=x onerror=alert(1)> **bold** [click](https://evil.example) @octocat #1 ::set-output name=breaking::false\n::error::injected\r\n::add-mask::x %0A"
	base, _ := prruntest.SamplePair(t)
	head := prruntest.With(base, map[string][]byte{exportFile: mutate(t, base[exportFile], func(e map[string]any) {
		e["solution"].(map[string]any)["config_slots"] = append(configSlots(e), requiredSlot("evil", hostile))
	})})
	s := prruntest.New(t, base, head)
	s.FromFork() // annotations as workflow commands
	s.Event("opened")
	o := mustRun(t, s)

	// The log: every command line is one the run meant to print.
	for _, line := range strings.Split(o.stdout, "\n") {
		if !strings.HasPrefix(line, "::") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(line, "::"), "::")
		name, _, _ = strings.Cut(name, " ")
		switch name {
		case "add-mask":
			if line != "::add-mask::"+prruntest.Token {
				t.Errorf("unexpected mask: %q", line)
			}
		case "error", "warning", "notice", "group", "endgroup", "stop-commands":
		default:
			if !strings.HasPrefix(line, "::breakwater-") {
				t.Errorf("injected command: %q", line)
			}
		}
		if strings.HasPrefix(line, "::error::injected") || strings.HasPrefix(line, "::set-output") {
			t.Errorf("injected command: %q", line)
		}
	}
	if out := s.Outputs(); out["breaking"] != "true" {
		t.Errorf("outputs = %v", out)
	}
	// The summary and the comment of a same-repository run: outside code
	// spans (shown verbatim by GitHub), no HTML, link, mention or emphasis
	// from the export survives.
	same := prruntest.New(t, base, head)
	mustRun(t, same)
	for name, md := range map[string]string{"summary": s.Summary(), "comment": stickyComments(same)[0].Body} {
		prose := codeSpans.ReplaceAllString(md, "")
		if !strings.Contains(prose, "Evil") {
			t.Fatalf("the %s does not show the hostile title outside code", name)
		}
		for _, bad := range []string{"<img", "](https://evil.example)", "@octocat", "**bold**", "#1 "} {
			if strings.Contains(prose, bad) {
				t.Errorf("the %s contains %q outside code", name, bad)
			}
		}
	}
}

func TestVNextPackageIsComparedWhole(t *testing.T) {
	base := prruntest.VNextPackage(t)
	const flows = "packages/core/core/Workflows/sys-flows.json"
	head := prruntest.With(base, map[string][]byte{flows: mutate(t, base[flows], func(wf map[string]any) {
		attrs := wf["attributes"].(map[string]any)
		states := attrs["states"].([]any)
		attrs["states"] = states[:len(states)-1] // drop the "deleted" state
	})})
	s := prruntest.New(t, base, head)
	o := mustRun(t, s)
	read := map[string]bool{}
	for _, r := range s.Fake.Requests() {
		if r.Operation == "repos/get-content" {
			read[strings.TrimPrefix(r.Path, "/repos/"+prruntest.Owner+"/"+prruntest.Name+"/contents/")] = true
		}
	}
	for p := range base {
		if !read[p] {
			t.Errorf("package file %s was not read", p)
		}
	}
	rules := map[string]bool{}
	for _, f := range o.res.Report.Changes {
		rules[f.Rule] = true
	}
	if !rules["vnext/state-removed"] {
		t.Errorf("findings %v lack vnext/state-removed", rules)
	}
	if !cmp.Equal(s.Repo.PullLabels(prruntest.Number)[:2], []string{"breaking-change", "breaking:workflow"}) {
		t.Errorf("labels = %q", s.Repo.PullLabels(prruntest.Number))
	}
}

func TestInvalidExportIsAToolError(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	broken := append([]byte(nil), head[exportFile]...)
	broken = append(broken[:len(broken)/2], []byte("\n  oops")...)
	s := prruntest.New(t, base, prruntest.With(head, map[string][]byte{exportFile: broken}))
	o := run(t, s)
	var ie *change.InputError
	if o.err == nil || !errors.As(o.err, &ie) {
		t.Fatalf("error = %v, want an input error", o.err)
	}
	if !strings.Contains(o.stdout, "::error title=input/invalid-json,file="+exportFile+",line=") {
		t.Errorf("the invalid file is not annotated:\n%s", o.stdout)
	}
}

func TestConfigFromWorkspaceAndInputs(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	// A major release: only the breaking changes themselves are left, and
	// fail-on: never lets them pass.
	head = prruntest.With(head, map[string][]byte{"package.json": []byte(`{"name":"@bynder/dropbox-solution","version":"2.0.0"}`)})
	s := prruntest.New(t, base, head)
	if err := os.MkdirAll(filepath.Join(s.Workspace, ".github"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := "labels:\n  breaking: api-break\n"
	if err := os.WriteFile(filepath.Join(s.Workspace, ".github", "breakwater.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Env["INPUT_FAIL-ON"] = "never"
	s.Env["INPUT_COMMENT"] = "false"
	s.Env["INPUT_LABEL-NAMES"] = "semver-major=major\nauth: needs-reauth"
	o := mustRun(t, s)
	if o.res.Failed {
		t.Error("fail-on: never still failed")
	}
	if got := s.Repo.PullLabels(prruntest.Number); !cmp.Equal(got, []string{"api-break", "breaking:config", "major", "needs-reauth"}) {
		t.Errorf("labels = %q", got)
	}
	if n := len(stickyComments(s)); n != 0 {
		t.Errorf("comment: false still commented (%d)", n)
	}
	for _, r := range s.Fake.Requests() {
		if r.Operation == "repos/get-content" && strings.HasSuffix(r.Path, "breakwater.yml") {
			t.Error("the configuration was fetched although the workspace has it")
		}
	}
}

// A configuration the `config` input names must exist: in the workspace or
// at the head commit. Falling back to the defaults would drop what it says.
func TestNamedConfigMustExist(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.Env["INPUT_CONFIG"] = "ci/breakwater.yml"
	o := run(t, s)
	if o.err == nil || !strings.Contains(o.err.Error(), "the `config` input: the configuration ci/breakwater.yml does not exist in "+s.Workspace+" nor in ") {
		t.Fatalf("err = %v", o.err)
	}
	// At the head commit it is found.
	s = prruntest.New(t, base, prruntest.With(head, map[string][]byte{"ci/breakwater.yml": []byte("fail-on: never\n")}))
	s.Env["INPUT_CONFIG"] = "ci/breakwater.yml"
	if o := mustRun(t, s); o.res.Failed {
		t.Error("the named configuration at the head commit (fail-on: never) was not used")
	}
}

func TestBadInputs(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	for name, env := range map[string]map[string]string{
		"fail-on":     {"INPUT_FAIL-ON": "sometimes"},
		"comment":     {"INPUT_COMMENT": "yes"},
		"label-names": {"INPUT_LABEL-NAMES": "colour=red"},
		"event":       {"GITHUB_EVENT_NAME": "push"},
		"token":       {"INPUT_TOKEN": ""},
	} {
		t.Run(name, func(t *testing.T) {
			s := prruntest.New(t, base, head)
			for k, v := range env {
				s.Env[k] = v
			}
			if o := run(t, s); o.err == nil {
				t.Errorf("%v: no error", env)
			}
		})
	}
}

func TestForkAnnotationsStayWithinTheCaps(t *testing.T) {
	base, _ := prruntest.SamplePair(t)
	head := prruntest.With(base, map[string][]byte{exportFile: mutate(t, base[exportFile], func(e map[string]any) {
		slots := configSlots(e)
		for i := range 30 {
			slots = append(slots, requiredSlot(fmt.Sprintf("f%02d", i), fmt.Sprintf("Field %d", i)))
		}
		e["solution"].(map[string]any)["config_slots"] = slots
	})})
	s := prruntest.New(t, base, head)
	s.FromFork()
	s.Event("opened")
	o := mustRun(t, s)
	var errs, notices []string
	for _, line := range strings.Split(o.stdout, "\n") {
		switch {
		case strings.HasPrefix(line, "::error"):
			errs = append(errs, line)
		case strings.HasPrefix(line, "::notice"):
			notices = append(notices, line)
		}
	}
	if len(errs) != actions.MaxPerLevel {
		t.Errorf("%d error annotations, want the cap of %d", len(errs), actions.MaxPerLevel)
	}
	if len(errs) > 0 && !strings.HasPrefix(errs[0], "::error::Breakwater: the check failed") {
		t.Errorf("the first error is %q, want the verdict", errs[0])
	}
	last := notices[len(notices)-1]
	if !strings.Contains(last, "more annotations were not shown") || !strings.Contains(last, "job summary") {
		t.Errorf("no notice counting the annotations left out: %q", last)
	}
}

func TestWithoutCheckRunAnnotatesWithCommands(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.Env["INPUT_CHECK-RUN"] = "false"
	o := mustRun(t, s)
	if runs := s.Repo.CheckRuns(); len(runs) != 0 {
		t.Errorf("check-run: false still created %d check runs", len(runs))
	}
	if n := strings.Count(o.stdout, "::error title=tray/"); n != 3 {
		t.Errorf("%d finding annotations as workflow commands, want 3:\n%s", n, o.stdout)
	}
	if n := len(stickyComments(s)); n != 1 {
		t.Errorf("%d comments, want 1", n)
	}
}

// TestLabelNamesAreCheckedLikeTheConfiguration: the label-names input goes
// through the configuration's own check, over the names that result from
// both, so the acceptance label can never be one the run applies itself.
func TestLabelNamesAreCheckedLikeTheConfiguration(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	for _, tc := range []struct {
		name, config, input, want string
	}{
		{"acceptance label the run applies", "", "accepted=semver:major",
			`input label-names accepted "semver:major" is also labels.semver-major; each label needs its own name`},
		{"acceptance label the run applies, in another case", "labels:\n  breaking: ship-it\n", "accepted: Ship-It",
			`input label-names accepted "Ship-It" is also labels.breaking; each label needs its own name`},
		{"two inputs with one name", "", "auth=breaking:config",
			`input label-names auth "breaking:config" is also labels.config`},
		{"comma", "", "auth=auth,config",
			`input label-names auth "auth,config" must not contain a comma`},
		{"too long, in characters", "", "auth=" + strings.Repeat("é", 51),
			`input label-names auth must be at most 50 characters (GitHub's limit), not 51`},
		{"empty", "", "auth=",
			`input label-names auth must not be empty`},
		{"key twice", "", "auth=a\nauth=b",
			`input label-names: "auth" is given twice`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := head
			if tc.config != "" {
				h = prruntest.With(head, map[string][]byte{".github/breakwater.yml": []byte(tc.config)})
			}
			s := prruntest.New(t, base, h)
			s.Env["INPUT_LABEL-NAMES"] = tc.input
			o := run(t, s)
			if o.err == nil || !strings.Contains(o.err.Error(), tc.want) {
				t.Fatalf("error = %v, want one saying %s", o.err, tc.want)
			}
			if w := writes(s); len(w) != 0 {
				t.Errorf("the run wrote before failing: %+v", w)
			}
		})
	}
	// Names within GitHub's limit in characters but not in bytes are fine.
	s := prruntest.New(t, base, head)
	s.Env["INPUT_LABEL-NAMES"] = "auth=" + strings.Repeat("é", 50)
	mustRun(t, s)
	if got := s.Repo.PullLabels(prruntest.Number); !slices.Contains(got, strings.Repeat("é", 50)) {
		t.Errorf("labels = %q", got)
	}
}
