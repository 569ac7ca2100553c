package article

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestCleanTitle(t *testing.T) {
	site := siteNames("The Coastal Gazette", "", "https://www.gazette.example.co.uk/news/1", nil)
	tests := []struct {
		name, title string
		h1s         []string
		author      string
		want        string
	}{
		{"site suffix", "Ferry saved | The Coastal Gazette", nil, "", "Ferry saved"},
		{"site prefix with colon", "The Coastal Gazette: Ferry saved", nil, "", "Ferry saved"},
		{"host as site", "Ferry saved - Gazette", nil, "", "Ferry saved"},
		{"section between headline and site", "Ferry saved | Transport | The Coastal Gazette", nil, "", "Ferry saved"},
		{"author suffix", "Why ferries matter | Ana Reyes", nil, "Ana Reyes", "Why ferries matter"},
		{"heading picks the run", "Home - Ferry saved - after a long night - Other", []string{"Ferry saved - after a long night"}, "", "Ferry saved - after a long night"},
		{"dash inside a headline is kept", "COVID-19 - what we know now", nil, "", "COVID-19 - what we know now"},
		{"no evidence, spaced dash: kept", "Man bites dog - and the dog sues", nil, "", "Man bites dog - and the dog sues"},
		{"CJK underscores", "海外留学生看两会：出国前后关注点大不同_教育频道_中国青年网", nil, "", "海外留学生看两会：出国前后关注点大不同"},
		{"CJK dash without spaces", "武汉的声音：有英勇的你，才有英雄的城！-新华网", nil, "", "武汉的声音：有英勇的你，才有英雄的城！"},
		{"bar without spaces", "子どもへの体罰を禁止する法律ができる|NHK", nil, "", "子どもへの体罰を禁止する法律ができる"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cleanTitle(tt.title, site, tt.h1s, tt.author); got != tt.want {
				t.Errorf("cleanTitle(%q) = %q, want %q", tt.title, got, tt.want)
			}
		})
	}
}

// TestPageTitle checks which of a page's titles is the headline.
func TestPageTitle(t *testing.T) {
	tests := []struct{ name, head, body, want string }{
		{"printed headline beats a shortened og:title",
			`<meta property="og:title" content="Seven secrets that hotel owners don't want you to know | The Independent"><meta property="og:site_name" content="The Independent">`,
			`<h1>The seven secrets that hotel owners don't want you to know</h1>`,
			"The seven secrets that hotel owners don't want you to know"},
		{"a section heading is not the headline",
			`<meta property="og:title" content="Polar cold reaches the south while the north stays warm - La Stampa"><meta property="og:site_name" content="La Stampa">`,
			`<h1>Cronaca</h1>`,
			"Polar cold reaches the south while the north stays warm"},
		{"a heading that is the site's logo is not the headline",
			`<title>Ferry saved after vote | Gazette</title><meta property="og:site_name" content="Gazette">`,
			`<h1>Gazette</h1>`,
			"Ferry saved after vote"},
		{"a hidden heading is the site's logo",
			`<title>这个约会软件，想用你和对方的相似好恶来帮你找对象_智能_好奇心日报</title>`,
			`<h1 class="hidden">好奇心日报</h1>`,
			"这个约会软件，想用你和对方的相似好恶来帮你找对象"},
		{"a heading that is only the title's end piece is the logo",
			`<title>Ferry saved after a long night of debate | Transport | Harbour Herald</title>`,
			`<h1>Harbour Herald</h1>`,
			"Ferry saved after a long night of debate"},
		{"a heading with the logo glued on",
			`<title>Ferry saved after a long night of debate » Local » Harbour Herald</title><meta property="og:site_name" content="Harbour Herald">`,
			`<h1>Ferry saved after a long night of debate<span>Harbour Herald</span></h1>`,
			"Ferry saved after a long night of debate"},
		{"ruby readings left out",
			`<title>NEWS WEB EASY|子どもへの体罰を禁止する法律ができる</title><meta property="og:site_name" content="NEWS WEB EASY">`,
			`<h1><ruby>子<rt>こ</rt></ruby>どもへの<ruby>体罰<rt>たいばつ</rt></ruby>を禁止する法律ができる</h1>`,
			"子どもへの体罰を禁止する法律ができる"},
		{"aggregator's source in full-width parentheses",
			`<meta property="og:title" content="アプリ「フリーWi-Fiプロテクション」を公開（CNET Japan） - Yahoo!ニュース"><meta property="og:site_name" content="Yahoo!ニュース">`,
			``,
			"アプリ「フリーWi-Fiプロテクション」を公開"},
		{"the kicker the headline element sets apart",
			`<meta property="og:title" content="Ferries: Council keeps the late ferry running">`,
			`<h2 class="headline"><span class="c-overline">Ferries</span> Council keeps the late ferry running</h2>`,
			"Council keeps the late ferry running"},
		{"a colon that is the headline's own",
			`<meta property="og:title" content="Ferries: Council keeps the late ferry running">`,
			`<h2 class="headline">Ferries: Council keeps the late ferry running</h2>`,
			"Ferries: Council keeps the late ferry running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := `<html><head>` + tt.head + `</head><body>` + tt.body + `<p>The council voted on Tuesday night to keep the ferry.</p></body></html>`
			a, err := Parse("p.html", strings.NewReader(page), Options{URL: "https://news.example.com/a", Now: opts().Now})
			if err != nil {
				t.Fatal(err)
			}
			if a.Title != tt.want {
				t.Errorf("title = %q, want %q", a.Title, tt.want)
			}
		})
	}
}

