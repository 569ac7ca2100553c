package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"

	"syndicate"
)

// TypeReconcile is the periodic task that runs the Reconciler.
const TypeReconcile = "ledger:reconcile"

// DefaultGrace is how long a delivery or fan-out may sit untouched without
// a task before the reconciler queues it again, when Reconciler.Grace is
// zero. It is well above the moment between a fan-out planning its rows
// and queueing their task.
const DefaultGrace = 2 * time.Minute

// NewReconcileTask returns the task the scheduler enqueues every interval.
// Unique keeps several schedulers to one run per interval; runs that
// overlap anyway are harmless (see Reconciler).
func NewReconcileTask(interval time.Duration) (*asynq.Task, []asynq.Option) {
	return asynq.NewTask(TypeReconcile, nil), []asynq.Option{
		asynq.Unique(max(interval*9/10, time.Second)), asynq.MaxRetry(0), asynq.Retention(time.Hour),
	}
}

// ReconcileStore is what the reconciler needs of the store: the rows and
// fan-outs that are not done and have not moved for a while.
type ReconcileStore interface {
	// StalledDeliveries returns up to limit rows queued or sending, last
	// changed before before, with IDs above afterID in ID order; item ""
	// means all items.
	StalledDeliveries(ctx context.Context, item string, before time.Time, afterID int64, limit int) ([]syndicate.Delivery, error)
	// SubscriberIDs maps addresses to subscriber IDs (absent: not found).
	SubscriberIDs(ctx context.Context, emails []string) (map[string]int64, error)
	// PendingPublishes returns the articles stored before before whose
	// fan-out has not run, with when each is due (zero: at once).
	PendingPublishes(ctx context.Context, before time.Time) (map[string]time.Time, error)
	// PendingDigests returns the digests built before before whose fan-out
	// has not finished.
	PendingDigests(ctx context.Context, before time.Time) ([]syndicate.Digest, error)
	Digest(ctx context.Context, id string) (syndicate.Digest, error)
	FinishDelivery(ctx context.Context, key syndicate.DeliveryKey, status syndicate.DeliveryStatus, remoteID, errMsg string) error
	// BatchSize returns the emails per batch item's fan-out used (see
	// BatchSplitter); false when none was recorded.
	BatchSize(ctx context.Context, item string) (int64, bool, error)
	// RetryRounds returns the rounds `syndicate retry` queued tasks of
	// item's channel under, newest first (see RetryEmailTaskID).
	RetryRounds(ctx context.Context, item string, ch syndicate.Channel) ([]string, error)
	// StalledPlans returns the email batches planned before before and
	// not begun (item "" for all), without their addresses.
	StalledPlans(ctx context.Context, item string, before time.Time) ([]syndicate.EmailPlan, error)
	// PlannedEmails returns the addresses of a batch planned and not
	// begun; none once it has begun.
	PlannedEmails(ctx context.Context, item string, bucket int64) ([]string, error)
}

// Inspector says whether a task exists in the queue; *asynq.Inspector is
// one. A missing task is asynq.ErrTaskNotFound or asynq.ErrQueueNotFound.
type Inspector interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
}

// Reconciler rebuilds the queue from the ledger. Redis can lose tasks (no
// persistence, an asynchronous replica promoted, eviction, FLUSHALL) while
// the ledger still says what was planned and not done: rows queued or
// sending, articles and digests whose fan-out has not finished. For each
// of those untouched for Grace whose task no longer exists, it enqueues
// the task again under the same deterministic TaskID, so a task that does
// exist is never doubled and two reconcilers running at once enqueue it
// once. The handlers then apply the usual rules: final rows are skipped,
// and a row left sending is settled by its channel (the same Message-ID,
// the same idempotency key, unknown for X).
//
// Email batches are rebuilt by bucket (subscriber ID / the batch size the
// item's fan-out recorded; BatchSize only for fan-outs that recorded
// none). A row may also belong to a task of a retry round (RetryEmailTaskID,
// RetryPostTaskID): it is covered while any task that can carry it is
// waiting or running. A completed or archived task no longer covers rows
// still not final (they were put back to queued after it ended); those are
// queued again under the first of these TaskIDs the queue does not hold.
type Reconciler struct {
	Store     ReconcileStore
	Inspector Inspector
	Queue     Enqueuer
	BatchSize int           // for fan-outs that recorded none; zero means 200, as Handler
	MaxRetry  int           // retries of the tasks it enqueues
	Grace     time.Duration // zero means DefaultGrace
	Log       *slog.Logger
	Now       func() time.Time

	requeued atomic.Int64
}

