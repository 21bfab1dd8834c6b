package prsurface

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/githubapi"
)

// botSuffix ends the login of every GitHub App's bot account; GitHub does
// not allow it in the logins of people.
const botSuffix = "[bot]"

// Identity is the account a token acts as: a person for a personal access
// token (GET /user answers it), or an app's bot, "<app-slug>[bot]", for a
// GitHub App's installation token — the workflow's GITHUB_TOKEN is the
// github-actions app's, github-actions[bot]. For an app's token GitHub
// refuses GET /user, so the identity is learned from what the token writes:
// the check run it creates names its app, the comment it creates names its
// author.
type Identity struct {
	// Login is the account, e.g. "octocat" or "breakwater[bot]"; "" while
	// unknown.
	Login string
	// UserID is the account's ID, 0 when unknown.
	UserID int64
	// App is the GitHub App of an app's token, zero for a person's token or
	// while unknown.
	App githubapi.App
	// Source says how it was learned, for messages (e.g. "GET /user").
	Source string
}

// Known reports whether the account is known.
func (id Identity) Known() bool { return id.Login != "" }

// IsApp reports whether the account is an app's bot.
func (id Identity) IsApp() bool {
	return id.App.ID != 0 || strings.HasSuffix(strings.ToLower(id.Login), botSuffix)
}

// appSlug is the slug of the app whose bot the account is, "" for a person.
func (id Identity) appSlug() string {
	if id.App.Slug != "" {
		return id.App.Slug
	}
	if s, ok := strings.CutSuffix(strings.ToLower(id.Login), botSuffix); ok {
		return s
	}
	return ""
}

// AppIdentity is the identity of app's token.
func AppIdentity(app githubapi.App, source string) Identity {
	return Identity{Login: app.Slug + botSuffix, App: app, Source: source}
}

// wrote reports whether the account wrote c. Without a known login nothing
// is the account's: fail closed.
func (id Identity) wrote(c githubapi.Comment) bool {
	switch {
	case !id.Known() || !strings.EqualFold(c.Author.Login, id.Login):
		return false
	case id.UserID != 0 && c.Author.ID != 0 && c.Author.ID != id.UserID:
		return false
	case id.App.ID != 0 && c.ViaApp.ID != 0 && c.ViaApp.ID != id.App.ID:
		return false
	}
	return true
}

// created reports whether the account's app created the check run; a
// person's token creates none.
func (id Identity) created(cr githubapi.CheckRunInfo) bool {
	switch {
	case id.App.ID != 0 && cr.App.ID != 0:
		return cr.App.ID == id.App.ID
	case id.appSlug() != "":
		return strings.EqualFold(cr.App.Slug, id.appSlug())
	}
	return false
}

// learn merges what was found out about the account into what is known,
// and fails when the two name different accounts: whatever said who the
// token is (an input, a configuration) was wrong, and acting on it could
// touch another account's comments.
func (p *publisher) learn(found Identity) error {
	self := &p.res.Identity
	if self.Known() && !strings.EqualFold(self.Login, found.Login) {
		return fmt.Errorf("the token acts as %s (learned from %s), not as %s (from %s): correct or remove %s", found.Login, found.Source, self.Login, self.Source, self.Source)
	}
	if !self.Known() {
		self.Login, self.Source = found.Login, found.Source
	}
	if self.UserID == 0 {
		self.UserID = found.UserID
	}
	if self.App.ID == 0 && found.App.ID != 0 {
		self.App = found.App
	}
	return nil
}

// learnFromUser asks GitHub who the token is. A person's token gets an
// answer; an app's token is refused (403), and its identity comes from
// what it writes. A caller that knows its app asks nothing.
func (p *publisher) learnFromUser(ctx context.Context) error {
	if p.res.Identity.App.ID != 0 {
		return nil
	}
	u, err := p.gh.AuthenticatedUser(ctx)
	switch s := githubapi.StatusOf(err); {
	case err == nil:
		return p.learn(Identity{Login: u.Login, UserID: u.ID, Source: "GET /user"})
	case githubapi.IsForbidden(err), s == http.StatusNotFound:
		return nil
	default:
		return err
	}
}
