package templates

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"syndicate"
)

// renderAll renders every kind of email the default templates make.
func renderAll(t *testing.T) map[string]Email {
	t.Helper()
	s := mustNew(t, "")
	out := map[string]Email{}
	logo := dailyData()
	logo.Brand.LogoURL = "https://news.example.com/logo.png"
	for name, d := range map[string]EmailData{"instant": instantData(), "daily": dailyData(), "world": worldData(), "archive": archiveData(), "logo": logo} {
		e, err := s.RenderEmail(d)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = e
	}
	c, err := s.RenderConfirm(ConfirmData{Brand: brand, Email: "ada@example.org", ConfirmURL: "https://news.example.com/newsletter/confirm?token=x", Expires: fixedDate})
	if err != nil {
		t.Fatal(err)
	}
	out["confirm"] = c
	return out
}

// TestFluidLayout: every email is one fluid column (width:100% up to
// 600px, a fixed table for Outlook only), with no media query but the
// dark-mode one, and buttons made of table cells.
func TestFluidLayout(t *testing.T) {
	for name, e := range renderAll(t) {
		h := e.HTML
		for _, want := range []string{
			`class="container" width="100%" cellpadding="0" cellspacing="0" border="0" style="width:100%;max-width:600px;"`,
			`<!--[if mso]><table role="presentation" align="center" width="600"`,
			`<!--[if mso]></td></tr></table><![endif]-->`,
			`<meta name="viewport" content="width=device-width, initial-scale=1">`,
		} {
			if !strings.Contains(h, want) {
				t.Errorf("%s lacks %s", name, want)
			}
		}
		if n, m := strings.Count(h, "@media"), strings.Count(h, "@media (prefers-color-scheme: dark)"); n != m {
			t.Errorf("%s has a media query other than dark mode", name)
		}
		// Side padding of at most 16px each side: 343 of 375px is text.
		for _, p := range regexp.MustCompile(`padding:(\d+)px (\d+)px`).FindAllStringSubmatch(h, -1) {
			if p[2] != "0" && p[2] != "16" && p[2] != "20" {
				t.Errorf("%s has side padding %spx", name, p[2])
			}
		}
		if name != "archive" && !regexp.MustCompile(`<td bgcolor="#[0-9a-f]{6}" style="padding:12px 20px;background-color:#[0-9a-f]{6};border-radius:6px;"><a `).MatchString(h) {
			t.Errorf("%s has no button built from a table cell", name)
		}
	}
}

// TestMasthead: the newsletter's name or logo links to the newsroom's
// site, not to syndicate's base URL (which has no home page); a logo's alt
// text is the name, styled for when images are blocked; article images
// have empty alt text (the headline follows) and are bounded in width.
func TestMasthead(t *testing.T) {
	d := instantData()
	e, err := mustNew(t, "").RenderEmail(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.HTML, `<a href="https://news.example.com/" class="fg" style="color:#111827;"><span`) {
		t.Errorf("masthead does not link to the site:\n%s", e.HTML)
	}
	if strings.Contains(e.HTML, `href="https://news.example.com/newsletter"`) {
		t.Error("masthead links to the base URL")
	}
	if !strings.Contains(e.HTML, `<img src="https://news.example.com/img/harbour-wall.jpg" alt="" width="568" style="display:block;width:100%;max-width:568px;height:auto;border:0;">`) {
		t.Errorf("hero image is not bounded with empty alt:\n%s", e.HTML)
	}
	d.Brand.LogoURL = "https://news.example.com/logo.png"
	d.Brand.SiteURL = ""
	if e, err = mustNew(t, "").RenderEmail(d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.HTML, `<img class="fg" src="https://news.example.com/logo.png" alt="Harbour Town Gazette" height="40" style="height:40px;border:0;font-family:Arial,Helvetica,sans-serif;font-size:20px;color:#111827;">`) {
		t.Errorf("logo without styled alt text:\n%s", e.HTML)
	}
	if strings.Contains(e.HTML, `<a href="https://news.example.com/" class="fg"`) {
		t.Error("masthead is a link with no site_url")
	}
}

