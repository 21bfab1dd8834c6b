// Package rules holds the rule catalogue and classification: it turns the
// raw findings of the format differs into a report under a policy — overrides,
// acceptances, the required and declared version bump, and the verdict.
package rules

import (
	"sort"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/formats/registry"
)

// Rule IDs of the families this package owns (the format packages own
// theirs).
const (
	BumpInsufficient = "version/bump-insufficient"
	NotSemver        = "version/not-semver"
	Downgrade        = "version/downgrade"

	ArtifactMoved       = "artifact/moved"
	ArtifactRemoved     = "artifact/removed"
	ArtifactBaseInvalid = "artifact/base-invalid"
)

// Catalogue is the set of rules, looked up by ID, and the families they
// belong to.
type Catalogue struct {
	byID     map[string]change.Rule
	all      []change.Rule
	families []change.Family
}

// Default is the catalogue of docs/rules.md for the registry's formats.
func Default() *Catalogue { return ForFormats(registry.Default()) }

// ForFormats is every format's rules plus the rules of the pipeline itself:
// versions and input.
func ForFormats(reg *formats.Registry) *Catalogue {
	var fams []change.Family
	var all []change.Rule
	for _, f := range reg.All() {
		fams = append(fams, f.Family())
		all = append(all, f.Rules()...)
	}
	fams = append(fams, ownFamilies()...)
	all = append(all, artifactRules()...)
	all = append(all, versionRules()...)
	all = append(all, inputRules()...)
	return New(all, fams...)
}

// New builds a catalogue; a duplicate ID, or a rule outside every family
// (when families are given), is a programming error.
func New(all []change.Rule, families ...change.Family) *Catalogue {
	c := &Catalogue{byID: make(map[string]change.Rule, len(all)), all: all, families: families}
	for _, r := range all {
		if _, dup := c.byID[r.ID]; dup {
			panic("rules: duplicate rule ID " + r.ID)
		}
		if len(families) > 0 && c.family(r.ID) == nil {
			panic("rules: rule " + r.ID + " belongs to no family")
		}
		c.byID[r.ID] = r
	}
	return c
}

// Families are the rule families in the order the reference shows them.
func (c *Catalogue) Families() []change.Family { return append([]change.Family(nil), c.families...) }

func (c *Catalogue) family(id string) *change.Family {
	for i := range c.families {
		if strings.HasPrefix(id, c.families[i].Prefix) {
			return &c.families[i]
		}
	}
	return nil
}

// ownFamilies are the families of the rules this package owns.
func ownFamilies() []change.Family {
	return []change.Family{
		{Prefix: "artifact/", Title: "Whole artifacts, all formats", Intro: "An artifact is one export file, or one package directory. Artifacts are paired across versions by their identity (a Tray solution or project id, a `.ckbk` template's name, a vNext package's name) before their path, like git's rename detection, so a moved file is compared with its old version."},
		{Prefix: "version/", Title: "Versioning", Intro: "The required bump follows SemVer: any breaking finding → major; any addition → minor; any other change → patch."},
		{Prefix: "input/", Title: "Invalid input", Intro: "These stop the run with exit code 2 and a message naming file, line and column."},
	}
}

// Rule looks a rule up by ID.
func (c *Catalogue) Rule(id string) (change.Rule, bool) {
	r, ok := c.byID[id]
	return r, ok
}

// Has reports whether id names a rule.
func (c *Catalogue) Has(id string) bool {
	_, ok := c.byID[id]
	return ok
}

