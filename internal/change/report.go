package change

// ReportFormatVersion is the version of the JSON report format
// (schema/report.schema.json). Bump it when the shape changes.
const ReportFormatVersion = "1"

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
	// FailOn is the threshold the verdict used: breaking, warning or never.
	FailOn string `json:"failOn"`
	// OK is the verdict: false exactly when the check fails (exit code 1).
	OK bool `json:"ok"`
	// Compared is what the run compared, so that no report can pass on
	// nothing without saying so.
	Compared Compared `json:"compared"`
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
