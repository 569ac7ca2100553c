package article

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A byline names who wrote the article. Pages write it in their own
// language ("By", "Von", "Par", "Por", "Di", "Door", "Текст:", "Автор:",
// "記者", "作者", "بقلم"), sometimes with the agency after a bar ("Jane Doe
// | Reuters"), at the foot of an agency story ("(Reporting by …; Editing
// by …)"), or with the word on a line of its own and the name on the next.
// The functions here serve both scraped text and HTML pages.

var (
	// bylinePrefixRe matches the word that opens a byline, in the
	// languages we read, with what follows it in group 1.
	bylinePrefixRe = regexp.MustCompile(`^(?i:` +
		`(?:written|posted|words|story|text|reporting|reported|photos? and text) by|by|` + // en
		`von|geschrieben von|(?:ein |eine )?(?:beitrag|kommentar|gastbeitrag|kolumne|analyse|essay) von|` + // de
		`par|propos recueillis par|rédigé par|` + // fr
		`por|escrito por|redacción|` + // es, pt
		`di|a cura di|` + // it
		`door|geschreven door|` + // nl
		`(?:authors?|autor(?:in|en|a|es)?|auteurs?|autore|autori|verfasser(?:in)?|text|texto|testo|tekst)\s*:|` +
		`(?:redactie|redaktion|rédaction|redazione|redacción|redação|редакция)\s*:?|` + // a desk, often an agency's
		`(?:текст|автор|авторы|автор текста|корреспондент)\s*:?|` + // ru
		`(?:作者|记者|記者|文|撰文|执笔|執筆|筆者)\s*[:：/／・]?|` + // zh, ja
		`(?:بقلم|كتب|كتبت|الكاتب|إعداد|حاوره|حاورها|حاورته|حوار)\s*:?` + // ar
		`)(?:\s*[:：]\s*|\s+|$)(.*)$`)
	// agencyFootRe is the credit line at the foot of agency copy.
	agencyFootRe = regexp.MustCompile(`^\(?(?i:(?:additional )?reporting by|reported by|writing by|compiled by)\s+(.+?)(?:;.*|\))?$`)
	// What follows the name in a byline: a separator, a date, a role, a
	// place.
	bylineTailRe = regexp.MustCompile(`\s*(?:[|·•,;(（，、]|\s[-–—/]\s|\s(?i:on|in|for|at|updated|published|posted|am|le|el|il|em|op|дата)\s|\d).*$`)
	andRe        = regexp.MustCompile(`\s+(?i:and|und|et|y|e|en|и|و)\s+|\s*[&、,]\s*`)
	// Names written in CJK: two to five characters, a middle dot allowed
	// (katakana names).
	cjkNameRe = regexp.MustCompile(`^[\p{Han}\p{Katakana}\p{Hiragana}・·]{2,8}$`)
	// A CJK name before "記者"/"记者" ("山田太郎記者"), or after it with
	// the agency first ("新华社记者张三").
	cjkReporterRe = regexp.MustCompile(`^(?:[\p{Han}]{2,6}(?:社|报|報|网|網|台|刊))?\s*(?:记者|記者)\s*[:：]?\s*([\p{Han}・·、，,\s]{2,40}?)\s*$|^([\p{Han}\p{Katakana}・·]{2,8})\s*(?:记者|記者|特派員|編集委員|论说委员)\s*$`)
)

// bylineWords are the opening words that may stand alone on a line, the
// name following on the next.
var bylineWords = map[string]bool{
	"by": true, "von": true, "par": true, "por": true, "di": true, "door": true,
	"текст": true, "автор": true, "авторы": true, "作者": true, "记者": true, "記者": true, "بقلم": true,
	"author": true, "autor": true, "auteur": true, "autore": true, "auteurs": true, "authors": true,
	"kommentar von": true, "ein kommentar von": true, "kolumne von": true, "eine kolumne von": true,
	"ein beitrag von": true, "ein gastbeitrag von": true, "analyse von": true,
}

// isBylineWord reports whether l is only a byline's opening word ("By",
// "Von:", "Автор:"), its name on the next line.
func isBylineWord(l string) bool {
	return bylineWords[strings.ToLower(strings.TrimRight(foldHomoglyphs(l), " :："))]
}

