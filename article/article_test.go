package article

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"syndicate"
)

var fixedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func opts() Options { return Options{Now: func() time.Time { return fixedNow }} }

// want lists what a parsed article must have; empty fields are not checked
// unless noted.
type want struct {
	title, url, author, summary, image string
	date                               time.Time // zero: Now
	tags                               []string  // nil: []
	body                               string    // exact, if set
	bodyHas, bodyHasNot                []string
}

func check(t *testing.T, a syndicate.Article, w want) {
	t.Helper()
	if w.title != "" && a.Title != w.title {
		t.Errorf("title = %q, want %q", a.Title, w.title)
	}
	if w.url != "" && a.URL != w.url {
		t.Errorf("url = %q, want %q", a.URL, w.url)
	}
	if a.ID != syndicate.ArticleID(a.URL) {
		t.Errorf("id %q does not match url %q", a.ID, a.URL)
	}
	if a.Author != w.author {
		t.Errorf("author = %q, want %q", a.Author, w.author)
	}
	if w.summary != "" && a.Summary != w.summary {
		t.Errorf("summary = %q\nwant      %q", a.Summary, w.summary)
	}
	if a.Image != w.image {
		t.Errorf("image = %q, want %q", a.Image, w.image)
	}
	wd := w.date
	if wd.IsZero() {
		wd = fixedNow
	}
	if !a.PublishedAt.Equal(wd) {
		t.Errorf("published at %v, want %v", a.PublishedAt, wd)
	}
	if w.tags == nil {
		w.tags = []string{}
	}
	if a.Tags == nil || strings.Join(a.Tags, "|") != strings.Join(w.tags, "|") {
		t.Errorf("tags = %#v, want %#v", a.Tags, w.tags)
	}
	if w.body != "" && a.Body != w.body {
		t.Errorf("body = %q\nwant   %q", a.Body, w.body)
	}
	for _, s := range w.bodyHas {
		if !strings.Contains(a.Body, s) {
			t.Errorf("body lacks %q:\n%s", s, a.Body)
		}
	}
	for _, s := range w.bodyHasNot {
		for name, f := range map[string]string{"title": a.Title, "summary": a.Summary, "body": a.Body, "author": a.Author} {
			if strings.Contains(f, s) {
				t.Errorf("%s contains %q: %q", name, s, f)
			}
		}
	}
	if strings.Contains(a.Body, "\n\n\n") || strings.HasPrefix(a.Body, "\n") || strings.HasSuffix(a.Body, "\n") {
		t.Errorf("body paragraphs are not cleanly separated: %q", a.Body)
	}
	if err := a.Validate(); err != nil {
		t.Errorf("result does not validate: %v", err)
	}
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestMarkdown(t *testing.T) {
	tests := []struct {
		name, in string
		o        Options
		want     want
	}{{
		name: "full front matter",
		in: `---
title: "Cats &amp; <b>Dogs</b>: a Truce"
url: HTTPS://Example.COM/pets/truce?utm_source=x&b=2&a=1#top
author: Ann Lee
date: 2024-05-06
tags: [pets, Pets, " cats ", "", dogs]
summary: An <em>editor's</em> summary &#8217;kept&#8217; whole.
image: /img/truce.jpg
draft: false
---
# Cats & Dogs: a Truce

After years of **conflict**, the [cats](https://example.com/cats) and dogs of Elm Street have agreed&nbsp;to share the garden.

<script>alert("x")</script>
<style>p { color: red }</style>

- one item
- two <span onclick="evil()">items</span>

` + "```" + `
code   block
  second line
` + "```" + `
`,
		o: opts(),
		want: want{
			title:   "Cats & Dogs: a Truce",
			url:     "https://example.com/pets/truce?a=1&b=2",
			author:  "Ann Lee",
			summary: "An editor's summary ’kept’ whole.",
			image:   "https://example.com/img/truce.jpg",
			date:    date("2024-05-06T00:00:00Z"),
			tags:    []string{"pets", "cats", "dogs"},
			body: "After years of conflict, the cats and dogs of Elm Street have agreed to share the garden.\n\n" +
				"- one item\n\n- two items\n\ncode block\nsecond line",
			bodyHasNot: []string{"alert", "color: red", "<", "onclick", "Cats & Dogs: a Truce\n"},
		},
	}, {
		name: "title from heading, summary from first paragraph",
		in:   "# Hello &amp; Welcome\n\nFirst paragraph\nwraps here.\n\n## Sub\n\nSecond.\n",
		o:    Options{URL: "https://example.com/hello", Now: opts().Now},
		want: want{
			title:   "Hello & Welcome",
			url:     "https://example.com/hello",
			summary: "First paragraph wraps here.",
			body:    "First paragraph wraps here.\n\nSub\n\nSecond.",
		},
	}, {
		name: "comma tags and RFC 3339 date in another zone",
		in:   "---\ntitle: T\nurl: https://example.com/t\ndate: 2024-05-06T10:00:00+02:00\ntags: go, Go, yaml ,\n---\nBody.\n",
		o:    opts(),
		want: want{title: "T", date: date("2024-05-06T08:00:00Z"), tags: []string{"go", "yaml"}, summary: "Body.", body: "Body."},
	}, {
		name: "overrides",
		in:   "---\ntitle: Old\nurl: https://example.com/old\ntags: [a]\n---\nText.\n",
		o:    Options{URL: "https://example.com/new", Title: "New <i>title</i>", Tags: []string{"x", " y ", "X"}, Now: opts().Now},
		want: want{title: "New title", url: "https://example.com/new", tags: []string{"x", "y"}},
	}, {
		name: "tags override clears",
		in:   "---\ntitle: T\nurl: https://example.com/t\ntags: [a]\n---\n",
		o:    Options{Tags: []string{}, Now: opts().Now},
		want: want{title: "T"},
	}, {
		name: "long first paragraph is shortened at a sentence",
		in: "---\ntitle: T\nurl: https://example.com/t\n---\n" +
			strings.Repeat("This sentence has exactly forty-two characters. ", 10) + "\n",
		o:    opts(),
		want: want{title: "T", summary: strings.TrimSpace(strings.Repeat("This sentence has exactly forty-two characters. ", 6))},
	}, {
		name: "control characters and bidi overrides removed",
		in:   "---\ntitle: \"Bad\\u0007 \\u202Etitle\\u200B\"\nurl: https://example.com/t\n---\nA\u0001B\u202e C\n",
		o:    opts(),
		want: want{title: "Bad title", body: "AB C"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse("post.md", strings.NewReader(tt.in), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			check(t, a, tt.want)
		})
	}
}

func TestJSON(t *testing.T) {
	tests := []struct {
		name, in string
		o        Options
		want     want
	}{{
		name: "all fields",
		in: `{"title": "Rust &amp; Go <script>x()</script>", "url": "https://example.com/a", "author": "<b>Bo</b> Li",
			"date": "2024-01-02T03:04:05Z", "tags": ["b", "B", "c"], "summary": "Sum &lt;3",
			"image": "https://cdn.example.com/i.png", "body": "Para *one*.\n\nPara two.", "unknown": {"x": [1,2]}}`,
		o: opts(),
		want: want{
			title: "Rust & Go", url: "https://example.com/a", author: "Bo Li", date: date("2024-01-02T03:04:05Z"),
			tags: []string{"b", "c"}, summary: "Sum <3", image: "https://cdn.example.com/i.png",
			body: "Para one.\n\nPara two.",
		},
	}, {
		name: "tags as string, nulls ignored, published_at",
		in:   `{"Title": "T", "url": "https://example.com/t", "tags": "a, b", "author": null, "published_at": "2024-02-03"}`,
		o:    opts(),
		want: want{title: "T", tags: []string{"a", "b"}, date: date("2024-02-03T00:00:00Z")},
	}, {
		name: "plain body becomes summary",
		in:   `{"title": "T", "url": "https://example.com/t", "body": "Just one line of text."}`,
		o:    opts(),
		want: want{title: "T", summary: "Just one line of text.", body: "Just one line of text."},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse("a.json", strings.NewReader(tt.in), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			check(t, a, tt.want)
		})
	}
}

const ogPage = `<!DOCTYPE html>
<html><head>
<title>Ignored | Site</title>
<meta property="og:title" content="Solar Boats &amp; the Sea">
<meta property="og:url" content="https://news.example.com/boats?utm_medium=rss">
<link rel="canonical" href="https://news.example.com/solar-boats">
<meta name="author" content="Kim Park">
<meta property="article:author" content="https://facebook.com/kim">
<meta property="og:description" content="Boats that run on &lt;b&gt;sunlight&lt;/b&gt;.">
<meta property="og:image" content="/images/boat.jpg">
<meta property="article:published_time" content="2024-07-08T09:10:11+01:00">
<meta property="article:tag" content="Energy">
<meta property="article:tag" content="boats">
<meta property="article:tag" content="energy">
<meta name="keywords" content="ignored, keywords">
<style>body { font: 12px }</style>
<script>var secret = "tracking";</script>
</head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>
<div class="breadcrumbs">Home › Tech › Solar Boats</div>
<main>
<article>
<header><h1>Solar Boats &amp; the Sea</h1><p class="byline">By Kim Park</p></header>
<p>Solar-powered ferries began&nbsp;service in the harbour on Monday.</p>
<div class="share-buttons"><a>Share on X</a></div>
<p>The boats carry <em>ninety</em> passengers<br>and charge at night.</p>
<figure><img src="a.jpg"><figcaption>A ferry at dawn.</figcaption></figure>
<h2>What next</h2>
<ul><li>More routes</li><li>Bigger boats</li></ul>
<p hidden>Hidden text</p>
<script>document.write("injected")</script>
<aside>Related: Wind farms</aside>
</article>
<article class="teaser"><p>Another story.</p></article>
</main>
<aside><h3>Most read</h3><p>Something else entirely.</p></aside>
<footer>© Site 2024</footer>
</body></html>`

func TestHTML(t *testing.T) {
	tests := []struct {
		name, in string
		o        Options
		want     want
	}{{
		name: "open graph page",
		in:   ogPage,
		o:    opts(),
		want: want{
			title:   "Solar Boats & the Sea",
			url:     "https://news.example.com/solar-boats",
			author:  "Kim Park",
			summary: "Solar-powered ferries began service in the harbour on Monday.", // issue 9: og:description is a dek the page does not print
			image:   "https://news.example.com/images/boat.jpg",
			date:    date("2024-07-08T08:10:11Z"),
			tags:    []string{"Energy", "boats"},
			body: "Solar-powered ferries began service in the harbour on Monday.\n\n" +
				"The boats carry ninety passengers\nand charge at night.\n\n" +
				"What next\n\n- More routes\n\n- Bigger boats",
			bodyHasNot: []string{"Home", "World", "Share", "ferry at dawn", "Hidden", "injected", "Wind farms",
				"Another story", "Most read", "©", "tracking", "font", "By Kim"},
		},
	}, {
		name: "plain page falls back to title, h1, first paragraph and keywords",
		in: `<html><head><title>Plain Page Title - Blog</title><meta name="keywords" content="a, b, A">
			<meta name="description" content=""></head>
			<body><h1>Plain Page Title</h1><p>First &amp; only paragraph.</p><span class="author">by Lee Wu</span>
			<time datetime="2023-03-04">March 4</time></body></html>`,
		o: Options{URL: "https://blog.example.com/p", Now: opts().Now},
		want: want{
			title: "Plain Page Title", url: "https://blog.example.com/p", author: "Lee Wu",
			summary: "First & only paragraph.", tags: []string{"a", "b"}, date: date("2023-03-04T00:00:00Z"),
			bodyHas: []string{"First & only paragraph."},
		},
	}, {
		name: "bad og:image and date are dropped, not fatal",
		in: `<html><head><meta property="og:title" content="T"><meta property="og:image" content="javascript:alert(1)">
			<meta property="article:published_time" content="yesterday"></head><body><p>Text here.</p></body></html>`,
		o:    Options{URL: "https://e.example/t", Now: opts().Now},
		want: want{title: "T", summary: "Text here."},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Parse("page.html", strings.NewReader(tt.in), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			check(t, a, tt.want)
		})
	}
}

func TestSniffStdin(t *testing.T) {
	tests := []struct{ in, title string }{
		{` {"title": "From JSON", "url": "https://e.example/j"}`, "From JSON"},
		{"---\ntitle: From Markdown\nurl: https://e.example/m\n---\nBody.\n", "From Markdown"},
		{"\n<html><head><title>From HTML</title></head><body><p>x</p></body></html>", "From HTML"},
		{"From Text\n\nThis is the first paragraph of the text, long enough to be prose.\n", "From Text"},
	}
	for _, name := range []string{"-", ""} {
		for _, tt := range tests {
			o := opts()
			if !strings.Contains(tt.in, "url") {
				o.URL = "https://e.example/x"
			}
			a, err := Parse(name, strings.NewReader(tt.in), o)
			if err != nil {
				t.Errorf("Parse(%q, %.20q): %v", name, tt.in, err)
				continue
			}
			if a.Title != tt.title {
				t.Errorf("Parse(%q, %.20q) title = %q, want %q", name, tt.in, a.Title, tt.title)
			}
		}
	}
}

func TestExtensions(t *testing.T) {
	for _, name := range []string{"A.MD", "a.markdown", "a.JSON", "a.txt", "a.htm", "a.HTML"} {
		in := "Title Line\n\nSome words that make up a reasonable first sentence here.\n"
		switch strings.ToLower(filepath.Ext(name)) {
		case ".json":
			in = `{"title": "Title Line"}`
		case ".md", ".markdown":
			in = "# Title Line\n\nText.\n"
		case ".htm", ".html":
			in = "<title>Title Line</title><p>Text.</p>"
		}
		a, err := Parse(name, strings.NewReader(in), Options{URL: "https://e.example/", Now: opts().Now})
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if a.Title != "Title Line" {
			t.Errorf("%s: title %q", name, a.Title)
		}
	}
}

func TestErrors(t *testing.T) {
	huge := strings.Repeat("a", syndicate.MaxInputSize+1)
	tests := []struct {
		name, file, in string
		o              Options
		msg            string // the error message contains this
	}{
		{"empty", "a.md", "", opts(), "article file a.md is empty"},
		{"blank", "a.txt", " \n\t\n", opts(), "article file a.txt is empty"},
		{"empty stdin", "-", "", opts(), "article on standard input is empty"},
		{"NUL byte", "a.txt", "Title\x00\n", opts(), "article file a.txt is not text"},
		{"invalid UTF-8", "a.html", "<title>\xff\xfe</title>", opts(), "article file a.html is not text"},
		{"UTF-16", "a.txt", "\xff\xfeT\x00i\x00", opts(), "is not text"},
		{"too large", "a.txt", huge, opts(), "article file a.txt is larger than 2097152 bytes"},
		{"no title", "a.md", "---\nurl: https://e.example/\n---\nbody\n", opts(), "article file a.md has no title; give one with --title"},
		{"no URL", "a.md", "---\ntitle: T\n---\nbody\n", opts(), "article file a.md has no URL; give one with --url"},
		{"bad URL", "a.json", `{"title":"T","url":"ftp://e.example/x"}`, opts(), `article file a.json has a bad URL: URL "ftp://e.example/x" is not an absolute http(s) URL`},
		{"relative URL", "a.json", `{"title":"T","url":"/x"}`, opts(), "has a bad URL"},
		{"bad --url", "a.json", `{"title":"T","url":"https://e.example/"}`, Options{URL: "javascript:alert(1)"}, "has a bad URL given with --url"},
		{"URL with password", "a.json", `{"title":"T","url":"https://u:p@e.example/"}`, opts(), "must not carry a user name or password"},
		{"bad YAML", "a.md", "---\ntitle: T\nurl: : :\n---\n", opts(), "article file a.md has bad front matter: yaml: line 3:"},
		{"unclosed front matter", "a.md", "---\ntitle: T\nbody\n", opts(), "has front matter with no closing --- line"},
		{"front matter not a map", "a.md", "---\n- a\n- b\n---\n", opts(), "front matter that is not a list of"},
		{"front matter title a list", "a.md", "---\ntitle: [a, b]\n---\n", opts(), `front matter field "title" (line 2) that is not text`},
		{"front matter tags a map", "a.md", "---\ntitle: T\ntags: {a: b}\n---\n", opts(), `field "tags" (line 3) that is not a list of tags`},
		{"bad date", "a.md", "---\ntitle: T\nurl: https://e.example/\ndate: next tuesday\n---\n", opts(), `has date "next tuesday" that is not an RFC 3339 time or a YYYY-MM-DD date`},
		{"malformed JSON", "a.json", `{"title": "T",}`, opts(), "article file a.json is not valid JSON: invalid character"},
		{"JSON array", "a.json", `[{"title": "T"}]`, opts(), "article file a.json does not hold a JSON object"},
		{"JSON null", "a.json", `null`, opts(), "does not hold a JSON object"},
		{"JSON trailing", "a.json", `{"title": "T"} {"x":1}`, opts(), "has more than one JSON value"},
		{"JSON wrong type", "a.json", `{"title": 42, "url": "https://e.example/"}`, opts(), `article file a.json has JSON field "title" that is not a string`},
		{"JSON tags wrong type", "a.json", `{"title": "T", "tags": [1, 2]}`, opts(), `JSON field "tags" that is not a list of strings`},
		{"unknown extension", "a.docx", "x", opts(), `article file a.docx has unknown extension ".docx"; use .md, .json, .txt or .html`},
		{"no extension", "README", "x", opts(), "article file README has no extension"},
		{"title too long", "a.json", `{"title":"` + strings.Repeat("t", 501) + `","url":"https://e.example/"}`, opts(), "has a title longer than 500 bytes"},
		{"too many tags", "a.json", `{"title":"T","url":"https://e.example/","tags":"` + strings.Repeat("t,", 20) + strings.Repeat("u,", 1) + tagList(31) + `"}`, opts(), "has 33 tags, more than 30"},
		{"bad image", "a.md", "---\ntitle: T\nurl: https://e.example/\nimage: \"javascript:alert(1)\"\n---\n", opts(), `has image "javascript:alert(1)" that is not an http(s) URL`},
		{"summary too long", "a.json", `{"title":"T","url":"https://e.example/","summary":"` + strings.Repeat("s ", 2600) + `"}`, opts(), "has a summary longer than 5000 bytes"},
		{"body too long", "a.txt", "Title Here\n\n" + strings.Repeat("Word after word makes a paragraph of text.\n\n", 30000), Options{URL: "https://e.example/"}, "has a body longer than 1048576 bytes"},
		{"HTML nested too deep", "a.html", "<title>T</title>" + strings.Repeat("<div>", 1000), Options{URL: "https://e.example/"}, "article file a.html cannot be read as HTML"},
		{"text without title", "a.txt", "Only one long paragraph that reads like prose and has no heading at all, so there is no title to find in it.", Options{URL: "https://e.example/"}, "has no title; give one with --title"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.file, strings.NewReader(tt.in), tt.o)
			if err == nil {
				t.Fatal("no error")
			}
			if code := syndicate.ErrorCode(err); code != syndicate.EINVALID {
				t.Errorf("code = %q, want %q (%v)", code, syndicate.EINVALID, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is more than one line: %q", err)
			}
		})
	}
}

func tagList(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("tag" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
	}
	return b.String()
}

func TestParseFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "post.md")
	if err := os.WriteFile(path, []byte("---\ntitle: File\nurl: https://e.example/f\n---\nBody.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := ParseFile(path, opts())
	if err != nil {
		t.Fatal(err)
	}
	if a.Title != "File" || a.Body != "Body." {
		t.Errorf("got %+v", a)
	}
	for _, tt := range []struct{ path, msg string }{
		{filepath.Join(dir, "missing.md"), "missing.md does not exist"},
		{dir, "is a directory"},
	} {
		_, err := ParseFile(tt.path, opts())
		if syndicate.ErrorCode(err) != syndicate.EINVALID || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseFile(%s) = %v, want EINVALID containing %q", tt.path, err, tt.msg)
		}
	}
}

