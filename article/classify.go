package article

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"syndicate/article/stopwords"
)

// Scraped text is classified block by block as jusText does (Pomikálek,
// "Removing Boilerplate and Duplicate Content from Web Corpora", 2011;
// doc/algorithm.rst of github.com/miso-belica/jusText): every line is
// first judged on its own — its length, the share of function words in
// it for the page's language — as bad, short, near-good or good; then the
// short and near-good lines take the class of their neighbours. Text has
// no links to count, so lines that look like links or menus (breadcrumbs,
// runs of short headline-like lines, items between "|" or "»"), captions
// and credits, page chrome and lines the page repeats are bad from the
// start.

// class is a block's class, from boilerplate to content.
type class int8

const (
	clsBad class = iota
	clsShort
	clsNearGood
	clsGood
)

// jusText's defaults, lengths in characters.
const (
	lengthLow          = 70
	lengthHigh         = 200
	maxHeadingDistance = 200
)

// tblock is one line of scraped text and what the classifier found.
type tblock struct {
	text    string
	length  int     // weighted characters: see textLen
	stop    float64 // share of function words
	cf, cls class   // context-free and final class
	heading bool    // short and headline-shaped
	linky   bool    // one of a run of short headline-shaped lines
	boiler  bool    // boilerplate by its shape (isBoilerplate)
	repeats int     // how often the page has this line
}

// classify returns the lines' blocks with their classes, for text in
// language lang ("" if unknown).
func classify(lines []string, lang string) []tblock {
	low, high := stopThresholds(lang)
	repeats := map[string]int{}
	for _, l := range lines {
		repeats[lineKey(l)]++
	}
	bs := make([]tblock, len(lines))
	boiler := map[string]bool{} // a page repeats its menus and labels: each is judged once
	for i, l := range lines {
		bl, ok := boiler[l]
		if !ok {
			bl = isBoilerplate(l)
			boiler[l] = bl
		}
		b := tblock{text: l, length: textLen(l), stop: stopDensity(l, lang), repeats: repeats[lineKey(l)], boiler: bl}
		b.heading = b.length < lengthHigh && (!endsSentence(l) || isCapsSentence(l))
		switch {
		case b.boiler, b.repeats >= 3:
			b.cf = clsBad
		case b.length >= lengthLow && 250*punctuation(l) < b.length:
			b.cf = clsBad // a long line without the punctuation of sentences: headlines or links glued together
		case b.length < lengthLow:
			b.cf = clsShort
		case b.stop >= high && b.length >= lengthHigh:
			b.cf = clsGood
		case b.stop >= low:
			b.cf = clsNearGood
		default:
			b.cf = clsBad
		}
		bs[i] = b
	}
	linkRuns(bs)
	// Content comes in clusters (jusText's fourth observation): sentences
	// next to sentences are the article even where each is short of
	// lengthHigh, as news paragraphs often are. Short pages may have no
	// paragraph long enough to be sure of at all: their grammatical
	// lines are then the page's best.
	prose := func(i int) bool {
		return i >= 0 && i < len(bs) && bs[i].cf >= clsNearGood && isLede(bs[i].text)
	}
	none := !hasClass(bs, clsGood)
	var promote []int
	for i := range bs {
		if bs[i].cf == clsNearGood && prose(i) && (none || prose(i-1) || prose(i+1)) {
			promote = append(promote, i)
		}
	}
	for _, i := range promote {
		bs[i].cf = clsGood
	}
	// A short heading just before good text is near-good, so that the
	// context pass keeps what sits between the two.
	for i := range bs {
		if bs[i].cf == clsShort && bs[i].heading && goodWithin(bs, i) {
			bs[i].cf = clsNearGood
		}
	}
	for i := range bs {
		bs[i].cls = bs[i].cf
	}
	contextPass(bs)
	// Headings that were not bad on their own and precede good text are
	// kept.
	for i := range bs {
		if bs[i].heading && bs[i].cf != clsBad && bs[i].cls != clsGood && goodWithin(bs, i) {
			bs[i].cls = clsGood
		}
	}
	return bs
}

