package npmregistry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/breakwater-dev/breakwater/internal/npmpkg"
)

// ErrNotFound means the registry does not list the package or version.
var ErrNotFound = errors.New("not found in the registry")

// Version is one published version as the registry's packument lists it.
type Version struct {
	Name, Version string
	Integrity     string // dist.integrity (may be empty on old registries)
	Shasum        string // dist.shasum
	TarballURL    string // dist.tarball, resolved against the registry
}

// packument is the part of a package document ("packument") publishing
// needs.
type packument struct {
	Versions map[string]struct {
		Dist struct {
			Integrity string `json:"integrity"`
			Shasum    string `json:"shasum"`
			Tarball   string `json:"tarball"`
		} `json:"dist"`
	} `json:"versions"`
}

// packument fetches the package document; a 404 is a package that does
// not exist yet.
func (c *Client) packument(ctx context.Context, name string) (*packument, error) {
	u := c.packageURL(name)
	resp, err := c.do(ctx, http.MethodGet, u, "application/json", nil)
	if err != nil {
		return nil, fmt.Errorf("looking up %s: %w", name, err)
	}
	switch resp.status {
	case http.StatusOK:
	case http.StatusNotFound:
		return &packument{}, nil // not published yet
	default:
		return nil, fmt.Errorf("looking up %s: %w", name, &Error{Method: http.MethodGet, URL: u,
			StatusCode: resp.status, Message: c.registryMessage(resp), Attempts: 1})
	}
	p := &packument{}
	if err := json.Unmarshal(resp.body, p); err != nil {
		return nil, fmt.Errorf("looking up %s: the registry's answer from %s is not a package document: %w", name, u, err)
	}
	return p, nil
}

// check reports whether pkg's version is already there with pkg's bytes;
// with other bytes it is ErrVersionExists.
func (p *packument) check(pkg *pkgInfo) (published bool, err error) {
	v, ok := p.Versions[pkg.version]
	if !ok {
		return false, nil
	}
	id := pkg.name + "@" + pkg.version
	same, known := sameDigest(v.Dist.Integrity, v.Dist.Shasum, pkg.integrity, pkg.shasum)
	if !known {
		return false, fmt.Errorf("%s is listed by the registry without dist.integrity or dist.shasum, so it cannot be told apart from this tarball", id)
	}
	if !same {
		listed := v.Dist.Integrity
		if listed == "" {
			listed = "sha1 " + v.Dist.Shasum
		}
		return false, fmt.Errorf("%s: %w (the registry has %s, this tarball is %s); versions are immutable, so publish a new version",
			id, ErrVersionExists, listed, pkg.integrity)
	}
	return true, nil
}

// sameDigest compares a registry's dist digests with ours: the sha512
// entries of an SRI string first, the sha1 shasum only when it lists no
// sha512. known is false when the registry gives neither.
func sameDigest(integrity, shasum, ourIntegrity, ourShasum string) (same, known bool) {
	sawSHA512 := false
	for _, entry := range strings.Fields(integrity) {
		if !strings.HasPrefix(entry, "sha512-") {
			continue
		}
		sawSHA512 = true
		if digest, _, _ := strings.Cut(entry, "?"); digest == ourIntegrity { // SRI options follow a "?"
			return true, true
		}
	}
	if sawSHA512 {
		return false, true
	}
	if shasum != "" {
		return strings.EqualFold(shasum, ourShasum), true
	}
	return false, false
}

// checkLatest applies npm's rules for the implicit "latest" tag: never a
// pre-release, never a version lower than one already published.
func (p *packument) checkLatest(version string) error {
	v, err := semver.StrictNewVersion(version)
	if err != nil {
		return err
	}
	if v.Prerelease() != "" {
		return fmt.Errorf("%s is a pre-release, which npm does not make \"latest\" implicitly; give a dist-tag (e.g. \"next\")", version)
	}
	for published := range p.Versions {
		pv, err := semver.NewVersion(published)
		if err != nil || pv.Prerelease() != "" {
			continue
		}
		if pv.GreaterThan(v) {
			return fmt.Errorf("version %s is already published and higher than %s, so %s cannot become \"latest\" implicitly; give a dist-tag", published, version, version)
		}
	}
	return nil
}

// Download fetches a published version's tarball through its packument's
// dist.tarball and checks it against the packument's digests.
func (c *Client) Download(ctx context.Context, name, version string) ([]byte, *Version, error) {
	p, err := c.packument(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	entry, ok := p.Versions[version]
	if !ok {
		return nil, nil, fmt.Errorf("%s@%s: %w", name, version, ErrNotFound)
	}
	v := &Version{Name: name, Version: version, Integrity: entry.Dist.Integrity, Shasum: entry.Dist.Shasum}
	if entry.Dist.Tarball == "" {
		return nil, nil, fmt.Errorf("%s@%s: the registry lists no dist.tarball", name, version)
	}
	u, err := c.tarballURL(entry.Dist.Tarball)
	if err != nil {
		return nil, nil, fmt.Errorf("%s@%s: %w", name, version, err)
	}
	v.TarballURL = redactURL(u)
	resp, err := c.do(ctx, http.MethodGet, u.String(), "*/*", nil)
	if err != nil {
		return nil, nil, fmt.Errorf("downloading %s@%s: %w", name, version, err)
	}
	if resp.status != http.StatusOK {
		return nil, nil, fmt.Errorf("downloading %s@%s: %w", name, version, &Error{Method: http.MethodGet, URL: v.TarballURL,
			StatusCode: resp.status, Message: c.registryMessage(resp), Attempts: 1})
	}
	same, known := sameDigest(v.Integrity, v.Shasum, npmpkg.Integrity(resp.body), npmpkg.Shasum(resp.body))
	if !known {
		return nil, nil, fmt.Errorf("%s@%s is listed without dist.integrity or dist.shasum, so its tarball cannot be checked", name, version)
	}
	if !same {
		return nil, nil, fmt.Errorf("%s@%s from %s: %w: it has %s, the registry lists %s",
			name, version, v.TarballURL, ErrIntegrityMismatch, npmpkg.Integrity(resp.body), firstNonEmpty(v.Integrity, v.Shasum))
	}
	return resp.body, v, nil
}

// tarballURL resolves dist.tarball against the registry. npm writes
// http:// into the URLs of an https registry; on the registry's own host
// the tarball is fetched over https, as npm does.
func (c *Client) tarballURL(raw string) (*url.URL, error) {
	ref, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("dist.tarball %q is not a URL: %w", raw, err)
	}
	u := c.registry.ResolveReference(ref)
	if u.Scheme == "http" && c.registry.Scheme == "https" && strings.EqualFold(u.Hostname(), c.registry.Hostname()) {
		u.Scheme = "https"
		if u.Port() == "80" {
			u.Host = u.Hostname()
		}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("dist.tarball %q is not an http(s) URL", raw)
	}
	return u, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
