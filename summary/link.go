package summary

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"golang.org/x/net/idna"
)

// shortLinkPath is how much of a link's path, query and fragment
// ShortLink shows, in graphemes, as Bluesky's app does: one longer than
// maxShortLinkPath is cut to shortLinkPath and an ellipsis.
const (
	shortLinkPath    = 13
	maxShortLinkPath = 15
)

// ShortLink returns the text Bluesky's own app shows for a link in a
// post: no scheme, the host (an IDN host in its Unicode form), and the
// path, query and fragment, cut to their first 13 characters and "…" when
// they are longer than 15. A percent-encoded path is shown decoded when it
// decodes to printable UTF-8, as a reader would type it. The link itself
// goes in the post's link facet. Anything but an http(s) URL with a host
// is returned as it is.
func ShortLink(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return rawURL
	}
	host := strings.ToLower(u.Host)
	if strings.Contains(host, "xn--") {
		if h, err := idna.Display.ToUnicode(u.Hostname()); err == nil {
			host = h
			if p := u.Port(); p != "" {
				host += ":" + p
			}
		}
	}
	// What follows the authority, as it was written.
	rest := rawURL[strings.Index(rawURL, "://")+3:]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[i:]
	} else {
		rest = ""
	}
	if rest == "/" {
		rest = ""
	}
	if d, err := url.PathUnescape(rest); err == nil && printable(d) {
		rest = d
	}
	if uniseg.GraphemeClusterCount(rest) > maxShortLinkPath {
		cut, n := 0, 0
		for g := uniseg.NewGraphemes(rest); n < shortLinkPath && g.Next(); n++ {
			_, cut = g.Positions()
		}
		if i := strings.LastIndexByte(rest[:cut], '%'); i >= 0 && i >= cut-2 {
			cut = i // not inside an escape
		}
		rest = rest[:cut] + Ellipsis
	}
	return host + rest
}

// printable reports whether s is valid UTF-8 with no white space,
// control or format characters (a decoded %0A or %E2%80%AE must not
// reach the post).
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// Clip returns s with its white space collapsed, shortened if need be to
// at most n graphemes as a post's title or lede is: never inside a word,
// CJK after clause punctuation in reach, with "…". It is "" if not even
// the first word fits. For text shown beside a post, such as a link
// card's title and description.
func Clip(s string, n int) string {
	s = collapse(s)
	fits := func(c string) bool { return uniseg.GraphemeClusterCount(c) <= n }
	if fits(s) {
		return s
	}
	c, ok := shorten(s, n, fits)
	if !ok {
		return ""
	}
	return c
}
