package summary

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/rivo/uniseg"

	"syndicate/textlen"
)

// Real-looking titles and ledes, as newsrooms publish them.
var scripts = []struct {
	lang, title, lede string
}{
	{"de",
		"Bundestag beschließt Staatsangehörigkeitsmodernisierungsgesetz nach monatelanger Debatte",
		"Die Ampelkoalition hat das umstrittene Einbürgerungserleichterungsgesetz verabschiedet. Künftig sollen Einbürgerungen bereits nach fünf statt acht Jahren möglich sein; Mehrstaatigkeit wird grundsätzlich erlaubt. Die Union kündigte Widerstand im Bundesrat an und kritisierte die Neuregelung als Entwertung der Staatsbürgerschaft, die Grünen sprachen von einem überfälligen Schritt."},
	{"ja",
		"政府、総額２１兆円の経済対策を閣議決定　低所得世帯に給付金",
		"政府は２０日、新たな経済対策を閣議決定した。物価高への対応として、低所得世帯への給付金やガソリン補助金の延長を盛り込み、総額は約２１兆円に上る。岸田首相は記者会見で「賃上げの流れを確実なものにする」と強調し、年内の補正予算案成立を目指す考えを示した。野党は「選挙目当てのばらまきだ」と批判している。財源の多くは国債の追加発行で賄う見通しで、財政規律を懸念する声も上がっている。"},
	{"zh",
		"国家统计局：一季度国内生产总值同比增长5.3%",
		"国家统计局15日发布数据显示，一季度国内生产总值同比增长5.3%，比上年四季度环比增长1.6%。其中，规模以上工业增加值同比增长6.1%，社会消费品零售总额增长4.7%，服务业生产指数增长5.0%。国家统计局新闻发言人表示，国民经济开局良好，但外部环境复杂性、严峻性、不确定性上升，经济持续回升向好的基础还需巩固。"},
	{"zh-nopunct",
		"苹果发布iPhone15Pro搭载A17Pro芯片",
		"苹果公司在加州库比蒂诺总部举行秋季新品发布会正式推出iPhone15Pro和iPhone15ProMax两款新机搭载全新A17Pro芯片采用台积电3纳米工艺首次支持USB-C接口起售价7999元人民币将于9月22日在中国大陆等首批国家和地区正式发售分析人士认为新机将帮助苹果在高端市场进一步扩大份额并应对华为Mate60系列带来的竞争压力"},
	{"ar",
		"وزارة الصحة تطلق حملة وطنية للتطعيم ضد الإنفلونزا الموسمية",
		"أعلنت وزارة الصحة السعودية اليوم الأحد عن إطلاق حملة وطنية شاملة للتطعيم ضد الإنفلونزا الموسمية، تستهدف أكثر من عشرة ملايين مواطن ومقيم في جميع مناطق المملكة. وأوضحت الوزارة أن اللقاح متوفر مجاناً في أكثر من ألفي مركز صحي، داعيةً كبار السن والمصابين بالأمراض المزمنة إلى المبادرة بأخذه قبل ذروة الموسم."},
	{"ru",
		"ЦБ неожиданно повысил ключевую ставку до 16% годовых",
		"Центральный банк России на внеочередном заседании совета директоров повысил ключевую ставку сразу на 350 базисных пунктов, до 16% годовых, сообщила пресс-служба регулятора. Решение принято на фоне резкого ослабления рубля и ускорения инфляции; аналитики не исключают дальнейшего ужесточения денежно-кредитной политики до конца года."},
}

// longLink is a 300-character, percent-encoded link: a Japanese slug.
var longLink = func() string {
	s := "https://www.nikkei.com/article/DGXZQOUA190/" + url.PathEscape("経済対策を閣議決定　低所得世帯に給付金") + "?utm_source=rss&ref="
	return s + strings.Repeat("x", 300-len(s))
}()

// forBlueskyShort is Bluesky as the jobs package fits it: the link shown
// short, the URL in a facet.
var forBlueskyShort = Options{Limit: textlen.BlueskyLimit, Count: textlen.Bluesky, MaxBytes: textlen.BlueskyMaxBytes, LinkText: ShortLink}

// latinRun is a Latin word or number with its inner joiners, which a cut
// in CJK text must leave whole.
var latinRun = regexp.MustCompile(`[A-Za-z0-9０-９][A-Za-z0-9０-９.,%\-+]*[A-Za-z0-9０-９%]|[A-Za-z0-9０-９]`)

