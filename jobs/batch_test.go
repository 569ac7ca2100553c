package jobs_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"syndicate"
	"syndicate/jobs"
	"syndicate/templates"
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

// TestBatchMessageThatCannotBeMade: a recipient whose email the templates
// fail to render is recorded failed with the reason and no Message-ID (it
// was never sent); the others in the batch are sent.
func TestBatchMessageThatCannotBeMade(t *testing.T) {
	f := newFixture(t, 3)
	dir := t.TempDir()
	// Renders for everyone but r02, for whom it indexes past the articles.
	src := `{{if eq .Subscriber.Email "r02@example.com"}}{{index .Articles 5}}{{end}}{{.Headline}}`
	if err := os.WriteFile(filepath.Join(dir, templates.EmailSubject), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	tpl, err := templates.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	f.h.Templates = tpl
	mailer := &fakeMailer{}
	f.h.Mailer = mailer
	f.publishQueued(t)
	for _, d := range f.waitFinal(t, f.art.ID, 3) {
		switch {
		case d.Subscriber == "r02@example.com":
			if d.Status != syndicate.StatusFailed || !strings.Contains(d.Error, "render email") || d.RemoteID != "" {
				t.Errorf("r02: %s, remote id %q, error %q; want failed, none, and the render's reason", d.Status, d.RemoteID, d.Error)
			}
		case d.Status != syndicate.StatusSent || d.RemoteID == "":
			t.Errorf("%s: %s, remote id %q, error %q; want sent", d.Subscriber, d.Status, d.RemoteID, d.Error)
		}
	}
	if got := mailer.byRecipient(); len(got) != 2 || len(got["r02@example.com"]) != 0 {
		t.Errorf("mailer got %v, want r01 and r03", got)
	}
}
