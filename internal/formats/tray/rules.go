package tray

import "github.com/breakwater-dev/breakwater/internal/change"

// The tray/… part of the rule catalogue (docs/rules.md). These values are
// never modified; Rules hands out a copy.
var (
	ruleAuthSlotAdded = change.Rule{
		ID: "tray/auth-slot-added", Severity: change.Breaking, Category: change.CatAuth,
		Upgrade: change.UserInput, Bump: change.BumpMinor,
		FiresWhen: "A new auth slot appears: the solution needs a service it did not authenticate before.",
		Why: "Deployed instances have no authentication for the new slot. Steps that use it fail until the instance is " +
			"upgraded with an auth value: the end user runs the Config Wizard again to authenticate the service.",
		Fix: "Plan an upgrade of every instance (upgradeSolutionInstance with the new authValues) and tell end users to " +
			"re-run the Config Wizard; a hidden or static slot can be filled by the integration owner without them.",
	}
	ruleAuthServiceAdded = change.Rule{
		ID: "tray/auth-service-added", Severity: change.Breaking, Category: change.CatAuth,
		Upgrade: change.UserInput, Bump: change.BumpMinor,
		FiresWhen: "A workflow step uses a service (authentication.service_name) that no step used before.",
		Why: "Existing instances hold no authentication for this service, so the step cannot run until someone " +
			"authenticates it; in a solution that means the end user re-runs the Config Wizard.",
		Fix: "Add an auth slot for the service to the solution and upgrade instances with its authValues, or reuse " +
			"an authentication the instances already have.",
	}
	ruleAuthScopesAdded = change.Rule{
		ID: "tray/auth-scopes-added", Severity: change.Breaking, Category: change.CatAuth,
		Upgrade: change.UserInput, Bump: change.BumpMinor,
		FiresWhen: "An auth slot gains one or more scopes.",
		Why: "Authentications granted by end users carry the old scopes only; calls that need the new scopes are " +
			"refused until each end user re-authorises through the Config Wizard.",
		Fix: "Check that the new scopes are really needed; if so, plan an upgrade in which end users re-authenticate " +
			"and keep the workflows working with the old scopes until they have.",
	}
	ruleAuthScopesRemoved = change.Rule{
		ID: "tray/auth-scopes-removed", Severity: change.Info, Category: change.CatAuth,
		Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "An auth slot loses scopes.",
		Why: "Existing authentications keep the scopes they were granted, which is more than enough; new " +
			"authentications ask for less. Instances pick the release up by themselves.",
		Fix: "Nothing to do, unless a step still calls an API that needs a removed scope.",
	}
	ruleAuthServiceVersionChanged = change.Rule{
		ID: "tray/auth-service-version-changed", Severity: change.Breaking, Category: change.CatAuth,
		Upgrade: change.UserInput, Bump: change.BumpPatch,
		FiresWhen: "A step using an auth slot's auth_group changes authentication.service_version.",
		Why: "Authentications are bound to a service version; the authentications of existing instances belong to " +
			"the old one, so the end user has to authenticate again with the new service version.",
		Fix: "Keep the old service version if you can; otherwise plan an upgrade in which end users re-authenticate.",
	}
	ruleAuthEnvironmentChanged = change.Rule{
		ID: "tray/auth-environment-changed", Severity: change.Breaking, Category: change.CatAuth,
		Upgrade: change.UserInput, Bump: change.BumpPatch,
		FiresWhen: "An auth slot's service_id or auth_app_id changes (a new service environment or OAuth app).",
		Why: "Authentications created against the old service or OAuth app are not valid for the new one; end users " +
			"must authenticate again through the Config Wizard.",
		Fix: "Revert to the previous service/OAuth app if the change was accidental; otherwise plan an upgrade in " +
			"which end users re-authenticate.",
	}
	ruleAuthSlotRecreated = change.Rule{
		ID: "tray/auth-slot-recreated", Severity: change.Breaking, Category: change.CatAuth,
		Upgrade: change.SystemInput, Bump: change.BumpPatch,
		FiresWhen: "An auth slot's id or auth_group changes while its service, app and scopes stay the same.",
		Why: "The slot was re-created: instances still point at the old slot and its auth group, so steps lose their " +
			"authentication until the instance is upgraded. The end user need not act: the existing authentication " +
			"is still valid.",
		Fix: "Upgrade every instance with upgradeSolutionInstance, passing the same authId in authValues for the " +
			"slot's external_id.",
	}
	ruleAuthSlotRemoved = change.Rule{
		ID: "tray/auth-slot-removed", Severity: change.Warning, Category: change.CatAuth,
		Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "An auth slot disappears.",
		Why: "Instances keep the authentication they stored for the slot, but nothing uses it any more: the auth " +
			"values are orphaned.",
		Fix: "Make sure no step still needs the service, and clean up orphaned authentications if you care.",
	}
	ruleConfigTypeChanged = change.Rule{
		ID: "tray/config-type-changed", Severity: change.Breaking, Category: change.CatConfig,
		Upgrade: change.UserInput, Bump: change.BumpPatch,
		FiresWhen: "A config slot's type changes.",
		Why: "Values stored by existing instances have the old type; workflows reading the slot get a value of the " +
			"wrong type until the end user enters a new one in the Config Wizard.",
		Fix: "Add a new slot with the new type instead, or upgrade instances with converted configValues.",
	}
	ruleConfigDDLChanged = change.Rule{
		ID: "tray/config-ddl-changed", Severity: change.Breaking, Category: change.CatConfig,
		Upgrade: change.UserInput, Bump: change.BumpPatch,
		FiresWhen: "A dynamic-dropdown config slot's lookup (operation or input) changes.",
		Why: "The value an end user picked came from the old lookup and may not be a valid choice any more; the end " +
			"user has to pick again in the Config Wizard.",
		Fix: "Keep the lookup compatible with stored values, or plan an upgrade in which end users pick again.",
	}
	ruleConfigDDLAuthChanged = change.Rule{
		ID: "tray/config-ddl-auth-changed", Severity: change.Breaking, Category: change.CatConfig,
		Upgrade: change.UserInput, Bump: change.BumpPatch,
		FiresWhen: "A config slot linked to an auth slot (auth_slot_id, as dynamic dropdowns have) gets another link, " +
			"or the auth slot it links to is re-created.",
		Why: "The slot's choices are loaded with the linked authentication; stored values came from the old one and " +
			"the end user has to pick again in the Config Wizard.",
		Fix: "Keep the link to the same auth slot, or plan an upgrade in which end users pick the value again.",
	}
	ruleConfigSlotAddedRequired = change.Rule{
		ID: "tray/config-slot-added-required", Severity: change.Breaking, Category: change.CatConfig,
		Upgrade: change.UserInput, Bump: change.BumpMinor,
		FiresWhen: "A new config slot is required and has no default to fall back to.",
		Why: "Existing instances have no value for the slot, and the slot is required: the end user must fill it in " +
			"the Config Wizard (for a hidden or static slot, the integration owner passes it in configValues).",
		Fix: "Give the slot a default and set use_default_value, make it optional, or plan an upgrade that supplies " +
			"the value.",
	}
	ruleConfigSlotAddedOptional = change.Rule{
		ID: "tray/config-slot-added-optional", Severity: change.Info, Category: change.CatConfig,
		Upgrade: change.Lazy, Bump: change.BumpMinor,
		FiresWhen: "A new config slot is optional or falls back to its default value.",
		Why:       "Existing instances run with the default (or without a value) and pick the release up by themselves.",
		Fix:       "Make sure the workflows cope with the slot being empty or at its default.",
	}
	ruleConfigSlotRemoved = change.Rule{
		ID: "tray/config-slot-removed", Severity: change.Warning, Category: change.CatConfig,
		Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "A config slot disappears.",
		Why:       "Values stored by existing instances for the slot are orphaned; nothing reads them any more.",
		Fix:       "Make sure no workflow still reads $.config of the removed slot.",
	}
	ruleConfigDefaultChanged = change.Rule{
		ID: "tray/config-default-changed", Severity: change.Info, Category: change.CatConfig,
		Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
		FiresWhen: "A config slot's default value changes.",
		Why: "Existing instances keep the value they stored; only new instances (and slots that use the default) " +
			"see the new default.",
		Fix: "If existing instances need the new value, upgrade them with configValues.",
	}
	ruleWorkflowAdded = change.Rule{
		ID: "tray/workflow-added", Severity: change.Info, Category: change.CatWorkflow,
		Upgrade: change.Lazy, Bump: change.BumpMinor,
		FiresWhen: "A workflow is added.",
		Why:       "Instances get the new workflow about 2 minutes after the release is published.",
		Fix:       "Nothing to do.",
	}
	ruleWorkflowRemoved = change.Rule{
		ID: "tray/workflow-removed", Severity: change.Warning, Category: change.CatWorkflow,
		Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "A workflow is removed.",
		Why: "Instances lose the workflow when they pick the release up; anything calling it (public URLs, " +
			"callable-workflow steps, external webhooks) stops working.",
		Fix: "Check that nothing still calls the workflow.",
	}
	ruleWorkflowChanged = change.Rule{
		ID: "tray/workflow-changed", Severity: change.Info, Category: change.CatWorkflow,
		Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "Steps, structure or settings of a workflow change.",
		Why: "Instances run the new workflow about 2 minutes after the release is published; a workflow on a " +
			"scheduled trigger only at its next scheduled run. Runs in progress finish on the old version.",
		Fix: "Make sure the change copes with data written by the previous version.",
	}
	ruleConnectorVersionChanged = change.Rule{
		ID: "tray/connector-version-changed", Severity: change.Info, Category: change.CatWorkflow,
		Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "A step's connector.version changes without a change of its service version.",
		Why:       "Instances use the new connector version once they pick the release up; the authentication stays valid.",
		Fix:       "Check the connector's changelog for changed inputs or outputs of the operation.",
	}
	// The changes no other rule covers (internal/coverage): text shown to
	// people, and everything else, so that nothing changes silently.
	ruleTextChanged = change.Rule{
		ID: "tray/text-changed", Severity: change.Info, Category: change.CatMetadata,
		Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "Text shown to people changes: a title, description or label of the solution, a slot, a Config Wizard item, " +
			"a workflow or a step; or the Config Wizard shows its screens, or a screen its items, in another order.",
		Why: "Nothing breaks: instances pick the new text up with the release, and end users see it the next time they open " +
			"the Config Wizard. It still changes what the release ships, so it asks for a patch version.",
		Fix: "Check the wording; nothing else to do.",
	}
	ruleOtherChanged = change.Rule{
		ID: "tray/other-changed", Severity: change.Info, Category: change.CatOther,
		Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "A value changes that no other tray/… rule covers, including fields a newer exporter adds.",
		Why: "Breakwater has no rule for this value, so it cannot say what the change means for deployed instances; it " +
			"reports it rather than stay silent, as a patch-level change that instances pick up with the release.",
		Fix: "Review the change in the export. If it matters to deployed instances, ask for a rule for it, or re-grade or ignore " +
			"tray/other-changed in .github/breakwater.yml (rules, for some files with paths).",
	}
)

// Rules is the tray/… part of the rule catalogue.
func Rules() []change.Rule {
	return []change.Rule{
		ruleAuthSlotAdded, ruleAuthServiceAdded, ruleAuthScopesAdded, ruleAuthScopesRemoved,
		ruleAuthServiceVersionChanged, ruleAuthEnvironmentChanged, ruleAuthSlotRecreated, ruleAuthSlotRemoved,
		ruleConfigTypeChanged, ruleConfigDDLChanged, ruleConfigDDLAuthChanged, ruleConfigSlotAddedRequired,
		ruleConfigSlotAddedOptional, ruleConfigSlotRemoved, ruleConfigDefaultChanged,
		ruleWorkflowAdded, ruleWorkflowRemoved, ruleWorkflowChanged, ruleConnectorVersionChanged,
		ruleTextChanged, ruleOtherChanged,
	}
}
