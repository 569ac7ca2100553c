package article

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"

	"syndicate"
)

// summaryLimit is the length, in characters, a summary found in the text
// (rather than given by an editor) is shortened to: about two sentences,
// which fits a digest entry and leaves room for a link in a social post.
const summaryLimit = 300

// plainInline returns s as one line of plain text: tags stripped, entities
// decoded, control characters removed and runs of white space collapsed to
// single spaces.
func plainInline(s string) string {
	return strings.Join(strings.Fields(dropControls(stripMarkup(s))), " ")
}

// rawTextElements hold text that is never shown to a reader.
var rawTextElements = map[string]bool{
	"script": true, "style": true, "noscript": true, "template": true,
	"iframe": true, "noembed": true, "noframes": true, "xmp": true, "svg": true,
	"object": true, "textarea": true, "title": true,
	"rt": true, "rp": true, // ruby readings set over the text, shown as a gloss
}

// inlineElements are tags that can sit inside a word ("<b>Dogs</b>:"), so
// removing them must not add a space.
var inlineElements = map[string]bool{
	"a": true, "abbr": true, "b": true, "bdi": true, "bdo": true, "cite": true,
	"code": true, "del": true, "dfn": true, "em": true, "font": true, "i": true,
	"ins": true, "kbd": true, "mark": true, "q": true, "s": true, "samp": true,
	"small": true, "span": true, "strike": true, "strong": true, "sub": true,
	"sup": true, "time": true, "tt": true, "u": true, "var": true,
}

// stripMarkup removes HTML tags and comments from s and decodes its
// entities. The contents of script, style and similar elements are dropped,
// and tags other than inline ones become spaces so that "a<br>b" does not
// turn into "ab".
func stripMarkup(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := ""
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			// Reading from a string only ends at io.EOF: the text is complete.
			return b.String()
		case html.TextToken:
			if skip == "" {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			if tt == html.StartTagToken && skip == "" && rawTextElements[string(name)] {
				skip = string(name)
			}
			if !inlineElements[string(name)] {
				b.WriteByte(' ')
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if string(name) == skip {
				skip = ""
			}
			if !inlineElements[string(name)] {
				b.WriteByte(' ')
			}
		}
	}
}

// dropControls removes control and invisible formatting characters that
// have no place in an article's text (they can hide or reorder what a reader
// sees), keeping newlines and turning tabs and Unicode line separators into
// ordinary white space.
func dropControls(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case r == '\u2028' || r == '\u2029':
			return '\n'
		case unicode.IsControl(r), r == utf8.RuneError:
			return -1
		case r == '\u200b' || r == '\ufeff' || r == '\u00ad':
			return -1 // zero-width space, byte-order mark, soft hyphen
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e' || r == '\u200f':
			return -1 // bidirectional overrides
		}
		return r
	}, s)
}

