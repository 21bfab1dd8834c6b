package githubapi

import (
	"fmt"

	"github.com/google/go-github/v88/github"
)

// PullRequestEvent is what a pull_request or pull_request_target webhook
// payload says about the pull request it is for.
type PullRequestEvent struct {
	Action string // opened, synchronize, labeled, …
	Number int
	// HeadSHA and BaseSHA are the head commit and the base branch tip when
	// the event fired.
	HeadSHA, BaseSHA string
	// HeadRepo and BaseRepo are owner/name; HeadRepo is "" when the fork
	// was deleted.
	HeadRepo, BaseRepo string
	// Label is the label added or removed by a labeled/unlabeled event.
	Label  string
	Sender string
}

// ParsePullRequestEvent decodes the payload of a pull_request or
// pull_request_target event with go-github's webhook types.
func ParsePullRequestEvent(eventName string, payload []byte) (*PullRequestEvent, error) {
	parsed, err := github.ParseWebHook(eventName, payload)
	if err != nil {
		return nil, fmt.Errorf("decoding the %s event payload: %w", eventName, err)
	}
	var (
		action *string
		number *int
		pr     *github.PullRequest
		sender *github.User
		label  *github.Label
	)
	switch e := parsed.(type) {
	case *github.PullRequestEvent:
		action, number, pr, sender, label = e.Action, e.Number, e.PullRequest, e.Sender, e.Label
	case *github.PullRequestTargetEvent:
		action, number, pr, sender, label = e.Action, e.Number, e.PullRequest, e.Sender, e.Label
	default:
		return nil, fmt.Errorf("decoding the %s event payload: unexpected %T", eventName, parsed)
	}
	if pr == nil {
		return nil, fmt.Errorf("the %s event payload has no pull_request", eventName)
	}
	ev := &PullRequestEvent{
		Action:  deref(action),
		Number:  pr.GetNumber(),
		HeadSHA: pr.GetHead().GetSHA(),
		BaseSHA: pr.GetBase().GetSHA(),
		Label:   label.GetName(),
		Sender:  sender.GetLogin(),
	}
	if ev.Number == 0 && number != nil {
		ev.Number = *number
	}
	if r := pr.GetHead().GetRepo(); r != nil {
		ev.HeadRepo = r.GetFullName()
	}
	if r := pr.GetBase().GetRepo(); r != nil {
		ev.BaseRepo = r.GetFullName()
	}
	return ev, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// IssueCommentEvent is what an issue_comment webhook payload says.
type IssueCommentEvent struct {
	Action string // created, edited, deleted
	Repo   Repo
	// Number is the issue's or pull request's; PullRequest tells which.
	Number      int
	PullRequest bool
	CommentID   int64
	Body        string
	// Author wrote the comment; its Type is "Bot" for an app.
	Author User
}

// ParseIssueCommentEvent decodes an issue_comment payload.
func ParseIssueCommentEvent(payload []byte) (*IssueCommentEvent, error) {
	parsed, err := github.ParseWebHook("issue_comment", payload)
	if err != nil {
		return nil, fmt.Errorf("decoding the issue_comment event payload: %w", err)
	}
	e, ok := parsed.(*github.IssueCommentEvent)
	if !ok || e.Issue == nil || e.Comment == nil || e.Repo == nil {
		return nil, fmt.Errorf("the issue_comment event payload lacks the issue, the comment or the repository")
	}
	u := e.Comment.GetUser()
	return &IssueCommentEvent{
		Action:      e.GetAction(),
		Repo:        Repo{Owner: e.Repo.GetOwner().GetLogin(), Name: e.Repo.GetName()},
		Number:      e.Issue.GetNumber(),
		PullRequest: e.Issue.IsPullRequest(),
		CommentID:   e.Comment.GetID(),
		Body:        e.Comment.GetBody(),
		Author:      User{Login: u.GetLogin(), ID: u.GetID(), Type: u.GetType()},
	}, nil
}

// InstallationEvent is what an installation or installation_repositories
// payload says.
type InstallationEvent struct {
	Action         string
	InstallationID int64
	Account        string
	AccountType    string
	Suspended      bool
	// Repositories are those the installation covers (installation created)
	// or that were added (installation_repositories added); Removed those
	// that were removed.
	Repositories, Removed []InstalledRepo
}

// InstalledRepo is a repository of an installation.
type InstalledRepo struct {
	ID       int64
	FullName string
}

// ParseInstallationEvent decodes an installation or
// installation_repositories payload.
func ParseInstallationEvent(eventName string, payload []byte) (*InstallationEvent, error) {
	parsed, err := github.ParseWebHook(eventName, payload)
	if err != nil {
		return nil, fmt.Errorf("decoding the %s event payload: %w", eventName, err)
	}
	var inst *github.Installation
	out := &InstallationEvent{}
	switch e := parsed.(type) {
	case *github.InstallationEvent:
		out.Action, inst = e.GetAction(), e.Installation
		out.Repositories = installedRepos(e.Repositories)
	case *github.InstallationRepositoriesEvent:
		out.Action, inst = e.GetAction(), e.Installation
		out.Repositories, out.Removed = installedRepos(e.RepositoriesAdded), installedRepos(e.RepositoriesRemoved)
	default:
		return nil, fmt.Errorf("decoding the %s event payload: unexpected %T", eventName, parsed)
	}
	if inst == nil || inst.GetID() == 0 {
		return nil, fmt.Errorf("the %s event payload names no installation", eventName)
	}
	out.InstallationID = inst.GetID()
	out.Account, out.AccountType = inst.GetAccount().GetLogin(), inst.GetAccount().GetType()
	out.Suspended = inst.SuspendedAt != nil
	return out, nil
}

func installedRepos(rs []*github.Repository) []InstalledRepo {
	out := make([]InstalledRepo, 0, len(rs))
	for _, r := range rs {
		out = append(out, InstalledRepo{ID: r.GetID(), FullName: r.GetFullName()})
	}
	return out
}
