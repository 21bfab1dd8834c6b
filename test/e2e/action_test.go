// Package e2e runs the real breakwater binary the way the Actions runner
// runs the action: `breakwater action` with INPUT_* and GITHUB_* variables,
// temp files for GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, an event payload
// made from @octokit/webhooks-examples, and GITHUB_API_URL pointing at the
// strict fake GitHub, which fails the test on any request that is not in
// GitHub's REST API description.
package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
	"github.com/breakwater-dev/breakwater/internal/prrun/prruntest"
	"github.com/breakwater-dev/breakwater/internal/testenv"
)

// binary is the breakwater binary TestMain builds.
var binary string

func TestMain(m *testing.M) {
	os.Exit(testenv.RunWithBreakwater(m, "-X main.version=e2e", &binary))
}

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
	outputs        map[string]string
	summary        string
	took           time.Duration
	maxRSS         int64         // peak resident memory in bytes, where the system says
	cpu            time.Duration // user and system time of the process
}

func runAction(t testing.TB, s *prruntest.Scenario) result {
	t.Helper()
	s.ResetFiles()
	cmd := exec.Command(binary, "action")
	cmd.Env = s.Environ()
	cmd.Dir = s.Workspace
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Start()
	if err != nil {
		t.Fatalf("running breakwater: %v", err)
	}
	exited := make(chan struct{})
	peak := peakRSS(cmd.Process.Pid, exited)
	err = cmd.Wait()
	close(exited)
	r := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start), maxRSS: <-peak}
	if cmd.ProcessState != nil {
		r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running breakwater: %v", err)
	}
	r.outputs = s.Outputs()
	r.summary = s.Summary()
	return r
}

func expectCode(t *testing.T, r result, want int) {
	t.Helper()
	if r.code != want {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, want, r.stdout, r.stderr)
	}
}

func sticky(s *prruntest.Scenario) []githubtest.Comment {
	var out []githubtest.Comment
	for _, c := range s.Repo.Comments(prruntest.Number) {
		if strings.HasPrefix(c.Body, "<!-- breakwater:report -->") {
			out = append(out, c)
		}
	}
	return out
}

func withVersion(files map[string][]byte, v string) map[string][]byte {
	return prruntest.With(files, map[string][]byte{"package.json": []byte(`{"name":"@bynder/dropbox-solution","version":"` + v + `"}`)})
}

// addRequiredSlots adds n required config slots (breaking) to a Tray export.
func addRequiredSlots(t *testing.T, export []byte, n int, title func(i int) string) []byte {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(export))
	dec.UseNumber()
	var e map[string]any
	if err := dec.Decode(&e); err != nil {
		t.Fatal(err)
	}
	sol := e["solution"].(map[string]any)
	slots := sol["config_slots"].([]any)
	for i := range n {
		key := fmt.Sprintf("added%04d", i)
		slots = append(slots, map[string]any{
			"id": "id-" + key, "key": key, "title": title(i), "external_id": "external_" + key,
			"hidden": false, "type": "string", "default_value": "", "required": true, "use_default_value": false, "static": false,
		})
	}
	sol["config_slots"] = slots
	out, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

const exportFile = "bynder-dropbox.project.json"

