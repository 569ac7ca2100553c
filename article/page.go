package article

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/publicsuffix"

	"syndicate"
)

// page is what the walk over an HTML document collects.
type page struct {
	meta      map[string][]string // by lowercased name, property, itemprop or http-equiv
	title     string              // <title>
	h1s       []string            // the text of every <h1>, in order
	kickers   []string            // kickers printed inside a headline element (see headlineKicker)
	lang      string              // <html lang>
	canonical string              // <link rel=canonical href>
	byline    string              // text of the first rel=author or class=author/byline element outside page furniture
	datetime  string              // the first <time datetime>
	credits   []string            // short texts of credit and source elements
	// otherBylines are bylines in page furniture: related stories' authors.
	otherBylines []string
	commenters   []string // normalised names in comment authors' elements
	// teaserBylines are the normalised names in author elements of
	// related-story boxes that are not marked as bylines ("entry__author").
	teaserBylines []string
	// bylines are the names of every byline element outside furniture and
	// related-story boxes, in order: a story by several writers has one
	// element each.
	bylines   []string
	bylinesAt []int  // where each of bylines starts, in bytes of the page's text
	textSeen  int    // bytes of text walked so far
	source    string // the source an aggregator names in the title
	articles  []*html.Node
	main      *html.Node
	body      *html.Node
}