// Lost is one task the queue no longer has, with what it carries.
type Lost struct {
	TaskID     string
	Kind       string // email, confirm, post, publish or digest
	Item       string // article, digest or confirmation hour
	Deliveries int    // ledger rows it carries; 0 for a fan-out
	At         time.Time

	task *asynq.Task
	opts []asynq.Option
}

// Report is what one run found and did.
type Report struct {
	Lost     []Lost // tasks missing from the queue
	Requeued int    // of those, enqueued again (none on a dry run)
	Skipped  int    // rows of subscribers no longer in the store, marked skipped
}

// Deliveries counts the ledger rows the lost tasks carry.
func (r Report) Deliveries() int {
	n := 0
	for _, l := range r.Lost {
		n += l.Deliveries
	}
	return n
}

// Requeued returns how many tasks this reconciler has enqueued again since
// it was made, for metrics.
func (r *Reconciler) Requeued() int64 { return r.requeued.Load() }

// ProcessTask runs the reconciler as the TypeReconcile task.
func (r *Reconciler) ProcessTask(ctx context.Context, _ *asynq.Task) error {
	_, err := r.Run(ctx, false)
	return err
}

// Run finds the tasks the queue lost and, unless dryRun, enqueues them
// again, logging each.
func (r *Reconciler) Run(ctx context.Context, dryRun bool) (Report, error) {
	lost, skipped, err := r.find(ctx, "", !dryRun)
	rep := Report{Lost: lost, Skipped: skipped}
	if err != nil {
		return rep, fmt.Errorf("reconcile the queue with the ledger: %w", err)
	}
	if dryRun {
		return rep, nil
	}
	for _, l := range lost {
		_, err := r.Queue.EnqueueContext(ctx, l.task, l.opts...)
		if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
			continue // queued again meanwhile, by its fan-out or another reconciler
		}
		if err != nil {
			return rep, fmt.Errorf("reconcile: enqueue %s again: %w", l.TaskID, err)
		}
		rep.Requeued++
		r.requeued.Add(1)
		r.log().Warn("queued again a task the queue had lost", "task_id", l.TaskID, "kind", l.Kind, "item", l.Item, "deliveries", l.Deliveries)
	}
	if rep.Requeued > 0 || skipped > 0 {
		r.log().Warn("reconciled the queue with the ledger", "requeued", rep.Requeued, "deliveries", rep.Deliveries(), "skipped", skipped, "total_requeued", r.requeued.Load())
	}
	return rep, nil
}

// Stalled returns the tasks of one item (article or digest) that the queue
// no longer has while the ledger waits for them, for status and --wait.
func (r *Reconciler) Stalled(ctx context.Context, item string) ([]Lost, error) {
	lost, _, err := r.find(ctx, item, false)
	if err != nil {
		return nil, fmt.Errorf("look for stalled deliveries of %s: %w", item, err)
	}
	return lost, nil
}

// group is the rows one task carries.
type group struct {
	lost   Lost
	base   string // the fan-out's TaskID for these rows
	ch     syndicate.Channel
	freq   syndicate.Frequency
	bucket int64
	emails []string
	oldest time.Time // of the stalled rows: names the heal task
	plan   bool      // a batch planned and not begun: its addresses are in its plan
}

// taskState is what the queue says of one TaskID.
type taskState int

