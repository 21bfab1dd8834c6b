package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/store"
)

// GitHub is what the rollout's GitHub surfaces and controls use;
// *githubapi.Client implements it.
type GitHub interface {
	CreateIssue(ctx context.Context, r githubapi.Repo, title, body string, labels []string) (*githubapi.Issue, error)
	UpdateIssueBody(ctx context.Context, r githubapi.Repo, number int, body string) error
	IssuesWithLabel(ctx context.Context, r githubapi.Repo, label string) ([]githubapi.Issue, error)
	CreateComment(ctx context.Context, r githubapi.Repo, number int, body string) (*githubapi.Comment, error)
	ProgressCheckRun(ctx context.Context, r githubapi.Repo, id int64, run githubapi.CheckRun) (*githubapi.CheckRunInfo, error)
	PublishCheckRun(ctx context.Context, r githubapi.Repo, id int64, run githubapi.CheckRun, now time.Time) (*githubapi.CheckRunInfo, error)
	CheckRuns(ctx context.Context, r githubapi.Repo, ref, name string) ([]githubapi.CheckRunInfo, error)
	SetDeploymentStatus(ctx context.Context, r githubapi.Repo, id int64, s githubapi.DeploymentStatus) error
	CollaboratorPermission(ctx context.Context, r githubapi.Repo, user string) (githubapi.Permission, error)
	DispatchWorkflow(ctx context.Context, r githubapi.Repo, workflow, ref string, inputs map[string]any) error
}

// Links tie a rollout to GitHub: where its release came from and what it
// wrote there. Kept in the store beside the rollout; a rollout started
// from the command line has none and reports nowhere.
type Links struct {
	Repo         string `json:"repo"` // owner/name
	Installation int64  `json:"installation"`
	Commit       string `json:"commit"` // the release commit: the check run's
	Tag          string `json:"tag"`
	Deployment   int64  `json:"deployment"`
	Previous     string `json:"previous"` // the version a rollback goes back to
	CheckRun     int64  `json:"checkRun"`
	// Finished: the final check run and deployment status are written.
	Finished bool `json:"finished"`
}

func linksKey(id int64) string { return fmt.Sprintf("rollout/%d/github", id) }
func issueKey(repo string, n int) string {
	return fmt.Sprintf("rollout-issue/%s#%d", strings.ToLower(repo), n)
}
func (l Links) repo() (githubapi.Repo, bool) { return splitRepo(l.Repo) }

func splitRepo(full string) (githubapi.Repo, bool) {
	owner, name, ok := strings.Cut(full, "/")
	return githubapi.Repo{Owner: owner, Name: name}, ok && owner != "" && name != "" && !strings.Contains(name, "/")
}

func (e *Engine) links(ctx context.Context, id int64) (*Links, error) {
	b, err := e.store.Value(ctx, linksKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var l Links
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("rollout %d's GitHub links are unreadable: %w", id, err)
	}
	return &l, nil
}

func (e *Engine) putLinks(ctx context.Context, id int64, l Links) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return e.store.PutValue(ctx, linksKey(id), b)
}

// GitHubOptions configure the GitHub surfaces (Options.GitHub).
type GitHubOptions struct {
	// Client is the GitHub client of an installation.
	Client func(ctx context.Context, installation int64) (GitHub, error)
	// EditInterval spaces the edits of one tracking issue and check run
	// (default 30s); ContentInterval spaces the content-creating requests
	// of one installation across rollouts and replicas (default 8s: 450
	// an hour, within GitHub's 500, and 7.5 a minute, within its 80).
	EditInterval, ContentInterval time.Duration
	// ReleaseWorkflow is the workflow a rollback dispatches (default
	// "release.yml"), with the inputs version and environment.
	ReleaseWorkflow string
}

func (o GitHubOptions) withDefaults() GitHubOptions {
	if o.EditInterval <= 0 {
		o.EditInterval = 30 * time.Second
	}
	if o.ContentInterval <= 0 {
		o.ContentInterval = 8 * time.Second
	}
	if o.ReleaseWorkflow == "" {
		o.ReleaseWorkflow = "release.yml"
	}
	return o
}

// errDeferred says a report was held back by a throttle; the engine
// reports again after the interval.
type errDeferred struct{ after time.Duration }

func (e *errDeferred) Error() string { return fmt.Sprintf("throttled; again in %s", e.after) }