// TestPullRequestLifecycle follows one pull request: breaking, pushed
// again, accepted by label, unaccepted, then fixed.
func TestPullRequestLifecycle(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	head = withVersion(head, "1.5.0")
	s := prruntest.New(t, base, head)

	// 1. Breaking: labels, comment, annotations, exit 1.
	r := runAction(t, s)
	expectCode(t, r, 1)
	wantLabels := []string{"breaking-change", "breaking:auth", "breaking:config", "semver:major"}
	if got := s.Repo.PullLabels(prruntest.Number); strings.Join(got, ",") != strings.Join(wantLabels, ",") {
		t.Errorf("labels = %q, want %q", got, wantLabels)
	}
	comments := sticky(s)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1", len(comments))
	}
	runs := s.Repo.CheckRuns()
	if len(runs) != 1 || runs[0].Conclusion != "failure" || len(runs[0].Annotations) < 3 {
		t.Fatalf("check runs = %+v", runs)
	}
	if r.outputs["breaking"] != "true" || r.outputs["required-bump"] != "major" || r.outputs["declared-bump"] != "minor" {
		t.Errorf("outputs = %v", r.outputs)
	}
	if _, err := os.Stat(filepath.Join(s.Workspace, r.outputs["report"])); err != nil {
		t.Errorf("the report output does not name a file: %v", err)
	}
	if !strings.Contains(r.stdout, `add the label "breaking-change-accepted"`) || !strings.Contains(r.summary, "To accept these 3 breaking changes") {
		t.Error("the failure does not say how to accept")
	}
	if !strings.HasPrefix(r.stdout, "::add-mask::"+prruntest.Token+"\n") {
		t.Error("the token is not masked before anything else")
	}

	// 2. Another push: the same comment is edited.
	head = prruntest.With(head, map[string][]byte{exportFile: addRequiredSlots(t, head[exportFile], 1, func(int) string { return "Region" })})
	s.Push(head)
	s.Event("synchronize")
	expectCode(t, runAction(t, s), 1)
	if c := sticky(s); len(c) != 1 || c[0].ID != comments[0].ID || c[0].EditCount != 1 || !strings.Contains(c[0].Body, "4 breaking changes") {
		t.Errorf("after the second run: %+v", c)
	}

	// 3. Accepted by label, with a major version.
	head = withVersion(head, "2.0.0")
	s.Push(head)
	s.SetLabels(append(wantLabels, "breaking-change-accepted")...)
	s.Event("labeled", prruntest.EventOptions{Label: "breaking-change-accepted", Sender: "reviewer"})
	r = runAction(t, s)
	expectCode(t, r, 0)
	if !strings.Contains(sticky(s)[0].Body, "accepted") {
		t.Error("the comment does not show the acceptance")
	}

	// 4. Label removed: fails again.
	s.SetLabels(wantLabels...)
	s.Event("unlabeled", prruntest.EventOptions{Label: "breaking-change-accepted"})
	expectCode(t, runAction(t, s), 1)

	// 5. Fixed: the breaking changes are reverted.
	s.Push(withVersion(base, "1.4.1"))
	s.Event("synchronize")
	r = runAction(t, s)
	expectCode(t, r, 0)
	if c := sticky(s); len(c) != 1 || !strings.Contains(c[0].Body, "Resolved") {
		t.Errorf("the comment is not resolved: %+v", c)
	}
	if got := s.Repo.PullLabels(prruntest.Number); len(got) != 0 {
		t.Errorf("labels after the fix = %q", got)
	}
}

func TestForkPullRequest(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.FromFork()
	s.Event("opened")
	r := runAction(t, s)
	expectCode(t, r, 1) // the verdict, not a permission error
	for _, req := range s.Fake.Requests() {
		if req.Write() {
			t.Errorf("a fork PR run wrote %s %s", req.Method, req.Path)
		}
	}
	if n := strings.Count(r.stdout, "::notice::Breakwater did not write to the pull request"); n != 1 {
		t.Errorf("%d notices about skipped writes, want 1", n)
	}
	if !strings.Contains(r.stdout, "::error title=tray/config-slot-added-required,file="+exportFile+",line=") {
		t.Errorf("no annotations as workflow commands:\n%s", r.stdout)
	}
	if r.outputs["breaking"] != "true" || !strings.Contains(r.summary, "breaking changes") {
		t.Errorf("outputs %v, summary %q", r.outputs, r.summary)
	}
}

func TestLargeReportIsBudgeted(t *testing.T) {
	base, _ := prruntest.SamplePair(t)
	head := prruntest.With(base, map[string][]byte{exportFile: addRequiredSlots(t, base[exportFile], 1200, func(i int) string {
		return fmt.Sprintf("Required field %d with a long enough title to fill the comment", i)
	})})
	s := prruntest.New(t, base, head)
	r := runAction(t, s)
	expectCode(t, r, 1)
	c := sticky(s)
	if len(c) != 1 {
		t.Fatalf("%d comments", len(c))
	}
	if n := utf8.RuneCountInString(c[0].Body); n > githubtest.MaxCommentLength || !strings.Contains(c[0].Body, "This report was cut") {
		t.Errorf("comment of %d characters, cut notice present: %v", n, strings.Contains(c[0].Body, "This report was cut"))
	}
	if n := s.Repo.CheckRuns()[0].Annotations; len(n) != 1000 {
		t.Errorf("%d check run annotations, want the 1000 cap", len(n))
	}
}

