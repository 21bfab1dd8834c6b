package bot

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/clip"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/prcheck"
	"github.com/breakwater-dev/breakwater/internal/report"
	"github.com/breakwater-dev/breakwater/internal/store"
)

// maxReason bounds an acceptance's reason, in bytes.
const maxReason = 500

var fingerprintPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)

// acceptCommand records intended breaking changes in the configuration.
//
// The record is committed to the pull request's own branch, not proposed
// in a second pull request or as a review suggestion: the acceptance is
// then reviewed in the same pull request as the break it accepts, merges
// (or is dropped) with it, and the push makes the check run again, so the
// pull request turns green at once. A suggestion would only work when the
// configuration is part of the diff, and a second pull request would have
// to be merged first. A pull request from a fork is the exception: the
// app cannot push to the fork, so the reply shows the entries to add.
func (b *Bot) acceptCommand(ctx context.Context, c *CommandCall) error {
	usage := "Usage: `/breakwater accept <fingerprint|all> <reason>`, e.g. `/breakwater accept d9e0c1ed67cf1fc4 owners were told in the release notes`."
	if !c.PullRequest {
		return c.Reply(ctx, "`/breakwater accept` works on pull requests: it records the breaking changes they make.")
	}
	if len(c.Args) < 2 {
		return c.Reply(ctx, "Please say which breaking change to accept and why. "+usage)
	}
	which := strings.ToLower(c.Args[0])
	if which != "all" && !fingerprintPattern.MatchString(which) {
		return c.Reply(ctx, fmt.Sprintf("%s is not a fingerprint (16 hexadecimal digits, as the report shows them) or `all`. %s", report.CodeSpan(clip.Runes(c.Args[0], 40)), usage))
	}
	reason := strings.TrimSpace(strings.TrimPrefix(c.Rest, c.Args[0]))
	if len(reason) > maxReason {
		reason = clip.Runes(reason, maxReason)
	}

	pr, err := c.GitHub.PullRequest(ctx, c.Repo, c.Number)
	if err != nil {
		return err
	}
	sides, err := prcheck.Open(ctx, c.GitHub, prcheck.Options{Repo: c.Repo, BaseSHA: pr.BaseSHA, HeadSHA: pr.HeadSHA, Now: b.cfg.Now})
	if err != nil {
		return err
	}
	defer sides.Close() //nolint:errcheck // temporary files; the command's outcome stands
	cfg, err := sides.Config(ctx)
	if err != nil {
		if contentError(err) {
			return c.Reply(ctx, "The configuration at the head of this pull request does not parse, so I cannot add to it:\n\n```text\n"+strings.ReplaceAll(clip.Runes(err.Error(), 2000), "```", "'''")+"\n```")
		}
		return err
	}
	res, err := sides.Run(ctx, b.engine, prcheck.Request{Number: pr.Number, Config: cfg, Labels: pr.Labels})
	var short *prcheck.BudgetError
	switch {
	case errors.As(err, &short):
		// The command runs again after the reset, as the check does.
		return b.snoozeUntil(short.Rate.Reset)
	case err != nil && contentError(err):
		return c.Reply(ctx, "Breakwater cannot check this pull request (the check run says why), so there is nothing to accept yet.")
	case err != nil:
		return err
	}
	var entries []config.Accepted
	var accepted []string
	for _, f := range res.Report.Changes {
		if f.Severity != change.Breaking || which != "all" && f.Fingerprint != which {
			continue
		}
		if f.Accepted != nil && f.Accepted.Via != "label" {
			accepted = append(accepted, f.Fingerprint)
			continue
		}
		entries = append(entries, config.Accepted{Fingerprint: f.Fingerprint, By: c.User, Reason: reason})
	}
	if len(entries) == 0 {
		switch {
		case len(accepted) > 0:
			return c.Reply(ctx, fmt.Sprintf("%s accepted in %s already: nothing to do.", fingerprints(accepted), report.CodeSpan(prcheck.ConfigPath(cfg))))
		case which == "all":
			return c.Reply(ctx, "This pull request makes no breaking change to accept.")
		}
		return c.Reply(ctx, fmt.Sprintf("This pull request makes no breaking change with the fingerprint %s; the Breakwater comment lists the fingerprints.", report.CodeSpan(which)))
	}
	path := prcheck.ConfigPath(cfg)
	if !strings.EqualFold(pr.HeadRepo, pr.BaseRepo) || pr.HeadRef == "" {
		return c.Reply(ctx, "This pull request comes from a fork, which I cannot push to. Add this to "+report.CodeSpan(path)+" on its branch:\n\n```yaml\n"+entriesYAML(entries)+"```")
	}
	sha, err := b.commitAcceptance(ctx, c, pr, path, entries)
	if errors.Is(err, config.ErrCannotEdit) {
		return c.Reply(ctx, "I cannot edit "+report.CodeSpan(path)+" without changing its layout ("+report.CodeSpan(clip.Runes(err.Error(), 300))+"). Add this to it yourself:\n\n```yaml\n"+entriesYAML(entries)+"```")
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := b.Store().RecordAcceptance(ctx, store.Acceptance{Repo: c.Repo.String(), Fingerprint: e.Fingerprint, By: e.By, Reason: e.Reason, PullRequest: int64(pr.Number)}); err != nil {
			return err
		}
	}
	fps := make([]string, len(entries))
	for i, e := range entries {
		fps[i] = e.Fingerprint
	}
	return c.Reply(ctx, fmt.Sprintf("Accepted %s on behalf of @%s: recorded in %s with commit %s on %s. The check runs again on that commit.",
		fingerprints(fps), c.User, report.CodeSpan(path), shortSHA(sha), report.CodeSpan(pr.HeadRef)))
}

// commitAcceptance adds entries to the configuration on the pull request's
// branch, reading it again when someone pushed meanwhile.
func (b *Bot) commitAcceptance(ctx context.Context, c *CommandCall, pr *githubapi.PullRequest, path string, entries []config.Accepted) (string, error) {
	msg := fmt.Sprintf("Accept %d breaking change(s) in %s\n\n/breakwater accept by @%s on #%d.", len(entries), path, c.User, pr.Number)
	for attempt := 1; ; attempt++ {
		fv, err := c.GitHub.FileAt(ctx, c.Repo, path, pr.HeadRef)
		if err != nil {
			return "", err
		}
		data, err := config.AddAccepted(path, fv.Content, entries)
		if err != nil {
			return "", err
		}
		sha, err := c.GitHub.UpdateFile(ctx, c.Repo, githubapi.FileUpdate{Path: path, Branch: pr.HeadRef, Message: msg, Content: data, SHA: fv.SHA})
		if githubapi.IsConflict(err) && attempt < 3 {
			continue
		}
		return sha, err
	}
}

func entriesYAML(entries []config.Accepted) string {
	out, err := config.AddAccepted(config.DefaultPath, nil, entries)
	if err != nil {
		return "# " + err.Error() + "\n"
	}
	return string(out)
}

func fingerprints(fps []string) string {
	quoted := make([]string, len(fps))
	for i, f := range fps {
		quoted[i] = report.CodeSpan(f)
	}
	return strings.Join(quoted, ", ")
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}
