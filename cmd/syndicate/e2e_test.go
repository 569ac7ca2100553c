package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"syndicate"
	"syndicate/channels/x/xfake"
	"syndicate/internal/testdb"
	"syndicate/internal/testredis"
	"syndicate/mailsink"
)

// e2e is one end-to-end environment: the real binary against a real Redis
// (embedded unless SYNDICATE_TEST_REDIS_URL is set), a database (SQLite, or
// PostgreSQL when SYNDICATE_TEST_DATABASE_URL is set), an SMTP
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

// redisDB is the database the end-to-end tests use on a real Redis. Most
// run one after another, each flushing it first; the few long ones that
// run in parallel (newParallelE2E) have databases of their own. Other
// packages use 2, 3, 4 and 9.
const redisDB = 1

// Databases of the parallel end-to-end tests on a real Redis.
const (
	redisDBSocial = 10
	redisDBKilled = 11
)

func newE2E(t *testing.T, extraEnv ...string) *e2e {
	t.Helper()
	return newE2EOn(t, redisDB, extraEnv...)
}

// newParallelE2E is newE2E for a long test that mostly waits (on a lease,
// a retry's backoff): it runs beside the other such tests, on Redis
// database db, which no other test uses.
func newParallelE2E(t *testing.T, db int, extraEnv ...string) *e2e {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	t.Parallel()
	return newE2EOn(t, db, extraEnv...)
}

func newE2EOn(t *testing.T, db int, extraEnv ...string) *e2e {
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
		"SYNDICATE_REDIS_URL="+testredis.URL(t, db),
		"SYNDICATE_DATABASE_URL="+testdb.URL(t), // SQLite, or a schema of SYNDICATE_TEST_DATABASE_URL
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
// checkDelivered checks that every address got the email titled title,
// each copy with the same Message-ID (a message cut off mid-send may
// arrive twice, and mail clients then show one), and that every delivery
// of the article at url is sent. It returns how many got more than one.
func (e *e2e) checkDelivered(title, url string, emails []string) (resent int) {
	e.t.Helper()
	got := e.received(title)
	for _, addr := range emails {
		ids := got[addr]
		if len(ids) == 0 {
			e.t.Errorf("%s got no email", addr)
		}
		if len(ids) > 1 {
			resent++
		}
		for _, id := range ids[1:] {
			if id != ids[0] {
				e.t.Errorf("%s got different Message-IDs %q and %q", addr, ids[0], id)
			}
		}
	}
	for _, r := range e.status(url) {
		if r.Status != "sent" {
			e.t.Errorf("delivery %+v is not sent", r)
		}
	}
	return resent
}

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
	e := newE2E(t)
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
	e := newParallelE2E(t, redisDBKilled)
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

	e.checkDelivered("Council Votes on Park Plan", "https://news.example.com/park", emails)
	if n := len(e.x.Posts()); n != 1 {
		t.Errorf("X got %d posts, want 1", n)
	}
}

