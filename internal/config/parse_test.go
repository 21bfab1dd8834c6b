package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/rules"
)

const file = ".github/breakwater.yml"

// ignorePositions leaves out where entries sit in the file, for tests about
// values.
var ignorePositions = cmpopts.IgnoreFields(RuleOverride{}, "Line", "Column")
var ignoreAcceptedPositions = cmpopts.IgnoreFields(Accepted{}, "Line", "Column")

func TestParseExample(t *testing.T) {
	data, err := os.ReadFile("testdata/breakwater.example.yml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse("testdata/breakwater.example.yml", data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := Default()
	want.Path = "testdata/breakwater.example.yml"
	want.ArtifactsSet = true
	want.Artifacts = []Artifact{
		{Paths: []string{"exports/tray/**/*.json"}, Format: "tray"},
		{Paths: []string{"recipes/*.ckbk"}, Format: FormatAuto},
		{Paths: []string{"packages/account/**/*.json"}, Format: "vnext"},
	}
	want.Rules = []RuleOverride{
		{Rule: "tray/auth-scopes-removed", Severity: change.Warning, Line: 24, Column: 11},
		{Rule: "ckbk/chart-changed", Ignore: true, Paths: []string{"recipes/internal-*.ckbk"}, Line: 26, Column: 11},
	}
	want.Accepted = []Accepted{{
		Fingerprint: "3f2a9c0d4e5b6a71", By: "octocat",
		Reason: "Dropbox needs the new scope; owners were told in the release notes",
		Line:   33, Column: 5,
	}}
	want.Packages = []Package{{Runtime: "vNext.Account", NPM: "@breakwater-dev/account", Paths: []string{"packages/account/**"}}}
	want.Runtime.URL = "https://runtime.example.com"
	want.Signing.Policy.Identity = `https://github\.com/breakwater-dev/breakwater/\.github/workflows/release\.yml@refs/tags/v.*`
	want.Environments = []Environment{
		{Name: "test", Runtime: EnvironmentRuntime{URL: "https://runtime.test.example.com", Variant: VariantDefault, Path: DefaultRuntimePath, Timeout: 10 * time.Minute, TokenEnv: "RUNTIME_TOKEN_TEST"}},
		{Name: "prod", Production: true, URL: "https://runtime.example.com", Runtime: EnvironmentRuntime{
			URL: "https://runtime.example.com", Variant: VariantAPIPackage, Path: APIPackageRuntimePath, Timeout: 20 * time.Minute, TokenEnv: "RUNTIME_TOKEN_PROD"}},
		{Name: "tray-prod", Production: true, Tray: EnvironmentTray{Region: "eu", ProjectID: "6a1f0c52-0000-4000-8000-000000000001",
			SolutionID: "0f3b9d1e-0000-4000-8000-000000000002", TokenEnv: "TRAY_MASTER_TOKEN"}},
	}
	want.Tray.SolutionID = "5b6c7d8e-1f2a-4b3c-9d4e-0a1b2c3d4e5f"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse mismatch (-want +got):\n%s", diff)
	}
}

