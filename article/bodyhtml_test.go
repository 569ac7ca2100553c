package article

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"syndicate"
)

// allowedAttrs are the attributes each element of a sanitised body may
// carry; styled adds "style", which only RenderBodyHTML writes.
var allowedAttrs = map[string]map[string]bool{
	"p": {}, "h2": {}, "h3": {}, "h4": {}, "ul": {}, "ol": {}, "li": {}, "blockquote": {},
	"pre": {}, "code": {}, "strong": {}, "em": {}, "b": {}, "i": {}, "br": {},
	"figure": {}, "figcaption": {},
	"a":   {"href": true},
	"img": {"src": true, "alt": true, "width": true, "height": true},
}

// checkAllowed re-parses body as a browser would and fails t unless every
// element and attribute in it is allowed, every link is absolute http(s)
// or mailto, and every image absolute http(s). With styled, the class and
// style RenderBodyHTML adds are allowed too.
func checkAllowed(t *testing.T, body string, styled bool) {
	t.Helper()
	if len(body) > syndicate.MaxBodyLen || !utf8.ValidString(body) {
		t.Fatalf("body of %d bytes, valid UTF-8 %v", len(body), utf8.ValidString(body))
	}
	ctx := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(body), ctx)
	if err != nil {
		t.Fatalf("sanitised body does not parse: %v\n%s", err, body)
	}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.ElementNode:
			attrs, ok := allowedAttrs[n.Data]
			if !ok || n.Namespace != "" {
				t.Fatalf("element <%s> (namespace %q) in sanitised body:\n%s", n.Data, n.Namespace, body)
			}
			for _, a := range n.Attr {
				if a.Namespace != "" || !attrs[a.Key] && !(styled && (a.Key == "style" || a.Key == "class")) {
					t.Fatalf("attribute %s on <%s> in sanitised body:\n%s", a.Key, n.Data, body)
				}
				// A URL's scheme is checked below: "javascript:" in its path or
				// fragment is only text, as anywhere else in an https URL.
				if strings.HasPrefix(strings.ToLower(a.Key), "on") || a.Key != "href" && a.Key != "src" && strings.Contains(strings.ToLower(a.Val), "javascript:") {
					t.Fatalf("attribute %s=%q on <%s> in sanitised body", a.Key, a.Val, n.Data)
				}
				switch a.Key {
				case "href":
					u, err := url.Parse(a.Val)
					if err != nil || !(u.Scheme == "mailto" || (u.Scheme == "http" || u.Scheme == "https") && u.Host != "") {
						t.Fatalf("link %q is not absolute http(s) or mailto", a.Val)
					}
				case "src":
					u, err := url.Parse(a.Val)
					if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
						t.Fatalf("image %q is not absolute http(s)", a.Val)
					}
				case "width", "height":
					if v, err := strconv.Atoi(a.Val); err != nil || v < 2 {
						t.Fatalf("%s=%q on <img>", a.Key, a.Val)
					}
				}
			}
		case html.TextNode, html.DocumentNode:
		default:
			t.Fatalf("node of type %d (%q) in sanitised body", n.Type, n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
}

// emailStyles are styles like the templates'.
var emailStyles = BodyStyles{
	"p":   {Style: "margin:0 0 16px 0;"},
	"a":   {Class: "link", Style: "color:#1a56db;"},
	"img": {Style: "display:block;max-width:100%;height:auto;border:0"},
}

const hostileBody = `<h1>Heading</h1>
<p onclick="alert(1)" style="color:red" class="x">Text with <a href="javascript:alert(1)">a bad link</a>,
<a href="/local?x=1&amp;y=2" target="_blank" onmouseover="x()">a relative one</a>,
<a href="mailto:desk@example.com?subject=Hi">mail</a> and <a href="JaVaScRiPt:evil">another</a>.</p>
<script>alert("script")</script><style>p{color:red}</style>
<iframe src="https://evil.example/"></iframe>
<form action="/x"><input name="q"><button>Go</button> form words</form>
<svg><a href="https://svg.example/">svg link</a><script>alert(2)</script></svg>
<img src="data:image/png;base64,AAAA" alt="data">
<img src="javascript:alert(1)" alt="js">
<img src="https://track.example/p.gif" width="1" height="1">
<img src="photo.jpg" alt="A photo" width="1200" height="800" onerror="alert(3)">
<div><span>Loose <b>bold</b> <u>underlined</u></span></div>
<ul><li>One</li><li>Two <em>em</em></li></ul>
<blockquote><p>Quoted</p></blockquote>
<pre><code>x := 1</code></pre>
<table><tr><td>cell</td></tr></table>
<h5>Small</h5>
<p hidden>hidden text</p>`

