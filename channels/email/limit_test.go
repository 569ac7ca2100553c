package email

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"golang.org/x/time/rate"

	"syndicate"
)

// countingLimiter counts the waits; onWait, if set, runs inside each.
type countingLimiter struct {
	waits  atomic.Int64
	onWait func()
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	l.waits.Add(1)
	if l.onWait != nil {
		l.onWait()
	}
	return ctx.Err()
}

func TestMaxConnsAcrossConcurrentSends(t *testing.T) {
	ts := newTestServer(t, func(ts *testServer) {
		ts.data = func(*smtp.Conn, []string, []byte) error {
			// Keep each session open a little so that the six Sends
			// overlap; nothing is measured by it.
			time.Sleep(2 * time.Millisecond)
			return nil
		}
	})
	s, err := New(Config{URL: ts.url(""), Timeout: 5 * time.Second, HELO: "test.local", MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	const sends, perSend = 6, 3
	var wg sync.WaitGroup
	for range sends {
		wg.Go(func() {
			n := 0
			err := s.Send(context.Background(), messages(perSend), func(i int, err error) {
				n++
				if err != nil {
					t.Errorf("message %d: %v", i, err)
				}
			})
			if err != nil || n != perSend {
				t.Errorf("Send: %v after %d reports, want nil after %d", err, n, perSend)
			}
		})
	}
	wg.Wait()
	sessions, got := ts.received()
	if sessions != sends || len(got) != sends*perSend {
		t.Errorf("%d sessions, %d messages; want %d and %d", sessions, len(got), sends, sends*perSend)
	}
	most := ts.maxOpen.Load()
	t.Logf("at most %d connections open at once", most)
	if most > 2 {
		t.Errorf("server saw %d connections at once, want at most MaxConns=2", most)
	}
	if n := len(s.slots); n != 0 {
		t.Errorf("%d connection slots still taken after every Send returned", n)
	}
}

func TestMaxConnsWaitEndsWithContext(t *testing.T) {
	ts := newTestServer(t, nil)
	s, err := New(Config{URL: ts.url(""), Timeout: 5 * time.Second, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	s.slots <- struct{}{} // another Send holds the only connection
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The limiter runs just before the slot is awaited: cancelling there
	// puts the cancellation in the slot wait, not in an earlier check.
	s.limit = &countingLimiter{onWait: cancel}
	errs, err := send(t, ctx, s, messages(2))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send returned %v, want context.Canceled", err)
	}
	for i, e := range errs {
		if o := outcome(t, e); o != syndicate.Temporary {
			t.Errorf("message %d: %s (%v), want temporary", i, o, e)
		}
	}
	if sessions, _ := ts.received(); sessions != 0 {
		t.Errorf("%d sessions opened while the connection cap was full", sessions)
	}
	if n := len(s.slots); n != 1 {
		t.Errorf("%d slots taken after a cancelled wait, want only the one held", n)
	}
}

func TestRateLimitWaitedOncePerMessage(t *testing.T) {
	ts := newTestServer(t, func(ts *testServer) {
		ts.mail = func(c *smtp.Conn, session, n int) error {
			// Hang up on message 1's MAIL FROM, so it is resent on a new
			// connection: a resend must not wait for a second token.
			if session == 1 && n == 2 {
				if err := c.Conn().Close(); err != nil {
					return err
				}
				return errors.New("connection dropped")
			}
			return nil
		}
	})
	s := newSender(t, ts.url(""))
	lim := &countingLimiter{}
	s.limit = lim
	msgs := messages(5)
	msgs[3].MessageID = "not an id" // fails Build: nothing to pace
	errs, err := send(t, context.Background(), s, msgs)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if (e != nil) != (i == 3) {
			t.Errorf("message %d: %v", i, e)
		}
	}
	if n := lim.waits.Load(); n != 4 {
		t.Errorf("limiter waited %d times for 4 sendable messages, want 4", n)
	}
	if sessions, got := ts.received(); sessions != 2 || len(got) != 4 {
		t.Errorf("%d sessions, %d messages; want 2 (one reconnect) and 4", sessions, len(got))
	}
}

// TestRateLimitSharedBySends spends the real token bucket's burst over two
// Sends and finds the third without a token. rate.Limiter.Wait fails at
// once when the next token would come after ctx's deadline, so nothing
// here waits or measures time.
func TestRateLimitSharedBySends(t *testing.T) {
	ts := newTestServer(t, nil)
	s, err := New(Config{URL: ts.url(""), Timeout: 5 * time.Second, Rate: 1.0 / 3600, Burst: 2})
	if err != nil {
		t.Fatal(err)
	}
	lim, ok := s.limit.(*rate.Limiter)
	if !ok || lim.Limit() != rate.Limit(1.0/3600) || lim.Burst() != 2 {
		t.Fatalf("limiter %#v, want a rate.Limiter of 1/3600 per second, burst 2", s.limit)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range 2 {
		errs, err := send(t, ctx, s, messages(1))
		if err != nil || errs[0] != nil {
			t.Fatalf("send %d within the burst: %v, %v", i, err, errs[0])
		}
	}
	errs, err := send(t, ctx, s, messages(2))
	if err != nil {
		t.Errorf("Send returned %v; a rate limit is reported per message", err)
	}
	for i, e := range errs {
		if o := outcome(t, e); o != syndicate.Temporary || !strings.Contains(e.Error(), "rate limit") {
			t.Errorf("message %d after the burst: %s %v, want a temporary rate limit failure", i, o, e)
		}
	}
	if tokens := lim.Tokens(); tokens >= 1 {
		t.Errorf("%.2f tokens left after the burst was spent", tokens)
	}
	if sessions, got := ts.received(); sessions != 2 || len(got) != 2 {
		t.Errorf("%d sessions, %d messages; want 2 and 2: the third Send must not connect", sessions, len(got))
	}
}

func TestNewValidatesLimits(t *testing.T) {
	for _, tc := range []struct {
		c       Config
		wantErr string
	}{
		{c: Config{Rate: -1}, wantErr: "rate"},
		{c: Config{Rate: math.NaN()}, wantErr: "rate"},
		{c: Config{Rate: math.Inf(1)}, wantErr: "rate"},
		{c: Config{Rate: 1, Burst: -1}, wantErr: "burst"},
		{c: Config{MaxConns: -1}, wantErr: "max connections"},
	} {
		tc.c.URL = "smtp://mail.example.com"
		if _, err := New(tc.c); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("New(%+v): %v, want an error about %q", tc.c, err, tc.wantErr)
		}
	}
	s, err := New(Config{URL: "smtp://mail.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if s.limit != nil || s.slots != nil {
		t.Errorf("zero Rate and MaxConns gave limiter %v and %d slots, want neither", s.limit, cap(s.slots))
	}
	s, err = New(Config{URL: "smtp://mail.example.com", Rate: 10, MaxConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	if lim, ok := s.limit.(*rate.Limiter); !ok || lim.Limit() != 10 || lim.Burst() != 1 {
		t.Errorf("Rate 10: limiter %#v, want 10 per second, burst 1", s.limit)
	}
	if cap(s.slots) != 3 {
		t.Errorf("MaxConns 3: %d slots", cap(s.slots))
	}
}
