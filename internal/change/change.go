// Package change is the model every format differ produces and every report
// renders: rules, findings with their positions, and the comparison of one
// artifact. It has no I/O and knows no platform.
package change

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Severity grades a finding.
type Severity string

const (
	Breaking Severity = "breaking" // fails the check unless accepted
	Warning  Severity = "warning"  // shown, never fails by default
	Info     Severity = "info"     // full report only
	Error    Severity = "error"    // the input itself is invalid; always fails
)

// Rank orders severities from least (0) to most (3) serious.
func (s Severity) Rank() int {
	switch s {
	case Info:
		return 0
	case Warning:
		return 1
	case Breaking:
		return 2
	case Error:
		return 3
	}
	return -1
}

// Meaning says what the severity does to the check: the one wording every
// output uses (explain, the reports, docs/rules.md).
func (s Severity) Meaning() string {
	switch s {
	case Breaking:
		return "fails the check unless accepted"
	case Warning:
		return "shown, but does not fail the check unless fail-on is warning"
	case Info:
		return "listed in the full report only"
	case Error:
		return "the input itself is invalid: fails the check unless fail-on is never"
	}
	return ""
}

// Severities are the severities in the order the documents present them.
func Severities() []Severity { return []Severity{Breaking, Warning, Info, Error} }

// Category groups rules; it drives the pull request labels.
type Category string

const (
	CatAuth           Category = "auth"
	CatConfig         Category = "config"
	CatCollectionRole Category = "collection-role"
	CatWorkflow       Category = "workflow"
	CatStatistics     Category = "statistics"
	CatUserData       Category = "userdata"
	CatMetadata       Category = "metadata"
	CatVersion        Category = "version"
	CatInput          Category = "input"
	CatArtifact       Category = "artifact" // a whole export: moved, removed
	CatOther          Category = "other"    // what no precise rule classifies (…/other-changed)
)

// Upgrade is what a change forces on deployed instances.
type Upgrade string

const (
	Lazy        Upgrade = "lazy"         // picked up automatically
	SystemInput Upgrade = "system-input" // the integration owner upgrades, no end user
	UserInput   Upgrade = "user-input"   // the end user must act
	Manual      Upgrade = "manual"       // no safe automation exists
	NoUpgrade   Upgrade = "none"         // no effect on deployed instances
)

// Meaning says what an upgrade consequence means for deployed instances:
// the one wording every output uses (explain, the reports, SARIF help,
// docs/rules.md).
func (u Upgrade) Meaning() string {
	switch u {
	case Lazy:
		return "instances pick the new version up automatically"
	case SystemInput:
		return "an upgrade is required; the integration owner can do it without the end user"
	case UserInput:
		return "an upgrade is required and the end user must act (e.g. re-run the Config Wizard)"
	case Manual:
		return "no safe automation exists: plan the migration by hand"
	case NoUpgrade:
		return "no effect on deployed instances"
	}
	return ""
}

// Upgrades are the upgrade consequences in the order the documents present
// them.
func Upgrades() []Upgrade { return []Upgrade{Lazy, SystemInput, UserInput, Manual, NoUpgrade} }

// Bump is a SemVer increment.
type Bump int

const (
	// BumpUnknown is a declared bump that cannot be read: no declared
	// version on one side, or one that is not SemVer.
	BumpUnknown Bump = iota - 1
	BumpNone
	BumpPatch
	BumpMinor
	BumpMajor
)

var bumpNames = [...]string{"none", "patch", "minor", "major"}

func (b Bump) String() string {
	if b < 0 || int(b) >= len(bumpNames) {
		return "unknown"
	}
	return bumpNames[b]
}

// ParseBump is the inverse of Bump.String.
func ParseBump(s string) (Bump, bool) {
	if s == "unknown" {
		return BumpUnknown, true
	}
	for i, n := range bumpNames {
		if n == s {
			return Bump(i), true
		}
	}
	return BumpNone, false
}

func (b Bump) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

func (b *Bump) UnmarshalText(t []byte) error {
	v, ok := ParseBump(string(t))
	if !ok {
		return fmt.Errorf("unknown bump %q", t)
	}
	*b = v
	return nil
}

// Family is a group of rules that share an ID prefix ("tray/"), with the
// title and introduction the rule reference (docs/rules.md) shows above them.
type Family struct {
	Prefix, Title, Intro string
}