// parseHTML extracts an article from a web page. trafilatura reads the
// body, title, author, date, site name and language, with readability's
// article as one of its candidates; where it finds nothing, readability,
// then the page's meta tags and elements fill in. pageURL is where the page
// came from ("" if not known): it resolves relative links and is the
// article's URL when the page names no canonical one.
func parseHTML(subj, text, pageURL string) (fields, error) {
	var f fields
	doc, err := html.Parse(strings.NewReader(text))
	if err != nil {
		// The parser refuses documents nested too deeply to be a real page.
		return f, syndicate.Errorf(syndicate.EINVALID, "%s cannot be read as HTML: %v", subj, err)
	}
	p := &page{meta: map[string][]string{}}
	p.collect(doc, false, false)
	base := baseURL(pageURL)
	r := readable(doc, base)
	x := extract(doc, base, r)

	f.url = resolveURL(base, p.canonical)
	if f.url == "" {
		f.url = resolveURL(base, p.first("og:url"))
	}
	if f.url == "" && base != nil {
		f.url = base.String()
	}
	site := siteNames(p.first("og:site_name", "application-name", "twitter:site"), x.sitename, f.url, p.h1s)

	f.body, f.html = x.body, x.node
	if len(f.body) == 0 {
		f.body, f.html = r.body, r.node
	}
	if len(f.body) == 0 {
		f.body, f.html = p.mainBlocks(doc), nil
	}
	f.htmlBase, f.htmlPage = base, true

	f.title = dropKicker(p.pickTitle(x, r, site, &f.warns), p.kickers)
	f.author = p.pickAuthor(x, r, site, f.body, f.url)
	kept := dropLeadingMeta(f.body, f.author)
	dropBlocks(f.html, f.body, kept)
	f.body = kept
	f.summary = pickDescription(f.title, site, f.body, inBody(f.body, p.shown(), p.first("og:description"), p.first("twitter:description"), p.first("description"), x.description)...)
	if i := ledeIndex(f.body); f.summary == "" && i >= 0 {
		f.summary = f.body[i].text
	}
	f.image = p.first("og:image", "og:image:url", "og:image:secure_url", "twitter:image", "twitter:image:src")
	if f.image == "" {
		f.image = x.image
	}
	if f.image == "" {
		f.image = r.image
	}
	if img := resolveURL(base, f.image); img != "" {
		// The page's own address is the base of its relative links, not
		// the canonical URL, which may be on another host.
		f.image = img
	}
	f.looseImage = true
	// A date in the page's metadata is exact; trafilatura's (htmldate)
	// may have been read from the text and is only a day. Keys that name the publication date beat JSON-LD's datePublished,
	// which beats keys that may name any date (a page's "date" is often
	// its last change).
	for _, d := range []string{p.first("article:published_time", "og:published_time", "og:article:published_time", "datepublished"), r.published, p.first("date", "pubdate", "publishdate", "dc.date", "dc.date.issued", "sailthru.date")} {
		if t, ok := parseZonedDate(d); ok {
			f.date = t
			break
		}
	}
	if f.date.IsZero() && !x.date.IsZero() {
		f.date = x.date
		f.warns.add("date", "the date was guessed from the page's text or address, not read from its metadata")
	}
	if t, ok := parseZonedDate(p.datetime); f.date.IsZero() && ok {
		f.date = t
		f.warns.add("date", "the date was taken from the first date shown on the page, not from its metadata")
	}

	if tags := p.meta["article:tag"]; len(tags) > 0 {
		f.tags = tags
	} else if kw := p.first("news_keywords", "keywords"); kw != "" {
		f.tags = []string{kw}
	}
	f.tagNoise = append(site, f.title)

	// A page that does not say is detected in finish, as every format is
	// (trafilatura's guess is the same detector without its confidence).
	f.lang = pageLanguage(p.lang, p.first("content-language"), p.first("og:locale"), p.first("dc.language", "language"))
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
// furniture is set under navigation, asides, footers and the like, where a
// heading or date is not the article's; related under asides and
// related-story boxes, where a byline belongs to another article.
func (p *page) collect(n *html.Node, furniture, related bool) {
	if n.Type == html.ElementNode {
		switch n.Data {
		case "html":
			if p.lang == "" {
				p.lang = attr(n, "lang")
			}
		case "meta":
			content := attr(n, "content")
			if strings.TrimSpace(content) == "" {
				content = attr(n, "value") // some pages misname the attribute
			}
			for _, k := range []string{"property", "name", "itemprop", "http-equiv"} {
				if key := strings.ToLower(strings.TrimSpace(attr(n, k))); key != "" && strings.TrimSpace(content) != "" {
					p.meta[key] = append(p.meta[key], content)
				}
			}
		case "title":
			if p.title == "" {
				p.title = nodeText(n)
			}
		case "h1", "h2":
			if t := headingText(n); t != "" && !furniture && !isHidden(n) && n.Data == "h1" {
				p.h1s = append(p.h1s, t)
			}
			if k := headlineKicker(n); k != "" && !furniture {
				p.kickers = append(p.kickers, k)
			}
		case "link":
			if p.canonical == "" && hasWord(attr(n, "rel"), "canonical") {
				p.canonical = attr(n, "href")
			}
		case "time":
			if p.datetime == "" && !furniture {
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
		if c := strings.ToLower(attr(n, "class")); (strings.Contains(c, "credit") || strings.Contains(c, "source")) && len(p.credits) < 20 {
			if t := nodeText(n); t != "" && utf8.RuneCountInString(t) <= 40 {
				p.credits = append(p.credits, t)
			}
		}
		// The article's own author box is neither furniture nor another
		// story's.
		box := isAuthorBox(n)
		if !furniture && !box && isFurnitureElement(n) {
			furniture = true
		}
		if !related && !box && isRelatedElement(n) {
			related = true
		}
		if c := strings.ToLower(attr(n, "class")); strings.Contains(c, "comment") && strings.Contains(c, "author") && len(p.commenters) < 50 {
			if t := nodeText(n); t != "" && len(t) <= 100 {
				p.commenters = append(p.commenters, norm(t))
			}
		}
		if related && n.Data != "meta" && n.Data != "link" && !isBylineElement(n) && namesAuthor(attr(n, "class")) {
			// A teaser's "entry__author": another story's byline.
			if t := trimBy(nodeText(n)); looksLikeName(t) && len(p.teaserBylines) < 50 {
				p.teaserBylines = append(p.teaserBylines, norm(t))
			}
		}
		if n.Data != "meta" && n.Data != "link" && isBylineElement(n) {
			switch t := bylineText(n); {
			case len(t) > 100:
			case related:
				p.otherBylines = append(p.otherBylines, trimBy(t))
			case !furniture:
				if p.byline == "" {
					p.byline = t
				}
				if len(p.bylines) < 20 {
					p.bylines = append(p.bylines, t)
					p.bylinesAt = append(p.bylinesAt, p.textSeen)
				}
			}
		}
	}
	if n.Type == html.TextNode {
		p.textSeen += len(strings.TrimSpace(n.Data))
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		p.collect(c, furniture, related)
	}
}

// coBylines returns the names of a story's several byline elements joined
// ("Bertille Bayart, Marie Visot"), or "" when there are fewer than two
// distinct names. Co-authors are named together: a byline printed further
// on (at is where each starts in the page's text) is another story's, a
// columnist's in a list of opinion pieces.
func coBylines(bylines []string, at []int) string {
	var names []string
	last := -1
	for i, b := range bylines {
		b = trimBy(strings.TrimSpace(b))
		// The same writer twice, once with a label ("Jane Doe Twitter").
		same := func(n string) bool { return strings.Contains(norm(n), norm(b)) || strings.Contains(norm(b), norm(n)) }
		if !isNameLike(b) || slices.ContainsFunc(names, same) {
			continue
		}
		if last >= 0 && at[i]-last > coBylineReach {
			break
		}
		names, last = append(names, b), at[i]
	}
	if len(names) < 2 || len(names) > 4 {
		return ""
	}
	return strings.Join(names, ", ")
}

// coBylineReach is how far apart, in bytes of text, two co-authors'
// bylines may be: past a short biography, not past a story.
const coBylineReach = 300

// personNames splits a byline of several people ("A, B and C") into their
// names; nil unless every part looks like a person's name.
func personNames(a string) []string {
	parts := andRe.Split(a, -1)
	for _, n := range parts {
		if !isNameLike(strings.TrimSpace(n)) {
			return nil
		}
	}
	return parts
}

// looksLikeName reports whether t could be a person's name in any case
// ("giampiero maggio"): two to four words of letters.
func looksLikeName(t string) bool {
	ws := strings.Fields(t)
	if len(ws) < 2 || len(ws) > 4 || utf8.RuneCountInString(t) > 40 {
		return false
	}
	return !strings.ContainsFunc(t, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsSpace(r) && !strings.ContainsRune(".'’-", r)
	})
}

// namesAuthor reports whether a class names an author's element in any
// spelling ("entry__author", "c-byline__name").
func namesAuthor(class string) bool {
	c := strings.ToLower(class)
	return strings.Contains(c, "author") || strings.Contains(c, "byline")
}

// isAuthorBox reports whether n is the box naming the article's authors
// (<aside id="auteur">, <div class="author-box">): its class or id names
// an author and nothing related.
func isAuthorBox(n *html.Node) bool {
	if n.Data != "aside" && n.Data != "div" && n.Data != "section" {
		return false
	}
	v := strings.ToLower(attr(n, "class") + " " + attr(n, "id"))
	for _, w := range []string{"author", "auteur", "autor", "byline"} {
		if strings.Contains(v, w) {
			return !namesRelated(v)
		}
	}
	return false
}

// bylineText returns the name a byline element gives: a schema.org Person
// (itemscope) names it in its itemprop=name, beside a photo and a
// description; another element by its text.
func bylineText(n *html.Node) string {
	if _, ok := attrOK(n, "itemscope"); ok {
		if name := itemName(n); name != "" {
			return name
		}
	}
	return nodeText(n)
}

// itemName returns the text or content of the first itemprop=name under n.
func itemName(n *html.Node) string {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if hasWord(attr(c, "itemprop"), "name") {
			if v := strings.TrimSpace(attr(c, "content")); v != "" {
				return v
			}
			if t := nodeText(c); t != "" {
				return t
			}
		}
		if t := itemName(c); t != "" {
			return t
		}
	}
	return ""
}

// isRelatedElement reports whether n lists other stories: an aside, or a
// related, teaser, recommended, most-read or trending box.
func isRelatedElement(n *html.Node) bool {
	if n.Data == "aside" {
		return true
	}
	return namesRelated(strings.ToLower(attr(n, "class") + " " + attr(n, "id")))
}

// namesRelated reports whether a (lowercased) class or id names a box of
// other stories.
func namesRelated(v string) bool {
	for _, w := range []string{"related", "teaser", "recommend", "most-read", "mostread", "popular", "trending", "more-stories", "read-more", "readmore"} {
		if strings.Contains(v, w) {
			return true
		}
	}
	return false
}

// isFurnitureElement reports whether n holds page furniture whose names and
// dates are not the article's: navigation, asides, footers, figures (a
// photo credit) and related-story or comment boxes.
func isFurnitureElement(n *html.Node) bool {
	switch n.Data {
	case "nav", "aside", "footer", "figure", "figcaption", "form":
		return true
	}
	for _, k := range []string{"class", "id"} {
		for _, w := range strings.Fields(strings.ToLower(attr(n, k))) {
			if w == "author-box" || w == "author-bio" || w == "about-author" || w == "byline" {
				continue // the article's own author box
			}
			if furnitureClasses[w] {
				return true
			}
			for _, pre := range furniturePrefixes {
				if strings.HasPrefix(w, pre) {
					return true
				}
			}
			if strings.Contains(w, "caption") || strings.Contains(w, "credit") || strings.Contains(w, "teaser") || strings.Contains(w, "recommend") {
				return true
			}
		}
	}
	switch strings.ToLower(attr(n, "role")) {
	case "navigation", "complementary", "contentinfo":
		return true
	}
	return false
}

// standfirstReach is how far above the first paragraph, in bytes of
// letters and digits, a standfirst may be printed: past a caption, a
// byline and a date, not past the page's navigation.
const standfirstReach = 1500

// shown returns the text the page shows in its <body>, scripts and styles
// left out.
func (p *page) shown() string {
	if p.body == nil {
		return ""
	}
	return nodeText(p.body)
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
		case "author", "byline", "author-name", "byline-name", "by-author", "p-author", "article-author", "firma", "signature", "autor", "auteur", "autore", "autori":
			return true
		}
	}
	return false
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

