package traytest

import (
	"net/http"
	"slices"
	"time"
)

// Operations as the call log names them: the GraphQL root field, or
// OpPreview for the publish preview.
const (
	OpSolutionInstances = "solutionInstances"
	OpSolutions         = "solutions"
	OpUpgrade           = "upgradeSolutionInstance"
	OpAuthorize         = "authorize"
	OpImportProject     = "importProject"
	OpPreview           = "preview"
)

// Call is one request the fake handled (requests the rate limit turned
// away are only counted, see Rejected).
type Call struct {
	Seq       int
	At        time.Time
	Op        string
	Principal string // "master" or "user:<id>"
	// Status is the HTTP status answered; Error the GraphQL error or the
	// fault, "" when the call succeeded.
	Status int
	Error  string
	Fault  FaultKind
	// For upgradeSolutionInstance: the instance, the versions before and
	// after, whether it was already on the newest (NoOp), and the values
	// sent.
	InstanceID             string
	FromVersion, ToVersion int
	NoOp                   bool
	AuthValues             []AuthValue
	ConfigValues           []ConfigValue
	SolutionID             string // solutionInstances criteria or preview
	UserID                 string // authorize
	First                  int    // solutionInstances page size
	After                  string // solutionInstances cursor
	ReturnedInstances      int
	TargetProjectID        string // importProject
	// NeedsConfigWizard: the upgrade left required visible slots without
	// a value, so the end user must run the Config Wizard.
	NeedsConfigWizard bool
}

func (s *Server) record(c Call) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	c.Seq = len(s.calls) + 1
	if c.At.IsZero() {
		c.At = time.Now()
	}
	if c.Status == 0 {
		c.Status = http.StatusOK
	}
	if c.Op == OpUpgrade && c.Error == "" && c.InstanceID != "" {
		s.upgrades[upgradeKey{c.InstanceID, c.ToVersion}]++
	}
	s.calls = append(s.calls, c)
}

// Calls returns a copy of the call log, in order.
func (s *Server) Calls() []Call {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return slices.Clone(s.calls)
}

// CallCount is how many calls of op were handled (failed ones included).
func (s *Server) CallCount(op string) int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Op == op {
			n++
		}
	}
	return n
}

// Upgrades is how many executed upgradeSolutionInstance calls left instance
// id on version. A repeated call on an instance already there counts again
// (it is a NoOp for Tray, a duplicate for a rollout), so "exactly once" is
// Upgrades(id, v) == 1.
func (s *Server) Upgrades(id string, version int) int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return s.upgrades[upgradeKey{id, version}]
}

// UpgradedInstances lists, for version, every instance upgraded to it and
// how many times.
func (s *Server) UpgradedInstances(version int) map[string]int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	m := map[string]int{}
	for k, n := range s.upgrades {
		if k.version == version {
			m[k.id] = n
		}
	}
	return m
}