// linkRuns marks runs of three or more short headline-shaped lines as bad:
// menus, lists of other stories and tag clouds, whose lines were links.
func linkRuns(bs []tblock) {
	meta := map[string]bool{} // each line the page repeats is judged once
	isMeta := func(l string) bool {
		m, ok := meta[l]
		if !ok {
			m = isMetaCheap(l)
			meta[l] = m
		}
		return m
	}
	for i := 0; i < len(bs); {
		j, n := i, 0
		for j < len(bs) && bs[j].heading && bs[j].length < lengthLow {
			// Bylines and dates sit among headings without being links,
			// and the items of a list in the article read as sentences.
			if !bs[j].boiler && !isMeta(bs[j].text) && (bs[j].stop < 0.5 || words(bs[j].text) <= 3) {
				n++
			}
			j++
		}
		if n >= 3 {
			for k := i; k < j; k++ {
				bs[k].cf, bs[k].linky = clsBad, true
			}
		}
		i = max(j, i+1)
	}
}

func hasClass(bs []tblock, c class) bool {
	for _, b := range bs {
		if b.cf == c {
			return true
		}
	}
	return false
}

// goodWithin reports whether a good block follows block i within
// maxHeadingDistance characters.
func goodWithin(bs []tblock, i int) bool {
	dist := 0
	for j := i + 1; j < len(bs) && dist <= maxHeadingDistance; j++ {
		if bs[j].cf == clsGood {
			return true
		}
		dist += bs[j].length
	}
	return false
}

// contextPass reclassifies every run of short and near-good blocks by the
// good or bad blocks around it (the page's edges count as bad): between
// two good blocks it is good, between two bad ones bad; between a good and
// a bad one it is good up to the near-good block nearest the bad side.
func contextPass(bs []tblock) {
	for i := 0; i < len(bs); {
		if bs[i].cls == clsGood || bs[i].cls == clsBad {
			i++
			continue
		}
		j := i
		for j < len(bs) && bs[j].cls != clsGood && bs[j].cls != clsBad {
			j++
		}
		prevGood := i > 0 && bs[i-1].cls == clsGood
		nextGood := j < len(bs) && bs[j].cls == clsGood
		switch {
		case prevGood && nextGood:
			setClass(bs[i:j], clsGood)
		case !prevGood && !nextGood:
			setClass(bs[i:j], clsBad)
		case prevGood: // bad after: good up to the last near-good
			cut := i
			for k := j - 1; k >= i; k-- {
				if bs[k].cls == clsNearGood {
					cut = k + 1
					break
				}
			}
			setClass(bs[i:cut], clsGood)
			setClass(bs[cut:j], clsBad)
		default: // bad before: good from the first near-good
			cut := j
			for k := i; k < j; k++ {
				if bs[k].cls == clsNearGood {
					cut = k
					break
				}
			}
			setClass(bs[i:cut], clsBad)
			setClass(bs[cut:j], clsGood)
		}
		i = j
	}
}

func setClass(bs []tblock, c class) {
	for i := range bs {
		bs[i].cls = c
	}
}

// densestRun returns the run of blocks [start, end) that is the article,
// or -1, -1 if no block is good. Each run of good blocks scores its good
// text, bad blocks inside it counting against it; the article is the
// first run that scores at least half the best: what follows an article
// (other stories' teasers, comments) can outweigh it, what precedes it
// rarely does.
func densestRun(bs []tblock) (start, end int) {
	type run struct{ start, end, score int }
	var runs []run
	cur, sum, from, best := run{start: -1}, 0, 0, 0
	for i, b := range bs {
		if b.cls == clsGood {
			// A paragraph cut short is a teaser of another story, the
			// article's own paragraphs end: a list of teasers weighs less
			// than the article it follows.
			if strings.HasSuffix(b.text, "...") || strings.HasSuffix(b.text, "…") {
				sum += b.length / 2
			} else {
				sum += b.length
			}
		} else {
			sum -= 20 + b.length/3
		}
		if sum <= 0 {
			if cur.start >= 0 {
				runs = append(runs, cur)
			}
			cur, sum, from = run{start: -1}, 0, i+1
			continue
		}
		if sum > cur.score {
			cur = run{from, i + 1, sum}
		}
	}
	if cur.start >= 0 {
		runs = append(runs, cur)
	}
	for _, r := range runs {
		best = max(best, r.score)
	}
	for _, r := range runs {
		if 2*r.score >= best {
			return r.start, r.end
		}
	}
	return -1, -1
}

