package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"syndicate"
)

// The delivery ledger: one row per effect on the outside world, keyed by
// (item, channel, subscriber). Jobs mark a row sending before they act and
// record the outcome after, and skip final rows, so a retried or duplicated
// job does nothing twice.

const deliveryColumns = `id, item, channel, subscriber, status, attempts, remote_id, error, created_at, updated_at`

// checkKey rejects keys that cannot name a delivery.
func checkKey(k syndicate.DeliveryKey) error {
	if k.Item == "" || k.Channel == "" {
		return syndicate.Errorf(syndicate.EINVALID, "delivery key needs an item and a channel (got item %q, channel %q)", k.Item, k.Channel)
	}
	return nil
}

func keyString(k syndicate.DeliveryKey) string {
	if k.Subscriber != "" {
		return fmt.Sprintf("%s of %s to %s", k.Channel, k.Item, k.Subscriber)
	}
	return fmt.Sprintf("%s post of %s", k.Channel, k.Item)
}

// validDeliveryStatus reports whether st is one of the known statuses.
func validDeliveryStatus(st syndicate.DeliveryStatus) bool {
	switch st {
	case syndicate.StatusQueued, syndicate.StatusSending, syndicate.StatusDeferred:
		return true
	}
	return st.Final()
}

// insertQueued is the statement that adds a queued row unless one exists.
const insertQueued = `INSERT INTO deliveries
	(item, channel, subscriber, subscriber_key, status, attempts, remote_id, error, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, 0, '', '', ?, ?)
	ON CONFLICT (item, channel, subscriber_key) DO NOTHING`

// EnsureDeliveries inserts a queued row for each key that has none and
// leaves existing rows alone, all in one transaction.
func (s *Store) EnsureDeliveries(ctx context.Context, keys []syndicate.DeliveryKey) error {
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return err
		}
	}
	if len(keys) == 0 {
		return nil
	}
	// Rows are inserted in key order, whatever order the caller gave: on
	// PostgreSQL an insert waits for a concurrent uncommitted insert of the
	// same key, and two transactions taking overlapping keys in opposite
	// orders would wait for each other (a deadlock that fails one of them).
	sorted := sortKeys(keys)
	now := s.now().UnixNano()
	err := s.write(ctx, func(tx *sql.Tx) error {
		return s.insertQueuedRows(ctx, tx, sorted, now)
	})
	if err != nil {
		return fmt.Errorf("queue %d deliveries: %w", len(keys), err)
	}
	return nil
}

// keyed is a delivery key with its subscriber's address key, computed
// once (normalising an address is not free, and sorting asks often).
type keyed struct {
	syndicate.DeliveryKey
	sub string
	i   int // index in the keys given
}

// sortKeys returns keys with their address keys, in key order.
func sortKeys(keys []syndicate.DeliveryKey) []keyed {
	out := make([]keyed, len(keys))
	for i, k := range keys {
		out[i] = keyed{k, emailKey(k.Subscriber), i}
	}
	slices.SortFunc(out, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.Item, b.Item), cmp.Compare(a.Channel, b.Channel), cmp.Compare(a.sub, b.sub))
	})
	return out
}

// insertQueuedRows adds a queued row for each key that has none, in the
// order of keys, thousands of rows a statement. The keys travel as arrays
// (PostgreSQL) or one JSON array (SQLite) in a statement of fixed text:
// nothing to parse again per chunk, a handful of parameters to bind
// instead of seven a row, which is most of what a fan-out's planning cost.
func (s *Store) insertQueuedRows(ctx context.Context, tx *sql.Tx, keys []keyed, now int64) error {
	return s.insertRows(ctx, tx, keys, syndicate.StatusQueued, "", now, now)
}

// insertRows is insertQueuedRows with the rows' status, error and
// creation time given.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, keys []keyed, st syndicate.DeliveryStatus, errMsg string, created, now int64) error {
	return s.insertRowsReturning(ctx, tx, keys, st, errMsg, 0, created, now, nil)
}

