package jobs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"syndicate"
	"syndicate/internal/testredis"
	"syndicate/jobs"
	"syndicate/store"
)

// The store the program wires in must satisfy the Editor's interface.
var _ jobs.EditorStore = (*store.Store)(nil)

// newEditor is an Editor on the fixture's store and a queue of its own,
// with no worker, so the tests see what it queued.
func newEditor(t *testing.T, f *fixture) (jobs.Editor, *asynq.Inspector) {
	t.Helper()
	opt, err := redis.ParseURL(testredis.URL(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opt)
	t.Cleanup(func() { rc.Close() })
	insp := asynq.NewInspectorFromRedisClient(rc)
	return jobs.Editor{Store: f.st, Queue: asynq.NewClientFromRedisClient(rc), Inspector: insp, MaxRetry: 1, BatchSize: 2}, insp
}

func pending(t *testing.T, insp *asynq.Inspector) []*asynq.TaskInfo {
	t.Helper()
	ts, err := insp.ListPendingTasks(jobs.QueueDefault)
	if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
		t.Fatal(err)
	}
	return ts
}

// finish records the ledger row of key as st with msg.
func finish(t *testing.T, st *store.Store, key syndicate.DeliveryKey, status syndicate.DeliveryStatus, msg string) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.BeginDelivery(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishDelivery(ctx, key, status, "", msg); err != nil {
		t.Fatal(err)
	}
}

// TestEditorRetry: temporary email failures and failed posts are queued
// again, refused addresses are not, and unknown posts only with force.
func TestEditorRetry(t *testing.T) {
	f := newFixture(t, 0)
	ed, insp := newEditor(t, f)
	ctx := context.Background()
	id := f.art.ID
	email := func(addr string) syndicate.DeliveryKey {
		return syndicate.DeliveryKey{Item: id, Channel: syndicate.ChannelEmail, Subscriber: addr}
	}
	x := syndicate.DeliveryKey{Item: id, Channel: syndicate.ChannelX}
	finish(t, f.st, x, syndicate.StatusUnknown, "unknown 503 after sending")
	finish(t, f.st, email("gone@example.com"), syndicate.StatusFailed, "permanent 550 5.1.1 no such user")
	finish(t, f.st, email("sent@example.com"), syndicate.StatusSent, "")

	// Only an unknown post and a refused address: nothing to do without force.
	if _, _, err := ed.Retry(ctx, id, "", false); syndicate.ErrorCode(err) != syndicate.ECONFLICT {
		t.Fatalf("retry with only an unknown post: %v, want ECONFLICT", err)
	}
	if n := len(pending(t, insp)); n != 0 {
		t.Fatalf("a refused retry queued %d tasks", n)
	}
	for _, a := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		if _, _, err := f.st.UpsertSubscriber(ctx, syndicate.Subscriber{Email: a, Frequency: syndicate.Instant}); err != nil {
			t.Fatal(err)
		}
		finish(t, f.st, email(a), syndicate.StatusFailed, "temporary 451 4.3.0 try later")
	}
	// A retry queues one task per bucket of the fan-out (subscriber ID /
	// batch size), so the reconciler can find each one.
	ids, err := f.st.SubscriberIDs(ctx, []string{"a@example.com", "b@example.com", "c@example.com"})
	if err != nil || len(ids) != 3 {
		t.Fatalf("subscriber IDs = %v, %v", ids, err)
	}
	buckets := map[int64]bool{}
	for _, id := range ids {
		buckets[id/2] = true
	}
	posts, emails, err := ed.Retry(ctx, f.art.URL, "", false) // by URL, as the CLI may
	if err != nil || len(posts) != 0 || len(emails) != 3 {
		t.Fatalf("retry = %v, %v, %v; want the 3 temporary emails", posts, emails, err)
	}
	if ts := pending(t, insp); len(ts) != len(buckets) {
		t.Errorf("%d tasks queued for 3 emails in batches of 2, want one per bucket (%d)", len(ts), len(buckets))
	}
	ds, err := f.st.Deliveries(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		want := map[string]syndicate.DeliveryStatus{"a@example.com": syndicate.StatusQueued, "b@example.com": syndicate.StatusQueued, "c@example.com": syndicate.StatusQueued,
			"gone@example.com": syndicate.StatusFailed, "sent@example.com": syndicate.StatusSent, "": syndicate.StatusUnknown}[d.Subscriber]
		if d.Status != want {
			t.Errorf("%s is %s after retry, want %s", d, d.Status, want)
		}
	}
	posts, emails, err = ed.Retry(ctx, id, syndicate.ChannelX, true)
	if err != nil || len(posts) != 1 || posts[0] != syndicate.ChannelX || len(emails) != 0 {
		t.Fatalf("forced retry of x = %v, %v, %v", posts, emails, err)
	}
	if d := delivery(t, f.st, x); d.Status != syndicate.StatusQueued {
		t.Errorf("x after a forced retry: %s, want queued", d.Status)
	}
	if posts, emails, err := ed.Retry(ctx, id, syndicate.ChannelMastodon, true); err != nil || len(posts)+len(emails) != 0 {
		t.Errorf("retry of a channel with nothing failed = %v, %v, %v", posts, emails, err)
	}
	if _, _, err := ed.Retry(ctx, "a_0000000000000000", "", false); syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
		t.Errorf("retry of an unknown article: %v, want ENOTFOUND", err)
	}
}

