package release

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/config"
)

// Env is the process environment the release face reads: its variables
// (tokens, GITHUB_*, SOURCE_DATE_EPOCH), the directory relative paths are
// read from, and where the adapters log. The CLI fills it in; tests too.
type Env struct {
	Getenv func(string) string
	// Dir is the working directory relative paths resolve against; ""
	// means the process's own.
	Dir string
	// Version is Breakwater's own version, sent as the User-Agent.
	Version string
	// Log receives the adapters' warnings (a retry, a slow answer); nil
	// discards them.
	Log *slog.Logger
}

// path resolves a path from the command line against Dir.
func (e Env) path(p string) string {
	if e.Dir == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.Dir, p)
}

func (e Env) logger() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

func (e Env) userAgent() string { return "breakwater/" + e.Version }

// loadConfig reads the configuration file a command names, else the one at
// the default path of the working directory, else the defaults.
func (e Env) loadConfig(ctx context.Context, path string) (*config.Config, error) {
	if path == "" {
		path = config.DefaultPath
	}
	return config.Load(ctx, e.path(path))
}

// secretVars are the variables whose values are secrets wherever they
// appear; environments add the ones their token-env names. Never changed.
var secretVars = []string{"GITHUB_TOKEN", "NODE_AUTH_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "SIGSTORE_ID_TOKEN", "INPUT_TOKEN", "BREAKWATER_SIGNING_KEY"}

// secrets are the values of every secret variable the configuration names:
// a Release scrubs them from everything it writes.
func (e Env) secrets(cfg *config.Config) []string {
	vars := append([]string(nil), secretVars...)
	for _, env := range cfg.DeployEnvironments() {
		vars = append(vars, env.Runtime.TokenEnv, env.Tray.TokenEnv)
	}
	var out []string
	for _, v := range vars {
		if v == "" {
			continue
		}
		if s := strings.TrimSpace(e.Getenv(v)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// registryToken is the npm registry's token: NODE_AUTH_TOKEN, as npm reads
// it, else GITHUB_TOKEN (enough for GitHub Packages).
func (e Env) registryToken() string {
	if t := e.Getenv("NODE_AUTH_TOKEN"); t != "" {
		return t
	}
	return e.Getenv("GITHUB_TOKEN")
}

// readFile reads a file named on the command line; what names what it is
// in the error ("the tarball", "the bundle").
func (e Env) readFile(what, path string) ([]byte, error) {
	data, err := os.ReadFile(e.path(path))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	return data, nil
}

// runURL is the workflow run's page in GitHub Actions, "" elsewhere.
func (e Env) runURL() string {
	server, repo, id := e.Getenv("GITHUB_SERVER_URL"), e.Getenv("GITHUB_REPOSITORY"), e.Getenv("GITHUB_RUN_ID")
	if repo == "" || id == "" {
		return ""
	}
	if server == "" {
		server = "https://github.com"
	}
	return strings.TrimSuffix(server, "/") + "/" + repo + "/actions/runs/" + id
}
