package githubapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v88/github"
)

// AppConfig is a GitHub App's registration: what it needs to authenticate
// as the app (a JWT signed with its private key) and as each installation.
type AppConfig struct {
	// APIURL is the REST API's base URL (https://api.github.com, or a GitHub
	// Enterprise Server's https://HOST/api/v3).
	APIURL string
	AppID  int64
	// PrivateKey is the app's PEM private key. It is parsed once and never
	// appears in errors or logs.
	PrivateKey []byte
	// Transport carries every request, the token requests included (the bot
	// wraps it to measure latency); nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Timeout bounds one request (default 60s).
	Timeout   time.Duration
	UserAgent string
	Retry     *RetryPolicy
}

// Apps authenticates as a GitHub App and hands out one client per
// installation. Each installation client holds its installation token, asks
// for a new one shortly before it expires (ghinstallation renews it a
// minute ahead) and is shared by every job of that installation. It is safe
// for concurrent use.
type Apps struct {
	cfg  AppConfig
	atr  *ghinstallation.AppsTransport
	app  *Client // authenticated as the app itself (JWT)
	mu   sync.Mutex
	inst map[int64]*Client
}

// NewApps parses the private key and prepares the app's client. It makes no
// request.
func NewApps(cfg AppConfig) (*Apps, error) {
	if cfg.AppID <= 0 {
		return nil, errors.New("GitHub App: the app ID must be a positive number (the app's settings page shows it)")
	}
	if cfg.Transport == nil {
		cfg.Transport = http.DefaultTransport
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.APIURL == "" {
		cfg.APIURL = "https://api.github.com"
	}
	atr, err := ghinstallation.NewAppsTransport(cfg.Transport, cfg.AppID, cfg.PrivateKey)
	if err != nil {
		// ghinstallation's message names the problem, never the key.
		return nil, fmt.Errorf("GitHub App %d: the private key is not a PEM RSA private key: %w", cfg.AppID, err)
	}
	atr.BaseURL = strings.TrimRight(cfg.APIURL, "/")
	atr.Client = &http.Client{Transport: cfg.Transport, Timeout: cfg.Timeout}
	a := &Apps{cfg: cfg, atr: atr, inst: map[int64]*Client{}}
	if a.app, err = a.client(atr); err != nil {
		return nil, err
	}
	return a, nil
}

func (a *Apps) client(rt http.RoundTripper) (*Client, error) {
	opts := []Option{WithHTTPClient(&http.Client{Transport: rt, Timeout: a.cfg.Timeout})}
	if a.cfg.UserAgent != "" {
		opts = append(opts, WithUserAgent(a.cfg.UserAgent))
	}
	if a.cfg.Retry != nil {
		opts = append(opts, WithRetryPolicy(*a.cfg.Retry))
	}
	return New(a.cfg.APIURL, "", opts...)
}

// AppID is the app's ID.
func (a *Apps) AppID() int64 { return a.cfg.AppID }

// Installation is the client of installation id, authenticated with its
// installation token (requested on first use, cached, renewed before it
// expires).
func (a *Apps) Installation(id int64) (*Client, error) {
	if id <= 0 {
		return nil, fmt.Errorf("GitHub App %d: no installation ID (the webhook delivery names none)", a.cfg.AppID)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.inst[id]; c != nil {
		return c, nil
	}
	itr := ghinstallation.NewFromAppsTransport(a.atr, id)
	itr.BaseURL = a.atr.BaseURL
	// Without options ghinstallation sends the body "null", which the API
	// description does not allow; an empty object asks for the same token.
	itr.InstallationTokenOptions = &github.InstallationTokenOptions{}
	itr.Client = &http.Client{Transport: a.cfg.Transport, Timeout: a.cfg.Timeout}
	c, err := a.client(itr)
	if err != nil {
		return nil, err
	}
	a.inst[id] = c
	return c, nil
}

// Describe is the app itself (GET /app): its ID and slug, which name its
// bot account slug[bot].
func (a *Apps) Describe(ctx context.Context) (App, error) {
	var app *github.App
	err := a.app.call(ctx, "get the authenticated app", func() (*github.Response, error) {
		var resp *github.Response
		var err error
		app, resp, err = a.app.gh.Apps.Get(ctx, "")
		return resp, err
	})
	if err != nil {
		return App{}, err
	}
	return App{ID: app.GetID(), Slug: app.GetSlug()}, nil
}

// RepoInstallation is the installation of the app on repository r (GET
// /repos/{owner}/{repo}/installation); IsNotFound is true when the app is
// not installed there.
func (a *Apps) RepoInstallation(ctx context.Context, r Repo) (int64, error) {
	var inst *github.Installation
	err := a.app.call(ctx, fmt.Sprintf("find the app's installation on %s", r), func() (*github.Response, error) {
		var resp *github.Response
		var err error
		inst, resp, err = a.app.gh.Apps.GetRepositoryInstallation(ctx, r.Owner, r.Name)
		return resp, err
	})
	if err != nil {
		return 0, err
	}
	return inst.GetID(), nil
}
