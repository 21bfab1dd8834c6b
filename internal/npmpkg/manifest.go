package npmpkg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Manifest is what Breakwater writes into a package's package.json.
type Manifest struct {
	Name        string // "@owner/package", lower case (see Name)
	Version     string // SemVer, without "v" or build metadata
	Description string // optional
	// RuntimeName is the runtime's own package name ("vNext.Account"), which
	// runtime calls use; npm's name is its lower-cased form.
	RuntimeName string
	// Repository is the GitHub repository URL ("https://github.com/owner/repo");
	// it links the package to the repository on GitHub Packages.
	Repository string
	// Registry is publishConfig.registry ("https://npm.pkg.github.com").
	Registry string
}

// The package.json layout, in the order npm users expect to read it.
type packageJSON struct {
	Name          string          `json:"name"`
	Version       string          `json:"version"`
	Description   string          `json:"description,omitempty"`
	Homepage      string          `json:"homepage,omitempty"`
	Bugs          *bugsJSON       `json:"bugs,omitempty"`
	Repository    *repositoryJSON `json:"repository,omitempty"`
	PublishConfig *publishConfig  `json:"publishConfig,omitempty"`
	Breakwater    *breakwaterJSON `json:"breakwater,omitempty"`
}

type repositoryJSON struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type bugsJSON struct {
	URL string `json:"url"`
}

type publishConfig struct {
	Registry string `json:"registry"`
}

// breakwaterJSON is the custom field that keeps what npm's fields cannot.
type breakwaterJSON struct {
	RuntimeName string `json:"runtimeName"`
}

// Validate checks every field against npm's and Breakwater's rules.
func (m Manifest) Validate() error {
	if err := ValidateScopedName(m.Name); err != nil {
		return err
	}
	if err := ValidateVersion(m.Version); err != nil {
		return err
	}
	if m.RuntimeName == "" {
		return fmt.Errorf("package %s: the runtime package name is empty", m.Name)
	}
	if _, pkg, _ := splitScoped(m.Name); pkg != strings.ToLower(m.RuntimeName) {
		return fmt.Errorf("package %s does not hold runtime package %q: its name after the scope must be %q",
			m.Name, m.RuntimeName, strings.ToLower(m.RuntimeName))
	}
	if err := checkURL("repository", m.Repository, "https"); err != nil {
		return fmt.Errorf("package %s: %w", m.Name, err)
	}
	if err := checkURL("publishConfig.registry", m.Registry, "https", "http"); err != nil {
		return fmt.Errorf("package %s: %w", m.Name, err)
	}
	return nil
}

// JSON is the package.json document for m: validated, keys in a fixed
// order, two-space indentation and a final newline, so the same manifest
// always gives the same bytes.
func (m Manifest) JSON() ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	doc := packageJSON{
		Name:          m.Name,
		Version:       m.Version,
		Description:   m.Description,
		Repository:    &repositoryJSON{Type: "git", URL: npmRepositoryURL(m.Repository)},
		PublishConfig: &publishConfig{Registry: m.Registry},
		Breakwater:    &breakwaterJSON{RuntimeName: m.RuntimeName},
	}
	// npm publish derives these from a github.com repository into the
	// registry's copy of the manifest; writing them here keeps that copy
	// and the package.json in the tarball the same.
	if u, err := url.Parse(m.Repository); err == nil && strings.EqualFold(u.Host, "github.com") {
		repo := strings.TrimSuffix(m.Repository, ".git")
		doc.Homepage = repo + "#readme"
		doc.Bugs = &bugsJSON{URL: repo + "/issues"}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding package.json of %s: %w", m.Name, err)
	}
	return buf.Bytes(), nil
}

