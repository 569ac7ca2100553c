// Package store keeps articles, subscribers and the delivery ledger in a SQL
// database: SQLite (modernc.org/sqlite, no cgo) for one box, PostgreSQL
// (pgx) for N workers. The SQL is kept portable (? placeholders rebound per
// dialect, TEXT and BIGINT columns, times as unix nanoseconds); what differs,
// chiefly how concurrent writers are kept apart, lives in dialect.go.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"syndicate"
	"syndicate/internal/redact"
)

// busyTimeout is how long a SQLite connection waits for another writer (a
// worker process, the CLI) to finish before giving up with SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// postgresMaxConns bounds the connections one process keeps to PostgreSQL:
// enough for a worker's concurrent jobs, few enough that N workers stay
// well under the server's max_connections (100 by default).
const postgresMaxConns = 10

// Store is the database of one syndicate installation. It is safe for
// concurrent use, including by several processes sharing one SQLite file
// or one PostgreSQL database.
type Store struct {
	db      *sql.DB
	dialect dialect
	// stmts counts the statements the ledger and the batch path's reads
	// send, for `syndicate bench`.
	stmts atomic.Int64

	// Now returns the current time; tests replace it. Nil means time.Now.
	Now func() time.Time
}

// Open opens the database named by url and brings its schema up to date.
//
// Accepted forms: "postgres://…" or "postgresql://…" (a libpq URL, as pgx
// reads it; query parameters such as sslmode or search_path are passed on),
// "sqlite:PATH" (also "sqlite://PATH"), "sqlite::memory:" for a private
// in-memory database, and a bare path ending in .db, .sqlite or .sqlite3.
// Error messages never show a password the URL holds.
func Open(ctx context.Context, url string) (*Store, error) {
	if isPostgresURL(url) {
		return openPostgres(ctx, strings.TrimSpace(url))
	}
	path, err := sqlitePath(url)
	if err != nil {
		return nil, err
	}
	if path != ":memory:" {
		if err := createPrivate(path); err != nil {
			return nil, err
		}
	}
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// One connection per process: SQLite allows one writer at a time anyway,
	// an in-memory database exists only on the connection that made it, and
	// a single connection means no two transactions of this process can
	// deadlock on each other. Other processes are kept in line by BEGIN
	// IMMEDIATE (the _txlock DSN parameter) and the busy timeout.
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &Store{db: db, dialect: sqliteDialect}
	if err := s.migrateRetrying(ctx); err != nil {
		if cerr := db.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close database: %w", cerr))
		}
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return s, nil
}

// isPostgresURL reports whether raw names a PostgreSQL database.
func isPostgresURL(raw string) bool {
	lower := strings.ToLower(strings.TrimSpace(raw))
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

// openPostgres opens the PostgreSQL database at raw through pgx's
// database/sql driver and migrates it. Every error it returns goes through
// hidePassword: pgx redacts passwords itself only on a best-effort basis.
func openPostgres(ctx context.Context, raw string) (*Store, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the URL; say only what kind of thing is wrong.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, syndicate.Errorf(syndicate.EINVALID, "postgres database URL is malformed: %s", hidePassword(err, raw).Error())
	}
	name := redactedURL(u)
	db, err := sql.Open("pgx", raw)
	if err != nil {
		return nil, hidePassword(fmt.Errorf("open database %s: %w", name, err), raw)
	}
	db.SetMaxOpenConns(postgresMaxConns)
	// Keep as many idle as open: database/sql's default of two would close
	// and reopen connections (a TLS and auth handshake each) under load.
	db.SetMaxIdleConns(postgresMaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	// Recycle connections now and then so a failover or a changed DNS name
	// is picked up without restarting the worker.
	db.SetConnMaxLifetime(time.Hour)
	s := &Store{db: db, dialect: postgresDialect}
	if err := s.migrate(ctx); err != nil {
		if cerr := db.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close database: %w", cerr))
		}
		return nil, hidePassword(fmt.Errorf("open database %s: %w", name, err), raw)
	}
	return s, nil
}

// redactedURL is u for messages, its secrets masked.
func redactedURL(u *url.URL) string { return redact.URL(u.String()) }

// hidePassword returns err with the secrets of the database URL raw masked
// in its message; errors.Is and errors.As still see the original.
func hidePassword(err error, raw string) error { return redact.Error(err, raw) }

