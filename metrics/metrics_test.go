package metrics

import (
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"syndicate"
)

// The per-message methods cost no allocation: they run once per email on
// the sending path.
func TestHotPathDoesNotAllocate(t *testing.T) {
	m := New()
	planned := time.Now()
	if n := testing.AllocsPerRun(100, func() {
		m.Delivered(syndicate.ChannelEmail, syndicate.StatusSent, planned)
		m.Reply(250, "")
		m.Paced(2 * time.Millisecond)
	}); n != 0 {
		t.Errorf("Delivered, Reply and Paced allocate %v times a call, want 0", n)
	}
	if got := testutil.ToFloat64(m.deliveries.WithLabelValues("email", "sent")); got != 101 {
		t.Errorf("email sent = %v, want 101", got)
	}
}

func TestCounts(t *testing.T) {
	m := New()
	m.Delivered(syndicate.ChannelX, syndicate.StatusQueued, time.Now()) // not final: not counted
	m.Delivered(syndicate.ChannelX, syndicate.StatusFailed, time.Time{})
	m.Delivered("myspace", syndicate.StatusSent, time.Now().Add(-time.Minute))
	m.Reply(550, "5.1.1")
	m.Reply(250, "")
	m.Answered(syndicate.ChannelMastodon, OutcomeRateLimited)
	m.Waited(syndicate.ChannelMastodon, 3*time.Second)
	m.Paced(time.Microsecond) // the limiter said go: not a wait
	m.FeedPolled(FeedError)

	for _, c := range []struct {
		name string
		got  float64
		want float64
	}{
		{"x queued", testutil.ToFloat64(m.deliveries.WithLabelValues("x", "queued")), 0},
		{"x failed", testutil.ToFloat64(m.deliveries.WithLabelValues("x", "failed")), 1},
		{"myspace sent", testutil.ToFloat64(m.deliveries.WithLabelValues("myspace", "sent")), 1},
		{"550 5.1.1", testutil.ToFloat64(m.smtp.WithLabelValues("5xx", "550", "5.1.1")), 1},
		{"250", testutil.ToFloat64(m.smtp.WithLabelValues("2xx", "250", "")), 1},
		{"mastodon 429", testutil.ToFloat64(m.social.WithLabelValues("mastodon", "rate_limited")), 1},
		{"mastodon waits", testutil.ToFloat64(m.waits.WithLabelValues("mastodon")), 1},
		{"mastodon wait seconds", testutil.ToFloat64(m.waitSeconds.WithLabelValues("mastodon")), 3},
		{"email waits", testutil.ToFloat64(m.waits.WithLabelValues("email")), 0},
		{"feed errors", testutil.ToFloat64(m.feeds.WithLabelValues("error")), 1},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	// A delivery without a planned time is counted but not timed.
	if n := testutil.CollectAndCount(m.latency); n != len(channels)+1 {
		t.Errorf("latency series = %d, want %d (one per channel and myspace)", n, len(channels)+1)
	}
}

type fakeLedger struct {
	counts map[syndicate.Channel]map[syndicate.DeliveryStatus]int
	oldest time.Time
	err    error
}

func (f fakeLedger) UnfinishedDeliveries(context.Context) (map[syndicate.Channel]map[syndicate.DeliveryStatus]int, time.Time, error) {
	return f.counts, f.oldest, f.err
}

type fakeQueues struct{ err error }

func (f fakeQueues) Queues() ([]string, error) { return []string{"default"}, f.err }
func (f fakeQueues) GetQueueInfo(q string) (*asynq.QueueInfo, error) {
	return &asynq.QueueInfo{Queue: q, Pending: 7, Retry: 2, Latency: 90 * time.Second}, nil
}

// The scrape-time collectors report what the ledger and the queues say,
// and say when they could not read them.
func TestCollectors(t *testing.T) {
	m := New()
	now := time.Now()
	m.WatchLedger(fakeLedger{counts: map[syndicate.Channel]map[syndicate.DeliveryStatus]int{syndicate.ChannelEmail: {syndicate.StatusQueued: 12}}, oldest: now.Add(-time.Hour)})
	m.WatchQueues(fakeQueues{})
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`syndicate_ledger_unfinished{channel="email",status="queued"} 12`,
		`syndicate_ledger_unfinished{channel="x",status="sending"} 0`,
		`syndicate_ledger_up 1`,
		`syndicate_queue_tasks{queue="default",state="pending"} 7`,
		`syndicate_queue_tasks{queue="default",state="retry"} 2`,
		`syndicate_queue_latency_seconds{queue="default"} 90`,
		`syndicate_queue_up 1`,
		`syndicate_deliveries_total{channel="bluesky",status="sent"} 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !strings.Contains(string(body), "syndicate_ledger_oldest_unfinished_age_seconds 3600") {
		t.Errorf("oldest age is not about an hour:\n%s", grep(string(body), "oldest"))
	}

	broken := New()
	broken.WatchLedger(fakeLedger{err: errors.New("database is down")})
	broken.WatchQueues(fakeQueues{err: errors.New("redis is down")})
	rec = httptest.NewRecorder()
	broken.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ = io.ReadAll(rec.Body)
	for _, want := range []string{"syndicate_ledger_up 0", "syndicate_queue_up 0"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("with the store and Redis down, /metrics lacks %q", want)
		}
	}
	if rec.Code != 200 {
		t.Errorf("with the store down /metrics answers %d, want 200", rec.Code)
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestCountRequeued: the reconciler's count is read at each scrape.
func TestCountRequeued(t *testing.T) {
	m := New()
	var n atomic.Int64
	m.CountRequeued(n.Load)
	m.CountRequeued(n.Load) // a second call neither panics nor doubles
	n.Store(7)
	if got, err := testutil.GatherAndCount(m.Registry(), "syndicate_reconciler_requeued_tasks_total"); err != nil || got != 1 {
		t.Fatalf("series = %d, %v; want 1", got, err)
	}
	want := "# HELP syndicate_reconciler_requeued_tasks_total Tasks the reconciler enqueued again because the queue no longer had them while the ledger waited.\n# TYPE syndicate_reconciler_requeued_tasks_total counter\nsyndicate_reconciler_requeued_tasks_total 7\n"
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "syndicate_reconciler_requeued_tasks_total"); err != nil {
		t.Error(err)
	}
}
