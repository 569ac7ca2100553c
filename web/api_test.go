package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"syndicate"
	"syndicate/web"
)

const testToken = "s3cret-api-token-for-tests"

// apiNow is the clock of the API tests.
var apiNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// publishCall is one call of the fake publisher.
type publishCall struct {
	article syndicate.Article
	at      time.Time
	created bool
}

// fakePublisher keeps articles by ID, as the real one promises, and
// records every call.
type fakePublisher struct {
	mu         sync.Mutex
	articles   map[string]syndicate.Article
	calls      []publishCall
	deliveries map[string][]syndicate.Delivery
	err        error
}

func newFakePublisher() *fakePublisher {
	return &fakePublisher{articles: map[string]syndicate.Article{}, deliveries: map[string][]syndicate.Delivery{}}
}

func (f *fakePublisher) Publish(_ context.Context, a syndicate.Article, at time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return false, f.err
	}
	_, had := f.articles[a.ID]
	if !had {
		f.articles[a.ID] = a
	}
	f.calls = append(f.calls, publishCall{article: a, at: at, created: !had})
	return !had, nil
}

func (f *fakePublisher) Article(_ context.Context, id string) (syndicate.Article, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.articles[id]
	if !ok {
		return a, syndicate.Errorf(syndicate.ENOTFOUND, "article %s not found", id)
	}
	return a, nil
}

func (f *fakePublisher) Deliveries(_ context.Context, item string) ([]syndicate.Delivery, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.deliveries[item], nil
}

func (f *fakePublisher) stored() map[string]syndicate.Article {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]syndicate.Article{}
	for k, v := range f.articles {
		out[k] = v
	}
	return out
}

func (f *fakePublisher) history() []publishCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]publishCall(nil), f.calls...)
}

// apiEnv is a server with the API on, a fake publisher, and its log.
type apiEnv struct {
	t   *testing.T
	h   http.Handler
	pub *fakePublisher
	log *bytes.Buffer
}

// newAPI returns a server with the API and both webhooks on; change
// modifies the configuration first.
func newAPI(t *testing.T, change func(*web.Config)) *apiEnv {
	t.Helper()
	pub := newFakePublisher()
	var buf bytes.Buffer
	c := web.Config{
		Name: testName, BaseURL: testBase, Secret: testSecret,
		Log:      slog.New(slog.NewTextHandler(&lockedWriter{w: &buf}, &slog.HandlerOptions{Level: slog.LevelDebug})),
		APIToken: testToken, GhostSecret: ghostSecret, WordPressSecret: wpSecret,
		Publisher: pub, Articles: pub,
		Now: func() time.Time { return apiNow },
	}
	if change != nil {
		change(&c)
	}
	return &apiEnv{t: t, h: web.NewServer(c, nil, nil, nil), pub: pub, log: &buf}
}

// lockedWriter lets the handler's log be read while requests run.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// apiResponse is a finished API request with its JSON body decoded.
type apiResponse struct {
	code   int
	header http.Header
	body   string
	json   map[string]any
}

// do sends a request with headers given as name, value pairs.
func (e *apiEnv) do(method, path, body string, header ...string) apiResponse {
	e.t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	res := apiResponse{code: w.Code, header: w.Header(), body: w.Body.String()}
	if ct := w.Header().Get("Content-Type"); ct != "application/json" {
		e.t.Errorf("%s %s: Content-Type %q, want application/json; body %s", method, path, ct, res.body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &res.json); err != nil {
		e.t.Errorf("%s %s: body is not a JSON object: %v: %s", method, path, err, res.body)
	}
	return res
}

// post publishes body with the right token and content type.
func (e *apiEnv) post(body string) apiResponse {
	e.t.Helper()
	return e.do(http.MethodPost, "/v1/articles", body, "Authorization", "Bearer "+testToken, "Content-Type", "application/json")
}

func (r apiResponse) want(t *testing.T, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d: %s", r.code, code, r.body)
	}
}

func (r apiResponse) str(key string) string {
	s, _ := r.json[key].(string) // a missing key reads as "", which the callers check
	return s
}

