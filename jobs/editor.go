package jobs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"syndicate"
)

// EditorStore is what an editor's actions need of the database.
type EditorStore interface {
	// FindArticle returns the article an ID or any form of its URL names.
	FindArticle(ctx context.Context, ref string) (syndicate.Article, error)
	// Digest returns the digest with the ID.
	Digest(ctx context.Context, id string) (syndicate.Digest, error)
	// Deliveries lists the ledger rows of one item.
	Deliveries(ctx context.Context, item string) ([]syndicate.Delivery, error)
	// ResetDeliveries puts the rows of item (of channel, "" for all) in
	// one of statuses back to queued.
	ResetDeliveries(ctx context.Context, item string, channel syndicate.Channel, statuses []syndicate.DeliveryStatus) (int, error)
	// FinishDelivery records a row's status.
	FinishDelivery(ctx context.Context, key syndicate.DeliveryKey, status syndicate.DeliveryStatus, remoteID, errMsg string) error
	// CancelFanOut records that an article's fan-out was withdrawn.
	CancelFanOut(ctx context.Context, item string) error
	// CancelPlans cancels item's email batches planned and not begun and
	// returns how many emails they hold.
	CancelPlans(ctx context.Context, item string) (int, error)
	// AddRetryRound records a retry round of item's channel, so the
	// reconciler can ask the queue for its tasks.
	AddRetryRound(ctx context.Context, item string, ch syndicate.Channel, round string) error
	// BatchSize returns the batch size item's email fan-out recorded.
	BatchSize(ctx context.Context, item string) (int64, bool, error)
	// SubscriberIDs returns the IDs of the subscribers with the addresses.
	SubscriberIDs(ctx context.Context, emails []string) (map[string]int64, error)
}

// TaskInspector reads and withdraws tasks; *asynq.Inspector satisfies it.
type TaskInspector interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
	DeleteTask(queue, id string) error
}

// Editor carries out what an editor asks for, from the CLI (retry, cancel,
// send digest) or the dashboard alike, so both act on the ledger and the
// queue the same way.
type Editor struct {
	Store     EditorStore
	Queue     Enqueuer
	Inspector TaskInspector
	// MaxRetry is the retry budget of the tasks it queues.
	MaxRetry int
	// BatchSize is the number of emails per retried batch; zero means 200.
	BatchSize int
	// EmailOff says email is not configured, so SendDigest refuses: a
	// digest would be built and then not sent.
	EmailOff bool
	// Now is the clock of digest slots and retry rounds; nil means time.Now.
	Now func() time.Time
}

func (e Editor) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// Item is what a retry acts on: an article (whose instant email has the
// article's ID) or a digest.
type Item struct {
	ID        string
	Frequency syndicate.Frequency
	Articles  []string
	Title     string // the article's title, or a digest's description
	URL       string // the article's URL; "" for a digest
}

// retryBuckets groups the addresses to retry by the buckets of item's
// fan-out (subscriber ID / its recorded batch size; e.BatchSize when it
// recorded none), so that each retry task's ID names the rows it carries
// and the reconciler finds it. Addresses no longer subscribed go in bucket
// -1: the batch marks them skipped.
func (e Editor) retryBuckets(ctx context.Context, item string, emails []string) (map[int64][]string, error) {
	size := int64(e.BatchSize)
	if size <= 0 {
		size = 200
	}
	if n, ok, err := e.Store.BatchSize(ctx, item); err != nil {
		return nil, err
	} else if ok && n > 0 {
		size = n
	}
	ids, err := e.Store.SubscriberIDs(ctx, emails)
	if err != nil {
		return nil, err
	}
	out := map[int64][]string{}
	for _, addr := range emails {
		b := int64(-1)
		if id, ok := ids[addr]; ok {
			b = id / size
		}
		out[b] = append(out[b], addr)
	}
	return out, nil
}

