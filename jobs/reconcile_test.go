package jobs_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"syndicate"
	"syndicate/jobs"
)

// fakeQueue is a queue that can forget: it refuses a second task by the
// same TaskID as asynq does, and answers GetTaskInfo for what it holds.
type fakeQueue struct {
	mu    sync.Mutex
	tasks map[string]*asynq.Task
	opts  map[string][]asynq.Option
	order []string
	done  map[string]bool // completed: kept for retention, refusing its TaskID
}

func (q *fakeQueue) EnqueueContext(_ context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	id := ""
	for _, o := range opts {
		if o.Type() == asynq.TaskIDOpt {
			id = o.Value().(string)
		}
	}
	if q.tasks == nil {
		q.tasks, q.opts = map[string]*asynq.Task{}, map[string][]asynq.Option{}
	}
	if _, ok := q.tasks[id]; ok {
		return nil, asynq.ErrTaskIDConflict
	}
	q.tasks[id], q.opts[id] = t, opts
	q.order = append(q.order, id)
	return &asynq.TaskInfo{ID: id}, nil
}

func (q *fakeQueue) GetTaskInfo(_, id string) (*asynq.TaskInfo, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, ok := q.tasks[id]; !ok {
		return nil, asynq.ErrTaskNotFound
	}
	if q.done[id] {
		return &asynq.TaskInfo{ID: id, State: asynq.TaskStateCompleted}, nil
	}
	return &asynq.TaskInfo{ID: id, State: asynq.TaskStatePending}, nil
}

// complete marks the tasks by those IDs completed, as a worker would.
func (q *fakeQueue) complete(ids ...string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.done == nil {
		q.done = map[string]bool{}
	}
	for _, id := range ids {
		q.done[id] = true
	}
}

// forget drops the tasks by those IDs, as a Redis that lost them would.
func (q *fakeQueue) forget(ids ...string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, id := range ids {
		delete(q.tasks, id)
	}
}

func (q *fakeQueue) ids() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.order)
}

func lostIDs(ls []jobs.Lost) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.TaskID)
	}
	return out
}

