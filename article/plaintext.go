package article

import (
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Scraped text is what a browser's "select all, copy" or a text extractor
// gives for a web page: navigation, breadcrumbs, the title (often twice),
// a byline, captions, the article, an author box and lists of other
// articles, one paragraph a line. The article is found by classifying
// every line as content or boilerplate (classify.go) and taking the
// densest run of content; the title is the headline nearest its start.
// Nothing here depends on one site's wording.

// parseText finds the title, byline, date, lede, body and author of
// scraped text. title, if given, is the editor's title: lines repeating it
// are dropped from the text like the page's own title. pageURL, if given,
// is where the page came from: the words of its slug point at the title
// and its path may hold the date.
func parseText(text, title, pageURL string) fields {
	var f fields
	lines := textLines(text)
	if len(lines) == 0 {
		return f
	}
	lang := textLang(lines)
	bs := classify(lines, lang)

	start, end := densestRun(bs)
	// Headings that open the run are the headline and its kickers, not
	// the article.
	for start >= 0 && start < end-1 && bs[start].heading && !isLede(lines[start]) {
		start++
	}
	if start < 0 {
		// No line is grammatical text: the article starts at the first
		// that reads as a sentence, else after the first title-like line.
		start, end = -1, len(lines)
		for i, l := range lines {
			if isLede(l) {
				start = i
				break
			}
		}
	}
	for i := range lines[:max(start, 0)] {
		if u, ok := urlLine(lines[i]); ok && f.url == "" {
			f.url = u
		}
	}
	if pageURL == "" {
		pageURL = f.url
	}

	titleIdx, lastIdx, bare, source, above := -1, -1, "", "", ""
	if t := plainInline(title); t != "" {
		titleIdx, lastIdx = findTitleLine(lines[:max(start, 0)], t)
	}
	if titleIdx < 0 {
		titleIdx, start = pickTitle(lines, bs, start, slugWords(pageURL), lang)
		lastIdx = titleIdx
	}
	if start <= lastIdx {
		start = min(lastIdx+1, len(lines)) // the article comes after its headline
	}
	// A standfirst or lede just under the headline may have too few
	// function words to be good on its own; it is the article's all the
	// same.
	for start > titleIdx+1 && isLede(lines[start-1]) && !isBoilerplate(lines[start-1]) {
		start--
		bs[start].cls = clsGood
	}
	// A paragraph over the byline and the date is a caption or a
	// standfirst: the article starts under them.
	if k := pastMeta(lines, start, lang); titleIdx >= 0 && k > start && k < len(lines) && isLede(lines[k]) {
		start = k
		bs[start].cls = clsGood
	}
	if titleIdx >= 0 {
		f.title = unglueKicker(lines, lines[titleIdx])
		bare, source = f.read(lines[lastIdx+1:start], lang)
		// A date just above the headline is the article's; one higher up
		// is usually today's, printed in the site's header.
		// So is a byline there: some pages put it above the headline.
		for i := max(0, titleIdx-2); i < titleIdx; i++ {
			if f.readByline(lines[i], lang) {
				continue
			}
			if f.date.IsZero() && isDateOnly(lines[i], lang) {
				f.date, _ = findDate(lines[i], lang)
			}
		}
		// A name between that date and the headline is who issued the
		// page: "15.12.2020 – 14:49 / Polizei Steinfurt / POL-ST: …".
		if i := titleIdx - 1; i >= 1 && isDateOnly(lines[i-1], lang) && isNameLike(lines[i]) && words(lines[i]) >= 2 && words(lines[i]) <= 4 &&
			!isBoilerplate(lines[i]) && !labelRe.MatchString(lines[i]) && bare == "" {
			above = lines[i]
		}
	}

	classified := start < len(bs) && bs[start].cls == clsGood
	end = min(end, articleEnd(lines, start, &f))
	titleKey := lineKey(f.title)
	var body []string
	var bodyAt []int // where each paragraph of body is in lines
	bylineDates := 0
	for i := start; i < end; i++ {
		l := lines[i]
		switch {
		case i == titleIdx, titleKey != "" && strings.HasSuffix(lineKey(l), titleKey) && !isProse(l):
			continue // the headline again, or a dateline ending with it
		case isBylineWord(l) && i+1 < end:
			if name, ok := parseByline(l + " " + lines[i+1]); ok && f.author == "" {
				f.author = name
			}
			i++ // the name on the next line
			continue
		case bylineDates < 3 && f.readByline(l, lang):
			bylineDates++ // each may run the date parser: a hostile page could hold thousands
			continue      // a byline in the article, or an agency's at its foot
		case bylineDates >= 3 && isBylineOnly(l):
			continue
		case len(body) == 0 && i < start+10 && isDateOnly(l, lang):
			if f.date.IsZero() {
				f.date, _ = findDate(l, lang)
			}
			continue
		case classified && bs[i].cls != clsGood, bs[i].boiler: // classify has judged every line's shape
			continue
		}
		body = append(body, l)
		bodyAt = append(bodyAt, i)
	}
	for _, l := range body {
		f.body = append(f.body, block{tag: "p", text: l})
	}
	// Some pages sign the article at its foot, the label on a line of
	// its own ("Авторы:", "Text:"), the name under it.
	for i := end; f.author == "" && i+1 < min(len(lines), end+12); i++ {
		if isBylineWord(lines[i]) {
			if name, ok := parseByline(lines[i] + " " + lines[i+1]); ok {
				f.author = name
			}
		}
	}
	// The lede is the first paragraph that reads as one; a question of an
	// interview or a subheading may come before it.
	for k, l := range body[:min(len(body), 3)] {
		if isLede(l) && !creditBelow(lines, bodyAt[k]) {
			f.summary = l
			break
		}
	}
	if f.summary == "" && len(body) > 0 && isLede(body[0]) {
		f.summary = body[0] // only captions: the first is better than none
	}
	// A name alone under the headline is the author's, unless the page
	// names it in its sentences too: then it is a place ("São Paulo", a
	// dateline) or a subject.
	if f.author == "" && bare != "" && !namedElsewhere(lines, bare) {
		f.author = bare
	}
	if name, ok := reporterTag(f.summary); ok && f.author == "" {
		f.author = name
	}
	if name, ok := agencyOfDateline(f.summary); ok && f.author == "" {
		f.author = name // agency copy credits the agency
	}
	if name, ok := creditedAgency(f.summary); ok && f.author == "" {
		f.author = name
	}
	if f.author == "" {
		f.author = source
	}
	if f.author == "" {
		f.author = above
	}
	if cut := lastSentenceEnd(f.summary, len(f.summary)); strings.HasSuffix(f.summary, ":") && cut > 0 {
		f.summary = f.summary[:cut] // a lead-in to a list or a ticker: its sentences before
	}
	if f.date.IsZero() {
		if t, ok := dateFromURL(pageURL); ok {
			f.date = t
			f.warns.add("date", "no date on the page: dated %s from its URL", t.Format("2006-01-02"))
		} else {
			f.warns.add("date", "no publication date on the page or in its URL: dated now")
		}
	}
	return f
}

// pastMeta returns the index past the byline and date lines right under
// line i (a name alone counts with a date), or i if none follow it.
func pastMeta(lines []string, i int, lang string) int {
	j, dated := i+1, false
	for ; j < len(lines) && j <= i+3; j++ {
		l := lines[j]
		if _, ok := parseByline(l); ok || isBylineWord(l) {
			dated = true
			continue
		}
		if isDateOnly(l, lang) {
			dated = true
			continue
		}
		if isNameLike(l) && words(l) <= 4 && !isBoilerplate(l) {
			continue
		}
		break
	}
	if !dated {
		return i
	}
	return j
}

// read takes what the lines between the title and the article say about
// it: a byline (perhaps its opening word on a line of its own), a date or
// the page's URL.
//
// It returns the first name that stands alone on its line, a byline
// without its "By", for the caller to take if nothing better names the
// author.
//
// source is the source a reprint credits (see sourceCredit), for the
// caller to take if no byline names the author.
func (f *fields) read(lines []string, lang string) (bare, source string) {
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if isBylineWord(l) && i+1 < len(lines) {
			if name, ok := parseByline(l + " " + lines[i+1]); ok {
				if f.author == "" {
					f.author = name
				}
				i++
				continue
			}
		}
		if f.readByline(l, lang) || f.readCredit(l, lang) {
			continue
		}
		if name, ok := sourceCredit(l, f.hasDate(lang)); ok {
			if source == "" {
				source = name
			}
			if f.date.IsZero() {
				f.date, _ = findDate(l, lang)
			}
			continue
		}
		if bare == "" && isNameLike(l) && len(strings.Fields(l)) <= 4 && !isCapsName(l) && !isBoilerplate(l) && !labelRe.MatchString(l) {
			bare = l
		}
		if f.date.IsZero() && !isProse(l) {
			f.date, _ = findDate(l, lang) // a date line, or a source line with a date
		}
		if f.url == "" {
			if u, ok := urlLine(l); ok {
				f.url = u
			}
		}
	}
	return bare, source
}

