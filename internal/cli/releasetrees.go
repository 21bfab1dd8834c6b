package cli

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/breakwater-dev/breakwater/internal/change"
	"github.com/breakwater-dev/breakwater/internal/config"
	"github.com/breakwater-dev/breakwater/internal/engine"
	"github.com/breakwater-dev/breakwater/internal/githubapi"
	"github.com/breakwater-dev/breakwater/internal/release"
)

// The repository as a release sees it: the files of a commit (a local
// directory, a git ref, or a commit read through the GitHub API), the tags,
// and the comparison of two commits through the engine.

// releaseTree is the repository at one commit.
type releaseTree interface {
	// files are the files a scan with globs keeps.
	files(ctx context.Context, globs []string) ([]engine.File, error)
}

type dirTree string

func (d dirTree) files(ctx context.Context, globs []string) ([]engine.File, error) {
	return loadPath(ctx, string(d), globs)
}

// gitTree is dir as it is at ref, read with git.
type gitTree struct{ dir, ref string }

func (g gitTree) files(ctx context.Context, globs []string) ([]engine.File, error) {
	return loadGitRef(ctx, g.ref, g.dir, globs)
}

// githubTree is a commit read through the GitHub API (no checkout).
type githubTree struct {
	gh   *githubapi.Client
	repo githubapi.Repo
	sha  string
}

func (g githubTree) files(ctx context.Context, globs []string) ([]engine.File, error) {
	entries, truncated, err := g.gh.Tree(ctx, g.repo, g.sha)
	if err != nil {
		return nil, err
	}
	if truncated {
		return nil, fmt.Errorf("GitHub cut the file listing of %s@%s short: the release cannot tell which files are exports", g.repo, g.sha)
	}
	var out []engine.File
	for _, e := range entries {
		if hasSkippedDir(e.Path) || !wanted(e.Path, globs) {
			continue
		}
		data, err := g.gh.FileContent(ctx, g.repo, e.Path, g.sha)
		if err != nil {
			return nil, err
		}
		out = append(out, engine.File{Path: e.Path, Name: e.Path, Data: data})
	}
	return out, nil
}

// packageConfig is cfg with the artifacts narrowed to the package's paths:
// the change record and the tarball cover the package, nothing else.
func packageConfig(cfg *config.Config, pkg release.Package) *config.Config {
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
func packageRoot(pkg release.Package) string {
	root := ""
	for i, g := range pkg.Paths {
		static := g[:cut(g)]
		dir := static[:strings.LastIndex(static, "/")+1]
		if i == 0 {
			root = dir
		} else if dir != root {
			return ""
		}
	}
	return root
}

// cut is where a glob's first pattern character is (its length without one).
func cut(g string) int {
	if i := strings.IndexAny(g, "*?[\\"); i >= 0 {
		return i
	}
	return len(g)
}

// packageFiles are the package's files at tree, relative to its root.
func packageFiles(ctx context.Context, tree releaseTree, cfg *config.Config, pkg release.Package) ([]release.File, error) {
	_, globs := engineOptions(packageConfig(cfg, pkg))
	files, err := tree.files(ctx, globs)
	if err != nil {
		return nil, err
	}
	root := packageRoot(pkg)
	var out []release.File
	for _, f := range files {
		rel, ok := strings.CutPrefix(f.Path, root)
		if !ok || rel == "" {
			continue
		}
		out = append(out, release.File{Path: path.Clean(rel), Data: f.Data})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// compareTrees is the change record: the engine's comparison of the
// package's files at base and head.
func compareTrees(ctx context.Context, base, head releaseTree, cfg *config.Config, pkg release.Package) (*change.Report, error) {
	eng, err := engine.New()
	if err != nil {
		return nil, err
	}
	opts, globs := engineOptions(packageConfig(cfg, pkg))
	bs, err := base.files(ctx, globs)
	if err != nil {
		return nil, err
	}
	hs, err := head.files(ctx, globs)
	if err != nil {
		return nil, err
	}
	return eng.Compare(bs, hs, opts)
}

// gitTags lists dir's repository's tags with their commits.
func gitTags(ctx context.Context, dir string) ([]release.Tag, error) {
	out, err := git(ctx, dir, "for-each-ref", "--format=%(refname:strip=2) %(*objectname)%(objectname)", "refs/tags")
	if err != nil {
		return nil, err
	}
	var tags []release.Tag
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, sha, ok := strings.Cut(line, " ")
		if ok {
			// An annotated tag prints the commit, then the tag object.
			tags = append(tags, release.Tag{Name: name, Commit: sha[:min(40, len(sha))]})
		}
	}
	return tags, nil
}

// gitCommit is a commit (default HEAD) of dir's repository and its
// committer time.
func gitCommit(ctx context.Context, dir string, ref ...string) (string, time.Time, error) {
	out, err := git(ctx, dir, append([]string{"log", "-1", "--format=%H %cI"}, ref...)...)
	if err != nil {
		return "", time.Time{}, err
	}
	sha, when, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	t, err := time.Parse(time.RFC3339, when)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("git's commit time %q: %w", when, err)
	}
	return sha, t.UTC(), nil
}

// githubTags lists the repository's tags through the API.
func githubTags(gh *githubapi.Client, repo githubapi.Repo) func(ctx context.Context) ([]release.Tag, error) {
	return func(ctx context.Context) ([]release.Tag, error) {
		tags, err := gh.Tags(ctx, repo)
		out := make([]release.Tag, len(tags))
		for i, t := range tags {
			out[i] = release.Tag{Name: t.Name, Commit: t.SHA}
		}
		return out, err
	}
}
