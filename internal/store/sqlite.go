package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" database/sql driver
)

// sqliteDSN opens path with the settings River needs and an acknowledged
// write must have:
//   - WAL journaling: readers do not block the writer, and River's
//     maintenance is reliable only with it;
//   - synchronous=NORMAL: a commit is written to the WAL file before it
//     returns, so it survives the process being killed (SIGKILL, a panic,
//     an OOM kill) and an acknowledged delivery is never lost to it; the
//     WAL is fsynced at checkpoints, not at every commit, so a power loss
//     or kernel crash may lose the last commits (and never corrupts the
//     database). FULL would add one fsync per commit to every
//     acknowledgement (2–3 ms on a typical virtual disk, far more when
//     the disk is busy); see docs/store.md;
//   - busy_timeout: another process (a CLI beside `serve`) waits for the
//     write lock instead of failing;
//   - BEGIN IMMEDIATE for every transaction: take the write lock up front,
//     so two processes never deadlock upgrading read locks.
func sqliteDSN(path string) string {
	return path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
}

func (s *Store) openSQLite(ctx context.Context, cfg *river.Config) error {
	dir := filepath.Dir(s.loc.Path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("SQLite database %s: directory %s does not exist", s.loc.Path, dir)
		}
		return fmt.Errorf("SQLite database %s: %w", s.loc.Path, err)
	}
	pool, err := sql.Open("sqlite", sqliteDSN(s.loc.Path))
	if err != nil {
		return fmt.Errorf("open SQLite database %s: %w", s.loc.Path, err)
	}
	// ONE connection: SQLite runs one writer at a time and River's
	// concurrent maintenance otherwise meets SQLITE_BUSY. database/sql
	// queues callers for it. Never hold it while waiting for another
	// query on the pool (that would wait forever).
	pool.SetMaxOpenConns(1)
	pool.SetMaxIdleConns(1)
	pool.SetConnMaxLifetime(0)
	pool.SetConnMaxIdleTime(0)
	fail := func(err error) error {
		pool.Close()
		return err
	}
	var mode string
	if err := pool.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fail(fmt.Errorf("open SQLite database %s: %w", s.loc.Path, err))
	}
	if mode != "wal" {
		return fail(fmt.Errorf("SQLite database %s: journal mode is %q, not WAL (is it on a network filesystem?); put it on a local disk", s.loc.Path, mode))
	}

	driver := riversqlite.New(pool)
	if err := s.migrateSQLite(ctx, pool, driver); err != nil {
		return fail(err)
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		return fail(fmt.Errorf("create the job client: %w", err))
	}
	s.jobs = client
	s.countJobs = func(ctx context.Context) (map[rivertype.JobState]int, error) {
		return driver.GetExecutor().JobCountByAllStates(ctx, &riverdriver.JobCountByAllStatesParams{Schema: cfg.Schema})
	}
	db := &sqliteDB{sqliteQ: sqliteQ{pool}, pool: pool, insert: client.InsertTx, insertTx: client.InsertManyTx}
	s.db = db
	s.group = startGroupCommit(db, 1)
	return nil
}

// migrateSQLite applies River's and the store's migrations in one
// immediate transaction: it holds SQLite's write lock, so a second process
// opening the file at the same time waits and then finds them applied.
// (River's MigrateTx is deprecated because some PostgreSQL migrations
// cannot share a transaction; River's SQLite migrations can.)
func (s *Store) migrateSQLite(ctx context.Context, pool *sql.DB, driver *riversqlite.Driver) error {
	tx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("SQLite database %s: take the migration lock: %w", s.loc.Path, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: s.log})
	if err != nil {
		return fmt.Errorf("River migrator: %w", err)
	}
	//lint:ignore SA1019 see the function's comment
	if _, err := migrator.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("SQLite database %s: River migrations: %w", s.loc.Path, err)
	}
	applied, err := migrate(ctx, sqliteQ{tx}, SQLite, s.stamp(time.Time{}))
	if err != nil {
		return fmt.Errorf("SQLite database %s: %w", s.loc.Path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("SQLite database %s: commit migrations: %w", s.loc.Path, err)
	}
	if len(applied) > 0 {
		s.log.Info("store migrations applied", "versions", applied)
	}
	return nil
}