// insertRowsReturning is insertRows with the rows' attempts given, which
// calls made with the ID and address key of each row it inserted (none
// for a key that had a row) when made is not nil.
func (s *Store) insertRowsReturning(ctx context.Context, tx *sql.Tx, keys []keyed, st syndicate.DeliveryStatus, errMsg string, attempts int, created, now int64, made func(id int64, subKey string)) error {
	returning := ""
	if made != nil {
		returning = " RETURNING id, subscriber_key"
	}
	for chunk := range slices.Chunk(keys, insertChunk) {
		s.stmts.Add(1)
		var (
			rows *sql.Rows
			err  error
		)
		if s.dialect.name == postgresDialect.name {
			items, chans, subs, subKeys := make([]string, len(chunk)), make([]string, len(chunk)), make([]string, len(chunk)), make([]string, len(chunk))
			for i, k := range chunk {
				items[i], chans[i], subs[i], subKeys[i] = k.Item, string(k.Channel), k.Subscriber, k.sub
			}
			rows, err = tx.QueryContext(ctx, `INSERT INTO deliveries
	(item, channel, subscriber, subscriber_key, status, attempts, remote_id, error, created_at, updated_at)
	SELECT k.item, k.channel, k.sub, k.sub_key, $5, $9, '', $6, $7, $8
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS k(item, channel, sub, sub_key, n)
	ORDER BY k.n
	ON CONFLICT (item, channel, subscriber_key) DO NOTHING`+returning, items, chans, subs, subKeys, string(st), errMsg, created, now, attempts)
		} else {
			vals := make([][4]string, len(chunk))
			for i, k := range chunk {
				vals[i] = [4]string{k.Item, string(k.Channel), k.Subscriber, k.sub}
			}
			js, jerr := json.Marshal(vals)
			if jerr != nil {
				return fmt.Errorf("insert rows from %s: %w", keyString(chunk[0].DeliveryKey), jerr)
			}
			// "WHERE true" tells SQLite's parser that ON CONFLICT is the
			// upsert clause, not part of a join.
			rows, err = tx.QueryContext(ctx, `INSERT INTO deliveries
	(item, channel, subscriber, subscriber_key, status, attempts, remote_id, error, created_at, updated_at)
	SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), ?, ?, '', ?, ?, ?
	FROM json_each(?) WHERE true ORDER BY key
	ON CONFLICT (item, channel, subscriber_key) DO NOTHING`+returning, string(st), attempts, errMsg, created, now, string(js))
		}
		if err == nil {
			for rows.Next() {
				var (
					id int64
					sk string
				)
				if err = rows.Scan(&id, &sk); err != nil {
					break
				}
				made(id, sk)
			}
			if cerr := rows.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = rows.Err()
			}
		}
		if err != nil {
			return fmt.Errorf("insert rows from %s: %w", keyString(chunk[0].DeliveryKey), err)
		}
	}
	return nil
}

// insertChunk bounds the rows one insert carries, so that one statement's
// arrays stay a few hundred kilobytes.
const insertChunk = 5000

// BeginDelivery marks the row of key sending and counts an attempt, in one
// write transaction, inserting the row first if it is missing. A row already
// in a final status is left alone. It returns the row as it was before:
// a final status means skip; StatusSending means a worker died while sending
// it and the channel's own rule decides what to do.
//
// The row is read FOR UPDATE once it surely exists, so on PostgreSQL a
// concurrent call waits for this one to commit and then reads the row as
// this one left it: exactly one caller sees it not yet sending.
func (s *Store) BeginDelivery(ctx context.Context, key syndicate.DeliveryKey) (syndicate.Delivery, error) {
	if err := checkKey(key); err != nil {
		return syndicate.Delivery{}, err
	}
	var before syndicate.Delivery
	err := s.write(ctx, func(tx *sql.Tx) error {
		s.stmts.Add(3) // insert, select, update
		now := s.now().UnixNano()
		if _, err := tx.ExecContext(ctx, s.dialect.rebind(insertQueued),
			key.Item, string(key.Channel), key.Subscriber, emailKey(key.Subscriber), string(syndicate.StatusQueued), now, now); err != nil {
			return err
		}
		row := tx.QueryRowContext(ctx, s.dialect.rebind(`SELECT `+deliveryColumns+` FROM deliveries
			WHERE item = ? AND channel = ? AND subscriber_key = ?`+s.dialect.forUpdate),
			key.Item, string(key.Channel), emailKey(key.Subscriber))
		var err error
		if before, err = scanDelivery(row); err != nil {
			return err
		}
		if before.Status.Final() {
			return nil
		}
		_, err = tx.ExecContext(ctx, s.dialect.rebind(`UPDATE deliveries
			SET status = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?`),
			string(syndicate.StatusSending), now, before.ID)
		return err
	})
	if err != nil {
		return syndicate.Delivery{}, fmt.Errorf("begin %s: %w", keyString(key), err)
	}
	return before, nil
}