func TestHostileTitlesAreNeutralized(t *testing.T) {
	const hostile = "<script>alert(1)</script> **x** @octocat ::set-output name=breaking::false\n::error::injected\n::add-mask::x"
	base, _ := prruntest.SamplePair(t)
	head := prruntest.With(base, map[string][]byte{exportFile: addRequiredSlots(t, base[exportFile], 1, func(int) string { return hostile })})
	s := prruntest.New(t, base, head)
	s.FromFork()
	s.Event("opened")
	r := runAction(t, s)
	expectCode(t, r, 1)
	for _, stream := range []string{r.stdout, r.stderr} {
		for _, line := range strings.Split(stream, "\n") {
			for _, bad := range []string{"::error::injected", "::set-output", "::add-mask::x"} {
				if strings.HasPrefix(line, bad) {
					t.Errorf("injected workflow command: %q", line)
				}
			}
		}
	}
	if r.outputs["breaking"] != "true" {
		t.Errorf("outputs = %v", r.outputs)
	}
	// Code spans show text verbatim and are safe; outside them nothing of
	// the title may act as markup or a mention.
	prose := regexp.MustCompile("`[^`]*`").ReplaceAllString(r.summary, "")
	for _, bad := range []string{"<script>", "**x**", "@octocat"} {
		if strings.Contains(prose, bad) {
			t.Errorf("the summary shows %q unescaped", bad)
		}
	}
}

func TestGitHubServerErrorIsExitCode2(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.Fake.Fail(githubtest.Fault{Operation: "pulls/get", Status: http.StatusServiceUnavailable,
		Header: http.Header{"Retry-After": {"0"}}, Body: `{"message":"Service Unavailable"}`})
	r := runAction(t, s)
	expectCode(t, r, 2)
	for _, want := range []string{"get pull request", "HTTP 503", "4 attempts"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
		}
	}
}

func TestForbiddenOnSameRepositoryIsExitCode2(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.Fake.ReadOnlyToken(prruntest.Token)
	r := runAction(t, s)
	expectCode(t, r, 2)
	if !strings.Contains(r.stderr, "HTTP 403") || !strings.Contains(r.stderr, "pull-requests: write") {
		t.Errorf("stderr does not explain the 403:\n%s", r.stderr)
	}
	if r.outputs["breaking"] != "true" {
		t.Errorf("outputs were not written before the failed write: %v", r.outputs)
	}
}

func TestSecondaryRateLimitIsWaitedOut(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.Fake.Fail(githubtest.SecondaryRateLimit("issues/create-comment", 1, time.Second))
	r := runAction(t, s)
	expectCode(t, r, 1)
	if n := len(sticky(s)); n != 1 {
		t.Errorf("%d comments after the rate limit, want 1", n)
	}
	if r.took < time.Second {
		t.Errorf("the run took %v: it did not wait for Retry-After", r.took)
	}
}

func TestPullRequestWithoutExportChanges(t *testing.T) {
	base, _ := prruntest.SamplePair(t)
	s := prruntest.New(t, base, prruntest.With(base, map[string][]byte{"README.md": []byte("docs\n")}))
	r := runAction(t, s)
	expectCode(t, r, 0)
	// Only a successful check run, so that a required status check reports.
	for _, req := range s.Fake.Requests() {
		if req.Write() && req.Operation != "checks/create" {
			t.Errorf("wrote %s %s", req.Method, req.Path)
		}
	}
	if runs := s.Repo.CheckRuns(); len(runs) != 1 || runs[0].Conclusion != "success" || runs[0].HeadSHA != s.Head {
		t.Errorf("check runs = %+v", runs)
	}
	if r.outputs["breaking"] != "false" || r.outputs["findings"] != "0" {
		t.Errorf("outputs = %v", r.outputs)
	}
}

