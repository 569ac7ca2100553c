package textlen

//go:generate go run ./internal/tldgen -in ../../shared/conformance/twitter-text/tlds.yml -out tlds_gen.go

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// URLSpan is one URL found in a text: text[Start:End] == URL.
type URLSpan struct {
	Start int // byte offset of the first byte
	End   int // byte offset just past the last byte
	URL   string
}

// HasScheme reports whether the URL was written with http:// or https://.
func (u URLSpan) HasScheme() bool {
	return hasPrefixFold(u.URL, "http://") || hasPrefixFold(u.URL, "https://")
}

// Limits from twitter-text's extractor.
const (
	maxURLLength     = 4096 // UTF-16 units, scheme included
	maxTcoSlugLength = 40
	maxLabelLength   = 63
	defaultScheme    = "https://"
)

// The parts of twitter-text's URL pattern that need no look-ahead are
// compiled as regular expressions; Go's engine picks the same match a
// backtracking engine does. Letter ranges are spelled out rather than using
// (?i), which in Go also folds the Kelvin sign and long s into ASCII.
const (
	latinAccents  = `\x{C0}-\x{D6}\x{D8}-\x{F6}\x{F8}-\x{FF}\x{0100}-\x{024F}\x{0253}\x{0254}\x{0256}\x{0257}\x{0259}\x{025B}\x{0263}\x{0268}\x{026F}\x{0272}\x{0289}\x{028B}\x{02BB}\x{0300}-\x{036F}\x{1E00}-\x{1EFF}`
	cyrillic      = `\x{0400}-\x{04FF}`
	pathChar      = `[a-zA-Z` + cyrillic + `0-9!*';:=+,.$/%#\[\]\-\x{2013}_~@|&` + latinAccents + `]`
	balancedParen = `\((?:` + pathChar + `+|(?:` + pathChar + `*\(` + pathChar + `+\)` + pathChar + `*))\)`
	pathEnd       = `(?:[+\-a-zA-Z` + cyrillic + `0-9=_#/` + latinAccents + `]|` + balancedParen + `)`
	pathUnit      = `(?:(?:` + pathChar + `*(?:` + balancedParen + pathChar + `*)*` + pathEnd + `)|(?:@` + pathChar + `+/))`
	queryChar     = `[a-zA-Z0-9!?*'@();:&=+$/%#\[\]\-_.,~|]`
	queryEnd      = `[a-zA-Z0-9\-_&=#/]`
)

var (
	pathRe  = regexp.MustCompile(`^/` + pathUnit + `*`)
	queryRe = regexp.MustCompile(`^\?` + queryChar + `*` + queryEnd)
	portRe  = regexp.MustCompile(`^:[0-9]+`)
	tcoRe   = regexp.MustCompile(`^[hH][tT][tT][pP][sS]?://[tT]\.[cC][oO]/([a-zA-Z0-9]+)(?:\?` + queryChar + `*` + queryEnd + `)?`)
)

// tldSet is a set of lowercased TLDs with the length in runes of the longest.
type tldSet struct {
	names   map[string]bool
	maxRune int
}

func newTLDSet(list []string) tldSet {
	s := tldSet{names: make(map[string]bool, len(list))}
	for _, t := range list {
		s.names[t] = true
		s.maxRune = max(s.maxRune, utf8.RuneCountInString(t))
	}
	return s
}

var (
	generic = newTLDSet(genericTLDs)
	country = newTLDSet(countryTLDs)
)

// ExtractURLs returns the URLs in s the way X's twitter-text extractor finds
// them: with or without an http(s) scheme, on a known top-level domain, with
// host labels of at most 63 characters once punycoded. Offsets are bytes
// into s. s is taken as it is; X normalises to NFC before it extracts.
func ExtractURLs(s string) []URLSpan {
	if !strings.Contains(s, ".") {
		return nil
	}
	sc := &urlScanner{s: s, lastDot: strings.LastIndexByte(s, '.'), tails: make(map[int]tailResult)}
	var urls []URLSpan
	for pos := 0; pos < len(s); {
		m, ok := sc.next(pos)
		if !ok {
			break
		}
		pos = m.end // a rejected match is skipped whole, as the regex's lastIndex is
		urls = m.accept(s, urls)
	}
	return urls
}

