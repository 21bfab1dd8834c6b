package npmregistry

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/npmpkg"
)

// ErrVersionExists means the version is already published with other
// bytes. Versions are immutable: publish under a new version.
var ErrVersionExists = errors.New("version already published with a different tarball")

// ErrIntegrityMismatch means the tarball the registry serves is not the one
// that was published.
var ErrIntegrityMismatch = errors.New("tarball served by the registry does not match")

// Status says what Publish did.
type Status string

const (
	// Published means this call uploaded the version.
	Published Status = "published"
	// AlreadyPublished means the registry already had the version with the
	// same bytes (a re-run); nothing was uploaded.
	AlreadyPublished Status = "already published"
)

// PublishOptions are npm publish's --tag and --access.
type PublishOptions struct {
	// Tag is the dist-tag to point at the version; default "latest". As npm
	// does, a pre-release, or a version lower than one already published,
	// is not made "latest" implicitly: give a tag.
	Tag string
	// Access is "public" or "restricted"; empty sends null, as npm does
	// without --access, and leaves the decision to the registry (GitHub
	// Packages follows the repository's visibility).
	Access string
}

// Result is the outcome of a Publish.
type Result struct {
	Name, Version string
	Status        Status
	Tag           string // the dist-tag set (for Published)
	Integrity     string // sha512 of the tarball, as dist.integrity
	Shasum        string
	TarballURL    string // where the registry serves the tarball, checked by reading it back
}

// Publish uploads tarball as the version described by manifest (its
// package.json document, as in the tarball) unless the registry already
// has it:
//
//   - GET the packument; the same version with the same integrity is
//     AlreadyPublished, with another integrity ErrVersionExists;
//   - else PUT the document npm publish sends; a 409 is checked again the
//     same way (another run may have won the race);
//   - then read the tarball back through the packument's dist.tarball and
//     compare its sha512 (ErrIntegrityMismatch otherwise).
func (c *Client) Publish(ctx context.Context, tarball, manifest []byte, opts PublishOptions) (*Result, error) {
	pkg, err := prepare(tarball, manifest)
	if err != nil {
		return nil, err
	}
	tag, explicitTag := opts.Tag, opts.Tag != ""
	if !explicitTag {
		tag = "latest"
	}
	if err := validateTag(tag); err != nil {
		return nil, err
	}
	res := &Result{Name: pkg.name, Version: pkg.version, Integrity: pkg.integrity, Shasum: pkg.shasum}
	id := pkg.name + "@" + pkg.version

	doc, err := c.packument(ctx, pkg.name)
	if err != nil {
		return nil, err
	}
	if done, err := doc.check(pkg); err != nil || done {
		if err != nil {
			return nil, err
		}
		res.Status = AlreadyPublished
		c.log.InfoContext(ctx, "npm package already published", "package", id, "integrity", pkg.integrity)
		return c.verify(ctx, pkg, res)
	}
	if !explicitTag {
		if err := doc.checkLatest(pkg.version); err != nil {
			return nil, fmt.Errorf("publishing %s: %w", id, err)
		}
	}

	body, err := c.publishDocument(pkg, tag, opts.Access)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodPut, c.packageURL(pkg.name), "application/json", body)
	if err != nil {
		// The upload may have landed before a retried attempt failed
		// (a 5xx after storing it, a cut connection); look before failing.
		again, rerr := c.recheck(ctx, pkg, res)
		switch {
		case rerr == nil && again != nil:
			return again, nil
		case errors.Is(rerr, ErrVersionExists) || errors.Is(rerr, ErrIntegrityMismatch):
			return nil, rerr // what the registry holds now matters more than the failed upload
		}
		return nil, fmt.Errorf("publishing %s: %w", id, err)
	}
	switch {
	case resp.status >= 200 && resp.status < 300:
		res.Status = Published
		res.Tag = tag
		c.log.InfoContext(ctx, "npm package published", "package", id, "tag", tag, "integrity", pkg.integrity)
		return c.verify(ctx, pkg, res)
	case resp.status == http.StatusConflict:
		again, err := c.recheck(ctx, pkg, res)
		if err != nil {
			return nil, err
		}
		if again == nil {
			return nil, fmt.Errorf("publishing %s: the registry answered 409 Conflict (%s) but does not list the version",
				id, c.registryMessage(resp))
		}
		return again, nil
	default:
		return nil, fmt.Errorf("publishing %s: %w", id, &Error{Method: http.MethodPut, URL: c.packageURL(pkg.name),
			StatusCode: resp.status, Message: c.registryMessage(resp), Attempts: 1})
	}
}

