package article_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"syndicate"
	"syndicate/article"
)

// The corpus of real pages (issue 9, point 8) is scored on four measures
// and on refusals. Issue 9 asks for: title ≥ 95 %, author ≥ 90 % where the
// page names one, date ≥ 90 % where the page shows one, lede a real
// sentence of the article ≥ 90 %, and no page refused. The extractor meets
// them all, so each is enforced by default on the corpus here, together
// with a floor a little under what the code achieves now (a ratchet: it
// fails on a regression, and is raised as the extractor improves).
// SYNDICATE_CORPUS_DIR scores another corpus folder (with its own
// manifest.json) the same way, where the floors, measured here, do not
// apply; SYNDICATE_CORPUS_TARGETS=1 enforces the targets there.
// go test -v prints the rates and the worst misses;
// SYNDICATE_CORPUS_REPORT=file also writes every miss there.
var corpusThresholds = []struct {
	measure string
	floor   float64 // enforced on the corpus in testdata/corpus
	target  float64 // issue 9's: enforced here always, on another corpus with SYNDICATE_CORPUS_TARGETS=1
}{
	{"title", 0.96, 0.95},    // 151/156 on 2026-12-01 (scraped text 65/70)
	{"author", 0.91, 0.90},   // 98/106
	{"author-none", 0.95, 0}, // 48/50; pages naming none get none: no target in the issue
	{"date", 0.94, 0.90},     // 124/131
	{"lede", 0.93, 0.90},     // 146/156
	{"parsed", 1.00, 1.00},   // 156/156: no page refused
}

// corpusNoDate is the clock given to Parse: an article dated by this
// fallback has no date from the page.
var corpusNoDate = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

// corpusPage is one entry of manifest.json.
type corpusPage struct {
	File    string `json:"file"`    // relative to the manifest
	URL     string `json:"url"`     // the page's address, given to Parse as Options.URL
	Source  string `json:"source"`  // where the copy came from
	License string `json:"license"` // the license of that source
	Lang    string `json:"lang"`    // ISO 639-1
	Kind    string `json:"kind"`    // news, agency, blog, press, live, op-ed
	Format  string `json:"format"`  // html or txt
	// Title is the headline as printed, without site-name affixes.
	Title string `json:"title"`
	// Author is the byline as the page names it (an agency for a
	// dispatch); empty with AuthorNone when the page names none.
	Author     string   `json:"author"`
	AuthorAlso []string `json:"author_also,omitempty"` // other right forms of the byline
	AuthorNone bool     `json:"author_none"`
	// Date is the day the page shows (YYYY-MM-DD), empty if it shows none.
	Date string `json:"date"`
	// Lede is a distinctive substring of the first sentence of the article
	// body; LedeAlso are other sentences of the article that open it as
	// well (a printed standfirst).
	Lede     string   `json:"lede"`
	LedeAlso []string `json:"lede_also,omitempty"`
	Note     string   `json:"note,omitempty"`
}

var (
	corpusLangs   = regexp.MustCompile(`^[a-z]{2}$`)
	corpusKinds   = map[string]bool{"news": true, "agency": true, "blog": true, "press": true, "live": true, "op-ed": true}
	corpusFormats = map[string]string{".html": "html", ".htm": "html", ".txt": "txt", ".text": "txt"} // by extension
)

