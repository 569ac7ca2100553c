package store

import (
	"regexp"
	"testing"

	"syndicate/internal/testdb"
)

// TestMigrationGivesHandles: subscribers stored before version 5 get a
// distinct random handle and version 1 when it runs.
func TestMigrationGivesHandles(t *testing.T) {
	ctx := t.Context()
	url := testdb.URL(t)
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	// Take the schema back to version 4, with rows written the old way.
	for _, stmt := range []string{
		`DROP INDEX subscribers_handle`,
		`ALTER TABLE subscribers DROP COLUMN handle`,
		`ALTER TABLE subscribers DROP COLUMN token_version`,
		`DELETE FROM schema_version WHERE version = 5`,
		`INSERT INTO subscribers (email, email_key, name, frequency, status, created_at, updated_at) VALUES
			('a@example.com', 'a@example.com', '', 'instant', 'active', 0, 0),
			('b@example.com', 'b@example.com', '', 'daily', 'active', 0, 0),
			('c@example.com', 'c@example.com', '', 'weekly', 'unsubscribed', 0, 0)`,
	} {
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	subs, err := s.ListSubscribers(ctx, 0, 10)
	if err != nil || len(subs) != 3 {
		t.Fatalf("ListSubscribers = %v, %v", subs, err)
	}
	hexHandle := regexp.MustCompile(`^[0-9a-f]{32}$`)
	seen := map[string]bool{}
	for _, sub := range subs {
		if !hexHandle.MatchString(sub.Handle) || seen[sub.Handle] || sub.TokenVersion != 1 {
			t.Errorf("%s: handle %q version %d; want 32 new hex digits and 1", sub.Email, sub.Handle, sub.TokenVersion)
		}
		seen[sub.Handle] = true
		if got, err := s.SubscriberByHandle(ctx, sub.Handle); err != nil || got.Email != sub.Email {
			t.Errorf("SubscriberByHandle(%s) = %+v, %v", sub.Handle, got, err)
		}
	}
}
