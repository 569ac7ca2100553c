package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"syndicate"
	"syndicate/jobs"
	"syndicate/signed"
)

// TestDigestThroughQueue: the daily digest reaches each daily subscriber
// once with every new article, newest first; a second trigger in the same
// second is refused by its TaskID, one in a later second finds nothing new.
func TestDigestThroughQueue(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	for i := 1; i <= 5; i++ {
		if _, _, err := f.st.UpsertSubscriber(ctx, syndicate.Subscriber{Email: fmt.Sprintf("d%d@example.com", i), Frequency: syndicate.Daily}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := f.st.UpsertSubscriber(ctx, syndicate.Subscriber{Email: "w@example.com", Frequency: syndicate.Weekly}); err != nil {
		t.Fatal(err)
	}
	second := syndicate.Article{Title: "Second Story", URL: "https://news.example.com/second", PublishedAt: f.art.PublishedAt.Add(time.Hour), Language: "ja"}
	if _, err := f.st.SaveArticle(ctx, second); err != nil {
		t.Fatal(err)
	}
	mailer := &fakeMailer{}
	f.h.Mailer, f.h.Archive = mailer, true
	q := f.runQueue(t)

	slot := time.Now()
	task, opts := jobs.NewDigestTask(syndicate.Daily, slot, 3)
	if _, err := q.Enqueue(task, opts...); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(task, opts...); !errors.Is(err, asynq.ErrTaskIDConflict) {
		t.Errorf("a second trigger in the same slot: %v, want ErrTaskIDConflict", err)
	}
	id := syndicate.DigestID(syndicate.Daily, slot)
	f.waitFinal(t, id, 5)
	got := mailer.byRecipient()
	for i := 1; i <= 5; i++ {
		if n := len(got[fmt.Sprintf("d%d@example.com", i)]); n != 1 {
			t.Errorf("d%d got %d digests, want 1", i, n)
		}
	}
	if len(got["w@example.com"]) != 0 {
		t.Error("the weekly subscriber got the daily digest")
	}
	m := mailer.sent[0]
	if m.Subject != "News: Second Story, and 1 more" {
		t.Errorf("digest subject %q", m.Subject)
	}
	// Each card carries its article's language, read back from the store.
	if !strings.Contains(m.HTML, `class="card" lang="ja" dir="ltr"`) || !strings.Contains(m.HTML, `<html lang="en" dir="ltr">`) {
		t.Errorf("digest cards do not carry their languages:\n%s", m.HTML)
	}
	if m.FeedbackID != id+":daily:newsletter:news.example.com" {
		t.Errorf("digest Feedback-ID %q", m.FeedbackID)
	}
	if a, err := f.st.ArchivedEmail(ctx, id); err != nil || a.Subject != m.Subject || a.Frequency != syndicate.Daily ||
		strings.Contains(a.HTML, "d1@example.com") || !strings.Contains(a.HTML, "Second Story") || !strings.Contains(m.HTML, "/archive/"+id) {
		t.Errorf("digest archive copy %+v, %v", a.Subject, err)
	}
	if strings.Index(m.Text, "Second Story") > strings.Index(m.Text, f.art.Title) {
		t.Errorf("digest is not newest first:\n%s", m.Text)
	}

	later, opts := jobs.NewDigestTask(syndicate.Daily, slot.Add(2*time.Second), 3)
	info, err := q.Enqueue(later, opts...)
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspectorFromRedisClient(f.rc)
	deadline := time.Now().Add(20 * time.Second)
	for {
		ti, err := insp.GetTaskInfo(info.Queue, info.ID)
		if err == nil && ti.State == asynq.TaskStateCompleted {
			if string(ti.Result) != "" {
				t.Errorf("a trigger with nothing new built digest %q", ti.Result)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the second digest task did not complete: %+v %v", ti, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(mailer.byRecipient()["d1@example.com"]); n != 1 {
		t.Errorf("after a trigger with nothing new d1 has %d digests", n)
	}
}

// TestConfirmEmail: a pending subscriber gets one confirmation email with a
// signed link; an active, bounced, unsubscribed or unknown one gets none.
func TestConfirmEmail(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	if _, _, err := f.st.UpsertSubscriber(ctx, syndicate.Subscriber{Email: "new@example.com", Status: syndicate.SubscriberPending}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.st.UpsertSubscriber(ctx, syndicate.Subscriber{Email: "old@example.com"}); err != nil {
		t.Fatal(err)
	}
	for _, st := range []syndicate.SubscriberStatus{syndicate.SubscriberBounced, syndicate.SubscriberUnsubscribed} {
		if _, _, err := f.st.UpsertSubscriber(ctx, syndicate.Subscriber{Email: string(st) + "@example.com", Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	mailer := &fakeMailer{}
	f.h.Mailer = mailer
	now := time.Now()
	// The form asks for every address; only the pending one is mailed.
	for _, addr := range []string{"new@example.com", "new@example.com", "old@example.com", "bounced@example.com", "unsubscribed@example.com", "unknown@example.com"} {
		task, _ := jobs.NewConfirmTask(addr, now, 3)
		if err := handle(f.h, task); err != nil {
			t.Fatal(err)
		}
	}
	if len(mailer.sent) != 1 || mailer.sent[0].To != "new@example.com" {
		t.Fatalf("sent %+v, want one confirmation to new@example.com", mailer.sent)
	}
	if !strings.Contains(mailer.sent[0].Text, "https://news.example.com/confirm?token=") {
		t.Errorf("confirmation lacks the link:\n%s", mailer.sent[0].Text)
	}
	checkConfirmMessage(t, f, mailer.sent[0], "new@example.com", jobs.DefaultConfirmTTL)
}

// checkConfirmMessage checks that m is transactional and that its link is
// an opaque confirm token for addr's handle and version, expiring ttl
// after the handler's now.
func checkConfirmMessage(t *testing.T, f *fixture, m syndicate.Message, addr string, ttl time.Duration) {
	t.Helper()
	if !m.Transactional || m.UnsubscribeURL != "" || m.ListID != "" || m.MessageID == "" || m.Date.IsZero() {
		t.Errorf("confirmation message = %+v, want transactional with a Message-ID and Date and no list headers", m)
	}
	i := strings.Index(m.Text, "/confirm?token=")
	if i < 0 {
		t.Fatalf("no link in %q", m.Text)
	}
	tok := strings.Fields(m.Text[i+len("/confirm?token="):])[0]
	if strings.Contains(tok, ".") || strings.Contains(m.Text[i:], "bmV3") {
		t.Errorf("token %q looks address-based", tok)
	}
	sub, err := f.st.Subscriber(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := signed.Verify(f.h.Secret, signed.PurposeConfirm, tok, m.Date)
	if err != nil || c.Handle != sub.Handle || c.Version != sub.TokenVersion {
		t.Fatalf("token claims %+v, %v; want handle %s version %d", c, err, sub.Handle, sub.TokenVersion)
	}
	if want := m.Date.Add(ttl).Truncate(time.Second); !c.Expires.Equal(want) {
		t.Errorf("link expires %v, want %v", c.Expires, want)
	}
}

// TestConfirmTTL: the configured lifetime of confirm links is the one
// their tokens carry.
func TestConfirmTTL(t *testing.T) {
	f := newFixture(t, 0)
	if _, _, err := f.st.SignUp(context.Background(), syndicate.Subscriber{Email: "ttl@example.com"}); err != nil {
		t.Fatal(err)
	}
	mailer := &fakeMailer{}
	f.h.Mailer, f.h.ConfirmTTL = mailer, 90*time.Minute
	task, _ := jobs.NewConfirmTask("ttl@example.com", time.Now(), 3)
	if err := handle(f.h, task); err != nil {
		t.Fatal(err)
	}
	if len(mailer.sent) != 1 {
		t.Fatalf("sent %d, want 1", len(mailer.sent))
	}
	checkConfirmMessage(t, f, mailer.sent[0], "ttl@example.com", 90*time.Minute)
}

// TestScheduledDigest: two schedulers firing at once make one task, which
// builds the digest of its moment.
func TestScheduledDigest(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	if _, _, err := f.st.UpsertSubscriber(ctx, syndicate.Subscriber{Email: "w@example.com", Frequency: syndicate.Weekly}); err != nil {
		t.Fatal(err)
	}
	mailer := &fakeMailer{}
	f.h.Mailer = mailer
	q := f.runQueue(t)
	task, opts := jobs.NewScheduledDigestTask(syndicate.Weekly, 3)
	if _, err := q.Enqueue(task, opts...); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(task, opts...); !errors.Is(err, asynq.ErrDuplicateTask) {
		t.Errorf("a second scheduler's tick: %v, want ErrDuplicateTask", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(mailer.byRecipient()["w@example.com"]) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the scheduled weekly digest never arrived")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(mailer.byRecipient()["w@example.com"]); n != 1 {
		t.Errorf("w got %d weekly digests, want 1", n)
	}
}