// loadCorpus reads the manifest of the corpus in dir and checks that every
// entry is complete. For the corpus here (own) it is stricter: no unknown
// fields, a source and license for every page, and every page file in dir
// listed.
func loadCorpus(t *testing.T, dir string, own bool) []corpusPage {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatalf("read corpus manifest: %v", err)
	}
	var pages []corpusPage
	dec := json.NewDecoder(bytes.NewReader(data))
	if own {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(&pages); err != nil {
		t.Fatalf("decode %s/manifest.json: %v", dir, err)
	}
	listed := map[string]bool{}
	for i, p := range pages {
		where := fmt.Sprintf("manifest entry %d (%s)", i, p.File)
		switch {
		case p.File == "" || listed[p.File]:
			t.Errorf("%s: file missing or listed twice", where)
		case p.URL == "":
			t.Errorf("%s: needs a url", where)
		case own && (p.Source == "" || p.License == ""):
			t.Errorf("%s: needs a source and a license", where)
		case !corpusLangs.MatchString(p.Lang):
			t.Errorf("%s: lang %q is not an ISO 639-1 code", where, p.Lang)
		case !corpusKinds[p.Kind]:
			t.Errorf("%s: kind %q is not one of news, agency, blog, press, live, op-ed", where, p.Kind)
		case p.Format == "" || corpusFormats[strings.ToLower(filepath.Ext(p.File))] != p.Format:
			t.Errorf("%s: format %q does not match the file's extension", where, p.Format)
		case strings.TrimSpace(p.Title) == "" || strings.TrimSpace(p.Lede) == "":
			t.Errorf("%s: needs a title and a lede", where)
		case p.AuthorNone == (p.Author != ""):
			t.Errorf("%s: give an author or author_none, not both or neither", where)
		}
		if p.Date != "" {
			if _, err := time.Parse(time.DateOnly, p.Date); err != nil {
				t.Errorf("%s: date %q is not YYYY-MM-DD", where, p.Date)
			}
		}
		listed[p.File] = true
	}
	if !own {
		return pages
	}
	err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path) // path is under dir
		if corpusFormats[strings.ToLower(filepath.Ext(rel))] != "" && !listed[filepath.ToSlash(rel)] {
			t.Errorf("corpus page %s is not in the manifest", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("list corpus %s: %v", dir, err)
	}
	return pages
}

// corpusDir is the corpus scored: SYNDICATE_CORPUS_DIR or the one here.
func corpusDir() (dir string, own bool) {
	if d := os.Getenv("SYNDICATE_CORPUS_DIR"); d != "" {
		return d, false
	}
	return filepath.Join("testdata", "corpus"), true
}

func TestCorpusManifest(t *testing.T) {
	dir, own := corpusDir()
	pages := loadCorpus(t, dir, own)
	if !own {
		return
	}
	// Issue 9: at least 60 pages in at least 10 languages, HTML and text.
	langs, formats := map[string]bool{}, map[string]bool{}
	for _, p := range pages {
		langs[p.Lang], formats[p.Format] = true, true
	}
	if len(pages) < 60 || len(langs) < 10 || len(formats) < 2 {
		t.Errorf("corpus has %d pages in %d languages and %d formats; want at least 60 in 10 and both html and txt", len(pages), len(langs), len(formats))
	}
}

// pageScore is how one page fared; a measure not applicable is absent.
type pageScore struct {
	page   corpusPage
	err    error
	got    syndicate.Article
	scores map[string]bool
}

func (s pageScore) misses() []string {
	var m []string
	for _, k := range []string{"parsed", "title", "author", "author-none", "date", "lede"} {
		if ok, scored := s.scores[k]; scored && !ok {
			m = append(m, k)
		}
	}
	return m
}

func scorePage(dir string, p corpusPage) pageScore {
	s := pageScore{page: p, scores: map[string]bool{}}
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p.File)))
	if err == nil {
		s.got, err = article.Parse(filepath.Base(p.File), bytes.NewReader(data),
			article.Options{URL: p.URL, Now: func() time.Time { return corpusNoDate }})
	}
	s.err = err
	s.scores["parsed"] = err == nil
	a := s.got // the zero Article when refused: every measure misses
	s.scores["title"] = err == nil && sameTitle(a.Title, p.Title)
	if p.AuthorNone {
		s.scores["author-none"] = err == nil && a.Author == ""
	} else {
		ok := false
		for _, w := range append([]string{p.Author}, p.AuthorAlso...) {
			ok = ok || sameAuthor(a.Author, w)
		}
		s.scores["author"] = err == nil && ok
	}
	if p.Date != "" {
		s.scores["date"] = err == nil && sameDay(a.PublishedAt, p.Date)
	}
	s.scores["lede"] = err == nil && realLede(a.Summary, p)
	return s
}

