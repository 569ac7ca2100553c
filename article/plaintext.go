package article

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Scraped text is what a browser's "select all, copy" or a text extractor
// gives for a web page: navigation, breadcrumbs, the title (often twice),
// a byline, the article, an author box and lists of other articles, one
// paragraph a line. The functions below find the article in it by the shape
// of its lines, not by any one site's wording.

// headLines is how far into the text the title is looked for.
const headLines = 15

// parseText finds the title, byline, lede, body and author of scraped text.
// title, if given, is the editor's title: lines repeating it are dropped
// from the text like the page's own title.
func parseText(text, title string) fields {
	var f fields
	lines := textLines(text)

	// The head is what comes before the first prose paragraph; the title is
	// in it, and everything up to the title's last appearance is furniture.
	headEnd, prose := min(len(lines), headLines), false
	for i, l := range lines[:headEnd] {
		if isProse(l) {
			headEnd, prose = i, true
			break
		}
	}
	titleIdx, lastIdx := -1, -1
	if t := plainInline(title); t != "" {
		titleIdx, lastIdx = findTitleLine(lines[:headEnd], t)
	}
	if titleIdx < 0 {
		titleIdx, lastIdx = repeatedTitle(lines[:headEnd])
	}
	if titleIdx < 0 {
		titleIdx = titleBefore(lines[:headEnd], prose)
		lastIdx = titleIdx
	}
	if titleIdx < 0 && len(lines) > 0 && !isProse(lines[0]) && utf8.RuneCountInString(lines[0]) <= 150 {
		titleIdx, lastIdx = 0, 0 // a short first line, whatever it looks like
	}
	if titleIdx >= 0 {
		f.title = lines[titleIdx]
	}
	for _, l := range lines[:lastIdx+1] {
		// Only the URL is read before the title: a date up there is
		// usually today's, printed in the site's header.
		if u, ok := urlLine(l); ok && f.url == "" {
			f.url = u
		}
	}

	// Bylines, dates and a bare URL sit between the title and the lede.
	start := lastIdx + 1
	lede := -1
	for i := start; i < len(lines); i++ {
		l := lines[i]
		if isLede(l) {
			lede = i
			break
		}
		f.readMeta(l)
	}
	if lede < 0 {
		// No paragraph looks like prose: keep whatever is not furniture.
		lede = start
	}

	end := articleEnd(lines, lede, &f)
	var body []string
	for i := lede; i < end; i++ {
		l := lines[i]
		switch {
		case strings.EqualFold(l, f.title), isFurniture(l), isInlinePromo(l):
			continue
		case f.readByline(l):
			continue // a byline at the foot of the article, or with no lede
		}
		body = append(body, l)
	}
	for _, l := range body {
		f.body = append(f.body, block{tag: "p", text: l})
	}
	if len(body) > 0 && isLede(body[0]) {
		f.summary = body[0]
	}
	return f
}

// textLines returns the non-empty lines of text, cleaned. Scraped text has
// one paragraph a line; text hard-wrapped at a fixed width (no line over
// wrapWidth characters, several near it) has its paragraphs joined back
// into one line each, a line of 40 or more characters being continued by
// the next.
func textLines(text string) []string {
	raw := strings.Split(text, "\n")
	long, wrapped := 0, true
	for _, l := range raw {
		switch n := utf8.RuneCountInString(strings.TrimSpace(l)); {
		case n > wrapWidth:
			wrapped = false
		case n >= 60:
			long++
		}
	}
	wrapped = wrapped && long >= 3
	// Each output line is gathered as parts and joined once: appending to
	// a string line by line is quadratic in a long wrapped paragraph.
	var out [][]string
	joinable := false
	for _, r := range raw {
		l := plainInline(r)
		if l == "" {
			joinable = false
			continue
		}
		if joinable {
			out[len(out)-1] = append(out[len(out)-1], l)
		} else {
			out = append(out, []string{l})
		}
		joinable = wrapped && utf8.RuneCountInString(l) >= 40
	}
	lines := make([]string, len(out))
	for i, parts := range out {
		lines[i] = strings.Join(parts, " ")
	}
	return lines
}

// wrapWidth is the widest line of text taken to be hard-wrapped.
const wrapWidth = 100