// validCases are shared with the schema test, which must accept them too.
var validCases = []struct {
	name string
	yaml string
	// edit turns Default() into the expected configuration.
	edit func(c *Config)
}{
	{"empty file", "", func(c *Config) {}},
	{"only comments", "# nothing configured yet\n", func(c *Config) {}},
	{"empty document", "---\n", func(c *Config) {}},
	{"null values keep the defaults", "artifacts:\nrules:\nlabels:\nsigning:\n  policy: ~\n", func(c *Config) {}},
	{"fail-on and comment", "fail-on: never\ncomment: false\n", func(c *Config) {
		c.FailOn, c.Comment = change.FailOnNever, false
	}},
	{"some labels keep the other defaults", "labels:\n  breaking: api-break\n  semver-major: major\n", func(c *Config) {
		c.Labels.Breaking, c.Labels.SemverMajor = "api-break", "major"
	}},
	{"artifact format defaults to auto", "artifacts:\n  - paths: [a/*.json]\n  - paths: ['b/**']\n    format: ckbk\n", func(c *Config) {
		c.ArtifactsSet = true
		c.Artifacts = []Artifact{{Paths: []string{"a/*.json"}, Format: FormatAuto}, {Paths: []string{"b/**"}, Format: "ckbk"}}
	}},
	{"api-package variant changes the default path", "runtime:\n  variant: api-package\n", func(c *Config) {
		c.Runtime.Variant, c.Runtime.Path = VariantAPIPackage, APIPackageRuntimePath
	}},
	{"environment defaults", "runtime:\n  variant: api-package\nenvironments:\n  - name: test.eu-1\n    runtime: {url: 'https://t.example'}\n  - name: prod\n    runtime: {url: 'https://p.example', variant: default}\n  - name: tray\n    tray: {project-id: p, solution-id: s}\n", func(c *Config) {
		c.Runtime.Variant, c.Runtime.Path = VariantAPIPackage, APIPackageRuntimePath
		c.Environments = []Environment{
			{Name: "test.eu-1", Runtime: EnvironmentRuntime{URL: "https://t.example", Variant: VariantAPIPackage, Path: APIPackageRuntimePath, Timeout: 10 * time.Minute, TokenEnv: "RUNTIME_TOKEN_TEST_EU_1"}},
			{Name: "prod", Runtime: EnvironmentRuntime{URL: "https://p.example", Variant: VariantDefault, Path: DefaultRuntimePath, Timeout: 10 * time.Minute, TokenEnv: "RUNTIME_TOKEN_PROD"}},
			{Name: "tray", Tray: EnvironmentTray{ProjectID: "p", SolutionID: "s", TokenEnv: "TRAY_TOKEN_TRAY"}},
		}
	}},
	{"api-package variant keeps a given path", "runtime:\n  variant: api-package\n  path: /v2/deploy\n  timeout: 1h30m\n", func(c *Config) {
		c.Runtime.Variant, c.Runtime.Path, c.Runtime.Timeout = VariantAPIPackage, "/v2/deploy", 90*time.Minute
	}},
	{"key signing", "signing:\n  mode: key\n  key: keys/release.pem\n  policy:\n    public-key: keys/release.pub\n", func(c *Config) {
		c.Signing = Signing{Mode: SigningKey, Key: "keys/release.pem", Policy: SigningPolicy{Issuer: GitHubActionsIssuer, PublicKey: "keys/release.pub"}}
	}},
	{"whole numbers and rates", "rollout:\n  concurrency: 8.0\n  rate-limit: 2.5\n", func(c *Config) {
		c.Rollout = Rollout{Concurrency: 8, RateLimit: 2.5}
	}},
	{"integer rate limit", "rollout:\n  rate-limit: 10\n", func(c *Config) { c.Rollout.RateLimit = 10 }},
	{"tray solution", "tray:\n  solution-id: 0b1c-2d3e\n", func(c *Config) { c.Tray.SolutionID = "0b1c-2d3e" }},
	{"rule severity only", "rules:\n  - rule: version/not-semver\n    severity: warning\n    ignore: false\n", func(c *Config) {
		c.Rules = []RuleOverride{{Rule: "version/not-semver", Severity: change.Warning}}
	}},
	{"aliases", "artifacts:\n  - paths: &exports [exports/**]\npackages:\n  - runtime: A\n    npm: a\n    paths: *exports\n", func(c *Config) {
		c.ArtifactsSet = true
		c.Artifacts = []Artifact{{Paths: []string{"exports/**"}, Format: FormatAuto}}
		c.Packages = []Package{{Runtime: "A", NPM: "a", Paths: []string{"exports/**"}}}
	}},
	{"quoted numbers are strings", "accepted:\n  - fingerprint: \"1234567890123456\"\n    by: \"2024\"\n    reason: 'yes'\n", func(c *Config) {
		c.Accepted = []Accepted{{Fingerprint: "1234567890123456", By: "2024", Reason: "yes"}}
	}},
	{"dates are strings", "accepted:\n  - fingerprint: 3f2a9c0d4e5b6a71\n    by: octocat\n    reason: 2024-05-01\n", func(c *Config) {
		c.Accepted = []Accepted{{Fingerprint: "3f2a9c0d4e5b6a71", By: "octocat", Reason: "2024-05-01"}}
	}},
	{"flow style", "{fail-on: warning, registry: {url: 'http://127.0.0.1:4873'}}", func(c *Config) {
		c.FailOn, c.Registry.URL = change.FailOnWarning, "http://127.0.0.1:4873"
	}},
}

