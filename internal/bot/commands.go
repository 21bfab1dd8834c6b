package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/riverqueue/river"

	"github.com/breakwater-dev/breakwater/internal/clip"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/report"
)

// CommandPrefix starts a command line in a comment.
const CommandPrefix = "/breakwater"

// Command is a `/breakwater NAME …` comment command. Only users with write
// permission on the repository may run one; others get a polite refusal
// and nothing changes.
type Command struct {
	Usage   string // e.g. "/breakwater accept <fingerprint|all> <reason>"
	Summary string
	Run     func(ctx context.Context, c *CommandCall) error
}

// CommandCall is one command a user wrote.
type CommandCall struct {
	GitHub *githubapi.Client
	Repo   githubapi.Repo
	// Number is the issue's or pull request's; PullRequest tells which.
	Number      int
	PullRequest bool
	// User wrote the comment; write permission is checked before Run.
	User string
	Name string
	// Args are the words after the name; Rest is the line after the name,
	// as written (a reason may hold any text).
	Args []string
	Rest string
	// DeliveryID names the delivery, for idempotent work.
	DeliveryID string
}

// Reply comments on the issue or pull request.
func (c *CommandCall) Reply(ctx context.Context, body string) error {
	_, err := c.GitHub.CreateComment(ctx, c.Repo, c.Number, body)
	return err
}

// parsedCommand is a command line found in a comment.
type parsedCommand struct {
	name string
	args []string
	rest string
}

// ParseCommand finds the first line of body that starts with
// "/breakwater" (outside quotes and code blocks) and splits it into the
// command's name, its words and the rest of the line after the name. ok is
// false when the comment holds no command.
func ParseCommand(body string) (name string, args []string, rest string, ok bool) {
	p, ok := parseCommand(body)
	return p.name, p.args, p.rest, ok
}

func parseCommand(body string) (parsedCommand, bool) {
	fenced := false
	for _, line := range strings.Split(body, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			fenced = !fenced
			continue
		}
		if fenced || !strings.HasPrefix(t, CommandPrefix) {
			continue
		}
		after := t[len(CommandPrefix):]
		if after != "" && !unicode.IsSpace(rune(after[0])) {
			continue // "/breakwaterish"
		}
		after = strings.TrimSpace(strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || unicode.IsSpace(r) {
				return ' '
			}
			return r
		}, after))
		name, rest, _ := strings.Cut(after, " ")
		rest = strings.TrimSpace(rest)
		return parsedCommand{name: strings.ToLower(name), args: strings.Fields(rest), rest: rest}, true
	}
	return parsedCommand{}, false
}

// onIssueComment runs the command of a new comment.
func (b *Bot) onIssueComment(ctx context.Context, ev Event) error {
	ic, err := githubapi.ParseIssueCommentEvent(ev.Payload)
	if err != nil {
		return river.JobCancel(err)
	}
	if ic.Action != "created" || ic.Author.Type == "Bot" {
		return nil // edits are not commands; bots (this one too) are not obeyed
	}
	p, ok := parseCommand(ic.Body)
	if !ok {
		return nil
	}
	gh, err := b.Installation(ev.InstallationID)
	if err != nil {
		return river.JobCancel(err)
	}
	call := &CommandCall{GitHub: gh, Repo: ic.Repo, Number: ic.Number, PullRequest: ic.PullRequest, User: ic.Author.Login,
		Name: p.name, Args: p.args, Rest: p.rest, DeliveryID: ev.DeliveryID}
	perm, err := gh.CollaboratorPermission(ctx, ic.Repo, ic.Author.Login)
	if err != nil {
		return err
	}
	if !perm.CanWrite() {
		b.log.Info("refused a command from a user without write permission", "repo", ic.Repo.String(), "user", ic.Author.Login, "command", p.name)
		return call.Reply(ctx, fmt.Sprintf("Sorry @%s, only people with write access to this repository can run Breakwater commands, so I did nothing. A maintainer can run it for you.", ic.Author.Login))
	}
	cmd, ok := b.commands[p.name]
	if !ok {
		return call.Reply(ctx, b.commandHelp(p.name))
	}
	return cmd.Run(ctx, call)
}

// commandHelp lists the commands, after an unknown one.
func (b *Bot) commandHelp(unknown string) string {
	var sb strings.Builder
	if unknown == "" {
		sb.WriteString("Breakwater commands:\n\n")
	} else {
		fmt.Fprintf(&sb, "I do not know the command %s. Breakwater commands:\n\n", report.CodeSpan(unknown))
	}
	names := make([]string, 0, len(b.commands))
	for n := range b.commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		c := b.commands[n]
		fmt.Fprintf(&sb, "- %s: %s\n", report.CodeSpan(c.Usage), c.Summary)
	}
	return sb.String()
}

// planCommand checks the pull request again, posting the report and the
// upgrade plan with the instances as they are now.
func (b *Bot) planCommand(ctx context.Context, c *CommandCall) error {
	if !c.PullRequest {
		return c.Reply(ctx, "`/breakwater plan` works on pull requests: it plans the upgrade their changes need.")
	}
	pr, err := c.GitHub.PullRequest(ctx, c.Repo, c.Number)
	if err != nil {
		return err
	}
	out, err := b.checkPullRequest(ctx, c.GitHub, c.Repo, pr, checkOptions{})
	if err != nil {
		return err
	}
	switch {
	case out == nil:
		return c.Reply(ctx, "Breakwater could not check this pull request: the check run says why.")
	case !out.res.Touched:
		return c.Reply(ctx, "This pull request changes no export files, so there is nothing to plan.")
	case out.planNote != "":
		return c.Reply(ctx, "I checked the pull request again, without an upgrade plan: "+report.CodeSpan(clip.Runes(out.planNote, 500))+".")
	}
	return c.Reply(ctx, fmt.Sprintf("I checked the pull request again: the upgrade plan is in %s.", commentLink(pr, out.commentID)))
}

func commentLink(pr *githubapi.PullRequest, id int64) string {
	if id == 0 {
		return "the check run"
	}
	return fmt.Sprintf("[the Breakwater comment](%s#issuecomment-%d)", pr.HTMLURL, id)
}
