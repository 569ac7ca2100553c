package jobs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"syndicate"
	"syndicate/jobs"
	"syndicate/summary"
	"syndicate/templates"
)

const (
	family   = "👨\u200d👩\u200d👧\u200d👦" // ZWJ sequence, 25 bytes
	flagScot = "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F"
	thumbs   = "👍🏿" // skin tone
)

func harbourArticle() syndicate.Article {
	return syndicate.Article{
		ID:      "a_1",
		Title:   "Council approves new harbour wall after decade of debate",
		URL:     "https://news.example.com/2026/03/harbour-wall?id=7#top",
		Author:  "Jane Doe",
		Summary: "The £4m sea defence will be built in two phases, starting this autumn, after councillors voted 9–2 in favour on Sunday night. Residents of the old town say it is long overdue, and the harbour master agrees.",
		Tags:    []string{"Harbour Town", "C++", "local-news", "123"},
	}
}

// The embedded templates lay a post out as summary.Layout does, so the
// default composer writes what summary.Compose always wrote.
func TestComposePostIsDefaultLayout(t *testing.T) {
	arts := []syndicate.Article{harbourArticle(), hostile(strings.Repeat("日本語のテキスト", 50)), hostile(strings.Repeat(family, 300))}
	for _, a := range arts {
		for _, ch := range syndicate.SocialChannels {
			l := jobs.Limits(ch)
			want := summary.Compose(a, summary.Options{Limit: l.Max, Count: l.Count, MaxBytes: l.MaxBytes, LinkText: l.LinkText, Hashtags: true})
			p := jobs.ComposePost(a, ch)
			if p.Text != want {
				t.Errorf("%s:\n%q\nwant\n%q", ch, p.Text, want)
			}
			if p.ArticleID != a.ID || p.Channel != ch || p.Link != a.URL || p.Article.ID != a.ID || p.Limit != l.Max || p.Length != l.Count(p.Text) {
				t.Errorf("%s: post fields %+v", ch, p)
			}
		}
	}
}

func hostile(title string) syndicate.Article {
	a := harbourArticle()
	a.Title = title
	return a
}

func TestComposePostHostileTitles(t *testing.T) {
	link := harbourArticle().URL
	titles := map[string]string{
		"latin 300+":          strings.Repeat("Council approves the new harbour wall after a decade of debate ", 6),
		"all cjk":             strings.Repeat("港口新防波堤经过十年争论终于获得议会批准", 20),
		"zwj families":        strings.Repeat(family, 300),
		"flags and skin tone": strings.Repeat(flagScot+thumbs, 200),
		"decoded entities":    strings.Repeat(`Tom & Jerry <b>"5 < 6"</b> it's © — `, 15),
		"nothing but the url": link,
		"another url":         "https://other.example.org/" + strings.Repeat("p/", 150),
	}
	utm := jobs.Composer{UTM: map[syndicate.Channel]summary.UTM{
		syndicate.ChannelX:        {Source: "x", Medium: "social"},
		syndicate.ChannelMastodon: {Source: "mastodon", Medium: "social", Campaign: "harbour"},
		syndicate.ChannelBluesky:  {Source: "bluesky", Medium: "social", Campaign: "harbour"},
	}}
	for name, title := range titles {
		a := hostile(title)
		for _, ch := range syndicate.SocialChannels {
			l := jobs.Limits(ch)
			p, err := utm.Post(a, ch, l)
			if err != nil {
				t.Fatalf("%s %s: %v", ch, name, err)
			}
			if p.Length > l.Max || l.MaxBytes > 0 && len(p.Text) > l.MaxBytes {
				t.Errorf("%s %s: %d of %d, %d bytes:\n%s", ch, name, p.Length, l.Max, len(p.Text), p.Text)
			}
			if !utf8.ValidString(p.Text) {
				t.Errorf("%s %s: invalid UTF-8", ch, name)
			}
			// Bluesky shows the link short (its URL goes in a facet).
			shown := p.Link
			if ch == syndicate.ChannelBluesky {
				if shown = summary.ShortLink(p.Link); p.LinkText != shown || strings.Contains(p.Text, p.Link) {
					t.Errorf("%s %s: link text %q, want %q in place of the link in\n%s", ch, name, p.LinkText, shown, p.Text)
				}
			} else if p.LinkText != "" {
				t.Errorf("%s %s: link text %q, want none", ch, name, p.LinkText)
			}
			if n := strings.Count(p.Text, shown); n != 1 {
				t.Errorf("%s %s: link %q appears %d times in\n%s", ch, name, shown, n, p.Text)
			}
			if u := utm.UTM[ch]; u != (summary.UTM{}) && !strings.Contains(p.Link, "utm_source="+u.Source) {
				t.Errorf("%s %s: link %q lacks its UTM parameters", ch, name, p.Link)
			}
			// Every block before the link line is the title or the
			// summary, whole or cut at a grapheme boundary before "…".
			blocks := strings.Split(p.Text, "\n\n")
			for _, b := range blocks[:len(blocks)-1] {
				if !wholeOrCut(b, title, a.Summary) {
					t.Errorf("%s %s: block %q is neither the title nor the summary, whole or cut cleanly", ch, name, b)
				}
			}
			if name == "nothing but the url" && strings.HasPrefix(p.Text, title) {
				t.Errorf("%s: the title that is the link was kept:\n%s", ch, p.Text)
			}
		}
	}
}