// stopThresholds returns the densities of function words below which a
// block is bad and above which a long one is good. Japanese and Chinese
// count function characters, which are fewer; with no list, the
// densities come from sentence punctuation (see stopDensity).
func stopThresholds(lang string) (low, high float64) {
	switch lang {
	case "ja":
		return 0.18, 0.22
	case "zh":
		return 0.07, 0.09
	}
	return 0.30, 0.32
}

// stopDensity is the share of l's words that are function words of lang,
// or for Japanese and Chinese the share of its characters. For languages
// without a list it is 1 for a line with sentence punctuation and 0
// otherwise, so length alone decides.
func stopDensity(l, lang string) float64 {
	set := stopwords.Of(lang)
	if set == nil {
		if strings.ContainsAny(l, ".!?,;。、，！？") {
			return 1
		}
		return 0
	}
	hits, n := 0, 0
	if lang == "ja" || lang == "zh" {
		for _, r := range l {
			if !unicode.IsLetter(r) {
				continue
			}
			n++
			if set[string(r)] {
				hits++
			}
		}
	} else {
		for _, w := range strings.FieldsFunc(strings.ToLower(l), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '’' && !unicode.Is(unicode.Mn, r)
		}) {
			n++
			if set[w] || set[strings.ReplaceAll(w, "’", "'")] {
				hits++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(hits) / float64(n)
}

// textLang guesses the language of the page from its script and, for
// Latin text, from which stoplist its words hit most.
func textLang(lines []string) string {
	// The opening of a page tells its language as well as the whole:
	// a long page is sampled, so the guess costs the same for any size.
	n := 0
	for i, l := range lines {
		if n += len(l); n > langSample {
			lines = lines[:i+1]
			if len(l) > langSample {
				lines = append(lines[:i:i], l[:langSample])
			}
			break
		}
	}
	var han, kana, cyr, arabic, greek, latin int
	for _, l := range lines {
		for _, r := range l {
			switch {
			case unicode.In(r, unicode.Hiragana, unicode.Katakana):
				kana++
			case unicode.Is(unicode.Han, r):
				han++
			case unicode.Is(unicode.Cyrillic, r):
				cyr++
			case unicode.Is(unicode.Arabic, r):
				arabic++
			case unicode.Is(unicode.Greek, r):
				greek++
			case unicode.Is(unicode.Latin, r):
				latin++
			}
		}
	}
	candidates := []string{"en", "de", "fr", "es", "it", "pt", "nl", "cs", "pl", "fi", "no", "sv", "da", "tr", "hu", "ro"}
	switch m := max(han+kana, cyr, arabic, greek, latin); {
	case m == 0:
		return ""
	case m == han+kana && kana*10 >= han+kana:
		return "ja"
	case m == han+kana:
		return "zh"
	case m == arabic:
		return "ar"
	case m == greek:
		return "el"
	case m == cyr:
		candidates = []string{"ru", "uk"}
	}
	// The list with the most hits names the language; the first listed
	// wins a tie.
	var ws []string
	for _, l := range lines {
		ws = append(ws, strings.FieldsFunc(strings.ToLower(l), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })...)
	}
	best, bestHits := "", 0
	for _, lang := range candidates {
		set, hits := stopwords.Of(lang), 0
		for _, w := range ws {
			if set[w] {
				hits++
			}
		}
		if hits > bestHits {
			best, bestHits = lang, hits
		}
	}
	return best
}

// langSample is how many bytes of a page textLang reads.
const langSample = 64 << 10

// isCJK reports whether r is a Chinese, Japanese or Korean character,
// written without spaces between words.
func isCJK(r rune) bool {
	if r < 0x1100 {
		return false // below the first Hangul jamo: Latin, Greek, Cyrillic, Arabic…
	}
	// The long-vowel mark and the repetition mark ("ニュース", "人々") are
	// in no script of their own, but are letters of Japanese words.
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) || r == 'ー' || r == '々'
}

// textLen is l's length in characters, a CJK character counting three: it
// carries about as much as three Latin letters, so the length classes
// hold for every script.
func textLen(l string) int {
	n := 0
	for _, r := range l {
		if isCJK(r) {
			n += 3
		} else {
			n++
		}
	}
	return n
}

// lineKey is l reduced for comparing lines: lowercase, without spaces and
// punctuation.
func lineKey(l string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, l)
}

// isBoilerplate reports whether l is page furniture by its shape alone:
// chrome, a breadcrumb, a menu, a caption or credit, a copyright line, a
// trailer heading, a bare URL or an inline promotion.
func isBoilerplate(l string) bool { return boilerplate(l, true) }

