package x_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"syndicate"
	"syndicate/channels/x"
	"syndicate/channels/x/xfake"
)

const (
	consumerKey    = "ck-test"
	consumerSecret = "cs-test+/="
	accessToken    = "123-at-test"
	accessSecret   = "as-test&secret"
)

var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newFake(t *testing.T) (*xfake.Server, *httptest.Server) {
	t.Helper()
	fake := xfake.NewServer(consumerKey, consumerSecret, accessToken, accessSecret)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv
}

func newClient(t *testing.T, apiURL string, edit func(*x.Config)) *x.Client {
	t.Helper()
	cfg := x.Config{
		APIURL:      apiURL,
		ConsumerKey: consumerKey, ConsumerSecret: consumerSecret,
		AccessToken: accessToken, AccessSecret: accessSecret,
		Timeout: 5 * time.Second,
		Now:     func() time.Time { return fixedNow },
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := x.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func post(text string) syndicate.Post {
	return syndicate.Post{ArticleID: "a_0123456789abcdef", Channel: syndicate.ChannelX, Text: text}
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
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	text := "Hello, world — with ünïcödé & symbols: 100% + more https://example.com/a?b=c"
	id, err := c.Post(context.Background(), post(text))
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if id == "" {
		t.Error("empty post id")
	}
	if got := fake.Posts(); len(got) != 1 || got[0] != text {
		t.Errorf("fake has posts %q, want [%q]", got, text)
	}
	id2, err := c.Post(context.Background(), post("second"))
	if err != nil {
		t.Fatalf("second Post: %v", err)
	}
	if id2 == id {
		t.Errorf("two posts share id %s", id)
	}
}

func TestPostWrongSecret(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, func(c *x.Config) { c.AccessSecret = "wrong" })
	_, err := c.Post(context.Background(), post("hello"))
	wantSendError(t, err, syndicate.AuthFailed, "Unauthorized")
	if n := len(fake.Posts()); n != 0 {
		t.Errorf("%d posts accepted with a wrong secret", n)
	}
}

func TestPostRateLimited(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"reset ahead", map[string]string{"x-rate-limit-reset": strconv.FormatInt(fixedNow.Add(90*time.Second).Unix(), 10)}, 90 * time.Second},
		{"reset past", map[string]string{"x-rate-limit-reset": strconv.FormatInt(fixedNow.Add(-time.Minute).Unix(), 10)}, time.Second},
		{"no header", nil, 15 * time.Minute},
		{"garbage header", map[string]string{"x-rate-limit-reset": "soon"}, 15 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := newFake(t)
			c := newClient(t, srv.URL, nil)
			fake.FailNext(http.StatusTooManyRequests, `{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}`, tc.header)
			_, err := c.Post(context.Background(), post("hello"))
			var rl *syndicate.RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("error %v is not a RateLimitError", err)
			}
			if rl.RetryAfter != tc.want {
				t.Errorf("RetryAfter %s, want %s", rl.RetryAfter, tc.want)
			}
			if rl.Message != "Too Many Requests" {
				t.Errorf("Message %q, want the body's detail", rl.Message)
			}
			if syndicate.OutcomeOf(err) != syndicate.Temporary {
				t.Errorf("OutcomeOf = %s, want temporary", syndicate.OutcomeOf(err))
			}
		})
	}
}

func TestPostDuplicate(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	if _, err := c.Post(context.Background(), post("same words")); err != nil {
		t.Fatalf("first Post: %v", err)
	}
	_, err := c.Post(context.Background(), post("same words"))
	wantSendError(t, err, syndicate.Duplicate, "duplicate content")
	if n := len(fake.Posts()); n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
}

func TestPostRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		outcome syndicate.Outcome
		reason  string
	}{
		{"forbidden", 403, `{"detail":"You are not permitted to perform this action.","title":"Forbidden","status":403}`, syndicate.Permanent, "not permitted"},
		{"v1.1 style 453", 403, `{"errors":[{"message":"You currently have access to a subset of X API V2 endpoints","code":453}]}`, syndicate.Permanent, "code 453"},
		{"bad request", 400, `{"title":"Invalid Request","detail":"One or more parameters to your request was invalid."}`, syndicate.Permanent, "parameters"},
		{"unauthorized", 401, `{"title":"Unauthorized","detail":"Unauthorized","status":401}`, syndicate.AuthFailed, "Unauthorized"},
		{"server error", 500, `{"title":"Internal Server Error"}`, syndicate.Unknown, "Internal Server Error"},
		{"bad gateway, html", 502, `<html>Bad Gateway</html>`, syndicate.Unknown, "Bad Gateway"},
		{"unavailable, empty", 503, ``, syndicate.Unknown, "Service Unavailable"},
		{"created without id", 201, `{"data":{}}`, syndicate.Unknown, "no post id"},
		{"created, not json", 201, `ok`, syndicate.Unknown, "no post id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := newFake(t)
			c := newClient(t, srv.URL, nil)
			fake.FailNext(tc.status, tc.body, nil)
			_, err := c.Post(context.Background(), post("hello"))
			wantSendError(t, err, tc.outcome, tc.reason)
			if fake.Attempts() != 1 {
				t.Errorf("%d attempts, want 1", fake.Attempts())
			}
		})
	}
}

