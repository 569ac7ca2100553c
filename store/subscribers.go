package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"syndicate"
)

const subscriberColumns = `id, email, name, frequency, status, created_at, handle, token_version`

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
// SubscriberSuppressed, unless resubscribe is set: suppression lasts until
// someone explicitly says otherwise. The check and the write are one
// transaction, with the row locked, so an unsubscribe landing in between is
// never overwritten.
//
// The status given is sub.Status, or active when that is empty.
func (s *Store) AddSubscriber(ctx context.Context, sub syndicate.Subscriber, resubscribe bool) (Saved, error) {
	return s.saveSubscriber(ctx, sub, resubscribe)
}

// UpsertSubscriber validates sub and adds it, or updates the subscriber with
// the same address, setting its status to sub.Status (active when empty)
// whatever it was. It returns the stored row and whether it was new.
//
// It is for callers that have already decided the status may change;
// anything importing or adding addresses on an editor's word uses
// AddSubscriber, which never revives a suppressed address by itself. The
// address is stored normalised (see syndicate.NormalizeEmail), so a re-add
// may change its capitalisation. A new row gets a random handle; a change
// of status or address moves the token version on, revoking the signed
// links made before.
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
		row, ok, err := s.insertSubscriber(ctx, tx, sub)
		if err != nil {
			return err
		}
		if ok {
			sub, outcome = row, SubscriberAdded
			return nil
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
		// A change of status or address revokes the links made before.
		row, err = scanSubscriber(tx.QueryRowContext(ctx, s.dialect.rebind(`UPDATE subscribers
			SET email = ?, name = ?, frequency = ?, status = ?,
				token_version = token_version + CASE WHEN status <> ? OR email <> ? THEN 1 ELSE 0 END,
				updated_at = ?
			WHERE id = ?
			RETURNING `+subscriberColumns),
			sub.Email, sub.Name, string(sub.Frequency), string(sub.Status), string(sub.Status), sub.Email, now.UnixNano(), cur.ID,
		))
		if err != nil {
			return err
		}
		sub = row
		return nil
	})
	if err != nil {
		return Saved{}, fmt.Errorf("save subscriber %s: %w", sub.Email, err)
	}
	return Saved{Subscriber: sub, Outcome: outcome, Was: was}, nil
}

// insertSubscriber adds sub with a new random handle and version 1, unless
// its address is taken; ok says whether it did.
func (s *Store) insertSubscriber(ctx context.Context, tx *sql.Tx, sub syndicate.Subscriber) (syndicate.Subscriber, bool, error) {
	h, err := newHandle()
	if err != nil {
		return syndicate.Subscriber{}, false, err
	}
	now := s.now().UnixNano()
	row, err := scanSubscriber(tx.QueryRowContext(ctx, s.dialect.rebind(`INSERT INTO subscribers
		(email, email_key, name, frequency, status, created_at, updated_at, handle, token_version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)
		ON CONFLICT (email_key) DO NOTHING
		RETURNING `+subscriberColumns),
		sub.Email, emailKey(sub.Email), sub.Name, string(sub.Frequency), string(sub.Status), now, now, h,
	))
	if errors.Is(err, sql.ErrNoRows) {
		return syndicate.Subscriber{}, false, nil
	}
	if err != nil {
		return syndicate.Subscriber{}, false, err
	}
	return row, true, nil
}

// newHandle returns a random subscriber handle: 16 bytes from crypto/rand
// in hex, unrelated to the address and unguessable.
func newHandle() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a subscriber handle: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// SignUp records a sign-up from the public form, whose sender has proved
// nothing. A new address is added as pending with sub's name and
// frequency; an unsubscribed one becomes pending again (a new version, so
// its old links are revoked) with its stored name and frequency; any
// other row is left exactly as it is. The form's name and frequency never
// touch an existing row: its owner can change the frequency from the
// preferences link in every email. It returns the stored row and whether
// it was new, and does the same work (one write transaction) either way.
func (s *Store) SignUp(ctx context.Context, sub syndicate.Subscriber) (syndicate.Subscriber, bool, error) {
	sub.Status = syndicate.SubscriberPending
	if err := sub.Validate(); err != nil {
		return syndicate.Subscriber{}, false, fmt.Errorf("sign up: %w", err)
	}
	var (
		row     syndicate.Subscriber
		created bool
	)
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if _, created, err = s.insertSubscriber(ctx, tx, sub); err != nil {
			return err
		}
		// The update runs for a new row too (where it changes nothing), so
		// that a known and an unknown address cost the same statements.
		row, err = scanSubscriber(tx.QueryRowContext(ctx, s.dialect.rebind(`UPDATE subscribers
			SET status = CASE WHEN status = ? THEN ? ELSE status END,
				token_version = token_version + CASE WHEN status = ? THEN 1 ELSE 0 END,
				updated_at = CASE WHEN status = ? THEN ? ELSE updated_at END
			WHERE email_key = ?
			RETURNING `+subscriberColumns),
			string(syndicate.SubscriberUnsubscribed), string(syndicate.SubscriberPending),
			string(syndicate.SubscriberUnsubscribed),
			string(syndicate.SubscriberUnsubscribed), s.now().UnixNano(),
			emailKey(sub.Email)))
		return err
	})
	if err != nil {
		return syndicate.Subscriber{}, false, fmt.Errorf("sign up %s: %w", sub.Email, err)
	}
	return row, created, nil
}

