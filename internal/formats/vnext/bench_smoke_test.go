package vnext

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breakwater-dev/breakwater/internal/formats"
)

var editEvery = 50

func bigPackage(tb testing.TB, n int, edit bool) map[string][]byte {
	root := "testdata/core-package"
	out := map[string][]byte{}
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		src, _ := os.ReadFile(path)
		if strings.Contains(rel, "Workflows/") {
			for i := 0; i < n/6; i++ {
				key := strings.TrimSuffix(filepath.Base(rel), ".json")
				nk := fmt.Sprintf("%s-%d", key, i)
				s := bytes.Replace(src, []byte(`"key": "`+key+`"`), []byte(`"key": "`+nk+`"`), 1)
				if edit && i%editEvery == 0 {
					s = bytes.Replace(s, []byte(`"target": "active"`), []byte(`"target": "passive"`), 1)
				}
				out[filepath.ToSlash(filepath.Join(filepath.Dir(rel), nk+".json"))] = s
			}
			return nil
		}
		out[filepath.ToSlash(rel)] = src
		return nil
	})
	return out
}

func BenchmarkSmokeDecode(b *testing.B) {
	base, head := bigPackage(b, 300, false), bigPackage(b, 300, true)
	b.ResetTimer()
	for b.Loop() {
		for _, side := range []map[string][]byte{base, head} {
			for _, src := range side {
				var v any
				if err := json.Unmarshal(src, &v); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

func BenchmarkSmokeDiff(b *testing.B) {
	base, head := bigPackage(b, 300, false), bigPackage(b, 300, true)
	p, _ := NewParser()
	b.ResetTimer()
	for b.Loop() {
		clear(p.verdicts)
		var pk [2]*Package
		for i, side := range []map[string][]byte{base, head} {
			var files []File
			for path, src := range side {
				d, err := formats.ParseJSON(path, src)
				if err != nil {
					b.Fatal(err)
				}
				files = append(files, File{Path: path, Doc: d})
			}
			var err error
			pk[i], err = p.ParsePackage(files)
			if err != nil {
				b.Fatal(err)
			}
		}
		c := Diff(pk[0], pk[1])
		if len(c.Findings) == 0 {
			b.Fatal("no findings")
		}
	}
}

func BenchmarkSmokeDiffAllChanged(b *testing.B) {
	editEvery = 1
	defer func() { editEvery = 50 }()
	BenchmarkSmokeDiff(b)
}

func BenchmarkSmokeParts(b *testing.B) {
	base := bigPackage(b, 300, false)
	p, _ := NewParser()
	var docs []*File
	for path, src := range base {
		d, _ := formats.ParseJSON(path, src)
		docs = append(docs, &File{Path: path, Doc: d})
	}
	b.Run("jsonpos", func(b *testing.B) {
		for b.Loop() {
			for path, src := range base {
				formats.ParseJSON(path, src)
			}
		}
	})
	b.Run("interface", func(b *testing.B) {
		for b.Loop() {
			for _, f := range docs {
				_ = f.Doc.Root.Interface()
			}
		}
	})
	var ifs []any
	for _, f := range docs {
		ifs = append(ifs, f.Doc.Root.Interface())
	}
	b.Run("validate", func(b *testing.B) {
		for b.Loop() {
			for i, f := range docs {
				if strings.Contains(f.Path, "Workflows/") {
					p.schemas[KindWorkflow].Validate(ifs[i])
				}
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			for _, src := range base {
				var v any
				json.Unmarshal(src, &v)
			}
		}
	})
}
