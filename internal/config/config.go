// Package config reads the repository configuration, .github/breakwater.yml:
// which files are exports, how findings are graded and accepted, how the pull
// request is labelled, and where releases are published, signed and deployed.
//
// The accepted keys are the `yaml` tags of the types below; the JSON Schema
// for editors (schema/breakwater.schema.json) describes the same keys, and a
// test keeps the two in step.
package config

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats/registry"
	"github.com/breakwater-dev/breakwater/internal/rules"
)

// DefaultPath is where the configuration lives in a repository. A missing
// file there is not an error: Default applies.
const DefaultPath = ".github/breakwater.yml"

// FormatAuto in artifacts[].format detects each file's format from its
// content; the other values are the registry's format names.
const FormatAuto = "auto"

// Formats are the values artifacts[].format accepts: FormatAuto and every
// format of the registry.
func Formats() []string { return append([]string{FormatAuto}, registry.Default().Names()...) }

// Values of runtime.variant.
const (
	// VariantDefault deploys with POST /publish/package {"package","version"}.
	VariantDefault = "default"
	// VariantAPIPackage deploys with POST /api/package/publish
	// {"packageName","version"} and reads a {success, failed[]} response.
	VariantAPIPackage = "api-package"
)

// Values of signing.mode.
const (
	SigningKeyless = "keyless" // Sigstore: OIDC → Fulcio → Rekor
	SigningKey     = "key"     // a PEM private key or KMS key, no public log
	SigningNone    = "none"
)

// Default runtime deploy paths per variant.
const (
	DefaultRuntimePath    = "/publish/package"
	APIPackageRuntimePath = "/api/package/publish"
)

// GitHubActionsIssuer is the OIDC issuer of GitHub Actions, the default
// expected certificate issuer for keyless signatures.
const GitHubActionsIssuer = "https://token.actions.githubusercontent.com"

// Config is the parsed configuration. Default and Parse fill in every
// default, so a zero value here means "not set" (e.g. no runtime URL), never
// "use the default".
type Config struct {
	// Path is the file the configuration came from; empty for Default.
	Path string `yaml:"-"`
	// ArtifactsSet is true when the file lists artifacts itself. The default
	// globs match every JSON file, so callers skip files of no known format
	// instead of reporting them (engine.Options.Explicit).
	ArtifactsSet bool `yaml:"-"`

	// Artifacts say which files are exports and of which format.
	Artifacts []Artifact `yaml:"artifacts"`
	// Version says where the declared version lives when an artifact does
	// not declare one itself.
	Version VersionSource `yaml:"version"`
	// Rules ignore or re-grade rules of the catalogue.
	Rules []RuleOverride `yaml:"rules"`
	// Accepted records intended breaking changes by fingerprint.
	Accepted []Accepted `yaml:"accepted"`
	// Labels names the pull request labels.
	Labels Labels `yaml:"labels"`
	// Comment turns the sticky pull request comment on or off.
	Comment bool `yaml:"comment"`
	// FailOn is the least severe finding that fails the check.
	FailOn change.FailOn `yaml:"fail-on"`
	// Packages map runtime package names to npm names.
	Packages []Package `yaml:"packages"`
	// Runtime is the deploy endpoint.
	Runtime Runtime `yaml:"runtime"`
	// Registry is the npm registry releases are published to.
	Registry Registry `yaml:"registry"`
	// Signing says how release tarballs are signed and verified.
	Signing Signing `yaml:"signing"`
	// Rollout paces instance upgrades done by the bot.
	Rollout Rollout `yaml:"rollout"`
	// Environments are where a release is deployed, in promotion order
	// (test before prod). Empty with runtime.url set means one environment,
	// "production", at that runtime (see DeployEnvironments).
	Environments []Environment `yaml:"environments"`
	// Tray names the Tray.io solution the exports are published as, whose
	// deployed instances the bot plans upgrades for.
	Tray Tray `yaml:"tray"`
}

// Tray is the Tray.io solution of the repository's exports. The endpoint
// and the master token are the bot's own settings (BREAKWATER_TRAY_URL,
// BREAKWATER_TRAY_TOKEN), never the repository's: a pull request must not
// be able to send the token elsewhere.
type Tray struct {
	// SolutionID is the solution's ID (Tray's solution editor shows it).
	SolutionID string `yaml:"solution-id"`
}

