package mastodon_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"syndicate"
	"syndicate/channels/mastodon"
	"syndicate/channels/mastodon/mastodonfake"
)

const token = "mastodon-test-token"

var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newFake(t *testing.T) (*mastodonfake.Server, *httptest.Server) {
	t.Helper()
	fake := mastodonfake.NewServer(token)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv
}

func newClient(t *testing.T, instanceURL string, edit func(*mastodon.Config)) *mastodon.Client {
	t.Helper()
	cfg := mastodon.Config{
		URL:     instanceURL,
		Token:   token,
		Timeout: 5 * time.Second,
		Now:     func() time.Time { return fixedNow },
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := mastodon.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func post(articleID, text string) syndicate.Post {
	return syndicate.Post{ArticleID: articleID, Channel: syndicate.ChannelMastodon, Text: text}
}

// wantSendError fails the test unless err is a *syndicate.SendError with
// the outcome and a message containing reason.
func wantSendError(t *testing.T, err error, outcome syndicate.Outcome, reason string) {
	t.Helper()
	var se *syndicate.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a SendError", err, err)
	}
	if se.Outcome != outcome {
		t.Errorf("outcome %s, want %s (error: %v)", se.Outcome, outcome, err)
	}
	if !strings.Contains(err.Error(), reason) {
		t.Errorf("error %q does not say %q", err, reason)
	}
}

func TestPostCreated(t *testing.T) {
	fake := mastodonfake.NewServer(token)
	var mu sync.Mutex
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		mu.Unlock()
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, nil)

	text := "Hello, world — with ünïcödé & symbols: 100% + more https://example.com/a?b=c"
	id, err := c.Post(context.Background(), post("a_0123456789abcdef", text))
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if id == "" {
		t.Error("empty status id")
	}
	if st := fake.Statuses(); len(st) != 1 || st[0] != text {
		t.Errorf("fake has statuses %q, want [%q]", st, text)
	}
	mu.Lock()
	if k := got.Get("Idempotency-Key"); k != mastodon.IdempotencyKey("a_0123456789abcdef") {
		t.Errorf("Idempotency-Key %q, want %q", k, mastodon.IdempotencyKey("a_0123456789abcdef"))
	}
	if ct := got.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	mu.Unlock()

	id2, err := c.Post(context.Background(), post("a_fedcba9876543210", "second"))
	if err != nil {
		t.Fatalf("second Post: %v", err)
	}
	if id2 == id {
		t.Errorf("two articles share status id %s", id)
	}
}

func TestIdempotencyKey(t *testing.T) {
	k := mastodon.IdempotencyKey("a_0123456789abcdef")
	if len(k) != 32 || strings.Trim(k, "0123456789abcdef") != "" {
		t.Errorf("key %q is not 32 hex digits", k)
	}
	if k != mastodon.IdempotencyKey("a_0123456789abcdef") {
		t.Error("key is not stable")
	}
	if k == mastodon.IdempotencyKey("a_0123456789abcdee") {
		t.Error("two articles share a key")
	}
}

func TestPostSameArticleTwiceIsOneStatus(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	id1, err := c.Post(context.Background(), post("a_1", "first wording"))
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	// An editor's retry after the template changed still cannot post twice.
	id2, err := c.Post(context.Background(), post("a_1", "second wording"))
	if err != nil {
		t.Fatalf("second Post: %v", err)
	}
	if id1 != id2 {
		t.Errorf("ids %s and %s, want the same status", id1, id2)
	}
	if st := fake.Statuses(); len(st) != 1 || st[0] != "first wording" {
		t.Errorf("statuses %q, want only the first", st)
	}
}

func TestPostVisibility(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, func(c *mastodon.Config) { c.Visibility = "unlisted" })
	if _, err := c.Post(context.Background(), post("a_1", "quiet")); err != nil {
		t.Fatalf("Post: %v", err)
	}
	if n := len(fake.Statuses()); n != 1 {
		t.Errorf("%d statuses, want 1", n)
	}
}

func TestPostWrongToken(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, func(c *mastodon.Config) { c.Token = "wrong" })
	_, err := c.Post(context.Background(), post("a_1", "hello"))
	wantSendError(t, err, syndicate.AuthFailed, "The access token is invalid")
	wantSendError(t, err, syndicate.AuthFailed, "needs new credentials")
	if n := len(fake.Statuses()); n != 0 {
		t.Errorf("%d statuses created with a wrong token", n)
	}
}

