package source

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// What a release reads of a local git repository besides trees: its tags,
// a commit's time, the tag at a commit, the GitHub repository it came from.
// Read from the repository's objects through go-git, as its trees are (see
// Git): no git binary.

// Tag is a tag and the commit it names (annotated tags peeled).
type Tag struct {
	Name, Commit string
}

// openLocal opens the repository holding dir, for the release's reads.
func openLocal(ctx context.Context, dir string) (*repository, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	repo, err := openRepository(dir, true)
	if err != nil {
		return nil, fmt.Errorf("%s is not in a readable git repository: %w", dir, err)
	}
	return repo, nil
}

// localTag is a tag of the repository with what choosing among tags needs.
type localTag struct {
	Tag
	annotated bool
	when      time.Time // the tagger's date of an annotated tag
}

// tags lists the repository's tags that name commits, by name.
func (r *repository) tags() ([]localTag, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	iter, err := r.git.Tags()
	if err != nil {
		return nil, err
	}
	var out []localTag
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		t := localTag{Tag: Tag{Name: ref.Name().Short(), Commit: ref.Hash().String()}}
		switch obj, err := r.git.TagObject(ref.Hash()); {
		case err == nil:
			c, err := obj.Commit()
			if err != nil {
				return nil // a tag of a tree or blob names no release
			}
			t.Commit, t.annotated, t.when = c.Hash.String(), true, obj.Tagger.When
		case !errors.Is(err, plumbing.ErrObjectNotFound):
			return fmt.Errorf("reading tag %s: %w", t.Name, err)
		}
		out = append(out, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b localTag) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// GitTags lists the tags of the repository holding dir.
func GitTags(ctx context.Context, dir string) ([]Tag, error) {
	repo, err := openLocal(ctx, dir)
	if err != nil {
		return nil, err
	}
	tags, err := repo.tags()
	if err != nil {
		return nil, fmt.Errorf("listing the tags of %s: %w", dir, err)
	}
	out := make([]Tag, len(tags))
	for i, t := range tags {
		out[i] = t.Tag
	}
	return out, nil
}

// GitCommit is the commit ref names (HEAD when empty) and its committer
// time: what a reproducible build stamps instead of the clock.
func GitCommit(ctx context.Context, dir, ref string) (string, time.Time, error) {
	if ref == "" {
		ref = "HEAD"
	}
	if err := checkRef(ref); err != nil {
		return "", time.Time{}, err
	}
	repo, err := openLocal(ctx, dir)
	if err != nil {
		return "", time.Time{}, err
	}
	c, err := repo.commitOf(ref)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("%q is not a commit of the repository at %s: %w", ref, dir, err)
	}
	return c.Hash.String(), c.Committer.When.UTC(), nil
}

// commitOf resolves a revision (a branch, tag, SHA or HEAD) to its commit.
func (r *repository) commitOf(rev string) (*object.Commit, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	h, err := r.git.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return nil, err
	}
	return r.git.CommitObject(*h)
}

// GitVersionTag is the v-tag (v followed by a digit) at HEAD of dir's
// repository, "" for none. Of several, the one `git describe --exact-match`
// names: an annotated tag before a lightweight one, then the newest.
func GitVersionTag(ctx context.Context, dir string) string {
	repo, err := openLocal(ctx, dir)
	if err != nil {
		return ""
	}
	head, err := repo.commitOf("HEAD")
	if err != nil {
		return ""
	}
	tags, err := repo.tags()
	if err != nil {
		return ""
	}
	var best *localTag
	for i, t := range tags {
		if t.Commit != head.Hash.String() {
			continue
		}
		if ok, _ := path.Match("v[0-9]*", t.Name); !ok {
			continue
		}
		if best == nil || t.annotated && !best.annotated || t.annotated == best.annotated && t.when.After(best.when) {
			best = &tags[i]
		}
	}
	if best == nil {
		return ""
	}
	return best.Name
}

var githubRemote = regexp.MustCompile(`github\.com[:/]([^/]+)/([^/]+?)(\.git)?/?$`)

// GitHubOrigin is owner/name of the origin remote when it is on
// github.com, "" otherwise.
func GitHubOrigin(ctx context.Context, dir string) string {
	repo, err := openLocal(ctx, dir)
	if err != nil {
		return ""
	}
	cfg, err := repo.git.Config()
	if err != nil {
		return ""
	}
	origin, ok := cfg.Remotes["origin"]
	if !ok || len(origin.URLs) == 0 {
		return ""
	}
	m := githubRemote.FindStringSubmatch(strings.TrimSpace(origin.URLs[0]))
	if m == nil {
		return ""
	}
	return m[1] + "/" + m[2]
}
