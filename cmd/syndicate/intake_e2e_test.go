package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const newsPage = `<!DOCTYPE html>
<html lang="en"><head>
<title>Tram Line Opens | City Gazette</title>
<meta property="og:title" content="Tram Line Opens After Six Years">
<meta property="og:description" content="The first trams ran on the new east line this morning.">
<meta property="og:image" content="/img/tram.jpg">
<meta name="author" content="Priya Natarajan">
<link rel="canonical" href="https://gazette.example.com/2026/tram-line-opens?utm_source=rss">
</head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article>
<h1>Tram Line Opens After Six Years</h1>
<p>The first trams ran on the new east line this morning, six years after work began and two years later than planned.</p>
<p>Hundreds of residents lined the route to watch the 6:05 departure from the harbour terminus, many of them taking the ride just to say they had.</p>
<p>The line links the harbour with the university and the hospital, and the council expects it to carry twelve thousand passengers a day by next summer.</p>
</article>
<aside><h2>Related</h2><a href="/x">Bus fares to rise</a></aside>
<footer>© City Gazette</footer>
</body></html>`

// TestEndToEndWebPage: publish and preview take a web page's URL; a
// private address is refused unless allow_private is set.
func TestEndToEndWebPage(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(newsPage))
	}))
	t.Cleanup(page.Close)
	e := newE2E(t)
	_, stderr := e.fail("preview", page.URL+"/tram")
	if !strings.Contains(stderr, "loopback") || !strings.Contains(stderr, "allow_private") {
		t.Errorf("a loopback URL was not refused clearly: %q", stderr)
	}
	e.env = append(e.env, "SYNDICATE_ALLOW_PRIVATE=true")
	out := e.run("preview", "--json", page.URL+"/tram")
	for _, want := range []string{
		`"title": "Tram Line Opens After Six Years"`,
		`"url": "https://gazette.example.com/2026/tram-line-opens"`,
		`"author": "Priya Natarajan"`,
		`"summary": "The first trams ran on the new east line this morning."`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("preview of the page lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Bus fares to rise") {
		t.Errorf("page furniture reached the article:\n%s", out)
	}
}

// feedServer serves an RSS feed whose items the test changes between polls.
type feedServer struct {
	mu    sync.Mutex
	items []feedItem
	// extra is raw XML added inside the item of that GUID (media:thumbnail,
	// enclosure), set before the first request.
	extra map[string]string
}

type feedItem struct{ guid, title, link string }

func (f *feedServer) set(items ...feedItem) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = items
}

func (f *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Gazette</title><link>https://gazette.example.com/</link>`)
	for _, it := range f.items {
		fmt.Fprintf(&b, `<item><guid>%s</guid><title>%s</title><link>%s</link><description>About %s.</description>%s</item>`, it.guid, it.title, it.link, it.title, f.extra[it.guid])
	}
	b.WriteString(`</channel></rss>`)
	etag := fmt.Sprintf(`"%x"`, sha256.Sum256([]byte(b.String())))
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml")
	w.Write([]byte(b.String()))
}

// TestEndToEndFeed: the first poll of a feed sends nothing; a new item is
// posted once; a reordered and edited feed sends nothing more; the
// scheduler polls the feed by itself.
func TestEndToEndFeed(t *testing.T) {
	fs := &feedServer{}
	a := feedItem{"g-a", "Harbour Wall Repaired", "https://gazette.example.com/a"}
	b := feedItem{"g-b", "School Wins Award", "https://gazette.example.com/b"}
	c := feedItem{"g-c", "New Bakery Opens", "https://gazette.example.com/c"}
	d := feedItem{"g-d", "Late Ferry Added", "https://gazette.example.com/d"}
	fs.set(b, a)
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	feed := srv.URL + "/rss.xml"
	e := newE2E(t, "SYNDICATE_ALLOW_PRIVATE=true", "SYNDICATE_FEEDS="+feed, "SYNDICATE_FEED_INTERVAL=10s")
	e.start("worker")

	if out := e.run("feeds", "poll", feed); !strings.Contains(out, "published 0 new items") {
		t.Errorf("first poll said %q, want nothing published", out)
	}
	fs.set(c, b, a)
	if out := e.run("feeds", "poll", feed); !strings.Contains(out, "published 1 new items") {
		t.Errorf("poll after a new item said %q", out)
	}
	waitFor(t, "the new item's post", func() bool { return len(e.x.Posts()) == 1 })
	if !strings.Contains(e.x.Posts()[0], "New Bakery Opens") {
		t.Errorf("X got %q, want the new item", e.x.Posts()[0])
	}
	a.title = "Harbour Wall Repaired at Last" // edited, same GUID
	fs.set(a, c, b)
	if out := e.run("feeds", "poll", feed); !strings.Contains(out, "published 0 new items") {
		t.Errorf("poll of a reordered, edited feed said %q", out)
	}

	// The scheduler polls by itself.
	fs.set(d, a, c, b)
	e.start("serve", "--roles", "scheduler")
	waitFor(t, "the scheduler's poll", func() bool { return len(e.x.Posts()) == 2 })
	time.Sleep(time.Second)
	if n := len(e.x.Posts()); n != 2 {
		t.Errorf("X has %d posts, want 2: %q", n, e.x.Posts())
	}
	if list := e.run("feeds", "list"); !strings.Contains(list, feed) {
		t.Errorf("feeds list does not show the feed:\n%s", list)
	}
}

