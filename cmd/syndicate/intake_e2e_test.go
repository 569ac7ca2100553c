package main

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
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
	e := newE2E(t, 13)
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
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title><link>https://gazette.example.com/</link>`)
	for _, it := range f.items {
		fmt.Fprintf(&b, `<item><guid>%s</guid><title>%s</title><link>%s</link><description>About %s.</description></item>`, it.guid, it.title, it.link, it.title)
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
	e := newE2E(t, 14, "SYNDICATE_ALLOW_PRIVATE=true", "SYNDICATE_FEEDS="+feed, "SYNDICATE_FEED_INTERVAL=10s")
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
