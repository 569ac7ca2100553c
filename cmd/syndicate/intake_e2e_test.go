package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
