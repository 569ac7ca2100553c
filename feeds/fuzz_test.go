package feeds

import (
	"bytes"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"

	"syndicate"
)

// FuzzFeedItems parses a feed of any format and turns its items into
// articles as a poll does. Whatever the feed, nothing panics, every key and
// article field is valid UTF-8, a key is short enough to store, and an
// article's link is the item's own, absolute and canonical, and its image
// absolute.
func FuzzFeedItems(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>T</title><link>https://site.example/blog/</link>
<item><guid>g1</guid><title>Caf&#233; &amp;amp; &lt;b&gt;cr&#232;me&lt;/b&gt;</title><link>post/1?utm_source=rss#top</link><description>&lt;p&gt;One.&lt;/p&gt;&lt;script&gt;x&lt;/script&gt;</description>
<media:thumbnail url="../img/1.jpg"/><enclosure url="/a.png" type="image/png" length="1"/><category>News</category><pubDate>Sun, 02 Mar 2025 09:00:00 +0000</pubDate></item>
<item><title>No GUID</title><link>https://site.example/2</link></item></channel></rss>`))
	f.Add([]byte(`<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://site.example/"><title>S</title><link href="/blog/"/><id>urn:s</id>
<entry><id>urn:1</id><title type="html">A &amp;lt;i&amp;gt;b</title><link href="entry/1"/><updated>2025-03-02T10:00:00Z</updated>
<author><name>Ada</name></author><content type="html">&lt;p&gt;P1&lt;/p&gt;&lt;p&gt;P2&lt;/p&gt;</content><link rel="enclosure" type="image/jpeg" href="//cdn.example/c.jpg"/></entry></feed>`))
	f.Add([]byte(`{"version":"https://jsonfeed.org/version/1.1","title":"S","home_page_url":"https://site.example/blog/","authors":[{"name":"Ada"}],
"items":[{"id":"1","title":"T \u0000\u202e x","url":"/p/1","content_html":"<p>a</p>","image":"javascript:alert(1)","tags":["a","A"],"date_published":"9999-01-01T00:00:00Z"},
{"id":"\ud800\u0000","url":"https://xn--caf-dma.example/\u00e9","title":"\u001b[31mred"}]}`))
	f.Add([]byte(`<rss version="2.0"><channel><link>http://[::1]:80/</link><item><guid>` + strings.Repeat("k", 600) + `</guid><title>t</title><link>HTTP://User:pw@Site.Example:80/a</link></item></channel></rss>`))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		feed, err := gofeed.NewParser().Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		p := &Poller{}
		for _, e := range p.entries("https://feeds.example/blog/feed.xml", feed) {
			for _, k := range e.keys {
				if k == "" || !utf8.ValidString(k) || len(k) > maxKeyLen || strings.ContainsFunc(k, unicode.IsControl) {
					t.Fatalf("key %q cannot be stored", k)
				}
			}
			a, err := itemArticle(feed, e.item, now)
			if err != nil {
				if syndicate.ErrorCode(err) != syndicate.EINVALID {
					t.Fatalf("item refused with %v, not as invalid", err)
				}
				continue
			}
			if err := a.Validate(); err != nil {
				t.Fatalf("article does not validate: %v", err)
			}
			for name, s := range map[string]string{"title": a.Title, "url": a.URL, "author": a.Author, "summary": a.Summary, "body": a.Body, "image": a.Image, "tags": strings.Join(a.Tags, "\n")} {
				if !utf8.ValidString(s) {
					t.Fatalf("%s %q is not valid UTF-8", name, s)
				}
			}
			canon, err := syndicate.CanonicalURL(e.item.Link)
			if err != nil || a.URL != canon || a.ID != syndicate.ArticleID(canon) {
				t.Fatalf("article URL %q, ID %s; the item's link %q is %q (%v)", a.URL, a.ID, e.item.Link, canon, err)
			}
			if u, err := url.Parse(a.URL); err != nil || !u.IsAbs() || u.Host == "" {
				t.Fatalf("article URL %q is not absolute", a.URL)
			}
			if a.Image != "" {
				if u, err := url.Parse(a.Image); err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
					t.Fatalf("image %q is not an absolute http(s) URL", a.Image)
				}
			}
		}
	})
}