const (
	taskMissing taskState = iota // not held: the ID is free
	taskLive                     // waiting, scheduled, running or retrying
	taskDone                     // completed or archived, kept for retention
)

// find lists the lost tasks (of item; "" for all). With skip, rows of
// subscribers that no longer exist are marked skipped, as the batch
// handler would.
func (r *Reconciler) find(ctx context.Context, item string, skip bool) ([]Lost, int, error) {
	now := r.now()
	before := now.Add(-r.grace())
	sizes := map[string]int64{}
	sizeOf := func(item string) (int64, error) {
		if n, ok := sizes[item]; ok {
			return n, nil
		}
		n, ok, err := r.Store.BatchSize(ctx, item)
		if err != nil {
			return 0, err
		}
		if !ok || n < 1 {
			n = r.batchSize()
		}
		sizes[item] = n
		return n, nil
	}
	groups := map[string]*group{}
	var order []string
	digests := map[string]syndicate.Digest{}
	skipped := 0
	freqOf := func(item string) (syndicate.Frequency, error) {
		if !syndicate.IsDigestID(item) {
			return syndicate.Instant, nil
		}
		dg, ok := digests[item]
		if !ok {
			var err error
			if dg, err = r.Store.Digest(ctx, item); err != nil {
				return "", err
			}
			digests[item] = dg
		}
		return dg.Frequency, nil
	}
	// add puts rows in the groups of their tasks; only adds to groups
	// in keep when keep is set.
	add := func(rows []syndicate.Delivery, keep map[string]bool) error {
		var emails []string
		for _, d := range rows {
			if d.Channel == syndicate.ChannelEmail && !isConfirmItem(d.Item) {
				emails = append(emails, d.Subscriber)
			}
		}
		ids, err := r.Store.SubscriberIDs(ctx, emails)
		if err != nil {
			return err
		}
		for _, d := range rows {
			g := group{ch: d.Channel, lost: Lost{Item: d.Item}}
			switch {
			case d.Channel != syndicate.ChannelEmail:
				g.lost.Kind, g.lost.TaskID = "post", postTaskID(d.Item, d.Channel)
			case isConfirmItem(d.Item):
				g.lost.Kind, g.lost.TaskID = "confirm", confirmTaskID(d.Item, d.Subscriber)
			default:
				id, ok := ids[d.Subscriber]
				if !ok {
					if keep == nil && skip {
						if err := r.Store.FinishDelivery(ctx, d.Key(), syndicate.StatusSkipped, "", "the subscriber left before the send"); err != nil {
							return err
						}
						skipped++
					}
					continue
				}
				if g.freq, err = freqOf(d.Item); err != nil {
					return err
				}
				size, err := sizeOf(d.Item)
				if err != nil {
					return err
				}
				g.bucket = id / size
				g.lost.Kind, g.lost.TaskID = "email", emailTaskID(d.Item, g.bucket)
			}
			g.base = g.lost.TaskID
			if keep != nil && !keep[g.lost.TaskID] {
				continue
			}
			cur := groups[g.base]
			if cur == nil {
				cur = &g
				groups[g.base] = cur
				order = append(order, g.base)
			}
			if keep == nil && (cur.oldest.IsZero() || d.UpdatedAt.Before(cur.oldest)) {
				cur.oldest = d.UpdatedAt
			}
			if slices.Contains(cur.emails, d.Subscriber) && d.Subscriber != "" {
				continue
			}
			cur.lost.Deliveries++
			if d.Subscriber != "" {
				cur.emails = append(cur.emails, d.Subscriber)
			}
		}
		return nil
	}
	const page = 1000
	for after := int64(0); ; {
		rows, err := r.Store.StalledDeliveries(ctx, item, before, after, page)
		if err != nil {
			return nil, skipped, err
		}
		if err := add(rows, nil); err != nil {
			return nil, skipped, err
		}
		if len(rows) < page {
			break
		}
		after = rows[len(rows)-1].ID
	}
	// Batches planned and not begun have no rows yet: their plans say
	// what their tasks carry.
	plans, err := r.Store.StalledPlans(ctx, item, before)
	if err != nil {
		return nil, skipped, err
	}
	for _, p := range plans {
		id := emailTaskID(p.Item, p.Bucket)
		if cur := groups[id]; cur != nil {
			cur.plan = true
			continue
		}
		freq, err := freqOf(p.Item)
		if err != nil {
			return nil, skipped, err
		}
		groups[id] = &group{ch: syndicate.ChannelEmail, base: id, freq: freq, bucket: p.Bucket, oldest: p.CreatedAt, plan: true,
			lost: Lost{Kind: "email", Item: p.Item, TaskID: id}}
		order = append(order, id)
	}
	var lost []Lost
	missingItems := map[string]map[string]bool{}
	rounds := map[string][]string{} // retry rounds by item and channel, read once a run
	for _, id := range order {
		g := groups[id]
		var (
			ok  bool
			err error
		)
		if g.lost.Kind == "confirm" {
			ok, err = r.exists(id)
		} else {
			ok, err = r.covered(ctx, g, rounds)
		}
		if err != nil {
			return nil, skipped, err
		}
		if !ok {
			if g.lost.Kind == "email" {
				if missingItems[g.lost.Item] == nil {
					missingItems[g.lost.Item] = map[string]bool{}
				}
				missingItems[g.lost.Item][id] = true
			}
		} else {
			delete(groups, id)
		}
	}
	// A batch whose task is gone carries every row of its bucket not yet
	// final, also those touched within the grace period (a retry put back
	// to queued just before the loss): its TaskID is then taken, and a
	// later run could not queue them under it.
	for it, keep := range missingItems {
		for after := int64(0); ; {
			rows, err := r.Store.StalledDeliveries(ctx, it, now.Add(time.Hour), after, page)
			if err != nil {
				return nil, skipped, err
			}
			if err := add(rows, keep); err != nil {
				return nil, skipped, err
			}
			if len(rows) < page {
				break
			}
			after = rows[len(rows)-1].ID
		}
	}
	for _, id := range order {
		g, ok := groups[id]
		if !ok {
			continue
		}
		if g.plan {
			emails, err := r.Store.PlannedEmails(ctx, g.lost.Item, g.bucket)
			if err != nil {
				return nil, skipped, err
			}
			for _, e := range emails {
				if !slices.Contains(g.emails, e) {
					g.emails = append(g.emails, e)
					g.lost.Deliveries++
				}
			}
			if len(g.emails) == 0 {
				continue // begun meanwhile
			}
		}
		r.build(g, digests)
		lost = append(lost, g.lost)
	}
	// Fan-outs that never finished: articles (at once or scheduled with
	// --at) and digests.
	pubs, err := r.Store.PendingPublishes(ctx, before)
	if err != nil {
		return nil, skipped, err
	}
	ids := make([]string, 0, len(pubs))
	for id := range pubs {
		if item == "" || item == id {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		ok, err := r.exists(PublishTaskID(id))
		if err != nil {
			return nil, skipped, err
		}
		if ok {
			continue
		}
		t, opts := NewPublishTask(id, r.MaxRetry)
		at := pubs[id]
		if at.After(now) {
			opts = append(opts, asynq.ProcessAt(at))
		}
		lost = append(lost, Lost{TaskID: PublishTaskID(id), Kind: "publish", Item: id, At: at, task: t, opts: opts})
	}
	pending, err := r.Store.PendingDigests(ctx, before)
	if err != nil {
		return nil, skipped, err
	}
	for _, d := range pending {
		if item != "" && item != d.ID {
			continue
		}
		at, ok := digestTime(d)
		if !ok {
			r.log().Error("a digest's fan-out cannot be queued again: its ID holds no time", "digest", d.ID)
			continue
		}
		t, opts := NewDigestTask(d.Frequency, at, r.MaxRetry)
		id := "digest:" + d.ID
		ok, err := r.exists(id)
		if err != nil {
			return nil, skipped, err
		}
		if !ok {
			lost = append(lost, Lost{TaskID: id, Kind: "digest", Item: d.ID, At: at, task: t, opts: opts})
		}
	}
	return lost, skipped, nil
}

// build makes the task of a group whose task is lost.
func (r *Reconciler) build(g *group, digests map[string]syndicate.Digest) {
	switch g.lost.Kind {
	case "post":
		g.lost.task, g.lost.opts = NewPostTask(g.lost.Item, g.ch, r.MaxRetry)
		g.lost.opts = append(g.lost.opts, asynq.TaskID(g.lost.TaskID))
	case "confirm":
		g.lost.task, g.lost.opts = newConfirmTaskFor(g.lost.Item, g.emails[0], r.MaxRetry)
	case "email":
		articles := []string{g.lost.Item}
		if d, ok := digests[g.lost.Item]; ok {
			articles = d.ArticleIDs
		}
		g.lost.task, g.lost.opts = NewEmailBatchTask(g.lost.Item, g.freq, articles, g.bucket, g.emails, r.MaxRetry)
		g.lost.opts = append(g.lost.opts, asynq.TaskID(g.lost.TaskID))
	}
}

// covered reports whether a task that can carry g's rows is waiting or
// running: the fan-out's, a retry round's or an earlier heal's. When none
// is, it sets g's TaskID to the first of them the queue does not hold (the
// heal task's, named after the oldest stalled row, when it holds them all,
// so that reconcilers running at once pick the same).
func (r *Reconciler) covered(ctx context.Context, g *group, cache map[string][]string) (bool, error) {
	key := g.lost.Item + "\x00" + string(g.ch)
	rounds, ok := cache[key]
	if !ok {
		var err error
		if rounds, err = r.Store.RetryRounds(ctx, g.lost.Item, g.ch); err != nil {
			return false, err
		}
		cache[key] = rounds
	}
	ids := []string{g.base}
	for _, rd := range rounds {
		if g.lost.Kind == "email" {
			ids = append(ids, RetryEmailTaskID(g.lost.Item, rd, g.bucket))
		} else {
			ids = append(ids, RetryPostTaskID(g.lost.Item, g.ch, rd))
		}
	}
	ids = append(ids, g.base+":heal"+strconv.FormatInt(g.oldest.UnixNano(), 36))
	free := ""
	for _, id := range ids {
		st, err := r.state(id)
		if err != nil {
			return false, err
		}
		if st == taskLive {
			return true, nil
		}
		if st == taskMissing && free == "" {
			free = id
		}
	}
	if free == "" {
		free = ids[len(ids)-1] // held and done: enqueueing it again is refused, and it is reported
	}
	g.lost.TaskID = free
	return false, nil
}

// state asks the queue about one TaskID.
func (r *Reconciler) state(id string) (taskState, error) {
	info, err := r.Inspector.GetTaskInfo(QueueDefault, id)
	switch {
	case err == nil && (info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived):
		return taskDone, nil
	case err == nil:
		return taskLive, nil
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		return taskMissing, nil
	}
	return 0, fmt.Errorf("look up task %s: %w", id, err)
}

// exists reports whether the queue has a task by that ID, in any state
// (a completed one is kept for Retention and still refuses its TaskID).
func (r *Reconciler) exists(id string) (bool, error) {
	_, err := r.Inspector.GetTaskInfo(QueueDefault, id)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		return false, nil
	}
	return false, fmt.Errorf("look up task %s: %w", id, err)
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reconciler) grace() time.Duration {
	if r.Grace > 0 {
		return r.Grace
	}
	return DefaultGrace
}