// Rule is one entry of the rule catalogue (docs/rules.md). Its ID never
// changes meaning once shipped: users name it in their configuration.
type Rule struct {
	ID       string
	Severity Severity
	Category Category
	Upgrade  Upgrade
	// Bump is what the change requires when it is not breaking: minor for
	// additions, patch for anything else. A breaking finding always requires
	// a major bump.
	Bump Bump
	// FiresWhen says in one sentence when the rule fires.
	FiresWhen string
	// Why says what the change means for deployed instances.
	Why string
	// Fix says what to do about it.
	Fix string
}

// Location is where a finding lands: the file, the RFC 6901 pointer and the
// 1-based line and column of the value in that file.
type Location struct {
	File    string `json:"file"`
	Pointer string `json:"pointer"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
}

func (l Location) String() string {
	if l.Line == 0 {
		return l.File
	}
	return fmt.Sprintf("%s:%d:%d", l.File, l.Line, l.Column)
}

// Side says which version of the file a location refers to.
type Side string

const (
	Head Side = "head" // additions and changes
	Base Side = "base" // removals
)

// Finding is one classified change.
type Finding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Category Category `json:"category"`
	Upgrade  Upgrade  `json:"upgrade"`
	// Artifact is the logical identity of what changed ("tray:solution/Dropbox"),
	// independent of file paths, so fingerprints survive moving a file.
	Artifact string `json:"artifact"`
	// Subject identifies the changed thing by identity, not array position
	// ("auth_slots[external_dropbox]/scopes"), so fingerprints survive
	// unrelated insertions.
	Subject string `json:"subject"`
	Location
	Side    Side   `json:"side"`
	Message string `json:"message"`
	Before  any    `json:"before,omitempty"`
	After   any    `json:"after,omitempty"`
	// NoEndUser marks changes to hidden or static slots: they never need the
	// end user, so classification turns user-input into system-input.
	NoEndUser bool `json:"-"`
	// Slot names the integration slot the change is about, when it is
	// about one; the upgrade plan reads it (which value an upgrade sends).
	Slot *SlotRef `json:"slot,omitempty"`
	// Covers are further values the finding speaks for, beyond the value at
	// its pointer and what lies beneath it: the coverage check
	// (internal/coverage) counts changes there as reported by it.
	// tray/auth-service-version-changed points at one step and speaks for
	// every step it counted; ckbk/role-renamed points at the new role and
	// speaks for the base recipe too. Not part of the fingerprint, and not
	// in the reports: it is the differ's bookkeeping.
	Covers []Reach `json:"-"`
	// HeadAnchor is, for a finding on the base side, the nearest enclosing
	// value that still exists in the head version of the file: where a pull
	// request annotation can land. Nil when the head has no such file.
	HeadAnchor  *Location   `json:"-"`
	Fingerprint string      `json:"fingerprint"`
	Accepted    *Acceptance `json:"accepted,omitempty"`
}

// Reach is a value a finding speaks for (Finding.Covers): the pointer of
// the value in the file of one side.
type Reach struct {
	Side    Side
	File    string
	Pointer string
}

// Cover records that f also speaks for the value at pointer in file, on
// side, and returns f.
func (f Finding) Cover(side Side, file string, pointers ...string) Finding {
	for _, p := range pointers {
		f.Covers = append(f.Covers, Reach{Side: side, File: file, Pointer: p})
	}
	return f
}

// SlotKind is the kind of slot a finding is about.
type SlotKind string

const (
	AuthSlot   SlotKind = "auth"
	ConfigSlot SlotKind = "config"
)

// SlotChange is what happened to a slot.
type SlotChange string

const (
	SlotAdded     SlotChange = "added"
	SlotChanged   SlotChange = "changed"   // its value must be given again
	SlotRecreated SlotChange = "recreated" // same service, new identity: re-sync
	SlotRemoved   SlotChange = "removed"
)

// SlotRef identifies a slot by the external ID that deployed instances key
// their values by, with what decides who must supply a value (head side;
// base side for a removal).
type SlotRef struct {
	Kind       SlotKind   `json:"kind"`
	ExternalID string     `json:"externalId"`
	Change     SlotChange `json:"change"`
	Hidden     bool       `json:"hidden,omitempty"`
	Static     bool       `json:"static,omitempty"`
	// Required: an instance cannot run without a value (auth slots always).
	Required bool `json:"required,omitempty"`
	// HasDefault: an instance without a value falls back to Default.
	HasDefault bool `json:"hasDefault,omitempty"`
	// Default is the slot's default value as JSON, when it has one.
	Default json.RawMessage `json:"default,omitempty"`
}

// Acceptance records why a breaking finding does not fail the check.
type Acceptance struct {
	By     string `json:"by,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Via is "label" or "config".
	Via string `json:"via"`
}

