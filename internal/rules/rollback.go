package rules

import (
	"fmt"

	"github.com/Masterminds/semver/v3"

	"github.com/breakwater-dev/breakwater/internal/change"
)

// The release path's auth rule, in one place for every face that rolls
// back (a failed deploy's automatic rollback, `breakwater rollback`, the
// bot's `/breakwater rollback`): rolling back across an auth-breaking
// change is a person's decision, never automatic. End users who
// authenticated again for the newer version, and instances set up on it,
// may lose those authentications when an older version comes back; only a
// person can tell whether that is acceptable and tell the end users.

// AuthBreaking reports whether f forces end users to authenticate again: a
// breaking change of an auth. Such a change is never rolled back, nor
// imported into Tray, without a person.
func AuthBreaking(f change.RecordFinding) bool {
	return f.Category == change.CatAuth && f.Severity == change.Breaking
}

// AuthBreaks lists the auth-breaking findings of records, in order; nil
// records are skipped.
func AuthBreaks(records ...*change.Record) []change.RecordFinding {
	var out []change.RecordFinding
	for _, r := range records {
		if r == nil {
			continue
		}
		for _, f := range r.Findings {
			if AuthBreaking(f) {
				out = append(out, f)
			}
		}
	}
	return out
}

// Released is one released version as its manifest records it: the
// release before it and the change record against that release (nil only
// for a first release).
type Released struct {
	Version  string
	Previous string
	Changes  *change.Record
}

// Rollback is the verdict on going back from the version an environment
// runs (From) to an earlier one (To).
type Rollback struct {
	From, To string
	// Crossed are the releases rolled back over, newest first: From and
	// every release after To.
	Crossed []string
	// AuthBreaks are their auth-breaking findings.
	AuthBreaks []change.RecordFinding
}

// Automatic reports whether the rollback may happen without a person.
func (r Rollback) Automatic() bool { return len(r.AuthBreaks) == 0 }

// Why says, in one sentence, why the rollback needs a person; "" when it
// does not.
func (r Rollback) Why() string {
	if r.Automatic() {
		return ""
	}
	return fmt.Sprintf("%d auth-breaking change(s) between %s and %s force end users to authenticate again, so rolling back across them is a person's decision",
		len(r.AuthBreaks), r.To, r.From)
}

// CheckRollback applies the rule to a rollback from the version an
// environment runs to an earlier version to. history holds the releases
// from `from` down to the one after `to`, each with its change record
// against the release before it (as their manifests say; extra entries are
// ignored): the chain is followed from `from` through each Previous until
// it reaches `to`. A chain that breaks off — a release missing from
// history, one without a change record, or a chain that passes `to` by —
// is an error, never an automatic rollback: what cannot be checked fails
// closed. Rolling "back" to the version that runs crosses nothing.
func CheckRollback(from, to string, history []Released) (Rollback, error) {
	out := Rollback{From: from, To: to}
	fromV, err := semver.StrictNewVersion(from)
	if err != nil {
		return out, fmt.Errorf("the version that runs, %q, is not SemVer: %w", from, err)
	}
	toV, err := semver.StrictNewVersion(to)
	if err != nil {
		return out, fmt.Errorf("the version to roll back to, %q, is not SemVer: %w", to, err)
	}
	if toV.GreaterThan(fromV) {
		return out, fmt.Errorf("%s is newer than %s, which runs now: that is a deploy, not a rollback", to, from)
	}
	byVersion := make(map[string]Released, len(history))
	for _, h := range history {
		byVersion[h.Version] = h
	}
	for v := from; v != to; {
		h, ok := byVersion[v]
		switch {
		case !ok:
			return out, fmt.Errorf("there is no release manifest of %s, so the changes between %s and %s cannot be checked", v, to, from)
		case h.Previous == "":
			return out, fmt.Errorf("%s is the first release and %s is not a release before it, so the changes between %s and %s cannot be checked", v, to, to, from)
		case h.Changes == nil:
			return out, fmt.Errorf("the manifest of %s holds no change record against %s, so the changes between %s and %s cannot be checked", v, h.Previous, to, from)
		}
		prev, err := semver.StrictNewVersion(h.Previous)
		if err != nil || !prev.LessThan(semver.MustParse(v)) {
			return out, fmt.Errorf("the manifest of %s names %q as the release before it, which is not an earlier version", v, h.Previous)
		}
		if prev.LessThan(toV) {
			return out, fmt.Errorf("%s is not a release in %s's history (the release before %s is %s), so the changes between them cannot be checked", to, from, v, h.Previous)
		}
		out.Crossed = append(out.Crossed, v)
		out.AuthBreaks = append(out.AuthBreaks, AuthBreaks(h.Changes)...)
		v = h.Previous
	}
	return out, nil
}