func TestComposeScripts(t *testing.T) {
	networks := []channel{
		{"x", Options{Limit: textlen.XLimit, Count: textlen.X}},
		{"x-small", Options{Limit: 140, Count: textlen.X}},
		{"mastodon", Options{Limit: textlen.MastodonDefaultLimit, Count: mastodon}},
		{"mastodon-small", Options{Limit: 160, Count: mastodon}},
		{"bluesky", forBlueskyShort},
		{"bluesky-small", Options{Limit: 150, Count: textlen.Bluesky, MaxBytes: textlen.BlueskyMaxBytes, LinkText: ShortLink}},
	}
	links := []string{"https://example.com/2026/03/20/story", longLink}
	for _, sc := range scripts {
		for _, link := range links {
			for _, n := range networks {
				t.Run(fmt.Sprintf("%s/%s/%d", sc.lang, n.name, len(link)), func(t *testing.T) {
					f := Fields{Title: sc.title, Summary: sc.lede, URL: link}
					got, err := ComposeWith(Layout, f, n.o)
					if err != nil {
						t.Fatal(err)
					}
					if c := n.o.Count(got); c > n.o.Limit || len(got) > textlen.BlueskyMaxBytes {
						t.Errorf("length %d > %d (%d bytes):\n%s", c, n.o.Limit, len(got), got)
					}
					shown := n.o.shownLink(link)
					blocks := strings.Split(got, "\n\n")
					if blocks[len(blocks)-1] != shown {
						t.Fatalf("last block %q is not the link %q", blocks[len(blocks)-1], shown)
					}
					if len(blocks) < 2 {
						t.Errorf("a long link ate the whole post:\n%s", got)
					}
					// The lede goes first, so a post of two blocks has the title.
					for i, b := range blocks[:len(blocks)-1] {
						checkScriptCut(t, b, collapseRef([]string{sc.title, sc.lede}[i]))
					}
				})
			}
		}
	}
}

// checkScriptCut asserts that b is orig, or orig cut before a word it
// could not keep whole: at a word boundary, not inside a word of a script
// with spaces, not inside a Latin run in CJK text.
func checkScriptCut(t *testing.T, b, orig string) {
	t.Helper()
	if b == orig {
		return
	}
	cut, ok := strings.CutSuffix(b, Ellipsis)
	if !ok || !strings.HasPrefix(orig, cut) {
		t.Errorf("block %q is not %q whole or shortened", b, orig)
		return
	}
	if !cleanCutOfAny(cut, []string{orig}) {
		t.Errorf("block %q is cut inside a word of %q", b, orig)
	}
	// The word the cut ends is whole: what follows it is a space,
	// punctuation or a character of a script without spaces.
	rest := strings.TrimLeftFunc(orig[len(cut):], func(r rune) bool { return unicode.IsPunct(r) && r != '%' })
	if r := []rune(rest + " ")[0]; !unicode.IsSpace(r) && !standalone(r) && !standalone([]rune(cut)[len([]rune(cut))-1]) {
		t.Errorf("block %q ends inside a word: %q follows in %q", b, rest[:min(len(rest), 20)], orig)
	}
	for _, m := range latinRun.FindAllStringIndex(orig, -1) {
		if m[0] < len(cut) && len(cut) < m[1] {
			t.Errorf("block %q cuts the Latin run %q", b, orig[m[0]:m[1]])
		}
	}
}

// xFit is the X limit at which a post "T", a lede and link (each URL 23)
// leaves exactly room for keep and the ellipsis.
func xFit(keep string) Options {
	return Options{Limit: textlen.X("T\n\n"+keep+Ellipsis+"\n\n") + 23, Count: textlen.X}
}

