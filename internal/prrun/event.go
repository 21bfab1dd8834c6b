package prrun

import (
	"fmt"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
)

// event is what the run reads of the webhook payload that started it.
type event struct {
	Name string // pull_request or pull_request_target
	githubapi.PullRequestEvent
}

// fork reports whether the pull request comes from another repository.
func (e *event) fork() bool {
	return !strings.EqualFold(e.HeadRepo, e.BaseRepo)
}

// decodeEvent reads GITHUB_EVENT_PATH's payload for eventName.
func decodeEvent(eventName string, payload []byte) (*event, error) {
	switch eventName {
	case "pull_request", "pull_request_target":
	default:
		return nil, fmt.Errorf("breakwater action runs on pull_request or pull_request_target events, not %q: add `on: pull_request` to the workflow", eventName)
	}
	e, err := githubapi.ParsePullRequestEvent(eventName, payload)
	if err != nil {
		return nil, err
	}
	ev := &event{Name: eventName, PullRequestEvent: *e}
	if ev.Number == 0 || ev.HeadSHA == "" || ev.BaseSHA == "" {
		return nil, fmt.Errorf("the %s event payload lacks the pull request number or its head and base commits", eventName)
	}
	return ev, nil
}
