package article

import (
	htmltemplate "html/template"
	"math"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"syndicate"
)

// The HTML body of an article (syndicate.Article.BodyHTML) is what is left
// of the article's own markup after an allow-list: the elements of running
// text, links and images, nothing that runs, styles or submits. It is built
// afresh from the nodes the allow-list keeps, so no attribute or element of
// the input can slip through, and it is sanitised again whenever it is
// rendered (RenderBodyHTML), so what the store or a template override holds
// is never trusted as markup.

// bodyElements maps each element kept to the element written: an h1 is a
// sub-heading under the email's own headline, h5 and h6 the smallest one.
var bodyElements = map[string]string{
	"p": "p", "h1": "h2", "h2": "h2", "h3": "h3", "h4": "h4", "h5": "h4", "h6": "h4",
	"ul": "ul", "ol": "ol", "li": "li", "blockquote": "blockquote", "pre": "pre", "code": "code",
	"strong": "strong", "em": "em", "b": "b", "i": "i", "br": "br", "a": "a", "img": "img",
	"figure": "figure", "figcaption": "figcaption",
}

// droppedElements are left out with everything in them: what they hold is
// code, styling, forms or embedded media, not text of the article.
var droppedElements = map[string]bool{
	"script": true, "style": true, "iframe": true, "form": true, "svg": true, "math": true,
	"noscript": true, "template": true, "object": true, "embed": true, "video": true,
	"audio": true, "canvas": true, "button": true, "input": true, "select": true,
	"textarea": true, "head": true, "title": true, "frame": true, "frameset": true,
	"noembed": true, "noframes": true, "xmp": true, "plaintext": true, "dialog": true,
}

// pageMedia are the page furniture a web page's body keeps in its HTML:
// the plain text leaves figures out, the HTML body shows them.
var pageMedia = map[string]bool{"figure": true, "img": true, "picture": true, "figcaption": true}

// maxBodyDepth bounds the nesting of the elements written, as
// maxMarkerNesting bounds that of Markdown's containers: deeper elements
// are unwrapped to their text, which keeps every later walk of the body
// (the render, a re-parse) shallow.
const maxBodyDepth = maxMarkerNesting

// bodyBudget is how many bytes of HTML the sanitiser writes, counted as
// it goes: a body that needs more has no HTML body (its plain text, whole,
// is shown instead). It is below syndicate.MaxBodyLen because it is
// counted roughly.
const bodyBudget = syndicate.MaxBodyLen - syndicate.MaxBodyLen/16

// MaxBodyImageWidth is the widest an image of a rendered body is declared
// (its width attribute): the email's card is 568 pixels inside its padding.
const MaxBodyImageWidth = 560

// sanitizer builds the allowed copy of an HTML tree.
type sanitizer struct {
	base   *url.URL // resolves relative links and images; nil keeps only absolute ones
	budget int      // bytes of output left, roughly: past it nothing more is added
	page   bool     // leave out a web page's furniture (sharing, related links), as its text does
}

// SanitizeHTML returns the allowed HTML of src, a fragment of an article
// body (a CMS post's html, say), with relative links and images resolved
// against base, the article's URL ("" keeps only absolute ones). It returns
// "" when nothing readable is left or the result would be larger than the
// body's limit. It never fails: input the HTML parser refuses gives "".
func SanitizeHTML(src, base string) string {
	out := clean(parseFragment(src), baseURL(base), false)
	if out == nil {
		return ""
	}
	return render(out, syndicate.MaxBodyLen)
}

// sanitizeNode returns the allowed HTML of what is under n. With page set,
// n is a web page's article and its furniture is left out.
func sanitizeNode(n *html.Node, base *url.URL, page bool) string {
	out := clean(n, base, page)
	if out == nil {
		return ""
	}
	return render(out, syndicate.MaxBodyLen)
}

// parseFragment parses src as the content of a <div> and returns that
// <div>, or nil when src is blank or the parser refuses it.
func parseFragment(src string) *html.Node {
	if strings.TrimSpace(src) == "" {
		return nil
	}
	root := &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div}
	nodes, err := html.ParseFragment(strings.NewReader(src), root)
	if err != nil {
		return nil // nested too deeply to be an article
	}
	for _, n := range nodes {
		root.AppendChild(n)
	}
	return root
}

// clean returns the allowed copy of what is under n (nil is nothing), or
// nil when nothing readable is left or it would not fit bodyBudget: a body
// cut short would lose its end, and the plain text is whole.
func clean(n *html.Node, base *url.URL, page bool) *html.Node {
	if n == nil {
		return nil
	}
	s := &sanitizer{base: base, budget: bodyBudget, page: page}
	out := &html.Node{Type: html.DocumentNode}
	s.walk(n, out, 0)
	if s.budget <= 0 || !hasContent(out) {
		return nil
	}
	return out
}

