package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"syndicate/channels/bluesky/blueskyfake"
	"syndicate/channels/mastodon/mastodonfake"
	"syndicate/channels/webhook"
)

// TestEndToEndSocial: one article reaches X, Mastodon and Bluesky exactly
// once each through a 429 from every network, another through a worker
// killed in the middle of a post, and a second publish posts nothing. The
// fakes check what the real networks check: OAuth 1.0a signatures, bearer
// tokens, sessions, limits, facet byte offsets and idempotency.
func TestEndToEndSocial(t *testing.T) {
	mf := mastodonfake.NewServer("masto-token")
	ms := httptest.NewServer(mf)
	t.Cleanup(ms.Close)
	bf := blueskyfake.NewServer("news.example.com", "app-pass-1234")
	bs := httptest.NewServer(bf)
	t.Cleanup(bs.Close)
	bf.SetPDS(bs.URL)
	var (
		hookMu  sync.Mutex
		hookIDs = map[string]int{}
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			err = webhook.Verify("hook-secret-123", r.Header, body, time.Now(), webhook.DefaultTolerance)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		hookMu.Lock()
		hookIDs[r.Header.Get(webhook.HeaderDelivery)]++
		hookMu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	e := newParallelE2E(t, redisDBSocial,
		"SYNDICATE_WEBHOOK_URL="+hook.URL, "SYNDICATE_WEBHOOK_SECRET=hook-secret-123", "SYNDICATE_WEBHOOK_ALLOW_PRIVATE=true",
		"SYNDICATE_MASTODON_URL="+ms.URL, "SYNDICATE_MASTODON_TOKEN=masto-token",
		"SYNDICATE_BLUESKY_URL="+bs.URL, "SYNDICATE_BLUESKY_HANDLE=news.example.com", "SYNDICATE_BLUESKY_APP_PASSWORD=app-pass-1234")
	w := e.start("worker")

	soon := time.Now().Add(time.Second)
	e.x.FailNext(429, `{"title":"Too Many Requests"}`, map[string]string{"x-rate-limit-reset": itoa(soon.Unix())})
	// Two for Mastodon: the first meets the instance-limit read, the second
	// the post itself.
	mf.FailNext(429, `{"error":"Too many requests"}`, map[string]string{"X-RateLimit-Reset": soon.UTC().Format(time.RFC3339)})
	mf.FailNext(429, `{"error":"Too many requests"}`, map[string]string{"X-RateLimit-Reset": soon.UTC().Format(time.RFC3339)})
	bf.FailNext(429, `{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}`, map[string]string{"ratelimit-reset": itoa(soon.Unix())})
	// An accented, emoji-bearing lede before the link: Bluesky's facet byte
	// offsets must still land on the link.
	path := e.write("a.md", "---\ntitle: \"Café Owners Celebrate 🎉 a Record Summer\"\nurl: https://news.example.com/café-summer\ntags: [Local News, cafés]\n---\nCafés along the river — from Ümit's to Zoë's — had their best season yet.\n")
	e.run("publish", path, "--wait")

	if n := len(e.x.Posts()); n != 1 {
		t.Errorf("X has %d posts, want 1", n)
	}
	if n := len(mf.Statuses()); n != 1 {
		t.Errorf("Mastodon has %d statuses, want 1", n)
	}
	recs := bf.Records()
	if len(recs) != 1 {
		t.Fatalf("Bluesky has %d records, want 1", len(recs))
	}
	// Bluesky shows the link short, as its app does, the URL in the facet.
	if f := recs[0].Facets; len(f) != 1 || !strings.HasPrefix(f[0].URI, "https://news.example.com/caf") ||
		!strings.HasPrefix(recs[0].Text[f[0].ByteStart:], "news.example.com/caf") {
		t.Errorf("Bluesky post %q has no link facet on the short link: %+v", recs[0].Text, recs[0].Facets)
	}
	logins := bf.Logins() // the rate-limited login and the one after it
	for _, r := range e.status("https://news.example.com/café-summer") {
		if r.Status != "sent" {
			t.Errorf("%+v is not sent", r)
		}
	}

	// A worker killed while Mastodon holds its answer (the status exists):
	// the next worker posts again under the same Idempotency-Key and the
	// same Bluesky record key, so each network still has one post.
	mf.HangNext()
	path2 := e.write("b.md", articleMD("Night Market Returns", "https://news.example.com/night-market"))
	e.run("publish", path2)
	// Only Mastodon is held: the other channels must have recorded their
	// posts before the kill, or X (which has no idempotency key) would
	// rightly become unknown on a slow machine.
	waitFor(t, "the hung Mastodon post", func() bool {
		if len(mf.Statuses()) != 2 || len(bf.Records()) != 2 {
			return false
		}
		for _, r := range e.status("https://news.example.com/night-market") {
			if r.Channel != "mastodon" && r.Status != "sent" {
				return false
			}
		}
		return true
	})
	if bf.Logins() != logins {
		t.Errorf("a second Bluesky post logged in again (%d logins, want %d): the session must be reused", bf.Logins(), logins)
	}
	if err := w.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	w.Wait()
	e.start("worker")
	e.run("publish", path2, "--wait", "--timeout", "4m")
	if n := len(mf.Statuses()); n != 2 {
		t.Errorf("Mastodon has %d statuses after the restart, want 2", n)
	}
	if n := len(bf.Records()); n != 2 {
		t.Errorf("Bluesky has %d records after the restart, want 2", n)
	}
	if n := len(e.x.Posts()); n != 2 {
		t.Errorf("X has %d posts after the restart, want 2", n)
	}
	for _, r := range e.status("https://news.example.com/night-market") {
		if r.Status != "sent" {
			t.Errorf("%+v is not sent", r)
		}
	}

	// The generic webhook got each article once, signed.
	hookMu.Lock()
	if len(hookIDs) != 2 {
		t.Errorf("the webhook got %d distinct deliveries, want 2: %v", len(hookIDs), hookIDs)
	}
	for id, n := range hookIDs {
		if n != 1 {
			t.Errorf("webhook delivery %s arrived %d times", id, n)
		}
	}
	hookMu.Unlock()

	// Publishing again posts nothing anywhere.
	out := e.run("publish", path, "--wait")
	if !strings.Contains(out, "already published") {
		t.Errorf("second publish said %q", out)
	}
	time.Sleep(time.Second)
	if len(e.x.Posts()) != 2 || len(mf.Statuses()) != 2 || len(bf.Records()) != 2 {
		t.Errorf("a second publish posted again: x %d, mastodon %d, bluesky %d", len(e.x.Posts()), len(mf.Statuses()), len(bf.Records()))
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestEndToEndScheduledPublish: publish --at holds every delivery until
// then; cancel withdraws it and nothing is ever sent.
func TestEndToEndScheduledPublish(t *testing.T) {
	e := newE2E(t)
	e.addSubscribers(2)
	e.start("worker")
	out := e.run("publish", e.write("later.md", articleMD("Withdrawn Story", "https://news.example.com/withdrawn")), "--at", "+3s")
	if !strings.Contains(out, "scheduled a_") {
		t.Fatalf("publish --at said %q", out)
	}
	out = e.run("cancel", "https://news.example.com/withdrawn")
	if !strings.Contains(out, "the scheduled publish was withdrawn") {
		t.Errorf("cancel said %q", out)
	}
	soon := e.write("soon.md", articleMD("Soon Story", "https://news.example.com/soon"))
	e.run("publish", soon, "--at", "+2s")
	time.Sleep(500 * time.Millisecond)
	if n := len(e.sink.Messages()) + e.x.Attempts(); n != 0 {
		t.Fatalf("%d deliveries went before their time", n)
	}
	e.run("publish", soon, "--wait", "--timeout", "1m") // waits for the scheduled fan-out
	if n := len(e.received("Soon Story")); n != 2 {
		t.Errorf("%d subscribers got the scheduled article, want 2", n)
	}
	time.Sleep(6 * time.Second) // past the withdrawn article's time and the queue's next check
	if n := len(e.received("Withdrawn Story")); n != 0 || len(e.x.Posts()) != 1 {
		t.Errorf("a cancelled article went out: %d emails, X posts %q", n, e.x.Posts())
	}
	if c := e.cmd("publish", "--at", "yesterday", soon); c.Run() == nil || c.ProcessState.ExitCode() != 2 {
		t.Error("a bad --at is not a usage error (exit 2)")
	}
}
