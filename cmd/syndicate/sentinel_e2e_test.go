package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisProc starts one redis-server (or Sentinel) with args on loopback
// and stops it when the test ends.
func redisProc(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	bin := "redis-server"
	if name == "sentinel" {
		if p, err := exec.LookPath("redis-sentinel"); err == nil {
			bin = p // Debian's package; redis-server --sentinel is the same program
		} else {
			args = append(args, "--sentinel")
		}
	}
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	c := exec.Command(bin, args...)
	c.Dir, c.Stdout, c.Stderr = dir, logf, logf
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Process.Signal(syscall.SIGTERM)
		c.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("%s log:\n%s", name, b)
		}
	})
}

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
	dir := t.TempDir()
	master, replica, sentinel := portOf(t, freeAddr(t)), portOf(t, freeAddr(t)), portOf(t, freeAddr(t))
	common := []string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no"}
	redisProc(t, dir, "master", append([]string{"--port", master}, common...)...)
	redisProc(t, dir, "replica", append([]string{"--port", replica, "--replicaof", "127.0.0.1", master}, common...)...)
	conf := filepath.Join(dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`port %s
bind 127.0.0.1
sentinel monitor mymaster 127.0.0.1 %s 1
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 10000
`, sentinel, master)), 0o644); err != nil {
		t.Fatal(err)
	}
	redisProc(t, dir, "sentinel", conf)
	sc := redis.NewSentinelClient(&redis.Options{Addr: "127.0.0.1:" + sentinel})
	defer sc.Close()
	ctx := context.Background()
	waitFor(t, "the Sentinel to see the replica", func() bool {
		rs, err := sc.Replicas(ctx, "mymaster").Result()
		return err == nil && len(rs) == 1 && rs[0]["master-link-status"] == "ok" && !strings.Contains(rs[0]["flags"], "down")
	})

	e := newE2E(t, "SYNDICATE_REDIS_URL=redis+sentinel://127.0.0.1:"+sentinel+"/mymaster?db=0",
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
	if err := sc.Failover(ctx, "mymaster").Err(); err != nil {
		t.Fatalf("SENTINEL FAILOVER: %v", err)
	}
	waitFor(t, "the replica to be master", func() bool {
		addr, err := sc.GetMasterAddrByName(ctx, "mymaster").Result()
		return err == nil && len(addr) == 2 && addr[1] == replica
	})
	if sent := len(e.sink.Messages()); sent >= n {
		t.Fatalf("the send finished (%d messages) before the failover", sent)
	}
	e.sink.Delay = 0
	e.run("publish", path, "--wait", "--timeout", "3m")

	e.checkDelivered(title, "https://news.example.com/lights", emails)
}