// FinishDelivery records the result of an attempt: the status, the remote
// side's ID (an empty remoteID keeps the one recorded before, so a retry that
// learns nothing new does not erase it) and the error message, empty on
// success. The row must exist; BeginDelivery makes it.
func (s *Store) FinishDelivery(ctx context.Context, key syndicate.DeliveryKey, status syndicate.DeliveryStatus, remoteID, errMsg string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if !validDeliveryStatus(status) {
		return syndicate.Errorf(syndicate.EINVALID, "delivery status %q is not known", status)
	}
	s.stmts.Add(1)
	res, err := s.execRetrying(ctx, s.dialect.rebind(`UPDATE deliveries
		SET status = ?, remote_id = CASE WHEN ? = '' THEN remote_id ELSE ? END, error = ?, updated_at = ?
		WHERE item = ? AND channel = ? AND subscriber_key = ?`),
		string(status), remoteID, remoteID, errMsg, s.now().UnixNano(),
		key.Item, string(key.Channel), emailKey(key.Subscriber))
	if err != nil {
		return fmt.Errorf("record %s as %s: %w", keyString(key), status, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("record %s as %s: %w", keyString(key), status, err)
	}
	if n == 0 {
		return syndicate.Errorf(syndicate.ENOTFOUND, "no delivery %s in the ledger", keyString(key))
	}
	return nil
}

// Deliveries lists the rows of one item (article or digest) ordered by
// channel, then subscriber address (lowercased).
func (s *Store) Deliveries(ctx context.Context, item string) ([]syndicate.Delivery, error) {
	rows, err := s.db.QueryContext(ctx, s.dialect.rebind(`SELECT `+deliveryColumns+` FROM deliveries
		WHERE item = ? ORDER BY channel, subscriber_key`), item)
	if err != nil {
		return nil, fmt.Errorf("list deliveries of %s: %w", item, err)
	}
	defer rows.Close()
	var out []syndicate.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("list deliveries of %s: %w", item, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list deliveries of %s: %w", item, err)
	}
	return s.withPlanned(ctx, item, out)
}

// ResetDeliveries puts the rows of item whose status is one of statuses back
// to queued and clears their error, for `syndicate retry`; channel "" means
// every channel. Attempts and remote IDs are kept as history. It returns how
// many rows changed. Statuses must be given: which outcomes to retry (failed?
// unknown, at the risk of a second X post?) is the editor's call.
func (s *Store) ResetDeliveries(ctx context.Context, item string, channel syndicate.Channel, statuses []syndicate.DeliveryStatus) (int, error) {
	if item == "" {
		return 0, syndicate.Errorf(syndicate.EINVALID, "no item given to retry")
	}
	if len(statuses) == 0 {
		return 0, syndicate.Errorf(syndicate.EINVALID, "no delivery statuses given to retry for %s", item)
	}
	args := []any{string(syndicate.StatusQueued), s.now().UnixNano(), item}
	marks := make([]string, len(statuses))
	for i, st := range statuses {
		if !validDeliveryStatus(st) {
			return 0, syndicate.Errorf(syndicate.EINVALID, "delivery status %q is not known", st)
		}
		marks[i] = "?"
		args = append(args, string(st))
	}
	q := `UPDATE deliveries SET status = ?, error = '', updated_at = ?
		WHERE item = ? AND status IN (` + strings.Join(marks, ", ") + `)`
	if channel != "" {
		q += ` AND channel = ?`
		args = append(args, string(channel))
	}
	res, err := s.db.ExecContext(ctx, s.dialect.rebind(q), args...)
	if err != nil {
		return 0, fmt.Errorf("reset deliveries of %s: %w", item, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("reset deliveries of %s: %w", item, err)
	}
	return int(n), nil
}

// DeliveryCounts counts the rows of item by channel and status (ItemCounts
// of one item). Channels without rows are absent.
func (s *Store) DeliveryCounts(ctx context.Context, item string) (map[syndicate.Channel]map[syndicate.DeliveryStatus]int, error) {
	counts, err := s.ItemCounts(ctx, []string{item})
	if err != nil {
		return nil, fmt.Errorf("count deliveries of %s: %w", item, err)
	}
	if out, ok := counts[item]; ok {
		return out, nil
	}
	return map[syndicate.Channel]map[syndicate.DeliveryStatus]int{}, nil
}

func scanDelivery(r scanner) (syndicate.Delivery, error) {
	var (
		d                    syndicate.Delivery
		ch, st               string
		createdAt, updatedAt int64
	)
	if err := r.Scan(&d.ID, &d.Item, &ch, &d.Subscriber, &st, &d.Attempts, &d.RemoteID, &d.Error, &createdAt, &updatedAt); err != nil {
		return syndicate.Delivery{}, err
	}
	d.Channel, d.Status = syndicate.Channel(ch), syndicate.DeliveryStatus(st)
	d.CreatedAt, d.UpdatedAt = fromNanos(createdAt), fromNanos(updatedAt)
	return d, nil
}

// batchChunk bounds the keys one statement names, well under SQLite's and
// PostgreSQL's limits on bound parameters.
const batchChunk = 500

// BeginDeliveries is BeginDelivery for many keys of one item and channel
// (an email batch), in one write transaction of a few statements: it
// inserts the missing rows, reads them all FOR UPDATE, and marks every row
// that is not final sending with one more attempt. It returns the rows as
// they were before, in the order of keys.
func (s *Store) BeginDeliveries(ctx context.Context, keys []syndicate.DeliveryKey) ([]syndicate.Delivery, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if err := checkBatchKeys(keys); err != nil {
		return nil, err
	}
	// Key order, as in EnsureDeliveries, so concurrent batches on
	// PostgreSQL take their row locks in one order.
	sorted := sortKeys(keys)
	var byKey map[string]syndicate.Delivery
	err := s.write(ctx, func(tx *sql.Tx) error {
		byKey = make(map[string]syndicate.Delivery, len(keys)) // afresh if the transaction is run again
		return s.beginRows(ctx, tx, sorted, s.now().UnixNano(), byKey)
	})
	if err != nil {
		return nil, fmt.Errorf("begin %d %s deliveries of %s: %w", len(keys), keys[0].Channel, keys[0].Item, err)
	}
	return inKeyOrder(keys, sorted, byKey)
}

// checkBatchKeys checks keys begun together: valid, of one item and
// channel.
func checkBatchKeys(keys []syndicate.DeliveryKey) error {
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return err
		}
		if k.Item != keys[0].Item || k.Channel != keys[0].Channel {
			return syndicate.Errorf(syndicate.EINVALID, "deliveries begun together must share item and channel (%s and %s)", keyString(keys[0]), keyString(k))
		}
	}
	return nil
}