// creditBelow reports whether the tail of a photo credit stands alone
// just under line i ("| Efe", "/ AFP"), perhaps after the picture's date:
// line i is then the picture's caption, its credit split off. A credit
// that opens with its label ("Foto: dpa") may be that of a picture below.
func creditBelow(lines []string, i int) bool {
	for j := i + 1; j < min(len(lines), i+3); j++ {
		r, _ := utf8.DecodeRuneInString(lines[j])
		if textLen(lines[j]) <= 60 && strings.ContainsRune("|/©–—-", r) && isCaption(lines[j]) {
			return true
		}
	}
	return false
}

// readCredit takes the author and the date from a credit line under the
// headline (see creditedAgency and creditLine) and reports whether l was
// one.
func (f *fields) readCredit(l, lang string) bool {
	name, ok := creditedAgency(l)
	if !ok {
		name, ok = creditLine(l, f.hasDate(lang))
	}
	if !ok {
		return false
	}
	if f.author == "" {
		f.author = name
	}
	if f.date.IsZero() {
		f.date, _ = findDate(l, lang)
	}
	return true
}

// hasDate returns a test for whether part of a line holds a date.
func (f *fields) hasDate(lang string) func(s string) bool {
	return func(s string) bool {
		_, ok := findDate(s, lang)
		return ok || relativeDateRe.MatchString(strings.TrimSpace(s))
	}
}

