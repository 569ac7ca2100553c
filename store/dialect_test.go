package store

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"syndicate/internal/testdb"
)

func TestRebind(t *testing.T) {
	q := `SELECT a FROM t WHERE b = ? AND c IN (?, ?)`
	if got := sqliteDialect.rebind(q); got != q {
		t.Errorf("sqlite rebind = %q", got)
	}
	if got, want := postgresDialect.rebind(q), `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`; got != want {
		t.Errorf("postgres rebind = %q, want %q", got, want)
	}
}

func TestSQLiteSettings(t *testing.T) {
	ctx := t.Context()
	s, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	}()
	for pragma, want := range map[string]string{
		"journal_mode":       "wal",
		"foreign_keys":       "1",
		"busy_timeout":       "10000",
		"synchronous":        "1", // NORMAL
		"temp_store":         "2", // MEMORY
		"wal_autocheckpoint": "10000",
	} {
		var got string
		if err := s.db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
		}
	}
	var v int
	if err := s.db.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_version").Scan(&v); err != nil || v != len(migrations) {
		t.Errorf("schema version = %d, %v; want %d", v, err, len(migrations))
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := t.Context()
	url := testdb.URL(t)
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, "INSERT INTO schema_version (version, applied_at) VALUES (99, 0)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(ctx, url); err == nil || !strings.Contains(err.Error(), "newer than this program") {
		t.Errorf("Open of a newer schema = %v, want a refusal", err)
		if err == nil {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		}
	}
}

// openPostgresTest opens the test's own PostgreSQL schema, or skips the test
// when the tests run on SQLite.
func openPostgresTest(t *testing.T) (*Store, string) {
	t.Helper()
	if !testdb.Postgres() {
		t.Skip(testdb.EnvVar + " is not set")
	}
	dbURL := testdb.URL(t)
	s, err := Open(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, dbURL
}

// TestPostgresSchema checks that the search_path testdb puts in the URL
// reaches the server, so each test's tables are in a schema of its own.
func TestPostgresSchema(t *testing.T) {
	s, dbURL := openPostgresTest(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	if s.dialect.name != "postgres" || !strings.HasPrefix(schema, "syn_") {
		t.Fatalf("dialect %s, search_path %q; want postgres and a syn_ schema", s.dialect.name, schema)
	}
	var current string
	if err := s.db.QueryRowContext(t.Context(), "SELECT current_schema()").Scan(&current); err != nil || current != schema {
		t.Fatalf("current_schema() = %q, %v; want %q", current, err, schema)
	}
	var n int
	err = s.db.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = $1 AND table_name IN ('schema_version', 'articles', 'deliveries', 'feed_items')`, schema).Scan(&n)
	if err != nil || n != 4 {
		t.Errorf("%d of 4 tables in schema %s (%v)", n, schema, err)
	}
	var v int
	if err := s.db.QueryRowContext(t.Context(), "SELECT MAX(version) FROM schema_version").Scan(&v); err != nil || v != len(migrations) {
		t.Errorf("schema version = %d, %v; want %d", v, err, len(migrations))
	}
}

// TestPostgresLock checks that dialect.lock keeps a second transaction
// out until the first ends, and only for the same name.
func TestPostgresLock(t *testing.T) {
	s, _ := openPostgresTest(t)
	// Not t.Context(): that is cancelled before the cleanups that roll
	// the transactions back, and a cancelled context rolls them back first.
	ctx := context.Background()
	begin := func() *sql.Tx {
		t.Helper()
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
				t.Error(err)
			}
		})
		return tx
	}
	holder := begin()
	if err := s.dialect.lock(ctx, holder, "digest:daily"); err != nil {
		t.Fatal(err)
	}
	if err := s.dialect.lock(ctx, begin(), "digest:weekly"); err != nil {
		t.Errorf("lock of another name: %v", err)
	}
	// A transaction whose statement is cancelled loses its connection
	// (pgx closes it rather than wait for the server), so it is rolled
	// back here, expecting that error, rather than by begin's cleanup.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := s.dialect.lock(short, tx, "digest:daily"); err == nil {
		t.Error("a second transaction took a held lock")
	}
	if err := tx.Rollback(); err != nil {
		t.Logf("roll back the cancelled transaction: %v", err)
	}
	waiter := begin()
	done := make(chan error, 1)
	go func() { done <- s.dialect.lock(ctx, waiter, "digest:daily") }()
	if err := holder.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("lock after the holder committed: %v", err)
	}
}
