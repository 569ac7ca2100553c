// Package article turns an article file — Markdown with YAML front matter,
// JSON, an HTML page or text scraped from a web page — into a validated
// syndicate.Article whose ID is derived from its canonical URL.
package article

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"syndicate"
)

// Options override what is found in the file and supply the clock.
type Options struct {
	// URL, Title override the article's URL and title (from --url and
	// --title); empty means not given.
	URL, Title string
	// Tags override the article's tags (from --tags); nil means not given,
	// an empty non-nil slice clears them.
	Tags []string
	// Now gives PublishedAt when the file has no date; nil means time.Now.
	Now func() time.Time
	// Warn, if not nil, is called with each warning of a successful parse
	// (see Warning), in the order found.
	Warn func(Warning)
}

// fields is what a format found in a file, before defaults, overrides and
// cleaning.
type fields struct {
	title, url, author, summary, image string
	summaryGiven                       bool      // summary is an editor's, kept whole
	looseImage                         bool      // image was scraped: drop it if unusable
	date                               time.Time // zero if none
	tags                               []string  // nil if none
	body                               []block
	lang                               string   // BCP 47 base language, "" if the file does not say
	tagNoise                           []string // names that are not tags: the site's, the title
	warns                              warnings // what the format reader was unsure of
	// html holds the body's markup (its children), nil if the format has
	// none; finish sanitises it into the article's BodyHTML. htmlBase
	// resolves its relative links, nil meaning the article's URL.
	html     *html.Node
	htmlBase *url.URL
	htmlPage bool // html is a web page's: its furniture is left out too
}

// set stores a text field read from front matter or JSON.
func (f *fields) set(subj, key, val string) error {
	switch key {
	case "title":
		f.title = val
	case "url":
		f.url = val
	case "author":
		f.author = val
	case "summary":
		f.summary, f.summaryGiven = val, true
	case "image":
		f.image = val
	case "lang", "language":
		f.lang = languageTag(val)
	case "date", "published_at":
		if key == "published_at" && !f.date.IsZero() {
			return nil // "date" wins when both are given
		}
		if strings.TrimSpace(val) == "" {
			return nil
		}
		t, ok := parseDate(val)
		if !ok {
			return syndicate.Errorf(syndicate.EINVALID, "%s has %s %q that is not an RFC 3339 time or a YYYY-MM-DD date", subj, key, val)
		}
		f.date = t
	}
	return nil
}

// ParseFile reads the article file at path; see Parse. It does not treat
// "-" as standard input: the caller opens that.
func ParseFile(path string, o Options) (syndicate.Article, error) {
	file, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "article file %s does not exist", path)
		case errors.As(err, &pe):
			return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "article file %s cannot be opened: %v", path, pe.Err)
		}
		return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "article file %s cannot be opened: %v", path, err)
	}
	defer file.Close() // read-only: a close error loses nothing
	if st, err := file.Stat(); err == nil && st.IsDir() {
		return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "article file %s is a directory", path)
	}
	return Parse(path, file, o)
}