func TestSanitizeHTML(t *testing.T) {
	got := SanitizeHTML(hostileBody, "https://news.example.com/2026/story")
	checkAllowed(t, got, false)
	for _, s := range []string{
		`<h2>Heading</h2>`,
		`<a href="https://news.example.com/local?x=1&amp;y=2">a relative one</a>`,
		`<a href="mailto:desk@example.com?subject=Hi">mail</a>`,
		`Text with a bad link,`, // the link goes, its words stay
		`and another.`,
		`<img src="https://news.example.com/2026/photo.jpg" alt="A photo" width="1200" height="800"/>`,
		`Loose <b>bold</b> underlined`,
		`<ul><li>One</li><li>Two <em>em</em></li></ul>`,
		`<blockquote><p>Quoted</p></blockquote>`,
		`<pre><code>x := 1</code></pre>`,
		`cell`,
		`<h4>Small</h4>`,
	} {
		if !strings.Contains(got, s) {
			t.Errorf("sanitised body lacks %s:\n%s", s, got)
		}
	}
	for _, s := range []string{"alert", "script", "javascript", "data:", "track.example", "evil", "onerror", "onclick", "style=", "class=", "target=", "svg", "form words", "hidden text", "<table", "<u>"} {
		if strings.Contains(strings.ToLower(got), s) {
			t.Errorf("sanitised body holds %q:\n%s", s, got)
		}
	}
	// Without a base, relative links and images are dropped.
	if got := SanitizeHTML(`<p><a href="/x">words</a><img src="/i.jpg"></p>`, ""); got != "<p>words</p>" {
		t.Errorf("without a base: %q", got)
	}
	for _, empty := range []string{"", "   ", "<script>x</script>", "<p> </p>", `<img src="data:x">`} {
		if got := SanitizeHTML(empty, "https://example.com/"); got != "" {
			t.Errorf("SanitizeHTML(%q) = %q, want \"\"", empty, got)
		}
	}
}

func TestSanitizeHTMLBounds(t *testing.T) {
	// Nesting past the limit is unwrapped to its text.
	deep := strings.Repeat("<blockquote>", 200) + "deep" + strings.Repeat("</blockquote>", 200)
	got := SanitizeHTML(deep, "")
	if n := strings.Count(got, "<blockquote>"); n != maxBodyDepth || !strings.Contains(got, "deep") {
		t.Errorf("%d blockquotes kept of 200, want %d, text kept: %.80q", n, maxBodyDepth, got)
	}
	// A body past the size limit has no HTML body rather than one cut
	// short: the plain text goes out whole.
	big := strings.Repeat("<p>"+strings.Repeat("word ", 200)+"</p>", syndicate.MaxBodyLen/1000+10)
	if got := SanitizeHTML(big, ""); got != "" {
		t.Errorf("body of %d bytes sanitised to %d", len(big), len(got))
	}
	if got := RenderBodyHTML(big, emailStyles); got != "" {
		t.Errorf("stored body of %d bytes rendered to %d", len(big), len(got))
	}
	// One well within it is kept whole.
	fits := strings.Repeat("<p>"+strings.Repeat("word ", 200)+"</p>", syndicate.MaxBodyLen/2000)
	if got := SanitizeHTML(fits, ""); got != fits {
		t.Errorf("body of %d bytes sanitised to %d", len(fits), len(got))
	}
}

func TestRenderBodyHTML(t *testing.T) {
	body := SanitizeHTML(`<p>See <a href="https://example.com/a">this</a>.</p>
<img src="https://example.com/wide.jpg" width="1200" height="800" alt="Wide">
<img src="https://example.com/small.jpg" width="300" height="200">
<img src="https://example.com/unsized.jpg">`, "")
	got := string(RenderBodyHTML(body, emailStyles))
	checkAllowed(t, got, true)
	for _, s := range []string{
		`<p style="margin:0 0 16px 0;">See <a href="https://example.com/a" class="link" style="color:#1a56db;">this</a>.</p>`,
		`<img src="https://example.com/wide.jpg" alt="Wide" width="560" height="373" style="display:block;max-width:100%;height:auto;border:0"/>`,
		`<img src="https://example.com/small.jpg" width="300" height="200" style="display:block;max-width:100%;height:auto;border:0"/>`,
		`<img src="https://example.com/unsized.jpg" width="560" style="display:block;max-width:100%;height:auto;border:0"/>`,
	} {
		if !strings.Contains(got, s) {
			t.Errorf("rendered body lacks %s:\n%s", s, got)
		}
	}
	// What was stored is sanitised again: a body written to the database
	// by hand, or by a version before the sanitiser, gets no say.
	got = string(RenderBodyHTML(`<p onclick="x()">ok</p><script>alert(1)</script><a href="javascript:x">j</a><img src="/rel.jpg">`, emailStyles))
	checkAllowed(t, got, true)
	if got != `<p style="margin:0 0 16px 0;">ok</p>j` {
		t.Errorf("hostile stored body rendered as %q", got)
	}
	// A Tag writes another element, and the children are styled by their
	// own names.
	fig := BodyStyles{"figure": {Tag: "div", Style: "padding:8px 0;"}, "figcaption": {Tag: "div", Class: "muted"}}
	got = string(RenderBodyHTML(`<figure><img src="https://e.x/i.jpg" width="100" height="50"><figcaption>Cap</figcaption></figure>`, fig))
	if want := `<div style="padding:8px 0;"><img src="https://e.x/i.jpg" width="100" height="50"/><div class="muted">Cap</div></div>`; got != want {
		t.Errorf("figure rendered as %q\nwant %q", got, want)
	}
	if got := RenderBodyHTML("<script>x</script>", emailStyles); got != "" {
		t.Errorf("empty body rendered as %q", got)
	}
}

