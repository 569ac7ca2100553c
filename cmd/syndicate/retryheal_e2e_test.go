package main

import (
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/hibiken/asynq"

	"syndicate/jobs"
)

// TestEndToEndRetryRoundHealed: the tasks `syndicate retry` queued are
// lost (a failover that kept the older, completed fan-out tasks), and
// batch_size changed since the fan-out. repair finds exactly the retry's
// tasks, by their round and the fan-out's buckets, and queues them again;
// every subscriber then has the email once and the ledger is all sent.
func TestEndToEndRetryRoundHealed(t *testing.T) {
	e := newE2E(t, "SYNDICATE_MAX_RETRY=1", "SYNDICATE_BATCH_SIZE=2", "SYNDICATE_RECONCILE_GRACE=1s",
		"SYNDICATE_X_CONSUMER_KEY=", "SYNDICATE_X_CONSUMER_SECRET=", "SYNDICATE_X_ACCESS_TOKEN=", "SYNDICATE_X_ACCESS_SECRET=")
	emails := e.addSubscribers(6)
	later := map[string]bool{emails[2]: true, emails[4]: true} // IDs 3 and 5: buckets 1 and 2 of 2
	accept := false
	e.sink.Reject = func(_ int, rcpt string) error {
		if later[rcpt] && !accept {
			return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
		}
		return nil
	}
	w := e.start("worker")
	const title = "Tide Tables Printed"
	path := e.write("article.md", articleMD(title, "https://news.example.com/tides"))
	e.fail("publish", path, "--wait")
	if err := w.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := w.Wait(); err != nil {
		t.Fatalf("worker: %v", err)
	}

	accept = true
	e.env = append(e.env, "SYNDICATE_BATCH_SIZE=3") // the last value wins
	if out := e.run("retry", "https://news.example.com/tides"); !strings.Contains(out, "queued 2 emails again") {
		t.Fatalf("retry said %q", out)
	}
	lost := e.dropTasks(func(id string) bool { return strings.Contains(id, ":retry") })
	if len(lost) != 2 {
		t.Fatalf("the retry queued %v, want one task per bucket of the fan-out (2)", lost)
	}
	time.Sleep(1500 * time.Millisecond) // past the grace

	dry := e.run("repair", "--dry-run")
	for _, id := range lost {
		if !strings.Contains(dry, "email "+id+" (1 deliveries)") {
			t.Errorf("repair --dry-run does not find %s:\n%s", id, dry)
		}
	}
	if !strings.Contains(dry, "would queue again 2 tasks") {
		t.Errorf("repair --dry-run said:\n%s", dry)
	}
	if rep := e.run("repair"); !strings.Contains(rep, "queued again 2 tasks") {
		t.Errorf("repair said:\n%s", rep)
	}
	e.start("worker")
	e.run("publish", path, "--wait", "--timeout", "1m")
	for addr, ids := range e.received(title) {
		if len(ids) != 1 {
			t.Errorf("%s got %d emails, want 1", addr, len(ids))
		}
	}
	if got := len(e.received(title)); got != len(emails) {
		t.Errorf("%d of %d subscribers got the email", got, len(emails))
	}
	for _, r := range e.status("https://news.example.com/tides") {
		if r.Status != "sent" {
			t.Errorf("delivery %+v is not sent", r)
		}
	}
}

// dropTasks deletes the pending tasks whose ID matches from Redis, as a
// failover to a replica that had not got them would, and returns their
// IDs.
func (e *e2e) dropTasks(match func(id string) bool) []string {
	e.t.Helper()
	c := e.redis()
	defer c.Close()
	insp := asynq.NewInspectorFromRedisClient(c)
	tasks, err := insp.ListPendingTasks(jobs.QueueDefault, asynq.PageSize(1000))
	if err != nil {
		e.t.Fatalf("list pending tasks: %v", err)
	}
	var out []string
	for _, ti := range tasks {
		if match(ti.ID) {
			if err := insp.DeleteTask(jobs.QueueDefault, ti.ID); err != nil {
				e.t.Fatalf("delete task %s: %v", ti.ID, err)
			}
			out = append(out, ti.ID)
		}
	}
	slices.Sort(out)
	return out
}