// All returns the rules sorted by ID.
func (c *Catalogue) All() []change.Rule {
	out := append([]change.Rule(nil), c.all...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ArtifactRules are the artifact/… rules: the engine, which pairs the
// artifacts of both sides, reports them.
func ArtifactRules() []change.Rule { return artifactRules() }

func artifactRules() []change.Rule {
	return []change.Rule{
		{
			ID: ArtifactMoved, Severity: change.Info, Category: change.CatArtifact, Upgrade: change.NoUpgrade, Bump: change.BumpNone,
			FiresWhen: "an artifact is found at another path than before, by its identity; it is compared with its old version as one artifact",
			Why:       "Moving or renaming a file changes nothing that is deployed; the changes inside it are reported as for a file that stayed put.",
			Fix:       "Nothing to do.",
		},
		{
			ID: ArtifactRemoved, Severity: change.Breaking, Category: change.CatArtifact, Upgrade: change.Manual, Bump: change.BumpPatch,
			FiresWhen: "a whole artifact disappears: no head file has its identity, nor its path",
			Why:       "Whatever was deployed from it (solution instances, workspace recipes, running workflow instances) is left without the definition it was released from, and nothing in the release says what should become of it.",
			Fix:       "If the file only moved, keep its identity (solution or project id, template name, package name) so that it is paired as a move. If the artifact is retired, retire what was deployed from it first, then accept the break.",
		},
		{
			ID: ArtifactBaseInvalid, Severity: change.Info, Category: change.CatArtifact, Upgrade: change.NoUpgrade, Bump: change.BumpNone,
			FiresWhen: "the base version of a file cannot be read (invalid JSON, a schema violation, not of its configured format) while the head can: the head is compared as a new artifact",
			Why:       "The base could not have been released as it is, so nothing deployed can break against it; a change that fixes the file must be able to pass.",
			Fix:       "Nothing to do about the base. Review the head as a whole: no change inside it was compared with the base.",
		},
	}
}

func versionRules() []change.Rule {
	return []change.Rule{
		{
			ID: BumpInsufficient, Severity: change.Error, Category: change.CatVersion, Upgrade: change.NoUpgrade,
			FiresWhen: "the declared version bump is smaller than the bump the changes require (SemVer: breaking → major, additions → minor, other changes → patch)",
			Why:       "Deployed instances and the people who upgrade them read the version to judge the risk: a breaking change released as a minor or patch version is upgraded without the care it needs.",
			Fix:       "Raise the declared version (the artifact's own version, else package.json) to at least the required bump, or, if a finding is not really breaking, re-grade its rule in .github/breakwater.yml.",
		},
		{
			ID: Downgrade, Severity: change.Error, Category: change.CatVersion, Upgrade: change.NoUpgrade,
			FiresWhen: "the head declares a lower version than the base",
			Why:       "Registries, runtimes and the people who upgrade order releases by version: a lower version is taken for an older release, so it is not installed as an upgrade, or it is refused because a higher one exists.",
			Fix:       "Declare a version above the base's, raised by at least the bump the changes require.",
		},
		{
			ID: NotSemver, Severity: change.Error, Category: change.CatVersion, Upgrade: change.NoUpgrade,
			FiresWhen: "a declared version does not parse as SemVer 2.0",
			Why:       "Without a SemVer version the bump cannot be checked, and registries and runtimes that order versions will reject or misorder it.",
			Fix:       "Write the version as MAJOR.MINOR.PATCH (optionally -prerelease and +build), e.g. 1.4.0.",
		},
	}
}

func inputRules() []change.Rule {
	return []change.Rule{
		{
			ID: change.RuleInvalidJSON, Severity: change.Error, Category: change.CatInput, Upgrade: change.NoUpgrade,
			FiresWhen: "a file is not valid JSON; the message gives file:line:column",
			Why:       "The tool cannot compare what it cannot read, and the platform would reject the file too.",
			Fix:       "Fix the JSON at the position given (a missing comma or quote, a trailing comma), or re-export the file from the platform.",
		},
		{
			ID: change.RuleUnknownFormat, Severity: change.Error, Category: change.CatInput, Upgrade: change.NoUpgrade,
			FiresWhen: "a configured file matches no known format",
			Why:       "A file that matches the configured globs is expected to be a Tray export, a .ckbk template or a vNext definition; anything else would silently escape the check.",
			Fix:       "Narrow the `artifacts` globs in .github/breakwater.yml so that they match only exports, or set the file's `format` explicitly.",
		},
		{
			ID: change.RuleSchemaViolation, Severity: change.Error, Category: change.CatInput, Upgrade: change.NoUpgrade,
			FiresWhen: "a required field is missing or has the wrong JSON type; the message names the JSON pointer and line",
			Why:       "The rules read this field to judge the change; with the wrong type the result would be a guess, and the platform would reject the definition.",
			Fix:       "Correct the field at the pointer given, or re-export the file from the platform.",
		},
	}
}
