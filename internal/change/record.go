package change

// Record is the change record saved with every released version (the
// "changes" of the release manifest, breakwater.json): the findings
// against the release before it, and what the platform asks of a version —
// breaking? auth changes? config changes? role changes? Releases write
// records, the bot stores them, and the rollback rule (rules.CheckRollback)
// reads them.
type Record struct {
	// Breaking is true when any finding is breaking, accepted ones
	// included: deployed copies are affected either way.
	Breaking      bool            `json:"breaking"`
	AuthChanges   bool            `json:"authChanges"`
	ConfigChanges bool            `json:"configChanges"`
	RoleChanges   bool            `json:"roleChanges"`
	RequiredBump  Bump            `json:"requiredBump"`
	DeclaredBump  Bump            `json:"declaredBump"`
	Findings      []RecordFinding `json:"findings"`
}

// RecordFinding is a finding as a change record keeps it: what it is and
// where, without the values compared.
type RecordFinding struct {
	Rule     string   `json:"rule"`
	Severity Severity `json:"severity"`
	Category Category `json:"category"`
	Upgrade  Upgrade  `json:"upgrade"`
	// Path is the file, Pointer the JSON pointer inside it.
	Path        string   `json:"path"`
	Pointer     string   `json:"pointer,omitempty"`
	Message     string   `json:"message"`
	Fingerprint string   `json:"fingerprint"`
	Accepted    bool     `json:"accepted,omitempty"`
	Slot        *SlotRef `json:"slot,omitempty"`
}

// NewRecord sums up a classified comparison as a change record.
func NewRecord(rep *Report) *Record {
	cr := &Record{RequiredBump: rep.Summary.RequiredBump, DeclaredBump: rep.Summary.DeclaredBump, Findings: []RecordFinding{}}
	for _, f := range rep.Changes {
		switch f.Category {
		case CatAuth:
			cr.AuthChanges = true
		case CatConfig:
			cr.ConfigChanges = true
		case CatCollectionRole:
			cr.RoleChanges = true
		}
		if f.Severity == Breaking {
			cr.Breaking = true
		}
		cr.Findings = append(cr.Findings, RecordFinding{
			Rule: f.Rule, Severity: f.Severity, Category: f.Category, Upgrade: f.Upgrade,
			Path: f.File, Pointer: f.Pointer, Message: f.Message, Fingerprint: f.Fingerprint,
			Accepted: f.Accepted != nil, Slot: f.Slot,
		})
	}
	return cr
}
