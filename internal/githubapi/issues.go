package githubapi

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-github/v88/github"
)

// The rollout's surfaces: a tracking issue per release, a check run in
// progress, the release workflow dispatched for a rollback, and the
// deployment_status and issues events that drive them.

// Issue is an issue.
type Issue struct {
	Number  int
	Title   string
	Body    string
	State   string // open or closed
	HTMLURL string
	Labels  []string
}

func convertIssue(i *github.Issue) *Issue {
	out := &Issue{Number: i.GetNumber(), Title: i.GetTitle(), Body: i.GetBody(), State: i.GetState(), HTMLURL: i.GetHTMLURL()}
	for _, l := range i.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	return out
}

// MaxIssueBody is the most characters GitHub accepts in an issue's body.
const MaxIssueBody = 65536

// CreateIssue opens an issue.
func (c *Client) CreateIssue(ctx context.Context, r Repo, title, body string, labels []string) (*Issue, error) {
	var out *Issue
	err := c.call(ctx, fmt.Sprintf("create the issue %q", title), func() (*github.Response, error) {
		req := &github.IssueRequest{Title: github.Ptr(title), Body: github.Ptr(body)}
		if len(labels) > 0 {
			req.Labels = &labels
		}
		i, resp, err := c.gh.Issues.Create(ctx, r.Owner, r.Name, req)
		if err == nil {
			out = convertIssue(i)
		}
		return resp, err
	})
	return out, err
}

// Issue reads an issue.
func (c *Client) Issue(ctx context.Context, r Repo, number int) (*Issue, error) {
	var out *Issue
	err := c.call(ctx, fmt.Sprintf("read issue #%d", number), func() (*github.Response, error) {
		i, resp, err := c.gh.Issues.Get(ctx, r.Owner, r.Name, number)
		if err == nil {
			out = convertIssue(i)
		}
		return resp, err
	})
	return out, err
}

// UpdateIssueBody rewrites an issue's body.
func (c *Client) UpdateIssueBody(ctx context.Context, r Repo, number int, body string) error {
	return c.call(ctx, fmt.Sprintf("update issue #%d", number), func() (*github.Response, error) {
		_, resp, err := c.gh.Issues.Edit(ctx, r.Owner, r.Name, number, &github.IssueRequest{Body: github.Ptr(body)})
		return resp, err
	})
}

// IssuesWithLabel lists the repository's issues (open and closed, pull
// requests left out) that carry label.
func (c *Client) IssuesWithLabel(ctx context.Context, r Repo, label string) ([]Issue, error) {
	opts := &github.IssueListByRepoOptions{State: "all", Labels: []string{label}, ListOptions: github.ListOptions{PerPage: perPage}}
	return listAll(ctx, c, fmt.Sprintf("list the issues labelled %q", label), &opts.ListOptions,
		func() ([]*github.Issue, *github.Response, error) {
			return c.gh.Issues.ListByRepo(ctx, r.Owner, r.Name, opts)
		},
		func(i *github.Issue) (Issue, bool) {
			if i.IsPullRequest() {
				return Issue{}, false
			}
			return *convertIssue(i), true
		})
}

// ProgressCheckRun creates check run id (when 0) or updates it as in
// progress: the title and summary say how far the work is.
func (c *Client) ProgressCheckRun(ctx context.Context, r Repo, id int64, run CheckRun) (*CheckRunInfo, error) {
	output := &github.CheckRunOutput{Title: github.Ptr(run.Title), Summary: github.Ptr(run.Summary), Text: nonEmpty(run.Text)}
	var info *CheckRunInfo
	op := fmt.Sprintf("update the check run %q (%d)", run.Name, id)
	do := func() (*github.CheckRun, *github.Response, error) {
		return c.gh.Checks.UpdateCheckRun(ctx, r.Owner, r.Name, id, github.UpdateCheckRunOptions{
			Name: run.Name, Status: github.Ptr("in_progress"), Output: output, DetailsURL: nonEmpty(run.DetailsURL)})
	}
	if id == 0 {
		op = fmt.Sprintf("create the check run %q", run.Name)
		do = func() (*github.CheckRun, *github.Response, error) {
			return c.gh.Checks.CreateCheckRun(ctx, r.Owner, r.Name, github.CreateCheckRunOptions{
				Name: run.Name, HeadSHA: run.HeadSHA, ExternalID: nonEmpty(run.ExternalID), DetailsURL: nonEmpty(run.DetailsURL),
				Status: github.Ptr("in_progress"), Output: output})
		}
	}
	err := c.call(ctx, op, func() (*github.Response, error) {
		cr, resp, err := do()
		if err == nil {
			info = convertCheckRun(cr)
		}
		return resp, err
	})
	return info, err
}