const article1 = `{
  "title": "Why the kettle sings",
  "url": "https://news.example.com/kettle?utm_source=rss",
  "author": "Ann Writer",
  "date": "2025-05-30T08:00:00Z",
  "tags": ["Science", "Kitchen"],
  "summary": "The physics of a whistling kettle.",
  "image": "https://news.example.com/kettle.jpg",
  "body": "A kettle **sings** because steam is forced through a narrow hole.\n\nThat is all."
}`

func TestPublishAuth(t *testing.T) {
	e := newAPI(t, nil)
	for _, c := range []struct {
		name, auth, challenge string
	}{
		{"no token", "", `Bearer realm="syndicate"`},
		{"wrong token", "Bearer not-the-token", `Bearer realm="syndicate", error="invalid_token"`},
		{"a prefix of the token", "Bearer " + testToken[:5], `Bearer realm="syndicate", error="invalid_token"`},
		{"wrong scheme", "Basic " + testToken, `Bearer realm="syndicate"`},
		{"scheme only", "Bearer", `Bearer realm="syndicate"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := []string{"Content-Type", "application/json"}
			if c.auth != "" {
				h = append(h, "Authorization", c.auth)
			}
			r := e.do(http.MethodPost, "/v1/articles", article1, h...)
			r.want(t, http.StatusUnauthorized)
			if got := r.header.Get("WWW-Authenticate"); got != c.challenge {
				t.Errorf("WWW-Authenticate = %q, want %q", got, c.challenge)
			}
			if r.str("error") == "" {
				t.Errorf("no error message: %s", r.body)
			}
			r = e.do(http.MethodGet, "/v1/articles/a_0123456789abcdef", "", h...)
			r.want(t, http.StatusUnauthorized)
		})
	}
	if n := len(e.pub.history()); n != 0 {
		t.Errorf("publisher called %d times without a valid token", n)
	}
	// The scheme is case-insensitive (RFC 7235).
	e.do(http.MethodPost, "/v1/articles", article1, "Authorization", "bearer "+testToken, "Content-Type", "application/json").want(t, http.StatusAccepted)
	if strings.Contains(e.log.String(), testToken[:8]) || strings.Contains(e.log.String(), "not-the-token") {
		t.Errorf("a token was logged:\n%s", e.log)
	}
}

func TestPublishAPIOff(t *testing.T) {
	e := newAPI(t, func(c *web.Config) { c.APIToken = "" })
	// An empty token must not let in an empty or absent header.
	for _, auth := range []string{"", "Bearer ", "Bearer x"} {
		r := e.do(http.MethodPost, "/v1/articles", article1, "Authorization", auth, "Content-Type", "application/json")
		r.want(t, http.StatusServiceUnavailable)
		if r.str("error") != "the publish API is off: set SYNDICATE_API_TOKEN" {
			t.Errorf("error = %q", r.str("error"))
		}
	}
	e.do(http.MethodGet, "/v1/articles/a_0123456789abcdef", "").want(t, http.StatusServiceUnavailable)

	e = newAPI(t, func(c *web.Config) { c.Publisher, c.Articles = nil, nil })
	e.post(article1).want(t, http.StatusServiceUnavailable)
	e.do(http.MethodGet, "/v1/articles/a_0123456789abcdef", "", "Authorization", "Bearer "+testToken).want(t, http.StatusServiceUnavailable)
}

func TestPublishBadInput(t *testing.T) {
	e := newAPI(t, nil)
	for _, c := range []struct {
		name, body, field, errHas string
	}{
		{"malformed JSON", `{"title": "x", "url": `, "", "article is not valid JSON"},
		{"not an object", `["title"]`, "", "article does not hold a JSON object"},
		{"empty", ``, "", "article is empty"},
		{"no title", `{"url": "https://news.example.com/a", "body": "Words."}`, "title", "article has no title"},
		{"blank title", `{"title": "  ", "url": "https://news.example.com/a"}`, "title", "article has no title"},
		{"no url", `{"title": "A title", "body": "Words."}`, "url", "article has no URL"},
		{"bad url", `{"title": "A title", "url": "ftp://news.example.com/a"}`, "url", "article has a bad URL"},
		{"tags of numbers", `{"title": "A title", "url": "https://news.example.com/a", "tags": [1, 2]}`, "tags", `"tags"`},
		{"title a number", `{"title": 7, "url": "https://news.example.com/a"}`, "title", `"title"`},
		{"bad date", `{"title": "A title", "url": "https://news.example.com/a", "date": "last Tuesday"}`, "date", "RFC 3339"},
		{"bad image", `{"title": "A title", "url": "https://news.example.com/a", "image": "javascript:alert(1)"}`, "image", "image"},
		{"bad publish_at", `{"title": "A title", "url": "https://news.example.com/a", "publish_at": "tomorrow"}`, "publish_at", "RFC 3339"},
		{"publish_at a number", `{"title": "A title", "url": "https://news.example.com/a", "publish_at": 1}`, "publish_at", "publish_at"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.post(c.body)
			r.want(t, http.StatusBadRequest)
			if !strings.Contains(r.str("error"), c.errHas) {
				t.Errorf("error = %q, want it to contain %q", r.str("error"), c.errHas)
			}
			if strings.Contains(r.str("error"), "--") || strings.Contains(r.str("error"), "article.json") {
				t.Errorf("error %q speaks of the command line or a file", r.str("error"))
			}
			if got := r.str("field"); got != c.field {
				t.Errorf("field = %q, want %q (%s)", got, c.field, r.body)
			}
		})
	}
	// The brief's exact shape for the commonest mistake.
	r := e.post(`{"url": "https://news.example.com/a"}`)
	if r.body != `{"error":"article has no title","field":"title"}`+"\n" {
		t.Errorf("no title: %s", r.body)
	}

	// Not JSON at all.
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "application/jsonx"} {
		r := e.do(http.MethodPost, "/v1/articles", article1, "Authorization", "Bearer "+testToken, "Content-Type", ct)
		r.want(t, http.StatusUnsupportedMediaType)
	}
	e.do(http.MethodPost, "/v1/articles", article1, "Authorization", "Bearer "+testToken, "Content-Type", "application/json; charset=utf-8").want(t, http.StatusAccepted)

	// Two megabytes: refused unread, with the limit in the message.
	big := `{"title": "Big", "url": "https://news.example.com/big", "body": "` + strings.Repeat("word ", 2<<20/5) + `"}`
	r = e.post(big)
	r.want(t, http.StatusRequestEntityTooLarge)
	if r.str("error") != "article is larger than 1048576 bytes" {
		t.Errorf("413 error = %q", r.str("error"))
	}
	if n := len(e.pub.stored()); n != 1 {
		t.Errorf("%d articles stored, want only the one good post", n)
	}
}

func TestPublishMaxBody(t *testing.T) {
	e := newAPI(t, func(c *web.Config) { c.MaxBody = 300 })
	r := e.post(article1 + strings.Repeat(" ", 300))
	r.want(t, http.StatusRequestEntityTooLarge)
	if r.str("error") != "article is larger than 300 bytes" {
		t.Errorf("413 error = %q", r.str("error"))
	}
}

func TestPublishAccepted(t *testing.T) {
	e := newAPI(t, nil)
	r := e.post(article1)
	r.want(t, http.StatusAccepted)
	id := syndicate.ArticleID("https://news.example.com/kettle")
	if r.str("id") != id || r.str("status_url") != testBase+"/v1/articles/"+id || r.json["created"] != true {
		t.Errorf("202 body = %s, want id %s", r.body, id)
	}
	if r.header.Get("Location") != testBase+"/v1/articles/"+id {
		t.Errorf("Location = %q", r.header.Get("Location"))
	}
	a := e.pub.stored()[id]
	if a.Title != "Why the kettle sings" || a.URL != "https://news.example.com/kettle" || a.Author != "Ann Writer" ||
		strings.Join(a.Tags, ",") != "Science,Kitchen" || a.Image != "https://news.example.com/kettle.jpg" ||
		!a.PublishedAt.Equal(time.Date(2025, 5, 30, 8, 0, 0, 0, time.UTC)) || a.Summary != "The physics of a whistling kettle." {
		t.Errorf("stored article = %+v", a)
	}
	// The body is Markdown, as in an article file, and kept as sanitised
	// HTML too.
	if !strings.HasPrefix(a.Body, "A kettle sings because") {
		t.Errorf("body = %q", a.Body)
	}
	if want := "<p>A kettle <strong>sings</strong> because steam is forced through a narrow hole.</p>\n<p>That is all.</p>"; a.BodyHTML != want {
		t.Errorf("body_html = %q\nwant        %q", a.BodyHTML, want)
	}

	// The same URL again: accepted, the same id, nothing created.
	r = e.post(strings.Replace(article1, "Why the kettle sings", "A new title", 1))
	r.want(t, http.StatusAccepted)
	if r.str("id") != id || r.json["created"] != false {
		t.Errorf("second POST = %s, want id %s and created false", r.body, id)
	}
	calls := e.pub.history()
	if len(calls) != 2 || !calls[0].created || calls[1].created {
		t.Fatalf("publisher calls = %+v, want created then not", calls)
	}
	if !calls[0].at.IsZero() {
		t.Errorf("at = %v without publish_at, want zero (now)", calls[0].at)
	}
	if n := len(e.pub.stored()); n != 1 || e.pub.stored()[id].Title != "Why the kettle sings" {
		t.Errorf("after a second POST: %d articles, %+v", n, e.pub.stored()[id])
	}

	// publish_at schedules the delivery.
	r = e.post(`{"title": "Later", "url": "https://news.example.com/later", "publish_at": "2025-06-02T09:30:00+02:00"}`)
	r.want(t, http.StatusAccepted)
	calls = e.pub.history()
	if at := calls[len(calls)-1].at; !at.Equal(time.Date(2025, 6, 2, 7, 30, 0, 0, time.UTC)) {
		t.Errorf("at = %v, want 2025-06-02T07:30:00Z", at)
	}
	// Without a date the article is dated by the injected clock.
	if d := calls[len(calls)-1].article.PublishedAt; !d.Equal(apiNow) {
		t.Errorf("published at %v, want %v", d, apiNow)
	}
}

// TestPublishHTMLBody: HTML in the body of a published article is kept
// through the sanitiser: links and images resolved against the article's
// URL, scripts, handlers and javascript: links gone.
func TestPublishHTMLBody(t *testing.T) {
	e := newAPI(t, nil)
	body := `{"title": "Ferry", "url": "https://news.example.com/2025/ferry",
"body": "<p>The <a href=\"/timetable\" onclick=\"x()\">late ferry</a> stays.</p>\n\n<img src=\"img/ferry.jpg\" alt=\"The ferry\"><script>alert(1)</script>\n\n<a href=\"javascript:alert(2)\">trap</a>"}`
	e.post(body).want(t, http.StatusAccepted)
	a := e.pub.stored()[syndicate.ArticleID("https://news.example.com/2025/ferry")]
	for _, want := range []string{
		`<a href="https://news.example.com/timetable">late ferry</a>`,
		`<img src="https://news.example.com/2025/img/ferry.jpg" alt="The ferry"/>`,
		`trap`,
	} {
		if !strings.Contains(a.BodyHTML, want) {
			t.Errorf("body_html lacks %s:\n%s", want, a.BodyHTML)
		}
	}
	for _, bad := range []string{"alert", "onclick", "javascript"} {
		if strings.Contains(a.BodyHTML, bad) {
			t.Errorf("body_html holds %q:\n%s", bad, a.BodyHTML)
		}
	}
}

func TestPublishStoreErrors(t *testing.T) {
	e := newAPI(t, nil)
	e.pub.err = syndicate.Errorf(syndicate.ECONFLICT, "article is being deleted")
	r := e.post(article1)
	r.want(t, http.StatusConflict)
	if r.str("error") != "article is being deleted" {
		t.Errorf("409 error = %q", r.str("error"))
	}
	e.pub.err = &dbError{}
	r = e.post(article1)
	r.want(t, http.StatusInternalServerError)
	if strings.Contains(r.body, "hunter2") {
		t.Errorf("500 body leaks the error: %s", r.body)
	}
	if !strings.Contains(e.log.String(), "hunter2") {
		t.Errorf("the real error was not logged:\n%s", e.log)
	}
}

// dbError is an error from outside the error vocabulary, with a secret in it.
type dbError struct{}

func (*dbError) Error() string { return "dial postgres://app:hunter2@db: connection refused" }

func TestArticleStatus(t *testing.T) {
	e := newAPI(t, nil)
	e.post(article1).want(t, http.StatusAccepted)
	id := syndicate.ArticleID("https://news.example.com/kettle")
	at := time.Date(2025, 6, 1, 12, 5, 0, 0, time.UTC)
	e.pub.deliveries[id] = []syndicate.Delivery{
		{Item: id, Channel: syndicate.ChannelMastodon, Status: syndicate.StatusSent, Attempts: 1, RemoteID: "1099", UpdatedAt: at},
		{Item: id, Channel: syndicate.ChannelX, Status: syndicate.StatusUnknown, Attempts: 1, Error: "timeout after sending", UpdatedAt: at},
		{Item: id, Channel: syndicate.ChannelEmail, Subscriber: "ann@example.com", Status: syndicate.StatusSent, Attempts: 2, RemoteID: "m1@news.example.com", UpdatedAt: at},
		{Item: id, Channel: syndicate.ChannelEmail, Subscriber: "bob@example.com", Status: syndicate.StatusQueued, UpdatedAt: at},
		{Item: id, Channel: syndicate.ChannelEmail, Subscriber: "cat@example.com", Status: syndicate.StatusSent, Attempts: 1, UpdatedAt: at},
	}
	auth := []string{"Authorization", "Bearer " + testToken}
	r := e.do(http.MethodGet, "/v1/articles/"+id, "", auth...)
	r.want(t, http.StatusOK)
	var got struct {
		Article    syndicate.Article `json:"article"`
		Deliveries []map[string]any  `json:"deliveries"`
		Counts     map[string]map[string]int
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Article.ID != id || got.Article.Title != "Why the kettle sings" {
		t.Errorf("article = %+v", got.Article)
	}
	if len(got.Deliveries) != 5 {
		t.Fatalf("deliveries = %v", got.Deliveries)
	}
	for _, k := range []string{"channel", "status", "subscriber", "error", "attempts", "remote_id", "updated_at"} {
		if _, ok := got.Deliveries[0][k]; !ok {
			t.Errorf("delivery has no %q: %v", k, got.Deliveries[0])
		}
	}
	if d := got.Deliveries[1]; d["channel"] != "x" || d["status"] != "unknown" || d["error"] != "timeout after sending" || d["updated_at"] != "2025-06-01T12:05:00Z" {
		t.Errorf("x delivery = %v", d)
	}
	if got.Counts["email"]["sent"] != 2 || got.Counts["email"]["queued"] != 1 || got.Counts["x"]["unknown"] != 1 || got.Counts["mastodon"]["sent"] != 1 {
		t.Errorf("counts = %v", got.Counts)
	}

	// An article with no deliveries yet lists none, as [] not null.
	e.post(`{"title": "Quiet", "url": "https://news.example.com/quiet"}`).want(t, http.StatusAccepted)
	r = e.do(http.MethodGet, "/v1/articles/"+syndicate.ArticleID("https://news.example.com/quiet"), "", auth...)
	r.want(t, http.StatusOK)
	if !strings.Contains(r.body, `"deliveries":[]`) || !strings.Contains(r.body, `"counts":{}`) {
		t.Errorf("no deliveries: %s", r.body)
	}

	r = e.do(http.MethodGet, "/v1/articles/a_ffffffffffffffff", "", auth...)
	r.want(t, http.StatusNotFound)
	if r.str("error") == "" {
		t.Errorf("404 without a message: %s", r.body)
	}
	e.do(http.MethodGet, "/v1/articles/"+strings.Repeat("a", 500), "", auth...).want(t, http.StatusNotFound)
}

func TestAPINotFound(t *testing.T) {
	e := newAPI(t, nil)
	r := e.do(http.MethodGet, "/v1/nothing", "")
	r.want(t, http.StatusNotFound)
	if !strings.Contains(r.str("error"), "/v1/nothing") {
		t.Errorf("404 error = %q", r.str("error"))
	}
	e.do(http.MethodPost, "/v1/articles/a/b", "").want(t, http.StatusNotFound)
	r = e.do(http.MethodGet, "/v1/articles", "")
	r.want(t, http.StatusMethodNotAllowed)
	if r.header.Get("Allow") != "POST" {
		t.Errorf("Allow = %q", r.header.Get("Allow"))
	}
	e.do(http.MethodDelete, "/v1/articles/a_0123456789abcdef", "").want(t, http.StatusMethodNotAllowed)
	e.do(http.MethodGet, "/v1/hooks/ghost", "").want(t, http.StatusMethodNotAllowed)
}
