package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// The store's own schema, one directory per dialect, one file per version
// (NNNN_name.sql). A version, once released, is never edited: add a file.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

var migrationName = regexp.MustCompile(`^(\d{4})_([a-z0-9_]+)\.sql$`)

// migrations are the dialect's migrations in order; versions run 1, 2, 3…
// without gaps.
func migrations(dialect Backend) ([]migration, error) {
	dir := path.Join("migrations", string(dialect))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("embedded migration %s/%s is not named NNNN_name.sql", dir, e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		body, err := fs.ReadFile(migrationFS, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: m[2], sql: string(body)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("embedded %s migrations: version %d where %d belongs", dialect, m.version, i+1)
		}
	}
	return out, nil
}

// migrate applies the store's pending migrations through q, which the
// caller holds exclusively (a transaction under the migration lock). It
// refuses a database migrated by a newer Breakwater, since this binary
// would misread tables it does not know.
func migrate(ctx context.Context, q querier, dialect Backend, now time.Time) (applied []int, err error) {
	all, err := migrations(dialect)
	if err != nil {
		return nil, err
	}
	timeType := "timestamptz"
	if dialect == SQLite {
		timeType = "INTEGER"
	}
	if _, err := q.exec(ctx, `CREATE TABLE IF NOT EXISTS breakwater_migrations (
		version    integer PRIMARY KEY,
		name       text NOT NULL,
		applied_at `+timeType+` NOT NULL)`); err != nil {
		return nil, fmt.Errorf("create breakwater_migrations: %w", err)
	}
	done := map[int]bool{}
	rs, err := q.query(ctx, `SELECT version FROM breakwater_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read breakwater_migrations: %w", err)
	}
	for rs.Next() {
		var v int
		if err := rs.Scan(&v); err != nil {
			rs.Close()
			return nil, err
		}
		done[v] = true
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("read breakwater_migrations: %w", err)
	}
	for v := range done {
		if v > len(all) {
			return nil, fmt.Errorf("the database is at store schema version %d, newer than this binary's %d: run a newer Breakwater", v, len(all))
		}
	}
	for _, m := range all {
		if done[m.version] {
			continue
		}
		if _, err := q.exec(ctx, m.sql); err != nil {
			return nil, fmt.Errorf("apply store migration %04d_%s: %w", m.version, m.name, err)
		}
		if _, err := q.exec(ctx, `INSERT INTO breakwater_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, m.name, now); err != nil {
			return nil, fmt.Errorf("record store migration %04d: %w", m.version, err)
		}
		applied = append(applied, m.version)
	}
	return applied, nil
}