// Parse reads one article from r. name is the file name, whose extension
// picks the format (.md or .markdown, .json, .txt, .html or .htm); "-" or
// "" means standard input, whose format is sniffed: a JSON object, front
// matter ("---"), HTML ("<"), or else scraped text.
//
// The article returned is valid: its URL is canonical, its ID derived from
// that URL, its summary and body plain text (the body in paragraphs
// separated by blank lines) and its tags cleaned and deduplicated. The
// overrides in o replace what the file says. Every problem with the input
// is a *syndicate.Error with code EINVALID that names the file.
func Parse(name string, r io.Reader, o Options) (syndicate.Article, error) {
	subj := "article file " + name
	if name == "" || name == "-" {
		subj = "article on standard input"
	}
	format := "" // sniffed once the text is read
	if name != "" && name != "-" {
		switch ext := strings.ToLower(filepath.Ext(name)); ext {
		case ".md", ".markdown":
			format = "md"
		case ".json":
			format = "json"
		case ".txt", ".text":
			format = "txt"
		case ".html", ".htm":
			format = "html"
		case "":
			return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "%s has no extension; name it .md, .json, .txt or .html", subj)
		default:
			return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "%s has unknown extension %q; use .md, .json, .txt or .html", subj, ext)
		}
	}

	data, err := io.ReadAll(io.LimitReader(r, syndicate.MaxInputSize+1))
	if err != nil {
		return syndicate.Article{}, fmt.Errorf("read %s: %w", subj, err)
	}
	if len(data) > syndicate.MaxInputSize {
		return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "%s is larger than %d bytes", subj, syndicate.MaxInputSize)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if len(bytes.TrimSpace(data)) == 0 {
		return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "%s is empty", subj)
	}
	if bytes.IndexByte(data, 0) >= 0 || !utf8.Valid(data) {
		return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "%s is not text", subj)
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	if format == "" {
		format = sniff(text)
	}

	var f fields
	switch format {
	case "md":
		f, err = parseMarkdown(subj, text)
	case "json":
		f, err = parseJSON(subj, text)
	case "html":
		f, err = parseHTML(subj, text, o.URL)
	default:
		f = parseText(text, o.Title, o.URL)
	}
	if err != nil {
		return syndicate.Article{}, err
	}
	return finish(subj, f, o)
}

// sniff guesses the format of text read from standard input.
func sniff(text string) string {
	t := strings.TrimLeft(text, " \t\n")
	switch {
	case strings.HasPrefix(t, "{"):
		return "json"
	case strings.HasPrefix(text, "---\n") || strings.HasPrefix(text, "--- \n"):
		return "md"
	case strings.HasPrefix(t, "<"):
		return "html"
	}
	return "txt"
}

