package release

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Step is one stage of a release. Run does the stage's work on the release
// and returns a one-line detail for the summary. A step is idempotent: run
// again on the same release it finds its work done (a version already
// published, an asset already attached) and says so. It returns Skip(…) when
// it has nothing to do and why, *PartialError when only part of it worked,
// and any other error when it failed.
type Step interface {
	Name() string
	Run(ctx context.Context, r *Release) (detail string, err error)
}

// Status is what became of a step.
type Status string

const (
	StatusDone    Status = "done"
	StatusSkipped Status = "skipped"
	StatusPartial Status = "partial"
	StatusFailed  Status = "failed"
)

// Skipped is a step's typed "skipped, because …".
type Skipped struct{ Because string }

func (s *Skipped) Error() string { return "skipped, because " + s.Because }

// Skip says a step has nothing to do, and why.
func Skip(format string, args ...any) error {
	return &Skipped{Because: fmt.Sprintf(format, args...)}
}

// IsSkip reports whether err is a Skip, and why.
func IsSkip(err error) (because string, ok bool) {
	var s *Skipped
	if errors.As(err, &s) {
		return s.Because, true
	}
	return "", false
}

// PartialError is a step that worked only in part: a deploy where some
// components did not load. It fails the release.
type PartialError struct{ Err error }

func (p *PartialError) Error() string { return p.Err.Error() }
func (p *PartialError) Unwrap() error { return p.Err }

// Record is a step's outcome, as the summary lists it.
type Record struct {
	Step   string
	Status Status
	// Detail is the step's one-line result, the skip reason, or the error.
	Detail string
	Took   time.Duration
}

// always marks steps that run even after an earlier step failed (the job
// summary: a failed release must still be reported).
type always interface{ Always() bool }

// Run runs steps in order and records each. After a step fails, the later
// steps are recorded as skipped because of it, except those that always
// run. The error is the first failure (nil when every step was done or
// skipped); r.Records holds every outcome.
func Run(ctx context.Context, r *Release, steps []Step) error {
	var first error
	var failed string
	for _, s := range steps {
		if first != nil {
			if a, ok := s.(always); !ok || !a.Always() {
				r.Records = append(r.Records, Record{Step: s.Name(), Status: StatusSkipped, Detail: "skipped, because " + failed + " failed"})
				continue
			}
		}
		start := r.now()
		detail, err := s.Run(ctx, r)
		rec := Record{Step: s.Name(), Status: StatusDone, Detail: detail, Took: r.now().Sub(start)}
		if because, ok := IsSkip(err); ok {
			rec.Status, rec.Detail = StatusSkipped, "skipped, because "+because
			err = nil
		} else if err != nil {
			rec.Status, rec.Detail = StatusFailed, err.Error()
			var p *PartialError
			if errors.As(err, &p) {
				rec.Status = StatusPartial
			}
		}
		rec.Detail = r.redact(oneLine(rec.Detail))
		r.Records = append(r.Records, rec)
		if err != nil && first == nil {
			first, failed = fmt.Errorf("%s: %w", s.Name(), err), s.Name()
		}
	}
	if first != nil {
		return redactErr(first, r.Secrets)
	}
	return nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
