package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// The rollout side of the fake: issues (a tracking issue per release,
// edited in place) and workflow_dispatch runs (a rollback through the
// release workflow).

// issueHandlers serve the issues and workflow runs; serve looks here
// after handlers and releaseHandlers.
var issueHandlers = map[string]func(*call){
	"issues/create":                    createIssue,
	"issues/get":                       getIssue,
	"issues/update":                    updateIssue,
	"issues/list-for-repo":             listIssues,
	"actions/create-workflow-dispatch": dispatchWorkflow,
}

type issueState struct {
	issues     []*Issue
	dispatches []Dispatch
}

// Issue is an issue of the fake.
type Issue struct {
	Number      int
	Title, Body string
	State       string
	Labels      []string
	// Author opened it; Edits counts the edits through the API and
	// EditedBy who made them.
	Author   string
	Edits    int
	EditedBy []string
}

// Dispatch is a workflow_dispatch run requested through the API.
type Dispatch struct {
	Workflow, Ref string
	Inputs        map[string]any
	By            string
}

// MaxIssueBody is the most characters GitHub accepts in an issue's body.
const MaxIssueBody = 65536

func (r *Repository) issueSide() *issueState {
	if r.iss == nil {
		r.iss = &issueState{}
	}
	return r.iss
}

// Issues lists the repository's issues in creation order.
func (r *Repository) Issues() []Issue {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	var out []Issue
	for _, i := range r.issueSide().issues {
		c := *i
		c.Labels = slices.Clone(i.Labels)
		c.EditedBy = slices.Clone(i.EditedBy)
		out = append(out, c)
	}
	return out
}

// SetIssueBody edits an issue's body as a person in the web UI would
// (the test then sends the issues.edited webhook itself).
func (r *Repository) SetIssueBody(number int, body string) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	if i := r.issue(number); i != nil {
		i.Body = body
	}
}

// Dispatches lists the workflow_dispatch runs requested.
func (r *Repository) Dispatches() []Dispatch {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	return slices.Clone(r.issueSide().dispatches)
}

// issue is issue number n, nil when there is none. The caller holds f.mu.
func (r *Repository) issue(n int) *Issue {
	for _, i := range r.issueSide().issues {
		if i.Number == n {
			return i
		}
	}
	return nil
}

// nextNumber is the next issue or pull request number.
func (r *Repository) nextNumber() int {
	n := 0
	for k := range r.pulls {
		n = max(n, k)
	}
	for _, i := range r.issueSide().issues {
		n = max(n, i.Number)
	}
	return n + 1
}

func issueJSON(c *call, i *Issue) map[string]any {
	labels := []map[string]any{}
	for _, l := range i.Labels {
		labels = append(labels, map[string]any{"name": l})
	}
	return map[string]any{"number": i.Number, "title": i.Title, "body": i.Body, "state": i.State, "labels": labels,
		"html_url": fmt.Sprintf("https://github.com/%s/issues/%d", c.repo.fullName(), i.Number),
		"user":     map[string]any{"login": i.Author}}
}

type issueBody struct {
	Title  *string   `json:"title"`
	Body   *string   `json:"body"`
	Labels *[]string `json:"labels"`
}

func (c *call) checkIssueBody(b issueBody) bool {
	if b.Body != nil && utf8.RuneCountInString(*b.Body) > MaxIssueBody {
		c.invalid("body is too long (maximum is %d characters)", MaxIssueBody)
		return false
	}
	if b.Title != nil && strings.TrimSpace(*b.Title) == "" {
		c.invalid("title can't be blank")
		return false
	}
	return true
}

func createIssue(c *call) {
	var b issueBody
	if !c.decode(&b) || !c.checkIssueBody(b) {
		return
	}
	if b.Title == nil {
		c.invalid("title is missing")
		return
	}
	i := &Issue{Number: c.repo.nextNumber(), Title: *b.Title, State: "open", Author: c.as.Login}
	if b.Body != nil {
		i.Body = *b.Body
	}
	if b.Labels != nil {
		i.Labels = slices.Clone(*b.Labels)
	}
	c.repo.issueSide().issues = append(c.repo.issueSide().issues, i)
	c.json(http.StatusCreated, issueJSON(c, i))
}

// pathIssue is the issue the path names; nil, answered 404, when there is
// none.
func (c *call) pathIssue() *Issue {
	i := c.repo.issue(c.intParam("issue_number"))
	if i == nil {
		c.notFound("Not Found")
	}
	return i
}

func getIssue(c *call) {
	if i := c.pathIssue(); i != nil {
		c.json(http.StatusOK, issueJSON(c, i))
	}
}

func updateIssue(c *call) {
	i := c.pathIssue()
	if i == nil {
		return
	}
	var b issueBody
	if !c.decode(&b) || !c.checkIssueBody(b) {
		return
	}
	if b.Title != nil {
		i.Title = *b.Title
	}
	if b.Body != nil {
		i.Body = *b.Body
	}
	if b.Labels != nil {
		i.Labels = slices.Clone(*b.Labels)
	}
	i.Edits++
	i.EditedBy = append(i.EditedBy, c.as.Login)
	c.json(http.StatusOK, issueJSON(c, i))
}

// listIssues lists issues (no pull requests here), filtered by state
// (open by default) and labels (all of them, comma-separated).
func listIssues(c *call) {
	q := c.req.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	var want []string
	if l := q.Get("labels"); l != "" {
		want = strings.Split(l, ",")
	}
	var out []map[string]any
	for _, i := range c.repo.issueSide().issues {
		if state != "all" && i.State != state {
			continue
		}
		ok := true
		for _, l := range want {
			ok = ok && slices.Contains(i.Labels, l)
		}
		if ok {
			out = append(out, issueJSON(c, i))
		}
	}
	page(c, out)
}

func dispatchWorkflow(c *call) {
	var b struct {
		Ref    string         `json:"ref"`
		Inputs map[string]any `json:"inputs"`
	}
	if !c.decode(&b) {
		return
	}
	if c.repo.commits[b.Ref] == nil && c.repo.branches[b.Ref] == "" && !c.repo.hasTag(b.Ref) {
		c.invalid("No ref found for: %s", b.Ref)
		return
	}
	for k, v := range b.Inputs {
		if _, err := json.Marshal(v); err != nil || k == "" {
			c.invalid("input %q is not a workflow input", k)
			return
		}
	}
	c.repo.issueSide().dispatches = append(c.repo.issueSide().dispatches, Dispatch{
		Workflow: c.op.Params["workflow_id"], Ref: b.Ref, Inputs: b.Inputs, By: c.as.Login})
	c.w.WriteHeader(http.StatusNoContent)
}

// hasTag reports whether the repository has tag name. The caller holds f.mu.
func (r *Repository) hasTag(name string) bool {
	for _, t := range r.release().tags {
		if t.Name == name {
			return true
		}
	}
	return false
}
