package jobs

import (
	"context"

	"syndicate"
)

// Store is what the jobs need of the database: articles, subscribers and
// the delivery ledger.
type Store interface {
	Article(ctx context.Context, id string) (syndicate.Article, error)
	Subscriber(ctx context.Context, email string) (syndicate.Subscriber, error)
	// PlanEmails reads up to limit active subscribers of freq with IDs
	// above afterID, in ID order (ID and Email only), and inserts a queued
	// email row of item for each that has none, in one transaction.
	PlanEmails(ctx context.Context, item string, freq syndicate.Frequency, afterID int64, limit int) ([]syndicate.Subscriber, error)
	// SubscribersByEmail returns the subscribers with these addresses, of
	// every status, keyed by syndicate.EmailKey; unknown addresses are
	// absent.
	SubscribersByEmail(ctx context.Context, emails []string) (map[string]syndicate.Subscriber, error)
	Ledger
}

// Ledger is the delivery ledger: one row per effect on the outside world.
type Ledger interface {
	// EnsureDeliveries inserts a queued row for each key that has none and
	// leaves existing rows alone.
	EnsureDeliveries(ctx context.Context, keys []syndicate.DeliveryKey) error
	// BeginDelivery marks the row sending (inserting it if missing) and
	// counts an attempt, unless it is already final. It returns the row as
	// it was before: a final status means skip; StatusSending means a worker
	// died while sending it.
	BeginDelivery(ctx context.Context, key syndicate.DeliveryKey) (syndicate.Delivery, error)
	// BeginDeliveries is BeginDelivery for the keys of one item and
	// channel at once; it returns the rows as they were, in key order.
	BeginDeliveries(ctx context.Context, keys []syndicate.DeliveryKey) ([]syndicate.Delivery, error)
	// FinishDelivery records the result of an attempt.
	FinishDelivery(ctx context.Context, key syndicate.DeliveryKey, status syndicate.DeliveryStatus, remoteID, errMsg string) error
	// FinishDeliveries records the results of many attempts at once.
	FinishDeliveries(ctx context.Context, results []syndicate.DeliveryResult) error
	// Deliveries lists the rows of one item (article or digest) in a
	// stable order: channel, then subscriber.
	Deliveries(ctx context.Context, item string) ([]syndicate.Delivery, error)
}
