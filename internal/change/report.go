package change

import (
	"fmt"
	"strings"
)

// ReportFormatVersion is the version of the JSON report format
// (schema/report.schema.json). Bump it when the shape changes.
const ReportFormatVersion = "1"

// FailOn is the least severe finding that fails the check. The CLI's
// --fail-on, the Action's fail-on input and the configuration's fail-on are
// this one value.
type FailOn string

const (
	// FailOnBreaking: unaccepted breaking findings and error findings fail
	// (the default).
	FailOnBreaking FailOn = "breaking"
	// FailOnWarning: warnings fail too.
	FailOnWarning FailOn = "warning"
	// FailOnNever: nothing fails the check, not even error findings; only a
	// tool error (exit code 2) fails the run.
	FailOnNever FailOn = "never"
)

// FailOnValues are the accepted values, as strings.
func FailOnValues() []string {
	return []string{string(FailOnBreaking), string(FailOnWarning), string(FailOnNever)}
}

// ParseFailOn validates a fail-on value.
func ParseFailOn(s string) (FailOn, error) {
	for _, v := range FailOnValues() {
		if s == v {
			return FailOn(s), nil
		}
	}
	return "", fmt.Errorf("fail-on must be one of %s, not %q", strings.Join(FailOnValues(), ", "), s)
}

// String and Set make *FailOn a flag.Value, validated as it is parsed.
func (f FailOn) String() string { return string(f) }

func (f *FailOn) Set(s string) error {
	v, err := ParseFailOn(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Report is everything one run found, classified: what every renderer
// (text, Markdown, JSON, SARIF) prints.
type Report struct {
	Version string    `json:"version"`
	Summary Summary   `json:"summary"`
	Changes []Finding `json:"changes"`
}

// Summary is the verdict and the counts behind it.
type Summary struct {
	// Severities counts findings per severity, accepted ones included.
	Severities map[Severity]int `json:"severities"`
	// Categories counts findings per category.
	Categories   map[Category]int `json:"categories"`
	RequiredBump Bump             `json:"requiredBump"`
	DeclaredBump Bump             `json:"declaredBump"`
	// BaseVersion and HeadVersion are the declared versions the bump was read
	// from, when there are any.
	BaseVersion string `json:"baseVersion,omitempty"`
	HeadVersion string `json:"headVersion,omitempty"`
	// Breaking counts unaccepted breaking findings; Accepted the accepted ones.
	Breaking int `json:"breaking"`
	Accepted int `json:"accepted"`
	// FailOn is the threshold the verdict used.
	FailOn FailOn `json:"failOn"`
	// OK is the verdict: false exactly when the check fails (exit code 1).
	OK bool `json:"ok"`
	// Compared is what the run compared, so that no report can pass on
	// nothing without saying so.
	Compared Compared `json:"compared"`
	// Coverage counts the changes found in the compared pairs and those only
	// a generic rule reports: "12 changes, all classified".
	Coverage Coverage `json:"coverage"`
}

// Compared counts what a run compared.
type Compared struct {
	// Base and Head say where the sides came from: directories as given, a
	// git ref, a commit.
	Base string `json:"base,omitempty"`
	Head string `json:"head,omitempty"`
	// Artifacts are the exports compared: pairs, and those only on one side.
	Artifacts int `json:"artifacts"`
	// BaseFiles and HeadFiles are the files those artifacts are made of.
	BaseFiles int `json:"baseFiles"`
	HeadFiles int `json:"headFiles"`
	// Skipped are files the artifact globs matched whose content is of no
	// known format (a settings file under **/*.json): read, not compared.
	Skipped int `json:"skipped"`
}
