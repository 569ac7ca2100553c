package jobs_test

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"syndicate"
	"syndicate/jobs"
	"syndicate/summary"
)

// FuzzCompose writes the post of a random article for every social
// channel through the embedded post templates, with UTM parameters, and
// checks it: within the channel's limit as it counts it (X weighted, 280;
// Mastodon 500 or what the instance says, a URL counting what it
// reserves; Bluesky 300 graphemes and 3000 bytes), valid UTF-8, the link
// kept, and every other block the title or the lede, whole or cut at a
// word boundary before the ellipsis.
func FuzzCompose(f *testing.F) {
	a := harbourArticle()
	f.Add(a.Title, a.Summary, a.Body, a.URL, strings.Join(a.Tags, ","), uint16(0), uint8(0))
	f.Add(strings.Repeat(family, 300), "", "\n\nFirst paragraph.\n\nSecond.", "https://例え.jp/記事/1", "日本,C++", uint16(100), uint8(23))
	f.Add(strings.Repeat("Council approves the new harbour wall ", 12), strings.Repeat("港口新防波堤经过十年争论终于获得议会批准。", 30), "", a.URL, "", uint16(0), uint8(0))
	f.Add(a.URL, a.URL, "", a.URL, "#a", uint16(60), uint8(1))
	f.Add(`Tom & Jerry <b>"5 < 6"</b> {{.URL}} =?utf-8?q?x?=`, "{{template \"x\"}}", "", "https://example.com/"+strings.Repeat("p/", 150), "a-b,c d", uint16(0), uint8(0))
	f.Fuzz(func(t *testing.T, title, lede, body, rawLink, tags string, maxChars uint16, perURL uint8) {
		link, err := syndicate.CanonicalURL(rawLink)
		if err != nil {
			link = "https://example.com/a?q=" + url.QueryEscape(rawLink)
		}
		art := syndicate.Article{
			ID: syndicate.ArticleID(link), Title: title, Summary: lede, Body: body, URL: link,
			Tags: strings.Split(tags, ","),
		}
		c := jobs.Composer{UTM: map[syndicate.Channel]summary.UTM{
			syndicate.ChannelX:        {Source: "x", Medium: "social"},
			syndicate.ChannelMastodon: {Source: "mastodon", Medium: "social", Campaign: "fuzz"},
		}}
		// Blocks are compared with the text as the composer uses it, with
		// invalid UTF-8 replaced.
		title = strings.ToValidUTF8(title, "\uFFFD")
		lede = strings.ToValidUTF8(summary.ArticleFields(art).Summary, "\uFFFD")
		for _, ch := range syndicate.SocialChannels {
			l := jobs.Limits(ch)
			if ch == syndicate.ChannelMastodon {
				// What an instance's /api/v2/instance may say.
				l = jobs.MastodonLimit(int(maxChars%2000), int(perURL%64))
			}
			p, err := c.Post(art, ch, l)
			over := p.Length > l.Max || l.MaxBytes > 0 && len(p.Text) > l.MaxBytes
			if err != nil {
				// Only a link that alone is over the limit may fail, and
				// then the post is that link.
				if !over || p.Text != p.Link || syndicate.ErrorCode(err) != syndicate.EINVALID {
					t.Fatalf("%s: %v (post %q)", ch, err, p.Text)
				}
				continue
			}
			if over {
				t.Fatalf("%s: %d of %d, %d bytes, without an error:\n%s", ch, p.Length, l.Max, len(p.Text), p.Text)
			}
			if p.Length != l.Count(p.Text) {
				t.Fatalf("%s: length %d, but the text counts %d", ch, p.Length, l.Count(p.Text))
			}
			if !utf8.ValidString(p.Text) {
				t.Fatalf("%s: invalid UTF-8: %q", ch, p.Text)
			}
			// Bluesky shows a short text for the link (its facet carries
			// the whole URL); the other networks show the link itself.
			shown := p.Link
			if p.LinkText != "" {
				shown = p.LinkText
			}
			if !strings.HasPrefix(p.Link, link) || !strings.Contains(p.Text, shown) {
				t.Fatalf("%s: link %q (of %q) missing from\n%s", ch, shown, link, p.Text)
			}
			blocks := strings.Split(p.Text, "\n\n")
			if last := blocks[len(blocks)-1]; last != shown && !strings.HasPrefix(last, shown+" #") {
				t.Fatalf("%s: last block %q is not the link %q and hashtags", ch, last, shown)
			}
			for _, b := range blocks[:len(blocks)-1] {
				if !wholeOrWordCut(b, title, lede) {
					t.Fatalf("%s: block %q is neither the title nor the lede, whole or cut at a word boundary\ntitle %q\nlede %q", ch, b, title, lede)
				}
			}
		}
	})
}

// wholeOrWordCut reports whether b is one of originals with white space
// collapsed, or the end of one (the lede less a repeated title), or a
// prefix of one followed by the ellipsis that ends at a grapheme boundary
// that is a word boundary too, unless it lies inside a word too long to
// keep whole (text without spaces).
func wholeOrWordCut(b string, originals ...string) bool {
	for _, o := range originals {
		o = strings.Join(strings.Fields(o), " ")
		if b == o || strings.HasSuffix(o, b) {
			return true
		}
		cut, ok := strings.CutSuffix(b, summary.Ellipsis)
		if !ok || cut == "" || !strings.HasPrefix(o, cut) || !graphemeBoundary(o, len(cut)) {
			continue
		}
		if wordBoundary(o, len(cut)) || wordAt(o, len(cut)) > 20 {
			return true
		}
	}
	return false
}

// wordBoundary reports whether i is a word boundary of s.
func wordBoundary(s string, i int) bool {
	pos := 0
	for rest, state := s, -1; rest != "" && pos < i; {
		var w string
		w, rest, state = uniseg.FirstWordInString(rest, state)
		pos += len(w)
	}
	return pos == i
}

// wordAt returns the length in graphemes of the word of s spanning i.
func wordAt(s string, i int) int {
	pos := 0
	for rest, state := s, -1; rest != ""; {
		var w string
		w, rest, state = uniseg.FirstWordInString(rest, state)
		if pos < i && i < pos+len(w) {
			return uniseg.GraphemeClusterCount(w)
		}
		pos += len(w)
	}
	return 0
}
