package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"syndicate/channels/x/xfake"
	"syndicate/internal/testredis"
	"syndicate/mailsink"
)

// e2e is one end-to-end environment: the real binary against a real Redis
// (embedded unless SYNDICATE_TEST_REDIS_URL is set), a SQLite file, an SMTP
// server and a fake X that checks OAuth 1.0a signatures.
type e2e struct {
	t    *testing.T
	dir  string
	env  []string
	sink *mailsink.Sink
	x    *xfake.Server
}

const (
	xKey, xSecret, xToken, xTokenSecret = "ck-e2e", "cs-e2e-secret", "at-e2e", "as-e2e-secret"
)

func newE2E(t *testing.T, redisDB int, extraEnv ...string) *e2e {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	dir := t.TempDir()
	sink, err := mailsink.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	xs := xfake.NewServer(xKey, xSecret, xToken, xTokenSecret)
	hs := httptest.NewServer(xs)
	t.Cleanup(hs.Close)
	e := &e2e{t: t, dir: dir, sink: sink, x: xs}
	e.env = append(os.Environ(),
		"SYNDICATE_REDIS_URL="+testredis.URL(t, redisDB),
		"SYNDICATE_DATABASE_URL=sqlite:"+filepath.Join(dir, "syndicate.db"),
		"SYNDICATE_SMTP_URL="+sink.URL(),
		"SYNDICATE_FROM=Test News <news@news.example.com>",
		"SYNDICATE_BASE_URL=https://news.example.com",
		"SYNDICATE_SECRET=e2e-secret-0123456789",
		"SYNDICATE_X_API_URL="+hs.URL,
		"SYNDICATE_X_CONSUMER_KEY="+xKey,
		"SYNDICATE_X_CONSUMER_SECRET="+xSecret,
		"SYNDICATE_X_ACCESS_TOKEN="+xToken,
		"SYNDICATE_X_ACCESS_SECRET="+xTokenSecret,
		"SYNDICATE_RETRY_BASE=200ms",
		"SYNDICATE_CONCURRENCY=4",
	)
	e.env = append(e.env, extraEnv...)
	return e
}

// cmd prepares the real binary with the environment.
func (e *e2e) cmd(args ...string) *exec.Cmd {
	c := exec.Command("syndicate", args...)
	c.Env = e.env
	c.Dir = e.dir
	return c
}

// run runs the binary to the end and fails the test if it fails.
func (e *e2e) run(args ...string) string {
	e.t.Helper()
	var out, errb bytes.Buffer
	c := e.cmd(args...)
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		e.t.Fatalf("syndicate %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// start starts a long-running command (a worker) and stops it at the end.
func (e *e2e) start(args ...string) *exec.Cmd {
	e.t.Helper()
	c := e.cmd(args...)
	logf, err := os.Create(filepath.Join(e.dir, fmt.Sprintf("%s-%d.log", args[0], time.Now().UnixNano())))
	if err != nil {
		e.t.Fatal(err)
	}
	c.Stdout, c.Stderr = logf, logf
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		if c.ProcessState == nil {
			c.Process.Signal(syscall.SIGTERM)
			c.Wait()
		}
		logf.Close()
		if e.t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			e.t.Logf("%s log:\n%s", args[0], b)
		}
	})
	return c
}

func (e *e2e) write(name, content string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// addSubscribers imports n instant subscribers through the CLI.
func (e *e2e) addSubscribers(n int) []string {
	var csv strings.Builder
	csv.WriteString("email,name,frequency\n")
	var emails []string
	for i := 1; i <= n; i++ {
		addr := fmt.Sprintf("reader%02d@example.com", i)
		emails = append(emails, addr)
		fmt.Fprintf(&csv, "%s,Reader %d,instant\n", addr, i)
	}
	out := e.run("subscribers", "import", e.write("subs.csv", csv.String()))
	if !strings.Contains(out, fmt.Sprintf("%d added", n)) {
		e.t.Fatalf("import said %q", out)
	}
	return emails
}

// received maps each recipient to the Message-IDs of the messages it got
// for the article whose title is in the subject.
func (e *e2e) received(title string) map[string][]string {
	got := map[string][]string{}
	for _, m := range e.sink.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			e.t.Fatalf("message to %v is not RFC 5322: %v", m.To, err)
		}
		if !strings.Contains(msg.Header.Get("Subject"), title) {
			continue
		}
		for _, to := range m.To {
			got[to] = append(got[to], msg.Header.Get("Message-Id"))
		}
	}
	return got
}

type statusRow struct {
	Channel, Status, Subscriber, Error string
}

