package traytest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// FaultKind is a failure the fake can inject.
type FaultKind int

const (
	NoFault FaultKind = iota
	// Fault5xx answers Status (default 503) without executing.
	Fault5xx
	// FaultTimeout holds the request without answering until the client
	// gives up (or Hold passes, then 504), without executing.
	FaultTimeout
	// Fault429 answers 429 with Retry-After without executing (apart from
	// the fake's own rate limit, and not counted in Rejected).
	Fault429
	// FaultGraphQLError answers 200 with a GraphQL error carrying Message
	// without executing: a permanent failure.
	FaultGraphQLError
	// FaultLoseResponse executes the call, then answers 502: the client
	// cannot know it succeeded.
	FaultLoseResponse
)

func (k FaultKind) String() string {
	return [...]string{"none", "5xx", "timeout", "429", "graphql-error", "lose-response"}[k]
}

// Fault says which requests fail and how.
type Fault struct {
	Kind FaultKind
	// Op limits the fault to one operation (OpUpgrade, OpSolutionInstances,
	// OpAuthorize, OpImportProject, OpPreview); "" matches all.
	Op string
	// InstanceID limits an upgrade fault to one instance.
	InstanceID string
	// Times is how many matching requests fail; 0 means all of them.
	Times int
	// Status for Fault5xx (default 503).
	Status int
	// RetryAfter for Fault429 and Fault5xx (0: no header for 5xx, 1s for 429).
	RetryAfter time.Duration
	// Message for FaultGraphQLError.
	Message string
	// Hold caps FaultTimeout (default: until the client gives up).
	Hold time.Duration
}

type faultRule struct {
	Fault
	left int // remaining hits when Times > 0
}

// InjectFault adds a fault; the first matching fault with hits left wins.
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{Fault: f, left: f.Times})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// fault returns the fault that hits this request, if any, using it up.
func (s *Server) fault(op, instanceID string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.faults {
		if r.Op != "" && r.Op != op || r.InstanceID != "" && r.InstanceID != instanceID {
			continue
		}
		if r.Times > 0 {
			if r.left == 0 {
				continue
			}
			r.left--
		}
		f := r.Fault
		return &f
	}
	return nil
}

// applyFault answers a request with a fault that does not execute it.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f *Fault, c Call) {
	c.Fault = f.Kind
	switch f.Kind {
	case Fault5xx:
		c.Status = f.Status
		if c.Status == 0 {
			c.Status = http.StatusServiceUnavailable
		}
		if f.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter.Round(time.Second)/time.Second)))
		}
		c.Error = "injected " + strconv.Itoa(c.Status)
		s.record(c)
		writeJSON(w, c.Status, map[string]any{"message": http.StatusText(c.Status)})
	case Fault429:
		ra := max(1, int(f.RetryAfter.Round(time.Second)/time.Second))
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		c.Status, c.Error = http.StatusTooManyRequests, "injected 429"
		s.record(c)
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "Too Many Requests"})
	case FaultGraphQLError:
		msg := f.Message
		if msg == "" {
			msg = "injected permanent error"
		}
		c.Error = msg
		s.record(c)
		writeJSON(w, http.StatusOK, map[string]any{"data": nil, "errors": []map[string]any{{"message": msg}}})
	case FaultTimeout:
		c.Status, c.Error = http.StatusGatewayTimeout, "injected timeout"
		s.record(c)
		hold := f.Hold
		if hold <= 0 {
			hold = 10 * time.Minute
		}
		if s.hold(r, hold) {
			writeJSON(w, http.StatusGatewayTimeout, map[string]any{"message": "Gateway Timeout"})
		}
	default:
		panic(fmt.Sprintf("traytest: fault %v cannot be applied before executing", f.Kind))
	}
}
