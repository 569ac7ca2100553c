package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"syndicate"
)

// SaveArchivedEmail keeps the hosted copy of a sent email. It is
// idempotent by ID: a fan-out that runs again keeps the first copy, so the
// link in the emails already sent keeps showing what they showed.
func (s *Store) SaveArchivedEmail(ctx context.Context, e syndicate.ArchivedEmail) error {
	if e.ID == "" {
		return syndicate.Errorf(syndicate.EINVALID, "archived email has no ID")
	}
	sent, err := toNanos(e.SentAt)
	if err != nil {
		return fmt.Errorf("archive email %s: %w", e.ID, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.dialect.rebind(`INSERT INTO archive (id, frequency, subject, summary, html, sent_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
			e.ID, string(e.Frequency), e.Subject, e.Summary, e.HTML, sent)
		return err
	})
	if err != nil {
		return fmt.Errorf("archive email %s: %w", e.ID, err)
	}
	return nil
}

// ArchivedEmails returns up to limit archived emails sent before before
// (zero: now and ever), newest first, without their HTML.
func (s *Store) ArchivedEmails(ctx context.Context, before time.Time, limit int) ([]syndicate.ArchivedEmail, error) {
	until := int64(1<<63 - 1)
	if !before.IsZero() {
		n, err := toNanos(before)
		if err != nil {
			return nil, fmt.Errorf("list archived emails: %w", err)
		}
		until = n
	}
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT id, frequency, subject, summary, sent_at FROM archive
		WHERE sent_at < ? ORDER BY sent_at DESC, id LIMIT ?`), until, limit)
	if err != nil {
		return nil, fmt.Errorf("list archived emails: %w", err)
	}
	defer rows.Close()
	var out []syndicate.ArchivedEmail
	for rows.Next() {
		var (
			e    syndicate.ArchivedEmail
			freq string
			sent int64
		)
		if err := rows.Scan(&e.ID, &freq, &e.Subject, &e.Summary, &sent); err != nil {
			return nil, fmt.Errorf("list archived emails: %w", err)
		}
		e.Frequency, e.SentAt = syndicate.Frequency(freq), fromNanos(sent)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list archived emails: %w", err)
	}
	return out, nil
}

// ArchivedEmail returns the archived email with the ID, HTML included; an
// ENOTFOUND error if there is none.
func (s *Store) ArchivedEmail(ctx context.Context, id string) (syndicate.ArchivedEmail, error) {
	var (
		e    syndicate.ArchivedEmail
		freq string
		sent int64
	)
	err := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT id, frequency, subject, summary, html, sent_at FROM archive WHERE id = ?`), id).
		Scan(&e.ID, &freq, &e.Subject, &e.Summary, &e.HTML, &sent)
	if errors.Is(err, sql.ErrNoRows) {
		return syndicate.ArchivedEmail{}, syndicate.Errorf(syndicate.ENOTFOUND, "archived email %s not found", id)
	}
	if err != nil {
		return syndicate.ArchivedEmail{}, fmt.Errorf("read archived email %s: %w", id, err)
	}
	e.Frequency, e.SentAt = syndicate.Frequency(freq), fromNanos(sent)
	return e, nil
}

// languageTag is the shape of a BCP 47 tag ("ar", "pt-BR", "zh-Hant").
var languageTag = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}$`)

// cleanLanguage returns lang if it looks like a language tag, else "":
// an unknown language is not a reason to refuse an article.
func cleanLanguage(lang string) string {
	if languageTag.MatchString(lang) {
		return lang
	}
	return ""
}
