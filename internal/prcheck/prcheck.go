// Package prcheck is the pull request check both pull request faces run —
// the GitHub Action (internal/prrun) and the GitHub App bot (internal/bot):
// the configuration at the pull request's head, its merge base, the export
// files it changes, both sides read through the GitHub API and handed to
// the shared pipeline, and what to publish (internal/prsurface). The faces
// only say which pull request, with which client, and where to report.
package prcheck

import (
	"context"
	"fmt"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/prsurface"
	"github.com/breakwater-dev/breakwater/internal/report"
	"github.com/breakwater-dev/breakwater/internal/source"
)

// GitHub is what a check reads from GitHub's REST API; *githubapi.Client
// implements it.
type GitHub interface {
	MergeBase(ctx context.Context, r githubapi.Repo, base, head string) (string, error)
	PullRequestFiles(ctx context.Context, r githubapi.Repo, number int) ([]githubapi.ChangedFile, error)
	source.GitHubContents
}

// LoadConfig reads the repository's configuration (config.DefaultPath) at
// commit ref through the API; none there means the defaults. It is
// config.Find over that one commit, as every face looks it up.
func LoadConfig(ctx context.Context, gh source.GitHubContents, repo githubapi.Repo, ref string) (*config.Config, error) {
	return config.Find(ctx, "", false, source.NewGitHub(gh, repo, ref))
}

// ConfigPath is where the configuration accepts fingerprints: the file it
// came from, else the default path.
func ConfigPath(c *config.Config) string {
	if c.Path != "" {
		return c.Path
	}
	return config.DefaultPath
}

// Request is one pull request to check.
type Request struct {
	Repo   githubapi.Repo
	Number int
	// BaseSHA is the base branch's tip and HeadSHA the head commit the
	// check is for; the comparison is from their merge base to HeadSHA.
	BaseSHA, HeadSHA string
	Config           *config.Config
	// Labels are the pull request's labels: the acceptance label accepts
	// every breaking change.
	Labels []string
	// LabeledBy is who added the acceptance label, when the event that
	// started the check is that label being added.
	LabeledBy string
}

// Result is a checked pull request.
type Result struct {
	MergeBase string
	Report    *change.Report
	// Touched is false when the pull request changes no export file.
	Touched bool
	// Labels describe the change.
	Labels []string
	// Failed: the check fails.
	Failed bool
	cfg    *config.Config
	repo   githubapi.Repo
}

// Run compares what the pull request changes, from its merge base to its
// head. An error means the check could not be made; a *change.InputError
// in it names the file, line and column of an unreadable export.
func Run(ctx context.Context, eng *engine.Engine, gh GitHub, req Request) (*Result, error) {
	mergeBase, err := gh.MergeBase(ctx, req.Repo, req.BaseSHA, req.HeadSHA)
	if err != nil {
		return nil, err
	}
	changed, err := gh.PullRequestFiles(ctx, req.Repo, req.Number)
	if err != nil {
		return nil, err
	}
	paths := []string{} // a pull request that changes nothing compares nothing
	for _, f := range changed {
		if f.Status == "unchanged" {
			continue
		}
		paths = append(paths, f.Path)
		if f.PreviousPath != "" {
			paths = append(paths, f.PreviousPath)
		}
	}
	cfg := req.Config
	policy := cfg.Policy(prsurface.CarriesLabel(req.Labels, cfg.Labels.Accepted))
	if policy.AcceptAll != nil && req.LabeledBy != "" {
		policy.AcceptAll.By = req.LabeledBy
	}
	res, err := eng.Run(ctx, engine.Request{
		Base:    source.NewGitHub(gh, req.Repo, mergeBase),
		Head:    source.NewGitHub(gh, req.Repo, req.HeadSHA),
		Config:  cfg,
		Changed: paths,
		Accept:  policy.AcceptAll,
	})
	if err != nil {
		return nil, fmt.Errorf("comparing the export files: %w", err)
	}
	rep := res.Report
	return &Result{
		MergeBase: mergeBase, Report: rep, Touched: rep.Summary.Compared.Artifacts > 0, Failed: !rep.Summary.OK,
		Labels: prsurface.LabelsFor(rep, cfg.Labels), cfg: cfg, repo: req.Repo,
	}, nil
}

// LabeledBy is the user who added the acceptance label when the event is
// that label being added, else "".
func LabeledBy(ev *githubapi.PullRequestEvent, cfg *config.Config) string {
	if ev.Action == "labeled" && strings.EqualFold(ev.Label, cfg.Labels.Accepted) {
		return ev.Sender
	}
	return ""
}

// Content is what to publish on the pull request: annotations link removals
// to the merge base's lines on serverURL (https://github.com), and
// reportURL is where the full report is.
func (r *Result) Content(rules report.RuleBook, serverURL, reportURL string) prsurface.Content {
	return prsurface.Content{
		Report: r.Report, Touched: r.Touched, Rules: rules, Labels: r.cfg.Labels,
		ConfigPath: ConfigPath(r.cfg), ReportURL: reportURL,
		Annotations: prsurface.Annotations(r.Report, prsurface.Sources{BaseURL: prsurface.BlobURL(serverURL, r.repo, r.MergeBase)}),
	}
}
