// Package breakwater holds what the whole module shares from its root: the
// version of the source tree (VERSION), which a build without a stamped
// version reports.
package breakwater

import (
	_ "embed"
	"strings"
)

//go:embed VERSION
var versionFile string

// VersionFile is the content of VERSION, e.g. "0.1.0".
func VersionFile() string { return strings.TrimSpace(versionFile) }