// Artifact is a set of export files of one format.
type Artifact struct {
	// Paths are glob patterns (path.Match syntax plus "**" for any number of
	// directories) matched against repository-relative, slash-separated paths.
	Paths []string `yaml:"paths"`
	// Format is FormatAuto (detect from the content) or a format name.
	Format string `yaml:"format"`
}

// VersionSource is a JSON file and a pointer into it that hold the declared
// version, e.g. package.json and /version.
type VersionSource struct {
	File    string `yaml:"file"`
	Pointer string `yaml:"pointer"`
}

// RuleOverride ignores or re-grades one rule, everywhere or under Paths.
type RuleOverride struct {
	// Rule is a rule ID of the catalogue, "family/name".
	Rule string `yaml:"rule"`
	// Severity replaces the rule's severity; empty keeps it.
	Severity change.Severity `yaml:"severity"`
	// Ignore drops the rule's findings.
	Ignore bool `yaml:"ignore"`
	// Paths limit the override to files matching these globs; empty means
	// everywhere.
	Paths []string `yaml:"paths"`

	// Line and Column locate the rule ID in the file, for CheckRules.
	Line   int `yaml:"-"`
	Column int `yaml:"-"`
}

// Accepted is an intended breaking change: the finding with this fingerprint
// does not fail the check.
type Accepted struct {
	// Fingerprint is a finding's fingerprint, 16 lower-case hex digits.
	Fingerprint string `yaml:"fingerprint"`
	// By is who accepted it.
	By string `yaml:"by"`
	// Reason is why.
	Reason string `yaml:"reason"`

	// Line and Column locate the entry in the file, e.g. to report an
	// acceptance that no longer matches any finding.
	Line   int `yaml:"-"`
	Column int `yaml:"-"`
}

// Labels are the names of the pull request labels.
type Labels struct {
	Breaking       string `yaml:"breaking"`
	Auth           string `yaml:"auth"`
	Config         string `yaml:"config"`
	CollectionRole string `yaml:"collection-role"`
	Workflow       string `yaml:"workflow"`
	// Accepted is the label that accepts every breaking change of the PR.
	Accepted    string `yaml:"accepted"`
	SemverMajor string `yaml:"semver-major"`
	SemverMinor string `yaml:"semver-minor"`
	SemverPatch string `yaml:"semver-patch"`
}

// ForCategory is the label of breaking findings of category c, or "" when
// the category has none.
func (l Labels) ForCategory(c change.Category) string {
	switch c {
	case change.CatAuth:
		return l.Auth
	case change.CatConfig:
		return l.Config
	case change.CatCollectionRole:
		return l.CollectionRole
	case change.CatWorkflow:
		return l.Workflow
	}
	return ""
}

// ForBump is the label of a required bump, or "" for none and unknown.
func (l Labels) ForBump(b change.Bump) string {
	switch b {
	case change.BumpMajor:
		return l.SemverMajor
	case change.BumpMinor:
		return l.SemverMinor
	case change.BumpPatch:
		return l.SemverPatch
	}
	return ""
}

// Package maps a runtime package to its npm package.
type Package struct {
	// Runtime is the runtime's own name, e.g. "vNext.Account".
	Runtime string `yaml:"runtime"`
	// NPM is the npm name, lower-case, e.g. "@owner/account".
	NPM string `yaml:"npm"`
	// Paths are the globs of the files that belong to the package.
	Paths []string `yaml:"paths"`
}

// Runtime is the endpoint releases are deployed to.
type Runtime struct {
	// URL is the runtime's base URL; empty when the repository does not deploy.
	URL string `yaml:"url"`
	// Variant selects the request shape: VariantDefault or VariantAPIPackage.
	Variant string `yaml:"variant"`
	// Path is the deploy path; it defaults to the variant's path.
	Path string `yaml:"path"`
	// Timeout bounds one deploy request (a publish can take minutes).
	Timeout time.Duration `yaml:"timeout"`
}

// Registry is the npm registry releases are published to.
type Registry struct {
	URL string `yaml:"url"`
}