// wholeOrCut reports whether b is one of originals (white space
// collapsed), or a prefix of one cut at a grapheme boundary followed by
// the ellipsis.
func wholeOrCut(b string, originals ...string) bool {
	for _, o := range originals {
		o = strings.Join(strings.Fields(o), " ")
		if b == o {
			return true
		}
		if cut, ok := strings.CutSuffix(b, summary.Ellipsis); ok && strings.HasPrefix(o, cut) && graphemeBoundary(o, len(cut)) {
			return true
		}
	}
	return false
}

func graphemeBoundary(s string, i int) bool {
	pos := 0
	for rest, state := s, -1; rest != "" && pos < i; {
		var c string
		c, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		pos += len(c)
	}
	return pos == i
}

func TestBlueskyByteLimit(t *testing.T) {
	// 300 families are within Bluesky's 300 graphemes but are 7500 bytes.
	p := jobs.ComposePost(hostile(strings.Repeat(family, 300)), syndicate.ChannelBluesky)
	if len(p.Text) > 3000 || p.Length > 300 {
		t.Fatalf("%d bytes, %d graphemes; want at most 3000 and 300", len(p.Text), p.Length)
	}
	if title, _, _ := strings.Cut(p.Text, "\n\n"); !strings.HasSuffix(title, family+summary.Ellipsis) || len(p.Text)+len(family) <= 3000 {
		t.Errorf("title %q is not the most families that fit in 3000 bytes (%d)", title, len(p.Text))
	}
}

func TestComposerUTM(t *testing.T) {
	a := harbourArticle()
	c := jobs.Composer{UTM: map[syndicate.Channel]summary.UTM{syndicate.ChannelMastodon: {Source: "mastodon", Medium: "social"}}}
	p, err := c.Post(a, syndicate.ChannelMastodon, jobs.Limits(syndicate.ChannelMastodon))
	if err != nil {
		t.Fatal(err)
	}
	want := "https://news.example.com/2026/03/harbour-wall?id=7&utm_source=mastodon&utm_medium=social#top"
	if p.Link != want || !strings.Contains(p.Text, "\n\n"+want+" #HarbourTown #LocalNews") {
		t.Errorf("link %q, text:\n%s\nwant the link %q followed by the hashtags", p.Link, p.Text, want)
	}
	if p.Article.URL != a.URL {
		t.Errorf("Post.Article.URL = %q, want the article's own %q", p.Article.URL, a.URL)
	}
	// A channel without UTM parameters posts the URL as it is.
	p, err = c.Post(a, syndicate.ChannelX, jobs.Limits(syndicate.ChannelX))
	if err != nil || p.Link != a.URL {
		t.Errorf("x: link %q, %v; want %q", p.Link, err, a.URL)
	}
}