func TestParseValid(t *testing.T) {
	for _, tt := range validCases {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(file, []byte(tt.yaml))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := Default()
			want.Path = file
			tt.edit(want)
			if diff := cmp.Diff(want, got, ignorePositions, ignoreAcceptedPositions); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// errorCases are shared with the schema test: schemaAccepts marks the
// mistakes the JSON Schema cannot express (only the Go parser finds them).
var errorCases = []struct {
	name          string
	yaml          string
	want          string
	schemaAccepts bool
}{
	// Keys.
	{name: "unknown key with suggestion",
		yaml: "comment: true\nrules:\n- rule: tray/auth-scopes-added\n  severty: warning\n",
		want: `.github/breakwater.yml:4:3: unknown key "severty" in rules[0] (did you mean "severity"?)`},
	{name: "unknown top-level key",
		yaml: "colour: red\n",
		want: `.github/breakwater.yml:1:1: unknown key "colour"`},
	{name: "unknown key in other spelling",
		yaml: "failOn: never\n",
		want: `.github/breakwater.yml:1:1: unknown key "failOn" (did you mean "fail-on"?)`},
	{name: "unknown nested key",
		yaml: "signing:\n  policy:\n    publickey: k.pub\n",
		want: `.github/breakwater.yml:3:5: unknown key "publickey" in signing.policy (did you mean "public-key"?)`},
	{name: "duplicate key",
		yaml: "comment: true\ncomment: false\n",
		want: `.github/breakwater.yml:2:1: duplicate key "comment" (first at line 1)`},
	{name: "key that is not a name",
		yaml: "labels:\n  ? [a]\n  : b\n",
		want: `.github/breakwater.yml:2:5: keys in labels must be names, not a list`},
	{name: "merge key",
		yaml: "labels:\n  <<: {breaking: x}\n",
		want: `.github/breakwater.yml:2:3: merge keys ("<<") are not supported in labels; repeat the keys instead`},

	// Types.
	{name: "not a mapping at the top",
		yaml: "- comment\n",
		want: `.github/breakwater.yml:1:1: the configuration must be a mapping of keys, not a list`},
	{name: "custom tag",
		yaml: "comment: !maybe yes\n",
		want: `.github/breakwater.yml:1:10: comment must be true or false, not !maybe "yes"`},
	{name: "Windows line ends",
		yaml: "comment: true\r\nfail-on: sometimes\r\n",
		want: `.github/breakwater.yml:2:10: fail-on must be one of breaking, warning, never, not "sometimes"`},
	{name: "old Mac line ends",
		yaml: "comment: true\rlabels: [breaking\rfail-on: never\r",
		want: `.github/breakwater.yml:2: invalid YAML: did not find expected ',' or ']'`},
	{name: "scalar at the top",
		yaml: "breakwater\n",
		want: `.github/breakwater.yml:1:1: the configuration must be a mapping of keys, not "breakwater"`},
	{name: "bool",
		yaml: "comment: sometimes\n",
		want: `.github/breakwater.yml:1:10: comment must be true or false, not "sometimes"`},
	{name: "bool quoted",
		yaml: "comment: 'true'\n",
		want: `.github/breakwater.yml:1:10: comment must be true or false, not "true"`},
	{name: "list",
		yaml: "artifacts: '**/*.json'\n",
		want: `.github/breakwater.yml:1:12: artifacts must be a list, not "**/*.json"`},
	{name: "mapping",
		yaml: "labels: [breaking]\n",
		want: `.github/breakwater.yml:1:9: labels must be a mapping of keys, not a list`},
	{name: "string",
		yaml: "version:\n  file: 12\n",
		want: `.github/breakwater.yml:2:9: version.file must be a string, not 12 (put it in quotes)`},
	{name: "string not a boolean",
		yaml: "accepted:\n- fingerprint: 3f2a9c0d4e5b6a71\n  by: octocat\n  reason: true\n",
		want: `.github/breakwater.yml:4:11: accepted[0].reason must be a string, not true (put it in quotes)`},
	{name: "string not a mapping",
		yaml: "fail-on: {breaking: true}\n",
		want: `.github/breakwater.yml:1:10: fail-on must be a string, not a mapping`},
	{name: "whole number",
		yaml: "rollout:\n  concurrency: 2.5\n",
		want: `.github/breakwater.yml:2:16: rollout.concurrency must be a whole number, not 2.5`},
	{name: "whole number too large",
		yaml: "rollout:\n  concurrency: 99999999999999999999\n",
		want: `.github/breakwater.yml:2:16: rollout.concurrency must be a whole number, not 99999999999999999999`, schemaAccepts: true},
	{name: "number",
		yaml: "rollout:\n  rate-limit: fast\n",
		want: `.github/breakwater.yml:2:15: rollout.rate-limit must be a number, not "fast"`},
	{name: "duration",
		yaml: "runtime:\n  timeout: 10 minutes\n",
		want: `.github/breakwater.yml:2:12: runtime.timeout must be a duration such as "90s" or "10m", not "10 minutes"`},
	{name: "duration without unit",
		yaml: "runtime:\n  timeout: 600\n",
		want: `.github/breakwater.yml:2:12: runtime.timeout must be a duration such as "90s" or "10m", not 600`},
	{name: "duration with sign",
		yaml: "runtime:\n  timeout: -5m\n",
		want: `.github/breakwater.yml:2:12: runtime.timeout must be a duration such as "90s" or "10m", not "-5m"`},
	{name: "scalar without value",
		yaml: "fail-on:\ncomment: true\n",
		want: `.github/breakwater.yml:1:9: fail-on has no value: give one or remove the key`},
	{name: "empty list entry",
		yaml: "rules:\n  -\n  - rule: tray/workflow-added\n    ignore: true\n",
		want: `.github/breakwater.yml:2:4: rules[0] is empty: give a value or remove the "-"`},
	{name: "required key without value",
		yaml: "rules:\n  - rule:\n    ignore: true\n",
		want: `.github/breakwater.yml:2:10: rules[0].rule has no value: give one or remove the key`},

	// YAML itself.
	{name: "syntax",
		yaml: "comment: true\nlabels: [breaking\nfail-on: never\n",
		want: `.github/breakwater.yml:2: invalid YAML: did not find expected ',' or ']'`},
	// The line of the problem, not the line the list or value it is in
	// began on.
	{name: "list entry indented wrong",
		yaml: "rules:\n  - rule: tray/auth-scopes-added\n   severity: warning\n",
		want: `.github/breakwater.yml:3: invalid YAML: did not find expected '-' indicator`},
	{name: "tab after a value",
		yaml: "comment: true\nfail-on: never\n\tlabels: x\n",
		want: `.github/breakwater.yml:3: invalid YAML: found a tab character that violates indentation`},
	{name: "tab indentation",
		yaml: "labels:\n\tbreaking: x\n",
		want: `.github/breakwater.yml:2: invalid YAML: found character that cannot start any token`},
	{name: "two documents",
		yaml: "comment: true\n---\ncomment: false\n",
		want: `.github/breakwater.yml:2:1: only one YAML document is allowed (remove the second "---")`},
	{name: "unknown alias",
		yaml: "artifacts: *missing\n",
		want: `.github/breakwater.yml:1:12: invalid YAML: unknown anchor 'missing' referenced`},
	{name: "aliases that expand too much",
		yaml:          aliasBomb(),
		want:          `.github/breakwater.yml:83:5: the configuration has more than 10000 values (aliases that expand too much?)`,
		schemaAccepts: true},

	// Values.
	{name: "fail-on",
		yaml: "# Breakwater\ncomment: true\n\nfail-on: sometimes\n",
		want: `.github/breakwater.yml:4:10: fail-on must be one of breaking, warning, never, not "sometimes"`},
	{name: "no artifacts",
		yaml: "artifacts: []\n",
		want: `.github/breakwater.yml:1:12: artifacts must list at least one entry`},
	{name: "artifact without paths",
		yaml: "artifacts:\n  - format: tray\n",
		want: `.github/breakwater.yml:2:5: artifacts[0] is missing "paths"`},
	{name: "artifact with empty paths",
		yaml: "artifacts:\n  - paths: []\n",
		want: `.github/breakwater.yml:2:12: artifacts[0].paths must list at least one glob`},
	{name: "artifact format",
		yaml: "artifacts:\n  - paths: ['**/*.json']\n    format: zapier\n",
		want: `.github/breakwater.yml:3:13: artifacts[0].format must be one of auto, tray, ckbk, vnext, not "zapier"`},
	{name: "absolute glob",
		yaml: "artifacts:\n  - paths: [exports/*.json, /abs/*.json]\n",
		want: `.github/breakwater.yml:2:29: artifacts[0].paths[1] must be a glob relative to the repository root such as "exports/**/*.json", not "/abs/*.json"`},
	{name: "bad glob",
		yaml:          "rules:\n  - rule: tray/workflow-added\n    ignore: true\n    paths: ['exports/[a-']\n",
		want:          `.github/breakwater.yml:4:13: rules[0].paths[0] is not a valid glob: "exports/[a-"`,
		schemaAccepts: true},
	{name: "version file outside the repository",
		yaml:          "version:\n  file: ../package.json\n",
		want:          `.github/breakwater.yml:2:9: version.file must be a relative path inside the repository, not "../package.json"`,
		schemaAccepts: true},
	{name: "version pointer",
		yaml: "version:\n  pointer: version\n",
		want: `.github/breakwater.yml:2:12: version.pointer must be a JSON pointer such as "/version", not "version"`},
	{name: "rule ID",
		yaml: "rules:\n  - rule: Tray Auth\n    ignore: true\n",
		want: `.github/breakwater.yml:2:11: rules[0].rule must be a rule ID such as "tray/auth-scopes-added", not "Tray Auth"`},
	{name: "rule missing",
		yaml: "rules:\n  - severity: info\n",
		want: `.github/breakwater.yml:2:5: rules[0] is missing "rule"`},
	{name: "rule override that does nothing",
		yaml: "rules:\n  - rule: tray/workflow-added\n    paths: [a/*]\n",
		want: `.github/breakwater.yml:2:5: rules[0] changes nothing: set severity or ignore: true`},
	{name: "rule ignored and re-graded",
		yaml: "rules:\n  - rule: tray/workflow-added\n    ignore: true\n    severity: warning\n",
		want: `.github/breakwater.yml:2:5: rules[0] sets both ignore and severity; keep one`},
	{name: "rule severity",
		yaml: "rules:\n  - rule: tray/workflow-added\n    severity: fatal\n",
		want: `.github/breakwater.yml:3:15: rules[0].severity must be one of breaking, warning, info, error, not "fatal"`},
	{name: "accepted without reason",
		yaml: "accepted:\n  - fingerprint: 3f2a9c0d4e5b6a71\n    by: octocat\n",
		want: `.github/breakwater.yml:2:5: accepted[0] is missing "reason"`},
	{name: "accepted fingerprint",
		yaml: "accepted:\n  - fingerprint: 3F2A9C0D4E5B6A71\n    by: octocat\n    reason: intended\n",
		want: `.github/breakwater.yml:2:18: accepted[0].fingerprint must be 16 lower-case hex digits, not "3F2A9C0D4E5B6A71"`},
	{name: "accepted twice",
		yaml:          "accepted:\n  - {fingerprint: 3f2a9c0d4e5b6a71, by: a, reason: b}\n  - {fingerprint: 3f2a9c0d4e5b6a71, by: c, reason: d}\n",
		want:          `.github/breakwater.yml:3:19: accepted[1].fingerprint 3f2a9c0d4e5b6a71 is already accepted at line 2`,
		schemaAccepts: true},
	{name: "accepted by nobody",
		yaml: "accepted:\n  - {fingerprint: 3f2a9c0d4e5b6a71, by: ' ', reason: b}\n",
		want: `.github/breakwater.yml:2:41: accepted[0].by must not be empty`},
	{name: "empty label",
		yaml: "labels:\n  auth: ''\n",
		want: `.github/breakwater.yml:2:9: labels.auth must not be empty`},
	{name: "long label",
		yaml: "labels:\n  auth: " + strings.Repeat("x", 51) + "\n",
		want: `.github/breakwater.yml:2:9: labels.auth must be at most 50 characters (GitHub's limit), not 51`},
	{name: "same label twice",
		yaml:          "labels:\n  auth: breaking-change\n",
		want:          `.github/breakwater.yml:2:9: labels.auth "breaking-change" is also labels.breaking; each label needs its own name`,
		schemaAccepts: true},
	{name: "acceptance label that Breakwater applies itself, in another case",
		yaml:          "labels:\n  accepted: Semver:Major\n",
		want:          `.github/breakwater.yml:2:13: labels.accepted "Semver:Major" is also labels.semver-major; each label needs its own name`,
		schemaAccepts: true},
	{name: "label with a comma",
		yaml: "labels:\n  auth: 'breaking, auth'\n",
		want: `.github/breakwater.yml:2:9: labels.auth "breaking, auth" must not contain a comma (label lists are comma-separated)`},
	{name: "long label counted in characters",
		yaml: "labels:\n  auth: " + strings.Repeat("é", 51) + "\n",
		want: `.github/breakwater.yml:2:9: labels.auth must be at most 50 characters (GitHub's limit), not 51`},
	{name: "package without npm name",
		yaml: "packages:\n  - runtime: vNext.Account\n",
		want: `.github/breakwater.yml:2:5: packages[0] is missing "npm"`},
	{name: "package npm name in upper case",
		yaml: "packages:\n  - runtime: vNext.Account\n    npm: '@Owner/Account'\n",
		want: `.github/breakwater.yml:3:10: packages[0].npm must be a lower-case npm name such as "@owner/account", not "@Owner/Account"`},
	{name: "runtime names that collide",
		yaml:          "packages:\n  - {runtime: vNext.Account, npm: '@o/a'}\n  - {runtime: vnext.account, npm: '@o/b'}\n",
		want:          `.github/breakwater.yml:3:15: packages[1].runtime "vnext.account" collides with packages[0].runtime once lower-cased`,
		schemaAccepts: true},
	{name: "npm name twice",
		yaml:          "packages:\n  - {runtime: A, npm: '@o/a'}\n  - {runtime: B, npm: '@o/a'}\n",
		want:          `.github/breakwater.yml:3:23: packages[1].npm "@o/a" is also packages[0].npm`,
		schemaAccepts: true},
	{name: "environment without a target",
		yaml: "environments:\n  - name: test\n",
		want: `.github/breakwater.yml:2:5: environments[0] needs runtime (a vNext runtime) or tray (a Tray project)`},
	{name: "environment with both targets",
		yaml: "environments:\n  - name: test\n    runtime: {url: 'https://r.example'}\n    tray: {project-id: p, solution-id: s}\n",
		want: `.github/breakwater.yml:2:5: environments[0] sets both runtime and tray; an environment deploys to one of them`},
	{name: "environment names that differ in case",
		yaml:          "environments:\n  - {name: prod, runtime: {url: 'https://a.example'}}\n  - {name: Prod, runtime: {url: 'https://b.example'}}\n",
		want:          `.github/breakwater.yml:3:12: environments[1].name "Prod" is also environments[0] (names ignore case)`,
		schemaAccepts: true},
	{name: "environment name",
		yaml: "environments:\n  - {name: 'my env', runtime: {url: 'https://a.example'}}\n",
		want: `.github/breakwater.yml:2:12: environments[0].name must be letters, digits, '.', '_' or '-' (at most 64), not "my env"`},
	{name: "environment runtime without URL",
		yaml: "environments:\n  - name: test\n    runtime: {variant: default}\n",
		want: `.github/breakwater.yml:3:14: environments[0].runtime is missing "url"`},
	{name: "environment token variable",
		yaml: "environments:\n  - name: test\n    runtime: {url: 'https://a.example', token-env: 'RUNTIME-TOKEN'}\n",
		want: `.github/breakwater.yml:3:52: environments[0].runtime.token-env must name an environment variable (letters, digits and '_'), not "RUNTIME-TOKEN"`},
	{name: "tray environment without solution",
		yaml: "environments:\n  - name: test\n    tray: {project-id: p}\n",
		want: `.github/breakwater.yml:3:11: environments[0].tray is missing "solution-id"`},
	{name: "tray environment in apac without API URL",
		yaml:          "environments:\n  - name: test\n    tray: {project-id: p, solution-id: s, region: apac}\n",
		want:          `.github/breakwater.yml:3:51: environments[0].tray.region apac has no documented platform API endpoint: set environments[0].tray.api-url`,
		schemaAccepts: true},
	{name: "signing Fulcio URL",
		yaml: "signing:\n  fulcio-url: fulcio.example\n",
		want: `.github/breakwater.yml:2:15: signing.fulcio-url must be an http or https URL, not "fulcio.example"`},
	{name: "runtime URL",
		yaml: "runtime:\n  url: runtime.example.com\n",
		want: `.github/breakwater.yml:2:8: runtime.url must be an http or https URL, not "runtime.example.com"`},
	{name: "runtime variant",
		yaml: "runtime:\n  variant: graphql\n",
		want: `.github/breakwater.yml:2:12: runtime.variant must be one of default, api-package, not "graphql"`},
	{name: "runtime path",
		yaml: "runtime:\n  path: publish/package\n",
		want: `.github/breakwater.yml:2:9: runtime.path must start with "/", not "publish/package"`},
	{name: "runtime timeout zero",
		yaml:          "runtime:\n  timeout: 0s\n",
		want:          `.github/breakwater.yml:2:12: runtime.timeout must be longer than zero, not 0s`,
		schemaAccepts: true},
	{name: "registry URL",
		yaml: "registry:\n  url: ftp://npm.example.com\n",
		want: `.github/breakwater.yml:2:8: registry.url must be an http or https URL, not "ftp://npm.example.com"`},
	{name: "signing mode",
		yaml: "signing:\n  mode: gpg\n",
		want: `.github/breakwater.yml:2:9: signing.mode must be one of keyless, key, none, not "gpg"`},
	{name: "packages: a path that is no glob",
		yaml: "packages:\n  - runtime: vNext.Account\n    npm: \"@owner/account\"\n    paths: [\"/abs/**\"]\n",
		want: `.github/breakwater.yml:4:13: packages[0].paths[0] must be a glob relative to the repository root such as "exports/**/*.json", not "/abs/**"`},
	{name: "signing: an empty key",
		yaml: "signing:\n  mode: key\n  key: \" \"\n",
		want: `.github/breakwater.yml:3:8: signing.key must not be empty`},
	{name: "signing: an empty public key",
		yaml: "signing:\n  policy:\n    public-key: \"\"\n",
		want: `.github/breakwater.yml:3:17: signing.policy.public-key must not be empty`},
	{name: "key signing without key",
		yaml: "signing:\n  mode: key\n",
		want: `.github/breakwater.yml:2:9: signing.mode is key but signing.key is not set`},
	{name: "identity regexp",
		yaml:          "signing:\n  policy:\n    identity: 'https://github.com/o/r/(.*'\n",
		want:          `.github/breakwater.yml:3:15: signing.policy.identity is not a valid regular expression: missing closing ) in "https://github.com/o/r/(.*"`,
		schemaAccepts: true},
	{name: "identity and public key",
		yaml: "signing:\n  policy:\n    identity: x\n    public-key: k.pub\n",
		want: `.github/breakwater.yml:3:5: signing.policy sets both identity and public-key; a bundle verifies against one of them`},
	{name: "issuer",
		yaml: "signing:\n  policy:\n    issuer: token.actions.githubusercontent.com\n",
		want: `.github/breakwater.yml:3:13: signing.policy.issuer must be an http or https URL, not "token.actions.githubusercontent.com"`},
	{name: "concurrency",
		yaml: "rollout:\n  concurrency: 0\n",
		want: `.github/breakwater.yml:2:16: rollout.concurrency must be at least 1, not 0`},
	{name: "rate limit",
		yaml: "rollout:\n  rate-limit: -1\n",
		want: `.github/breakwater.yml:2:15: rollout.rate-limit must be a number of requests per second above zero, not -1`},
	{name: "tray solution id with a space",
		yaml: "tray:\n  solution-id: 'a b'\n",
		want: `.github/breakwater.yml:2:16: tray.solution-id must be an ID without spaces or control characters, not "a b"`},
	{name: "empty tray solution id",
		yaml: "tray:\n  solution-id: ''\n",
		want: `.github/breakwater.yml:2:16: tray.solution-id must not be empty`},
	{name: "rate limit not a number",
		yaml: "rollout:\n  rate-limit: .nan\n",
		want: `.github/breakwater.yml:2:15: rollout.rate-limit must be a number of requests per second above zero, not NaN`},

	// Several at once, in file order, each once.
	{name: "several",
		yaml: "fail-on: always\nrules:\n  - rule: tray/workflow-added\n    ignore: yes\nlabels:\n  breakng: x\n",
		want: ".github/breakwater.yml:1:10: fail-on must be one of breaking, warning, never, not \"always\"\n" +
			".github/breakwater.yml:4:13: rules[0].ignore must be true or false, not \"yes\"\n" +
			".github/breakwater.yml:6:3: unknown key \"breakng\" in labels (did you mean \"breaking\"?)"},
}

// aliasBomb is a small file whose aliases expand to more values than
// allowed: 101 artifacts of 120 paths each.
func aliasBomb() string {
	return "artifacts:\n  - &e {paths: [" + strings.Repeat("x, ", 119) + "x]}\n" + strings.Repeat("  - *e\n", 100)
}

func TestParseErrors(t *testing.T) {
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(file, []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded with %+v, want error %q", c, tt.want)
			}
			if c != nil {
				t.Errorf("Parse returned a configuration with its error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			var e *Error
			if !errors.As(err, &e) || e.File != file {
				t.Errorf("errors.As(*Error) = %v, %+v; want an *Error naming the file", errors.As(err, &e), e)
			}
		})
	}
}

func TestCheckRules(t *testing.T) {
	c, err := Parse(file, []byte("rules:\n  - rule: tray/workflow-added\n    ignore: true\n  - rule: tray/auth-scope-added\n    severity: info\n  - rule: ckbk/nope\n    ignore: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{"tray/workflow-added": true, "tray/auth-scopes-added": true}
	got := c.CheckRules(func(id string) bool { return known[id] })
	want := ".github/breakwater.yml:4:11: unknown rule \"tray/auth-scope-added\" in rules[1]\n" +
		".github/breakwater.yml:6:11: unknown rule \"ckbk/nope\" in rules[2]"
	if got == nil || got.Error() != want {
		t.Errorf("CheckRules = %v, want\n%s", got, want)
	}
	if err := c.CheckRules(func(string) bool { return true }); err != nil {
		t.Errorf("CheckRules with every rule known = %v, want nil", err)
	}
	if err := Default().CheckRules(func(string) bool { return false }); err != nil {
		t.Errorf("Default().CheckRules = %v, want nil (no overrides)", err)
	}
}

func TestPolicy(t *testing.T) {
	c, err := Parse(file, []byte(`fail-on: warning
labels:
  accepted: ship-it
rules:
  - rule: tray/auth-scopes-removed
    severity: warning
    paths: [exports/**]
  - rule: ckbk/chart-changed
    ignore: true
accepted:
  - fingerprint: 3f2a9c0d4e5b6a71
    by: octocat
    reason: intended
`))
	if err != nil {
		t.Fatal(err)
	}
	base := rules.Policy{
		FailOn: "warning",
		Overrides: []rules.Override{
			{Rule: "tray/auth-scopes-removed", Severity: change.Warning, Paths: []string{"exports/**"}},
			{Rule: "ckbk/chart-changed", Ignore: true},
		},
		Accepted: []rules.Accepted{{Fingerprint: "3f2a9c0d4e5b6a71", By: "octocat", Reason: "intended"}},
	}
	if diff := cmp.Diff(base, c.Policy(false)); diff != "" {
		t.Errorf("Policy(false) mismatch (-want +got):\n%s", diff)
	}
	withLabel := base
	withLabel.AcceptAll = &change.Acceptance{Via: "label", Reason: `the pull request carries the "ship-it" label`}
	if diff := cmp.Diff(withLabel, c.Policy(true)); diff != "" {
		t.Errorf("Policy(true) mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(rules.Policy{FailOn: "breaking"}, Default().Policy(false)); diff != "" {
		t.Errorf("Default().Policy(false) mismatch (-want +got):\n%s", diff)
	}
}

func TestLabels(t *testing.T) {
	l := Default().Labels
	for _, tt := range []struct {
		cat  change.Category
		want string
	}{
		{change.CatAuth, "breaking:auth"},
		{change.CatConfig, "breaking:config"},
		{change.CatCollectionRole, "breaking:collection-role"},
		{change.CatWorkflow, "breaking:workflow"},
		{change.CatStatistics, ""},
		{change.CatVersion, ""},
	} {
		if got := l.ForCategory(tt.cat); got != tt.want {
			t.Errorf("ForCategory(%s) = %q, want %q", tt.cat, got, tt.want)
		}
	}
	for _, tt := range []struct {
		bump change.Bump
		want string
	}{
		{change.BumpMajor, "semver:major"},
		{change.BumpMinor, "semver:minor"},
		{change.BumpPatch, "semver:patch"},
		{change.BumpNone, ""},
		{change.BumpUnknown, ""},
	} {
		if got := l.ForBump(tt.bump); got != tt.want {
			t.Errorf("ForBump(%s) = %q, want %q", tt.bump, got, tt.want)
		}
	}
}

func TestIdentityRegexp(t *testing.T) {
	p := SigningPolicy{Identity: `https://github\.com/o/r/\.github/workflows/release\.yml@refs/tags/v.*`}
	re, err := p.IdentityRegexp()
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{
		"https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.2.3":                       true,
		"https://github.com/o/r/.github/workflows/release.yml@refs/heads/main":                        false,
		"https://github.com/evil/x?https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1": false,
	} {
		if got := re.MatchString(s); got != want {
			t.Errorf("match %q = %v, want %v (the identity is anchored)", s, got, want)
		}
	}
	if re, err := (SigningPolicy{}).IdentityRegexp(); re != nil || err != nil {
		t.Errorf("empty identity = %v, %v; want nil, nil", re, err)
	}
	if _, err := (SigningPolicy{Identity: "("}).IdentityRegexp(); err == nil {
		t.Error("invalid identity compiled")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	valid := filepath.Join(dir, "valid.yml")
	if err := os.WriteFile(valid, []byte("fail-on: never\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	invalid := filepath.Join(dir, "invalid.yml")
	if err := os.WriteFile(invalid, []byte("fail-on: sometimes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.yml")
	if err := os.WriteFile(huge, []byte("# "+strings.Repeat("x", maxFileSize)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	t.Run("file", func(t *testing.T) {
		c, err := Load(ctx, valid)
		if err != nil {
			t.Fatal(err)
		}
		if c.FailOn != change.FailOnNever || c.Path != valid {
			t.Errorf("Load = FailOn %q Path %q, want never and %q", c.FailOn, c.Path, valid)
		}
	})
	t.Run("invalid file", func(t *testing.T) {
		_, err := Load(ctx, invalid)
		want := invalid + `:1:10: fail-on must be one of breaking, warning, never, not "sometimes"`
		if err == nil || err.Error() != want {
			t.Errorf("Load = %v, want %s", err, want)
		}
	})
	t.Run("missing at the default location", func(t *testing.T) {
		for _, p := range []string{filepath.Join(dir, DefaultPath), filepath.Join(dir, "x", "..", DefaultPath)} {
			c, err := Load(ctx, p)
			if err != nil {
				t.Fatalf("Load(%s): %v", p, err)
			}
			if diff := cmp.Diff(Default(), c); diff != "" {
				t.Errorf("Load(%s) mismatch (-want +got):\n%s", p, diff)
			}
		}
	})
	t.Run("missing default path in the working directory", func(t *testing.T) {
		t.Chdir(dir)
		for _, p := range []string{"", DefaultPath} {
			c, err := Load(ctx, p)
			if err != nil || c == nil || c.Path != "" {
				t.Errorf("Load(%q) = %+v, %v; want Default()", p, c, err)
			}
		}
	})
	t.Run("default path in the working directory", func(t *testing.T) {
		t.Chdir(dir)
		if err := os.MkdirAll(".github", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(DefaultPath, []byte("comment: false\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(ctx, "")
		if err != nil || c.Comment || c.Path != DefaultPath {
			t.Errorf("Load(\"\") = %+v, %v; want comment off from %s", c, err, DefaultPath)
		}
	})
	t.Run("missing named file", func(t *testing.T) {
		_, err := Load(ctx, filepath.Join(dir, "breakwater.yml"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Load = %v, want a not-exist error", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		_, err := Load(ctx, huge)
		if want := huge + ": the configuration is larger than 1048576 bytes"; err == nil || err.Error() != want {
			t.Errorf("Load = %v, want %s", err, want)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := Load(ctx, valid); !errors.Is(err, context.Canceled) {
			t.Errorf("Load = %v, want context.Canceled", err)
		}
	})
}
