package config

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"path"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"go.yaml.in/yaml/v3"
)

// The patterns below are also the "pattern"s of the JSON Schema; a test
// checks that the two say the same.
var (
	ruleIDPattern      = regexp.MustCompile(`^[a-z][a-z0-9]*/[a-z0-9]+(-[a-z0-9]+)*$`)
	fingerprintPattern = regexp.MustCompile(`^[0-9a-f]{16}$`)
	npmNamePattern     = regexp.MustCompile(`^(@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*$`)
	durationPattern    = regexp.MustCompile(`^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)
	httpURLPattern     = regexp.MustCompile(`^https?://[^\s/?#]+\S*$`)
	pointerPattern     = regexp.MustCompile(`^(/([^~]|~[01])*)*$`)
	environmentPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	envVarPattern      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// maxNPMNameLength is npm's limit for a package name.
const maxNPMNameLength = 214

var severities = []string{string(change.Breaking), string(change.Warning), string(change.Info), string(change.Error)}

// validate checks what the types alone do not: allowed values, required
// keys, patterns and combinations.
func (d *decoder) validate(c *Config) {
	if len(c.Artifacts) == 0 {
		d.errorAt("artifacts", "artifacts must list at least one entry")
	}
	for i, a := range c.Artifacts {
		where := fmt.Sprintf("artifacts[%d]", i)
		d.required(where, "paths")
		d.globs(where+".paths", a.Paths, true)
		d.oneOf(where+".format", a.Format, Formats()...)
	}

	if f := c.Version.File; !isRelativePath(f) {
		d.errorAt("version.file", "version.file must be a relative path inside the repository, not %q", f)
	}
	if !pointerPattern.MatchString(c.Version.Pointer) {
		d.errorAt("version.pointer", "version.pointer must be a JSON pointer such as \"/version\", not %q", c.Version.Pointer)
	}

	for i, r := range c.Rules {
		where := fmt.Sprintf("rules[%d]", i)
		if d.required(where, "rule") && !ruleIDPattern.MatchString(r.Rule) {
			d.errorAt(where+".rule", "%s.rule must be a rule ID such as \"tray/auth-scopes-added\", not %q", where, r.Rule)
		}
		if d.has(where + ".severity") {
			d.oneOf(where+".severity", string(r.Severity), severities...)
		}
		switch {
		case r.Ignore && r.Severity != "":
			d.errorAt(where, "%s sets both ignore and severity; keep one", where)
		case !r.Ignore && r.Severity == "" && !d.has(where+".severity") && !d.broken(where):
			d.errorAt(where, "%s changes nothing: set severity or ignore: true", where)
		}
		d.globs(where+".paths", r.Paths, false)
	}

	firstAccepted := map[string]int{}
	for i, a := range c.Accepted {
		where := fmt.Sprintf("accepted[%d]", i)
		if d.required(where, "fingerprint") {
			if !fingerprintPattern.MatchString(a.Fingerprint) {
				d.errorAt(where+".fingerprint", "%s.fingerprint must be 16 lower-case hex digits, not %q", where, a.Fingerprint)
			} else if line, dup := firstAccepted[a.Fingerprint]; dup {
				d.errorAt(where+".fingerprint", "%s.fingerprint %s is already accepted at line %d", where, a.Fingerprint, line)
			} else {
				firstAccepted[a.Fingerprint] = d.node(where + ".fingerprint").Line
			}
		}
		d.required(where, "by")
		d.nonEmpty(where+".by", a.By)
		d.required(where, "reason")
		d.nonEmpty(where+".reason", a.Reason)
	}

	d.labels(c.Labels)
	d.oneOf("fail-on", string(c.FailOn), change.FailOnValues()...)

	runtimes, npms := map[string]string{}, map[string]string{}
	for i, p := range c.Packages {
		where := fmt.Sprintf("packages[%d]", i)
		if d.required(where, "runtime") && d.nonEmpty(where+".runtime", p.Runtime) {
			// The npm name is derived lower-cased, so names that differ only
			// in case would collide.
			key := strings.ToLower(p.Runtime)
			if other, dup := runtimes[key]; dup {
				d.errorAt(where+".runtime", "%s.runtime %q collides with %s once lower-cased", where, p.Runtime, other)
			}
			runtimes[key] = where + ".runtime"
		}
		if d.required(where, "npm") {
			if !npmNamePattern.MatchString(p.NPM) || len(p.NPM) > maxNPMNameLength {
				d.errorAt(where+".npm", "%s.npm must be a lower-case npm name such as \"@owner/account\", not %q", where, p.NPM)
			} else if other, dup := npms[p.NPM]; dup {
				d.errorAt(where+".npm", "%s.npm %q is also %s", where, p.NPM, other)
			}
			npms[p.NPM] = where + ".npm"
		}
		d.globs(where+".paths", p.Paths, false)
	}

	if c.Runtime.URL != "" || d.has("runtime.url") {
		d.httpURL("runtime.url", c.Runtime.URL)
	}
	d.oneOf("runtime.variant", c.Runtime.Variant, VariantDefault, VariantAPIPackage)
	if !strings.HasPrefix(c.Runtime.Path, "/") {
		d.errorAt("runtime.path", "runtime.path must start with \"/\", not %q", c.Runtime.Path)
	}
	if c.Runtime.Timeout <= 0 {
		d.errorAt("runtime.timeout", "runtime.timeout must be longer than zero, not %s", c.Runtime.Timeout)
	}

	d.httpURL("registry.url", c.Registry.URL)

	d.oneOf("signing.mode", c.Signing.Mode, SigningKeyless, SigningKey, SigningNone)
	if c.Signing.Mode == SigningKey && c.Signing.Key == "" {
		d.errorAt("signing.mode", "signing.mode is key but signing.key is not set")
	}
	if d.has("signing.key") {
		d.nonEmpty("signing.key", c.Signing.Key)
	}
	if _, err := regexp.Compile(c.Signing.Policy.Identity); err != nil {
		d.errorAt("signing.policy.identity", "signing.policy.identity is not a valid regular expression: %s", regexpProblem(err))
	}
	if d.has("signing.policy.issuer") {
		d.httpURL("signing.policy.issuer", c.Signing.Policy.Issuer)
	}
	if d.has("signing.policy.public-key") {
		d.nonEmpty("signing.policy.public-key", c.Signing.Policy.PublicKey)
	}
	if d.has("signing.policy.public-key") && d.has("signing.policy.identity") {
		d.errorAt("signing.policy", "signing.policy sets both identity and public-key; a bundle verifies against one of them")
	}
	if d.has("signing.trusted-root") {
		d.nonEmpty("signing.trusted-root", c.Signing.TrustedRoot)
	}
	for _, k := range []string{"fulcio-url", "rekor-url", "tsa-url"} {
		if d.has("signing." + k) {
			d.httpURL("signing."+k, map[string]string{"fulcio-url": c.Signing.FulcioURL, "rekor-url": c.Signing.RekorURL, "tsa-url": c.Signing.TSAURL}[k])
		}
	}

	d.environments(c.Environments)

	if c.Rollout.Concurrency < 1 {
		d.errorAt("rollout.concurrency", "rollout.concurrency must be at least 1, not %d", c.Rollout.Concurrency)
	}
	if r := c.Rollout.RateLimit; !(r > 0) || math.IsInf(r, 0) {
		d.errorAt("rollout.rate-limit", "rollout.rate-limit must be a number of requests per second above zero, not %v", r)
	}
	if d.nonEmpty("tray.solution-id", c.Tray.SolutionID) && strings.ContainsFunc(c.Tray.SolutionID, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		d.errorAt("tray.solution-id", "tray.solution-id must be an ID without spaces or control characters, not %q", c.Tray.SolutionID)
	}
}

// environments checks the deploy environments: unique names, exactly one
// of runtime and tray each, with what that one needs.
func (d *decoder) environments(envs []Environment) {
	names := map[string]string{}
	for i, e := range envs {
		where := fmt.Sprintf("environments[%d]", i)
		if d.required(where, "name") {
			if !environmentPattern.MatchString(e.Name) {
				d.errorAt(where+".name", "%s.name must be letters, digits, '.', '_' or '-' (at most 64), not %q", where, e.Name)
			} else if other, dup := names[strings.ToLower(e.Name)]; dup {
				// GitHub's environment names ignore case.
				d.errorAt(where+".name", "%s.name %q is also %s (names ignore case)", where, e.Name, other)
			}
			names[strings.ToLower(e.Name)] = where
		}
		if d.has(where + ".url") {
			d.httpURL(where+".url", e.URL)
		}
		rt, tr := d.has(where+".runtime"), d.has(where+".tray")
		switch {
		case rt && tr:
			d.errorAt(where, "%s sets both runtime and tray; an environment deploys to one of them", where)
		case !rt && !tr && d.node(where) != nil && !d.broken(where):
			d.errorAt(where, "%s needs runtime (a vNext runtime) or tray (a Tray project)", where)
		case rt:
			r := where + ".runtime"
			if d.required(r, "url") {
				d.httpURL(r+".url", e.Runtime.URL)
			}
			d.oneOf(r+".variant", e.Runtime.Variant, VariantDefault, VariantAPIPackage)
			if !strings.HasPrefix(e.Runtime.Path, "/") {
				d.errorAt(r+".path", "%s.path must start with \"/\", not %q", r, e.Runtime.Path)
			}
			if e.Runtime.Timeout <= 0 {
				d.errorAt(r+".timeout", "%s.timeout must be longer than zero, not %s", r, e.Runtime.Timeout)
			}
			d.envVar(r+".token-env", e.Runtime.TokenEnv)
		case tr:
			t := where + ".tray"
			if d.required(t, "project-id") {
				d.nonEmpty(t+".project-id", e.Tray.ProjectID)
			}
			if d.required(t, "solution-id") {
				d.nonEmpty(t+".solution-id", e.Tray.SolutionID)
			}
			if d.has(t + ".region") {
				d.oneOf(t+".region", e.Tray.Region, "us", "eu", "apac")
			}
			for _, k := range []string{"graphql-url", "api-url"} {
				if d.has(t + "." + k) {
					d.httpURL(t+"."+k, map[string]string{"graphql-url": e.Tray.GraphQLURL, "api-url": e.Tray.APIURL}[k])
				}
			}
			if e.Tray.Region == "apac" && e.Tray.APIURL == "" {
				d.errorAt(t+".region", "%s.region apac has no documented platform API endpoint: set %s.api-url", t, t)
			}
			if d.has(t+".export") && !isRelativePath(e.Tray.Export) {
				d.errorAt(t+".export", "%s.export must be a relative path inside the package, not %q", t, e.Tray.Export)
			}
			d.envVar(t+".token-env", e.Tray.TokenEnv)
		}
	}
}

// envVar checks the name of an environment variable that holds a secret.
func (d *decoder) envVar(where, name string) {
	if !envVarPattern.MatchString(name) {
		d.errorAt(where, "%s must name an environment variable (letters, digits and '_'), not %q", where, name)
	}
}

// required reports a key the entry at where must set; it says whether the
// key is there. Entries whose own type was wrong are reported already.
func (d *decoder) required(where, key string) bool {
	path := join(where, key)
	if d.has(path) {
		return true
	}
	if n := d.at[where]; n != nil && n.Kind == yaml.MappingNode && !d.bad[where] && !d.bad[path] {
		d.errorf(n, "%s is missing %q", where, key)
	}
	return false
}

func (d *decoder) nonEmpty(where, s string) bool {
	if d.has(where) && strings.TrimSpace(s) == "" {
		d.errorAt(where, "%s must not be empty", where)
		return false
	}
	return true
}

func (d *decoder) oneOf(where, got string, allowed ...string) {
	for _, a := range allowed {
		if got == a {
			return
		}
	}
	d.errorAt(where, "%s must be one of %s, not %q", where, strings.Join(allowed, ", "), got)
}

func (d *decoder) httpURL(where, s string) {
	u, err := url.Parse(s)
	if err != nil || !httpURLPattern.MatchString(s) || u.Host == "" {
		d.errorAt(where, "%s must be an http or https URL, not %q", where, s)
	}
}

// globs checks glob patterns as internal/rules matches them: path.Match
// syntax per path segment, plus "**" for any number of segments.
func (d *decoder) globs(where string, patterns []string, required bool) {
	if required && len(patterns) == 0 && d.has(where) {
		d.errorAt(where, "%s must list at least one glob", where)
	}
	for i, p := range patterns {
		at := fmt.Sprintf("%s[%d]", where, i)
		if p == "" || strings.HasPrefix(p, "/") {
			d.errorAt(at, "%s must be a glob relative to the repository root such as \"exports/**/*.json\", not %q", at, p)
			continue
		}
		for _, seg := range strings.Split(p, "/") {
			if _, err := path.Match(seg, ""); err != nil {
				d.errorAt(at, "%s is not a valid glob: %q", at, p)
				break
			}
		}
	}
}

func (d *decoder) labels(l Labels) {
	source := func(key string) (string, bool) { return "labels." + key, d.has("labels." + key) }
	for _, p := range CheckLabels(l, source) {
		d.errorAt("labels."+p.Key, "%s", p.Message)
	}
}

// isRelativePath is a clean, slash-separated path that stays inside the
// repository.
func isRelativePath(p string) bool {
	return p != "" && p != "." && !strings.HasPrefix(p, "/") && path.Clean(p) == p &&
		p != ".." && !strings.HasPrefix(p, "../") && !strings.Contains(p, "\\")
}

// regexpProblem is what is wrong with a regular expression, without Go's
// "error parsing regexp" prefix.
func regexpProblem(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("%s in %q", se.Code, se.Expr)
	}
	return err.Error()
}
