package prsurface

import (
	"context"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
)

// labelSpec is a label Breakwater manages: its role decides colour and
// description.
type labelSpec struct {
	name, color, description string
}

// ownLabels are the labels Breakwater adds and removes. The acceptance
// label belongs to the reviewers and is never touched; config.CheckLabels
// keeps its name apart from these.
func ownLabels(l config.Labels) []labelSpec {
	return []labelSpec{
		{l.Breaking, "b60205", "Breakwater: breaks deployed instances"},
		{l.Auth, "d93f0b", "Breakwater: breaking change to authentication (services, scopes)"},
		{l.Config, "d93f0b", "Breakwater: breaking change to configuration slots"},
		{l.CollectionRole, "d93f0b", "Breakwater: breaking change to recipe collection roles"},
		{l.Workflow, "d93f0b", "Breakwater: breaking change to workflows"},
		{l.SemverMajor, "5319e7", "Breakwater: needs a major version"},
		{l.SemverMinor, "1d76db", "Breakwater: needs a minor version"},
		{l.SemverPatch, "0e8a16", "Breakwater: needs a patch version"},
	}
}

// LabelsFor are the labels that describe the change: the breaking label and
// one per category of breaking findings (accepted ones too: acceptance
// decides the check, not what the change is), and the required bump.
func LabelsFor(rep *change.Report, l config.Labels) []string {
	if rep == nil {
		return nil
	}
	var out []string
	add := func(name string) {
		if name != "" && !containsFold(out, name) {
			out = append(out, name)
		}
	}
	cats := map[change.Category]bool{}
	for _, f := range rep.Changes {
		if f.Severity == change.Breaking {
			cats[f.Category] = true
		}
	}
	if len(cats) > 0 {
		add(l.Breaking)
	}
	for _, c := range []change.Category{change.CatAuth, change.CatConfig, change.CatCollectionRole, change.CatWorkflow} {
		if cats[c] {
			add(l.ForCategory(c))
		}
	}
	add(l.ForBump(rep.Summary.RequiredBump))
	return out
}

// syncLabels adds the labels that apply (creating missing ones with colour
// and description) and removes Breakwater's labels that no longer apply.
func (p *publisher) syncLabels(ctx context.Context) error {
	specs := ownLabels(p.c.Labels)
	add, remove := labelChanges(p.res.Labels, p.pr.Labels, specs)
	if len(add) > 0 {
		existing, err := p.gh.Labels(ctx, p.pr.Repo)
		if err != nil {
			return err
		}
		names := make([]string, len(existing))
		for i, l := range existing {
			names[i] = l.Name
		}
		for _, name := range add {
			if containsFold(names, name) {
				continue
			}
			spec := labelSpec{name: name, color: "ededed"}
			for _, s := range specs {
				if s.name == name {
					spec = s
				}
			}
			err := p.gh.CreateLabel(ctx, p.pr.Repo, githubapi.Label{Name: spec.name, Color: spec.color, Description: spec.description})
			// 422: another run created it meanwhile.
			if err != nil && githubapi.StatusOf(err) != 422 {
				return err
			}
		}
		if err := p.gh.AddLabels(ctx, p.pr.Repo, p.pr.Number, add); err != nil {
			return err
		}
	}
	for _, name := range remove {
		if err := p.gh.RemoveLabel(ctx, p.pr.Repo, p.pr.Number, name); err != nil {
			return err
		}
	}
	return nil
}

// CarriesLabel reports whether labels hold name as GitHub compares label
// names (ignoring case); an empty name is never carried. Acceptance by label
// is judged with it on the labels read before any write, so that a run never
// counts a label it applied itself.
func CarriesLabel(labels []string, name string) bool { return containsFold(labels, name) }

// labelChanges are the labels to add to a pull request that has have so
// that it carries want, and those of its own (specs) to remove.
func labelChanges(want, have []string, specs []labelSpec) (add, remove []string) {
	for _, w := range want {
		if !containsFold(have, w) {
			add = append(add, w)
		}
	}
	for _, h := range have {
		for _, s := range specs {
			if s.name != "" && strings.EqualFold(s.name, h) && !containsFold(want, h) && !containsFold(remove, h) {
				remove = append(remove, h)
			}
		}
	}
	return add, remove
}

func containsFold(list []string, s string) bool {
	if s == "" {
		return false
	}
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