func TestPostTooLongIsPermanent(t *testing.T) {
	fake, srv := newFake(t)
	fake.SetLimit(30)
	c := newClient(t, srv.URL, nil)
	// 7 characters of text plus a link counted as 23: 30, just fits.
	if _, err := c.Post(context.Background(), post("a_1", "fits!: https://example.com/"+strings.Repeat("long/", 40))); err != nil {
		t.Fatalf("Post at the limit: %v", err)
	}
	_, err := c.Post(context.Background(), post("a_2", "too long: https://example.com/"))
	wantSendError(t, err, syndicate.Permanent, "Validation failed: Text character limit of 30 exceeded")
	var se *syndicate.SendError
	if errors.As(err, &se) && se.Code != http.StatusUnprocessableEntity {
		t.Errorf("code %d, want 422", se.Code)
	}
	if n := len(fake.Statuses()); n != 1 {
		t.Errorf("%d statuses, want 1", n)
	}
}

func TestPostRateLimited(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"reset ahead", map[string]string{"X-RateLimit-Reset": "2026-03-01T12:01:30.000Z"}, 90 * time.Second},
		{"reset ahead, offset", map[string]string{"X-RateLimit-Reset": "2026-03-01T13:02:00+01:00"}, 2 * time.Minute},
		{"reset past", map[string]string{"X-RateLimit-Reset": "2026-03-01T11:59:00.000Z"}, time.Second},
		{"reset far", map[string]string{"X-RateLimit-Reset": "2099-01-01T00:00:00Z"}, 24 * time.Hour},
		{"no header", nil, 5 * time.Minute},
		{"garbage header", map[string]string{"X-RateLimit-Reset": "soon"}, 5 * time.Minute},
		{"retry-after only", map[string]string{"Retry-After": "42"}, 42 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := newFake(t)
			c := newClient(t, srv.URL, nil)
			fake.FailNext(http.StatusTooManyRequests, `{"error":"Too many requests"}`, tc.header)
			_, err := c.Post(context.Background(), post("a_1", "hello"))
			var rl *syndicate.RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("error %v is not a RateLimitError", err)
			}
			if rl.RetryAfter != tc.want {
				t.Errorf("RetryAfter %s, want %s", rl.RetryAfter, tc.want)
			}
			if rl.Message != "Too many requests" {
				t.Errorf("Message %q, want the body's error", rl.Message)
			}
			if n := len(fake.Statuses()); n != 0 {
				t.Errorf("%d statuses", n)
			}
		})
	}
}

func TestPostRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		header  map[string]string
		outcome syndicate.Outcome
		reason  string
	}{
		{"validation", 422, `{"error":"Validation failed: Text can't be blank"}`, nil, syndicate.Permanent, "Text can't be blank"},
		{"forbidden", 403, `{"error":"Your login is currently disabled"}`, nil, syndicate.Permanent, "login is currently disabled"},
		{"scope", 403, `{"error":"This action is outside the authorized scopes"}`, nil, syndicate.Permanent, "authorized scopes"},
		{"not found", 404, `{"error":"Record not found"}`, nil, syndicate.Permanent, "Record not found"},
		{"bad request", 400, `not json`, nil, syndicate.Permanent, `"not json"`},
		{"oauth", 401, `{"error":"invalid_token","error_description":"The access token was revoked"}`, nil, syndicate.AuthFailed, "invalid_token: The access token was revoked"},
		{"redirect", 301, ``, map[string]string{"Location": "https://other.example/api/v1/statuses"}, syndicate.Permanent, "other.example"},
		{"server error", 500, `{"error":"We're sorry, but something went wrong on our end."}`, nil, syndicate.Temporary, "something went wrong"},
		{"bad gateway, html", 502, `<html>Bad Gateway</html>`, nil, syndicate.Temporary, "Bad Gateway"},
		{"unavailable, empty", 503, ``, nil, syndicate.Temporary, "Service Unavailable"},
		{"ok without id", 200, `{}`, nil, syndicate.Temporary, "no status id"},
		{"ok, not json", 200, `ok`, nil, syndicate.Temporary, "no status id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := newFake(t)
			c := newClient(t, srv.URL, nil)
			fake.FailNext(tc.status, tc.body, tc.header)
			_, err := c.Post(context.Background(), post("a_1", "hello"))
			wantSendError(t, err, tc.outcome, tc.reason)
			if fake.Requests() != 1 {
				t.Errorf("%d requests, want 1", fake.Requests())
			}
		})
	}
}

