package summary

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"syndicate"
	"syndicate/textlen"
)

// Emoji that are one grapheme but several code points, the ones a careless
// cut splits.
const (
	family     = "👨\u200d👩\u200d👧\u200d👦"                                        // ZWJ sequence, 25 bytes
	flagUA     = "🇺🇦"                                                            // regional indicator pair
	flagScot   = "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F" // tag sequence, 28 bytes
	thumbsDark = "👍🏿"                                                            // skin tone
	coupleKiss = "👩🏽\u200d❤\ufe0f\u200d💋\u200d👨🏿"                                // ZWJ with skin tones
)

// channel is one network's limit as the composer is given it.
type channel struct {
	name string
	o    Options
}

var channels = []channel{
	{"x", Options{Limit: textlen.XLimit, Count: textlen.X}},
	{"mastodon", Options{Limit: textlen.MastodonDefaultLimit, Count: mastodon}},
	{"bluesky", Options{Limit: textlen.BlueskyLimit, Count: textlen.Bluesky, MaxBytes: textlen.BlueskyMaxBytes}},
}

// hostileTitles are titles that have broken composers.
func hostileTitles(link string) map[string]string {
	return map[string]string{
		"latin 300+":          strings.Repeat("Council approves the new harbour wall after a decade of debate, ", 6),
		"one 400-char word":   strings.Repeat("x", 400),
		"all cjk":             strings.Repeat("港口新防波堤经过十年争论终于获得议会批准", 20),
		"cjk with spaces":     strings.Repeat("日本語 の テキスト ", 60),
		"korean":              strings.Repeat("항구 방파제 승인 ", 60),
		"zwj families":        strings.Repeat(family, 320),
		"flags":               strings.Repeat(flagUA+flagScot, 200),
		"skin tones":          strings.Repeat(thumbsDark+coupleKiss, 200),
		"emoji words":         strings.Repeat(family+" "+flagScot+" "+thumbsDark+" ", 120),
		"decoded entities":    strings.Repeat("Tom & Jerry <b>\"quoted\"</b> it's © 2026 — 5 < 6 > 4 ", 12),
		"nothing but the url": link,
		"url shouted":         strings.ToUpper(link[:strings.Index(link, "://")+3]) + link[strings.Index(link, "://")+3:],
		"another url":         "https://other.example.org/" + strings.Repeat("path/", 60),
		"url and words":       "Read " + link + " today " + strings.Repeat("and more words ", 30),
		"combining marks":     strings.Repeat("Z\u0351\u0346\u034a\u0300a\u0352\u0301l\u0315g\u0310o ", 80),
	}
}

var hostileLinks = []string{
	"https://example.com/a",
	WithUTM("https://news.example.co.uk/2026/03/harbour-wall?id=42#comments", UTM{Source: "x", Medium: "social", Campaign: "spring"}),
	"https://例え.jp/記事/1",
}

func TestComposeHostileTitlesEveryChannel(t *testing.T) {
	summaries := map[string]string{
		"no summary":   "",
		"long summary": strings.Repeat("The £4m sea defence will be built in two phases, starting this autumn. ", 10),
		"cjk summary":  strings.Repeat("港口新防波堤经过十年争论终于获得议会批准。", 30),
	}
	for _, link := range hostileLinks {
		for tname, title := range hostileTitles(link) {
			for sname, sum := range summaries {
				for _, ch := range channels {
					t.Run(fmt.Sprintf("%s/%s/%s/%s", ch.name, tname, sname, link), func(t *testing.T) {
						f := Fields{Title: title, Summary: sum, URL: link, Hashtags: []string{"Harbour", "C++", "日本", "Local News"}}
						got, err := ComposeWith(Layout, f, ch.o)
						if err != nil {
							t.Fatal(err)
						}
						checkFitted(t, got, f, ch.o)
					})
				}
			}
		}
	}
}

