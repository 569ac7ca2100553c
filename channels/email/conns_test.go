package email

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/redis/go-redis/v9"

	"syndicate/internal/testredis"
)

// redisClient is one process's client of the test's Redis.
func redisClient(t *testing.T, url string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(opt)
	t.Cleanup(func() { rc.Close() })
	return rc
}

// TestRedisConnsIsOneBudget: three Senders, each with its own Redis client
// as three worker processes would have, and each sending three batches at
// once with a pool of kept connections, share a budget of 2 connections:
// the server never sees more than 2 open, and every message goes.
func TestRedisConnsIsOneBudget(t *testing.T) {
	url := testredis.URL(t, 4)
	ts := newTestServer(t, func(ts *testServer) {
		ts.data = func(*smtp.Conn, []string, []byte) error {
			// Keep each session busy a little so that the Sends overlap;
			// nothing is measured by it.
			time.Sleep(2 * time.Millisecond)
			return nil
		}
	})
	const senders, sends, perSend = 3, 3, 4
	var wg sync.WaitGroup
	for range senders {
		budget, err := NewRedisConns(redisClient(t, url), "syndicate:smtp:conns", 2)
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Config{URL: ts.url(""), Timeout: 5 * time.Second, HELO: "test.local", MaxConns: 2, Conns: budget, KeepIdle: sends})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		for range sends {
			wg.Go(func() {
				err := s.Send(context.Background(), messages(perSend), func(i int, err error) {
					if err != nil {
						t.Errorf("message %d: %v", i, err)
					}
				})
				if err != nil {
					t.Errorf("Send: %v", err)
				}
			})
		}
	}
	wg.Wait()
	if _, got := ts.received(); len(got) != senders*sends*perSend {
		t.Errorf("%d messages arrived, want %d", len(got), senders*sends*perSend)
	}
	most := ts.maxOpen.Load()
	t.Logf("at most %d connections open at once", most)
	if most > 2 {
		t.Errorf("server saw %d connections at once, want at most the shared budget of 2", most)
	}
}

// TestRedisConnsLeaseOfDeadWorkerExpires: a process that took the only
// slot and died (its client gone, so nothing refreshes or releases the
// lease) holds it only until the lease expires; then another gets it.
// A slot given back is free at once.
func TestRedisConnsLeaseOfDeadWorkerExpires(t *testing.T) {
	url := testredis.URL(t, 4)
	ctx := context.Background()
	deadClient := redisClient(t, url)
	dead, err := NewRedisConns(deadClient, "syndicate:smtp:conns", 1)
	if err != nil {
		t.Fatal(err)
	}
	dead.TTL = 300 * time.Millisecond
	if _, ok, err := dead.TryAcquire(ctx); err != nil || !ok {
		t.Fatalf("first lease: %v, %v", ok, err)
	}
	deadClient.Close() // the worker dies holding its lease

	live, err := NewRedisConns(redisClient(t, url), "syndicate:smtp:conns", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := live.TryAcquire(ctx); err != nil || ok {
		t.Fatalf("a second lease of a budget of 1 was granted (%v, %v)", ok, err)
	}
	var release func()
	deadline := time.Now().Add(10 * time.Second)
	for release == nil {
		if time.Now().After(deadline) {
			t.Fatal("the dead worker's lease never expired")
		}
		time.Sleep(50 * time.Millisecond)
		r, ok, err := live.TryAcquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			release = r
		}
	}
	release()
	r, ok, err := live.TryAcquire(ctx)
	if err != nil || !ok {
		t.Fatalf("a released slot is not free: %v, %v", ok, err)
	}
	r()
}

func TestNewRedisConnsValidates(t *testing.T) {
	for _, n := range []int{0, -1} {
		if _, err := NewRedisConns(nil, "k", n); err == nil {
			t.Errorf("max %d accepted", n)
		}
	}
}
