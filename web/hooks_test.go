package web_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"syndicate"
	"syndicate/web"
)

const (
	ghostSecret = "a8c2e1f0b9d74e3f8a6b5c4d3e2f1a0b"
	wpSecret    = "wp-test-secret-0123456789"
)

// ghostPublished is a post.published webhook body as Ghost 5 sends it
// (trimmed of fields the hook does not read, such as lexical and
// codeinjection): html with entities and a card, a public tag, an internal
// "#" tag, no canonical_url, and the previous state of what changed.
const ghostPublished = `{"post":{"current":{
  "id":"6650a1f2c3d4e5f6a7b8c9d0","uuid":"0b7d6c8e-1f2a-4b3c-9d8e-7f6a5b4c3d2e",
  "title":"Why the kettle sings & whistles",
  "slug":"why-the-kettle-sings",
  "html":"<p>A kettle doesn&#8217;t <strong>sing</strong> by magic: steam is forced through a narrow hole &amp; the air vibrates.</p><figure class=\"kg-card kg-image-card kg-card-hascaption\"><img src=\"https://blog.example.com/content/images/2025/05/kettle.jpg\" class=\"kg-image\" alt=\"A kettle\" loading=\"lazy\"><figcaption>A kettle on the hob.</figcaption></figure><h2 id=\"the-physics\">The physics</h2><p>Helmholtz worked it out&hellip; mostly.</p><ul><li>Steam</li><li>A hole</li></ul><pre><code>f = c / (2 * L)\n  tuned</code></pre><script>track()</script>",
  "comment_id":"6650a1f2c3d4e5f6a7b8c9d0",
  "plaintext":"A kettle doesn’t sing by magic: steam is forced through a narrow hole & the air vibrates.\n\nThe physics\n\nHelmholtz worked it out… mostly.",
  "feature_image":"https://blog.example.com/content/images/2025/05/kettle-hero.jpg",
  "featured":false,"status":"published","visibility":"public",
  "created_at":"2025-05-30T07:12:44.000Z","updated_at":"2025-06-01T11:58:02.000Z",
  "published_at":"2025-06-01T11:58:02.000Z",
  "custom_excerpt":null,
  "canonical_url":null,
  "tags":[
    {"id":"6650a1f2c3d4e5f6a7b8c9e1","name":"Science","slug":"science","description":null,"visibility":"public","url":"https://blog.example.com/tag/science/"},
    {"id":"6650a1f2c3d4e5f6a7b8c9e2","name":"#syndicate","slug":"hash-syndicate","description":null,"visibility":"internal","url":"https://blog.example.com/404/"},
    {"id":"6650a1f2c3d4e5f6a7b8c9e3","name":"Kitchen","slug":"kitchen","description":null,"visibility":"public","url":"https://blog.example.com/tag/kitchen/"}
  ],
  "authors":[{"id":"1","name":"Ann Writer","slug":"ann","url":"https://blog.example.com/author/ann/"}],
  "primary_author":{"id":"1","name":"Ann Writer","slug":"ann","url":"https://blog.example.com/author/ann/"},
  "primary_tag":{"id":"6650a1f2c3d4e5f6a7b8c9e1","name":"Science","slug":"science"},
  "url":"https://blog.example.com/why-the-kettle-sings/",
  "excerpt":"A kettle doesn’t sing by magic: steam is forced through a narrow hole & the air vibrates.\n\nThe physics\n\nHelmholtz worked it out… mostly.",
  "reading_time":1,"email_only":false,"email_subject":null,"feature_image_alt":null,"feature_image_caption":null
},"previous":{"status":"draft","published_at":null,"updated_at":"2025-06-01T11:57:40.000Z"}}}`

// ghostSign returns the X-Ghost-Signature of body sent at t, made as Ghost
// makes it: HMAC-SHA256 of the body followed by the time in Unix
// milliseconds.
func ghostSign(secret, body string, t time.Time) string {
	ts := strconv.FormatInt(t.UnixMilli(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body + ts))
	return "sha256=" + hex.EncodeToString(m.Sum(nil)) + ", t=" + ts
}

func (e *apiEnv) ghost(body, signature string) apiResponse {
	e.t.Helper()
	h := []string{"Content-Type", "application/json", "Content-Version", "v5.82"}
	if signature != "" {
		h = append(h, "X-Ghost-Signature", signature)
	}
	return e.do(http.MethodPost, "/v1/hooks/ghost", body, h...)
}