func (r *Reconciler) batchSize() int64 {
	if r.BatchSize > 0 {
		return int64(r.BatchSize)
	}
	return 200
}

func (r *Reconciler) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.DiscardHandler)
}

// digestTime recovers the trigger time a digest's ID was made from.
func digestTime(d syndicate.Digest) (time.Time, bool) {
	s, ok := strings.CutPrefix(d.ID, "dg_"+string(d.Frequency)+"_")
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102T150405", s)
	if err != nil || syndicate.DigestID(d.Frequency, t) != d.ID {
		return time.Time{}, false
	}
	return t, true
}

func isConfirmItem(item string) bool { return strings.HasPrefix(item, "confirm_") }

// The TaskIDs the constructors give, without building the task.
func postTaskID(articleID string, ch syndicate.Channel) string {
	return "post:" + string(ch) + ":" + articleID
}

func emailTaskID(item string, bucket int64) string {
	return fmt.Sprintf("email:%s:%d", item, bucket)
}

// NewRetryRound names the tasks of one `syndicate retry`: a fresh name
// each time, because the first tasks' IDs are kept for a week to refuse
// duplicates and would refuse these too.
func NewRetryRound(now time.Time) string { return "retry" + strconv.FormatInt(now.UnixNano(), 36) }

// RetryPostTaskID is the TaskID of a retry round's post of an article.
func RetryPostTaskID(articleID string, ch syndicate.Channel, round string) string {
	return postTaskID(articleID, ch) + ":" + round
}

