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
