package ckbk

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/jsonpos"
)

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseTemplate(t *testing.T) {
	tpl := mustParse(t, "football-poll.ckbk", readTestdata(t, "football-poll.ckbk"))
	if tpl.Name != "Football League Poll" || tpl.Version.Text != "1.3.0" {
		t.Errorf("name %q version %q", tpl.Name, tpl.Version.Text)
	}
	var roles []string
	var delayed []string
	for _, r := range tpl.Recipes {
		roles = append(roles, r.Role)
		if delayReason(r, roleByID(tpl, nil)) != "" {
			delayed = append(delayed, r.Role)
		}
	}
	wantRoles := []string{"Registration", "VoteEntry", "DayAfterReminder", "MatchKickoff", "WeeklyResults", "ScorePrediction", "PredictionReceipt", "OptOut"}
	if diff := cmp.Diff(wantRoles, roles); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
	// PredictionReceipt is called with delaySeconds 0: immediate, not delayed.
	if diff := cmp.Diff([]string{"DayAfterReminder", "MatchKickoff", "WeeklyResults"}, delayed); diff != "" {
		t.Errorf("delayed recipes (-want +got):\n%s", diff)
	}
	vote := tpl.Recipes[1]
	var refs []string
	for _, r := range vote.UserDataRefs {
		refs = append(refs, r.Key+"@"+r.Pointer)
	}
	wantRefs := []string{"voteThanks@/recipes/1/actions/1/data/messageText", "notMember@/recipes/1/elseActions/0/data/messageText"}
	if diff := cmp.Diff(wantRefs, refs); diff != "" {
		t.Errorf("userData references (-want +got):\n%s", diff)
	}
	if len(vote.Stats) != 1 || vote.Stats[0].Group != "football" || vote.Stats[0].Key != "${trigger.getWord(2)}" {
		t.Errorf("statistics %+v", vote.Stats)
	}
	if len(tpl.UserData) != 8 || len(tpl.Charts) != 4 {
		t.Errorf("%d userData entries, %d charts", len(tpl.UserData), len(tpl.Charts))
	}
	if d := recordedDiff(tpl, tpl); len(d.Findings) != 0 {
		t.Errorf("template has findings against itself: %v", briefs(d.Findings))
	}
}

func TestFlatUserData(t *testing.T) {
	src := readTestdata(t, "quiz-flat-userdata.ckbk")
	base := mustParse(t, "quiz.ckbk", src)
	var keys []string
	for _, e := range base.UserData {
		keys = append(keys, e.Key+"="+e.Value.Text+"@"+e.ValuePointer)
	}
	want := []string{
		"question=Which club won the first FA Cup final?@/UserData/question",
		"answer=Wanderers@/UserData/answer",
		"signOff=See you next Thursday!@/UserData/signOff",
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("flat UserData (-want +got):\n%s", diff)
	}

	head := mustParse(t, "quiz.ckbk", edit(t, src,
		`"answer": "Wanderers",`, `"answer": "The Wanderers",`,
		`"signOff": "See you next Thursday!"`, `"signOff": "See you next Thursday!",`+"\n"+`    "prize": "A pint"`,
		`"messageText": "${userData['question']}"`, `"messageText": "${userData['question']} Prize: ${userData['prize']}. ${userData['host']}"`,
	))
	got := briefs(recordedDiff(base, head).Findings)
	wantFindings := []brief{
		{ruleDelayedRecipeChanged.ID, change.Warning, change.Lazy, change.Head, "/recipes/2/actions/0/data/messageText", 42},
		{ruleUserDataDefaultChanged.ID, change.Info, change.Lazy, change.Head, "/UserData/answer", 49},
		{ruleUserDataAdded.ID, change.Info, change.Lazy, change.Head, "/UserData/prize", 51},
		{ruleUserDataMissing.ID, change.Error, change.NoUpgrade, change.Head, "/recipes/2/actions/0/data/messageText", 42},
	}
	if diff := cmp.Diff(wantFindings, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}

	// Switching to the properties form with the same values changes nothing.
	props := mustParse(t, "quiz.ckbk", edit(t, src,
		`"UserData": {`, `"userData": { "properties": [`,
		`"question": "Which club won the first FA Cup final?",`, `{"key": "question", "value": "Which club won the first FA Cup final?", "userFriendlyName": "Question"},`,
		`"answer": "Wanderers",`, `{"key": "answer", "value": "Wanderers"},`,
		`"signOff": "See you next Thursday!"`, `{"key": "signOff", "value": "See you next Thursday!"}]`,
	))
	if fs := recordedDiff(base, props).Findings; len(fs) != 0 {
		t.Errorf("changing the UserData form: %v", briefs(fs))
	}
}

