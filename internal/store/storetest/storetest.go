// Package storetest gives tests a fresh database for the store on each
// backend: a SQLite file in a temporary directory, and a schema with a
// random name on the PostgreSQL test server, dropped when the test ends.
// Other helpers use the same server at the same time, so nothing outside
// that schema is touched.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/breakwater-dev/breakwater/internal/testenv"
)

// PostgresEnv names the PostgreSQL server tests use; CI sets it.
const PostgresEnv = "BREAKWATER_TEST_POSTGRES"

// DefaultPostgres is the server used when PostgresEnv is unset.
const DefaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Backend is a store backend under test.
type Backend struct {
	Name string
	// URL returns a fresh, empty database for t (skipping t, or failing it
	// under BREAKWATER_INTEGRATION=require, when the backend is missing).
	URL func(t testing.TB) string
}

// Backends are SQLite and PostgreSQL, for running one suite on both.
var Backends = []Backend{
	{Name: "sqlite", URL: SQLiteURL},
	{Name: "postgres", URL: PostgresURL},
}

// SQLiteURL is a sqlite: URL of a new file in a temporary directory.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "breakwater.db")
}

// PostgresServer is the server's URL from PostgresEnv or the default.
func PostgresServer() string {
	if v := os.Getenv(PostgresEnv); v != "" {
		return v
	}
	return DefaultPostgres
}

// PostgresURL creates a schema with a random name on the test server and
// returns the server's URL with search_path set to it; the schema and all
// in it are dropped when t ends (register the store's Close after this).
func PostgresURL(t testing.TB) string {
	t.Helper()
	server := PostgresServer()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		testenv.Require(t, "PostgreSQL is unreachable at "+redact(server)+" (set "+PostgresEnv+"): "+err.Error())
	}
	defer conn.Close(context.Background())
	schema := "bw_test_" + randomHex(6)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		t.Fatalf("create test schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) //nolint:errcheck // never fails
	return hex.EncodeToString(b)
}