func TestPostLongErrorBodyIsBounded(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	fake.FailNext(422, `{"error":"`+strings.Repeat("é", 1<<20)+`"}`, nil)
	_, err := c.Post(context.Background(), post("a_1", "hello"))
	wantSendError(t, err, syndicate.Permanent, "é")
	if len(err.Error()) > 1000 {
		t.Errorf("error message is %d bytes long", len(err.Error()))
	}
}

func TestPostServerErrorAfterCreateThenRetryIsOneStatus(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	fake.FailAfterCreate(http.StatusBadGateway)
	_, err := c.Post(context.Background(), post("a_1", "hello"))
	wantSendError(t, err, syndicate.Temporary, "Bad Gateway")
	id, err := c.Post(context.Background(), post("a_1", "hello"))
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if id == "" {
		t.Error("retry returned no id")
	}
	if st := fake.Statuses(); len(st) != 1 {
		t.Errorf("statuses %q, want exactly one", st)
	}
}

func TestPostTimeoutThenRetryIsOneStatus(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, func(c *mastodon.Config) { c.Timeout = 200 * time.Millisecond })
	fake.HangNext()
	start := time.Now()
	_, err := c.Post(context.Background(), post("a_1", "hello"))
	wantSendError(t, err, syndicate.Temporary, "sent but no response")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Post took %s with a 200ms timeout", d)
	}
	if n := len(fake.Statuses()); n != 1 {
		t.Fatalf("fake has %d statuses; the hung one should exist", n)
	}
	if _, err := c.Post(context.Background(), post("a_1", "hello")); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if st := fake.Statuses(); len(st) != 1 {
		t.Errorf("statuses %q, want exactly one", st)
	}
}

func TestPostConnectionDroppedAfterSendIsTemporary(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		if err := conn.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}))
	t.Cleanup(srv.Close)
	_, err := newClient(t, srv.URL, nil).Post(context.Background(), post("a_1", "hello"))
	wantSendError(t, err, syndicate.Temporary, "sent but no response")
}

func TestPostClosedPortIsTemporary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = newClient(t, "http://"+addr, nil).Post(context.Background(), post("a_1", "hello"))
	wantSendError(t, err, syndicate.Temporary, "not sent")
}

func TestPostCanceledBeforeSendIsTemporary(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Post(ctx, post("a_1", "hello"))
	wantSendError(t, err, syndicate.Temporary, "not sent")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	if fake.Requests() != 0 {
		t.Errorf("%d requests reached the server", fake.Requests())
	}
}

func TestPostRefusedWithoutSending(t *testing.T) {
	for _, tc := range []struct {
		name   string
		p      syndicate.Post
		reason string
	}{
		{"empty", post("a_1", "  \n"), "empty"},
		{"huge", post("a_1", strings.Repeat("a", 10001)), "10001 bytes"},
		{"bad utf-8", post("a_1", "caf\xe9"), "UTF-8"},
		{"no article", post("", "hello"), "no article id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := newFake(t)
			_, err := newClient(t, srv.URL, nil).Post(context.Background(), tc.p)
			wantSendError(t, err, syndicate.Permanent, tc.reason)
			if fake.Requests() != 0 {
				t.Errorf("%d requests reached the server", fake.Requests())
			}
		})
	}
}

func TestLimitFetchedAndCached(t *testing.T) {
	fake, srv := newFake(t)
	fake.SetLimit(1000)
	c := newClient(t, srv.URL, nil)
	for i := range 3 {
		maxChars, urlWeight, err := c.Limit(context.Background())
		if err != nil {
			t.Fatalf("Limit #%d: %v", i+1, err)
		}
		if maxChars != 1000 || urlWeight != 23 {
			t.Errorf("Limit #%d = %d, %d; want 1000, 23", i+1, maxChars, urlWeight)
		}
	}
	if n := fake.Requests(); n != 1 {
		t.Errorf("%d instance requests, want 1", n)
	}
}