// boilerplate is isBoilerplate; names false lets a name alone in capitals
// (or in a script without capitals) pass.
func boilerplate(l string, names bool) bool {
	if words(l) <= 6 && shareRe.MatchString(l) || moreLinkRe.MatchString(l) || isSourceLine(l) {
		return true
	}
	if isFurniture(l) || isMenu(l) || isCaption(l) || isTrailer(l) || isInlinePromo(l) || looksLikeURL(l) || names && isCapsName(l) {
		return true
	}
	return textLen(l) < 300 && mayHoldCopyright(l) && copyrightRe.MatchString(l)
}

// The checks below run a line past a cheap test before its regular
// expression: every line of a page is classified, and a page may have
// tens of thousands.

// sourceLineEnds are the words a portal's source line ends with.
var sourceLineEnds = []string{"配信", "発信", "更新", "发布", "發布", "發佈"}

// isSourceLine reports whether l is a portal's source line (sourceLineRe).
func isSourceLine(l string) bool {
	for _, e := range sourceLineEnds {
		if strings.HasSuffix(l, e) {
			return sourceLineRe.MatchString(l)
		}
	}
	return false
}

// copyrightMarks are what a line matching copyrightRe holds, lower-cased.
var copyrightMarks = []string{"©", "(c)", "all rights reserved", "alle rechte vorbehalten", "tous droits réservés",
	"todos los derechos reservados", "tutti i diritti riservati", "все права защищены", "版权所有", "無断転載", "جميع الحقوق محفوظة"}

func mayHoldCopyright(l string) bool {
	low := strings.ToLower(l)
	for _, m := range copyrightMarks {
		if strings.Contains(low, m) {
			return true
		}
	}
	return false
}

// creditWords are what the tail of a line matching captionTailRe holds,
// lower-cased: a credit's label, an agency's or picture desk's name, or
// the slash between a photographer and an owner. The short agency names
// (creditEnds) are only looked for at the very end.
var (
	creditWords = []string{"photo", "foto", "bild", "image", "picture", "credit", "crédit", "quelle", "source", "fuente",
		"fonte", "фото", "图", "写真", "صورة", "getty", "shutterstock", "imago", "alliance", "reuters", "keystone",
		"ansa", "tass", "xinhua", "kyodo", "folhapress", "dpa", "afp", "摄", "攝", "/"}
	creditEnds = []string{"ap", "epa", "efe", "anp", "pap"}
)

// creditTail is how many bytes at the end of a line captionTailRe can
// match (its whole-line form, "AFP / Jane Roe", has a slash).
const creditTail = 300

// mayEndWithCredit reports whether l could match captionTailRe.
func mayEndWithCredit(l string) bool {
	i := len(l) - min(len(l), creditTail)
	for i < len(l) && !utf8.RuneStart(l[i]) {
		i++
	}
	tail := strings.ToLower(l[i:])
	for _, w := range creditWords {
		if strings.Contains(tail, w) {
			return true
		}
	}
	end := tail[len(tail)-min(len(tail), 16):]
	for _, w := range creditEnds {
		if strings.Contains(end, w) {
			return true
		}
	}
	return false
}

