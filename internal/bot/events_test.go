package bot_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/store"
	"github.com/breakwater-dev/breakwater/internal/store/storetest"
)

// TestExampleDeliveries: the real example payloads of every event the app
// subscribes to are recorded, worked and marked processed; installations
// land in the store; the events the rollout acts on reach the handlers
// registered for them.
func TestExampleDeliveries(t *testing.T) {
	for _, b := range storetest.Backends {
		t.Run(b.Name, func(t *testing.T) {
			routed := []string{"issues", "release", "deployment_status", "check_run"}
			h := newHarness(t, b.URL(t), harnessOptions{handle: routed})
			ctx := context.Background()

			created := example(t, "installation", "created")
			inst := obj(created, "installation")
			inst["id"] = 777
			created["repositories"] = []any{
				map[string]any{"id": 11, "name": "a", "full_name": "octocat/a", "private": false, "node_id": "x"},
				map[string]any{"id": 12, "name": "b", "full_name": "octocat/b", "private": true, "node_id": "y"},
			}
			id := newID()
			h.deliver("installation", id, encode(t, created))
			h.processed(id)
			got, err := h.store.Installation(ctx, 777)
			if err != nil {
				t.Fatal(err)
			}
			if want := []store.Repo{{ID: 11, FullName: "octocat/a"}, {ID: 12, FullName: "octocat/b"}}; !cmp.Equal(got.Repos, want) || got.Account == "" {
				t.Errorf("installation = %+v", got)
			}

			added := example(t, "installation_repositories", "added")
			obj(added, "installation")["id"] = 777
			removed := example(t, "installation_repositories", "removed")
			obj(removed, "installation")["id"] = 777
			removed["repositories_removed"] = []any{map[string]any{"id": 11, "name": "a", "full_name": "octocat/a", "private": false, "node_id": "x"}}
			suspend := example(t, "installation", "suspend")
			obj(suspend, "installation")["id"] = 777
			for _, step := range []struct {
				event   string
				payload map[string]any
			}{{"installation_repositories", added}, {"installation_repositories", removed}, {"installation", suspend}} {
				id := newID()
				h.deliver(step.event, id, encode(t, step.payload))
				h.processed(id)
			}
			got, _ = h.store.Installation(ctx, 777)
			if len(got.Repos) != 2 || got.Repos[0].FullName != "Codertocat/Space" || !got.Suspended {
				t.Errorf("after added, removed and suspend: %+v", got)
			}
			if _, err := h.store.InstallationForRepo(ctx, "octocat/b"); err == nil {
				t.Error("a suspended installation still covers its repositories")
			}
			deleted := example(t, "installation", "deleted")
			obj(deleted, "installation")["id"] = 777
			id = newID()
			h.deliver("installation", id, encode(t, deleted))
			h.processed(id)
			if _, err := h.store.Installation(ctx, 777); err == nil {
				t.Error("a deleted installation is still stored")
			}

			// The rollout's events reach the registry, once each.
			for _, ev := range []struct{ event, action string }{{"issues", "edited"}, {"release", "published"}, {"deployment_status", "created"}, {"check_run", "requested_action"}} {
				id := newID()
				payload := encode(t, toRepo(example(t, ev.event, ev.action)))
				h.deliver(ev.event, id, payload)
				h.post(ev.event, id, payload, sign(payload)) // a redelivery
				h.processed(id)
			}
			h.mu.Lock()
			defer h.mu.Unlock()
			var names []string
			for _, e := range h.events {
				names = append(names, e.Name+"."+e.Action)
				if e.InstallationID != installationID || e.Repo != owner+"/"+name {
					t.Errorf("%s: installation %d, repo %q", e.Name, e.InstallationID, e.Repo)
				}
			}
			if want := []string{"issues.edited", "release.published", "deployment_status.created", "check_run.requested_action"}; !cmp.Equal(names, want) {
				t.Errorf("handled %v, want %v", names, want)
			}
		})
	}
}
