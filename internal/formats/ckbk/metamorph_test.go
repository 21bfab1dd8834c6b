package ckbk

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/formats"
	"github.com/breakwater-dev/breakwater/internal/formats/formattest"
)

const file = "poll.ckbk"

// metamorphic is the format as formattest sees it: one file a side (none
// for an added or removed template), diffed and accounted for as the engine
// does, generic findings included.
func metamorphic(t testing.TB) formattest.Format {
	return formattest.Format{
		Structure: formattest.One(checker(t).Differ(), nil),
		Diff: func(base, head formattest.Files) ([]change.Finding, error) {
			var sides [2]*Template
			for i, files := range []formattest.Files{base, head} {
				if src, ok := files[file]; ok {
					doc, err := formats.ParseJSON(file, src)
					if err != nil {
						return nil, err
					}
					if sides[i], err = Parse(doc); err != nil {
						return nil, err
					}
				}
			}
			return accounted(sides[0], sides[1]).Findings, nil
		},
	}
}

type tpair struct {
	name       string
	base, head string
}

// corpusPairs pair each FuzzParse corpus entry that parses as a template
// with the football template, both ways.
func corpusPairs(t *testing.T) []tpair {
	football := readTestdata(t, "football-poll.ckbk")
	entries, _ := filepath.Glob("testdata/fuzz/FuzzParse/*")
	var out []tpair
	for _, e := range entries {
		data, err := os.ReadFile(e)
		if err != nil {
			t.Fatal(err)
		}
		vals, err := formattest.ParseCorpus(data)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		src := string(vals[0].([]byte))
		doc, err := formats.ParseJSON(file, []byte(src))
		if err != nil {
			continue
		}
		if _, err := Parse(doc); err != nil {
			continue
		}
		name := filepath.Base(e)
		out = append(out, tpair{"football→" + name, football, src}, tpair{name + "→football", src, football})
	}
	if len(out) == 0 {
		t.Fatal("no corpus entry is a template")
	}
	return out
}

// invalidPairs hold duplicate identities the golden pairs do not: the
// findings must not depend on which duplicate comes first.
func invalidPairs(t *testing.T) []tpair {
	football := readTestdata(t, "football-poll.ckbk")
	dupChart := edit(t, football, `{ "title": "League members", "type": "LINE"`,
		`{ "title": "Player of the match", "type": "LINE", "groupIdentifier": "predictions", "statisticType": "NUMERIC" },
    { "title": "League members", "type": "LINE"`)
	dupUserData := edit(t, football, `{ "key": "notMember",`,
		`{ "key": "voteThanks", "value": "Thanks!", "description": "A second entry", "userFriendlyName": "Thanks (2)" },
      { "key": "notMember",`)
	return []tpair{
		{"duplicate chart title", dupChart, edit(t, dupChart, `"type": "LINE", "groupIdentifier": "predictions"`, `"type": "PIE", "groupIdentifier": "predictions"`)},
		{"duplicate userData key", dupUserData, edit(t, dupUserData, `"value": "Thanks!"`, `"value": "Thanks a lot!"`)},
	}
}

// TestMetamorphic: the findings of every golden and fuzz corpus pair stay
// the same, down to fingerprints and messages, when the files are
// re-indented, their keys and their unordered arrays shuffled, or an
// unknown field is added on both sides.
func TestMetamorphic(t *testing.T) {
	f := metamorphic(t)
	var pairs []tpair
	for _, tc := range goldenCases(t) {
		pairs = append(pairs, tpair{tc.name, tc.base, tc.head(t)})
	}
	pairs = append(pairs, corpusPairs(t)...)
	pairs = append(pairs, invalidPairs(t)...)
	for _, p := range pairs {
		base, head := formattest.Files{file: []byte(p.base)}, formattest.Files{file: []byte(p.head)}
		t.Run(p.name+"/layout", func(t *testing.T) {
			formattest.Check(t, f, base, head, formattest.Layout(f.Structure))
		})
		t.Run(p.name+"/unknown-field", func(t *testing.T) {
			// In the older flat UserData block every member is an entry, so
			// a member added there is no unknown field but a new entry.
			formattest.Check(t, f, base, head, formattest.Unknown("/userData", "/UserData"))
		})
	}
}

// Duplicate identities are paired by content, and the message says which
// element a finding is about, by something other than its position.
func TestDuplicatesSayWhichWasPicked(t *testing.T) {
	want := map[string][]string{
		"duplicate chart title":  {`Chart "Player of the match" changed; charts are replaced on update, statistics are kept (2 charts share the title "Player of the match", which the platform rejects; paired by content, this is the one of type "PIE").`},
		"duplicate userData key": {`UserData "voteThanks" has a new value: workspaces that edited it keep theirs, the others get the new one (2 UserData entries share the key "voteThanks", which the platform rejects; paired by content, this is the one labelled "Thanks (2)").`},
	}
	for _, p := range invalidPairs(t) {
		base, head := mustParse(t, "base/poll.ckbk", p.base), mustParse(t, "head/poll.ckbk", p.head)
		var got []string
		for _, f := range recordedAccounted(base, head).Findings {
			got = append(got, f.Message)
		}
		if d := cmp.Diff(want[p.name], got); d != "" {
			t.Errorf("%s (-want +got):\n%s", p.name, d)
		}
	}
}

// Tolerance: a field a newer template version adds on both sides is no
// finding and no error; one that changes is reported by the generic rule,
// and text by the text rule.
func TestUnknownFields(t *testing.T) {
	football := readTestdata(t, "football-poll.ckbk")
	both := edit(t, football, `"author": "Community Sports Trust",`, `"author": "Community Sports Trust", "locale": "en-GB",`,
		`"collectionRole": "VoteEntry",`, `"collectionRole": "VoteEntry", "priority": 2,`)
	for _, tc := range []struct {
		name, head string
		want       []string
	}{
		{"same on both sides", both, nil},
		{"unknown field changes", edit(t, both, `"priority": 2`, `"priority": 3`),
			[]string{"ckbk/other-changed /recipes[collectionRole=VoteEntry]/priority"}},
		{"recipe name changes", edit(t, both, `"name": "Join the league poll",`, `"name": "Join the poll",`),
			[]string{"ckbk/text-changed /recipes[collectionRole=Registration]/name"}},
	} {
		var got []string
		for _, f := range recordedAccounted(mustParse(t, "base/poll.ckbk", both), mustParse(t, "head/poll.ckbk", tc.head)).Findings {
			got = append(got, f.Rule+" "+f.Subject)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, d)
		}
	}
}