// parseByline returns the author a byline names: "By Jane Doe | March 3,
// 2024", "Von Max Mustermann", "Par Jean Dupont, le 3 mars", "Текст: Дарья
// Григоренко", "記者 山田太郎", "بقلم محمد علي", "(Reporting by Jane Doe;
// Editing by Joe Roe)" or "Jane Doe | Reuters".
func parseByline(l string) (string, bool) {
	l = strings.TrimSpace(l)
	if l == "" || len(l) > 400 {
		return "", false
	}
	// A byline among other credits: "Le Monde | 04.05.2015 | Par Martin
	// Untersinger".
	if segs := strings.FieldsFunc(l, func(r rune) bool { return strings.ContainsRune("|•·｜", r) }); len(segs) > 1 {
		for _, seg := range segs {
			seg = strings.TrimSpace(seg)
			if m := bylinePrefixRe.FindStringSubmatch(seg); m != nil && words(seg) <= 16 {
				if name, ok := names(m[1]); ok {
					return name, true
				}
			}
		}
	}
	if words(l) > 16 {
		return "", false
	}
	if m := agencyFootRe.FindStringSubmatch(l); m != nil {
		return names(m[1])
	}
	if m := cjkReporterRe.FindStringSubmatch(l); m != nil {
		name := strings.TrimSpace(m[1] + m[2])
		name = strings.Join(strings.Fields(name), " ")
		return name, name != ""
	}
	if m := bylinePrefixRe.FindStringSubmatch(foldHomoglyphs(l)); m != nil {
		// The match was made on a folded copy of the same length in
		// runes; take the name from the original text.
		rest := l[len(l)-len(m[1]):]
		if len(foldHomoglyphs(l)) != len(l) {
			rest = m[1]
		}
		return names(rest)
	}
	// "Jane Doe | Reuters": a name, a bar and an agency or desk.
	if name, rest, ok := strings.Cut(l, " | "); ok && !strings.ContainsAny(rest, "|｜") {
		name, rest = strings.TrimSpace(name), strings.TrimSpace(rest)
		if len(strings.Fields(name)) >= 2 && isNameLike(name) && words(rest) <= 3 && !strings.ContainsAny(rest, ".!?") {
			return name, true
		}
	}
	return "", false
}

// names cleans what follows a byline's opening word: the date, role or
// place after it is cut, and every name joined by "and" must look like a
// person's or an agency's.
func names(s string) (string, bool) {
	s = strings.TrimSpace(s)
	// "ANSA ROMA", "dpa Berlin": an agency and its desk's city.
	if first, _, ok := strings.Cut(s, " "); ok && isAgency(first) && len(strings.Fields(s)) <= 3 {
		return first, true
	}
	if cjkNameRe.MatchString(strings.ReplaceAll(s, " ", "")) {
		return s, true
	}
	// "في صنعاء / الاسم": the place, then the name.
	if place, rest, ok := strings.Cut(s, " / "); ok && strings.HasPrefix(place, "في ") {
		s = strings.TrimSpace(rest)
	}
	// Several names between commas: as many as look like names and are
	// not a role ("Jane Doe, Staff Writer").
	var list []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if !isNameLike(part) || hasRoleWord(part) {
			break
		}
		list = append(list, part)
	}
	if len(list) >= 2 {
		return strings.Join(list, ", "), true
	}
	name := strings.TrimSpace(bylineTailRe.ReplaceAllString(s, ""))
	name = strings.TrimRight(name, " .:-–—")
	if name == "" {
		return "", false
	}
	for _, part := range andRe.Split(name, -1) {
		if part = strings.TrimSpace(part); part != "" && !isNameLike(part) && !isAgency(part) {
			return "", false
		}
	}
	return name, true
}

// roleWords name jobs that follow a name in a byline.
var roleWords = regexp.MustCompile(`(?i)\b(?:writer|reporter|editor|correspondent|staff|contributor|columnist|journalist|producer|photographer|redakteur(?:in)?|korrespondent(?:in)?|journaliste|correspondant|rédacteur|rédactrice|redactor|redactora|corresponsal|periodista|giornalista|inviato|inviata|redacteur|verslaggever|корреспондент|обозреватель)\b`)

func hasRoleWord(s string) bool { return roleWords.MatchString(s) }