// Resolve returns the item ref names: a digest ID (dg_…), or an article's
// ID or URL. An unknown ref is an error with code syndicate.ENOTFOUND.
func (e Editor) Resolve(ctx context.Context, ref string) (Item, error) {
	if syndicate.IsDigestID(ref) {
		d, err := e.Store.Digest(ctx, ref)
		if err != nil {
			return Item{}, err
		}
		return Item{ID: d.ID, Frequency: d.Frequency, Articles: d.ArticleIDs,
			Title: fmt.Sprintf("%s digest %s, %d articles", d.Frequency, d.ID, len(d.ArticleIDs))}, nil
	}
	art, err := e.Store.FindArticle(ctx, ref)
	if err != nil {
		return Item{}, err
	}
	return Item{ID: art.ID, Frequency: syndicate.Instant, Articles: []string{art.ID}, Title: art.Title, URL: art.URL}, nil
}

// Temporary reports whether a recorded error was a temporary one (the
// ledger keeps the adapter's message, which starts with its outcome).
func Temporary(msg string) bool {
	return strings.HasPrefix(msg, syndicate.Temporary.String()+" ") || strings.HasPrefix(msg, syndicate.Unknown.String()+" ")
}

// Retry queues again the failed deliveries of the item ref names (of the
// channel only, unless it is ""): emails only where the failure was
// temporary, since a refused address would be refused again; deliveries
// whose outcome is unknown only with force, after an editor has checked
// (X has no idempotency key: the post may exist). It returns what it
// queued, nothing when there was nothing to retry; when the only
// candidates are unknown and force is off, an error with code
// syndicate.ECONFLICT that says so.
func (e Editor) Retry(ctx context.Context, ref string, only syndicate.Channel, force bool) (posts []syndicate.Channel, emails []string, err error) {
	it, err := e.Resolve(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	ds, err := e.Store.Deliveries(ctx, it.ID)
	if err != nil {
		return nil, nil, err
	}
	var unsure []string
	for _, d := range ds {
		if only != "" && d.Channel != only {
			continue
		}
		switch {
		case d.Status == syndicate.StatusFailed && d.Channel == syndicate.ChannelEmail && !Temporary(d.Error):
			continue // refused for good: resending would be refused again
		case d.Status == syndicate.StatusFailed:
		case d.Status == syndicate.StatusUnknown && force:
		case d.Status == syndicate.StatusUnknown:
			unsure = append(unsure, d.String())
			continue
		default:
			continue
		}
		if d.Channel == syndicate.ChannelEmail {
			emails = append(emails, d.Subscriber)
		} else {
			posts = append(posts, d.Channel)
		}
	}
	if len(unsure) > 0 && len(posts)+len(emails) == 0 {
		return nil, nil, syndicate.Errorf(syndicate.ECONFLICT, "the %s may have gone out already (outcome unknown); check, then retry with --force", unsure[0])
	}
	if len(posts)+len(emails) == 0 {
		return nil, nil, nil
	}
	statuses := []syndicate.DeliveryStatus{syndicate.StatusFailed}
	if force {
		statuses = append(statuses, syndicate.StatusUnknown)
	}
	// The round is recorded before the rows go back to queued, so the
	// reconciler can find these tasks, or queue them if they are lost. A
	// fresh round per retry: the first task's ID is kept for a week to
	// refuse duplicates, and would refuse this one too.
	round := NewRetryRound(e.now())
	for _, ch := range posts {
		if err := e.Store.AddRetryRound(ctx, it.ID, ch, round); err != nil {
			return nil, nil, err
		}
		if _, err := e.Store.ResetDeliveries(ctx, it.ID, ch, statuses); err != nil {
			return nil, nil, err
		}
		t, opts := NewPostTask(it.ID, ch, e.MaxRetry)
		opts = append(opts, asynq.TaskID(RetryPostTaskID(it.ID, ch, round)))
		if _, err := e.Queue.EnqueueContext(ctx, t, opts...); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return nil, nil, fmt.Errorf("queue %s post of %s: %w", ch, it.ID, err)
		}
	}
	if len(emails) > 0 {
		buckets, err := e.retryBuckets(ctx, it.ID, emails)
		if err != nil {
			return nil, nil, err
		}
		if err := e.Store.AddRetryRound(ctx, it.ID, syndicate.ChannelEmail, round); err != nil {
			return nil, nil, err
		}
		for _, addr := range emails {
			key := syndicate.DeliveryKey{Item: it.ID, Channel: syndicate.ChannelEmail, Subscriber: addr}
			if err := e.Store.FinishDelivery(ctx, key, syndicate.StatusQueued, "", "queued again by retry"); err != nil {
				return nil, nil, err
			}
		}
		for _, b := range slices.Sorted(maps.Keys(buckets)) {
			t, opts := NewEmailBatchTask(it.ID, it.Frequency, it.Articles, b, buckets[b], e.MaxRetry)
			opts = append(opts, asynq.TaskID(RetryEmailTaskID(it.ID, round, b)))
			if _, err := e.Queue.EnqueueContext(ctx, t, opts...); err != nil {
				return nil, nil, fmt.Errorf("queue emails of %s: %w", it.ID, err)
			}
		}
	}
	return posts, emails, nil
}

