package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"syndicate"
	"syndicate/internal/testdb"
	"syndicate/internal/testredis"
	"syndicate/jobs"
	"syndicate/store"
	"syndicate/templates"
)

// fakePoster answers with the queued errors first, then succeeds.
type fakePoster struct {
	mu    sync.Mutex
	errs  []error
	posts []syndicate.Post
}

func (f *fakePoster) Post(_ context.Context, p syndicate.Post) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts = append(f.posts, p)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return "", err
	}
	return fmt.Sprintf("post-%d", len(f.posts)), nil
}

func (f *fakePoster) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.posts)
}

// fakeMailer records every message; fail decides a result per message.
type fakeMailer struct {
	mu      sync.Mutex
	sent    []syndicate.Message
	batches int
	fail    func(m syndicate.Message, attempt int) error
	tries   map[string]int
}

func (f *fakeMailer) SendEach(ctx context.Context, n int, msg func(int) (syndicate.Message, error), report func(int, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches++
	if f.tries == nil {
		f.tries = map[string]int{}
	}
	for i := range n {
		m, err := msg(i)
		if err != nil {
			report(i, &syndicate.SendError{Outcome: syndicate.Permanent, Message: err.Error(), Err: err})
			continue
		}
		f.tries[m.To]++
		if f.fail != nil {
			err = f.fail(m, f.tries[m.To])
		}
		if err == nil {
			f.sent = append(f.sent, m)
		}
		report(i, err)
	}
	return nil
}

func (f *fakeMailer) byRecipient() map[string][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string][]string{}
	for _, m := range f.sent {
		out[m.To] = append(out[m.To], m.MessageID)
	}
	return out
}

type fixture struct {
	st  *store.Store
	h   *jobs.Handler
	art syndicate.Article
	rc  redis.UniversalClient
}

func newFixture(t *testing.T, subscribers int) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tpl, err := templates.New("")
	if err != nil {
		t.Fatal(err)
	}
	art := syndicate.Article{
		Title: "Harbour Festival Returns", URL: "https://news.example.com/harbour",
		Summary: "Boats, music and food return to the harbour this weekend.", Tags: []string{"events"},
		PublishedAt: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC),
	}
	art.ID = syndicate.ArticleID(mustCanon(t, art.URL))
	if _, err := st.SaveArticle(ctx, art); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= subscribers; i++ {
		if _, _, err := st.UpsertSubscriber(ctx, syndicate.Subscriber{Email: fmt.Sprintf("r%02d@example.com", i), Frequency: syndicate.Instant}); err != nil {
			t.Fatal(err)
		}
	}
	h := &jobs.Handler{
		Store: st, Templates: tpl, From: "News <news@news.example.com>",
		Brand:  templates.Brand{Name: "News", BaseURL: "https://news.example.com"},
		Secret: "test-secret-0123456789", BatchSize: 4, MaxRetry: 3,
		Posters: map[syndicate.Channel]jobs.Poster{},
	}
	return &fixture{st: st, h: h, art: art}
}

