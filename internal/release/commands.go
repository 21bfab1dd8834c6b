package release

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/npmpkg"
	"github.com/breakwater-dev/breakwater/internal/npmregistry"
	"github.com/breakwater-dev/breakwater/internal/signing"
	"github.com/breakwater-dev/breakwater/internal/source"
)

// The release commands, each usable alone (docs/action.md#releases): the
// CLI maps its flags to these options and prints what comes back. Paths in
// the options are relative to Env.Dir.

// PackageOptions are the package command's.
type PackageOptions struct {
	// Dir is the checkout the exports are read from ("" = ".").
	Dir string
	// Version is X.Y.Z; "" means the v-tag at Dir's commit, else the
	// declared version (version.file in the configuration).
	Version string
	// Out is the directory the tarball is written to ("" = ".").
	Out string
	// Package is the runtime name of one of the configured packages; ""
	// means the only one.
	Package string
	// Repository is owner/name; "" means GITHUB_REPOSITORY, else git's
	// origin.
	Repository string
	// Config is the configuration file; "" means the default path.
	Config string
}

// BuildTarball builds the reproducible tarball of the exports under Dir,
// with the change record against the previous v-tag, and returns its path.
func BuildTarball(ctx context.Context, env Env, o PackageOptions) (string, error) {
	dir, cfg, r, err := checkout(ctx, env, "package", o.Dir, o.Config, o.Repository, o.Package)
	if err != nil {
		return "", err
	}
	if r.Version, err = localVersion(ctx, cfg, dir, o.Version); err != nil {
		return "", err
	}
	r.Tag = "v" + r.Version
	if _, err := VersionOf(r.Tag); err != nil {
		return "", fmt.Errorf("version %q: %w", r.Version, err)
	}
	// Without tags (a shallow checkout) this is a first release: the
	// manifest then says so, rather than the command failing.
	if tags, err := gitTags(ctx, dir); err == nil {
		if r.Previous, err = PreviousRelease(tags, r.Version); err != nil {
			return "", err
		}
	}
	head, err := source.NewDir(dir, dir)
	if err != nil {
		return "", err
	}
	out := env.path(o.Out)
	steps := []Step{
		ChangeRecordStep{Compare: func(ctx context.Context, prev Previous) (*change.Report, error) {
			base, err := gitTreeAt(ctx, dir, prev.Commit)
			if err != nil {
				return nil, err
			}
			return compareTrees(ctx, base, head, cfg, r.Package)
		}},
		PackageStep{Files: func(ctx context.Context) ([]File, error) {
			return packageFiles(ctx, head, cfg, r.Package)
		}, OutDir: out},
	}
	if err := Run(ctx, r, steps); err != nil {
		return "", err
	}
	return filepath.Join(out, r.TarballName), nil
}

// SignOptions are the sign command's.
type SignOptions struct {
	Tarball string
	// Key is a PEM private key file or env://VARIABLE; "" means the
	// configuration's (signing.mode key), else keyless.
	Key string
	// Bundle is where the bundle is written; "" means next to the
	// tarball, TARBALL.sigstore.json.
	Bundle string
	Config string
}

// Signed is what signing made.
type Signed struct {
	// Bundle is the path the Sigstore bundle was written to.
	Bundle string
	// Warnings are for the person signing (the public log of keyless
	// signing in a private repository).
	Warnings []string
}

// SignTarball signs a tarball and writes the bundle.
func SignTarball(ctx context.Context, env Env, o SignOptions) (*Signed, error) {
	cfg, err := env.loadConfig(ctx, o.Config)
	if err != nil {
		return nil, err
	}
	data, err := env.readFile("the tarball", o.Tarball)
	if err != nil {
		return nil, err
	}
	pkg, err := tarballPackage(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Tarball, err)
	}
	step, err := signStep(env, cfg, o.Key, signing.ProvenanceFromEnv(env.Getenv))
	if err != nil {
		return nil, err
	}
	if step.Key == nil && step.Keyless == nil {
		return nil, errors.New("signing.mode is none in the configuration: give --key to sign anyway")
	}
	r := &Release{Package: Package{NPM: pkg.Name}, Version: pkg.Version, Tarball: data, Secrets: env.secrets(cfg)}
	if _, err := step.Run(ctx, r); err != nil {
		return nil, redactErr(err, r.Secrets)
	}
	out := o.Bundle
	if out == "" {
		out = o.Tarball + ".sigstore.json"
	}
	if err := os.WriteFile(env.path(out), r.Bundle, 0o644); err != nil {
		return nil, fmt.Errorf("writing the bundle: %w", err)
	}
	return &Signed{Bundle: out, Warnings: r.Warnings}, nil
}

