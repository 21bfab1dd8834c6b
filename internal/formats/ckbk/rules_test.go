package ckbk

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
)

// TestRulesMatchCatalogue pins every ckbk/… rule to its row in docs/rules.md.
func TestRulesMatchCatalogue(t *testing.T) {
	type row struct {
		Severity change.Severity
		Category change.Category
		Upgrade  change.Upgrade
		Bump     change.Bump
	}
	want := map[string]row{
		"ckbk/role-removed":             {change.Breaking, change.CatCollectionRole, change.Lazy, change.BumpPatch},
		"ckbk/role-renamed":             {change.Breaking, change.CatCollectionRole, change.Lazy, change.BumpPatch},
		"ckbk/role-added":               {change.Info, change.CatCollectionRole, change.Lazy, change.BumpMinor},
		"ckbk/role-duplicate":           {change.Error, change.CatCollectionRole, change.NoUpgrade, change.BumpPatch},
		"ckbk/delayed-recipe-changed":   {change.Warning, change.CatCollectionRole, change.Lazy, change.BumpPatch},
		"ckbk/recipe-changed":           {change.Info, change.CatCollectionRole, change.Lazy, change.BumpPatch},
		"ckbk/statistic-key-changed":    {change.Warning, change.CatStatistics, change.NoUpgrade, change.BumpPatch},
		"ckbk/statistic-added":          {change.Info, change.CatStatistics, change.NoUpgrade, change.BumpMinor},
		"ckbk/chart-changed":            {change.Info, change.CatStatistics, change.NoUpgrade, change.BumpPatch},
		"ckbk/chart-orphaned":           {change.Warning, change.CatStatistics, change.NoUpgrade, change.BumpPatch},
		"ckbk/userdata-added":           {change.Info, change.CatUserData, change.Lazy, change.BumpMinor},
		"ckbk/userdata-default-changed": {change.Info, change.CatUserData, change.Lazy, change.BumpPatch},
		"ckbk/userdata-missing":         {change.Error, change.CatUserData, change.NoUpgrade, change.BumpPatch},
		"ckbk/metadata-changed":         {change.Info, change.CatMetadata, change.Lazy, change.BumpPatch},
		// Added beyond the product spec (README, "Rules").
		"ckbk/text-changed":  {change.Info, change.CatMetadata, change.Lazy, change.BumpPatch},
		"ckbk/other-changed": {change.Info, change.CatOther, change.Lazy, change.BumpPatch},
	}
	got := map[string]row{}
	for _, r := range Rules() {
		if _, dup := got[r.ID]; dup {
			t.Errorf("rule %s listed twice", r.ID)
		}
		got[r.ID] = row{r.Severity, r.Category, r.Upgrade, r.Bump}
		if !strings.HasPrefix(r.ID, Format+"/") {
			t.Errorf("rule %s outside the %s/ family", r.ID, Format)
		}
		if r.FiresWhen == "" || r.Why == "" || r.Fix == "" {
			t.Errorf("rule %s lacks FiresWhen, Why or Fix", r.ID)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("catalogue (-want +got):\n%s", diff)
	}
}

// TestRulesAreCopies makes sure a caller cannot change the catalogue Diff uses.
func TestRulesAreCopies(t *testing.T) {
	rs := Rules()
	rs[0].Severity = change.Info
	if Rules()[0].Severity == change.Info {
		t.Error("Rules returns shared state")
	}
}