// corpusQuotes maps every quote style to a plain one.
var corpusQuotes = strings.NewReplacer(
	"‘", "'", "’", "'", "‚", "'", "‛", "'", "`", "'", "´", "'", "‹", "'", "›", "'",
	"“", `"`, "”", `"`, "„", `"`, "‟", `"`, "«", `"`, "»", `"`, "「", `"`, "」", `"`, "『", `"`, "』", `"`,
	"\u00a0", " ", "\u202f", " ", "\u3000", " ",
)

var corpusQuoteSpace = regexp.MustCompile(`\s*"\s*`)

// normText folds case, quote style, white space and character width
// (NFKC: "１０" is "10").
func normText(s string) string {
	s = corpusQuotes.Replace(norm.NFKC.String(s))
	s = strings.Join(strings.Fields(s), " ")
	// Quote marks set off with spaces (« Le ») close up the same way.
	s = corpusQuoteSpace.ReplaceAllString(s, `"`)
	return strings.ToLower(s)
}

func sameTitle(got, want string) bool { return normText(got) == normText(want) }

var corpusBy = regexp.MustCompile(`^by\s+`)

// sameAuthor compares names ignoring case and a leading "By". A byline of
// several names matches when every expected name is in it and nothing much
// else is.
func sameAuthor(got, want string) bool {
	g, w := corpusBy.ReplaceAllString(normText(got), ""), corpusBy.ReplaceAllString(normText(want), "")
	if g == "" {
		return false
	}
	if g == w {
		return true
	}
	names := regexp.MustCompile(`\s*(?:,|;|&|/|\band\b|\bund\b|\bet\b|\by\b|\be\b|、|，)\s*`).Split(w, -1)
	if len(names) < 2 {
		return false
	}
	for _, n := range names {
		if n != "" && !strings.Contains(g, n) {
			return false
		}
	}
	return utf8.RuneCountInString(g) <= utf8.RuneCountInString(w)+10
}

// sameDay reports whether t falls on day as the page prints it. A time
// that keeps the page's offset is read in it. A time in UTC has lost the
// publisher's zone, so it matches when it falls on day somewhere, in a zone
// from UTC-12 to UTC+14: an instant found right is then never a miss. The
// fallback clock never matches.
func sameDay(t time.Time, day string) bool {
	if t.Equal(corpusNoDate) {
		return false
	}
	if t.Format(time.DateOnly) == day {
		return true
	}
	if _, off := t.Zone(); off != 0 {
		return false
	}
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return false
	}
	return !t.Before(d.Add(-14*time.Hour)) && t.Before(d.Add(36*time.Hour))
}

// realLede reports whether summary opens with a real sentence of the
// article: it contains the expected lede (or another recorded opening
// sentence), or it is that lede cut short, at least a clause long.
func realLede(summary string, p corpusPage) bool {
	s := normText(summary)
	if s == "" {
		return false
	}
	cut := strings.TrimRightFunc(strings.TrimSuffix(s, "…"), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r)
	})
	for _, l := range append([]string{p.Lede}, p.LedeAlso...) {
		l = normText(l)
		if strings.Contains(s, l) {
			return true
		}
		if cut != s && utf8.RuneCountInString(cut) >= 30 && strings.HasPrefix(l, cut) {
			return true
		}
	}
	return false
}

