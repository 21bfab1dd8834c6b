package vnext

import "github.com/breakwater-dev/breakwater/internal/change"

// The vnext/… part of the rule catalogue (docs/rules.md). IDs never
// change meaning once shipped.
var (
	ruleWorkflowRemoved = change.Rule{
		ID: "vnext/workflow-removed", Severity: change.Breaking, Category: change.CatWorkflow,
		Upgrade: change.Manual, Bump: change.BumpPatch,
		FiresWhen: "A workflow definition disappears from the package, or a component listed in vnext.config.json `exports` is no longer exported.",
		Why:       "Running instances of the workflow, and other domains that reference the exported component, lose their definition.",
		Fix:       "Keep the definition (mark it obsolete instead), or publish a major version and migrate running instances and consumers first.",
	}
	ruleStateRemoved = change.Rule{
		ID: "vnext/state-removed", Severity: change.Breaking, Category: change.CatWorkflow,
		Upgrade: change.Manual, Bump: change.BumpPatch,
		FiresWhen: "A state of a workflow disappears (states are matched by `key`).",
		Why:       "Running instances may sit in that state; they cannot continue once it is gone.",
		Fix:       "Keep the state until no instance sits in it, or publish a major version with a migration of the running instances.",
	}
	ruleStateTypeChanged = change.Rule{
		ID: "vnext/state-type-changed", Severity: change.Breaking, Category: change.CatWorkflow,
		Upgrade: change.Manual, Bump: change.BumpPatch,
		FiresWhen: "A state's `stateType` (1 initial, 2 intermediate, 3 final, 4 subflow, 5 wizard) changes.",
		Why:       "Instances in the state behave differently: a state that becomes final ends them, a subflow state starts a subflow they never started.",
		Fix:       "Add a new state with the new type instead of changing this one, or publish a major version and migrate running instances.",
	}
	ruleTransitionRemoved = change.Rule{
		ID: "vnext/transition-removed", Severity: change.Breaking, Category: change.CatWorkflow,
		Upgrade: change.Manual, Bump: change.BumpPatch,
		FiresWhen: "A transition disappears (matched by state and `key`; also the start, shared, cancel, exit and update-data transitions). Reported as a warning when its trigger is automatic or scheduled, since no client calls it.",
		Why:       "Clients that call the transition get an error, and instances waiting in its state may be stuck without a way out.",
		Fix:       "Keep the transition (restrict it with roles or a rule if needed), or publish a major version and update the clients.",
	}
	ruleTransitionTargetChanged = change.Rule{
		ID: "vnext/transition-target-changed", Severity: change.Breaking, Category: change.CatWorkflow,
		Upgrade: change.Manual, Bump: change.BumpPatch,
		FiresWhen: "A transition's `target` state changes (`$self` is read as the owning state).",
		Why:       "Instances that take the transition end up in another state than clients and downstream tasks expect.",
		Fix:       "Add a new transition with the new target and retire the old one, or publish a major version.",
	}
	ruleTransitionTriggerChanged = change.Rule{
		ID: "vnext/transition-trigger-changed", Severity: change.Breaking, Category: change.CatWorkflow,
		Upgrade: change.Manual, Bump: change.BumpPatch,
		FiresWhen: "A transition's `triggerType` (0 manual, 1 automatic, 2 scheduled, 3 event) changes.",
		Why:       "A transition clients used to call now fires on its own (or the reverse), so instances move when nobody expects it or wait forever.",
		Fix:       "Add a new transition with the new trigger instead, or publish a major version and update the clients.",
	}
	ruleReferenceMajorChanged = change.Rule{
		ID: "vnext/reference-major-changed", Severity: change.Breaking, Category: change.CatWorkflow,
		Upgrade: change.Manual, Bump: change.BumpPatch,
		FiresWhen: "A schema, subflow, task, function or extension reference of a workflow moves to another major version or another key (`{ref}` paths are resolved inside the package first).",
		Why:       "The referenced component's contract changes under running instances: data that validated before may not validate, a task may take other input.",
		Fix:       "Check that running instances and clients work with the new component, and publish a major version.",
	}
	ruleRolesNarrowed = change.Rule{
		ID: "vnext/roles-narrowed", Severity: change.Breaking, Category: change.CatAuth,
		Upgrade: change.Manual, Bump: change.BumpPatch,
		FiresWhen: "A transition's `roles` or a state's or workflow's `queryRoles` lose an allow entry or gain a deny entry.",
		Why:       "Users who could call the transition or query the instance are refused after the release.",
		Fix:       "Make sure no current user relies on the removed grant, then accept the change; or keep the grant.",
	}
	ruleVersionStrategyChanged = change.Rule{
		ID: "vnext/version-strategy-changed", Severity: change.Warning, Category: change.CatWorkflow,
		Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
		FiresWhen: "A state's or transition's `versionStrategy` (None, Patch, Minor, Major) changes; an escalation to Major is called out.",
		Why:       "It changes which version the runtime gives instance data when the state is entered or the transition taken; with Major, every such step starts a new major data version that consumers must handle.",
		Fix:       "Check that consumers of the instance data handle the new versioning, especially a move to Major.",
	}
	ruleStateAdded = change.Rule{
		ID: "vnext/state-added", Severity: change.Info, Category: change.CatWorkflow,
		Upgrade: change.NoUpgrade, Bump: change.BumpMinor,
		FiresWhen: "A workflow gains a state.",
		Why:       "Running instances are unaffected until a transition leads into it.",
		Fix:       "Nothing to do.",
	}
	ruleTransitionAdded = change.Rule{
		ID: "vnext/transition-added", Severity: change.Info, Category: change.CatWorkflow,
		Upgrade: change.NoUpgrade, Bump: change.BumpMinor,
		FiresWhen: "A state of an existing workflow gains a transition (also a new shared, cancel, exit or update-data transition).",
		Why:       "Clients can use the new transition; nothing that worked stops working.",
		Fix:       "Nothing to do.",
	}
	ruleWorkflowAdded = change.Rule{
		ID: "vnext/workflow-added", Severity: change.Info, Category: change.CatWorkflow,
		Upgrade: change.NoUpgrade, Bump: change.BumpMinor,
		FiresWhen: "A workflow definition is added to the package.",
		Why:       "New instances can start it; existing ones are unaffected.",
		Fix:       "Nothing to do.",
	}
	// The changes no other rule covers (internal/coverage): text shown to
	// people, and everything else, so that nothing changes silently.
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
		ID: "vnext/other-changed", Severity: change.Info, Category: change.CatOther,
		Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
		FiresWhen: "A value changes that no other vnext/… rule covers, for instance a reference that moves to another " +
			"minor version, a task mapping, or a field a newer tool adds.",
		Why: "Breakwater has no rule for this value, so it cannot say what the change means for running instances; it " +
			"reports it rather than stay silent, as a patch-level change.",
		Fix: "Review the change. If it matters to running instances or consumers, ask for a rule for it, or re-grade or ignore " +
			"vnext/other-changed in .github/breakwater.yml (rules, for some files with paths).",
	}
)

// Rules returns the vnext/… rules of the catalogue.
func Rules() []change.Rule {
	return []change.Rule{
		ruleWorkflowRemoved,
		ruleStateRemoved,
		ruleStateTypeChanged,
		ruleTransitionRemoved,
		ruleTransitionTargetChanged,
		ruleTransitionTriggerChanged,
		ruleReferenceMajorChanged,
		ruleRolesNarrowed,
		ruleVersionStrategyChanged,
		ruleStateAdded,
		ruleTransitionAdded,
		ruleWorkflowAdded,
		ruleTextChanged,
		ruleOtherChanged,
	}
}
