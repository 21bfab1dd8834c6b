package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// fakeBook is a RuleBook from a map, so the tests do not depend on the
// catalogue's wording.
type fakeBook map[string]change.Rule

func (b fakeBook) Rule(id string) (change.Rule, bool) {
	r, ok := b[id]
	return r, ok
}

var book = fakeBook{
	"tray/auth-scopes-added": {
		ID: "tray/auth-scopes-added", Severity: change.Breaking, Category: change.CatAuth, Upgrade: change.UserInput,
		FiresWhen: "an auth slot gains one or more scopes",
		Why:       "Authentications granted by end users carry the old scopes only; calls that need the new scopes fail until the end user re-authenticates.",
		Fix:       "Release as a major version and ask end users to re-run the Config Wizard, or drop the new scopes.",
	},
	"tray/config-slot-added-required": {
		ID: "tray/config-slot-added-required", Severity: change.Breaking, Category: change.CatConfig, Upgrade: change.UserInput,
		FiresWhen: "a new slot is `required` and must be filled (no default used)",
		Why:       "Existing instances have no value for the new slot; the workflows that read it fail until someone fills it.",
		Fix:       "Give the slot a default, make it optional, or pass `configValues` to `upgradeSolutionInstance` for every instance.",
	},
	"tray/config-slot-removed": {
		ID: "tray/config-slot-removed", Severity: change.Warning, Category: change.CatConfig, Upgrade: change.Lazy,
		FiresWhen: "a config slot disappears (stored values are orphaned)",
		Why:       "Instances keep the stored value, which nothing reads any more.",
		Fix:       "Nothing to do unless a workflow still reads the slot.",
	},
	"tray/workflow-changed": {
		ID: "tray/workflow-changed", Severity: change.Info, Category: change.CatWorkflow, Upgrade: change.Lazy,
		FiresWhen: "steps, structure or settings of a workflow change",
	},
	"tray/config-default-changed": {
		ID: "tray/config-default-changed", Severity: change.Info, Category: change.CatConfig, Upgrade: change.NoUpgrade,
		FiresWhen: "a default value changes",
	},
	"ckbk/role-renamed": {
		ID: "ckbk/role-renamed", Severity: change.Breaking, Category: change.CatCollectionRole, Upgrade: change.Lazy,
		FiresWhen: "a recipe keeps its `id` or `name` but gets a new `collectionRole`",
		Why:       "Entries queued against the old role will not trigger the renamed recipe: every workspace silently skips them.",
		Fix:       "Keep the old `collectionRole`, or keep a recipe under the old role until the queue has drained.",
	},
	"ckbk/delayed-recipe-changed": {
		ID: "ckbk/delayed-recipe-changed", Severity: change.Warning, Category: change.CatCollectionRole, Upgrade: change.Lazy,
		FiresWhen: "a recipe with delayed or time triggers changes in place",
		Why:       "Queued triggers will run the new code.",
		Fix:       "Make the change backward compatible, or give the new version a new `collectionRole`.",
	},
	"ckbk/userdata-added": {
		ID: "ckbk/userdata-added", Severity: change.Info, Category: change.CatUserData, Upgrade: change.Lazy,
		FiresWhen: "a new UserData entry",
	},
	"tray/other-changed": {
		ID: "tray/other-changed", Severity: change.Info, Category: change.CatOther, Upgrade: change.Lazy,
		FiresWhen: "a value changes that no other tray/… rule covers",
	},
	"vnext/state-removed": {
		ID: "vnext/state-removed", Severity: change.Breaking, Category: change.CatWorkflow, Upgrade: change.Manual,
		FiresWhen: "a state disappears (running instances may sit in it)",
		Why:       "Running instances that sit in the removed state cannot move on.",
		Fix:       "Keep the state with a transition to its replacement until no instance sits in it.",
	},
	"version/bump-insufficient": {
		ID: "version/bump-insufficient", Severity: change.Error, Category: change.CatVersion, Upgrade: change.NoUpgrade,
		FiresWhen: "the declared version bump is smaller than the bump the changes require",
		Why:       "A breaking change released as a minor version is upgraded without the care it needs.",
		Fix:       "Raise the declared version to at least the required bump.",
	},
}

