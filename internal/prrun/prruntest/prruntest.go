// Package prruntest sets up pull request runs for tests: a repository in the
// strict fake GitHub with a base branch and a pull request, the runner's
// environment (INPUT_*, GITHUB_*, temp files for outputs and the summary),
// and a GITHUB_EVENT_PATH made from the real pull_request payloads of the
// @octokit/webhooks-examples npm package, adapted to the test repository.
// In-process tests and the end-to-end tests of the binary share it.
package prruntest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/githubapi/githubtest"
)

// WebhooksExamplesPackage holds GitHub's example webhook payloads.
const WebhooksExamplesPackage = githubtest.WebhooksExamplesPackage

// Test repository and token.
const (
	Owner  = "octo-org"
	Name   = "integrations"
	Number = 42
	Token  = "ghs_0123456789abcdefTESTTOKEN"
)

// Scenario is one repository with one pull request.
type Scenario struct {
	T    testing.TB
	Fake *githubtest.Fake
	Repo *githubtest.Repository

	// Root is the commit the branch starts from; Tip is the base branch,
	// which moved on after it; Head is the pull request's head.
	Root, Tip, Head string
	// HeadRepo is the head repository's owner/name (another one for a fork).
	HeadRepo string

	Workspace   string
	EventPath   string
	OutputPath  string
	SummaryPath string
	// Env is the step's environment; Getenv reads it.
	Env map[string]string

	headFiles map[string][]byte
	labels    []string
}

// New creates the fake GitHub and a pull request from base to head (path →
// content). The base branch gains an unrelated commit after the branch
// point, so only a diff against the merge base is right.
func New(t testing.TB, base, head map[string][]byte) *Scenario {
	t.Helper()
	s := &Scenario{T: t, Fake: githubtest.New(t), HeadRepo: Owner + "/" + Name, headFiles: head}
	s.Repo = s.Fake.AddRepo(Owner, Name)
	s.Root = s.Repo.Commit(nil, base)
	tip := copyFiles(base)
	tip["docs/CHANGELOG.md"] = []byte("unrelated change on the base branch\n")
	s.Tip = s.Repo.Commit([]string{s.Root}, tip)
	s.Head = s.Repo.Commit([]string{s.Root}, head)
	s.openPR()

	dir := t.TempDir()
	s.Workspace = filepath.Join(dir, "workspace")
	s.EventPath = filepath.Join(dir, "event.json")
	s.OutputPath = filepath.Join(dir, "output")
	s.SummaryPath = filepath.Join(dir, "summary.md")
	if err := os.MkdirAll(s.Workspace, 0o755); err != nil {
		t.Fatal(err)
	}
	s.Env = map[string]string{
		"CI": "true", "GITHUB_ACTIONS": "true",
		"GITHUB_REPOSITORY": Owner + "/" + Name, "GITHUB_REPOSITORY_OWNER": Owner,
		"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": s.EventPath,
		"GITHUB_API_URL": s.Fake.URL, "GITHUB_SERVER_URL": "https://github.com",
		"GITHUB_WORKSPACE": s.Workspace, "GITHUB_RUN_ID": "1234567", "GITHUB_RUN_ATTEMPT": "1",
		"GITHUB_ACTOR": "octocat", "GITHUB_SHA": s.Head, "GITHUB_REF": fmt.Sprintf("refs/pull/%d/merge", Number),
		"GITHUB_OUTPUT": s.OutputPath, "GITHUB_STEP_SUMMARY": s.SummaryPath,
		"RUNNER_TEMP": dir,
		"INPUT_TOKEN": Token,
	}
	s.ResetFiles()
	s.Event("opened")
	return s
}

