package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"syndicate/channels/email"
	"syndicate/jobs"
	"syndicate/metrics"
	"syndicate/store"
)

var (
	_ jobs.Recorder     = (*metrics.Metrics)(nil)
	_ jobs.FeedRecorder = (*metrics.Metrics)(nil)
	_ email.Observer    = (*metrics.Metrics)(nil)
	_ metrics.Ledger    = (*store.Store)(nil)
)

// newMetrics makes the process's metrics: the counters its roles feed,
// and the ledger and the queues read at every scrape.
func newMetrics(rc redis.UniversalClient, st *store.Store) *metrics.Metrics {
	m := metrics.New()
	m.WatchLedger(st)
	m.WatchQueues(asynq.NewInspectorFromRedisClient(rc))
	return m
}

// checkMetricsAddr refuses a --metrics-addr that is not host:port, or not
// on loopback unless public says the operator means it (a container's
// loopback cannot be scraped from the next one).
func checkMetricsAddr(addr string, public bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return usagef("--metrics-addr %q is not host:port", addr)
	}
	if public {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return usagef("--metrics-addr %q is not a loopback address (127.0.0.1, ::1 or localhost); add --metrics-public to serve the metrics beyond this machine", addr)
}

// serveMetrics serves m at /metrics on addr until the returned stop is
// called.
func serveMetrics(addr string, m *metrics.Metrics, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: time.Minute}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "error", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			log.Error("metrics server shutdown", "error", err)
		}
	}, nil
}
