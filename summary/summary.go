// Package summary composes the short social post of an article: its title,
// its lede and its link, with hashtags when they fit, shortened by whole
// words to fit the network's length limit as that network counts it.
// Compose uses the default layout; ComposeWith fills any layout, such as a
// channel's post template.
//
// The composer is extractive and deterministic: the same article and
// options always give the same post.
package summary

import (
	"fmt"
	"regexp"
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
	// MaxBytes is a second limit, on the UTF-8 length of the post, for
	// networks that have one besides Limit (Bluesky: 3000 bytes). Zero
	// means none.
	MaxBytes int
	// Hashtags makes Compose add up to three hashtags made from the
	// article's tags, each only if the post still fits with it.
	// ComposeWith uses Fields.Hashtags instead.
	Hashtags bool
	// LinkText gives the text the post shows for its link, for a network
	// that carries the link itself beside the text (Bluesky: ShortLink,
	// the full URL in a link facet); the post is fitted with that text.
	// Nil means the link itself.
	LinkText func(link string) string
}

// shownLink is what the post shows for link.
func (o Options) shownLink(link string) string {
	link = strings.TrimSpace(link)
	if o.LinkText == nil || link == "" {
		return link
	}
	return o.LinkText(link)
}

const (
	// Ellipsis ends a shortened title or lede.
	Ellipsis = "…"

	maxHashtags = 3
	// A lede cut shorter than this (in graphemes) says too little to be
	// worth its space; the post goes without it.
	minLedeGraphemes = 30
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
// It is ComposeWith with Layout and ArticleFields(a) (without hashtags
// unless o.Hashtags is set); see ComposeWith for how the post is made to
// fit.
func Compose(a syndicate.Article, o Options) string {
	f := ArticleFields(a)
	if !o.Hashtags {
		f.Hashtags = nil
	}
	// Layout cannot fail, so the plain core does without error plumbing.
	return compose(func(f Fields) string { return layout(f) }, f, o)
}

// Fields are the parts of a post, as a template places them.
type Fields struct {
	Title   string
	Summary string
	URL     string // the article's link as it is to appear, UTM parameters included
	// Hashtags are tags or hashtags ("Cyber Security" or "#CyberSecurity");
	// ComposeWith keeps only those that make valid hashtags (see Hashtag).
	Hashtags []string
	Author   string
}

// ArticleFields returns the fields of a's post: its title, its lede (the
// summary, or else the first paragraph of the body), its URL, its tags and
// its author.
func ArticleFields(a syndicate.Article) Fields {
	lede := a.Summary
	if strings.TrimSpace(lede) == "" {
		lede = firstParagraph(a.Body)
	}
	return Fields{Title: a.Title, Summary: lede, URL: a.URL, Hashtags: a.Tags, Author: a.Author}
}

// Layout is the default post layout, the one the embedded post templates
// also follow: the title, the summary and the link followed by the
// hashtags, separated by blank lines, leaving out empty parts. The author
// is not shown. It never fails; its signature is ComposeWith's.
func Layout(f Fields) (string, error) { return layout(f), nil }

func layout(f Fields) string {
	last := strings.Join(append([]string{f.URL}, f.Hashtags...), " ")
	var blocks []string
	for _, s := range []string{f.Title, f.Summary, strings.TrimSpace(last)} {
		if s != "" {
			blocks = append(blocks, s)
		}
	}
	return strings.Join(blocks, "\n\n")
}

// ComposeWith returns the post that fill makes of f, fitted to o. fill
// lays the fields out (a post template, or Layout); its output is tidied:
// trailing and leading spaces of each line and runs of spaces go, runs of
// blank lines become one, and the post is trimmed, so a template need not
// guard against empty fields.
//
// Title, summary and author have their white space collapsed (and any
// invalid UTF-8 replaced by U+FFFD); a title or
// summary that is just the article's link (with or without UTM
// parameters) is dropped so the link is not printed twice, and a summary
// that repeats the title loses it. Hashtags are the valid, distinct ones
// of f.Hashtags, in order, at most three, each only if the post still fits
// with it: so when the full post is too long the later ones go first.
//
// When the post without hashtags is too long, the summary is shortened (or
// dropped, if little of it would be left), then the title, then the
// author is dropped. Shortened text is never cut inside a word: it ends
// before the first word that does not fit, by Unicode word segmentation,
// followed by "…". CJK text is cut after clause punctuation (、。，！？)
// when one is in reach, else between characters, never inside a Latin
// word or number in it; a grapheme (an emoji sequence, a flag, a letter
// with its accents) is never split.
// The link is never shortened or dropped (it is shown as o.LinkText
// gives it, when set): if not even the template with the link alone
// fits, the post is the bare link, which is then longer than the limit
// only if the link by itself is.
//
// The result is deterministic. It is an error if fill fails or if what it
// made does not contain the link as shown.
func ComposeWith(fill func(Fields) (string, error), f Fields, o Options) (string, error) {
	var fillErr error
	render := func(f Fields) string {
		if fillErr != nil {
			return ""
		}
		s, err := fill(f)
		if err != nil {
			fillErr = err
			return ""
		}
		return s
	}
	text := compose(render, f, o)
	if fillErr != nil {
		return "", fillErr
	}
	if link := o.shownLink(f.URL); !strings.Contains(text, link) {
		// A template that shows the link only in some cases would lose it
		// for some articles; the link is what the post is for.
		return "", fmt.Errorf("post template left out the link %s", link)
	}
	return text, nil
}

// compose is ComposeWith over a render that cannot fail.
func compose(render func(Fields) string, f Fields, o Options) string {
	if o.Count == nil {
		o.Count = textlen.X
	}
	if o.Limit <= 0 {
		o.Limit = textlen.XLimit
	}
	text := func(f Fields) string { return tidy(render(f)) }
	fits := func(f Fields) bool {
		s := text(f)
		return o.Count(s) <= o.Limit && (o.MaxBytes <= 0 || len(s) <= o.MaxBytes)
	}

	f.URL = strings.TrimSpace(f.URL)
	f.Title = collapse(f.Title)
	f.Summary = collapse(f.Summary)
	f.Author = collapse(f.Author)
	// A title or lede that is only the link would print it twice.
	if sameLink(f.Title, f.URL) {
		f.Title = ""
	}
	if sameLink(f.Summary, f.URL) {
		f.Summary = ""
	}
	f.Summary = withoutTitle(f.Summary, f.Title)
	f.URL = o.shownLink(f.URL)
	tags := Hashtags(f.Hashtags)
	f.Hashtags = nil

	if fits(f) {
		return text(addHashtags(f, tags, fits))
	}
	if f.Summary != "" {
		if s, ok := shorten(f.Summary, o.Limit, func(s string) bool { q := f; q.Summary = s; return fits(q) }); ok &&
			uniseg.GraphemeClusterCount(s) > minLedeGraphemes {
			f.Summary = s
			return text(f)
		}
		f.Summary = ""
		if fits(f) {
			return text(f)
		}
	}
	if f.Title != "" {
		if s, ok := shorten(f.Title, o.Limit, func(s string) bool { q := f; q.Title = s; return fits(q) }); ok {
			f.Title = s
			return text(f)
		}
		f.Title = ""
	}
	f.Author = ""
	if fits(f) {
		return text(f)
	}
	// Even the template's own words do not fit beside the link.
	return f.URL
}

// sameLink reports whether s is nothing but link, perhaps written another
// way (another case of scheme or host, without the UTM parameters the
// link was given): it names the same article.
func sameLink(s, link string) bool {
	if s == "" || link == "" {
		return false
	}
	if s == link {
		return true
	}
	if strings.ContainsAny(s, " \t\n") {
		return false
	}
	a, err := syndicate.CanonicalURL(s)
	if err != nil {
		return false
	}
	b, err := syndicate.CanonicalURL(link)
	return err == nil && a == b
}

var blankLines = regexp.MustCompile(`\n{3,}`)

// tidy lets a post template be written for readability and for every
// combination of empty fields: each line loses its leading and trailing
// spaces and has its runs of spaces collapsed (the fields themselves are
// already collapsed), runs of blank lines become one, and the post is
// trimmed.
func tidy(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.FieldsFunc(l, func(r rune) bool { return r == ' ' || r == '\t' }), " ")
	}
	s = blankLines.ReplaceAllString(strings.Join(lines, "\n"), "\n\n")
	return strings.Trim(s, "\n")
}