// findTitleLine returns the first and last head lines that are the given
// title or end with it (a breadcrumb trail).
func findTitleLine(head []string, title string) (first, last int) {
	first, last = -1, -1
	for i, l := range head {
		if strings.EqualFold(l, title) || hasSuffixFold(l, title) {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	return first, last
}

// repeatedTitle finds the title by repetition: pages show it in a
// breadcrumb trail that ends with it ("Home › News › Title" or, with the
// separators lost, "HomeNewsTitle"), in a window title that starts with it
// ("Title | Site"), or twice outright. A window title can hold the site's
// name as well ("Site | Title"), so of several candidates the one with the
// most words wins. It returns the index of the title line and of the last
// line of the head that repeats it.
func repeatedTitle(head []string) (titleIdx, lastIdx int) {
	titleIdx, lastIdx = -1, -1
	for i, l := range head {
		if !isTitleLike(l) || words(l) < 2 || titleIdx >= 0 && words(l) <= words(head[titleIdx]) {
			continue
		}
		found, last := false, i
		for j, m := range head {
			if j == i {
				continue
			}
			if (strings.EqualFold(m, l) && words(l) >= 3) || repeatsTitle(m, l) {
				found, last = true, max(last, j)
			}
		}
		if found {
			titleIdx, lastIdx = i, last
		}
	}
	return titleIdx, lastIdx
}

// repeatsTitle reports whether line m is a breadcrumb trail ending with
// title t or a window title starting with it.
func repeatsTitle(m, t string) bool {
	if len(m) <= len(t) {
		return false
	}
	if hasSuffixFold(m, t) {
		rest := strings.TrimRight(m[:len(m)-len(t)], " ")
		if rest == "" || utf8.RuneCountInString(rest) > 100 {
			return false
		}
		last, _ := utf8.DecodeLastRuneInString(rest)
		// "News › Title", or "NewsTitle" where the trail's separators were
		// lost (a letter glued to the title's capital).
		return strings.ContainsRune("›>»/|→·:-–—", last) || len(rest) == len(m)-len(t) && unicode.IsLetter(last)
	}
	if strings.EqualFold(m[:len(t)], t) {
		rest := strings.TrimSpace(m[len(t):])
		for _, sep := range []string{"|", "-", "–", "—", "·", "::", "»"} {
			if strings.HasPrefix(rest, sep) {
				return true
			}
		}
	}
	return false
}

// titleBefore finds the title when it is not repeated. Before a prose
// paragraph it is the last title-like line (bylines, dates and furniture
// are not title-like); in text with no prose it is the first.
func titleBefore(head []string, prose bool) int {
	if !prose {
		for i, l := range head {
			if isTitleLike(l) {
				return i
			}
		}
		return -1
	}
	for i := len(head) - 1; i >= 0; i-- {
		if isTitleLike(head[i]) && words(head[i]) >= 2 {
			return i
		}
	}
	return -1
}

// isTitleLike reports whether l could be a headline: short, not a
// sentence of a paragraph, and not furniture, a byline or a date.
func isTitleLike(l string) bool {
	n := utf8.RuneCountInString(l)
	if n < 3 || n > 200 || isProse(l) || isFurniture(l) || isBreadcrumb(l) || isTrailer(l) {
		return false
	}
	if _, ok := parseByline(l); ok {
		return false
	}
	if isDateLine(l) || looksLikeURL(l) || strings.HasSuffix(l, ".") && words(l) > 6 {
		return false
	}
	return true
}

// readMeta takes what a line between the title and the lede says about the
// article: a byline, a date or the page's URL.
func (f *fields) readMeta(l string) {
	if f.readByline(l) {
		return
	}
	if f.date.IsZero() && isDateLine(l) {
		if t, ok := findHumanDate(l); ok {
			f.date = t
		}
	}
	if f.url == "" {
		if u, ok := urlLine(l); ok {
			f.url = u
		}
	}
}

// readByline takes the author (and a date, if any) from a "By Name" line
// and reports whether l was one.
func (f *fields) readByline(l string) bool {
	name, ok := parseByline(l)
	if !ok {
		return false
	}
	if f.author == "" {
		f.author = name
	}
	if t, ok := findHumanDate(l); ok && f.date.IsZero() {
		f.date = t
	}
	return true
}

var (
	bylineRe = regexp.MustCompile(`^(?i:by|written by|posted by|words by|story by|reporting by|author:)\s*:?\s+(.+)$`)
	// What follows the name in a byline: a separator, a date, a role.
	bylineTailRe = regexp.MustCompile(`\s*(?:[|·•,;(]|\s[-–—]\s|\s(?i:on|in|for|at|updated|published|posted)\s|\d).*$`)
	andRe        = regexp.MustCompile(`\s+(?:and|&)\s+`)
	urlLineRe    = regexp.MustCompile(`^(?i:(?:url|link|source|canonical|permalink)\s*:\s*)?(https?://\S+)$`)
)

// parseByline returns the author named by a byline such as "By Jane Doe |
// March 3, 2024" or "Written by Jane Doe and John Roe".
func parseByline(l string) (string, bool) {
	if words(l) > 16 {
		return "", false
	}
	m := bylineRe.FindStringSubmatch(l)
	if m == nil {
		return "", false
	}
	name := strings.TrimSpace(bylineTailRe.ReplaceAllString(m[1], ""))
	for _, part := range andRe.Split(name, -1) {
		if !isNameLike(part) {
			return "", false
		}
	}
	return name, name != ""
}

// isNameLike reports whether s looks like a person's name: two to five
// capitalised words of letters (allowing particles like "van" or "de").
func isNameLike(s string) bool {
	ws := strings.Fields(s)
	if len(ws) < 2 || len(ws) > 5 || len(s) > 60 {
		return false
	}
	for _, w := range ws {
		for _, r := range w {
			if !unicode.IsLetter(r) && !strings.ContainsRune(".'’-", r) {
				return false
			}
		}
		r, _ := utf8.DecodeRuneInString(w)
		switch strings.ToLower(w) {
		case "van", "von", "de", "da", "del", "der", "di", "du", "la", "le", "bin", "al", "ibn", "ter", "den":
			continue
		}
		if !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// urlLine returns the URL a line consists of ("https://…" or
// "Source: https://…").
func urlLine(l string) (string, bool) {
	m := urlLineRe.FindStringSubmatch(l)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// isDateLine reports whether l is a short line giving a date, such as
// "March 3, 2024", "Published 3 March 2024 10:00 GMT" or "2024-03-03".
func isDateLine(l string) bool {
	if words(l) > 10 {
		return false
	}
	_, ok := findHumanDate(l)
	return ok
}

// articleEnd returns the index of the first line after the article: a
// trailer heading ("Related", "Recent News", "Comments", …), an author box
// (the author's name twice, then a bio) or "About the author". A "Tags:"
// line found there gives the article's tags.
func articleEnd(lines []string, lede int, f *fields) int {
	end := len(lines)
	for i := lede + 1; i < len(lines); i++ {
		l := lines[i]
		if tags, ok := tagsLine(l); ok {
			if f.tags == nil {
				f.tags = tags
			}
			end = i
			break
		}
		if isTrailer(l) {
			end = i
			break
		}
		// An author box: the name twice (a caption under the photo and a
		// heading), or the name and a bio that starts with it.
		if isNameLike(l) && i+1 < len(lines) {
			next := lines[i+1]
			first := strings.Fields(l)[0]
			if strings.EqualFold(next, l) || isProse(next) && (hasPrefixFold(next, first+" ") || hasPrefixFold(next, l+" ")) && laterIsFurniture(lines[i+2:]) {
				if f.author == "" {
					f.author = l
				}
				end = i
				break
			}
		}
	}
	return end
}

// laterIsFurniture reports whether nothing after an author box candidate
// looks like more of the article: up to a trailer or the end, within a few
// lines, there is no prose.
func laterIsFurniture(rest []string) bool {
	for i, l := range rest {
		if isTrailer(l) {
			return true
		}
		if isProse(l) || i >= 10 {
			return false
		}
	}
	return true
}

var (
	// trailers are headings of the sections that follow an article.
	trailers = map[string]bool{
		"recent news": true, "recent posts": true, "recent articles": true, "recent stories": true,
		"related": true, "related articles": true, "related posts": true, "related stories": true,
		"related news": true, "related content": true, "related reading": true, "related coverage": true,
		"read next": true, "more news": true, "more stories": true, "more articles": true,
		"more on this story": true, "more on this topic": true, "you may also like": true,
		"you might also like": true, "you may like": true, "recommended": true,
		"recommended for you": true, "recommended articles": true, "recommended stories": true,
		"popular": true, "popular posts": true, "popular stories": true, "popular now": true,
		"trending": true, "trending now": true, "most read": true, "most popular": true,
		"most viewed": true, "latest news": true, "latest stories": true, "latest articles": true,
		"latest posts": true, "comments": true, "leave a reply": true, "leave a comment": true,
		"join the discussion": true, "join the conversation": true, "about the author": true,
		"about the authors": true, "tags": true, "topics": true, "filed under": true,
		"sign up for our newsletter": true, "subscribe to our newsletter": true,
		"newsletter": true, "sponsored content": true, "sponsored stories": true,
		"post navigation": true, "previous post": true, "next post": true,
		"previous article": true, "next article": true, "share this": true,
		"share this article": true, "share this post": true, "share this story": true,
		"like this": true, "see also": true, "also read": true, "don't miss": true,
	}
	trailerRe = regexp.MustCompile(`^(?i:\d+\s+(?:comments?|responses?|replies|thoughts on\b.*)|more (?:from|in|on|about)\b.*|(?:one|no) (?:comment|response|thought)s?\b.*)$`)

	// furniture are lines of page chrome dropped wherever they are.
	furniture = map[string]bool{
		"home": true, "menu": true, "search": true, "skip to content": true,
		"skip to main content": true, "sign in": true, "log in": true, "login": true,
		"register": true, "subscribe": true, "share": true, "share on facebook": true,
		"share on twitter": true, "share on x": true, "share on linkedin": true, "tweet": true,
		"facebook": true, "twitter": true, "x": true, "linkedin": true, "reddit": true,
		"whatsapp": true, "telegram": true, "pinterest": true, "email": true, "e-mail": true,
		"print": true, "copy link": true, "copied": true, "link copied": true,
		"advertisement": true, "advertisements": true, "ad": true, "sponsored": true,
		"read more": true, "continue reading": true, "listen": true,
		"listen to this article": true, "follow us": true, "close": true,
		"back to top": true, "loading...": true, "loading…": true, "like loading...": true,
		"toggle navigation": true, "open menu": true, "close menu": true,
		"scroll to top": true, "jump to": true, "table of contents": true,
	}
	furnitureRe = regexp.MustCompile(`^(?i:\d+\s+min(?:ute)?s?\s+read|\d+\s+(?:shares?|views?|likes?)|(?:photo|image|picture|illustration|credit|image credit|photo credit)\s*:.{0,100}|\d+)$`)

	// Inline promotions sit between paragraphs and link elsewhere.
	promoRe = regexp.MustCompile(`^(?i:(?:related|read more|read also|also read|see also|recommended|more|read|watch|listen)\s*:\s*.{0,200})$`)
	tagsRe  = regexp.MustCompile(`^(?i:tags|tagged|topics|tagged with|filed under|categories)\s*:\s*(.+)$`)
)

// normal returns l lowercased without surrounding punctuation, for looking
// up in the lists above.
func normal(l string) string {
	return strings.TrimFunc(strings.ToLower(l), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(":|•·›»>-–—…!", r)
	})
}

// isTrailer reports whether l heads a section that follows the article.
func isTrailer(l string) bool {
	return len(l) <= 80 && (trailers[normal(l)] || trailerRe.MatchString(l))
}

// isFurniture reports whether l is page chrome.
func isFurniture(l string) bool {
	return len(l) <= 120 && (furniture[normal(l)] || furnitureRe.MatchString(l)) || isBreadcrumb(l)
}

// isInlinePromo reports whether l is a "Related: …" link between paragraphs.
func isInlinePromo(l string) bool {
	return words(l) <= 25 && promoRe.MatchString(l) && !isProse(strings.SplitN(l, ":", 2)[1])
}

// tagsLine returns the tags of a "Tags: a, b, c" line.
func tagsLine(l string) ([]string, bool) {
	if len(l) > 300 {
		return nil, false
	}
	m := tagsRe.FindStringSubmatch(l)
	if m == nil {
		return nil, false
	}
	return strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == '|' || r == '·' || r == '•' }), true
}

// isBreadcrumb reports whether l is a breadcrumb trail: "Home › News",
// "Home / World / Europe", "You are here: …", or, with the separators lost
// in scraping, "HomeNews…" (a capital glued to "Home").
func isBreadcrumb(l string) bool {
	if hasPrefixFold(l, "you are here") {
		return true
	}
	if hasPrefixFold(l, "home") && len(l) > 4 {
		r, _ := utf8.DecodeRuneInString(l[4:])
		rest := strings.TrimSpace(l[4:])
		s, _ := utf8.DecodeRuneInString(rest)
		if unicode.IsUpper(r) || strings.ContainsRune("›>»/|→·", s) {
			return true
		}
	}
	for _, sep := range []string{" › ", " > ", " » ", " / ", " → "} {
		if strings.Count(l, sep) >= 2 && !isProse(l) {
			return true
		}
	}
	return false
}

// isProse reports whether l reads as a paragraph of an article: a long
// sentence or several.
func isProse(l string) bool {
	return words(l) >= 12 && endsSentence(l) || utf8.RuneCountInString(l) >= 150
}

// isLede reports whether l can open the article: a sentence of some length.
func isLede(l string) bool {
	return words(l) >= 8 && endsSentence(l) && !isFurniture(l) || utf8.RuneCountInString(l) >= 120
}

// endsSentence reports whether l ends with terminal punctuation, perhaps
// inside a closing quote or bracket.
func endsSentence(l string) bool {
	l = strings.TrimRight(l, "\"'”’)] ")
	r, _ := utf8.DecodeLastRuneInString(l)
	return strings.ContainsRune(".!?…", r)
}

// words counts the words in l.
func words(l string) int { return len(strings.Fields(l)) }

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
