// Package testdb gives each test a database of its own: a fresh schema of
// the PostgreSQL database named by SYNDICATE_TEST_DATABASE_URL, or else a
// new SQLite file in the test's temporary directory.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// EnvVar names the PostgreSQL database the tests use when it is set.
const EnvVar = "SYNDICATE_TEST_DATABASE_URL"

// Postgres reports whether the tests run against PostgreSQL.
func Postgres() bool {
	return os.Getenv(EnvVar) != ""
}

// URL returns a database URL, for store.Open, of a database no other test
// sees and that is empty at first; opening it twice gives two handles on
// the same database, as two processes would have.
//
// Without SYNDICATE_TEST_DATABASE_URL it is "sqlite:" and a file in
// t.TempDir(). With it, URL creates a schema syn_<random> in that database
// and returns its URL with search_path=<schema> added, which pgx sends as a
// run-time parameter so that every table the store makes lands in the
// schema; the schema and everything in it are dropped when the test ends
// (after the stores the test opened later are closed, as cleanups run
// last-in first-out).
func URL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		return "sqlite:" + filepath.Join(t.TempDir(), "s.db")
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		// The value is not shown: it may hold a password.
		t.Fatalf("%s is not a postgres:// URL", EnvVar)
	}
	schema := schemaName(t)
	// The name is "syn_" and hex digits, so it needs no quoting.
	exec(t, base, "CREATE SCHEMA "+schema)
	t.Cleanup(func() {
		exec(t, base, "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// schemaName returns a schema name no other test, in this run or a
// concurrent one, will pick.
func schemaName(t testing.TB) string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("make a schema name: %v", err)
	}
	return "syn_" + hex.EncodeToString(b)
}

// exec runs one statement on the database at dbURL over a connection of
// its own. It does not use the test's context, which is already cancelled
// when cleanups run.
func exec(t testing.TB, dbURL, stmt string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatalf("open %s: %v", EnvVar, err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Errorf("close %s: %v", EnvVar, err)
		}
	}()
	if _, err := db.ExecContext(ctx, stmt); err != nil {
		t.Fatalf("%s in %s: %v", stmt, EnvVar, err)
	}
}
