package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"syndicate"
)

const subscriberColumns = `id, email, name, frequency, status, created_at`

// emailKey is what makes two addresses the same subscriber: the whole
// address lowercased. Local parts are case-sensitive in theory, but no
// mailbox provider treats them so, and one person must not get two copies.
func emailKey(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// validSubscriberStatus reports whether st is one of the known statuses.
func validSubscriberStatus(st syndicate.SubscriberStatus) bool {
	switch st {
	case syndicate.SubscriberActive, syndicate.SubscriberPending, syndicate.SubscriberUnsubscribed, syndicate.SubscriberBounced:
		return true
	}
	return false
}

// UpsertSubscriber validates sub and adds it, or updates the subscriber with
// the same address (compared case-insensitively). It returns the stored row
// and whether it was new.
//
// The status is sub.Status, or active when that is empty, in both cases:
// re-adding an address that had unsubscribed or bounced (for example by
// `subscribers import`) makes it active again. That is deliberate, since an
// editor re-adding someone is a new opt-in, but a caller importing a list of
// unknown provenance should check Subscriber first and skip addresses that
// have left. The address is stored as given (with its domain lowercased by
// Validate), so a re-add may also change its capitalisation.
func (s *Store) UpsertSubscriber(ctx context.Context, sub syndicate.Subscriber) (syndicate.Subscriber, bool, error) {
	if err := sub.Validate(); err != nil {
		return syndicate.Subscriber{}, false, fmt.Errorf("save subscriber: %w", err)
	}
	if sub.Status == "" {
		sub.Status = syndicate.SubscriberActive
	}
	if !validSubscriberStatus(sub.Status) {
		return syndicate.Subscriber{}, false, syndicate.Errorf(syndicate.EINVALID, "subscriber status %q is not one of active, pending, unsubscribed, bounced", sub.Status)
	}
	now := s.now()
	created := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		// Insert-or-nothing first, then update: the same two statements are
		// race-free on PostgreSQL too, where the unique key settles it.
		var id, createdAt int64
		err := tx.QueryRowContext(ctx, s.dialect.rebind(`INSERT INTO subscribers
			(email, email_key, name, frequency, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (email_key) DO NOTHING
			RETURNING id, created_at`),
			sub.Email, emailKey(sub.Email), sub.Name, string(sub.Frequency), string(sub.Status), now.UnixNano(), now.UnixNano(),
		).Scan(&id, &createdAt)
		switch {
		case err == nil:
			created = true
		case errors.Is(err, sql.ErrNoRows):
			err = tx.QueryRowContext(ctx, s.dialect.rebind(`UPDATE subscribers
				SET email = ?, name = ?, frequency = ?, status = ?, updated_at = ?
				WHERE email_key = ?
				RETURNING id, created_at`),
				sub.Email, sub.Name, string(sub.Frequency), string(sub.Status), now.UnixNano(), emailKey(sub.Email),
			).Scan(&id, &createdAt)
			if err != nil {
				return err
			}
		default:
			return err
		}
		sub.ID, sub.CreatedAt = id, fromNanos(createdAt)
		return nil
	})
	if err != nil {
		return syndicate.Subscriber{}, false, fmt.Errorf("save subscriber %s: %w", sub.Email, err)
	}
	return sub, created, nil
}

// Subscriber returns the subscriber with the address email (compared
// case-insensitively); an ENOTFOUND error if there is none. Subscribers of
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
