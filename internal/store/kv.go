package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Throttle reports whether the action named key may run now: true at most
// once per interval, across goroutines and replicas. A true answer records
// now as the last run, so the caller must act.
func (s *Store) Throttle(ctx context.Context, key string, interval time.Duration) (bool, error) {
	if key == "" {
		return false, fmt.Errorf("throttle: empty key: %w", ErrInvalid)
	}
	now := s.stamp(time.Time{})
	// The upsert's WHERE makes it a compare-and-set: a row updated less than
	// interval ago is left alone and counts as no row affected.
	n, err := s.db.exec(ctx, `INSERT INTO key_values (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET updated_at = excluded.updated_at
		WHERE key_values.updated_at <= $4`, "throttle/"+key, []byte{}, now, now.Add(-interval))
	if err != nil {
		return false, fmt.Errorf("throttle %s: %w", key, err)
	}
	return n == 1, nil
}

// PutValue stores a small value under key, replacing any.
func (s *Store) PutValue(ctx context.Context, key string, value []byte) error {
	if key == "" {
		return fmt.Errorf("put value: empty key: %w", ErrInvalid)
	}
	if value == nil {
		value = []byte{}
	}
	if _, err := s.db.exec(ctx, `INSERT INTO key_values (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		"value/"+key, value, s.stamp(time.Time{})); err != nil {
		return fmt.Errorf("put value %s: %w", key, err)
	}
	return nil
}

// Value returns the value stored under key; ErrNotFound when none is.
func (s *Store) Value(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := s.db.queryRow(ctx, `SELECT value FROM key_values WHERE key = $1`, "value/"+key).Scan(&v)
	if err != nil {
		return nil, fmt.Errorf("value %s: %w", key, err)
	}
	return v, nil
}

// Acceptance records that a breaking change was accepted on purpose
// (/breakwater accept).
type Acceptance struct {
	Repo        string // owner/name
	Fingerprint string
	By          string // GitHub login
	Reason      string
	PullRequest int64
	At          time.Time
}

// RecordAcceptance stores an acceptance; accepting the same fingerprint
// again in a repository replaces the earlier record.
func (s *Store) RecordAcceptance(ctx context.Context, a Acceptance) error {
	if a.Repo == "" || a.Fingerprint == "" || a.By == "" || a.Reason == "" {
		return fmt.Errorf("record acceptance: repository, fingerprint, user and reason are required: %w", ErrInvalid)
	}
	if _, err := s.db.exec(ctx, `INSERT INTO accepted_changes (repo, fingerprint, accepted_by, reason, pull_request, accepted_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (repo, fingerprint) DO UPDATE SET accepted_by = excluded.accepted_by, reason = excluded.reason,
			pull_request = excluded.pull_request, accepted_at = excluded.accepted_at`,
		a.Repo, a.Fingerprint, a.By, a.Reason, a.PullRequest, s.stamp(a.At)); err != nil {
		return fmt.Errorf("record acceptance of %s in %s: %w", a.Fingerprint, a.Repo, err)
	}
	return nil
}

// Acceptances lists a repository's acceptances by fingerprint.
func (s *Store) Acceptances(ctx context.Context, repo string) ([]Acceptance, error) {
	rs, err := s.db.query(ctx, `SELECT repo, fingerprint, accepted_by, reason, pull_request, accepted_at
		FROM accepted_changes WHERE repo = $1 ORDER BY fingerprint`, repo)
	if err != nil {
		return nil, fmt.Errorf("acceptances in %s: %w", repo, err)
	}
	defer rs.Close()
	out := []Acceptance{}
	for rs.Next() {
		var a Acceptance
		if err := rs.Scan(&a.Repo, &a.Fingerprint, &a.By, &a.Reason, &a.PullRequest, &a.At); err != nil {
			return nil, fmt.Errorf("acceptances in %s: %w", repo, err)
		}
		out = append(out, a)
	}
	if err := rs.Err(); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("acceptances in %s: %w", repo, err)
	}
	return out, nil
}
