// Package summary composes the short social post of an article: its title,
// its lede and its link, with hashtags when they fit, shortened by whole
// words to fit the network's length limit as that network counts it.
//
// The composer is extractive and deterministic: the same article and
// options always give the same post.
package summary

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"syndicate"
	"syndicate/textlen"
)

// Options says how long a post may be and how to measure it.
type Options struct {
	// Limit is the network's length limit, e.g. textlen.XLimit.
	// Zero means textlen.XLimit.
	Limit int
	// Count measures text as the network does, e.g. textlen.X. Nil means
	// textlen.X. Every grapheme outside a URL must count at least 1 (all
	// of textlen's counters do); Compose relies on it to stop trying
	// prefixes that cannot fit.
	Count func(string) int
	// Hashtags adds up to three hashtags made from the article's tags,
	// each only if the post still fits with it.
	Hashtags bool
}

const (
	// Ellipsis ends a shortened title or lede.
	Ellipsis = "…"

	maxHashtags = 3
	// A lede cut shorter than this (in graphemes) says too little to be
	// worth its space; the post goes without it.
	minLedeGraphemes = 30
	// A "word" longer than this (in graphemes) is text without spaces,
	// such as Thai, or junk; it may be cut between any two graphemes.
	longWordGraphemes = 20
)

// Compose returns the post for a: the title, a blank line, the lede (the
// summary, or else the first paragraph of the body), a blank line, then the
// link followed by any hashtags:
//
//	Title
//
//	Lede
//
//	https://example.com/article #Tag1 #Tag2
//
// Whitespace is collapsed, and a lede that repeats the title loses it. When
// the post is too long, hashtags go first, then the lede is shortened (or
// dropped, if little of it would be left), then the title. Shortened text
// ends at a word boundary (or, in text without spaces, a grapheme boundary)
// followed by "…". The link is never shortened or dropped: if not even a
// shortened title fits beside it, the post is the link alone, which is then
// longer than the limit only if the link by itself is.
func Compose(a syndicate.Article, o Options) string {
	if o.Count == nil {
		o.Count = textlen.X
	}
	if o.Limit <= 0 {
		o.Limit = textlen.XLimit
	}
	fits := func(p post) bool { return o.Count(p.String()) <= o.Limit }

	link := strings.TrimSpace(a.URL)
	title := collapse(a.Title)
	lede := collapse(a.Summary)
	if lede == "" {
		lede = collapse(firstParagraph(a.Body))
	}
	// A title or lede that is only the link would print it twice.
	if title == link {
		title = ""
	}
	if lede == link {
		lede = ""
	}
	lede = withoutTitle(lede, title)

	p := post{title: title, lede: lede, link: link}
	if fits(p) {
		if o.Hashtags {
			p = addHashtags(p, a.Tags, fits)
		}
		return p.String()
	}
	if p.lede != "" {
		if s, ok := shorten(p.lede, o.Limit, func(s string) bool { q := p; q.lede = s; return fits(q) }); ok &&
			uniseg.GraphemeClusterCount(s) > minLedeGraphemes {
			p.lede = s
			return p.String()
		}
		p.lede = ""
		if fits(p) {
			return p.String()
		}
	}
	if p.title != "" {
		if s, ok := shorten(p.title, o.Limit, func(s string) bool { q := p; q.title = s; return fits(q) }); ok {
			p.title = s
			return p.String()
		}
		p.title = ""
	}
	return p.String()
}

// post is a post in parts.
type post struct {
	title, lede, link string
	tags              []string // with their '#'
}

// String lays the post out: title, lede and the link line, separated by
// blank lines, leaving out empty parts.
func (p post) String() string {
	last := strings.Join(append([]string{p.link}, p.tags...), " ")
	var blocks []string
	for _, s := range []string{p.title, p.lede, strings.TrimSpace(last)} {
		if s != "" {
			blocks = append(blocks, s)
		}
	}
	return strings.Join(blocks, "\n\n")
}

// addHashtags appends, in tag order, each distinct hashtag of tags with
// which p still fits, up to maxHashtags.
func addHashtags(p post, tags []string, fits func(post) bool) post {
	seen := make(map[string]bool)
	for _, t := range tags {
		if len(p.tags) == maxHashtags {
			break
		}
		h, ok := Hashtag(t)
		if !ok || seen[strings.ToLower(h)] {
			continue
		}
		seen[strings.ToLower(h)] = true
		q := p
		q.tags = append(p.tags[:len(p.tags):len(p.tags)], h)
		if fits(q) {
			p = q
		}
	}
	return p
}

// Hashtag returns tag as a hashtag, with its '#', and whether it makes one:
// spaces and hyphens are removed (the words of a tag of several words
// capitalised, so "cyber security" gives "#CyberSecurity"), and what is
// left must be letters, marks, digits and underscores with at least one
// letter.
func Hashtag(tag string) (string, bool) {
	tag = strings.TrimPrefix(strings.TrimSpace(tag), "#")
	words := strings.FieldsFunc(tag, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.Is(unicode.Pd, r) // any dash
	})
	var b strings.Builder
	b.WriteByte('#')
	letter := false
	for _, w := range words {
		for _, r := range w {
			switch {
			case unicode.IsLetter(r):
				letter = true
			case unicode.IsMark(r), unicode.IsDigit(r), r == '_':
			default:
				return "", false
			}
		}
		if len(words) > 1 {
			r, size := utf8.DecodeRuneInString(w)
			b.WriteRune(unicode.ToUpper(r))
			w = w[size:]
		}
		b.WriteString(w)
	}
	if !letter {
		return "", false
	}
	return b.String(), true
}

