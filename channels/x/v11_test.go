package x_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"syndicate"
	"syndicate/channels/x"
	"syndicate/channels/x/xfake"
)

// sent is what left the client for the network, below the OAuth 1.0a
// signer: the URL and Host the server sees.
type sent struct {
	url, host, contentType string
}

// recorder is a base transport that records every request and passes it
// on, after edit (if any) has changed it.
type recorder struct {
	mu   sync.Mutex
	reqs []sent
	edit func(*http.Request) error
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.reqs = append(r.reqs, sent{url: req.URL.String(), host: req.Host, contentType: req.Header.Get("Content-Type")})
	r.mu.Unlock()
	if r.edit != nil {
		if err := r.edit(req); err != nil {
			return nil, err
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) sent() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sent(nil), r.reqs...)
}

// v11 configures a client for API v1.1 whose requests go through rec.
func v11(rec *recorder) func(*x.Config) {
	return func(c *x.Config) {
		c.API = x.APIv11
		if rec != nil {
			c.HTTPClient = &http.Client{Transport: rec}
		}
	}
}

func TestV11PostGoesToAPIURL(t *testing.T) {
	fake, srv := newFake(t)
	rec := &recorder{}
	c := newClient(t, srv.URL, v11(rec))
	// Characters that form encoding and OAuth percent-encoding treat
	// differently: the signature covers the decoded status.
	text := "Hello, world — with ünïcödé & symbols: 100% + a=b https://example.com/a?b=c"
	id, err := c.Post(context.Background(), post(text))
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		t.Errorf("post id %q is not v1.1's id_str: %v", id, err)
	}
	if got := fake.Posts(); len(got) != 1 || got[0] != text {
		t.Errorf("fake has posts %q, want [%q]", got, text)
	}
	srvURL, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	reqs := rec.sent()
	if len(reqs) != 1 {
		t.Fatalf("%d requests sent, want 1: %+v", len(reqs), reqs)
	}
	want := srv.URL + "/1.1/statuses/update.json"
	if reqs[0].url != want || reqs[0].host != srvURL.Host {
		t.Errorf("request went to %s (Host %s), want %s (Host %s)", reqs[0].url, reqs[0].host, want, srvURL.Host)
	}
	if reqs[0].contentType != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q, want a form", reqs[0].contentType)
	}

	id2, err := c.Post(context.Background(), post("second"))
	if err != nil {
		t.Fatalf("second Post: %v", err)
	}
	if id2 == id {
		t.Errorf("two posts share id %s", id)
	}
	for _, r := range rec.sent() {
		if strings.Contains(r.url, "twitter.com") || strings.Contains(r.host, "twitter.com") {
			t.Errorf("a request went to %s (Host %s)", r.url, r.host)
		}
	}
}

func TestV11APIURLWithPathPrefix(t *testing.T) {
	fake := xfake.NewServer(consumerKey, consumerSecret, accessToken, accessSecret)
	mux := http.NewServeMux()
	mux.Handle("/proxy/", http.StripPrefix("/proxy", fake))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	rec := &recorder{}
	if _, err := newClient(t, srv.URL+"/proxy/", v11(rec)).Post(context.Background(), post("hello")); err != nil {
		t.Fatalf("Post under a path prefix: %v", err)
	}
	if reqs := rec.sent(); len(reqs) != 1 || reqs[0].url != srv.URL+"/proxy/1.1/statuses/update.json" {
		t.Errorf("requests %+v, want one to %s/proxy/1.1/statuses/update.json", reqs, srv.URL)
	}
	if n := len(fake.Posts()); n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
}

// The form body is part of what is signed: a status changed after signing
// is refused, which proves both that the client signs it and that the fake
// checks it.
func TestV11SignatureCoversFormBody(t *testing.T) {
	fake, srv := newFake(t)
	rec := &recorder{edit: func(req *http.Request) error {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return err
		}
		if err := req.Body.Close(); err != nil {
			return err
		}
		if !bytes.Equal(b, []byte("status=hello")) {
			t.Errorf("body %q, want status=hello", b)
		}
		b = []byte("status=hellp") // same length: only the signature can tell
		req.Body = io.NopCloser(bytes.NewReader(b))
		return nil
	}}
	_, err := newClient(t, srv.URL, v11(rec)).Post(context.Background(), post("hello"))
	wantSendError(t, err, syndicate.AuthFailed, "signature does not match")
	if n := len(fake.Posts()); n != 0 {
		t.Errorf("%d posts accepted with a tampered body", n)
	}
}