func TestComposerTemplates(t *testing.T) {
	dir := t.TempDir()
	src := "{{.Title}}\n{{with .Author}}by {{.}}{{end}}\n\n{{.Summary}}\n\n{{.Hashtags}}\n{{.URL}}\n"
	if err := os.WriteFile(filepath.Join(dir, templates.PostMastodon), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := templates.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := harbourArticle()
	a.Summary = ""
	p, err := jobs.Composer{Templates: set}.Post(a, syndicate.ChannelMastodon, jobs.MastodonLimit(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := a.Title + "\nby Jane Doe\n\n#HarbourTown #LocalNews\n" + a.URL
	if p.Text != want {
		t.Errorf("got\n%q\nwant\n%q", p.Text, want)
	}
	// Within a small instance limit the title is shortened and the link kept.
	p, err = jobs.Composer{Templates: set}.Post(a, syndicate.ChannelMastodon, jobs.MastodonLimit(60, 23))
	if err != nil {
		t.Fatal(err)
	}
	if p.Length > 60 || p.Limit != 60 || !strings.HasSuffix(p.Text, "\n"+a.URL) || !strings.Contains(p.Text, summary.Ellipsis) {
		t.Errorf("%d/%d:\n%s", p.Length, p.Limit, p.Text)
	}
}

func TestComposerOverLimitLink(t *testing.T) {
	a := harbourArticle()
	// An instance that counts a link 23 but allows 20 characters.
	p, err := jobs.Composer{}.Post(a, syndicate.ChannelMastodon, jobs.MastodonLimit(20, 23))
	if syndicate.ErrorCode(err) != syndicate.EINVALID {
		t.Fatalf("error %v, want an invalid-input error", err)
	}
	if p.Text != a.URL || p.Length <= p.Limit {
		t.Errorf("post %q (%d/%d), want the link alone, over the limit", p.Text, p.Length, p.Limit)
	}
}

func TestComposeLongLinkKeepsTheLede(t *testing.T) {
	a := harbourArticle()
	a.URL = "https://news.example.com/" + strings.Repeat("long-slug-", 40) // 425 characters
	// X and Mastodon count any link as 23; Bluesky, which counts a link in
	// full, shows it short with the URL in a facet: on each the title and
	// the lede keep their room.
	for _, ch := range syndicate.SocialChannels {
		p, err := jobs.Composer{}.Post(a, ch, jobs.Limits(ch))
		if err != nil {
			t.Fatalf("%s: %v", ch, err)
		}
		if !strings.HasPrefix(p.Text, a.Title+"\n\nThe £4m sea defence") {
			t.Errorf("%s: the long link ate the title or lede:\n%s", ch, p.Text)
		}
		if p.Link != a.URL || p.Length > p.Limit {
			t.Errorf("%s: link %q, %d/%d", ch, p.Link, p.Length, p.Limit)
		}
	}
	p := jobs.ComposePost(a, syndicate.ChannelBluesky)
	if p.LinkText != "news.example.com/long-slug-lo…" || !strings.Contains(p.Text, "\n\n"+p.LinkText) || strings.Contains(p.Text, a.URL) {
		t.Errorf("bluesky: link text %q in\n%s", p.LinkText, p.Text)
	}
}

func TestComposePostWithin(t *testing.T) {
	a := harbourArticle()
	if got, want := jobs.ComposePostWithin(a, syndicate.ChannelMastodon, jobs.Limit{}), jobs.ComposePost(a, syndicate.ChannelMastodon); got.Text != want.Text || got.Limit != 500 {
		t.Errorf("zero limit: %q (limit %d), want the default %q", got.Text, got.Limit, want.Text)
	}
	p := jobs.ComposePostWithin(a, syndicate.ChannelMastodon, jobs.MastodonLimit(120, 30))
	if p.Limit != 120 || p.Length > 120 {
		t.Errorf("%d/%d:\n%s", p.Length, p.Limit, p.Text)
	}
	// Bluesky keeps its byte limit when only a grapheme limit is given.
	p = jobs.ComposePostWithin(hostile(strings.Repeat(family, 300)), syndicate.ChannelBluesky, jobs.Limit{Max: 300})
	if len(p.Text) > 3000 {
		t.Errorf("%d bytes > 3000", len(p.Text))
	}
}

func TestComposePostOtherChannel(t *testing.T) {
	// A channel without a post template gets the default layout within X's rule.
	a := harbourArticle()
	if got, want := jobs.ComposePost(a, "myspace").Text, jobs.ComposePost(a, syndicate.ChannelX).Text; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
