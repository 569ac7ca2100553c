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
	// SubscriberAddresses returns up to limit active subscribers of freq
	// with IDs above afterID, in ID order, with ID and Email only: a page
	// of a fan-out.
	SubscriberAddresses(ctx context.Context, freq syndicate.Frequency, afterID int64, limit int) ([]syndicate.Subscriber, error)
	// PlanBatches records the email batches a fan-out planned, before
	// their tasks are queued; a batch planned before keeps its first plan.
	// Until a batch begins, its addresses count as queued deliveries.
	PlanBatches(ctx context.Context, plans []syndicate.EmailPlan) error
	// BeginPlan makes the ledger rows of a planned batch (queued, or
	// cancelled if an editor cancelled the plan), marks it begun, and
	// begins first (its first chunk's keys) as BeginDeliveries does, all
	// at once; a batch without a plan, or begun before, has first begun
	// alone. It returns the rows of first as they were before.
	BeginPlan(ctx context.Context, item string, bucket int64, first []syndicate.DeliveryKey) ([]syndicate.Delivery, error)
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
