// Package metrics owns syndicate's Prometheus collectors and the registry
// they are served from. Nothing here touches the client library's default
// registry: each process makes one *Metrics and hands it, as the small
// interfaces the callers declare (jobs.Recorder, email.Observer …), to the
// code that counts.
//
// The methods called once per message (Delivered, Reply, Paced) use
// children resolved when the Metrics is made: a map read and an atomic
// add, no allocation and no lock.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"syndicate"
)

// namespace prefixes every metric.
const namespace = "syndicate"

// Post outcomes, the values of syndicate_social_answers_total's outcome
// label.
const (
	OutcomeSent        = "sent"
	OutcomeRateLimited = "rate_limited" // a 429, or the network's own wait
	OutcomeAuth        = "auth"         // the credentials were refused
	OutcomeDuplicate   = "duplicate"    // the network already had the post
	OutcomeUnknown     = "unknown"      // it may or may not have gone out
	OutcomeError       = "error"        // refused, or a temporary failure
)

// Feed poll results, the values of syndicate_feed_polls_total's result
// label.
const (
	FeedPublished = "published" // something new was published
	FeedUnchanged = "unchanged" // nothing new
	FeedBackoff   = "backoff"   // skipped: the feed failed recently
	FeedError     = "error"     // the poll failed
)

// latencyBuckets spans a post that goes in a second to a large send that
// takes hours, in seconds.
var latencyBuckets = []float64{0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400}

// Metrics holds the collectors of one process and the registry that
// serves them. The zero value is not usable; call New.
type Metrics struct {
	reg *prometheus.Registry

	deliveries  *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	smtp        *prometheus.CounterVec
	social      *prometheus.CounterVec
	feeds       *prometheus.CounterVec
	waits       *prometheus.CounterVec
	waitSeconds *prometheus.CounterVec

	// Resolved once, read without a lock: the hot path's children.
	byChannel map[syndicate.Channel]*channelMetrics
	smtpOK    prometheus.Counter // 250 with no enhanced code seen
}

// channelMetrics are one channel's children of the per-message metrics.
type channelMetrics struct {
	delivered   map[syndicate.DeliveryStatus]prometheus.Counter
	latency     prometheus.Observer
	waits       prometheus.Counter
	waitSeconds prometheus.Counter
}

// channels are the label values made in advance, so every series exists
// (at zero) from the first scrape and rate() works from the start.
var channels = []syndicate.Channel{
	syndicate.ChannelEmail, syndicate.ChannelX, syndicate.ChannelMastodon,
	syndicate.ChannelBluesky, syndicate.ChannelWebhook, syndicate.ChannelOutbox,
}

var finalStatuses = []syndicate.DeliveryStatus{
	syndicate.StatusSent, syndicate.StatusFailed, syndicate.StatusUnknown,
	syndicate.StatusDuplicate, syndicate.StatusSkipped, syndicate.StatusBounced,
	syndicate.StatusCancelled,
}

// New makes the collectors and a registry holding them, the Go runtime's
// and the process's.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "deliveries_total",
			Help: "Deliveries that reached a final status, by channel and status.",
		}, []string{"channel", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "delivery_latency_seconds",
			Help:    "Time from a delivery being planned (its ledger row and task made) to its final status, by channel.",
			Buckets: latencyBuckets,
		}, []string{"channel"}),
		smtp: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "smtp_replies_total",
			Help: "SMTP server replies to messages and logins, by code class (2xx, 4xx, 5xx), code and enhanced status code (\"\" when the server gave none).",
		}, []string{"class", "code", "enhanced"}),
		social: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "social_answers_total",
			Help: "Answers of the social networks and webhook targets to posts, by network and outcome (sent, rate_limited, auth, duplicate, unknown, error).",
		}, []string{"network", "outcome"}),
		feeds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "feed_polls_total",
			Help: "Feed polls by result (published, unchanged, backoff, error).",
		}, []string{"result"}),
		waits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rate_limit_waits_total",
			Help: "Waits imposed by a rate limit: smtp.rate's pacing, or a network's 429, by channel.",
		}, []string{"channel"}),
		waitSeconds: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "rate_limit_wait_seconds_total",
			Help: "Time spent (email) or asked to wait (a network's 429) for a rate limit, by channel.",
		}, []string{"channel"}),
		byChannel: map[syndicate.Channel]*channelMetrics{},
	}
	m.reg.MustRegister(m.deliveries, m.latency, m.smtp, m.social, m.feeds, m.waits, m.waitSeconds,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, ch := range channels {
		cm := &channelMetrics{
			delivered:   map[syndicate.DeliveryStatus]prometheus.Counter{},
			latency:     m.latency.WithLabelValues(string(ch)),
			waits:       m.waits.WithLabelValues(string(ch)),
			waitSeconds: m.waitSeconds.WithLabelValues(string(ch)),
		}
		for _, st := range finalStatuses {
			cm.delivered[st] = m.deliveries.WithLabelValues(string(ch), string(st))
		}
		m.byChannel[ch] = cm
	}
	m.smtpOK = m.smtp.WithLabelValues("2xx", "250", "")
	for _, ch := range syndicate.SocialChannels {
		for _, o := range []string{OutcomeSent, OutcomeRateLimited, OutcomeAuth, OutcomeDuplicate, OutcomeUnknown, OutcomeError} {
			m.social.WithLabelValues(string(ch), o)
		}
	}
	for _, r := range []string{FeedPublished, FeedUnchanged, FeedBackoff, FeedError} {
		m.feeds.WithLabelValues(r)
	}
	return m
}

