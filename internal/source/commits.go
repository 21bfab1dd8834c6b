package source

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
)

// Ways of reading a repository's commits (Commits.Mode).
const (
	// ModeCheckout: both commits were in the local checkout.
	ModeCheckout = "checkout"
	// ModeFetched: the checkout lacked one or both, fetched one level deep.
	ModeFetched = "fetched"
	// ModeAPI: through GitHub's REST API, one archive (or a few contents
	// requests) per side.
	ModeAPI = "api"
)

// CommitsOptions say where two commits of a GitHub repository may be read
// from.
type CommitsOptions struct {
	Repo       githubapi.Repo
	Base, Head string // commit SHAs
	// API reads through GitHub's REST API when no checkout can.
	API GitHubContents
	// Checkout is the working tree of a clone of the repository (the
	// Action's workspace); "" for none.
	Checkout string
	// RemoteURL is the repository's address on its git host
	// (https://github.com/OWNER/REPO), where commits the checkout lacks are
	// fetched from with Token; "" fetches nothing. Only a checkout whose
	// origin is this repository is fetched into.
	RemoteURL, Token string
	// TempDir holds unpacked archives ("" for the system's).
	TempDir string
}

// Commits are the two sides of a comparison of two commits, read the
// cheapest way at hand: from the objects of a local checkout that holds
// both (or can fetch them), else through the API. Either way the trees
// name themselves and their files alike, so a report does not depend on
// the way.
type Commits struct {
	Base, Head engine.Tree
	// Mode is how they are read: ModeCheckout, ModeFetched or ModeAPI.
	Mode string
	// Why says, when a checkout was there but could not serve, why not.
	Why string
	// Fetched are the commits fetched into the checkout.
	Fetched []string

	closers []func() error
}

// Close removes what reading left behind (unpacked archives).
func (c *Commits) Close() error {
	var errs []error
	for _, f := range c.closers {
		errs = append(errs, f())
	}
	return errors.Join(errs...)
}

// OpenCommits opens both commits. Only a failure of the API path is an
// error: a checkout that cannot serve is passed over, with Why.
func OpenCommits(ctx context.Context, o CommitsOptions) (*Commits, error) {
	label := func(sha string) string { return fmt.Sprintf("%s@%s", o.Repo, short(sha)) }
	why := ""
	if o.Checkout != "" {
		var c *Commits
		if c, why = openCheckout(ctx, o, label); c != nil {
			return c, nil
		}
	}
	out := apiCommits(o)
	out.Why = why
	return out, nil
}

func apiCommits(o CommitsOptions) *Commits {
	b, h := NewGitHub(o.API, o.Repo, o.Base, o.TempDir), NewGitHub(o.API, o.Repo, o.Head, o.TempDir)
	return &Commits{Base: b, Head: h, Mode: ModeAPI, closers: []func() error{b.Close, h.Close}}
}

// openCheckout reads both commits from the checkout's objects, fetching
// what it lacks. Without a repository there it says nothing; a repository
// that cannot serve says why.
func openCheckout(ctx context.Context, o CommitsOptions, label func(string) string) (*Commits, string) {
	repo, err := openRepository(o.Checkout, false)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, ""
	}
	if err != nil {
		return nil, fmt.Sprintf("the workspace's git repository cannot be read (%v)", err)
	}
	cfg, err := repo.git.Config()
	if err != nil {
		return nil, fmt.Sprintf("the workspace's git configuration cannot be read (%v)", err)
	}
	if partial(cfg) {
		return nil, "the checkout is a partial clone (a filter left files out), so the files cannot all be read from it"
	}
	var missing []string
	for _, sha := range []string{o.Base, o.Head} {
		if !repo.hasCommit(sha) && !slices.Contains(missing, sha) {
			missing = append(missing, sha)
		}
	}
	out := &Commits{Mode: ModeCheckout}
	if len(missing) > 0 {
		if why := fetchable(cfg, o.RemoteURL); why != "" {
			return nil, why
		}
		if err := repo.fetch(ctx, o.RemoteURL, o.Token, missing); err != nil {
			return nil, fmt.Sprintf("fetching %s from %s failed (%v)", strings.Join(shorts(missing), " and "), o.RemoteURL, err)
		}
		for _, sha := range missing {
			if !repo.hasCommit(sha) {
				return nil, fmt.Sprintf("the fetch from %s did not bring %s", o.RemoteURL, short(sha))
			}
		}
		out.Mode, out.Fetched = ModeFetched, missing
	}
	open := func(sha string) *Git {
		return &Git{repo: repo, commit: plumbing.NewHash(sha), prefix: ".", label: label(sha), name: func(p string) string { return p }}
	}
	out.Base, out.Head = open(o.Base), open(o.Head)
	return out, ""
}