// inKeyOrder returns the rows of byKey in the order of keys.
func inKeyOrder(keys []syndicate.DeliveryKey, sorted []keyed, byKey map[string]syndicate.Delivery) ([]syndicate.Delivery, error) {
	out := make([]syndicate.Delivery, len(keys))
	for _, k := range sorted {
		d, ok := byKey[k.sub]
		if !ok {
			return nil, fmt.Errorf("begin %s: the row is missing after its insert", keyString(k.DeliveryKey))
		}
		out[k.i] = d
	}
	return out, nil
}

// beginRows is BeginDeliveries inside tx for keys (sorted, one item and
// channel) not in byKey yet: it adds their rows as they were before to
// byKey.
func (s *Store) beginRows(ctx context.Context, tx *sql.Tx, sorted []keyed, now int64, byKey map[string]syndicate.Delivery) error {
	if len(sorted) == 0 {
		return nil
	}
	item, ch := sorted[0].Item, sorted[0].Channel
	read := func(keys []keyed) error {
		for chunk := range slices.Chunk(keys, batchChunk) {
			s.stmts.Add(1)
			rows, err := s.lockRows(ctx, tx, item, ch, chunk)
			if err != nil {
				return fmt.Errorf("read rows: %w", err)
			}
			for rows.Next() {
				var sk string
				d, err := scanDeliveryAnd(rows, &sk)
				if err != nil {
					rows.Close()
					return fmt.Errorf("read rows: %w", err)
				}
				byKey[sk] = d
			}
			if err := rows.Close(); err != nil {
				return fmt.Errorf("read rows: %w", err)
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("read rows: %w", err)
			}
		}
		return nil
	}
	// The rows usually exist (made from the batch's plan), so they are
	// read (and locked) first, and only the few missing (a batch the
	// reconciler rebuilt from rows, a subscriber no plan had) inserted and
	// read after.
	if err := read(sorted); err != nil {
		return err
	}
	var missing []keyed
	for _, k := range sorted {
		if _, ok := byKey[k.sub]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		if err := s.insertQueuedRows(ctx, tx, missing, now); err != nil {
			return fmt.Errorf("insert missing rows: %w", err)
		}
		if err := read(missing); err != nil {
			return err
		}
	}
	var sending []any
	for _, k := range sorted {
		if d := byKey[k.sub]; !d.Status.Final() {
			sending = append(sending, d.ID)
		}
	}
	for chunk := range slices.Chunk(sending, batchChunk) {
		s.stmts.Add(1)
		args := append([]any{string(syndicate.StatusSending), now}, chunk...)
		if _, err := tx.ExecContext(ctx, s.dialect.rebind(`UPDATE deliveries
			SET status = ?, attempts = attempts + 1, updated_at = ? WHERE id IN (`+marks(len(chunk))+`)`), args...); err != nil {
			return fmt.Errorf("mark rows sending: %w", err)
		}
	}
	return nil
}

