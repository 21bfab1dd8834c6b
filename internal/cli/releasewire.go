package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/npmpkg"
	"github.com/breakwater-dev/breakwater/internal/npmregistry"
	"github.com/breakwater-dev/breakwater/internal/release"
	"github.com/breakwater-dev/breakwater/internal/runtime"
	"github.com/breakwater-dev/breakwater/internal/signing"
	"github.com/breakwater-dev/breakwater/internal/tray"
)

// The wiring the release commands share: keys, policies, clients and
// secrets from the configuration and the environment. Commands stay thin.

// secretVars are the variables whose values are secrets wherever they
// appear; environments add the ones their token-env names.
var secretVars = []string{"GITHUB_TOKEN", "NODE_AUTH_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "SIGSTORE_ID_TOKEN", "INPUT_TOKEN", "BREAKWATER_SIGNING_KEY"}

// secrets are the values of every secret variable the configuration names.
func secrets(env Env, cfg *config.Config) []string {
	vars := append([]string(nil), secretVars...)
	for _, e := range cfg.DeployEnvironments() {
		vars = append(vars, e.Runtime.TokenEnv, e.Tray.TokenEnv)
	}
	var out []string
	for _, v := range vars {
		if v == "" {
			continue
		}
		if s := strings.TrimSpace(env.Getenv(v)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// readKeyRef reads a key named as cosign names them: a file, or env://VAR.
func readKeyRef(env Env, ref string) ([]byte, error) {
	if v, ok := strings.CutPrefix(ref, "env://"); ok {
		data := env.Getenv(v)
		if data == "" {
			return nil, fmt.Errorf("the key variable %s is empty or unset", v)
		}
		return []byte(data), nil
	}
	if strings.Contains(ref, "://") {
		return nil, fmt.Errorf("key %q: KMS keys are not built in; use a PEM file or env://VARIABLE", ref)
	}
	data, err := os.ReadFile(env.path(ref))
	if err != nil {
		return nil, fmt.Errorf("reading the key: %w", err)
	}
	return data, nil
}

// signStep is how to sign: the key (flag, else configuration) when there is
// one, else keyless when an OIDC token can be had, else not at all.
func signStep(env Env, cfg *config.Config, keyRef string, prov *signing.Provenance) (release.SignStep, error) {
	if keyRef == "" && cfg.Signing.Mode == config.SigningKey {
		keyRef = cfg.Signing.Key
	}
	if keyRef != "" {
		data, err := readKeyRef(env, keyRef)
		if err != nil {
			return release.SignStep{}, err
		}
		key, err := signing.ParsePrivateKeyPEM(data)
		if err != nil {
			return release.SignStep{}, err
		}
		return release.SignStep{Key: key, Provenance: prov}, nil
	}
	if cfg.Signing.Mode == config.SigningNone {
		return release.SignStep{}, nil
	}
	var tok signing.TokenSource
	switch {
	case env.Getenv("SIGSTORE_ID_TOKEN") != "":
		tok = signing.StaticToken(env.Getenv("SIGSTORE_ID_TOKEN"))
	case env.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL") != "":
		tok = signing.ActionsToken{RequestURL: env.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), RequestToken: env.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")}
	default:
		return release.SignStep{}, errors.New("no signing key (--key, or signing.mode key) and no OIDC token for keyless signing " +
			"(in GitHub Actions grant `permissions: id-token: write`; elsewhere set SIGSTORE_ID_TOKEN)")
	}
	opts := &signing.KeylessOptions{Token: tok, FulcioURL: cfg.Signing.FulcioURL, RekorURL: cfg.Signing.RekorURL, TSAURL: cfg.Signing.TSAURL}
	if cfg.Signing.TrustedRoot != "" {
		tr, err := trustedRoot(env.path(cfg.Signing.TrustedRoot))
		if err != nil {
			return release.SignStep{}, err
		}
		opts.TrustedRoot = tr
	}
	return release.SignStep{Keyless: opts, Provenance: prov}, nil
}

func trustedRoot(path string) (*signing.TrustedRoot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the trusted root: %w", err)
	}
	return signing.ParseTrustedRoot(data)
}

// policyFlags are cosign's verification flags.
type policyFlags struct {
	key, identityRegexp, issuer, trustedRoot string
}

// addPolicyFlags declares the verification flags, named as cosign's.
func addPolicyFlags(fs *flag.FlagSet, p *policyFlags) {
	fs.StringVar(&p.key, "key", "", "verify with this public key: a PEM `file` or env://VARIABLE")
	fs.StringVar(&p.identityRegexp, "certificate-identity-regexp", "", "`regexp` the certificate identity (SAN) must match as a whole")
	fs.StringVar(&p.issuer, "certificate-oidc-issuer", "", "the exact OIDC `issuer` (default "+signing.GitHubActionsIssuer+")")
	fs.StringVar(&p.trustedRoot, "trusted-root", "", "Sigstore trusted_root.json `file` (default: fetched through TUF)")
}

// addConfigFlag declares --config.
func addConfigFlag(fs *flag.FlagSet, path *string) {
	fs.StringVar(path, "config", "", "configuration `file` (default "+config.DefaultPath+" when it exists)")
}

// readTarball reads a tarball named on the command line.
func readTarball(env Env, path string) ([]byte, error) {
	data, err := os.ReadFile(env.path(path))
	if err != nil {
		return nil, fmt.Errorf("reading the tarball: %w", err)
	}
	return data, nil
}

// policy is what a bundle must satisfy: the flags when given, else the
// configuration's policy. A keyless policy without an identity expects
// the repository's release workflow at a v-tag.
func policy(ctx context.Context, env Env, cfg *config.Config, f policyFlags) (signing.Policy, error) {
	keyRef, re, issuer := f.key, f.identityRegexp, f.issuer
	if keyRef == "" && re == "" {
		keyRef, re = cfg.Signing.Policy.PublicKey, cfg.Signing.Policy.Identity
		if issuer == "" {
			issuer = cfg.Signing.Policy.Issuer
		}
	}
	if keyRef != "" {
		if re != "" {
			return signing.Policy{}, errors.New("give either a public key or a certificate identity, not both")
		}
		data, err := readKeyRef(env, keyRef)
		if err != nil {
			return signing.Policy{}, err
		}
		pub, err := signing.ParsePublicKeyPEM(data)
		if err != nil {
			return signing.Policy{}, err
		}
		return signing.Policy{PublicKey: pub}, nil
	}
	if re == "" {
		repo, wf := env.Getenv("GITHUB_REPOSITORY"), workflowPath(env.Getenv("GITHUB_WORKFLOW_REF"))
		if repo == "" || wf == "" {
			return signing.Policy{}, errors.New("no verification policy: give --key PUB.pem, or --certificate-identity-regexp and --certificate-oidc-issuer " +
				"(or signing.policy in the configuration)")
		}
		re = signing.ReleaseWorkflowSANRegexp(env.Getenv("GITHUB_SERVER_URL"), repo, wf)
	}
	rootPath := f.trustedRoot
	if rootPath == "" {
		rootPath = cfg.Signing.TrustedRoot
	}
	var tr *signing.TrustedRoot
	var err error
	if rootPath != "" {
		tr, err = trustedRoot(env.path(rootPath))
	} else {
		tr, err = signing.FetchTrustedRoot(ctx, signing.TUFOptions{})
	}
	if err != nil {
		return signing.Policy{}, err
	}
	return signing.Policy{Identity: &signing.Identity{SANRegexp: re, Issuer: issuer}, TrustedRoot: tr}, nil
}

// workflowPath is ".github/workflows/release.yml" of
// "owner/repo/.github/workflows/release.yml@refs/tags/v1".
func workflowPath(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	parts := strings.SplitN(ref, "/", 3)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// readRelease reads a tarball made by `breakwater package` and its bundle.
func readRelease(env Env, tarballPath, bundlePath string) (*release.Release, error) {
	data, err := readTarball(env, tarballPath)
	if err != nil {
		return nil, err
	}
	r := &release.Release{}
	if err := release.FromTarball(r, data); err != nil {
		return nil, fmt.Errorf("%s: %w", tarballPath, err)
	}
	b, err := readBundle(env, tarballPath, bundlePath)
	if err != nil {
		return nil, err
	}
	r.SetBundle(b)
	return r, nil
}

// readBundle reads the bundle at bundlePath, by default next to the tarball.
func readBundle(env Env, tarballPath, bundlePath string) ([]byte, error) {
	if bundlePath == "" {
		bundlePath = tarballPath + ".sigstore.json"
	}
	b, err := os.ReadFile(env.path(bundlePath))
	if err != nil {
		return nil, fmt.Errorf("reading the bundle: %w", err)
	}
	return b, nil
}

// tarballPackage is the npm name and version a tarball's package.json says.
func tarballPackage(data []byte) (signing.Package, error) {
	c, err := npmpkg.ReadBytes(data, npmpkg.Limits{})
	if err != nil {
		return signing.Package{}, err
	}
	return signing.Package{Name: c.Manifest.Name, Version: c.Manifest.Version}, nil
}

// deployTargets builds the steps that deploy to the named environments
// (all, in promotion order, when none is named).
func deployTargets(env Env, cfg *config.Config, names []string, tracker release.Deployments, logURL string) ([]release.Step, error) {
	all := cfg.DeployEnvironments()
	if len(all) == 0 {
		return nil, errors.New("no environment to deploy to: configure environments (or runtime.url) in " + config.DefaultPath)
	}
	var chosen []config.Environment
	if len(names) == 0 {
		chosen = all
	}
	for _, n := range names {
		found := false
		for _, e := range all {
			if strings.EqualFold(e.Name, n) {
				chosen, found = append(chosen, e), true
			}
		}
		if !found {
			return nil, fmt.Errorf("no environment %q in the configuration", n)
		}
	}
	var steps []release.Step
	for _, e := range chosen {
		s := release.DeployStep{Env: e, Tracker: tracker, LogURL: logURL}
		if e.IsTray() {
			c, err := trayClient(env, e)
			if err != nil {
				return nil, err
			}
			s.Tray = c
		} else {
			c, err := runtimeClient(env, e)
			if err != nil {
				return nil, err
			}
			s.Runtime = c
		}
		steps = append(steps, s)
	}
	return steps, nil
}

func runtimeClient(env Env, e config.Environment) (*runtime.Client, error) {
	shape := runtime.PublishPackageShape()
	if e.Runtime.Variant == config.VariantAPIPackage {
		shape = runtime.APIPackageShape()
	}
	shape.Path = e.Runtime.Path
	return runtime.New(e.Runtime.URL, env.Getenv(e.Runtime.TokenEnv), runtime.WithShape(shape), runtime.WithTimeout(e.Runtime.Timeout),
		runtime.WithUserAgent("breakwater/"+env.Version), runtime.WithLogger(env.logger()))
}

func trayClient(env Env, e config.Environment) (*tray.Client, error) {
	tok := env.Getenv(e.Tray.TokenEnv)
	if tok == "" {
		return nil, fmt.Errorf("environment %s: the Tray master token variable %s is empty or unset", e.Name, e.Tray.TokenEnv)
	}
	return tray.New(tray.Options{MasterToken: tok, Region: tray.Region(e.Tray.Region), GraphQLURL: e.Tray.GraphQLURL, APIURL: e.Tray.APIURL, Logger: env.logger()})
}

// githubFromEnv is the GitHub client of a run in GitHub Actions (or with
// GITHUB_REPOSITORY and GITHUB_TOKEN set by hand); nil outside.
func githubFromEnv(env Env, token string) (*githubapi.Client, githubapi.Repo, error) {
	repo := env.Getenv("GITHUB_REPOSITORY")
	if token == "" {
		token = env.Getenv("GITHUB_TOKEN")
	}
	if repo == "" || token == "" {
		return nil, githubapi.Repo{}, nil
	}
	owner, name, ok := strings.Cut(repo, "/")
	if !ok {
		return nil, githubapi.Repo{}, fmt.Errorf("GITHUB_REPOSITORY is %q: want owner/name", repo)
	}
	api := env.Getenv("GITHUB_API_URL")
	if api == "" {
		api = "https://api.github.com"
	}
	opts := []githubapi.Option{githubapi.WithUserAgent("breakwater/" + env.Version)}
	// Release assets go to an uploads host derived from the API URL;
	// GITHUB_UPLOAD_URL names it where it cannot be derived (a proxy).
	if u := env.Getenv("GITHUB_UPLOAD_URL"); u != "" {
		opts = append(opts, githubapi.WithUploadURL(u))
	}
	c, err := githubapi.New(api, token, opts...)
	return c, githubapi.Repo{Owner: owner, Name: name}, err
}

// releasePlan is what a whole release is made of; the release command and
// the Action fill it from their worlds.
type releasePlan struct {
	tags       func(ctx context.Context) ([]release.Tag, error)
	commitTime func(ctx context.Context, sha string) (time.Time, error)
	// treeAt is the repository at a commit.
	treeAt func(ctx context.Context, sha string) (engine.Tree, error)
	// gh is the GitHub API of the run, nil outside GitHub Actions.
	gh            *githubapi.Client
	keyRef        string
	outDir        string
	environments  []string
	summary       func(markdown string) error
	registryToken string
	provenance    *signing.Provenance
	visibility    string
	logURL        string
	policyFlags   policyFlags
}

// releaseSteps is the release, in order: version, change record, package,
// sign, verify, publish, attach, deploy per environment, summary.
func releaseSteps(ctx context.Context, env Env, cfg *config.Config, r *release.Release, p releasePlan) ([]release.Step, error) {
	sign, err := signStep(env, cfg, p.keyRef, p.provenance)
	if err != nil {
		return nil, err
	}
	if sign.Keyless != nil {
		sign.Keyless.RepositoryVisibility = p.visibility
	}
	pol, err := policy(ctx, env, cfg, p.policyFlags)
	if err != nil {
		return nil, err
	}
	if p.registryToken == "" {
		return nil, errors.New("no registry token: set NODE_AUTH_TOKEN (or GITHUB_TOKEN) for " + cfg.Registry.URL)
	}
	reg, err := npmregistry.New(cfg.Registry.URL, p.registryToken, npmregistry.Options{Logger: env.logger()})
	if err != nil {
		return nil, err
	}
	var tracker release.Deployments
	var assets release.Assets
	if p.gh != nil {
		tracker, assets = p.gh, p.gh
		sign.Earlier = func(ctx context.Context, sha256 string) ([][]byte, error) {
			atts, err := p.gh.Attestations(ctx, r.Repo, "sha256:"+sha256)
			var out [][]byte
			for _, a := range atts {
				if a.Bundle != nil {
					out = append(out, a.Bundle)
				}
			}
			return out, err
		}
		sign.ReusePolicy = pol
	}
	var deploys []release.Step
	if len(cfg.DeployEnvironments()) > 0 {
		if deploys, err = deployTargets(env, cfg, p.environments, tracker, p.logURL); err != nil {
			return nil, err
		}
	}
	steps := []release.Step{
		release.VersionStep{Tags: p.tags, CommitTime: p.commitTime},
		release.ChangeRecordStep{Compare: func(ctx context.Context, prev release.Previous) (*change.Report, error) {
			base, err := p.treeAt(ctx, prev.Commit)
			if err != nil {
				return nil, err
			}
			head, err := p.treeAt(ctx, r.Commit)
			if err != nil {
				return nil, err
			}
			return compareTrees(ctx, base, head, cfg, r.Package)
		}},
		release.PackageStep{Files: func(ctx context.Context) ([]release.File, error) {
			head, err := p.treeAt(ctx, r.Commit)
			if err != nil {
				return nil, err
			}
			return packageFiles(ctx, head, cfg, r.Package)
		}, OutDir: p.outDir},
		sign,
		release.VerifyStep{Policy: pol},
		release.PublishStep{Registry: reg},
		release.AttachStep{GitHub: assets},
	}
	steps = append(steps, deploys...)
	return append(steps, release.SummaryStep{Write: p.summary}), nil
}
