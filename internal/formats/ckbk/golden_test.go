package ckbk

import (
	"bytes"
	"encoding/json"
	"flag"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/formats/formattest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// cut removes src from the start of from up to (not including) to.
func cut(t *testing.T, src, from, to string) string {
	t.Helper()
	i := strings.Index(src, from)
	j := strings.Index(src[max(i, 0):], to)
	if i < 0 || j < 0 || strings.Count(src, from) != 1 {
		t.Fatalf("cut: markers %q … %q not found once", from, to)
	}
	return src[:i] + src[i+j:]
}

// goldenCase is a realistic edit of a test template.
type goldenCase struct {
	name string
	base string
	head func(t *testing.T) string
}

// goldenCases are the pairs TestGolden records (and the coverage and
// metamorphic tests replay).
func goldenCases(t *testing.T) []goldenCase {
	football := readTestdata(t, "football-poll.ckbk")
	quiz := readTestdata(t, "quiz-flat-userdata.ckbk")
	return []goldenCase{
		{"rename-role", football, func(t *testing.T) string {
			return edit(t, football, `"collectionRole": "VoteEntry"`, `"collectionRole": "PlayerVote"`)
		}},
		{"remove-role", football, func(t *testing.T) string {
			return cut(t, football, ",\n    {\n      \"id\": 8,", "\n  ],\n  \"userData\"")
		}},
		{"change-delayed-recipe", football, func(t *testing.T) string {
			return edit(t, football,
				`"callingRecipeIds": [2], "delaySeconds": 86400`, `"callingRecipeIds": [2], "delaySeconds": 172800`,
				`"messageText": "${userData['reminder']}"`, `"messageText": "${userData['reminder']} Reply STOP to opt out."`)
		}},
		{"change-statistic-key", football, func(t *testing.T) string {
			return edit(t, football, `"groupIdentifier": "football", "key": "${trigger.getWord(2)}"`, `"groupIdentifier": "player-of-the-match", "key": "${trigger.getWord(2)}"`)
		}},
		{"change-statistic-key-and-chart", football, func(t *testing.T) string {
			return edit(t, football,
				`"groupIdentifier": "football", "key": "${trigger.getWord(2)}"`, `"groupIdentifier": "player-of-the-match", "key": "${trigger.getWord(2)}"`,
				`"groupIdentifier": "football", "statisticType"`, `"groupIdentifier": "player-of-the-match", "statisticType"`)
		}},
		{"orphan-chart", football, func(t *testing.T) string {
			return edit(t, football, `"groupIdentifier": "reminders", "statisticType": "NUMERIC" }`,
				`"groupIdentifier": "reminders", "statisticType": "NUMERIC" },`+"\n"+`    { "title": "Goal scorers", "type": "BAR", "groupIdentifier": "goals", "statisticType": "NUMERIC" }`)
		}},
		{"add-userdata", football, func(t *testing.T) string {
			return edit(t, football,
				`"messageText": "${userData['kickoffText']}"`, `"messageText": "${userData['kickoffText']} Venue: ${userData['matchVenue']}."`,
				`"value": "Thanks, your vote is in."`, `"value": "Thanks, your vote has been counted."`,
				`"userFriendlyName": "Goodbye message" }`, `"userFriendlyName": "Goodbye message" },`+"\n"+`      { "key": "matchVenue", "value": "Riverside Park", "description": "Where the final is played", "userFriendlyName": "Venue" }`)
		}},
		{"missing-userdata", football, func(t *testing.T) string {
			return edit(t, football, `"messageText": "${userData['scoreHelp']}"`, `"messageText": "${userData[\"scoreHelpText\"]}"`)
		}},
		{"add-role-and-intro", football, func(t *testing.T) string {
			return edit(t, football,
				`Text JOIN to take part.`, `Text JOIN to take part, TOP <player> for the season's top scorer.`,
				"\n  ],\n  \"userData\"", `,
    {
      "id": 9,
      "name": "Top scorer vote",
      "enabled": true,
      "collectionRole": "TopScorerVote",
      "triggers": [ { "type": "TEXT_MESSAGE", "data": { "keyword": "TOP" } } ],
      "actions": [ { "type": "UpdateStatisticsAction", "data": { "groupIdentifier": "football", "key": "top:${trigger.getWord(2)}", "operation": "INCREMENT", "value": 1 } } ]
    }
  ],
  "userData"`)
		}},
		{"duplicate-role", football, func(t *testing.T) string {
			return edit(t, football, `"collectionRole": "PredictionReceipt"`, `"collectionRole": "ScorePrediction"`)
		}},
		{"flat-userdata", quiz, func(t *testing.T) string {
			return edit(t, quiz,
				`"answer": "Wanderers",`, `"answer": "The Wanderers",`,
				`"signOff": "See you next Thursday!"`, `"signOff": "See you next Thursday!",`+"\n"+`    "prize": "A pint"`,
				`"delaySeconds": 3600`, `"delaySeconds": 7200`)
		}},
	}
}

// TestGolden diffs realistic edits of the football template against their
// recorded findings. Run with -update after an intended change of output.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			base := mustParse(t, "base/poll.ckbk", tc.base)
			head := mustParse(t, "head/poll.ckbk", tc.head(t))
			// Fingerprints are in the golden files: they must not move.
			fs := recordedAccounted(base, head).Findings
			for i := range fs {
				fs[i].Fingerprint = fs[i].ComputeFingerprint()
			}
			got, err := json.MarshalIndent(fs, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", tc.name+".json")
			formattest.Golden(t, path, got, *update)
		})
	}
}

// reshuffle re-encodes a template with recipes, charts and UserData entries
// reversed, ids renumbered, object keys sorted and other whitespace: nothing
// a template update would notice.
func reshuffle(t *testing.T, src string, indent string) string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(src))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	renumber := func(v any) any { return json.Number("1" + string(v.(json.Number)) + "0") }
	recipes := doc["recipes"].([]any)
	for _, r := range recipes {
		r := r.(map[string]any)
		r["id"] = renumber(r["id"])
		for _, tr := range r["triggers"].([]any) {
			data, _ := tr.(map[string]any)["data"].(map[string]any)
			if ids, ok := data["callingRecipeIds"].([]any); ok {
				for i := range ids {
					ids[i] = renumber(ids[i])
				}
			}
		}
	}
	slices.Reverse(recipes)
	slices.Reverse(doc["charts"].([]any))
	if ud, ok := doc["userData"].(map[string]any); ok {
		slices.Reverse(ud["properties"].([]any))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", indent)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestNoOpEdits(t *testing.T) {
	for _, file := range []string{"football-poll.ckbk", "quiz-flat-userdata.ckbk"} {
		src := readTestdata(t, file)
		for _, indent := range []string{"", "\t", "    "} {
			shuffled := reshuffle(t, src, indent)
			if shuffled == src {
				t.Fatal("reshuffle changed nothing")
			}
			a, b := mustParse(t, "a.ckbk", src), mustParse(t, "b.ckbk", shuffled)
			if fs := recordedAccounted(a, b).Findings; len(fs) != 0 {
				t.Errorf("%s indent %q: base→head findings %v", file, indent, briefs(fs))
			}
			if fs := recordedAccounted(b, a).Findings; len(fs) != 0 {
				t.Errorf("%s indent %q: head→base findings %v", file, indent, briefs(fs))
			}
		}
	}
}
