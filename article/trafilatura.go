//go:build !sendonly

package article

import (
	"net/url"
	"unicode/utf8"

	"github.com/go-shiori/dom"
	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"
)

// extract runs trafilatura over a copy of doc, offering it readability's
// article (r) as a candidate so that readability is not run twice. A page
// it cannot read, or whose text is too short for it, gives what it found
// in the page's metadata and no body.
func extract(doc *html.Node, base *url.URL, r readableText) extracted {
	if tooCostly(doc) {
		return extracted{}
	}
	o := trafilatura.Options{
		Config:          trafilatura.DefaultConfig(),
		OriginalURL:     base,
		EnableFallback:  true,
		ExcludeComments: true,
		// Extensive date search reads dates written in many languages.
		HtmlDateMode: trafilatura.Extensive,
		// The HTML body keeps the article's links (the text walk reads
		// through them). Images stay out: trafilatura turns their
		// captions into paragraphs, which the lede would be taken from.
		IncludeLinks: true,
	}
	if r.node != nil {
		o.FallbackCandidates = &trafilatura.FallbackCandidates{Readability: dom.Clone(r.node, true)}
	}
	res, err := trafilatura.ExtractDocument(dom.Clone(doc, true), o)
	if err != nil || res == nil {
		return extracted{}
	}
	m := res.Metadata
	x := extracted{
		title: m.Title, author: m.Author, sitename: m.Sitename, description: m.Description,
		image: m.Image, date: m.Date,
	}
	// Below MinExtractedSize trafilatura falls back to a "baseline" of all
	// the page's text, scripts and hidden text included: on such a page
	// readability's article, or the page walk, is the better body.
	if res.ContentNode != nil && utf8.RuneCountInString(res.ContentText) >= o.Config.MinExtractedSize {
		x.body, x.node = htmlBlocks(res.ContentNode, true), res.ContentNode
	}
	return x
}
