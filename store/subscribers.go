package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"syndicate"
)

const subscriberColumns = `id, email, name, frequency, status, created_at`

// emailKey is what makes two addresses the same subscriber; the root
// package owns the rule so that the web form, the CLI and the store agree.
func emailKey(email string) string {
	return syndicate.EmailKey(email)
}

// validSubscriberStatus reports whether st is one of the known statuses.
func validSubscriberStatus(st syndicate.SubscriberStatus) bool {
	switch st {
	case syndicate.SubscriberActive, syndicate.SubscriberPending, syndicate.SubscriberUnsubscribed, syndicate.SubscriberBounced:
		return true
	}
	return false
}

// SaveOutcome says what AddSubscriber did.
type SaveOutcome string

// The outcomes of AddSubscriber.
const (
	SubscriberAdded        SaveOutcome = "added"
	SubscriberUpdated      SaveOutcome = "updated"
	SubscriberSuppressed   SaveOutcome = "suppressed" // left as it was: the address had unsubscribed, bounced or complained
	SubscriberResubscribed SaveOutcome = "resubscribed"
)

// Saved is what AddSubscriber did.
type Saved struct {
	Subscriber syndicate.Subscriber       // the row as stored now
	Outcome    SaveOutcome                // what changed
	Was        syndicate.SubscriberStatus // the status before; "" for a new row
}

// AddSubscriber validates sub and adds it, or updates the name, frequency
// and status of the subscriber with the same address (see
// syndicate.EmailKey). A stored subscriber whose status is suppressed
// (unsubscribed, bounced, or any status but active and pending; see
// SubscriberStatus.Suppressed) is left exactly as it was and returned with
// SubscriberSuppressed, unless
// resubscribe is set: suppression lasts until someone explicitly says
// otherwise. The check and the write are one transaction, with the row
// locked, so an unsubscribe landing in between is never overwritten.
//
// The status given is sub.Status, or active when that is empty.
func (s *Store) AddSubscriber(ctx context.Context, sub syndicate.Subscriber, resubscribe bool) (Saved, error) {
	return s.saveSubscriber(ctx, sub, resubscribe)
}

// UpsertSubscriber validates sub and adds it, or updates the subscriber with
// the same address, setting its status to sub.Status (active when empty)
// whatever it was. It returns the stored row and whether it was new.
//
// It is for callers that have already decided the status may change, such
// as a confirmed double opt-in; anything importing or adding addresses on
// an editor's word uses AddSubscriber, which never revives a suppressed
// address by itself. The address is stored normalised (see
// syndicate.NormalizeEmail), so a re-add may change its capitalisation.
func (s *Store) UpsertSubscriber(ctx context.Context, sub syndicate.Subscriber) (syndicate.Subscriber, bool, error) {
	saved, err := s.saveSubscriber(ctx, sub, true)
	return saved.Subscriber, saved.Outcome == SubscriberAdded, err
}

