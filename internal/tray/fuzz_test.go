package tray

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// FuzzDecodeGraphQL: any answer decodes to data, to Tray's messages or to
// an error, never a panic; errors[] always wins over data.
func FuzzDecodeGraphQL(f *testing.F) {
	f.Add([]byte(`{"data":{"viewer":{"solutionInstances":{"totalCount":1,"pageInfo":{"hasNextPage":false,"endCursor":null},"edges":[{"node":{"id":"i","solutionVersionFlags":{"hasNewerVersion":true}}}]}}}}`))
	f.Add([]byte(`{"data":null,"errors":[{"message":"Instance is locked","path":["upgradeSolutionInstance"]}]}`))
	f.Add([]byte(`{"errors":[{}]}`))
	f.Add([]byte(`{"data":{"viewer":null}}`))
	f.Add([]byte(`{"data":{"viewer":{"solutionInstances":{"edges":[{"node":null}]}}}}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`{"data":{"upgradeSolutionInstance":{"solutionInstance":{"id":"x","created":"not a time","solutionVersionFlags":{}}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var out struct {
			Viewer *struct {
				SolutionInstances *struct {
					Edges []struct {
						Node *wireInstance `json:"node"`
					} `json:"edges"`
				} `json:"solutionInstances"`
			} `json:"viewer"`
		}
		msgs, err := decodeGraphQL(body, &out)
		if len(msgs) > 0 && err != nil {
			t.Fatalf("both messages and an error: %q, %v", msgs, err)
		}
		for _, m := range msgs {
			if m == "" {
				t.Fatal("an empty message")
			}
		}
		if len(msgs) == 0 && err == nil && out.Viewer != nil && out.Viewer.SolutionInstances != nil {
			for _, e := range out.Viewer.SolutionInstances.Edges {
				if e.Node == nil {
					continue
				}
				in, err := e.Node.instance()
				if err == nil {
					if in.ID == "" {
						t.Fatal("an instance without ID decoded")
					}
					for _, cv := range in.ConfigValues {
						if !json.Valid(cv.Value) {
							t.Fatalf("config value %q is not JSON", cv.Value)
						}
					}
				}
			}
		}
	})
}

// FuzzDecodePreview: a preview decodes only with its three verdict flags.
func FuzzDecodePreview(f *testing.F) {
	f.Add([]byte(previewExample))
	f.Add([]byte(`{"breakingChanges":false,"requiresNewUserInput":false,"requiresNewSystemInput":false,"authSlots":null,"configSlots":{"created":null}}`))
	f.Add([]byte(`{"breakingChanges":true}`))
	f.Add([]byte(`{"breakingChanges":"yes","requiresNewUserInput":false,"requiresNewSystemInput":false}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodePreview(body)
		if err == nil && p == nil {
			t.Fatal("nil preview without error")
		}
		if err == nil {
			// encoding/json matches member names case-insensitively.
			var m map[string]json.RawMessage
			if json.Unmarshal(body, &m) != nil || !slices.ContainsFunc(slices.Collect(maps.Keys(m)), func(k string) bool {
				return strings.EqualFold(k, "breakingChanges") && string(m[k]) != "null"
			}) {
				t.Fatalf("decoded without breakingChanges: %s", body)
			}
		}
	})
}

// previewExample is shaped like the answer Tray documents for the publish
// preview, with an unknown group and unknown fields to be tolerated.
const previewExample = `{
  "releaseId": "rel-1",
  "breakingChanges": true,
  "requiresNewUserInput": true,
  "requiresNewSystemInput": false,
  "authSlots": {
    "created": [{
      "id": "slot-9", "authenticationId": null, "title": "Dropbox", "description": "Files",
      "serviceId": "svc-dropbox", "serviceEnvironmentId": "env-1", "scopes": ["files.read"],
      "externalId": "external_dropbox", "static": false, "hidden": false, "hasBreakingChange": true,
      "changes": [{"message": "A mandatory auth slot was created", "code": "CreatedMandatorySlot", "breakingChange": true}],
      "recreated": false, "slotRecreationReasons": [], "recreatedFromSlotId": null, "futureField": 1
    }],
    "updated": [{
      "id": "slot-2", "title": "Bynder", "externalId": "external_bynder", "hidden": false, "static": false,
      "hasBreakingChange": false, "changes": [], "recreated": true,
      "slotRecreationReasons": [{"code": "AuthenticationIdChanged", "message": "The authentication changed"}],
      "recreatedFromSlotId": "slot-1"
    }],
    "deleted": []
  },
  "configSlots": {"created": [{"externalId": "region", "title": "Region", "hidden": true, "static": false,
    "hasBreakingChange": false, "changes": [{"message": "Created", "code": "CreatedOptionalSlot", "breakingChange": false}]}], "updated": []},
  "somethingNew": {}
}`
