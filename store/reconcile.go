package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"syndicate"
)

// What the reconciler reads: the ledger rows and fan-outs that are not
// done and have not moved for a while, so that it can find those whose
// task the queue lost.

// StalledDeliveries returns up to limit rows queued or sending whose last
// change was before before, with an ID above afterID, in ID order (keyset
// paging); item "" means every item. Deferred rows are not stalled: their
// task sleeps until the next day.
func (s *Store) StalledDeliveries(ctx context.Context, item string, before time.Time, afterID int64, limit int) ([]syndicate.Delivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM deliveries
		WHERE status IN (?, ?) AND updated_at < ? AND id > ?`
	args := []any{string(syndicate.StatusQueued), string(syndicate.StatusSending), before.UnixNano(), afterID}
	if item != "" {
		q += ` AND item = ?`
		args = append(args, item)
	}
	q += ` ORDER BY id LIMIT ?`
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list stalled deliveries: %w", err)
	}
	defer rows.Close()
	var out []syndicate.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list stalled deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list stalled deliveries: %w", err)
	}
	return out, nil
}

// SubscriberIDs returns the IDs of the subscribers with the given
// addresses (compared as stored keys); addresses not found are absent.
func (s *Store) SubscriberIDs(ctx context.Context, emails []string) (map[string]int64, error) {
	out := make(map[string]int64, len(emails))
	const chunk = 500
	for start := 0; start < len(emails); start += chunk {
		part := emails[start:min(start+chunk, len(emails))]
		marks := make([]string, len(part))
		args := make([]any, len(part))
		byKey := make(map[string][]string, len(part))
		for i, e := range part {
			marks[i], args[i] = "?", emailKey(e)
			byKey[emailKey(e)] = append(byKey[emailKey(e)], e)
		}
		rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT email_key, id FROM subscribers
			WHERE email_key IN (`+strings.Join(marks, ", ")+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("look up %d subscribers: %w", len(part), err)
		}
		for rows.Next() {
			var (
				key string
				id  int64
			)
			if err := rows.Scan(&key, &id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up %d subscribers: %w", len(part), err)
			}
			for _, e := range byKey[key] {
				out[e] = id
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("look up %d subscribers: %w", len(part), err)
		}
	}
	return out, nil
}

// PendingPublishes returns the articles stored before before whose
// fan-out has not run, each with when it is due (zero: at once).
func (s *Store) PendingPublishes(ctx context.Context, before time.Time) (map[string]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT id, publish_at FROM articles
		WHERE fanout = ? AND created_at < ? ORDER BY seq`), FanOutPending, before.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("list pending publishes: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var (
			id string
			at int64
		)
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("list pending publishes: %w", err)
		}
		out[id] = fromNanos(at)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pending publishes: %w", err)
	}
	return out, nil
}

// PendingDigests returns the digests built before before whose fan-out
// has not finished.
func (s *Store) PendingDigests(ctx context.Context, before time.Time) ([]syndicate.Digest, error) {
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT id FROM digests
		WHERE fanout = ? AND created_at < ? ORDER BY created_at`), FanOutPending, before.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("list pending digests: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list pending digests: %w", err)
		}
		ids = append(ids, id)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("list pending digests: %w", err)
	}
	out := make([]syndicate.Digest, 0, len(ids))
	for _, id := range ids {
		d, err := s.Digest(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// FanOutState returns the fan-out state of an article or digest
// (FanOutPending, FanOutDone or FanOutCancelled); ENOTFOUND if there is
// neither by that ID.
func (s *Store) FanOutState(ctx context.Context, item string) (string, error) {
	table := "articles"
	if syndicate.IsDigestID(item) {
		table = "digests"
	}
	var st string
	err := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT fanout FROM `+table+` WHERE id = ?`), item).Scan(&st)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", syndicate.Errorf(syndicate.ENOTFOUND, "%s not found", item)
		}
		return "", fmt.Errorf("read the fan-out state of %s: %w", item, err)
	}
	return st, nil
}

// MarkFannedOut records that the fan-out of an article or digest has
// planned and queued all its deliveries. A cancelled one stays cancelled.
func (s *Store) MarkFannedOut(ctx context.Context, item string) error {
	return s.setFanOut(ctx, item, FanOutDone)
}

// CancelFanOut records that an article's fan-out was withdrawn, so the
// reconciler does not queue it again.
func (s *Store) CancelFanOut(ctx context.Context, item string) error {
	return s.setFanOut(ctx, item, FanOutCancelled)
}

func (s *Store) setFanOut(ctx context.Context, item, state string) error {
	table := "articles"
	if syndicate.IsDigestID(item) {
		table = "digests"
	}
	if _, err := s.db.ExecContext(ctx, s.dialect.rebind(`UPDATE `+table+` SET fanout = ? WHERE id = ? AND fanout = ?`),
		state, item, FanOutPending); err != nil {
		return fmt.Errorf("record the fan-out of %s as %s: %w", item, state, err)
	}
	return nil
}

// FixBatchSize records size as the emails per batch of item's fan-out,
// unless one is recorded already, and returns the recorded one: a fan-out
// run again after batch_size changed splits as the first run did.
func (s *Store) FixBatchSize(ctx context.Context, item string, size int64) (int64, error) {
	if size < 1 {
		return 0, fmt.Errorf("record the batch size of %s: %d is not positive", item, size)
	}
	if _, err := s.execRetrying(ctx, s.dialect.rebind(`INSERT INTO batch_splits (item, batch_size) VALUES (?, ?)
		ON CONFLICT (item) DO NOTHING`), item, size); err != nil {
		return 0, fmt.Errorf("record the batch size of %s: %w", item, err)
	}
	got, ok, err := s.BatchSize(ctx, item)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("record the batch size of %s: it was not kept", item)
	}
	return got, nil
}

// BatchSize returns the emails per batch item's fan-out used; false when
// none is recorded (a fan-out from before the record was kept).
func (s *Store) BatchSize(ctx context.Context, item string) (int64, bool, error) {
	var size int64
	err := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT batch_size FROM batch_splits WHERE item = ?`), item).Scan(&size)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("read the batch size of %s: %w", item, err)
	}
	return size, true, nil
}

// AddRetryRound records that a retry queued tasks of item's channel under
// round (see jobs.RetryEmailTaskID), before it queues them.
func (s *Store) AddRetryRound(ctx context.Context, item string, ch syndicate.Channel, round string) error {
	if _, err := s.execRetrying(ctx, s.dialect.rebind(`INSERT INTO retry_rounds (item, channel, round, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (item, channel, round) DO NOTHING`), item, string(ch), round, s.now().UnixNano()); err != nil {
		return fmt.Errorf("record retry %s of %s %s: %w", round, item, ch, err)
	}
	return nil
}

// RetryRounds returns the retry rounds of item's channel, newest first.
func (s *Store) RetryRounds(ctx context.Context, item string, ch syndicate.Channel) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT round FROM retry_rounds
		WHERE item = ? AND channel = ? ORDER BY created_at DESC, round DESC`), item, string(ch))
	if err != nil {
		return nil, fmt.Errorf("list the retries of %s %s: %w", item, ch, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("list the retries of %s %s: %w", item, ch, err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the retries of %s %s: %w", item, ch, err)
	}
	return out, nil
}
