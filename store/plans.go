package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"syndicate"
)

// An email fan-out plans one row per batch (email_plans), not one ledger
// row per subscriber: the batch makes its ledger rows when it begins
// (BeginPlan). Inserting 100 000 ledger rows into the unique index in
// address order, which is no order of subscriber IDs, cost a fan-out most
// of its time; one row per 200 addresses costs a tenth of it. Until a
// batch begins, every reader of the ledger counts its addresses as queued
// email deliveries (or cancelled, once an editor cancelled them), so
// status, --wait, the dashboard and the metrics see the whole plan as
// before, and the reconciler finds a plan whose task the queue lost.

// A plan's status.
const (
	planPlanned   = "planned"
	planCancelled = "cancelled"
	planBegun     = "begun"
)

// SubscriberAddresses returns up to limit active subscribers of freq with
// IDs above afterID, in ID order, with ID and Email only: one page of a
// fan-out, which needs nothing else and reads 100 000 of them.
func (s *Store) SubscriberAddresses(ctx context.Context, freq syndicate.Frequency, afterID int64, limit int) ([]syndicate.Subscriber, error) {
	if limit < 1 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "page size %d is not positive", limit)
	}
	s.stmts.Add(1)
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT id, email FROM subscribers
		WHERE frequency = ? AND status = ? AND id > ? ORDER BY id LIMIT ?`),
		string(freq), string(syndicate.SubscriberActive), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("read %s subscribers after %d: %w", freq, afterID, err)
	}
	defer rows.Close()
	subs := make([]syndicate.Subscriber, 0, min(limit, 1<<14))
	for rows.Next() {
		var sub syndicate.Subscriber
		if err := rows.Scan(&sub.ID, &sub.Email); err != nil {
			return nil, fmt.Errorf("read %s subscribers after %d: %w", freq, afterID, err)
		}
		subs = append(subs, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s subscribers after %d: %w", freq, afterID, err)
	}
	return subs, nil
}

// PlanBatches records email batches a fan-out planned, in one
// transaction, before their tasks are queued. A batch planned before (the
// fan-out ran again) keeps its first plan, as its task keeps its first
// payload under the same TaskID.
func (s *Store) PlanBatches(ctx context.Context, plans []syndicate.EmailPlan) error {
	if len(plans) == 0 {
		return nil
	}
	for _, p := range plans {
		if err := checkKey(syndicate.DeliveryKey{Item: p.Item, Channel: syndicate.ChannelEmail}); err != nil {
			return err
		}
		if p.Bucket < 0 || len(p.Emails) == 0 {
			return syndicate.Errorf(syndicate.EINVALID, "batch %d of %s has no addresses", p.Bucket, p.Item)
		}
	}
	encoded := make([]string, len(plans))
	for i, p := range plans {
		js, err := json.Marshal(p.Emails)
		if err != nil {
			return fmt.Errorf("plan batch %d of %s: %w", p.Bucket, p.Item, err)
		}
		encoded[i] = string(js)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixNano()
		if s.dialect.name == postgresDialect.name {
			// One statement for the page: a round trip per plan was most
			// of what planning cost on PostgreSQL.
			items, buckets, counts := make([]string, len(plans)), make([]int64, len(plans)), make([]int64, len(plans))
			for i, p := range plans {
				items[i], buckets[i], counts[i] = p.Item, p.Bucket, int64(len(p.Emails))
			}
			s.stmts.Add(1)
			_, err := tx.ExecContext(ctx, `INSERT INTO email_plans (item, bucket, status, planned, emails, created_at)
				SELECT p.item, p.bucket, $5, p.planned, p.emails, $6
				FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[]) AS p(item, bucket, planned, emails)
				ON CONFLICT (item, bucket) DO NOTHING`, items, buckets, counts, encoded, planPlanned, now)
			return err
		}
		stmt, err := tx.PrepareContext(ctx, s.dialect.rebind(`INSERT INTO email_plans
			(item, bucket, status, planned, emails, created_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (item, bucket) DO NOTHING`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, p := range plans {
			s.stmts.Add(1)
			if _, err := stmt.ExecContext(ctx, p.Item, p.Bucket, planPlanned, len(p.Emails), encoded[i], now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("plan %d email batches of %s: %w", len(plans), plans[0].Item, err)
	}
	return nil
}

// BeginPlan begins one planned batch, in one transaction: it makes the
// batch's ledger rows from its plan, marks the plan begun, and begins
// first (the keys of the batch's first chunk) as BeginDeliveries does. The
// rows of first are made sending with one attempt and the rest queued (all
// cancelled, when an editor cancelled the plan first), each created when
// the batch was planned: one write a row where making them queued and then
// marking them sending took two, and a read. It returns the rows of first
// as they were before, in the order of first (queued and never tried, for
// those it made). A batch without a plan (planned before plans were kept,
// or a retry round's) or begun before has first begun by BeginDeliveries
// alone.
func (s *Store) BeginPlan(ctx context.Context, item string, bucket int64, first []syndicate.DeliveryKey) ([]syndicate.Delivery, error) {
	if err := checkKey(syndicate.DeliveryKey{Item: item, Channel: syndicate.ChannelEmail}); err != nil {
		return nil, err
	}
	if err := checkBatchKeys(first); err != nil {
		return nil, err
	}
	if len(first) > 0 && (first[0].Item != item || first[0].Channel != syndicate.ChannelEmail) {
		return nil, syndicate.Errorf(syndicate.EINVALID, "%s is not an email of %s", keyString(first[0]), item)
	}
	sorted := sortKeys(first)
	var byKey map[string]syndicate.Delivery
	err := s.write(ctx, func(tx *sql.Tx) error {
		byKey = make(map[string]syndicate.Delivery, len(first))
		now := s.now().UnixNano()
		if err := s.makePlannedRows(ctx, tx, item, bucket, sorted, now, byKey); err != nil {
			return err
		}
		var left []keyed
		for _, k := range sorted {
			if _, ok := byKey[k.sub]; !ok {
				left = append(left, k)
			}
		}
		return s.beginRows(ctx, tx, left, now, byKey)
	})
	if err != nil {
		return nil, fmt.Errorf("begin email batch %d of %s: %w", bucket, item, err)
	}
	return inKeyOrder(first, sorted, byKey)
}

// makePlannedRows makes the rows of the plan of item's bucket, if it has
// one not begun, and marks it begun; the rows of first (sorted) it makes
// sending go into byKey as they were before.
func (s *Store) makePlannedRows(ctx context.Context, tx *sql.Tx, item string, bucket int64, first []keyed, now int64, byKey map[string]syndicate.Delivery) error {
	s.stmts.Add(1)
	var (
		status, emails string
		created        int64
	)
	err := tx.QueryRowContext(ctx, s.dialect.rebind(`SELECT status, emails, created_at FROM email_plans
		WHERE item = ? AND bucket = ?`+s.dialect.forUpdate), item, bucket).Scan(&status, &emails, &created)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && status == planBegun) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the plan: %w", err)
	}
	var addrs []string
	if err := json.Unmarshal([]byte(emails), &addrs); err != nil {
		return fmt.Errorf("read the plan's addresses: %w", err)
	}
	want := make(map[string]bool, len(first))
	for _, k := range first {
		want[k.sub] = true
	}
	var begin, rest []syndicate.DeliveryKey
	for _, a := range addrs {
		k := syndicate.DeliveryKey{Item: item, Channel: syndicate.ChannelEmail, Subscriber: a}
		if status == planPlanned && want[emailKey(a)] {
			begin = append(begin, k)
		} else {
			rest = append(rest, k)
		}
	}
	st, msg := syndicate.StatusQueued, ""
	if status == planCancelled {
		st, msg = syndicate.StatusCancelled, syndicate.CancelledByEditor
	}
	if err := s.insertRows(ctx, tx, sortKeys(rest), st, msg, created, now); err != nil {
		return fmt.Errorf("insert rows: %w", err)
	}
	sortedBegin := sortKeys(begin)
	addrOf := make(map[string]string, len(begin))
	for _, k := range sortedBegin {
		addrOf[k.sub] = k.Subscriber
	}
	at := fromNanos(created)
	err = s.insertRowsReturning(ctx, tx, sortedBegin, syndicate.StatusSending, "", 1, created, now, func(id int64, sk string) {
		byKey[sk] = syndicate.Delivery{ID: id, Item: item, Channel: syndicate.ChannelEmail, Subscriber: addrOf[sk],
			Status: syndicate.StatusQueued, CreatedAt: at, UpdatedAt: at}
	})
	if err != nil {
		return fmt.Errorf("insert rows: %w", err)
	}
	s.stmts.Add(1)
	_, err = tx.ExecContext(ctx, s.dialect.rebind(`UPDATE email_plans SET status = ?, emails = '' WHERE item = ? AND bucket = ?`),
		planBegun, item, bucket)
	return err
}

// CancelPlans cancels the batches of item that are planned and not begun:
// each makes its rows cancelled when its task comes to it. It returns how
// many emails they hold.
func (s *Store) CancelPlans(ctx context.Context, item string) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *sql.Tx) error {
		n = 0
		s.stmts.Add(1)
		rows, err := tx.QueryContext(ctx, s.dialect.rebind(`UPDATE email_plans SET status = ?
			WHERE item = ? AND status = ? RETURNING planned`), planCancelled, item, planPlanned)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k int
			if err := rows.Scan(&k); err != nil {
				return err
			}
			n += k
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("cancel the planned emails of %s: %w", item, err)
	}
	return n, nil
}

// StalledPlans returns the batches planned before before and not begun,
// of item ("" for every item), in item and bucket order, without their
// addresses (see PlannedEmails).
func (s *Store) StalledPlans(ctx context.Context, item string, before time.Time) ([]syndicate.EmailPlan, error) {
	q := `SELECT item, bucket, created_at FROM email_plans WHERE status = 'planned' AND created_at < ?`
	args := []any{before.UnixNano()}
	if item != "" {
		q += ` AND item = ?`
		args = append(args, item)
	}
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(q+` ORDER BY item, bucket`), args...)
	if err != nil {
		return nil, fmt.Errorf("list stalled email batches: %w", err)
	}
	defer rows.Close()
	var out []syndicate.EmailPlan
	for rows.Next() {
		var (
			p       syndicate.EmailPlan
			created int64
		)
		if err := rows.Scan(&p.Item, &p.Bucket, &created); err != nil {
			return nil, fmt.Errorf("list stalled email batches: %w", err)
		}
		p.CreatedAt = fromNanos(created)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list stalled email batches: %w", err)
	}
	return out, nil
}

// PlannedEmails returns the addresses of a batch planned and not begun;
// none when it has begun or was never planned.
func (s *Store) PlannedEmails(ctx context.Context, item string, bucket int64) ([]string, error) {
	var emails string
	err := s.db.QueryRowContext(ctx, s.dialect.rebind(`SELECT emails FROM email_plans
		WHERE item = ? AND bucket = ? AND status <> ?`), item, bucket, planBegun).Scan(&emails)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the addresses of email batch %d of %s: %w", bucket, item, err)
	}
	var out []string
	if err := json.Unmarshal([]byte(emails), &out); err != nil {
		return nil, fmt.Errorf("read the addresses of email batch %d of %s: %w", bucket, item, err)
	}
	return out, nil
}

// planStatus is the delivery status a plan not begun stands for.
func planStatus(status string) syndicate.DeliveryStatus {
	if status == planCancelled {
		return syndicate.StatusCancelled
	}
	return syndicate.StatusQueued
}

// addPlanCounts adds, for each of items, the emails of its batches not
// begun to add as email deliveries: queued, or cancelled.
func (s *Store) addPlanCounts(ctx context.Context, items []string, add func(item string, st syndicate.DeliveryStatus, n int)) error {
	for chunk := range slices.Chunk(items, batchChunk) {
		args := make([]any, len(chunk))
		for i, it := range chunk {
			args[i] = it
		}
		rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT item, status, SUM(planned) FROM email_plans
			WHERE item IN (`+marks(len(chunk))+`) AND status IN ('planned', 'cancelled') GROUP BY item, status`), args...)
		if err != nil {
			return fmt.Errorf("count planned emails: %w", err)
		}
		for rows.Next() {
			var (
				item, st string
				n        int
			)
			if err := rows.Scan(&item, &st, &n); err != nil {
				rows.Close()
				return fmt.Errorf("count planned emails: %w", err)
			}
			add(item, planStatus(st), n)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("count planned emails: %w", err)
		}
	}
	return nil
}

