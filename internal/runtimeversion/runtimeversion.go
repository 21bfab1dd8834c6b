// Package runtimeversion handles the runtime's extended version of an
// artifact inside a package, MAJOR.MINOR.PATCH-pkg.PKG_VERSION+PKG_NAME, e.g.
// 1.0.0-pkg.1.17.0+account.
//
// The extended form is plain SemVer 2.0, and ordering is SemVer precedence:
// the package version sits in the pre-release, so it orders artifacts of the
// same version (1.0.0-pkg.1.18.0 > 1.0.0-pkg.1.17.0, compared per numeric
// identifier, so pkg.1.17.0 > pkg.1.9.0); the artifact version always wins
// over it (2.0.0-pkg.1.0.0 > 1.0.0-pkg.2.0.0); the package name is build
// metadata and never orders; and, being a pre-release, 1.0.0-pkg.1.17.0 sorts
// below the bare 1.0.0.
//
// One consequence of SemVer's rules to keep in mind: a package version with a
// pre-release of its own orders above its release, 1.0.0-pkg.2.0.0-rc.1 >
// 1.0.0-pkg.2.0.0, because "0-rc" is an alphanumeric identifier and those
// sort above numeric ones. Compare follows SemVer there too, as the runtime
// does.
package runtimeversion

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// pkgPrefix opens the pre-release of an extended version.
const pkgPrefix = "pkg."

// Version is a runtime version: an artifact version, and, when it is
// extended, the version and name of the package that carries it.
type Version struct {
	// Artifact is MAJOR.MINOR.PATCH of an extended version; a plain version
	// keeps its own pre-release here.
	Artifact *semver.Version
	// Package is PKG_VERSION; nil for a plain version.
	Package *semver.Version
	// Name is PKG_NAME, the build metadata ("account", "vNext.Account").
	Name string
	// Build is metadata that followed a second '+', which only ParseLenient
	// accepts ("build.123" of "…+account+build.123").
	Build string

	full *semver.Version // the whole version, which SemVer orders
}

// Parse reads a runtime version: the extended form, or any plain SemVer 2.0
// version (1.0.0, 2.1.0-rc.1). A pre-release that starts with "pkg." must hold
// a valid package version. Two '+' signs are an error; see ParseLenient.
func Parse(s string) (Version, error) {
	return parse(s, false)
}

// ParseLenient is Parse that also accepts extra '+' segments in the build
// metadata, as some tools write them (1.0.0-pkg.1.17.0+account+build.123):
// the first is the name, the rest go to Build. String then joins them with a
// dot, which is valid SemVer.
func ParseLenient(s string) (Version, error) {
	return parse(s, true)
}

func parse(s string, lenient bool) (Version, error) {
	orig := s
	var build string
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if j := strings.IndexByte(s[i+1:], '+'); j >= 0 {
			if !lenient {
				return Version{}, fmt.Errorf("%q is not SemVer: build metadata may follow only one '+' (write %q, with dots between the parts)",
					orig, s[:i+1]+strings.ReplaceAll(s[i+1:], "+", "."))
			}
			build = strings.ReplaceAll(s[i+1+j+1:], "+", ".")
			if _, err := semver.StrictNewVersion("0.0.0+" + build); err != nil {
				return Version{}, fmt.Errorf("%q: invalid build metadata after the second '+': %w", orig, err)
			}
			s = s[:i+1+j]
		}
	}
	full, err := semver.StrictNewVersion(s)
	if err != nil {
		return Version{}, fmt.Errorf("%q is not SemVer 2.0: %w", orig, err)
	}
	if err := checkNumbers(full.Prerelease()); err != nil {
		return Version{}, fmt.Errorf("%q: %w", orig, err)
	}
	v := Version{Name: full.Metadata(), Build: build}
	pre := full.Prerelease()
	if !strings.HasPrefix(pre, pkgPrefix) {
		v.Artifact = semver.New(full.Major(), full.Minor(), full.Patch(), pre, "")
		v.full = v.build()
		return v, nil
	}
	pkg, err := semver.StrictNewVersion(pre[len(pkgPrefix):])
	if err != nil {
		return Version{}, fmt.Errorf("%q: the package version after %q is not SemVer 2.0: %w", orig, "-"+pkgPrefix, err)
	}
	v.Artifact = semver.New(full.Major(), full.Minor(), full.Patch(), "", "")
	v.Package = pkg
	v.full = v.build()
	return v, nil
}

