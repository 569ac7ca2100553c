package metrics

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"syndicate"
)

// scrapeTimeout bounds each question a scrape asks of the store or Redis.
const scrapeTimeout = 5 * time.Second

// Ledger is what the ledger collector reads at scrape time.
type Ledger interface {
	// UnfinishedDeliveries counts the rows not yet final by channel and
	// status, and returns when the oldest of them was planned (zero when
	// there is none).
	UnfinishedDeliveries(ctx context.Context) (map[syndicate.Channel]map[syndicate.DeliveryStatus]int, time.Time, error)
}

// Queues is what the queue collector reads at scrape time;
// *asynq.Inspector is one.
type Queues interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

var _ Queues = (*asynq.Inspector)(nil)

// WatchLedger registers a collector that asks l at every scrape how many
// ledger rows are not final and how old the oldest is.
func (m *Metrics) WatchLedger(l Ledger) {
	m.reg.MustRegister(&ledgerCollector{l: l, now: time.Now})
}

// WatchQueues registers a collector that asks q at every scrape for the
// size and latency of each asynq queue.
func (m *Metrics) WatchQueues(q Queues) {
	m.reg.MustRegister(&queueCollector{q: q})
}

var (
	unfinishedDesc = prometheus.NewDesc(namespace+"_ledger_unfinished",
		"Ledger rows not yet final (queued, sending, deferred), by channel and status.", []string{"channel", "status"}, nil)
	oldestDesc = prometheus.NewDesc(namespace+"_ledger_oldest_unfinished_age_seconds",
		"Age of the oldest ledger row not yet final, since it was planned; 0 when every row is final.", nil, nil)
	ledgerUpDesc = prometheus.NewDesc(namespace+"_ledger_up",
		"1 when the last scrape could read the ledger, else 0.", nil, nil)

	queueTasksDesc = prometheus.NewDesc(namespace+"_queue_tasks",
		"Tasks in an asynq queue, by queue and state (pending, active, scheduled, retry, archived, completed).", []string{"queue", "state"}, nil)
	queueLatencyDesc = prometheus.NewDesc(namespace+"_queue_latency_seconds",
		"How long the oldest pending task of an asynq queue has waited.", []string{"queue"}, nil)
	queueUpDesc = prometheus.NewDesc(namespace+"_queue_up",
		"1 when the last scrape could read the queues from Redis, else 0.", nil, nil)
)

// ledgerCollector reads the ledger when scraped.
type ledgerCollector struct {
	l   Ledger
	now func() time.Time
}

func (c *ledgerCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- unfinishedDesc
	ch <- oldestDesc
	ch <- ledgerUpDesc
}

func (c *ledgerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	counts, oldest, err := c.l.UnfinishedDeliveries(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(ledgerUpDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(ledgerUpDesc, prometheus.GaugeValue, 1)
	for _, chn := range channels {
		for _, st := range []syndicate.DeliveryStatus{syndicate.StatusQueued, syndicate.StatusSending, syndicate.StatusDeferred} {
			ch <- prometheus.MustNewConstMetric(unfinishedDesc, prometheus.GaugeValue, float64(counts[chn][st]), string(chn), string(st))
		}
	}
	age := 0.0
	if !oldest.IsZero() {
		age = max(0, c.now().Sub(oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}

// queueCollector reads the queues when scraped.
type queueCollector struct{ q Queues }

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueTasksDesc
	ch <- queueLatencyDesc
	ch <- queueUpDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	names, err := c.q.Queues()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(queueUpDesc, prometheus.GaugeValue, 0)
		return
	}
	up := 1.0
	for _, name := range names {
		info, err := c.q.GetQueueInfo(name)
		if err != nil {
			up = 0
			continue
		}
		for _, s := range []struct {
			state string
			n     int
		}{
			{"pending", info.Pending}, {"active", info.Active}, {"scheduled", info.Scheduled},
			{"retry", info.Retry}, {"archived", info.Archived}, {"completed", info.Completed},
		} {
			ch <- prometheus.MustNewConstMetric(queueTasksDesc, prometheus.GaugeValue, float64(s.n), name, s.state)
		}
		ch <- prometheus.MustNewConstMetric(queueLatencyDesc, prometheus.GaugeValue, info.Latency.Seconds(), name)
	}
	ch <- prometheus.MustNewConstMetric(queueUpDesc, prometheus.GaugeValue, up)
}
