package prrun

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
	"github.com/breakwater-dev/breakwater/internal/source"
)

// compare is the run's input side: the pull request's changed files and
// both sides, at the merge base and the head, read through the GitHub API,
// handed to the pipeline. Nothing depends on how deep the checkout is.
func (r *run) compare(ctx context.Context) (*Result, error) {
	changed, err := r.gh.PullRequestFiles(ctx, r.repo, r.ev.Number)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range changed {
		if f.Status == "unchanged" {
			continue
		}
		paths = append(paths, f.Path)
		if f.PreviousPath != "" {
			paths = append(paths, f.PreviousPath)
		}
	}
	if paths == nil {
		paths = []string{} // a pull request that changes nothing compares nothing
	}

	// The inputs' paths are globs the user chose: a file they match must be
	// an export.
	r.cfg.ArtifactsSet = r.cfg.ArtifactsSet || len(r.in.paths) > 0
	policy := r.cfg.Policy(prsurface.CarriesLabel(r.pr.Labels, r.cfg.Labels.Accepted))
	if policy.AcceptAll != nil && r.ev.Action == "labeled" && strings.EqualFold(r.ev.Label, r.cfg.Labels.Accepted) {
		policy.AcceptAll.By = r.ev.Sender
	}
	res, err := r.env.Engine.Run(ctx, engine.Request{
		Base:    source.NewGitHub(r.gh, r.repo, r.mergeBase),
		Head:    source.NewGitHub(r.gh, r.repo, r.ev.HeadSHA),
		Config:  r.cfg,
		Changed: paths,
		Accept:  policy.AcceptAll,
	})
	if err != nil {
		var ie *change.InputError
		if errors.As(err, &ie) {
			r.annotateInputError(ie)
		}
		return nil, fmt.Errorf("comparing the export files: %w", err)
	}
	rep := res.Report
	out := &Result{Report: rep, Touched: rep.Summary.Compared.Artifacts > 0, Failed: !rep.Summary.OK}
	out.Labels = prsurface.LabelsFor(rep, r.cfg.Labels)
	return out, nil
}
