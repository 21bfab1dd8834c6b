package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/source"
)

type packageOptions struct {
	version, out, pkg, repository, config string
}

func newPackageCmd() *command {
	o := &packageOptions{}
	c := &command{
		name:    "package",
		usage:   "[DIR]",
		summary: "Build the reproducible npm tarball of a release",
		help: `Builds <out>/<npm-name-without-scope>-<version>.tgz from the exports under
DIR (default .) and prints its path. The version is --version, else the v-tag
at DIR's commit, else the declared version (version.file in the
configuration). The tarball holds package.json (the scoped, lower-case npm
name, the runtime name in "breakwater.runtimeName", the repository and
publishConfig.registry), breakwater.json (the release manifest with the change
record against the previous v-tag, read from git) and the exports.

The same commit gives the same bytes: entries are sorted with fixed modes and
times, and the manifest is stamped with the commit's time (or
SOURCE_DATE_EPOCH), never the clock.`,
	}
	c.flags = newFlagSet(c)
	c.flags.StringVar(&o.version, "version", "", "the `version` X.Y.Z (default: the tag, else the declared version)")
	c.flags.StringVar(&o.out, "out", ".", "the `directory` the tarball is written to")
	c.flags.StringVar(&o.pkg, "package", "", "the runtime package `name` (default: the configuration's only package)")
	c.flags.StringVar(&o.repository, "repository", "", "the GitHub repository `owner/name` (default: GITHUB_REPOSITORY, else git's origin)")
	addConfigFlag(c.flags, &o.config)
	c.run = func(ctx context.Context, env Env, args []string) error { return runPackage(ctx, env, o, args) }
	return c
}

func runPackage(ctx context.Context, env Env, o *packageOptions, args []string) error {
	dir, cfg, r, err := localRelease(ctx, env, "package", args, o.config, o.repository, o.pkg)
	if err != nil {
		return err
	}
	if r.Version, err = localVersion(ctx, cfg, dir, o.version); err != nil {
		return err
	}
	r.Tag = "v" + r.Version
	if _, err := release.VersionOf(r.Tag); err != nil {
		return fmt.Errorf("version %q: %w", r.Version, err)
	}
	if tags, err := gitTags(ctx, dir); err == nil {
		if r.Previous, err = release.PreviousRelease(tags, r.Version); err != nil {
			return err
		}
	}
	head, err := source.NewDir(dir, dir)
	if err != nil {
		return err
	}
	out := env.path(o.out)
	steps := []release.Step{
		release.ChangeRecordStep{Compare: func(ctx context.Context, prev release.Previous) (*change.Report, error) {
			base, err := gitTreeAt(ctx, dir, prev.Commit)
			if err != nil {
				return nil, err
			}
			return compareTrees(ctx, base, head, cfg, r.Package)
		}},
		release.PackageStep{Files: func(ctx context.Context) ([]release.File, error) {
			return packageFiles(ctx, head, cfg, r.Package)
		}, OutDir: out},
	}
	if err := release.Run(ctx, r, steps); err != nil {
		return err
	}
	_, err = fmt.Fprintln(env.Stdout, filepath.Join(out, r.TarballName))
	return err
}

// localRelease starts a release of the repository checked out at [DIR]
// (the command's only argument, default "."): its configuration, name,
// package, commit and the commit's time (SOURCE_DATE_EPOCH wins, as in
// every reproducible build).
func localRelease(ctx context.Context, env Env, cmd string, args []string, configPath, repository, pkgName string) (string, *config.Config, *release.Release, error) {
	if len(args) > 1 {
		return "", nil, nil, fmt.Errorf("%s takes at most one DIR; see breakwater %s --help", cmd, cmd)
	}
	dir := env.path(".")
	if len(args) == 1 {
		dir = env.path(args[0])
	}
	cfg, err := loadConfig(ctx, env, configPath)
	if err != nil {
		return "", nil, nil, err
	}
	r, err := localRepo(ctx, env, cfg, dir, repository, pkgName)
	return dir, cfg, r, err
}

func localRepo(ctx context.Context, env Env, cfg *config.Config, dir, repository, pkgName string) (*release.Release, error) {
	if repository == "" {
		repository = env.Getenv("GITHUB_REPOSITORY")
	}
	if repository == "" {
		repository = source.GitHubOrigin(ctx, dir)
	}
	owner, name, ok := strings.Cut(repository, "/")
	if !ok || owner == "" || name == "" {
		return nil, errors.New("the GitHub repository is unknown: give --repository owner/name (or set GITHUB_REPOSITORY)")
	}
	pkg, err := releasePackage(cfg, owner, name, pkgName)
	if err != nil {
		return nil, err
	}
	r := &release.Release{Repo: githubapi.Repo{Owner: owner, Name: name}, ServerURL: env.Getenv("GITHUB_SERVER_URL"), Package: pkg,
		Registry: cfg.Registry.URL, Secrets: secrets(env, cfg)}
	commit, at, gerr := source.GitCommit(ctx, dir, "")
	r.Commit, r.CommitTime = commit, at
	if s := env.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds", s)
		}
		r.CommitTime = time.Unix(sec, 0).UTC()
	} else if gerr != nil {
		return nil, fmt.Errorf("%s is not a git checkout, so the build has no commit time to stamp (set SOURCE_DATE_EPOCH): %w", dir, gerr)
	}
	return r, nil
}

// localVersion is the version given, else the v-tag at dir's commit, else
// the declared version.
func localVersion(ctx context.Context, cfg *config.Config, dir, given string) (string, error) {
	if given != "" {
		return strings.TrimPrefix(given, "v"), nil
	}
	if tag := source.GitVersionTag(ctx, dir); tag != "" {
		return strings.TrimPrefix(tag, "v"), nil
	}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(cfg.Version.File)))
	if err != nil {
		return "", fmt.Errorf("no version: give --version, tag the commit v…, or declare it in %s (%w)", cfg.Version.File, err)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return "", fmt.Errorf("%s: %w", cfg.Version.File, err)
	}
	for _, tok := range strings.Split(strings.TrimPrefix(cfg.Version.Pointer, "/"), "/") {
		m, ok := doc.(map[string]any)
		if !ok {
			doc = nil
			break
		}
		doc = m[strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)]
	}
	v, ok := doc.(string)
	if !ok || v == "" {
		return "", fmt.Errorf("%s has no version at %s: give --version", cfg.Version.File, cfg.Version.Pointer)
	}
	return v, nil
}