// urlMatch is one match of twitter-text's URL pattern, before the checks
// that may reject it.
type urlMatch struct {
	before    string // the character before the URL, "" at the start of text
	start     int    // where the URL (scheme included) begins
	scheme    string
	domainEnd int
	hasPath   bool
	end       int // where the whole match ends
}

// accept applies the checks twitter-text makes after its pattern matched
// and appends what survives to urls.
func (m urlMatch) accept(s string, urls []URLSpan) []URLSpan {
	domainStart := m.start + len(m.scheme)
	domain := s[domainStart:m.domainEnd]
	url := s[m.start:m.end]
	if !validHost(domain) {
		return urls
	}
	scheme := m.scheme
	if scheme == "" {
		scheme = defaultScheme
	}
	if len(scheme)+utf16Len(url) > maxURLLength {
		return urls
	}
	if m.scheme != "" {
		end := m.end
		if sub := tcoRe.FindStringSubmatchIndex(url); sub != nil {
			// A t.co link takes no path beyond its slug.
			if sub[3]-sub[2] > maxTcoSlugLength {
				return urls
			}
			end = m.start + sub[1]
		}
		return append(urls, URLSpan{Start: m.start, End: end, URL: s[m.start:end]})
	}
	// Without a scheme only ASCII-looking domains count, and not right
	// after - _ . or / (parts of a longer word or path).
	if strings.ContainsAny(m.before, "-_./") {
		return urls
	}
	found := asciiDomains(domain)
	for i, d := range found {
		u := URLSpan{Start: domainStart + d[0], End: domainStart + d[1]}
		if i == len(found)-1 && m.hasPath {
			u.End = m.end // the path (and query) follow the last domain
		}
		u.URL = s[u.Start:u.End]
		urls = append(urls, u)
	}
	return urls
}

// validHost reports whether every label of domain is 1 to 63 characters
// long once punycoded, and whether a domain written in punycode really is
// ASCII.
func validHost(domain string) bool {
	if strings.HasPrefix(domain, "xn--") && len(asciiDomains(domain)) == 0 {
		return false
	}
	for _, label := range strings.Split(domain, ".") {
		if n := asciiLabelLen(label); n < 1 || n > maxLabelLength {
			return false
		}
	}
	return true
}

// urlScanner finds matches of twitter-text's URL pattern in s. It
// remembers what it learnt about host labels so that trying every start
// position stays linear in the length of s.
type urlScanner struct {
	s       string
	lastDot int

	// The run of label characters [runStart, runEnd) around the latest
	// start position: every start inside it shares the run's end.
	runStart, runEnd int
	runUnderscore    int  // last '_' in the run, -1 if none
	runEdgeOK        bool // the run ends with a domain character

	tails map[int]tailResult // by the dot that ends a label
}

// tailResult is where the domain ends when a TLD is found after one of the
// labels that follow a dot, if one is.
type tailResult struct {
	end int
	ok  bool
}

// next finds the leftmost match of the URL pattern at or after pos.
func (sc *urlScanner) next(pos int) (urlMatch, bool) {
	s := sc.s
	for at := pos; at < sc.lastDot; {
		r, size := utf8.DecodeRuneInString(s[at:])
		if precedesURL(r) {
			if m, ok := sc.urlAt(at + size); ok {
				m.before = s[at : at+size]
				return m, true
			}
		}
		if at == 0 {
			if m, ok := sc.urlAt(0); ok {
				return m, true
			}
		}
		at += size
	}
	return urlMatch{}, false
}

// urlAt matches scheme, domain, port, path and query starting at u.
func (sc *urlScanner) urlAt(u int) (urlMatch, bool) {
	s := sc.s
	m := urlMatch{start: u}
	found := false
	for _, scheme := range []string{"https://", "http://", ""} {
		if !hasPrefixFold(s[u:], scheme) {
			continue
		}
		if end, ok := sc.domainAt(u + len(scheme)); ok {
			m.scheme, m.domainEnd, found = s[u:u+len(scheme)], end, true
			break
		}
	}
	if !found {
		return m, false
	}
	end := m.domainEnd
	if loc := portRe.FindStringIndex(s[end:]); loc != nil {
		end += loc[1]
	}
	if loc := pathRe.FindStringIndex(s[end:]); loc != nil {
		m.hasPath = true
		end += loc[1]
	}
	if loc := queryRe.FindStringIndex(s[end:]); loc != nil {
		end += loc[1]
	}
	m.end = end
	return m, true
}