// finding builds a finding of a book rule with a computed fingerprint.
func finding(rule, artifact, subject, file, pointer string, line, col int, side change.Side, msg string, before, after any) change.Finding {
	f := book[rule].New(artifact, subject, change.Location{File: file, Pointer: pointer, Line: line, Column: col}, side, msg).With(before, after)
	f.Fingerprint = f.ComputeFingerprint()
	return f
}

// summarize fills a report's summary from its findings the way the engine
// does, so fixtures cannot contradict themselves.
func summarize(r *change.Report, required, declared change.Bump, failOn string) *change.Report {
	s := &r.Summary
	s.Severities = map[change.Severity]int{}
	s.Categories = map[change.Category]int{}
	for _, f := range r.Changes {
		s.Severities[f.Severity]++
		s.Categories[f.Category]++
		if f.Severity == change.Breaking {
			if f.Accepted != nil {
				s.Accepted++
			} else {
				s.Breaking++
			}
		}
	}
	s.RequiredBump, s.DeclaredBump, s.FailOn = required, declared, change.FailOn(failOn)
	s.OK = s.Breaking == 0 && s.Severities[change.Error] == 0 && !(failOn == "warning" && s.Severities[change.Warning] > 0)
	if failOn == "never" {
		s.OK = true
	}
	return r
}