// ParseManifest reads the fields Breakwater uses from a package.json
// document; other fields are allowed and ignored. It does not Validate: a
// package made by someone else is read as it is.
func ParseManifest(doc []byte) (Manifest, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(doc, &raw); err != nil {
		return Manifest{}, fmt.Errorf("package.json is not a JSON object: %w", err)
	}
	if raw == nil {
		return Manifest{}, errors.New("package.json is not a JSON object: it is null")
	}
	var m Manifest
	var pc struct {
		Registry *string `json:"registry"`
	}
	var bw struct {
		RuntimeName *string `json:"runtimeName"`
	}
	fields := []struct {
		key  string
		into any
	}{
		{"name", &m.Name},
		{"version", &m.Version},
		{"description", &m.Description},
		{"publishConfig", &pc},
		{"breakwater", &bw},
	}
	for _, f := range fields {
		v, ok := raw[f.key]
		if !ok || string(v) == "null" {
			continue
		}
		if err := json.Unmarshal(v, f.into); err != nil {
			return Manifest{}, fmt.Errorf("package.json: field %q: %w", f.key, err)
		}
	}
	if pc.Registry != nil {
		m.Registry = *pc.Registry
	}
	if bw.RuntimeName != nil {
		m.RuntimeName = *bw.RuntimeName
	}
	if v, ok := raw["repository"]; ok {
		repo, err := parseRepository(v)
		if err != nil {
			return Manifest{}, err
		}
		m.Repository = repo
	}
	return m, nil
}

// parseRepository accepts both shapes npm allows, a string or {url}, and
// undoes npm's normalisation ("git+https://…/repo.git" → "https://…/repo").
func parseRepository(v json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		var obj struct {
			URL string `json:"url"`
		}
		if err := json.Unmarshal(v, &obj); err != nil {
			return "", errors.New(`package.json: field "repository" is neither a string nor an object with "url"`)
		}
		s = obj.URL
	}
	s = strings.TrimPrefix(s, "git+")
	return strings.TrimSuffix(s, ".git"), nil
}

// npmRepositoryURL is the form `npm pkg fix` normalises a repository URL to;
// writing it that way keeps npm from warning on publish.
func npmRepositoryURL(u string) string {
	return "git+" + strings.TrimSuffix(u, ".git") + ".git"
}

func checkURL(field, s string, schemes ...string) error {
	if s == "" {
		return fmt.Errorf("%s is empty", field)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%s %q is not a URL: %w", field, s, err)
	}
	if u.Host == "" || !slices.Contains(schemes, u.Scheme) {
		return fmt.Errorf("%s %q is not an absolute %s URL", field, s, strings.Join(schemes, " or "))
	}
	if u.User != nil {
		return fmt.Errorf("%s must not carry credentials in its URL", field)
	}
	return nil
}

// maxSafeInteger is the largest version number npm's semver accepts
// (JavaScript's Number.MAX_SAFE_INTEGER).
const maxSafeInteger = 1<<53 - 1

// ValidateVersion checks that v is a SemVer 2.0 version exactly as npm will
// store it: npm's semver.clean drops a leading "v" and any build metadata,
// so a version holding them would be published under another string.
func ValidateVersion(v string) error {
	if v == "" {
		return errors.New("version is empty")
	}
	if len(v) > 256 {
		return fmt.Errorf("version %.20q… is longer than npm's 256 characters", v)
	}
	if strings.HasPrefix(v, "v") || strings.HasPrefix(v, "=") {
		return fmt.Errorf("version %q must not start with %q (use the tag without it)", v, v[:1])
	}
	sv, err := semver.StrictNewVersion(v)
	if err != nil {
		return fmt.Errorf("version %q is not SemVer (MAJOR.MINOR.PATCH[-PRERELEASE]): %w", v, err)
	}
	if sv.Metadata() != "" {
		return fmt.Errorf("version %q has build metadata (+%s), which npm drops; remove it", v, sv.Metadata())
	}
	if sv.Major() > maxSafeInteger || sv.Minor() > maxSafeInteger || sv.Patch() > maxSafeInteger {
		return fmt.Errorf("version %q has a number larger than npm accepts (%d)", v, int64(maxSafeInteger))
	}
	if sv.String() != v {
		return fmt.Errorf("version %q is not in canonical SemVer form (%s)", v, sv.String())
	}
	return nil
}
