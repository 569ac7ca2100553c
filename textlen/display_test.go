package textlen

import (
	"strings"
	"testing"
)

func TestLinkDisplay(t *testing.T) {
	long := "https://www.example.com/news/2024/03/03/" + strings.Repeat("a-very-long-slug-", 8)
	tests := map[string]string{
		"https://example.com/a": "https://example.com/a", // short: as it is
		long:                    "example.com/news/2024/03/03/a…",
		"https://ja.wikipedia.org/wiki/%E5%A0%B1%E9%81%93%E5%A0%B1%E9%81%93%E5%A0%B1%E9%81%93": "ja.wikipedia.org/wiki/報道報道報道",
	}
	for in, want := range tests {
		if got := LinkDisplay(in); got != want {
			t.Errorf("LinkDisplay(%q) = %q, want %q", in, got, want)
		}
		if n := Graphemes(LinkDisplay(in)); n > LinkDisplayMax {
			t.Errorf("LinkDisplay(%q) has %d graphemes", in, n)
		}
	}
}

func TestShortenLinks(t *testing.T) {
	link := "https://www.example.com/news/2024/03/03/" + strings.Repeat("a-very-long-slug-", 8)
	s := "Title\n\nLede.\n\n" + link + " #Tag"
	shown, links := ShortenLinks(s)
	if want := "Title\n\nLede.\n\nexample.com/news/2024/03/03/a… #Tag"; shown != want {
		t.Fatalf("shown = %q, want %q", shown, want)
	}
	if len(links) != 1 || links[0].URL != link || shown[links[0].Start:links[0].End] != links[0].Text {
		t.Fatalf("links = %+v", links)
	}
	if n := BlueskyShown(s); n != Graphemes(shown) || n >= Bluesky(s) {
		t.Errorf("BlueskyShown = %d, Bluesky = %d", n, Bluesky(s))
	}
}