// lockRows reads the rows of keys (one item and channel, in key order),
// locking them on PostgreSQL, with each row's subscriber_key last.
//
// On PostgreSQL every key is looked up by the whole unique key, one after
// another in key order (the lock order): given "subscriber_key IN (…)",
// the planner may instead scan every row of the item through the index's
// (item, channel) prefix and filter, when the table's statistics are stale
// or missing (a ledger that grew by a fan-out of 100 000 rows since the
// last ANALYZE, or autovacuum off) — one full scan per chunk, which made a
// 100 000-subscriber send ten times slower than a 10 000 one. SQLite plans
// the IN list as lookups in the unique index.
func (s *Store) lockRows(ctx context.Context, tx *sql.Tx, item string, ch syndicate.Channel, keys []keyed) (*sql.Rows, error) {
	if s.dialect.name == postgresDialect.name {
		subs := make([]string, len(keys))
		for i, k := range keys {
			subs[i] = k.sub
		}
		return tx.QueryContext(ctx, `SELECT d.* FROM unnest($3::text[]) WITH ORDINALITY AS k(sub, n)
			CROSS JOIN LATERAL (SELECT `+deliveryColumns+`, subscriber_key FROM deliveries
				WHERE item = $1 AND channel = $2 AND subscriber_key = k.sub FOR UPDATE) d
			ORDER BY k.n`, item, string(ch), subs)
	}
	args := []any{item, string(ch)}
	for _, k := range keys {
		args = append(args, k.sub)
	}
	return tx.QueryContext(ctx, s.dialect.rebind(`SELECT `+deliveryColumns+`, subscriber_key FROM deliveries
		WHERE item = ? AND channel = ? AND subscriber_key IN (`+marks(len(keys))+`)
		ORDER BY subscriber_key`+s.dialect.forUpdate), args...)
}

