package jobs_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hibiken/asynq"

	"syndicate"
	"syndicate/jobs"
)

// stoppingMailer sends its first Send's messages, then stops the task (as a
// worker's shutdown does) and returns the context's error.
type stoppingMailer struct {
	fakeMailer
	cancel context.CancelFunc
	sends  int
}

func (m *stoppingMailer) SendEach(ctx context.Context, n int, msg func(int) (syndicate.Message, error), report func(int, error)) error {
	m.sends++
	if err := m.fakeMailer.SendEach(ctx, n, msg, report); err != nil {
		return err
	}
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
		return context.Canceled
	}
	return nil
}

// TestBatchStoppedBetweenChunks: a batch is begun and sent in chunks; when
// the task is stopped after the first, the sent rows are recorded sent and
// the rest are still queued, none sending. The retry sends only the rest,
// each once.
func TestBatchStoppedBetweenChunks(t *testing.T) {
	const n = 120 // more than one chunk of 100
	f := newFixture(t, n)
	f.h.BatchSize = 200
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := &stoppingMailer{cancel: cancel}
	f.h.Mailer = m
	var emails []string
	for i := 1; i <= n; i++ {
		emails = append(emails, fmt.Sprintf("r%02d@example.com", i))
	}
	// Planned as the fan-out plans them.
	var keys []syndicate.DeliveryKey
	for _, e := range emails {
		keys = append(keys, syndicate.DeliveryKey{Item: f.art.ID, Channel: syndicate.ChannelEmail, Subscriber: e})
	}
	if err := f.st.EnsureDeliveries(context.Background(), keys); err != nil {
		t.Fatal(err)
	}
	task, _ := jobs.NewEmailBatchTask(f.art.ID, syndicate.Instant, []string{f.art.ID}, 0, emails, 3)
	mux := asynq.NewServeMux()
	f.h.Register(mux)
	if err := mux.ProcessTask(ctx, task); err == nil {
		t.Fatal("a stopped batch returned nil")
	}
	ds, err := f.st.Deliveries(context.Background(), f.art.ID)
	if err != nil {
		t.Fatal(err)
	}
	count := map[syndicate.DeliveryStatus]int{}
	for _, d := range ds {
		count[d.Status]++
		if d.Status == syndicate.StatusQueued && d.Attempts != 0 {
			t.Errorf("%s was begun (%d attempts) though its chunk was never reached", d.Subscriber, d.Attempts)
		}
	}
	if count[syndicate.StatusSent] != 100 || count[syndicate.StatusQueued] != n-100 || len(ds) != n {
		t.Fatalf("after the stop: %v of %d rows; want 100 sent, %d queued", count, len(ds), n-100)
	}
	if err := handle(f.h, task); err != nil {
		t.Fatal(err)
	}
	got := m.byRecipient()
	for _, e := range emails {
		if len(got[e]) != 1 {
			t.Errorf("%s got %d messages, want 1", e, len(got[e]))
		}
	}
	f.waitFinal(t, f.art.ID, n)
}
