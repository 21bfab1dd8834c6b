package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/npmpkg"
	"github.com/breakwater-dev/breakwater/internal/npmregistry"
	"github.com/breakwater-dev/breakwater/internal/runtime"
	"github.com/breakwater-dev/breakwater/internal/signing"
	"github.com/breakwater-dev/breakwater/internal/tray"
)

// The wiring the commands and the Action share: keys, policies, clients and
// the steps of a whole release, from the configuration and the environment.

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
	return env.readFile("the key", ref)
}

// signStep is how to sign: with the key (keyRef, else the configuration's)
// when there is one, else keyless when an OIDC token can be had, else —
// signing.mode none — not at all.
func signStep(env Env, cfg *config.Config, keyRef string, prov *signing.Provenance) (SignStep, error) {
	if keyRef == "" && cfg.Signing.Mode == config.SigningKey {
		keyRef = cfg.Signing.Key
	}
	if keyRef != "" {
		data, err := readKeyRef(env, keyRef)
		if err != nil {
			return SignStep{}, err
		}
		key, err := signing.ParsePrivateKeyPEM(data)
		if err != nil {
			return SignStep{}, err
		}
		return SignStep{Key: key, Provenance: prov}, nil
	}
	if cfg.Signing.Mode == config.SigningNone {
		return SignStep{}, nil
	}
	var tok signing.TokenSource
	switch {
	case env.Getenv("SIGSTORE_ID_TOKEN") != "":
		tok = signing.StaticToken(env.Getenv("SIGSTORE_ID_TOKEN"))
	case env.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL") != "":
		tok = signing.ActionsToken{RequestURL: env.Getenv("ACTIONS_ID_TOKEN_REQUEST_URL"), RequestToken: env.Getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")}
	default:
		return SignStep{}, errors.New("no signing key (--key, or signing.mode key) and no OIDC token for keyless signing " +
			"(in GitHub Actions grant `permissions: id-token: write`; elsewhere set SIGSTORE_ID_TOKEN)")
	}
	opts := &signing.KeylessOptions{Token: tok, FulcioURL: cfg.Signing.FulcioURL, RekorURL: cfg.Signing.RekorURL, TSAURL: cfg.Signing.TSAURL}
	if cfg.Signing.TrustedRoot != "" {
		tr, err := trustedRoot(env, cfg.Signing.TrustedRoot)
		if err != nil {
			return SignStep{}, err
		}
		opts.TrustedRoot = tr
	}
	return SignStep{Keyless: opts, Provenance: prov}, nil
}

func trustedRoot(env Env, path string) (*signing.TrustedRoot, error) {
	data, err := env.readFile("the trusted root", path)
	if err != nil {
		return nil, err
	}
	return signing.ParseTrustedRoot(data)
}

// PolicyOptions say what a bundle must satisfy, as cosign's verification
// flags do: a public key, or a certificate identity and issuer. Empty
// options mean the configuration's signing.policy.
type PolicyOptions struct {
	// Key is a PEM public key file, or env://VARIABLE.
	Key string
	// IdentityRegexp must match the certificate's identity (SAN) as a
	// whole; Issuer is the exact OIDC issuer (default GitHub Actions').
	IdentityRegexp, Issuer string
	// TrustedRoot is a Sigstore trusted_root.json file; "" fetches the
	// public-good root through TUF.
	TrustedRoot string
}

// policy is what a bundle must satisfy: the options when given, else the
// configuration's policy. A keyless policy without an identity expects
// the repository's release workflow at a v-tag.
func policy(ctx context.Context, env Env, cfg *config.Config, o PolicyOptions) (signing.Policy, error) {
	keyRef, re, issuer := o.Key, o.IdentityRegexp, o.Issuer
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
	rootPath := o.TrustedRoot
	if rootPath == "" {
		rootPath = cfg.Signing.TrustedRoot
	}
	var tr *signing.TrustedRoot
	var err error
	if rootPath != "" {
		tr, err = trustedRoot(env, rootPath)
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
func readRelease(env Env, tarballPath, bundlePath string) (*Release, error) {
	data, err := env.readFile("the tarball", tarballPath)
	if err != nil {
		return nil, err
	}
	r := &Release{}
	if err := FromTarball(r, data); err != nil {
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
	return env.readFile("the bundle", bundlePath)
}

// tarballPackage is the npm name and version a tarball's package.json says.
func tarballPackage(data []byte) (signing.Package, error) {
	c, err := npmpkg.ReadBytes(data, npmpkg.Limits{})
	if err != nil {
		return signing.Package{}, err
	}
	return signing.Package{Name: c.Manifest.Name, Version: c.Manifest.Version}, nil
}

// environments are the configured environments named (all, in promotion
// order, when none is named).
func environments(cfg *config.Config, names []string) ([]config.Environment, error) {
	all := cfg.DeployEnvironments()
	if len(all) == 0 {
		return nil, errors.New("no environment to deploy to: configure environments (or runtime.url) in " + config.DefaultPath)
	}
	if len(names) == 0 {
		return all, nil
	}
	var chosen []config.Environment
	for _, n := range names {
		found := false
		for _, e := range all {
			if strings.EqualFold(e.Name, n) {
				chosen, found = append(chosen, e), true
			}
		}
		if !found {
			var known []string
			for _, e := range all {
				known = append(known, e.Name)
			}
			return nil, fmt.Errorf("no environment %q in the configuration (it has %s)", n, strings.Join(known, ", "))
		}
	}
	return chosen, nil
}

// deploySteps deploy to the named environments (all, in promotion order,
// when none is named), each with its own client.
func deploySteps(env Env, cfg *config.Config, names []string, tracker Deployments, logURL string) ([]Step, error) {
	chosen, err := environments(cfg, names)
	if err != nil {
		return nil, err
	}
	var steps []Step
	for _, e := range chosen {
		s := DeployStep{Env: e, Tracker: tracker, LogURL: logURL}
		if e.IsTray() {
			if s.Tray, err = trayClient(env, e); err != nil {
				return nil, err
			}
		} else if s.Runtime, err = runtimeClient(env, e); err != nil {
			return nil, err
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
		runtime.WithUserAgent(env.userAgent()), runtime.WithLogger(env.logger()))
}

func trayClient(env Env, e config.Environment) (*tray.Client, error) {
	tok := env.Getenv(e.Tray.TokenEnv)
	if tok == "" {
		return nil, fmt.Errorf("environment %s: the Tray master token variable %s is empty or unset: set it from a secret (or name another in tray.token-env)", e.Name, e.Tray.TokenEnv)
	}
	return tray.New(tray.Options{MasterToken: tok, Region: tray.Region(e.Tray.Region), GraphQLURL: e.Tray.GraphQLURL, APIURL: e.Tray.APIURL, Logger: env.logger()})
}

// newGitHub is a GitHub API client. Release assets go to an uploads host
// derived from the API URL; GITHUB_UPLOAD_URL names it where it cannot be
// derived (GitHub Enterprise behind a proxy, the tests' fake).
func newGitHub(env Env, apiURL, token string) (*githubapi.Client, error) {
	opts := []githubapi.Option{githubapi.WithUserAgent(env.userAgent())}
	if u := env.Getenv("GITHUB_UPLOAD_URL"); u != "" {
		opts = append(opts, githubapi.WithUploadURL(u))
	}
	return githubapi.New(apiURL, token, opts...)
}

// githubFromEnv is the repository GITHUB_REPOSITORY names, and the client
// of a run in GitHub Actions, or of a command run with GITHUB_TOKEN set by
// hand; the client is nil without a token.
func githubFromEnv(env Env) (*githubapi.Client, githubapi.Repo, error) {
	repo, token := env.Getenv("GITHUB_REPOSITORY"), env.Getenv("GITHUB_TOKEN")
	if repo == "" {
		return nil, githubapi.Repo{}, nil
	}
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" {
		return nil, githubapi.Repo{}, fmt.Errorf("GITHUB_REPOSITORY is %q: want owner/name", repo)
	}
	if token == "" {
		return nil, githubapi.Repo{Owner: owner, Name: name}, nil
	}
	api := env.Getenv("GITHUB_API_URL")
	if api == "" {
		api = "https://api.github.com"
	}
	c, err := newGitHub(env, api, token)
	return c, githubapi.Repo{Owner: owner, Name: name}, err
}

// releasePackage is the package a release or rollback is about: the named
// one, the configuration's only one, or — with none configured — the
// repository itself (runtime name = repository name, npm name
// @owner/repository, both lower-cased).
func releasePackage(cfg *config.Config, owner, repo, name string) (Package, error) {
	for _, p := range cfg.Packages {
		if name == "" && len(cfg.Packages) == 1 || p.Runtime == name {
			return Package{Runtime: p.Runtime, NPM: p.NPM, Paths: p.Paths}, nil
		}
	}
	switch {
	case name != "":
		var known []string
		for _, p := range cfg.Packages {
			known = append(known, p.Runtime)
		}
		if len(known) == 0 {
			return Package{}, fmt.Errorf("no package %q: the configuration lists no packages", name)
		}
		return Package{}, fmt.Errorf("no package %q in the configuration's packages (it has %s)", name, strings.Join(known, ", "))
	case len(cfg.Packages) > 1:
		return Package{}, errors.New("the configuration lists several packages: name one with --package (the action's `package` input)")
	case owner == "" || repo == "":
		return Package{}, errors.New("no package is configured and the repository is unknown (set GITHUB_REPOSITORY or configure packages)")
	}
	return Package{Runtime: repo, NPM: "@" + strings.ToLower(owner) + "/" + strings.ToLower(repo)}, nil
}

// wholeRelease is what a whole release is made of; the release command
// (a local checkout, git) and the Action (the GitHub API) fill it in.
type wholeRelease struct {
	tags       func(ctx context.Context) ([]Tag, error)
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
	policy        PolicyOptions
}

// steps are the release of r, in order: version, change record, package,
// sign, verify, publish, attach, deploy per environment, summary.
func (w wholeRelease) steps(ctx context.Context, env Env, cfg *config.Config, r *Release) ([]Step, error) {
	sign, err := signStep(env, cfg, w.keyRef, w.provenance)
	if err != nil {
		return nil, err
	}
	if sign.Keyless != nil {
		sign.Keyless.RepositoryVisibility = w.visibility
	}
	pol, err := policy(ctx, env, cfg, w.policy)
	if err != nil {
		return nil, err
	}
	if w.registryToken == "" {
		return nil, errors.New("no registry token: set NODE_AUTH_TOKEN (or GITHUB_TOKEN) for " + cfg.Registry.URL)
	}
	reg, err := npmregistry.New(cfg.Registry.URL, w.registryToken, npmregistry.Options{Logger: env.logger()})
	if err != nil {
		return nil, err
	}
	var tracker Deployments
	var assets Assets
	if w.gh != nil {
		tracker, assets = w.gh, w.gh
		sign.Earlier = func(ctx context.Context, sha256 string) ([][]byte, error) {
			atts, err := w.gh.Attestations(ctx, r.Repo, "sha256:"+sha256)
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
	var deploys []Step
	if len(cfg.DeployEnvironments()) > 0 {
		if deploys, err = deploySteps(env, cfg, w.environments, tracker, w.logURL); err != nil {
			return nil, err
		}
	}
	steps := []Step{
		VersionStep{Tags: w.tags, CommitTime: w.commitTime},
		ChangeRecordStep{Compare: func(ctx context.Context, prev Previous) (*change.Report, error) {
			base, err := w.treeAt(ctx, prev.Commit)
			if err != nil {
				return nil, err
			}
			head, err := w.treeAt(ctx, r.Commit)
			if err != nil {
				return nil, err
			}
			return compareTrees(ctx, base, head, cfg, r.Package)
		}},
		PackageStep{Files: func(ctx context.Context) ([]File, error) {
			head, err := w.treeAt(ctx, r.Commit)
			if err != nil {
				return nil, err
			}
			return packageFiles(ctx, head, cfg, r.Package)
		}, OutDir: w.outDir},
		sign,
		VerifyStep{Policy: pol},
		PublishStep{Registry: reg},
		AttachStep{GitHub: assets},
	}
	steps = append(steps, deploys...)
	return append(steps, SummaryStep{Write: w.summary}), nil
}