// trimBy removes a leading byline label ("By", "Par", "Autor:", "作者：")
// from a byline.
func trimBy(s string) string {
	s = strings.TrimSpace(s)
	if m := bylineLabel.FindStringSubmatch(s); m != nil {
		// "Di Maio" is a name, "Di Giampiero Maggio" a byline.
		if !strings.EqualFold(strings.Fields(s)[0], "di") || len(strings.Fields(m[1])) >= 2 {
			s = strings.TrimSpace(m[1])
		}
	}
	return s
}

// titleSep matches the separators that join a headline to the site's or
// author's name in <title> and og:title ("Headline | Site", "Site – Headline",
// "标题_频道_网站", "标题-新华网"): spaced punctuation, or a bar, underscore or
// dash against CJK text, which has no spaces to set it off.
var titleSep = regexp.MustCompile(`\s+(?:[|‖•·~«»/_]|::|-{1,2}|[–—])\s+|\s*[|｜]\s*|\s+_|` + cjk + `\s*[_\-—－]\s*` + cjk)

// cjk matches one character of Chinese, Japanese or Korean text, or the
// punctuation that ends a CJK phrase.
const cjk = `[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}！？。」』）]`

// strongSep reports whether a separator can only be an affix's, never part
// of a headline: a bar or underscore, or a dash against CJK text.
func strongSep(sep string) bool {
	t := strings.TrimSpace(sep)
	return strings.ContainsAny(t, "|｜‖_") || t != "" && !strings.HasPrefix(sep, " ") && !strings.HasSuffix(sep, " ")
}

// titlePart is one piece of a title split at its separators.
type titlePart struct{ text, sep string } // sep is what precedes text

// splitTitle splits a title at its separators.
func splitTitle(t string) []titlePart {
	var parts []titlePart
	last, sep := 0, ""
	for _, m := range titleSep.FindAllStringIndex(t, -1) {
		start, end := m[0], m[1]
		// A CJK separator's match takes in the characters on either side.
		if r, size := utf8.DecodeRuneInString(t[start:]); !unicode.IsSpace(r) && !strings.ContainsRune("|｜_-—－", r) {
			start += size
		}
		if r, size := utf8.DecodeLastRuneInString(t[:end]); !unicode.IsSpace(r) && !strings.ContainsRune("|｜_-—－", r) {
			end -= size
		}
		if start < last || end <= start {
			continue
		}
		parts = append(parts, titlePart{t[last:start], sep})
		last, sep = end, t[start:end]
	}
	return append(parts, titlePart{t[last:], sep})
}

// joinParts rejoins a run of title parts with their own separators.
func joinParts(ps []titlePart) string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteString(p.sep)
		}
		b.WriteString(p.text)
	}
	return b.String()
}

// norm reduces s to its lowercased letters and digits, for comparing
// names written with different spacing and punctuation.
func norm(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// siteNames returns the names a site goes by: what the page calls it,
// trafilatura's name for it and its host ("heise.de", "heise"). A "name"
// that is part of a heading, or as long as a sentence, is a headline that
// trafilatura took for the site's name, and is left out.
func siteNames(declared, found, pageURL string, h1s []string) []string {
	var names []string
	for _, n := range []string{declared, found} {
		n = strings.TrimPrefix(strings.TrimSpace(n), "@")
		if n == "" || len(strings.Fields(n)) > 6 || utf8.RuneCountInString(n) > 50 {
			continue
		}
		inHeading := false
		for _, h := range h1s {
			if nn := norm(n); len(nn) >= 3 && strings.Contains(norm(h), nn) && len(strings.Fields(n)) >= 3 {
				inHeading = true
			}
		}
		if !inHeading {
			names = append(names, n)
		}
	}
	if u, err := url.Parse(pageURL); err == nil && u.Hostname() != "" {
		host := strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
		names = append(names, host)
		if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
			if label, _, ok := strings.Cut(d, "."); ok && len(label) >= 3 {
				names = append(names, label)
			}
		}
	}
	return names
}

// isSiteName reports whether a piece of a title is the site's name: it is
// one of the names, or a short phrase built on one ("BBC News", "Le
// Monde.fr").
func isSiteName(part string, site []string) bool {
	n := norm(part)
	if n == "" {
		return false
	}
	for _, s := range site {
		ns := norm(s)
		if len(ns) < 3 {
			continue
		}
		if n == ns || len(strings.Fields(part)) <= 4 && (strings.Contains(n, ns) || strings.Contains(ns, n) && len(n) >= 4) {
			return true
		}
	}
	return false
}

// cleanTitle removes the site's name, the author's name and section names
// from the ends of a title. A run of pieces that is one of the page's
// headings is the headline; otherwise pieces that name the site or the
// author are dropped from either end, and with them the short section
// names between the headline and the site.
func cleanTitle(t string, site, h1s []string, author string) string {
	t = plainInline(t)
	parts := splitTitle(t)
	if len(parts) == 1 {
		// "Site: Headline"
		if pre, rest, ok := strings.Cut(t, ": "); ok && isSiteName(pre, site) && strings.TrimSpace(rest) != "" {
			return strings.TrimSpace(rest)
		}
		return t
	}
	for _, h := range h1s {
		nh := norm(h)
		if nh == "" {
			continue
		}
		for i := range parts {
			for j := len(parts); j > i; j-- {
				// A heading that is only an end piece is the site's
				// logo, not the headline: the run must hold the longest.
				if norm(joinParts(parts[i:j])) == nh && holdsLongest(parts, i, j) {
					return joinParts(parts[i:j])
				}
			}
		}
	}
	affix := func(p titlePart) bool {
		return isSiteName(p.text, site) || author != "" && norm(p.text) == norm(author)
	}
	i, j := 0, len(parts)
	for j-i > 1 && affix(parts[j-1]) {
		j--
	}
	for j-i > 1 && affix(parts[i]) {
		i++
	}
	if i == 0 && j == len(parts) {
		// Nothing names a piece as the site's, but bars and underscores
		// join only affixes: short end pieces beside a much longer one go.
		longest := 0
		for k := range parts {
			if utf8.RuneCountInString(parts[k].text) > utf8.RuneCountInString(parts[longest].text) {
				longest = k
			}
		}
		n := utf8.RuneCountInString(parts[longest].text)
		affixLike := func(k int) bool {
			sep := parts[k].sep
			if k < longest {
				sep = parts[k+1].sep
			}
			m := utf8.RuneCountInString(parts[k].text)
			return strongSep(sep) && len(strings.Fields(parts[k].text)) <= 3 && m <= 25 && 2*m <= n
		}
		for j-1 > longest && affixLike(j-1) {
			j--
		}
		for i < longest && affixLike(i) {
			i++
		}
		if i == 0 && j == len(parts) {
			return t
		}
		out := parts[i:j]
		out[0].sep = ""
		return joinParts(out)
	}
	// A section name between headline and site ("Headline | Politics |
	// Site") is short; the headline is the longest piece.
	longest := i
	for k := i; k < j; k++ {
		if len(parts[k].text) > len(parts[longest].text) {
			longest = k
		}
	}
	short := func(p titlePart) bool {
		return len(strings.Fields(p.text)) <= 2 && utf8.RuneCountInString(p.text) <= 20
	}
	for j-1 > longest && short(parts[j-1]) {
		j--
	}
	for i < longest && short(parts[i]) {
		i++
	}
	out := parts[i:j]
	out[0].sep = ""
	return joinParts(out)
}

