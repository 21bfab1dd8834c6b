package tray

import (
	"github.com/breakwater-dev/breakwater/internal/coverage"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// Coverage declares how a Tray export is normalised before its changes are
// accounted for, which values are text shown to people, and how far the
// findings of some rules reach. Paths are relative to the export object
// (inside exportData when the export is wrapped).
func Coverage() coverage.Spec {
	return coverage.Spec{
		Structure: structdiff.Spec{
			Arrays: []structdiff.Array{
				{Path: "/workflows", Keys: []string{"id", "title"},
					Why: "workflows are matched by id, else title, as the tray/workflow-… rules match them"},
				{Path: "/workflows/*/tags", Why: "a set of labels"},
				{Path: "/workflows/*/dependencies", Keys: []string{"id"}, Why: "the workflows this one calls, a list without order"},
				{Path: "/workflows/*/steps/*/authentication/scopes", Why: "a set of scopes, as the differ hashes it"},
				{Path: "/workflows/*/steps_structure", Keys: []string{"name"}, Ordered: true,
					Why: "execution order: steps are matched by name, and a new order is a change"},
				{Path: "/workflows/*/steps_structure/**/content/*", Keys: []string{"name"}, Ordered: true,
					Why: "the branches of a step, in execution order like the top level"},
				{Path: "/projects", Keys: []string{"id"}, Why: "projects are matched by id"},
				{Path: "/projects/*/workflows", Why: "a set of workflow ids"},
				{Path: "/solution/tags", Why: "a set of labels"},
				{Path: "/solution/auth_slots", Keys: []string{"external_id", "service_id"},
					Why: "auth slots are matched by external_id, else service_id (docs/rules.md)"},
				{Path: "/solution/auth_slots/*/scopes", Why: "a set of scopes"},
				{Path: "/solution/config_slots", Keys: []string{"external_id", "key"},
					Why: "config slots are matched by external_id, else key (docs/rules.md)"},
				{Path: "/solution/view_schema/screens", Keys: []string{"id"}, Ordered: true,
					Why: "the Config Wizard shows its screens in this order: matched by id, a new order is a change"},
				{Path: "/solution/view_schema/screens/*/items", Keys: []string{"slot/externalId", "workflowId", "id"}, Ordered: true,
					Why: "the items of a screen, shown in order: a slot's item by the slot it shows, a public URL by its workflow"},
				{Path: "/solution/view_schema/screens/*/items/*/slot/scopes", Why: "the auth slot's scopes, a set"},
			},
			Ignore: []structdiff.Field{
				{Path: "/workflows/*/version",
					Why: "id and created of the workflow's saved version: new on every save and re-export, even without an edit; " +
						"the workflow's content is compared itself"},
				{Path: "/solution/auth_slots/*/usage",
					Why: "derived: recomputed by the exporter from the steps that use the slot (and their version ids); " +
						"the steps are compared in the workflows"},
				{Path: "/solution/config_slots/*/usage", Why: "derived, as for auth slots"},
				{Path: "/solution/view_schema/screens/*/items/*/slot/usage", Why: "derived, the view's copy of the slot's usage"},
			},
			References: []structdiff.Reference{
				{Path: "/workflows/*/steps/*/authentication/group", Array: "/solution/auth_slots", Key: "auth_group",
					Why: "a step names its auth slot by auth_group, which re-creating the slot changes; tray/auth-slot-recreated reports that once"},
				{Path: "/solution/config_slots/*/auth_slot_id", Array: "/solution/auth_slots", Key: "id",
					Why: "a config slot names its auth slot by id, which re-creating the slot changes"},
				{Path: "/solution/view_schema/screens/*/items/*/slot/authSlotId", Array: "/solution/auth_slots", Key: "id",
					Why: "the view's copy of auth_slot_id"},
				{Path: "/solution/view_schema/screens/*/items/*/slot/id", Array: "/solution/auth_slots", Key: "id",
					Why: "an auth item's copy of the auth slot's id (a config item's id names no auth slot and compares as it is)"},
			},
		},
		Text: []structdiff.Field{
			{Path: "/solution/name", Why: "the solution's name in the catalogue end users pick from"},
			{Path: "/solution/description", Why: "shown beside the name"},
			{Path: "/solution/tags/*", Why: "labels shown in the catalogue"},
			{Path: "/solution/auth_slots/*/title", Why: "the Config Wizard's label for the authentication"},
			{Path: "/solution/auth_slots/*/description", Why: "the Config Wizard's help text"},
			{Path: "/solution/config_slots/*/title", Why: "the Config Wizard's label for the value"},
			{Path: "/solution/config_slots/*/description", Why: "the Config Wizard's help text"},
			{Path: "/solution/view_schema/screens/*/items/*/title", Why: "a public URL's label"},
			{Path: "/solution/view_schema/screens/*/items/*/content", Why: "heading and text items"},
			{Path: "/solution/view_schema/screens/*/items/*/buttonCTA", Why: "an auth item's button text"},
			{Path: "/solution/view_schema/screens/*/items/*/slot/title", Why: "the view's copy of a slot title"},
			{Path: "/solution/view_schema/screens/*/items/*/slot/description", Why: "the view's copy of a slot description"},
			{Path: "/solution/view_schema/screens/*/items/*/dataMapping/*/title", Why: "the titles of a data-mapping item's two sides"},
			{Path: "/solution/view_schema/screens", Why: "the order in which the Config Wizard shows its screens (a reordering)"},
			{Path: "/solution/view_schema/screens/*/items", Why: "the order in which a screen shows its items (a reordering)"},
			{Path: "/workflows/*/title", Why: "the workflow's name in the Tray UI"},
			{Path: "/workflows/*/description", Why: "its description"},
			{Path: "/workflows/*/steps/*/title", Why: "a step's name in the builder"},
			{Path: "/workflows/*/settings/input_schema/**/title", Why: "titles of a callable workflow's input form"},
			{Path: "/workflows/*/settings/input_schema/**/description", Why: "descriptions of a callable workflow's input form"},
			{Path: "/workflows/*/settings/output_schema/**/title", Why: "titles of a workflow's declared output"},
			{Path: "/workflows/*/settings/output_schema/**/description", Why: "descriptions of a workflow's declared output"},
			{Path: "/projects/*/name", Why: "the project's name in the Tray UI"},
		},
		Extents: []coverage.Extent{
			{Rule: ruleWorkflowChanged.ID, Path: "/workflows/*",
				Why: "points at the first changed step, and speaks for every step, the structure and the settings of the workflow"},
			{Rule: ruleAuthSlotRecreated.ID, Path: "/solution/auth_slots/*", Members: []string{"id", "auth_group"},
				Why: "points at id, and speaks for both the id and the auth_group that re-creating the slot changed"},
			{Rule: ruleAuthEnvironmentChanged.ID, Path: "/solution/auth_slots/*", Members: []string{"service_id", "auth_app_id"},
				Why: "points at the first of service_id and auth_app_id that changed, and speaks for both"},
			{Rule: ruleAuthScopesAdded.ID, Path: "/solution/auth_slots/*/scopes",
				Why: "points at the first new scope in alphabetical order, and lists every new scope"},
			{Rule: ruleAuthScopesRemoved.ID, Path: "/solution/auth_slots/*/scopes",
				Why: "points at the first removed scope in alphabetical order, and lists every removed scope"},
		},
		Links: []coverage.Link{
			{Path: "/projects/*/workflows/*", Array: "/workflows", Key: "id",
				Why: "a project lists its workflows by id: the entry comes and goes with the workflow"},
			{Path: "/workflows/*/dependencies/*", Via: "id", Array: "/workflows", Key: "id",
				Why: "a dependency names the workflow called"},
			{Path: "/solution/view_schema/screens/*/items/*", Via: "workflowId", Array: "/workflows", Key: "id",
				Why: "a public-URL item shows a workflow's URL"},
			{Path: "/solution/view_schema/screens/*/items/*", Via: "slot/externalId", Array: "/solution/config_slots", Key: "external_id",
				Why: "a config item shows a camelCase copy of its config slot"},
			{Path: "/solution/view_schema/screens/*/items/*", Via: "slot/externalId", Array: "/solution/auth_slots", Key: "external_id",
				Why: "an auth item shows a camelCase copy of its auth slot"},
		},
		TextRule:  ruleTextChanged,
		OtherRule: ruleOtherChanged,
	}
}
