package ckbk

import "github.com/breakwater-dev/breakwater/internal/change"

// Rule IDs of the ckbk/… family of the rule catalogue (spec/rules.md).
const (
	RuleRoleRemoved          = "ckbk/role-removed"
	RuleRoleRenamed          = "ckbk/role-renamed"
	RuleRoleAdded            = "ckbk/role-added"
	RuleRoleDuplicate        = "ckbk/role-duplicate"
	RuleDelayedRecipeChanged = "ckbk/delayed-recipe-changed"
	// RuleRecipeChanged is not in the published catalogue: it covers a recipe
	// without delayed or time triggers that changes in place, which would
	// otherwise go unreported and require no version bump.
	RuleRecipeChanged          = "ckbk/recipe-changed"
	RuleStatisticKeyChanged    = "ckbk/statistic-key-changed"
	RuleStatisticAdded         = "ckbk/statistic-added"
	RuleChartChanged           = "ckbk/chart-changed"
	RuleChartOrphaned          = "ckbk/chart-orphaned"
	RuleUserDataAdded          = "ckbk/userdata-added"
	RuleUserDataDefaultChanged = "ckbk/userdata-default-changed"
	RuleUserDataMissing        = "ckbk/userdata-missing"
	RuleMetadataChanged        = "ckbk/metadata-changed"
)