func TestV11WrongSecret(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, func(c *x.Config) { c.AccessSecret = "wrong"; c.API = x.APIv11 })
	_, err := c.Post(context.Background(), post("hello"))
	wantSendError(t, err, syndicate.AuthFailed, "Could not authenticate you")
	if n := len(fake.Posts()); n != 0 {
		t.Errorf("%d posts accepted with a wrong secret", n)
	}
}

func TestV11Duplicate(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, v11(nil))
	if _, err := c.Post(context.Background(), post("same words")); err != nil {
		t.Fatalf("first Post: %v", err)
	}
	_, err := c.Post(context.Background(), post("same words"))
	wantSendError(t, err, syndicate.Duplicate, "Status is a duplicate. (code 187)")
	// One account, one timeline: v2 sees the v1.1 post too.
	_, err = newClient(t, srv.URL, nil).Post(context.Background(), post("same words"))
	wantSendError(t, err, syndicate.Duplicate, "duplicate content")
	if n := len(fake.Posts()); n != 1 {
		t.Errorf("%d posts, want 1", n)
	}
}

func TestV11NoAccess(t *testing.T) {
	fake, srv := newFake(t)
	fake.RefuseV11()
	_, err := newClient(t, srv.URL, v11(nil)).Post(context.Background(), post("hello"))
	wantSendError(t, err, syndicate.Permanent, "lacks v1.1 access")
	wantSendError(t, err, syndicate.Permanent, `api: "v2"`)
	wantSendError(t, err, syndicate.Permanent, "(code 453)")
	if n := len(fake.Posts()); n != 0 {
		t.Errorf("%d posts, want 0", n)
	}
	// The refusal is of v1.1 only, as X's is.
	if _, err := newClient(t, srv.URL, nil).Post(context.Background(), post("hello")); err != nil {
		t.Errorf("v2 Post with v1.1 refused: %v", err)
	}
}

func TestV11RateLimited(t *testing.T) {
	reset := map[string]string{"x-rate-limit-reset": strconv.FormatInt(fixedNow.Add(90*time.Second).Unix(), 10)}
	for _, tc := range []struct {
		name   string
		status int
		body   string
		header map[string]string
		want   time.Duration
	}{
		{"429 with code 88", 429, `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`, reset, 90 * time.Second},
		{"code 88 alone", 400, `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`, reset, 90 * time.Second},
		{"429, not json", 429, `Too Many Requests`, reset, 90 * time.Second},
		{"no header", 429, `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`, nil, 15 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := newFake(t)
			fake.FailNext(tc.status, tc.body, tc.header)
			_, err := newClient(t, srv.URL, v11(nil)).Post(context.Background(), post("hello"))
			var rl *syndicate.RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("error %v is not a RateLimitError", err)
			}
			if rl.RetryAfter != tc.want {
				t.Errorf("RetryAfter %s, want %s", rl.RetryAfter, tc.want)
			}
			if fake.Attempts() != 1 {
				t.Errorf("%d attempts, want 1", fake.Attempts())
			}
		})
	}
}

