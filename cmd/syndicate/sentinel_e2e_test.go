package main

import (
	"context"
	"net"
	"os/exec"
	"testing"
	"time"

	"syndicate/internal/bench"
)

func portOf(t *testing.T, addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEndToEndSentinelFailover runs a real master, a replica and a
// Sentinel on loopback, connects through redis+sentinel://, and fails the
// master over in the middle of a send: the send completes, every
// subscriber gets the email at least once and only ever with one
// Message-ID, and the ledger ends all final.
func TestEndToEndSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	ctx := context.Background()
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	set, err := bench.StartSentinelSet(sctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		set.Close()
		if t.Failed() {
			t.Logf("sentinel log:\n%s", set.Sentinel.Log())
		}
	})

	e := newE2E(t, "SYNDICATE_REDIS_URL="+set.URL(0),
		"SYNDICATE_CONCURRENCY=1", "SYNDICATE_BATCH_SIZE=5",
		"SYNDICATE_RECONCILE_GRACE=1s", "SYNDICATE_RECONCILE_INTERVAL=1s",
		"SYNDICATE_DIGEST_DAILY=off", "SYNDICATE_DIGEST_WEEKLY=off")
	const n = 30
	emails := e.addSubscribers(n)
	// 30 messages take 6s: time for a failover (a few seconds) mid-send.
	e.sink.Delay = 200 * time.Millisecond
	e.start("worker")
	e.start("serve", "--roles", "scheduler") // the reconciler, for what replication lost
	const title = "Harbour Lights Switched On"
	path := e.write("article.md", articleMD(title, "https://news.example.com/lights"))
	e.run("publish", path)
	waitFor(t, "a fifth of the emails", func() bool { return len(e.sink.Messages()) >= n/5 })
	if err := set.Failover(sctx); err != nil {
		t.Fatal(err)
	}
	if sent := len(e.sink.Messages()); sent >= n {
		t.Fatalf("the send finished (%d messages) before the failover", sent)
	}
	e.sink.Delay = 0
	e.run("publish", path, "--wait", "--timeout", "3m")

	e.checkDelivered(title, "https://news.example.com/lights", emails)
}
