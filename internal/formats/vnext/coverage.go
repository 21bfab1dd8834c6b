package vnext

import (
	"github.com/breakwater-dev/breakwater/internal/coverage"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// Coverage declares how the files of a package are normalised before their
// changes are accounted for, which values are text shown to people, and how
// far the findings of some rules reach. Definitions are compared by path in
// the package; vnext.config.json and package.json have their own
// normalisation.
func Coverage() coverage.Spec {
	byRef := []string{"key", "ref"}
	return coverage.Spec{
		Structure: structdiff.Spec{
			Arrays: []structdiff.Array{
				{Path: "/attributes/states", Keys: []string{"key"}, Why: "states are matched by key (docs/rules.md)"},
				{Path: "/attributes/states/*/transitions", Keys: []string{"key"}, Why: "transitions are matched by (state, key)"},
				{Path: "/attributes/sharedTransitions", Keys: []string{"key"}, Why: "shared transitions are matched by key"},
				{Path: "/**/labels", Keys: []string{"language"}, Why: "one label per language"},
				{Path: "/**/roles", Keys: []string{"role"}, Why: "role grants, matched by role (a bare name grants it)"},
				{Path: "/**/queryRoles", Keys: []string{"role"}, Why: "as roles"},
				{Path: "/**/onExecutionTasks", Keys: []string{"order", "task/key", "task/ref"},
					Why: "tasks run in the order of their `order`, not of the list"},
				{Path: "/**/onEntries", Keys: []string{"order", "task/key", "task/ref"}, Why: "as onExecutionTasks"},
				{Path: "/**/onExits", Keys: []string{"order", "task/key", "task/ref"}, Why: "as onExecutionTasks"},
				{Path: "/attributes/functions", Keys: byRef, Why: "references to functions, a list without order"},
				{Path: "/attributes/extensions", Keys: byRef, Why: "references to extensions, a list without order"},
				{Path: "/attributes/features", Keys: byRef, Why: "references to features, a list without order"},
				{Path: "/tags", Why: "a set of labels"},
			},
		},
		Files: []coverage.FileStructure{
			{Name: ConfigFile, Structure: structdiff.Spec{
				Arrays: []structdiff.Array{
					{Path: "/exports/*", Why: "the exported file names of one kind, a set"},
					{Path: "/exports/metadata/keywords", Why: "a set"},
					{Path: "/dependencies/*", Why: "dependencies, a set"},
					{Path: "/referenceResolution/allowedHosts", Why: "a set of hosts"},
				},
				Ignore: []structdiff.Field{{Path: "/version", Why: "the package's declared version, judged by the version/… rules"}},
			}},
			{Name: "package.json", Structure: structdiff.Spec{
				Arrays: []structdiff.Array{
					{Path: "/keywords", Why: "a set"},
					{Path: "/files", Why: "the files npm publishes, a set"},
				},
				Ignore: []structdiff.Field{{Path: "/version", Why: "the package's declared version, judged by the version/… rules"}},
			}},
		},
		Text: []structdiff.Field{
			{Path: "/**/labels/*/label", Why: "the name of a workflow, state or transition shown to people, per language"},
			{Path: "/description", Why: "the package's description"},
			{Path: "/exports/metadata/description", Why: "the description of the exported components"},
			{Path: "/attributes/schema/**/title", Why: "titles in a schema definition, shown on forms"},
			{Path: "/attributes/schema/**/description", Why: "descriptions in a schema definition, shown on forms"},
		},
		Extents:   transitionExtents(),
		TextRule:  ruleTextChanged,
		OtherRule: ruleOtherChanged,
	}
}

// transitionExtents: a transition's triggerType decides which of rule,
// timer and triggerKind it must have (the vendor schema says so), so a
// finding about the trigger speaks for them, wherever the transition is.
func transitionExtents() []coverage.Extent {
	var out []coverage.Extent
	for _, p := range []string{"/attributes/states/*/transitions/*", "/attributes/sharedTransitions/*",
		"/attributes/startTransition", "/attributes/cancel", "/attributes/exit", "/attributes/updateData"} {
		out = append(out, coverage.Extent{Rule: ruleTransitionTriggerChanged.ID, Path: p,
			Members: []string{"triggerType", "triggerKind", "rule", "timer"},
			Why:     "points at triggerType, and speaks for the rule, timer and triggerKind the new trigger requires"})
	}
	return out
}