// holdsLongest reports whether parts[i:j] holds the longest of parts.
func holdsLongest(parts []titlePart, i, j int) bool {
	longest := 0
	for k := range parts {
		if utf8.RuneCountInString(parts[k].text) > utf8.RuneCountInString(parts[longest].text) {
			longest = k
		}
	}
	return i <= longest && longest < j
}

// pickTitle chooses the headline: the page's metadata titles (og:title,
// twitter:title, trafilatura's, JSON-LD's) cleaned of affixes, and failing
// those <title>, with a warning. The printed headline, the page's <h1>,
// wins when it is the same story as that title (their words mostly
// agree), since og:title is often a shortened or search-engine variant.
func (p *page) pickTitle(x extracted, r readableText, site []string, w *warnings) string {
	author := p.first("author", "article:author")
	// A heading that is the site's name, or only an end piece of the
	// title ("… | Harbour Herald"), is the site's logo.
	var pieces []titlePart
	for _, t := range []string{p.title, p.first("og:title")} {
		if ps := splitTitle(plainInline(t)); len(ps) > 1 {
			for k := range ps {
				if !holdsLongest(ps, k, k+1) {
					pieces = append(pieces, ps[k])
				}
			}
		}
	}
	var h1s []string
	for _, h := range p.h1s {
		logo := isSiteName(h, site)
		for _, pc := range pieces {
			logo = logo || norm(pc.text) == norm(h)
		}
		if !logo {
			h1s = append(h1s, h)
		}
	}
	// trafilatura and readability read JSON-LD's headline, but without
	// one they too fall back on <title> and <h1>: theirs is metadata only
	// when it is neither.
	fromDOM := func(t string) bool {
		n := norm(t)
		if n != "" && strings.Contains(norm(p.title), n) {
			return true
		}
		for _, h := range p.h1s {
			if norm(h) == n {
				return true
			}
		}
		return false
	}
	headline := func(t string) string {
		t, p.source = cutSource(t)
		for _, h := range h1s {
			// A heading that is the title with more glued on ("…
			// InfantaUltima Hora Mallorca") carries the site's logo.
			if nh, nt := norm(h), norm(t); sameStory(h, t) && !(len(nh) > len(nt) && strings.HasPrefix(nh, nt)) {
				return h
			}
		}
		return t
	}
	for i, t := range []string{p.first("og:title"), p.first("twitter:title"), x.title, r.title} {
		if strings.TrimSpace(t) == "" || isSiteName(t, site) && len(splitTitle(plainInline(t))) == 1 {
			continue // a title that is only the site's name
		}
		if i >= 2 && fromDOM(t) {
			continue
		}
		if c := cleanTitle(t, site, h1s, author); c != "" {
			return headline(c)
		}
	}
	if t := cleanTitle(p.title, site, h1s, author); t != "" && (len(h1s) == 0 || sharesWords(t, h1s[0])) {
		w.add("title", "the title was taken from the page's <title> element: the page has no og:title or headline metadata")
		return headline(t)
	}
	if len(h1s) > 0 {
		w.add("title", "the title was taken from the page's first heading: the page has no og:title or headline metadata")
		return h1s[0]
	}
	if len(p.h1s) > 0 {
		w.add("title", "the title was taken from the page's first heading: the page has no og:title or headline metadata")
		return p.h1s[0]
	}
	return ""
}

// sourceParen matches the source that Japanese and Chinese aggregators
// append to a headline in full-width parentheses: "…（CNET Japan）".
var sourceParen = regexp.MustCompile(`\s*（([^（）]{1,20})）$`)

// cutSource removes a trailing full-width parenthesised source from a
// title and returns it as well ("" if none).
func cutSource(t string) (string, string) {
	if m := sourceParen.FindStringSubmatchIndex(t); m != nil && m[0] > 0 {
		return strings.TrimSpace(t[:m[0]]), t[m[2]:m[3]]
	}
	return t, ""
}

// tokens splits text into words, or for text written without spaces
// (Chinese, Japanese) into pairs of characters.
func tokens(s string) map[string]bool {
	out := map[string]bool{}
	words := strings.Fields(s)
	if len(words) >= 3 {
		for _, w := range words {
			if n := norm(w); n != "" {
				out[n] = true
			}
		}
		return out
	}
	rs := []rune(norm(s))
	for i := 0; i+1 < len(rs); i++ {
		out[string(rs[i:i+2])] = true
	}
	if len(rs) == 1 {
		out[string(rs)] = true
	}
	return out
}

// sameStory reports whether a heading tells the same story as a title:
// at least half its words are the title's, and it is not a mere label
// (a section name) beside a long title.
func sameStory(heading, title string) bool {
	if 3*utf8.RuneCountInString(heading) < utf8.RuneCountInString(title) || utf8.RuneCountInString(heading) > 300 {
		return false
	}
	h, t := tokens(heading), tokens(title)
	if len(h) == 0 {
		return false
	}
	shared := 0
	for k := range h {
		if t[k] {
			shared++
		}
	}
	return 2*shared >= len(h)
}

// sharesWords reports whether a and b have a word in common.
func sharesWords(a, b string) bool {
	words := map[string]bool{}
	for _, f := range strings.Fields(a) {
		words[norm(f)] = true
	}
	for _, f := range strings.Fields(b) {
		if n := norm(f); n != "" && words[n] {
			return true
		}
	}
	return false
}

// notAuthor matches what pages put where a byline goes that is not one: a
// photo credit, an editor's line, a copyright, a placeholder.
var notAuthor = regexp.MustCompile(`(?i)^(?:photos?|fotos?|фото|bild|image|images|pictures?|credits?|illustration|video|quelle|source|fuente|editing|edited|editors?|redaktion|redacción|rédaction|bearbeitet|getty|imago|shutterstock|ap photo|责任编辑|责编|编辑|图|摄影|写真|撮影)(?:[\s:：/=＝]|$)|©|\bcopyright\b|^(?:no author|unknown|anonymous|admin|administrator|username|user|submitted|posted|published|updated|lesedauer|veröffentlicht|aktualisiert|作者|記者|记者|by|von|par|por|autor|auteur|author)$|\d.*\d`)