// checkFitted asserts what must hold of any post made from f with Layout.
func checkFitted(t *testing.T, got string, f Fields, o Options) {
	t.Helper()
	if !utf8.ValidString(got) {
		t.Fatalf("invalid UTF-8: %q", got)
	}
	if n := o.Count(got); n > o.Limit {
		t.Errorf("length %d > limit %d:\n%s", n, o.Limit, got)
	}
	if o.MaxBytes > 0 && len(got) > o.MaxBytes {
		t.Errorf("%d bytes > %d:\n%s", len(got), o.MaxBytes, got)
	}
	// A title or summary that quotes the link among other words keeps it;
	// otherwise the link is there exactly once.
	quoted := strings.Count(f.Title, f.URL) + strings.Count(f.Summary, f.URL)
	if n := strings.Count(got, f.URL); n < 1 || quoted == 0 && n != 1 {
		t.Errorf("link %q appears %d times in\n%s", f.URL, n, got)
	}
	blocks := strings.Split(got, "\n\n")
	if last := blocks[len(blocks)-1]; last != f.URL && !strings.HasPrefix(last, f.URL+" #") {
		t.Fatalf("last block %q is not the link %q and hashtags", last, f.URL)
	}
	originals := []string{collapseRef(f.Title), collapseRef(f.Summary)}
	for _, b := range blocks[:len(blocks)-1] {
		if b == originals[0] || b == originals[1] || strings.HasSuffix(originals[1], b) {
			continue // whole, or the summary less a repeated title
		}
		cut, ok := strings.CutSuffix(b, Ellipsis)
		if !ok {
			t.Errorf("block %q is neither whole nor shortened with %q", b, Ellipsis)
			continue
		}
		if !cleanCutOfAny(cut, originals) {
			t.Errorf("shortened block %q is not cut at a grapheme and word boundary", b)
		}
	}
	if again, err := ComposeWith(Layout, f, o); err != nil || again != got {
		t.Errorf("not deterministic:\n%q\n%q (%v)", got, again, err)
	}
}

func TestComposeTitleThatIsTheLinkAppearsOnce(t *testing.T) {
	raw := "https://example.com/2026/03/harbour-wall"
	link := WithUTM(raw, UTM{Source: "mastodon", Medium: "social"})
	for _, title := range []string{raw, link, "HTTPS://Example.COM/2026/03/harbour-wall", " " + raw + " "} {
		for _, ch := range channels {
			got, err := ComposeWith(Layout, Fields{Title: title, Summary: raw, URL: link}, ch.o)
			if err != nil {
				t.Fatal(err)
			}
			if got != link {
				t.Errorf("%s, title %q: got %q, want the link alone", ch.name, title, got)
			}
		}
	}
}

func TestComposeDecodedEntitiesVerbatim(t *testing.T) {
	f := Fields{Title: `Tom & Jerry: <b>"5 < 6"</b> it's`, URL: "https://example.com/a"}
	got, err := ComposeWith(Layout, f, channels[0].o)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.Title + "\n\n" + f.URL; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestComposeBlueskyBytes(t *testing.T) {
	// 300 ZWJ families are 300 graphemes, within Bluesky's grapheme limit,
	// but 7500 bytes, far over its byte limit.
	link := "https://example.com/a"
	f := Fields{Title: strings.Repeat(family, 300), URL: link}
	bsky := channels[2].o
	got, err := ComposeWith(Layout, f, bsky)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat(family, (3000-len("…\n\n"+link))/len(family)) + "…\n\n" + link
	if got != want {
		t.Errorf("got %d bytes %q\nwant %d bytes %q", len(got), got, len(want), want)
	}
	noBytes := bsky
	noBytes.MaxBytes = 0
	if got, err := ComposeWith(Layout, f, noBytes); err != nil || len(got) <= 3000 {
		t.Errorf("without MaxBytes the post should be cut by graphemes only, to more than 3000 bytes; got %d bytes, %v", len(got), err)
	}
}

func TestComposeWithLayoutIsCompose(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		a := syndicate.Article{
			Title:   hostileText(r, 1+r.IntN(80)),
			Summary: hostileText(r, r.IntN(150)),
			URL:     hostileLinks[r.IntN(len(hostileLinks))],
			Tags:    []string{"Cyber Security", "123", "日本", "C++", "go-lang", "x", "Y"}[:r.IntN(8)],
		}
		for _, ch := range channels {
			o := ch.o
			o.Hashtags = true
			got, err := ComposeWith(Layout, ArticleFields(a), o)
			if want := Compose(a, o); err != nil || got != want {
				t.Fatalf("%s: ComposeWith(Layout) = %q, %v; Compose = %q", ch.name, got, err, want)
			}
		}
	}
}

