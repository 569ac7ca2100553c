package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// flushRedis empties the test's Redis database, as a Redis restarted
// without persistence, a failover to a replica that was behind, or an
// operator's FLUSHALL would. FLUSHDB and not FLUSHALL: on a real server
// the other packages' tests use other databases.
func (e *e2e) flushRedis() {
	e.t.Helper()
	c := e.redis()
	defer c.Close()
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		e.t.Fatalf("flush redis: %v", err)
	}
}

// redis is a client of the test's Redis database (the last
// SYNDICATE_REDIS_URL of its environment).
func (e *e2e) redis() *redis.Client {
	e.t.Helper()
	var url string
	for _, kv := range e.env {
		if v, ok := strings.CutPrefix(kv, "SYNDICATE_REDIS_URL="); ok {
			url = v
		}
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		e.t.Fatal(err)
	}
	return redis.NewClient(opt)
}

// TestEndToEndRedisLoss: Redis forgets every task a third of the way into
// a send. status then calls the rest stalled, publish --wait gives up at
// its timeout saying so, repair --dry-run lists what is lost and changes
// nothing, and repair queues it again: every subscriber gets the email
// once (or again with the same Message-ID), X gets one post, and the
// ledger ends all final.
func TestEndToEndRedisLoss(t *testing.T) {
	e := newE2E(t, "SYNDICATE_CONCURRENCY=1", "SYNDICATE_BATCH_SIZE=5", "SYNDICATE_RECONCILE_GRACE=1s")
	const n = 30
	emails := e.addSubscribers(n)
	e.sink.Delay = 60 * time.Millisecond
	e.start("worker")
	const title = "Flood Barrier Tested"
	path := e.write("article.md", articleMD(title, "https://news.example.com/barrier"))
	e.run("publish", path)
	waitFor(t, "a third of the emails", func() bool { return len(e.sink.Messages()) >= n/3 })
	e.flushRedis()
	e.sink.Delay = 0
	// The batch being sent at the flush finishes in the worker's memory;
	// the batches still waiting are gone from the queue.
	var last int
	waitFor(t, "the worker to be idle", func() bool {
		time.Sleep(1500 * time.Millisecond)
		cur := len(e.sink.Messages())
		idle := cur == last
		last = cur
		return idle
	})
	if last >= n {
		t.Fatalf("all %d emails went before the flush could lose any", last)
	}

	status := e.run("status", "https://news.example.com/barrier")
	if !strings.Contains(status, "stalled:") || !strings.Contains(status, "syndicate repair") {
		t.Errorf("status does not call the lost deliveries stalled:\n%s", status)
	}
	out, stderr := e.fail("publish", path, "--wait", "--timeout", "3s")
	if !strings.Contains(stderr, "stalled") || !strings.Contains(stderr, "syndicate repair") {
		t.Errorf("publish --wait gave up with %q (stdout %q); want it to name the stall and repair", stderr, out)
	}

	dry := e.run("repair", "--dry-run")
	if !strings.Contains(dry, "would queue again") || !strings.Contains(dry, "email email:") {
		t.Errorf("repair --dry-run said:\n%s", dry)
	}
	time.Sleep(time.Second) // a task wrongly queued by the dry run would run within this
	if got := len(e.sink.Messages()); got != last {
		t.Errorf("repair --dry-run sent %d messages", got-last)
	}
	rep := e.run("repair")
	t.Logf("after the flush, %d of %d emails had gone; repair said:\n%s", last, n, rep)
	if !strings.Contains(rep, "queued again") {
		t.Errorf("repair said:\n%s", rep)
	}
	e.run("publish", path, "--wait", "--timeout", "2m")
	if again := e.run("repair"); !strings.Contains(again, "nothing to repair") {
		t.Errorf("a second repair said:\n%s", again)
	}

	e.checkDelivered(title, "https://news.example.com/barrier", emails)
	if p := len(e.x.Posts()); p != 1 {
		t.Errorf("X got %d posts, want 1", p)
	}
}

// TestEndToEndRedisLossHealedByScheduler: a publish scheduled with --at
// whose delayed task Redis lost is queued again by the scheduler role on
// its own, for its time and not before, and two schedulers send it once.
func TestEndToEndRedisLossHealedByScheduler(t *testing.T) {
	e := newE2E(t, "SYNDICATE_RECONCILE_GRACE=1s", "SYNDICATE_RECONCILE_INTERVAL=1s",
		"SYNDICATE_DIGEST_DAILY=off", "SYNDICATE_DIGEST_WEEKLY=off")
	emails := e.addSubscribers(3)
	e.start("worker") // its check at start runs now, before anything is lost
	const title = "Ferry Timetable Changes"
	start := time.Now()
	out := e.run("publish", e.write("later.md", articleMD(title, "https://news.example.com/ferry")), "--at", "+6s")
	if !strings.Contains(out, "scheduled a_") {
		t.Fatalf("publish --at said %q", out)
	}
	e.flushRedis()
	e.start("serve", "--roles", "scheduler")
	e.start("serve", "--roles", "scheduler")
	time.Sleep(time.Until(start.Add(4 * time.Second)))
	if n := len(e.sink.Messages()) + e.x.Attempts(); n != 0 {
		t.Fatalf("%d deliveries went before their time", n)
	}
	waitFor(t, "the scheduled article", func() bool { return len(e.received(title)) == len(emails) })
	time.Sleep(2 * time.Second) // a doubled task would run within this
	for addr, ids := range e.received(title) {
		if len(ids) != 1 {
			t.Errorf("%s got %d emails, want 1", addr, len(ids))
		}
	}
	if p := len(e.x.Posts()); p != 1 {
		t.Errorf("X got %d posts, want 1", p)
	}
	for _, r := range e.status("https://news.example.com/ferry") {
		if r.Status != "sent" {
			t.Errorf("delivery %+v is not sent", r)
		}
	}
}
