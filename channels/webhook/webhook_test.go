package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"syndicate"
	"syndicate/channels/webhook"
)

var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const hostileTitle = "<!channel> @everyone <script>alert(1)</script> & more"

func article() syndicate.Article {
	return syndicate.Article{
		ID:          "a_0123456789abcdef",
		Title:       "Council votes to reopen the river path",
		URL:         "https://news.example.com/river-path",
		Author:      "Ada Lovelace",
		PublishedAt: time.Date(2026, 2, 28, 9, 30, 0, 0, time.FixedZone("CET", 3600)),
		Tags:        []string{"local", "transport"},
		Summary:     "The path closed in 2024 reopens in May.",
		Image:       "https://news.example.com/river.jpg",
	}
}

func post(a syndicate.Article) syndicate.Post {
	return syndicate.Post{
		ArticleID: a.ID,
		Channel:   syndicate.ChannelWebhook,
		Text:      a.Title + " " + a.URL + "?utm_source=webhook",
		Link:      a.URL + "?utm_source=webhook",
		Article:   a,
	}
}

// request is one request a fake receiver got.
type request struct {
	header http.Header
	query  string
	body   []byte
}

// receiver is a fake webhook endpoint that records what it gets and
// answers with respond.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []request
	resp func(w http.ResponseWriter, n int) // n counts requests from 1
}

func newReceiver(t *testing.T, respond func(w http.ResponseWriter, n int)) *receiver {
	t.Helper()
	rv := &receiver{resp: respond}
	rv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read request body: %v", err)
		}
		rv.mu.Lock()
		rv.got = append(rv.got, request{header: r.Header.Clone(), query: r.URL.RawQuery, body: body})
		n := len(rv.got)
		rv.mu.Unlock()
		rv.resp(w, n)
	}))
	t.Cleanup(rv.Close)
	return rv
}

func (rv *receiver) requests() []request {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]request(nil), rv.got...)
}

func answer(status int, body string) func(http.ResponseWriter, int) {
	return func(w http.ResponseWriter, _ int) {
		w.WriteHeader(status)
		if _, err := io.WriteString(w, body); err != nil {
			panic(err)
		}
	}
}

