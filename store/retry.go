package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// reconnectWait is how long a statement keeps being tried while
// PostgreSQL is unreachable (a restart, a failover) before its error is
// returned: a fast restart takes a second or two, and a job whose
// statement fails is only retried later by the queue, after its effect
// (an email sent) may already have happened.
const reconnectWait = 30 * time.Second

// lostConnection reports whether err says the connection to PostgreSQL
// went away or could not be made, rather than that the statement was
// refused: then the same statement may be tried again on a new
// connection. The callers only retry statements that are safe to run
// twice (see retrying).
func lostConnection(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08 is connection exceptions; 57P01-57P03 are the server
		// shutting down or starting up.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		pgconn.SafeToRetry(err):
		return true
	}
	return strings.Contains(err.Error(), "conn closed")
}

// retrying runs fn until it succeeds, fails for another reason than a lost
// connection, or reconnectWait has passed; on SQLite it runs fn once (a
// busy database is the busy timeout's business). fn must be safe to run
// again after a failure whose outcome is unknown: a write transaction that
// reads before it writes (it rolls back or commits as a whole, and a rerun
// reads what a lost commit left), or an idempotent statement.
func (s *Store) retrying(ctx context.Context, fn func() error) error {
	err := fn()
	if s.dialect.name != "postgres" {
		return err
	}
	deadline := time.Now().Add(reconnectWait)
	wait := 50 * time.Millisecond
	for lostConnection(err) && time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
		err = fn()
	}
	return err
}

// execRetrying is ExecContext on the database, tried again while the
// connection is lost; for idempotent statements only.
func (s *Store) execRetrying(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.retrying(ctx, func() error {
		var err error
		res, err = s.db.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}
