package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// defaultPGConns is the pool size unless the URL sets pool_max_conns:
// River holds one connection for LISTEN and uses a few for fetching,
// completing and maintenance, and the acknowledgement path needs its own.
const defaultPGConns = 10

// pgCommitters is how many group-commit transactions run at once (see
// groupCommit): while one waits for its WAL flush the next batch fills
// and commits, so a delivery waits for at most about one flush besides
// its own. Each holds a connection of the pool while committing.
const pgCommitters = 4

func (s *Store) openPostgres(ctx context.Context, cfg *river.Config) error {
	pcfg, err := pgxpool.ParseConfig(s.loc.DSN)
	if err != nil { // ParseURL accepted it, so this is unexpected
		return scrub(fmt.Errorf("PostgreSQL URL %s: %w", s.loc, err), s.loc.DSN)
	}
	if !strings.Contains(s.loc.DSN, "pool_max_conns") {
		pcfg.MaxConns = defaultPGConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return scrub(fmt.Errorf("connect to PostgreSQL %s: %w", s.loc, err), s.loc.DSN)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return scrub(fmt.Errorf("cannot reach PostgreSQL %s: %w", s.loc, err), s.loc.DSN)
	}
	driver := riverpgxv5.New(pool)
	if err := s.migratePostgres(ctx, pool, driver); err != nil {
		pool.Close()
		return scrub(err, s.loc.DSN)
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		pool.Close()
		return fmt.Errorf("create the job client: %w", err)
	}
	s.jobs = client
	s.countJobs = func(ctx context.Context) (map[rivertype.JobState]int, error) {
		return driver.GetExecutor().JobCountByAllStates(ctx, &riverdriver.JobCountByAllStatesParams{Schema: cfg.Schema})
	}
	db := &pgDB{pgQ: pgQ{pool}, pool: pool, insert: client.InsertTx, insertTx: client.InsertManyTx}
	s.db = db
	s.group = startGroupCommit(db, pgCommitters)
	return nil
}

// migrateLockKey is the advisory lock replicas take to migrate one schema.
func migrateLockKey(schema string) int64 {
	h := fnv.New64a()
	h.Write([]byte("breakwater/store/migrate/" + schema))
	return int64(h.Sum64())
}

// migratePostgres applies River's migrations and the store's under a
// session advisory lock, so replicas starting together migrate one after
// the other (the later ones find nothing to do). River runs each of its
// migrations in its own transaction on other connections of the pool.
func (s *Store) migratePostgres(ctx context.Context, pool *pgxpool.Pool, driver *riverpgxv5.Driver) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("PostgreSQL %s: %w", s.loc, err)
	}
	defer conn.Release()
	key := migrateLockKey(s.loc.Schema)
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("PostgreSQL %s: take the migration lock: %w", s.loc, err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", key); err != nil {
			// The lock dies with the session: drop the connection.
			conn.Conn().Close(uctx) //nolint:errcheck // already failing
		}
	}()
	if s.loc.Schema != "" {
		if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.loc.Schema}.Sanitize()); err != nil {
			return fmt.Errorf("PostgreSQL %s: create schema %s: %w", s.loc, s.loc.Schema, err)
		}
	}
	migrator, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: s.log, Schema: s.loc.Schema})
	if err != nil {
		return fmt.Errorf("River migrator: %w", err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("PostgreSQL %s: River migrations: %w", s.loc, err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("PostgreSQL %s: %w", s.loc, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	applied, err := migrate(ctx, pgQ{tx}, Postgres, s.stamp(time.Time{}))
	if err != nil {
		return fmt.Errorf("PostgreSQL %s: %w", s.loc, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("PostgreSQL %s: commit migrations: %w", s.loc, err)
	}
	if len(applied) > 0 {
		s.log.Info("store migrations applied", "versions", applied)
	}
	return nil
}