func copyFiles(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (s *Scenario) openPR() {
	s.Repo.OpenPullRequest(githubtest.PullRequest{
		Number: Number, Title: "Update the integration", HeadSHA: s.Head, HeadRef: "feature/update",
		HeadRepo: s.HeadRepo, BaseSHA: s.Tip, BaseRef: "main", Labels: s.labels,
	})
}

// Getenv reads the step's environment.
func (s *Scenario) Getenv(k string) string { return s.Env[k] }

// Environ is the environment for a child process: the test process's own
// PATH and HOME, and the step's variables.
func (s *Scenario) Environ() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+s.Env[k])
	}
	return env
}

// ResetFiles empties GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, as the runner
// gives every step fresh files.
func (s *Scenario) ResetFiles() {
	for _, p := range []string{s.OutputPath, s.SummaryPath} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			s.T.Fatal(err)
		}
	}
}

// Push adds a commit to the pull request's head with these files and makes
// it the head.
func (s *Scenario) Push(files map[string][]byte) {
	s.headFiles = files
	s.Head = s.Repo.Commit([]string{s.Head}, files)
	s.Env["GITHUB_SHA"] = s.Head
	s.openPR()
}

// SetLabels sets the pull request's labels as a person would.
func (s *Scenario) SetLabels(labels ...string) {
	s.labels = labels
	s.Repo.SetLabels(Number, labels...)
}

// FromFork makes the pull request come from a fork: its head repository is
// another one and the token is read-only.
func (s *Scenario) FromFork() {
	s.HeadRepo = "contributor/" + Name
	s.openPR()
	s.Fake.ReadOnlyToken(Token)
}

// EventOptions adapt a payload beyond the defaults.
type EventOptions struct {
	// Label is the label of a labeled/unlabeled event.
	Label string
	// Sender is the user who caused the event.
	Sender string
}

// Event writes GITHUB_EVENT_PATH: the webhooks-examples pull_request payload
// for action, pointed at the test repository and pull request.
func (s *Scenario) Event(action string, opts ...EventOptions) {
	s.T.Helper()
	var o EventOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	raw, err := json.Marshal(githubtest.WebhookExample(s.T, "pull_request", action))
	if err != nil {
		s.T.Fatal(err)
	}
	// Every URL and name of the example repository now names the test one.
	raw = bytes.ReplaceAll(raw, []byte("Codertocat/Hello-World"), []byte(Owner+"/"+Name))
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		s.T.Fatal(err)
	}
	repo := obj(ev, "repository")
	repo["full_name"], repo["name"] = Owner+"/"+Name, Name
	obj(repo, "owner")["login"] = Owner
	ev["number"] = Number
	pr := obj(ev, "pull_request")
	pr["number"] = Number
	labels := []any{}
	for _, l := range s.labels {
		labels = append(labels, map[string]any{"name": l, "color": "ededed"})
	}
	pr["labels"] = labels
	head, base := obj(pr, "head"), obj(pr, "base")
	head["sha"], head["ref"] = s.Head, "feature/update"
	base["sha"], base["ref"] = s.Tip, "main"
	base["repo"] = clone(repo)
	headRepo := clone(repo)
	if s.HeadRepo != Owner+"/"+Name {
		owner, name, _ := strings.Cut(s.HeadRepo, "/")
		headRepo["full_name"], headRepo["name"], headRepo["fork"] = s.HeadRepo, name, true
		obj(headRepo, "owner")["login"] = owner
	}
	head["repo"] = headRepo
	if o.Label != "" {
		ev["label"] = map[string]any{"name": o.Label, "color": "ededed"}
	}
	if o.Sender != "" {
		obj(ev, "sender")["login"] = o.Sender
	}
	if action == "synchronize" {
		ev["after"] = s.Head
	}
	data, err := json.MarshalIndent(ev, "", "  ")
	if err != nil {
		s.T.Fatal(err)
	}
	if err := os.WriteFile(s.EventPath, data, 0o644); err != nil {
		s.T.Fatal(err)
	}
}