// isBylineOnly reports whether l is a byline, without reading its date.
func isBylineOnly(l string) bool {
	_, ok := parseByline(l)
	return ok
}

// readByline takes the author (and a date, if any) from a byline and
// reports whether l was one.
func (f *fields) readByline(l, lang string) bool {
	name, ok := parseByline(l)
	if !ok {
		return false
	}
	if f.author == "" {
		f.author = name
	}
	if f.date.IsZero() {
		if t, ok := findDate(l, lang); ok {
			f.date = t
		}
	}
	return true
}

// labelRe matches the words of section labels and kickers, which are
// capitalised like names ("Traffic News", "Live Updates").
var labelRe = regexp.MustCompile(`(?i)\b(?:news|live|updates?|analysis|opinion|breaking|exclusive|video|watch|sports?|politics|business|world|latest|more|top|stories|related|topics?|tags|sections?|nachrichten|aktuell|actualités|noticias|notizie|nieuws|новости)\b`)

// namedElsewhere reports whether a line of more than the name holds it.
func namedElsewhere(lines []string, name string) bool {
	for _, l := range lines {
		if len(l) > len(name) && strings.Contains(l, name) {
			return true
		}
	}
	return false
}

// pickTitle returns the index of the headline and the index where the
// article starts. The headline is the title-like line nearest the start
// of the article, preferring one the page repeats (a breadcrumb's tail, a
// window title, the headline twice) and one whose words are the URL's
// slug, over kickers (a word or two, or capitals) and trails that end with
// another line. A first paragraph that is headline-shaped and is so
// favoured is the headline itself: headlines can be long, or end with
// "N.Y.C.".
func pickTitle(lines []string, bs []tblock, start int, slug map[string]bool, lang string) (titleIdx, newStart int) {
	if start < 0 {
		// No article found: the first title-like line, whatever follows.
		for i, l := range lines[:min(len(lines), 100)] {
			if isTitleLike(l, lang) {
				return i, -1
			}
		}
		if !isProse(lines[0]) && utf8.RuneCountInString(lines[0]) <= 150 {
			return 0, -1 // a short first line, whatever it looks like
		}
		return -1, -1
	}
	keys := make([]string, len(lines))
	for i, l := range lines {
		keys[i] = lineKey(l)
	}
	// repeated reports whether the page has line i again, as it is or at
	// the end of a longer line (a breadcrumb, a dateline, a window
	// title): contained is true for the latter.
	// A credit ("Photo : Radio-Canada") ends with a name, not a headline.
	repeated := func(i int) (again, contained bool) {
		n := 0
		for j, k := range keys {
			switch {
			case j == i || len(keys[i]) == 0:
			case k == keys[i]:
				n++
			case (repeatsTitle(lines[j], lines[i]) || strings.HasSuffix(k, keys[i]) && len(k) > len(keys[i])) && !isCaption(lines[j]):
				n++
				contained = true
			}
		}
		return n >= 1 && n <= 2, contained && n <= 2
	}
	// blockRepeated reports whether line i and a neighbour are printed
	// together again elsewhere: a widget in the header and the footer,
	// not a headline printed twice.
	blockRepeated := func(i int) bool {
		for _, d := range []int{-1, 1} {
			if n := i + d; n >= 0 && n < len(lines) && keys[n] != keys[i] && bs[n].repeats >= 2 {
				for j := range keys {
					if j != i && keys[j] == keys[i] && j+d >= 0 && j+d < len(keys) && keys[j+d] == keys[n] {
						return true
					}
				}
			}
		}
		return false
	}
	// headingBetween reports whether a line between j and the article
	// start reads as a headline: a date above it is that headline's.
	headingBetween := func(j, start int) bool {
		for k := j + 1; k < start; k++ {
			if isTitleLike(lines[k], lang) && !isKicker(lines[k]) && bs[k].repeats < 3 {
				return true
			}
		}
		return false
	}
	// twiceInARow reports whether line i of four words or more is
	// printed again right next to it, once: a headline and its image's
	// title, not a caption, which the page repeats between other lines,
	// nor a widget's rows.
	twiceInARow := func(i int) bool {
		a, b := i, i
		for a > 0 && keys[a-1] == keys[i] {
			a--
		}
		for b+1 < len(keys) && keys[b+1] == keys[i] {
			b++
		}
		return words(lines[i]) >= 4 && b-a == 1
	}
	win := windowTitle(lines, keys)
	// inBox reports whether line i is in a box of other stories: its
	// heading is a few lines above.
	inBox := func(i int) bool {
		for j := max(0, i-8); j < i; j++ {
			if isRelatedHead(lines[j]) {
				return true
			}
		}
		return false
	}
	score := func(i, dist int) int {
		l := lines[i]
		s := 20 - 3*dist
		// Menus repeat too, in the header and the footer; but only a
		// headline ends a breadcrumb or a dateline.
		// A word or two the page repeats is a section or the site's name.
		if again, contained := repeated(i); !isKicker(l) && (contained || again && !bs[i].linky && !blockRepeated(i)) {
			s += 6
		}
		if win != "" && keys[i] == win {
			s += 15 // the page's window title names it
		}
		if n := len(slug); n >= 2 {
			s += 12 * slugHits(l, slug) / n
		}
		if isKicker(l) {
			s -= 8
		}
		if bs[i].linky {
			s -= 6 // a menu or a list of other stories
		}
		// A standfirst under its headline is title-like too, and longer.
		// (A short line ending with "!" over it is a call to action:
		// "Busque abaixo o que você precisa!")
		if p := i - 1; p >= 0 && (bs[p].repeats == 1 || bs[i].cls == clsGood && bs[p].repeats == 2) && isTitleLike(lines[p], lang) && !isKicker(lines[p]) &&
			textLen(lines[p]) < textLen(l) && !strings.HasSuffix(lines[p], "!") {
			s -= 6
		}
		// A short line stacked on a headline no longer than it, which the
		// article or its standfirst follows, is the kicker over it, even
		// where the address spells the kicker.
		if n := i + 1; n+1 < len(lines) && words(l) <= 6 && isTitleLike(lines[n], lang) && !isKicker(lines[n]) &&
			textLen(lines[n]) <= textLen(l) && bs[n].repeats <= 2 && isLede(lines[n+1]) {
			s -= 10
		}
		// The line just over a standfirst printed above the article is
		// the headline's place.
		if n := i + 1; n < start && isLede(lines[n]) && !isBoilerplate(lines[n]) {
			s += 4
		}
		// So is one the article's first paragraph repeats.
		if echoedBelow(lines, i, start) {
			s -= 8
		}
		// A headline is followed by its byline or date; a picture's title
		// by its caption.
		// A standfirst may sit right under the headline, above the byline.
		for j, titles := i+1, 0; j < min(len(lines), i+7) && titles < 2 && (j == i+1 || !isLede(lines[j])); j++ {
			// A date the page prints three times or more is a teaser's.
			if _, ok := parseByline(lines[j]); ok || isBylineWord(lines[j]) {
				s += 5
				break
			}
			if bs[j].repeats < 3 && isDateOnly(lines[j], lang) {
				if !headingBetween(j, start) {
					s += 5
				}
				break
			}
			if isTitleLike(lines[j], lang) && !isKicker(lines[j]) && keys[j] != keys[i] {
				titles++ // a standfirst may come between
			}
		}
		if i+1 < len(lines) && isCaption(lines[i+1]) {
			s -= 5
		}
		if inBox(i) {
			s -= 10 // one of a box of other stories
		}
		if words(l) >= 4 {
			s += 2
		}
		for j := max(0, i-4); j < min(len(lines), i+4); j++ {
			// A trail or dateline whose tail is a headline near it ("News ›
			// Title", "BEIJING, Oct. 17 (Xinhua) -- Title").
			if j != i && len(keys[j]) >= 8 && len(keys[i]) > len(keys[j]) && strings.HasSuffix(keys[i], keys[j]) {
				s -= 6
				break
			}
		}
		return s
	}

	best, bestScore := -1, -1<<30
	// A blog sets its post's title, stop and all, between the post's date
	// and its first paragraph.
	datedSentence := func(i int) bool {
		l := lines[i]
		return i > 0 && i+1 < len(lines) && isDateOnly(lines[i-1], lang) && endsSentence(l) && words(l) <= 20 &&
			lastSentenceEnd(l, len(l)) < 0 && 2*textLen(l) < textLen(lines[i+1])
	}
	if bs[start].cls == clsGood && start+1 < len(lines) && (isHeadlineShaped(lines[start]) || datedSentence(start)) {
		if again, _ := repeated(start); again || datedSentence(start) || !endsSentence(lines[start]) || len(slug) >= 2 && 2*slugHits(lines[start], slug) >= len(slug) {
			s := score(start, 0)
			best, bestScore = start, s+1
		}
	}
	dist := 0
	for i := start - 1; i >= 0 && i >= start-40; i-- {
		l := lines[i]
		if isNameLike(l) && words(l) <= 4 && i+1 < len(lines) && isDateOnly(lines[i+1], lang) {
			continue // a name over a date: the byline
		}
		if !isTitleLike(l, lang) && !datedSentence(i) || bs[i].repeats >= 3 && !slugAgrees(l, slug) && !twiceInARow(i) {
			// A line the page repeats three times or more is furniture:
			// a caption under every picture, a label on every teaser, a
			// rating widget. It stands between nothing.
			if !isMeta(l, lang) && words(l) > 2 && bs[i].repeats < 3 && !bs[i].linky {
				dist++
			}
			continue
		}
		if s := score(i, dist); s > bestScore {
			best, bestScore = i, s
		}
		// Nor do the items of a box of other stories, or the short items
		// of a menu (share buttons): they may sit between the headline
		// and the article.
		// (CJK counts a word for two characters: its menu items and
		// buttons run longer in words.)
		if long := words(l) >= 4 && (!strings.ContainsFunc(l, isCJK) || words(l) >= 7); !isKicker(l) && (!bs[i].linky || long && !inBox(i)) {
			dist++
		}
	}
	// In a stack of three or more headline-shaped lines (a headline and
	// the summary points under it), the one the page prints again
	// elsewhere is the headline.
	if best >= 0 && best < start {
		a, b := best, best
		for a > 0 && isTitleLike(lines[a-1], lang) {
			a--
		}
		for b+1 < start && isTitleLike(lines[b+1], lang) {
			b++
		}
		if again, _ := repeated(best); b-a >= 2 && !again {
			for j := a; j <= b; j++ {
				if again, _ := repeated(j); again && j != best && !isKicker(lines[j]) && !bs[j].linky && !blockRepeated(j) {
					best = j
					break
				}
			}
		}
	}
	if best == start {
		return best, start + 1
	}
	if best < 0 && isTitleLike(lines[0], lang) {
		best = 0 // nothing before the article: perhaps the first line
	}
	// Nothing title-like: the nearest line above the article that would
	// be but for reading like a name, rather than no title (a headline of
	// a few CJK characters reads like one).
	for i := start - 1; best < 0 && i >= max(0, start-40); i-- {
		if titleLike(lines[i], lang, false) {
			best = i
		}
	}
	return best, start
}

