package store

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestLostConnection(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"}, true},
		{&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}, true},
		{&pgconn.PgError{Code: "08006"}, true},
		{fmt.Errorf("record x: %w", io.ErrUnexpectedEOF), true},
		{&pgconn.PgError{Code: "23505", Message: "duplicate key value"}, false},
		{&pgconn.PgError{Code: "40P01", Message: "deadlock detected"}, false},
		{errors.New("no such table: deliveries"), false},
		{nil, false},
	} {
		if got := lostConnection(c.err); got != c.want {
			t.Errorf("lostConnection(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
