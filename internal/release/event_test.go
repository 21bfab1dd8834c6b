package release_test

import (
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/release"
)

func TestParseEvent(t *testing.T) {
	cases := []struct {
		name, event, payload string
		want                 release.Event
		err                  string
	}{
		{name: "release published", event: "release", payload: `{"action":"published","release":{"tag_name":"v1.17.0"},"repository":{"private":true}}`,
			want: release.Event{Kind: release.EventRelease, Tag: "v1.17.0", Visibility: "private"}},
		{name: "release created", event: "release", payload: `{"action":"created","release":{"tag_name":"v1.17.0"}}`, err: `action is "created"`},
		{name: "tag push", event: "push", payload: `{"ref":"refs/tags/v1.17.0","after":"abc","repository":{"visibility":"internal"}}`,
			want: release.Event{Kind: release.EventRelease, Tag: "v1.17.0", Commit: "abc", Visibility: "internal"}},
		{name: "branch push", event: "push", payload: `{"ref":"refs/heads/main"}`, err: `pushed tags v*`},
		{name: "tag deleted", event: "push", payload: `{"ref":"refs/tags/v1.0.0","deleted":true}`, err: "deletes tag"},
		{name: "dispatch", event: "workflow_dispatch", payload: `{"inputs":{"version":" v1.16.0 ","environment":"prod"}}`,
			want: release.Event{Kind: release.EventRollback, Tag: "v1.16.0", Version: "1.16.0", Environment: "prod"}},
		{name: "dispatch allowing an auth break", event: "workflow_dispatch", payload: `{"inputs":{"version":"1.16.0","environment":"prod","allow-auth-break":true}}`,
			want: release.Event{Kind: release.EventRollback, Tag: "v1.16.0", Version: "1.16.0", Environment: "prod", AllowAuthBreak: true}},
		{name: "dispatch allowing an auth break, as a string", event: "workflow_dispatch", payload: `{"inputs":{"version":"1.16.0","allow-auth-break":"true"}}`,
			want: release.Event{Kind: release.EventRollback, Tag: "v1.16.0", Version: "1.16.0", AllowAuthBreak: true}},
		{name: "dispatch not allowing it", event: "workflow_dispatch", payload: `{"inputs":{"version":"1.16.0","allow-auth-break":"false"}}`,
			want: release.Event{Kind: release.EventRollback, Tag: "v1.16.0", Version: "1.16.0"}},
		{name: "dispatch without version", event: "workflow_dispatch", payload: `{"inputs":{}}`, err: "no version input"},
		{name: "other event", event: "issues", payload: `{}`, err: `not "issues"`},
		{name: "not JSON", event: "release", payload: `{`, err: "decoding the release event payload"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := release.ParseEvent(tc.event, []byte(tc.payload))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseEvent = %+v, %v; want an error with %q", got, err, tc.err)
				}
				return
			}
			if err != nil || *got != tc.want {
				t.Errorf("ParseEvent = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
