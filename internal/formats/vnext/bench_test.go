package vnext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/formats"
)

// largePackage is the core package grown to n workflows (copies of the six
// real ones under new keys); every editEvery-th copy gets a new transition
// target, as a pull request would.
func largePackage(tb testing.TB, n, editEvery int) tree {
	sample := loadTree(tb, samplePackage)
	out := tree{}
	for path, src := range sample {
		if !strings.HasPrefix(path, "core/Workflows/") {
			out[path] = src
			continue
		}
		key := strings.TrimSuffix(strings.TrimPrefix(path, "core/Workflows/"), ".json")
		for i := range n / 6 {
			copyKey := fmt.Sprintf("%s-%d", key, i)
			s := bytes.Replace(src, []byte(`"key": "`+key+`"`), []byte(`"key": "`+copyKey+`"`), 1)
			if editEvery > 0 && i%editEvery == 0 {
				s = bytes.Replace(s, []byte(`"target": "active"`), []byte(`"target": "passive"`), 1)
			}
			out["core/Workflows/"+copyKey+".json"] = s
		}
	}
	return out
}

// BenchmarkDiffLargePackage measures what a comparison costs this package:
// locating parse of both sides, validation, model and diff. A fresh Parser
// per run keeps the validation cache from carrying over between runs.
// Compare with BenchmarkDecodeLargePackage, encoding/json into any.
func BenchmarkDiffLargePackage(b *testing.B) {
	for _, c := range []struct {
		name      string
		editEvery int
	}{{"few-changed", 50}, {"all-changed", 1}} {
		b.Run(c.name, func(b *testing.B) {
			base, head := largePackage(b, 300, 0), largePackage(b, 300, c.editEvery)
			shared := parser(b)
			b.ResetTimer()
			for b.Loop() {
				p := &Parser{schemas: shared.schemas, printer: shared.printer, verdicts: map[verdictKey]*schemaViolation{}}
				var pkgs [2]*Package
				for i, side := range []tree{base, head} {
					files := make([]File, 0, len(side))
					for path, src := range side {
						d, err := formats.ParseJSON(path, src)
						if err != nil {
							b.Fatal(err)
						}
						files = append(files, File{Path: path, Doc: d})
					}
					pkg, err := p.ParsePackage(files)
					if err != nil {
						b.Fatal(err)
					}
					pkgs[i] = pkg
				}
				if len(Diff(pkgs[0], pkgs[1]).Findings) == 0 {
					b.Fatal("no findings")
				}
			}
		})
	}
}

func BenchmarkDecodeLargePackage(b *testing.B) {
	base, head := largePackage(b, 300, 0), largePackage(b, 300, 1)
	b.ResetTimer()
	for b.Loop() {
		for _, side := range []tree{base, head} {
			for _, src := range side {
				var v any
				if err := json.Unmarshal(src, &v); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

func BenchmarkNewParser(b *testing.B) {
	for b.Loop() {
		if _, err := NewParser(); err != nil {
			b.Fatal(err)
		}
	}
}
