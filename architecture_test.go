package breakwater

import (
	"go/build"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The parts of docs/architecture.md and what each may import. A package
// under internal/ belongs to the part its first path element names; test
// helpers (packages ending in "test") and _test.go files are exempt, since
// tests may reach across parts.
var parts = map[string]string{
	// core: pure, no I/O, no GitHub types
	"jsonpos": "core", "change": "core", "formats": "core", "rules": "core", "report": "core",
	"runtimeversion": "core", "plan": "core", "structdiff": "core", "coverage": "core",
	"workflowcmd": "core", "npmpkg": "core", "backoff": "core", "clip": "core",
	// pipeline
	"engine": "pipeline", "config": "pipeline",
	// adapters: each speaks its own types
	"githubapi": "adapter", "actions": "adapter", "source": "adapter", "npmregistry": "adapter",
	"signing": "adapter", "runtime": "adapter", "tray": "adapter", "store": "adapter",
	"testenv": "adapter",
	// shared by faces: the pull request check and its surfaces (labels,
	// comment, check run), and Tray instances as plan instances
	"prsurface": "shared", "prcheck": "shared", "trayplan": "shared",
	// faces; cli is the command line that hosts every face's commands
	"cli": "cli", "prrun": "face", "release": "face", "bot": "face", "rollout": "face",
}

// allowed says which parts a part may import.
var allowed = map[string][]string{
	"core":     {"core"},
	"pipeline": {"core", "pipeline"},
	"adapter":  {"core", "pipeline", "adapter"},
	"shared":   {"core", "pipeline", "adapter", "shared"},
	"face":     {"core", "pipeline", "adapter", "shared"},
	"cli":      {"core", "pipeline", "adapter", "shared", "face", "cli"},
}

// The core does no I/O and knows no GitHub types.
// (net/url and the like are pure; net, net/http and os/exec are not.)
var coreForbidden = []string{"net", "net/http", "net/rpc", "net/smtp", "os/exec", "github.com/google/go-github"}

const module = "github.com/breakwater-dev/breakwater/"

func TestArchitecture(t *testing.T) {
	err := filepath.WalkDir("internal", func(dir string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if d.Name() == "testdata" {
			return filepath.SkipDir
		}
		pkg, err := build.ImportDir(dir, 0)
		if _, ok := err.(*build.NoGoError); ok {
			return nil
		}
		if err != nil {
			return err
		}
		if strings.HasSuffix(d.Name(), "test") {
			return nil
		}
		rel := filepath.ToSlash(dir)
		from, ok := partOf(rel)
		if !ok {
			t.Errorf("%s belongs to no part: add it to parts in architecture_test.go and to docs/architecture.md", rel)
			return nil
		}
		for _, imp := range pkg.Imports {
			if from == "core" {
				for _, bad := range coreForbidden {
					if imp == bad || (bad != "net" && strings.HasPrefix(imp, bad+"/")) {
						t.Errorf("%s (core) imports %s: the core does no I/O", rel, imp)
					}
				}
			}
			if !strings.HasPrefix(imp, module+"internal/") {
				continue
			}
			target := strings.TrimPrefix(imp, module)
			if strings.HasSuffix(target, "test") {
				t.Errorf("%s imports the test helper %s outside a test", rel, target)
				continue
			}
			to, ok := partOf(target)
			if !ok {
				continue // reported when its own directory is walked
			}
			switch {
			case topOf(rel) == topOf(target): // a package's own sub-packages
			case from == "face" && to == "face":
				t.Errorf("%s imports %s: faces share through the layers below, never call each other", rel, target)
			case !slices.Contains(allowed[from], to):
				t.Errorf("%s (%s) imports %s (%s)", rel, from, target, to)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func topOf(rel string) string {
	elems := strings.Split(rel, "/")
	if len(elems) < 2 {
		return rel
	}
	return elems[1]
}

func partOf(rel string) (string, bool) {
	elems := strings.Split(rel, "/")
	if len(elems) < 2 || elems[0] != "internal" {
		return "", false
	}
	p, ok := parts[elems[1]]
	return p, ok
}
