package prrun

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/prcheck"
	"github.com/breakwater-dev/breakwater/internal/source"
)

// openSides opens both sides of the pull request, at its merge base and
// the head this run was started for (a newer push starts its own run):
// from the workspace's git checkout when it holds both commits or can fetch
// them with the job's token, else through the API for a number of requests
// that does not grow with the files (internal/prcheck, shared with the bot;
// see docs/action.md).
func (r *run) openSides(ctx context.Context) error {
	var err error
	r.sides, err = prcheck.Open(ctx, r.gh, prcheck.Options{
		Repo: r.repo, BaseSHA: r.ev.BaseSHA, HeadSHA: r.ev.HeadSHA,
		Checkout:  r.actx.Workspace,
		RemoteURL: r.actx.ServerURL + "/" + r.repo.Owner + "/" + r.repo.Name,
		Token:     r.token,
		TempDir:   r.tempDir(),
		Now:       r.now,
	})
	if err != nil {
		return err
	}
	r.sayHowRead(r.sides.Commits)
	return nil
}

// compare is the run's input side: what differs between the two sides (the
// pull request's changed files, without asking for them), handed to the
// pipeline by the check both faces run.
func (r *run) compare(ctx context.Context) (*Result, error) {
	// The inputs' paths are globs the user chose: a file they match must be
	// an export.
	r.cfg.ArtifactsSet = r.cfg.ArtifactsSet || len(r.in.paths) > 0
	req := prcheck.Request{
		Number: r.ev.Number, Config: r.cfg, Labels: r.pr.Labels,
		LabeledBy: prcheck.LabeledBy(&r.ev.PullRequestEvent, r.cfg),
	}
	if !r.readOnly {
		_, opts := r.publication()
		req.Publish = &opts
	}
	check, err := r.sides.Run(ctx, r.env.Engine, req)
	if err != nil {
		var ie *change.InputError
		if errors.As(err, &ie) {
			r.annotateInputError(ie)
		}
		return nil, r.stopForBudget(err)
	}
	r.check = check
	return &Result{Report: check.Report, Touched: check.Touched, Failed: check.Failed, Labels: check.Labels}, nil
}

// stopForBudget says in the job summary that the token's rate limit cannot
// cover the run, when err says so; nothing else is written, and the step
// fails with exit code 2. Other errors pass as they are.
func (r *run) stopForBudget(err error) error {
	var short *prcheck.BudgetError
	if !errors.As(err, &short) {
		return err
	}
	err = fmt.Errorf("%w. Nothing was written to the pull request; run the job again after the reset", short)
	summary := fmt.Sprintf("### Breakwater\n\n⛔ **GitHub's API rate limit cannot cover this run**: %d of the token's %d requests are left until **%s**, and %s needs about %d. "+
		"Nothing was written to the pull request; run the job again after the reset.\n", short.Rate.Remaining, short.Rate.Limit, short.ResetTime(), short.What, short.Need)
	if serr := r.rn.AddStepSummary(summary); serr != nil {
		return fmt.Errorf("%w (and the job summary could not say so: %w)", err, serr)
	}
	return err
}

// sayHowRead says in the log where the files came from, and in a notice
// why a checkout that was there could not serve.
func (r *run) sayHowRead(c *source.Commits) {
	switch c.Mode {
	case source.ModeCheckout:
		r.rn.Print("Breakwater read both sides from the git checkout.\n") //nolint:errcheck // the log
	case source.ModeFetched:
		r.rn.Print(fmt.Sprintf("Breakwater read both sides from the git checkout, after fetching %d commit(s) one level deep.\n", len(c.Fetched))) //nolint:errcheck
	default:
		r.rn.Print("Breakwater read both sides through GitHub's API (a listing and one source archive, or a few files, per side).\n") //nolint:errcheck
	}
	if c.Why != "" {
		r.rn.Notice("Breakwater read the pull request's files through GitHub's API instead of the git checkout: " + c.Why + ". See " + checkoutDocs)
	}
}

// checkoutDocs is where the checkout settings that make reading free are
// documented.
const checkoutDocs = "https://github.com/breakwater-dev/breakwater/blob/main/docs/action.md#reading-the-pull-request"

// tempDir is where archives are unpacked: the runner's temporary
// directory, which a container action does not see; the system's (the
// image has /tmp); else the workspace's .breakwater directory, which holds
// the report too.
func (r *run) tempDir() string {
	dirs := []string{r.rn.Getenv("RUNNER_TEMP"), os.TempDir()}
	if r.actx.Workspace != "" {
		own := filepath.Join(r.actx.Workspace, filepath.Dir(filepath.FromSlash(ReportPath)))
		if os.MkdirAll(own, 0o755) == nil {
			dirs = append(dirs, own)
		}
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		if probe, err := os.MkdirTemp(d, "breakwater-probe-"); err == nil {
			os.Remove(probe)
			return d
		}
	}
	return ""
}