// TestCorpus parses every page of the corpus with article.Parse, as
// preview does, and scores the result against the manifest. Run with -v to
// see the rates per measure, language and format, and the worst misses.
func TestCorpus(t *testing.T) {
	dir, own := corpusDir()
	pages := loadCorpus(t, dir, own)
	if len(pages) == 0 {
		t.Fatalf("corpus %s is empty", dir)
	}
	var scores []pageScore
	for _, p := range pages {
		scores = append(scores, scorePage(dir, p))
	}

	type tally struct{ hit, n int }
	rate := func(tl tally) float64 {
		if tl.n == 0 {
			return 1
		}
		return float64(tl.hit) / float64(tl.n)
	}
	overall := map[string]*tally{}
	byGroup := map[string]map[string]*tally{} // "lang:xx" or "format:xx" → measure
	add := func(m map[string]*tally, k string, ok bool) {
		if m[k] == nil {
			m[k] = &tally{}
		}
		m[k].n++
		if ok {
			m[k].hit++
		}
	}
	for _, s := range scores {
		for _, g := range []string{"lang:" + s.page.Lang, "format:" + s.page.Format, "kind:" + s.page.Kind} {
			if byGroup[g] == nil {
				byGroup[g] = map[string]*tally{}
			}
			for k, ok := range s.scores {
				add(byGroup[g], k, ok)
			}
		}
		for k, ok := range s.scores {
			add(overall, k, ok)
		}
	}

	var b strings.Builder
	fmt.Fprintf(&b, "corpus %s: %d pages\n", dir, len(scores))
	measures := []string{"title", "author", "author-none", "date", "lede", "parsed"}
	fmt.Fprintf(&b, "%-12s", "")
	for _, m := range measures {
		fmt.Fprintf(&b, " %14s", m)
	}
	b.WriteString("\n")
	row := func(name string, m map[string]*tally) {
		fmt.Fprintf(&b, "%-12s", name)
		for _, k := range measures {
			if tl := m[k]; tl != nil {
				fmt.Fprintf(&b, " %5.1f%% %3d/%-3d", 100*rate(*tl), tl.hit, tl.n)
			} else {
				fmt.Fprintf(&b, " %14s", "-")
			}
		}
		b.WriteString("\n")
	}
	row("all", overall)
	groups := make([]string, 0, len(byGroup))
	for g := range byGroup {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		row(g, byGroup[g])
	}

	// Refusals first, one line each; then the pages read that fail the
	// most measures.
	worst := append([]pageScore(nil), scores...)
	sort.SliceStable(worst, func(i, j int) bool {
		if (worst[i].err != nil) != (worst[j].err != nil) {
			return worst[i].err != nil
		}
		return len(worst[i].misses()) > len(worst[j].misses())
	})
	var all strings.Builder // every miss, for SYNDICATE_CORPUS_REPORT
	shown := 0
	for _, s := range worst {
		if len(s.misses()) == 0 {
			break
		}
		var m strings.Builder
		describeMisses(&m, s)
		all.WriteString(m.String())
		switch {
		case s.err != nil:
			fmt.Fprintf(&b, "refused: %s: %s\n", s.page.File, clip(syndicate.ErrorMessage(s.err)))
		case shown < corpusWorstShown:
			if shown == 0 {
				fmt.Fprintf(&b, "the %d worst misses of the pages read (every miss with SYNDICATE_CORPUS_REPORT=file):\n", corpusWorstShown)
			}
			b.WriteString(m.String())
			shown++
		}
	}
	t.Log("\n" + b.String())
	if path := os.Getenv("SYNDICATE_CORPUS_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(b.String()+"every miss:\n"+all.String()), 0o644); err != nil {
			t.Errorf("write corpus report: %v", err)
		}
	}

	targets := os.Getenv("SYNDICATE_CORPUS_TARGETS") == "1"
	for _, th := range corpusThresholds {
		tl := overall[th.measure]
		if tl == nil {
			continue
		}
		min, what := th.floor, "today's floor"
		switch {
		case own && th.target > th.floor:
			min, what = th.target, "issue 9's target"
		case !own && targets:
			min, what = th.target, "issue 9's target"
		case !own:
			continue // the floors were measured on this corpus only
		}
		if r := rate(*tl); r+1e-9 < min {
			t.Errorf("corpus measure %s: %.1f%% of pages (%d/%d), below %s of %.1f%%", th.measure, 100*r, tl.hit, tl.n, what, 100*min)
		}
	}
}

// corpusWorstShown is how many of the worst misses the test log shows.
const corpusWorstShown = 10