// catalogue is built by a function, not a package variable, so no caller can
// mutate the shared rule table.
func catalogue() []change.Rule {
	return []change.Rule{
		{
			ID: RuleRoleRemoved, Severity: change.Breaking, Category: change.CatCollectionRole, Upgrade: change.Lazy, Bump: change.BumpPatch,
			FiresWhen: "A collectionRole disappears from the template.",
			Why:       "Every workspace deletes the recipe on the next template update; triggers already queued against it (delayed sends, reminders) are skipped and never run.",
			Fix:       "Keep the recipe (disable it instead of deleting it) until its queue has drained, or accept the break if nothing can be queued against it.",
		},
		{
			ID: RuleRoleRenamed, Severity: change.Breaking, Category: change.CatCollectionRole, Upgrade: change.Lazy, Bump: change.BumpPatch,
			FiresWhen: "A recipe keeps its id or name but gets a new collectionRole.",
			Why:       "The collectionRole is the recipe's identity across template versions: workspaces see the old recipe deleted and a new one created, so queued entries for the old role do not trigger the renamed recipe.",
			Fix:       "Restore the previous collectionRole; rename the recipe's display name instead if that was the intent.",
		},
		{
			ID: RuleRoleAdded, Severity: change.Info, Category: change.CatCollectionRole, Upgrade: change.Lazy, Bump: change.BumpMinor,
			FiresWhen: "A recipe with a new collectionRole appears.",
			Why:       "Every workspace creates the recipe on the next template update.",
			Fix:       "Nothing to do; release it as a minor version.",
		},
		{
			ID: RuleRoleDuplicate, Severity: change.Error, Category: change.CatCollectionRole, Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
			FiresWhen: "Two recipes in one template share a collectionRole.",
			Why:       "Roles identify recipes across versions; with a duplicate the platform cannot tell which recipe an update or a queued trigger belongs to, and rejects the template.",
			Fix:       "Give each recipe a unique collectionRole.",
		},
		{
			ID: RuleDelayedRecipeChanged, Severity: change.Warning, Category: change.CatCollectionRole, Upgrade: change.Lazy, Bump: change.BumpPatch,
			FiresWhen: "A recipe with a delayed or time trigger (TIME, or RECIPE with delaySeconds > 0) changes its triggers, conditions or actions in place.",
			Why:       "Triggers already queued for this recipe run the new version when they fire, with the data the old version queued, so the change must be backward compatible.",
			Fix:       "Make sure the new version works for entries queued by the old one; if it does not, give the changed recipe a new collectionRole so queued entries keep their meaning.",
		},
		{
			ID: RuleRecipeChanged, Severity: change.Info, Category: change.CatCollectionRole, Upgrade: change.Lazy, Bump: change.BumpPatch,
			FiresWhen: "A recipe without delayed or time triggers changes its triggers, conditions, actions or elseActions in place.",
			Why:       "Every workspace runs the new version from its next trigger; nothing is queued against it.",
			Fix:       "Nothing to do; release it as a patch version.",
		},
		{
			ID: RuleStatisticKeyChanged, Severity: change.Warning, Category: change.CatStatistics, Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
			FiresWhen: "An UpdateStatisticsAction changes its groupIdentifier or key.",
			Why:       "Statistics are kept across updates under their old group and key: the legacy figures stop showing on the charts, which now read the new ones from zero.",
			Fix:       "Keep the previous groupIdentifier and key, or add a chart for the legacy data and tell workspace owners the figures restart.",
		},
		{
			ID: RuleStatisticAdded, Severity: change.Info, Category: change.CatStatistics, Upgrade: change.NoUpgrade, Bump: change.BumpMinor,
			FiresWhen: "A recipe starts writing a (groupIdentifier, key) pair that no recipe wrote before.",
			Why:       "The new statistic starts from zero beside legacy data, so figures shown side by side can disagree.",
			Fix:       "Nothing to do; mention in the release notes that the new figures start at the update.",
		},
		{
			ID: RuleChartChanged, Severity: change.Info, Category: change.CatStatistics, Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
			FiresWhen: "A chart (matched by title) is added, removed or changed.",
			Why:       "Charts are always replaced by the template's charts on update; the statistics behind them are kept.",
			Fix:       "Nothing to do.",
		},
		{
			ID: RuleChartOrphaned, Severity: change.Warning, Category: change.CatStatistics, Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
			FiresWhen: "A chart reads a groupIdentifier that no recipe writes.",
			Why:       "The chart only shows legacy data and never moves again.",
			Fix:       "Point the chart at a groupIdentifier a recipe writes, or remove the chart.",
		},
		{
			ID: RuleUserDataAdded, Severity: change.Info, Category: change.CatUserData, Upgrade: change.Lazy, Bump: change.BumpMinor,
			FiresWhen: "A new UserData entry appears.",
			Why:       "Its value is saved in every workspace on the next template update.",
			Fix:       "Nothing to do; release it as a minor version.",
		},
		{
			ID: RuleUserDataDefaultChanged, Severity: change.Info, Category: change.CatUserData, Upgrade: change.Lazy, Bump: change.BumpPatch,
			FiresWhen: "A UserData entry's value changes.",
			Why:       "Workspaces that edited the entry keep their own value; the others get the new one, so workspaces can end up behaving differently.",
			Fix:       "Nothing to do; tell workspace owners who customised the entry if they should adopt the new value.",
		},
		{
			ID: RuleUserDataMissing, Severity: change.Error, Category: change.CatUserData, Upgrade: change.NoUpgrade, Bump: change.BumpPatch,
			FiresWhen: "A recipe references ${userData['k']} and the template has no UserData entry k.",
			Why:       "The reference resolves to nothing in every workspace: messages go out with the placeholder empty or the recipe fails.",
			Fix:       "Add the UserData entry k, or fix the reference's spelling.",
		},
		{
			ID: RuleMetadataChanged, Severity: change.Info, Category: change.CatMetadata, Upgrade: change.Lazy, Bump: change.BumpPatch,
			FiresWhen: "The collection's type, description or introText changes.",
			Why:       "Every workspace shows the new text after the next template update.",
			Fix:       "Nothing to do.",
		},
	}
}

// ruleByID indexes the catalogue for Diff.
func ruleByID() map[string]change.Rule {
	rules := catalogue()
	m := make(map[string]change.Rule, len(rules))
	for _, r := range rules {
		m[r.ID] = r
	}
	return m
}