func TestGhostHook(t *testing.T) {
	e := newAPI(t, nil)
	sig := ghostSign(ghostSecret, ghostPublished, apiNow.Add(-3*time.Second))
	r := e.ghost(ghostPublished, sig)
	r.want(t, http.StatusAccepted)
	id := syndicate.ArticleID("https://blog.example.com/why-the-kettle-sings/")
	if r.str("id") != id || r.json["created"] != true || r.str("status_url") != testBase+"/v1/articles/"+id {
		t.Errorf("202 body = %s, want id %s", r.body, id)
	}
	stored := e.pub.stored()
	if len(stored) != 1 {
		t.Fatalf("%d articles stored, want 1", len(stored))
	}
	a := stored[id]
	for _, c := range []struct{ name, got, want string }{
		{"title", a.Title, "Why the kettle sings & whistles"},
		{"url", a.URL, "https://blog.example.com/why-the-kettle-sings/"},
		{"author", a.Author, "Ann Writer"},
		{"image", a.Image, "https://blog.example.com/content/images/2025/05/kettle-hero.jpg"},
		{"tags", strings.Join(a.Tags, ","), "Science,Kitchen"},
		// No custom excerpt: the first paragraph of Ghost's excerpt.
		{"summary", a.Summary, "A kettle doesn’t sing by magic: steam is forced through a narrow hole & the air vibrates."},
		{"body", a.Body, "A kettle doesn’t sing by magic: steam is forced through a narrow hole & the air vibrates.\n\nA kettle on the hob.\n\nThe physics\n\nHelmholtz worked it out… mostly.\n\n- Steam\n\n- A hole\n\nf = c / (2 * L)\n  tuned"},
		// The post's markup, sanitised: the card's classes, loading and
		// the script are gone.
		{"body_html", a.BodyHTML, `<p>A kettle doesn’t <strong>sing</strong> by magic: steam is forced through a narrow hole &amp; the air vibrates.</p><figure><img src="https://blog.example.com/content/images/2025/05/kettle.jpg" alt="A kettle"/><figcaption>A kettle on the hob.</figcaption></figure><h2>The physics</h2><p>Helmholtz worked it out… mostly.</p><ul><li>Steam</li><li>A hole</li></ul><pre><code>f = c / (2 * L)
  tuned</code></pre>`},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q\nwant    %q", c.name, c.got, c.want)
		}
	}
	if !a.PublishedAt.Equal(time.Date(2025, 6, 1, 11, 58, 2, 0, time.UTC)) {
		t.Errorf("published at %v", a.PublishedAt)
	}
	if err := a.Validate(); err != nil {
		t.Errorf("article does not validate: %v", err)
	}

	// Ghost retries, and anyone who captured the request may replay it
	// within the five minutes: the same article, nothing new.
	r = e.ghost(ghostPublished, sig)
	r.want(t, http.StatusAccepted)
	if r.str("id") != id || r.json["created"] != false {
		t.Errorf("replay = %s, want created false", r.body)
	}
	if n := len(e.pub.stored()); n != 1 {
		t.Errorf("%d articles after a replay, want 1", n)
	}
	if strings.Contains(e.log.String(), ghostSecret) {
		t.Errorf("the secret was logged")
	}
}

func TestGhostHookRefused(t *testing.T) {
	e := newAPI(t, nil)
	good := ghostSign(ghostSecret, ghostPublished, apiNow)
	other := strings.Replace(ghostPublished, "Why the kettle sings", "Why the kettle screams", 1)
	for _, c := range []struct{ name, body, sig string }{
		{"no signature", ghostPublished, ""},
		{"wrong secret", ghostPublished, ghostSign("not-the-secret", ghostPublished, apiNow)},
		{"body changed", other, good},
		{"timestamp changed", ghostPublished, strings.Replace(good, "t=", "t=1", 1)},
		{"signed without the timestamp", ghostPublished, func() string {
			m := hmac.New(sha256.New, []byte(ghostSecret))
			m.Write([]byte(ghostPublished))
			return "sha256=" + hex.EncodeToString(m.Sum(nil)) + ", t=" + strconv.FormatInt(apiNow.UnixMilli(), 10)
		}()},
		{"no t", ghostPublished, strings.Split(good, ",")[0]},
		{"not hex", ghostPublished, "sha256=zz, t=" + strconv.FormatInt(apiNow.UnixMilli(), 10)},
		{"stale", ghostPublished, ghostSign(ghostSecret, ghostPublished, apiNow.Add(-5*time.Minute-time.Second))},
		{"from the future", ghostPublished, ghostSign(ghostSecret, ghostPublished, apiNow.Add(5*time.Minute+time.Second))},
		{"seconds, not milliseconds", ghostPublished, func() string {
			ts := strconv.FormatInt(apiNow.Unix(), 10)
			m := hmac.New(sha256.New, []byte(ghostSecret))
			m.Write([]byte(ghostPublished + ts))
			return "sha256=" + hex.EncodeToString(m.Sum(nil)) + ", t=" + ts
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.ghost(c.body, c.sig)
			r.want(t, http.StatusUnauthorized)
			if r.str("error") == "" {
				t.Errorf("401 without a reason: %s", r.body)
			}
		})
	}
	if n := len(e.pub.history()); n != 0 {
		t.Errorf("publisher called %d times for refused webhooks", n)
	}
	// Just inside the window either way is fine.
	e.ghost(ghostPublished, ghostSign(ghostSecret, ghostPublished, apiNow.Add(-4*time.Minute))).want(t, http.StatusAccepted)
	e.ghost(ghostPublished, ghostSign(ghostSecret, ghostPublished, apiNow.Add(4*time.Minute))).want(t, http.StatusAccepted)
}