// migrateRetrying runs migrate, trying again a few times when SQLite says
// the file is busy: while another process switches a new file to WAL,
// SQLite can answer SQLITE_BUSY without waiting for the busy timeout.
func (s *Store) migrateRetrying(ctx context.Context) error {
	var err error
	for attempt := 1; attempt <= 5; attempt++ {
		if err = s.migrate(ctx); err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
	return err
}

// Ping checks that the database answers, for readiness checks.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// sqlitePath returns the file path (or ":memory:") named by a database URL.
func sqlitePath(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	lower := strings.ToLower(raw)
	switch {
	case raw == "":
		return "", syndicate.Errorf(syndicate.EINVALID, "database URL is empty")
	case strings.HasPrefix(lower, "sqlite:"):
		p := raw[len("sqlite:"):]
		if strings.HasPrefix(p, "//") {
			p = p[2:]
		}
		if p == "" {
			return "", syndicate.Errorf(syndicate.EINVALID, "database URL %q names no file", raw)
		}
		return p, nil
	case strings.HasSuffix(lower, ".db"), strings.HasSuffix(lower, ".sqlite"), strings.HasSuffix(lower, ".sqlite3"):
		return raw, nil
	}
	scheme, _, found := strings.Cut(raw, "://")
	if found {
		return "", syndicate.Errorf(syndicate.EINVALID, "database URL scheme %q is not supported; use sqlite:PATH or postgres://…", scheme)
	}
	return "", syndicate.Errorf(syndicate.EINVALID, "database URL %q is not sqlite:PATH, postgres://… or a path ending in .db", raw)
}

// createPrivate creates the SQLite file at path, if there is none, readable
// and writable by its owner only: it holds every subscriber's address and
// the ledger. SQLite would create it 0644 less the umask; it gives the -wal
// and -shm files it makes beside it the mode of the database file, so they
// are 0600 too. An existing file keeps the mode it has: an operator may
// have given a backup group read access on purpose.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database file %s: %w", path, err)
	}
	// Chmod is not subject to the umask, which may differ from 022.
	if err := f.Chmod(0o600); err != nil {
		return errors.Join(fmt.Errorf("make database file %s private: %w", path, err), f.Close())
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create database file %s: %w", path, err)
	}
	return nil
}

// sqliteDSN builds the modernc.org/sqlite data source name for path. The
// settings are DSN parameters rather than one-off PRAGMAs so that they also
// apply to any connection database/sql opens later to replace a broken one.
func sqliteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// The scratch tables of a multi-row UPDATE … FROM stay in memory rather
	// than in a temporary file written and read back per statement.
	q.Add("_pragma", "temp_store(MEMORY)")
	// A checkpoint every 10 000 pages (40 MB of WAL) instead of 1 000: a
	// send rewrites the same ledger pages over and over, and each
	// checkpoint copies them to the database and syncs it; this halved
	// what checkpoints cost a 100 000-email send.
	q.Add("_pragma", "wal_autocheckpoint(10000)")
	if path != ":memory:" {
		// WAL lets the CLI read while a worker writes.
		q.Add("_pragma", "journal_mode(WAL)")
	}
	// BEGIN IMMEDIATE takes the write lock when a transaction starts, so a
	// transaction that reads and then writes never has to upgrade its lock
	// (the upgrade fails at once with SQLITE_BUSY when another process has
	// written in between, whatever the busy timeout).
	q.Set("_txlock", "immediate")
	// A file: URI so the path may hold '?' or '#'; those and '%' are escaped.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + q.Encode()
}

// write runs fn in a write transaction and commits it if fn returns nil.
//
// On SQLite the transaction starts with BEGIN IMMEDIATE (see sqliteDSN) and
// so runs alone. On PostgreSQL it is an ordinary READ COMMITTED transaction
// that runs beside others: fn must lock what its reads decide on, with
// SELECT … FOR UPDATE (dialect.forUpdate) or dialect.lock, or make each
// decision in one statement.
//
// On PostgreSQL a transaction cut off by a lost connection is run again
// from the start (see retrying): it has rolled back, or it committed and
// the rerun reads what it left.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.retrying(ctx, func() error { return s.writeOnce(ctx, fn) })
}

func (s *Store) writeOnce(ctx context.Context, fn func(tx *sql.Tx) error) error {
	s.stmts.Add(2) // BEGIN and COMMIT (or ROLLBACK)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("roll back: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// now returns the current time in UTC.
func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Times are stored as unix nanoseconds (BIGINT): portable, compact and
// ordered the same way as the times themselves. The zero time is stored as 0.

// toNanos converts t for storage; it fails for times int64 nanoseconds
// cannot hold (before 1678 or after 2262), except the zero time.
func toNanos(t time.Time) (int64, error) {
	if t.IsZero() {
		return 0, nil
	}
	if t.Year() < 1678 || t.Year() > 2261 {
		return 0, syndicate.Errorf(syndicate.EINVALID, "time %s is out of the supported range (1678 to 2261)", t.Format(time.RFC3339))
	}
	return t.UnixNano(), nil
}

// fromNanos reverses toNanos.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// Statements is how many SQL statements the ledger and the send path's
// subscriber reads have sent since the store was opened (each BEGIN and
// COMMIT counts as one): the figure `syndicate bench` divides by messages.
func (s *Store) Statements() int64 { return s.stmts.Load() }