// collapse turns every run of white space in s into one space and trims it.
func collapse(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// firstParagraph returns the first paragraph of a plain-text body, whose
// paragraphs are separated by blank lines.
func firstParagraph(body string) string {
	var para []string
	for rest := body; rest != ""; {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		if strings.TrimSpace(line) == "" {
			if len(para) > 0 {
				break
			}
			continue
		}
		para = append(para, line)
	}
	return strings.Join(para, " ")
}

// withoutTitle returns lede less a copy of title at its start, so the post
// does not say the same thing twice; "" if the lede is just the title.
func withoutTitle(lede, title string) string {
	if title == "" || len(lede) < len(title) || !strings.EqualFold(lede[:len(title)], title) {
		return lede
	}
	rest := lede[len(title):]
	if r, _ := utf8.DecodeRuneInString(rest); rest != "" && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)) {
		return lede // the title is only the start of a longer word
	}
	return strings.TrimLeft(rest, " :;,.-–—|·")
}

// shorten returns the longest prefix of text that ends at a word boundary
// (or a grapheme boundary inside a long unbroken word), loses any trailing
// spaces and punctuation, takes Ellipsis and still fits; false if none
// does. Counts grow with length but for the odd dip (text that completes a
// URL can count less), so a binary search finds the boundary and the few
// longer candidates past it are tried too.
func shorten(text string, limit int, fits func(string) bool) (string, bool) {
	const probe = 8
	ends := cutPoints(text, limit)
	cand := func(i int) string { return text[:ends[i]] + Ellipsis }
	lo, hi := -1, len(ends) // ends[lo] fits, ends[hi] does not
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if fits(cand(mid)) {
			lo = mid
		} else {
			hi = mid
		}
	}
	for i := min(len(ends)-1, lo+probe); i > lo; i-- {
		if fits(cand(i)) {
			return cand(i), true
		}
	}
	if lo < 0 {
		return "", false
	}
	return cand(lo), true
}

// cutPoints returns, ascending and without repeats, the byte offsets where
// text may be cut: grapheme boundaries that are word boundaries (by Unicode
// word segmentation, so CJK breaks between characters) or that lie inside
// long words, each moved back past spaces and punctuation, and never inside
// a URL. Offsets are only collected while the prefix can still fit: every
// grapheme outside a URL counts at least 1.
func cutPoints(text string, limit int) []int {
	urls := urlTokens(text)
	inURL := func(i int) bool {
		for _, u := range urls {
			if i > u[0] && i < u[1] {
				return true
			}
		}
		return false
	}
	words := wordSpans(text)
	var ends []int
	add := func(end int) {
		if end > 0 && end < len(text) && (len(ends) == 0 || ends[len(ends)-1] < end) {
			ends = append(ends, end)
		}
	}
	lastGood := 0 // end of the last grapheme that is not space or punctuation
	budget := 0   // graphemes outside URLs so far
	w := 0        // index of the word holding the current grapheme
	pos := 0
	for rest, state := text, -1; rest != ""; {
		var cluster string
		cluster, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if !inURL(pos) {
			budget++
		}
		pos += len(cluster)
		if r, _ := utf8.DecodeRuneInString(cluster); !unicode.IsSpace(r) && !unicode.IsPunct(r) {
			lastGood = pos
		}
		if budget > limit {
			break
		}
		for w < len(words) && words[w].end < pos {
			w++
		}
		// A word segment may end inside a grapheme (Thai vowel signs), so
		// only grapheme boundaries are considered at all.
		atWordEnd := w < len(words) && words[w].end == pos
		if (atWordEnd || (w < len(words) && words[w].long)) && !inURL(pos) {
			add(lastGood)
		}
	}
	return ends
}

// wordSpan is one segment of Unicode word segmentation.
type wordSpan struct {
	end  int  // byte offset just past it
	long bool // more than longWordGraphemes graphemes
}

func wordSpans(text string) []wordSpan {
	var spans []wordSpan
	pos := 0
	for rest, state := text, -1; rest != ""; {
		var w string
		w, rest, state = uniseg.FirstWordInString(rest, state)
		pos += len(w)
		spans = append(spans, wordSpan{end: pos, long: uniseg.GraphemeClusterCount(w) > longWordGraphemes})
	}
	return spans
}

// urlTokens returns the byte ranges of the space-separated tokens of text
// that hold a URL, which must not be cut.
func urlTokens(text string) [][2]int {
	var tokens [][2]int
	start := -1
	for i, r := range text + " " {
		switch {
		case !unicode.IsSpace(r) && start < 0:
			start = i
		case unicode.IsSpace(r) && start >= 0:
			tok := text[start:i]
			if strings.Contains(tok, "://") || len(textlen.ExtractURLs(tok)) > 0 {
				tokens = append(tokens, [2]int{start, i})
			}
			start = -1
		}
	}
	return tokens
}