func TestPickDescription(t *testing.T) {
	body := []block{{tag: "p", text: "The council voted on Tuesday night to keep the late ferry to the islands."}}
	tests := []struct {
		name  string
		descs []string
		want  string
	}{
		{"complete beats truncated", []string{"The council kept the ferry after a long…", "The council kept the ferry after a long night."}, "The council kept the ferry after a long night."},
		{"complete beats cut mid-word", []string{"The council kept the ferry after a lo", "The council kept the ferry after a long night."}, "The council kept the ferry after a long night."},
		{"all truncated: the body's lede", []string{"The council kept the ferry after a long..."}, ""},
		{"a site's tagline is not the article's", []string{"Daily news from the coast: politics, sport, culture, weather and events for the whole region."}, ""},
		{"first complete one wins", []string{"Ferry kept.", "The ferry stays."}, "Ferry kept."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pickDescription("Ferry saved", nil, body, tt.descs...); got != tt.want {
				t.Errorf("pickDescription = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPageAuthor checks that the byline is the article's: never a
// related-story box, a photo credit, an editor line or the site itself,
// and an agency for a dispatch.
func TestPageAuthor(t *testing.T) {
	story := `<p>The council voted on Tuesday night to keep the late ferry to the islands running for at least another three years.</p>`
	tests := []struct{ name, head, body, want string }{
		{"related-story box",
			``, `<article>` + story + `<aside class="related"><span class="author">Other Writer</span></aside></article>`, ""},
		{"photo credit",
			`<meta name="author" content="Photo: Gazette staff">`, story, ""},
		{"editor line",
			`<meta name="author" content="肖春芳">`, story + `<div>[责任编辑:肖春芳]</div>`, ""},
		{"site credits itself",
			`<meta name="author" content="Coastal Gazette"><meta property="og:site_name" content="Coastal Gazette">`, story, ""},
		{"placeholder",
			`<meta name="author" content="No Author">`, story, ""},
		{"agency dateline",
			``, `<p>BERLIN (dpa) – Die Fähre zu den Inseln fährt weiter, hat der Rat am Dienstagabend entschieden.</p>`, "dpa"},
		{"byline label in another language",
			``, `<article><p class="byline">Par Jeanne Corriveau</p>` + story + `</article>`, "Jeanne Corriveau"},
		{"byline atop the body",
			``, `<article><p>Por Agencia EFE</p>` + story + `</article>`, "Agencia EFE"},
		{"editor line with the site's prefix",
			`<meta name="author" content="青网校园崔宁宁">`, story + `<span id="editor_baidu">责任编辑：崔宁宁</span>`, ""},
		{"Japanese dateline names the reporter",
			`<meta name="description" content="【読売新聞】　【エルサレム＝酒井圭吾】イスラエルとハマスの戦闘が続くガザで">`, story, "酒井圭吾"},
		{"Japanese dateline names the agency",
			``, `<p>【6月18日 AFP】ナイジェリア北東部で16日夜、自爆攻撃があり少なくとも31人が死亡した。</p>`, "AFP"},
		{"Chinese reporter credit",
			``, `<p>〔記者巫其倫／台北報導〕財政部今天下午將公佈今年1-2月期統一發票中獎清冊。</p>`, "巫其倫"},
		{"Chinese source line when no byline",
			``, `<div><span>来源：<a href="/x">网易科学人</a></span></div>` + story, "网易科学人"},
		{"photo credit in Japanese",
			`<meta name="author" content="写真＝ロイター">`, story, ""},
		{"a date is not a name",
			`<meta name="author" content="14/03/2020 16h15">`, story, ""},
		{"site's name dropped from a byline",
			`<meta name="author" content="Pete Evans · CBC News"><meta property="og:site_name" content="CBC News">`, story, "Pete Evans"},
		{"extra words after a name",
			`<meta name="author" content="Aleš Vávra před">`, `<article><a class="author__name" rel="author">Aleš Vávra</a>` + story + `</article>`, "Aleš Vávra"},
		{"co-authors in the article's author box",
			``, `<article>` + story + `<aside id="auteur"><div itemscope itemprop="author"><a itemprop="name" rel="author">Bertille Bayart</a><div>journaliste, 5 abonnés</div></div><div itemscope itemprop="author"><a itemprop="name" rel="author">Marie Visot</a></div></aside></article>`, "Bertille Bayart, Marie Visot"},
		{"a columnist listed further on is no co-author",
			``, `<article><span class="author">Laurie Oakes</span>` + story + story + story + `</article><div><span class="author">Joe Hildebrand</span></div>`, "Laurie Oakes"},
		{"one source names every writer, another the first",
			`<meta name="author" value="Howard Schneider, Lindsay Dunsmuir">`, `<article><span class="author">Howard Schneider</span>` + story + `</article>`, "Howard Schneider, Lindsay Dunsmuir"},
		{"a reader's comment is no byline",
			``, story + `<div class="comments"><span class="sf_comment_author">Alcalino</span></div>`, ""},
		{"name, place and date after bars",
			``, `<p><strong>Patricio Candia</strong> | Palma de Mallorca | 08/01/2014</p>` + story, "Patricio Candia"},
		{"a signature element",
			``, `<article><p class="firma"><em>Ángeles Escrivá</em> | <span>Madrid</span></p>` + story + `</article>`, "Ángeles Escrivá"},
		{"a site's desk is no author",
			`<meta name="dc.creator" content="Zone Justice et faits divers - ICI.Radio-Canada.ca"><meta property="og:site_name" content="ICI.Radio-Canada.ca">`, story, ""},
		{"an agency's desks credit the agency",
			`<meta name="author" content="Agenzia ANSA; Redazione ANSA">`, story, "ANSA"},
		{"a teaser's author in a related box, named by trafilatura alone",
			``, `<article><h1>Ferry saved</h1>` + story + `<aside class="entry__related"><article class="entry"><h2><a href="/other">Storm leaves one dead on the coast</a></h2><span class="entry__author">giampiero maggio</span></article><article class="entry"><h2><a href="/more">Snow on the hills</a></h2><span class="entry__author">Valeria Piantoni</span></article></aside>` + story + `</article>`, ""},
		{"the article's author named in a related box too",
			`<meta name="author" content="Christie Wilcox">`, `<article>` + story + `<aside class="entry__related"><span class="entry__author">Christie Wilcox</span></aside></article>`, "Christie Wilcox"},
		{"a press release's issuer",
			``, `<h2>Pressemitteilung</h2><h6>Herausgeber: Nordex SE</h6>` + story, "Nordex SE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := `<html><head><meta property="og:title" content="Ferry saved">` + tt.head + `</head><body>` + tt.body + `</body></html>`
			a, err := Parse("p.html", strings.NewReader(page), Options{URL: "https://news.example.com/a", Now: opts().Now})
			if err != nil {
				t.Fatal(err)
			}
			if a.Author != tt.want {
				t.Errorf("author = %q, want %q", a.Author, tt.want)
			}
		})
	}
}

func TestTags(t *testing.T) {
	var w warnings
	got := cleanTags([]string{"Transport, Harbour Town; news", "#Ferries", "The Coastal Gazette", "Ferry saved", "Nachrichten", strings.Repeat("long ", 10), "新闻、渡轮"},
		[]string{"The Coastal Gazette", "Ferry saved"}, &w)
	if strings.Join(got, "|") != "Transport|Harbour Town|Ferries|渡轮" {
		t.Errorf("tags = %q", got)
	}
	if !w.has("tags") || !strings.Contains(w[0].Message, `"news" (generic)`) || !strings.Contains(w[0].Message, "too long") {
		t.Errorf("warnings = %v", w)
	}

	// A comma-joined article:tag longer than a tag may be no longer
	// rejects the page: it is split, and what is still too long dropped.
	page := `<html><head><meta property="og:title" content="Ferry saved">
<meta property="article:tag" content="Harbour Town council, ferry services to the islands, public transport budgets">
<meta property="article:tag" content="` + strings.Repeat("x", 70) + `"></head>
<body><p>The council voted to keep the ferry.</p></body></html>`
	var warned []string
	a, err := Parse("p.html", strings.NewReader(page), Options{URL: "https://e.example/f", Now: opts().Now, Warn: func(w Warning) { warned = append(warned, w.Message) }})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(a.Tags, "|") != "Harbour Town council|ferry services to the islands|public transport budgets" {
		t.Errorf("tags = %q", a.Tags)
	}
	if !strings.Contains(strings.Join(warned, ";"), "too long") {
		t.Errorf("warnings = %q", warned)
	}

	// An editor's JSON with a too-long tag loses the tag, not the article.
	a, err = Parse("a.json", strings.NewReader(`{"title":"T","url":"https://e.example/","tags":["ok","`+strings.Repeat("x", 65)+`"]}`), opts())
	if err != nil || strings.Join(a.Tags, "|") != "ok" {
		t.Errorf("tags, err = %q, %v", a.Tags, err)
	}
}

func TestLanguage(t *testing.T) {
	tests := []struct{ name, file, in, want string }{
		{"html lang", "p.html", `<html lang="de-AT"><head><meta property="og:title" content="T"></head><body><p>Text.</p></body></html>`, "de"},
		{"content-language", "p.html", `<html><head><meta http-equiv="content-language" content="fr"><meta property="og:title" content="T"></head><body><p>Text.</p></body></html>`, "fr"},
		{"og:locale", "p.html", `<html><head><meta property="og:locale" content="es_ES"><meta property="og:title" content="T"></head><body><p>Text.</p></body></html>`, "es"},
		{"front matter", "a.md", "---\ntitle: T\nurl: https://e.example/\nlang: pt-BR\n---\nTexto.\n", "pt"},
		{"detected in Markdown", "a.md", "---\ntitle: Fähre bleibt\nurl: https://e.example/\n---\nDer Rat hat am Dienstagabend entschieden, dass die Fähre zu den Inseln noch mindestens drei Jahre weiterfährt.\n", "de"},
		{"detected in scraped text", "a.txt", "Фото: архив\n\nПодольски завершил карьеру в сборной\n\nНападающий сборной Германии объявил о завершении карьеры в национальной команде после чемпионата Европы.\n", "ru"},
		{"detected in Chinese", "a.txt", "宇航员在太空中喝酒会怎么样\n\n不幸的是，对于希望能喝上一杯的太空探险者，那些将他们送上太空的政府机构普遍禁止他们染指包括酒在内的含酒精饮料。\n", "zh"},
		{"too short to tell", "a.md", "---\ntitle: T\nurl: https://e.example/\n---\nOk.\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts()
			o.URL = "https://e.example/a"
			a, err := Parse(tt.file, strings.NewReader(tt.in), o)
			if err != nil {
				t.Fatal(err)
			}
			if a.Language != tt.want {
				t.Errorf("language = %q, want %q", a.Language, tt.want)
			}
		})
	}
	for in, want := range map[string]string{"en-US": "en", "en_GB": "en", "DE": "de", "zh-Hant-TW": "zh", "x-default": "", "": "", "klingon!": "", "de-DE,de;q=0.9": "de"} {
		if got := languageTag(in); got != want {
			t.Errorf("languageTag(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDropLeadingMeta(t *testing.T) {
	body := []block{
		{tag: "h2", text: "Ferry saved"},
		{tag: "p", text: "LONDON"},
		{tag: "p", text: "10.11.2021 14:49"},
		{tag: "p", text: "[PR]"},
		{tag: "p", text: "Photo: Gazette staff"},
		{tag: "p", text: "The council voted on Tuesday night to keep the late ferry."},
		{tag: "p", text: "Short line"},
	}
	got := joinBlocks(dropLeadingMeta(body, ""))
	if got != "Ferry saved\n\nThe council voted on Tuesday night to keep the late ferry.\n\nShort line" {
		t.Errorf("body = %q", got)
	}
	// A body with no sentence at all is left whole.
	body = []block{{tag: "p", text: "Menu"}, {tag: "p", text: "Login"}}
	if got := dropLeadingMeta(body, ""); len(got) != 2 {
		t.Errorf("body = %v", got)
	}
}

func TestPageDateWarnings(t *testing.T) {
	page := `<html><head><meta property="og:title" content="Ferry saved"></head><body><article><p>Published 3 March 2024.</p><p>The council voted on Tuesday night to keep the late ferry to the islands running for at least another three years, reversing a plan to cut the service in the autumn, after a long debate.</p><p>The decision followed a petition signed by more than 4,000 residents, many of whom said the late sailing was the only way home for people working evening shifts.</p></article></body></html>`
	got := parseWarn(t, "p.html", page, Options{URL: "https://e.example/news/2024/03/03/ferry"})
	if !strings.Contains(got["date"], "guessed") {
		t.Errorf("date warning = %q", got["date"])
	}
	page = `<html><head><meta property="og:title" content="Ferry saved"><meta property="article:published_time" content="2024-03-03T10:00:00+01:00"></head><body><p>The council voted to keep the ferry.</p></body></html>`
	if got := parseWarn(t, "p.html", page, Options{URL: "https://e.example/f"}); got["date"] != "" {
		t.Errorf("date warning = %q, want none", got["date"])
	}
}

// FuzzFromPage checks that no page makes the HTML reader panic, and that
// what it accepts is a valid article.
func TestRubyReadingsLeftOut(t *testing.T) {
	page := `<html><head><meta property="og:title" content="T"></head><body><p><ruby>子<rp>(</rp><rt>こ</rt><rp>)</rp></ruby>どもへの<ruby>虐待<rt>ぎゃくたい</rt></ruby>をなくすための法律ができました。</p></body></html>`
	a, err := FromPage([]byte(page), "https://e.example/r", opts())
	if err != nil {
		t.Fatal(err)
	}
	if a.Body != "子どもへの虐待をなくすための法律ができました。" {
		t.Errorf("body = %q", a.Body)
	}
}

func TestDescriptionThatIsTheSiteName(t *testing.T) {
	body := []block{{tag: "p", text: "政府が経済対策を決定したことを受け、岸田総理は先ほどから会見を行っています。"}}
	if got := pickDescription("経済対策", []string{"au Webポータル"}, body, "au Webポータル"); got != "" {
		t.Errorf("pickDescription = %q, want none", got)
	}
}

// TestCostlyPage checks that text nested deep enough to make readability
// crawl is read with the page walk instead.
func TestCostlyPage(t *testing.T) {
	page := `<html><head><meta property="og:title" content="T"></head><body>` + strings.Repeat("<div>", 300) +
		`<p>` + strings.Repeat("word ", 60000) + `end.</p></body></html>`
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	if !tooCostly(doc) {
		t.Fatal("a 300 KB paragraph under 300 elements is not too costly")
	}
	a, err := FromPage([]byte(page), "https://e.example/deep", opts())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(a.Body, "word end.") {
		t.Errorf("body ends %q", a.Body[len(a.Body)-20:])
	}
	news, err := os.ReadFile("testdata/news-page.html")
	if err != nil {
		t.Fatal(err)
	}
	if doc, _ := html.Parse(strings.NewReader(string(news))); tooCostly(doc) {
		t.Error("a real article page is too costly")
	}
}

func TestPageTooManyTags(t *testing.T) {
	page := `<html><head><meta property="og:title" content="T"><meta name="keywords" content="` + tagList(35) + `"></head><body><p>Text.</p></body></html>`
	var warned []string
	a, err := Parse("p.html", strings.NewReader(page), Options{URL: "https://e.example/t", Now: opts().Now, Warn: func(w Warning) { warned = append(warned, w.Message) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Tags) != 30 || !strings.Contains(strings.Join(warned, ";"), "dropped 5 tags beyond the first 30") {
		t.Errorf("%d tags, warnings %q", len(a.Tags), warned)
	}
}

// TestLedeIsASentenceOfTheArticle checks issue 9's measure of the lede: a
// real sentence of the article. A description is the lede only when the
// page prints it as the article's opening or standfirst; else the body's
// lead paragraph is, past captions, credits, bylines and kickers.
// TestPressReleaseAuthor checks that a press release credits its issuer
// where it prints a byline, though the issuer is the site itself, and that
// a news page's site crediting itself is still no author.
func TestPressReleaseAuthor(t *testing.T) {
	story := `<p>The association said on Tuesday that approvals for wind farms still take two years on average in most regions.</p>`
	head := `<meta property="og:site_name" content="Wind Energy Association">`
	body := `<article><span class="author">Wind Energy Association</span>` + story + `</article>`
	for _, tt := range []struct{ url, want string }{
		{"https://wind.example.org/presse/pressemitteilungen/approvals/", "Wind Energy Association"},
		{"https://wind.example.org/news/approvals/", ""},
	} {
		page := `<html><head><title>Approvals take too long</title>` + head + `</head><body>` + body + `</body></html>`
		a, err := FromPage([]byte(page), tt.url, opts())
		if err != nil {
			t.Fatal(err)
		}
		if a.Author != tt.want {
			t.Errorf("%s: author = %q, want %q", tt.url, a.Author, tt.want)
		}
	}
}

func TestLedeIsASentenceOfTheArticle(t *testing.T) {
	lead := `<p>The council voted on Tuesday night to keep the late ferry to the islands running for at least another three years.</p>`
	more := `<p>The vote followed a petition signed by four thousand residents of the harbour district and the islands.</p><p>Ferry operators welcomed the decision, which secures forty jobs on the crossing.</p>`
	dek := `<meta property="og:description" content="A long night of debate ends with the service saved for the islands and the town.">`
	tests := []struct{ name, head, body, want string }{
		{"a dek the page does not print", dek, `<article>` + lead + more + `</article>`,
			"The council voted on Tuesday night to keep the late ferry to the islands running for at least another three years."},
		{"a standfirst printed above the body", dek,
			`<div class="preface">A long night of debate ends with the service saved for the islands and the town.</div><article>` + lead + more + `</article>`,
			"A long night of debate ends with the service saved for the islands and the town."},
		{"the same text in a promotion box below", dek,
			`<article>` + lead + more + `</article><div class="promo"><p>A long night of debate ends with the service saved for the islands and the town.</p></div>`,
			"The council voted on Tuesday night to keep the late ferry to the islands running for at least another three years."},
		{"a one-line tagline over the article",
			`<meta property="og:description" content="The islands keep their ferry.">`,
			`<p class="dek">The islands keep their ferry.</p><article>` + lead + more + `</article>`,
			"The council voted on Tuesday night to keep the late ferry to the islands running for at least another three years."},
		{"a description that is the lead", `<meta property="og:description" content="The council voted on Tuesday night to keep the late ferry to the islands running for at least another three years.">`,
			`<article>` + lead + more + `</article>`,
			"The council voted on Tuesday night to keep the late ferry to the islands running for at least another three years."},
		{"a byline line and a name-only line are not the lede", ``,
			`<article><p>حوار: آسيا العتروس</p><p>Ferry Vote.</p>` + lead + more + `</article>`,
			"The council voted on Tuesday night to keep the late ferry to the islands running for at least another three years."},
		{"a sentence opening with Photos is not a credit", ``,
			`<article><p>Photos à l'appui, le journal révèle ce vendredi que le ministre était au restaurant sans masque mercredi soir.</p>` + more + `</article>`,
			"Photos à l'appui, le journal révèle ce vendredi que le ministre était au restaurant sans masque mercredi soir."},
		{"a dispatch opens with its dateline, not its header's summary",
			`<meta property="og:description" content="Ferry operators welcomed the decision, which secures forty jobs on the crossing and more.">`,
			`<div class="lead">Ferry operators welcomed the decision, which secures forty jobs on the crossing and more.</div><article><p>HARBOUR TOWN (Reuters) - The council voted on Tuesday night to keep the late ferry to the islands running.</p>` + more + `</article>`,
			"HARBOUR TOWN (Reuters) - The council voted on Tuesday night to keep the late ferry to the islands running."},
		{"a short kicker with a label is not the lede", ``,
			`<article><p>出国前：政治科目会出啥考题？</p><p>在采访中，我们了解到不少学子在出国前就每年守在电脑前观看两会直播。但是，随着年龄和阅历的增长，学子对两会的关注点在出国前后发生了很大的变化。</p>` + more + `</article>`,
			"在采访中，我们了解到不少学子在出国前就每年守在电脑前观看两会直播。但是，随着年龄和阅历的增长，学子对两会的关注点在出国前后发生了很大的变化。"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := `<html><head><title>Ferry saved</title>` + tt.head + `</head><body><h1>Ferry saved</h1>` + tt.body + `</body></html>`
			a, err := FromPage([]byte(page), "https://news.example.com/ferry", opts())
			if err != nil {
				t.Fatal(err)
			}
			if a.Summary != tt.want {
				t.Errorf("summary = %q\nwant      %q", a.Summary, tt.want)
			}
		})
	}
}