// recheck looks at the packument again after a conflict or a failed
// upload: the version there with our integrity means it was published
// (by an earlier attempt or a parallel run); with another integrity it is
// ErrVersionExists; absent, recheck returns nil and no error.
func (c *Client) recheck(ctx context.Context, pkg *pkgInfo, res *Result) (*Result, error) {
	doc, err := c.packument(ctx, pkg.name)
	if err != nil {
		return nil, err
	}
	done, err := doc.check(pkg)
	if err != nil || !done {
		return nil, err
	}
	res.Status = AlreadyPublished
	c.log.InfoContext(ctx, "npm package found published on re-check", "package", pkg.name+"@"+pkg.version)
	return c.verify(ctx, pkg, res)
}

// verify reads the tarball back through the packument's dist.tarball.
// A registry may list a version a moment after accepting it, so a missing
// version is looked for again, with the retry backoff.
func (c *Client) verify(ctx context.Context, pkg *pkgInfo, res *Result) (*Result, error) {
	var data []byte
	var v *Version
	var err error
	for attempt := 1; ; attempt++ {
		data, v, err = c.Download(ctx, pkg.name, pkg.version)
		if !errors.Is(err, ErrNotFound) || attempt >= c.retry.MaxAttempts {
			break
		}
		delay := c.backoff(attempt)
		c.log.WarnContext(ctx, "published version not listed yet, looking again",
			"package", pkg.name+"@"+pkg.version, "attempt", attempt, "delay", delay)
		if serr := c.sleep(ctx, delay); serr != nil {
			return nil, fmt.Errorf("reading back %s@%s: %w", pkg.name, pkg.version, serr)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("reading back %s@%s: %w", pkg.name, pkg.version, err)
	}
	if got := npmpkg.Integrity(data); got != pkg.integrity {
		return nil, fmt.Errorf("reading back %s@%s from %s: %w: it has %s, we published %s",
			pkg.name, pkg.version, v.TarballURL, ErrIntegrityMismatch, got, pkg.integrity)
	}
	res.TarballURL = v.TarballURL
	return res, nil
}

// pkgInfo is what Publish needs to know of the package.
type pkgInfo struct {
	name, version     string
	integrity, shasum string
	manifest          map[string]json.RawMessage
	tarball           []byte
}

// prepare checks that manifest and tarball describe the same package and
// that npm would accept its name and version.
func prepare(tarball, manifest []byte) (*pkgInfo, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(manifest, &fields); err != nil || fields == nil {
		return nil, fmt.Errorf("the manifest to publish is not a JSON object: %v", err)
	}
	m, err := npmpkg.ParseManifest(manifest)
	if err != nil {
		return nil, err
	}
	if err := npmpkg.ValidateName(m.Name); err != nil {
		return nil, err
	}
	if err := npmpkg.ValidateVersion(m.Version); err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name, err)
	}
	if string(fields["private"]) == "true" {
		return nil, fmt.Errorf("%s is marked private in its package.json and must not be published", m.Name)
	}
	inside, err := npmpkg.ReadBytes(tarball, npmpkg.Limits{})
	if err != nil {
		return nil, fmt.Errorf("the tarball of %s@%s: %w", m.Name, m.Version, err)
	}
	if inside.Manifest.Name != m.Name || inside.Manifest.Version != m.Version {
		return nil, fmt.Errorf("the tarball holds %s@%s, but the manifest to publish says %s@%s",
			inside.Manifest.Name, inside.Manifest.Version, m.Name, m.Version)
	}
	return &pkgInfo{
		name: m.Name, version: m.Version,
		integrity: npmpkg.Integrity(tarball), shasum: npmpkg.Shasum(tarball),
		manifest: fields, tarball: tarball,
	}, nil
}