// fixtureReport is a realistic pull request: a Tray solution that gains
// scopes and required config, a .ckbk recipe role rename, a vNext state
// removal accepted in the configuration, warnings, info and a bump that is
// too small.
func fixtureReport() *change.Report {
	hidden := finding("tray/config-slot-added-required", "tray:solution/Dropbox Sync", "config_slots[external_sync_batch_size]",
		"exports/dropbox/solution.json", "/config_slots/4", 131, 9, change.Head,
		`new required config slot "Sync batch size" (external_sync_batch_size), hidden`, nil, map[string]any{"type": "integer", "hidden": true})
	hidden.Upgrade = change.SystemInput
	hidden.Fingerprint = hidden.ComputeFingerprint()

	accepted := finding("vnext/state-removed", "vnext:account/account-opening", "states[awaiting-kyc]",
		"core/Workflows/account-opening.json", "/attributes/states/3", 88, 9, change.Base,
		`state "awaiting-kyc" is removed`, map[string]any{"key": "awaiting-kyc", "stateType": 2}, nil)
	accepted.Accepted = &change.Acceptance{By: "alice", Reason: "no instance has been in awaiting-kyc since the March migration", Via: "config"}

	bump := finding("version/bump-insufficient", "package", "version", "package.json", "/version", 3, 14, change.Head,
		"the changes require a major version bump but 1.4.0 → 1.5.0 is a minor one", "1.4.0", "1.5.0")

	r := &change.Report{Version: change.ReportFormatVersion, Changes: []change.Finding{
		bump,
		finding("tray/auth-scopes-added", "tray:solution/Dropbox Sync", "auth_slots[external_dropbox]/scopes",
			"exports/dropbox/solution.json", "/auth_slots/0/scopes", 42, 17, change.Head,
			`auth slot "Dropbox" (external_dropbox) gains scopes files.content.write`,
			[]any{"files.content.read"}, []any{"files.content.read", "files.content.write"}),
		finding("tray/config-slot-added-required", "tray:solution/Dropbox Sync", "config_slots[external_target_folder]",
			"exports/dropbox/solution.json", "/config_slots/3", 118, 9, change.Head,
			`new required config slot "Target folder" (external_target_folder)`, nil, map[string]any{"type": "string", "required": true}),
		hidden,
		finding("ckbk/role-renamed", "ckbk:Poll", "recipes[DayAfterReminder]/collectionRole",
			"recipes/poll.ckbk", "/recipes/2/collectionRole", 57, 25, change.Head,
			`recipe "Day after reminder" changes collectionRole DayAfterReminder → FollowUpReminder`, "DayAfterReminder", "FollowUpReminder"),
		accepted,
		finding("tray/config-slot-removed", "tray:solution/Dropbox Sync", "config_slots[external_legacy_path]",
			"exports/dropbox/solution.json", "/config_slots/2", 97, 9, change.Base,
			`config slot "Legacy path" (external_legacy_path) is removed`, map[string]any{"type": "string"}, nil),
		finding("ckbk/delayed-recipe-changed", "ckbk:Poll", "recipes[WeeklyDigest]/actions",
			"recipes/poll.ckbk", "/recipes/4/actions", 140, 19, change.Head,
			`recipe "Weekly digest" has a time trigger and its actions change in place`, nil, nil),
		finding("tray/workflow-changed", "tray:solution/Dropbox Sync", "workflows[Nightly sync]",
			"exports/dropbox/nightly-sync.workflow.json", "/steps", 12, 12, change.Head,
			`workflow "Nightly sync" (scheduled trigger) changes 3 steps; running instances pick it up at the next scheduled run`, nil, nil),
		finding("tray/config-default-changed", "tray:solution/Dropbox Sync", "config_slots[external_page_size]/default",
			"exports/dropbox/solution.json", "/config_slots/1/default", 77, 22, change.Head,
			`default of "Page size" changes`, 50, 100),
		finding("ckbk/userdata-added", "ckbk:Poll", "userData[reminderHour]",
			"recipes/poll.ckbk", "/userData/reminderHour", 201, 5, change.Head,
			`new UserData entry reminderHour`, nil, "9"),
		finding("tray/other-changed", "tray:solution/Dropbox Sync", "/solution/x_retention_days",
			"exports/dropbox/solution.json", "/solution/x_retention_days", 12, 27, change.Head,
			`The value at /solution/x_retention_days changes; no other tray/… rule covers it.`, 30, 90),
	}}
	r.Summary.BaseVersion, r.Summary.HeadVersion = "1.4.0", "1.5.0"
	r.Summary.Compared = change.Compared{Base: "octo-org/integrations@1a2b3c4", Head: "octo-org/integrations@5d6e7f8", Artifacts: 4, BaseFiles: 14, HeadFiles: 14, Skipped: 2}
	r.Summary.Coverage = change.Coverage{Changes: 14, Generic: 1}
	return summarize(r, change.BumpMajor, change.BumpMinor, "breaking")
}

func cleanReport() *change.Report {
	r := &change.Report{Version: change.ReportFormatVersion}
	r.Summary.Compared = change.Compared{Base: "exports-v1", Head: "exports-v2", Artifacts: 1, BaseFiles: 1, HeadFiles: 1}
	return summarize(r, change.BumpNone, change.BumpNone, "breaking")
}

// hostileReport carries markup, mentions, references, HTML and control
// characters in every user-controlled field.
func hostileReport() *change.Report {
	f := finding("tray/auth-scopes-added", "tray:solution/</details>", "auth_slots[@octocat]/scopes",
		"exports/`evil`|name</details>.json", "/auth_slots/0/scopes", 1, 1, change.Head,
		"**bold** <img src=x onerror=alert(1)> </details> @octocat #123 GH-7 | col | ``code`` [link](javascript:alert(1)) https://evil.example\n# heading\n- item\x1b[31mred",
		"<script>", "@octocat\n</details>")
	a := finding("vnext/state-removed", "vnext:x", "states[x]", "w.json", "/s", 0, 0, change.Base, "state removed", nil, nil)
	a.Accepted = &change.Acceptance{By: "@octocat", Reason: "</details><details open>#1 **now**", Via: "label"}
	r := &change.Report{Version: change.ReportFormatVersion, Changes: []change.Finding{f, a}}
	r.Summary.BaseVersion, r.Summary.HeadVersion = "1.0.0 <b>", "@octocat"
	r.Summary.Compared = change.Compared{Base: "`x` <b>@octocat</b>\n::error::pwned", Head: "\x1b[31mred", Artifacts: 2, BaseFiles: 2, HeadFiles: 2}
	r.Summary.Coverage = change.Coverage{Changes: 2}
	return summarize(r, change.BumpMajor, change.BumpUnknown, "breaking")
}

