package githubtest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/testenv"
)

// WebhooksExamplesPackage holds GitHub's example webhook payloads, the
// ones GitHub's documentation shows.
const WebhooksExamplesPackage = "@octokit/webhooks-examples@7"

var (
	examplesOnce sync.Once
	examples     map[string][]json.RawMessage // event → payloads, in the package's order
	examplesErr  error
)

// WebhookExample is the first example payload of event whose action is
// action ("" for the first of any action) from @octokit/webhooks-examples,
// decoded so that a test can point it at its own repository. It installs
// the package (see testenv.NPMPackage) and fails the test when there is no
// such example.
func WebhookExample(t testing.TB, event, action string) map[string]any {
	t.Helper()
	dir := testenv.NPMPackage(t, WebhooksExamplesPackage)
	examplesOnce.Do(func() {
		var data []byte
		if data, examplesErr = os.ReadFile(filepath.Join(dir, "api.github.com", "index.json")); examplesErr != nil {
			return
		}
		var index []struct {
			Name     string            `json:"name"`
			Examples []json.RawMessage `json:"examples"`
		}
		if examplesErr = json.Unmarshal(data, &index); examplesErr != nil {
			return
		}
		examples = map[string][]json.RawMessage{}
		for _, e := range index {
			examples[e.Name] = append(examples[e.Name], e.Examples...)
		}
	})
	if examplesErr != nil {
		t.Fatalf("reading %s: %v", WebhooksExamplesPackage, examplesErr)
	}
	for _, raw := range examples[event] {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %s example: %v", WebhooksExamplesPackage, event, err)
		}
		if action == "" || m["action"] == action {
			return m
		}
	}
	t.Fatalf("%s has no %s example with action %q", WebhooksExamplesPackage, event, action)
	return nil
}

// Object returns m[key] as an object, creating it when missing: for
// adapting example payloads.
func Object(m map[string]any, key string) map[string]any {
	v, ok := m[key].(map[string]any)
	if !ok {
		v = map[string]any{}
		m[key] = v
	}
	return v
}