func TestLimitDefaultsWhenAbsent(t *testing.T) {
	fake, srv := newFake(t)
	fake.FailNext(200, `{"domain":"old.example","configuration":{}}`, nil)
	maxChars, urlWeight, err := newClient(t, srv.URL, nil).Limit(context.Background())
	if err != nil {
		t.Fatalf("Limit: %v", err)
	}
	if maxChars != 500 || urlWeight != 23 {
		t.Errorf("Limit = %d, %d; want 500, 23", maxChars, urlWeight)
	}
}

func TestLimitFailureFallsBackAndRetriesLater(t *testing.T) {
	fake, srv := newFake(t)
	fake.SetLimit(800)
	var mu sync.Mutex
	now := fixedNow
	c := newClient(t, srv.URL, func(c *mastodon.Config) {
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }

	fake.FailNext(http.StatusServiceUnavailable, `{"error":"down for maintenance"}`, nil)
	maxChars, urlWeight, err := c.Limit(context.Background())
	if err == nil || !strings.Contains(err.Error(), "down for maintenance") {
		t.Errorf("Limit error %v, want the instance's reason", err)
	}
	if maxChars != 500 || urlWeight != 23 {
		t.Errorf("Limit after failure = %d, %d; want the defaults 500, 23", maxChars, urlWeight)
	}

	advance(4 * time.Minute)
	if maxChars, _, err := c.Limit(context.Background()); err == nil || maxChars != 500 {
		t.Errorf("Limit within five minutes = %d, %v; want 500 and the remembered error", maxChars, err)
	}
	if n := fake.Requests(); n != 1 {
		t.Errorf("%d instance requests within five minutes, want 1", n)
	}

	advance(2 * time.Minute)
	if maxChars, _, err := c.Limit(context.Background()); err != nil || maxChars != 800 {
		t.Errorf("Limit after five minutes = %d, %v; want 800", maxChars, err)
	}
	if n := fake.Requests(); n != 2 {
		t.Errorf("%d instance requests, want 2", n)
	}
}

func TestCheck(t *testing.T) {
	fake, srv := newFake(t)
	if err := newClient(t, srv.URL, nil).Check(context.Background()); err != nil {
		t.Errorf("Check with the right token: %v", err)
	}
	err := newClient(t, srv.URL, func(c *mastodon.Config) { c.Token = "wrong" }).Check(context.Background())
	wantSendError(t, err, syndicate.AuthFailed, "check credentials")

	// A write-only token may not read the account, but it was accepted.
	fake.FailNext(403, `{"error":"This action is outside the authorized scopes"}`, nil)
	if err := newClient(t, srv.URL, nil).Check(context.Background()); err != nil {
		t.Errorf("Check with a write-only token: %v", err)
	}
	fake.FailNext(403, `{"error":"Your login is currently disabled"}`, nil)
	err = newClient(t, srv.URL, nil).Check(context.Background())
	wantSendError(t, err, syndicate.Permanent, "login is currently disabled")
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  mastodon.Config
		want string
	}{
		{"all missing", mastodon.Config{}, "missing instance URL, access token"},
		{"token missing", mastodon.Config{URL: "https://mastodon.social"}, "missing access token"},
		{"bad scheme", mastodon.Config{URL: "ftp://mastodon.social", Token: "t"}, `"ftp://mastodon.social"`},
		{"no host", mastodon.Config{URL: "https://", Token: "t"}, "instance URL"},
		{"no scheme", mastodon.Config{URL: "mastodon.social", Token: "t"}, "instance URL"},
		{"token with newline", mastodon.Config{URL: "https://mastodon.social", Token: "abc\n"}, "access token contains"},
		{"visibility", mastodon.Config{URL: "https://mastodon.social", Token: "t", Visibility: "direct"}, `visibility "direct"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mastodon.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
			if syndicate.ErrorCode(err) != syndicate.EINVALID {
				t.Errorf("code %q, want invalid", syndicate.ErrorCode(err))
			}
		})
	}
}

func TestURLWithPathPrefix(t *testing.T) {
	fake := mastodonfake.NewServer(token)
	mux := http.NewServeMux()
	mux.Handle("/proxy/", http.StripPrefix("/proxy", fake))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	if _, err := newClient(t, srv.URL+"/proxy/", nil).Post(context.Background(), post("a_1", "hello")); err != nil {
		t.Fatalf("Post under a path prefix: %v", err)
	}
	if n := len(fake.Statuses()); n != 1 {
		t.Errorf("%d statuses, want 1", n)
	}
}
