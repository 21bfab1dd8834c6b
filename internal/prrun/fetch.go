package prrun

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
	"github.com/breakwater-dev/breakwater/internal/source"
)

// compare is the run's input side: both sides of the pull request, at the
// merge base and the head (opened by openCommits), handed to the pipeline, which compares what
// differs between them (the pull request's changed files, without asking
// for them). The sides come from the workspace's git checkout when it holds
// both commits or can fetch them, else through the API for a number of
// requests that does not grow with the files (see docs/action.md).
func (r *run) compare(ctx context.Context) (*Result, error) {
	commits := r.commits
	reads := 0
	if commits.Mode == source.ModeAPI {
		// Two listings, and at worst a few contents requests per side.
		reads = 2 + 2*source.Requests(source.ContentsLimit)
	}
	if err := r.checkBudget(reads+r.writesAtLeast(), "comparing the pull request and publishing the result"); err != nil {
		return nil, err
	}

	// The inputs' paths are globs the user chose: a file they match must be
	// an export.
	r.cfg.ArtifactsSet = r.cfg.ArtifactsSet || len(r.in.paths) > 0
	policy := r.cfg.Policy(prsurface.CarriesLabel(r.pr.Labels, r.cfg.Labels.Accepted))
	if policy.AcceptAll != nil && r.ev.Action == "labeled" && strings.EqualFold(r.ev.Label, r.cfg.Labels.Accepted) {
		policy.AcceptAll.By = r.ev.Sender
	}
	res, err := r.env.Engine.Run(ctx, engine.Request{
		Base: commits.Base, Head: commits.Head,
		Config:      r.cfg,
		OnlyChanged: true,
		Accept:      policy.AcceptAll,
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

// openCommits opens both sides: the merge base and the head.
func (r *run) openCommits(ctx context.Context) error {
	var err error
	r.commits, err = source.OpenCommits(ctx, source.CommitsOptions{
		Repo: r.repo, Base: r.mergeBase, Head: r.ev.HeadSHA, API: r.gh,
		Checkout:  r.actx.Workspace,
		RemoteURL: r.actx.ServerURL + "/" + r.repo.Owner + "/" + r.repo.Name,
		Token:     r.token,
		TempDir:   r.tempDir(),
	})
	if err != nil {
		return err
	}
	r.sayHowRead(r.commits)
	return nil
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
