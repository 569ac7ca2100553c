package article

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Dates written for people, in any language the page is in, are read by
// go-dateparser (a port of Python's dateparser, with CLDR month and day
// names for 200 languages). Only absolute dates count: "2 hours ago" says
// nothing once the page is saved.

// maxDateLine is the longest text searched for a date: dates are read from
// bylines and date lines, never from paragraphs, where a date is what the
// story is about.
const maxDateLine = 200

// A year in any script's digits: an absolute date names one.
var yearRe = regexp.MustCompile(`\p{Nd}{4}`)

// findDate finds an absolute date in a short line s ("10. Juli 2017",
// "Publié le 10 juillet 2017", "2017年7月10日", "١٠ يوليو ٢٠١٧"), in
// language lang if known ("" to detect it), and returns it in UTC.
func findDate(s, lang string) (time.Time, bool) {
	if t, ok := findHumanDate(s); ok {
		return t, true // the common English forms, without the parser's cost
	}
	if t, ok := numericDate(s); ok {
		return t, true
	}
	if t, ok := slashDate(s, lang); ok {
		return t, true
	}
	if len(s) > maxDateLine || !yearRe.MatchString(s) || strings.IndexFunc(s, unicode.IsLetter) < 0 {
		// The parser reads month names; digits alone were read above.
		return time.Time{}, false
	}
	key := lang + "\x00" + s
	dateCache.Lock()
	c, ok := dateCache.m[key]
	dateCache.Unlock()
	if ok {
		return c.t, c.ok
	}
	t, ok := parseDateText(dateSpelling(s), lang)
	dateCache.Lock()
	if len(dateCache.m) >= dateCacheSize {
		clear(dateCache.m) // crude, but bounded: the same lines come back within one page
	}
	dateCache.m[key] = cachedDate{t, ok}
	dateCache.Unlock()
	return t, ok
}

// The date parser is slow (hundreds of locales, regular expressions run
// in WebAssembly), and a page's lines are looked at more than once: its
// answers are kept for a while.
const dateCacheSize = 4096

type cachedDate struct {
	t  time.Time
	ok bool
}

var dateCache = struct {
	sync.Mutex
	m map[string]cachedDate
}{m: map[string]cachedDate{}}

var (
	// "/2017/07/10/", "/2017-07-10/", "/2017_07_10"
	urlDateRe = regexp.MustCompile(`(?:^|[/_-])((?:19|20)\d{2})[/_-](\d{1,2})[/_-](\d{1,2})(?:$|[/_.-])`)
	// "/20170710/", "-20170710.html"
	// "/2019/jan/03/"
	urlMonthRe   = regexp.MustCompile(`/((?:19|20)\d{2})/(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)/(\d{1,2})(?:/|$)`)
	urlCompactRe = regexp.MustCompile(`(?:^|[/_-])((?:19|20)\d{2})(\d{2})(\d{2})(?:$|[/_.-])`)
)

// dateFromURL reads the date many sites put in an article's path
// ("/2017/07/10/slug", "/20170710/slug"), as midnight UTC.
func dateFromURL(raw string) (time.Time, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Path == "" {
		return time.Time{}, false
	}
	if m := urlMonthRe.FindStringSubmatch(strings.ToLower(u.Path)); m != nil {
		y, _ := strconv.Atoi(m[1]) // cannot fail: digits
		d, _ := strconv.Atoi(m[3])
		t := time.Date(y, time.Month(monthNumber(m[2])), d, 0, 0, 0, 0, time.UTC)
		if d >= 1 && t.Day() == d {
			return t, true
		}
	}
	for _, re := range []*regexp.Regexp{urlDateRe, urlCompactRe} {
		m := re.FindStringSubmatch(u.Path)
		if m == nil {
			continue
		}
		y, _ := strconv.Atoi(m[1]) // cannot fail: digits
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
		if mo >= 1 && mo <= 12 && t.Day() == d && d >= 1 {
			return t, true
		}
	}
	return time.Time{}, false
}