// domainAt matches twitter-text's domain pattern at p: labels of domain
// characters with inner hyphens and underscores, the last of them without
// underscores, then a known TLD. The pattern takes as many labels as it
// can, so a TLD is sought after the last dot first.
func (sc *urlScanner) domainAt(p int) (int, bool) {
	s := sc.s
	if p < sc.runStart || p >= sc.runEnd {
		sc.scanRun(p)
	}
	if p >= sc.runEnd || sc.runEnd >= len(s) || s[sc.runEnd] != '.' || !sc.runEdgeOK {
		return 0, false
	}
	if r, _ := utf8.DecodeRuneInString(s[p:]); !isDomainChar(r) {
		return 0, false
	}
	dot := sc.runEnd
	if end, ok := sc.tailAfter(dot); ok {
		return end, true
	}
	if sc.runUnderscore >= p {
		return 0, false // the label before the TLD may not hold '_'
	}
	return matchTLD(s, dot+1)
}

func (sc *urlScanner) scanRun(p int) {
	sc.runStart, sc.runEnd, sc.runUnderscore, sc.runEdgeOK = p, p, -1, false
	for q := p; q < len(sc.s); {
		r, size := utf8.DecodeRuneInString(sc.s[q:])
		if !isDomainChar(r) && r != '-' && r != '_' {
			break
		}
		if r == '_' {
			sc.runUnderscore = q
		}
		sc.runEdgeOK = isDomainChar(r)
		q += size
		sc.runEnd = q
	}
}

// tailAfter tries the labels after dot, last first, as the label before
// the TLD. Results are remembered by dot, so a long dotted text is walked
// once however many start positions lead into it.
func (sc *urlScanner) tailAfter(dot int) (int, bool) {
	if r, ok := sc.tails[dot]; ok {
		return r.end, r.ok
	}
	var chain []label // the labels after dot, up to one whose tail is known
	res := tailResult{}
	for cur := dot; ; {
		l, ok := strictLabel(sc.s, cur+1)
		if !ok {
			break
		}
		chain = append(chain, l)
		cur = l.end
		if r, ok := sc.tails[cur]; ok {
			res = r
			break
		}
	}
	for k := len(chain) - 1; k >= 0; k-- {
		// res is the result after chain[k]'s dot; add chain[k] itself.
		sc.tails[chain[k].end] = res
		if !res.ok && !chain[k].underscore {
			if end, ok := matchTLD(sc.s, chain[k].end+1); ok {
				res = tailResult{end: end, ok: true}
			}
		}
	}
	sc.tails[dot] = res
	return res.end, res.ok
}

// label is one dot-terminated host label.
type label struct {
	start, end int // the label, without its dot
	underscore bool
}

// strictLabel returns the label of twitter-text's validSubdomain at p:
// domain characters, '-' and '_', beginning and ending with a domain
// character, followed by a dot.
func strictLabel(s string, p int) (label, bool) {
	l := label{start: p}
	var first, last rune
	q := p
	for q < len(s) {
		r, size := utf8.DecodeRuneInString(s[q:])
		if !isDomainChar(r) && r != '-' && r != '_' {
			break
		}
		if q == p {
			first = r
		}
		last = r
		l.underscore = l.underscore || r == '_'
		q += size
	}
	if q == p || q >= len(s) || s[q] != '.' || !isDomainChar(first) || !isDomainChar(last) {
		return label{}, false
	}
	l.end = q
	return l, true
}

// matchTLD matches a known TLD at p that is not followed by a letter,
// digit, @, + or -: generic TLDs first, then country codes, then any
// punycode label, as twitter-text's alternation orders them. Within a list
// the longest TLD wins, as a reverse-sorted alternation makes it.
func matchTLD(s string, p int) (int, bool) {
	for _, set := range []tldSet{generic, country} {
		if end, ok := set.match(s, p); ok {
			return end, true
		}
	}
	if hasPrefixFold(s[p:], "xn--") {
		q := p + len("xn--")
		for q < len(s) && (isASCIIAlnum(rune(s[q])) || s[q] == '-') {
			q++
		}
		if q > p+len("xn--") {
			return q, true
		}
	}
	return 0, false
}

