package release

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Tag is a tag and the commit it names.
type Tag struct {
	Name, Commit string
}

// VersionOf is the package version of a release tag: "v1.17.0" → "1.17.0".
// The tag must be v + SemVer without build metadata (npm drops it).
func VersionOf(tag string) (string, error) {
	v, ok := strings.CutPrefix(tag, "v")
	if !ok {
		return "", fmt.Errorf("release tag %q does not start with \"v\" (want vMAJOR.MINOR.PATCH)", tag)
	}
	sv, err := semver.StrictNewVersion(v)
	if err != nil {
		return "", fmt.Errorf("release tag %q is not v + a SemVer version (vMAJOR.MINOR.PATCH[-PRERELEASE]): %v", tag, err)
	}
	if sv.Metadata() != "" {
		return "", fmt.Errorf("release tag %q has build metadata (+%s), which npm drops; tag without it", tag, sv.Metadata())
	}
	return v, nil
}

// PreviousRelease picks the release before version among tags: the highest
// v-SemVer tag below it. Pre-releases count only when version is one
// itself (1.2.0-rc.2 follows 1.2.0-rc.1; 1.2.0 follows 1.1.0, not an rc).
// Tags that are not v + SemVer are ignored. Nil when there is none.
func PreviousRelease(tags []Tag, version string) (*Previous, error) {
	cur, err := semver.StrictNewVersion(version)
	if err != nil {
		return nil, fmt.Errorf("version %q is not SemVer: %w", version, err)
	}
	var best *semver.Version
	var out *Previous
	for _, t := range tags {
		v, err := VersionOf(t.Name)
		if err != nil {
			continue
		}
		sv := semver.MustParse(v)
		if !sv.LessThan(cur) || (sv.Prerelease() != "" && cur.Prerelease() == "") {
			continue
		}
		if best == nil || sv.GreaterThan(best) {
			best, out = sv, &Previous{Tag: t.Name, Version: v, Commit: t.Commit}
		}
	}
	return out, nil
}