func (e *e2e) status(id string) []statusRow {
	var rows []statusRow
	if err := json.Unmarshal([]byte(e.run("status", id, "--json")), &rows); err != nil {
		e.t.Fatalf("status --json: %v", err)
	}
	return rows
}

func articleMD(title, url string) string {
	return fmt.Sprintf("---\ntitle: %q\nurl: %s\nauthor: Jo Writer\ndate: 2026-11-20\ntags: [news, e2e]\n---\n%s: the first paragraph says what happened and why it matters.\n\nA second paragraph with more detail.\n", title, url, title)
}

// waitQueueIdle waits until the worker has nothing left to do, so that a
// test asserting "nothing more happened" is not fooled by a slow worker.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func TestEndToEndPublish(t *testing.T) {
	e := newE2E(t, 1)
	emails := e.addSubscribers(20)
	e.start("worker")
	path := e.write("article.md", articleMD("Bridge Reopens After Repairs", "https://news.example.com/bridge?utm_source=x#top"))

	out := e.run("publish", path, "--wait")
	if !strings.Contains(out, "published") {
		t.Errorf("publish said %q", out)
	}
	got := e.received("Bridge Reopens After Repairs")
	for _, addr := range emails {
		if n := len(got[addr]); n != 1 {
			t.Errorf("%s got %d emails, want exactly 1", addr, n)
		}
	}
	if len(got) != 20 {
		t.Errorf("%d addresses got mail, want 20", len(got))
	}
	posts := e.x.Posts()
	if len(posts) != 1 {
		t.Fatalf("X got %d posts, want 1: %q", len(posts), posts)
	}
	if !strings.Contains(posts[0], "https://news.example.com/bridge") {
		t.Errorf("X post %q lacks the article link", posts[0])
	}
	rows := e.status("https://news.example.com/bridge")
	if len(rows) != 21 {
		t.Fatalf("ledger has %d deliveries, want 21 (20 emails, 1 post)", len(rows))
	}
	for _, r := range rows {
		if r.Status != "sent" {
			t.Errorf("delivery %+v is not sent", r)
		}
	}

	// The same article again, by a URL that differs only in tracking and
	// fragment: one article, nothing new sent.
	out = e.run("publish", e.write("again.md", articleMD("Bridge Reopens After Repairs", "HTTPS://NEWS.example.com/bridge?utm_medium=social")), "--wait")
	if !strings.Contains(out, "already published") {
		t.Errorf("second publish said %q", out)
	}
	time.Sleep(time.Second) // a wrongly queued job would run within this
	if n := len(e.sink.Messages()); n != 20 {
		t.Errorf("after a second publish the SMTP server has %d messages, want 20", n)
	}
	if n := e.x.Attempts(); n != 1 {
		t.Errorf("after a second publish X saw %d posts, want 1", n)
	}
	if n := len(e.status("https://news.example.com/bridge")); n != 21 {
		t.Errorf("after a second publish the ledger has %d deliveries, want 21", n)
	}
}

func TestEndToEndWorkerKilledMidBatch(t *testing.T) {
	e := newE2E(t, 2)
	emails := e.addSubscribers(20)
	e.sink.Delay = 150 * time.Millisecond // a batch of 20 takes 3s: time to kill it
	w := e.start("worker")
	path := e.write("article.md", articleMD("Council Votes on Park Plan", "https://news.example.com/park"))
	e.run("publish", path)

	waitFor(t, "the first emails", func() bool { return len(e.sink.Messages()) >= 3 })
	if err := w.Process.Kill(); err != nil { // SIGKILL: no chance to hand the batch back
		t.Fatal(err)
	}
	w.Wait()
	sentBefore := len(e.sink.Messages())
	if sentBefore >= 20 {
		t.Fatalf("the batch finished (%d messages) before the worker was killed", sentBefore)
	}

	// A new worker recovers the batch once its lease expires (about a
	// minute in asynq) and sends only what the ledger does not show sent.
	e.sink.Delay = 0
	e.start("worker")
	e.run("publish", path, "--wait", "--timeout", "4m")

	got := e.received("Council Votes on Park Plan")
	for _, addr := range emails {
		ids := got[addr]
		if len(ids) == 0 {
			t.Errorf("%s got no email", addr)
		}
		// A message cut off mid-send may arrive twice, but only ever with
		// the same Message-ID, so mail clients show one.
		for _, id := range ids[1:] {
			if id != ids[0] {
				t.Errorf("%s got different Message-IDs %q and %q", addr, ids[0], id)
			}
		}
	}
	for _, r := range e.status("https://news.example.com/park") {
		if r.Status != "sent" {
			t.Errorf("delivery %+v is not sent", r)
		}
	}
	if n := len(e.x.Posts()); n != 1 {
		t.Errorf("X got %d posts, want 1", n)
	}
}
