package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"syndicate"
)

// RecordBounce stores r unless an event with its key is stored already,
// and reports whether the stored event's outcome has been carried out
// (MarkBounceApplied): true means there is nothing left to do.
func (s *Store) RecordBounce(ctx context.Context, r syndicate.Bounce) (applied bool, err error) {
	if r.Key == "" || r.Kind == "" {
		return false, syndicate.Errorf(syndicate.EINVALID, "a bounce needs a key and a kind")
	}
	at, err := toNanos(r.At)
	if err != nil {
		return false, err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.dialect.rebind(`INSERT INTO bounce_events
			(event_key, email_key, kind, provider, delivery_id, diagnostic, occurred_at, created_at, applied)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (event_key) DO NOTHING`),
			r.Key, emailKey(r.Email), r.Kind, r.Provider, r.DeliveryID, r.Diagnostic, at, s.now().UnixNano()); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.dialect.rebind(`SELECT applied FROM bounce_events WHERE event_key = ?`), r.Key).Scan(&n); err != nil {
			return err
		}
		applied = n == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("record %s bounce of %s: %w", r.Kind, r.Email, err)
	}
	return applied, nil
}

// MarkBounceApplied records that the outcome of the event with key has
// been carried out, so a replay of it does nothing.
func (s *Store) MarkBounceApplied(ctx context.Context, key string) error {
	if _, err := s.execRetrying(ctx, s.dialect.rebind(`UPDATE bounce_events SET applied = 1 WHERE event_key = ?`), key); err != nil {
		return fmt.Errorf("mark bounce %s applied: %w", key, err)
	}
	return nil
}