// freeAddr returns a 127.0.0.1 address for serve to listen on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startAPI starts serve with the roles given, which must include api, on
// addr and returns its base URL once it is ready.
func (e *e2e) startAPI(addr, roles string) (string, *exec.Cmd) {
	e.t.Helper()
	c := e.start("serve", "--roles", roles)
	base := "http://" + addr
	waitFor(e.t, "the api", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	return base, c
}

// postJSON POSTs body to url with an optional bearer token and headers,
// and returns the status and the JSON object answered.
func postJSON(t *testing.T, url, token, ctype string, body []byte, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", ctype)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("POST %s: %s with a body that is not JSON: %v", url, resp.Status, err)
	}
	return resp.StatusCode, m
}

// ghostSignature signs body as Ghost does: HMAC-SHA256 of body+timestamp
// in milliseconds.
func ghostSignature(secret string, body []byte) string {
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(append(append([]byte(nil), body...), ts...))
	return "sha256=" + hex.EncodeToString(mac.Sum(nil)) + ", t=" + ts
}

// TestEndToEndPublishAPI drives the publish API and the Ghost webhook of
// the real server: 401, 400, 413, 415 and 202; the same article twice is
// one article; a Ghost payload with a bad signature is refused and a good
// one published once, even when Ghost delivers it again.
func TestEndToEndPublishAPI(t *testing.T) {
	addr := freeAddr(t)
	e := newE2E(t, "SYNDICATE_HTTP_ADDR="+addr, "SYNDICATE_API_TOKEN=api-token-123", "SYNDICATE_GHOST_SECRET=ghost-secret-456")
	base, _ := e.startAPI(addr, "api,worker")
	post := func(path, token, ctype string, body []byte, hdr map[string]string) (int, map[string]any) {
		t.Helper()
		return postJSON(t, base+path, token, ctype, body, hdr)
	}
	good := []byte(`{"title":"Pier Reopens","url":"https://news.example.com/pier?utm_source=cms","summary":"The pier is open again.","tags":["harbour"]}`)
	cases := []struct {
		name   string
		token  string
		ctype  string
		body   []byte
		status int
		errHas string
	}{
		{"no token", "", "application/json", good, 401, "token"},
		{"wrong token", "nope", "application/json", good, 401, "token"},
		{"malformed", "api-token-123", "application/json", []byte(`{"title": `), 400, "JSON"},
		{"no title", "api-token-123", "application/json", []byte(`{"url":"https://news.example.com/x"}`), 400, "title"},
		{"too large", "api-token-123", "application/json", []byte(`{"title":"x","body":"` + strings.Repeat("a", 2<<20) + `"}`), 413, "larger"},
		{"not JSON", "api-token-123", "text/plain", good, 415, "application/json"},
	}
	for _, c := range cases {
		status, m := post("/v1/articles", c.token, c.ctype, c.body, nil)
		if status != c.status || !strings.Contains(fmt.Sprint(m["error"]), c.errHas) {
			t.Errorf("%s: %d %v, want %d with an error about %s", c.name, status, m, c.status, c.errHas)
		}
	}
	status, m := post("/v1/articles", "api-token-123", "application/json", good, nil)
	if status != 202 || m["created"] != true || !strings.HasPrefix(fmt.Sprint(m["id"]), "a_") {
		t.Fatalf("publish: %d %v", status, m)
	}
	id := fmt.Sprint(m["id"])
	status, m = post("/v1/articles", "api-token-123", "application/json", []byte(`{"title":"Pier Reopens","url":"https://NEWS.example.com/pier"}`), nil)
	if status != 202 || m["created"] != false || m["id"] != id {
		t.Errorf("the same article again: %d %v, want 202 created:false with id %s", status, m, id)
	}
	waitFor(t, "the API article's post", func() bool { return len(e.x.Posts()) == 1 })

	req, _ := http.NewRequest(http.MethodGet, base+"/v1/articles/"+id, nil)
	req.Header.Set("Authorization", "Bearer api-token-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Article    struct{ Title string }
		Deliveries []struct{ Channel, Status string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 || got.Article.Title != "Pier Reopens" || len(got.Deliveries) != 1 {
		t.Errorf("GET the article: %s %+v %v", resp.Status, got, err)
	}
	resp.Body.Close()

	// Ghost: signed like Ghost signs (HMAC-SHA256 of body+timestamp in ms).
	ghost := []byte(`{"post":{"current":{"id":"6650a1","uuid":"0b7c","title":"Lifeboat Crew Honoured","slug":"lifeboat-crew-honoured","html":"<p>The volunteer crew of the town&rsquo;s lifeboat received a national award.</p><p>More to follow.</p>","feature_image":"https://news.example.com/content/images/lifeboat.jpg","url":"https://news.example.com/lifeboat-crew-honoured/","canonical_url":null,"published_at":"2026-11-26T08:00:00.000Z","custom_excerpt":null,"excerpt":"The volunteer crew of the town’s lifeboat received a national award.","tags":[{"name":"Harbour","slug":"harbour"},{"name":"#syndicate","slug":"hash-syndicate"}],"primary_author":{"name":"Sam Reed"},"status":"published","visibility":"public"},"previous":{"status":"draft"}}}`)
	sig := ghostSignature("ghost-secret-456", ghost)
	ts := sig[strings.LastIndex(sig, "t=")+2:]
	status, m = post("/v1/hooks/ghost", "", "application/json", ghost, map[string]string{"X-Ghost-Signature": "sha256=" + strings.Repeat("0", 64) + ", t=" + ts})
	if status != 401 {
		t.Errorf("a Ghost payload with a bad signature: %d %v, want 401", status, m)
	}
	for i := 0; i < 2; i++ { // Ghost retries deliveries: the second is a no-op
		status, m = post("/v1/hooks/ghost", "", "application/json", ghost, map[string]string{"X-Ghost-Signature": sig})
		if status != 202 || m["created"] != (i == 0) {
			t.Errorf("Ghost delivery %d: %d %v", i+1, status, m)
		}
	}
	waitFor(t, "the Ghost article's post", func() bool { return len(e.x.Posts()) == 2 })
	time.Sleep(time.Second)
	if n := len(e.x.Posts()); n != 2 || !strings.Contains(e.x.Posts()[1], "Lifeboat Crew Honoured") {
		t.Errorf("X posts %q, want the API article and the Ghost one, once each", e.x.Posts())
	}
}

// TestEndToEndFeedFlood: a feed that gains 5000 items in one poll
// publishes feed_max_new of them, the newest; a feed whose every GUID and
// link change at once publishes nothing; backfill still publishes on
// purpose.
func TestEndToEndFeedFlood(t *testing.T) {
	fs := &feedServer{}
	fs.set(feedItem{"g-0", "Item 0", "https://gazette.example.com/0"})
	srv := httptest.NewServer(fs)
	t.Cleanup(srv.Close)
	feed := srv.URL + "/rss.xml"
	e := newE2E(t, "SYNDICATE_ALLOW_PRIVATE_HOSTS="+strings.TrimPrefix(srv.URL, "http://"), "SYNDICATE_FEED_MAX_NEW=4")
	e.start("worker")
	e.run("feeds", "poll", feed)

	var items []feedItem // newest first, as feeds list them
	for n := 5000; n >= 0; n-- {
		items = append(items, feedItem{fmt.Sprintf("g-%d", n), fmt.Sprintf("Item %d", n), fmt.Sprintf("https://gazette.example.com/%d", n)})
	}
	fs.set(items...)
	cmd := e.cmd("feeds", "poll", feed)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || !strings.Contains(out.String(), "published 4 new items") {
		t.Fatalf("poll of 5000 new items: %v, %q", err, out.String())
	}
	if log := errb.String(); !strings.Contains(log, "level=WARN") || !strings.Contains(log, "new=5000") || !strings.Contains(log, "feed="+feed) {
		t.Errorf("no warning naming the feed and the count:\n%s", log)
	}
	waitFor(t, "the four posts", func() bool { return len(e.x.Posts()) == 4 })
	posted := strings.Join(e.x.Posts(), "\n")
	for n := 4997; n <= 5000; n++ { // the newest four; the worker posts them in any order
		if want := fmt.Sprintf("gazette.example.com/%d\n", n); !strings.Contains(posted+"\n", want) {
			t.Errorf("no post of item %d among %q", n, e.x.Posts())
		}
	}

	// A domain move: every GUID and link new at once.
	moved := make([]feedItem, 0, 10)
	for _, it := range items[:10] {
		moved = append(moved, feedItem{"moved-" + it.guid, it.title, strings.Replace(it.link, "gazette.example.com", "gazette.example.org", 1)})
	}
	fs.set(moved...)
	if out := e.run("feeds", "poll", feed); !strings.Contains(out, "published 0 new items") {
		t.Errorf("poll of a rewritten feed said %q", out)
	}
	if out := e.run("feeds", "backfill", feed, "--items", "1"); !strings.Contains(out, "published 1 items") {
		t.Errorf("backfill after the rewrite said %q", out)
	}
	waitFor(t, "the backfilled post", func() bool { return len(e.x.Posts()) == 5 })
	time.Sleep(time.Second)
	if n := len(e.x.Posts()); n != 5 || !strings.Contains(e.x.Posts()[4], "gazette.example.org/5000") {
		t.Errorf("X has %d posts, want the 4 and the backfilled one: %q", n, e.x.Posts())
	}
}