// Signing says how release tarballs are signed and which signatures verify.
type Signing struct {
	// Mode is SigningKeyless, SigningKey or SigningNone.
	Mode string `yaml:"mode"`
	// Key is the private key for SigningKey: a PEM file path or a KMS URI.
	Key string `yaml:"key"`
	// Policy is what a bundle must satisfy before anything is deployed.
	Policy SigningPolicy `yaml:"policy"`
	// TrustedRoot is a Sigstore trusted_root.json file that keyless
	// bundles verify against (offline, a private Sigstore); empty fetches
	// the public-good root through Sigstore's TUF repository.
	TrustedRoot string `yaml:"trusted-root"`
	// FulcioURL, RekorURL and TSAURL name a private Sigstore instance for
	// keyless signing; empty means the public-good Fulcio and Rekor and no
	// timestamp authority.
	FulcioURL string `yaml:"fulcio-url"`
	RekorURL  string `yaml:"rekor-url"`
	TSAURL    string `yaml:"tsa-url"`
}

// SigningPolicy is either an expected certificate identity and issuer
// (keyless) or a public key.
type SigningPolicy struct {
	// Identity is a regular expression the certificate's SAN must match as a
	// whole; empty means the caller derives one from the repository (its
	// release workflow at refs/tags/v…).
	Identity string `yaml:"identity"`
	// Issuer is the exact expected OIDC issuer.
	Issuer string `yaml:"issuer"`
	// PublicKey is a PEM public key file; when set, bundles verify against
	// it instead of an identity.
	PublicKey string `yaml:"public-key"`
}

// IdentityRegexp compiles Identity anchored at both ends, so that a policy
// such as `https://github.com/o/r/` cannot match a longer SAN. It returns nil
// when Identity is empty.
func (p SigningPolicy) IdentityRegexp() (*regexp.Regexp, error) {
	if p.Identity == "" {
		return nil, nil
	}
	re, err := regexp.Compile(`^(?:` + p.Identity + `)$`)
	if err != nil {
		return nil, fmt.Errorf("signing.policy.identity: %w", err)
	}
	return re, nil
}

// Environment is one place a release is deployed to: a vNext runtime or a
// Tray project, never both.
type Environment struct {
	// Name is the GitHub environment name, e.g. "test" or "prod".
	Name string `yaml:"name"`
	// Production marks an environment end users use (GitHub never marks its
	// deployments inactive by itself).
	Production bool `yaml:"production"`
	// URL is where the deployed environment can be seen, shown on the
	// GitHub deployment.
	URL string `yaml:"url"`
	// Runtime deploys to a vNext runtime.
	Runtime EnvironmentRuntime `yaml:"runtime"`
	// Tray imports the project export into a Tray project.
	Tray EnvironmentTray `yaml:"tray"`
}

// IsTray reports whether the environment is a Tray project.
func (e Environment) IsTray() bool { return e.Tray.ProjectID != "" }

// EnvironmentRuntime is the vNext runtime of an environment. Variant, Path
// and Timeout default to the top-level runtime section's.
type EnvironmentRuntime struct {
	URL     string        `yaml:"url"`
	Variant string        `yaml:"variant"`
	Path    string        `yaml:"path"`
	Timeout time.Duration `yaml:"timeout"`
	// TokenEnv names the environment variable holding the runtime token
	// (a secret); default RUNTIME_TOKEN_<NAME>, e.g. RUNTIME_TOKEN_PROD.
	TokenEnv string `yaml:"token-env"`
}

// EnvironmentTray is the Tray project of an environment.
type EnvironmentTray struct {
	// Region picks Tray's endpoints: us (default), eu or apac.
	Region string `yaml:"region"`
	// GraphQLURL and APIURL override the region's endpoints.
	GraphQLURL string `yaml:"graphql-url"`
	APIURL     string `yaml:"api-url"`
	// ProjectID is the project importProject lands the export in.
	ProjectID string `yaml:"project-id"`
	// SolutionID is the solution whose publish preview is compared with
	// the findings before importing.
	SolutionID string `yaml:"solution-id"`
	// TokenEnv names the environment variable holding the master token
	// (a secret); default TRAY_TOKEN_<NAME>, e.g. TRAY_TOKEN_PROD.
	TokenEnv string `yaml:"token-env"`
	// Export is the path, inside the package, of the project export to
	// import; empty means the package's only Tray export.
	Export string `yaml:"export"`
}

// DefaultTokenEnv is the default variable of an environment's secret:
// prefix + "_" + the name upper-cased, other characters than letters and
// digits as "_".
func DefaultTokenEnv(prefix, environment string) string {
	b := []byte(strings.ToUpper(environment))
	for i, c := range b {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			b[i] = '_'
		}
	}
	return prefix + "_" + string(b)
}