// CountBounces counts the stored events of kind for the address that
// happened at or after since.
func (s *Store) CountBounces(ctx context.Context, email, kind string, since time.Time) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT COUNT(*) FROM bounce_events
		WHERE email_key = ? AND kind = ? AND occurred_at >= ?`), emailKey(email), kind, since.UnixNano()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count %s bounces of %s: %w", kind, email, err)
	}
	return n, nil
}

// DeliveryByID returns the ledger row with the ID; an ENOTFOUND error if
// there is none.
func (s *Store) DeliveryByID(ctx context.Context, id int64) (syndicate.Delivery, error) {
	d, err := scanDelivery(s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return syndicate.Delivery{}, syndicate.Errorf(syndicate.ENOTFOUND, "no delivery %d in the ledger", id)
	}
	if err != nil {
		return syndicate.Delivery{}, fmt.Errorf("read delivery %d: %w", id, err)
	}
	return d, nil
}

// DeliveryByMessageID returns the email ledger row whose message had the
// Message-ID (with or without its angle brackets); an ENOTFOUND error if
// there is none.
//
// A Message-ID of jobs.MessageID has a dot after its 32 hex digits and
// then its row's ID: the row is read by primary key and must have recorded
// that very Message-ID. Any other (one written before they carried the
// row's ID) is found through the partial index deliveries_remote_id_v1,
// which holds only those.
func (s *Store) DeliveryByMessageID(ctx context.Context, messageID string) (syndicate.Delivery, error) {
	mid := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(messageID), "<"), ">")
	if mid == "" {
		return syndicate.Delivery{}, syndicate.Errorf(syndicate.ENOTFOUND, "no Message-ID")
	}
	var row *sql.Row
	if id, ok := messageRowID(mid); ok {
		row = s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT `+deliveryColumns+` FROM deliveries
			WHERE id = ? AND channel = ? AND remote_id = ?`), id, string(syndicate.ChannelEmail), mid)
	} else {
		row = s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT `+deliveryColumns+` FROM deliveries
			WHERE remote_id = ? AND channel = ? AND `+unnumberedRemoteIDs+` ORDER BY id LIMIT 1`), mid, string(syndicate.ChannelEmail))
	}
	d, err := scanDelivery(row)
	if errors.Is(err, sql.ErrNoRows) {
		return syndicate.Delivery{}, syndicate.Errorf(syndicate.ENOTFOUND, "no email with Message-ID <%s> in the ledger", mid)
	}
	if err != nil {
		return syndicate.Delivery{}, fmt.Errorf("read delivery of Message-ID <%s>: %w", mid, err)
	}
	return d, nil
}

// unnumberedRemoteIDs is the condition of the partial index of the remote
// IDs that do not carry their row's ID. A query must say it in these words
// for the index to serve it.
const unnumberedRemoteIDs = `remote_id <> '' AND substr(remote_id, 33, 1) <> '.'`

// messageRowID returns the row ID of a Message-ID of jobs.MessageID
// ("<32 hex digits>.<id>@<domain>").
func messageRowID(mid string) (int64, bool) {
	at := strings.IndexByte(mid, '@')
	if at < 34 || mid[32] != '.' {
		return 0, false
	}
	num := mid[33:at]
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id < 1 || strconv.FormatInt(id, 10) != num {
		return 0, false
	}
	return id, true
}

// outcomeRank orders what can be learnt about a sent email: each outcome
// replaces only those ranked below it, so a late soft bounce never hides
// a hard one, and a replay changes nothing.
var outcomeRank = map[syndicate.DeliveryStatus]int{
	syndicate.StatusUnknown:     0, // a bounce proves it went
	syndicate.StatusSent:        0,
	syndicate.StatusSoftBounced: 1,
	syndicate.StatusBounced:     2,
	syndicate.StatusComplained:  3,
}

// RecordDeliveryOutcome sets the status of the sent email with the ledger
// ID to a later outcome (soft_bounced, bounced, complained), with note as
// its error text, if the row is sent (or unknown) or has a lesser outcome;
// otherwise it changes nothing. changed says whether it did.
func (s *Store) RecordDeliveryOutcome(ctx context.Context, id int64, status syndicate.DeliveryStatus, note string) (changed bool, err error) {
	rank, ok := outcomeRank[status]
	if !ok || rank == 0 {
		return false, syndicate.Errorf(syndicate.EINVALID, "delivery status %q is not an outcome learnt after sending", status)
	}
	var below []any
	for st, r := range outcomeRank {
		if r < rank {
			below = append(below, string(st))
		}
	}
	args := append([]any{string(status), note, s.now().UnixNano(), id, string(syndicate.ChannelEmail)}, below...)
	res, err := s.execRetrying(ctx, s.dialect.rebind(`UPDATE deliveries SET status = ?, error = ?, updated_at = ?
		WHERE id = ? AND channel = ? AND status IN (`+marks(len(below))+`)`), args...)
	if err != nil {
		return false, fmt.Errorf("record delivery %d as %s: %w", id, status, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("record delivery %d as %s: %w", id, status, err)
	}
	return n > 0, nil
}

// ComplaintRate counts the complaints recorded for the events of the
// period since since, and the emails sent in it (by the ledger rows
// created since then whose email went: sent, or with a later outcome).
func (s *Store) ComplaintRate(ctx context.Context, since time.Time) (complaints, sent int, err error) {
	if err := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT COUNT(DISTINCT email_key) FROM bounce_events
		WHERE kind = ? AND occurred_at >= ?`), "complaint", since.UnixNano()).Scan(&complaints); err != nil {
		return 0, 0, fmt.Errorf("count complaints: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT COUNT(*) FROM deliveries
		WHERE channel = ? AND created_at >= ? AND status IN (?, ?, ?, ?)`),
		string(syndicate.ChannelEmail), since.UnixNano(),
		string(syndicate.StatusSent), string(syndicate.StatusSoftBounced), string(syndicate.StatusBounced), string(syndicate.StatusComplained)).Scan(&sent); err != nil {
		return 0, 0, fmt.Errorf("count emails sent: %w", err)
	}
	return complaints, sent, nil
}