// checkNumbers refuses numeric pre-release identifiers beyond uint64:
// SemVer compares them numerically, but the semver library then falls back
// to comparing text, which would misorder them.
func checkNumbers(pre string) error {
	for id := range strings.SplitSeq(pre, ".") {
		if id == "" || strings.Trim(id, "0123456789") != "" {
			continue
		}
		if _, err := strconv.ParseUint(id, 10, 64); err != nil {
			return fmt.Errorf("numeric identifier %s is too large", id)
		}
	}
	return nil
}

// New makes the extended version of artifact inside package pkgName at
// pkgVersion. Only MAJOR.MINOR.PATCH of artifact is used, and pkgVersion's
// build metadata is dropped (metadata cannot sit inside a pre-release).
// Characters of pkgName that SemVer metadata cannot hold become '-'. A nil
// pkgVersion gives a plain version.
func New(artifact *semver.Version, pkgVersion *semver.Version, pkgName string) Version {
	v := Version{Name: sanitizeName(pkgName)}
	if artifact == nil {
		artifact = semver.New(0, 0, 0, "", "")
	}
	if pkgVersion == nil {
		v.Artifact = semver.New(artifact.Major(), artifact.Minor(), artifact.Patch(), artifact.Prerelease(), "")
	} else {
		v.Artifact = semver.New(artifact.Major(), artifact.Minor(), artifact.Patch(), "", "")
		v.Package = semver.New(pkgVersion.Major(), pkgVersion.Minor(), pkgVersion.Patch(), pkgVersion.Prerelease(), "")
	}
	v.full = v.build()
	return v
}

// sanitizeName makes s valid build metadata: dot-separated, non-empty
// identifiers of [0-9A-Za-z-].
func sanitizeName(s string) string {
	var ids []string
	for id := range strings.SplitSeq(s, ".") {
		if id == "" {
			continue
		}
		ids = append(ids, strings.Map(func(r rune) rune {
			if r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				return r
			}
			return '-'
		}, id))
	}
	return strings.Join(ids, ".")
}

// build assembles the full SemVer version from the parts.
func (v Version) build() *semver.Version {
	a := v.Artifact
	if a == nil {
		a = semver.New(0, 0, 0, "", "")
	}
	pre := a.Prerelease()
	if v.Package != nil {
		pre = pkgPrefix + v.Package.String()
	}
	meta := v.Name
	if v.Build != "" {
		meta = strings.TrimPrefix(meta+"."+v.Build, ".")
	}
	return semver.New(a.Major(), a.Minor(), a.Patch(), pre, meta)
}

func (v Version) semver() *semver.Version {
	if v.full != nil {
		return v.full
	}
	return v.build() // a Version assembled by hand
}

// String is the version in SemVer form, e.g. 1.0.0-pkg.1.17.0+account.
func (v Version) String() string { return v.semver().String() }

// Semver is the whole version as a semver.Version.
func (v Version) Semver() *semver.Version { return v.semver() }

// Extended reports whether v carries a package version.
func (v Version) Extended() bool { return v.Package != nil }

// Compare orders a and b by SemVer precedence: -1, 0 or 1. Build metadata,
// the package name included, is ignored.
func Compare(a, b Version) int { return a.semver().Compare(b.semver()) }

// MarshalText writes String.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText reads with Parse (never leniently).
func (v *Version) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// ErrNotExtended is returned by ParseExtended for a plain version.
var ErrNotExtended = errors.New("not an extended runtime version (MAJOR.MINOR.PATCH-pkg.PKG_VERSION+PKG_NAME)")

// ParseExtended is Parse that requires the extended form with a package
// name, for places where a plain version would be a mistake.
func ParseExtended(s string) (Version, error) {
	v, err := Parse(s)
	if err != nil {
		return Version{}, err
	}
	if v.Package == nil || v.Name == "" {
		return Version{}, fmt.Errorf("%q: %w", s, ErrNotExtended)
	}
	return v, nil
}
