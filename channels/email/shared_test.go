package email

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"syndicate/internal/testredis"
)

// TestRedisRateIsOneBudget: three Senders, each with its own Redis client
// as three worker processes would have, share one budget of 20 messages a
// second: together they start 20±10% in a second, not 60.
func TestRedisRateIsOneBudget(t *testing.T) {
	url := testredis.URL(t, 3)
	ts := newTestServer(t, nil)
	const rate = 20
	var (
		started atomic.Int64
		wg      sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	begin := time.Now()
	for range 3 {
		opt, err := redis.ParseURL(url)
		if err != nil {
			t.Fatal(err)
		}
		rc := redis.NewClient(opt)
		t.Cleanup(func() { rc.Close() })
		p, err := NewRedisRate(rc, "syndicate:smtp:rate", rate, 1)
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(Config{URL: ts.url(""), Timeout: 5 * time.Second, HELO: "test.local", Pacer: counting{p, &started}})
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			// More than the budget allows in the time: the rest is left
			// Temporary when ctx ends.
			if err := s.Send(ctx, messages(100), func(int, error) {}); err != nil && ctx.Err() == nil {
				t.Errorf("Send: %v", err)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin).Seconds()
	n := float64(started.Load())
	want := rate*elapsed + 1 // the burst of one goes at once
	t.Logf("%v messages paced in %.2fs, budget %.1f", n, elapsed, want)
	// Three budgets would let about three times as many go. Only the upper
	// bound is asserted: on a loaded machine the senders may fall behind
	// the budget, which is no fault of the limiter.
	if n > want*1.1 {
		t.Errorf("%v messages went in %.2fs, want at most %.1f+10%% (one budget for all three)", n, elapsed, want)
	}
	if n < 2 {
		t.Errorf("only %v messages went in %.2fs: the limiter let nothing through after the burst", n, elapsed)
	}
}

// counting counts the waits that let a message go.
type counting struct {
	p Pacer
	n *atomic.Int64
}

func (c counting) Wait(ctx context.Context) error {
	if err := c.p.Wait(ctx); err != nil {
		return err
	}
	c.n.Add(1)
	return nil
}

func TestNewRedisRateValidates(t *testing.T) {
	for _, r := range []float64{0, -1} {
		if _, err := NewRedisRate(nil, "k", r, 1); err == nil {
			t.Errorf("rate %v accepted", r)
		}
	}
	if _, err := NewRedisRate(nil, "k", 1, -1); err == nil {
		t.Error("negative burst accepted")
	}
}
