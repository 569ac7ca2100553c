package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// migrations are the schema changes in order; migrations[i] brings the
// schema to version i+1. Applied versions are recorded in schema_version.
// Never edit a released migration: append a new one. "{{autoid}}" stands for
// the dialect's auto-assigned integer primary key, "{{randomhandle}}" for
// its expression of 32 random hex digits.
var migrations = [][]string{
	{ // 1: articles, subscribers, deliveries
		`CREATE TABLE articles (
			id           TEXT PRIMARY KEY,
			url          TEXT NOT NULL,
			title        TEXT NOT NULL,
			author       TEXT NOT NULL,
			published_at BIGINT NOT NULL,
			tags         TEXT NOT NULL,
			summary      TEXT NOT NULL,
			image        TEXT NOT NULL,
			body         TEXT NOT NULL,
			created_at   BIGINT NOT NULL
		)`,
		`CREATE INDEX articles_created_at ON articles (created_at)`,
		`CREATE TABLE subscribers (
			id         {{autoid}},
			email      TEXT NOT NULL,
			email_key  TEXT NOT NULL UNIQUE,
			name       TEXT NOT NULL,
			frequency  TEXT NOT NULL,
			status     TEXT NOT NULL,
			created_at BIGINT NOT NULL,
			updated_at BIGINT NOT NULL
		)`,
		`CREATE INDEX subscribers_send ON subscribers (frequency, status, id)`,
		// subscriber_key is the lowercased address: the same person is one
		// row however their address was capitalised when the job ran.
		`CREATE TABLE deliveries (
			id             {{autoid}},
			item           TEXT NOT NULL,
			channel        TEXT NOT NULL,
			subscriber     TEXT NOT NULL,
			subscriber_key TEXT NOT NULL,
			status         TEXT NOT NULL,
			attempts       INTEGER NOT NULL,
			remote_id      TEXT NOT NULL,
			error          TEXT NOT NULL,
			created_at     BIGINT NOT NULL,
			updated_at     BIGINT NOT NULL,
			UNIQUE (item, channel, subscriber_key)
		)`,
	},
	{ // 2: digests
		// A digest covers the articles stored in (since, until]; the next
		// digest of the same frequency starts where this one ended.
		`CREATE TABLE digests (
			id          TEXT PRIMARY KEY,
			frequency   TEXT NOT NULL,
			article_ids TEXT NOT NULL,
			since       BIGINT NOT NULL,
			until       BIGINT NOT NULL,
			created_at  BIGINT NOT NULL
		)`,
		`CREATE INDEX digests_frequency_until ON digests (frequency, until)`,
	},
	{ // 3: channel states, daily post counts, webhook receipts
		`CREATE TABLE channel_states (
			channel    TEXT PRIMARY KEY,
			state      TEXT NOT NULL,
			reason     TEXT NOT NULL,
			updated_at BIGINT NOT NULL
		)`,
		// post_counts holds the posts each channel has started per day, for
		// max_posts_per_day.
		`CREATE TABLE post_counts (
			channel TEXT NOT NULL,
			day     TEXT NOT NULL,
			n       INTEGER NOT NULL,
			PRIMARY KEY (channel, day)
		)`,
		`CREATE TABLE webhook_receipts (
			delivery_id TEXT PRIMARY KEY,
			remote_id   TEXT NOT NULL,
			created_at  BIGINT NOT NULL
		)`,
	},
	{ // 4: feed poller state and the feed items already seen
		// initialized is 0 or 1: INTEGER reads the same in SQLite and
		// PostgreSQL, where BOOLEAN would not.
		`CREATE TABLE feed_states (
			url           TEXT PRIMARY KEY,
			etag          TEXT NOT NULL,
			last_modified TEXT NOT NULL,
			initialized   INTEGER NOT NULL,
			failures      INTEGER NOT NULL,
			next_try      BIGINT NOT NULL,
			last_error    TEXT NOT NULL,
			last_polled   BIGINT NOT NULL
		)`,
		`CREATE TABLE feed_items (
			feed_url TEXT NOT NULL,
			key      TEXT NOT NULL,
			seen_at  BIGINT NOT NULL,
			PRIMARY KEY (feed_url, key)
		)`,
	},
	{ // 5: opaque subscriber handles and token versions for signed links
		// handle is random and unique: links name a subscriber by it, never
		// by address. token_version is in every link and changes with the
		// status or the address, which revokes older links.
		`ALTER TABLE subscribers ADD COLUMN handle TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE subscribers ADD COLUMN token_version BIGINT NOT NULL DEFAULT 1`,
		`UPDATE subscribers SET handle = {{randomhandle}}`,
		`CREATE UNIQUE INDEX subscribers_handle ON subscribers (handle)`,
	},
	{ // 6: commit-ordered article sequence, fan-out state, pending deliveries
		// seq numbers articles in the order their inserts committed (see
		// SaveArticle); a digest covers the seqs after the last one's
		// until_seq, so no article falls between two digests. Existing
		// articles are numbered by created_at, and each existing digest
		// ends at the last article stored by its until.
		`ALTER TABLE articles ADD COLUMN seq BIGINT NOT NULL DEFAULT 0`,
		`UPDATE articles SET seq = (SELECT COUNT(*) FROM articles b
			WHERE b.created_at < articles.created_at OR (b.created_at = articles.created_at AND b.id <= articles.id))`,
		`CREATE INDEX articles_seq ON articles (seq)`,
		`ALTER TABLE digests ADD COLUMN until_seq BIGINT NOT NULL DEFAULT 0`,
		`UPDATE digests SET until_seq = (SELECT COALESCE(MAX(seq), 0) FROM articles WHERE articles.created_at <= digests.until)`,
		// publish_at is when a scheduled publish is due (0: at once), and
		// fanout says whether the article's or digest's fan-out has run
		// (pending, done, cancelled), so the reconciler can queue again a
		// fan-out whose task Redis lost. What exists already has run.
		`ALTER TABLE articles ADD COLUMN publish_at BIGINT NOT NULL DEFAULT 0`,
		`ALTER TABLE articles ADD COLUMN fanout TEXT NOT NULL DEFAULT 'done'`,
		`ALTER TABLE digests ADD COLUMN fanout TEXT NOT NULL DEFAULT 'done'`,
		`CREATE INDEX articles_fanout ON articles (fanout) WHERE fanout = 'pending'`,
		`CREATE INDEX digests_fanout ON digests (fanout) WHERE fanout = 'pending'`,
		// The reconciler reads the rows not yet final; a partial index keeps
		// that cheap without slowing the writes of final rows.
		`CREATE INDEX deliveries_pending ON deliveries (updated_at) WHERE status IN ('queued', 'sending')`,
	},
	{ // 7: article language; the public archive of sent emails
		// language is the article's BCP 47 base language ("" if not
		// known), so emails set lang and dir from it.
		`ALTER TABLE articles ADD COLUMN language TEXT NOT NULL DEFAULT ''`,
		// One row per sent digest or instant email: its hosted copy,
		// rendered once at fan-out with no subscriber in it.
		`CREATE TABLE archive (
			id        TEXT PRIMARY KEY,
			frequency TEXT NOT NULL,
			subject   TEXT NOT NULL,
			summary   TEXT NOT NULL,
			html      TEXT NOT NULL,
			sent_at   BIGINT NOT NULL
		)`,
		`CREATE INDEX archive_sent_at ON archive (sent_at)`,
	},
	{ // 8: alert incidents, and the lease of the one alerts check running
		`CREATE TABLE alert_incidents (
			incident   TEXT PRIMARY KEY,
			kind       TEXT NOT NULL,
			message    TEXT NOT NULL,
			state      TEXT NOT NULL,
			opened_at  BIGINT NOT NULL,
			cleared_at BIGINT NOT NULL,
			notified   BIGINT NOT NULL
		)`,
		`CREATE TABLE alert_lease (
			id          INTEGER PRIMARY KEY,
			holder      TEXT NOT NULL,
			lease_until BIGINT NOT NULL
		)`,
		// The metrics count deferred rows at every scrape; like
		// deliveries_pending, the index holds only the rows it finds.
		`CREATE INDEX deliveries_deferred ON deliveries (created_at) WHERE status = 'deferred'`,
	},
	{ // 9: the dashboard's failures page
		// The dashboard lists the latest failures across all items; a
		// partial index keeps that from reading the whole ledger.
		`CREATE INDEX deliveries_failures ON deliveries (updated_at) WHERE status IN ('failed', 'unknown', 'bounced')`,
	},
	{ // 10: the batch split of each fan-out, and the retry rounds
		// batch_size is the one an item's email fan-out used, so repair
		// and retry after a change of batch_size still rebuild the same
		// buckets; retry_rounds names the tasks `syndicate retry` queued,
		// so the reconciler can ask the queue for them.
		`CREATE TABLE batch_splits (
			item       TEXT NOT NULL PRIMARY KEY,
			batch_size BIGINT NOT NULL
		)`,
		`CREATE TABLE retry_rounds (
			item       TEXT NOT NULL,
			channel    TEXT NOT NULL,
			round      TEXT NOT NULL,
			created_at BIGINT NOT NULL,
			PRIMARY KEY (item, channel, round)
		)`,
	},
	{ // 11: the suppression list, bounce and complaint events, deliveries by Message-ID
		// suppressions is keyed like subscribers (syndicate.EmailKey): an
		// address here is never mailed, whatever its subscriber row says.
		`CREATE TABLE suppressions (
			email_key  TEXT PRIMARY KEY,
			email      TEXT NOT NULL,
			reason     TEXT NOT NULL,
			detail     TEXT NOT NULL,
			created_at BIGINT NOT NULL
		)`,
		// bounce_events holds each bounce or complaint once, by a key made
		// from the provider's event ID (or the event's content), so a
		// webhook retried or a report read twice counts once; applied says
		// its outcome has been carried out.
		`CREATE TABLE bounce_events (
			event_key   TEXT PRIMARY KEY,
			email_key   TEXT NOT NULL,
			kind        TEXT NOT NULL,
			provider    TEXT NOT NULL,
			delivery_id BIGINT NOT NULL,
			diagnostic  TEXT NOT NULL,
			occurred_at BIGINT NOT NULL,
			created_at  BIGINT NOT NULL,
			applied     INTEGER NOT NULL
		)`,
		`CREATE INDEX bounce_events_address ON bounce_events (email_key, kind, occurred_at)`,
		`CREATE INDEX bounce_events_kind ON bounce_events (kind, occurred_at)`,
		// A DSN or a provider's event names the message by its Message-ID,
		// which the ledger keeps as the email's remote_id.
		`CREATE INDEX deliveries_remote_id ON deliveries (remote_id)`,
	},
	{ // 12: the sanitised HTML body of an article, for full-content emails
		`ALTER TABLE articles ADD COLUMN body_html TEXT NOT NULL DEFAULT ''`,
	},
	{ // 13: Message-IDs carry their row's ID; only the older ones need an index
		// Each recorded email put a random hash into the full index, a fifth
		// of a send's ledger time. Rows whose remote ID does not carry their
		// row's ID (see DeliveryByMessageID) keep an index; no others enter it.
		`DROP INDEX deliveries_remote_id`,
		`CREATE INDEX deliveries_remote_id_v1 ON deliveries (remote_id) WHERE remote_id <> '' AND substr(remote_id, 33, 1) <> '.'`,
	},
	{ // 14: email batches planned by a fan-out, one row a batch
		// A fan-out records each batch's addresses here instead of a ledger
		// row per subscriber; the batch makes its rows when it begins (see
		// PlanBatches). status is planned, cancelled (by an editor before
		// it began) or begun (its rows exist; emails is then cleared).
		`CREATE TABLE email_plans (
			item       TEXT NOT NULL,
			bucket     BIGINT NOT NULL,
			status     TEXT NOT NULL,
			planned    INTEGER NOT NULL,
			emails     TEXT NOT NULL,
			created_at BIGINT NOT NULL,
			PRIMARY KEY (item, bucket)
		)`,
		`CREATE INDEX email_plans_open ON email_plans (created_at) WHERE status = 'planned'`,
	},
}

