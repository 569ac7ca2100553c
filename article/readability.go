package article

import (
	"bytes"
	"io"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"

	"syndicate"
)

// MaxPageSize is the largest web page FromPage reads, in bytes. It matches
// the fetch package's default limit, so that a page fetched within that
// limit is never refused here; pages are larger than article files because
// of their inline scripts and styles.
const MaxPageSize = 5 << 20

// maxReadableElements bounds the pages readability is run on. Its scoring
// passes grow with the number of elements; a real article page has a few
// thousand, and one with more is read with the simpler page walk instead.
const maxReadableElements = 50000

// FromPage extracts an article from a web page. pageURL is the address the
// page was fetched from (after redirects), or "" if not known: relative
// links are resolved against it and it is the article's URL when the page
// names no canonical one (<link rel=canonical>, og:url). o.URL overrides
// both.
//
// The body, title, author, date and site name are read by trafilatura,
// with readability's article as one of its candidates, and where it finds
// nothing by readability, the meta tags (Open Graph, Dublin Core) and the
// page's own elements; see parseHTML for how the headline, byline and
// summary are chosen. The body is plain-text paragraphs separated by blank
// lines, without navigation, footers, scripts or markup. A page without a
// usable description gets the first paragraph of its body. An image that
// is not an http(s) URL is dropped. What an editor should check is
// reported to o.Warn.
//
// The page may be in any encoding its <meta charset> or byte-order mark
// names. Every problem is a *syndicate.Error with code EINVALID naming
// the page.
func FromPage(body []byte, pageURL string, o Options) (syndicate.Article, error) {
	subj := "web page"
	if pageURL != "" {
		subj = "web page " + pageURL
	}
	if len(body) > MaxPageSize {
		return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "%s is larger than %d bytes", subj, MaxPageSize)
	}
	text, err := decodePage(body)
	if err != nil {
		return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "%s cannot be decoded: %v", subj, err)
	}
	if strings.TrimSpace(text) == "" {
		return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "%s is empty", subj)
	}
	if strings.IndexByte(text, 0) >= 0 {
		// NUL in decoded text means the body is not HTML at all (an image,
		// an archive), whatever the server called it.
		return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "%s is not text", subj)
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	f, err := parseHTML(subj, text, pageURL)
	if err != nil {
		return syndicate.Article{}, err
	}
	return finish(subj, f, o)
}

// decodePage returns a page's bytes as UTF-8, in the encoding its
// byte-order mark or <meta charset> names; a page naming none is UTF-8 if
// it is valid UTF-8, else Windows-1252, as browsers read it.
func decodePage(body []byte) (string, error) {
	enc, name, _ := charset.DetermineEncoding(body, "")
	if name == "utf-8" && utf8.Valid(body) {
		return string(bytes.TrimPrefix(body, []byte("\ufeff"))), nil
	}
	b, err := io.ReadAll(enc.NewDecoder().Reader(bytes.NewReader(body)))
	if err != nil {
		return "", err
	}
	return strings.TrimPrefix(string(b), "\ufeff"), nil
}

// readableText is what readability found in a page.
type readableText struct {
	title, byline, image, published string
	node                            *html.Node // the article's element, nil if none
	body                            []block    // nil if it found no article text
}

// readable runs readability over a copy of doc. base, if not nil, is the
// page's address. A page readability cannot read gives an empty result,
// not an error: the meta tags and the simpler page walk still describe it.
func readable(doc *html.Node, base *url.URL) readableText {
	if tooCostly(doc) {
		return readableText{}
	}
	p := readability.NewParser()
	// Keep class names so that the page-furniture rules of htmlBlocks
	// (sharing buttons, related links, bylines) still apply to what
	// readability leaves in.
	p.KeepClasses = true
	a, err := p.ParseDocument(doc, base)
	if err != nil {
		return readableText{}
	}
	r := readableText{title: a.Title(), byline: a.Byline(), image: a.ImageURL()}
	// A missing or unparsable date is no date: the other sources are tried.
	if t, err := a.PublishedTime(); err == nil && !t.IsZero() {
		r.published = t.Format(time.RFC3339) // in the page's zone: the day it shows
	}
	if a.Node != nil {
		r.node = a.Node
		r.body = htmlBlocks(a.Node, true)
	}
	return r
}

// extracted is what trafilatura found in a page.
type extracted struct {
	title, author, sitename, description, image string
	date                                        time.Time  // zero if none
	body                                        []block    // nil if it found no article text
	node                                        *html.Node // the body's element, nil with no body
}

// maxDepthText bounds a page's deepest nesting times its text, in bytes:
// readability measures the text under every element, so a megabyte of
// text under hundreds of nested elements costs it seconds. A real article
// (tens of levels, a few hundred KB) is far below.
const maxDepthText = 64 << 20

// tooCostly reports whether doc is too large for the extractors: more than
// maxReadableElements elements, or text nested deeper than maxDepthText
// allows. Such a page is read with the simpler page walk.
func tooCostly(doc *html.Node) bool {
	// Both extractors' cleaning passes are quadratic in nesting depth.
	if countElements(doc, maxReadableElements+1) > maxReadableElements || deeperThan(doc, maxReadableDepth) {
		return true
	}
	text, deepest := 0, 0
	var walk func(*html.Node, int)
	walk = func(n *html.Node, depth int) {
		deepest = max(deepest, depth)
		if n.Type == html.TextNode {
			text += len(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth+1)
		}
	}
	walk(doc, 0)
	return text*deepest > maxDepthText
}

// countElements counts the elements under n, stopping at limit.
func countElements(n *html.Node, limit int) int {
	count := 0
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil && count < limit; c = c.NextSibling {
			if c.Type == html.ElementNode {
				count++
			}
			walk(c)
		}
	}
	walk(n)
	return count
}
