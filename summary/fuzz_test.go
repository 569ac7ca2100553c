package summary

import (
	"net/url"
	"strings"
	"testing"

	"syndicate"
	"syndicate/textlen"
)

// fuzzLink makes the fuzzer's raw link into what an article can have: a
// canonical URL, or else one that carries the raw text in its query, so
// every input still reaches the composer with a real link.
func fuzzLink(raw string) string {
	if u, err := syndicate.CanonicalURL(raw); err == nil {
		return u
	}
	return "https://example.com/a?q=" + url.QueryEscape(raw)
}

// validUTF8 is s with each invalid UTF-8 sequence replaced, as the
// composer replaces it.
func validUTF8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// FuzzFit fits random titles, ledes, links and tags to every network's
// limit and checks the post: within the limit as that network counts it,
// valid UTF-8, every shortened part cut at a word (or grapheme, in text
// without spaces) boundary before the ellipsis, and the link kept whole
// on the last line. A link that alone is over the limit is the whole post.
func FuzzFit(f *testing.F) {
	f.Add(trumpArticle.Title, trumpArticle.Summary, trumpArticle.URL, strings.Join(trumpArticle.Tags, ","))
	for name, title := range hostileTitles(hostileLinks[1]) {
		f.Add(title, "The £4m sea defence will be built in two phases. "+name, hostileLinks[1], "Harbour,C++,日本,Local News")
	}
	f.Add(strings.Repeat("港口新防波堤", 80), strings.Repeat(family+" ", 200), "https://例え.jp/記事/1", "")
	f.Add("Read https://example.com/a now", "https://example.com/a", "https://example.com/a", "a,#b,c d")
	f.Add("x", "", "https://example.com/"+strings.Repeat("long-slug-", 40), "tag")
	f.Add("0", "\x80", "0", "") // invalid UTF-8 went into the post as it was
	f.Add("=?utf-8?q?hi?=", "line\r\nbreak\ttab\u00a0nbsp\u200bzw\u202erlo", "not a url", "#,##,-")
	f.Fuzz(func(t *testing.T, title, lede, rawLink, tags string) {
		link := fuzzLink(rawLink)
		raw := Fields{Title: title, Summary: lede, URL: link, Hashtags: strings.Split(tags, ",")}
		// The post is checked against the text as the composer may use
		// it, with invalid UTF-8 replaced; checkFitted composes f again
		// and wants the same post.
		f := raw
		f.Title, f.Summary = validUTF8(title), validUTF8(lede)
		for _, ch := range channels {
			got, err := ComposeWith(Layout, raw, ch.o)
			if err != nil {
				t.Fatalf("%s: %v", ch.name, err)
			}
			if ch.o.Count(link) > ch.o.Limit || ch.o.MaxBytes > 0 && len(link) > ch.o.MaxBytes {
				if got != link {
					t.Fatalf("%s: the link alone is over the limit, so the post should be just the link; got %q", ch.name, got)
				}
				continue
			}
			// checkFitted also checks the hashtags come after the link:
			// those it printed, if any, are after f.URL on the last line.
			checkFitted(t, got, f, ch.o)

			a := syndicate.Article{Title: f.Title, Summary: f.Summary, URL: link, Tags: f.Hashtags}
			o := ch.o
			o.Hashtags = true
			checkPost(t, a, o)
			a.Title, a.Summary = title, lede
			if raw := Compose(a, o); raw != Compose(syndicate.Article{Title: f.Title, Summary: f.Summary, URL: link, Tags: f.Hashtags}, o) {
				t.Fatalf("%s: invalid UTF-8 changed the post beyond its replacement: %q", ch.name, raw)
			}
		}
	})
}

// FuzzFitSmall is FuzzFit at a limit the fuzzer chooses, as a Mastodon
// instance may set one, down to one barely above its link.
func FuzzFitSmall(f *testing.F) {
	f.Add(trumpArticle.Title, trumpArticle.Summary, uint16(60), uint8(23))
	f.Add(strings.Repeat(family, 40), strings.Repeat("日本語 の テキスト ", 20), uint16(30), uint8(1))
	f.Add("A b c d e f g h i j k", "Lorem ipsum dolor sit amet, consectetur adipiscing elit.", uint16(40), uint8(0))
	f.Fuzz(func(t *testing.T, title, lede string, limit uint16, perURL uint8) {
		link := trumpArticle.URL
		w := int(perURL%64) + 1
		o := Options{Limit: int(limit % 1200), Count: func(s string) int { return textlen.Mastodon(s, w) }}
		if o.Limit <= 0 {
			o.Limit = 1
		}
		f := Fields{Title: title, Summary: lede, URL: link, Hashtags: []string{"Cyber Security", "Russia"}}
		got, err := ComposeWith(Layout, f, o)
		f.Title, f.Summary = validUTF8(title), validUTF8(lede)
		if err != nil {
			t.Fatal(err)
		}
		if o.Count(link) > o.Limit {
			if got != link {
				t.Fatalf("the link alone is over the limit %d, so the post should be just the link; got %q", o.Limit, got)
			}
			return
		}
		checkFitted(t, got, f, o)
	})
}
