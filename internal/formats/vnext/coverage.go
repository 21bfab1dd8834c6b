package vnext

import (
	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/coverage"
	"github.com/breakwater-dev/breakwater/internal/structdiff"
)

// Coverage declares how the files of a package are normalised before their
// changes are accounted for, which values are text shown to people, and how
// far the findings of some rules reach. Definitions are compared by path in
// the package; vnext.config.json and package.json have their own
// normalisation. Not yet registered: the engine wires it in (issue 11,
// phase 2).
func Coverage() coverage.Spec {
	byRef := []string{"key", "ref"}
	return coverage.Spec{
		Structure: structdiff.Spec{
			Arrays: []structdiff.Array{
				{Path: "/attributes/states", Keys: []string{"key"}, Why: "states are matched by key (spec: rules.md)"},
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
		TextRule:  ruleTextChanged,
		OtherRule: ruleOtherChanged,
	}
}

// Draft rules for the changes no other rule covers (issue 11). Phase 2
// adds them to Rules() and to docs/rules.md.
var (
	ruleTextChanged = change.Rule{
		ID: "vnext/text-changed", Severity: change.Info, Category: change.CatMetadata,
		Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
		FiresWhen: "Text shown to people changes: a label of a workflow, state or transition, a package description, or " +
			"a title or description in a schema definition.",
		Why: "Running instances are not affected; clients show the new text once the package is deployed. It still " +
			"changes what the package ships, so it asks for a patch version.",
		Fix: "Check the wording and that every language still has its label.",
	}
	ruleOtherChanged = change.Rule{
		ID: "vnext/other-changed", Severity: change.Info, Category: change.Category("other"),
		Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
		FiresWhen: "A value changes that no other vnext/… rule covers, for instance a reference that moves to another " +
			"minor version, a task mapping, or a field a newer tool adds.",
		Why: "Breakwater has no rule for this value, so it cannot say what the change means for running instances; it " +
			"reports it rather than stay silent, as a patch-level change.",
		Fix: "Review the change. If it matters to running instances or consumers, ask for a rule for it, or re-grade " +
			"vnext/other-changed for these paths in .github/breakwater.yml.",
	}
)