// isAgency reports whether s is a news agency's short name ("AFP", "dpa",
// "Reuters", "ANSA"): one word, all capitals or a known mixed-case name.
func isAgency(s string) bool {
	if strings.ContainsRune(s, ' ') || utf8.RuneCountInString(s) < 2 || utf8.RuneCountInString(s) > 8 {
		return false
	}
	switch strings.ToLower(s) {
	case "dpa", "reuters", "afp", "ap", "efe", "ansa", "apa", "sda", "kna", "epd", "tass", "xinhua", "kyodo", "jiji", "anp", "belga", "lusa", "tt", "ntb", "ritzau", "пресс-служба":
		return true
	}
	for _, r := range s {
		if !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// isNameLike reports whether s looks like a person's name: two to five
// words, each capitalised (allowing particles like "van" or "de"), or, in
// scripts without capitals (Arabic, Hebrew, CJK), two to five words of
// letters.
func isNameLike(s string) bool {
	ws := strings.Fields(s)
	if len(ws) < 2 || len(ws) > 5 || len(s) > 80 {
		if len(ws) == 1 && cjkNameRe.MatchString(s) {
			return true
		}
		return false
	}
	for _, w := range ws {
		caseless := false
		for _, r := range w {
			if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) && !strings.ContainsRune(".'’-", r) {
				return false
			}
			if unicode.IsLetter(r) && !unicode.IsUpper(r) && !unicode.IsLower(r) {
				caseless = true
			}
		}
		r, _ := utf8.DecodeRuneInString(w)
		switch strings.ToLower(w) {
		case "van", "von", "de", "da", "del", "der", "di", "du", "la", "le", "bin", "al", "ibn", "ter", "den", "dos", "das", "do", "zu", "y":
			continue
		}
		if !caseless && !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// trimByline removes a byline's opening word ("By", "Von", "Par", "Автор:",
// "بقلم") from s, for author fields that carry it.
func trimByline(s string) string {
	if name, ok := parseByline(s); ok {
		return name
	}
	return strings.TrimSpace(s)
}

// homoglyphs maps Latin letters that look like Cyrillic ones: pages type
// "Tекст" with a Latin T, which a Russian pattern does not match.
var homoglyphs = strings.NewReplacer("T", "Т", "e", "е", "k", "к", "c", "с", "a", "а", "o", "о", "p", "р", "x", "х", "A", "А", "B", "В", "E", "Е", "K", "К", "M", "М", "H", "Н", "O", "О", "P", "Р", "C", "С", "X", "Х")

// foldHomoglyphs returns l with Latin look-alikes turned Cyrillic when l is
// otherwise written in Cyrillic (its first word mixes the two).
func foldHomoglyphs(l string) string {
	first, _, _ := strings.Cut(l, " ")
	latin, cyr := false, false
	for _, r := range first {
		switch {
		case unicode.Is(unicode.Cyrillic, r):
			cyr = true
		case r < 0x80 && unicode.IsLetter(r):
			latin = true
		}
	}
	if !latin || !cyr {
		return l
	}
	return homoglyphs.Replace(first) + l[len(first):]
}

// reporterTagRe is the reporter's tag that opens a Japanese newspaper's
// story: "【エルサレム＝酒井圭吾】" (place, then name).
var reporterTagRe = regexp.MustCompile(`^【[^＝=】]{1,12}[＝=]([\p{Han}\p{Katakana}\p{Hiragana}・]{2,10})】`)

// reporterTag returns the reporter a Japanese lede names, if any.
func reporterTag(lede string) (string, bool) {
	m := reporterTagRe.FindStringSubmatch(lede)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// agencyDatelineRe is the dateline that opens agency copy and names the
// agency: "ROMA, 28 LUG (ANSA) -", "(AFP) -", "МОСКВА, 29 июня. /ТАСС/.".
var agencyDatelineRe = regexp.MustCompile(`^(?:\p{Lu}[\p{L}.' -]{1,30},?[^()/\n]{0,30}?)?[(/]\s*(` + datelineAgencies + `)\s*[)/]`)

// datelineAgencies are the agencies a dateline names in brackets.
const datelineAgencies = `AFP|AP|ANSA|askanews|AGI|Adnkronos|LaPresse|dpa|DPA|EFE|Europa Press|Reuters|REUTERS|TASS|ТАСС|РИА Новости|Интерфакс|Xinhua|XINHUA|Kyodo|KYODO|ANP|Belga|APA|SDA|KNA|epd|Lusa|PAP|CTK|ČTK|STT|NTB|TT`

// agencyGluedRe is that dateline after a headline that scraping glued to
// the first paragraph: "…almeno 10 mortiRoma, 25 giu. (askanews) – Sono…".
var agencyGluedRe = regexp.MustCompile(`\p{Ll}\p{Lu}\p{Ll}+(?: \p{Lu}\p{Ll}+)?, \d{1,2} \p{L}{3,5}\.? [(/](` + datelineAgencies + `)[)/] [–—-] `)

// agencyOfDateline returns the agency a lede's dateline credits.
func agencyOfDateline(lede string) (string, bool) {
	m := agencyDatelineRe.FindStringSubmatch(lede)
	if m == nil {
		m = agencyGluedRe.FindStringSubmatch(lede[:min(len(lede), 300)])
	}
	if m == nil {
		return "", false
	}
	return m[1], true
}

// agencyNames are the news agencies whose credit stands for an author.
const agencyNames = `AFP|AP|ANSA|dpa|DPA|EFE|Reuters|REUTERS|TASS|ТАСС|РИА Новости|Интерфакс|Xinhua|XINHUA|Kyodo|KYODO|ANP|Belga|APA|SDA|KNA|epd|Lusa|PAP|CTK|ČTK|STT|NTB|TT|共同|新华社|時事|ロイター`

var (
	// "【6月18日 AFP】": the dateline of agency copy in Japanese.
	agencyBracketRe = regexp.MustCompile(`^【[^】]{0,20}?\s*(` + agencyNames + `)\s*】`)
	// "AFP 30 avril 2015 à 07:19": the agency, then when it filed.
	agencyDatedRe = regexp.MustCompile(`^(` + agencyNames + `)\s*[,|·•–—-]?\s*\p{Nd}`)
	// "2020-02-19 20:29:58 来源： 半月谈", "… | Quelle: Handelsblatt
	// Online": the source of a reprint, beside its date.
	sourceCreditRe = regexp.MustCompile(`(?:^|[\s|·•｜\d])(?:来源|來源|出典|出处|(?i:quelle|source|fuente|fonte|bron|источник))\s*[:：]\s*([^|·•｜:：\d]{2,40}?)\s*(?:$|[|·•｜]|作者|责任编辑|編集)`)
	// "谢若含2017-03-01 14:27:02": a Chinese name glued to the time.
	// A label has a space or a colon after it ("更新时间 2012年…").
	cjkNameDateRe = regexp.MustCompile(`^(\p{Han}{2,4})\d{4}-\d{2}-\d{2}`)
)

// creditedAgency returns the agency a dateline or a credit line under the
// headline names: "【6月18日 AFP】…", "AFP 30 avril 2015 à 07:19".
func creditedAgency(l string) (string, bool) {
	if m := agencyBracketRe.FindStringSubmatch(l); m != nil {
		return m[1], true
	}
	if len(l) <= 120 {
		if m := agencyDatedRe.FindStringSubmatch(l); m != nil {
			return m[1], true
		}
	}
	return "", false
}

// sourceCredit returns the source a reprint credits beside its date
// ("2020-02-19 20:29:58 来源： 半月谈", "… | Quelle: Handelsblatt
// Online"): the author when the page names no reporter.
func sourceCredit(l string, hasDate func(s string) bool) (string, bool) {
	if len(l) > 200 {
		return "", false
	}
	if m := sourceCreditRe.FindStringSubmatch(l); m != nil && hasDate(l) {
		return strings.TrimSpace(m[1]), true
	}
	return "", false
}

// creditLine returns who a credit line under a headline names first,
// when the rest of the line says when: "Jane Doe | Springfield |
// 08/01/2014", "Jane Doe · CBC News · Posted: Oct 14, 2022", or a
// portal's source line "CNET Japan 3/9(木) 18:45配信". hasDate reports
// whether s (a part of the line) holds a date.
func creditLine(l string, hasDate func(s string) bool) (string, bool) {
	if len(l) > 200 {
		return "", false
	}
	if sourceLineRe.MatchString(l) {
		name := strings.TrimSpace(l[:strings.IndexFunc(l, unicode.IsDigit)])
		if n := utf8.RuneCountInString(name); n >= 2 && n <= 40 && !strings.ContainsAny(name, "。、，.,!?") {
			return name, true
		}
		return "", false
	}
	if m := cjkNameDateRe.FindStringSubmatch(l); m != nil && hasDate(l[len(m[1]):]) {
		return m[1], true
	}
	segs := strings.FieldsFunc(l, func(r rune) bool { return strings.ContainsRune("|·•｜", r) })
	if len(segs) < 2 {
		return "", false
	}
	name := strings.TrimSpace(segs[0])
	if !isNameLike(name) {
		return "", false
	}
	for _, seg := range segs[1:] {
		if hasDate(seg) {
			return name, true
		}
	}
	return "", false
}