// isMeta reports whether l is a line that sits between a headline and its
// article without being either: a byline, a date, a caption, chrome.
// isMetaCheap is isMeta without the date parser and the boilerplate
// checks, for checks run on every line of a page (classify has found the
// boilerplate): only English, numeric and relative dates count.
func isMetaCheap(l string) bool {
	if _, ok := parseByline(l); ok || datelineOnlyRe.MatchString(l) {
		return true
	}
	if len(l) <= 120 && words(l) <= 12 && !isProse(l) {
		if _, ok := findHumanDate(l); ok {
			return true
		}
		if _, ok := numericDate(l); ok || relativeDateRe.MatchString(l) {
			return true
		}
	}
	return isBylineWord(l)
}

func isMeta(l, lang string) bool {
	if _, ok := parseByline(l); ok {
		return true
	}
	return isBylineWord(l) || isCounter(l) || isBoilerplate(l) || isDateOnly(l, lang) || datelineOnlyRe.MatchString(l)
}

// datelineOnlyRe matches a dispatch's dateline alone on its line, the
// place and the service in brackets: "Rheine (ots)", "PARIS (AFP) -".
var datelineOnlyRe = regexp.MustCompile(`^\p{Lu}[\p{L}\p{M}.'’ /-]{1,40}?\s*\((?:\p{Ll}{2,8}|\p{Lu}{2,8})\)\s*[-–—:]?$`)