// cleanLines returns the non-empty lines of s with white space collapsed
// within each, joined by single newlines.
func cleanLines(s string) string {
	lines := strings.Split(dropControls(s), "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// shorten cuts s to at most limit characters, preferring the end of a
// sentence and otherwise a word boundary followed by an ellipsis.
func shorten(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	end, n := len(s), 0
	for i := range s {
		if n == limit-1 { // leave room for "…"
			end = i
			break
		}
		n++
	}
	if cut := lastSentenceEnd(s, end); cut >= end/3 {
		return s[:cut]
	}
	head := s[:end]
	if next, _ := utf8.DecodeRuneInString(s[end:]); unicode.IsSpace(next) {
		// The cut falls between words.
	} else if sp := strings.LastIndexFunc(head, unicode.IsSpace); sp > 0 {
		head = head[:sp]
	}
	return strings.TrimRightFunc(head, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;:-–—([{", r)
	}) + "…"
}

// lastSentenceEnd returns the byte offset just after the last sentence that
// ends at or before max in s, or -1. A sentence ends with terminal
// punctuation, perhaps closing quotes, then a space and a capital, digit or
// opening quote. Abbreviations such as "U.S. President" fool it; that costs
// a little length, never a cut word.
func lastSentenceEnd(s string, max int) int {
	best := -1
	for i := 0; i < len(s) && i < max; {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if !strings.ContainsRune(".!?…", r) {
			continue
		}
		j := i
		for j < len(s) {
			q, qs := utf8.DecodeRuneInString(s[j:])
			if !strings.ContainsRune("\"'”’)»", q) {
				break
			}
			j += qs
		}
		if j > max || j+1 >= len(s) || s[j] != ' ' {
			continue
		}
		next, _ := utf8.DecodeRuneInString(s[j+1:])
		if unicode.IsUpper(next) || unicode.IsDigit(next) || strings.ContainsRune("\"'“‘«", next) {
			best = j
		}
	}
	return best
}

// maxTagRunes is the longest tag kept, in characters: a longer one is a
// sentence or a title, not a topic.
const maxTagRunes = 40

// genericTags are words that tag every article of a news site and so say
// nothing about one.
var genericTags = map[string]bool{
	"news": true, "breaking news": true, "latest news": true, "top news": true, "top stories": true,
	"headlines": true, "latest": true, "home": true, "homepage": true, "article": true, "articles": true,
	"story": true, "stories": true, "blog": true, "post": true, "posts": true, "uncategorized": true,
	"general": true, "featured": true, "actualités": true, "actualité": true, "actualites": true,
	"infos": true, "info": true, "nachrichten": true, "aktuell": true, "aktuelles": true,
	"allgemein": true, "meldungen": true, "noticias": true, "noticia": true, "actualidad": true,
	"últimas noticias": true, "notizie": true, "ultime notizie": true, "attualità": true,
	"notícias": true, "nieuws": true, "новости": true, "новость": true, "новини": true,
	"wiadomości": true, "haberler": true, "haber": true, "أخبار": true, "اخبار": true, "חדשות": true,
	"خبر": true, "新闻": true, "新聞": true, "资讯": true, "ニュース": true, "뉴스": true, "समाचार": true,
	"non classé": true, "sin categoría": true, "senza categoria": true,
}

// cleanTags splits tags joined by commas or semicolons, trims, strips and
// deduplicates them (ignoring case, keeping the first spelling) and drops
// empty ones. Tags that say nothing about the article are dropped too:
// the site's name or the title (noise), generic words ("news") and tags
// longer than maxTagRunes characters or syndicate.MaxTagLen bytes. A
// dropped tag is a warning, never an error. It never returns nil, so an
// article with no tags encodes as [] in JSON.
func cleanTags(in, noise []string, w *warnings) []string {
	out := []string{}
	seen := map[string]bool{}
	skip := map[string]bool{}
	for _, n := range noise {
		if k := norm(n); k != "" {
			skip[k] = true
		}
	}
	var dropped []string
	for _, raw := range in {
		for _, t := range splitTags(raw) {
			t = strings.TrimLeft(plainInline(t), "#")
			t = strings.TrimSpace(t)
			k := strings.ToLower(t)
			if t == "" || seen[k] {
				continue
			}
			seen[k] = true
			switch {
			case utf8.RuneCountInString(t) > maxTagRunes || len(t) > syndicate.MaxTagLen:
				dropped = append(dropped, fmt.Sprintf("%q (too long)", shorten(t, 24)))
			case genericTags[k]:
				dropped = append(dropped, fmt.Sprintf("%q (generic)", t))
			case skip[norm(t)]:
				dropped = append(dropped, fmt.Sprintf("%q (the site's name or the title)", t))
			default:
				out = append(out, t)
			}
		}
	}
	if len(dropped) > 0 && w != nil {
		w.add("tags", "dropped tags %s", strings.Join(dropped, ", "))
	}
	return out
}

// splitTags splits a list of tags joined by commas or semicolons, in
// Latin or CJK punctuation.
func splitTags(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == '，' || r == '、' || r == '；'
	})
}

// dateLayouts are the machine-readable date forms accepted in front matter,
// JSON and HTML meta tags: RFC 3339 and its common relaxations.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05 Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseDate parses an RFC 3339 time or a YYYY-MM-DD date (taken as
// midnight UTC) and returns it in UTC.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

var (
	monthNames = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
	// "March 3, 2024", "Mar. 3 2024"
	mdyRe = regexp.MustCompile(`(?i)\b(` + monthNames + `)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b`)
	// "3 March 2024", "3rd of March, 2024"
	dmyRe = regexp.MustCompile(`(?i)\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(` + monthNames + `)\.?,?\s+(\d{4})\b`)
	isoRe = regexp.MustCompile(`\b(\d{4})-(\d{2})-(\d{2})\b`)
)

// findHumanDate finds a date written for people ("March 3, 2024",
// "3 March 2024" or "2024-03-03") in s and returns it as midnight UTC and
// whether one was found.
func findHumanDate(s string) (time.Time, bool) {
	var y, d, m string
	if g := mdyRe.FindStringSubmatch(s); g != nil {
		m, d, y = g[1], g[2], g[3]
	} else if g := dmyRe.FindStringSubmatch(s); g != nil {
		d, m, y = g[1], g[2], g[3]
	} else if g := isoRe.FindStringSubmatch(s); g != nil {
		t, err := time.Parse("2006-01-02", g[0])
		return t, err == nil
	} else {
		return time.Time{}, false
	}
	month := monthNumber(m)
	year, errY := strconv.Atoi(y)
	day, errD := strconv.Atoi(d)
	if month == 0 || errY != nil || errD != nil || day < 1 || day > 31 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if t.Day() != day { // February 30th and the like
		return time.Time{}, false
	}
	return t, true
}

// monthNumber returns 1-12 for an English month name or abbreviation, 0 if
// s is none.
func monthNumber(s string) int {
	s = strings.ToLower(s)
	for i, m := range []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"} {
		if strings.HasPrefix(s, m) {
			return i + 1
		}
	}
	return 0
}
