package textlen

import (
	"strings"
	"testing"
)

const (
	family   = "👨\u200d👩\u200d👧\u200d👦" // ZWJ sequence, one grapheme
	flagUS   = "🇺🇸"
	flagEng  = "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F" // tag sequence
	keycap1  = "1\ufe0f\u20e3"
	thumbsMS = "👍🏽"      // skin tone
	eAcute   = "e\u0301" // decomposed é
	cjk      = "日本語のテキスト"
	heart    = "\u2764\ufe0f" // text-default pictograph asked to be emoji
)

func TestX(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"empty", "", 0},
		{"ascii", "Hello, world", 12},
		{"accented composed", "café", 4},
		{"accented decomposed is normalised", "caf" + eAcute, 4},
		{"cjk weighs two", cjk, 16},
		{"emoji", "🐱", 2},
		{"zwj family once", family, 2},
		{"flag once", flagUS, 2},
		{"subdivision flag once", flagEng, 2},
		{"keycap once", keycap1, 2},
		{"skin tone once", thumbsMS, 2},
		{"heart with selector once", heart, 2},
		{"url weighs 23", "Read https://example.com/a/very/long/path/that/goes/on/and/on", 5 + 23},
		{"url without scheme weighs 23", "see example.com", 4 + 23},
		{"two urls", "https://a.example.com https://b.example.org/x", 23 + 1 + 23},
		{"dotted word is not a url", "e.g. this", 9},
		{"mixed", "Hi " + family + " " + cjk, 3 + 2 + 1 + 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := X(tt.in); got != tt.want {
				t.Errorf("X(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestGraphemes(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"caf" + eAcute, 4},
		{cjk, 8},
		{family, 1},
		{flagUS + flagUS, 2},
		{flagEng, 1},
		{keycap1, 1},
		{thumbsMS, 1},
		{"Ĺo͂ř", 3},
	}
	for _, tt := range tests {
		if got := Graphemes(tt.in); got != tt.want {
			t.Errorf("Graphemes(%q) = %d, want %d", tt.in, got, tt.want)
		}
		if got := Bluesky(tt.in); got != tt.want {
			t.Errorf("Bluesky(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestMastodon(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", 200)
	tests := []struct {
		name      string
		in        string
		urlWeight int
		want      int
	}{
		{"plain", "Hello", 23, 5},
		{"long url counts 23", "Read " + long + " now", 23, 5 + 23 + 4},
		{"instance weight", "Read " + long, 30, 5 + 30},
		{"url without scheme counts in full", "see example.com", 23, 15},
		{"emoji graphemes", family + flagUS + " " + long, 23, 3 + 23},
		{"cjk and accents", cjk + " caf" + eAcute, 23, 8 + 1 + 4},
		{"two urls", long + " " + long, 23, 23 + 1 + 23},
		// Mastodon's URL path may not end with "=": the URL ends before it,
		// and what followed is text.
		{"path ending in =", "see https://example.com/a== now", 23, 4 + 23 + 2 + 4},
		{"path ending in = before a query", "https://example.com/a=?x=1", 23, 23 + 5},
		{"query ending in = is kept", "https://example.com/a?x=", 23, 23},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mastodon(tt.in, tt.urlWeight); got != tt.want {
				t.Errorf("Mastodon(%q, %d) = %d, want %d", tt.in, tt.urlWeight, got, tt.want)
			}
		})
	}
}

func TestBluesky(t *testing.T) {
	// Bluesky counts links in full, unlike X and Mastodon.
	s := "Read https://example.com/" + strings.Repeat("a", 100)
	if got, want := Bluesky(s), len(s); got != want {
		t.Errorf("Bluesky(%q) = %d, want %d", s, got, want)
	}
}

func TestExtractURLsOffsets(t *testing.T) {
	s := "日本 https://example.com/ä?x=1 and www.example.org."
	got := ExtractURLs(s)
	want := []string{"https://example.com/ä?x=1", "www.example.org"}
	if len(got) != len(want) {
		t.Fatalf("ExtractURLs(%q) = %+v, want %q", s, got, want)
	}
	for i, u := range got {
		if u.URL != want[i] || s[u.Start:u.End] != want[i] {
			t.Errorf("URL %d = %+v, want %q at its offsets", i, u, want[i])
		}
	}
	if !got[0].HasScheme() || got[1].HasScheme() {
		t.Errorf("HasScheme = %v, %v; want true, false", got[0].HasScheme(), got[1].HasScheme())
	}
}

func TestLongInputs(t *testing.T) {
	// Long runs without spaces must not make extraction quadratic enough
	// to matter; these finish in milliseconds.
	inputs := []string{
		strings.Repeat("日本語", 20000) + ".",
		strings.Repeat("a", 100000) + ".com",
		strings.Repeat("a.", 20000) + "com",
		strings.Repeat(family, 5000),
	}
	for _, s := range inputs {
		if X(s) <= 0 {
			t.Errorf("X of a %d-byte input is not positive", len(s))
		}
	}
}

func TestLongEncodedAndIDNURLsCount23(t *testing.T) {
	// A 300-character percent-encoded link, as a Japanese slug becomes,
	// and links on IDN hosts, in Unicode and in punycode: X and Mastodon
	// count each as 23 whatever its length.
	encoded := "https://www.nikkei.com/article/DGXZQOUA190/%E7%B5%8C%E6%B8%88%E5%AF%BE%E7%AD%96%E3%82%92%E9%96%A3%E8%AD%B0%E6%B1%BA%E5%AE%9A?utm_source=rss&ref="
	encoded += strings.Repeat("x", 300-len(encoded))
	links := []string{
		encoded,
		"https://例え.jp/%E8%A8%98%E4%BA%8B/" + strings.Repeat("%E6%97%A5", 30),
		"https://xn--r8jz45g.jp/%E8%A8%98%E4%BA%8B/1?q=%F0%9F%98%80",
		"https://bücher.de/suche?q=%C3%BCber%20alles&page=2",
		"https://ru.wikipedia.org/wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0_(%D0%B3%D0%BE%D1%80%D0%BE%D0%B4)",
	}
	for _, link := range links {
		if got := ExtractURLs("見出し " + link + " #tag"); len(got) != 1 || got[0].URL != link {
			t.Errorf("ExtractURLs found %+v, want %q whole", got, link)
		}
		// "見出し " is 3 CJK characters (2 each on X) and a space.
		if got, want := X("見出し "+link+" #tag"), 7+23+5; got != want {
			t.Errorf("X of a post with %q = %d, want %d", link, got, want)
		}
		if got, want := Mastodon("見出し "+link+" #tag", MastodonURLWeight), 4+23+5; got != want {
			t.Errorf("Mastodon of a post with %q = %d, want %d", link, got, want)
		}
	}
}
