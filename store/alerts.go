package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"syndicate"
)

// What the alerts keep and read: their incidents, the lease that lets one
// process check at a time, and the ledger's failures and refusals.

// AlertIncident is one incident as the alerts keep it.
type AlertIncident struct {
	Key, Kind, Message, State string
	Opened, Cleared           time.Time // Cleared is zero while the incident is open
	Notified                  int64     // a bit per alert target told of the current state
}

// AlertIncidents returns every incident kept, by key.
func (s *Store) AlertIncidents(ctx context.Context) ([]AlertIncident, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT incident, kind, message, state, opened_at, cleared_at, notified
		FROM alert_incidents ORDER BY incident`)
	if err != nil {
		return nil, fmt.Errorf("read alert incidents: %w", err)
	}
	defer rows.Close()
	var out []AlertIncident
	for rows.Next() {
		var (
			inc             AlertIncident
			opened, cleared int64
		)
		if err := rows.Scan(&inc.Key, &inc.Kind, &inc.Message, &inc.State, &opened, &cleared, &inc.Notified); err != nil {
			return nil, fmt.Errorf("read alert incidents: %w", err)
		}
		inc.Opened = fromNanos(opened)
		if cleared != 0 {
			inc.Cleared = fromNanos(cleared)
		}
		out = append(out, inc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read alert incidents: %w", err)
	}
	return out, nil
}

// SaveAlertIncident inserts inc or replaces the incident of its key.
func (s *Store) SaveAlertIncident(ctx context.Context, inc AlertIncident) error {
	var cleared int64
	if !inc.Cleared.IsZero() {
		cleared = inc.Cleared.UnixNano()
	}
	_, err := s.db.ExecContext(ctx, s.dialect.rebind(`INSERT INTO alert_incidents (incident, kind, message, state, opened_at, cleared_at, notified)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (incident) DO UPDATE SET kind = excluded.kind, message = excluded.message, state = excluded.state,
			opened_at = excluded.opened_at, cleared_at = excluded.cleared_at, notified = excluded.notified`),
		inc.Key, inc.Kind, inc.Message, inc.State, inc.Opened.UnixNano(), cleared, inc.Notified)
	if err != nil {
		return fmt.Errorf("save alert incident %s: %w", inc.Key, err)
	}
	return nil
}

// DeleteAlertIncident forgets the incident of key.
func (s *Store) DeleteAlertIncident(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, s.dialect.rebind(`DELETE FROM alert_incidents WHERE incident = ?`), key); err != nil {
		return fmt.Errorf("delete alert incident %s: %w", key, err)
	}
	return nil
}

// ClaimAlertLease takes the alerts' lease for holder until until, or
// renews it when holder has it; it reports false while another holder's
// lease has not expired. An until in the past releases it. One statement
// each, so two processes claiming at once cannot both win.
func (s *Store) ClaimAlertLease(ctx context.Context, holder string, until time.Time) (bool, error) {
	now := s.now().UnixNano()
	var ok bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO alert_lease (id, holder, lease_until) VALUES (1, '', 0) ON CONFLICT (id) DO NOTHING`); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.dialect.rebind(`UPDATE alert_lease SET holder = ?, lease_until = ?
			WHERE id = 1 AND (holder = ? OR lease_until < ?)`), holder, until.UnixNano(), holder, now)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim the alerts lease: %w", err)
	}
	return ok, nil
}

// ChannelFailures is how one channel's deliveries failed for good.
type ChannelFailures struct {
	Channel             syndicate.Channel
	Count               int
	LastItem, LastError string
}

// FailedSince counts, per channel, the deliveries whose status became
// failed at or after since, with the latest one's item and error.
func (s *Store) FailedSince(ctx context.Context, since time.Time) ([]ChannelFailures, error) {
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT channel, COUNT(*) FROM deliveries
		WHERE status = ? AND updated_at >= ? GROUP BY channel ORDER BY channel`),
		string(syndicate.StatusFailed), since.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("read failed deliveries: %w", err)
	}
	var out []ChannelFailures
	for rows.Next() {
		var (
			f  ChannelFailures
			ch string
		)
		if err := rows.Scan(&ch, &f.Count); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read failed deliveries: %w", err)
		}
		f.Channel = syndicate.Channel(ch)
		out = append(out, f)
	}
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("read failed deliveries: %w", err)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read failed deliveries: %w", err)
	}
	for i := range out {
		row := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT item, error FROM deliveries
			WHERE channel = ? AND status = ? AND updated_at >= ? ORDER BY updated_at DESC, id DESC LIMIT 1`),
			string(out[i].Channel), string(syndicate.StatusFailed), since.UnixNano())
		if err := row.Scan(&out[i].LastItem, &out[i].LastError); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("read the latest failed %s delivery: %w", out[i].Channel, err)
		}
	}
	return out, nil
}
