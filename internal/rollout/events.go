package rollout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/report"
	"github.com/breakwater-dev/breakwater/internal/rules"
	"github.com/breakwater-dev/breakwater/internal/source"
	"github.com/breakwater-dev/breakwater/internal/store"
)

// What the bot's webhooks and commands ask of rollouts. The bot registers
// these as its handlers (the command line wires them: faces do not import
// each other); each runs inside the delivery's job and is idempotent.

// ContentsGitHub reads a repository's files and tags, for the
// configuration and the change record of a deployed release;
// *githubapi.Client implements it.
type ContentsGitHub interface {
	source.GitHubContents
	Tags(ctx context.Context, r githubapi.Repo) ([]githubapi.Tag, error)
}

// Deployed is what OnDeploymentStatus needs besides the event: the
// installation's client for contents, and the comparison pipeline.
type Deployed struct {
	Installation int64
	Contents     ContentsGitHub
	Pipeline     *engine.Engine
}

// OnDeploymentStatus starts the rollout of a version that a successful
// deployment put in an environment: the release path's deployment (its
// payload names the package, version, previous version and bundle
// digest). It records the version with its change record against the
// previous release tag (compared through the API by the shared pipeline)
// and its deployment, starts the rollout to the Tray solution the release
// commit's configuration names for the environment, and links the rollout
// to the repository, where it opens the tracking issue and the check run.
// Other statuses (this rollout's own among them) are ignored.
func (e *Engine) OnDeploymentStatus(ctx context.Context, ev *githubapi.DeploymentStatusEvent, d Deployed) error {
	if err := e.bound(); err != nil {
		return err
	}
	pl, dep := ev.Deployment.Payload, ev.Deployment
	if ev.State != githubapi.DeploymentSuccess || pl.Package == "" || pl.Version == "" || strings.HasPrefix(ev.Description, DescriptionPrefix) {
		return nil
	}
	log := e.log.With(slog.String("repo", ev.Repo.String()), slog.String("package", pl.Package), slog.String("version", pl.Version),
		slog.String("environment", dep.Environment))
	cfg, err := config.Find(ctx, "", false, source.NewGitHub(d.Contents, ev.Repo, dep.SHA, ""))
	if err != nil {
		return fmt.Errorf("reading the configuration of %s at %s: %w", ev.Repo, dep.SHA, err)
	}
	solution := cfg.Tray.SolutionID
	for _, env := range cfg.Environments {
		if env.Name == dep.Environment && env.Tray.SolutionID != "" {
			solution = env.Tray.SolutionID
		}
	}
	if solution == "" {
		log.LogAttrs(ctx, slog.LevelInfo, "no rollout: the configuration names no Tray solution for the environment")
		return nil
	}
	if err := e.recordDeployed(ctx, ev, d, cfg, log); err != nil {
		return err
	}
	if err := e.store.PutValue(ctx, targetKey(pl.Package, dep.Environment), []byte(solution)); err != nil {
		return err
	}
	// The release commit's configuration paces the rollout, within the
	// engine's own limits.
	if err := e.SetSettings(ctx, pl.Package, dep.Environment, Settings{Concurrency: cfg.Rollout.Concurrency, RateLimit: cfg.Rollout.RateLimit}); err != nil {
		return err
	}
	started, err := e.StartVersion(ctx, pl.Package, pl.Version, dep.Environment)
	if err != nil {
		return err
	}
	id := started.Rollout.ID
	if l, err := e.links(ctx, id); err != nil || l != nil {
		return err // linked by an earlier delivery: its issue and check run stay
	}
	if err := e.putLinks(ctx, id, Links{Repo: ev.Repo.String(), Installation: d.Installation, Commit: dep.SHA, Tag: dep.Ref,
		Deployment: dep.ID, Previous: pl.PreviousVersion}); err != nil {
		return err
	}
	e.report(ctx, id)
	return nil
}