func TestGhostHookIgnoresAndRejects(t *testing.T) {
	e := newAPI(t, nil)
	send := func(body string) apiResponse {
		t.Helper()
		return e.ghost(body, ghostSign(ghostSecret, body, apiNow))
	}
	for _, status := range []string{"draft", "scheduled", "sent"} {
		r := send(strings.Replace(ghostPublished, `"status":"published"`, `"status":"`+status+`"`, 1))
		r.want(t, http.StatusOK)
		if !strings.Contains(r.str("ignored"), status) {
			t.Errorf("ignored = %q", r.str("ignored"))
		}
	}
	// Newer Ghost releases name the event; another event pointed here is ignored.
	r := send(`{"event":"post.published.edited",` + ghostPublished[1:])
	r.want(t, http.StatusOK)
	send(`{"event":"post.published",`+ghostPublished[1:]).want(t, http.StatusAccepted)

	r = send(`{"page":{"current":{}}}`)
	r.want(t, http.StatusBadRequest)
	if r.str("field") != "post.current" {
		t.Errorf("field = %q", r.str("field"))
	}
	r = send(`{"post":{"current":{"status":"published","title":"No URL"}}}`)
	r.want(t, http.StatusBadRequest)
	if r.str("field") != "post.current.url" {
		t.Errorf("no url: %s", r.body)
	}
	r = send(`{"post":{"current":{"status":"published","title":["x"],"url":"https://blog.example.com/x/"}}}`)
	r.want(t, http.StatusBadRequest)
	if r.str("field") != "post.current.title" {
		t.Errorf("title a list: %s", r.body)
	}
	send(`{"post":`).want(t, http.StatusBadRequest)
	// Signed, but not JSON by its header.
	e.do(http.MethodPost, "/v1/hooks/ghost", ghostPublished, "Content-Type", "text/plain",
		"X-Ghost-Signature", ghostSign(ghostSecret, ghostPublished, apiNow)).want(t, http.StatusUnsupportedMediaType)
	if n := len(e.pub.history()); n != 1 {
		t.Errorf("publisher called %d times, want once (the post.published event)", n)
	}

	// A members-only post goes out without its text.
	body := strings.Replace(strings.Replace(ghostPublished, `"status":"published","visibility":"public"`, `"status":"published","visibility":"paid"`, 1),
		"why-the-kettle-sings/", "paid-kettle/", -1)
	send(body).want(t, http.StatusAccepted)
	if a := e.pub.stored()[syndicate.ArticleID("https://blog.example.com/paid-kettle/")]; a.Body != "" || a.BodyHTML != "" || a.Summary == "" {
		t.Errorf("paid post: body %q, html %q, summary %q", a.Body, a.BodyHTML, a.Summary)
	}

	// A canonical_url wins over the post's own URL, and a custom excerpt
	// is the summary, whole.
	body = strings.Replace(strings.Replace(ghostPublished, `"canonical_url":null`, `"canonical_url":"https://example.org/original"`, 1),
		`"custom_excerpt":null`, `"custom_excerpt":"Steam, a hole, and Helmholtz."`, 1)
	send(body).want(t, http.StatusAccepted)
	a, ok := e.pub.stored()[syndicate.ArticleID("https://example.org/original")]
	if !ok || a.Summary != "Steam, a hole, and Helmholtz." {
		t.Errorf("canonical article = %+v", a)
	}
}