var (
	inlineColor = regexp.MustCompile(`[;"]color:(#[0-9a-f]{6})`)
	darkRule    = regexp.MustCompile(`\.(fg|muted|link) \{ color: (#[0-9a-f]{6}) !important; \}`)
)

// TestContrast: every text colour reads at 4.5:1 or better on the
// backgrounds it can sit on, in light mode (white card, grey page) and in
// dark mode (the <style> block's colours on the dark card and page), and
// button text on the accent.
func TestContrast(t *testing.T) {
	lightBgs := []string{"#ffffff", "#f3f4f6"}
	darkBgs := []string{"#1f2937", "#111827"}
	for name, e := range renderAll(t) {
		accent := regexp.MustCompile(`bgcolor="(#[0-9a-f]{6})" style="padding:12px 20px`).FindStringSubmatch(e.HTML)
		for _, m := range inlineColor.FindAllStringSubmatch(e.HTML, -1) {
			bgs := lightBgs
			if m[1] == "#ffffff" && accent != nil {
				bgs = []string{accent[1]} // button text
			}
			for _, bg := range bgs {
				if c := contrastOf(t, m[1], bg); c < minContrast {
					t.Errorf("%s: %s on %s is %.2f:1", name, m[1], bg, c)
				}
			}
		}
		rules := darkRule.FindAllStringSubmatch(e.HTML, -1)
		if len(rules) != 3 {
			t.Fatalf("%s: dark-mode rules = %v", name, rules)
		}
		for _, m := range rules {
			for _, bg := range darkBgs {
				if c := contrastOf(t, m[2], bg); c < minContrast {
					t.Errorf("%s: dark .%s %s on %s is %.2f:1", name, m[1], m[2], bg, c)
				}
			}
		}
		// Every element that sets a text colour (a logo's alt text too) has
		// a dark-mode class, but white button text on the accent.
		for _, el := range regexp.MustCompile(`<[a-z0-9]+ [^>]*style="([^"]*;)?color:#[0-9a-f]{6}[^>]*>`).FindAllString(e.HTML, -1) {
			if !regexp.MustCompile(`class="(fg|muted|link)"`).MatchString(el) && !strings.Contains(el, "color:#ffffff") {
				t.Errorf("%s: %s sets a colour dark mode does not change", name, el)
			}
		}
		// Links carry their own colour and class, so clients that recolour
		// links still show the dark-mode one.
		for _, a := range regexp.MustCompile(`<a [^>]*>`).FindAllString(e.HTML, -1) {
			if !strings.Contains(a, `style="color:#`) {
				t.Errorf("%s: link without its own colour: %s", name, a)
			}
		}
	}
}

func contrastOf(t *testing.T, a, b string) float64 {
	ca, ok1 := parseColor(a)
	cb, ok2 := parseColor(b)
	if !ok1 || !ok2 {
		t.Fatalf("parse %s, %s", a, b)
	}
	return contrast(ca, cb)
}

// TestAccents: whatever the brand colour, the accent carries white button
// text and reads on white, and the dark-mode link reads on the dark card.
func TestAccents(t *testing.T) {
	for _, c := range []string{"#1a73e8", "#ffcc00", "yellow", "#fff", "white", "#000", "navy", "#0b6e4f", "", "url(x)", "chartreuse"} {
		a, d := accents(c)
		if got := contrastOf(t, a, "#ffffff"); got < minContrast {
			t.Errorf("accent of %q = %s: %.2f:1 on white", c, a, got)
		}
		if got := contrastOf(t, d, "#1f2937"); got < minContrast {
			t.Errorf("dark link of %q = %s: %.2f:1 on the dark card", c, d, got)
		}
	}
	if a, _ := accents("#0b6e4f"); a != "#0b6e4f" {
		t.Errorf("a brand colour that reads well changed: %s", a)
	}
}

