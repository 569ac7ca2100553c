package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"syndicate"
)

// BuildDigest returns the digest id of freq, building it if it does not
// exist yet: the articles stored since the last digest of freq ended (or,
// for the first one, within window before now), newest first. "Since" is
// by the order article inserts committed, not by their clocks, so each
// article lands in exactly one digest of each frequency. When there
// is no such article nothing is stored and the returned digest has no ID.
//
// It runs in one write transaction that builds the digests of freq one at a
// time (SQLite's write lock; on PostgreSQL a lock named after freq, since
// the digest that would be locked does not exist yet), so two triggers
// racing each other cannot put the same article in two digests; and asking
// again for an ID that was built returns the same digest, so a retried job
// resumes its fan-out instead of finding nothing new.
func (s *Store) BuildDigest(ctx context.Context, id string, freq syndicate.Frequency, now time.Time, window time.Duration) (syndicate.Digest, error) {
	if freq != syndicate.Daily && freq != syndicate.Weekly {
		return syndicate.Digest{}, syndicate.Errorf(syndicate.EINVALID, "digests are daily or weekly, not %q", freq)
	}
	var d syndicate.Digest
	err := s.write(ctx, func(tx *sql.Tx) error {
		// Taken before anything is read: under READ COMMITTED each later
		// statement then sees the digest the previous holder committed.
		if err := s.dialect.lock(ctx, tx, "digest:"+string(freq)); err != nil {
			return err
		}
		found, err := s.digest(ctx, tx, id)
		if err == nil {
			d = found
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Articles are collected by their commit-ordered seq (see
		// SaveArticleAt), never by created_at: an insert that took its time
		// before the build but commits after it has a seq above this
		// digest's until_seq and goes into the next one.
		var lastSeq, lastUntil sql.NullInt64
		if err := tx.QueryRowContext(ctx, s.dialect.rebind(`SELECT MAX(until_seq), MAX(until) FROM digests WHERE frequency = ?`), string(freq)).Scan(&lastSeq, &lastUntil); err != nil {
			return fmt.Errorf("find the last %s digest: %w", freq, err)
		}
		var untilSeq int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) FROM articles`).Scan(&untilSeq); err != nil {
			return fmt.Errorf("find the last article: %w", err)
		}
		// The first digest of freq looks back only window; since and until
		// are also kept as times, for people.
		since := now.Add(-window).UnixNano()
		after, afterArg := `created_at > ?`, since
		if lastSeq.Valid {
			since = lastUntil.Int64
			after, afterArg = `seq > ?`, lastSeq.Int64
		}
		until := now.UnixNano()
		rows, err := tx.QueryContext(ctx, s.dialect.rebind(`SELECT id FROM articles
			WHERE `+after+` AND seq <= ?
			ORDER BY published_at DESC, seq DESC, id`), afterArg, untilSeq)
		if err != nil {
			return fmt.Errorf("collect articles: %w", err)
		}
		defer rows.Close()
		var ids []string
		for rows.Next() {
			var a string
			if err := rows.Scan(&a); err != nil {
				return fmt.Errorf("collect articles: %w", err)
			}
			ids = append(ids, a)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("collect articles: %w", err)
		}
		if len(ids) == 0 {
			return nil
		}
		b, err := json.Marshal(ids)
		if err != nil {
			return fmt.Errorf("encode article ids: %w", err)
		}
		if _, err := tx.ExecContext(ctx, s.dialect.rebind(`INSERT INTO digests (id, frequency, article_ids, since, until, created_at, until_seq, fanout)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), id, string(freq), string(b), since, until, s.now().UnixNano(), untilSeq, FanOutPending); err != nil {
			return fmt.Errorf("store digest: %w", err)
		}
		d = syndicate.Digest{ID: id, Frequency: freq, ArticleIDs: ids, CreatedAt: s.now()}
		return nil
	})
	if err != nil {
		return syndicate.Digest{}, fmt.Errorf("build digest %s: %w", id, err)
	}
	return d, nil
}

// Digest returns the digest with the given ID; an ENOTFOUND error if there
// is none.
func (s *Store) Digest(ctx context.Context, id string) (syndicate.Digest, error) {
	d, err := s.digest(ctx, s.db, id)
	if errors.Is(err, sql.ErrNoRows) {
		return syndicate.Digest{}, syndicate.Errorf(syndicate.ENOTFOUND, "digest %s not found", id)
	}
	if err != nil {
		return syndicate.Digest{}, fmt.Errorf("read digest %s: %w", id, err)
	}
	return d, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) digest(ctx context.Context, q querier, id string) (syndicate.Digest, error) {
	var (
		d         syndicate.Digest
		freq, ids string
		created   int64
	)
	err := q.QueryRowContext(ctx, s.dialect.rebind(`SELECT id, frequency, article_ids, created_at FROM digests WHERE id = ?`), id).
		Scan(&d.ID, &freq, &ids, &created)
	if err != nil {
		return syndicate.Digest{}, err
	}
	if err := json.Unmarshal([]byte(ids), &d.ArticleIDs); err != nil {
		return syndicate.Digest{}, fmt.Errorf("decode article ids of digest %s: %w", id, err)
	}
	d.Frequency, d.CreatedAt = syndicate.Frequency(freq), fromNanos(created)
	return d, nil
}

// Fan-out states of an article or digest: whether its deliveries have all
// been planned and queued.
const (
	FanOutPending   = "pending"
	FanOutDone      = "done"
	FanOutCancelled = "cancelled"
)