// recordDeployed records the version (once) and its deployment.
func (e *Engine) recordDeployed(ctx context.Context, ev *githubapi.DeploymentStatusEvent, d Deployed, cfg *config.Config, log *slog.Logger) error {
	pl, dep := ev.Deployment.Payload, ev.Deployment
	if _, err := e.store.Version(ctx, pl.Package, pl.Version); errors.Is(err, store.ErrNotFound) {
		rec := &change.Record{Findings: []change.RecordFinding{}}
		if pl.PreviousVersion != "" && d.Pipeline != nil {
			prev, err := tagCommit(ctx, d.Contents, ev.Repo, "v"+pl.PreviousVersion)
			if err != nil {
				return err
			}
			base, head := source.NewGitHub(d.Contents, ev.Repo, prev, ""), source.NewGitHub(d.Contents, ev.Repo, dep.SHA, "")
			defer base.Close()
			defer head.Close()
			res, err := d.Pipeline.Run(ctx, engine.Request{Base: base, Head: head, Config: cfg})
			if err != nil {
				return fmt.Errorf("the change record of %s against v%s: %w", pl.Version, pl.PreviousVersion, err)
			}
			rec = change.NewRecord(res.Report)
		}
		raw, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		err = e.store.RecordVersion(ctx, store.Version{Package: pl.Package, Version: pl.Version, Previous: pl.PreviousVersion,
			Changes:      store.ChangeSummary{Breaking: rec.Breaking, Auth: rec.AuthChanges, Config: rec.ConfigChanges, Roles: rec.RoleChanges},
			ChangeRecord: raw, SignatureDigest: pl.BundleDigest, CreatedAt: ev.At})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return err
		}
		log.LogAttrs(ctx, slog.LevelInfo, "version recorded", slog.Int("findings", len(rec.Findings)))
	} else if err != nil {
		return err
	}
	return e.store.MarkDeployed(ctx, pl.Package, pl.Version, dep.Environment, ev.At)
}

// tagCommit is the commit a tag names.
func tagCommit(ctx context.Context, gh ContentsGitHub, repo githubapi.Repo, tag string) (string, error) {
	tags, err := gh.Tags(ctx, repo)
	if err != nil {
		return "", err
	}
	for _, t := range tags {
		if t.Name == tag {
			return t.SHA, nil
		}
	}
	return "", fmt.Errorf("%s has no tag %s, so the release cannot be compared with it", repo, tag)
}

func targetKey(pkg, env string) string { return "rollout-target/" + pkg + "/" + env }

// DeployedSolution is the Tray solution the last deployment of pkg to env
// named (OnDeploymentStatus records it): what the bot's Targets resolve.
func (e *Engine) DeployedSolution(ctx context.Context, pkg, env string) (string, error) {
	b, err := e.store.Value(ctx, targetKey(pkg, env))
	if errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("no deployment of %s to %s named a Tray solution", pkg, env)
	}
	return string(b), err
}

// OnIssueEdited acts on the controls ticked in a tracking issue: pause,
// resume, retry failed, roll back, when the editor may write to the
// repository (a polite refusal otherwise). Either way the issue is
// rewritten at once, its boxes cleared. Edits by bots (this app's own
// rewrites among them) and of other issues are ignored.
func (e *Engine) OnIssueEdited(ctx context.Context, ev *githubapi.IssuesEvent, installation int64) error {
	if err := e.bound(); err != nil {
		return err
	}
	if ev.Action != "edited" || ev.Sender.Type == "Bot" {
		return nil
	}
	r, ok, err := e.rolloutOfIssue(ctx, ev.Repo, ev.Issue.Number)
	if err != nil || !ok || IssueRollout(ev.Issue.Body) != r.ID {
		return err
	}
	controls := CheckedControls(ev.Issue.Body)
	if len(controls) == 0 {
		return nil
	}
	gh, err := e.opts.GitHub.Client(ctx, installation)
	if err != nil {
		return err
	}
	perm, err := gh.CollaboratorPermission(ctx, ev.Repo, ev.Sender.Login)
	if err != nil {
		return err
	}
	var reply string
	if !perm.CanWrite() {
		reply = fmt.Sprintf("Sorry @%s, only people with write access to this repository can control the rollout, so I did nothing and cleared the box.", ev.Sender.Login)
	} else {
		var done []string
		for _, c := range controls {
			msg, err := e.control(ctx, gh, ev.Repo, r, c, "")
			if err != nil {
				return err
			}
			done = append(done, msg)
		}
		reply = fmt.Sprintf("@%s: %s", ev.Sender.Login, strings.Join(done, " "))
	}
	if _, err := gh.CreateComment(ctx, ev.Repo, ev.Issue.Number, reply); err != nil {
		return err
	}
	e.reportWith(ctx, r.ID, true)
	return nil
}