// render writes the tree the sanitiser built, or "" if it is larger than
// limit bytes (the budget is counted roughly).
func render(out *html.Node, limit int) string {
	var b strings.Builder
	for c := out.FirstChild; c != nil; c = c.NextSibling {
		if err := html.Render(&b, c); err != nil {
			return "" // writing to a strings.Builder does not fail
		}
	}
	if res := strings.TrimSpace(b.String()); len(res) <= limit {
		return res
	}
	return ""
}

// walk appends the allowed copy of in's children to out; depth is how
// many elements out is nested in.
func (s *sanitizer) walk(in, out *html.Node, depth int) {
	for c := in.FirstChild; c != nil && s.budget > 0; c = c.NextSibling {
		switch c.Type {
		case html.TextNode:
			t := strings.ToValidUTF8(dropControls(c.Data), "\uFFFD")
			n := len(html.EscapeString(t))
			if n > s.budget {
				// Cut a long text to what fits even if all of it needs
				// escaping, at a character boundary.
				t = strings.ToValidUTF8(t[:s.budget/6], "")
				n = len(html.EscapeString(t))
			}
			s.budget -= n
			out.AppendChild(&html.Node{Type: html.TextNode, Data: t})
		case html.ElementNode:
			s.element(c, out, depth)
		}
	}
}

// element appends the allowed copy of element n to out: n itself when the
// allow-list has it, else its content (unwrapped), or nothing.
func (s *sanitizer) element(n, out *html.Node, depth int) {
	if n.Namespace != "" || droppedElements[n.Data] || isHidden(n) {
		return // SVG and MathML content, scripts, forms, hidden text
	}
	if s.page && !pageMedia[n.Data] && (&extractor{page: true}).skip(n, false) {
		return
	}
	name, ok := bodyElements[n.Data]
	if !ok || depth >= maxBodyDepth {
		s.walk(n, out, depth)
		return
	}
	el := &html.Node{Type: html.ElementNode, Data: name, DataAtom: atom.Lookup([]byte(name))}
	switch name {
	case "a":
		href := s.link(attr(n, "href"))
		if href == "" {
			s.walk(n, out, depth) // the words stay, the link goes
			return
		}
		el.Attr = []html.Attribute{{Key: "href", Val: href}}
		s.budget -= len(html.EscapeString(href)) + 9
	case "img":
		src, w, h, ok := s.image(n)
		if !ok {
			return
		}
		el.Attr = []html.Attribute{{Key: "src", Val: src}}
		if alt := strings.Join(strings.Fields(strings.ToValidUTF8(dropControls(attr(n, "alt")), "\uFFFD")), " "); alt != "" {
			el.Attr = append(el.Attr, html.Attribute{Key: "alt", Val: alt})
		}
		if w > 0 {
			el.Attr = append(el.Attr, html.Attribute{Key: "width", Val: strconv.Itoa(w)})
		}
		if h > 0 {
			el.Attr = append(el.Attr, html.Attribute{Key: "height", Val: strconv.Itoa(h)})
		}
		s.budget -= 64 + len(html.EscapeString(src)) + len(html.EscapeString(attr(el, "alt")))
		out.AppendChild(el)
		return // an image has no content
	case "br":
		s.budget -= 4
		out.AppendChild(el)
		return
	}
	s.budget -= 2*len(name) + 5
	out.AppendChild(el)
	s.walk(n, el, depth+1)
}

// link returns href resolved against the article's URL if it is an
// absolute http(s) or mailto link, else "".
func (s *sanitizer) link(href string) string {
	href = strings.TrimSpace(dropControls(href))
	if href == "" || strings.HasPrefix(href, "#") {
		return ""
	}
	if u, err := url.Parse(href); err == nil && strings.EqualFold(u.Scheme, "mailto") {
		if u.Opaque == "" || strings.ContainsAny(u.Opaque, "<>\"") {
			return ""
		}
		return "mailto:" + u.Opaque + queryOf(u)
	}
	return resolveURL(s.base, href)
}

// queryOf returns "?query" of a mailto link (a subject), or "".
func queryOf(u *url.URL) string {
	if u.RawQuery == "" {
		return ""
	}
	return "?" + u.RawQuery
}

// image returns the absolute http(s) address and the declared size of
// image n (0 when not given), and false for an image not worth keeping:
// one with no usable address (data:, javascript:, relative without a
// base) or a tracking pixel. A lazy-loaded image's real address is in
// data-src when src holds a placeholder.
func (s *sanitizer) image(n *html.Node) (src string, w, h int, ok bool) {
	for _, key := range []string{"src", "data-src"} {
		if src = resolveURL(s.base, attr(n, key)); src != "" {
			break
		}
	}
	if src == "" {
		return "", 0, 0, false
	}
	w, h = pixels(attr(n, "width")), pixels(attr(n, "height"))
	if w == 1 || h == 1 || w < 0 || h < 0 {
		return "", 0, 0, false // a tracking pixel, or a size that hides it
	}
	return src, w, h, true
}

// pixels reads a width or height attribute: 0 when absent or not a whole
// number of pixels ("100%"), -1 when it is zero, which hides the image.
func pixels(v string) int {
	v = strings.TrimSuffix(strings.TrimSpace(v), "px")
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	switch {
	case err != nil || n > 10000:
		return 0
	case n <= 0:
		return -1
	}
	return n
}