// TestLargeInput parses inputs just under the size limit in every format:
// they must be accepted and not take long.
func TestLargeInput(t *testing.T) {
	para := "A paragraph of ordinary prose with some <b>markup</b> &amp; entities in it.\n\n"
	n := (syndicate.MaxInputSize - 100) / len(para) / 2 // the body limit is half the input limit
	for _, tt := range []struct{ name, in string }{
		{"big.md", "---\ntitle: Big\nurl: https://e.example/\n---\n" + strings.Repeat(para, n)},
		{"big.txt", "Big Title\n\n" + strings.Repeat(para, n)},
		{"big.html", "<title>Big</title><link rel=canonical href=https://e.example/>" + strings.Repeat("<p>"+para+"</p>", n)},
		{"big.json", `{"title":"Big","url":"https://e.example/","body":"` + strings.Repeat("word ", syndicate.MaxBodyLen/6) + `"}`},
		{"nested.html", "<title>Big</title>" + strings.Repeat("<b><i>x</i></b> ", syndicate.MaxInputSize/20)},
	} {
		o := opts()
		o.URL = "https://e.example/"
		a, err := Parse(tt.name, strings.NewReader(tt.in), o)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if strings.Contains(a.Body, "<b>") || strings.Contains(a.Body, "&amp;") {
			t.Errorf("%s: markup left in body", tt.name)
		}
	}
}