// control applies one control to a rollout and says what it did. For a
// rollback, version is where to go ("" for the version before this one).
func (e *Engine) control(ctx context.Context, gh GitHub, repo githubapi.Repo, r store.Rollout, c Control, version string) (string, error) {
	what := fmt.Sprintf("the rollout of %s %s to %s", r.Package, r.Version, r.Environment)
	switch c {
	case ControlPause:
		return "Paused " + what + "; upgrades in flight finish.", e.Pause(ctx, r.ID)
	case ControlResume:
		return "Resumed " + what + ".", e.Resume(ctx, r.ID)
	case ControlRetry:
		n, err := e.RetryFailed(ctx, r.ID)
		return fmt.Sprintf("Retrying %d failed instance(s) of %s.", n, what), err
	case ControlRollback:
		return e.rollback(ctx, gh, repo, r, version)
	}
	return "", fmt.Errorf("unknown control %q", c)
}

// rollback goes back from the environment's current version to version
// (the previous release when ""), by the release path's rule
// (rules.CheckRollback): never automatically across an auth-breaking
// change, nor when the chain of change records cannot be checked. Allowed,
// it pauses the rollout and runs the release workflow's rollback (the
// release path deploys, with its own credentials and its own check of the
// rule); refused, it says why and what a person can do.
func (e *Engine) rollback(ctx context.Context, gh GitHub, repo githubapi.Repo, r store.Rollout, version string) (string, error) {
	vs, err := e.store.Versions(ctx, r.Package)
	if err != nil {
		return "", err
	}
	from := currentVersion(vs, r.Environment)
	if from == "" {
		from = r.Version
	}
	history := make([]rules.Released, 0, len(vs))
	for _, v := range vs {
		rel := rules.Released{Version: v.Version, Previous: v.Previous}
		if len(v.ChangeRecord) > 0 {
			var rec change.Record
			if json.Unmarshal(v.ChangeRecord, &rec) == nil {
				rel.Changes = &rec
			}
		}
		history = append(history, rel)
		if v.Version == from && version == "" {
			version = v.Previous
		}
	}
	if version == "" {
		return fmt.Sprintf("I did not roll back: no version before %s is recorded. Name one: `/breakwater rollback <version>`.", from), nil
	}
	verdict, err := rules.CheckRollback(from, version, history)
	if err != nil {
		return fmt.Sprintf("I did not roll back %s to %s: %s. A person must decide: run the release workflow by hand.", r.Environment, report.CodeSpan(version), report.MarkdownText(err.Error())), nil
	}
	if !verdict.Automatic() {
		var b strings.Builder
		fmt.Fprintf(&b, "I did not roll back %s to %s: %s.", r.Environment, report.CodeSpan(version), verdict.Why())
		for _, f := range verdict.AuthBreaks {
			fmt.Fprintf(&b, "\n- %s: %s", report.CodeSpan(f.Rule), report.MarkdownText(f.Message))
		}
		fmt.Fprintf(&b, "\n\nIf rolling back is right anyway, run the %s workflow by hand with the inputs `version`, `environment` and `allow-auth-break`.", report.CodeSpan(e.opts.GitHub.ReleaseWorkflow))
		return b.String(), nil
	}
	if err := e.Pause(ctx, r.ID); err != nil {
		return "", err
	}
	if err := gh.DispatchWorkflow(ctx, repo, e.opts.GitHub.ReleaseWorkflow, "v"+version,
		map[string]any{"version": version, "environment": r.Environment}); err != nil {
		// Retrying cannot help these: say what a person must do instead.
		var why string
		switch {
		case githubapi.IsForbidden(err):
			why = "GitHub refused to run it (403): the app needs the `actions: write` permission"
		case githubapi.IsNotFound(err):
			why = "GitHub does not find it (404) at " + report.CodeSpan("v"+version) + ": is it the release workflow's file name (serve's `--release-workflow`), and is the tag there?"
		default:
			return "", err
		}
		return fmt.Sprintf("I paused the rollout but could not start the %s workflow to roll %s back to %s: %s. Run it by hand with the inputs `version` %s and `environment` %s, or fix that and ask again; `/breakwater rollout resume` lets the rollout go on.",
			report.CodeSpan(e.opts.GitHub.ReleaseWorkflow), r.Environment, report.CodeSpan(version), why, report.CodeSpan(version), report.CodeSpan(r.Environment)), nil
	}
	return fmt.Sprintf("Rolling %s back from %s to %s: I paused the rollout and started the %s workflow, which deploys %s (no auth-breaking change in between).",
		r.Environment, report.CodeSpan(from), report.CodeSpan(version), report.CodeSpan(e.opts.GitHub.ReleaseWorkflow), report.CodeSpan(version)), nil
}