// DispatchWorkflow runs a workflow_dispatch workflow (its file name, e.g.
// "release.yml") on ref with inputs.
func (c *Client) DispatchWorkflow(ctx context.Context, r Repo, workflow, ref string, inputs map[string]any) error {
	return c.call(ctx, fmt.Sprintf("run the workflow %s on %s", workflow, ref), func() (*github.Response, error) {
		_, resp, err := c.gh.Actions.CreateWorkflowDispatchEventByFileName(ctx, r.Owner, r.Name, workflow, github.CreateWorkflowDispatchEventRequest{Ref: ref, Inputs: inputs})
		return resp, err
	})
}

// DeploymentStatusEvent is what a deployment_status payload says.
type DeploymentStatusEvent struct {
	Repo Repo
	// State of the new status; Description its text; Creator wrote it.
	State       string
	Description string
	Creator     User
	At          time.Time
	Deployment  Deployment
}

// ParseDeploymentStatusEvent decodes a deployment_status payload.
func ParseDeploymentStatusEvent(payload []byte) (*DeploymentStatusEvent, error) {
	parsed, err := github.ParseWebHook("deployment_status", payload)
	if err != nil {
		return nil, fmt.Errorf("decoding the deployment_status event payload: %w", err)
	}
	e, ok := parsed.(*github.DeploymentStatusEvent)
	if !ok || e.DeploymentStatus == nil || e.Deployment == nil || e.Repo == nil {
		return nil, fmt.Errorf("the deployment_status event payload lacks the status, the deployment or the repository")
	}
	s := e.DeploymentStatus
	u := s.GetCreator()
	d := convertDeployment(e.Deployment)
	return &DeploymentStatusEvent{
		Repo:  Repo{Owner: e.Repo.GetOwner().GetLogin(), Name: e.Repo.GetName()},
		State: s.GetState(), Description: s.GetDescription(), Creator: User{Login: u.GetLogin(), ID: u.GetID(), Type: u.GetType()},
		At: s.GetCreatedAt().Time, Deployment: d,
	}, nil
}

// IssuesEvent is what an issues payload says.
type IssuesEvent struct {
	Action string
	Repo   Repo
	Issue  Issue
	// Sender did it; its Type is "Bot" for an app (this one too).
	Sender User
	// PreviousBody is the body before an edit (changes.body.from), when
	// the body changed.
	PreviousBody *string
}

// ParseIssuesEvent decodes an issues payload.
func ParseIssuesEvent(payload []byte) (*IssuesEvent, error) {
	parsed, err := github.ParseWebHook("issues", payload)
	if err != nil {
		return nil, fmt.Errorf("decoding the issues event payload: %w", err)
	}
	e, ok := parsed.(*github.IssuesEvent)
	if !ok || e.Issue == nil || e.Repo == nil {
		return nil, fmt.Errorf("the issues event payload lacks the issue or the repository")
	}
	u := e.GetSender()
	out := &IssuesEvent{Action: e.GetAction(), Repo: Repo{Owner: e.Repo.GetOwner().GetLogin(), Name: e.Repo.GetName()},
		Issue: *convertIssue(e.Issue), Sender: User{Login: u.GetLogin(), ID: u.GetID(), Type: u.GetType()}}
	if ch := e.GetChanges(); ch != nil && ch.Body != nil && ch.Body.From != nil {
		out.PreviousBody = ch.Body.From
	}
	return out, nil
}
