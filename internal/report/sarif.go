package report

import (
	"encoding/json"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/breakwater-dev/breakwater/internal/change"
)

// ToolInfo names the tool in a SARIF log.
type ToolInfo struct {
	Name           string
	Version        string
	InformationURI string
}

const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	// sarifFingerprintKey versions the fingerprint so that a future change
	// of its derivation does not make code scanning match unrelated results.
	sarifFingerprintKey = "breakwater/v1"
)

// The SARIF 2.1.0 object model, as far as the report uses it. Field order is
// output order.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool       sarifTool     `json:"tool"`
		Results    []sarifResult `json:"results"`
		ColumnKind string        `json:"columnKind"`
		Properties sarifRunProps `json:"properties"`
	}
	sarifRunProps struct {
		// Compared says what was compared: a log with no results must not
		// read as a pass when nothing was.
		Compared change.Compared `json:"compared"`
		// Coverage counts the changes found and those only a generic rule
		// reports.
		Coverage change.Coverage `json:"coverage"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string         `json:"id"`
		ShortDescription     sarifText      `json:"shortDescription"`
		FullDescription      *sarifText     `json:"fullDescription,omitempty"`
		Help                 *sarifText     `json:"help,omitempty"`
		DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
		Properties           sarifRuleProps `json:"properties"`
	}
	sarifText struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown,omitempty"`
	}
	sarifConfig struct {
		Level string `json:"level"`
	}
	sarifRuleProps struct {
		Tags    []string `json:"tags,omitempty"`
		Upgrade string   `json:"upgrade,omitempty"`
	}
	sarifResult struct {
		RuleID              string             `json:"ruleId"`
		RuleIndex           int                `json:"ruleIndex"`
		Level               string             `json:"level"`
		Message             sarifText          `json:"message"`
		Locations           []sarifLocation    `json:"locations,omitempty"`
		PartialFingerprints map[string]string  `json:"partialFingerprints,omitempty"`
		Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
		Properties          sarifResultProps   `json:"properties"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           *sarifRegion  `json:"region,omitempty"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
	sarifSuppression struct {
		Kind          string `json:"kind"`
		State         string `json:"state"`
		Justification string `json:"justification,omitempty"`
	}
	sarifResultProps struct {
		Severity   string             `json:"severity"`
		Category   string             `json:"category,omitempty"`
		Upgrade    string             `json:"upgrade,omitempty"`
		Artifact   string             `json:"artifact,omitempty"`
		Subject    string             `json:"subject,omitempty"`
		Pointer    string             `json:"pointer"`
		Side       string             `json:"side,omitempty"`
		BaseLine   int                `json:"baseLine,omitempty"`
		BaseColumn int                `json:"baseColumn,omitempty"`
		Before     any                `json:"before,omitempty"`
		After      any                `json:"after,omitempty"`
		Accepted   *change.Acceptance `json:"accepted,omitempty"`
	}
)

// sarifLevel maps a severity onto SARIF's levels: what fails the check is an
// error, a warning stays a warning, info is a note.
func sarifLevel(s change.Severity) string {
	switch s {
	case change.Breaking, change.Error:
		return "error"
	case change.Warning:
		return "warning"
	}
	return "note"
}

// SARIF writes the report as a SARIF 2.1.0 log for GitHub code scanning: the
// rules that fired with their explanations, and one result per finding with
// its (possibly re-graded) level, position and fingerprint. Accepted breaks
// are results with an external, accepted suppression, so code scanning shows
// them as dismissed rather than dropping them.
func SARIF(w io.Writer, r *change.Report, book RuleBook, tool ToolInfo) error {
	if r == nil {
		r = &change.Report{}
	}
	driver := sarifDriver{Name: tool.Name, Version: tool.Version, Rules: []sarifRule{}}
	if driver.Name == "" {
		driver.Name = "breakwater"
	}
	if u, err := url.Parse(tool.InformationURI); err == nil && u.IsAbs() {
		driver.InformationURI = u.String()
	}

	var ids []string
	seen := map[string]bool{}
	for _, f := range r.Changes {
		if !seen[f.Rule] {
			seen[f.Rule] = true
			ids = append(ids, f.Rule)
		}
	}
	sort.Strings(ids)
	index := map[string]int{}
	for i, id := range ids {
		index[id] = i
		driver.Rules = append(driver.Rules, sarifRuleFor(id, r.Changes, book))
	}

	results := make([]sarifResult, 0, len(r.Changes))
	for i := range r.Changes {
		results = append(results, sarifResultFor(&r.Changes[i], index[r.Changes[i].Rule]))
	}
	log := sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: driver},
			Results: results,
			// jsonpos counts columns in characters.
			ColumnKind: "unicodeCodePoints",
			Properties: sarifRunProps{Compared: r.Summary.Compared, Coverage: r.Summary.Coverage},
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(log)
}

