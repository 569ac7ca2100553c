package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"syndicate"
)

// What the metrics and the alerts read of the ledger: counts over every
// item, asked at scrape time or once a minute, never on the sending path.

// UnfinishedDeliveries counts the rows not yet final (queued, sending,
// deferred) by channel and status, and returns when the oldest of them was
// planned (zero when every row is final).
func (s *Store) UnfinishedDeliveries(ctx context.Context) (map[syndicate.Channel]map[syndicate.DeliveryStatus]int, time.Time, error) {
	// Two statements, each matching a partial index's condition
	// (deliveries_pending, deliveries_deferred) with the statuses written
	// out (SQLite cannot use a partial index for bound values), so neither
	// reads the whole ledger.
	out := map[syndicate.Channel]map[syndicate.DeliveryStatus]int{}
	var oldest int64
	for _, where := range []string{`status IN ('queued', 'sending')`, `status = 'deferred'`} {
		if err := s.countUnfinished(ctx, where, out, &oldest); err != nil {
			return nil, time.Time{}, fmt.Errorf("count unfinished deliveries: %w", err)
		}
	}
	// The batches planned and not begun: their emails are queued.
	var (
		planned sql.NullInt64
		first   sql.NullInt64
	)
	if err := s.db.QueryRowContext(ctx, `SELECT SUM(planned), MIN(created_at) FROM email_plans WHERE status = 'planned'`).Scan(&planned, &first); err != nil {
		return nil, time.Time{}, fmt.Errorf("count unfinished deliveries: %w", err)
	}
	if planned.Int64 > 0 {
		if out[syndicate.ChannelEmail] == nil {
			out[syndicate.ChannelEmail] = map[syndicate.DeliveryStatus]int{}
		}
		out[syndicate.ChannelEmail][syndicate.StatusQueued] += int(planned.Int64)
		if oldest == 0 || first.Int64 < oldest {
			oldest = first.Int64
		}
	}
	if oldest == 0 {
		return out, time.Time{}, nil
	}
	return out, fromNanos(oldest), nil
}

// countUnfinished adds the rows matching where to out by channel and
// status, and lowers *oldest to the earliest created_at among them.
func (s *Store) countUnfinished(ctx context.Context, where string, out map[syndicate.Channel]map[syndicate.DeliveryStatus]int, oldest *int64) error {
	rows, err := s.db.QueryContext(ctx, `SELECT channel, status, COUNT(*), MIN(created_at) FROM deliveries
		WHERE `+where+` GROUP BY channel, status`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			ch, st string
			n      int
			first  int64
		)
		if err := rows.Scan(&ch, &st, &n, &first); err != nil {
			return err
		}
		c := syndicate.Channel(ch)
		if out[c] == nil {
			out[c] = map[syndicate.DeliveryStatus]int{}
		}
		out[c][syndicate.DeliveryStatus(st)] = n
		if *oldest == 0 || first < *oldest {
			*oldest = first
		}
	}
	return rows.Err()
}

// ItemProgress is how far one item's send has got: its rows still queued
// or sending and the last time any of its rows changed.
type ItemProgress struct {
	Item       string
	Unfinished int
	LastChange time.Time
}

// UnfinishedItems returns, for every item with rows queued or sending
// (deferred rows wait for the next day on purpose), how many there are
// and when any row of the item last changed.
func (s *Store) UnfinishedItems(ctx context.Context) ([]ItemProgress, error) {
	// The statuses are written out, not bound: only then can SQLite use
	// the partial index deliveries_pending for the inner query.
	rows, err := s.db.QueryContext(ctx, `SELECT d.item,
			SUM(CASE WHEN d.status IN ('queued', 'sending') THEN 1 ELSE 0 END), MAX(d.updated_at)
		FROM deliveries d
		WHERE d.item IN (SELECT item FROM deliveries WHERE status IN ('queued', 'sending'))
		GROUP BY d.item ORDER BY d.item`)
	if err != nil {
		return nil, fmt.Errorf("list unfinished sends: %w", err)
	}
	byItem := map[string]*ItemProgress{}
	if err := scanProgress(rows, byItem); err != nil {
		return nil, fmt.Errorf("list unfinished sends: %w", err)
	}
	// The batches planned and not begun: queued emails, planned when the
	// fan-out ran.
	rows, err = s.db.QueryContext(ctx, `SELECT item, SUM(planned), MAX(created_at) FROM email_plans
		WHERE status = 'planned' GROUP BY item`)
	if err != nil {
		return nil, fmt.Errorf("list unfinished sends: %w", err)
	}
	if err := scanProgress(rows, byItem); err != nil {
		return nil, fmt.Errorf("list unfinished sends: %w", err)
	}
	out := make([]ItemProgress, 0, len(byItem))
	for _, p := range byItem {
		out = append(out, *p)
	}
	slices.SortFunc(out, func(a, b ItemProgress) int { return strings.Compare(a.Item, b.Item) })
	return out, nil
}

// scanProgress reads rows of (item, unfinished, last change) into byItem,
// adding to what is there, and closes rows.
func scanProgress(rows *sql.Rows, byItem map[string]*ItemProgress) error {
	defer rows.Close()
	for rows.Next() {
		var (
			item string
			n    int
			last int64
		)
		if err := rows.Scan(&item, &n, &last); err != nil {
			return err
		}
		p := byItem[item]
		if p == nil {
			p = &ItemProgress{Item: item}
			byItem[item] = p
		}
		p.Unfinished += n
		if t := fromNanos(last); t.After(p.LastChange) {
			p.LastChange = t
		}
	}
	return rows.Err()
}

// EmailRates counts the email deliveries that reached a final status
// since since: all of them, those bounced, and those complained of.
func (s *Store) EmailRates(ctx context.Context, since time.Time) (total, bounced, complained int, err error) {
	// A bounce or complaint that comes in later moves the email's row
	// from sent to bounced or complained (package bounce), so the row's
	// status alone tells each outcome.
	row := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT COUNT(*),
			COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN status = ? THEN 1 ELSE 0 END), 0)
		FROM deliveries
		WHERE channel = ? AND updated_at >= ? AND status IN (?, ?, ?, ?)`),
		string(syndicate.StatusBounced), string(syndicate.StatusComplained), string(syndicate.ChannelEmail), since.UnixNano(),
		string(syndicate.StatusSent), string(syndicate.StatusBounced), string(syndicate.StatusSoftBounced), string(syndicate.StatusComplained))
	if err := row.Scan(&total, &bounced, &complained); err != nil {
		return 0, 0, 0, fmt.Errorf("count the day's email outcomes: %w", err)
	}
	return total, bounced, complained, nil
}