func TestPostLongErrorBodyIsBounded(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	fake.FailNext(400, strings.Repeat("é", 1<<20), nil)
	_, err := c.Post(context.Background(), post("hello"))
	wantSendError(t, err, syndicate.Permanent, "é")
	if len(err.Error()) > 1000 {
		t.Errorf("error message is %d bytes long", len(err.Error()))
	}
}

func TestPostTimeoutIsUnknown(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, func(c *x.Config) { c.Timeout = 200 * time.Millisecond })
	fake.HangNext()
	start := time.Now()
	_, err := c.Post(context.Background(), post("hello"))
	wantSendError(t, err, syndicate.Unknown, "sent but no response")
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Post took %s with a 200ms timeout", d)
	}
	if n := len(fake.Posts()); n != 1 {
		t.Errorf("fake has %d posts; the hung post should exist", n)
	}
}

func TestPostConnectionDroppedAfterSendIsUnknown(t *testing.T) {
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
	c := newClient(t, srv.URL, nil)
	_, err := c.Post(context.Background(), post("hello"))
	wantSendError(t, err, syndicate.Unknown, "sent but no response")
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
	c := newClient(t, "http://"+addr, nil)
	_, err = c.Post(context.Background(), post("hello"))
	wantSendError(t, err, syndicate.Temporary, "not sent")
}

func TestPostCanceledBeforeSendIsTemporary(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Post(ctx, post("hello"))
	wantSendError(t, err, syndicate.Temporary, "not sent")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	if fake.Attempts() != 0 {
		t.Errorf("%d attempts reached the server", fake.Attempts())
	}
}

func TestPostEmptyText(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	_, err := c.Post(context.Background(), post("  "))
	wantSendError(t, err, syndicate.Permanent, "empty")
	if fake.Attempts() != 0 {
		t.Errorf("%d attempts reached the server", fake.Attempts())
	}
}

func TestCheck(t *testing.T) {
	_, srv := newFake(t)
	if err := newClient(t, srv.URL, nil).Check(context.Background()); err != nil {
		t.Errorf("Check with good credentials: %v", err)
	}
	err := newClient(t, srv.URL, func(c *x.Config) { c.ConsumerSecret = "wrong" }).Check(context.Background())
	wantSendError(t, err, syndicate.AuthFailed, "check credentials")
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  x.Config
		want string
	}{
		{"all missing", x.Config{}, "missing consumer key, consumer secret, access token, access secret"},
		{"secret missing", x.Config{ConsumerKey: "k", AccessToken: "t", AccessSecret: "s"}, "missing consumer secret"},
		{"bad scheme", x.Config{APIURL: "ftp://api.x.com", ConsumerKey: "k", ConsumerSecret: "c", AccessToken: "t", AccessSecret: "s"}, `"ftp://api.x.com"`},
		{"no host", x.Config{APIURL: "https://", ConsumerKey: "k", ConsumerSecret: "c", AccessToken: "t", AccessSecret: "s"}, "API URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := x.New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
			if syndicate.ErrorCode(err) != syndicate.EINVALID {
				t.Errorf("code %q, want invalid", syndicate.ErrorCode(err))
			}
		})
	}
	if _, err := x.New(x.Config{ConsumerKey: "k", ConsumerSecret: "c", AccessToken: "t", AccessSecret: "s"}); err != nil {
		t.Errorf("default API URL: %v", err)
	}
}

func TestAPIURLWithPathPrefix(t *testing.T) {
	fake := xfake.NewServer(consumerKey, consumerSecret, accessToken, accessSecret)
	mux := http.NewServeMux()
	mux.Handle("/proxy/", http.StripPrefix("/proxy", fake))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	// The trailing slash must not double up: the signed path is the one sent.
	if _, err := newClient(t, srv.URL+"/proxy/", nil).Post(context.Background(), post("hello")); err != nil {
		t.Fatalf("Post under a path prefix: %v", err)
	}
	if n := len(fake.Posts()); n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
}