func TestComposeNeverCutsInsideAWord(t *testing.T) {
	const link = "https://example.com/a"
	tests := []struct {
		name, title, lede string
		o                 Options
		want              string
	}{
		{
			name:  "german compound that does not fit ends the title before it",
			title: "Neues Einbürgerungserleichterungsgesetz tritt in Kraft",
			o:     Options{Limit: 50, Count: textlen.X}, // room for "Neues Einbürgerungserle…"
			want:  "Neues…\n\n" + link,
		},
		{
			name:  "a title that is one word too long to fit goes whole",
			title: "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft",
			o:     Options{Limit: 60, Count: textlen.X},
			want:  link,
		},
		{
			name:  "russian hyphenated word stays whole",
			title: "T",
			lede:  "Решение о повышении ставки сообщила вчера вечером пресс-служба регулятора.",
			o:     xFit("Решение о повышении ставки сообщила вчера вечером пресс-слу"),
			want:  "T\n\nРешение о повышении ставки сообщила вчера вечером…\n\n" + link,
		},
		{
			name:  "arabic cut between words",
			title: "T",
			lede:  "أعلنت وزارة الصحة السعودية اليوم عن إطلاق حملة وطنية للتطعيم",
			o:     xFit("أعلنت وزارة الصحة السعودية اليوم عن إطلاق حم"),
			want:  "T\n\nأعلنت وزارة الصحة السعودية اليوم عن إطلاق…\n\n" + link,
		},
		{
			name:  "japanese cut after the full stop in reach",
			title: "T",
			lede:  "政府は２０日、物価高に対応する総額２１兆円規模の新たな経済対策を閣議決定した。低所得世帯への給付金やガソリン補助金の延長を盛り込んだ",
			o:     xFit("政府は２０日、物価高に対応する総額２１兆円規模の新たな経済対策を閣議決定した。低所得世帯への給"),
			want:  "T\n\n政府は２０日、物価高に対応する総額２１兆円規模の新たな経済対策を閣議決定した…\n\n" + link,
		},
		{
			name:  "japanese cut between characters when no punctuation is in reach",
			title: "T",
			lede:  "政府は２０日、物価高に対応する総額２１兆円規模の新たな経済対策を閣議決定し低所得世帯への給付金やガソリン補助金の延長と電気ガス料金の負担軽減策を盛り込んだ",
			o:     xFit("政府は２０日、物価高に対応する総額２１兆円規模の新たな経済対策を閣議決定し低所得世帯への給付金やガソリン補助金の延長と電気"),
			want:  "T\n\n政府は２０日、物価高に対応する総額２１兆円規模の新たな経済対策を閣議決定し低所得世帯への給付金やガソリン補助金の延長と電気…\n\n" + link,
		},
		{
			name:  "chinese cut after the comma in reach, the percentage whole",
			title: "T",
			lede:  "国家统计局15日发布数据显示，一季度国内生产总值同比增长5.3%，比上年四季度环比增长1.6%",
			o:     xFit("国家统计局15日发布数据显示，一季度国内生产总值同比增长5.3%，比上年四"),
			want:  "T\n\n国家统计局15日发布数据显示，一季度国内生产总值同比增长5.3%…\n\n" + link,
		},
		{
			name:  "chinese without punctuation ends before an embedded latin word",
			title: "T",
			lede:  "美国当地时间周二苹果公司在加州库比蒂诺总部举行秋季新品发布会正式推出iPhone15Pro和iPhone15ProMax两款新机",
			o:     xFit("美国当地时间周二苹果公司在加州库比蒂诺总部举行秋季新品发布会正式推出iPhone15"),
			want:  "T\n\n美国当地时间周二苹果公司在加州库比蒂诺总部举行秋季新品发布会正式推出…\n\n" + link,
		},
		{
			name:  "chinese without punctuation keeps a hyphenated latin run whole",
			title: "T",
			lede:  "美国当地时间周二苹果公司在加州库比蒂诺总部举行秋季新品发布会宣布新机首次支持USB-C接口",
			o:     xFit("美国当地时间周二苹果公司在加州库比蒂诺总部举行秋季新品发布会宣布新机首次支持USB-"),
			want:  "T\n\n美国当地时间周二苹果公司在加州库比蒂诺总部举行秋季新品发布会宣布新机首次支持…\n\n" + link,
		},
		{
			name:  "chinese without punctuation keeps a number whole",
			title: "T",
			lede:  "美国当地时间周二苹果公司在加州库比蒂诺总部举行秋季新品发布会新机起售价7999元人民币",
			o:     xFit("美国当地时间周二苹果公司在加州库比蒂诺总部举行秋季新品发布会新机起售价79"),
			want:  "T\n\n美国当地时间周二苹果公司在加州库比蒂诺总部举行秋季新品发布会新机起售价…\n\n" + link,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ComposeWith(Layout, Fields{Title: tt.title, Summary: tt.lede, URL: link}, tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
			if n := tt.o.Count(got); n > tt.o.Limit {
				t.Errorf("length %d > %d", n, tt.o.Limit)
			}
		})
	}
}