// SubscriberByHandle returns the subscriber whose handle is h (the name a
// signed link carries); an ENOTFOUND error if there is none.
func (s *Store) SubscriberByHandle(ctx context.Context, h string) (syndicate.Subscriber, error) {
	row := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT `+subscriberColumns+` FROM subscribers WHERE handle = ?`), h)
	sub, err := scanSubscriber(row)
	if errors.Is(err, sql.ErrNoRows) || h == "" {
		return syndicate.Subscriber{}, syndicate.Errorf(syndicate.ENOTFOUND, "no subscriber has this handle")
	}
	if err != nil {
		return syndicate.Subscriber{}, fmt.Errorf("read subscriber by handle: %w", err)
	}
	return sub, nil
}

// ConfirmSubscriber activates the pending subscriber with handle h if its
// token version is still version, and moves the version on, so a confirm
// link works once. It returns an ECONFLICT error when the subscriber is
// no longer pending at that version (confirmed, left, or signed up again
// since), and ENOTFOUND when there is no such handle.
func (s *Store) ConfirmSubscriber(ctx context.Context, h string, version int64) (syndicate.Subscriber, error) {
	row := s.db.QueryRowContext(ctx, s.dialect.rebind(`UPDATE subscribers
		SET status = ?, token_version = token_version + 1, updated_at = ?
		WHERE handle = ? AND token_version = ? AND status = ?
		RETURNING `+subscriberColumns),
		string(syndicate.SubscriberActive), s.now().UnixNano(), h, version, string(syndicate.SubscriberPending))
	sub, err := scanSubscriber(row)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.SubscriberByHandle(ctx, h); err != nil {
			return syndicate.Subscriber{}, err
		}
		return syndicate.Subscriber{}, syndicate.Errorf(syndicate.ECONFLICT, "this confirmation link was already used or replaced")
	}
	if err != nil {
		return syndicate.Subscriber{}, fmt.Errorf("confirm subscriber: %w", err)
	}
	return sub, nil
}

// Subscriber returns the subscriber with the address email (compared by
// syndicate.EmailKey); an ENOTFOUND error if there is none. Subscribers of
// every status are returned: the caller decides what a status means.
func (s *Store) Subscriber(ctx context.Context, email string) (syndicate.Subscriber, error) {
	s.stmts.Add(1)
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
// email, moving its token version on if the status changes; an ENOTFOUND
// error if there is none.
func (s *Store) SetSubscriberStatus(ctx context.Context, email string, status syndicate.SubscriberStatus) error {
	if !validSubscriberStatus(status) {
		return syndicate.Errorf(syndicate.EINVALID, "subscriber status %q is not one of active, pending, unsubscribed, bounced", status)
	}
	// A change of status revokes the links made before it.
	res, err := s.db.ExecContext(ctx, s.dialect.rebind(`UPDATE subscribers
		SET status = ?, token_version = token_version + CASE WHEN status <> ? THEN 1 ELSE 0 END, updated_at = ?
		WHERE email_key = ?`),
		string(status), string(status), s.now().UnixNano(), emailKey(email))
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

func scanSubscriber(r scanner) (syndicate.Subscriber, error) {
	var (
		sub       syndicate.Subscriber
		freq, st  string
		createdAt int64
	)
	if err := r.Scan(&sub.ID, &sub.Email, &sub.Name, &freq, &st, &createdAt, &sub.Handle, &sub.TokenVersion); err != nil {
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

// SubscribersByEmail returns the subscribers with the given addresses, of
// every status, keyed by syndicate.EmailKey of the address; addresses
// with no subscriber are absent. One query per 500 addresses.
func (s *Store) SubscribersByEmail(ctx context.Context, emails []string) (map[string]syndicate.Subscriber, error) {
	out := make(map[string]syndicate.Subscriber, len(emails))
	for chunk := range slices.Chunk(emails, batchChunk) {
		args := make([]any, len(chunk))
		for i, e := range chunk {
			args[i] = emailKey(e)
		}
		s.stmts.Add(1)
		rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT `+subscriberColumns+` FROM subscribers
			WHERE email_key IN (`+marks(len(chunk))+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("read %d subscribers: %w", len(chunk), err)
		}
		subs, err := scanSubscribers(rows)
		if err != nil {
			return nil, fmt.Errorf("read %d subscribers: %w", len(chunk), err)
		}
		for _, sub := range subs {
			out[emailKey(sub.Email)] = sub
		}
	}
	return out, nil
}