// isDateOnly reports whether l is a date line and little else: a date, a
// time, weekday names and words such as "Published" or "Aktualisiert".
// Longer lines that hold a date are bylines or prose.
func isDateOnly(l, lang string) bool {
	// A dateline with a clock time may name the place too ("2018年6月18日
	// 10:01 発信地：カノ/ナイジェリア"): the time marks it as metadata.
	if n := words(l); len(l) > 120 || n > 12 {
		if len(l) > maxDateLine || n > 24 || !clockRe.MatchString(l) {
			return false
		}
	}
	if relativeDateRe.MatchString(l) {
		return true // a date line, if not one to read
	}
	if _, ok := findDate(l, lang); !ok {
		return false
	}
	// A sentence that mentions a date ends with a stop and has verbs;
	// a date line rarely runs past a few words besides the date.
	letters := 0
	for _, r := range l {
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return !isProse(l) && letters <= 80
}

// clockRe matches a time of day ("10:01", "12h55").
var clockRe = regexp.MustCompile(`(?:^|\D)(?:[01]?\d|2[0-3])(?::|h)[0-5]\d(?:\D|$)`)

var (
	// "2017.10.17", "2017/10/17", "2017年10月17日": the year first is never
	// ambiguous.
	ymdRe = regexp.MustCompile(`(?:^|\D)((?:19|20)\d{2})\s*(?:[./]|年)\s*(\d{1,2})\s*(?:[./]|月)\s*(\d{1,2})(?:日|\D|$)`)
	// "17.10.2017": the day first, as everywhere dots separate a date.
	// "13. 1. 2020", as Czech and German print it, too.
	dmyDotRe = regexp.MustCompile(`(?:^|[^\d.])(\d{1,2})\. ?(\d{1,2})\. ?((?:19|20)\d{2})(?:\D|$)`)
	// "08/01/2014", "15-10-2010": the day first everywhere but in
	// American English.
	dmySlashRe = regexp.MustCompile(`(?:^|[^\d/-])(\d{1,2})[/-](\d{1,2})[/-]((?:19|20)\d{2})(?:\D|$)`)
	// "令和2年5月8日": a year of a Japanese era, which government pages
	// print (元年 is its first).
	eraRe = regexp.MustCompile(`(令和|平成|昭和)\s*(元|[0-9０-９]{1,2})\s*年\s*([0-9０-９]{1,2})\s*月\s*([0-9０-９]{1,2})\s*日`)
	// "21.dez.2018": a month name glued to its day and year by dots.
	dotMonthRe = regexp.MustCompile(`(\d)\.(\p{Ll}{3,9})\.(\d)`)
	// "28 آب/اغسطس 2013": Levantine pages name the month twice, the
	// Syriac name first; the parser knows the second.
	arabicMonthPairRe = regexp.MustCompile(`\p{Arabic}+\s*/\s*(\p{Arabic}+)`)
)

// slashDate reads "08/01/2014" as the 8th of January on a page in a
// language other than English, where the day comes first. On English
// pages the order is in doubt: American ones put the month first.
func slashDate(s, lang string) (time.Time, bool) {
	if lang == "" || lang == "en" {
		return time.Time{}, false
	}
	g := dmySlashRe.FindStringSubmatch(s)
	if g == nil {
		return time.Time{}, false
	}
	return ymd(g[3], g[2], g[1])
}

// dateSpelling rewrites the spellings of dates the parser does not read
// into ones it does.
func dateSpelling(s string) string {
	s = dotMonthRe.ReplaceAllString(s, "$1 $2 $3")
	return arabicMonthPairRe.ReplaceAllString(s, "$1")
}

// numericDate reads an all-digit date whose order is not in doubt.
func numericDate(s string) (time.Time, bool) {
	var y, m, d string
	if g := ymdRe.FindStringSubmatch(s); g != nil {
		y, m, d = g[1], g[2], g[3]
	} else if g := dmyDotRe.FindStringSubmatch(s); g != nil {
		d, m, y = g[1], g[2], g[3]
	} else if g := eraRe.FindStringSubmatch(s); g != nil {
		n := 1
		if g[2] != "元" {
			n, _ = strconv.Atoi(asciiDigits(g[2])) // cannot fail: digits
		}
		y = strconv.Itoa(eraStart[g[1]] - 1 + n)
		m, d = asciiDigits(g[3]), asciiDigits(g[4])
	} else {
		return time.Time{}, false
	}
	return ymd(y, m, d)
}

// eraStart is the Gregorian year in which each Japanese era began.
var eraStart = map[string]int{"令和": 2019, "平成": 1989, "昭和": 1926}

// asciiDigits maps full-width digits to ASCII ones.
func asciiDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + r - '０'
		}
		return r
	}, s)
}

// ymd returns the date of the digits y, m and d, if there is one.
func ymd(y, m, d string) (time.Time, bool) {
	year, _ := strconv.Atoi(y) // cannot fail: digits
	month, _ := strconv.Atoi(m)
	day, _ := strconv.Atoi(d)
	t := time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC)
	if month < 1 || month > 12 || day < 1 || t.Day() != day {
		return time.Time{}, false
	}
	return t, true
}

// relativeDateRe matches a line that dates the page relative to when it
// was seen ("Updated 2 hours ago", "vor 3 Stunden", "il y a 2 jours",
// "hace 5 minutos", "2 часа назад", "3時間前", "5小时前", "منذ ساعتين").
var relativeDateRe = regexp.MustCompile(`^(?i:(?:updated|published|posted|last updated|aktualisiert|veröffentlicht|erstellt|mis à jour|publié|actualizado|publicado|aggiornato|pubblicato|bijgewerkt|gepubliceerd|обновлено|опубликовано)(?:\s+am|\s+le|\s+el|\s+il)?\s*:?\s*)?(?i:(?:\d+|an?|one)\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?)\s+ago|vor\s+(?:\d+|einer?|einem)\s+(?:sekunden?|minuten?|stunden?|tag(?:en)?|wochen?|monat(?:en)?)|il y a\s+\d+\s+(?:secondes?|minutes?|heures?|jours?|semaines?|mois)|hace\s+\d+\s+(?:segundos?|minutos?|horas?|días?|semanas?|meses)|\d+\s+(?:секунд\S*|минут\S*|час\S*|дн\S*|недел\S*)\s+назад|\d+\s*(?:秒|分|分钟|分鐘|時間|小时|小時|日|天)前|منذ\s+\S+(?:\s+\S+)?)\s*$`)