// TestDigestSubject: a digest is named after its lead story.
func TestDigestSubject(t *testing.T) {
	s := mustNew(t, "")
	for _, tc := range []struct {
		lead syndicate.Article
		n    int
		want string
	}{
		{syndicate.Article{Title: "Library opens late"}, 5, "Harbour Town Gazette: Library opens late, and 4 more"},
		{syndicate.Article{Title: "Library opens late"}, 2, "Harbour Town Gazette: Library opens late, and 1 more"},
		{syndicate.Article{Title: "  Library\nopens   late "}, 1, "Harbour Town Gazette: Library opens late"},
		{syndicate.Article{Title: "المكتبة تفتح أبوابها", Language: "ar"}, 3, "Harbour Town Gazette: \u2068المكتبة تفتح أبوابها\u2069, and 2 more"},
		{syndicate.Article{Title: strings.Repeat("word ", 30)}, 2, "Harbour Town Gazette: " + strings.TrimSpace(strings.Repeat("word ", 16)) + "…, and 1 more"},
		{syndicate.Article{Title: strings.Repeat("図書館が深夜まで開館する。", 10), Language: "ja"}, 1, "Harbour Town Gazette: " + string([]rune(strings.Repeat("図書館が深夜まで開館する。", 10))[:79]) + "…"},
	} {
		d := dailyData()
		d.Articles = nil
		for range tc.n {
			a := tc.lead
			a.URL = "https://news.example.com/x"
			d.Articles = append(d.Articles, a)
		}
		e, err := s.RenderEmail(d)
		if err != nil {
			t.Fatal(err)
		}
		if e.Subject != tc.want {
			t.Errorf("subject = %q, want %q", e.Subject, tc.want)
		}
	}
}

func TestShorten(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"Einbürgerungserleichterungsgesetz beschlossen", 20, "Einbürgerungserleic…"}, // one long word: cut, nothing better
		{"Rat beschließt Einbürgerungserleichterung", 30, "Rat beschließt…"},
		{"東京でiPhoneSale開始", 8, "東京で…"},
		{"東京都議会、新しい予算案を可決", 8, "東京都議会、新…"},
	} {
		if got := shorten(tc.in, tc.max); got != tc.want {
			t.Errorf("shorten(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// TestPreheader: the inbox preview is the lead story's lede, from its
// summary or else its body, shortened.
func TestPreheader(t *testing.T) {
	d := instantData()
	d.Articles = []syndicate.Article{{Title: "T", URL: "https://news.example.com/t", Body: "First paragraph of the body.\n\nSecond."}}
	e, err := mustNew(t, "").RenderEmail(d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.HTML, `mso-hide:all;">First paragraph of the body.&#8199;`) {
		t.Errorf("preheader is not the body's first paragraph:\n%.1500s", e.HTML)
	}
	d.Articles[0].Summary = strings.Repeat("lede ", 60)
	if e, err = mustNew(t, "").RenderEmail(d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.HTML, `mso-hide:all;">`+strings.TrimSpace(strings.Repeat("lede ", 30))+`…&#8199;`) {
		t.Errorf("long lede is not shortened:\n%.1500s", e.HTML)
	}
}

// TestArchiveCopy: the hosted copy names no subscriber and carries no
// personal link.
func TestArchiveCopy(t *testing.T) {
	e, err := mustNew(t, "").RenderEmail(archiveData())
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{e.Text, e.HTML} {
		for _, bad := range []string{"ada@example.org", "tok123", "Unsubscribe", "View this email in your browser"} {
			if strings.Contains(part, bad) {
				t.Errorf("archive copy contains %q", bad)
			}
		}
		if !strings.Contains(part, "https://news.example.com/newsletter/subscribe") {
			t.Error("archive copy has no subscribe link")
		}
	}
}

// FuzzShorten: a shortened line is valid UTF-8, at most max characters,
// and what it keeps is the start of the original.
func FuzzShorten(f *testing.F) {
	for _, s := range []string{"Library opens late", "東京都議会、新しい予算案を可決", "Einbürgerungserleichterungsgesetz", "a\u0301b\u0301c\u0301d\u0301", "\xff\xfe bad"} {
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 2 || max > 500 || !utf8.ValidString(s) {
			return
		}
		s = oneLine(s)
		got := shorten(s, max)
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > max {
			t.Fatalf("shorten(%q, %d) = %q", s, max, got)
		}
		if kept := strings.TrimSuffix(got, "…"); !strings.HasPrefix(s, kept) {
			t.Fatalf("shorten(%q, %d) = %q, not a prefix", s, max, got)
		}
	})
}