// RetryEmailTaskID is the TaskID of a retry round's batch of one bucket of
// subscribers (subscriber ID / the item's batch size, as the fan-out).
func RetryEmailTaskID(item, round string, bucket int64) string {
	return "email:" + item + ":" + round + ":" + strconv.FormatInt(bucket, 10)
}

// BatchSplitter records the batch size of an item's email fan-out the
// first time, and returns the recorded one ever after, so a fan-out run
// again, a repair and a retry split the subscribers into the same buckets
// even when batch_size has changed meanwhile.
type BatchSplitter interface {
	FixBatchSize(ctx context.Context, item string, size int64) (int64, error)
}

// fanOutBatchSize is the batch size of item's fan-out: the recorded one
// when the store keeps it, else the Handler's.
func (h *Handler) fanOutBatchSize(ctx context.Context, item string) (int64, error) {
	bs, ok := h.Store.(BatchSplitter)
	if !ok {
		return h.batchSize(), nil
	}
	n, err := bs.FixBatchSize(ctx, item, h.batchSize())
	if err != nil {
		return 0, fmt.Errorf("fix the batch size of %s: %w", item, err)
	}
	return n, nil
}

func confirmTaskID(item, email string) string {
	return "confirm:" + item + ":" + strings.ToLower(email)
}