func mustCanon(t *testing.T, u string) string {
	c, err := syndicate.CanonicalURL(u)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runQueue starts a real asynq server on a real Redis (embedded unless
// SYNDICATE_TEST_REDIS_URL is set) running f.h, and returns a client.
func (f *fixture) runQueue(t *testing.T) *asynq.Client {
	t.Helper()
	// Database 2 of a real Redis: the tests here run one after another;
	// cmd/syndicate's use database 1.
	opt, err := redis.ParseURL(testredis.URL(t, 2))
	if err != nil {
		t.Fatal(err)
	}
	f.rc = redis.NewClient(opt)
	t.Cleanup(func() { f.rc.Close() })
	q := asynq.NewClientFromRedisClient(f.rc)
	f.h.Queue = q
	mux := asynq.NewServeMux()
	f.h.Register(mux)
	srv := asynq.NewServerFromRedisClient(f.rc, asynq.Config{
		Concurrency:              4,
		RetryDelayFunc:           jobs.RetryDelay(20 * time.Millisecond),
		IsFailure:                jobs.IsFailure,
		DelayedTaskCheckInterval: 100 * time.Millisecond,
		TaskCheckInterval:        50 * time.Millisecond,
		LogLevel:                 asynq.FatalLevel,
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	return q
}

// publishQueued starts the queue (runQueue) and enqueues the publish of
// f's article.
func (f *fixture) publishQueued(t *testing.T) *asynq.Client {
	t.Helper()
	q := f.runQueue(t)
	task, opts := jobs.NewPublishTask(f.art.ID, 3)
	if _, err := q.Enqueue(task, opts...); err != nil {
		t.Fatal(err)
	}
	return q
}

// waitFinal waits until the item has want deliveries, all final.
func (f *fixture) waitFinal(t *testing.T, item string, want int) []syndicate.Delivery {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ds, err := f.st.Deliveries(context.Background(), item)
		if err != nil {
			t.Fatal(err)
		}
		done := len(ds) == want
		for _, d := range ds {
			done = done && d.Status.Final()
		}
		if done {
			return ds
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries of %s not final: %+v", item, ds)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPublishThroughQueue runs a whole publish through asynq: a 429 waits
// the server's time without using a retry, a temporary SMTP failure is
// retried for that message only, with the same Message-ID.
func TestPublishThroughQueue(t *testing.T) {
	f := newFixture(t, 10)
	f.h.MaxRetry = 1
	rl := &syndicate.RateLimitError{RetryAfter: 50 * time.Millisecond, Message: "slow down"}
	poster := &fakePoster{errs: []error{rl, rl, rl}} // three limits, one retry: limits must not count
	f.h.Posters[syndicate.ChannelX] = poster
	mailer := &fakeMailer{fail: func(m syndicate.Message, attempt int) error {
		if m.To == "r03@example.com" && attempt == 1 {
			return &syndicate.SendError{Outcome: syndicate.Temporary, Code: 451, Message: "try later"}
		}
		return nil
	}}
	f.h.Mailer = mailer
	q := f.runQueue(t)

	task, opts := jobs.NewPublishTask(f.art.ID, 3)
	if _, err := q.Enqueue(task, opts...); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Enqueue(task, opts...); !errors.Is(err, asynq.ErrTaskIDConflict) {
		t.Errorf("second enqueue of the same article: err %v, want ErrTaskIDConflict", err)
	}
	ds := f.waitFinal(t, f.art.ID, 11)
	for _, d := range ds {
		if d.Status != syndicate.StatusSent {
			t.Errorf("%s: %s (%s)", d, d.Status, d.Error)
		}
	}
	if poster.calls() != 4 {
		t.Errorf("poster called %d times, want 4 (3 rate limits, 1 success)", poster.calls())
	}
	got := mailer.byRecipient()
	for i := 1; i <= 10; i++ {
		addr := fmt.Sprintf("r%02d@example.com", i)
		if len(got[addr]) != 1 {
			t.Errorf("%s received %d messages, want 1", addr, len(got[addr]))
		}
	}
	if mailer.tries["r03@example.com"] != 2 || mailer.tries["r04@example.com"] != 1 {
		t.Errorf("tries = %v: the retry must resend only the failed message", mailer.tries)
	}
	if mailer.batches != 4 { // 10 subscribers in buckets of 4 by ID (1-3, 4-7, 8-10), plus one retry
		t.Errorf("mailer saw %d batches, want 4", mailer.batches)
	}
}

func postTask(f *fixture, ch syndicate.Channel) *asynq.Task {
	t, _ := jobs.NewPostTask(f.art.ID, ch, 3)
	return t
}

// TestPostOutcomes maps each adapter result to the ledger and asynq.
func TestPostOutcomes(t *testing.T) {
	cases := []struct {
		name      string
		err       error
		status    syndicate.DeliveryStatus
		retry     bool // the task returns an error asynq retries
		skipRetry bool
	}{
		{"sent", nil, syndicate.StatusSent, false, false},
		{"rate limited", &syndicate.RateLimitError{RetryAfter: time.Minute}, syndicate.StatusQueued, true, false},
		{"duplicate", &syndicate.SendError{Outcome: syndicate.Duplicate, Code: 403}, syndicate.StatusDuplicate, false, false},
		{"unknown", &syndicate.SendError{Outcome: syndicate.Unknown, Code: 503}, syndicate.StatusUnknown, false, false},
		{"temporary", &syndicate.SendError{Outcome: syndicate.Temporary}, syndicate.StatusQueued, true, false},
		{"auth", &syndicate.SendError{Outcome: syndicate.AuthFailed, Code: 401}, syndicate.StatusFailed, false, true},
		{"permanent", &syndicate.SendError{Outcome: syndicate.Permanent, Code: 403, Message: "forbidden"}, syndicate.StatusFailed, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, 0)
			p := &fakePoster{}
			if c.err != nil {
				p.errs = []error{c.err}
			}
			f.h.Posters[syndicate.ChannelX] = p
			err := handle(f.h, postTask(f, syndicate.ChannelX))
			if (err != nil) != (c.retry || c.skipRetry) {
				t.Fatalf("handler err = %v", err)
			}
			if got := errors.Is(err, asynq.SkipRetry); got != c.skipRetry {
				t.Errorf("SkipRetry = %v, want %v (err %v)", got, c.skipRetry, err)
			}
			var rl *syndicate.RateLimitError
			if errors.As(err, &rl) && jobs.IsFailure(err) {
				t.Error("a rate limit counts as a failure")
			}
			ds, _ := f.st.Deliveries(context.Background(), f.art.ID)
			if len(ds) != 1 || ds[0].Status != c.status {
				t.Fatalf("ledger = %+v, want one %s row", ds, c.status)
			}
			// Running the task again never posts a final delivery twice.
			if c.status.Final() {
				if err := handle(f.h, postTask(f, syndicate.ChannelX)); err != nil {
					t.Fatal(err)
				}
				if p.calls() != 1 {
					t.Errorf("a final %s delivery was posted again", c.status)
				}
			}
		})
	}
}

// TestXPostLeftSendingIsUnknown: a worker died mid-post; X has no
// idempotency key, so the post is held for an editor, never re-posted.
func TestXPostLeftSendingIsUnknown(t *testing.T) {
	f := newFixture(t, 0)
	p := &fakePoster{}
	f.h.Posters[syndicate.ChannelX] = p
	f.h.Posters[syndicate.ChannelOutbox] = p
	ctx := context.Background()
	for _, ch := range []syndicate.Channel{syndicate.ChannelX, syndicate.ChannelOutbox} {
		if _, err := f.st.BeginDelivery(ctx, syndicate.DeliveryKey{Item: f.art.ID, Channel: ch}); err != nil {
			t.Fatal(err)
		}
		if err := handle(f.h, postTask(f, ch)); err != nil {
			t.Fatal(err)
		}
	}
	ds, _ := f.st.Deliveries(ctx, f.art.ID)
	want := map[syndicate.Channel]syndicate.DeliveryStatus{syndicate.ChannelX: syndicate.StatusUnknown, syndicate.ChannelOutbox: syndicate.StatusSent}
	for _, d := range ds {
		if d.Status != want[d.Channel] {
			t.Errorf("%s: %s, want %s", d, d.Status, want[d.Channel])
		}
	}
	if p.calls() != 1 {
		t.Errorf("poster called %d times, want 1 (outbox only)", p.calls())
	}
}

// TestEmailBatchResults: a bounce suppresses the address; a permanent
// failure is final; a message left sending by a dead worker is resent with
// the same Message-ID; an unsubscribed address is skipped.
func TestEmailBatchResults(t *testing.T) {
	f := newFixture(t, 4)
	ctx := context.Background()
	mailer := &fakeMailer{fail: func(m syndicate.Message, _ int) error {
		switch m.To {
		case "r01@example.com":
			return &syndicate.SendError{Outcome: syndicate.Bounced, Code: 550, Message: "5.1.1 no such user"}
		case "r02@example.com":
			return &syndicate.SendError{Outcome: syndicate.Permanent, Code: 554, Message: "rejected"}
		}
		return nil
	}}
	f.h.Mailer = mailer
	emails := []string{"r01@example.com", "r02@example.com", "r03@example.com", "r04@example.com"}
	r03, err := f.st.BeginDelivery(ctx, syndicate.DeliveryKey{Item: f.art.ID, Channel: syndicate.ChannelEmail, Subscriber: "r03@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.RemoveSubscriber(ctx, "r04@example.com"); err != nil {
		t.Fatal(err)
	}
	task, _ := jobs.NewEmailBatchTask(f.art.ID, syndicate.Instant, []string{f.art.ID}, 0, emails, 3)
	if err := handle(f.h, task); err != nil {
		t.Fatal(err)
	}
	ds, _ := f.st.Deliveries(ctx, f.art.ID)
	want := map[string]syndicate.DeliveryStatus{
		"r01@example.com": syndicate.StatusBounced, "r02@example.com": syndicate.StatusFailed,
		"r03@example.com": syndicate.StatusSent, "r04@example.com": syndicate.StatusSkipped,
	}
	for _, d := range ds {
		if d.Status != want[d.Subscriber] {
			t.Errorf("%s: %s, want %s", d, d.Status, want[d.Subscriber])
		}
	}
	sub, err := f.st.Subscriber(ctx, "r01@example.com")
	if err != nil || sub.Status != syndicate.SubscriberBounced {
		t.Errorf("bounced subscriber status = %s, %v; want bounced", sub.Status, err)
	}
	ids := mailer.byRecipient()["r03@example.com"]
	if len(ids) != 1 || ids[0] != jobs.MessageID(r03.ID, f.art.ID, "r03@example.com", "news.example.com") {
		t.Errorf("r03 Message-IDs = %v, want the stable one", ids)
	}
	// A duplicated task sends nothing more.
	if err := handle(f.h, task); err != nil {
		t.Fatal(err)
	}
	if n := len(mailer.byRecipient()["r03@example.com"]); n != 1 {
		t.Errorf("a duplicated batch sent r03 %d messages", n)
	}
}

// handle runs one task through a ServeMux as asynq would.
func handle(h *jobs.Handler, t *asynq.Task) error {
	mux := asynq.NewServeMux()
	h.Register(mux)
	return mux.ProcessTask(context.Background(), t)
}

func TestRetryDelay(t *testing.T) {
	d := jobs.RetryDelay(time.Second)
	if got := d(5, &syndicate.RateLimitError{RetryAfter: 42 * time.Second}, nil); got != 42*time.Second {
		t.Errorf("rate-limit delay = %s, want the server's 42s", got)
	}
	for n, want := range map[int]time.Duration{0: time.Second, 3: 8 * time.Second, 20: time.Hour} {
		got := d(n, errors.New("boom"), nil)
		if got < want*8/10 || got > want*12/10 {
			t.Errorf("delay(%d) = %s, want %s ±20%%", n, got, want)
		}
	}
}

// TestDailyCap: past max_posts_per_day a post waits for the next day as
// deferred, without using a retry.
func TestDailyCap(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 22, 30, 0, 0, time.UTC)
	f.h.Now = func() time.Time { return now }
	f.h.Caps = map[syndicate.Channel]int{syndicate.ChannelX: 1}
	p := &fakePoster{}
	f.h.Posters[syndicate.ChannelX] = p
	if ok, err := f.st.ClaimDailyPost(ctx, syndicate.ChannelX, "2026-11-26", 1); !ok || err != nil {
		t.Fatal("could not use up the day's post", err)
	}
	err := handle(f.h, postTask(f, syndicate.ChannelX))
	var rl *syndicate.RateLimitError
	if !errors.As(err, &rl) || jobs.IsFailure(err) {
		t.Fatalf("capped post: err %v, want a rate-limit wait that is not a failure", err)
	}
	if want := 90*time.Minute + time.Second; rl.RetryAfter != want {
		t.Errorf("wait %s, want %s (until midnight)", rl.RetryAfter, want)
	}
	ds, _ := f.st.Deliveries(ctx, f.art.ID)
	if ds[0].Status != syndicate.StatusDeferred || !strings.Contains(ds[0].Error, "daily cap of 1 x posts") {
		t.Errorf("ledger = %+v, want deferred with the reason", ds[0])
	}
	if p.calls() != 0 {
		t.Error("a capped post was sent")
	}
	now = now.Add(2 * time.Hour) // the next day
	if err := handle(f.h, postTask(f, syndicate.ChannelX)); err != nil {
		t.Fatal(err)
	}
	if ds, _ := f.st.Deliveries(ctx, f.art.ID); ds[0].Status != syndicate.StatusSent || p.calls() != 1 {
		t.Errorf("next day: %+v, %d calls; want sent once", ds[0], p.calls())
	}
}

// TestAuthFailureFlagsChannel: a 401 marks the channel as needing new
// credentials; the next success clears it.
func TestAuthFailureFlagsChannel(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	f.h.Posters[syndicate.ChannelX] = &fakePoster{errs: []error{&syndicate.SendError{Outcome: syndicate.AuthFailed, Code: 401, Message: "Unauthorized"}}}
	if err := handle(f.h, postTask(f, syndicate.ChannelX)); !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("err %v, want SkipRetry", err)
	}
	states, err := f.st.ChannelStates(ctx)
	if err != nil || len(states) != 1 || states[0].State != syndicate.ChannelNeedsCredentials || !strings.Contains(states[0].Reason, "Unauthorized") {
		t.Fatalf("channel states = %+v, %v", states, err)
	}
	other := syndicate.Article{Title: "Other", URL: "https://news.example.com/other"}
	if _, err := f.st.SaveArticle(ctx, other); err != nil {
		t.Fatal(err)
	}
	task, _ := jobs.NewPostTask(syndicate.ArticleID(mustCanon(t, other.URL)), syndicate.ChannelX, 3)
	if err := handle(f.h, task); err != nil {
		t.Fatal(err)
	}
	if states, _ := f.st.ChannelStates(ctx); states[0].State != syndicate.ChannelOK {
		t.Errorf("after a success the channel is %+v", states[0])
	}
}

// limitedPoster is a poster whose network says its own limit.
type limitedPoster struct {
	fakePoster
	max int
}

func (l *limitedPoster) Limit(context.Context) (int, int, error) { return l.max, 23, nil }

func TestPosterLimitIsUsed(t *testing.T) {
	f := newFixture(t, 0)
	p := &limitedPoster{max: 100}
	f.h.Posters[syndicate.ChannelMastodon] = p
	if err := handle(f.h, postTask(f, syndicate.ChannelMastodon)); err != nil {
		t.Fatal(err)
	}
	if got := p.posts[0]; got.Limit != 100 || got.Length > 100 {
		t.Errorf("post %+v ignores the instance's limit of 100", got)
	}
}

// failingQueue takes the first n tasks and refuses the rest, as a Redis
// that went away mid-fan-out.
type failingQueue struct {
	*fakeQueue
	n int
}

func (q *failingQueue) EnqueueContext(ctx context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	if q.n <= 0 {
		return nil, errors.New("dial tcp 127.0.0.1:6379: connection refused")
	}
	q.n--
	return q.fakeQueue.EnqueueContext(ctx, t, opts...)
}

// TestFanOutQueueFails: a fan-out whose queue fails part-way fails, and
// its retry queues the batches the first run did not, under the plans the
// first run made: each subscriber is in one batch and counted once.
func TestFanOutQueueFails(t *testing.T) {
	f := newFixture(t, 10) // buckets of 4 by ID: 0 (1-3), 1 (4-7), 2 (8-10)
	ctx := context.Background()
	q := &fakeQueue{}
	f.h.Queue, f.h.Mailer = &failingQueue{fakeQueue: q, n: 1}, &fakeMailer{}
	pub, _ := jobs.NewPublishTask(f.art.ID, 3)
	if err := handle(f.h, pub); err == nil || !strings.Contains(err.Error(), "enqueue email batch 1") {
		t.Fatalf("fan-out with a failing queue: %v, want batch 1's enqueue error", err)
	}
	f.h.Queue = q
	if err := handle(f.h, pub); err != nil {
		t.Fatal(err)
	}
	var emails []string
	for _, id := range q.ids() {
		if strings.HasPrefix(id, "email:") {
			var b batchView
			if err := json.Unmarshal(q.tasks[id].Payload(), &b); err != nil {
				t.Fatal(err)
			}
			emails = append(emails, b.Emails...)
		}
	}
	if len(emails) != 10 {
		t.Errorf("the batches carry %v, want the 10 subscribers once each", emails)
	}
	counts, err := f.st.DeliveryCounts(ctx, f.art.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := counts[syndicate.ChannelEmail][syndicate.StatusQueued]; n != 10 {
		t.Errorf("%d emails queued, want 10", n)
	}
}