// New makes a finding of rule r with the rule's defaults. The message is
// made a sentence (capital first letter, final full stop) so that every
// format's findings read alike.
func (r Rule) New(artifact, subject string, loc Location, side Side, message string) Finding {
	return Finding{
		Rule: r.ID, Severity: r.Severity, Category: r.Category, Upgrade: r.Upgrade,
		Artifact: artifact, Subject: subject, Location: loc, Side: side, Message: sentence(message),
	}
}

func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	// Capitalise an ordinary word only: "queryRoles of…" keeps its case.
	if word, _, _ := strings.Cut(msg, " "); strings.ToLower(word) == word {
		r, n := utf8.DecodeRuneInString(msg)
		msg = string(unicode.ToUpper(r)) + msg[n:]
	}
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "!") && !strings.HasSuffix(msg, "?") {
		msg += "."
	}
	return msg
}

// With sets the before and after values and returns the finding.
func (f Finding) With(before, after any) Finding {
	f.Before, f.After = before, after
	return f
}

// ComputeFingerprint derives the finding's stable identity from the rule, the
// artifact, the subject and the canonical before/after values — never from
// line numbers, so an acceptance survives unrelated edits.
func (f Finding) ComputeFingerprint() string {
	h := sha256.New()
	for _, part := range []string{f.Rule, f.Artifact, f.Subject, canonical(f.Before), canonical(f.After)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// canonical is deterministic JSON: encoding/json sorts map keys.
func canonical(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// Declared is a version an artifact declares, and where.
type Declared struct {
	Version string
	Location
}

// Comparison is the result of diffing the base and head of one artifact.
type Comparison struct {
	Format   string
	Artifact string
	Findings []Finding
	// Base and Head are the versions the artifact declares itself, if any.
	Base, Head *Declared
	// Coverage counts the changes found in the artifact and how many of
	// them only a format's generic rule reports (internal/coverage).
	Coverage Coverage
}

// Coverage counts what the structural comparison of two versions found:
// every changed path once formatting, key order, the order of arrays whose
// order means nothing and the volatile fields a format declares are set
// aside (docs/formats.md, "Every change accounted for").
type Coverage struct {
	// Changes are the changed paths. Each is covered by a finding: of a
	// precise rule, of the format's text rule, or of its generic rule.
	Changes int `json:"changes"`
	// Generic are the changes no precise rule classifies: the format's
	// …/other-changed rule reports them.
	Generic int `json:"generic"`
}

// Add sums two counts.
func (c Coverage) Add(o Coverage) Coverage {
	return Coverage{Changes: c.Changes + o.Changes, Generic: c.Generic + o.Generic}
}

// InputError is input the tool cannot compare: invalid JSON, an unknown
// format or a schema violation. It stops the run with exit code 2.
type InputError struct {
	Rule string // input/invalid-json, input/unknown-format, input/schema-violation
	Location
	Msg string
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Location.String())
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Pointer != "" && !strings.Contains(e.Msg, e.Pointer) {
		fmt.Fprintf(&b, " (at %s)", e.Pointer)
	}
	return b.String()
}

// Input rule IDs.
const (
	RuleInvalidJSON     = "input/invalid-json"
	RuleUnknownFormat   = "input/unknown-format"
	RuleSchemaViolation = "input/schema-violation"
)

// Condition is FiresWhen as a clause to follow "fires when": first letter
// lower-cased, no final full stop. Rule authors may write either form.
func (r Rule) Condition() string {
	s := strings.TrimSuffix(strings.TrimSpace(r.FiresWhen), ".")
	if s == "" {
		return s
	}
	first, rest := s[:1], s[1:]
	// Keep identifiers such as "UpdateStatisticsAction" intact: only lower
	// an ordinary capitalised word.
	word, _, _ := strings.Cut(rest, " ")
	if strings.ToLower(word) == word {
		first = strings.ToLower(first)
	}
	return first + rest
}