func (t tldSet) match(s string, p int) (int, bool) {
	if p >= len(s) || (s[p] < utf8.RuneSelf && !isASCIIAlnum(rune(s[p]))) {
		return 0, false // every TLD starts with a letter
	}
	var ends [64]int
	var lower [256]byte // the ASCII start of the window, lowercased
	asciiLen := 0
	n := 0
	for q := p; q < len(s) && n < t.maxRune && n < len(ends); {
		r, size := utf8.DecodeRuneInString(s[q:])
		if r < utf8.RuneSelf && q == p+asciiLen && asciiLen < len(lower) {
			lower[asciiLen] = byte(unicode.ToLower(r))
			asciiLen++
		}
		q += size
		ends[n] = q
		n++
	}
	for i := n - 1; i >= 0; i-- {
		if !tldBoundary(s, ends[i]) {
			continue
		}
		if l := ends[i] - p; l <= asciiLen {
			if t.names[string(lower[:l])] { // converted without allocating
				return ends[i], true
			}
		} else if t.names[strings.ToLower(s[p:ends[i]])] {
			return ends[i], true
		}
	}
	return 0, false
}

// tldBoundary is twitter-text's look-ahead after a TLD.
func tldBoundary(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return !isASCIIAlnum(r) && r != '@' && r != '+' && r != '-'
}

// asciiDomains returns the byte ranges in domain that twitter-text's
// validAsciiDomain pattern matches, left to right: runs of ASCII letters,
// digits, hyphens and Latin accented letters, each followed by a dot, then
// a known TLD.
func asciiDomains(domain string) [][2]int {
	var found [][2]int
	for p := 0; p < len(domain); {
		var dots []int
		q := p
		for {
			r := q
			for r < len(domain) {
				c, size := utf8.DecodeRuneInString(domain[r:])
				if !isASCIIDomainChar(c) {
					break
				}
				r += size
			}
			if r == q || r >= len(domain) || domain[r] != '.' {
				q = r
				break
			}
			dots = append(dots, r)
			q = r + 1
		}
		matched := false
		for j := len(dots) - 1; j >= 0; j-- {
			if end, ok := matchTLD(domain, dots[j]+1); ok {
				found = append(found, [2]int{p, end})
				p, matched = end, true
				break
			}
		}
		if !matched {
			// Every start up to where this attempt stopped sees the same
			// dots, already tried, so none of them can match either.
			_, size := utf8.DecodeRuneInString(domain[p:])
			p = max(p+size, q)
		}
	}
	return found
}

// isDomainChar is twitter-text's validDomainChars: anything but
// punctuation, spaces, invalid characters and directional marks.
func isDomainChar(r rune) bool {
	switch {
	case r < 0x80 && strings.ContainsRune("!'#%&()*+,\\-./:;<=>?@[]^_{|}~$", r):
		return false
	case isSpace(r), isInvalidChar(r), isDirectionalMark(r):
		return false
	}
	return true
}

// isASCIIDomainChar is the label class of twitter-text's validAsciiDomain.
func isASCIIDomainChar(r rune) bool {
	return isASCIIAlnum(r) || r == '-' || isLatinAccent(r)
}

func isLatinAccent(r rune) bool {
	switch {
	case r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x24F,
		r >= 0x300 && r <= 0x36F, r >= 0x1E00 && r <= 0x1EFF:
		return true
	}
	switch r {
	case 0x253, 0x254, 0x256, 0x257, 0x259, 0x25B, 0x263, 0x268, 0x26F, 0x272, 0x289, 0x28B, 0x2BB:
		return true
	}
	return false
}

// precedesURL is twitter-text's validUrlPrecedingChars (less the start of
// text, which the caller handles).
func precedesURL(r rune) bool {
	return !isASCIIAlnum(r) && !strings.ContainsRune("@＠$#＃", r) && !isInvalidChar(r)
}

func isSpace(r rune) bool {
	switch {
	case r >= 0x09 && r <= 0x0D, r >= 0x2000 && r <= 0x200A:
		return true
	}
	switch r {
	case 0x20, 0x85, 0xA0, 0x1680, 0x180E, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return false
}

func isInvalidChar(r rune) bool { return r == 0xFFFE || r == 0xFEFF || r == 0xFFFF }

func isDirectionalMark(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || r == 0x061C || r == 0x200E || r == 0x200F || (r >= 0x2066 && r <= 0x2069)
}

func isASCIIAlnum(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// utf16Len is the length of s in UTF-16 code units, JavaScript's length.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}
