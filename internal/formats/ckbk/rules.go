package ckbk

import "github.com/breakwater-dev/breakwater/internal/change"

// The ckbk/… part of the rule catalogue (docs/rules.md). These values are
// never modified; Rules hands out a copy.
var (
	ruleRoleRemoved = change.Rule{
		ID: "ckbk/role-removed", Severity: change.Breaking, Category: change.CatCollectionRole, Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "A collectionRole disappears from the template.",
		Why:       "Every workspace deletes the recipe on the next template update; triggers already queued against it (delayed sends, reminders) are skipped and never run.",
		Fix:       "Keep the recipe (disable it instead of deleting it) until its queue has drained, or accept the break if nothing can be queued against it.",
	}
	ruleRoleRenamed = change.Rule{
		ID: "ckbk/role-renamed", Severity: change.Breaking, Category: change.CatCollectionRole, Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "A recipe keeps its id or name but gets a new collectionRole.",
		Why:       "The collectionRole is the recipe's identity across template versions: workspaces see the old recipe deleted and a new one created, so queued entries for the old role do not trigger the renamed recipe.",
		Fix:       "Restore the previous collectionRole; rename the recipe's display name instead if that was the intent.",
	}
	ruleRoleAdded = change.Rule{
		ID: "ckbk/role-added", Severity: change.Info, Category: change.CatCollectionRole, Upgrade: change.Lazy, Bump: change.BumpMinor,
		FiresWhen: "A recipe with a new collectionRole appears.",
		Why:       "Every workspace creates the recipe on the next template update.",
		Fix:       "Nothing to do; release it as a minor version.",
	}
	ruleRoleDuplicate = change.Rule{
		ID: "ckbk/role-duplicate", Severity: change.Error, Category: change.CatCollectionRole, Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
		FiresWhen: "Two recipes in one template share a collectionRole.",
		Why:       "Roles identify recipes across versions; with a duplicate the platform cannot tell which recipe an update or a queued trigger belongs to, and rejects the template.",
		Fix:       "Give each recipe a unique collectionRole.",
	}
	ruleDelayedRecipeChanged = change.Rule{
		ID: "ckbk/delayed-recipe-changed", Severity: change.Warning, Category: change.CatCollectionRole, Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "A recipe with a delayed or time trigger (TIME, or RECIPE with delaySeconds > 0) changes its triggers, conditions or actions in place.",
		Why:       "Triggers already queued for this recipe run the new version when they fire, with the data the old version queued, so the change must be backward compatible.",
		Fix:       "Make sure the new version works for entries queued by the old one; if it does not, give the changed recipe a new collectionRole so queued entries keep their meaning.",
	}
	// ruleRecipeChanged is not in the product's first catalogue: it covers a
	// recipe without delayed or time triggers that changes in place, which
	// would otherwise go unreported and require no version bump.
	ruleRecipeChanged = change.Rule{
		ID: "ckbk/recipe-changed", Severity: change.Info, Category: change.CatCollectionRole, Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "A recipe without delayed or time triggers changes its triggers, conditions, actions or elseActions in place.",
		Why:       "Every workspace runs the new version from its next trigger; nothing is queued against it.",
		Fix:       "Nothing to do; release it as a patch version.",
	}
	ruleStatisticKeyChanged = change.Rule{
		ID: "ckbk/statistic-key-changed", Severity: change.Warning, Category: change.CatStatistics, Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
		FiresWhen: "An UpdateStatisticsAction changes its groupIdentifier or key.",
		Why:       "Statistics are kept across updates under their old group and key: the legacy figures stop showing on the charts, which now read the new ones from zero.",
		Fix:       "Keep the previous groupIdentifier and key, or add a chart for the legacy data and tell workspace owners the figures restart.",
	}
	ruleStatisticAdded = change.Rule{
		ID: "ckbk/statistic-added", Severity: change.Info, Category: change.CatStatistics, Upgrade: change.NoUpgrade, Bump: change.BumpMinor,
		FiresWhen: "A recipe starts writing a (groupIdentifier, key) pair that no recipe wrote before.",
		Why:       "The new statistic starts from zero beside legacy data, so figures shown side by side can disagree.",
		Fix:       "Nothing to do; mention in the release notes that the new figures start at the update.",
	}
	ruleChartChanged = change.Rule{
		ID: "ckbk/chart-changed", Severity: change.Info, Category: change.CatStatistics, Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
		FiresWhen: "A chart (matched by title) is added, removed or changed.",
		Why:       "Charts are always replaced by the template's charts on update; the statistics behind them are kept.",
		Fix:       "Nothing to do.",
	}
	ruleChartOrphaned = change.Rule{
		ID: "ckbk/chart-orphaned", Severity: change.Warning, Category: change.CatStatistics, Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
		FiresWhen: "A chart reads a groupIdentifier that no recipe writes.",
		Why:       "The chart only shows legacy data and never moves again.",
		Fix:       "Point the chart at a groupIdentifier a recipe writes, or remove the chart.",
	}
	ruleUserDataAdded = change.Rule{
		ID: "ckbk/userdata-added", Severity: change.Info, Category: change.CatUserData, Upgrade: change.Lazy, Bump: change.BumpMinor,
		FiresWhen: "A new UserData entry appears.",
		Why:       "Its value is saved in every workspace on the next template update.",
		Fix:       "Nothing to do; release it as a minor version.",
	}
	ruleUserDataDefaultChanged = change.Rule{
		ID: "ckbk/userdata-default-changed", Severity: change.Info, Category: change.CatUserData, Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "A UserData entry's value changes.",
		Why:       "Workspaces that edited the entry keep their own value; the others get the new one, so workspaces can end up behaving differently.",
		Fix:       "Nothing to do; tell workspace owners who customised the entry if they should adopt the new value.",
	}
	ruleUserDataMissing = change.Rule{
		ID: "ckbk/userdata-missing", Severity: change.Error, Category: change.CatUserData, Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
		FiresWhen: "A recipe references ${userData['k']} and the template has no UserData entry k.",
		Why:       "The reference resolves to nothing in every workspace: messages go out with the placeholder empty or the recipe fails.",
		Fix:       "Add the UserData entry k, or fix the reference's spelling.",
	}
	ruleMetadataChanged = change.Rule{
		ID: "ckbk/metadata-changed", Severity: change.Info, Category: change.CatMetadata, Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "The collection's type, description or introText changes.",
		Why:       "Every workspace shows the new text after the next template update.",
		Fix:       "Nothing to do.",
	}
	// The changes no other rule covers (internal/coverage): text shown to
	// people, and everything else, so that nothing changes silently.
	ruleTextChanged = change.Rule{
		ID: "ckbk/text-changed", Severity: change.Info, Category: change.CatMetadata,
		Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "Text shown to people changes: the name, description or author of the template, a recipe's name or " +
			"description, a UserData entry's label or help text, or a chart's title.",
		Why: "Nothing queued or counted changes; every workspace shows the new text after the update. It still changes " +
			"what the template ships, so it asks for a patch version.",
		Fix: "Check the wording; nothing else to do.",
	}
	ruleOtherChanged = change.Rule{
		ID: "ckbk/other-changed", Severity: change.Info, Category: change.CatOther,
		Upgrade: change.Lazy, Bump: change.BumpPatch,
		FiresWhen: "A value changes that no other ckbk/… rule covers, including fields a newer template version adds.",
		Why: "Breakwater has no rule for this value, so it cannot say what the change means for queued work and " +
			"statistics; it reports it rather than stay silent, as a patch-level change every workspace receives with the update.",
		Fix: "Review the change in the template. If it matters to workspaces, ask for a rule for it, or re-grade or ignore " +
			"ckbk/other-changed in .github/breakwater.yml (rules, for some files with paths).",
	}
)

// Rules is the ckbk/… part of the rule catalogue.
func Rules() []change.Rule {
	return []change.Rule{
		ruleRoleRemoved, ruleRoleRenamed, ruleRoleAdded, ruleRoleDuplicate, ruleDelayedRecipeChanged, ruleRecipeChanged, ruleStatisticKeyChanged, ruleStatisticAdded, ruleChartChanged, ruleChartOrphaned, ruleUserDataAdded, ruleUserDataDefaultChanged, ruleUserDataMissing, ruleMetadataChanged,
		ruleTextChanged, ruleOtherChanged,
	}
}