var tool = ToolInfo{Name: "breakwater", Version: "0.1.0", InformationURI: "https://github.com/breakwater-dev/breakwater"}

func TestGolden(t *testing.T) {
	md := func(opts MarkdownOptions) func(*change.Report) ([]byte, error) {
		return func(r *change.Report) ([]byte, error) { return []byte(Markdown(r, book, opts)), nil }
	}
	text := func(opts TextOptions) func(*change.Report) ([]byte, error) {
		return func(r *change.Report) ([]byte, error) {
			var b bytes.Buffer
			err := Text(&b, r, book, opts)
			return b.Bytes(), err
		}
	}
	writer := func(fn func(*bytes.Buffer, *change.Report) error) func(*change.Report) ([]byte, error) {
		return func(r *change.Report) ([]byte, error) {
			var b bytes.Buffer
			err := fn(&b, r)
			return b.Bytes(), err
		}
	}
	jsonOut := writer(func(b *bytes.Buffer, r *change.Report) error { return JSON(b, r) })
	sarifOut := writer(func(b *bytes.Buffer, r *change.Report) error { return SARIF(b, r, book, tool) })
	commands := writer(func(b *bytes.Buffer, r *change.Report) error { return WorkflowCommands(b, r) })
	comment := MarkdownOptions{Marker: "<!-- breakwater -->", Title: "Breakwater"}

	tests := []struct {
		golden string
		report func() *change.Report
		render func(*change.Report) ([]byte, error)
	}{
		{"fixture.txt", fixtureReport, text(TextOptions{})},
		{"fixture-verbose.txt", fixtureReport, text(TextOptions{Verbose: true})},
		{"fixture-color.txt", fixtureReport, text(TextOptions{Color: true})},
		{"fixture.md", fixtureReport, md(comment)},
		{"fixture.json", fixtureReport, jsonOut},
		{"fixture.sarif", fixtureReport, sarifOut},
		{"fixture.github", fixtureReport, commands},
		{"clean.txt", cleanReport, text(TextOptions{})},
		{"clean.md", cleanReport, md(comment)},
		{"clean.json", cleanReport, jsonOut},
		{"clean.sarif", cleanReport, sarifOut},
		{"clean.github", cleanReport, commands},
		{"hostile.md", hostileReport, md(comment)},
		{"hostile.txt", hostileReport, text(TextOptions{Verbose: true})},
		{"hostile.github", hostileReport, commands},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got, err := tt.render(tt.report())
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.golden, got)
		})
	}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", name, diff)
	}
}

