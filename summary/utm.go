package summary

import (
	"net/url"
	"strings"
)

// UTM holds the campaign parameters a channel's links carry, so the
// newsroom's analytics can tell where readers came from. Empty fields are
// left out.
type UTM struct {
	Source   string // utm_source, e.g. "mastodon"
	Medium   string // utm_medium, e.g. "social"
	Campaign string // utm_campaign, e.g. "newsletter"
}

// IsZero reports whether p sets no parameter.
func (p UTM) IsZero() bool { return p == UTM{} }

// WithUTM returns rawURL with the parameters p sets added to its query.
// The rest of the URL is kept byte for byte: other parameters stay where
// they were and as they were escaped, and a fragment stays last. A
// parameter the URL already has under the same name is replaced, since
// two values would make the analytics guess. With a zero p, or a rawURL
// that is not an absolute URL, rawURL is returned unchanged.
func WithUTM(rawURL string, p UTM) string {
	if p.IsZero() {
		return rawURL
	}
	if u, err := url.Parse(rawURL); err != nil || u.Scheme == "" || u.Host == "" {
		return rawURL
	}
	// Work on the string rather than re-encoding a parsed URL, which
	// would sort the query and may re-escape the path.
	base, frag, hasFrag := strings.Cut(rawURL, "#")
	path, query, _ := strings.Cut(base, "?")
	set := []struct{ key, value string }{
		{"utm_source", p.Source},
		{"utm_medium", p.Medium},
		{"utm_campaign", p.Campaign},
	}
	replaced := func(part string) bool {
		k, _, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		for _, s := range set {
			if s.value != "" && strings.EqualFold(k, s.key) {
				return true
			}
		}
		return false
	}
	var parts []string
	for _, part := range strings.Split(query, "&") {
		if part != "" && !replaced(part) {
			parts = append(parts, part)
		}
	}
	for _, s := range set {
		if s.value != "" {
			parts = append(parts, s.key+"="+url.QueryEscape(s.value))
		}
	}
	out := path + "?" + strings.Join(parts, "&")
	if hasFrag {
		out += "#" + frag
	}
	return out
}