// editorName finds the editor who handled a story, whom Chinese news
// sites also put in <meta name=author>, in the page's (lowercased) text.
var editorName = regexp.MustCompile(`(?:责任编辑|責任編輯|责编|edited by|editing by|editor:|redaktion:|redakteur:|rédaction :|redacción:|редактор:)\s*[:：]?\s*([\p{L}·]{2,12}(?: [\p{L}·]{2,12})?)`)

// bylineLabel opens a byline in the languages the issue names.
var bylineLabel = regexp.MustCompile(`(?i)^(?:by|von|par|por|di|door|av|af|przez|tekst|texto|text|текст|автор|авторы|auteurs?|autor|autores|autoren|authors?|reporter|بقلم|حوار|كتب|作者|文|撰文|记者|記者)(?:\s*[:：]\s*|\s+)(\S.{0,80})$`)

// cjkReporter matches a Chinese byline: "半月谈记者 史卫燕", "新华社记者 张三".
var cjkReporter = regexp.MustCompile(`^[\p{Han}]{0,8}记者\s*([\p{Han}·]{2,4}(?:\s+[\p{Han}·]{2,4}){0,3})$`)

// agencies are the news agencies whose dispatches a page credits in its
// dateline ("BERLIN (dpa) –") or a source line ("Quelle: Reuters").
var agencies = `Reuters|AP|Associated Press|AFP|dpa|APA|KNA|epd|sda|ANSA|EFE|Agencia EFE|Europa Press|Xinhua|Kyodo|Jiji|Yonhap|TASS|ТАСС|РИА Новости|RIA Novosti|Interfax|Интерфакс|Anadolu|PA|Bloomberg|UPI|Belga|ANP|Lusa|PAP|CTK|ČTK|MTI|Agerpres|WAFA|KUNA|WAM|SPA|QNA|MENA|IRNA|PTI|IANS|Bernama|Antara|AAP|CP|Canadian Press|新华社|中新社|共同通信|時事通信`

var (
	// "BERLIN (dpa) –", "(Reuters) -", "PARIS, 3 mai (AFP) -"
	datelineAgency = regexp.MustCompile(`(?i)^[^()\n]{0,60}\((` + agencies + `)\)\s*[-–—:]`)
	// "Quelle: REUTERS", "Source: AFP", "Fuente: EFE", or just "JIJI"
	sourceAgency = regexp.MustCompile(`(?i)^(?:(?:quelle|source|fuente|fonte|bron|источник|por|par|by|von)\s*:?\s*)?(` + agencies + `)\.?$`)
)

// agencyCredit returns the agency a dispatch credits in its first lines or
// its credit elements, or "".
func agencyCredit(body []block, credits []string) string {
	for i, b := range body {
		if i >= 3 {
			break
		}
		if m := datelineAgency.FindStringSubmatch(b.text); m != nil {
			return m[1]
		}
		if m := sourceAgency.FindStringSubmatch(strings.TrimSpace(b.text)); m != nil {
			return m[1]
		}
	}
	for _, c := range credits {
		if m := sourceAgency.FindStringSubmatch(c); m != nil {
			return m[1]
		}
	}
	return ""
}

// bodyByline returns a byline printed in the first lines of the body
// ("Por Agencia EFE", "半月谈记者 史卫燕"), or "".
func bodyByline(body []block) string {
	for i, b := range body {
		if i >= 4 {
			break
		}
		t := strings.TrimSpace(b.text)
		if utf8.RuneCountInString(t) > 80 || strings.Contains(t, "\n") || sentenceEnd.MatchString(t) {
			continue
		}
		if m := bylineLabel.FindStringSubmatch(t); m != nil {
			return m[1]
		}
		if m := cjkReporter.FindStringSubmatch(t); m != nil {
			return m[1]
		}
		if name, ok := nameLine(t); ok {
			return name
		}
		if m := issuerLabel.FindStringSubmatch(t); m != nil {
			return m[1]
		}
	}
	return ""
}

// issuerLabel is a press release's credit of its issuer: "Herausgeber:
// Nordex SE", "Issued by: Acme Ltd".
var issuerLabel = regexp.MustCompile(`(?i)^(?:herausgeber(?:in)?|issued by|publisher|émetteur|emisor|emittente|utgiver|uitgever)\s*:\s*(\S.{1,60})$`)

// nameLine returns the name of a byline line "Name | Place | Date"
// ("Patricio Candia | Palma de Mallorca | 08/01/2014"): a person's name,
// then a bar and short parts, a date among them.
func nameLine(t string) (string, bool) {
	parts := strings.Split(t, "|")
	if len(parts) < 2 || len(parts) > 4 {
		return "", false
	}
	name := strings.TrimSpace(parts[0])
	if !isNameLike(name) {
		return "", false
	}
	dated := false
	for _, q := range parts[1:] {
		if len(strings.Fields(q)) > 4 {
			return "", false
		}
		dated = dated || strings.ContainsFunc(q, unicode.IsDigit)
	}
	return name, dated
}

