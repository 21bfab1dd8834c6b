package tray

import (
	"fmt"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/google/go-cmp/cmp"
)

func TestRulesMatchCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules() {
		want, ok := catalogue[r.ID]
		if !ok {
			t.Errorf("rule %s is not in the catalogue", r.ID)
			continue
		}
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		if r.Severity != want.severity || r.Category != want.category || r.Upgrade != want.upgrade {
			t.Errorf("%s = %s/%s/%s, want %s/%s/%s", r.ID, r.Severity, r.Category, r.Upgrade, want.severity, want.category, want.upgrade)
		}
		wantBump := change.BumpPatch
		if strings.Contains(r.ID, "-added") {
			wantBump = change.BumpMinor
		}
		if r.Bump != wantBump {
			t.Errorf("%s bump = %s, want %s", r.ID, r.Bump, wantBump)
		}
		if r.FiresWhen == "" || r.Why == "" || r.Fix == "" {
			t.Errorf("%s lacks FiresWhen, Why or Fix", r.ID)
		}
	}
	for id := range catalogue {
		if !seen[id] {
			t.Errorf("catalogue rule %s missing from Rules()", id)
		}
	}
}

// want is one expected finding. at is a snippet of the side's text that
// starts exactly where the finding must point.
type want struct {
	rule      string
	side      change.Side
	pointer   string
	at        string
	noEndUser bool
	message   string // a substring the message must contain
	before    any    // checked when not nil
	after     any
}

const (
	newSlackStep = `"storage-1": {"title": "Store"`
	slackStep    = `"chat-1": {"title": "Post", "connector": {"name": "chat", "version": "1.0"}, "operation": "post", "authentication": {"group": "g-chat", "title": "Chat", "scopes": [], "service_name": "chat", "service_version": 1}, "properties": {}},
        "storage-1": {"title": "Store"`
	slackNode = `{"name": "storage-1", "type": "normal", "content": {}}
      ],`
	slackNodeAdded = `{"name": "storage-1", "type": "normal", "content": {}},
        {"name": "chat-1", "type": "normal", "content": {}}
      ],`
	lastAuthSlot = `"scopes": ["send"]
      }`
	mailSlot = `      },
      {
        "id": "a2",
        "auth_group": "g-mail",
        "service_id": "svc-mail",
        "auth_app_id": "app-mail",
        "title": "Mail authentication",
        "external_id": "external_mail",
        "hidden": true,
        "static": true,
        "scopes": ["send"]
      }
    ],`
	lastConfigSlot = `"hidden": true,
        "static": true
      }
    ],`
	batchSlot = `      },
      {
        "id": "c3",
        "key": "batch",
        "title": "Batch",
        "external_id": "external_batch",
        "type": "number",
        "default_value": 10,
        "required": true,
        "use_default_value": true,
        "hidden": true,
        "static": true
      }
    ],`
	pollWorkflow = `    },
    {
      "id": "wf-poll",`
)

func chatSlot(hidden bool) string {
	return fmt.Sprintf(`"scopes": ["send"]
      },
      {"id": "a3", "auth_group": "g-chat", "service_id": "svc-chat", "auth_app_id": "app-chat", "title": "Chat authentication", "external_id": "external_chat", "hidden": %v, "scopes": []}`, hidden)
}

func newConfigSlot(required, useDefault, hidden bool) string {
	return fmt.Sprintf(`"hidden": true,
        "static": true
      },
      {"id": "c4", "key": "region", "title": "Region", "external_id": "external_region", "type": "string", "required": %v, "use_default_value": %v, "hidden": %v}
    ],`, required, useDefault, hidden)
}