// VerifyOptions are the verify command's.
type VerifyOptions struct {
	Tarball string
	// Bundle is the Sigstore bundle; "" means TARBALL.sigstore.json.
	Bundle string
	Config string
	// Policy is what the bundle must satisfy; empty means the
	// configuration's signing.policy.
	Policy PolicyOptions
}

// VerifyTarball verifies a tarball against its bundle under the policy. A
// bundle that does not verify is an error that satisfies
// errors.Is(err, signing.ErrNotVerified); any other error means the
// verification could not run.
func VerifyTarball(ctx context.Context, env Env, o VerifyOptions) (*signing.Verified, error) {
	if o.Policy.Issuer != "" && o.Policy.IdentityRegexp == "" {
		return nil, errors.New("--certificate-oidc-issuer needs --certificate-identity-regexp")
	}
	cfg, err := env.loadConfig(ctx, o.Config)
	if err != nil {
		return nil, err
	}
	data, err := env.readFile("the tarball", o.Tarball)
	if err != nil {
		return nil, err
	}
	bundle, err := readBundle(env, o.Tarball, o.Bundle)
	if err != nil {
		return nil, err
	}
	p, err := policy(ctx, env, cfg, o.Policy)
	if err != nil {
		return nil, err
	}
	// The signed statement must name the package version the tarball says
	// it is; a tarball that cannot be read is checked by its digests alone
	// (an altered one then fails there, with the reason).
	if pkg, err := tarballPackage(data); err == nil {
		p.Package = &pkg
	}
	return signing.Verify(data, bundle, p)
}

// PublishOptions are the publish command's.
type PublishOptions struct {
	Tarball string
	// Registry is the registry's URL (https://npm.pkg.github.com).
	Registry string
	// Tag is the dist-tag; "" means npm's rule (latest, unless a
	// pre-release).
	Tag string
}

// PublishTarball publishes a tarball with the token in NODE_AUTH_TOKEN
// (else GITHUB_TOKEN): the same bytes already there are left alone, other
// bytes under the version are an error.
func PublishTarball(ctx context.Context, env Env, o PublishOptions) (*npmregistry.Result, error) {
	token := env.registryToken()
	if token == "" {
		return nil, errors.New("no registry token: set NODE_AUTH_TOKEN (or GITHUB_TOKEN)")
	}
	data, err := env.readFile("the tarball", o.Tarball)
	if err != nil {
		return nil, err
	}
	c, err := npmpkg.ReadBytes(data, npmpkg.Limits{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.Tarball, err)
	}
	client, err := npmregistry.New(o.Registry, token, npmregistry.Options{Logger: env.logger()})
	if err != nil {
		return nil, err
	}
	return client.Publish(ctx, data, c.PackageJSON, npmregistry.PublishOptions{Tag: o.Tag})
}

// DeployOptions are the deploy command's.
type DeployOptions struct {
	Tarball string
	// Bundle is the Sigstore bundle; "" means TARBALL.sigstore.json.
	Bundle string
	Config string
	// Environments are the environments to deploy to, in order; none
	// means every configured one in promotion order.
	Environments []string
	Policy       PolicyOptions
}

// DeployTarball verifies a tarball against its bundle and the policy, then
// deploys it to the environments, stopping at the first that fails. The
// release is returned also when it failed, to say what happened.
func DeployTarball(ctx context.Context, env Env, o DeployOptions) (*Release, error) {
	cfg, err := env.loadConfig(ctx, o.Config)
	if err != nil {
		return nil, err
	}
	r, err := readRelease(env, o.Tarball, o.Bundle)
	if err != nil {
		return nil, err
	}
	r.Secrets = env.secrets(cfg)
	p, err := policy(ctx, env, cfg, o.Policy)
	if err != nil {
		return nil, err
	}
	gh, repo, err := githubFromEnv(env)
	if err != nil {
		return nil, err
	}
	r.Repo = repo
	targets, err := deploySteps(env, cfg, o.Environments, tracker(gh), env.runURL())
	if err != nil {
		return nil, err
	}
	return r, Run(ctx, r, append([]Step{VerifyStep{Policy: p}}, targets...))
}

// tracker is gh as the deployments' tracker; nil (no tracking) without it.
func tracker(gh *githubapi.Client) Deployments {
	if gh == nil {
		return nil
	}
	return gh
}

// TagOptions are the release command's: a whole release of a tag of a
// local checkout, read with git.
type TagOptions struct {
	// Dir is the checkout ("" = ".").
	Dir string
	// Tag is vX.Y.Z; "" means the v-tag at Dir's commit.
	Tag string
	// Key signs with a PEM private key file or env://VARIABLE.
	Key string
	// Out, when set, is a directory the tarball is also written to.
	Out string
	// Environments to deploy to; none means all, in promotion order.
	Environments []string
	Package      string
	Repository   string
	Config       string
	// Summary is a file the Markdown report is appended to; "" means
	// GITHUB_STEP_SUMMARY when set.
	Summary string
	// Policy overrides the configuration's verification policy.
	Policy PolicyOptions
}

