package prrun

import (
	"fmt"
	"strings"

	"github.com/google/go-github/v88/github"
)

// event is what the run reads of the webhook payload that started it.
type event struct {
	Name   string // pull_request or pull_request_target
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

// fork reports whether the pull request comes from another repository.
func (e *event) fork() bool {
	return !strings.EqualFold(e.HeadRepo, e.BaseRepo)
}

// decodeEvent decodes GITHUB_EVENT_PATH's payload into go-github's typed
// event for eventName.
func decodeEvent(eventName string, payload []byte) (*event, error) {
	switch eventName {
	case "pull_request", "pull_request_target":
	default:
		return nil, fmt.Errorf("breakwater action runs on pull_request or pull_request_target events, not %q: add `on: pull_request` to the workflow", eventName)
	}
	parsed, err := github.ParseWebHook(eventName, payload)
	if err != nil {
		return nil, fmt.Errorf("decoding the %s event payload: %w", eventName, err)
	}
	var (
		action, label *string
		number        *int
		pr            *github.PullRequest
		sender        *github.User
	)
	switch e := parsed.(type) {
	case *github.PullRequestEvent:
		action, number, pr, sender = e.Action, e.Number, e.PullRequest, e.Sender
		if e.Label != nil {
			label = e.Label.Name
		}
	case *github.PullRequestTargetEvent:
		action, number, pr, sender = e.Action, e.Number, e.PullRequest, e.Sender
		if e.Label != nil {
			label = e.Label.Name
		}
	default:
		return nil, fmt.Errorf("decoding the %s event payload: unexpected %T", eventName, parsed)
	}
	if pr == nil {
		return nil, fmt.Errorf("the %s event payload has no pull_request", eventName)
	}
	ev := &event{
		Name:    eventName,
		Action:  deref(action),
		Number:  pr.GetNumber(),
		HeadSHA: pr.GetHead().GetSHA(),
		BaseSHA: pr.GetBase().GetSHA(),
		Label:   deref(label),
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
	if ev.Number == 0 || ev.HeadSHA == "" || ev.BaseSHA == "" {
		return nil, fmt.Errorf("the %s event payload lacks the pull request number or its head and base commits", eventName)
	}
	return ev, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
