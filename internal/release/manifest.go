package release

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/breakwater-dev/breakwater/internal/change"
)

// ManifestFile is the name of the release manifest inside the tarball.
const ManifestFile = "breakwater.json"

// ManifestSchemaVersion is the version of the manifest's shape.
const ManifestSchemaVersion = 1

// Manifest is breakwater.json: what a version is and how it differs from
// the release before it — "breaking? auth changes?" saved with every
// version. When it was deployed is recorded by GitHub deployment statuses.
type Manifest struct {
	SchemaVersion int `json:"schemaVersion"`
	// Package is the runtime's own name ("vNext.Account") and NPM the npm
	// name it is published under.
	Package         string `json:"package"`
	NPM             string `json:"npm"`
	Version         string `json:"version"`
	PreviousVersion string `json:"previousVersion,omitempty"`
	Source          Source `json:"source"`
	// CreatedAt is the commit's time, so that a rebuild is identical.
	CreatedAt time.Time `json:"createdAt"`
	// Changes is the change record against the previous release; nil for
	// the first release.
	Changes *change.Record `json:"changes"`
}

// Source is where a version was built from.
type Source struct {
	Repository string `json:"repository"` // https://github.com/owner/repo
	Commit     string `json:"commit"`
	Tag        string `json:"tag"`
	// PreviousTag is the tag the change record compares with.
	PreviousTag string `json:"previousTag,omitempty"`
}

// JSON is the manifest as it is stored: keys in a fixed order, two-space
// indentation, a final newline.
func (m *Manifest) JSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encoding %s: %w", ManifestFile, err)
	}
	return buf.Bytes(), nil
}

// ParseManifest reads breakwater.json from a tarball. Unknown fields are
// allowed (a newer Breakwater may add some); a manifest of another schema
// version, or without package and version, is an error.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s is not a release manifest: %w", ManifestFile, err)
	}
	switch {
	case m.SchemaVersion != ManifestSchemaVersion:
		return nil, fmt.Errorf("%s has schemaVersion %d; this Breakwater reads %d", ManifestFile, m.SchemaVersion, ManifestSchemaVersion)
	case m.Package == "" || m.Version == "":
		return nil, fmt.Errorf("%s names no package or version", ManifestFile)
	}
	return &m, nil
}
