package bench

import (
	"context"
	"net/smtp"
	"os/exec"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestDiscardMessageIDs: the same email again is a resend, a second email
// with another Message-ID is counted apart, and the sample is the first
// message whole.
func TestDiscardMessageIDs(t *testing.T) {
	d, err := StartDiscard(true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	msg := func(id string) []byte {
		return []byte("Message-ID: <" + id + "@example.com>\r\nSubject: Hi\r\n\r\nBody " + id + "\r\n")
	}
	for _, m := range []struct {
		to, id string
	}{{"a@example.com", "1"}, {"A@example.com", "1"}, {"a@example.com", "2"}, {"b@example.com", "3"}} {
		if err := smtp.SendMail(d.Addr(), nil, "news@example.com", []string{m.to}, msg(m.id)); err != nil {
			t.Fatal(err)
		}
	}
	s := d.Stats()
	if s.Messages != 4 || s.Recipients != 2 || s.Duplicates != 2 || s.Resent != 1 || s.OtherIDs != 1 {
		t.Errorf("stats %+v; want 4 messages, 2 recipients, 2 duplicates: 1 resent, 1 with another ID", s)
	}
	if got := string(d.Sample()); got != string(msg("1")) {
		t.Errorf("sample %q", got)
	}
}

// TestRedisRestartEmpty: a redis-server killed and started again on its
// port has forgotten what it held.
func TestRedisRestartEmpty(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := StartRedisServer(ctx, t.TempDir(), "redis")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	c := redis.NewClient(&redis.Options{Addr: p.Addr()})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := p.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := WaitRedis(ctx, p.Addr()); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Errorf("after the restart: EXISTS k = %d, %v; want 0", n, err)
	}
}
