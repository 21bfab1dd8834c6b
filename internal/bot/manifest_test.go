package bot_test

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestAppManifest: the manifest subscribes to exactly the events the bot
// handles or routes, asks for no permission it does not use, and points
// its webhook at /webhook.
func TestAppManifest(t *testing.T) {
	data, err := os.ReadFile("../../github-app-manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		URL         string `json:"url"`
		Hook        struct {
			URL    string `json:"url"`
			Active bool   `json:"active"`
		} `json:"hook_attributes"`
		RedirectURL string            `json:"redirect_url"`
		Public      bool              `json:"public"`
		Permissions map[string]string `json:"default_permissions"`
		Events      []string          `json:"default_events"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("github-app-manifest.json: %v", err)
	}
	slices.Sort(m.Events)
	if want := []string{"check_run", "deployment_status", "issue_comment", "issues", "pull_request", "release"}; !cmp.Equal(m.Events, want) {
		t.Errorf("events = %v, want %v", m.Events, want)
	}
	// actions: write is for /breakwater rollback and the rollback control,
	// which run the release workflow (POST …/actions/workflows/{file}/dispatches
	// needs it; GitHub answers 403 without).
	want := map[string]string{"metadata": "read", "actions": "write", "contents": "write", "pull_requests": "write", "issues": "write", "checks": "write", "deployments": "write"}
	if diff := cmp.Diff(want, m.Permissions); diff != "" {
		t.Errorf("permissions (-want +got):\n%s", diff)
	}
	if u, err := url.Parse(m.Hook.URL); err != nil || u.Path != "/webhook" || !m.Hook.Active || m.Public {
		t.Errorf("hook %+v, public %v", m.Hook, m.Public)
	}
}