// TestConcurrentRunsConvergeOnOneComment starts four processes together on
// one pull request, each of which lists the comments before any creates
// one, then one more: exactly one sticky comment remains, and a comment
// someone else wrote with the marker is untouched.
func TestConcurrentRunsConvergeOnOneComment(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	forged := s.Repo.AddComment(prruntest.Number, "mallory", "<!-- breakwater:report -->\n<!-- breakwater:state=breaking -->\nforged\n")
	const n = 4
	s.Fake.Rendezvous("issues/create-comment", n)
	cmds := make([]*exec.Cmd, n)
	outs := make([]bytes.Buffer, n)
	for i := range cmds {
		dir := t.TempDir()
		env := append(s.Environ(), "GITHUB_OUTPUT="+filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY="+filepath.Join(dir, "summary"), "GITHUB_WORKSPACE="+dir)
		for _, f := range []string{"output", "summary"} {
			if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		cmds[i] = exec.Command(binary, "action")
		cmds[i].Env, cmds[i].Dir = env, dir
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, cmd := range cmds {
		var exit *exec.ExitError
		if err := cmd.Wait(); !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("run %d: %v, want exit code 1\n%s", i, err, outs[i].String())
		}
	}
	expectCode(t, runAction(t, s), 1)
	var own []githubtest.Comment
	for _, c := range sticky(s) {
		switch {
		case c.ID == forged:
			if c.EditCount != 0 {
				t.Errorf("the forged comment was edited")
			}
		case c.Author.Login == "github-actions[bot]":
			own = append(own, c)
		default:
			t.Errorf("unexpected comment %+v", c)
		}
	}
	if len(own) != 1 {
		t.Errorf("%d sticky comments after %d concurrent runs and one more, want 1", len(own), n)
	}
	if d := s.Repo.Deleted(); len(d) != n-1 {
		t.Errorf("%d copies deleted, want %d", len(d), n-1)
	}
}

// TestIdentityInputContradictedIsExitCode2: an identity input that names
// another account than GitHub says the token is stops the run before any
// comment is touched.
func TestIdentityInputContradictedIsExitCode2(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	other := s.Repo.AddCommentAs(prruntest.Number, githubtest.AppIdentity("other", 5, 50), "<!-- breakwater:report -->\nother\n")
	s.Env["INPUT_IDENTITY"] = "other[bot]"
	r := runAction(t, s)
	expectCode(t, r, 2)
	if !strings.Contains(r.stderr, "the token acts as github-actions[bot]") || !strings.Contains(r.stderr, "not as other[bot] (from the identity input)") {
		t.Errorf("stderr does not name both accounts:\n%s", r.stderr)
	}
	if c := sticky(s); len(c) != 1 || c[0].ID != other || c[0].EditCount != 0 {
		t.Errorf("comments = %+v", c)
	}
}

func TestBadConfigurationIsExitCode2(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, prruntest.With(head, map[string][]byte{".github/breakwater.yml": []byte("fail-on: sometimes\n")}))
	r := runAction(t, s)
	expectCode(t, r, 2)
	if !strings.Contains(r.stderr, "breakwater.yml") {
		t.Errorf("stderr does not name the configuration:\n%s", r.stderr)
	}
}

// The Action never passes what it did not compare: a listing GitHub cut
// short is exit code 2 naming the commit.
func TestTruncatedTreeIsExitCode2(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, base, head)
	s.TruncateTrees()
	r := runAction(t, s)
	expectCode(t, r, 2)
	if !strings.Contains(r.stderr, "cut the file listing of "+prruntest.Owner+"/"+prruntest.Name+"@") {
		t.Errorf("stderr does not name the truncated listing:\n%s", r.stderr)
	}
}

// Only exports by content count: an editor's settings file under the
// default **/*.json glob is no export, so the pull request gets no comment.
func TestSettingsFileIsNoExport(t *testing.T) {
	base, _ := prruntest.SamplePair(t)
	base = prruntest.With(base, map[string][]byte{".vscode/settings.json": []byte(`{"editor.tabSize": 2}`)})
	s := prruntest.New(t, base, prruntest.With(base, map[string][]byte{".vscode/settings.json": []byte(`{"editor.tabSize": 4}`)}))
	r := runAction(t, s)
	expectCode(t, r, 0)
	if n := len(sticky(s)); n != 0 {
		t.Errorf("%d comments on a pull request that changes no export", n)
	}
	if r.outputs["findings"] != "0" || !strings.Contains(r.summary, "changes no export files") {
		t.Errorf("outputs %v, summary %q", r.outputs, r.summary)
	}
}

// A changed export GitHub will not serve is exit code 2 naming the file.
func TestExportTheAPICannotServeIsExitCode2(t *testing.T) {
	base, head := prruntest.SamplePair(t)
	s := prruntest.New(t, map[string][]byte{"exports/solution.json": base["bynder-dropbox.project.json"]},
		map[string][]byte{"exports/solution.json": head["bynder-dropbox.project.json"]})
	s.WriteWorkspace(".github/breakwater.yml", []byte("comment: true\n"))
	s.Fake.Fail(githubtest.Fault{Operation: "repos/get-content", Status: http.StatusForbidden, Body: `{"message":"This API returns blobs up to 100 MB in size."}`})
	r := runAction(t, s)
	expectCode(t, r, 2)
	if !strings.Contains(r.stderr, "exports/solution.json cannot be compared") {
		t.Errorf("stderr does not name the file:\n%s", r.stderr)
	}
}