// migrate creates the schema or brings it up to date. It runs in one write
// transaction, so two processes opening a new database at once do not both
// create the tables: on SQLite the transaction holds the write lock from its
// start, on PostgreSQL it first takes the migrations' advisory lock (DDL is
// transactional there, so a failed migration leaves nothing behind).
//
// It is not retried when the connection is lost (writeOnce): a database
// that cannot be reached when it is opened is reported at once.
func (s *Store) migrate(ctx context.Context) error {
	return s.writeOnce(ctx, func(tx *sql.Tx) error {
		if err := s.dialect.lockSchema(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
			version    INTEGER NOT NULL PRIMARY KEY,
			applied_at BIGINT NOT NULL
		)`); err != nil {
			return fmt.Errorf("create schema_version: %w", err)
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if current > len(migrations) {
			return fmt.Errorf("database schema version %d is newer than this program knows (%d): upgrade syndicate", current, len(migrations))
		}
		for v := current + 1; v <= len(migrations); v++ {
			for _, stmt := range migrations[v-1] {
				stmt = strings.ReplaceAll(stmt, "{{autoid}}", s.dialect.autoID)
				stmt = strings.ReplaceAll(stmt, "{{randomhandle}}", s.dialect.randomHandle)
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migrate schema to version %d: %w", v, err)
				}
			}
			if _, err := tx.ExecContext(ctx, s.dialect.rebind(`INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`), v, s.now().UnixNano()); err != nil {
				return fmt.Errorf("record schema version %d: %w", v, err)
			}
		}
		return nil
	})
}