// newConfirmTaskFor is NewConfirmTask for the hour named by a ledger item.
func newConfirmTaskFor(item, email string, maxRetry int) (*asynq.Task, []asynq.Option) {
	email = strings.ToLower(email)
	p, _ := json.Marshal(confirmPayload{Email: email}) // cannot fail: plain struct
	return asynq.NewTask(TypeEmailConfirm, p), []asynq.Option{
		asynq.TaskID(confirmTaskID(item, email)), asynq.MaxRetry(maxRetry), asynq.Retention(2 * time.Hour),
	}
}

// FanOutMarker records that the fan-out of an article or digest has
// planned and queued all its deliveries, so the reconciler leaves it be.
// Stores that lack it have their fan-outs never queued again.
type FanOutMarker interface {
	MarkFannedOut(ctx context.Context, item string) error
}

// fannedOut records the end of item's fan-out.
func (h *Handler) fannedOut(ctx context.Context, item string) error {
	if m, ok := h.Store.(FanOutMarker); ok {
		if err := m.MarkFannedOut(ctx, item); err != nil {
			return fmt.Errorf("record the fan-out of %s: %w", item, err)
		}
	}
	return nil
}

// ScheduleSaver stores an article with the time its delivery is due, so a
// scheduled publish whose delayed task the queue lost can be queued again.
type ScheduleSaver interface {
	SaveArticleAt(ctx context.Context, a syndicate.Article, at time.Time) (created bool, err error)
}