// isCounter reports whether l is a count with its unit and little else:
// "Visto 314 veces", "1.234 views", "5655255", "Comments (0)". Headlines
// with a number have more words.
func isCounter(l string) bool {
	if words(l) > 3 || textLen(l) > 40 {
		return false
	}
	for _, f := range strings.Fields(l) {
		f = strings.Trim(f, "()[]")
		if f != "" && strings.Trim(f, "0123456789.,") == "" {
			return true
		}
	}
	return false
}

// relatedRe matches the headings of boxes of other stories, in the
// languages we read (the English ones are trailers).
var relatedRe = regexp.MustCompile(`^(?:related \pL+|sur le même sujet|à lire aussi|lire aussi|voir aussi|les plus lus|mehr zum thema|lesen sie auch|auch interessant|weitere meldungen|weitere artikel|das könnte sie (?:auch )?interessieren|noticias relacionadas|relacionad[oa]s?|te puede interesar|lee también|leia (?:também|mais)|notícias relacionadas|vedi anche|leggi anche|articoli correlati|potrebbe interessarti|lees ook|gerelateerd|читайте также|по теме|相关新闻|相关阅读|相关文章|関連記事|関連ニュース|اقرأ أيضا|اقرأ أيضاً|مواضيع ذات صلة)$`)