// pickAuthor chooses the article's byline among the meta tags,
// trafilatura's (meta tags, JSON-LD and the byline element, skipping
// related-story boxes), readability's byline, the page's byline element
// outside page furniture and a byline printed atop the body, and last the
// agency a dispatch credits. Photo credits, editor lines, placeholders,
// profile links and the site's own name are never an author. When one
// source's name is another's with words added ("Aleš Vávra před"), the
// shorter is the name.
func (p *page) pickAuthor(x extracted, r readableText, site []string, body []block, pageURL string) string {
	meta := p.first("author", "article:author", "dc.creator", "parsely-author", "sailthru.author")
	text := ""
	if p.body != nil {
		text = strings.ToLower(nodeText(p.body))
	}
	var editors []string
	for _, m := range editorName.FindAllStringSubmatch(text, 5) {
		if n := norm(m[1]); n != "" {
			editors = append(editors, n)
		}
	}
	var ok []string
	bodyText := joinBlocks(body)
	var descs []block
	for _, d := range []string{p.first("description"), p.first("og:description")} {
		descs = append(descs, block{tag: "p", text: plainInline(d)})
	}
	press := isPressRelease(pageURL, p.title, p.h1s)
	const printedByline = 4 // the index of the page's byline element below
	sources := []string{meta, x.author, p.source, r.byline, trimByline(p.byline), bodyByline(body), leadCredit(body), leadCredit(descs), coBylines(p.bylines, p.bylinesAt)}
	// A name the site's own name is appended to, and that is not a
	// person's, is the site's desk or section ("Zone Justice -
	// ICI.Radio-Canada.ca"), however another source spells it.
	var desks []string
	for _, a := range sources {
		raw := plainInline(a)
		if c := trimBy(cleanAuthor(raw, site)); c != trimBy(raw) && !isNameLike(c) && !isAgency(c) {
			desks = append(desks, norm(c))
		}
	}
	// Teasers come in lists: one name alone in a box is more likely the
	// article's author's biography.
	teasers := len(slices.Compact(slices.Sorted(slices.Values(p.teaserBylines)))) >= 2
	var printed []string // the names the page's own tags and byline give
	for i, a := range sources {
		if i != 1 && i != 3 {
			printed = append(printed, norm(trimBy(cleanAuthor(plainInline(a), site))))
		}
	}
	for i, a := range sources {
		a = trimBy(cleanAuthor(plainInline(a), site))
		if slices.Contains(desks, norm(a)) {
			continue
		}
		if i := strings.LastIndex(a, "("); i > 0 && strings.HasSuffix(a, ")") {
			a = strings.TrimSpace(a[:i]) // "Name (Bruxelles, bureau européen)"
		}
		switch {
		case a == "", looksLikeURL(a), utf8.RuneCountInString(a) > 100, notAuthor.MatchString(a):
			continue
		case strings.HasPrefix(a, "("), strings.Count(a, "(") != strings.Count(a, ")"):
			continue
		case strings.Contains(a, "http"):
			continue
		case i == printedByline && press && isSiteName(a, site):
			// A press release credits its issuer, whose site it is on,
			// in a printed byline.
		case isSiteName(a, site) && (!strings.ContainsAny(a, ";,") || slices.ContainsFunc(site, func(s string) bool { return norm(s) == norm(a) })) && !sourceAgency.MatchString(a):
			continue // the site crediting itself
		case i > 0 && a != trimBy(p.byline) && slices.Contains(p.otherBylines, a) && !strings.Contains(bodyText, a):
			continue // another story's, in a related-story box
		case slices.ContainsFunc(editors, func(e string) bool { return isEditor(norm(a), e) }):
			continue // the page names this person as the editor
		case i > 0 && slices.Contains(p.commenters, norm(a)):
			continue // a reader's comment
		case (i == 1 || i == 3) && teasers && slices.Contains(p.teaserBylines, norm(a)) && !strings.Contains(norm(bodyText), norm(a)) && !slices.Contains(printed, norm(a)):
			// The extractors read teasers too: a name that only they
			// give, and a related story's teaser prints as its
			// author, is that story's.
			continue
		}
		ok = append(ok, a)
	}
	if len(ok) > 0 {
		// The name most sources agree on wins; the first source breaks a
		// tie.
		best, votes := ok[0], 0
		for _, a := range ok {
			n := 0
			for _, b := range ok {
				if na, nb := norm(a), norm(b); strings.Contains(na, nb) || strings.Contains(nb, na) {
					n++
				}
			}
			if n > votes {
				best, votes = a, n
			}
		}
		for _, a := range ok {
			if len(a) < len(best) && strings.HasPrefix(best, a+" ") {
				best = a
			}
		}
		// A story by several writers: one source names them all, another
		// only the first.
		for _, a := range ok {
			if names := personNames(a); len(names) >= 2 && slices.ContainsFunc(names, func(n string) bool { return norm(n) == norm(best) }) {
				return a
			}
		}
		if a, ok := deskAgency(best); ok {
			return a
		}
		return best
	}
	if a := agencyCredit(body, p.credits); a != "" {
		return a
	}
	if p.source != "" {
		return p.source
	}
	// Chinese news sites credit the outlet a story came from.
	if src := plainInline(p.first("source")); src != "" && !looksLikeURL(src) && utf8.RuneCountInString(src) <= 40 && !isSiteName(src, site) {
		return src
	}
	if m := sourceLine.FindStringSubmatch(text); m != nil && !isSiteName(m[1], site) {
		return m[1]
	}
	return urlAgency(pageURL)
}

// pressPath matches the address of a press release: its path has a press
// room's segment.
var pressPath = regexp.MustCompile(`(?i)/(?:press|presse|pressemitteilungen|pressemeldungen|presserom|pressroom|newsroom|press-releases?|communiques?|comunicados?|comunicati|persberichten)(?:/|$)`)

// pressWords name a press release in a page's title or heading.
var pressWords = regexp.MustCompile(`(?i)\b(?:press release|pressemitteilung|pressemeldung|communiqué de presse|nota de prensa|comunicato stampa|persbericht)\b`)

// isPressRelease reports whether a page is a press release, by its address
// or its title and headings.
func isPressRelease(pageURL, title string, h1s []string) bool {
	if u, err := url.Parse(pageURL); err == nil && pressPath.MatchString(u.Path) {
		return true
	}
	return pressWords.MatchString(title + "\n" + strings.Join(h1s, "\n"))
}

// deskWords name an agency's or paper's newsroom rather than a writer.
var deskWords = map[string]bool{
	"agenzia": true, "agencia": true, "agence": true, "agency": true, "agentur": true, "redazione": true, "redacción": true,
	"rédaction": true, "redaktion": true, "redação": true, "redactie": true, "staff": true, "newsroom": true, "desk": true,
}

// deskAgency returns the agency a byline of several desks names: "Agenzia
// ANSA; Redazione ANSA" is ANSA's dispatch. One desk ("Agencia EFE") is
// kept as the page prints it.
func deskAgency(a string) (string, bool) {
	agency := ""
	parts := strings.FieldsFunc(a, func(r rune) bool { return r == ';' || r == ',' || r == '/' })
	if len(parts) < 2 {
		return "", false
	}
	for _, part := range parts {
		found := ""
		for _, w := range strings.Fields(part) {
			switch {
			case deskWords[strings.ToLower(w)]:
			case found == "" && sourceAgency.MatchString(w):
				found = w
			default:
				return "", false
			}
		}
		if found == "" || agency != "" && !strings.EqualFold(found, agency) {
			return "", false
		}
		agency = found
	}
	return agency, agency != ""
}

// urlAgencies are the agencies an aggregator files dispatches under in its
// addresses (".../ultimas-noticias/reuters/2020/03/14/..."); short names
// such as AP or PA are left out, as path words they mean other things.
var urlAgencies = map[string]string{
	"reuters": "Reuters", "afp": "AFP", "dpa": "dpa", "efe": "EFE", "ansa": "ANSA", "xinhua": "Xinhua",
	"kyodo": "Kyodo", "bloomberg": "Bloomberg", "tass": "TASS", "lusa": "Lusa", "anadolu": "Anadolu",
}

// urlAgency returns the agency a page's address files it under, or "".
func urlAgency(pageURL string) string {
	u, err := url.Parse(pageURL)
	if err != nil {
		return ""
	}
	for _, seg := range strings.Split(strings.ToLower(u.Path), "/") {
		if a, ok := urlAgencies[seg]; ok {
			return a
		}
	}
	return ""
}

