package article

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"syndicate"
)

// The fuzz targets feed each format hostile text and check what any
// input must give: no panic, and either a valid article of valid UTF-8
// or one EINVALID error on one line that a CLI can print as it is.

// seedFiles adds the files of the repository's own fixtures whose names
// end in ext as seeds.
func seedFiles(f *testing.F, ext string, dirs ...string) {
	f.Helper()
	for _, dir := range dirs {
		names, err := filepath.Glob(filepath.Join(dir, "*"+ext))
		if err != nil {
			f.Fatal(err)
		}
		for _, n := range names {
			b, err := os.ReadFile(n)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(b))
		}
	}
}

// fuzzParse parses text as the file name would be, and checks the result.
func fuzzParse(t *testing.T, name, text string) {
	a, err := Parse(name, strings.NewReader(text), opts())
	checkParsed(t, a, err)
}

// checkParsed checks what Parse or FromPage returned for any input.
func checkParsed(t *testing.T, a syndicate.Article, err error) {
	t.Helper()
	if err != nil {
		if code := syndicate.ErrorCode(err); code != syndicate.EINVALID {
			t.Fatalf("error code %q, want %q: %v", code, syndicate.EINVALID, err)
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") {
			t.Fatalf("error message is more than one line: %q", msg)
		}
		if !utf8.ValidString(msg) {
			t.Fatalf("error message is not valid UTF-8: %q", msg)
		}
		return
	}
	if verr := a.Validate(); verr != nil {
		t.Fatalf("article does not validate: %v\n%#v", verr, a)
	}
	for name, s := range map[string]string{
		"id": a.ID, "title": a.Title, "url": a.URL, "author": a.Author,
		"summary": a.Summary, "body": a.Body, "image": a.Image,
	} {
		if !utf8.ValidString(s) {
			t.Fatalf("%s is not valid UTF-8: %q", name, s)
		}
	}
	checkAllowed(t, a.BodyHTML, false)
	for _, tag := range a.Tags {
		if !utf8.ValidString(tag) {
			t.Fatalf("tag is not valid UTF-8: %q", tag)
		}
	}
	if strings.ContainsAny(a.Title, "\r\n") {
		t.Fatalf("title is more than one line: %q", a.Title)
	}
	if a.ID != syndicate.ArticleID(a.URL) {
		t.Fatalf("id %q is not the id of %q", a.ID, a.URL)
	}
}

func FuzzParseMarkdown(f *testing.F) {
	seedFiles(f, ".md", "../cmd/syndicate/demodata")
	for _, s := range []string{
		"---\ntitle: Hello\nurl: https://example.com/hello\n---\nBody.\n",
		"---\ntitle: \"Tom & Jerry\"\nurl: https://example.com/t?utm_source=x\nauthor: Ann\ndate: 2025-06-01\ntags: [a, b, a]\nsummary: Short.\nimage: /img/cup.jpg\n---\n# Tom & Jerry\n\n> quoted *text* and [a link](https://example.com/x)\n\n- one\n- two\n\n```\ncode\n```\n",
		"---\ntitle: [not, a, string]\n---\n",
		"---\nurl: https://example.com/a\n---\n# Heading only\n",
		"---\ntitle: x\nurl: javascript:alert(1)\n---\n",
		"---\ntitle: x\nurl: https://example.com/a\ndate: yesterday\n---\n",
		"# No front matter\n\nJust text.",
		"---\ntitle: x\nurl: https://example.com/a\n---\n" + strings.Repeat("[a](", 50),
		"---\ntitle: x\nurl: https://example.com/a\n---\n" + strings.Repeat("> ", 50) + "deep",
		"---\ntitle: x\nurl: https://example.com/a\n---\n" + strings.Repeat("_a*", 50),
		"---\ntitle: \"=?utf-8?q?Hi?=\\u0000\\u202e\"\nurl: https://例え.jp/記事\n---\n<script>x</script>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) { fuzzParse(t, "article.md", text) })
}

func FuzzParseHTML(f *testing.F) {
	seedFiles(f, ".html", "testdata")
	for _, s := range []string{
		`<html><head><title>Hello</title><link rel="canonical" href="https://example.com/hello"><meta property="og:image" content="/a.png"></head><body><article><h1>Hello</h1><p class="byline">By Ann</p><p>Body.</p></article></body></html>`,
		`<meta property="og:url" content="https://example.com/x"><meta property="og:title" content="T"><p>x`,
		`<html><body>` + strings.Repeat("<div>", 300) + `deep` + `</body></html>`,
		`<title>&#0;&#x202e;&amp;</title><link rel=canonical href="http://[::1]:80/x">`,
		`<!DOCTYPE html><script>alert(1)</script><noscript><p>x</p></noscript>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) { fuzzParse(t, "article.html", text) })
}

func FuzzParseText(f *testing.F) {
	seedFiles(f, ".txt", "testdata")
	for _, s := range []string{
		"Home > News > Science\n\nComet seen over the bay\n\nBy Ann Writer\nJune 1, 2025\n\nA bright comet was seen over the bay last night, astronomers said.\n\nRecent News\n- Other story\n",
		"Title only",
		"https://example.com/a\n\nTitle\n\nBy\n\n",
		"\n\n\n\t \u00a0\u200b\n",
		strings.Repeat("Word ", 2000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		// Scraped text often has no URL of its own: give one, as
		// --url does, so the fuzzer reaches past the URL check.
		a, err := Parse("article.txt", strings.NewReader(text), Options{URL: "https://example.com/scraped", Now: opts().Now})
		checkParsed(t, a, err)
		fuzzParse(t, "article.txt", text)
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"title":"Hello","url":"https://example.com/hello","body":"Body."}`,
		`{"title":"Tom & Jerry","url":"https://example.com/t","author":"Ann","date":"2025-06-01T09:00:00Z","tags":["a","b"],"summary":"S","image":"https://example.com/i.png","body":"# Tom\n\n> q\n\n[a](https://x.example/)"}`,
		`{"title":"x","url":"https://example.com/a","tags":"a, b,, c"}`,
		`{"title":1}`,
		`[1,2]`,
		`{"title":"x"}{"title":"y"}`,
		`{"title":null,"url":null}`,
		`{"TITLE":"x","Url":"https://example.com/a","published_at":"2025-06-01","date":"2025-07-01"}`,
		`{"title":"\u0000\u202e\ud800","url":"https://example.com/a"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) { fuzzParse(t, "article.json", text) })
}

func FuzzFromPage(f *testing.F) {
	seedFiles(f, ".html", "testdata")
	f.Add(`<html><head><meta charset="iso-8859-1"><title>Caf` + "\xe9" + `</title></head><body><article><p>Un caf` + "\xe9" + ` noir, s'il vous pla` + "\xee" + `t, et vite.</p></article></body></html>`)
	f.Add(`<html><head><meta http-equiv="Content-Type" content="text/html; charset=shift_jis"><title>x</title></head><body><p>` + strings.Repeat("word ", 100) + `</p></body></html>`)
	f.Add(ogPage)
	f.Add(`<html lang="ar"><title>عنوان | موقع</title><h1>عنوان</h1><p>نص.</p></html>`)
	f.Add(`<title>标题_频道_网站</title><p>【6月18日 AFP】本文。</p><meta name="author" content="(x">`)
	f.Add(`<meta property="article:tag" content="a,b;c，d、e"><meta property="og:title" content=" | | "><p>x</p>`)
	f.Fuzz(func(t *testing.T, page string) {
		a, err := FromPage(bytes.Clone([]byte(page)), "https://example.com/page", opts())
		checkParsed(t, a, err)
	})
}