// saveSubscriber inserts sub or updates the row with its address; a
// suppressed row is only updated when overrideSuppressed is set.
func (s *Store) saveSubscriber(ctx context.Context, sub syndicate.Subscriber, overrideSuppressed bool) (Saved, error) {
	if err := sub.Validate(); err != nil {
		return Saved{}, fmt.Errorf("save subscriber: %w", err)
	}
	if sub.Status == "" {
		sub.Status = syndicate.SubscriberActive
	}
	if !validSubscriberStatus(sub.Status) {
		return Saved{}, syndicate.Errorf(syndicate.EINVALID, "subscriber status %q is not one of active, pending, unsubscribed, bounced", sub.Status)
	}
	now := s.now()
	key := emailKey(sub.Email)
	var outcome SaveOutcome
	var was syndicate.SubscriberStatus
	err := s.write(ctx, func(tx *sql.Tx) error {
		// Insert-or-nothing first, then lock and update: race-free on
		// PostgreSQL too, where the unique key settles concurrent inserts.
		var id, createdAt int64
		err := tx.QueryRowContext(ctx, s.dialect.rebind(`INSERT INTO subscribers
			(email, email_key, name, frequency, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (email_key) DO NOTHING
			RETURNING id, created_at`),
			sub.Email, key, sub.Name, string(sub.Frequency), string(sub.Status), now.UnixNano(), now.UnixNano(),
		).Scan(&id, &createdAt)
		if err == nil {
			sub.ID, sub.CreatedAt, outcome = id, fromNanos(createdAt), SubscriberAdded
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		cur, err := scanSubscriber(tx.QueryRowContext(ctx, s.dialect.rebind(`SELECT `+subscriberColumns+` FROM subscribers
			WHERE email_key = ?`+s.dialect.forUpdate), key))
		if err != nil {
			return err
		}
		outcome, was = SubscriberUpdated, cur.Status
		if cur.Status.Suppressed() {
			if !overrideSuppressed {
				sub, outcome = cur, SubscriberSuppressed
				return nil
			}
			if !sub.Status.Suppressed() {
				outcome = SubscriberResubscribed
			}
		}
		if _, err := tx.ExecContext(ctx, s.dialect.rebind(`UPDATE subscribers
			SET email = ?, name = ?, frequency = ?, status = ?, updated_at = ?
			WHERE id = ?`),
			sub.Email, sub.Name, string(sub.Frequency), string(sub.Status), now.UnixNano(), cur.ID); err != nil {
			return err
		}
		sub.ID, sub.CreatedAt = cur.ID, cur.CreatedAt
		return nil
	})
	if err != nil {
		return Saved{}, fmt.Errorf("save subscriber %s: %w", sub.Email, err)
	}
	return Saved{Subscriber: sub, Outcome: outcome, Was: was}, nil
}

// Subscriber returns the subscriber with the address email (compared by
// syndicate.EmailKey); an ENOTFOUND error if there is none. Subscribers of
// every status are returned: the caller decides what a status means.
func (s *Store) Subscriber(ctx context.Context, email string) (syndicate.Subscriber, error) {
	row := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT `+subscriberColumns+` FROM subscribers WHERE email_key = ?`), emailKey(email))
	sub, err := scanSubscriber(row)
	if errors.Is(err, sql.ErrNoRows) {
		return syndicate.Subscriber{}, syndicate.Errorf(syndicate.ENOTFOUND, "subscriber %s not found", email)
	}
	if err != nil {
		return syndicate.Subscriber{}, fmt.Errorf("read subscriber %s: %w", email, err)
	}
	return sub, nil
}

// RemoveSubscriber marks the subscriber unsubscribed. The row is kept so
// that the address is not mailed again and its deliveries still name it.
func (s *Store) RemoveSubscriber(ctx context.Context, email string) error {
	return s.SetSubscriberStatus(ctx, email, syndicate.SubscriberUnsubscribed)
}

// SetSubscriberStatus sets the status of the subscriber with the address
// email; an ENOTFOUND error if there is none.
func (s *Store) SetSubscriberStatus(ctx context.Context, email string, status syndicate.SubscriberStatus) error {
	if !validSubscriberStatus(status) {
		return syndicate.Errorf(syndicate.EINVALID, "subscriber status %q is not one of active, pending, unsubscribed, bounced", status)
	}
	res, err := s.db.ExecContext(ctx, s.dialect.rebind(`UPDATE subscribers SET status = ?, updated_at = ? WHERE email_key = ?`),
		string(status), s.now().UnixNano(), emailKey(email))
	if err != nil {
		return fmt.Errorf("set status of subscriber %s to %s: %w", email, status, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("set status of subscriber %s to %s: %w", email, status, err)
	}
	if n == 0 {
		return syndicate.Errorf(syndicate.ENOTFOUND, "subscriber %s not found", email)
	}
	return nil
}

// ListSubscribers returns up to limit subscribers of any status whose ID is
// greater than afterID, in ID order: pass the last ID of one page to get
// the next. Keyset paging stays correct while subscribers are added.
func (s *Store) ListSubscribers(ctx context.Context, afterID int64, limit int) ([]syndicate.Subscriber, error) {
	if limit < 1 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "page size %d is not positive", limit)
	}
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT `+subscriberColumns+` FROM subscribers
		WHERE id > ? ORDER BY id LIMIT ?`), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list subscribers after %d: %w", afterID, err)
	}
	subs, err := scanSubscribers(rows)
	if err != nil {
		return nil, fmt.Errorf("list subscribers after %d: %w", afterID, err)
	}
	return subs, nil
}

// SubscribersAfter returns up to limit active subscribers of freq whose ID
// is greater than afterID, in ID order (keyset paging).
func (s *Store) SubscribersAfter(ctx context.Context, freq syndicate.Frequency, afterID int64, limit int) ([]syndicate.Subscriber, error) {
	if limit < 1 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "page size %d is not positive", limit)
	}
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT `+subscriberColumns+` FROM subscribers
		WHERE frequency = ? AND status = ? AND id > ? ORDER BY id LIMIT ?`),
		string(freq), string(syndicate.SubscriberActive), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list %s subscribers after %d: %w", freq, afterID, err)
	}
	subs, err := scanSubscribers(rows)
	if err != nil {
		return nil, fmt.Errorf("list %s subscribers after %d: %w", freq, afterID, err)
	}
	return subs, nil
}

func scanSubscriber(r scanner) (syndicate.Subscriber, error) {
	var (
		sub       syndicate.Subscriber
		freq, st  string
		createdAt int64
	)
	if err := r.Scan(&sub.ID, &sub.Email, &sub.Name, &freq, &st, &createdAt); err != nil {
		return syndicate.Subscriber{}, err
	}
	sub.Frequency, sub.Status, sub.CreatedAt = syndicate.Frequency(freq), syndicate.SubscriberStatus(st), fromNanos(createdAt)
	return sub, nil
}

// scanSubscribers reads and closes rows.
func scanSubscribers(rows *sql.Rows) ([]syndicate.Subscriber, error) {
	defer rows.Close()
	var out []syndicate.Subscriber
	for rows.Next() {
		sub, err := scanSubscriber(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sub)
	}
	return out, rows.Err()
}

// SetSubscriberFrequency sets how often the subscriber with the address
// email is mailed; an ENOTFOUND error if there is none.
func (s *Store) SetSubscriberFrequency(ctx context.Context, email string, freq syndicate.Frequency) error {
	if _, err := syndicate.ParseFrequency(string(freq)); err != nil || freq == "" {
		return syndicate.Errorf(syndicate.EINVALID, "frequency %q is not one of instant, daily, weekly", freq)
	}
	res, err := s.db.ExecContext(ctx, s.dialect.rebind(`UPDATE subscribers SET frequency = ?, updated_at = ? WHERE email_key = ?`),
		string(freq), s.now().UnixNano(), emailKey(email))
	if err != nil {
		return fmt.Errorf("set frequency of subscriber %s to %s: %w", email, freq, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("set frequency of subscriber %s to %s: %w", email, freq, err)
	}
	if n == 0 {
		return syndicate.Errorf(syndicate.ENOTFOUND, "subscriber %s not found", email)
	}
	return nil
}
