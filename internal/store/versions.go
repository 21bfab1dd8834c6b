package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Version is one released version of a package.
type Version struct {
	Package string
	Version string
	// Previous is the release ChangeRecord compares with ("" for a first
	// release).
	Previous string
	Changes  ChangeSummary
	// ChangeRecord is the release's full change record (JSON object).
	ChangeRecord    json.RawMessage
	SignatureDigest string // e.g. "sha256:…" of the signed artifact
	CreatedAt       time.Time
	RetiredAt       *time.Time
	// Deployments, sorted by environment (read only).
	Deployments []Deployment
}

// ChangeSummary says what kind of change a version carries: what rollback
// and rollout rules branch on without reading the whole record.
type ChangeSummary struct {
	Breaking bool
	Auth     bool
	Config   bool
	Roles    bool
}

// Deployment is a version's state in one environment.
type Deployment struct {
	Environment  string
	DeployedAt   time.Time
	RolledBackAt *time.Time
}

// RecordVersion stores a released version. Versions are immutable:
// recording the same version again with the same digest and change record
// is a no-op, anything else is ErrConflict.
func (s *Store) RecordVersion(ctx context.Context, v Version) error {
	if v.Package == "" || v.Version == "" {
		return fmt.Errorf("record version: package %q and version %q are required: %w", v.Package, v.Version, ErrInvalid)
	}
	var probe map[string]any
	if err := json.Unmarshal(v.ChangeRecord, &probe); err != nil {
		return fmt.Errorf("record version %s@%s: change record must be a JSON object: %v: %w", v.Package, v.Version, err, ErrInvalid)
	}
	record, err := compactJSON(v.ChangeRecord)
	if err != nil {
		return fmt.Errorf("record version %s@%s: %w", v.Package, v.Version, err)
	}
	created := s.stamp(v.CreatedAt)
	err = s.db.inTx(ctx, func(q querier, _ insertFunc) error {
		n, err := q.exec(ctx, `INSERT INTO package_versions
			(package, version, breaking, auth_changed, config_changed, roles_changed, change_record, signature_digest, created_at, previous_version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (package, version) DO NOTHING`,
			v.Package, v.Version, v.Changes.Breaking, v.Changes.Auth, v.Changes.Config, v.Changes.Roles, record, v.SignatureDigest, created, v.Previous)
		if err != nil || n == 1 {
			return err
		}
		old, err := getVersion(ctx, q, v.Package, v.Version)
		if err != nil {
			return err
		}
		oldRecord, err := compactJSON(old.ChangeRecord)
		if err != nil {
			return err
		}
		if old.SignatureDigest != v.SignatureDigest || old.Changes != v.Changes || old.Previous != v.Previous || !sameJSON(oldRecord, record) {
			return fmt.Errorf("version %s@%s was recorded with digest %q: %w", v.Package, v.Version, old.SignatureDigest, ErrConflict)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record version %s@%s: %w", v.Package, v.Version, err)
	}
	return nil
}

func compactJSON(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return nil, fmt.Errorf("change record is not JSON: %v: %w", err, ErrInvalid)
	}
	return buf.Bytes(), nil
}

// sameJSON compares two JSON documents by value (PostgreSQL's jsonb
// reorders keys).
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

// MarkDeployed records that a version reached an environment (again, after
// a rollback: the rollback time is cleared).
func (s *Store) MarkDeployed(ctx context.Context, pkg, version, env string, at time.Time) error {
	if env == "" {
		return fmt.Errorf("mark %s@%s deployed: no environment: %w", pkg, version, ErrInvalid)
	}
	err := s.db.inTx(ctx, func(q querier, _ insertFunc) error {
		if _, err := getVersion(ctx, q, pkg, version); err != nil {
			return err
		}
		_, err := q.exec(ctx, `INSERT INTO version_deployments (package, version, environment, deployed_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (package, version, environment) DO UPDATE SET deployed_at = excluded.deployed_at, rolled_back_at = NULL`,
			pkg, version, env, s.stamp(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("mark %s@%s deployed to %s: %w", pkg, version, env, err)
	}
	return nil
}

// MarkRolledBack records that a version was rolled back in an environment
// it had been deployed to.
func (s *Store) MarkRolledBack(ctx context.Context, pkg, version, env string, at time.Time) error {
	n, err := s.db.exec(ctx, `UPDATE version_deployments SET rolled_back_at = $4 WHERE package = $1 AND version = $2 AND environment = $3`,
		pkg, version, env, s.stamp(at))
	if err == nil && n == 0 {
		err = fmt.Errorf("it was never deployed there: %w", ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("mark %s@%s rolled back in %s: %w", pkg, version, env, err)
	}
	return nil
}

// MarkRetired records that a version was retired. Checking that no
// instance still runs it is the caller's job (the runtime knows).
func (s *Store) MarkRetired(ctx context.Context, pkg, version string, at time.Time) error {
	n, err := s.db.exec(ctx, `UPDATE package_versions SET retired_at = $3 WHERE package = $1 AND version = $2`, pkg, version, s.stamp(at))
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("mark %s@%s retired: %w", pkg, version, err)
	}
	return nil
}

// Version returns one version with its deployments.
func (s *Store) Version(ctx context.Context, pkg, version string) (Version, error) {
	v, err := getVersion(ctx, s.db, pkg, version)
	if err != nil {
		return Version{}, fmt.Errorf("version %s@%s: %w", pkg, version, err)
	}
	return v, nil
}

// Versions returns a package's versions, newest first (by when they were
// recorded), with their deployments.
func (s *Store) Versions(ctx context.Context, pkg string) ([]Version, error) {
	rs, err := s.db.query(ctx, `SELECT version FROM package_versions WHERE package = $1 ORDER BY created_at DESC, version DESC`, pkg)
	if err != nil {
		return nil, fmt.Errorf("versions of %s: %w", pkg, err)
	}
	var names []string
	for rs.Next() {
		var v string
		if err := rs.Scan(&v); err != nil {
			rs.Close()
			return nil, fmt.Errorf("versions of %s: %w", pkg, err)
		}
		names = append(names, v)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("versions of %s: %w", pkg, err)
	}
	out := make([]Version, 0, len(names))
	for _, name := range names {
		v, err := getVersion(ctx, s.db, pkg, name)
		if err != nil {
			return nil, fmt.Errorf("versions of %s: %w", pkg, err)
		}
		out = append(out, v)
	}
	return out, nil
}

func getVersion(ctx context.Context, q querier, pkg, version string) (Version, error) {
	v := Version{Package: pkg, Version: version, Deployments: []Deployment{}}
	var record []byte
	err := q.queryRow(ctx, `SELECT breaking, auth_changed, config_changed, roles_changed, change_record, signature_digest, created_at, retired_at, previous_version
		FROM package_versions WHERE package = $1 AND version = $2`, pkg, version).
		Scan(&v.Changes.Breaking, &v.Changes.Auth, &v.Changes.Config, &v.Changes.Roles, &record, &v.SignatureDigest, &v.CreatedAt, &v.RetiredAt, &v.Previous)
	if errors.Is(err, ErrNotFound) {
		return Version{}, fmt.Errorf("version %s@%s is not recorded: %w", pkg, version, ErrNotFound)
	}
	if err != nil {
		return Version{}, err
	}
	v.ChangeRecord = json.RawMessage(record)
	rs, err := q.query(ctx, `SELECT environment, deployed_at, rolled_back_at FROM version_deployments
		WHERE package = $1 AND version = $2 ORDER BY environment`, pkg, version)
	if err != nil {
		return Version{}, err
	}
	defer rs.Close()
	for rs.Next() {
		var d Deployment
		if err := rs.Scan(&d.Environment, &d.DeployedAt, &d.RolledBackAt); err != nil {
			return Version{}, err
		}
		v.Deployments = append(v.Deployments, d)
	}
	return v, rs.Err()
}