// ReleaseTag runs the whole release of a tag of a local checkout: version,
// change record, package, sign, verify, publish, attach, deploy, summary.
// The release is returned also when a step failed, to say what happened.
func ReleaseTag(ctx context.Context, env Env, o TagOptions) (*Release, error) {
	dir, cfg, r, err := checkout(ctx, env, "release", o.Dir, o.Config, o.Repository, o.Package)
	if err != nil {
		return nil, err
	}
	r.Tag, r.Commit = o.Tag, "" // the commit is the tag's, found among the tags
	if r.Tag == "" {
		if r.Tag = source.GitVersionTag(ctx, dir); r.Tag == "" {
			return nil, errors.New("no release tag: give --tag vX.Y.Z, or run at a commit tagged v…")
		}
	}
	gh, _, err := githubFromEnv(env)
	if err != nil {
		return nil, err
	}
	summaryPath := env.Getenv("GITHUB_STEP_SUMMARY")
	if o.Summary != "" {
		summaryPath = env.path(o.Summary)
	}
	fixedTime := r.CommitTime
	w := wholeRelease{
		tags: func(ctx context.Context) ([]Tag, error) { return gitTags(ctx, dir) },
		commitTime: func(ctx context.Context, sha string) (time.Time, error) {
			if env.Getenv("SOURCE_DATE_EPOCH") != "" {
				return fixedTime, nil
			}
			_, t, err := source.GitCommit(ctx, dir, sha)
			return t, err
		},
		treeAt:        func(ctx context.Context, sha string) (engine.Tree, error) { return gitTreeAt(ctx, dir, sha) },
		gh:            gh,
		keyRef:        o.Key,
		environments:  o.Environments,
		registryToken: env.registryToken(),
		provenance:    signing.ProvenanceFromEnv(env.Getenv),
		logURL:        env.runURL(),
		policy:        o.Policy,
	}
	if o.Out != "" {
		w.outDir = env.path(o.Out)
	}
	if summaryPath != "" {
		w.summary = func(md string) error { return appendFile(summaryPath, md) }
	}
	steps, err := w.steps(ctx, env, cfg, r)
	if err != nil {
		return nil, err
	}
	return r, Run(ctx, r, steps)
}

func appendFile(path, s string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("writing the job summary: %w", err)
	}
	if _, err := f.WriteString(s); err != nil {
		f.Close()
		return fmt.Errorf("writing the job summary: %w", err)
	}
	return f.Close()
}

// checkout starts a release of the repository checked out at dir (""
// means "."): its configuration, name, package, commit and the commit's
// time (SOURCE_DATE_EPOCH wins, as in every reproducible build).
func checkout(ctx context.Context, env Env, cmd, dir, configPath, repository, pkgName string) (string, *config.Config, *Release, error) {
	if dir == "" {
		dir = "."
	}
	dir = env.path(dir)
	cfg, err := env.loadConfig(ctx, configPath)
	if err != nil {
		return "", nil, nil, err
	}
	if repository == "" {
		repository = env.Getenv("GITHUB_REPOSITORY")
	}
	if repository == "" {
		repository = source.GitHubOrigin(ctx, dir)
	}
	owner, name, ok := strings.Cut(repository, "/")
	if !ok || owner == "" || name == "" {
		return "", nil, nil, fmt.Errorf("the GitHub repository is unknown: give %s --repository owner/name (or set GITHUB_REPOSITORY)", cmd)
	}
	pkg, err := releasePackage(cfg, owner, name, pkgName)
	if err != nil {
		return "", nil, nil, err
	}
	r := &Release{Repo: githubapi.Repo{Owner: owner, Name: name}, ServerURL: env.Getenv("GITHUB_SERVER_URL"), Package: pkg,
		Registry: cfg.Registry.URL, Secrets: env.secrets(cfg)}
	commit, at, gerr := source.GitCommit(ctx, dir, "")
	r.Commit, r.CommitTime = commit, at
	if s := env.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return "", nil, nil, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds", s)
		}
		r.CommitTime = time.Unix(sec, 0).UTC()
	} else if gerr != nil {
		return "", nil, nil, fmt.Errorf("%s is not a git checkout, so the build has no commit time to stamp (set SOURCE_DATE_EPOCH): %w", dir, gerr)
	}
	return dir, cfg, r, nil
}

// localVersion is the version given, else the v-tag at dir's commit, else
// the declared version (version.file at dir's root).
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
	d, err := engine.DeclaredVersion(cfg.Version.File, data, cfg.Version.Pointer)
	if err != nil {
		return "", err
	}
	if d == nil || d.Version == "" {
		return "", fmt.Errorf("%s has no version at %s: give --version", cfg.Version.File, cfg.Version.Pointer)
	}
	return d.Version, nil
}
