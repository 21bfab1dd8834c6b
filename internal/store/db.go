package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// querier runs SQL written once for both dialects: $N placeholders (SQLite
// reads them too), time.Time arguments and *time.Time / **time.Time
// destinations. SQLite keeps times as integer microseconds since the epoch
// (its text timestamps do not sort); PostgreSQL as timestamptz.
type querier interface {
	exec(ctx context.Context, query string, args ...any) (rowsAffected int64, err error)
	query(ctx context.Context, query string, args ...any) (rows, error)
	queryRow(ctx context.Context, query string, args ...any) row
}

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type row interface{ Scan(dest ...any) error }

// insertFunc enqueues a River job inside the transaction it belongs to.
type insertFunc func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)

// db is one backend: a connection pool with its dialect's quirks, and the
// River client bound to the same pool.
type db interface {
	querier
	// inTx runs fn in one transaction, committed when fn returns nil.
	inTx(ctx context.Context, fn func(q querier, insert insertFunc) error) error
	// forUpdate is the row-locking suffix of a SELECT that claims rows
	// ("" on SQLite, whose write transactions are already exclusive).
	forUpdate(skipLocked bool) string
	ping(ctx context.Context) error
	close()
}

// ---- SQLite through database/sql ----

type sqlConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type sqliteQ struct{ c sqlConn }

func (q sqliteQ) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.c.ExecContext(ctx, query, sqliteArgs(args)...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqliteQ) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := q.c.QueryContext(ctx, query, sqliteArgs(args)...)
	if err != nil {
		return nil, err
	}
	return sqliteRows{r}, nil
}

func (q sqliteQ) queryRow(ctx context.Context, query string, args ...any) row {
	return sqliteRow{q.c.QueryRowContext(ctx, query, sqliteArgs(args)...)}
}

type sqliteRows struct{ *sql.Rows }

func (r sqliteRows) Scan(dest ...any) error { return r.Rows.Scan(sqliteDest(dest)...) }
func (r sqliteRows) Close()                 { r.Rows.Close() }

type sqliteRow struct{ r *sql.Row }

func (r sqliteRow) Scan(dest ...any) error {
	err := r.r.Scan(sqliteDest(dest)...)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

func sqliteArgs(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			out[i] = v.UnixMicro()
		case *time.Time:
			if v == nil {
				out[i] = nil
			} else {
				out[i] = v.UnixMicro()
			}
		default:
			out[i] = a
		}
	}
	return out
}

func sqliteDest(dest []any) []any {
	out := make([]any, len(dest))
	for i, d := range dest {
		switch v := d.(type) {
		case *time.Time:
			out[i] = microTime{v}
		case **time.Time:
			out[i] = nullMicroTime{v}
		default:
			out[i] = d
		}
	}
	return out
}

type microTime struct{ t *time.Time }

func (m microTime) Scan(src any) error {
	v, ok := src.(int64)
	if !ok {
		return fmt.Errorf("time column holds %T, want integer microseconds", src)
	}
	*m.t = time.UnixMicro(v).UTC()
	return nil
}

type nullMicroTime struct{ t **time.Time }

func (m nullMicroTime) Scan(src any) error {
	if src == nil {
		*m.t = nil
		return nil
	}
	var t time.Time
	if err := (microTime{&t}).Scan(src); err != nil {
		return err
	}
	*m.t = &t
	return nil
}

type sqliteDB struct {
	sqliteQ
	pool     *sql.DB
	insert   func(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	insertTx func(ctx context.Context, tx *sql.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// insertMany enqueues jobs in one statement, inside the transaction q
// belongs to (a querier of inTx).
func (d *sqliteDB) insertMany(ctx context.Context, q querier, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	tx, ok := q.(sqliteQ).c.(*sql.Tx)
	if !ok {
		return nil, errors.New("insertMany outside a transaction")
	}
	return d.insertTx(ctx, tx, params)
}

func (d *sqliteDB) inTx(ctx context.Context, fn func(q querier, insert insertFunc) error) error {
	tx, err := d.pool.BeginTx(ctx, nil) // BEGIN IMMEDIATE: see sqliteDSN
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	insert := func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
		return d.insert(ctx, tx, args, opts)
	}
	if err := fn(sqliteQ{tx}, insert); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (d *sqliteDB) forUpdate(bool) string          { return "" }
func (d *sqliteDB) ping(ctx context.Context) error { return d.pool.PingContext(ctx) }
func (d *sqliteDB) close()                         { d.pool.Close() }

// ---- PostgreSQL through pgx ----

type pgConn interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

type pgQ struct{ c pgConn }

func (q pgQ) exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := q.c.Exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q pgQ) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := q.c.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgRows{r}, nil
}

func (q pgQ) queryRow(ctx context.Context, query string, args ...any) row {
	return pgRow{q.c.QueryRow(ctx, query, args...)}
}

type pgRows struct{ pgx.Rows }

func (r pgRows) Scan(dest ...any) error {
	if err := r.Rows.Scan(dest...); err != nil {
		return err
	}
	utc(dest)
	return nil
}

type pgRow struct{ r pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	if err == nil {
		utc(dest)
	}
	return err
}

// utc gives scanned times the same location on both backends.
func utc(dest []any) {
	for _, d := range dest {
		switch v := d.(type) {
		case *time.Time:
			*v = v.UTC()
		case **time.Time:
			if *v != nil {
				t := (*v).UTC()
				*v = &t
			}
		}
	}
}

type pgDB struct {
	pgQ
	pool     *pgxpool.Pool
	insert   func(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	insertTx func(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// insertMany enqueues jobs in one statement, inside the transaction q
// belongs to (a querier of inTx).
func (d *pgDB) insertMany(ctx context.Context, q querier, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error) {
	tx, ok := q.(pgQ).c.(pgx.Tx)
	if !ok {
		return nil, errors.New("insertMany outside a transaction")
	}
	return d.insertTx(ctx, tx, params)
}

func (d *pgDB) inTx(ctx context.Context, fn func(q querier, insert insertFunc) error) error {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // a no-op after Commit
	insert := func(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
		return d.insert(ctx, tx, args, opts)
	}
	if err := fn(pgQ{tx}, insert); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (d *pgDB) forUpdate(skipLocked bool) string {
	if skipLocked {
		return " FOR UPDATE SKIP LOCKED"
	}
	return " FOR UPDATE"
}
func (d *pgDB) ping(ctx context.Context) error { return d.pool.Ping(ctx) }
func (d *pgDB) close()                         { d.pool.Close() }