// describeMisses writes what s got wrong, next to what was wanted.
func describeMisses(b *strings.Builder, s pageScore) {
	fmt.Fprintf(b, "- %s [%s %s] misses %s\n", s.page.File, s.page.Lang, s.page.Kind, strings.Join(s.misses(), ", "))
	if s.err != nil {
		fmt.Fprintf(b, "    refused: %v\n", s.err)
		return
	}
	for _, k := range s.misses() {
		switch k {
		case "title":
			fmt.Fprintf(b, "    title  %q, want %q\n", clip(s.got.Title), s.page.Title)
		case "author", "author-none":
			fmt.Fprintf(b, "    author %q, want %q\n", clip(s.got.Author), s.page.Author)
		case "date":
			d := "fallback"
			if !s.got.PublishedAt.Equal(corpusNoDate) {
				d = s.got.PublishedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(b, "    date   %s, want %s\n", d, s.page.Date)
		case "lede":
			fmt.Fprintf(b, "    lede   %q, want %q\n", clip(s.got.Summary), s.page.Lede)
		}
	}
}

// clip shortens s for the report.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= 120 {
		return s
	}
	return string([]rune(s)[:119]) + "…"
}

func TestCorpusMatchers(t *testing.T) {
	for _, c := range []struct {
		got, want string
		ok        bool
	}{
		{"Obama admits US gun laws are his ‘biggest  frustration’", "obama admits us gun laws are his 'biggest frustration'", true},
		{"Screenshot : « Vape Wave »", "Screenshot : «Vape Wave»", true},
		{"Obama admits US gun laws - BBC News", "Obama admits US gun laws", false},
		{"邦人10人含む外国籍361人", "邦人１０人含む外国籍３６１人", true},
	} {
		if sameTitle(c.got, c.want) != c.ok {
			t.Errorf("sameTitle(%q, %q) = %v", c.got, c.want, !c.ok)
		}
	}
	for _, c := range []struct {
		got, want string
		ok        bool
	}{
		{"By DAN GOODIN", "Dan Goodin", true},
		{"Stella Kim, Jennifer Jett", "Stella Kim and Jennifer Jett", true},
		{"Stella Kim", "Stella Kim and Jennifer Jett", false},
		{"Par Sébastien Farcis", "AFP", false},
		{"Auteur: Anna Kubišta", "Anna Kubišta", false},
		{"", "Dan Goodin", false},
	} {
		if sameAuthor(c.got, c.want) != c.ok {
			t.Errorf("sameAuthor(%q, %q) = %v", c.got, c.want, !c.ok)
		}
	}
	moscow := time.FixedZone("MSK", 3*3600)
	for _, c := range []struct {
		got time.Time
		day string
		ok  bool
	}{
		{time.Date(2020, 6, 29, 0, 16, 0, 0, moscow), "2020-06-29", true},
		{time.Date(2020, 6, 29, 0, 16, 0, 0, moscow).UTC(), "2020-06-29", true}, // the same instant in UTC
		{time.Date(2020, 6, 28, 0, 16, 0, 0, moscow), "2020-06-29", false},
		{time.Date(2024, 12, 7, 12, 43, 0, 0, time.UTC), "2024-12-06", false}, // a day and a half late
		{corpusNoDate, corpusNoDate.Format(time.DateOnly), false},
	} {
		if sameDay(c.got, c.day) != c.ok {
			t.Errorf("sameDay(%v, %s) = %v", c.got, c.day, !c.ok)
		}
	}
	p := corpusPage{Lede: "A flaw in the wildly popular online game Minecraft makes it easy", LedeAlso: []string{"Two-year-old bug exposes thousands of servers."}}
	for _, c := range []struct {
		summary string
		ok      bool
	}{
		{"A flaw in the wildly popular online game Minecraft makes it easy for just about anyone to crash the server.", true},
		{"Two-year-old bug exposes thousands of servers.", true},
		{"A flaw in the wildly popular online game…", true}, // the lede cut short
		{"A flaw…", false},
		{"Dan Goodin - Apr 16, 2015 8:02 pm UTC", false},
		{"", false},
	} {
		if realLede(c.summary, p) != c.ok {
			t.Errorf("realLede(%q) = %v", c.summary, !c.ok)
		}
	}
}