func TestParseSchemaViolations(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		pointer string
		line    int
		msg     string
	}{
		{"root not an object", `[1]`, "", 1, "must be an object"},
		{"recipes missing", `{"name": "x"}`, "/recipes", 1, "required field /recipes is missing"},
		{"recipes not an array", "{\n\"recipes\": {\"a\": 1}}", "/recipes", 2, "/recipes must be an array, not an object"},
		{"recipe not an object", "{\"recipes\": [\n 3]}", "/recipes/0", 2, "must be an object"},
		{"collectionRole missing", "{\"recipes\": [\n {\"id\": 1, \"name\": \"a\"}]}", "/recipes/0/collectionRole", 2, "required field /recipes/0/collectionRole is missing"},
		{"collectionRole null", "{\"recipes\": [\n {\"collectionRole\": null}]}", "/recipes/0/collectionRole", 2, "is missing"},
		{"collectionRole not a string", "{\"recipes\": [{\n \"collectionRole\": 7}]}", "/recipes/0/collectionRole", 2, "/recipes/0/collectionRole must be a string, not a number"},
		{"collectionRole empty", "{\"recipes\": [{\n \"collectionRole\": \" \"}]}", "/recipes/0/collectionRole", 2, "must not be empty"},
		{"actions not an array", "{\"recipes\": [{\"collectionRole\": \"a\",\n \"actions\": {}}]}", "/recipes/0/actions", 2, "must be an array"},
		{"trigger not an object", "{\"recipes\": [{\"collectionRole\": \"a\",\n \"triggers\": [\"TIME\"]}]}", "/recipes/0/triggers/0", 2, "must be an object"},
		{"delaySeconds a string", "{\"recipes\": [{\"collectionRole\": \"a\", \"triggers\": [{\"type\": \"RECIPE\", \"data\": {\n\"delaySeconds\": \"60\"}}]}]}", "/recipes/0/triggers/0/data/delaySeconds", 2, "must be a number"},
		{"callingRecipeIds holds an object", "{\"recipes\": [{\"collectionRole\": \"a\", \"triggers\": [{\"type\": \"RECIPE\", \"data\": {\"callingRecipeIds\": [\n{}]}}]}]}", "/recipes/0/triggers/0/data/callingRecipeIds/0", 2, "must be a number"},
		{"statistic key a number", "{\"recipes\": [{\"collectionRole\": \"a\", \"actions\": [{\"type\": \"UpdateStatisticsAction\", \"data\": {\n\"key\": 1}}]}]}", "/recipes/0/actions/0/data/key", 2, "must be a string"},
		{"userData not an object", "{\"recipes\": [],\n \"userData\": []}", "/userData", 2, "must be an object"},
		{"userData property without key", "{\"recipes\": [], \"userData\": {\"properties\": [\n{\"value\": 1}]}}", "/userData/properties/0/key", 2, "is missing"},
		{"chart title a number", "{\"recipes\": [], \"charts\": [{\n\"title\": 1}]}", "/charts/0/title", 2, "must be a string"},
		{"version a number", "{\n\"version\": 1.2, \"recipes\": []}", "/version", 2, "must be a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := formats.ParseJSON("bad.ckbk", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(doc)
			var ie *change.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v is not an input error", err)
			}
			if ie.Rule != change.RuleSchemaViolation || ie.Pointer != tc.pointer || ie.Line != tc.line || ie.File != "bad.ckbk" {
				t.Errorf("got %s at %s line %d in %s, want %s at %s line %d", ie.Rule, ie.Pointer, ie.Line, ie.File, change.RuleSchemaViolation, tc.pointer, tc.line)
			}
			if !strings.Contains(ie.Msg, tc.msg) {
				t.Errorf("message %q lacks %q", ie.Msg, tc.msg)
			}
		})
	}
}