func sarifRuleFor(id string, findings []change.Finding, book RuleBook) sarifRule {
	rule, ok := lookup(book, id)
	if !ok {
		// A rule the book does not know still gets a descriptor, from what
		// its first finding says about it.
		for _, f := range findings {
			if f.Rule == id {
				rule = change.Rule{ID: id, Severity: f.Severity, Category: f.Category, Upgrade: f.Upgrade}
				break
			}
		}
	}
	out := sarifRule{
		ID:                   id,
		ShortDescription:     sarifText{Text: id},
		DefaultConfiguration: sarifConfig{Level: sarifLevel(rule.Severity)},
		Properties:           sarifRuleProps{Upgrade: string(rule.Upgrade)},
	}
	if rule.Category != "" {
		out.Properties.Tags = []string{string(rule.Category)}
	}
	if c := rule.Condition(); c != "" {
		// Condition has no final stop, whichever way the rule was written.
		out.ShortDescription.Text = capitalize(c) + "."
	}
	if rule.Why != "" {
		out.FullDescription = &sarifText{Text: rule.Why}
	}
	if rule.Why != "" || rule.Fix != "" {
		var text, md []string
		if rule.Why != "" {
			text = append(text, rule.Why)
			md = append(md, "**What it means for deployed instances:** "+mdTrusted(rule.Why))
		}
		if m := rule.Upgrade.Meaning(); m != "" {
			text = append(text, "Upgrade: "+string(rule.Upgrade)+" — "+m+".")
			md = append(md, "**Upgrade:** "+mdCode(string(rule.Upgrade))+" — "+m+".")
		}
		if rule.Fix != "" {
			text = append(text, "What to do: "+rule.Fix)
			md = append(md, "**What to do:** "+mdTrusted(rule.Fix))
		}
		out.Help = &sarifText{Text: strings.Join(text, "\n\n"), Markdown: strings.Join(md, "\n\n")}
	}
	return out
}

func sarifResultFor(f *change.Finding, ruleIndex int) sarifResult {
	res := sarifResult{
		RuleID:    f.Rule,
		RuleIndex: ruleIndex,
		Level:     sarifLevel(f.Severity),
		Message:   sarifText{Text: f.Message},
		Properties: sarifResultProps{
			Severity: string(f.Severity),
			Category: string(f.Category),
			Upgrade:  string(f.Upgrade),
			Artifact: f.Artifact,
			Subject:  f.Subject,
			Pointer:  f.Pointer,
			Side:     string(f.Side),
			Before:   capValue(f.Before),
			After:    capValue(f.After),
			Accepted: f.Accepted,
		},
	}
	if res.Message.Text == "" {
		res.Message.Text = f.Rule
	}
	if f.File != "" {
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(f.File)}}}
		switch {
		case f.Line <= 0:
		case f.Side == change.Base:
			// A removal's line is in the base version; pointing at that
			// line of the head file would mark an unrelated line.
			res.Properties.BaseLine, res.Properties.BaseColumn = f.Line, max(f.Column, 0)
		default:
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Line, StartColumn: max(f.Column, 0)}
		}
		res.Locations = []sarifLocation{loc}
	}
	if f.Fingerprint != "" {
		res.PartialFingerprints = map[string]string{sarifFingerprintKey: f.Fingerprint}
	}
	if a := f.Accepted; a != nil {
		res.Suppressions = []sarifSuppression{{Kind: "external", State: "accepted", Justification: justification(a)}}
	}
	return res
}

func justification(a *change.Acceptance) string {
	var parts []string
	if a.Reason != "" {
		parts = append(parts, a.Reason)
	}
	var who []string
	if a.By != "" {
		who = append(who, "by "+a.By)
	}
	if a.Via != "" {
		who = append(who, "via "+a.Via)
	}
	if len(who) > 0 {
		parts = append(parts, "(accepted "+strings.Join(who, " ")+")")
	}
	return strings.Join(parts, " ")
}

// fileURI turns a report's file name into a relative URI reference (code
// scanning resolves it against the repository root), or a file URI for an
// absolute path.
func fileURI(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	if strings.HasPrefix(name, "/") {
		return (&url.URL{Scheme: "file", Path: path.Clean(name)}).String()
	}
	// url.URL protects a first segment with a colon ("c:x") by prefixing "./".
	return (&url.URL{Path: name}).String()
}