var (
	// A short line naming a social network is a share button, in any
	// language ("Jaa artikkeli Twitterissä", "Auf Facebook teilen").
	shareRe = regexp.MustCompile(`(?i)facebook|twitter|whatsapp|linkedin|telegram|pinterest|reddit|instagram|weibo|微信|ВКонтакте|Одноклассники|シェア|分享`)
	// A line ending with an arrow links on: "Alle plaatsen >", "More ›".
	moreLinkRe = regexp.MustCompile(`^.{1,40}\s*[>›»→]$`)
	// A line that names where and when a story was sent out, as Japanese
	// and Chinese portals print it ("CNET Japan 3/9(木) 18:45配信").
	sourceLineRe = regexp.MustCompile(`\d{1,2}:\d{2}\s*(?:配信|発信|更新|发布|發布|發佈)$`)
	copyrightRe  = regexp.MustCompile(`©|\(c\)\s*\d{4}|(?i:all rights reserved|alle rechte vorbehalten|tous droits réservés|todos los derechos reservados|tutti i diritti riservati|все права защищены|版权所有|無断転載|جميع الحقوق محفوظة)`)
	// A caption or credit opens with what it is ("Photo:", "Foto:",
	// "Quelle:", "Bild:", "Фото:", "图：", "写真：", "صورة:") or ends
	// with one ("… (Foto: dpa)", "… Photo: Reuters", "… / AFP", "… 摄").
	captionHeadRe = regexp.MustCompile(`^(?i:(?:media|image|video|photo) caption\b)|^[@©]\s*\p{Lu}[^.!?]{2,80}$|^[(\[▲△▼]?\s*(?i:photos?|foto[sg]?|fotografía|image|images|picture|pictured|illustration|graphic|grafik|video|bild|bilder|credits?|crédits?|crédito|créditos|quelle|source|fuente|fonte|bron|foto's|фото|источник|иллюстрация|图|图片|圖片|摄影|攝影|写真|画像|صورة|المصدر|الصورة)(?:\s+(?:credits?|courtesy|source))?\s*(?:by|von|de|di|door)?\s*[:：]`)
	captionTailRe = regexp.MustCompile(`(?i:[(\[|/©–—.-]\s*(?:photos?|foto|bild|image|picture|credit|crédit|quelle|source|fuente|fonte|фото|图|写真|صورة)\s*[:：]?[^()]{0,60}[)\]]?|[(/|©–—:.-]\s*(?:getty images|shutterstock|imago(?: images)?|picture[- ]alliance|ap photo|afp|ap|reuters|epa(?:-efe)?|efe|dpa|keystone|anp|ansa|pap|tass|xinhua|kyodo|folhapress)(?:/[^()]{0,40})?[)\]]?)\s*$|[\p{Han}]{1,6}\s*(?:摄|攝)[)）]?\s*$|\b(?:REUTERS|AFP|AP|EPA|DPA|ANSA|EFE)/[^/]{2,40}$|^\p{Lu}{2,8}\s*/\s*\p{Lu}[\p{L} .'’-]{1,40}$` +
		// "… - Heinrich Aikawa/Instituto Lula": a photographer's name and
		// the picture's owner after a dash.
		`|\s[-–—|]\s+\p{Lu}[\p{L}.'’-]+(?:\s+\p{Lu}[\p{L}.'’-]+){0,3}\s*/\s*\p{Lu}[\p{L}.'’-]*(?:\s+\p{Lu}?[\p{L}.'’-]+){0,4}$`)
)

// isCaption reports whether l is a photo caption or a credit: it names
// itself so at its start, or ends with a photo credit, and is no longer
// than a caption runs.
func isCaption(l string) bool {
	if textLen(l) > 400 {
		return false
	}
	return captionHeadRe.MatchString(l) || mayEndWithCredit(l) && captionTailRe.MatchString(l)
}

// menuSeps separate the items of a menu or breadcrumb.
const menuSeps = "|｜»›•·>→"

// isMenu reports whether l is a menu: three or more short items between
// separators, two items of a word or two ("Einloggen | Registrieren"), or
// a row of short CJK items between spaces.
func isMenu(l string) bool {
	parts := strings.FieldsFunc(l, func(r rune) bool { return strings.ContainsRune(menuSeps, r) })
	if n := len(parts); n >= 2 && utf8.RuneCountInString(l) <= 200 && !endsSentence(l) {
		longest := 0
		for _, p := range parts {
			longest = max(longest, words(p))
		}
		if n >= 3 && longest <= 5 || n == 2 && longest <= 2 {
			return true
		}
	}
	fs := strings.Fields(l)
	if len(fs) < 4 || strings.ContainsAny(l, "。，、！？.,!?") {
		return false
	}
	for _, f := range fs {
		r, _ := utf8.DecodeRuneInString(f)
		if !isCJK(r) || utf8.RuneCountInString(f) > 6 {
			return false
		}
	}
	return true
}

// isCapsName reports whether l is a name alone in capitals ("ANDREW
// KELLY"): a photographer's credit under a picture. Bylines say "By".
func isCapsName(l string) bool {
	if !isNameLike(l) {
		return false
	}
	for _, r := range l {
		if unicode.IsLower(r) {
			return false
		}
	}
	return true
}

// punctuation counts the marks that separate clauses and sentences in l.
func punctuation(l string) int {
	n := 0
	for _, r := range l {
		if strings.ContainsRune(".,;:!?。、，；：！？،؛؟", r) {
			n++
		}
	}
	return n
}