// isRelatedHead reports whether l heads a box of other stories.
func isRelatedHead(l string) bool {
	return len(l) <= 80 && (isTrailer(l) || relatedRe.MatchString(normal(l)))
}

// windowTitle returns the key of the headline a window title near the
// top of the page names: "Headline | Site", "Headline - Site", or with
// the separator lost, "HeadlineSite", where Headline is another line of
// the page. Menu items are too short to count.
func windowTitle(lines, keys []string) string {
	const minKey = 16
	for j, l := range lines[:min(len(lines), 30)] {
		for i := range lines {
			k := keys[i]
			if i == j || len(k) < minKey || len(k) >= len(keys[j]) || !strings.HasPrefix(keys[j], k) {
				continue
			}
			if repeatsTitle(l, lines[i]) {
				return k
			}
			// Glued: the site's name starts with a capital right after.
			if len(l) > len(lines[i]) && strings.EqualFold(l[:len(lines[i])], lines[i]) {
				r, _ := utf8.DecodeRuneInString(l[len(lines[i]):])
				if unicode.IsUpper(r) {
					return k
				}
			}
		}
	}
	return ""
}

// isKicker reports whether l is a kicker or section label above a
// headline: a word or two, or in capitals.
func isKicker(l string) bool {
	if words(l) <= 2 {
		return true
	}
	upper, letters := 0, 0
	for _, r := range l {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return letters > 0 && upper*10 >= letters*9 && words(l) <= 6
}

// isHeadlineShaped reports whether l could be a headline although it
// reads as prose: not too long, and not ended by a sentence's stop (an
// abbreviation such as "N.Y.C." does not count).
func isHeadlineShaped(l string) bool {
	if textLen(l) > 300 || words(l) < 3 || strings.HasSuffix(l, ":") || lastSentenceEnd(l, len(l)) > 0 {
		return false // a lead-in to what follows, or several sentences
	}
	return !endsSentence(l) || endsWithAbbrev(l) || isCapsSentence(l)
}

var abbrevEndRe = regexp.MustCompile(`(?:\b(?:\p{Lu}\.){2,}|\b(?:Jr|Sr|Inc|Co|Corp|Ltd|St|Dr|Mr|Mrs|Ms)\.)["'”’]?$`)

// endsWithAbbrev reports whether l ends with an abbreviation ("U.S.",
// "N.Y.C.", "Inc.") rather than a sentence's stop.
func endsWithAbbrev(l string) bool { return abbrevEndRe.MatchString(l) }

// slugWords returns the words of the last meaningful segment of a URL's
// path ("/2017/07/10/trump-backs-down/" gives trump, backs, down).
func slugWords(raw string) map[string]bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil
	}
	segs := strings.Split(strings.Trim(u.Path, "/"), "/")
	for i := len(segs) - 1; i >= 0; i-- {
		seg := strings.TrimSuffix(strings.TrimSuffix(segs[i], ".html"), ".htm")
		if uq, err := url.PathUnescape(seg); err == nil {
			seg = uq
		}
		ws := map[string]bool{}
		for _, w := range strings.FieldsFunc(strings.ToLower(seg), func(r rune) bool { return r == '-' || r == '_' || r == '+' || r == '.' }) {
			if utf8.RuneCountInString(w) >= 2 && strings.IndexFunc(w, unicode.IsLetter) >= 0 && strings.IndexFunc(w, unicode.IsDigit) < 0 {
				ws[w] = true
			}
		}
		if len(ws) >= 2 {
			return ws
		}
	}
	return nil
}