// finish applies overrides and defaults, cleans every text field and
// validates the result.
func finish(subj string, f fields, o Options) (syndicate.Article, error) {
	var a syndicate.Article
	invalid := func(format string, args ...any) (syndicate.Article, error) {
		return syndicate.Article{}, syndicate.Errorf(syndicate.EINVALID, "%s "+format, append([]any{subj}, args...)...)
	}

	// A Markdown body usually opens with the title as a heading: use it
	// when nothing else names the title, and do not repeat it in the body.
	if strings.TrimSpace(f.title) == "" && len(f.body) > 0 && f.body[0].tag == "h1" {
		f.title = f.body[0].text
	}
	found := plainInline(f.title)
	a.Title = found
	if o.Title != "" {
		a.Title = plainInline(o.Title)
	}
	if a.Title == "" {
		return invalid("has no title; give one with --title")
	}
	if len(a.Title) > syndicate.MaxTitleLen {
		return invalid("has a title longer than %d bytes", syndicate.MaxTitleLen)
	}
	if len(f.body) > 0 {
		if first := plainInline(f.body[0].text); strings.EqualFold(first, a.Title) || strings.EqualFold(first, found) {
			f.body = f.body[1:]
			dropFirstBlock(f.html, first)
		}
	}

	rawURL, from := strings.TrimSpace(dropControls(f.url)), ""
	if o.URL != "" {
		rawURL, from = strings.TrimSpace(o.URL), " given with --url"
	}
	if rawURL == "" {
		return invalid("has no URL; give one with --url")
	}
	canon, err := syndicate.CanonicalURL(rawURL)
	if err != nil {
		return invalid("has a bad URL%s: %s", from, syndicate.ErrorMessage(err))
	}
	a.URL, a.ID = canon, syndicate.ArticleID(canon)

	if img := strings.TrimSpace(dropControls(f.image)); img != "" {
		abs, ok := resolveImage(canon, img)
		switch {
		case ok:
			a.Image = abs
		case !f.looseImage:
			return invalid("has image %q that is not an http(s) URL", img)
		}
	}

	a.Author = strings.TrimSpace(plainInline(f.author))
	if len(a.Author) > syndicate.MaxNameLen {
		return invalid("has an author longer than %d bytes", syndicate.MaxNameLen)
	}

	tags := f.tags
	noise := f.tagNoise
	if o.Tags != nil {
		tags, noise = o.Tags, nil // the editor's own choice
	}
	a.Tags = cleanTags(tags, noise, &f.warns)
	if len(a.Tags) > syndicate.MaxTags {
		// looseImage marks a scraped web page, whose tags are not an
		// editor's: there the first ones are kept.
		if !f.looseImage {
			return invalid("has %d tags, more than %d", len(a.Tags), syndicate.MaxTags)
		}
		f.warns.add("tags", "dropped %d tags beyond the first %d", len(a.Tags)-syndicate.MaxTags, syndicate.MaxTags)
		a.Tags = a.Tags[:syndicate.MaxTags]
	}

	a.PublishedAt = f.date
	if a.PublishedAt.IsZero() {
		if !f.warns.has("date") {
			f.warns.add("date", "no publication date found: dated now")
		}
		now := time.Now
		if o.Now != nil {
			now = o.Now
		}
		a.PublishedAt = now().UTC()
	}

	a.Body = joinBlocks(f.body)
	if len(a.Body) > syndicate.MaxBodyLen {
		return invalid("has a body longer than %d bytes", syndicate.MaxBodyLen)
	}
	if f.html != nil {
		base := f.htmlBase
		if base == nil {
			base = baseURL(a.URL)
		}
		a.BodyHTML = sanitizeNode(f.html, base, f.htmlPage)
	}
	// An editor's summary is kept whole; one found in the page is cut to
	// the length of a digest entry.
	a.Summary = plainInline(f.summary)
	given := f.summaryGiven && a.Summary != ""
	if a.Summary == "" {
		a.Summary = plainInline(firstParagraph(f.body))
	}
	if !given {
		a.Summary = shorten(a.Summary, summaryLimit)
	}
	if len(a.Summary) > syndicate.MaxSummaryLen {
		return invalid("has a summary longer than %d bytes", syndicate.MaxSummaryLen)
	}
	switch {
	case a.Summary == "":
		f.warns.add("summary", "no lede found")
	case !given && !strings.HasSuffix(a.Summary, "…") && !sentenceEnd.MatchString(a.Summary):
		f.warns.add("summary", "the lede is shorter than a sentence: %q", shorten(a.Summary, 60))
	}
	if a.Author == "" && !f.warns.has("author") {
		f.warns.add("author", "no author found")
	}

	a.Language = f.lang
	if a.Language == "" {
		a.Language = detectLanguage(a.Title + "\n\n" + a.Body)
		if a.Language == "" {
			f.warns.add("language", "the language is not declared and could not be detected")
		}
	}

	if err := a.Validate(); err != nil {
		// The checks above should have caught everything Validate does.
		return invalid("is not a usable article: %s", syndicate.ErrorMessage(err))
	}
	f.warns.report(o)
	return a, nil
}

// firstParagraph returns the text of the first real paragraph of a body
// (not a heading or list item), or failing that its first block.
func firstParagraph(bs []block) string {
	for _, b := range bs {
		if b.tag == "p" || b.tag == "" {
			return b.text
		}
	}
	if len(bs) > 0 {
		return bs[0].text
	}
	return ""
}

// resolveImage resolves img against the article URL and reports whether
// the result is an http(s) URL.
func resolveImage(base, img string) (string, bool) {
	b, err := url.Parse(base)
	if err != nil {
		return "", false
	}
	ref, err := url.Parse(img)
	if err != nil {
		return "", false
	}
	abs := b.ResolveReference(ref).String()
	if _, err := syndicate.CanonicalURL(abs); err != nil {
		return "", false
	}
	return abs, true
}
