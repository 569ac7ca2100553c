package store

import (
	"regexp"
	"testing"
	"time"

	"syndicate"
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
	for _, stmt := range append(append([]string(nil), undoVersion6...), []string{
		`DROP INDEX subscribers_handle`,
		`ALTER TABLE subscribers DROP COLUMN handle`,
		`ALTER TABLE subscribers DROP COLUMN token_version`,
		`DELETE FROM schema_version WHERE version = 5`,
		`INSERT INTO subscribers (email, email_key, name, frequency, status, created_at, updated_at) VALUES
			('a@example.com', 'a@example.com', '', 'instant', 'active', 0, 0),
			('b@example.com', 'b@example.com', '', 'daily', 'active', 0, 0),
			('c@example.com', 'c@example.com', '', 'weekly', 'unsubscribed', 0, 0)`,
	}...) {
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

// undoVersion6 takes the schema from the latest version back to 5.
var undoVersion6 = append(undoVersion7, []string{
	`DROP INDEX articles_seq`,
	`DROP INDEX articles_fanout`,
	`DROP INDEX digests_fanout`,
	`DROP INDEX deliveries_pending`,
	`ALTER TABLE articles DROP COLUMN seq`,
	`ALTER TABLE articles DROP COLUMN publish_at`,
	`ALTER TABLE articles DROP COLUMN fanout`,
	`ALTER TABLE digests DROP COLUMN until_seq`,
	`ALTER TABLE digests DROP COLUMN fanout`,
	`DELETE FROM schema_version WHERE version = 6`,
}...)

// undoVersion7 takes the schema from the latest version back to 6,
// undoing the later versions first.
var undoVersion7 = []string{
	// 14: the planned email batches.
	`DROP TABLE email_plans`,
	// 13: the Message-ID index of old rows only.
	`DROP INDEX deliveries_remote_id_v1`,
	`CREATE INDEX deliveries_remote_id ON deliveries (remote_id)`,
	// 12: the HTML body.
	`ALTER TABLE articles DROP COLUMN body_html`,
	// 11: the suppression list and bounce events.
	`DROP INDEX deliveries_remote_id`,
	`DROP TABLE bounce_events`,
	`DROP TABLE suppressions`,
	// 10: the batch splits and retry rounds.
	`DROP TABLE retry_rounds`,
	`DROP TABLE batch_splits`,
	// 9: the failures index.
	`DROP INDEX deliveries_failures`,
	// 8: alert incidents.
	`DROP INDEX deliveries_deferred`,
	`DROP TABLE alert_lease`,
	`DROP TABLE alert_incidents`,
	`DELETE FROM schema_version WHERE version > 7`,
	// 7: article language and the archive.
	`DROP TABLE archive`,
	`ALTER TABLE articles DROP COLUMN language`,
	`DELETE FROM schema_version WHERE version = 7`,
}

// TestMigrationNumbersArticles: articles stored before version 6 are
// numbered in the order they were stored, and a digest built before it
// ends at its last article, so the next digest starts after it.
func TestMigrationNumbersArticles(t *testing.T) {
	ctx := t.Context()
	url := testdb.URL(t)
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range append(append([]string(nil), undoVersion6...),
		`INSERT INTO articles (id, url, title, author, published_at, tags, summary, image, body, created_at) VALUES
			('a2', 'https://example.com/2', 'Two', '', 2, '[]', '', '', '', 200),
			('a1', 'https://example.com/1', 'One', '', 1, '[]', '', '', '', 100),
			('a3', 'https://example.com/3', 'Three', '', 3, '[]', '', '', '', 300)`,
		`INSERT INTO digests (id, frequency, article_ids, since, until, created_at) VALUES
			('dg_daily_old', 'daily', '["a2","a1"]', 0, 250, 250)`,
	) {
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
	for id, want := range map[string]int64{"a1": 1, "a2": 2, "a3": 3} {
		var seq int64
		if err := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT seq FROM articles WHERE id = ?`), id).Scan(&seq); err != nil || seq != want {
			t.Errorf("seq of %s = %d, %v; want %d", id, seq, err, want)
		}
	}
	d, err := s.BuildDigest(ctx, "dg_daily_new", "daily", time.Unix(0, 400), 24*time.Hour)
	if err != nil || len(d.ArticleIDs) != 1 || d.ArticleIDs[0] != "a3" {
		t.Errorf("digest after the migration = %+v, %v; want only a3", d, err)
	}
	// Articles saved after the migration go on from the last number.
	if _, err := s.SaveArticle(ctx, syndicate.Article{Title: "Four", URL: "https://example.com/4"}); err != nil {
		t.Fatal(err)
	}
	var max int64
	if err := s.db.QueryRowContext(ctx, `SELECT MAX(seq) FROM articles`).Scan(&max); err != nil || max != 4 {
		t.Errorf("seq of a new article = %d, %v; want 4", max, err)
	}
}

// TestMigrationAddsLanguage: articles stored before version 7 read as of
// no known language, and new ones keep theirs.
func TestMigrationAddsLanguage(t *testing.T) {
	ctx := t.Context()
	url := testdb.URL(t)
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	old := syndicate.Article{Title: "Old", URL: "https://news.example.com/old", Summary: "s"}
	if _, err := s.SaveArticle(ctx, old); err != nil {
		t.Fatal(err)
	}
	for _, stmt := range undoVersion7 {
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(ctx, url); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := s.FindArticle(ctx, old.URL)
	if err != nil || a.Language != "" {
		t.Fatalf("old article after the migration = %+v, %v", a, err)
	}
	ja := syndicate.Article{Title: "図書館", URL: "https://news.example.com/ja", Summary: "s", Language: "ja"}
	if _, err := s.SaveArticle(ctx, ja); err != nil {
		t.Fatal(err)
	}
	if a, err = s.FindArticle(ctx, ja.URL); err != nil || a.Language != "ja" {
		t.Errorf("new article = %+v, %v", a, err)
	}
}
