package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"syndicate"
)

// The dashboard's reads: summaries over many rows, for an editor.

// RecentArticles returns up to limit articles, the most recently stored
// first.
func (s *Store) RecentArticles(ctx context.Context, limit int) ([]syndicate.Article, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT `+articleColumns+` FROM articles
		ORDER BY seq DESC, created_at DESC, id LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("list recent articles: %w", err)
	}
	defer rows.Close()
	var out []syndicate.Article
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, fmt.Errorf("list recent articles: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list recent articles: %w", err)
	}
	return out, nil
}

// ItemCounts counts the ledger rows of each of items by channel and
// status, in one statement per batchChunk items. Items without rows are
// absent.
func (s *Store) ItemCounts(ctx context.Context, items []string) (map[string]map[syndicate.Channel]map[syndicate.DeliveryStatus]int, error) {
	out := map[string]map[syndicate.Channel]map[syndicate.DeliveryStatus]int{}
	for i := 0; i < len(items); i += batchChunk {
		chunk := items[i:min(i+batchChunk, len(items))]
		args := make([]any, len(chunk))
		for j, it := range chunk {
			args[j] = it
		}
		rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT item, channel, status, COUNT(*) FROM deliveries
			WHERE item IN (`+marks(len(chunk))+`) GROUP BY item, channel, status`), args...)
		if err != nil {
			return nil, fmt.Errorf("count deliveries of %d items: %w", len(items), err)
		}
		for rows.Next() {
			var (
				item, ch, st string
				n            int
			)
			if err := rows.Scan(&item, &ch, &st, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("count deliveries of %d items: %w", len(items), err)
			}
			if out[item] == nil {
				out[item] = map[syndicate.Channel]map[syndicate.DeliveryStatus]int{}
			}
			c := syndicate.Channel(ch)
			if out[item][c] == nil {
				out[item][c] = map[syndicate.DeliveryStatus]int{}
			}
			out[item][c][syndicate.DeliveryStatus(st)] = n
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("count deliveries of %d items: %w", len(items), err)
		}
	}
	err := s.addPlanCounts(ctx, items, func(item string, st syndicate.DeliveryStatus, n int) {
		if out[item] == nil {
			out[item] = map[syndicate.Channel]map[syndicate.DeliveryStatus]int{}
		}
		if out[item][syndicate.ChannelEmail] == nil {
			out[item][syndicate.ChannelEmail] = map[syndicate.DeliveryStatus]int{}
		}
		out[item][syndicate.ChannelEmail][st] += n
	})
	if err != nil {
		return nil, fmt.Errorf("count deliveries of %d items: %w", len(items), err)
	}
	return out, nil
}

// failureStatuses are the outcomes an editor may have to act on.
var failureStatuses = []syndicate.DeliveryStatus{syndicate.StatusFailed, syndicate.StatusUnknown, syndicate.StatusBounced}

// Failures returns up to limit ledger rows, of every item, that failed,
// bounced or whose outcome is unknown, the most recently changed first.
func (s *Store) Failures(ctx context.Context, limit int) ([]syndicate.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	quoted := make([]string, len(failureStatuses))
	for i, st := range failureStatuses {
		quoted[i] = "'" + string(st) + "'" // constants: the partial index's own words
	}
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT `+deliveryColumns+` FROM deliveries
		WHERE status IN (`+strings.Join(quoted, ", ")+`) ORDER BY updated_at DESC, id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("list failed deliveries: %w", err)
	}
	defer rows.Close()
	var out []syndicate.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list failed deliveries: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list failed deliveries: %w", err)
	}
	return out, nil
}

// SubscriberCounts counts the subscribers by frequency and status.
func (s *Store) SubscriberCounts(ctx context.Context) (map[syndicate.Frequency]map[syndicate.SubscriberStatus]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT frequency, status, COUNT(*) FROM subscribers GROUP BY frequency, status`)
	if err != nil {
		return nil, fmt.Errorf("count subscribers: %w", err)
	}
	defer rows.Close()
	out := map[syndicate.Frequency]map[syndicate.SubscriberStatus]int{}
	for rows.Next() {
		var (
			f, st string
			n     int
		)
		if err := rows.Scan(&f, &st, &n); err != nil {
			return nil, fmt.Errorf("count subscribers: %w", err)
		}
		fr := syndicate.Frequency(f)
		if out[fr] == nil {
			out[fr] = map[syndicate.SubscriberStatus]int{}
		}
		out[fr][syndicate.SubscriberStatus(st)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count subscribers: %w", err)
	}
	return out, nil
}

// DeliveriesToReview returns up to limit rows of item, those an editor
// may have to act on first (failed, unknown, bounced), then those not yet
// final, then the rest, each group by channel and address; so a page of a
// send to many subscribers need not read them all.
func (s *Store) DeliveriesToReview(ctx context.Context, item string, limit int) ([]syndicate.Delivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT `+deliveryColumns+` FROM deliveries WHERE item = ?
		ORDER BY CASE WHEN status IN ('failed', 'unknown', 'bounced') THEN 0 WHEN status IN ('queued', 'sending', 'deferred') THEN 1 ELSE 2 END,
		channel, subscriber_key LIMIT ?`), item, limit)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %s to review: %w", item, err)
	}
	defer rows.Close()
	var out []syndicate.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list deliveries of %s to review: %w", item, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deliveries of %s to review: %w", item, err)
	}
	// The emails of batches not begun: not final (queued) or final
	// (cancelled), in their place in that order.
	planned, err := s.plannedDeliveries(ctx, item)
	if err != nil || len(planned) == 0 {
		return out, err
	}
	out = append(out, planned...)
	group := func(st syndicate.DeliveryStatus) int {
		switch {
		case slices.Contains(failureStatuses, st):
			return 0
		case !st.Final():
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b syndicate.Delivery) int {
		return cmp.Or(cmp.Compare(group(a.Status), group(b.Status)), strings.Compare(string(a.Channel), string(b.Channel)),
			strings.Compare(emailKey(a.Subscriber), emailKey(b.Subscriber)))
	})
	return out[:min(limit, len(out))], nil
}