func TestGhostHookSummaryFromText(t *testing.T) {
	e := newAPI(t, nil)
	sentence := "Steam leaves the spout through a hole narrower than the spout itself. "
	long := strings.Repeat(sentence, 6) + "And then it sings without a pause for breath until someone lifts it"
	for _, c := range []struct{ html, want string }{
		// Cut after the last whole sentence that fits.
		{"<h2>Heading</h2><p>" + long + "</p>", strings.TrimSpace(strings.Repeat(sentence, 4))},
		// One long sentence: cut after a whole word, marked.
		{"<p>" + strings.Repeat("spout ", 80) + "</p>", strings.TrimSpace(strings.Repeat("spout ", 50)) + "…"},
	} {
		body := `{"post":{"current":{"status":"published","title":"Long","url":"https://blog.example.com/long/","html":"` + c.html + `"}}}`
		e.ghost(body, ghostSign(ghostSecret, body, apiNow)).want(t, http.StatusAccepted)
		a := e.pub.history()[len(e.pub.history())-1].article
		if a.Summary != c.want {
			t.Errorf("summary = %q\nwant      %q", a.Summary, c.want)
		}
		if n := len([]rune(a.Summary)); n > 300 {
			t.Errorf("summary has %d characters, more than 300", n)
		}
	}
}

func TestGhostHookOff(t *testing.T) {
	e := newAPI(t, func(c *web.Config) { c.GhostSecret = "" })
	// Not even a signature made with the empty key gets in.
	e.ghost(ghostPublished, ghostSign("", ghostPublished, apiNow)).want(t, http.StatusNotFound)
	e = newAPI(t, func(c *web.Config) { c.Publisher = nil })
	e.ghost(ghostPublished, ghostSign(ghostSecret, ghostPublished, apiNow)).want(t, http.StatusServiceUnavailable)
}

func TestHookBodyLimit(t *testing.T) {
	e := newAPI(t, nil)
	big := `{"post":{"current":{"html":"` + strings.Repeat("x", 2<<20) + `"}}}`
	r := e.ghost(big, ghostSign(ghostSecret, big, apiNow))
	r.want(t, http.StatusRequestEntityTooLarge)
	if r.str("error") != "webhook body is larger than 1048576 bytes" {
		t.Errorf("413 error = %q", r.str("error"))
	}
	r = e.wordpress(big, wpSign(wpSecret, big, apiNow))
	r.want(t, http.StatusRequestEntityTooLarge)
}

// wpPublished is a POST /v1/hooks/wordpress body with the REST API's
// {"rendered": ...} objects and WordPress's curly-quote entities.
const wpPublished = `{"post":{
  "id":4821,
  "title":{"rendered":"Don&#8217;t panic: the &#8220;kettle&#8221; guide"},
  "link":"https://wp.example.com/2025/06/01/dont-panic/",
  "excerpt":{"rendered":"<p>Everything about kettles, in brief &hellip; [&hellip;]</p>\n"},
  "content":{"rendered":"\n<p>Kettles &amp; you.</p>\n\n\n\n<p>Second paragraph.<br>With a break.</p>\n"},
  "date_gmt":"2025-06-01T09:00:00",
  "status":"publish",
  "author_name":"Bob Blogger",
  "tags":["Kettles","Food &amp; Drink","kettles"],
  "featured_image":"https://wp.example.com/wp-content/uploads/2025/06/kettle.jpg"
}}`

// wpSign returns the signature headers of body sent at t.
func wpSign(secret, body string, t time.Time) []string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + body))
	return []string{"X-Syndicate-Timestamp", ts, "X-Syndicate-Signature", "sha256=" + hex.EncodeToString(m.Sum(nil))}
}

func (e *apiEnv) wordpress(body string, sig []string) apiResponse {
	e.t.Helper()
	return e.do(http.MethodPost, "/v1/hooks/wordpress", body, append([]string{"Content-Type", "application/json"}, sig...)...)
}