func TestDiffRules(t *testing.T) {
	tests := []struct {
		name       string
		base, head []edit
		noSolution bool // drop the solution from both sides: a plain project export
		want       []want
	}{
		{
			name: "auth slot added, hidden",
			head: []edit{{lastAuthSlot, chatSlot(true)}},
			want: []want{{rule: "tray/auth-slot-added", side: change.Head, pointer: "/solution/auth_slots/2", at: `{"id": "a3"`,
				noEndUser: true, message: `"Chat authentication"`}},
		},
		{
			name: "auth slot added with the steps that use it: no auth-service-added",
			head: []edit{{lastAuthSlot, chatSlot(false)}, {newSlackStep, slackStep}, {slackNode, slackNodeAdded}},
			want: []want{
				{rule: "tray/workflow-changed", side: change.Head, pointer: "/workflows/0/steps/chat-1", at: `{"title": "Post"`, message: `step "chat-1" added`},
				{rule: "tray/auth-slot-added", side: change.Head, pointer: "/solution/auth_slots/2", at: `{"id": "a3"`},
			},
		},
		{
			name: "service added without an auth slot",
			head: []edit{{newSlackStep, slackStep}, {slackNode, slackNodeAdded}},
			want: []want{
				{rule: "tray/workflow-changed", side: change.Head, pointer: "/workflows/0/steps/chat-1", at: `{"title": "Post"`},
				{rule: "tray/auth-service-added", side: change.Head, pointer: "/workflows/0/steps/chat-1/authentication/service_name",
					at: `"chat", "service_version"`, after: "chat"},
			},
		},
		{
			name:       "service added in a project export without solution",
			noSolution: true,
			head:       []edit{{newSlackStep, slackStep}, {slackNode, slackNodeAdded}},
			want: []want{
				{rule: "tray/workflow-changed", side: change.Head, pointer: "/workflows/0/steps/chat-1", at: `{"title": "Post"`},
				{rule: "tray/auth-service-added", side: change.Head, pointer: "/workflows/0/steps/chat-1/authentication/service_name", at: `"chat", "service_version"`},
			},
		},
		{
			name: "scope added",
			head: []edit{{`"scopes": ["read", "write"]` + "\n", `"scopes": ["read", "write", "admin"]` + "\n"}},
			want: []want{{rule: "tray/auth-scopes-added", side: change.Head, pointer: "/solution/auth_slots/0/scopes/2", at: `"admin"`,
				message: "admin", before: []string{"read", "write"}, after: []string{"admin", "read", "write"}}},
		},
		{
			name: "scope removed from a hidden slot",
			head: []edit{{`"scopes": ["send"]`, `"scopes": []`}},
			want: []want{{rule: "tray/auth-scopes-removed", side: change.Base, pointer: "/solution/auth_slots/1/scopes/0", at: `"send"`,
				noEndUser: true, before: []string{"send"}, after: []string{}}},
		},
		{
			name: "scopes reordered, in the slot and in the step",
			head: []edit{
				{`"scopes": ["read", "write"]` + "\n", `"scopes": ["write", "read"]` + "\n"},
				{`"scopes": ["read", "write"], "service_name"`, `"scopes": ["write", "read"], "service_name"`},
			},
		},
		{
			name: "service id changed",
			head: []edit{{`"service_id": "svc-crm"`, `"service_id": "svc-crm-eu"`}},
			want: []want{{rule: "tray/auth-environment-changed", side: change.Head, pointer: "/solution/auth_slots/0/service_id", at: `"svc-crm-eu"`, message: "service"}},
		},
		{
			name: "OAuth app changed",
			head: []edit{{`"auth_app_id": "app-crm"`, `"auth_app_id": "app-crm-2"`}},
			want: []want{{rule: "tray/auth-environment-changed", side: change.Head, pointer: "/solution/auth_slots/0/auth_app_id", at: `"app-crm-2"`, message: "OAuth app"}},
		},
		{
			name: "auth slot re-created: steps follow the new group, dropdown follows the new id",
			head: []edit{
				{"\"id\": \"a1\",\n        \"auth_group\": \"g-crm\",", "\"id\": \"a9\",\n        \"auth_group\": \"g-crm9\","},
				{`"group": "g-crm"`, `"group": "g-crm9"`},
				{`"auth_slot_id": "a1"`, `"auth_slot_id": "a9"`},
				{`"authSlotId": "a1"`, `"authSlotId": "a9"`},
			},
			want: []want{
				{rule: "tray/auth-slot-recreated", side: change.Head, pointer: "/solution/auth_slots/0/id", at: "\"a9\",\n        \"auth_group\"",
					before: map[string]any{"id": "a1", "auth_group": "g-crm"}, after: map[string]any{"id": "a9", "auth_group": "g-crm9"}},
				{rule: "tray/config-ddl-auth-changed", side: change.Head, pointer: "/solution/config_slots/1/auth_slot_id", at: "\"a9\"\n      }", message: "re-created"},
			},
		},
		{
			name: "auth slot re-created with a new scope: the scope decides",
			head: []edit{
				{"\"id\": \"a1\",\n        \"auth_group\": \"g-crm\",", "\"id\": \"a9\",\n        \"auth_group\": \"g-crm9\","},
				{`"scopes": ["read", "write"]` + "\n", `"scopes": ["read", "write", "admin"]` + "\n"},
				{`"group": "g-crm"`, `"group": "g-crm9"`},
				{`"auth_slot_id": "a1"`, `"auth_slot_id": "a9"`},
			},
			want: []want{
				{rule: "tray/auth-scopes-added", side: change.Head, pointer: "/solution/auth_slots/0/scopes/2", at: `"admin"`},
				{rule: "tray/config-ddl-auth-changed", side: change.Head, pointer: "/solution/config_slots/1/auth_slot_id", at: "\"a9\"\n      }"},
			},
		},
		{
			name: "hidden auth slot removed",
			head: []edit{{mailSlot, "      }\n    ],"}},
			want: []want{{rule: "tray/auth-slot-removed", side: change.Base, pointer: "/solution/auth_slots/1", at: "{\n        \"id\": \"a2\"", noEndUser: true}},
		},
		{
			name: "service version changed with its connector version",
			head: []edit{{`"service_version": 1}`, `"service_version": 2}`}, {`{"name": "crm", "version": "1.0"}`, `{"name": "crm", "version": "2.0"}`}},
			want: []want{{rule: "tray/auth-service-version-changed", side: change.Head, pointer: "/workflows/0/steps/crm-1/authentication/service_version",
				at: "2},\n          \"properties\"", message: `crm (auth slot "CRM authentication") from service version 1 to 2`}},
		},
		{
			name: "connector version changed",
			head: []edit{{`{"name": "crm", "version": "1.0"}`, `{"name": "crm", "version": "1.1"}`}},
			want: []want{{rule: "tray/connector-version-changed", side: change.Head, pointer: "/workflows/0/steps/crm-1/connector/version", at: `"1.1"`,
				before: "1.0", after: "1.1"}},
		},
		{
			name: "config type changed",
			head: []edit{{"\"type\": \"number\",\n        \"default_value\": 5,", "\"type\": \"string\",\n        \"default_value\": 5,"}},
			want: []want{{rule: "tray/config-type-changed", side: change.Head, pointer: "/solution/config_slots/0/type", at: "\"string\",\n        \"default_value\": 5",
				message: `"Limit"`, before: "number", after: "string"}},
		},
		{
			name: "hidden config type changed",
			head: []edit{{"\"type\": \"number\",\n        \"default_value\": 10,", "\"type\": \"string\",\n        \"default_value\": 10,"}},
			want: []want{{rule: "tray/config-type-changed", side: change.Head, pointer: "/solution/config_slots/2/type", at: "\"string\",\n        \"default_value\": 10", noEndUser: true}},
		},
		{
			name: "dynamic dropdown lookup changed",
			head: []edit{{`"operation": "list_folders"`, `"operation": "list_drives"`}},
			want: []want{{rule: "tray/config-ddl-changed", side: change.Head, pointer: "/solution/view_schema/screens/0/items/2/jsonSchema/lookup",
				at: `{"operation": "list_drives"`, message: `"Folder"`}},
		},
		{
			name: "dynamic dropdown linked to another auth slot",
			head: []edit{{`"auth_slot_id": "a1"`, `"auth_slot_id": "a2"`}, {`"authSlotId": "a1"`, `"authSlotId": "a2"`}},
			want: []want{{rule: "tray/config-ddl-auth-changed", side: change.Head, pointer: "/solution/config_slots/1/auth_slot_id", at: "\"a2\"\n      }",
				message: `now linked to auth slot "Mail authentication" instead of auth slot "CRM authentication"`}},
		},
		{
			name: "required visible config slot added",
			head: []edit{{lastConfigSlot, newConfigSlot(true, false, false)}},
			want: []want{{rule: "tray/config-slot-added-required", side: change.Head, pointer: "/solution/config_slots/3", at: `{"id": "c4"`, message: `"Region"`}},
		},
		{
			name: "required hidden config slot added",
			head: []edit{{lastConfigSlot, newConfigSlot(true, false, true)}},
			want: []want{{rule: "tray/config-slot-added-required", side: change.Head, pointer: "/solution/config_slots/3", at: `{"id": "c4"`, noEndUser: true}},
		},
		{
			name: "required config slot that uses its default added",
			head: []edit{{lastConfigSlot, newConfigSlot(true, true, false)}},
			want: []want{{rule: "tray/config-slot-added-optional", side: change.Head, pointer: "/solution/config_slots/3", at: `{"id": "c4"`}},
		},
		{
			name: "optional config slot added",
			head: []edit{{lastConfigSlot, newConfigSlot(false, false, false)}},
			want: []want{{rule: "tray/config-slot-added-optional", side: change.Head, pointer: "/solution/config_slots/3", at: `{"id": "c4"`}},
		},
		{
			name: "hidden config slot removed",
			head: []edit{{batchSlot, "      }\n    ],"}},
			want: []want{{rule: "tray/config-slot-removed", side: change.Base, pointer: "/solution/config_slots/2", at: "{\n        \"id\": \"c3\"", noEndUser: true}},
		},
		{
			name: "config default changed",
			head: []edit{{`"default_value": 5,`, `"default_value": 7,`}},
			want: []want{{rule: "tray/config-default-changed", side: change.Head, pointer: "/solution/config_slots/0/default_value",
				at: "7,\n        \"required\"", before: 5, after: 7}},
		},
		{
			name: "config default written differently",
			head: []edit{{`"default_value": 5,`, `"default_value": 5.0,`}},
		},
		{
			name: "config slot matched by key without external_id",
			base: []edit{{`"external_id": "external_limit",`, ``}},
			head: []edit{{`"external_id": "external_limit",`, ``}, {`"default_value": 5,`, `"default_value": 7,`}},
			want: []want{{rule: "tray/config-default-changed", side: change.Head, pointer: "/solution/config_slots/0/default_value", at: "7,\n        \"required\""}},
		},
		{
			name: "auth slot matched by service_id without external_id",
			base: []edit{{`"external_id": "external_crm",`, ``}},
			head: []edit{{`"external_id": "external_crm",`, ``}, {`"scopes": ["read", "write"]` + "\n", `"scopes": ["read", "write", "admin"]` + "\n"}},
			want: []want{{rule: "tray/auth-scopes-added", side: change.Head, pointer: "/solution/auth_slots/0/scopes/2", at: `"admin"`}},
		},
		{
			name: "workflow added",
			head: []edit{{pollWorkflow, "    },\n    {\"id\": \"wf-new\", \"title\": \"New\", \"steps\": {}},\n    {\n      \"id\": \"wf-poll\","}},
			want: []want{{rule: "tray/workflow-added", side: change.Head, pointer: "/workflows/1", at: `{"id": "wf-new"`, message: `"New"`}},
		},
		{
			name: "workflow removed",
			base: []edit{{pollWorkflow, "    },\n    {\"id\": \"wf-old\", \"title\": \"Old\", \"steps\": {}},\n    {\n      \"id\": \"wf-poll\","}},
			want: []want{{rule: "tray/workflow-removed", side: change.Base, pointer: "/workflows/1", at: `{"id": "wf-old"`, message: `"Old"`}},
		},
		{
			name: "step property changed",
			head: []edit{{`"value": "k"`, `"value": "k2"`}},
			want: []want{{rule: "tray/workflow-changed", side: change.Head, pointer: "/workflows/0/steps/storage-1", at: `{"title": "Store"`,
				message: `"Sync" changes (step "storage-1" modified); instances pick it up about 2 minutes`, after: map[string]any{"modified": []string{"storage-1"}}}},
		},
		{
			name: "scheduled workflow changed",
			head: []edit{{`"interval": {"type": "integer", "value": 1}`, `"interval": {"type": "integer", "value": 2}`}},
			want: []want{{rule: "tray/workflow-changed", side: change.Head, pointer: "/workflows/1/steps/trigger", at: `{"title": "Every hour"`,
				message: "at its next scheduled run"}},
		},
		{
			name: "execution order changed",
			head: []edit{{"{\"name\": \"crm-1\", \"type\": \"normal\", \"content\": {}},\n        {\"name\": \"storage-1\", \"type\": \"normal\", \"content\": {}}",
				"{\"name\": \"storage-1\", \"type\": \"normal\", \"content\": {}},\n        {\"name\": \"crm-1\", \"type\": \"normal\", \"content\": {}}"}},
			want: []want{{rule: "tray/workflow-changed", side: change.Head, pointer: "/workflows/0/steps_structure", at: "[\n        {\"name\": \"trigger\", \"type\": \"normal\", \"content\": {}},\n        {\"name\": \"storage-1\"",
				message: "execution order changed"}},
		},
		{
			name: "workflow settings changed",
			head: []edit{{`"input_schema": {}`, `"input_schema": {"type": "object"}`}},
			want: []want{{rule: "tray/workflow-changed", side: change.Head, pointer: "/workflows/0/settings", at: "{\n        \"config\"", message: "settings changed"}},
		},
		{
			name: "volatile fields, titles and the settings' config copy are not workflow changes",
			head: []edit{
				{"\"config\": {\"limit\": 5},\n", "\"config\": {\"limit\": 9},\n"},
				{`"created": "2023-01-01T00:00:00Z"`, `"created": "2024-01-01T00:00:00Z"`},
				{`"title": "Poll"`, `"title": "Poll hourly"`},
			},
		},
	}
	src := string(readFile(t, "testdata/minimal.project.json"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			baseText, headText := apply(t, src, tt.base), apply(t, src, tt.head)
			if tt.noSolution {
				baseText, headText = dropSolution(t, baseText), dropSolution(t, headText)
			}
			base := parse(t, "base.json", []byte(baseText))
			head := parse(t, "head.json", []byte(headText))
			got := recordedDiff(base, head)
			if got.Format != "tray" || got.Base != nil || got.Head != nil {
				t.Errorf("comparison = %s %v %v, want tray without declared versions", got.Format, got.Base, got.Head)
			}
			if len(got.Findings) != len(tt.want) {
				for _, f := range got.Findings {
					t.Logf("got %s at %s: %s", f.Rule, f.Pointer, f.Message)
				}
				t.Fatalf("got %d findings, want %d", len(got.Findings), len(tt.want))
			}
			for i, w := range tt.want {
				f := got.Findings[i]
				text, file := headText, "head.json"
				if w.side == change.Base {
					text, file = baseText, "base.json"
				}
				line, col := lineCol(t, text, w.at)
				cat := catalogue[w.rule]
				if f.Rule != w.rule || f.Severity != cat.severity || f.Category != cat.category || f.Upgrade != cat.upgrade {
					t.Errorf("finding %d = %s %s/%s/%s, want %s %s/%s/%s", i, f.Rule, f.Severity, f.Category, f.Upgrade,
						w.rule, cat.severity, cat.category, cat.upgrade)
				}
				wantLoc := change.Location{File: file, Pointer: w.pointer, Line: line, Column: col}
				if f.Location != wantLoc || f.Side != w.side {
					t.Errorf("%s at %+v (%s), want %+v (%s)", f.Rule, f.Location, f.Side, wantLoc, w.side)
				}
				if f.NoEndUser != w.noEndUser {
					t.Errorf("%s NoEndUser = %v, want %v", f.Rule, f.NoEndUser, w.noEndUser)
				}
				if f.Artifact == "" || f.Subject == "" || strings.HasPrefix(f.Subject, "/") {
					t.Errorf("%s artifact %q subject %q: want identity paths", f.Rule, f.Artifact, f.Subject)
				}
				if !strings.Contains(f.Message, w.message) {
					t.Errorf("%s message %q lacks %q", f.Rule, f.Message, w.message)
				}
				if w.before != nil {
					if d := cmp.Diff(normalize(t, w.before), normalize(t, f.Before)); d != "" {
						t.Errorf("%s before (-want +got):\n%s", f.Rule, d)
					}
				}
				if w.after != nil {
					if d := cmp.Diff(normalize(t, w.after), normalize(t, f.After)); d != "" {
						t.Errorf("%s after (-want +got):\n%s", f.Rule, d)
					}
				}
			}
		})
	}
}

