package main

import (
	"sync"
	"testing"
	"time"
)

// TestEndToEndSharedRate: smtp.rate is one budget for the installation.
// Three worker processes sending one publish together stay within 10% of
// 20 messages a second, not three times it.
func TestEndToEndSharedRate(t *testing.T) {
	const rate, n = 20, 80
	e := newE2E(t, "SYNDICATE_SMTP_RATE=20", "SYNDICATE_BATCH_SIZE=10")
	var (
		mu    sync.Mutex
		times []time.Time
	)
	e.sink.Reject = func(int, string) error { // a clock, not a refusal
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		return nil
	}
	e.addSubscribers(n)
	for range 3 {
		e.start("worker")
	}
	path := e.write("article.md", articleMD("Bridge Repairs Begin", "https://news.example.com/bridge"))
	e.run("publish", path, "--wait", "--timeout", "2m")
	mu.Lock()
	defer mu.Unlock()
	if len(times) != n {
		t.Fatalf("%d messages offered, want %d", len(times), n)
	}
	span := times[len(times)-1].Sub(times[0]).Seconds()
	got := float64(len(times)-1) / span // the first goes on the burst
	t.Logf("%d messages in %.2fs: %.1f a second with 3 workers", len(times), span, got)
	if got > rate*1.1 {
		t.Errorf("3 workers sent %.1f messages a second, want at most %d+10%%", got, rate)
	}
}

// TestEndToEndSharedMaxConnections: smtp.max_connections is one budget for
// the installation. Three worker processes, each running four batches at
// once, never hold more than 2 connections to the server together, and
// every subscriber gets the email once.
func TestEndToEndSharedMaxConnections(t *testing.T) {
	const n = 60
	e := newE2E(t, "SYNDICATE_SMTP_MAX_CONNECTIONS=2", "SYNDICATE_BATCH_SIZE=5", "SYNDICATE_CONCURRENCY=4")
	e.sink.Delay = 5 * time.Millisecond // sessions overlap; nothing is measured by it
	emails := e.addSubscribers(n)
	for range 3 {
		e.start("worker")
	}
	const title = "Tram Line Extended"
	path := e.write("article.md", articleMD(title, "https://news.example.com/tram"))
	e.run("publish", path, "--wait", "--timeout", "2m")
	if most := e.sink.MostOpen(); most > 2 {
		t.Errorf("3 workers held %d connections at once, want at most smtp.max_connections=2", most)
	}
	if resent := e.checkDelivered(title, "https://news.example.com/tram", emails); resent != 0 {
		t.Errorf("%d subscribers got the email more than once", resent)
	}
}
