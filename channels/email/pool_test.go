package email

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// TestKeptConnectionsAreReused: with KeepIdle, Sends one after another use
// one connection; without it each Send has its own.
func TestKeptConnectionsAreReused(t *testing.T) {
	for _, keep := range []int{0, 2} {
		ts := newTestServer(t, nil)
		s, err := New(Config{URL: ts.url(""), Timeout: 5 * time.Second, HELO: "test.local", KeepIdle: keep})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if _, err := send(t, context.Background(), s, messages(2)); err != nil {
				t.Fatal(err)
			}
		}
		want := 3
		if keep > 0 {
			want = 1
		}
		if n, got := ts.received(); n != want || len(got) != 6 {
			t.Errorf("KeepIdle %d: %d sessions, %d messages; want %d and 6", keep, n, len(got), want)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for ts.open.Load() != 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := ts.open.Load(); n != 0 {
			t.Errorf("KeepIdle %d: %d connections still open after Close", keep, n)
		}
	}
}

// TestKeptConnectionClosedByServer: a kept connection the server dropped
// while it was idle costs nothing: the next Send finds it dead before
// sending anything and delivers over a new one, each message once.
func TestKeptConnectionClosedByServer(t *testing.T) {
	var (
		mu    sync.Mutex
		conns []*smtp.Conn
	)
	ts := newTestServer(t, func(ts *testServer) {
		ts.mail = func(c *smtp.Conn, _, _ int) error {
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			return nil
		}
	})
	s, err := New(Config{URL: ts.url(""), Timeout: 5 * time.Second, HELO: "test.local", KeepIdle: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := send(t, context.Background(), s, messages(1)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if err := conns[0].Close(); err != nil {
		t.Fatal(err)
	}
	mu.Unlock()
	errs, err := send(t, context.Background(), s, messages(3))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			t.Errorf("message %d after the drop: %v", i, e)
		}
	}
	n, got := ts.received()
	if n != 2 || len(got) != 4 {
		t.Errorf("%d sessions, %d messages; want 2 and 4", n, len(got))
	}
}

// TestKeptConnectionsRespectMaxConns: idle connections count against
// MaxConns, and a Send waiting for a slot takes one handed back.
func TestKeptConnectionsRespectMaxConns(t *testing.T) {
	ts := newTestServer(t, nil)
	s, err := New(Config{URL: ts.url(""), Timeout: 5 * time.Second, HELO: "test.local", MaxConns: 2, KeepIdle: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			err := s.Send(context.Background(), messages(3), func(i int, err error) {
				if err != nil {
					t.Errorf("message %d: %v", i, err)
				}
			})
			if err != nil {
				t.Errorf("Send: %v", err)
			}
		})
	}
	wg.Wait()
	n, got := ts.received()
	if n > 2 || len(got) != 24 {
		t.Errorf("%d sessions, %d messages; want at most 2 and 24", n, len(got))
	}
	if most := ts.maxOpen.Load(); most > 2 {
		t.Errorf("%d connections open at once, want at most 2", most)
	}
}