func TestMarkdownBodyHTML(t *testing.T) {
	src := `---
title: The library opens late
url: https://news.example.com/2026/library
---
# The library opens late

The council said **yes** on [Monday](/council/minutes).

![The reading room](img/room.jpg)

- first
- second

> A quote.

<script>alert(1)</script>
<a href="javascript:alert(2)">bad</a>
`
	a, err := Parse("a.md", strings.NewReader(src), opts())
	if err != nil {
		t.Fatal(err)
	}
	checkAllowed(t, a.BodyHTML, false)
	for _, s := range []string{
		`<strong>yes</strong>`,
		`<a href="https://news.example.com/council/minutes">Monday</a>`,
		`<img src="https://news.example.com/2026/img/room.jpg" alt="The reading room"/>`,
		"<li>first</li>",
		"<blockquote>\n<p>A quote.</p>\n</blockquote>",
	} {
		if !strings.Contains(a.BodyHTML, s) {
			t.Errorf("BodyHTML lacks %s:\n%s", s, a.BodyHTML)
		}
	}
	// The title heading is left out of both bodies.
	for _, s := range []string{"opens late", "alert", "javascript"} {
		if strings.Contains(a.BodyHTML, s) {
			t.Errorf("BodyHTML holds %q:\n%s", s, a.BodyHTML)
		}
	}
	// Plain text has no structure to keep.
	a, err = Parse("a.txt", strings.NewReader("A title\n\nSome text of the article.\n"), Options{Now: opts().Now, URL: "https://example.com/a"})
	if err != nil {
		t.Fatal(err)
	}
	if a.BodyHTML != "" {
		t.Errorf("text article has BodyHTML %q", a.BodyHTML)
	}
}

func TestPageBodyHTML(t *testing.T) {
	para := strings.Repeat("The council voted to keep the library open until ten at night on weekdays. ", 4)
	page := `<!doctype html><html><head><title>Library opens late</title>
<meta property="og:title" content="Library opens late"></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>Library opens late</h1>
<p>` + para + ` Read <a href="/council/minutes">the minutes</a>.</p>
<p>` + para + `</p>
<div class="share-buttons"><a href="https://facebook.com/share">Share on Facebook</a></div>
<p>` + para + `<script>alert(1)</script></p>
</article><footer>Copyright</footer></body></html>`
	a, err := FromPage([]byte(page), "https://news.example.com/2026/library", opts())
	if err != nil {
		t.Fatal(err)
	}
	checkAllowed(t, a.BodyHTML, false)
	if !strings.Contains(a.BodyHTML, `<a href="https://news.example.com/council/minutes">the minutes</a>`) {
		t.Errorf("BodyHTML lacks the resolved link:\n%s", a.BodyHTML)
	}
	for _, s := range []string{"Library opens late", "Share on Facebook", "Copyright", "alert", "News"} {
		if strings.Contains(a.BodyHTML, s) {
			t.Errorf("BodyHTML holds %q:\n%s", s, a.BodyHTML)
		}
	}
}

// FuzzSanitizeBody: whatever the input, the sanitised body and its
// rendering re-parse to allowed elements and attributes only, with no
// javascript: or event handler anywhere.
func FuzzSanitizeBody(f *testing.F) {
	f.Add(hostileBody)
	f.Add(`<a href="java&#x09;script:x">t</a><img src=" https://e.x/i.png " width=2 height=02>`)
	f.Add(`<p><p><a><a href="//x.example/">x</a></a><math><mi>x</mi></math><svg><foreignObject><p>y</p></foreignObject></svg>`)
	f.Add(`<pre>
x</pre><noscript><img src=x onerror=alert(1)></noscript><textarea><img src=https://e.x/i></textarea>`)
	f.Add(`<img src="https://e.x/a.jpg" width="99999999999" height="-3"><a href="mailto:&quot;x&quot;@e.x">m</a>`)
	f.Fuzz(func(t *testing.T, src string) {
		out := SanitizeHTML(src, "https://news.example.com/a/b")
		checkAllowed(t, out, false)
		checkAllowed(t, string(RenderBodyHTML(out, emailStyles)), true)
		// The stored body is what the renderer is given; it is read as
		// hostile too.
		checkAllowed(t, string(RenderBodyHTML(src, emailStyles)), true)
	})
}
