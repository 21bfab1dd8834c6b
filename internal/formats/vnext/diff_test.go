package vnext

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

const (
	sysFlows  = "core/Workflows/sys-flows.json"
	sysViews  = "core/Workflows/sys-views.json"
	extension = "core/Extensions/available-transitions.json"
	taskFile  = "core/Tasks/invalidate-cache.json"
)

// Pointers into sys-flows.json of the real core package.
const (
	stDraft    = "/attributes/states/0" // initial; activate → active, delete → draft
	stActive   = "/attributes/states/1" // deactivate → passive, update → active (schema ref)
	stPassive  = "/attributes/states/2" // reactivate → active, archive → deleted
	stDeleted  = "/attributes/states/3" // recover → active
	trActivate = stDraft + "/transitions/0"
	trReact    = stPassive + "/transitions/0"
	trArchive  = stPassive + "/transitions/1"
	trRecover  = stDeleted + "/transitions/0"
	startTr    = "/attributes/startTransition"
)

const labelsJSON = `[{"language": "en-US", "label": "Test"}]`

// automatic makes the transition at ptr automatic, with the rule the schema
// then requires.
func automatic(tb testing.TB, root *jsonpos.Value, ptr string) {
	setMember(tb, root, ptr, "triggerType", "1")
	setMember(tb, root, ptr, "rule", `{"location": "./src/AutoRule.csx", "code": "cmV0dXJuIHRydWU7"}`)
}

// got is what the table compares of a finding.
type got struct {
	Rule     string
	Severity change.Severity
	Upgrade  change.Upgrade
	Subject  string
	File     string
	Pointer  string
	Line     int
	Side     change.Side
}

func project(fs []change.Finding) []got {
	out := make([]got, len(fs))
	for i, f := range fs {
		out[i] = got{f.Rule, f.Severity, f.Upgrade, f.Subject, f.File, f.Pointer, f.Line, f.Side}
	}
	return out
}