// addHashtags appends, in order, each of tags (hashtags already) with
// which f still fits, up to maxHashtags.
func addHashtags(f Fields, tags []string, fits func(Fields) bool) Fields {
	for _, h := range tags {
		if len(f.Hashtags) == maxHashtags {
			break
		}
		q := f
		q.Hashtags = append(f.Hashtags[:len(f.Hashtags):len(f.Hashtags)], h)
		if fits(q) {
			f = q
		}
	}
	return f
}

// Hashtags returns the hashtags that tags make (see Hashtag), in order,
// leaving out tags that make none and repeats that differ only in case.
func Hashtags(tags []string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, t := range tags {
		h, ok := Hashtag(t)
		if !ok || seen[strings.ToLower(h)] {
			continue
		}
		seen[strings.ToLower(h)] = true
		out = append(out, h)
	}
	return out
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

// collapse turns every run of white space in s into one space and trims
// it, and each invalid UTF-8 sequence into U+FFFD: a validated article is
// valid UTF-8, but a post must be whatever it is given, or the network
// refuses it.
func collapse(s string) string {
	return strings.ToValidUTF8(strings.Join(strings.Fields(s), " "), "\uFFFD")
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

// shorten returns the longest prefix of text that ends where a word
// ends (see cutPoints), loses any trailing spaces and punctuation, takes
// Ellipsis and still fits; false if none does. In CJK text a cut right
// after clause punctuation (、。，！？；：) is taken instead when it keeps
// at least two thirds of what the longest cut keeps. Counts grow with
// length but for the odd dip (text that completes a URL can count less),
// so a binary search finds the boundary and the few longer candidates
// past it are tried too.
func shorten(text string, limit int, fits func(string) bool) (string, bool) {
	const probe = 8
	cuts := cutPoints(text, limit)
	cand := func(i int) string { return text[:cuts[i].end] + Ellipsis }
	lo, hi := -1, len(cuts) // cuts[lo] fits, cuts[hi] does not
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if fits(cand(mid)) {
			lo = mid
		} else {
			hi = mid
		}
	}
	best := lo
	for i := min(len(cuts)-1, lo+probe); i > lo; i-- {
		if fits(cand(i)) {
			best = i
			break
		}
	}
	if best < 0 {
		return "", false
	}
	if !cuts[best].clause {
		for i := best - 1; i >= 0 && cuts[i].graphemes*clauseReachDen >= cuts[best].graphemes*clauseReachNum; i-- {
			if cuts[i].clause && fits(cand(i)) {
				return cand(i), true
			}
		}
	}
	return cand(best), true
}

// A clause cut is in reach when it keeps at least clauseReachNum/Den of
// what the longest cut keeps: it may give up the last third of the room.
const clauseReachNum, clauseReachDen = 2, 3

// cut is one place where text may be shortened.
type cut struct {
	end       int  // byte offset where the kept text ends, before the ellipsis
	graphemes int  // how many graphemes are kept
	clause    bool // the text is cut right after CJK clause punctuation
}

// cutPoints returns, ascending and without repeats, the places where text
// may be cut: grapheme boundaries that are word boundaries by Unicode word
// segmentation (UAX #29, so a compound such as "Einbürgerungsgesetz", a
// number such as "3.5" or a katakana word stays whole) and that have white
// space or a character of a script written without spaces (CJK, Thai) or
// an emoji on one side. So Latin text is cut between words only; CJK text
// between characters, but never inside a run of Latin letters, digits and
// their joining punctuation ("iPhone 15" aside, "GPT-4" stays whole).
// Each end is moved back past spaces and punctuation, but for a sign such
// as "%" after a number; an end that would then split a URL is left out. Offsets are
// only collected while the prefix can still fit: every grapheme outside a
// URL counts at least 1.
func cutPoints(text string, limit int) []cut {
	urls := urlTokens(text)
	inURL := func(i int) bool {
		for _, u := range urls {
			if i > u[0] && i < u[1] {
				return true
			}
		}
		return false
	}
	// The graphemes that can fit, and one more to see what follows.
	type grapheme struct {
		start, end int
		base       rune // the first code point, which says what it is
	}
	var gs []grapheme
	budget := 0 // graphemes outside URLs so far
	pos := 0
	for rest, state := text, -1; rest != "" && budget <= limit; {
		var cluster string
		cluster, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		if !inURL(pos) {
			budget++
		}
		r, _ := utf8.DecodeRuneInString(cluster)
		gs = append(gs, grapheme{start: pos, end: pos + len(cluster), base: r})
		pos += len(cluster)
	}
	if len(gs) < 2 {
		return nil
	}
	wordEnds := wordBoundaries(text, gs[len(gs)-1].end)
	var cuts []cut
	for k := 0; k+1 < len(gs); k++ {
		at := gs[k].end
		a, b := gs[k].base, gs[k+1].base
		// A word segment may end inside a grapheme (Thai vowel signs), so
		// only grapheme boundaries are considered at all.
		if !wordEnds[at] || inURL(at) || !(unicode.IsSpace(a) || unicode.IsSpace(b) || standalone(a) || standalone(b)) {
			continue
		}
		j := k // the last grapheme kept
		for j >= 0 && (strippable(gs[j].base) || isSign(gs[j].base) && (j == 0 || !wordy(gs[j-1].base))) {
			j--
		}
		if j < 0 {
			continue
		}
		end := gs[j].end
		if inURL(end) {
			continue // the URL would lose its end
		}
		c := cut{end: end, graphemes: j + 1, clause: strings.ContainsRune(clausePunct, a)}
		switch n := len(cuts); {
		case n > 0 && cuts[n-1].end == end:
			cuts[n-1].clause = cuts[n-1].clause || c.clause
		case n == 0 || cuts[n-1].end < end:
			cuts = append(cuts, c)
		}
	}
	return cuts
}

// clausePunct ends a clause or sentence in CJK text: the best place to
// cut it.
const clausePunct = "、。，！？；：｡､"

// strippable reports whether r goes from the end of shortened text
// before the ellipsis: white space and punctuation, but not a sign that
// belongs to the word or number before it (see isSign).
func strippable(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsPunct(r) && !isSign(r)
}

// isSign reports whether r is punctuation that is part of the word or
// number it follows ("5.3%", "C#", "5′"), kept when shortened text ends
// with it so the run stays whole.
func isSign(r rune) bool { return strings.ContainsRune("%‰‱#′″", r) }

func wordy(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }

// standalone reports whether r is of a script written without spaces
// between words (Han, kana, Thai and its neighbours), CJK punctuation or
// an emoji: text may be cut on either side of it.
func standalone(r rune) bool {
	switch {
	case r >= 0x3000 && r <= 0x30FF, // CJK punctuation, kana and their marks
		r >= 0xFE30 && r <= 0xFE4F,   // CJK compatibility forms
		r >= 0xFF00 && r <= 0xFFEF,   // full-width and half-width forms
		r >= 0x2600 && r <= 0x27BF,   // pictographs and dingbats
		r >= 0x1F000 && r <= 0x1FAFF: // emoji, flags
		return true
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Bopomofo, unicode.Yi,
		unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan)
}

// wordBoundaries returns the byte offsets up to upTo where Unicode word
// segmentation of text puts a boundary.
func wordBoundaries(text string, upTo int) map[int]bool {
	ends := make(map[int]bool)
	pos := 0
	for rest, state := text, -1; rest != "" && pos < upTo; {
		var w string
		w, rest, state = uniseg.FirstWordInString(rest, state)
		pos += len(w)
		ends[pos] = true
	}
	return ends
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