// FinishDeliveries records the results of many attempts in one transaction,
// as FinishDelivery records one. Every row must exist. A key given twice
// takes its last result.
func (s *Store) FinishDeliveries(ctx context.Context, results []syndicate.DeliveryResult) error {
	for _, r := range results {
		if err := checkKey(r.Key); err != nil {
			return err
		}
		if !validDeliveryStatus(r.Status) {
			return syndicate.Errorf(syndicate.EINVALID, "delivery status %q is not known", r.Status)
		}
	}
	if len(results) == 0 {
		return nil
	}
	// Key order, for the lock order on PostgreSQL; the last result of a key
	// given twice wins.
	type keyedResult struct {
		syndicate.DeliveryResult
		sub string
	}
	sorted := make([]keyedResult, len(results))
	for i, r := range results {
		sorted[i] = keyedResult{r, emailKey(r.Key.Subscriber)}
	}
	order := func(a, b keyedResult) int {
		return cmp.Or(cmp.Compare(a.Key.Item, b.Key.Item), cmp.Compare(a.Key.Channel, b.Key.Channel), cmp.Compare(a.sub, b.sub))
	}
	slices.SortStableFunc(sorted, order)
	for i := len(sorted) - 1; i > 0; i-- {
		if order(sorted[i-1], sorted[i]) == 0 {
			sorted = slices.Delete(sorted, i-1, i)
		}
	}
	now := s.now().UnixNano()
	err := s.write(ctx, func(tx *sql.Tx) error {
		// One statement a chunk, the results travelling as arrays
		// (PostgreSQL) or one JSON array (SQLite): a statement per row cost
		// more than the rest of a message's bookkeeping.
		for chunk := range slices.Chunk(sorted, insertChunk) {
			s.stmts.Add(1)
			// Each result as item, channel, address key, status, remote
			// ID and error.
			rows := make([][6]string, len(chunk))
			for i, r := range chunk {
				rows[i] = [6]string{r.Key.Item, string(r.Key.Channel), r.sub, string(r.Status), r.RemoteID, r.Error}
			}
			var (
				res sql.Result
				err error
			)
			if s.dialect.name == postgresDialect.name {
				cols := make([][]string, 6)
				for c := range cols {
					cols[c] = make([]string, len(rows))
					for i, row := range rows {
						cols[c][i] = row[c]
					}
				}
				// Each row is locked by a lookup of its whole unique key, in
				// key order, as lockRows does.
				res, err = tx.ExecContext(ctx, `UPDATE deliveries d
	SET status = r.status, remote_id = CASE WHEN r.remote_id = '' THEN d.remote_id ELSE r.remote_id END, error = r.error, updated_at = $7
	FROM (SELECT k.status, k.remote_id, k.error, x.id
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS k(item, channel, sub, status, remote_id, error, n)
		CROSS JOIN LATERAL (SELECT id FROM deliveries WHERE item = k.item AND channel = k.channel AND subscriber_key = k.sub FOR UPDATE) x
		ORDER BY k.n) r
	WHERE d.id = r.id`, cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], now)
			} else {
				js, jerr := json.Marshal(rows)
				if jerr != nil {
					return fmt.Errorf("record results from %s: %w", keyString(chunk[0].Key), jerr)
				}
				res, err = tx.ExecContext(ctx, `UPDATE deliveries
	SET status = r.status, remote_id = CASE WHEN r.remote_id = '' THEN deliveries.remote_id ELSE r.remote_id END, error = r.error, updated_at = ?
	FROM (SELECT json_extract(value, '$[0]') AS item, json_extract(value, '$[1]') AS channel, json_extract(value, '$[2]') AS sub,
			json_extract(value, '$[3]') AS status, json_extract(value, '$[4]') AS remote_id, json_extract(value, '$[5]') AS error
		FROM json_each(?)) AS r
	WHERE deliveries.item = r.item AND deliveries.channel = r.channel AND deliveries.subscriber_key = r.sub`, now, string(js))
			}
			if err != nil {
				return fmt.Errorf("record results from %s: %w", keyString(chunk[0].Key), err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("record results from %s: %w", keyString(chunk[0].Key), err)
			}
			if int(n) != len(chunk) {
				keys := make([]syndicate.DeliveryKey, len(chunk))
				for i, r := range chunk {
					keys[i] = r.Key
				}
				return s.missingDelivery(ctx, tx, keys, len(chunk)-int(n))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record %d results: %w", len(results), err)
	}
	return nil
}

// missingDelivery names the first of keys that has no row, for the error
// of a statement that updated n fewer rows than it was given.
func (s *Store) missingDelivery(ctx context.Context, tx *sql.Tx, keys []syndicate.DeliveryKey, n int) error {
	for _, k := range keys {
		var one int
		err := tx.QueryRowContext(ctx, s.dialect.rebind(`SELECT 1 FROM deliveries WHERE item = ? AND channel = ? AND subscriber_key = ?`),
			k.Item, string(k.Channel), emailKey(k.Subscriber)).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return syndicate.Errorf(syndicate.ENOTFOUND, "no delivery %s in the ledger", keyString(k))
		}
		if err != nil {
			return fmt.Errorf("look for %s: %w", keyString(k), err)
		}
	}
	return fmt.Errorf("record results from %s: %d rows were not updated", keyString(keys[0]), n)
}

// marks is n comma-separated placeholders.
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// scanDeliveryAnd scans a delivery followed by one more column.
func scanDeliveryAnd(r scanner, extra any) (syndicate.Delivery, error) {
	var (
		d                    syndicate.Delivery
		ch, st               string
		createdAt, updatedAt int64
	)
	if err := r.Scan(&d.ID, &d.Item, &ch, &d.Subscriber, &st, &d.Attempts, &d.RemoteID, &d.Error, &createdAt, &updatedAt, extra); err != nil {
		return syndicate.Delivery{}, err
	}
	d.Channel, d.Status = syndicate.Channel(ch), syndicate.DeliveryStatus(st)
	d.CreatedAt, d.UpdatedAt = fromNanos(createdAt), fromNanos(updatedAt)
	return d, nil
}