func newClient(t *testing.T, targets ...webhook.Target) *webhook.Client {
	t.Helper()
	c, err := webhook.New(webhook.Config{
		Targets:      targets,
		Timeout:      2 * time.Second,
		Now:          func() time.Time { return fixedNow },
		AllowPrivate: true,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func decode(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("request body is not a JSON object: %v\n%s", err, body)
	}
	return m
}

func wantJSON(t *testing.T, body []byte, want map[string]any) {
	t.Helper()
	got := decode(t, body)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("payload:\n%#v\nwant:\n%#v", got, want)
	}
}

func TestNewRefusesBadTargets(t *testing.T) {
	const token = "/services/T000/B000/SECRETTOKEN"
	for _, tc := range []struct {
		name   string
		cfg    webhook.Config
		reason string
	}{
		{"none", webhook.Config{}, "no targets"},
		{"http remote", webhook.Config{Targets: []webhook.Target{{URL: "http://hooks.slack.com" + token, Format: "slack"}}}, "target 1 (hooks.slack.com) must use https"},
		{"http loopback without AllowPrivate", webhook.Config{Targets: []webhook.Target{{URL: "http://127.0.0.1:9" + token, Format: "slack"}}}, "must use https"},
		{"http private with AllowPrivate", webhook.Config{AllowPrivate: true, Targets: []webhook.Target{{URL: "http://10.0.0.5" + token, Format: "slack"}}}, "must use https"},
		{"https private", webhook.Config{Targets: []webhook.Target{{URL: "https://169.254.169.254" + token, Format: "slack"}}}, "private address"},
		{"https localhost", webhook.Config{Targets: []webhook.Target{{URL: "https://localhost" + token, Format: "discord"}}}, "private address"},
		{"scheme", webhook.Config{Targets: []webhook.Target{{URL: "ftp://example.com" + token, Format: "slack"}}}, "must be an https URL"},
		{"relative", webhook.Config{Targets: []webhook.Target{{URL: token, Format: "slack"}}}, "target 1 has no absolute URL"},
		{"user info", webhook.Config{Targets: []webhook.Target{{URL: "https://u:p@example.com" + token, Secret: "s"}}}, "user name or password"},
		{"format", webhook.Config{Targets: []webhook.Target{{URL: "https://example.com" + token, Format: "teams"}}}, `unknown format "teams"`},
		{"generic without secret", webhook.Config{Targets: []webhook.Target{{URL: "https://example.com" + token}}}, "needs a secret"},
		{"secret on slack", webhook.Config{Targets: []webhook.Target{{URL: "https://hooks.slack.com" + token, Format: "slack", Secret: "s"}}}, "does not use a secret"},
		{"second bad", webhook.Config{Targets: []webhook.Target{
			{URL: "https://hooks.slack.com" + token, Format: "slack"},
			{URL: "https://discord.com/api/webhooks/1/x", Format: "Discord "},
			{URL: "https://example.com/hook", Format: "nope", Secret: "s"},
		}}, `target 3 (example.com) has unknown format "nope"`},
		{"repeat", webhook.Config{Targets: []webhook.Target{
			{URL: "https://hooks.slack.com" + token, Format: "slack"},
			{URL: " https://hooks.slack.com" + token, Format: "slack"},
		}}, "target 2 (hooks.slack.com) repeats target 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := webhook.New(tc.cfg)
			if err == nil {
				t.Fatalf("New accepted it: %v", c)
			}
			if !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("error %q does not say %q", err, tc.reason)
			}
			if strings.Contains(err.Error(), "SECRETTOKEN") {
				t.Errorf("error %q shows the webhook's token", err)
			}
			if syndicate.ErrorCode(err) != syndicate.EINVALID {
				t.Errorf("error code %q, want %q", syndicate.ErrorCode(err), syndicate.EINVALID)
			}
		})
	}
}

func TestNewReportsEveryBadTarget(t *testing.T) {
	_, err := webhook.New(webhook.Config{Targets: []webhook.Target{
		{URL: "https://example.com/a", Format: "nope"},
		{URL: "https://example.com/b"},
	}})
	if err == nil || !strings.Contains(err.Error(), "target 1") || !strings.Contains(err.Error(), "target 2") {
		t.Errorf("error %v does not name both bad targets", err)
	}
}