// DeployEnvironments are the environments a release is deployed to, in
// order: the configured ones, else one "production" environment at
// runtime.url (token in RUNTIME_TOKEN), else none.
func (c *Config) DeployEnvironments() []Environment {
	if len(c.Environments) > 0 || c.Runtime.URL == "" {
		return c.Environments
	}
	return []Environment{{
		Name: "production", Production: true,
		Runtime: EnvironmentRuntime{URL: c.Runtime.URL, Variant: c.Runtime.Variant, Path: c.Runtime.Path, Timeout: c.Runtime.Timeout, TokenEnv: "RUNTIME_TOKEN"},
	}}
}

// Rollout paces the instance upgrades the bot runs after a release.
type Rollout struct {
	// Concurrency is how many instances of one rollout are upgraded at
	// once, at most the bot's --rollout-concurrency.
	Concurrency int `yaml:"concurrency"`
	// RateLimit is the most Tray requests per second one rollout makes,
	// within the bot's --tray-rate-limit (shared by all its work).
	RateLimit float64 `yaml:"rate-limit"`
}

// Default is the configuration of a repository without a configuration file.
// It works on the samples: every file with an extension some format reads
// (.json, .ckbk) is considered and its format detected from the content.
func Default() *Config {
	return &Config{
		Artifacts: []Artifact{{Paths: DefaultGlobs(), Format: FormatAuto}},
		Version:   VersionSource{File: "package.json", Pointer: "/version"},
		Labels: Labels{
			Breaking:       "breaking-change",
			Auth:           "breaking:auth",
			Config:         "breaking:config",
			CollectionRole: "breaking:collection-role",
			Workflow:       "breaking:workflow",
			Accepted:       "breaking-change-accepted",
			SemverMajor:    "semver:major",
			SemverMinor:    "semver:minor",
			SemverPatch:    "semver:patch",
		},
		Comment:  true,
		FailOn:   change.FailOnBreaking,
		Runtime:  Runtime{Variant: VariantDefault, Path: DefaultRuntimePath, Timeout: 10 * time.Minute},
		Registry: Registry{URL: "https://npm.pkg.github.com"},
		Signing:  Signing{Mode: SigningKeyless, Policy: SigningPolicy{Issuer: GitHubActionsIssuer}},
		Rollout:  Rollout{Concurrency: 4, RateLimit: 30},
	}
}

// DefaultGlobs match every file, at any depth, with an extension some format
// reads: "**/*.json", "**/*.ckbk".
func DefaultGlobs() []string {
	var globs []string
	for _, ext := range registry.Default().Extensions() {
		globs = append(globs, "**/*"+ext)
	}
	return globs
}

// Policy is what the configuration says about findings. acceptedByLabel is
// true when the pull request carries the acceptance label: every breaking
// finding is then accepted (the caller may fill in AcceptAll.By with who
// added the label).
func (c *Config) Policy(acceptedByLabel bool) rules.Policy {
	p := rules.Policy{FailOn: c.FailOn}
	for _, o := range c.Rules {
		p.Overrides = append(p.Overrides, rules.Override{
			Rule:     o.Rule,
			Paths:    append([]string(nil), o.Paths...),
			Ignore:   o.Ignore,
			Severity: o.Severity,
		})
	}
	for _, a := range c.Accepted {
		p.Accepted = append(p.Accepted, rules.Accepted{Fingerprint: a.Fingerprint, By: a.By, Reason: a.Reason})
	}
	if acceptedByLabel {
		p.AcceptAll = &change.Acceptance{
			Via:    "label",
			Reason: fmt.Sprintf("the pull request carries the %q label", c.Labels.Accepted),
		}
	}
	return p
}

// CheckRules reports the rule overrides whose ID is not in the catalogue;
// known says whether an ID exists. The error names the file and line.
func (c *Config) CheckRules(known func(id string) bool) error {
	var errs Errors
	for i, o := range c.Rules {
		if !known(o.Rule) {
			errs = append(errs, &Error{File: c.Path, Line: o.Line, Column: o.Column,
				Msg: fmt.Sprintf("unknown rule %q in rules[%d]", o.Rule, i)})
		}
	}
	return errs.err()
}