// TestReconcilerRequeuesLostTasks: the tasks the queue lost of a fan-out
// half done, a post left sending, a scheduled publish, a digest and a
// confirmation email are queued again under their own TaskIDs once they
// are older than the grace period; those the queue still has are not, and
// running again queues nothing twice.
func TestReconcilerRequeuesLostTasks(t *testing.T) {
	f := newFixture(t, 10) // instant subscribers 1..10, buckets of 4 by ID: 0 (1-3), 1 (4-7), 2 (8-10)
	ctx := context.Background()
	q := &fakeQueue{}
	f.h.Queue = q
	f.h.Posters[syndicate.ChannelX] = &fakePoster{}
	f.h.Posters[syndicate.ChannelMastodon] = &fakePoster{}
	mailer := &fakeMailer{}
	f.h.Mailer = mailer
	pub, _ := jobs.NewPublishTask(f.art.ID, 3)
	if err := handle(f.h, pub); err != nil {
		t.Fatal(err)
	}
	post := "post:x:" + f.art.ID
	bucket1 := "email:" + f.art.ID + ":1"
	if !slices.Contains(q.ids(), post) || !slices.Contains(q.ids(), bucket1) {
		t.Fatalf("the fan-out queued %v", q.ids())
	}
	// A worker began the X post and bucket 1's first message, then Redis
	// lost both tasks (bucket 0's was done and is kept; bucket 2's waits).
	if _, err := f.st.BeginDelivery(ctx, syndicate.DeliveryKey{Item: f.art.ID, Channel: syndicate.ChannelX}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.BeginDelivery(ctx, syndicate.DeliveryKey{Item: f.art.ID, Channel: syndicate.ChannelEmail, Subscriber: "r04@example.com"}); err != nil {
		t.Fatal(err)
	}
	q.forget(post, bucket1)

	// A publish scheduled for tomorrow whose delayed task was lost.
	later := syndicate.Article{Title: "Tomorrow", URL: "https://news.example.com/tomorrow", PublishedAt: f.art.PublishedAt}
	due := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	p := jobs.Publisher{Store: f.st, Queue: q, MaxRetry: 3}
	if _, err := p.Publish(ctx, later, due); err != nil {
		t.Fatal(err)
	}
	later.ID = syndicate.ArticleID(mustCanon(t, later.URL))
	q.forget(jobs.PublishTaskID(later.ID))
	// A digest built whose fan-out task was lost before it ran.
	slot := time.Now().Add(-time.Hour).Truncate(time.Second)
	dg, err := f.st.BuildDigest(ctx, syndicate.DigestID(syndicate.Daily, slot), syndicate.Daily, slot, 24*time.Hour)
	if err != nil || dg.ID == "" {
		t.Fatalf("BuildDigest = %+v, %v", dg, err)
	}
	// A confirmation email planned whose task was lost.
	if _, _, err := f.st.UpsertSubscriber(ctx, syndicate.Subscriber{Email: "new@example.com", Frequency: syndicate.Weekly, Status: syndicate.SubscriberPending}); err != nil {
		t.Fatal(err)
	}
	confirmItem := "confirm_" + time.Now().UTC().Format("2006010215")
	if err := f.st.EnsureDeliveries(ctx, []syndicate.DeliveryKey{{Item: confirmItem, Channel: syndicate.ChannelEmail, Subscriber: "new@example.com"}}); err != nil {
		t.Fatal(err)
	}

	var clock time.Time
	r := &jobs.Reconciler{Store: f.st, Inspector: q, Queue: q, BatchSize: 4, MaxRetry: 3, Now: func() time.Time { return clock }}
	// Within the grace period nothing is stalled: a fan-out may be between
	// planning its rows and queueing their task.
	clock = time.Now().Add(time.Minute)
	if rep, err := r.Run(ctx, true); err != nil || len(rep.Lost) != 0 {
		t.Fatalf("within the grace period: %v, %v; want nothing", lostIDs(rep.Lost), err)
	}
	clock = time.Now().Add(3 * time.Minute)
	want := []string{post, bucket1, "confirm:" + confirmItem + ":new@example.com", jobs.PublishTaskID(later.ID), "digest:" + dg.ID}
	before := len(q.ids())
	rep, err := r.Run(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := lostIDs(rep.Lost); !sameSet(got, want) {
		t.Errorf("dry run found %v, want %v", got, want)
	}
	if len(q.ids()) != before || rep.Requeued != 0 {
		t.Fatalf("the dry run queued %v", q.ids()[before:])
	}
	stalled, err := r.Stalled(ctx, f.art.ID)
	if err != nil || !sameSet(lostIDs(stalled), []string{post, bucket1}) {
		t.Errorf("Stalled(%s) = %v, %v", f.art.ID, lostIDs(stalled), err)
	}

	rep, err = r.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requeued != len(want) || r.Requeued() != int64(len(want)) || rep.Deliveries() != 1+4+1 {
		t.Errorf("requeued %d tasks carrying %d deliveries (counter %d), want %d carrying 6", rep.Requeued, rep.Deliveries(), r.Requeued(), len(want))
	}
	var batch batchView
	if err := json.Unmarshal(q.tasks[bucket1].Payload(), &batch); err != nil {
		t.Fatal(err)
	}
	if !sameSet(batch.Emails, []string{"r04@example.com", "r05@example.com", "r06@example.com", "r07@example.com"}) || batch.Frequency != syndicate.Instant {
		t.Errorf("bucket 1 queued again with %+v", batch)
	}
	var at time.Time
	for _, o := range q.opts[jobs.PublishTaskID(later.ID)] {
		if o.Type() == asynq.ProcessAtOpt {
			at = o.Value().(time.Time)
		}
	}
	if !at.Equal(due) {
		t.Errorf("the scheduled publish is queued again for %v, want %v", at, due)
	}
	// What the queue holds now is not queued twice.
	if rep, err := r.Run(ctx, false); err != nil || len(rep.Lost) != 0 || rep.Requeued != 0 {
		t.Errorf("second run: %v requeued %d, %v; want nothing", lostIDs(rep.Lost), rep.Requeued, err)
	}

	// The tasks queued again settle the rows by the channels' rules: the X
	// post left sending is unknown, the email left sending is resent with
	// its Message-ID, the others sent once.
	for _, id := range []string{post, "post:mastodon:" + f.art.ID, bucket1, "email:" + f.art.ID + ":0", "email:" + f.art.ID + ":2"} {
		if err := handle(f.h, q.tasks[id]); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	ds := f.waitFinal(t, f.art.ID, 1+1+10)
	for _, d := range ds {
		want := syndicate.StatusSent
		if d.Channel == syndicate.ChannelX {
			want = syndicate.StatusUnknown
		}
		if d.Status != want {
			t.Errorf("%s: %s, want %s", d, d.Status, want)
		}
	}
	for addr, ids := range mailer.byRecipient() {
		if len(ids) != 1 {
			t.Errorf("%s got %d emails", addr, len(ids))
		}
	}
}

// batchView is the part of an email batch's payload the test reads.
type batchView struct {
	Frequency syndicate.Frequency `json:"frequency"`
	Emails    []string            `json:"emails"`
}

// TestReconcilerSkipsDoneAndCancelledFanOuts: an article whose fan-out
// ran, or was cancelled, is never fanned out again, even long after its
// task is gone (new subscribers must not get old news).
func TestReconcilerSkipsDoneAndCancelledFanOuts(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	q := &fakeQueue{}
	f.h.Queue, f.h.Mailer = q, &fakeMailer{}
	pub, _ := jobs.NewPublishTask(f.art.ID, 3)
	if err := handle(f.h, pub); err != nil {
		t.Fatal(err)
	}
	for _, id := range q.ids() {
		if err := handle(f.h, q.tasks[id]); err != nil {
			t.Fatal(err)
		}
	}
	cancelled := syndicate.Article{Title: "Withdrawn", URL: "https://news.example.com/withdrawn"}
	if _, err := f.st.SaveArticleAt(ctx, cancelled, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := f.st.CancelFanOut(ctx, syndicate.ArticleID(mustCanon(t, cancelled.URL))); err != nil {
		t.Fatal(err)
	}
	q.forget(q.ids()...) // retention passed, or Redis was flushed
	r := &jobs.Reconciler{Store: f.st, Inspector: q, Queue: q, BatchSize: 4, Now: func() time.Time { return time.Now().Add(time.Hour) }}
	rep, err := r.Run(ctx, false)
	if err != nil || len(rep.Lost) != 0 {
		t.Errorf("reconciled %v, %v; want nothing", lostIDs(rep.Lost), err)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// runAll handles every task the queue holds that is not done, and marks
// it completed.
func runAll(t *testing.T, h *jobs.Handler, q *fakeQueue) {
	t.Helper()
	for _, id := range q.ids() {
		if q.done[id] {
			continue
		}
		if err := handle(h, q.tasks[id]); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		q.complete(id)
	}
}

// TestReconcilerSeesRetryRounds: rows `retry` put back to queued belong to
// the retry round's tasks, not to the fan-out's (completed, kept for a
// week). While the round's task waits, nothing is lost; when the queue
// loses it, it is queued again under the round's TaskID; when it ended
// with rows still not final, under a heal TaskID, once.
func TestReconcilerSeesRetryRounds(t *testing.T) {
	f := newFixture(t, 6) // buckets of 4 by ID: 0 (1-3), 1 (4-6)
	ctx := context.Background()
	q := &fakeQueue{}
	f.h.Queue = q
	f.h.Posters[syndicate.ChannelX] = &fakePoster{}
	f.h.Mailer = &fakeMailer{}
	pub, _ := jobs.NewPublishTask(f.art.ID, 3)
	if err := handle(f.h, pub); err != nil {
		t.Fatal(err)
	}
	q.complete(jobs.PublishTaskID(f.art.ID))
	runAll(t, f.h, q)
	f.waitFinal(t, f.art.ID, 1+6)

	// A retry of two emails of bucket 1 and of the X post, as
	// `syndicate retry` does it: round recorded, rows queued, tasks queued.
	const round = "retry1"
	for _, ch := range []syndicate.Channel{syndicate.ChannelEmail, syndicate.ChannelX} {
		if err := f.st.AddRetryRound(ctx, f.art.ID, ch, round); err != nil {
			t.Fatal(err)
		}
	}
	retried := []string{"r04@example.com", "r06@example.com"}
	for _, e := range retried {
		if err := f.st.FinishDelivery(ctx, syndicate.DeliveryKey{Item: f.art.ID, Channel: syndicate.ChannelEmail, Subscriber: e}, syndicate.StatusQueued, "", "queued again by retry"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.ResetDeliveries(ctx, f.art.ID, syndicate.ChannelX, []syndicate.DeliveryStatus{syndicate.StatusSent}); err != nil {
		t.Fatal(err)
	}
	emailID, postID := jobs.RetryEmailTaskID(f.art.ID, round, 1), jobs.RetryPostTaskID(f.art.ID, syndicate.ChannelX, round)
	bt, bopts := jobs.NewEmailBatchTask(f.art.ID, syndicate.Instant, []string{f.art.ID}, 1, retried, 3)
	pt, popts := jobs.NewPostTask(f.art.ID, syndicate.ChannelX, 3)
	for _, e := range []struct {
		t    *asynq.Task
		opts []asynq.Option
	}{{bt, append(bopts, asynq.TaskID(emailID))}, {pt, append(popts, asynq.TaskID(postID))}} {
		if _, err := q.EnqueueContext(ctx, e.t, e.opts...); err != nil {
			t.Fatal(err)
		}
	}

	clock := time.Now().Add(time.Hour)
	r := &jobs.Reconciler{Store: f.st, Inspector: q, Queue: q, BatchSize: 4, MaxRetry: 3, Now: func() time.Time { return clock }}
	if rep, err := r.Run(ctx, false); err != nil || len(rep.Lost) != 0 {
		t.Fatalf("with the round's tasks waiting: %v, %v; want nothing", lostIDs(rep.Lost), err)
	}

	// Redis loses the round's tasks; the fan-out's stay, completed.
	q.forget(emailID, postID)
	rep, err := r.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := lostIDs(rep.Lost); !sameSet(got, []string{emailID, postID}) || rep.Requeued != 2 {
		t.Fatalf("after the loss: %v (requeued %d); want %s and %s queued again", got, rep.Requeued, emailID, postID)
	}
	var batch batchView
	if err := json.Unmarshal(q.tasks[emailID].Payload(), &batch); err != nil {
		t.Fatal(err)
	}
	if !sameSet(batch.Emails, retried) {
		t.Errorf("the round's batch came back with %v, want %v", batch.Emails, retried)
	}

	// The batch queued again ends (a worker's bug, a drop) with its rows
	// still queued: they are queued once more under a heal TaskID, which
	// then covers them.
	q.complete(emailID)
	rep, err = r.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Lost) != 1 || !strings.HasPrefix(rep.Lost[0].TaskID, "email:"+f.art.ID+":1:heal") || rep.Requeued != 1 {
		t.Fatalf("after the round's batch ended: %v (requeued %d); want one heal task", lostIDs(rep.Lost), rep.Requeued)
	}
	if rep, err := r.Run(ctx, false); err != nil || len(rep.Lost) != 0 {
		t.Errorf("with the heal task waiting: %v, %v; want nothing", lostIDs(rep.Lost), err)
	}
	runAll(t, f.h, q)
	for _, d := range f.waitFinal(t, f.art.ID, 1+6) {
		if d.Status != syndicate.StatusSent {
			t.Errorf("%s: %s, want sent", d, d.Status)
		}
	}
}

// TestReconcilerKeepsTheBatchSplit: batch_size changed between the
// fan-out and the repair (and a second run of the fan-out): the buckets
// are those the fan-out recorded, so the tasks found lost are the ones it
// queued, with the same rows.
func TestReconcilerKeepsTheBatchSplit(t *testing.T) {
	f := newFixture(t, 10) // buckets of 4 by ID: 0 (1-3), 1 (4-7), 2 (8-10)
	ctx := context.Background()
	q := &fakeQueue{}
	f.h.Queue, f.h.Mailer = q, &fakeMailer{}
	pub, _ := jobs.NewPublishTask(f.art.ID, 3)
	if err := handle(f.h, pub); err != nil {
		t.Fatal(err)
	}
	first := q.ids()
	// The fan-out runs again (its task retried) after batch_size became 3.
	f.h.BatchSize = 3
	q.forget(jobs.PublishTaskID(f.art.ID))
	if err := handle(f.h, pub); err != nil {
		t.Fatal(err)
	}
	if got := q.ids(); !slices.Equal(got, first) {
		t.Errorf("the second fan-out queued %v, want only the first's %v", got, first)
	}
	bucket1 := "email:" + f.art.ID + ":1"
	q.forget(bucket1)
	r := &jobs.Reconciler{Store: f.st, Inspector: q, Queue: q, BatchSize: 3, MaxRetry: 3, Now: func() time.Time { return time.Now().Add(time.Hour) }}
	rep, err := r.Run(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := lostIDs(rep.Lost); !slices.Equal(got, []string{bucket1}) {
		t.Fatalf("lost %v, want [%s]", got, bucket1)
	}
	var batch batchView
	if err := json.Unmarshal(q.tasks[bucket1].Payload(), &batch); err != nil {
		t.Fatal(err)
	}
	if !sameSet(batch.Emails, []string{"r04@example.com", "r05@example.com", "r06@example.com", "r07@example.com"}) {
		t.Errorf("bucket 1 queued again with %v", batch.Emails)
	}
}