// sourceLine is a Chinese page's credit of the outlet a story came from.
var sourceLine = regexp.MustCompile(`(?:来源|來源)\s*[:：]\s*(\S{2,20})`)

var (
	// "【6月18日 AFP】", "【エルサレム＝酒井圭吾】": a Japanese dispatch's
	// dateline names the agency or the reporter.
	bracketCredit = regexp.MustCompile(`^【([^】]{1,40})】`)
	// "〔記者巫其倫／台北報導〕", "（记者 张三）"
	reporterCredit = regexp.MustCompile(`^[〔［\[（(【]?(?:記者|记者)\s*([\p{Han}·]{2,4})\s*[／/）)〕］\]】\s]`)
	agencyAtEnd    = regexp.MustCompile(`(?i)(?:^|[\s　])(` + agencies + `)$`)
)

// leadCredit returns the agency or reporter credited at the start of the
// first paragraphs, in the bracketed form of Japanese and Chinese news.
func leadCredit(body []block) string {
	for i, b := range body {
		if i >= 3 {
			break
		}
		t := strings.TrimSpace(b.text)
		// "【読売新聞】　【エルサレム＝酒井圭吾】": the paper, then the dateline.
		for k := 0; k < 3; k++ {
			m := bracketCredit.FindStringSubmatch(t)
			if m == nil {
				break
			}
			inner := strings.TrimSpace(m[1])
			if a := agencyAtEnd.FindStringSubmatch(inner); a != nil {
				return a[1]
			}
			if _, name, ok := strings.Cut(strings.ReplaceAll(inner, "＝", "="), "="); ok && utf8.RuneCountInString(strings.TrimSpace(name)) >= 2 {
				return strings.TrimSpace(name)
			}
			t = strings.TrimLeft(t[len(m[0]):], " 　")
		}
		if m := reporterCredit.FindStringSubmatch(t); m != nil {
			return m[1]
		}
	}
	return ""
}

// ellipsis matches text that ends cut short.
var ellipsis = regexp.MustCompile(`(?:…|\.\.\.|\[…\]|\[\.\.\.\])\s*$`)

// sentenceEnd matches text that ends a sentence.
var sentenceEnd = regexp.MustCompile(`[.!?。！？؟।][\s"'”’»)」』]*$`)

// pickDescription chooses the summary among the page's descriptions: a
// complete sentence beats one without an end, which beats one cut short
// ("…", or the start of a longer one). When every one is cut short the
// summary is left to the body's first paragraph, if there is one.
func pickDescription(title string, site []string, body []block, descs ...string) string {
	best, bestScore := "", -1
	var about strings.Builder // what the article is about
	about.WriteString(title)
	for i, b := range body {
		if i < 4 {
			about.WriteString("\n" + b.text)
		}
	}
	for _, d := range descs {
		d = plainInline(d)
		if d == "" || isSiteName(d, site) || len(body) > 0 && !related(d, about.String()) {
			continue // the site's name or its tagline, on every page
		}
		score := 1
		switch {
		case ellipsis.MatchString(d):
			score = 0
		case sentenceEnd.MatchString(d):
			score = 2
		}
		if score == 1 {
			for _, o := range descs {
				if o = plainInline(o); len(o) > len(d) && strings.HasPrefix(o, d) {
					score = 0 // cut mid-sentence, maybe mid-word
				}
			}
		}
		if score > bestScore {
			best, bestScore = d, score
		}
	}
	if bestScore == 0 && firstParagraph(body) != "" {
		return ""
	}
	return best
}

// inBody returns the descriptions that are sentences of the article's
// opening: the lede is "a real sentence of the article", and a
// description that is not is a dek written for search engines and sharing,
// a site's slogan, a live blog's blurb or a line from further down. The
// opening is the lead paragraph and the one after it, and the standfirst
// printed just above them (a preface the extractors left out of the body).
// Text is compared by its letters and digits only, so quote style, spacing
// and a trailing ellipsis do not matter. A page without a lead paragraph
// keeps every description: there is nothing better.
func inBody(body []block, shown string, descs ...string) []string {
	i := ledeIndex(body)
	if i < 0 {
		return descs
	}
	lead := norm(body[i].text)
	text := lead
	if i+1 < len(body) {
		text += norm(body[i+1].text)
	}
	// The standfirst is printed just above the lead; the same text further
	// off is a teaser in a promotion box. A dispatch has none: it opens
	// with its dateline, and what its header prints is a summary.
	above := ""
	if r := []rune(lead); len(r) > 0 && !isDispatch(body[i].text) {
		page := norm(shown)
		if k := strings.Index(page, string(r[:min(len(r), 40)])); k > 0 {
			above = page[max(0, k-standfirstReach):k]
		}
	}
	var in []string
	for _, d := range descs {
		d = plainInline(d)
		n := norm(ellipsis.ReplaceAllString(d, ""))
		switch {
		case n == "" || !isLedeText(d):
		case strings.Contains(text, n):
			in = append(in, d)
		// A one-line tagline over the article is a dek; a standfirst
		// is a sentence of substance.
		case strings.Contains(above, n) && (len(strings.Fields(d)) >= 12 || len(strings.Fields(d)) < 3 && utf8.RuneCountInString(d) >= 30):
			in = append(in, d)
		}
	}
	return in
}

// isDispatch reports whether a paragraph opens with an agency's dateline:
// "BERLIN (dpa) –", "МОСКВА, 29 июня. /ТАСС/.".
func isDispatch(t string) bool {
	_, ok := agencyOfDateline(t)
	return ok || datelineAgency.MatchString(t)
}

// ledeIndex returns the index of the body's lead paragraph: the first
// paragraph that is a sentence of the article, not a caption, credit,
// byline, dateline, kicker or subhead; -1 if there is none.
func ledeIndex(body []block) int {
	for i, b := range body {
		if b.tag != "p" && b.tag != "" {
			continue
		}
		if isLedeText(b.text) {
			return i
		}
	}
	return -1
}

// isLedeText reports whether t reads as an article's opening sentence: a
// dozen words or more (in text without spaces, twenty characters), not a
// caption, credit or byline.
func isLedeText(t string) bool {
	t = strings.TrimSpace(t)
	if caption.MatchString(t) || notAuthor.MatchString(t) && utf8.RuneCountInString(t) < 60 {
		return false
	}
	if _, ok := parseByline(t); ok {
		return false
	}
	// A short line of label and text ("出国前：…", "Update: …") is a
	// kicker or subhead.
	label := strings.ContainsAny(t, ":：") && !sentenceEnd.MatchString(t) || strings.Contains(t, "：")
	n := len(strings.Fields(t))
	if n < 3 && !unicode.Is(unicode.Latin, firstLetter(t)) {
		// Text without spaces: a sentence of ten characters or more.
		runes := utf8.RuneCountInString(t)
		return runes >= 30 || runes >= 10 && sentenceEnd.MatchString(t) && !label
	}
	return n >= 6 || n >= 3 && sentenceEnd.MatchString(t) && !label
}

