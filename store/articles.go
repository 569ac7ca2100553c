package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"syndicate"
)

const articleColumns = `id, url, title, author, published_at, tags, summary, image, body, language, body_html`

// SaveArticle stores a after validating it, deriving its ID from its URL if
// it has none. Saving is idempotent by ID: when the article is already
// stored nothing changes and created is false, so publishing twice (CLI, API
// and feed poller racing each other) is one article.
func (s *Store) SaveArticle(ctx context.Context, a syndicate.Article) (created bool, err error) {
	return s.SaveArticleAt(ctx, a, time.Time{})
}

// SaveArticleAt is SaveArticle for an article whose delivery is due at at
// (zero: at once). The time is kept with the article, so a scheduled
// publish whose delayed task the queue lost can be queued again for it.
//
// Each new article gets the next number of a sequence in the order the
// inserts commit, which is what digests are collected by. On SQLite the
// one writer makes MAX(seq)+1 inside the insert's transaction commit-
// ordered. On PostgreSQL a SEQUENCE would not be (a lower value can commit
// after a higher one, and a digest built in between would skip it), so the
// insert holds a lock named "articles" from before it reads MAX(seq) until
// it commits: inserts commit one at a time, in seq order, and every
// committed seq is below every uncommitted one. Articles are few, so
// serialising their inserts costs nothing that matters.
func (s *Store) SaveArticleAt(ctx context.Context, a syndicate.Article, at time.Time) (created bool, err error) {
	if err := a.Validate(); err != nil {
		return false, fmt.Errorf("save article: %w", err)
	}
	if a.ID == "" {
		canon, err := syndicate.CanonicalURL(a.URL) // Validate has checked it
		if err != nil {
			return false, fmt.Errorf("save article: %w", err)
		}
		a.ID = syndicate.ArticleID(canon)
	}
	published, err := toNanos(a.PublishedAt)
	if err != nil {
		return false, fmt.Errorf("save article %s: published date: %w", a.ID, err)
	}
	due, err := toNanos(at)
	if err != nil {
		return false, fmt.Errorf("save article %s: publish time: %w", a.ID, err)
	}
	tags := a.Tags
	if tags == nil {
		tags = []string{}
	}
	tagsJSON, err := json.Marshal(tags)
	if err != nil {
		return false, fmt.Errorf("save article %s: encode tags: %w", a.ID, err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := s.dialect.lock(ctx, tx, "articles"); err != nil {
			return err
		}
		var seq int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM articles`).Scan(&seq); err != nil {
			return fmt.Errorf("number the article: %w", err)
		}
		res, err := tx.ExecContext(ctx, s.dialect.rebind(`INSERT INTO articles (`+articleColumns+`, created_at, seq, publish_at, fanout)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`),
			a.ID, a.URL, a.Title, a.Author, published, string(tagsJSON), a.Summary, a.Image, a.Body, cleanLanguage(a.Language), a.BodyHTML, s.now().UnixNano(), seq, due, FanOutPending)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		created = n == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("save article %s: %w", a.ID, err)
	}
	return created, nil
}

// Article returns the article with the given ID; an ENOTFOUND error if there
// is none.
func (s *Store) Article(ctx context.Context, id string) (syndicate.Article, error) {
	row := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT `+articleColumns+` FROM articles WHERE id = ?`), id)
	a, err := scanArticle(row)
	if errors.Is(err, sql.ErrNoRows) {
		return syndicate.Article{}, syndicate.Errorf(syndicate.ENOTFOUND, "article %s not found", id)
	}
	if err != nil {
		return syndicate.Article{}, fmt.Errorf("read article %s: %w", id, err)
	}
	return a, nil
}

// FindArticle returns the article that ref names: its ID, or any form of its
// URL (the URL is canonicalised the way IDs are derived, so tracking
// parameters and fragments do not matter). It is for editors, who have
// either at hand.
func (s *Store) FindArticle(ctx context.Context, ref string) (syndicate.Article, error) {
	a, err := s.Article(ctx, ref)
	if syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
		return a, err
	}
	canon, cerr := syndicate.CanonicalURL(ref)
	if cerr != nil {
		// Not a URL either: report it as the ID it was taken for.
		return syndicate.Article{}, err
	}
	a, err = s.Article(ctx, syndicate.ArticleID(canon))
	if syndicate.ErrorCode(err) == syndicate.ENOTFOUND {
		return syndicate.Article{}, syndicate.Errorf(syndicate.ENOTFOUND, "no article with URL %s", ref)
	}
	return a, err
}

// ArticlesSince returns the articles stored at or after t, newest published
// first. It goes by when an article reached the store, not by its
// PublishedAt, so that an article published with an older date, or found
// late by the feed poller, still makes the next digest instead of none.
func (s *Store) ArticlesSince(ctx context.Context, t time.Time) ([]syndicate.Article, error) {
	since, err := toNanos(t)
	if err != nil {
		return nil, fmt.Errorf("list articles since %s: %w", t.Format(time.RFC3339), err)
	}
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT `+articleColumns+` FROM articles
		WHERE created_at >= ? ORDER BY published_at DESC, id`), since)
	if err != nil {
		return nil, fmt.Errorf("list articles since %s: %w", t.Format(time.RFC3339), err)
	}
	defer rows.Close()
	var out []syndicate.Article
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, fmt.Errorf("list articles since %s: %w", t.Format(time.RFC3339), err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list articles since %s: %w", t.Format(time.RFC3339), err)
	}
	return out, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

func scanArticle(r scanner) (syndicate.Article, error) {
	var (
		a         syndicate.Article
		published int64
		tags      string
	)
	if err := r.Scan(&a.ID, &a.URL, &a.Title, &a.Author, &published, &tags, &a.Summary, &a.Image, &a.Body, &a.Language, &a.BodyHTML); err != nil {
		return syndicate.Article{}, err
	}
	a.PublishedAt = fromNanos(published)
	if err := json.Unmarshal([]byte(tags), &a.Tags); err != nil {
		return syndicate.Article{}, fmt.Errorf("decode tags of article %s: %w", a.ID, err)
	}
	return a, nil
}