// dropSolution removes the solution member (the last one) from an export.
func dropSolution(t *testing.T, src string) string {
	t.Helper()
	i := strings.Index(src, ",\n  \"solution\": {")
	if i < 0 {
		t.Fatal("no solution to drop")
	}
	return src[:i] + "\n}\n"
}

func TestDiffNilSides(t *testing.T) {
	e := parseFile(t, "testdata/minimal.project.json")
	added := recordedDiff(nil, e)
	removed := recordedDiff(e, nil)
	if added.Artifact != "tray:solution/sol-1" || removed.Artifact != "tray:solution/sol-1" {
		t.Errorf("artifacts %q, %q", added.Artifact, removed.Artifact)
	}
	var gotAdded, gotRemoved []string
	for _, f := range added.Findings {
		gotAdded = append(gotAdded, f.Rule+" "+f.Subject+" "+string(f.Side))
	}
	for _, f := range removed.Findings {
		gotRemoved = append(gotRemoved, f.Rule+" "+f.Subject+" "+string(f.Side))
	}
	wantAdded := []string{"tray/workflow-added workflows[wf-sync] head", "tray/workflow-added workflows[wf-poll] head"}
	wantRemoved := []string{"tray/workflow-removed workflows[wf-sync] base", "tray/workflow-removed workflows[wf-poll] base"}
	if d := cmp.Diff(wantAdded, gotAdded); d != "" {
		t.Errorf("new export (-want +got):\n%s", d)
	}
	if d := cmp.Diff(wantRemoved, gotRemoved); d != "" {
		t.Errorf("removed export (-want +got):\n%s", d)
	}
	if got := recordedDiff(nil, nil); len(got.Findings) != 0 || got.Format != Format {
		t.Errorf("recordedDiff(nil, nil) = %+v", got)
	}
}