// firstLetter returns the first letter of s, or 0.
func firstLetter(s string) rune {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return r
		}
	}
	return 0
}

// kickerClassRe matches the class names pages give the kicker set in
// their headline element ("Linde" over "Gasekonzern muss …"): kicker,
// overline, eyebrow, Dachzeile, Spitzmarke, supertitle, topline, antetítulo,
// occhiello.
var kickerClassRe = regexp.MustCompile(`(?i)kicker|overline|eyebrow|dachzeile|spitzmarke|super-?title|topline|roofline|antetitulo|occhiello`)

// headlineKicker returns the text of a kicker element inside heading n,
// or "".
func headlineKicker(n *html.Node) string {
	var found string
	var walk func(*html.Node)
	walk = func(c *html.Node) {
		for ; c != nil && found == ""; c = c.NextSibling {
			if c.Type == html.ElementNode {
				if kickerClassRe.MatchString(attr(c, "class")) {
					found = strings.TrimSpace(headingText(c))
					return
				}
				walk(c.FirstChild)
			}
		}
	}
	walk(n.FirstChild)
	if words(found) > 4 {
		return "" // a subheading, not a kicker
	}
	return found
}

// dropKicker returns title without a kicker the headline element printed
// apart from it, which og:title and <title> join to it ("Linde:
// Gasekonzern muss …", "Genetik: Das Geheimnis …").
func dropKicker(title string, kickers []string) string {
	for _, k := range kickers {
		if k == "" || !hasPrefixFold(title, k) {
			continue
		}
		rest := strings.TrimLeft(title[len(k):], " :|–—-")
		if len(rest) < len(title)-len(k) && words(rest) >= 3 {
			return rest
		}
	}
	return title
}

// headingText returns a heading's text as printed: ruby annotations (the
// readings set over kanji) are left out, and inline elements add no space,
// which CJK text has none of.
func headingText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
		case n.Type == html.ElementNode && (rawTextElements[n.Data] || n.Data == "rt" || n.Data == "rp"):
			return
		case n.Type == html.ElementNode && !inlineElements[n.Data] && n.Data != "ruby":
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c)
	}
	return strings.Join(strings.Fields(dropControls(b.String())), " ")
}

// related reports whether a description of eight words or more shares a
// word of four letters or more (or, in text without spaces, three pairs of
// characters) with the article's title and opening; a shorter one always
// is. A site's tagline, the same on every page, is not.
func related(desc, about string) bool {
	words := strings.Fields(desc)
	cjkText := len(words) < 3
	if !cjkText && len(words) < 8 || cjkText && utf8.RuneCountInString(desc) < 20 {
		return true
	}
	a := tokens(about)
	shared := 0
	for k := range tokens(desc) {
		if a[k] && (cjkText || utf8.RuneCountInString(k) >= 4) {
			shared++
		}
	}
	// Text without spaces shares common pairs ("記事") by chance.
	return cjkText && shared >= max(3, len(tokens(desc))/8) || !cjkText && shared >= 1
}

// parseZonedDate is parseDate keeping the zone the page wrote, so that the
// date is the day the page shows ("2023-11-02T00:01+01:00" is the 2nd).
func parseZonedDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// caption matches the start of a photo caption or credit.
// A word such as "Photo" opens a credit only when a label mark, a name or
// the end follows it: "Photos à l'appui, …" is a sentence.
var caption = regexp.MustCompile(`(?i)^(?:图为|圖為|图片|圖片|写真|(?:фото|photos?|fotos?|bild|image|credits?)(?:\s*[:：/|©]|\s+(?:by|von|de|di|por|par)\s|$)|von links nach rechts|from left|de gauche à droite|de izquierda a derecha)`)

// dropLeadingMeta removes the lines above the first sentence of the
// article that are not the article: the byline, a date and time, a
// dateline, a credit or caption, a source line, a bracketed promotion.
// They would otherwise become the lede. Headings are kept; the first
// paragraph that ends a sentence, or a list, ends the search.
func dropLeadingMeta(body []block, author string) []block {
	out := make([]block, 0, len(body))
	for i, b := range body {
		t := strings.TrimSpace(b.text)
		switch {
		case i >= 8:
		case strings.HasPrefix(b.tag, "h"):
			out = append(out, b)
			continue
		case isBylineText(t, author), caption.MatchString(t), strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]"):
			continue
		case b.tag == "li" || b.tag == "pre" || sentenceEnd.MatchString(t) || utf8.RuneCountInString(t) > 120:
		default:
			continue
		}
		return append(out, body[i:]...)
	}
	return body // no sentence at all: nothing to tell the article by
}

// cleanAuthor drops the site's name from a byline that carries it ("Pete
// Evans · CBC News").
func cleanAuthor(a string, site []string) string {
	parts := splitTitle(a)
	if len(parts) == 1 {
		return a
	}
	var keep []titlePart
	for _, p := range parts {
		if !isSiteName(p.text, site) {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 || len(keep) == len(parts) {
		return a
	}
	keep[0].sep = ""
	return joinParts(keep)
}

// isHidden reports whether n is marked as not shown: a heading kept for
// screen readers and search engines is often the site's name.
func isHidden(n *html.Node) bool {
	if _, ok := attrOK(n, "hidden"); ok || attr(n, "aria-hidden") == "true" {
		return true
	}
	for _, w := range strings.Fields(strings.ToLower(attr(n, "class"))) {
		switch w {
		case "hidden", "hide", "sr-only", "visually-hidden", "visuallyhidden", "screen-reader-text", "offscreen":
			return true
		}
	}
	return strings.Contains(strings.ReplaceAll(attr(n, "style"), " ", ""), "display:none")
}

// attrOK returns n's attribute key and whether n has it.
func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// isEditor reports whether the (normalised) author a is the editor e the
// page names. Chinese text runs the editor's name into what follows it,
// and sites prefix it with their own ("青网校园崔宁宁"), so for Han names
// the last two to four characters of a starting e is enough.
func isEditor(a, e string) bool {
	if a == e || strings.HasPrefix(e, a) && len(e) > len(a) && !unicode.Is(unicode.Latin, []rune(e)[len([]rune(a))]) {
		return true
	}
	ra := []rune(a)
	if len(ra) < 2 || !unicode.Is(unicode.Han, ra[len(ra)-1]) {
		return false
	}
	for k := 2; k <= 4 && k <= len(ra); k++ {
		if strings.HasPrefix(e, string(ra[len(ra)-k:])) && (k >= 3 || k == len(ra)) {
			return true
		}
	}
	return false
}