// partial reports a partial clone: its promisor remote may serve objects
// the checkout lacks, which go-git cannot ask for.
func partial(cfg *config.Config) bool {
	if cfg.Raw.Section("extensions").Option("partialclone") != "" {
		return true
	}
	for _, s := range cfg.Raw.Section("remote").Subsections {
		if s.Option("promisor") == "true" || s.Option("partialclonefilter") != "" {
			return true
		}
	}
	return false
}

// fetchable says why the checkout must not be fetched into from remote: the
// token goes only to the repository's own address, and only into a clone
// of it.
func fetchable(cfg *config.Config, remote string) string {
	if remote == "" {
		return "the checkout lacks the commits, and no address to fetch them from was given"
	}
	origin, ok := cfg.Remotes["origin"]
	if !ok || len(origin.URLs) == 0 {
		return "the checkout lacks the commits and has no origin to fetch them from"
	}
	if !sameRepository(origin.URLs[0], remote) {
		return fmt.Sprintf("the checkout lacks the commits, and its origin (%s) is not %s", redact(origin.URLs[0]), remote)
	}
	return ""
}

// sameRepository compares two addresses of a repository: scheme, user
// and a trailing ".git" aside, in any case.
func sameRepository(a, b string) bool {
	norm := func(s string) string {
		if u, err := url.Parse(s); err == nil && u.Host != "" {
			s = u.Host + u.Path
		} else if at := strings.Index(s, "@"); at >= 0 && strings.Contains(s[at:], ":") {
			// git@host:owner/repo
			s = strings.Replace(s[at+1:], ":", "/", 1)
		}
		return strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git"))
	}
	return norm(a) == norm(b)
}

// redact drops credentials from an address shown in a message.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	return s
}

// fetch fetches commits one level deep from url (git fetch --depth=1
// origin SHA...), authenticated as GitHub asks a token to be: HTTP basic,
// user x-access-token. The refs the fetch needs are removed afterwards;
// the objects stay.
func (r *repository) fetch(ctx context.Context, url, token string, shas []string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var specs []config.RefSpec
	var refs []plumbing.ReferenceName
	for _, sha := range shas {
		ref := plumbing.ReferenceName("refs/breakwater/fetched/" + sha)
		specs = append(specs, config.RefSpec("+"+sha+":"+ref.String()))
		refs = append(refs, ref)
	}
	remote := git.NewRemote(r.git.Storer, &config.RemoteConfig{Name: "breakwater", URLs: []string{url}})
	opts := &git.FetchOptions{RemoteName: "breakwater", RefSpecs: specs, Depth: 1, Tags: git.NoTags}
	if token != "" {
		opts.Auth = &githttp.BasicAuth{Username: "x-access-token", Password: token}
	}
	err := remote.FetchContext(ctx, opts)
	if errors.Is(err, git.NoErrAlreadyUpToDate) {
		err = nil
	}
	for _, ref := range refs {
		if rerr := r.git.Storer.RemoveReference(ref); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

func shorts(shas []string) []string {
	out := make([]string, len(shas))
	for i, s := range shas {
		out[i] = short(s)
	}
	return out
}