func TestVerdict(t *testing.T) {
	breaking := func(n int, accepted bool) []change.Finding {
		var fs []change.Finding
		for range n {
			f := finding("ckbk/role-renamed", "ckbk:Poll", "r", "p.ckbk", "/r", 1, 1, change.Head, "m", nil, nil)
			if accepted {
				f.Accepted = &change.Acceptance{Via: "label"}
			}
			fs = append(fs, f)
		}
		return fs
	}
	warning := finding("tray/config-slot-removed", "t", "s", "f.json", "/p", 1, 1, change.Base, "m", nil, nil)
	tests := []struct {
		name     string
		changes  []change.Finding
		required change.Bump
		declared change.Bump
		failOn   string
		tone     outcome
		want     string
	}{
		{"clean", nil, change.BumpNone, change.BumpNone, "breaking", pass, "No breaking changes"},
		{"one break, minor declared", breaking(1, false), change.BumpMajor, change.BumpMinor, "breaking", fail,
			"1 breaking change needs a major version bump (declared: minor)"},
		{"three breaks, unknown declared", breaking(3, false), change.BumpMajor, change.BumpUnknown, "breaking", fail,
			"3 breaking changes need a major version bump (declared: unknown)"},
		{"major declared but not accepted", breaking(2, false), change.BumpMajor, change.BumpMajor, "breaking", fail,
			"2 breaking changes are not accepted (declared: major)"},
		{"all accepted", breaking(2, true), change.BumpMajor, change.BumpMajor, "breaking", pass,
			"No unaccepted breaking changes (2 accepted)"},
		{"bump too small without breaks", []change.Finding{warning}, change.BumpMinor, change.BumpPatch, "breaking", fail,
			"The version bump is too small: minor required, patch declared"},
		{"bump finding, declared unknown", []change.Finding{
			finding("version/bump-insufficient", "p", "v", "package.json", "/version", 1, 1, change.Head, "m", nil, nil),
		}, change.BumpMinor, change.BumpUnknown, "breaking", fail,
			"The version bump is too small: minor required, unknown declared"},
		{"warnings fail", []change.Finding{warning}, change.BumpPatch, change.BumpPatch, "warning", fail,
			"1 warning (fail-on: warning)"},
		{"never fails", breaking(1, false), change.BumpMajor, change.BumpPatch, "never", warn,
			"1 breaking change needs a major version bump (declared: patch) — not failing (fail-on: never)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := summarize(&change.Report{Changes: tt.changes}, tt.required, tt.declared, tt.failOn)
			if tt.name == "bump too small without breaks" {
				r.Summary.OK = false // the engine adds version/bump-insufficient
			}
			tone, got := verdict(r)
			if tone != tt.tone || got != tt.want {
				t.Errorf("verdict = %v %q, want %v %q", tone, got, tt.tone, tt.want)
			}
		})
	}
}

func TestTextHidesInfoUnlessVerbose(t *testing.T) {
	r := fixtureReport()
	for _, verbose := range []bool{false, true} {
		var b bytes.Buffer
		if err := Text(&b, r, book, TextOptions{Verbose: verbose}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		listed := strings.Contains(out, "ckbk/userdata-added")
		if listed != verbose {
			t.Errorf("verbose=%v: info finding listed=%v\n%s", verbose, listed, out)
		}
		if !strings.Contains(out, "INFO (4)") {
			t.Errorf("verbose=%v: info findings not counted:\n%s", verbose, out)
		}
		if strings.Contains(out, "\x1b") {
			t.Errorf("verbose=%v: ANSI escape without Color:\n%q", verbose, out)
		}
	}
}

func TestTextNeutralizesTerminalEscapes(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, hostileReport(), book, TextOptions{Verbose: true, Color: true}); err != nil {
		t.Fatal(err)
	}
	// The only escape sequences are the renderer's own colours.
	stripped := b.String()
	for _, c := range []string{ansiReset, ansiBold, ansiDim, ansiRed, ansiGreen, ansiYellow} {
		stripped = strings.ReplaceAll(stripped, c, "")
	}
	if strings.Contains(stripped, "\x1b") {
		t.Errorf("a finding's escape sequence reached the terminal:\n%q", b.String())
	}
	if !strings.Contains(stripped, `\x1b[31mred`) {
		t.Errorf("the escape sequence is not shown as text:\n%q", stripped)
	}
}

func TestNilReportRenders(t *testing.T) {
	var b bytes.Buffer
	for name, render := range map[string]func() error{
		"text":     func() error { return Text(&b, nil, nil, TextOptions{}) },
		"json":     func() error { return JSON(&b, nil) },
		"sarif":    func() error { return SARIF(&b, nil, nil, ToolInfo{}) },
		"commands": func() error { return WorkflowCommands(&b, nil) },
		"markdown": func() error { Markdown(nil, nil, MarkdownOptions{}); return nil },
	} {
		if err := render(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