func obj(m map[string]any, key string) map[string]any { return githubtest.Object(m, key) }

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	json.Unmarshal(b, &out) //nolint:errcheck // it was just marshalled
	return out
}

// Outputs reads GITHUB_OUTPUT the way the runner does.
func (s *Scenario) Outputs() map[string]string {
	s.T.Helper()
	data, err := os.ReadFile(s.OutputPath)
	if err != nil {
		s.T.Fatal(err)
	}
	out, err := ParseFileCommands(string(data))
	if err != nil {
		s.T.Fatal(err)
	}
	return out
}

// ParseFileCommands reads a GITHUB_OUTPUT or GITHUB_ENV file as the runner
// does: name=value lines, or name<<DELIMITER heredocs.
func ParseFileCommands(content string) (map[string]string, error) {
	out := map[string]string{}
	lines := strings.Split(content, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		eq, hd := strings.Index(line, "="), strings.Index(line, "<<")
		if hd >= 0 && (eq < 0 || hd < eq) {
			name, delim := line[:hd], line[hd+2:]
			var val []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			if i == len(lines) {
				return nil, fmt.Errorf("heredoc %q for %q is not closed", delim, name)
			}
			out[name] = strings.Join(val, "\n")
			continue
		}
		if eq < 0 {
			return nil, fmt.Errorf("invalid line %q", line)
		}
		out[line[:eq]] = line[eq+1:]
	}
	return out, nil
}

// Summary reads GITHUB_STEP_SUMMARY.
func (s *Scenario) Summary() string {
	s.T.Helper()
	data, err := os.ReadFile(s.SummaryPath)
	if err != nil {
		s.T.Fatal(err)
	}
	return string(data)
}

// ModuleRoot is the repository's root directory.
func ModuleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// ReadTree reads every file under dir as repository paths under prefix.
func ReadTree(t testing.TB, dir, prefix string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[pathJoin(prefix, filepath.ToSlash(rel))] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func pathJoin(prefix, rel string) string {
	if prefix == "" {
		return rel
	}
	return prefix + "/" + rel
}

// SamplePair is the real Tray.io sample pair of the repository's testdata
// (testdata/examples/tray): the Bynder–Dropbox solution export before and
// after a change that adds a scope, a required visible config slot and
// more, with the package.json at the root that declares its version.
func SamplePair(t testing.TB) (base, head map[string][]byte) {
	root := filepath.Join(ModuleRoot(), "testdata", "examples", "tray")
	return ReadTree(t, filepath.Join(root, "base"), ""), ReadTree(t, filepath.Join(root, "head"), "")
}

// VNextPackage is the real vNext core package, under packages/core.
func VNextPackage(t testing.TB) map[string][]byte {
	_, file, _, _ := runtime.Caller(0)
	return ReadTree(t, filepath.Join(filepath.Dir(file), "testdata", "vnext", "core-package"), "packages/core")
}

// With returns a copy of files with the given files replaced (nil removes).
func With(files map[string][]byte, changes map[string][]byte) map[string][]byte {
	out := copyFiles(files)
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// WriteWorkspace writes a file into the job's checkout (GITHUB_WORKSPACE),
// e.g. the configuration the run then reads without the API.
func (s *Scenario) WriteWorkspace(p string, data []byte) {
	full := filepath.Join(s.Workspace, filepath.FromSlash(p))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		s.T.Fatal(err)
	}
	if err := os.WriteFile(full, data, 0o644); err != nil {
		s.T.Fatal(err)
	}
}

// TruncateTrees makes GitHub answer every tree listing as cut short, as it
// does for a repository of more than 100,000 files.
func (s *Scenario) TruncateTrees() {
	body, err := json.Marshal(map[string]any{"sha": s.Head, "truncated": true, "tree": []any{}})
	if err != nil {
		s.T.Fatal(err)
	}
	s.Fake.Fail(githubtest.Fault{Operation: "git/get-tree", Status: http.StatusOK, Body: string(body)})
}
