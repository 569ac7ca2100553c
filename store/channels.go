package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"syndicate"
)

// SetChannelState records what the program learnt about a channel's
// credentials, for `status` and `config check`.
func (s *Store) SetChannelState(ctx context.Context, ch syndicate.Channel, state, reason string) error {
	_, err := s.db.ExecContext(ctx, s.dialect.rebind(`INSERT INTO channel_states (channel, state, reason, updated_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (channel) DO UPDATE SET state = excluded.state, reason = excluded.reason, updated_at = excluded.updated_at`),
		string(ch), state, reason, s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("record state of channel %s: %w", ch, err)
	}
	return nil
}

// ChannelStates returns every recorded channel state, by channel name.
func (s *Store) ChannelStates(ctx context.Context) ([]syndicate.ChannelState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT channel, state, reason, updated_at FROM channel_states ORDER BY channel`)
	if err != nil {
		return nil, fmt.Errorf("read channel states: %w", err)
	}
	defer rows.Close()
	var out []syndicate.ChannelState
	for rows.Next() {
		var (
			cs      syndicate.ChannelState
			ch      string
			updated int64
		)
		if err := rows.Scan(&ch, &cs.State, &cs.Reason, &updated); err != nil {
			return nil, fmt.Errorf("read channel states: %w", err)
		}
		cs.Channel, cs.UpdatedAt = syndicate.Channel(ch), fromNanos(updated)
		out = append(out, cs)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read channel states: %w", err)
	}
	return out, nil
}

// ClaimDailyPost takes one of the max posts channel ch may start on day
// (a date in the editor's time zone, "2006-01-02"). It reports false when
// the day's posts are used up. Claims are atomic across processes, and a
// claim is not given back if the post then fails: the cap is a brake on
// what is billed, so it errs on the side of fewer posts.
func (s *Store) ClaimDailyPost(ctx context.Context, ch syndicate.Channel, day string, max int) (bool, error) {
	if max < 1 {
		// The insert below would grant the first claim of a day whatever
		// the cap, so a cap of none is settled here.
		return false, nil
	}
	// One statement checks and counts, so it is atomic on its own: on
	// PostgreSQL a concurrent claim of the same day waits for the row (or
	// for the conflicting insert) and then re-evaluates the WHERE against
	// the committed count. A claim over the cap updates nothing and so
	// returns no row.
	var n int
	err := s.db.QueryRowContext(ctx, s.dialect.rebind(`INSERT INTO post_counts (channel, day, n) VALUES (?, ?, 1)
		ON CONFLICT (channel, day) DO UPDATE SET n = post_counts.n + 1 WHERE post_counts.n < ?
		RETURNING n`), string(ch), day, max).Scan(&n)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("count the %s posts of %s: %w", ch, day, err)
	}
	return true, nil
}

// Delivered reports whether a webhook delivery was made, and its remote
// id: the persistent receipts the webhook channel needs so a retried job
// does not post again to targets that already have the post.
func (s *Store) Delivered(ctx context.Context, deliveryID string) (string, bool, error) {
	var remote string
	err := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT remote_id FROM webhook_receipts WHERE delivery_id = ?`), deliveryID).Scan(&remote)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read webhook receipt %s: %w", deliveryID, err)
	}
	return remote, true, nil
}

// Record keeps the receipt of a webhook delivery.
func (s *Store) Record(ctx context.Context, deliveryID, remoteID string) error {
	_, err := s.db.ExecContext(ctx, s.dialect.rebind(`INSERT INTO webhook_receipts (delivery_id, remote_id, created_at)
		VALUES (?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING`), deliveryID, remoteID, s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("record webhook receipt %s: %w", deliveryID, err)
	}
	return nil
}