// Command runs `/breakwater rollout pause|resume|retry [VERSION]` and
// `/breakwater rollback [VERSION]` written on repo's issue or pull request
// number, with the installation's client gh, and returns the reply. The
// caller has checked that its author may write to the repository.
func (e *Engine) Command(ctx context.Context, gh GitHub, repo githubapi.Repo, number int, name string, args []string) (string, error) {
	if err := e.bound(); err != nil {
		return "", err
	}
	var c Control
	var version string
	switch name {
	case "rollout":
		if len(args) == 0 || len(args) > 2 {
			return "Usage: `/breakwater rollout pause|resume|retry [version]`.", nil
		}
		switch args[0] {
		case "pause", "resume", "retry":
			c = Control(args[0])
		default:
			return fmt.Sprintf("I know `/breakwater rollout pause`, `resume` and `retry`, not %s.", report.CodeSpan(args[0])), nil
		}
		if len(args) == 2 {
			version = args[1]
		}
	case "rollback":
		if len(args) > 1 {
			return "Usage: `/breakwater rollback [version]` (the version to go back to; the one before by default).", nil
		}
		c = ControlRollback
		if len(args) == 1 {
			version = strings.TrimPrefix(args[0], "v")
		}
	default:
		return "", fmt.Errorf("not a rollout command: %q", name)
	}
	r, found, err := e.commandRollout(ctx, repo, number, version, c)
	if err != nil {
		return "", err
	}
	if !found {
		return "I found no rollout of this repository to act on.", nil
	}
	msg, err := e.control(ctx, gh, repo, r, c, version)
	if err != nil {
		return "", err
	}
	e.reportWith(ctx, r.ID, true)
	return msg, nil
}

// commandRollout is the rollout a command means: the tracking issue's
// where it was written, else the repository's newest rollout (of version,
// when a pause, resume or retry names one).
func (e *Engine) commandRollout(ctx context.Context, repo githubapi.Repo, number int, version string, c Control) (store.Rollout, bool, error) {
	if r, ok, err := e.rolloutOfIssue(ctx, repo, number); err != nil || ok {
		return r, ok, err
	}
	rs, err := e.store.Rollouts(ctx, "")
	if err != nil {
		return store.Rollout{}, false, err
	}
	for _, r := range rs {
		l, err := e.links(ctx, r.ID)
		if err != nil {
			return store.Rollout{}, false, err
		}
		if l == nil || !strings.EqualFold(l.Repo, repo.String()) {
			continue
		}
		if c != ControlRollback && version != "" && r.Version != version {
			continue
		}
		return r, true, nil
	}
	return store.Rollout{}, false, nil
}
