package report

import (
	"encoding/json"
	"io"
	"maps"

	"github.com/breakwater-dev/breakwater/internal/change"
)

// JSON writes the report as indented JSON in the shape schema/report.schema.json
// publishes. Field order follows the change model's struct order and maps are
// sorted by key, so the same report always gives the same bytes. Gaps a
// hand-built report may have are filled so the output always validates: the
// format version, every severity count (0 when absent), an empty changes
// array instead of null, and the default fail-on.
func JSON(w io.Writer, r *change.Report) error {
	if r == nil {
		r = &change.Report{}
	}
	out := *r
	if out.Version == "" {
		out.Version = change.ReportFormatVersion
	}
	out.Summary.Severities = map[change.Severity]int{change.Breaking: 0, change.Warning: 0, change.Info: 0, change.Error: 0}
	maps.Copy(out.Summary.Severities, severityCounts(r))
	if out.Summary.Categories == nil {
		out.Summary.Categories = map[change.Category]int{}
	}
	out.Summary.FailOn = failOn(out.Summary)
	out.Changes = capValues(out.Changes)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Messages quote exports verbatim; "<" and "&" stay readable.
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
