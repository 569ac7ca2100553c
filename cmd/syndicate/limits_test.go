package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"syndicate/config"
	"syndicate/internal/testdb"
	"syndicate/internal/testredis"
	"syndicate/store"
)

// TestSignupLimitSharedAcrossProcesses: two API handlers wired as serve
// wires them (webHandler), each with its own Redis client on one Redis,
// spend one per-client budget and one overall budget between them.
func TestSignupLimitSharedAcrossProcesses(t *testing.T) {
	rurl := testredis.URL(t, redisDB)
	st, err := store.Open(context.Background(), testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg, err := config.Load("", false, func(k string) string {
		return map[string]string{
			"SYNDICATE_REDIS_URL": rurl, "SYNDICATE_BASE_URL": "https://news.example.com", "SYNDICATE_SECRET": "limits-secret-0123456789",
			"SYNDICATE_SIGNUP_PER_CLIENT_PER_HOUR": "3", "SYNDICATE_SIGNUP_TOTAL_PER_MINUTE": "5",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	var handlers []http.Handler
	for range 2 {
		opt, err := redis.ParseURL(rurl)
		if err != nil {
			t.Fatal(err)
		}
		rc := redis.NewClient(opt)
		t.Cleanup(func() { rc.Close() })
		handlers = append(handlers, webHandler(cfg, rc, st, slog.New(slog.DiscardHandler), nil))
	}
	n := 0
	post := func(remote string) *httptest.ResponseRecorder {
		h := handlers[n%2] // alternate between the two processes
		n++
		r := httptest.NewRequest(http.MethodPost, "/subscribe", strings.NewReader(url.Values{"email": {"v" + strings.Repeat("x", n) + "@example.com"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i := range 3 {
		if w := post("198.51.100.7:1000"); w.Code != http.StatusOK {
			t.Fatalf("sign-up %d from one client: %d\n%s", i+1, w.Code, w.Body)
		}
	}
	w := post("198.51.100.7:1000")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") == "" {
		t.Fatalf("fourth sign-up from one client across two handlers: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
	}
	// Other clients have their own budgets, but all share the overall one
	// of 5, of which 3 are spent.
	for i, remote := range []string{"203.0.113.1:1", "203.0.113.2:1"} {
		if w := post(remote); w.Code != http.StatusOK {
			t.Fatalf("other client %d: %d", i+1, w.Code)
		}
	}
	if w := post("203.0.113.3:1"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("past the overall budget: %d", w.Code)
	}
}
