package githubapi

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// go-github's types stay inside this package: every other package speaks
// the types above, so that the SDK can be upgraded (or replaced) here alone.
func TestGoGitHubStaysInThisPackage(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || p == filepath.Join(root, "internal", "githubapi")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if path, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(path, "github.com/google/go-github") {
				t.Errorf("%s imports %s: use the types of internal/githubapi", p, path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
