package tray

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/formats"
)

// bigPair builds an export pair of the size the engine benchmark uses (about
// 25 MB each: 560 workflows, 2,100 config slots, 200 auth slots) from the
// real sample, the head with a handful of edits. Built once per test binary.
var bigPair = sync.OnceValues(func() ([]byte, []byte) {
	src := readFileOnce("testdata/bynder-dropbox.project.json")
	build := func(edit bool) []byte {
		var doc map[string]any
		if err := json.Unmarshal(src, &doc); err != nil {
			panic(err)
		}
		sol := doc["solution"].(map[string]any)
		var workflows, configSlots, authSlots []any
		for i := range 70 {
			for _, w := range doc["workflows"].([]any) {
				w := clone(w).(map[string]any)
				w["id"] = fmt.Sprintf("%s-%d", w["id"], i)
				if edit && i%25 == 0 {
					steps := w["steps"].(map[string]any)
					for name, s := range steps {
						s.(map[string]any)["title"] = "edited " + name
						break
					}
				}
				workflows = append(workflows, w)
			}
		}
		for i := range 300 {
			for _, c := range sol["config_slots"].([]any) {
				c := clone(c).(map[string]any)
				c["external_id"] = fmt.Sprintf("%s_%d", c["external_id"], i)
				if edit && i%50 == 0 {
					c["default_value"] = "changed"
				}
				configSlots = append(configSlots, c)
			}
		}
		for i := range 100 {
			for _, a := range sol["auth_slots"].([]any) {
				a := clone(a).(map[string]any)
				a["external_id"] = fmt.Sprintf("%s_%d", a["external_id"], i)
				if edit && i%20 == 0 {
					a["scopes"] = append(a["scopes"].([]any), "extra:scope")
				}
				authSlots = append(authSlots, a)
			}
		}
		doc["workflows"], sol["config_slots"], sol["auth_slots"] = workflows, configSlots, authSlots
		out, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			panic(err)
		}
		return out
	}
	return build(false), build(true)
})

func clone(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// BenchmarkDecodeAny is the yardstick: decoding both files with
// encoding/json into any, and nothing else.
func BenchmarkDecodeAny(b *testing.B) {
	base, head := bigPair()
	b.SetBytes(int64(len(base) + len(head)))
	for b.Loop() {
		for _, src := range [][]byte{base, head} {
			var v any
			if err := json.Unmarshal(src, &v); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkCompare is what the engine does with a pair: parse both files,
// read them as Tray exports and diff them. It must stay within 1.5x of
// BenchmarkDecodeAny.
func BenchmarkCompare(b *testing.B) {
	base, head := bigPair()
	b.SetBytes(int64(len(base) + len(head)))
	for b.Loop() {
		var exports [2]*Export
		for i, src := range [][]byte{base, head} {
			doc, err := formats.ParseJSON("f.json", src)
			if err != nil {
				b.Fatal(err)
			}
			if exports[i], err = Parse(doc); err != nil {
				b.Fatal(err)
			}
		}
		if c := Diff(exports[0], exports[1]); len(c.Findings) == 0 {
			b.Fatal("no findings")
		}
	}
}

// BenchmarkDiff is the diff alone, on parsed exports.
func BenchmarkDiff(b *testing.B) {
	baseSrc, headSrc := bigPair()
	base, head := parse(b, "base.json", baseSrc), parse(b, "head.json", headSrc)
	b.SetBytes(int64(len(baseSrc) + len(headSrc)))
	for b.Loop() {
		Diff(base, head)
	}
}