// validateTag applies npm's rules to a dist-tag: URL-safe (JavaScript's
// encodeURIComponent leaves it alone), and not something npm would read as
// a version range ("1.x", "*", "v1", "~1.2").
func validateTag(tag string) error {
	if tag == "" || strings.Trim(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!~*'()") != "" {
		return fmt.Errorf("dist-tag %q must be a non-empty URL-safe word", tag)
	}
	if rangeLike.MatchString(tag) {
		return fmt.Errorf("dist-tag %q must not be a valid SemVer range", tag)
	}
	return nil
}

// rangeLike matches the URL-safe strings that npm's semver.validRange
// accepts: an optional ~, an optional v, and a partial version whose
// parts may be x or *.
var rangeLike = regexp.MustCompile(`^~?[vV]?(0|[1-9][0-9]*|[xX*])(\.(0|[1-9][0-9]*|[xX*])(\.(0|[1-9][0-9]*|[xX*])(-[0-9A-Za-z.-]+)?)?)?$`)

// packageURL is <registry>/<escaped name>: "@scope/name" → "@scope%2fname",
// as npm writes it.
func (c *Client) packageURL(name string) string {
	return c.registry.String() + strings.Replace(name, "/", "%2f", 1)
}

// publishDocument is the body of npm publish's PUT (libnpmpublish): the
// manifest with _id and dist, dist-tags, access and the tarball as a
// base64 attachment. The base64 is written straight into the buffer: the
// document is a third larger than the tarball.
func (c *Client) publishDocument(pkg *pkgInfo, tag, access string) ([]byte, error) {
	version := make(map[string]json.RawMessage, len(pkg.manifest)+2)
	for k, v := range pkg.manifest {
		version[k] = v
	}
	tarballName := pkg.name + "-" + pkg.version + ".tgz"
	// npm resolves "<name>/-/<name>-<version>.tgz" against the registry and
	// then writes http:// for https:// (its comment: clients fetch over
	// HTTPS from an HTTPS registry anyway). Registries rewrite this URL.
	ref, err := url.Parse(pkg.name + "/-/" + tarballName)
	if err != nil {
		return nil, fmt.Errorf("tarball URL of %s: %w", pkg.name, err)
	}
	tarballURL := c.registry.ResolveReference(ref).String()
	tarballURL = strings.Replace(tarballURL, "https://", "http://", 1)
	// Marshalling strings and string maps cannot fail.
	version["_id"], _ = json.Marshal(pkg.name + "@" + pkg.version)
	version["dist"], _ = json.Marshal(map[string]string{"integrity": pkg.integrity, "shasum": pkg.shasum, "tarball": tarballURL})
	versionJSON, err := json.Marshal(version)
	if err != nil {
		return nil, fmt.Errorf("encoding the manifest of %s: %w", pkg.name, err)
	}

	var accessValue any // null unless given
	if access != "" {
		accessValue = access
	}
	head := []struct {
		key   string
		value any
	}{
		{"_id", pkg.name},
		{"name", pkg.name},
		{"description", pkg.manifest["description"]},
		{"dist-tags", map[string]string{tag: pkg.version}},
		{"versions", map[string]json.RawMessage{pkg.version: versionJSON}},
		{"access", accessValue},
	}
	var buf bytes.Buffer
	buf.Grow(len(versionJSON) + base64.StdEncoding.EncodedLen(len(pkg.tarball)) + 512)
	buf.WriteByte('{')
	for _, f := range head {
		if raw, ok := f.value.(json.RawMessage); ok && raw == nil {
			continue // npm leaves out an undefined description
		}
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, fmt.Errorf("encoding the publish document of %s: %w", pkg.name, err)
		}
		k, _ := json.Marshal(f.key)
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
		buf.WriteByte(',')
	}
	name, _ := json.Marshal(tarballName)
	buf.WriteString(`"_attachments":{`)
	buf.Write(name)
	buf.WriteString(`:{"content_type":"application/octet-stream","data":"`)
	enc := base64.NewEncoder(base64.StdEncoding, &buf)
	enc.Write(pkg.tarball) //nolint:errcheck // writes to a bytes.Buffer do not fail
	enc.Close()            //nolint:errcheck
	fmt.Fprintf(&buf, `","length":%d}}}`, len(pkg.tarball))
	return buf.Bytes(), nil
}