// fail runs the binary expecting exit code 1 and returns stdout and stderr.
func (e *e2e) fail(args ...string) (string, string) {
	e.t.Helper()
	var out, errb bytes.Buffer
	c := e.cmd(args...)
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	if c.ProcessState == nil || c.ProcessState.ExitCode() != 1 {
		e.t.Fatalf("syndicate %s: %v, want exit code 1\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

func (e *e2e) xStatus(id string) statusRow {
	e.t.Helper()
	for _, r := range e.status(id) {
		if r.Channel == "x" {
			return r
		}
	}
	e.t.Fatalf("no x delivery for %s", id)
	return statusRow{}
}

// TestEndToEndXOutcomes drives each answer X can give through the real
// binary and the fake X: a 429 waits for x-rate-limit-reset and posts once;
// a 5xx leaves the post unknown, which retry refuses without --force; a 401
// fails for good and makes publish --wait exit 1; duplicate content is final.
func TestEndToEndXOutcomes(t *testing.T) {
	e := newE2E(t)
	w := e.start("worker")

	// 429: wait until the reset time, then post, once.
	reset := fmt.Sprint(time.Now().Add(time.Second).Unix())
	e.x.FailNext(429, `{"title":"Too Many Requests","detail":"Too Many Requests","status":429}`, map[string]string{"x-rate-limit-reset": reset})
	e.run("publish", e.write("a.md", articleMD("Rate Limited Story", "https://news.example.com/rl")), "--wait")
	if r := e.xStatus("https://news.example.com/rl"); r.Status != "sent" {
		t.Errorf("after a 429 the post is %+v, want sent", r)
	}
	if n := len(e.x.Posts()); n != 1 {
		t.Errorf("X has %d posts, want 1", n)
	}

	// 503 after sending: unknown, never re-posted without an editor.
	e.x.FailNext(503, `{"title":"Service Unavailable"}`, nil)
	path := e.write("b.md", articleMD("Unknown Outcome Story", "https://news.example.com/unknown"))
	out, _ := e.fail("publish", path, "--wait")
	if !strings.Contains(out, "x: 1/1 done, 1 not delivered") {
		t.Errorf("publish --wait progress %q does not show the undelivered post", out)
	}
	if r := e.xStatus("https://news.example.com/unknown"); r.Status != "unknown" || !strings.Contains(r.Error, "503") {
		t.Errorf("after a 503 the post is %+v, want unknown with the server's status", r)
	}
	_, stderr := e.fail("retry", "https://news.example.com/unknown", "--channel", "x")
	if !strings.Contains(stderr, "--force") {
		t.Errorf("retry of an unknown post said %q; want a refusal naming --force", stderr)
	}
	e.run("retry", "https://news.example.com/unknown", "--channel", "x", "--force")
	e.run("publish", path, "--wait")
	if r := e.xStatus("https://news.example.com/unknown"); r.Status != "sent" {
		t.Errorf("after retry --force the post is %+v, want sent", r)
	}

	// 401: failed for good, with the reason, and --wait exits 1.
	e.x.FailNext(401, `{"title":"Unauthorized","detail":"Unauthorized","status":401}`, nil)
	e.fail("publish", e.write("c.md", articleMD("Bad Credentials Story", "https://news.example.com/auth")), "--wait")
	if r := e.xStatus("https://news.example.com/auth"); r.Status != "failed" || !strings.Contains(r.Error, "Unauthorized") {
		t.Errorf("after a 401 the post is %+v, want failed with X's reason", r)
	}
	status := e.run("status", "https://news.example.com/auth")
	if !strings.Contains(status, "Unauthorized") || !strings.Contains(status, "x needs new credentials") {
		t.Errorf("status does not show X's reason and the flagged channel:\n%s", status)
	}
	check, _ := e.fail("config", "check")
	if !regexpMatch(`✗ x credentials +refused by the network`, check) {
		t.Errorf("config check does not flag the refused credentials:\n%s", check)
	}

	// Duplicate content: final, not a failure.
	e.x.FailNext(403, `{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}`, nil)
	e.run("publish", e.write("d.md", articleMD("Duplicate Story", "https://news.example.com/dup")), "--wait")
	if r := e.xStatus("https://news.example.com/dup"); r.Status != "duplicate" {
		t.Errorf("after a duplicate-content 403 the post is %+v, want duplicate", r)
	}

	// SIGTERM: the worker stops cleanly.
	if err := w.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := w.Wait(); err != nil {
		t.Errorf("worker after SIGTERM: %v, want exit 0", err)
	}
	if n := len(e.x.Posts()); n != 2 {
		t.Errorf("X has %d posts, want 2 (the rate-limited one and the forced retry)", n)
	}
}

// TestEndToEndDryRun writes what would be sent and sends nothing.
func TestEndToEndDryRun(t *testing.T) {
	e := newE2E(t, "SYNDICATE_OUTBOX_DIR=outbox")
	e.addSubscribers(2)
	out := e.run("publish", e.write("a.md", articleMD("Dry Run Story", "https://news.example.com/dry")), "--dry-run")
	for _, f := range []string{"outbox/posts/x-", "outbox/posts/mastodon-", "outbox/posts/bluesky-", "outbox/mail"} {
		if !strings.Contains(out, f) {
			t.Errorf("dry run output does not name %s:\n%s", f, out)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(e.dir, "outbox/mail/*.eml"))
	if len(matches) != 1 {
		t.Errorf("dry run wrote %d emails, want 1 sample", len(matches))
	}
	if len(e.sink.Messages()) != 0 || e.x.Attempts() != 0 {
		t.Error("dry run sent something")
	}
	if _, stderr := e.fail("status", "https://news.example.com/dry"); !strings.Contains(stderr, "no article") {
		t.Errorf("dry run stored the article: status said %q", stderr)
	}
}

// TestEndToEndServe runs the API and worker roles in one process: health
// and readiness answer, a publish is delivered, SIGTERM stops it cleanly.
func TestEndToEndServe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := newE2E(t, "SYNDICATE_HTTP_ADDR="+addr)
	e.addSubscribers(3)
	srv := e.start("serve", "--roles", "api,worker")
	for _, path := range []string{"/healthz", "/readyz"} {
		waitFor(t, path, func() bool {
			resp, err := http.Get("http://" + addr + path)
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		})
	}
	e.run("publish", e.write("a.md", articleMD("Served Story", "https://news.example.com/served")), "--wait")
	if n := len(e.received("Served Story")); n != 3 {
		t.Errorf("%d subscribers got the email, want 3", n)
	}
	// Each email links to its hosted copy, which the api role serves with
	// nothing of any subscriber in it, and names its campaign to Gmail.
	id := syndicate.ArticleID("https://news.example.com/served")
	for _, m := range e.sink.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := msg.Header.Get("Feedback-Id"), id+":instant:newsletter:news.example.com"; got != want {
			t.Errorf("Feedback-ID %q, want %q", got, want)
		}
		if _, text, _ := textPart(t, m.Data); !strings.Contains(text, "View in your browser: https://news.example.com/archive/"+id) {
			t.Errorf("email to %v has no view-in-browser link", m.To)
		}
	}
	for path, want := range map[string]string{"/archive/" + id: "Served Story", "/archive": "Served Story", "/archive/feed.xml": "https://news.example.com/archive/" + id} {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(want)) || bytes.Contains(body, []byte("@example.com")) || bytes.Contains(body, []byte("token=")) {
			t.Errorf("GET %s = %d, want 200 with %q and no subscriber:\n%s", path, resp.StatusCode, want, body)
		}
	}
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v, want exit 0", err)
	}
}
