package article

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"

	"syndicate"
)

// page is what the walk over an HTML document collects.
type page struct {
	meta      map[string][]string // by lowercased name, property or itemprop
	title     string              // <title>
	h1        string              // the first <h1>
	canonical string              // <link rel=canonical href>
	byline    string              // text of the first rel=author or class=author/byline element
	datetime  string              // the first <time datetime>
	articles  []*html.Node
	main      *html.Node
	body      *html.Node
}

// parseHTML extracts an article from a web page: Open Graph and other meta
// tags first, then the page's own elements, with the body text found by
// readability. pageURL is where the page came from ("" if not known): it
// resolves relative links and is the article's URL when the page names no
// canonical one.
func parseHTML(subj, text, pageURL string) (fields, error) {
	var f fields
	doc, err := html.Parse(strings.NewReader(text))
	if err != nil {
		// The parser refuses documents nested too deeply to be a real page.
		return f, syndicate.Errorf(syndicate.EINVALID, "%s cannot be read as HTML: %v", subj, err)
	}
	p := &page{meta: map[string][]string{}}
	p.collect(doc)
	base := baseURL(pageURL)
	r := readable(doc, base)

	f.title = p.first("og:title", "twitter:title")
	if f.title == "" {
		f.title = pageTitle(p.title, p.h1)
	}
	if f.title == "" {
		f.title = r.title // from JSON-LD or Dublin Core, which the walk does not read
	}
	f.url = resolveURL(base, p.canonical)
	if f.url == "" {
		f.url = resolveURL(base, p.first("og:url"))
	}
	if f.url == "" && base != nil {
		f.url = base.String()
	}
	f.author = p.first("author", "article:author", "dc.creator", "parsely-author")
	if looksLikeURL(f.author) {
		f.author = "" // article:author is often a profile page
	}
	for _, by := range []string{r.byline, p.byline} {
		if by = trimBy(by); f.author == "" && by != "" && !looksLikeURL(by) && len(by) <= 100 {
			f.author = by
		}
	}
	f.summary = p.first("og:description", "description", "twitter:description")
	f.image = p.first("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")
	if f.image == "" {
		f.image = r.image
	}
	if img := resolveURL(base, f.image); img != "" {
		// The page's own address is the base of its relative links, not
		// the canonical URL, which may be on another host.
		f.image = img
	}
	f.looseImage = true
	for _, d := range []string{p.first("article:published_time", "datepublished", "date", "pubdate", "dc.date"), r.published, p.datetime} {
		if t, ok := parseDate(d); ok {
			f.date = t
			break
		}
	}
	if tags := p.meta["article:tag"]; len(tags) > 0 {
		f.tags = tags
	} else if kw := p.first("keywords", "news_keywords"); kw != "" {
		f.tags = splitTags(kw)
	}

	f.body = r.body
	if len(f.body) == 0 {
		f.body = p.mainBlocks(doc)
	}
	if len(f.body) > 0 && isBylineText(f.body[0].text, f.author) {
		f.body = f.body[1:]
	}
	return f, nil
}

// mainBlocks is the text of the page's article found without readability,
// for pages where it finds nothing: the largest <article>, else <main>,
// else the whole body, with page furniture left out.
func (p *page) mainBlocks(doc *html.Node) []block {
	root := p.body
	switch {
	case len(p.articles) > 0:
		// Pages list teasers of other articles in <article> elements too:
		// the one with the most text is the page's own.
		best := 0
		for _, a := range p.articles {
			if n := len(nodeText(a)); n > best {
				best, root = n, a
			}
		}
	case p.main != nil:
		root = p.main
	}
	if root == nil {
		root = doc
	}
	return htmlBlocks(root, true)
}

