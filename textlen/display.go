package textlen

import (
	"net/url"
	"strings"

	"github.com/rivo/uniseg"
)

// LinkDisplayMax is the most graphemes a link is shown with on Bluesky,
// which counts a link in full: a longer one is shown shortened, the full
// URL going in the post's link facet, so a long link never eats the lede.
// Bluesky's own app shows links the same way.
const LinkDisplayMax = 30

// LinkDisplay returns how link is shown in a Bluesky post: as it is if it
// has at most LinkDisplayMax graphemes, else without its scheme and
// "www.", percent-escapes decoded where they make valid text, cut to
// LinkDisplayMax graphemes ending in "…".
func LinkDisplay(link string) string {
	if Graphemes(link) <= LinkDisplayMax {
		return link
	}
	s := link
	for _, p := range []string{"https://", "http://"} {
		if hasPrefixFold(s, p) {
			s = s[len(p):]
			break
		}
	}
	if hasPrefixFold(s, "www.") {
		s = s[len("www."):]
	}
	if u, err := url.PathUnescape(s); err == nil && !strings.ContainsAny(u, " \n\t") {
		s = u
	}
	if Graphemes(s) <= LinkDisplayMax {
		return s
	}
	var b strings.Builder
	n := 0
	for rest, state := s, -1; rest != "" && n < LinkDisplayMax-1; n++ {
		var c string
		c, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		b.WriteString(c)
	}
	return b.String() + "…"
}

// DisplayedLink is a link of a text as it is shown: Start and End are the
// byte offsets of Text in the shown text.
type DisplayedLink struct {
	Start, End int
	Text, URL  string
}

// ShortenLinks returns s with every link written with its scheme shown as
// LinkDisplay shows it, and where each link went.
func ShortenLinks(s string) (string, []DisplayedLink) {
	var b strings.Builder
	var links []DisplayedLink
	last := 0
	for _, u := range ExtractURLs(s) {
		if !u.HasScheme() {
			continue
		}
		b.WriteString(s[last:u.Start])
		d := LinkDisplay(u.URL)
		links = append(links, DisplayedLink{Start: b.Len(), End: b.Len() + len(d), Text: d, URL: u.URL})
		b.WriteString(d)
		last = u.End
	}
	b.WriteString(s[last:])
	return b.String(), links
}

// BlueskyShown returns the length of s as Bluesky counts it once its
// links are shown shortened (see ShortenLinks).
func BlueskyShown(s string) int {
	shown, _ := ShortenLinks(s)
	return Graphemes(shown)
}
