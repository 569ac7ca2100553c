package article

import (
	"strings"

	"golang.org/x/net/html"
)

// A block is one paragraph of plain text and the element it came from, so
// that a summary can be taken from a real paragraph rather than a heading.
type block struct {
	tag  string // "p", "h1", "li", "pre", ... or "" for loose text
	text string // plain text; lines separated by single newlines
}

// blockElements start a new paragraph of text.
var blockElements = map[string]bool{
	"address": true, "article": true, "blockquote": true, "dd": true, "details": true,
	"div": true, "dl": true, "dt": true, "fieldset": true, "figcaption": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"hr": true, "li": true, "main": true, "ol": true, "p": true, "pre": true,
	"section": true, "summary": true, "table": true, "tbody": true, "td": true,
	"th": true, "thead": true, "tr": true, "ul": true, "body": true,
}

// pageFurniture are elements that hold a page's navigation and extras, not
// its article.
var pageFurniture = map[string]bool{
	"nav": true, "header": true, "footer": true, "aside": true, "form": true,
	"button": true, "select": true, "figure": true, "menu": true, "dialog": true,
	"canvas": true, "embed": true, "head": true, "input": true, "img": true,
}

// furnitureClasses are class or id words that mark sharing buttons,
// related links, comments, ads and author boxes.
var furnitureClasses = map[string]bool{
	"share": true, "sharing": true, "social": true, "related": true,
	"comments": true, "comment": true, "breadcrumb": true, "breadcrumbs": true,
	"newsletter": true, "ad": true, "ads": true, "advert": true,
	"advertisement": true, "promo": true, "sidebar": true, "subscribe": true,
	"author-box": true, "author-bio": true, "about-author": true, "byline": true,
	"share-buttons": true, "social-share": true, "related-posts": true,
	"related-articles": true, "sharedaddy": true, "cookie-banner": true,
	"skip-link": true, "screen-reader-text": true, "sr-only": true,
	"visually-hidden": true, "post-meta": true, "entry-meta": true, "tags": true,
}

// furniturePrefixes are class or id word prefixes with the same meaning.
var furniturePrefixes = []string{"related-", "share-", "social-", "comments-", "comment-", "ad-", "ads-", "advert", "newsletter", "breadcrumb", "sidebar"}

// extractor turns an HTML tree into blocks of plain text.
type extractor struct {
	page   bool // skip navigation, headers and the like, as on a web page
	blocks []block
	cur    strings.Builder
	tag    string // the element the current block belongs to
	prefix string // "- " before a list item's first text
	pre    int    // depth inside <pre>
}

// htmlBlocks returns the paragraphs of text under n. With page set, page
// furniture (navigation, headers, footers, sharing and comment sections) is
// left out.
func htmlBlocks(n *html.Node, page bool) []block {
	e := &extractor{page: page}
	e.walk(n, true)
	e.flush()
	return e.blocks
}

func (e *extractor) walk(n *html.Node, root bool) {
	switch n.Type {
	case html.TextNode:
		e.text(n.Data)
		return
	case html.DocumentNode:
	case html.ElementNode:
		if e.skip(n, root) {
			return
		}
	default:
		return
	}
	name := n.Data
	if name == "br" {
		e.cur.WriteByte('\n')
		return
	}
	isBlock := blockElements[name]
	if isBlock {
		e.flush()
		e.tag = name
		if name == "li" {
			e.prefix = "- "
		}
	}
	if name == "pre" {
		e.pre++
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		e.walk(c, false)
	}
	if name == "pre" {
		e.pre--
	}
	if isBlock {
		e.flush()
	}
	if name == "li" {
		e.prefix = "" // an empty item must not mark the next block
	}
}

// skip reports whether element n and everything in it is left out.
func (e *extractor) skip(n *html.Node, root bool) bool {
	if rawTextElements[n.Data] {
		return true
	}
	for _, a := range n.Attr {
		switch {
		case a.Key == "hidden", a.Key == "aria-hidden" && a.Val == "true":
			return true
		case a.Key == "style" && strings.Contains(strings.ReplaceAll(a.Val, " ", ""), "display:none"):
			return true
		}
	}
	if !e.page || root {
		return false
	}
	if pageFurniture[n.Data] {
		return true
	}
	for _, a := range n.Attr {
		if a.Key == "role" && (a.Val == "navigation" || a.Val == "banner" || a.Val == "contentinfo" || a.Val == "complementary") {
			return true
		}
		if a.Key != "class" && a.Key != "id" {
			continue
		}
		for _, w := range strings.Fields(strings.ToLower(a.Val)) {
			if furnitureClasses[w] {
				return true
			}
			for _, p := range furniturePrefixes {
				if strings.HasPrefix(w, p) {
					return true
				}
			}
		}
	}
	return false
}

func (e *extractor) text(s string) {
	if e.pre == 0 {
		s = strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, s)
	}
	if strings.TrimSpace(s) == "" {
		if e.cur.Len() > 0 {
			e.cur.WriteString(s)
		}
		return
	}
	if e.prefix != "" && strings.TrimSpace(e.cur.String()) == "" {
		e.cur.Reset()
		e.cur.WriteString(e.prefix)
		e.prefix = ""
		e.tag = "li"
	}
	e.cur.WriteString(s)
}

// flush ends the current block.
func (e *extractor) flush() {
	if t := cleanLines(e.cur.String()); t != "" && t != "-" {
		e.blocks = append(e.blocks, block{tag: e.tag, text: t})
	}
	e.cur.Reset()
	e.tag = ""
}

// nodeText returns the text under n as one line.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
		case n.Type == html.ElementNode && rawTextElements[n.Data]:
			return
		case n.Type == html.ElementNode:
			b.WriteByte(' ')
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c) // n itself may be <title>, whose text is wanted here
	}
	return strings.Join(strings.Fields(dropControls(b.String())), " ")
}

// attr returns the value of n's attribute key, or "".
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// joinBlocks returns the text of blocks as paragraphs separated by blank
// lines.
func joinBlocks(bs []block) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = b.text
	}
	return strings.Join(parts, "\n\n")
}