func TestDiffRules(t *testing.T) {
	sample := loadTree(t, samplePackage)
	const wf = "workflows[core/sys-flows]"

	type tc struct {
		name       string
		base, head tree
		// want is the one expected finding; its Line is that of lineMarker
		// (plus lineDelta) in the lineSide file, counted on the raw text, or
		// 1 without a marker.
		want       got
		lineSide   change.Side
		lineMarker string
		lineDelta  int
		message    string // a fragment the message must contain
	}
	withRoles := sample.edit(t, sysFlows, func(r *jsonpos.Value) {
		setMember(t, r, trActivate, "roles", `[{"role": "admin", "grant": "allow"}, {"role": "operator", "grant": "allow"}]`)
	})
	withAuto := sample.edit(t, sysFlows, func(r *jsonpos.Value) { automatic(t, r, trArchive) })
	withQueryRoles := sample.edit(t, sysFlows, func(r *jsonpos.Value) {
		setMember(t, r, stActive, "queryRoles", `[{"role": "viewer", "grant": "allow"}]`)
	})
	withShared := sample.edit(t, sysFlows, func(r *jsonpos.Value) {
		appendTo(t, r, "/attributes/sharedTransitions",
			`{"key": "force-delete", "target": "deleted", "triggerType": 0, "versionStrategy": "Minor", "labels": `+labelsJSON+`}`)
	})
	withSubflow := sample.edit(t, sysFlows, func(r *jsonpos.Value) {
		appendTo(t, r, "/attributes/states",
			`{"key": "kyc", "stateType": 4, "versionStrategy": "Minor", "labels": `+labelsJSON+`,
			  "subFlow": {"type": "S", "process": {"key": "kyc-check", "domain": "idm", "version": "1.3", "flow": "sys-flows"},
			              "mapping": {"location": "./src/Kyc.csx", "code": "eA=="}}}`)
		setMember(t, r, "/attributes", "functions", `[{"key": "credit-score", "domain": "risk", "version": "latest", "flow": "sys-functions"}]`)
	})
	withPinnedSchema := sample.edit(t, sysFlows, func(r *jsonpos.Value) {
		setMember(t, r, startTr, "schema", `{"version": "1.0.0", "key": "workflow", "domain": "core", "flow": "sys-schemas"}`)
	})

	cases := []tc{
		{
			name: "state removed", base: sample,
			head: sample.edit(t, sysFlows, func(r *jsonpos.Value) { removeAt(t, r, stDeleted) }),
			want: got{Rule: "vnext/state-removed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/states[deleted]", File: sysFlows, Pointer: stDeleted, Side: change.Base},
			lineSide: change.Base, lineMarker: `"key": "deleted"`, lineDelta: -1,
			message: `state "deleted" was removed`,
		},
		{
			name: "state type changed", base: sample,
			head: sample.edit(t, sysFlows, func(r *jsonpos.Value) { setMember(t, r, stDeleted, "stateType", "3") }),
			want: got{Rule: "vnext/state-type-changed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/states[deleted]/stateType", File: sysFlows, Pointer: stDeleted + "/stateType", Side: change.Head},
			lineSide: change.Head, lineMarker: `"stateType": 3`,
			message: "from 2 (intermediate) to 3 (final)",
		},
		{
			name: "manual transition removed", base: sample,
			head: sample.edit(t, sysFlows, func(r *jsonpos.Value) { removeAt(t, r, trArchive) }),
			want: got{Rule: "vnext/transition-removed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/states[passive]/transitions[archive]", File: sysFlows, Pointer: trArchive, Side: change.Base},
			lineSide: change.Base, lineMarker: `"key": "archive"`, lineDelta: -1,
			message: `transition "archive" of state "passive" was removed`,
		},
		{
			name: "automatic transition removed is a warning", base: withAuto,
			head: withAuto.edit(t, sysFlows, func(r *jsonpos.Value) { removeAt(t, r, trArchive) }),
			want: got{Rule: "vnext/transition-removed", Severity: change.Warning, Upgrade: change.Manual,
				Subject: wf + "/states[passive]/transitions[archive]", File: sysFlows, Pointer: trArchive, Side: change.Base},
			lineSide: change.Base, lineMarker: `"key": "archive"`, lineDelta: -1,
			message: "its trigger is automatic",
		},
		{
			name: "shared transition removed", base: withShared, head: sample,
			want: got{Rule: "vnext/transition-removed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/sharedTransitions[force-delete]", File: sysFlows, Pointer: "/attributes/sharedTransitions/0", Side: change.Base},
			lineSide: change.Base, lineMarker: `"key": "force-delete"`, lineDelta: -1,
			message: `shared transition "force-delete"`,
		},
		{
			name: "transition target changed", base: sample,
			head: sample.edit(t, sysFlows, func(r *jsonpos.Value) { setMember(t, r, trActivate, "target", `"under-review"`) }),
			want: got{Rule: "vnext/transition-target-changed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/states[draft]/transitions[activate]/target", File: sysFlows, Pointer: trActivate + "/target", Side: change.Head},
			lineSide: change.Head, lineMarker: `"target": "under-review"`,
			message: `now leads to "under-review" instead of "active"`,
		},
		{
			name: "start transition target changed", base: sample,
			head: sample.edit(t, sysFlows, func(r *jsonpos.Value) { setMember(t, r, startTr, "target", `"intake"`) }),
			want: got{Rule: "vnext/transition-target-changed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/startTransition[create]/target", File: sysFlows, Pointer: startTr + "/target", Side: change.Head},
			lineSide: change.Head, lineMarker: `"target": "intake"`,
			message: `start transition "create"`,
		},
		{
			name: "transition trigger changed", base: sample,
			head: sample.edit(t, sysFlows, func(r *jsonpos.Value) { automatic(t, r, trReact) }),
			want: got{Rule: "vnext/transition-trigger-changed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/states[passive]/transitions[reactivate]/triggerType", File: sysFlows, Pointer: trReact + "/triggerType", Side: change.Head},
			lineSide: change.Head, lineMarker: `"triggerType": 1`,
			message: "from 0 (manual) to 1 (automatic)",
		},
		{
			name: "schema reference to another major", base: withPinnedSchema,
			head: withPinnedSchema.edit(t, sysFlows, func(r *jsonpos.Value) { setMember(t, r, startTr+"/schema", "version", `"2.0.0"`) }),
			want: got{Rule: "vnext/reference-major-changed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/startTransition[create]/schema", File: sysFlows, Pointer: startTr + "/schema", Side: change.Head},
			lineSide: change.Head, lineMarker: `"version": "2.0.0"`, lineDelta: -1,
			message: "from core/workflow@1.0.0 to core/workflow@2.0.0 (another major version)",
		},
		{
			name: "task reference to another component", base: sample,
			head: sample.edit(t, sysFlows, func(r *jsonpos.Value) {
				setMember(t, r, trActivate+"/onExecutionTasks/0/task", "ref", `"Tasks/script-task.json"`)
			}),
			want: got{Rule: "vnext/reference-major-changed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/states[draft]/transitions[activate]/onExecutionTasks[core/invalidate-cache]", File: sysFlows,
				Pointer: trActivate + "/onExecutionTasks/0/task", Side: change.Head},
			lineSide: change.Head, lineMarker: `"ref": "Tasks/script-task.json"`, lineDelta: -1,
			message: "from core/invalidate-cache@1.0.0 to core/script-task@1.0.0 (another component)",
		},
		{
			name: "subflow to another major", base: withSubflow,
			head: withSubflow.edit(t, sysFlows, func(r *jsonpos.Value) {
				setMember(t, r, "/attributes/states/4/subFlow/process", "version", `"2.0"`)
			}),
			want: got{Rule: "vnext/reference-major-changed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/states[kyc]/subFlow", File: sysFlows, Pointer: "/attributes/states/4/subFlow/process", Side: change.Head},
			lineSide: change.Head, lineMarker: `"key": "kyc-check"`, lineDelta: -1,
			message: "subflow reference of state \"kyc\" in workflow core/sys-flows moved from idm/kyc-check@1.3 to idm/kyc-check@2.0",
		},
		{
			name: "function pinned", base: withSubflow,
			head: withSubflow.edit(t, sysFlows, func(r *jsonpos.Value) {
				setMember(t, r, "/attributes/functions/0", "version", `"3"`)
			}),
			want: got{Rule: "vnext/reference-major-changed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/functions[risk/credit-score]", File: sysFlows, Pointer: "/attributes/functions/0", Side: change.Head},
			lineSide: change.Head, lineMarker: `"key": "credit-score"`, lineDelta: -1,
			message: "from risk/credit-score@latest to risk/credit-score@3",
		},
		{
			name: "roles lose an allow entry", base: withRoles,
			head: withRoles.edit(t, sysFlows, func(r *jsonpos.Value) { removeAt(t, r, trActivate+"/roles/1") }),
			want: got{Rule: "vnext/roles-narrowed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/states[draft]/transitions[activate]/roles", File: sysFlows, Pointer: trActivate + "/roles", Side: change.Head},
			lineSide: change.Head, lineMarker: `"roles": [`,
			message: `no longer allows "operator"`,
		},
		{
			name: "roles gain a deny entry", base: withRoles,
			head: withRoles.edit(t, sysFlows, func(r *jsonpos.Value) {
				appendTo(t, r, trActivate+"/roles", `{"role": "contractor", "grant": "deny"}`)
			}),
			want: got{Rule: "vnext/roles-narrowed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/states[draft]/transitions[activate]/roles", File: sysFlows, Pointer: trActivate + "/roles", Side: change.Head},
			lineSide: change.Head, lineMarker: `"roles": [`,
			message: `now denies "contractor"`,
		},
		{
			name: "queryRoles emptied", base: withQueryRoles,
			head: withQueryRoles.edit(t, sysFlows, func(r *jsonpos.Value) { setMember(t, r, stActive, "queryRoles", `[]`) }),
			want: got{Rule: "vnext/roles-narrowed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: wf + "/states[active]/queryRoles", File: sysFlows, Pointer: stActive + "/queryRoles", Side: change.Head},
			lineSide: change.Head, lineMarker: `"queryRoles": []`,
			message: `queryRoles of state "active"`,
		},
		{
			name: "version strategy escalated to Major", base: sample,
			head: sample.edit(t, sysFlows, func(r *jsonpos.Value) { setMember(t, r, stDraft, "versionStrategy", `"Major"`) }),
			want: got{Rule: "vnext/version-strategy-changed", Severity: change.Warning, Upgrade: change.NoUpgrade,
				Subject: wf + "/states[draft]/versionStrategy", File: sysFlows, Pointer: stDraft + "/versionStrategy", Side: change.Head},
			lineSide: change.Head, lineMarker: `"versionStrategy": "Major"`,
			message: "escalation to Major",
		},
		{
			name: "version strategy lowered", base: sample,
			head: sample.edit(t, sysFlows, func(r *jsonpos.Value) { setMember(t, r, trRecover, "versionStrategy", `"Patch"`) }),
			want: got{Rule: "vnext/version-strategy-changed", Severity: change.Warning, Upgrade: change.NoUpgrade,
				Subject: wf + "/states[deleted]/transitions[recover]/versionStrategy", File: sysFlows, Pointer: trRecover + "/versionStrategy", Side: change.Head},
			lineSide: change.Head, lineMarker: `"versionStrategy": "Patch"`,
			message: "from Minor to Patch",
		},
		{
			name: "state added", base: sample,
			head: sample.edit(t, sysFlows, func(r *jsonpos.Value) {
				appendTo(t, r, "/attributes/states",
					`{"key": "suspended", "stateType": 2, "versionStrategy": "Minor", "labels": `+labelsJSON+`, "transitions": []}`)
			}),
			want: got{Rule: "vnext/state-added", Severity: change.Info, Upgrade: change.NoUpgrade,
				Subject: wf + "/states[suspended]", File: sysFlows, Pointer: "/attributes/states/4", Side: change.Head},
			lineSide: change.Head, lineMarker: `"key": "suspended"`, lineDelta: -1,
		},
		{
			name: "transition added", base: sample,
			head: sample.edit(t, sysFlows, func(r *jsonpos.Value) {
				appendTo(t, r, stDeleted+"/transitions",
					`{"key": "purge", "target": "$self", "triggerType": 0, "versionStrategy": "Minor", "labels": `+labelsJSON+`}`)
			}),
			want: got{Rule: "vnext/transition-added", Severity: change.Info, Upgrade: change.NoUpgrade,
				Subject: wf + "/states[deleted]/transitions[purge]", File: sysFlows, Pointer: stDeleted + "/transitions/1", Side: change.Head},
			lineSide: change.Head, lineMarker: `"key": "purge"`, lineDelta: -1,
		},
		{
			name: "workflow added", base: sample,
			head: func() tree {
				h := sample.clone()
				h["core/Workflows/sys-audits.json"] = []byte(strings.Replace(string(sample[sysFlows]), `"key": "sys-flows"`, `"key": "sys-audits"`, 1))
				return h
			}(),
			want: got{Rule: "vnext/workflow-added", Severity: change.Info, Upgrade: change.NoUpgrade,
				Subject: "workflows[core/sys-audits]", File: "core/Workflows/sys-audits.json", Pointer: "", Side: change.Head},
			lineSide: change.Head,
		},
		{
			name: "workflow removed", base: sample,
			head: func() tree { h := sample.clone(); delete(h, sysViews); return h }(),
			want: got{Rule: "vnext/workflow-removed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: "workflows[core/sys-views]", File: sysViews, Pointer: "", Side: change.Base},
			lineSide: change.Base,
			message:  "workflow core/sys-views was removed",
		},
		{
			name: "export withdrawn", base: sample,
			head: sample.edit(t, ConfigFile, func(r *jsonpos.Value) { removeAt(t, r, "/exports/extensions/0") }),
			want: got{Rule: "vnext/workflow-removed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: "exports/extensions[core/available-transitions]", File: ConfigFile, Pointer: "/exports/extensions/0", Side: change.Base},
			lineSide: change.Base, lineMarker: `"available-transitions.json"`,
			message: "is no longer exported",
		},
		{
			name: "exported component deleted", base: sample,
			head: func() tree { h := sample.clone(); delete(h, extension); return h }(),
			want: got{Rule: "vnext/workflow-removed", Severity: change.Breaking, Upgrade: change.Manual,
				Subject: "exports/extensions[core/available-transitions]", File: ConfigFile, Pointer: "/exports/extensions/0", Side: change.Base},
			lineSide: change.Base, lineMarker: `"available-transitions.json"`,
			message: "no longer exists",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmpr := recordedDiff(c.base.parse(t), c.head.parse(t))
			src := c.head[c.want.File]
			if c.lineSide == change.Base {
				src = c.base[c.want.File]
			}
			want := c.want
			if c.lineMarker == "" {
				want.Line = 1 // the whole document
			} else {
				want.Line = lineOf(t, src, c.lineMarker) + c.lineDelta
			}
			if diff := cmp.Diff([]got{want}, project(cmpr.Findings)); diff != "" {
				t.Fatalf("findings (-want +got):\n%s\nmessages: %v", diff, cmpr.Findings)
			}
			// Messages are sentences: the expected text may start one.
			if msg := cmpr.Findings[0].Message; !strings.Contains(strings.ToLower(msg[:1])+msg[1:], c.message) {
				t.Errorf("message %q lacks %q", msg, c.message)
			}
			if cmpr.Format != Format || cmpr.Artifact != "vnext:@burgan-tech/vnext-core" {
				t.Errorf("format/artifact = %q/%q", cmpr.Format, cmpr.Artifact)
			}
		})
	}
}

// Bumping a task's major version moves every reference to it, through {ref}
// paths resolved inside the package.
func TestDiffResolvesRefPaths(t *testing.T) {
	sample := loadTree(t, samplePackage)
	head := sample.edit(t, taskFile, func(r *jsonpos.Value) { setMember(t, r, "", "version", `"2.0.0"`) })
	cmpr := recordedDiff(sample.parse(t), head.parse(t))
	if len(cmpr.Findings) == 0 {
		t.Fatal("no findings")
	}
	files := map[string]bool{}
	for _, f := range cmpr.Findings {
		if f.Rule != "vnext/reference-major-changed" || !strings.Contains(f.Message, "core/invalidate-cache@1.0.0 to core/invalidate-cache@2.0.0") {
			t.Errorf("unexpected finding %s: %s", f.Rule, f.Message)
		}
		if !strings.HasSuffix(f.Pointer, "/task") {
			t.Errorf("pointer %s is not a task reference", f.Pointer)
		}
		files[f.File] = true
	}
	// Every workflow of the core package runs invalidate-cache.
	if len(files) != 6 {
		t.Errorf("findings in %d workflow files, want 6: %v", len(files), files)
	}

	// A minor bump moves nothing.
	minor := sample.edit(t, taskFile, func(r *jsonpos.Value) { setMember(t, r, "", "version", `"1.4.0"`) })
	if fs := recordedDiff(sample.parse(t), minor.parse(t)).Findings; len(fs) != 0 {
		t.Errorf("minor bump of a referenced task: %v", fs)
	}
}

func TestReferenceVersions(t *testing.T) {
	doc, err := jsonpos.Parse("x.json", []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		from, to string
		fires    bool
	}{
		{"1.0.0", "1.9.3", false},
		{"1.0.0", "2.0.0", true},
		{"1", "1.2", false},
		{"1.2", "2", true},
		{"latest", "latest", false},
		{"latest", "1", true}, // pinning a floating reference moves it
		{"1.0.0", "", false},  // unknown on one side: nothing to compare
	} {
		b := refAt{id: refID{Domain: "core", Key: "x", Version: c.from}}
		h := refAt{id: refID{Domain: "core", Key: "x", Version: c.to}}
		d := &differ{seen: map[string]bool{}}
		d.reference(b, h, "s", "w", doc)
		if fired := len(d.findings) == 1; fired != c.fires {
			t.Errorf("%q → %q: fired %v, want %v", c.from, c.to, fired, c.fires)
		}
	}
}

func TestDiffNilSides(t *testing.T) {
	pkg := loadTree(t, samplePackage).parse(t)
	added := recordedDiff(nil, pkg)
	removed := recordedDiff(pkg, nil)
	if added.Base != nil || added.Head == nil || added.Head.Version != "1.0.0" || added.Head.Line != 2 {
		t.Errorf("declared versions of a new package: base %v head %v", added.Base, added.Head)
	}
	count := func(fs []change.Finding, rule string) int {
		n := 0
		for _, f := range fs {
			if f.Rule == rule {
				n++
			}
		}
		return n
	}
	if n := count(added.Findings, "vnext/workflow-added"); n != 6 || len(added.Findings) != 6 {
		t.Errorf("new package: %d workflow-added of %d findings, want 6 of 6", n, len(added.Findings))
	}
	// Six workflows and the exported extension.
	if n := count(removed.Findings, "vnext/workflow-removed"); n != 7 || len(removed.Findings) != 7 {
		t.Errorf("removed package: %d workflow-removed of %d findings, want 7 of 7", n, len(removed.Findings))
	}
	if removed.Artifact != "vnext:@burgan-tech/vnext-core" {
		t.Errorf("artifact %q", removed.Artifact)
	}
}
