package ckbk

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

// small is a template with one item per line, so each case below can name
// the line its finding must land on.
const small = `{
  "name": "T", "version": "1.0.0",
  "collection": {"type": "POLL", "description": "d", "introText": "i"},
  "recipes": [
    {"id": 1, "name": "Entry", "collectionRole": "Entry",
     "triggers": [{"type": "TEXT_MESSAGE", "data": {"keyword": "GO"}}],
     "actions": [{"type": "UpdateStatisticsAction", "data": {"groupIdentifier": "g", "key": "k"}}]},
    {"id": 2, "name": "Later", "collectionRole": "Later",
     "triggers": [{"type": "RECIPE", "data": {"callingRecipeIds": [1], "delaySeconds": 60}}],
     "actions": [{"type": "SendMessageAction", "data": {"messageText": "${userData['m']}"}}]},
    {"id": 3, "name": "Weekly", "collectionRole": "Weekly", "triggers": [{"type": "TIME", "data": {"scheduleType": "REPEATING", "dayOfWeek": "MONDAY"}}], "actions": [{"type": "SendMessageAction", "data": {"messageText": "hi"}}]}
  ],
  "userData": {"properties": [{"key": "m", "value": "hello"}]},
  "charts": [{"title": "C", "groupIdentifier": "g"}]
}`

const weeklyLine = `    {"id": 3, "name": "Weekly", "collectionRole": "Weekly", "triggers": [{"type": "TIME", "data": {"scheduleType": "REPEATING", "dayOfWeek": "MONDAY"}}], "actions": [{"type": "SendMessageAction", "data": {"messageText": "hi"}}]}`

// edit applies replacements in order; each old text must occur exactly once,
// so a typo in a case fails loudly instead of testing the unchanged file.
func edit(t *testing.T, src string, oldNew ...string) string {
	t.Helper()
	for i := 0; i < len(oldNew); i += 2 {
		if n := strings.Count(src, oldNew[i]); n != 1 {
			t.Fatalf("edit: %q occurs %d times, want 1", oldNew[i], n)
		}
		src = strings.Replace(src, oldNew[i], oldNew[i+1], 1)
	}
	return src
}