func TestSlackShape(t *testing.T) {
	rv := newReceiver(t, answer(http.StatusOK, "ok"))
	c := newClient(t, webhook.Target{URL: rv.URL + "/services/T/B/X", Format: "slack"})
	a := article()
	a.Title = hostileTitle
	a.Summary = "Fish & chips <b>tonight</b>"
	p := post(a)
	id, err := c.Post(context.Background(), p)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if id != "1 target" {
		t.Errorf("remote id %q, want %q", id, "1 target")
	}
	reqs := rv.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	if ct := reqs[0].header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if reqs[0].header.Get(webhook.HeaderSignature) != "" {
		t.Errorf("Slack request is signed; only generic ones are")
	}
	escTitle := "&lt;!channel&gt; @everyone &lt;script&gt;alert(1)&lt;/script&gt; &amp; more"
	wantJSON(t, reqs[0].body, map[string]any{
		"text": escTitle + " https://news.example.com/river-path?utm_source=webhook",
		"blocks": []any{map[string]any{
			"type": "section",
			"text": map[string]any{
				"type": "mrkdwn",
				"text": "*<https://news.example.com/river-path?utm_source=webhook|" + escTitle + ">*\nFish &amp; chips &lt;b&gt;tonight&lt;/b&gt;",
			},
		}},
		"unfurl_links": true,
	})
	// Inert: no mrkdwn control sequence survives anywhere in the message.
	var m struct {
		Text   string `json:"text"`
		Blocks []struct {
			Text struct{ Text string } `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(reqs[0].body, &m); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{m.Text, m.Blocks[0].Text.Text} {
		if strings.Contains(s, "<!") || strings.Contains(s, "<script") {
			t.Errorf("Slack text %q keeps a live control sequence", s)
		}
	}
}

func TestSlackLinkWithPipe(t *testing.T) {
	rv := newReceiver(t, answer(http.StatusOK, "ok"))
	c := newClient(t, webhook.Target{URL: rv.URL, Format: "slack"})
	a := article()
	p := post(a)
	p.Link = "https://news.example.com/a?x=1|2&y=<3>"
	if _, err := c.Post(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	var m struct {
		Blocks []struct {
			Text struct{ Text string } `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(rv.requests()[0].body, &m); err != nil {
		t.Fatal(err)
	}
	want := "*<https://news.example.com/a?x=1%7C2&amp;y=&lt;3&gt;|" + a.Title + ">*"
	if got := m.Blocks[0].Text.Text; !strings.HasPrefix(got, want) {
		t.Errorf("section %q does not start %q", got, want)
	}
}

func TestSlackLongSummaryFitsSection(t *testing.T) {
	rv := newReceiver(t, answer(http.StatusOK, "ok"))
	c := newClient(t, webhook.Target{URL: rv.URL, Format: "slack"})
	a := article()
	a.Summary = strings.Repeat("Q&A <x> ", 600) // 4800 bytes, longer still escaped
	if _, err := c.Post(context.Background(), post(a)); err != nil {
		t.Fatal(err)
	}
	var m struct {
		Blocks []struct {
			Text struct{ Text string } `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(rv.requests()[0].body, &m); err != nil {
		t.Fatal(err)
	}
	s := m.Blocks[0].Text.Text
	if n := utf8.RuneCountInString(s); n > 3000 {
		t.Errorf("section text is %d characters, Slack allows 3000", n)
	}
	if !strings.HasSuffix(s, "…") || strings.HasSuffix(s, "&…") || strings.Contains(s[len(s)-8:], "&am…") {
		t.Errorf("section text ends %q: not cut cleanly", s[len(s)-20:])
	}
}

func TestDiscordShape(t *testing.T) {
	rv := newReceiver(t, answer(http.StatusOK, `{"id":"1234567890123456789","type":0}`))
	c := newClient(t, webhook.Target{URL: rv.URL + "/api/webhooks/1/tok?thread_id=42", Format: "discord"})
	a := article()
	a.Title = hostileTitle
	p := post(a)
	p.Text = "@everyone " + p.Text
	id, err := c.Post(context.Background(), p)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if id != "1234567890123456789" {
		t.Errorf("remote id %q, want the message id", id)
	}
	req := rv.requests()[0]
	if req.query != "thread_id=42&wait=true" {
		t.Errorf("query %q, want the configured one plus wait=true", req.query)
	}
	wantJSON(t, req.body, map[string]any{
		"content": p.Text,
		"embeds": []any{map[string]any{
			"title":       hostileTitle,
			"url":         "https://news.example.com/river-path?utm_source=webhook",
			"description": a.Summary,
			"timestamp":   "2026-02-28T08:30:00Z",
			"image":       map[string]any{"url": a.Image},
			"author":      map[string]any{"name": a.Author},
		}},
		// Inert: Discord acts on no mention, whatever the text says.
		"allowed_mentions": map[string]any{"parse": []any{}},
	})
}

func TestDiscordOmitsMissingParts(t *testing.T) {
	rv := newReceiver(t, answer(http.StatusNoContent, ""))
	c := newClient(t, webhook.Target{URL: rv.URL, Format: "discord"})
	a := article()
	a.Author, a.Image, a.PublishedAt = "", "", time.Time{}
	id, err := c.Post(context.Background(), post(a))
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if id != "1 target" {
		t.Errorf("remote id %q after 204, want %q", id, "1 target")
	}
	embed := decode(t, rv.requests()[0].body)["embeds"].([]any)[0].(map[string]any)
	for _, k := range []string{"author", "image", "timestamp"} {
		if _, ok := embed[k]; ok {
			t.Errorf("embed has %q although the article has none", k)
		}
	}
}

func TestDiscordTruncatesAtWordBoundary(t *testing.T) {
	rv := newReceiver(t, answer(http.StatusNoContent, ""))
	c := newClient(t, webhook.Target{URL: rv.URL, Format: "discord"})
	a := article()
	a.Title = strings.Repeat("Résumé of the naïve café’s committee meeting, ", 8) // 368 characters
	a.Summary = strings.Repeat("Word ", 1000)
	p := post(a)
	p.Text = strings.Repeat("x", 1990) + " 👩‍👩‍👧‍👦 tail"
	if _, err := c.Post(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	var m struct {
		Content string
		Embeds  []struct{ Title, Description string }
	}
	if err := json.Unmarshal(rv.requests()[0].body, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name, got, full string
		limit           int
	}{
		{"title", m.Embeds[0].Title, a.Title, 256},
		{"description", m.Embeds[0].Description, a.Summary, 4096},
		{"content", m.Content, p.Text, 2000},
	} {
		if n := utf8.RuneCountInString(f.got); n > f.limit {
			t.Errorf("%s is %d characters, over %d", f.name, n, f.limit)
		}
		kept, ok := strings.CutSuffix(f.got, "…")
		if !ok {
			t.Errorf("%s %q does not end in …", f.name, f.got)
			continue
		}
		if !strings.HasPrefix(f.full, kept) {
			t.Errorf("%s %q is not a prefix of the original", f.name, kept)
			continue
		}
		// The cut falls before white space (or punctuation trimmed before it).
		rest := strings.TrimLeft(f.full[len(kept):], ",;:")
		if !strings.HasPrefix(rest, " ") {
			t.Errorf("%s cut mid-word: %q | %q", f.name, kept[max(0, len(kept)-20):], rest[:min(20, len(rest))])
		}
	}
	if strings.HasSuffix(m.Embeds[0].Title, " …") || strings.HasSuffix(m.Embeds[0].Title, ",…") {
		t.Errorf("title %q keeps white space or a comma before the …", m.Embeds[0].Title)
	}
}

func TestGenericShapeAndSignature(t *testing.T) {
	const secret = "s3cret"
	rv := newReceiver(t, answer(http.StatusAccepted, `{"id": 98765432109876543210}`))
	target := rv.URL + "/hooks/syndicate"
	c := newClient(t, webhook.Target{URL: target, Secret: secret})
	a := article()
	a.Title = hostileTitle
	a.Tags = nil
	p := post(a)
	id, err := c.Post(context.Background(), p)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if id != "98765432109876543210" {
		t.Errorf("remote id %q, want the receiver's id as written", id)
	}
	req := rv.requests()[0]
	delivery := webhook.DeliveryID(a.ID, target)
	for h, want := range map[string]string{
		"Content-Type":          "application/json",
		"X-Syndicate-Event":     "article.published",
		"X-Syndicate-Delivery":  delivery,
		"X-Syndicate-Timestamp": "1772366400", // fixedNow
	} {
		if got := req.header.Get(h); got != want {
			t.Errorf("header %s = %q, want %q", h, got, want)
		}
	}
	if sig := req.header.Get("X-Syndicate-Signature"); !strings.HasPrefix(sig, "sha256=") || len(sig) != len("sha256=")+64 {
		t.Errorf("signature %q is not sha256=<64 hex digits>", sig)
	}
	wantJSON(t, req.body, map[string]any{
		"event": "article.published",
		"id":    delivery,
		"article": map[string]any{
			"id": a.ID, "title": hostileTitle, "url": a.URL, "author": a.Author,
			"published_at": "2026-02-28T08:30:00Z", "tags": []any{},
			"summary": a.Summary, "image": a.Image,
		},
		"post": map[string]any{"text": p.Text, "link": p.Link},
	})
	// Inert: JSON carries the title as data; nothing in the raw bytes is
	// markup a careless receiver might render.
	if strings.Contains(string(req.body), "<script>") {
		t.Errorf("raw body contains <script>: %s", req.body)
	}

	if err := webhook.Verify(secret, req.header, req.body, fixedNow.Add(30*time.Second), 0); err != nil {
		t.Errorf("Verify: %v", err)
	}
	for _, tc := range []struct {
		name   string
		secret string
		body   []byte
		now    time.Time
		want   error
	}{
		{"wrong secret", "not-it", req.body, fixedNow, webhook.ErrSignature},
		{"changed body", secret, append([]byte(" "), req.body...), fixedNow, webhook.ErrSignature},
		{"stale", secret, req.body, fixedNow.Add(6 * time.Minute), webhook.ErrTimestamp},
		{"from the future", secret, req.body, fixedNow.Add(-6 * time.Minute), webhook.ErrTimestamp},
	} {
		if err := webhook.Verify(tc.secret, req.header, tc.body, tc.now, 5*time.Minute); !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}
	// A replay with a new timestamp but the old signature fails.
	h := req.header.Clone()
	h.Set(webhook.HeaderTimestamp, "1772366700")
	if err := webhook.Verify(secret, h, req.body, fixedNow.Add(5*time.Minute), 0); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("re-timestamped: Verify = %v, want ErrSignature", err)
	}
	h = req.header.Clone()
	h.Del(webhook.HeaderSignature)
	if err := webhook.Verify(secret, h, req.body, fixedNow, 0); !errors.Is(err, webhook.ErrSignature) {
		t.Errorf("unsigned: Verify = %v, want ErrSignature", err)
	}
	// A rotated secret: either listed signature is enough.
	h = req.header.Clone()
	h.Set(webhook.HeaderSignature, "sha256=00ff, "+req.header.Get(webhook.HeaderSignature))
	if err := webhook.Verify(secret, h, req.body, fixedNow, 0); err != nil {
		t.Errorf("two signatures: Verify = %v", err)
	}
}

func TestDeliveryIDIsStablePerArticleAndTarget(t *testing.T) {
	rv := newReceiver(t, answer(http.StatusNoContent, ""))
	a := article()
	var ids []string
	for _, path := range []string{"/one", "/one", "/two"} {
		// A new client each time: as a retry in another process would be.
		c := newClient(t, webhook.Target{URL: rv.URL + path, Secret: "k"})
		if _, err := c.Post(context.Background(), post(a)); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rv.requests() {
		ids = append(ids, r.header.Get(webhook.HeaderDelivery))
	}
	if ids[0] != ids[1] {
		t.Errorf("delivery ids of a repeat differ: %q, %q", ids[0], ids[1])
	}
	if ids[0] == ids[2] {
		t.Errorf("two targets share delivery id %q", ids[0])
	}
	if ts := rv.requests()[0].header.Get(webhook.HeaderTimestamp); ts == "" {
		t.Error("no timestamp")
	}
}

// wantSendError fails unless err is a *syndicate.SendError with the
// outcome, the code and a message containing reason.
func wantSendError(t *testing.T, err error, outcome syndicate.Outcome, code int, reason string) {
	t.Helper()
	var se *syndicate.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a SendError", err, err)
	}
	if se.Outcome != outcome || se.Code != code {
		t.Errorf("outcome %s (%d), want %s (%d); error: %v", se.Outcome, se.Code, outcome, code, err)
	}
	if !strings.Contains(err.Error(), reason) {
		t.Errorf("error %q does not say %q", err, reason)
	}
}

func TestStatusMapping(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		header  map[string]string
		body    string
		outcome syndicate.Outcome
		reason  string
	}{
		{"gone", 410, nil, "channel_is_archived", syndicate.Permanent, "webhook was deleted"},
		{"not found", 404, nil, `{"message": "Unknown Webhook", "code": 10015}`, syndicate.Permanent, "Unknown Webhook (code 10015)"},
		{"unauthorized", 401, nil, "", syndicate.Permanent, "not accepted): Unauthorized"},
		{"forbidden", 403, nil, "invalid_token", syndicate.Permanent, `"invalid_token"`},
		{"bad request", 400, nil, `{"error": "title too long"}`, syndicate.Permanent, "refused: title too long"},
		{"unprocessable", 422, nil, "invalid_payload", syndicate.Permanent, `refused: "invalid_payload"`},
		{"server error", 500, nil, "boom", syndicate.Temporary, "receiver failed"},
		{"bad gateway", 502, nil, "", syndicate.Temporary, "Bad Gateway"},
		{"request timeout", 408, nil, "", syndicate.Temporary, "timed out"},
		{"redirect", 302, map[string]string{"Location": "https://elsewhere.example/hook"}, "", syndicate.Permanent, "redirected to elsewhere.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rv := newReceiver(t, func(w http.ResponseWriter, _ int) {
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				answer(tc.status, tc.body)(w, 0)
			})
			c := newClient(t, webhook.Target{URL: rv.URL + "/secret-path", Format: "slack"})
			_, err := c.Post(context.Background(), post(article()))
			wantSendError(t, err, tc.outcome, tc.status, tc.reason)
			if !strings.Contains(err.Error(), "target 1 (127.0.0.1:") || strings.Contains(err.Error(), "secret-path") {
				t.Errorf("error %q should name the target by host only", err)
			}
			if n := len(rv.requests()); n != 1 {
				t.Errorf("receiver got %d requests, want 1 (no redirects followed)", n)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header string
		body   string
		want   time.Duration
	}{
		{"seconds", "30", "", 30 * time.Second},
		{"http date", fixedNow.Add(90 * time.Second).Format(http.TimeFormat), "", 90 * time.Second},
		{"date past", fixedNow.Add(-time.Hour).Format(http.TimeFormat), "", time.Second},
		{"discord json", "", `{"message": "You are being rate limited.", "retry_after": 2.5, "global": false}`, 2500 * time.Millisecond},
		{"both: the longer", "3", `{"retry_after": 2.5}`, 3 * time.Second},
		{"nothing", "", "", time.Minute},
		{"garbage", "soon", "", time.Minute},
		{"absurd", "99999999999999999999", "", time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rv := newReceiver(t, func(w http.ResponseWriter, _ int) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				answer(http.StatusTooManyRequests, tc.body)(w, 0)
			})
			c := newClient(t, webhook.Target{URL: rv.URL, Format: "discord"})
			_, err := c.Post(context.Background(), post(article()))
			var rl *syndicate.RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("error %v (%T) is not a RateLimitError", err, err)
			}
			if rl.RetryAfter != tc.want {
				t.Errorf("RetryAfter %s, want %s", rl.RetryAfter, tc.want)
			}
		})
	}
}

func TestReasonIsBounded(t *testing.T) {
	huge := strings.Repeat("é", 200<<10) // 400 KB, beyond the 64 KB read
	rv := newReceiver(t, answer(http.StatusBadRequest, huge))
	c := newClient(t, webhook.Target{URL: rv.URL, Format: "slack"})
	_, err := c.Post(context.Background(), post(article()))
	if err == nil {
		t.Fatal("Post succeeded")
	}
	if len(err.Error()) > 600 || !utf8.ValidString(err.Error()) {
		t.Errorf("error is %d bytes (valid UTF-8: %v), want a bounded reason", len(err.Error()), utf8.ValidString(err.Error()))
	}
}

func TestTransportFailuresAreTemporary(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		c := newClient(t, webhook.Target{URL: url, Format: "slack"})
		_, err := c.Post(context.Background(), post(article()))
		wantSendError(t, err, syndicate.Temporary, 0, "not delivered")
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		rv := newReceiver(t, func(w http.ResponseWriter, _ int) { <-release })
		defer close(release)
		c, err := webhook.New(webhook.Config{
			Targets: []webhook.Target{{URL: rv.URL, Format: "slack"}},
			Timeout: 100 * time.Millisecond, AllowPrivate: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Post(context.Background(), post(article()))
		wantSendError(t, err, syndicate.Temporary, 0, "no answer within 100ms")
	})
}

func TestPostRefusesEmptyText(t *testing.T) {
	rv := newReceiver(t, answer(http.StatusOK, "ok"))
	c := newClient(t, webhook.Target{URL: rv.URL, Format: "slack"})
	p := post(article())
	p.Text = "  "
	_, err := c.Post(context.Background(), p)
	wantSendError(t, err, syndicate.Permanent, 0, "empty")
	if len(rv.requests()) != 0 {
		t.Error("an empty post was sent")
	}
}

func TestRetrySkipsTargetsThatHaveThePost(t *testing.T) {
	slack := newReceiver(t, answer(http.StatusOK, "ok"))
	discord := newReceiver(t, func(w http.ResponseWriter, n int) {
		if n == 1 {
			answer(http.StatusServiceUnavailable, "")(w, n)
			return
		}
		answer(http.StatusOK, `{"id": "555"}`)(w, n)
	})
	generic := newReceiver(t, answer(http.StatusNoContent, ""))
	c := newClient(t,
		webhook.Target{URL: slack.URL, Format: "slack"},
		webhook.Target{URL: discord.URL, Format: "discord"},
		webhook.Target{URL: generic.URL, Secret: "k"},
	)
	p := post(article())

	_, err := c.Post(context.Background(), p)
	// The failure of the middle target does not stop the last.
	wantSendError(t, err, syndicate.Temporary, 503, "delivered to 2 of 3 targets; target 2 (127.0.0.1:")
	id, err := c.Post(context.Background(), p)
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if id != "- 555 -" {
		t.Errorf("remote id %q, want %q", id, "- 555 -")
	}
	for name, tc := range map[string]struct {
		rv   *receiver
		want int
	}{"slack": {slack, 1}, "discord": {discord, 2}, "generic": {generic, 1}} {
		if n := len(tc.rv.requests()); n != tc.want {
			t.Errorf("%s got %d requests, want %d", name, n, tc.want)
		}
	}
	// Posting again (a job that ran twice) sends nothing.
	if _, err := c.Post(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if n := len(slack.requests()) + len(discord.requests()) + len(generic.requests()); n != 4 {
		t.Errorf("targets got %d requests in all, want 4", n)
	}
}

func TestMixedFailures(t *testing.T) {
	limited := newReceiver(t, func(w http.ResponseWriter, _ int) {
		w.Header().Set("Retry-After", "7")
		answer(http.StatusTooManyRequests, "")(w, 0)
	})
	gone := newReceiver(t, answer(http.StatusGone, ""))
	bad := newReceiver(t, answer(http.StatusBadRequest, "invalid_payload"))

	// A rate limit anywhere: wait, then retry.
	c := newClient(t, webhook.Target{URL: gone.URL, Format: "slack"}, webhook.Target{URL: limited.URL, Format: "slack"})
	_, err := c.Post(context.Background(), post(article()))
	var rl *syndicate.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 7*time.Second {
		t.Fatalf("error %v, want a 7s RateLimitError", err)
	}
	if !strings.Contains(err.Error(), "delivered to 0 of 2 targets") || !strings.Contains(err.Error(), "deleted") {
		t.Errorf("error %q does not explain both targets", err)
	}

	// Only refusals: give up.
	c = newClient(t, webhook.Target{URL: gone.URL, Format: "slack"}, webhook.Target{URL: bad.URL, Format: "slack"})
	_, err = c.Post(context.Background(), post(article()))
	wantSendError(t, err, syndicate.Permanent, 0, "(HTTP 410)")
	wantSendError(t, err, syndicate.Permanent, 0, `"invalid_payload" (HTTP 400)`)
}

// failingReceipts is a Receipts whose lookups fail.
type failingReceipts struct{}

func (failingReceipts) Delivered(context.Context, string) (string, bool, error) {
	return "", false, errors.New("database is down")
}
func (failingReceipts) Record(context.Context, string, string) error { return nil }

func TestReceiptLookupFailureSendsNothing(t *testing.T) {
	rv := newReceiver(t, answer(http.StatusOK, "ok"))
	c, err := webhook.New(webhook.Config{
		Targets:      []webhook.Target{{URL: rv.URL, Format: "slack"}},
		AllowPrivate: true, Receipts: failingReceipts{},
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Post(context.Background(), post(article()))
	wantSendError(t, err, syndicate.Temporary, 0, "database is down")
	if len(rv.requests()) != 0 {
		t.Error("sent without knowing whether the target already had the post")
	}
}