func TestArtifactName(t *testing.T) {
	tests := []struct{ file, want string }{
		{"testdata/bynder-dropbox.project.json", "tray:solution/f96c186b-49b6-45c6-b57f-925a34a6e57a"},
		{"testdata/bynder-dropbox-sync-master.workflow.json", "tray:workflow/89d4a982-25e5-4057-bc55-870584e5bd20"}, // its projects[] is empty
		{"testdata/minimal.project.json", "tray:solution/sol-1"},
	}
	for _, tt := range tests {
		e := parseFile(t, tt.file)
		if got := recordedDiff(e, e).Artifact; got != tt.want {
			t.Errorf("%s: artifact %q, want %q", tt.file, got, tt.want)
		}
	}
	e := parse(t, "w.json", []byte(`{"tray_export_version": 4, "export_type": "workflow", "workflows": [{"id": "w1"}]}`))
	if got := recordedDiff(e, e).Artifact; got != "tray:workflow/w1" {
		t.Errorf("workflow-only export: artifact %q", got)
	}
	e = parse(t, "p.json", []byte(`{"tray_export_version": 4, "export_type": "project", "workflows": [{"id": "w1"}], "projects": [{"id": "p9"}]}`))
	if got := recordedDiff(nil, e).Artifact; got != "tray:project/p9" {
		t.Errorf("project export: artifact %q", got)
	}
}
