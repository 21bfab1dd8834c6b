package source

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// What a release reads of a local git repository besides trees: its tags,
// a commit's time, the tag at a commit, the GitHub repository it came from.

// Tag is a tag and the commit it names (annotated tags peeled).
type Tag struct {
	Name, Commit string
}

// GitTags lists the tags of the repository holding dir.
func GitTags(ctx context.Context, dir string) ([]Tag, error) {
	// An annotated tag prints its commit (*objectname) before the tag object.
	out, err := runGit(ctx, dir, "for-each-ref", "--format=%(refname:strip=2) %(*objectname)%(objectname)", "refs/tags")
	if err != nil {
		return nil, err
	}
	var tags []Tag
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if name, ids, ok := strings.Cut(line, " "); ok && len(ids) >= 40 {
			tags = append(tags, Tag{Name: name, Commit: ids[:40]})
		}
	}
	return tags, nil
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
	out, err := runGit(ctx, dir, "log", "-1", "--format=%H %cI", "--end-of-options", ref)
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

// GitVersionTag is the v-tag at HEAD of dir's repository, "" for none.
func GitVersionTag(ctx context.Context, dir string) string {
	out, err := runGit(ctx, dir, "describe", "--tags", "--exact-match", "--match", "v[0-9]*", "HEAD")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

var githubRemote = regexp.MustCompile(`github\.com[:/]([^/]+)/([^/]+?)(\.git)?/?$`)

// GitHubOrigin is owner/name of the origin remote when it is on
// github.com, "" otherwise.
func GitHubOrigin(ctx context.Context, dir string) string {
	out, err := runGit(ctx, dir, "remote", "get-url", "origin")
	if err != nil {
		return ""
	}
	m := githubRemote.FindStringSubmatch(strings.TrimSpace(string(out)))
	if m == nil {
		return ""
	}
	return m[1] + "/" + m[2]
}