func TestShortLink(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.com", "example.com"},
		{"https://example.com/", "example.com"},
		{"http://Example.COM/a/b", "example.com/a/b"},
		{"https://example.com/exactly-15-chr", "example.com/exactly-15-chr"}, // "/exactly-15-chr" is 15
		{"https://example.com/2026/03/20/harbour-wall-approved", "example.com/2026/03/20/h…"},
		{"https://example.com:8443/a?b=1", "example.com:8443/a?b=1"},
		{"https://ja.wikipedia.org/wiki/%E6%97%A5%E6%9C%AC%E8%AA%9E%E3%81%AE%E6%AD%B4%E5%8F%B2", "ja.wikipedia.org/wiki/日本語の歴史"},
		{"https://ja.wikipedia.org/wiki/%E6%97%A5%E6%9C%AC%E8%AA%9E%E3%81%AE%E6%AD%B4%E5%8F%B2%E3%81%A8%E6%96%87%E5%8C%96", "ja.wikipedia.org/wiki/日本語の歴史と文化"}, // 15
		{"https://ja.wikipedia.org/wiki/%E6%97%A5%E6%9C%AC%E8%AA%9E%E3%81%AE%E6%AD%B4%E5%8F%B2%E3%81%A8%E6%96%87%E5%8C%96%E5%8F%B2", "ja.wikipedia.org/wiki/日本語の歴史と…"},
		{"https://xn--r8jz45g.jp/%E8%A8%98%E4%BA%8B/1", "例え.jp/記事/1"},
		{"https://例え.jp/記事/1", "例え.jp/記事/1"},
		{"https://example.com/a%0Ab%E2%80%AEc", "example.com/a%0Ab%E2%80…"}, // a decoded newline or bidi override never reaches the post, and an escape is not split
		{"https://example.com/%e2%80%ae", "example.com/%e2%80%ae"},
		{"https://example.com/%ZZ", "https://example.com/%ZZ"}, // not a URL
		{"mailto:a@example.com", "mailto:a@example.com"},
		{"not a url", "not a url"},
	}
	for _, tt := range tests {
		if got := ShortLink(tt.in); got != tt.want {
			t.Errorf("ShortLink(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestComposeLinkTextKeepsTheLede(t *testing.T) {
	// A 300-character link alone fills a Bluesky post; shown short, the
	// title and lede keep their room, and the post counts the short text.
	f := Fields{Title: scripts[0].title, Summary: scripts[0].lede, URL: longLink}
	without, err := ComposeWith(Layout, f, Options{Limit: textlen.BlueskyLimit, Count: textlen.Bluesky, MaxBytes: textlen.BlueskyMaxBytes})
	if err != nil {
		t.Fatal(err)
	}
	if without != longLink {
		t.Fatalf("without LinkText the post should be the link alone; got %q", without)
	}
	got, err := ComposeWith(Layout, f, forBlueskyShort)
	if err != nil {
		t.Fatal(err)
	}
	short := ShortLink(longLink)
	if !strings.HasSuffix(got, "\n\n"+short) || strings.Contains(got, longLink) {
		t.Errorf("post does not end with the short link %q alone:\n%s", short, got)
	}
	blocks := strings.Split(got, "\n\n")
	if len(blocks) != 3 || blocks[0] != scripts[0].title || !strings.HasSuffix(blocks[1], Ellipsis) {
		t.Errorf("want the title whole and the lede shortened; got\n%s", got)
	}
	if n := textlen.Bluesky(got); n > textlen.BlueskyLimit || n < textlen.BlueskyLimit-20 {
		t.Errorf("length %d: want the lede to fill the post to near %d", n, textlen.BlueskyLimit)
	}
	// A template that prints the link only as it is would be refused.
	if _, err := ComposeWith(func(f Fields) (string, error) { return longLink, nil }, f, forBlueskyShort); err == nil {
		t.Error("a template that left out the shown link was not refused")
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"  short \n text ", 20, "short text"},
		{"Neues Einbürgerungserleichterungsgesetz tritt in Kraft", 30, "Neues…"},
		{"Einbürgerungserleichterungsgesetz", 20, ""},
		{"政府は２０日、新たな経済対策を閣議決定した。物価高への対応として", 25, "政府は２０日、新たな経済対策を閣議決定した…"},
	}
	for _, tt := range tests {
		got := Clip(tt.in, tt.n)
		if got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
		if uniseg.GraphemeClusterCount(got) > tt.n {
			t.Errorf("Clip(%q, %d) is %d graphemes", tt.in, tt.n, uniseg.GraphemeClusterCount(got))
		}
	}
}