// byline is a template with an author line, written without care for
// empty fields, as an editor might.
func byline(f Fields) (string, error) {
	return fmt.Sprintf("%s\nby %s\n\n\n%s\n\n%s %s\n", f.Title, f.Author, f.Summary, f.URL, strings.Join(f.Hashtags, " ")), nil
}

func TestComposeWithTemplate(t *testing.T) {
	const link = "https://example.com/a"
	x := Options{Limit: textlen.XLimit, Count: textlen.X}
	tests := []struct {
		name string
		f    Fields
		o    Options
		want string
	}{
		{
			name: "everything",
			f:    Fields{Title: "Hello", Summary: "World.", URL: link, Hashtags: []string{"Go", "#Rust"}, Author: "Ada  Lovelace"},
			o:    x,
			want: "Hello\nby Ada Lovelace\n\nWorld.\n\n" + link + " #Go #Rust",
		},
		{
			name: "empty fields leave no stray lines or spaces",
			f:    Fields{URL: link},
			o:    x,
			want: "by\n\n" + link,
		},
		{
			name: "invalid and repeated hashtags left out, three at most",
			f:    Fields{Title: "T", URL: link, Hashtags: []string{"C++", "go", "Go", "123", "a b", "c", "d"}},
			o:    x,
			want: "T\nby\n\n" + link + " #go #AB #c",
		},
		{
			name: "hashtags dropped from the end first",
			f:    Fields{Title: "Title", Summary: "Summary.", URL: link, Hashtags: []string{"One", "Two", "Three"}},
			o:    Options{Limit: len("Title\nby\n\nSummary.\n\n") + 23 + len(" #One #Two"), Count: textlen.X},
			want: "Title\nby\n\nSummary.\n\n" + link + " #One #Two",
		},
		{
			name: "summary cut before the title",
			f:    Fields{Title: "Title words", Summary: strings.Repeat("word ", 60), URL: link, Author: "Ada"},
			o:    Options{Limit: 120, Count: textlen.X},
			// X weighs "…" 2: 20 + 14 words (69) + 2 + 2 + 23 = 116; a 15th word makes 121.
			want: "Title words\nby Ada\n\n" + strings.TrimSpace(strings.Repeat("word ", 14)) + "…\n\n" + link,
		},
		{
			name: "title cut once the summary is gone",
			f:    Fields{Title: "The quick brown fox jumps over the lazy dog again and again", Summary: "Lede.", URL: link, Author: "Ada"},
			o:    Options{Limit: 60, Count: textlen.X},
			want: "The quick brown fox jumps…\nby Ada\n\n" + link, // 25 + 2 + 1 + 6 + 2 + 23 = 59; "over" would make 64
		},
		{
			name: "author dropped when nothing else is left",
			f:    Fields{Title: "Title", URL: link, Author: "A very long byline that cannot fit"},
			o:    Options{Limit: 33, Count: textlen.X},
			want: "by\n\n" + link,
		},
		{
			name: "bare link when not even the template's words fit",
			f:    Fields{Title: "Title", URL: link},
			o:    Options{Limit: 24, Count: textlen.X},
			want: link,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ComposeWith(byline, tt.f, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			if n := tt.o.Count(got); n > tt.o.Limit {
				t.Errorf("length %d > %d", n, tt.o.Limit)
			}
		})
	}
}