// reportGitHub writes a rollout's progress to its GitHub surfaces: the
// tracking issue (created once), the check run, and at the end the
// deployment status. force skips the rollout's own edit interval (a
// control was used and its box must be cleared), never the
// installation's content budget.
func (e *Engine) reportGitHub(ctx context.Context, p Progress, force bool) error {
	o := e.opts.GitHub
	if o.Client == nil {
		return nil
	}
	id := p.Rollout.ID
	l, err := e.links(ctx, id)
	if err != nil || l == nil || l.Finished {
		return err
	}
	repo, ok := l.repo()
	if !ok {
		return fmt.Errorf("rollout %d links to the repository %q", id, l.Repo)
	}
	final := p.Done
	if !force && !final {
		ok, err := e.store.ClaimIssueEdit(ctx, id, o.EditInterval)
		if err != nil {
			return err
		}
		if !ok {
			return &errDeferred{after: o.EditInterval}
		}
	}
	// Every write below creates content: one slot of the installation's
	// budget for the whole report.
	ok, err = e.store.Throttle(ctx, fmt.Sprintf("github-content/%d", l.Installation), o.ContentInterval)
	if err != nil {
		return err
	}
	if !ok {
		return &errDeferred{after: o.ContentInterval}
	}
	gh, err := o.Client(ctx, l.Installation)
	if err != nil {
		return err
	}
	now := time.Now()
	if p.Rollout.TrackingIssue == 0 {
		n, err := e.trackingIssue(ctx, gh, repo, p, l.Previous)
		if err != nil {
			return err
		}
		p.Rollout.TrackingIssue = int64(n)
	} else if err := gh.UpdateIssueBody(ctx, repo, int(p.Rollout.TrackingIssue), IssueBody(p, l.Previous, now)); err != nil {
		return err
	}
	if l.Commit != "" {
		run := checkRun(p, l.Commit)
		if l.CheckRun == 0 {
			// An earlier attempt may have made the run and died before
			// recording it: find it, as the tracking issue is found.
			if l.CheckRun, err = existingCheckRun(ctx, gh, repo, l.Commit, run); err != nil {
				return err
			}
		}
		var info *githubapi.CheckRunInfo
		if final {
			info, err = gh.PublishCheckRun(ctx, repo, l.CheckRun, run, now)
		} else {
			info, err = gh.ProgressCheckRun(ctx, repo, l.CheckRun, run)
		}
		if err != nil {
			return err
		}
		l.CheckRun = info.ID
	}
	if final && l.Deployment != 0 {
		if err := gh.SetDeploymentStatus(ctx, repo, l.Deployment, githubapi.DeploymentStatus{
			State: githubapi.DeploymentSuccess, Description: deploymentDescription(p)}); err != nil {
			return err
		}
	}
	l.Finished = final
	return e.putLinks(ctx, id, *l)
}

// existingCheckRun is the id of the rollout's check run on commit, made by
// an earlier attempt, or 0.
func existingCheckRun(ctx context.Context, gh GitHub, repo githubapi.Repo, commit string, run githubapi.CheckRun) (int64, error) {
	runs, err := gh.CheckRuns(ctx, repo, commit, run.Name)
	if err != nil {
		return 0, err
	}
	for _, r := range runs {
		if r.ExternalID == run.ExternalID {
			return r.ID, nil
		}
	}
	return 0, nil
}

// trackingIssue finds the rollout's issue (made by an earlier attempt that
// died before recording it) or opens it, and records it.
func (e *Engine) trackingIssue(ctx context.Context, gh GitHub, repo githubapi.Repo, p Progress, previous string) (int, error) {
	id := p.Rollout.ID
	existing, err := gh.IssuesWithLabel(ctx, repo, IssueLabel)
	if err != nil {
		return 0, err
	}
	number := 0
	for _, is := range existing {
		if IssueRollout(is.Body) == id {
			number = is.Number
			break
		}
	}
	if number == 0 {
		is, err := gh.CreateIssue(ctx, repo, issueTitle(p.Rollout), IssueBody(p, previous, time.Now()), []string{IssueLabel})
		if err != nil {
			return 0, err
		}
		number = is.Number
	} else if err := gh.UpdateIssueBody(ctx, repo, number, IssueBody(p, previous, time.Now())); err != nil {
		// Found, not made: an earlier report made it, with its own older
		// progress, and may not have recorded it yet. Without this write
		// the final report would leave that older body in place for good.
		return 0, err
	}
	if err := e.store.PutValue(ctx, issueKey(repo.String(), number), []byte(fmt.Sprint(id))); err != nil {
		return 0, err
	}
	if err := e.store.SetTrackingIssue(ctx, id, int64(number)); err != nil {
		return 0, err
	}
	e.log.LogAttrs(ctx, slog.LevelInfo, "tracking issue ready", slog.Int64("rollout", id), slog.String("repo", repo.String()), slog.Int("issue", number))
	return number, nil
}

// rolloutOfIssue is the rollout whose tracking issue is repo's issue n.
func (e *Engine) rolloutOfIssue(ctx context.Context, repo githubapi.Repo, n int) (store.Rollout, bool, error) {
	b, err := e.store.Value(ctx, issueKey(repo.String(), n))
	if errors.Is(err, store.ErrNotFound) {
		return store.Rollout{}, false, nil
	}
	if err != nil {
		return store.Rollout{}, false, err
	}
	var id int64
	if _, err := fmt.Sscan(string(b), &id); err != nil {
		return store.Rollout{}, false, fmt.Errorf("issue %s#%d names rollout %q", repo, n, b)
	}
	r, err := e.store.Rollout(ctx, id)
	if err != nil {
		return store.Rollout{}, false, err
	}
	return r, r.TrackingIssue == int64(n), nil
}
