package ckbk

import (
	"github.com/breakwater-dev/breakwater/internal/coverage"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// Coverage declares how a template is normalised before its changes are
// accounted for, which values are text shown to people, and how far the
// findings of some rules reach.
func Coverage() coverage.Spec {
	parts := []string{"triggers", "conditions", "actions", "elseActions"}
	var empty []structdiff.Field
	for _, p := range parts {
		empty = append(empty, structdiff.Field{Path: "/recipes/*/" + p,
			Why: "an absent " + p + " list is an empty one, as the differ reads it"})
	}
	return coverage.Spec{
		Structure: structdiff.Spec{
			Arrays: []structdiff.Array{
				{Path: "/recipes", Keys: []string{"collectionRole"},
					Why: "recipes are matched by collectionRole, their identity across template versions; their order means nothing"},
				{Path: "/recipes/*/triggers/*/data/callingRecipeIds",
					Why: "the calling recipes, a set, compared by the roles the ids resolve to"},
				{Path: "/charts", Keys: []string{"title"}, Why: "charts are matched by title"},
				{Path: "/userData/properties", Keys: []string{"key"}, Why: "UserData entries are matched by key"},
				{Path: "/UserData/properties", Keys: []string{"key"}, Why: "the same, spelled UserData"},
			},
			Ignore: []structdiff.Field{
				{Path: "/recipes/*/id", Why: "recipe ids are renumbered between template versions; the collectionRole is the " +
					"identity, and callers are compared by the roles their ids resolve to"},
				{Path: "/version", Why: "the declared version, judged by the version/… rules"},
			},
			Empty: empty,
			References: []structdiff.Reference{
				{Path: "/recipes/*/triggers/*/data/callingRecipeIds/*", Array: "/recipes", Key: "id",
					Why: "a RECIPE trigger names its callers by id, which are renumbered; their roles are stable"},
			},
		},
		Text: []structdiff.Field{
			{Path: "/name", Why: "the template's name"},
			{Path: "/description", Why: "the template's description"},
			{Path: "/author", Why: "shown with the template"},
			{Path: "/collection/description", Why: "the collection's description"},
			{Path: "/collection/introText", Why: "the text that introduces the collection to its members"},
			{Path: "/recipes/*/name", Why: "a recipe's name in the workspace"},
			{Path: "/recipes/*/description", Why: "a recipe's description"},
			{Path: "/userData/properties/*/description", Why: "the help text of a UserData entry"},
			{Path: "/userData/properties/*/userFriendlyName", Why: "the label of a UserData entry"},
			{Path: "/charts/*/title", Why: "a chart's title"},
		},
		Extents: []coverage.Extent{
			{Rule: ruleRoleAdded.ID, Path: "/recipes/*", Why: "points at the collectionRole of the recipe it adds"},
			{Rule: ruleRoleRemoved.ID, Path: "/recipes/*", Why: "points at the collectionRole of the recipe it removes"},
			{Rule: ruleRoleRenamed.ID, Path: "/recipes/*", Why: "points at the new collectionRole, and speaks for the renamed recipe"},
			{Rule: ruleRecipeChanged.ID, Path: "/recipes/*/*", Why: "points at the first difference, and speaks for the whole part (triggers, conditions, actions or elseActions)"},
			{Rule: ruleDelayedRecipeChanged.ID, Path: "/recipes/*/*", Why: "as ckbk/recipe-changed"},
			{Rule: ruleChartChanged.ID, Path: "/charts/*", Why: "points at the first difference, and speaks for the chart"},
		},
		TextRule:  ruleTextChanged,
		OtherRule: ruleOtherChanged,
	}
}