func mustParse(t testing.TB, file, src string) *Template {
	t.Helper()
	doc, err := jsonpos.Parse(file, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

// brief is what the per-rule cases assert of a finding.
type brief struct {
	Rule     string
	Severity change.Severity
	Upgrade  change.Upgrade
	Side     change.Side
	Pointer  string
	Line     int
}

func briefs(fs []change.Finding) []brief {
	var out []brief
	for _, f := range fs {
		out = append(out, brief{f.Rule, f.Severity, f.Upgrade, f.Side, f.Pointer, f.Line})
	}
	return out
}

func TestDiffRules(t *testing.T) {
	const (
		H = change.Head
		B = change.Base
	)
	tests := []struct {
		name  string
		edits []string
		want  []brief
	}{
		{
			name:  "role removed",
			edits: []string{"]},\n" + weeklyLine + "\n", "]}\n"},
			want:  []brief{{ruleRoleRemoved.ID, change.Breaking, change.Lazy, B, "/recipes/2/collectionRole", 11}},
		},
		{
			name:  "role renamed, same id and name",
			edits: []string{`"collectionRole": "Weekly"`, `"collectionRole": "Monday"`},
			want:  []brief{{ruleRoleRenamed.ID, change.Breaking, change.Lazy, H, "/recipes/2/collectionRole", 11}},
		},
		{
			name:  "role renamed, same name, new id",
			edits: []string{`{"id": 3, "name": "Weekly", "collectionRole": "Weekly"`, `{"id": 9, "name": "Weekly", "collectionRole": "Monday"`},
			want:  []brief{{ruleRoleRenamed.ID, change.Breaking, change.Lazy, H, "/recipes/2/collectionRole", 11}},
		},
		{
			name:  "role renamed, same id, new name",
			edits: []string{`{"id": 3, "name": "Weekly", "collectionRole": "Weekly"`, `{"id": 3, "name": "Mondays", "collectionRole": "Monday"`},
			want:  []brief{{ruleRoleRenamed.ID, change.Breaking, change.Lazy, H, "/recipes/2/collectionRole", 11}},
		},
		{
			name:  "role replaced by an unrelated recipe is remove plus add",
			edits: []string{`{"id": 3, "name": "Weekly", "collectionRole": "Weekly"`, `{"id": 9, "name": "Daily", "collectionRole": "Daily"`},
			want: []brief{
				{ruleRoleRemoved.ID, change.Breaking, change.Lazy, B, "/recipes/2/collectionRole", 11},
				{ruleRoleAdded.ID, change.Info, change.Lazy, H, "/recipes/2/collectionRole", 11},
			},
		},
		{
			name:  "caller renamed does not change the delayed callee",
			edits: []string{`"collectionRole": "Entry"`, `"collectionRole": "Start"`},
			want:  []brief{{ruleRoleRenamed.ID, change.Breaking, change.Lazy, H, "/recipes/0/collectionRole", 5}},
		},
		{
			name:  "role added",
			edits: []string{"}]}\n  ],", "}]},\n    {\"id\": 4, \"collectionRole\": \"New\"}\n  ],"},
			want:  []brief{{ruleRoleAdded.ID, change.Info, change.Lazy, H, "/recipes/3/collectionRole", 12}},
		},
		{
			name:  "role duplicate",
			edits: []string{"}]}\n  ],", "}]},\n    {\"id\": 4, \"collectionRole\": \"Entry\"}\n  ],"},
			want:  []brief{{ruleRoleDuplicate.ID, change.Error, change.NoUpgrade, H, "/recipes/3/collectionRole", 12}},
		},
		{
			name:  "role renamed onto an existing role",
			edits: []string{`"collectionRole": "Weekly"`, `"collectionRole": "Entry"`},
			want: []brief{
				{ruleRoleRenamed.ID, change.Breaking, change.Lazy, H, "/recipes/2/collectionRole", 11},
				{ruleRoleDuplicate.ID, change.Error, change.NoUpgrade, H, "/recipes/2/collectionRole", 11},
			},
		},
		{
			name:  "delayed recipe action changed",
			edits: []string{`"${userData['m']}"`, `"${userData['m']}!"`},
			want:  []brief{{ruleDelayedRecipeChanged.ID, change.Warning, change.Lazy, H, "/recipes/1/actions/0/data/messageText", 10}},
		},
		{
			name:  "delayed recipe delay changed",
			edits: []string{`"delaySeconds": 60`, `"delaySeconds": 120`},
			want:  []brief{{ruleDelayedRecipeChanged.ID, change.Warning, change.Lazy, H, "/recipes/1/triggers/0/data/delaySeconds", 9}},
		},
		{
			name:  "delay removed still counts as delayed (base was)",
			edits: []string{`"delaySeconds": 60`, `"delaySeconds": 0`},
			want:  []brief{{ruleDelayedRecipeChanged.ID, change.Warning, change.Lazy, H, "/recipes/1/triggers/0/data/delaySeconds", 9}},
		},
		{
			name:  "delayed recipe gains a condition",
			edits: []string{`"delaySeconds": 60}}],`, `"delaySeconds": 60}}], "conditions": [{"type": "ContactInGroupCondition"}],`},
			want:  []brief{{ruleDelayedRecipeChanged.ID, change.Warning, change.Lazy, H, "/recipes/1/conditions", 9}},
		},
		{
			name:  "scheduled recipe changed",
			edits: []string{`"messageText": "hi"`, `"messageText": "hello"`},
			want:  []brief{{ruleDelayedRecipeChanged.ID, change.Warning, change.Lazy, H, "/recipes/2/actions/0/data/messageText", 11}},
		},
		{
			name:  "plain recipe trigger changed",
			edits: []string{`"keyword": "GO"`, `"keyword": "START"`},
			want:  []brief{{ruleRecipeChanged.ID, change.Info, change.Lazy, H, "/recipes/0/triggers/0/data/keyword", 6}},
		},
		{
			name:  "statistic key changed",
			edits: []string{`"key": "k"`, `"key": "k2"`},
			want: []brief{
				{ruleRecipeChanged.ID, change.Info, change.Lazy, H, "/recipes/0/actions/0/data/key", 7},
				{ruleStatisticKeyChanged.ID, change.Warning, change.NoUpgrade, H, "/recipes/0/actions/0/data/key", 7},
			},
		},
		{
			name:  "statistic group changed orphans the chart",
			edits: []string{`"groupIdentifier": "g", "key": "k"`, `"groupIdentifier": "h", "key": "k"`},
			want: []brief{
				{ruleRecipeChanged.ID, change.Info, change.Lazy, H, "/recipes/0/actions/0/data/groupIdentifier", 7},
				{ruleStatisticKeyChanged.ID, change.Warning, change.NoUpgrade, H, "/recipes/0/actions/0/data/groupIdentifier", 7},
				{ruleChartOrphaned.ID, change.Warning, change.NoUpgrade, H, "/charts/0/groupIdentifier", 14},
			},
		},
		{
			name: "statistic added",
			edits: []string{`"key": "k"}}]},`,
				`"key": "k"}}, {"type": "UpdateStatisticsAction", "data": {"groupIdentifier": "g", "key": "other"}}]},`},
			want: []brief{
				{ruleRecipeChanged.ID, change.Info, change.Lazy, H, "/recipes/0/actions", 7},
				{ruleStatisticAdded.ID, change.Info, change.NoUpgrade, H, "/recipes/0/actions/1/data", 7},
			},
		},
		{
			name:  "chart changed",
			edits: []string{`{"title": "C", "groupIdentifier": "g"}`, `{"title": "C", "groupIdentifier": "g", "type": "PIE"}`},
			want:  []brief{{ruleChartChanged.ID, change.Info, change.NoUpgrade, H, "/charts/0/type", 14}},
		},
		{
			name:  "chart removed",
			edits: []string{`[{"title": "C", "groupIdentifier": "g"}]`, `[]`},
			want:  []brief{{ruleChartChanged.ID, change.Info, change.NoUpgrade, B, "/charts/0", 14}},
		},
		{
			name:  "chart added reading nothing is orphaned",
			edits: []string{`{"title": "C", "groupIdentifier": "g"}`, `{"title": "C", "groupIdentifier": "g"}, {"title": "D", "groupIdentifier": "nobody"}`},
			want: []brief{
				{ruleChartChanged.ID, change.Info, change.NoUpgrade, H, "/charts/1", 14},
				{ruleChartOrphaned.ID, change.Warning, change.NoUpgrade, H, "/charts/1/groupIdentifier", 14},
			},
		},
		{
			name:  "userdata added",
			edits: []string{`{"key": "m", "value": "hello"}`, `{"key": "m", "value": "hello"}, {"key": "n", "value": "x"}`},
			want:  []brief{{ruleUserDataAdded.ID, change.Info, change.Lazy, H, "/userData/properties/1", 13}},
		},
		{
			name:  "userdata default changed",
			edits: []string{`"value": "hello"`, `"value": "bye"`},
			want:  []brief{{ruleUserDataDefaultChanged.ID, change.Info, change.Lazy, H, "/userData/properties/0/value", 13}},
		},
		{
			name:  "userdata missing, double quotes",
			edits: []string{`"messageText": "hi"`, `"messageText": "${userData[\"zz\"]}"`},
			want: []brief{
				{ruleDelayedRecipeChanged.ID, change.Warning, change.Lazy, H, "/recipes/2/actions/0/data/messageText", 11},
				{ruleUserDataMissing.ID, change.Error, change.NoUpgrade, H, "/recipes/2/actions/0/data/messageText", 11},
			},
		},
		{
			name:  "userdata entry removed while referenced",
			edits: []string{`[{"key": "m", "value": "hello"}]`, `[]`},
			want:  []brief{{ruleUserDataMissing.ID, change.Error, change.NoUpgrade, H, "/recipes/1/actions/0/data/messageText", 10}},
		},
		{
			name:  "metadata changed",
			edits: []string{`"introText": "i"`, `"introText": "j"`},
			want:  []brief{{ruleMetadataChanged.ID, change.Info, change.Lazy, H, "/collection/introText", 3}},
		},
		{
			name:  "metadata removed is located on the base",
			edits: []string{`, "introText": "i"`, ``},
			want:  []brief{{ruleMetadataChanged.ID, change.Info, change.Lazy, B, "/collection/introText", 3}},
		},
		{
			name:  "ids renumbered consistently",
			edits: []string{`{"id": 1,`, `{"id": 101,`, `"callingRecipeIds": [1]`, `"callingRecipeIds": [101]`, `{"id": 2,`, `{"id": 102,`},
			want:  nil,
		},
		{
			name:  "empty part added",
			edits: []string{`"keyword": "GO"}}],`, `"keyword": "GO"}}], "conditions": [], "elseActions": [],`},
			want:  nil,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := mustParse(t, "base.ckbk", small)
			head := mustParse(t, "head.ckbk", edit(t, small, tc.edits...))
			got := recordedDiff(base, head)
			if diff := cmp.Diff(tc.want, briefs(got.Findings)); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			for _, f := range got.Findings {
				wantFile := "head.ckbk"
				if f.Side == change.Base {
					wantFile = "base.ckbk"
				}
				if f.File != wantFile || f.Column == 0 || f.Artifact != "ckbk:T" || f.Message == "" {
					t.Errorf("%s: incomplete finding %+v", f.Rule, f)
				}
				if strings.ContainsAny(f.Subject, "0123456789") {
					t.Errorf("%s: subject %q depends on array positions", f.Rule, f.Subject)
				}
			}
		})
	}
}

func TestDiffAddedAndRemovedFile(t *testing.T) {
	tpl := mustParse(t, "t.ckbk", small)
	added := recordedDiff(nil, tpl)
	removed := recordedDiff(tpl, nil)
	count := func(fs []change.Finding) map[string]int {
		m := map[string]int{}
		for _, f := range fs {
			m[f.Rule]++
		}
		return m
	}
	wantAdded := map[string]int{ruleRoleAdded.ID: 3, ruleChartChanged.ID: 1, ruleUserDataAdded.ID: 1}
	if diff := cmp.Diff(wantAdded, count(added.Findings)); diff != "" {
		t.Errorf("added file (-want +got):\n%s", diff)
	}
	wantRemoved := map[string]int{ruleRoleRemoved.ID: 3, ruleChartChanged.ID: 1}
	if diff := cmp.Diff(wantRemoved, count(removed.Findings)); diff != "" {
		t.Errorf("removed file (-want +got):\n%s", diff)
	}
	for _, f := range removed.Findings {
		if f.Side != change.Base {
			t.Errorf("removal %s located on %s", f.Rule, f.Side)
		}
	}
	if added.Base != nil || added.Head == nil || removed.Head != nil || removed.Base == nil {
		t.Errorf("declared versions: added %+v/%+v removed %+v/%+v", added.Base, added.Head, removed.Base, removed.Head)
	}
	if added.Artifact != "ckbk:T" || removed.Artifact != "ckbk:T" || added.Format != Format {
		t.Errorf("artifact %q / %q, format %q", added.Artifact, removed.Artifact, added.Format)
	}
}

func TestDiffDeclaredVersion(t *testing.T) {
	base := mustParse(t, "base.ckbk", small)
	head := mustParse(t, "head.ckbk", edit(t, small, `"version": "1.0.0"`, `"version": "1.1.0"`))
	got := recordedDiff(base, head)
	want := &change.Declared{Version: "1.1.0", Location: change.Location{File: "head.ckbk", Pointer: "/version", Line: 2, Column: 27}}
	if diff := cmp.Diff(want, got.Head); diff != "" {
		t.Errorf("head version (-want +got):\n%s", diff)
	}
	if got.Base == nil || got.Base.Version != "1.0.0" {
		t.Errorf("base version %+v", got.Base)
	}
	if len(got.Findings) != 0 {
		t.Errorf("a version bump alone is no finding: %v", briefs(got.Findings))
	}
	noVersion := mustParse(t, "n.ckbk", edit(t, small, `"version": "1.0.0"`, `"author": "x"`))
	if d := recordedDiff(noVersion, noVersion); d.Base != nil || d.Head != nil {
		t.Errorf("absent version declared as %+v / %+v", d.Base, d.Head)
	}
}

func TestDelayedMessageNamesCaller(t *testing.T) {
	base := mustParse(t, "base.ckbk", small)
	head := mustParse(t, "head.ckbk", edit(t, small, `"${userData['m']}"`, `"${userData['m']}!"`))
	fs := recordedDiff(base, head).Findings
	if len(fs) != 1 {
		t.Fatalf("want one finding, got %v", briefs(fs))
	}
	for _, want := range []string{"called by Entry after a delay of 60 s", "new collectionRole"} {
		if !strings.Contains(fs[0].Message, want) {
			t.Errorf("message %q lacks %q", fs[0].Message, want)
		}
	}
}