func TestUserDataReferences(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{`${userData['a']}`, []string{"a"}},
		{`${userData["a"]}`, []string{"a"}},
		{`Hi ${ userData[ 'a' ] }, ${userData['b'] + userData["c"]} ${userData['a']}`, []string{"a", "b", "c"}},
		{`${userData['with space']}`, []string{"with space"}},
		{`userData['a'] outside an expression`, nil},
		{`${myuserData['a']} ${userData.a} ${userData[a]}`, nil},
	}
	for _, tc := range tests {
		src, _ := json.Marshal(map[string]any{"recipes": []any{map[string]any{
			"collectionRole": "r", "actions": []any{map[string]any{"data": map[string]any{"messageText": tc.text}}},
		}}})
		tpl := mustParse(t, "t.ckbk", string(src))
		var got []string
		for _, ref := range tpl.Recipes[0].UserDataRefs {
			got = append(got, ref.Key)
			if ref.Pointer != "/recipes/0/actions/0/data/messageText" {
				t.Errorf("%q: reference located at %s", tc.text, ref.Pointer)
			}
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.text, diff)
		}
	}
}

func TestParseTolerant(t *testing.T) {
	// Unknown members, nulls and absent optional parts are no errors.
	src := `{"recipes": [{"collectionRole": "a", "future": {"x": [1]}, "actions": null,
	  "triggers": [{"type": "SMOKE_SIGNAL"}, {"type": "RECIPE"}]}],
	  "charts": [{"type": "BAR"}], "userData": {"properties": "later"}, "collection": null}`
	tpl := mustParse(t, "path/to/My Poll.ckbk", src)
	if tpl.Name != "My Poll" {
		t.Errorf("name falls back to the file name: got %q", tpl.Name)
	}
	// A "properties" member that is not a list is a flat entry of that name.
	if len(tpl.UserData) != 1 || tpl.UserData[0].Key != "properties" {
		t.Errorf("userData %+v", tpl.UserData)
	}
}

func TestParseNoDocument(t *testing.T) {
	if _, err := Parse(nil); err == nil {
		t.Error("Parse(nil) succeeded")
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want bool
	}{
		{"template", readTestdata(t, "football-poll.ckbk"), true},
		{"flat userdata template", readTestdata(t, "quiz-flat-userdata.ckbk"), true},
		{"recipes with triggers only", `{"recipes": [{"triggers": []}]}`, true},
		{"empty collection", `{"recipes": [], "collection": {"type": "POLL"}}`, true},
		{"bare empty recipes", `{"recipes": []}`, false},
		{"recipes of another kind", `{"recipes": [{"ingredients": ["flour"]}]}`, false},
		{"recipes not an array", `{"recipes": {"collectionRole": "a"}}`, false},
		{"tray export", `{"tray_export_version": 4, "workflows": [], "recipes": [{"collectionRole": "a"}]}`, false},
		{"wrapped tray export", `{"exportData": {}, "recipes": [{"actions": []}]}`, false},
		{"array", `[{"recipes": []}]`, false},
		{"scalar", `"recipes"`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := jsonpos.Parse("x.json", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			if got := Detect(doc.Root); got != tc.want {
				t.Errorf("Detect = %v, want %v", got, tc.want)
			}
		})
	}
}