// echoedBelow reports whether a paragraph of the article's opening,
// below line i, starts with the same six words or more: line i is a
// standfirst that repeats the lede, not a headline.
func echoedBelow(lines []string, i, start int) bool {
	w := strings.Fields(lines[i])
	if len(w) < 8 {
		return false
	}
	head := lineKey(strings.Join(w[:6], " "))
	for j := max(i+1, start); j < min(len(lines), start+3); j++ {
		if isLede(lines[j]) && strings.HasPrefix(lineKey(lines[j]), head) && lineKey(lines[j]) != lineKey(lines[i]) {
			return true
		}
	}
	return false
}

// slugAgrees reports whether l has most of the words of a slug of three
// or more: a headline the page prints three times or more (in its
// header, its share boxes, a list of stories) is still the headline when
// its address spells it.
func slugAgrees(l string, slug map[string]bool) bool {
	return len(slug) >= 3 && words(l) >= 4 && 3*slugHits(l, slug) >= 2*len(slug)
}

// unglueKicker returns title without its kicker when the page prints the
// two both ways: "Linde Gasekonzern muss …" in the article's header, the
// kicker and the headline being separate elements scraped onto one line,
// and "Linde: Gasekonzern muss …" in a teaser or the window title.
func unglueKicker(lines []string, title string) string {
	k, rest, ok := strings.Cut(title, " ")
	for ok && words(k) <= 2 && words(rest) >= 3 {
		for _, l := range lines {
			if len(l) == len(title)+1 && strings.HasPrefix(l, k+": ") && strings.HasSuffix(l, rest) {
				return rest
			}
		}
		// A kicker of two words.
		var more string
		more, rest, ok = strings.Cut(rest, " ")
		k += " " + more
	}
	return title
}