// hasContent reports whether the tree under n has any text that is not
// white space, or an image.
func hasContent(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode && strings.TrimSpace(c.Data) != "":
			return true
		case c.Type == html.ElementNode && c.Data == "img":
			return true
		case hasContent(c):
			return true
		}
	}
	return false
}

// BodyStyle is what a rendered body's element of one name is given: a
// class (which the email's dark-mode rules recolour) and an inline style
// (email clients drop <style> blocks, so each element carries its own),
// and Tag, if not "", the element written instead (a <div> for a
// <figure>, which many mail clients do not know). All are used as given:
// they come from the templates, not from an article.
type BodyStyle struct{ Class, Style, Tag string }

// BodyStyles are the BodyStyle of each element name ("p", "a", "img",
// "h2"…).
type BodyStyles map[string]BodyStyle

// RenderBodyHTML sanitises body, an article's stored BodyHTML, again and
// returns it for a template with the classes and inline styles of st added, each
// image's width attribute capped at MaxBodyImageWidth (its height scaled
// to match). Only what the sanitiser wrote reaches the template: a body
// edited in the database or left by an older version is cleaned like any
// other input. It returns "" when nothing readable is left.
func RenderBodyHTML(body string, st BodyStyles) htmltemplate.HTML {
	out := clean(parseFragment(body), nil, false)
	if out == nil {
		return ""
	}
	style(out, st)
	// The tree was built by the sanitiser from allowed elements and
	// attributes only, and the styles are the templates' own. The styles
	// may take the body past its stored limit, which bounds only what
	// is kept.
	return htmltemplate.HTML(render(out, math.MaxInt))
}

// style adds st's classes and inline styles to the elements under n and
// bounds the declared width of images.
func style(n *html.Node, st BodyStyles) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if c.Data == "img" {
			boundImage(c)
		}
		v := st[c.Data]
		if v.Class != "" {
			c.Attr = append(c.Attr, html.Attribute{Key: "class", Val: v.Class})
		}
		if v.Style != "" {
			c.Attr = append(c.Attr, html.Attribute{Key: "style", Val: v.Style})
		}
		style(c, st)
		if v.Tag != "" && c.Data != "img" && c.Data != "br" {
			// Only after the children are styled: they are styled by
			// their own names, not by what their parent became.
			c.Data, c.DataAtom = v.Tag, atom.Lookup([]byte(v.Tag))
		}
	}
}

// boundImage sets img's width attribute to at most MaxBodyImageWidth, the
// height scaled with it; an image of no declared width is declared that
// wide, so that Outlook, which ignores max-width, does not show it at its
// natural size.
func boundImage(img *html.Node) {
	w, h := pixels(attr(img, "width")), pixels(attr(img, "height"))
	attrs := img.Attr[:0]
	for _, a := range img.Attr {
		if a.Key != "width" && a.Key != "height" {
			attrs = append(attrs, a)
		}
	}
	switch {
	case w <= 0:
		w, h = MaxBodyImageWidth, 0
	case w > MaxBodyImageWidth:
		if h > 0 {
			h = h * MaxBodyImageWidth / w
			if h < 2 {
				// A line scaled to a pixel would look like the tracking
				// pixels the sanitiser drops: the client works its height
				// out from the width instead.
				h = 0
			}
		}
		w = MaxBodyImageWidth
	}
	attrs = append(attrs, html.Attribute{Key: "width", Val: strconv.Itoa(w)})
	if h > 0 {
		attrs = append(attrs, html.Attribute{Key: "height", Val: strconv.Itoa(h)})
	}
	img.Attr = attrs
}

// dropBlocks removes from the tree under n the blocks of before that are
// not in after (which keeps the rest of before, in order): what the plain
// body left out (a byline, a dateline), the HTML body leaves out too.
func dropBlocks(n *html.Node, before, after []block) {
	j := 0
	for _, b := range before {
		if j < len(after) && after[j] == b {
			j++
			continue
		}
		dropFirstBlock(n, b.text)
	}
}

// dropFirstBlock removes from the tree under n the first element that
// starts a block and whose text is text, and reports whether it found one.
func dropFirstBlock(n *html.Node, text string) bool {
	if n == nil {
		return false
	}
	return dropFirst(n, strings.Join(strings.Fields(strings.TrimPrefix(text, "- ")), " "), 0)
}

// dropFirst is dropFirstBlock at depth below its root. It looks no deeper
// than the sanitiser keeps elements (maxBodyDepth, with room for the
// page's own wrappers), so the text it reads is bounded by that many
// times the document's.
func dropFirst(n *html.Node, want string, depth int) bool {
	if depth > 2*maxBodyDepth {
		return false
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if blockElements[c.Data] && nodeText(c) == want {
			n.RemoveChild(c)
			return true
		}
		if dropFirst(c, want, depth+1) {
			return true
		}
	}
	return false
}