// Registry is where the collectors are registered, for a caller that adds
// its own or gathers them in a test.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Delivered counts one delivery that reached status, and, when it is
// final and planned is known, observes its latency. Non-final statuses
// are not counted.
func (m *Metrics) Delivered(ch syndicate.Channel, st syndicate.DeliveryStatus, planned time.Time) {
	if !st.Final() {
		return
	}
	cm := m.byChannel[ch]
	if cm == nil {
		m.deliveries.WithLabelValues(string(ch), string(st)).Inc()
		if !planned.IsZero() {
			m.latency.WithLabelValues(string(ch)).Observe(time.Since(planned).Seconds())
		}
		return
	}
	if c := cm.delivered[st]; c != nil {
		c.Inc()
	} else {
		m.deliveries.WithLabelValues(string(ch), string(st)).Inc()
	}
	if !planned.IsZero() {
		cm.latency.Observe(time.Since(planned).Seconds())
	}
}

// Answered counts one answer of a network (or webhook target) to a post.
func (m *Metrics) Answered(ch syndicate.Channel, outcome string) {
	m.social.WithLabelValues(string(ch), outcome).Inc()
}

// Waited counts one wait of d for ch's rate limit.
func (m *Metrics) Waited(ch syndicate.Channel, d time.Duration) {
	if cm := m.byChannel[ch]; cm != nil {
		cm.waits.Inc()
		cm.waitSeconds.Add(d.Seconds())
		return
	}
	m.waits.WithLabelValues(string(ch)).Inc()
	m.waitSeconds.WithLabelValues(string(ch)).Add(d.Seconds())
}

// FeedPolled counts one poll of a feed by its result.
func (m *Metrics) FeedPolled(result string) {
	m.feeds.WithLabelValues(result).Inc()
}

// Reply counts one SMTP reply. A 250 with no enhanced code (what a
// successful message gets) is the hot path and costs no allocation.
func (m *Metrics) Reply(code int, enhanced string) {
	if code == 250 && enhanced == "" {
		m.smtpOK.Inc()
		return
	}
	m.smtp.WithLabelValues(codeClass(code), strconv.Itoa(code), enhanced).Inc()
}

// Paced counts a wait of d for smtp.rate. Waits under a millisecond are
// the limiter saying go at once and are not counted as waits.
func (m *Metrics) Paced(d time.Duration) {
	if d < time.Millisecond {
		return
	}
	m.Waited(syndicate.ChannelEmail, d)
}

// codeClass is "2xx", "4xx" … for an SMTP reply code.
func codeClass(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code/100) + "xx"
}

// CountRequeued exports how many tasks the reconciler has enqueued again
// because the queue had lost them, read from n at each scrape. Only the
// first call of a process registers; the worker makes one reconciler.
func (m *Metrics) CountRequeued(n func() int64) {
	c := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: namespace, Name: "reconciler_requeued_tasks_total",
		Help: "Tasks the reconciler enqueued again because the queue no longer had them while the ledger waited.",
	}, func() float64 { return float64(n()) })
	_ = m.reg.Register(c) // AlreadyRegistered: a second reconciler in one process is not counted
}