func delivery(t *testing.T, st *store.Store, k syndicate.DeliveryKey) syndicate.Delivery {
	t.Helper()
	ds, err := st.Deliveries(context.Background(), k.Item)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Key() == k {
			return d
		}
	}
	t.Fatalf("no delivery %v", k)
	return syndicate.Delivery{}
}

// TestEditorCancel withdraws a scheduled publish and cancels what is
// queued, leaving what was sent and reporting what is being sent.
func TestEditorCancel(t *testing.T) {
	f := newFixture(t, 0)
	ed, insp := newEditor(t, f)
	ctx := context.Background()
	id := f.art.ID
	task, opts := jobs.NewPublishTask(id, 1)
	if _, err := ed.Queue.EnqueueContext(ctx, task, append(opts, asynq.ProcessIn(time.Hour))...); err != nil {
		t.Fatal(err)
	}
	queued := syndicate.DeliveryKey{Item: id, Channel: syndicate.ChannelMastodon}
	sending := syndicate.DeliveryKey{Item: id, Channel: syndicate.ChannelBluesky}
	sent := syndicate.DeliveryKey{Item: id, Channel: syndicate.ChannelX}
	if err := f.st.EnsureDeliveries(ctx, []syndicate.DeliveryKey{queued}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.BeginDelivery(ctx, sending); err != nil {
		t.Fatal(err)
	}
	finish(t, f.st, sent, syndicate.StatusSent, "")
	fanOut, cancelled, inFlight, err := ed.Cancel(ctx, id)
	if err != nil || fanOut != "the scheduled publish was withdrawn" || cancelled != 1 || inFlight != 1 {
		t.Fatalf("Cancel = %q, %d, %d, %v", fanOut, cancelled, inFlight, err)
	}
	if ts, err := insp.ListScheduledTasks(jobs.QueueDefault); err != nil || len(ts) != 0 {
		t.Errorf("scheduled tasks after cancel: %v, %v", ts, err)
	}
	for k, want := range map[syndicate.DeliveryKey]syndicate.DeliveryStatus{queued: syndicate.StatusCancelled, sending: syndicate.StatusSending, sent: syndicate.StatusSent} {
		if d := delivery(t, f.st, k); d.Status != want {
			t.Errorf("%s after cancel: %s, want %s", d, d.Status, want)
		}
	}
	if fanOut, cancelled, _, err := ed.Cancel(ctx, id); err != nil || fanOut != "the fan-out had already run" || cancelled != 0 {
		t.Errorf("second Cancel = %q, %d, %v", fanOut, cancelled, err)
	}
}

// TestEditorCancelPlannedBatches: a cancel reaches the batches a fan-out
// planned that no worker has begun: their emails count as cancelled at
// once, and when their tasks come the rows are made cancelled and nothing
// goes out.
func TestEditorCancelPlannedBatches(t *testing.T) {
	f := newFixture(t, 10) // buckets of 4 by ID: 0 (1-3), 1 (4-7), 2 (8-10)
	ed, _ := newEditor(t, f)
	ctx := context.Background()
	q := &fakeQueue{}
	mailer := &fakeMailer{}
	f.h.Queue, f.h.Mailer = q, mailer
	pub, _ := jobs.NewPublishTask(f.art.ID, 3)
	if err := handle(f.h, pub); err != nil {
		t.Fatal(err)
	}
	batch := func(b string) {
		t.Helper()
		if err := handle(f.h, q.tasks["email:"+f.art.ID+":"+b]); err != nil {
			t.Fatal(err)
		}
	}
	batch("0")
	_, cancelled, inFlight, err := ed.Cancel(ctx, f.art.ID)
	if err != nil || cancelled != 7 || inFlight != 0 {
		t.Fatalf("Cancel = %d cancelled, %d in flight, %v; want the 7 planned emails of batches 1 and 2", cancelled, inFlight, err)
	}
	counts, err := f.st.DeliveryCounts(ctx, f.art.ID)
	if err != nil {
		t.Fatal(err)
	}
	if em := counts[syndicate.ChannelEmail]; em[syndicate.StatusSent] != 3 || em[syndicate.StatusCancelled] != 7 || em[syndicate.StatusQueued] != 0 {
		t.Errorf("after the cancel: %v, want 3 sent and 7 cancelled", counts)
	}
	batch("1")
	batch("2")
	ds := f.waitFinal(t, f.art.ID, 10)
	for _, d := range ds {
		want := syndicate.StatusCancelled
		if d.Subscriber <= "r03@example.com" {
			want = syndicate.StatusSent
		}
		if d.Status != want || d.ID == 0 {
			t.Errorf("%s: %s (row %d), want %s in a row of its own", d, d.Status, d.ID, want)
		}
	}
	if got := len(mailer.byRecipient()); got != 3 {
		t.Errorf("%d subscribers got email, want the 3 of batch 0", got)
	}
}

// TestEditorSendDigest queues one digest task per trigger while the first
// is still queued.
func TestEditorSendDigest(t *testing.T) {
	f := newFixture(t, 0)
	ed, insp := newEditor(t, f)
	ctx := context.Background()
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	ed.Now = func() time.Time { return now }
	first, err := ed.SendDigest(ctx, syndicate.Daily)
	if err != nil || first == "" {
		t.Fatalf("SendDigest = %q, %v", first, err)
	}
	again, err := ed.SendDigest(ctx, syndicate.Daily)
	if err != nil || again != first {
		t.Errorf("a second trigger while the first is queued = %q, %v; want %q", again, err, first)
	}
	if ts := pending(t, insp); len(ts) != 1 || ts[0].Type != jobs.TypeDigestBuild {
		t.Errorf("pending tasks: %v, want one digest", ts)
	}
	if _, err := ed.SendDigest(ctx, syndicate.Instant); syndicate.ErrorCode(err) != syndicate.EINVALID {
		t.Errorf("an instant digest: %v, want EINVALID", err)
	}
	ed.EmailOff = true
	if _, err := ed.SendDigest(ctx, syndicate.Weekly); syndicate.ErrorCode(err) != syndicate.EINVALID || len(pending(t, insp)) != 1 {
		t.Errorf("a digest with email off: %v, want EINVALID and nothing queued", err)
	}
}
