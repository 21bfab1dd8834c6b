// Package npmpkgtest makes packages for tests and benchmarks of the
// release path.
package npmpkgtest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/breakwater-dev/breakwater/internal/npmpkg"
)

// GenerateFiles makes vNext-shaped workflow definitions of about size bytes
// in total, the same for the same seed. Their content varies like real
// exports (keys, ids, labels), so they compress about as real ones do.
func GenerateFiles(size int, seed uint64) []npmpkg.File {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	word := func() string {
		const letters = "abcdefghijklmnopqrstuvwxyz"
		b := make([]byte, 3+rng.IntN(8))
		for i := range b {
			b[i] = letters[rng.IntN(len(letters))]
		}
		return string(b)
	}
	var files []npmpkg.File
	total := 0
	for i := 0; total < size; i++ {
		type transition struct {
			Key      string            `json:"key"`
			Target   string            `json:"target"`
			Version  string            `json:"version"`
			Labels   map[string]string `json:"labels"`
			Schema   map[string]string `json:"schema"`
			Rule     string            `json:"rule"`
			Priority int               `json:"priority"`
		}
		type state struct {
			Key         string       `json:"key"`
			StateType   int          `json:"stateType"`
			Transitions []transition `json:"transitions"`
		}
		var states []state
		for s := 0; s < 40; s++ {
			st := state{Key: fmt.Sprintf("%s-%s-%d", word(), word(), s), StateType: rng.IntN(4)}
			for k := 0; k < 6; k++ {
				st.Transitions = append(st.Transitions, transition{
					Key:      word() + "-" + word(),
					Target:   fmt.Sprintf("%s-%d", word(), rng.IntN(40)),
					Version:  fmt.Sprintf("%d.%d.%d", rng.IntN(3), rng.IntN(20), rng.IntN(50)),
					Labels:   map[string]string{"en-US": word() + " " + word(), "tr-TR": word() + " " + word()},
					Schema:   map[string]string{"key": word(), "domain": "core", "flow": "sys-schemas", "id": fmt.Sprintf("%016x", rng.Uint64())},
					Rule:     fmt.Sprintf("input.%s == %q && input.%s > %d", word(), word(), word(), rng.IntN(1000)),
					Priority: rng.IntN(10),
				})
			}
			states = append(states, st)
		}
		doc, err := json.MarshalIndent(map[string]any{
			"key": fmt.Sprintf("workflow-%04d", i), "version": "1.0.0", "domain": "core",
			"attributes": map[string]any{"type": "F", "states": states},
		}, "", "  ")
		if err != nil {
			panic(err) // plain maps and structs always encode
		}
		files = append(files, npmpkg.File{Path: fmt.Sprintf("core/Workflows/workflow-%04d.json", i), Data: doc})
		total += len(doc)
	}
	return files
}

// WriteDir writes packageJSON and files into dir as a package directory,
// for tools such as npm pack that read one.
func WriteDir(dir string, packageJSON []byte, files []npmpkg.File) error {
	if err := os.WriteFile(filepath.Join(dir, "package.json"), packageJSON, 0o644); err != nil {
		return err
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ReadDir reads every file under dir except package.json, as npm would
// pack them (dir must hold no files npm ignores).
func ReadDir(dir string) (packageJSON []byte, files []npmpkg.File, err error) {
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if rel == "package.json" {
			packageJSON = data
			return nil
		}
		files = append(files, npmpkg.File{Path: filepath.ToSlash(rel), Data: data})
		return nil
	})
	return packageJSON, files, err
}