// plannedDeliveries returns the deliveries the batches of item not begun
// stand for, as rows without an ID.
func (s *Store) plannedDeliveries(ctx context.Context, item string) ([]syndicate.Delivery, error) {
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT status, emails, created_at FROM email_plans
		WHERE item = ? AND status IN ('planned', 'cancelled') ORDER BY bucket`), item)
	if err != nil {
		return nil, fmt.Errorf("list the planned emails of %s: %w", item, err)
	}
	defer rows.Close()
	var out []syndicate.Delivery
	for rows.Next() {
		var (
			status, emails string
			created        int64
			addrs          []string
		)
		if err := rows.Scan(&status, &emails, &created); err != nil {
			return nil, fmt.Errorf("list the planned emails of %s: %w", item, err)
		}
		if err := json.Unmarshal([]byte(emails), &addrs); err != nil {
			return nil, fmt.Errorf("list the planned emails of %s: %w", item, err)
		}
		st, msg := planStatus(status), ""
		if st == syndicate.StatusCancelled {
			msg = syndicate.CancelledByEditor
		}
		at := fromNanos(created)
		for _, a := range addrs {
			out = append(out, syndicate.Delivery{Item: item, Channel: syndicate.ChannelEmail, Subscriber: a,
				Status: st, Error: msg, CreatedAt: at, UpdatedAt: at})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list the planned emails of %s: %w", item, err)
	}
	return out, nil
}

// withPlanned adds the deliveries of item's batches not begun to ds, in
// the order Deliveries gives: channel, then address key.
func (s *Store) withPlanned(ctx context.Context, item string, ds []syndicate.Delivery) ([]syndicate.Delivery, error) {
	planned, err := s.plannedDeliveries(ctx, item)
	if err != nil || len(planned) == 0 {
		return ds, err
	}
	ds = append(ds, planned...)
	slices.SortStableFunc(ds, func(a, b syndicate.Delivery) int {
		if c := strings.Compare(string(a.Channel), string(b.Channel)); c != 0 {
			return c
		}
		return strings.Compare(emailKey(a.Subscriber), emailKey(b.Subscriber))
	})
	return ds, nil
}