func TestShorten(t *testing.T) {
	long := strings.Repeat("word ", 100)
	tests := []struct {
		in    string
		limit int
		want  string
	}{
		{"Short.", 300, "Short."},
		{"One sentence here. Two sentences here. Three sentences.", 45, "One sentence here. Two sentences here."},
		{long, 20, "word word word word…"},
		{"Abcdefghijklmnopqrstuvwxyz", 10, "Abcdefghi…"},
		{"Ünïcödé wörds ärë cöüntëd äs rünës nöt bytës", 20, "Ünïcödé wörds ärë…"},
	}
	for _, tt := range tests {
		got := shorten(tt.in, tt.limit)
		if got != tt.want {
			t.Errorf("shorten(%.20q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
		if n := len([]rune(got)); n > tt.limit {
			t.Errorf("shorten(%.20q, %d) has %d characters", tt.in, tt.limit, n)
		}
	}
}

func TestPlainInline(t *testing.T) {
	tests := map[string]string{
		"Tom &amp; Jerry":                     "Tom & Jerry",
		"It&#8217;s &quot;fine&quot;":         "It’s \"fine\"",
		"<b>bold</b> and <i>italic</i>":       "bold and italic",
		"a<br>b":                              "a b",
		"x <script>alert(1)</script>y":        "x y",
		"<style>.a{}</style>ok":               "ok",
		"<!-- comment -->kept":                "kept",
		"AT&T and 3 < 4":                      "AT&T and 3 < 4",
		"  lots \t of\n\n space  ":            "lots of space",
		"nbsp&nbsp;here":                      "nbsp here",
		"bell\a and \u202eoverride\u202c":     "bell and override",
		"<img src=x onerror=alert(1)>caption": "caption",
	}
	for in, want := range tests {
		if got := plainInline(in); got != want {
			t.Errorf("plainInline(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFindHumanDate(t *testing.T) {
	tests := map[string]string{
		"March 3, 2024":                      "2024-03-03",
		"Published 12 January 2023":          "2023-01-12",
		"Updated: Sept. 9th, 2021 10:00 GMT": "2021-09-09",
		"2020-02-29":                         "2020-02-29",
		"By Jane | 1st of May 2019":          "2019-05-01",
		"February 30, 2024":                  "",
		"No date here":                       "",
	}
	for in, want := range tests {
		got, ok := findHumanDate(in)
		s := ""
		if ok {
			s = got.Format("2006-01-02")
		}
		if s != want {
			t.Errorf("findHumanDate(%q) = %q, want %q", in, s, want)
		}
	}
}
