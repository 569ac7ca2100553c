package feeds

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"syndicate"
	"syndicate/article"
)

// summaryLen is the most characters of a summary taken from a feed item.
const summaryLen = 300

// maxKeyLen bounds a stored item key; a longer GUID is stored as its hash.
const maxKeyLen = 512

// ItemKey is the item's identity within its feed: its GUID if it has one,
// else its canonical link (its link as given when that is not an absolute
// URL). It is "" for an item with neither. A key longer than 512 bytes,
// or with control characters or invalid UTF-8, is "sha256:" and its hash.
func ItemKey(item *gofeed.Item) string {
	key := strings.TrimSpace(item.GUID)
	if key == "" {
		link := strings.TrimSpace(item.Link)
		if link == "" {
			return ""
		}
		key = link
		if canon, err := syndicate.CanonicalURL(link); err == nil {
			key = canon
		}
	}
	// A long key, and one PostgreSQL cannot store as text (a NUL, bytes
	// that are not UTF-8), is kept as its hash.
	if len(key) > maxKeyLen || !utf8.ValidString(key) || strings.ContainsFunc(key, unicode.IsControl) {
		sum := sha256.Sum256([]byte(key))
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	return key
}

// ItemArticle turns a feed item into a valid article, with its ID derived
// from its canonical URL. An item without a title or a usable link is an
// EINVALID error. An item without a date is dated now.
func ItemArticle(feed *gofeed.Feed, item *gofeed.Item) (syndicate.Article, error) {
	return itemArticle(feed, item, time.Now().UTC())
}

func itemArticle(feed *gofeed.Feed, item *gofeed.Item, now time.Time) (syndicate.Article, error) {
	if feed == nil {
		feed = &gofeed.Feed{}
	}
	link := resolveLink(feedBase(feed, ""), item)
	title := clipBytes(plainLine(item.Title), syndicate.MaxTitleLen)
	switch {
	case title == "":
		return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "feed item %q has no title", describe(item))
	case link == "":
		return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "feed item %q has no link", title)
	}
	canon, err := syndicate.CanonicalURL(link)
	if err != nil {
		return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "feed item %q: link %q is not an absolute http(s) URL", title, clipBytes(link, 200))
	}
	a := syndicate.Article{
		ID:          syndicate.ArticleID(canon),
		Title:       title,
		URL:         canon,
		Author:      author(feed, item),
		PublishedAt: now,
		Tags:        tags(item.Categories),
		Image:       image(item, canon),
	}
	if d := itemDate(item); d != nil && d.Year() >= 1678 && d.Year() <= 2261 {
		// The store keeps times as int64 nanoseconds; a date outside their
		// range is a feed's mistake, not a reason to drop the item.
		a.PublishedAt = d.UTC()
	}
	desc := paragraphs(item.Description)
	content := paragraphs(item.Content)
	switch {
	case len(desc) > 0:
		a.Summary = shorten(strings.Join(desc, " "), summaryLen)
	case len(content) > 0:
		a.Summary = shorten(content[0], summaryLen)
	}
	switch {
	case len(content) > 0:
		a.Body = strings.Join(content, "\n\n")
		a.BodyHTML = article.SanitizeHTML(item.Content, canon)
	case strings.Join(desc, " ") != a.Summary:
		// Many RSS feeds carry the whole text in the description only.
		a.Body = strings.Join(desc, "\n\n")
		a.BodyHTML = article.SanitizeHTML(item.Description, canon)
	}
	a.Body = clipBytes(a.Body, syndicate.MaxBodyLen)
	if err := a.Validate(); err != nil {
		return syndicate.Article{}, err
	}
	return a, nil
}

// describe names an item in an error when it has no title.
func describe(item *gofeed.Item) string {
	if k := ItemKey(item); k != "" {
		return clipBytes(k, 200)
	}
	return "(no GUID, no link)"
}

// itemDate is the item's published date, else its updated date, else nil.
func itemDate(item *gofeed.Item) *time.Time {
	if item.PublishedParsed != nil {
		return item.PublishedParsed
	}
	return item.UpdatedParsed
}

// feedBase is the URL relative item links are resolved against: the
// feed's site link (itself resolved against the feed's own URL), else the
// feed's URL. fetchURL is where the feed was fetched from, "" if unknown.
func feedBase(feed *gofeed.Feed, fetchURL string) *url.URL {
	var base *url.URL
	for _, s := range []string{fetchURL, feed.FeedLink, feed.Link} {
		s = strings.TrimSpace(s)
		u, err := url.Parse(s)
		if err != nil || s == "" {
			continue
		}
		if base != nil {
			u = base.ResolveReference(u)
		}
		if u.IsAbs() {
			base = u
		}
	}
	return base
}

// resolveLink returns the item's link (or its first link if Link is empty)
// made absolute against base when possible.
func resolveLink(base *url.URL, item *gofeed.Item) string {
	link := strings.TrimSpace(item.Link)
	if link == "" && len(item.Links) > 0 {
		link = strings.TrimSpace(item.Links[0])
	}
	if link == "" || base == nil {
		return link
	}
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	return base.ResolveReference(u).String()
}