func TestComposeWithErrors(t *testing.T) {
	f := Fields{Title: "T", URL: "https://example.com/a"}
	boom := errors.New("boom")
	if _, err := ComposeWith(func(Fields) (string, error) { return "", boom }, f, Options{}); !errors.Is(err, boom) {
		t.Errorf("fill error: got %v, want %v", err, boom)
	}
	noLink := func(f Fields) (string, error) { return f.Title, nil }
	if _, err := ComposeWith(noLink, f, Options{}); err == nil || !strings.Contains(err.Error(), f.URL) {
		t.Errorf("template without the link: got %v, want an error naming the link", err)
	}
}

func TestTidy(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\n\n  Title  \n\n\n\n\nSummary \t\n\nhttps://e.com/a \n", "Title\n\nSummary\n\nhttps://e.com/a"},
		{"a  b\r\n\r\n\r\nc", "a b\n\nc"},
		{"  \n \n", ""},
	}
	for _, tt := range tests {
		if got := tidy(tt.in); got != tt.want {
			t.Errorf("tidy(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWithUTM(t *testing.T) {
	all := UTM{Source: "x", Medium: "social", Campaign: "spring sale"}
	tests := []struct {
		name, in string
		p        UTM
		want     string
	}{
		{"none set", "https://e.com/a?b=1#c", UTM{}, "https://e.com/a?b=1#c"},
		{"plain", "https://e.com/a", all, "https://e.com/a?utm_source=x&utm_medium=social&utm_campaign=spring+sale"},
		{"only those set", "https://e.com/a", UTM{Source: "mastodon"}, "https://e.com/a?utm_source=mastodon"},
		{"existing query kept as written", "https://e.com/a?z=1&a=%2F&flag", UTM{Source: "x"}, "https://e.com/a?z=1&a=%2F&flag&utm_source=x"},
		{"fragment stays last", "https://e.com/a?b=1#sec-2", UTM{Medium: "social"}, "https://e.com/a?b=1&utm_medium=social#sec-2"},
		{"fragment without query", "https://e.com/a#top", UTM{Source: "x"}, "https://e.com/a?utm_source=x#top"},
		{"empty query", "https://e.com/a?", UTM{Source: "x"}, "https://e.com/a?utm_source=x"},
		{"existing utm replaced", "https://e.com/a?utm_source=old&id=4&UTM_Medium=m", UTM{Source: "x"}, "https://e.com/a?id=4&UTM_Medium=m&utm_source=x"},
		{"escaped values", "https://e.com/a", UTM{Campaign: "a&b=c#d"}, "https://e.com/a?utm_campaign=a%26b%3Dc%23d"},
		{"not a url", "not a url", all, "not a url"},
		{"empty", "", all, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WithUTM(tt.in, tt.p); got != tt.want {
				t.Errorf("WithUTM(%q, %+v) = %q, want %q", tt.in, tt.p, got, tt.want)
			}
		})
	}
	// The article behind a link with UTM parameters is the same article.
	in := "https://e.com/a?b=1#c"
	a, err1 := syndicate.CanonicalURL(in)
	b, err2 := syndicate.CanonicalURL(WithUTM(in, all))
	if err1 != nil || err2 != nil || a != b {
		t.Errorf("canonical URLs differ: %q (%v), %q (%v)", a, err1, b, err2)
	}
}

func TestHashtags(t *testing.T) {
	got := Hashtags([]string{"Go", "C++", "go", "cyber security", "#Rust", "123", "日本"})
	want := []string{"#Go", "#CyberSecurity", "#Rust", "#日本"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Hashtags = %q, want %q", got, want)
	}
}