// slugHits counts the slug's words that l has.
func slugHits(l string, slug map[string]bool) int {
	seen, n := map[string]bool{}, 0
	for _, w := range strings.FieldsFunc(strings.ToLower(l), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if slug[w] && !seen[w] {
			seen[w], n = true, n+1
		}
	}
	return n
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

// isTitleLike reports whether l could be a headline: not too long, not a
// sentence of a paragraph (a headline may end with "?" or an
// abbreviation), and not furniture, a menu, a caption, a byline or a date.
func isTitleLike(l, lang string) bool { return titleLike(l, lang, true) }

// titleLike is isTitleLike; names false lets a name alone pass, as a
// headline of a few CJK characters reads like one.
func titleLike(l, lang string, names bool) bool {
	n := utf8.RuneCountInString(l)
	if n < 2 || textLen(l) < 4 || textLen(l) > 300 || boilerplate(l, names) || isBreadcrumb(l) || isRelatedHead(l) || isCounter(l) {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(l); unicode.IsSymbol(r) || strings.ContainsRune("•·※", r) {
		return false // an item of a list, or a link marked "★ …", "▶ …"
	}
	if k, _, ok := strings.Cut(strings.Replace(l, "：", ":", 1), ":"); ok && isBylineWord(k) {
		return false // a credit's field ("記者:記者クラブ所属記者等", "Text: …"), whatever it names
	}
	if sectionNumberRe.MatchString(l) {
		return false // "1 発表事項": a numbered section of a transcript or report
	}
	if isCapsSentence(l) {
		return true // a headline in capitals keeps its stop
	}
	// Headlines open with a capital where the script has them; a line
	// whose first word is in lower case ("in talks with …") continues
	// another, or is a subtitle or a label.
	if r, _ := utf8.DecodeRuneInString(l); unicode.IsLower(r) {
		if w, _, _ := strings.Cut(l, " "); strings.ToLower(w) == w {
			return false
		}
	}
	if _, ok := parseByline(l); ok || isBylineWord(l) {
		return false
	}
	if isDateOnly(l, lang) || strings.HasSuffix(l, ":") || datelineOnlyRe.MatchString(l) {
		return false
	}
	if endsSentence(l) && !endsWithAbbrev(l) {
		r, _ := utf8.DecodeLastRuneInString(strings.TrimRight(l, "\"'”’)] "))
		// "?" and "!" end headlines too; a stop ends prose.
		return !strings.ContainsRune(".…。", r) && words(l) <= 25
	}
	// Two sentences and more than a headline's length: a standfirst or
	// a caption.
	return textLen(l) <= 120 || lastSentenceEnd(l, len(l)) < 0
}

// sectionNumberRe matches the number of a section heading in CJK text:
// digits and a space or a stop before the heading's first character
// ("1 発表事項", "２．概要"), not a number the headline starts with
// ("10月…", "5人死亡").
var sectionNumberRe = regexp.MustCompile(`^[0-9０-９]{1,2}(?:[.．、)）][ 　]*|[ 　]+)[\p{Han}\p{Hiragana}\p{Katakana}]`)

// isCapsSentence reports whether l is a short line in capitals ended by a
// stop: a headline so set, not a paragraph, which runs in mixed case.
func isCapsSentence(l string) bool {
	if !endsSentence(l) || words(l) < 3 || words(l) > 25 {
		return false
	}
	upper, letters := 0, 0
	for _, r := range l {
		if unicode.IsLetter(r) {
			letters++
			if unicode.IsUpper(r) {
				upper++
			}
		}
	}
	return letters >= 10 && upper*10 >= letters*9
}

var urlLineRe = regexp.MustCompile(`^(?i:(?:url|link|source|canonical|permalink)\s*:\s*)?(https?://\S+)$`)

// urlLine returns the URL a line consists of ("https://…" or
// "Source: https://…").
func urlLine(l string) (string, bool) {
	m := urlLineRe.FindStringSubmatch(l)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// articleEnd returns the index of the first line after the article: a
// trailer heading ("Related", "Recent News", "Comments", …), an author box
// (the author's name twice, then a bio) or "About the author". A "Tags:"
// line found there gives the article's tags.
func articleEnd(lines []string, lede int, f *fields) int {
	end := len(lines)
	var counts map[string]int // for printedOften, counted once
	for i := lede + 1; i < len(lines); i++ {
		l := lines[i]
		if tags, ok := tagsLine(l); ok {
			if f.tags == nil {
				f.tags = tags
			}
			end = i
			break
		}
		if isTrailer(l) || isRelatedHead(l) {
			end = i
			break
		}
		// An author box: the name twice (a caption under the photo and a
		// heading), or the name and a bio that starts with it.
		// A label the page prints again and again ("Popular stories"
		// over every box) is no author's name.
		if isNameLike(l) && i+1 < len(lines) && !printedOften(lines, l, &counts) {
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

// printedOften reports whether the page has line l four times or more;
// *counts holds the lines' counts, made on the first call.
func printedOften(lines []string, l string, counts *map[string]int) bool {
	if *counts == nil {
		*counts = make(map[string]int, len(lines))
		for _, m := range lines {
			(*counts)[m]++
		}
	}
	return (*counts)[l] >= 4
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
		"top of page": true, "bottom of page": true,
		// The same chrome in the other languages we read.
		"kommentare": true, "teilen": true, "drucken": true, "anmelden": true, "einloggen": true,
		"registrieren": true, "abonnieren": true, "anzeige": true, "werbung": true, "startseite": true,
		"se connecter": true, "connexion": true, "partager": true, "imprimer": true, "publicité": true,
		"s'abonner": true, "accueil": true, "compartir": true, "imprimir": true, "publicidad": true,
		"iniciar sesión": true, "inicio": true, "condividi": true, "stampa": true, "pubblicità": true,
		"accedi": true, "partilhar": true, "entrar": true, "delen": true, "inloggen": true, "advertentie": true,
		"поделиться": true, "войти": true, "реклама": true, "главная": true, "分享": true, "分享到": true,
		"打印": true, "登录": true, "首页": true, "广告": true, "シェア": true, "ログイン": true, "広告": true,
		"ホーム": true, "ツイート": true, "シェアする": true, "ver comentarios": true, "mehr zum thema": true, "مشاركة": true, "طباعة": true, "الرئيسية": true, "إعلان": true,
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
	if strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]") && len(l) <= 300 {
		return true // "[Get the newsletter in your inbox.]"
	}
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
	return words(l) >= 12 && endsSentence(l) || textLen(l) >= 150 && !isHeadlineShaped(l)
}

// isLede reports whether l can open the article: a sentence of some length.
func isLede(l string) bool {
	if isCapsSentence(l) {
		return false // a headline in capitals
	}
	if words(l) >= 8 && endsSentence(l) && !isBoilerplate(l) {
		return true
	}
	// A long lead-in to a list or a ticker ends with a colon.
	return textLen(l) >= 120 && (endsSentence(l) || strings.HasSuffix(l, ":")) && !isCaption(l)
}

// endsSentence reports whether l ends with terminal punctuation, perhaps
// inside a closing quote or bracket.
func endsSentence(l string) bool {
	l = strings.TrimRight(l, "\"'”’»)]」』）） ")
	r, _ := utf8.DecodeLastRuneInString(l)
	return strings.ContainsRune(".!?…。！？．؟", r)
}

// words counts the words in l; CJK, written without spaces, counts a word
// for every two characters.
func words(l string) int {
	n, cjk := 0, 0
	for _, f := range strings.Fields(l) {
		other := false
		for _, r := range f {
			if isCJK(r) {
				cjk++
			} else if unicode.IsLetter(r) || unicode.IsDigit(r) {
				other = true
			}
		}
		if other || !strings.ContainsFunc(f, isCJK) {
			n++
		}
	}
	return n + (cjk+1)/2
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}