// collect walks the document once, noting meta tags and landmarks.
func (p *page) collect(n *html.Node) {
	if n.Type == html.ElementNode {
		switch n.Data {
		case "meta":
			content := attr(n, "content")
			for _, k := range []string{"property", "name", "itemprop"} {
				if key := strings.ToLower(strings.TrimSpace(attr(n, k))); key != "" && strings.TrimSpace(content) != "" {
					p.meta[key] = append(p.meta[key], content)
				}
			}
		case "title":
			if p.title == "" {
				p.title = nodeText(n)
			}
		case "h1":
			if p.h1 == "" {
				p.h1 = nodeText(n)
			}
		case "link":
			if p.canonical == "" && hasWord(attr(n, "rel"), "canonical") {
				p.canonical = attr(n, "href")
			}
		case "time":
			if p.datetime == "" {
				p.datetime = attr(n, "datetime")
			}
		case "article":
			p.articles = append(p.articles, n)
		case "main":
			if p.main == nil {
				p.main = n
			}
		case "body":
			if p.body == nil {
				p.body = n
			}
		case "script", "style", "template":
			return
		}
		if p.byline == "" && n.Data != "meta" && n.Data != "link" && isBylineElement(n) {
			if t := nodeText(n); len(t) <= 100 {
				p.byline = t
			}
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		p.collect(c)
	}
}

// first returns the first non-empty value of the meta keys, in order.
func (p *page) first(keys ...string) string {
	for _, k := range keys {
		for _, v := range p.meta[k] {
			if v = strings.TrimSpace(v); v != "" {
				return v
			}
		}
	}
	return ""
}

// isBylineElement reports whether n holds the author's name.
func isBylineElement(n *html.Node) bool {
	if hasWord(attr(n, "rel"), "author") || strings.EqualFold(attr(n, "itemprop"), "author") {
		return true
	}
	for _, w := range strings.Fields(strings.ToLower(attr(n, "class"))) {
		switch w {
		case "author", "byline", "author-name", "byline-name", "by-author", "p-author":
			return true
		}
	}
	return false
}

// pageTitle picks between <title>, which often carries the site's name
// ("Title | Site"), and the first <h1>.
func pageTitle(title, h1 string) string {
	switch {
	case title == "":
		return h1
	case h1 != "" && strings.HasPrefix(strings.ToLower(title), strings.ToLower(h1)):
		return h1
	}
	return title
}

// baseURL returns pageURL parsed if it is an absolute http(s) URL, else nil.
func baseURL(pageURL string) *url.URL {
	if !looksLikeURL(pageURL) {
		return nil
	}
	u, err := url.Parse(strings.TrimSpace(pageURL))
	if err != nil || u.Host == "" {
		return nil
	}
	return u
}

// resolveURL returns ref resolved against base (nil if none) when the
// result is an absolute http(s) URL, else "": javascript:, data: and
// relative links that cannot be resolved are dropped.
func resolveURL(base *url.URL, ref string) string {
	ref = strings.TrimSpace(dropControls(ref))
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if s := u.String(); looksLikeURL(s) && u.Host != "" {
		return s
	}
	return ""
}

// isBylineText reports whether a paragraph is only the byline ("By Kim
// Park", or the author's bare name), which the article's author field
// already carries.
func isBylineText(text, author string) bool {
	t := strings.TrimSpace(text)
	if len(t) > 80 || strings.Contains(t, "\n") {
		return false
	}
	// A sentence that starts with "By" ends with a stop; a byline does not.
	return strings.HasPrefix(strings.ToLower(t), "by ") && !strings.ContainsAny(t, ".!?") ||
		author != "" && strings.EqualFold(trimBy(t), author)
}

// looksLikeURL reports whether s starts like an http(s) URL.
func looksLikeURL(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// hasWord reports whether the space-separated list s holds w, ignoring case.
func hasWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if strings.EqualFold(f, w) {
			return true
		}
	}
	return false
}

// trimBy removes a leading "By" from a byline.
func trimBy(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 3 && strings.EqualFold(s[:3], "by ") {
		s = strings.TrimSpace(s[3:])
	}
	return s
}