func TestWordPressHook(t *testing.T) {
	e := newAPI(t, nil)
	sig := wpSign(wpSecret, wpPublished, apiNow.Add(-2*time.Second))
	r := e.wordpress(wpPublished, sig)
	r.want(t, http.StatusAccepted)
	id := syndicate.ArticleID("https://wp.example.com/2025/06/01/dont-panic/")
	if r.str("id") != id || r.json["created"] != true {
		t.Errorf("202 body = %s", r.body)
	}
	a := e.pub.stored()[id]
	for _, c := range []struct{ name, got, want string }{
		{"title", a.Title, "Don’t panic: the “kettle” guide"},
		{"url", a.URL, "https://wp.example.com/2025/06/01/dont-panic/"},
		{"author", a.Author, "Bob Blogger"},
		{"image", a.Image, "https://wp.example.com/wp-content/uploads/2025/06/kettle.jpg"},
		{"tags", strings.Join(a.Tags, "|"), "Kettles|Food & Drink"},
		{"summary", a.Summary, "Everything about kettles, in brief …"},
		{"body", a.Body, "Kettles & you.\n\nSecond paragraph.\nWith a break."},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q\nwant    %q", c.name, c.got, c.want)
		}
	}
	if !a.PublishedAt.Equal(time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("published at %v", a.PublishedAt)
	}

	r = e.wordpress(wpPublished, sig)
	r.want(t, http.StatusAccepted)
	if r.json["created"] != false || len(e.pub.stored()) != 1 {
		t.Errorf("replay = %s with %d articles", r.body, len(e.pub.stored()))
	}

	// Plain strings work as well as rendered objects.
	body := `{"post":{"id":"77","title":"Plain &amp; simple","link":"https://wp.example.com/plain/","content":"<p>One.</p>","status":"publish","date_gmt":"2025-06-01T10:00:00Z"}}`
	e.wordpress(body, wpSign(wpSecret, body, apiNow)).want(t, http.StatusAccepted)
	if a := e.pub.stored()[syndicate.ArticleID("https://wp.example.com/plain/")]; a.Title != "Plain & simple" || a.Summary != "One." {
		t.Errorf("plain article = %+v", a)
	}
}

func TestWordPressHookRefused(t *testing.T) {
	e := newAPI(t, nil)
	good := wpSign(wpSecret, wpPublished, apiNow)
	for _, c := range []struct {
		name string
		body string
		sig  []string
	}{
		{"no signature", wpPublished, nil},
		{"no timestamp", wpPublished, good[2:]},
		{"wrong secret", wpPublished, wpSign("nope", wpPublished, apiNow)},
		{"body changed", strings.Replace(wpPublished, "panic", "panik", 1), good},
		{"timestamp changed", wpPublished, []string{good[0], strconv.FormatInt(apiNow.Unix()+1, 10), good[2], good[3]}},
		{"stale", wpPublished, wpSign(wpSecret, wpPublished, apiNow.Add(-6*time.Minute))},
		{"from the future", wpPublished, wpSign(wpSecret, wpPublished, apiNow.Add(6*time.Minute))},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.wordpress(c.body, c.sig).want(t, http.StatusUnauthorized)
		})
	}
	if n := len(e.pub.history()); n != 0 {
		t.Errorf("publisher called %d times for refused webhooks", n)
	}

	send := func(body string) apiResponse {
		t.Helper()
		return e.wordpress(body, wpSign(wpSecret, body, apiNow))
	}
	for _, status := range []string{"draft", "future", "private"} {
		r := send(strings.Replace(wpPublished, `"status":"publish"`, `"status":"`+status+`"`, 1))
		r.want(t, http.StatusOK)
		if !strings.Contains(r.str("ignored"), status) {
			t.Errorf("ignored = %q", r.str("ignored"))
		}
	}
	r := send(strings.Replace(wpPublished, `"tags":["Kettles","Food &amp; Drink","kettles"]`, `"tags":[12,7]`, 1))
	r.want(t, http.StatusBadRequest)
	if r.str("field") != "post.tags" {
		t.Errorf("tag IDs: %s", r.body)
	}
	r = send(strings.Replace(wpPublished, `"title":{"rendered":`, `"title":{"raw":`, 1))
	r.want(t, http.StatusBadRequest)
	r = send(strings.Replace(wpPublished, `"date_gmt":"2025-06-01T09:00:00"`, `"date_gmt":"June 1st"`, 1))
	r.want(t, http.StatusBadRequest)
	if r.str("field") != "post.date_gmt" {
		t.Errorf("bad date: %s", r.body)
	}
	r = send(`{"post":{"title":"x","status":"publish"}}`)
	r.want(t, http.StatusBadRequest)
	if r.str("field") != "post.link" {
		t.Errorf("no link: %s", r.body)
	}
	if n := len(e.pub.history()); n != 0 {
		t.Errorf("publisher called %d times for bad posts", n)
	}

	e = newAPI(t, func(c *web.Config) { c.WordPressSecret = "" })
	e.wordpress(wpPublished, wpSign("", wpPublished, apiNow)).want(t, http.StatusNotFound)
}
