package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"syndicate"
	"syndicate/feeds/feedstate"
)

// The store keeps the feed poller's state as feedstate.State, a
// standard-library-only package, so that it need not import the poller
// itself; *Store satisfies feeds.Store.

const feedStateColumns = `url, etag, last_modified, initialized, failures, next_try, last_error, last_polled`

// seenChunk bounds the placeholders of one IN list, well below SQLite's
// and PostgreSQL's limits, for feeds with thousands of items.
const seenChunk = 500

// FeedState returns the poller's state of the feed at url: a State with
// only URL set when the feed has never been polled.
func (s *Store) FeedState(ctx context.Context, url string) (feedstate.State, error) {
	row := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT `+feedStateColumns+` FROM feed_states WHERE url = ?`), url)
	st, err := scanFeedState(row)
	if errors.Is(err, sql.ErrNoRows) {
		return feedstate.State{URL: url}, nil
	}
	if err != nil {
		return feedstate.State{}, fmt.Errorf("read state of feed %s: %w", url, err)
	}
	return st, nil
}

// FeedStates returns the state of every feed polled so far, by URL, for
// status reports.
func (s *Store) FeedStates(ctx context.Context) ([]feedstate.State, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+feedStateColumns+` FROM feed_states ORDER BY url`)
	if err != nil {
		return nil, fmt.Errorf("list feed states: %w", err)
	}
	defer rows.Close()
	var out []feedstate.State
	for rows.Next() {
		st, err := scanFeedState(rows)
		if err != nil {
			return nil, fmt.Errorf("list feed states: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list feed states: %w", err)
	}
	return out, nil
}

// SaveFeedState stores st, replacing the state of st.URL.
func (s *Store) SaveFeedState(ctx context.Context, st feedstate.State) error {
	if strings.TrimSpace(st.URL) == "" {
		return syndicate.Errorf(syndicate.EINVALID, "feed state has no URL")
	}
	nextTry, err := toNanos(st.NextTry)
	if err != nil {
		return fmt.Errorf("save state of feed %s: next try: %w", st.URL, err)
	}
	lastPolled, err := toNanos(st.LastPolled)
	if err != nil {
		return fmt.Errorf("save state of feed %s: last polled: %w", st.URL, err)
	}
	initialized := 0
	if st.Initialized {
		initialized = 1
	}
	_, err = s.db.ExecContext(ctx, s.dialect.rebind(`INSERT INTO feed_states (`+feedStateColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (url) DO UPDATE SET
			etag = excluded.etag,
			last_modified = excluded.last_modified,
			initialized = excluded.initialized,
			failures = excluded.failures,
			next_try = excluded.next_try,
			last_error = excluded.last_error,
			last_polled = excluded.last_polled`),
		st.URL, st.ETag, st.LastModified, initialized, st.Failures, nextTry, st.LastError, lastPolled)
	if err != nil {
		return fmt.Errorf("save state of feed %s: %w", st.URL, err)
	}
	return nil
}

// MarkSeen records keys as seen for feedURL and returns those that were not
// seen before, in the order given (a key repeated in keys is returned at
// most once). It runs in one write transaction and each row is inserted
// only if absent, so of two processes marking the same key only one gets
// it back. Calls for the same feed run one at a time (on PostgreSQL under a
// lock named after the feed): two batches inserting the same keys in
// different orders would otherwise each wait for the other's rows, a
// deadlock PostgreSQL settles by failing one of them.
func (s *Store) MarkSeen(ctx context.Context, feedURL string, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	var fresh []string
	now := s.now().UnixNano()
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := s.dialect.lock(ctx, tx, "feed:"+feedURL); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, s.dialect.rebind(`INSERT INTO feed_items (feed_url, key, seen_at)
			VALUES (?, ?, ?) ON CONFLICT (feed_url, key) DO NOTHING`))
		if err != nil {
			return err
		}
		defer stmt.Close() // closed with the transaction in any case
		for _, k := range keys {
			res, err := stmt.ExecContext(ctx, feedURL, k, now)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			if n == 1 {
				fresh = append(fresh, k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mark %d items of feed %s seen: %w", len(keys), feedURL, err)
	}
	return fresh, nil
}

// Unseen returns the keys not yet seen for feedURL, in the order given,
// without recording anything.
func (s *Store) Unseen(ctx context.Context, feedURL string, keys []string) ([]string, error) {
	seen := make(map[string]bool)
	for start := 0; start < len(keys); start += seenChunk {
		chunk := keys[start:min(start+seenChunk, len(keys))]
		args := make([]any, 0, len(chunk)+1)
		args = append(args, feedURL)
		for _, k := range chunk {
			args = append(args, k)
		}
		q := `SELECT key FROM feed_items WHERE feed_url = ? AND key IN (?` + strings.Repeat(", ?", len(chunk)-1) + `)`
		if err := s.seenKeys(ctx, q, args, seen); err != nil {
			return nil, fmt.Errorf("read seen items of feed %s: %w", feedURL, err)
		}
	}
	var out []string
	for _, k := range keys {
		if !seen[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

// HasSeen reports whether any item of feedURL has been marked seen, so the
// poller can tell a feed whose every item changed at once (a rewrite) from
// one that had nothing before.
func (s *Store) HasSeen(ctx context.Context, feedURL string) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT 1 FROM feed_items WHERE feed_url = ? LIMIT 1`), feedURL).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read whether feed %s has seen items: %w", feedURL, err)
	}
	return true, nil
}

// seenKeys adds the keys query returns to seen.
func (s *Store) seenKeys(ctx context.Context, query string, args []any, seen map[string]bool) error {
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return err
		}
		seen[k] = true
	}
	return rows.Err()
}

func scanFeedState(r scanner) (feedstate.State, error) {
	var (
		st                  feedstate.State
		initialized         int
		nextTry, lastPolled int64
	)
	if err := r.Scan(&st.URL, &st.ETag, &st.LastModified, &initialized, &st.Failures, &nextTry, &st.LastError, &lastPolled); err != nil {
		return feedstate.State{}, err
	}
	st.Initialized = initialized != 0
	st.NextTry = fromNanos(nextTry)
	st.LastPolled = fromNanos(lastPolled)
	return st, nil
}
