package prrun

import (
	"context"
	"errors"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/prcheck"
)

// compare is the run's input side: the pull request's changed files and
// both sides, at the merge base and the head, read through the GitHub API,
// handed to the pipeline (internal/prcheck, shared with the bot). Nothing
// depends on how deep the checkout is.
func (r *run) compare(ctx context.Context) (*Result, error) {
	// The inputs' paths are globs the user chose: a file they match must be
	// an export.
	r.cfg.ArtifactsSet = r.cfg.ArtifactsSet || len(r.in.paths) > 0
	// Diff what this run was started for: a newer push starts its own run.
	check, err := prcheck.Run(ctx, r.env.Engine, r.gh, prcheck.Request{
		Repo: r.repo, Number: r.ev.Number, BaseSHA: r.ev.BaseSHA, HeadSHA: r.ev.HeadSHA,
		Config: r.cfg, Labels: r.pr.Labels, LabeledBy: prcheck.LabeledBy(&r.ev.PullRequestEvent, r.cfg),
	})
	if err != nil {
		var ie *change.InputError
		if errors.As(err, &ie) {
			r.annotateInputError(ie)
		}
		return nil, err
	}
	r.check = check
	return &Result{Report: check.Report, Touched: check.Touched, Failed: check.Failed, Labels: check.Labels}, nil
}
