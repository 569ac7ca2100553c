package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"syndicate"
)

// The suppression list: addresses never mailed, whatever their subscriber
// row says and whoever adds them again, until an editor removes them. Rows
// are keyed by syndicate.EmailKey, as subscribers are.

const suppressionColumns = `email, reason, detail, created_at`

// checkSuppression normalises sup's address and checks its reason.
func (s *Store) checkSuppression(sup *syndicate.Suppression) error {
	addr, err := syndicate.NormalizeEmail(sup.Email)
	if err != nil {
		return err
	}
	sup.Email = addr
	if sup.Reason, err = syndicate.ParseSuppressionReason(string(sup.Reason)); err != nil {
		return err
	}
	if sup.CreatedAt.IsZero() {
		sup.CreatedAt = s.now()
	}
	if _, err := toNanos(sup.CreatedAt); err != nil {
		return err
	}
	return nil
}

// AddSuppression puts sup's address on the suppression list, unless it is
// there already: the first reason and date are kept. added says whether
// it was new. An empty reason is manual; a zero date is now.
func (s *Store) AddSuppression(ctx context.Context, sup syndicate.Suppression) (added bool, err error) {
	n, err := s.AddSuppressions(ctx, []syndicate.Suppression{sup})
	return n == 1, err
}

// AddSuppressions is AddSuppression for many addresses in one
// transaction; it returns how many were new. Every address is checked
// before anything is written, so a bad one adds none.
func (s *Store) AddSuppressions(ctx context.Context, sups []syndicate.Suppression) (int, error) {
	for i := range sups {
		if err := s.checkSuppression(&sups[i]); err != nil {
			return 0, fmt.Errorf("suppress %s: %w", sups[i].Email, err)
		}
	}
	var added int
	err := s.write(ctx, func(tx *sql.Tx) error {
		added = 0
		for _, sup := range sups {
			res, err := tx.ExecContext(ctx, s.dialect.rebind(`INSERT INTO suppressions (email_key, email, reason, detail, created_at)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (email_key) DO NOTHING`),
				emailKey(sup.Email), sup.Email, string(sup.Reason), sup.Detail, sup.CreatedAt.UnixNano())
			if err != nil {
				return fmt.Errorf("suppress %s: %w", sup.Email, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("suppress %s: %w", sup.Email, err)
			}
			added += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("add %d suppressions: %w", len(sups), err)
	}
	return added, nil
}

// RemoveSuppression takes the address off the suppression list; an
// ENOTFOUND error if it is not on it. The subscriber row, if any, keeps
// its status: an unsubscribed or bounced subscriber stays so until
// re-subscribed.
func (s *Store) RemoveSuppression(ctx context.Context, email string) error {
	res, err := s.db.ExecContext(ctx, s.dialect.rebind(`DELETE FROM suppressions WHERE email_key = ?`), emailKey(email))
	if err != nil {
		return fmt.Errorf("remove suppression of %s: %w", email, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("remove suppression of %s: %w", email, err)
	}
	if n == 0 {
		return syndicate.Errorf(syndicate.ENOTFOUND, "%s is not on the suppression list", email)
	}
	return nil
}

// Suppression returns the suppression of the address; an ENOTFOUND error
// if it is not on the list.
func (s *Store) Suppression(ctx context.Context, email string) (syndicate.Suppression, error) {
	sup, err := scanSuppression(s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT `+suppressionColumns+` FROM suppressions WHERE email_key = ?`), emailKey(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return syndicate.Suppression{}, syndicate.Errorf(syndicate.ENOTFOUND, "%s is not on the suppression list", email)
	}
	if err != nil {
		return syndicate.Suppression{}, fmt.Errorf("read suppression of %s: %w", email, err)
	}
	return sup, nil
}

// ListSuppressions returns up to limit suppressions whose key (the
// lowercased address) sorts after after, in key order: pass the last
// address of one page to get the next.
func (s *Store) ListSuppressions(ctx context.Context, after string, limit int) ([]syndicate.Suppression, error) {
	if limit < 1 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "page size %d is not positive", limit)
	}
	k := ""
	if after != "" {
		k = emailKey(after)
	}
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT `+suppressionColumns+` FROM suppressions
		WHERE email_key > ? ORDER BY email_key LIMIT ?`), k, limit)
	if err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	defer rows.Close()
	var out []syndicate.Suppression
	for rows.Next() {
		sup, err := scanSuppression(rows)
		if err != nil {
			return nil, fmt.Errorf("list suppressions: %w", err)
		}
		out = append(out, sup)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list suppressions: %w", err)
	}
	return out, nil
}

// SuppressedAmong returns the suppressions of those of emails on the list,
// keyed by syndicate.EmailKey; one query per 500 addresses.
func (s *Store) SuppressedAmong(ctx context.Context, emails []string) (map[string]syndicate.Suppression, error) {
	out := map[string]syndicate.Suppression{}
	for chunk := range slices.Chunk(emails, batchChunk) {
		args := make([]any, len(chunk))
		for i, e := range chunk {
			args[i] = emailKey(e)
		}
		s.stmts.Add(1)
		rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT `+suppressionColumns+` FROM suppressions
			WHERE email_key IN (`+marks(len(chunk))+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("read suppressions of %d addresses: %w", len(chunk), err)
		}
		for rows.Next() {
			sup, err := scanSuppression(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("read suppressions of %d addresses: %w", len(chunk), err)
			}
			out[emailKey(sup.Email)] = sup
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("read suppressions of %d addresses: %w", len(chunk), err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read suppressions of %d addresses: %w", len(chunk), err)
		}
	}
	return out, nil
}

func scanSuppression(r scanner) (syndicate.Suppression, error) {
	var (
		sup    syndicate.Suppression
		reason string
		at     int64
	)
	if err := r.Scan(&sup.Email, &reason, &sup.Detail, &at); err != nil {
		return syndicate.Suppression{}, err
	}
	sup.Reason, sup.CreatedAt = syndicate.SuppressionReason(reason), fromNanos(at)
	return sup, nil
}

// SuppressionCounts counts the suppression list by reason.
func (s *Store) SuppressionCounts(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT reason, COUNT(*) FROM suppressions GROUP BY reason`)
	if err != nil {
		return nil, fmt.Errorf("count the suppression list: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			reason string
			n      int
		)
		if err := rows.Scan(&reason, &n); err != nil {
			return nil, fmt.Errorf("count the suppression list: %w", err)
		}
		out[reason] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count the suppression list: %w", err)
	}
	return out, nil
}