// Cancel withdraws what has not gone yet of the article with the ID: its
// scheduled publish is taken off the queue, and every delivery still
// queued or deferred is marked cancelled so no worker sends it. It returns
// a sentence on the fan-out, how many deliveries it cancelled, and how
// many were being sent and could not be stopped.
func (e Editor) Cancel(ctx context.Context, articleID string) (fanOut string, cancelled, inFlight int, err error) {
	// The fan-out first: once it is gone, nothing new is planned.
	fanOut = "the fan-out had already run"
	switch err := e.Inspector.DeleteTask(QueueDefault, PublishTaskID(articleID)); {
	case err == nil:
		fanOut = "the scheduled publish was withdrawn"
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
	default:
		// A running fan-out cannot be deleted; the rows it has planned
		// so far are cancelled below, so say what to do.
		fanOut = fmt.Sprintf("the fan-out could not be withdrawn (%v): cancel again when it has finished", err)
	}
	// So that the reconciler does not queue the fan-out again.
	if err := e.Store.CancelFanOut(ctx, articleID); err != nil {
		return "", 0, 0, err
	}
	// Batches not begun make their rows cancelled when their tasks come.
	cancelled, err = e.Store.CancelPlans(ctx, syndicate.InstantDigestID(articleID))
	if err != nil {
		return "", 0, 0, err
	}
	ds, err := e.Store.Deliveries(ctx, articleID)
	if err != nil {
		return "", 0, 0, err
	}
	for _, d := range ds {
		switch d.Status {
		case syndicate.StatusQueued, syndicate.StatusDeferred:
			if d.ID == 0 {
				continue // a batch's, not begun, cancelled above
			}
			if err := e.Store.FinishDelivery(ctx, d.Key(), syndicate.StatusCancelled, "", syndicate.CancelledByEditor); err != nil {
				return "", cancelled, inFlight, err
			}
			// A task still queued for it finds the row final and does nothing.
			cancelled++
		case syndicate.StatusSending:
			inFlight++
		}
	}
	return fanOut, cancelled, inFlight, nil
}

// SendDigest queues the digest of freq (daily or weekly) now and returns
// its task's ID. A digest is built once per second's slot: a trigger
// while that slot's digest is queued or running is the same digest; once
// it has finished, the next second's slot is used, for what came since.
func (e Editor) SendDigest(ctx context.Context, freq syndicate.Frequency) (taskID string, err error) {
	if freq != syndicate.Daily && freq != syndicate.Weekly {
		return "", syndicate.Errorf(syndicate.EINVALID, "a digest is daily or weekly, not %q", freq)
	}
	if e.EmailOff {
		return "", syndicate.Errorf(syndicate.EINVALID, "email is not configured: set SYNDICATE_SMTP_URL to send digests")
	}
	for {
		t, opts := NewDigestTask(freq, e.now(), e.MaxRetry)
		info, err := e.Queue.EnqueueContext(ctx, t, opts...)
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			return "", fmt.Errorf("queue the %s digest: %w", freq, err)
		}
		for _, o := range opts {
			if o.Type() == asynq.TaskIDOpt {
				taskID = o.Value().(string)
			}
		}
		if err == nil {
			if info != nil {
				taskID = info.ID
			}
			return taskID, nil
		}
		prev, ierr := e.Inspector.GetTaskInfo(QueueDefault, taskID)
		if ierr != nil && !errors.Is(ierr, asynq.ErrTaskNotFound) {
			return "", fmt.Errorf("read the queue: %w", ierr)
		}
		if ierr == nil && prev.State != asynq.TaskStateCompleted && prev.State != asynq.TaskStateArchived {
			return taskID, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(time.Until(e.now().Truncate(time.Second).Add(time.Second))):
		}
	}
}