// author is the item's first named author, else the feed's.
func author(feed *gofeed.Feed, item *gofeed.Item) string {
	people := append([]*gofeed.Person{item.Author}, item.Authors...)
	people = append(people, feed.Author)
	people = append(people, feed.Authors...)
	for _, p := range people {
		if p == nil {
			continue
		}
		for _, s := range []string{p.Name, p.Email} {
			if s = plainLine(s); s != "" {
				return clipBytes(s, syndicate.MaxNameLen)
			}
		}
	}
	return ""
}

// tags turns categories into tags: plain text, without repeats (ignoring
// case), and within the article limits.
func tags(cats []string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, c := range cats {
		t := plainLine(c)
		k := strings.ToLower(t)
		if t == "" || len(t) > syndicate.MaxTagLen || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, t)
		if len(out) == syndicate.MaxTags {
			break
		}
	}
	return out
}

// image is the item's image URL made absolute against link: the item's
// image, else an image enclosure, else a Media RSS thumbnail or image. It
// is "" when none is an http(s) URL.
func image(item *gofeed.Item, link string) string {
	var cands []string
	if item.Image != nil {
		cands = append(cands, item.Image.URL)
	}
	for _, e := range item.Enclosures {
		if e != nil && strings.HasPrefix(strings.ToLower(e.Type), "image/") {
			cands = append(cands, e.URL)
		}
	}
	if media := item.Extensions["media"]; media != nil {
		for _, x := range media["thumbnail"] {
			cands = append(cands, x.Attrs["url"])
		}
		for _, g := range media["group"] {
			for _, x := range g.Children["thumbnail"] {
				cands = append(cands, x.Attrs["url"])
			}
		}
		for _, x := range media["content"] {
			if x.Attrs["medium"] == "image" || strings.HasPrefix(x.Attrs["type"], "image/") {
				cands = append(cands, x.Attrs["url"])
			}
		}
	}
	base, err := url.Parse(link)
	if err != nil {
		return ""
	}
	for _, c := range cands {
		u, err := url.Parse(strings.TrimSpace(c))
		if err != nil || c == "" {
			continue
		}
		abs := base.ResolveReference(u).String()
		if _, err := syndicate.CanonicalURL(abs); err == nil {
			return abs
		}
	}
	return ""
}

// textOf is the plain text of an HTML fragment, paragraphs separated by
// blank lines.
func textOf(s string) string {
	return strings.Join(paragraphs(s), "\n\n")
}

// skipped elements hold no readable text.
var skipped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Iframe: true, atom.Object: true, atom.Svg: true, atom.Head: true,
}

// blocks end a paragraph where they open or close.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Ul: true, atom.Ol: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Blockquote: true, atom.Pre: true, atom.Table: true, atom.Tr: true, atom.Hr: true,
	atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true, atom.Aside: true,
	atom.Figure: true, atom.Figcaption: true, atom.Dl: true, atom.Dt: true, atom.Dd: true,
}

// paragraphs returns the text of an HTML fragment (or of plain text, which
// parses as itself) as paragraphs: tags dropped, entities decoded,
// whitespace collapsed, control characters and invalid UTF-8 removed.
func paragraphs(s string) []string {
	var (
		out  []string
		cur  strings.Builder
		skip int
	)
	flush := func() {
		if t := strings.Join(strings.Fields(cur.String()), " "); t != "" {
			out = append(out, t)
		}
		cur.Reset()
	}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken: // io.EOF: a strings.Reader has no other error
			flush()
			return out
		case html.TextToken:
			if skip == 0 {
				cur.WriteString(clean(string(z.Text())))
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if skipped[a] && tt != html.SelfClosingTagToken {
				if tt == html.StartTagToken {
					skip++
				} else if skip > 0 {
					skip--
				}
			}
			switch {
			case blocks[a]:
				flush()
			case a == atom.Td || a == atom.Th:
				cur.WriteByte(' ')
			}
		}
	}
}

// clean drops control characters (whitespace becomes a space) and
// invalid UTF-8.
func clean(s string) string {
	s = strings.ToValidUTF8(s, "")
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unicode.IsControl(r), r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
}

// shorten bounds s to limit characters, cutting at a word boundary and
// marking the cut with an ellipsis.
func shorten(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	cut, n := 0, 0
	for i := range s {
		if n == limit-1 { // room for "…"
			cut = i
			break
		}
		n++
	}
	return cutWord(s[:cut]) + "…"
}

// clipBytes bounds s to max bytes like shorten does to characters.
func clipBytes(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return cutWord(s[:cut]) + "…"
}

// cutWord drops the partial word at the end of s, unless that would drop
// more than half of it, and trailing punctuation that would sit oddly
// before an ellipsis.
func cutWord(s string) string {
	if i := strings.LastIndexAny(s, " \n"); i > len(s)/2 {
		s = s[:i]
	}
	return strings.TrimRight(s, " \n,;:-–—")
}