func TestV11Refused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		outcome syndicate.Outcome
		reason  string
	}{
		{"401 code 32", 401, `{"errors":[{"code":32,"message":"Could not authenticate you."}]}`, syndicate.AuthFailed, "code 32"},
		{"401 code 89", 401, `{"errors":[{"code":89,"message":"Invalid or expired token."}]}`, syndicate.AuthFailed, "expired token"},
		{"400 code 215", 400, `{"errors":[{"code":215,"message":"Bad Authentication data."}]}`, syndicate.AuthFailed, "code 215"},
		{"401, html", 401, `<html>Unauthorized</html>`, syndicate.AuthFailed, "Unauthorized"},
		{"403 too long", 403, `{"errors":[{"code":186,"message":"Tweet needs to be a bit shorter."}]}`, syndicate.Permanent, "code 186"},
		{"404", 404, `{"errors":[{"code":34,"message":"Sorry, that page does not exist."}]}`, syndicate.Permanent, "code 34"},
		{"500 code 131", 500, `{"errors":[{"code":131,"message":"Internal error"}]}`, syndicate.Unknown, "Internal error"},
		{"503 over capacity", 503, `{"errors":[{"code":130,"message":"Over capacity"}]}`, syndicate.Unknown, "Over capacity"},
		{"bad gateway, html", 502, `<html>Bad Gateway</html>`, syndicate.Unknown, "Bad Gateway"},
		{"unavailable, empty", 503, ``, syndicate.Unknown, "Service Unavailable"},
		{"ok without id_str", 200, `{"id":0,"text":"hello"}`, syndicate.Unknown, "no post id"},
		{"ok, not json", 200, `ok`, syndicate.Unknown, "no post id"},
		{"ok, empty", 200, ``, syndicate.Unknown, "no post id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := newFake(t)
			fake.FailNext(tc.status, tc.body, nil)
			_, err := newClient(t, srv.URL, v11(nil)).Post(context.Background(), post("hello"))
			wantSendError(t, err, tc.outcome, tc.reason)
			if fake.Attempts() != 1 {
				t.Errorf("%d attempts, want 1", fake.Attempts())
			}
		})
	}
}

func TestV11LongErrorBodyIsBounded(t *testing.T) {
	fake, srv := newFake(t)
	fake.FailNext(400, strings.Repeat("é", 1<<20), nil)
	_, err := newClient(t, srv.URL, v11(nil)).Post(context.Background(), post("hello"))
	wantSendError(t, err, syndicate.Permanent, "é")
	if len(err.Error()) > 1000 {
		t.Errorf("error message is %d bytes long", len(err.Error()))
	}
}

func TestV11TimeoutIsUnknown(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, func(c *x.Config) { c.API = x.APIv11; c.Timeout = 200 * time.Millisecond })
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

func TestV11ClosedPortIsTemporary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = newClient(t, "http://"+addr, v11(nil)).Post(context.Background(), post("hello"))
	wantSendError(t, err, syndicate.Temporary, "not sent")
	// The message names where the request went, not go-twitter's URL.
	if !strings.Contains(err.Error(), addr) || strings.Contains(err.Error(), "twitter.com") {
		t.Errorf("error %q does not name %s alone", err, addr)
	}
}

func TestV11CanceledBeforeSendIsTemporary(t *testing.T) {
	fake, srv := newFake(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newClient(t, srv.URL, v11(nil)).Post(ctx, post("hello"))
	wantSendError(t, err, syndicate.Temporary, "not sent")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v does not wrap context.Canceled", err)
	}
	if fake.Attempts() != 0 {
		t.Errorf("%d attempts reached the server", fake.Attempts())
	}
}

func TestNewAPIOption(t *testing.T) {
	creds := x.Config{ConsumerKey: "k", ConsumerSecret: "c", AccessToken: "t", AccessSecret: "s"}
	for _, api := range []string{"", "v2", "v1.1", " V1.1 "} {
		cfg := creds
		cfg.API = api
		if _, err := x.New(cfg); err != nil {
			t.Errorf("API %q: %v", api, err)
		}
	}
	for _, api := range []string{"v1", "1.1", "v3", "v2 v1.1"} {
		cfg := creds
		cfg.API = api
		_, err := x.New(cfg)
		if err == nil || !strings.Contains(err.Error(), strconv.Quote(api)) || !strings.Contains(err.Error(), `"v2" or "v1.1"`) {
			t.Errorf("API %q: error %v, want one naming it and the choices", api, err)
		}
		if syndicate.ErrorCode(err) != syndicate.EINVALID {
			t.Errorf("API %q: code %q, want invalid", api, syndicate.ErrorCode(err))
		}
	}
}
