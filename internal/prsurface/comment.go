package prsurface

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/report"
)

// Marker opens the sticky comment. A comment counts as Breakwater's only
// when the marker opens it and this identity wrote it.
const Marker = "<!-- breakwater:report -->"

// stateBreaking is in a comment that reported breaking changes, so that the
// next run knows to say they are resolved. It is read only from a comment
// this identity wrote: anyone can write it into a comment of their own.
const stateBreaking = "<!-- breakwater:state=breaking -->"

// resolvedBody is the sticky comment of a pull request that no longer
// changes any export file.
const resolvedBody = Marker + "\n### Breakwater\n\n✅ **Resolved:** this pull request no longer changes any export file, so nothing breaks.\n"

// CommentBody is the sticky comment for c. prev is the comment this
// identity wrote before, nil for none: when it reported breaking changes
// that are gone, the comment says they are resolved.
func CommentBody(c Content, prev *githubapi.Comment) string {
	wasBreaking := prev != nil && strings.Contains(prev.Body, stateBreaking)
	if !c.Touched {
		return resolvedBody
	}
	var extra strings.Builder
	if wasBreaking && !HasBreaking(c.Report) {
		extra.WriteString("\n✅ **Resolved:** the breaking changes reported earlier are gone.\n")
	}
	extra.WriteString(AcceptHowTo(c.Report, c.Labels.Accepted, c.ConfigPath))
	if c.Appendix != "" {
		extra.WriteString("\n" + c.Appendix)
	}
	if HasBreaking(c.Report) {
		extra.WriteString("\n" + stateBreaking + "\n")
	}
	body := report.Markdown(c.Report, c.Rules, report.MarkdownOptions{
		Marker:        Marker,
		Title:         "Breakwater",
		FullReportURL: c.ReportURL,
		Budget:        report.GitHubCommentLimit - 256 - extra.Len(),
	})
	return body + extra.String()
}

// ownComments are the sticky comments this identity wrote, oldest (lowest
// ID) first.
func (p *publisher) ownComments(all []githubapi.Comment) []githubapi.Comment {
	var out []githubapi.Comment
	for _, c := range all {
		if marked(c) && p.res.Identity.wrote(c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b githubapi.Comment) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// marked reports a comment the marker opens: a reply quoting the sticky
// comment does not count.
func marked(c githubapi.Comment) bool {
	return strings.HasPrefix(strings.TrimSpace(c.Body), Marker)
}

// syncComment keeps one comment per pull request, edited in place. A pull
// request that never touched an export gets none; one that no longer does,
// or whose breaking changes are gone, is told so.
//
// While the token's identity is unknown (an app's token that published no
// check run) no existing comment can be told apart from a forged one, so it
// fails closed: it writes a new comment, learns the identity from it, and
// converges on the oldest comment that identity wrote.
func (p *publisher) syncComment(ctx context.Context) error {
	if !p.opts.Comment {
		return nil
	}
	all, err := p.gh.Comments(ctx, p.pr.Repo, p.pr.Number)
	if err != nil {
		return err
	}
	own := p.ownComments(all)
	var prev *githubapi.Comment
	if len(own) > 0 {
		prev = &own[0]
	}
	if !p.c.Touched && prev == nil {
		if !p.res.Identity.Known() && slices.ContainsFunc(all, marked) {
			p.res.Notes = append(p.res.Notes, "Breakwater cannot tell which comments its token wrote, so a comment an earlier run left was not updated: tell it who the token is (the action's identity input).")
		}
		return nil
	}
	body := CommentBody(p.c, prev)
	switch {
	case prev == nil:
		created, err := p.gh.CreateComment(ctx, p.pr.Repo, p.pr.Number, body)
		if err != nil {
			return err
		}
		p.res.CommentID = created.ID
		if !p.res.Identity.Known() {
			p.res.Notes = append(p.res.Notes, fmt.Sprintf("Breakwater learned that its token acts as %s only by writing a comment: tell it so (the action's identity input), and later runs edit their comment in place instead of writing and removing one.", created.Author.Login))
		}
		if err := p.learn(commentAuthor(*created)); err != nil {
			return err
		}
		// Another run may have written its own copy meanwhile, or this one
		// could not tell its earlier comment: look again.
		if all, err = p.gh.Comments(ctx, p.pr.Repo, p.pr.Number); err != nil {
			return err
		}
		own = p.ownComments(all)
	case prev.Body != body:
		if err := p.gh.UpdateComment(ctx, p.pr.Repo, prev.ID, body); err != nil {
			return err
		}
		p.res.CommentID = prev.ID
	default:
		p.res.CommentID = prev.ID
	}
	return p.converge(ctx, own)
}

// converge keeps the oldest of this identity's sticky comments, with this
// run's report, and deletes the other copies: runs that overlapped each
// wrote one. Every run that creates a copy looks again afterwards, and the
// oldest copy is never deleted, so overlapping runs end with exactly one.
func (p *publisher) converge(ctx context.Context, own []githubapi.Comment) error {
	if len(own) < 2 {
		return nil
	}
	keep := own[0]
	if keep.ID != p.res.CommentID {
		if body := CommentBody(p.c, &keep); keep.Body != body {
			if err := p.gh.UpdateComment(ctx, p.pr.Repo, keep.ID, body); err != nil {
				return err
			}
		}
		p.res.CommentID = keep.ID
	}
	for _, c := range own[1:] {
		if err := p.gh.DeleteComment(ctx, p.pr.Repo, c.ID); err != nil {
			return fmt.Errorf("removing a copy of the sticky comment: %w", err)
		}
	}
	return nil
}

// commentAuthor is the identity that wrote c.
func commentAuthor(c githubapi.Comment) Identity {
	id := Identity{Login: c.Author.Login, UserID: c.Author.ID, Source: "the comment it created"}
	if c.Author.Type == "Bot" {
		id.App = c.ViaApp
	}
	return id
}
