package release

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/rules"
	"github.com/breakwater-dev/breakwater/internal/source"
)

// The repository as a release sees it: trees of the input pipeline (a
// local directory, a git commit, a commit read through the GitHub API), the
// package's files in them, and the change record between two of them.

// packageConfig is cfg with the artifacts narrowed to the package's paths:
// the change record and the tarball cover the package, nothing else.
func packageConfig(cfg *config.Config, pkg Package) *config.Config {
	if len(pkg.Paths) == 0 {
		return cfg
	}
	c := *cfg
	c.Artifacts = []config.Artifact{{Paths: pkg.Paths, Format: config.FormatAuto}}
	c.ArtifactsSet = true
	return &c
}

// packageRoot is the directory the package's globs share ("packages/account/"
// of "packages/account/**"): files are stored relative to it.
func packageRoot(pkg Package) string {
	root := ""
	for i, g := range pkg.Paths {
		static := g
		if j := strings.IndexAny(g, "*?[\\"); j >= 0 {
			static = g[:j]
		}
		dir := static[:strings.LastIndex(static, "/")+1]
		if i == 0 {
			root = dir
		} else if dir != root {
			return ""
		}
	}
	return root
}

// packageFiles are the files of tree the package's globs (else the
// configured artifacts) match, relative to the package root; files under
// hidden directories (.github, .git) are never part of a package.
func packageFiles(ctx context.Context, tree engine.Tree, cfg *config.Config, pkg Package) ([]File, error) {
	var globs []string
	for _, a := range packageConfig(cfg, pkg).Artifacts {
		globs = append(globs, a.Paths...)
	}
	entries, err := tree.List(ctx)
	if err != nil {
		return nil, err
	}
	root := packageRoot(pkg)
	var out []File
	for _, e := range entries {
		rel, ok := strings.CutPrefix(e.Path, root)
		if !ok || rel == "" || hidden(e.Path) || !slices.ContainsFunc(globs, func(g string) bool { return rules.MatchGlob(g, e.Path) }) {
			continue
		}
		data, err := tree.Read(ctx, e.Path)
		if err != nil {
			return nil, err
		}
		out = append(out, File{Path: path.Clean(rel), Data: data})
	}
	return out, nil
}

func hidden(p string) bool {
	for _, seg := range strings.Split(p, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

// compareTrees is the change record: the input pipeline's comparison of
// the package at base (the previous release) and head.
func compareTrees(ctx context.Context, base, head engine.Tree, cfg *config.Config, pkg Package) (*change.Report, error) {
	eng, err := engine.New()
	if err != nil {
		return nil, err
	}
	res, err := eng.Run(ctx, engine.Request{Base: byPath{base}, Head: byPath{head}, Config: packageConfig(cfg, pkg), RequireArtifacts: true})
	if err != nil {
		return nil, err
	}
	return res.Report, nil
}

// byPath names every file of a tree by its repository path: the change
// record goes into the package, and must not depend on where the
// repository was checked out or how a commit was named.
type byPath struct{ engine.Tree }

func (t byPath) List(ctx context.Context) ([]engine.Entry, error) {
	entries, err := t.Tree.List(ctx)
	for i := range entries {
		entries[i].Name = entries[i].Path
	}
	return entries, err
}

// gitTreeAt is dir's repository at commit sha.
func gitTreeAt(ctx context.Context, dir, sha string) (engine.Tree, error) {
	return source.NewGit(ctx, dir, dir, sha)
}

// gitTags lists dir's repository's tags.
func gitTags(ctx context.Context, dir string) ([]Tag, error) {
	tags, err := source.GitTags(ctx, dir)
	out := make([]Tag, len(tags))
	for i, t := range tags {
		out[i] = Tag{Name: t.Name, Commit: t.Commit}
	}
	return out, err
}

// githubTags lists the repository's tags through the API.
func githubTags(gh *githubapi.Client, repo githubapi.Repo) func(ctx context.Context) ([]Tag, error) {
	return func(ctx context.Context) ([]Tag, error) {
		tags, err := gh.Tags(ctx, repo)
		out := make([]Tag, len(tags))
		for i, t := range tags {
			out[i] = Tag{Name: t.Name, Commit: t.SHA}
		}
		return out, err
	}
}
