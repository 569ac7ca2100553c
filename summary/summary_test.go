package summary

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"syndicate"
	"syndicate/textlen"
)

func mastodon(s string) int { return textlen.Mastodon(s, textlen.MastodonURLWeight) }

var (
	forX        = Options{Limit: textlen.XLimit, Count: textlen.X, Hashtags: true}
	forMastodon = Options{Limit: textlen.MastodonDefaultLimit, Count: mastodon, Hashtags: true}
	forBluesky  = Options{Limit: textlen.BlueskyLimit, Count: textlen.Bluesky, Hashtags: true}
)

// The sample article of shared/samples/articles/winbuzzer-trump-cyber-unit.txt,
// as article parsing finds it.
var trumpArticle = syndicate.Article{
	Title:   "Donald Trump Backs down on Plans for Joint Cyber Unit with Russia",
	URL:     "https://winbuzzer.com/2017/07/10/donald-trump-backs-plans-joint-cyber-unit-russia-xcxwbn/",
	Summary: "The U.S. and Russia are often painted as cyber enemies, but that did not stop President Donald Trump from suggesting the two nations could open a joint cybersecurity division. After receiving criticism, the Commander and Chief backed down.",
	Tags:    []string{"Cyber Security", "Donald Trump", "Russia"},
}

func TestComposeSampleForX(t *testing.T) {
	want := "Donald Trump Backs down on Plans for Joint Cyber Unit with Russia\n\n" +
		"The U.S. and Russia are often painted as cyber enemies, but that did not stop President Donald Trump from suggesting the two nations could open a joint cybersecurity division. After…\n\n" +
		"https://winbuzzer.com/2017/07/10/donald-trump-backs-plans-joint-cyber-unit-russia-xcxwbn/"
	got := Compose(trumpArticle, forX)
	if got != want {
		t.Errorf("Compose for X:\n%s\nwant:\n%s", got, want)
	}
	if n := textlen.X(got); n > textlen.XLimit {
		t.Errorf("X length %d > %d", n, textlen.XLimit)
	}
}

func TestComposeSampleForMastodonKeepsEverything(t *testing.T) {
	want := trumpArticle.Title + "\n\n" + trumpArticle.Summary + "\n\n" + trumpArticle.URL + " #CyberSecurity #DonaldTrump #Russia"
	if got := Compose(trumpArticle, forMastodon); got != want {
		t.Errorf("Compose for Mastodon:\n%s\nwant:\n%s", got, want)
	}
}

func TestCompose(t *testing.T) {
	const link = "https://example.com/a"
	tests := []struct {
		name string
		a    syndicate.Article
		o    Options
		want string
	}{
		{
			name: "all parts and valid hashtags only",
			a:    syndicate.Article{Title: "Hello", Summary: "World is big.", URL: link, Tags: []string{"Go", "cyber security", "123", "C++", "go", "a-b", "more"}},
			o:    forX,
			want: "Hello\n\nWorld is big.\n\n" + link + " #Go #CyberSecurity #AB",
		},
		{
			name: "no hashtags unless asked",
			a:    syndicate.Article{Title: "Hello", Summary: "World.", URL: link, Tags: []string{"Go"}},
			o:    Options{Limit: 280, Count: textlen.X},
			want: "Hello\n\nWorld.\n\n" + link,
		},
		{
			name: "zero options mean X",
			a:    syndicate.Article{Title: "Hello", URL: link},
			want: "Hello\n\n" + link,
		},
		{
			name: "whitespace collapsed",
			a:    syndicate.Article{Title: "  Hello \n\t world  ", Summary: "a\u00a0 b\r\n\r\nc", URL: " " + link + "\n"},
			o:    forX,
			want: "Hello world\n\na b c\n\n" + link,
		},
		{
			name: "lede repeating the title loses it",
			a:    syndicate.Article{Title: "Big news", Summary: "Big news: the thing happened.", URL: link},
			o:    forX,
			want: "Big news\n\nthe thing happened.\n\n" + link,
		},
		{
			name: "lede equal to the title is dropped",
			a:    syndicate.Article{Title: "Big news", Summary: "big news", URL: link},
			o:    forX,
			want: "Big news\n\n" + link,
		},
		{
			name: "title only the start of a word in the lede is kept",
			a:    syndicate.Article{Title: "Apple", Summary: "Apples are red.", URL: link},
			o:    forX,
			want: "Apple\n\nApples are red.\n\n" + link,
		},
		{
			name: "empty summary uses the first paragraph",
			a:    syndicate.Article{Title: "T", Body: "\n\nFirst para\nstill first.\n\nSecond para.", URL: link},
			o:    forX,
			want: "T\n\nFirst para still first.\n\n" + link,
		},
		{
			name: "title that is the link is dropped",
			a:    syndicate.Article{Title: link, URL: link},
			o:    forX,
			want: link,
		},
		{
			name: "hashtags dropped when they do not fit",
			a:    syndicate.Article{Title: "Hello", URL: link, Tags: []string{"Verylongtagthatwillnotfit", "Go"}},
			o:    Options{Limit: 34, Count: textlen.X, Hashtags: true},
			want: "Hello\n\n" + link + " #Go",
		},
		{
			name: "hashtags go before the lede is cut",
			a:    syndicate.Article{Title: "Title", Summary: strings.Repeat("word ", 20), URL: link, Tags: []string{"Go"}},
			o:    Options{Limit: 131, Count: textlen.X, Hashtags: true},
			want: "Title\n\n" + strings.TrimSpace(strings.Repeat("word ", 20)) + "\n\n" + link,
		},
		{
			name: "lede cut at a word",
			a:    syndicate.Article{Title: "Title", Summary: "one two three four five six seven eight nine ten eleven twelve, thirteen fourteen", URL: link},
			o:    Options{Limit: 100, Count: textlen.X},
			want: "Title\n\none two three four five six seven eight nine ten eleven twelve…\n\n" + link,
		},
		{
			name: "lede too short to cut is dropped",
			a:    syndicate.Article{Title: "Title", Summary: "one two three four five six seven eight", URL: link},
			o:    Options{Limit: 50, Count: textlen.X},
			want: "Title\n\n" + link,
		},
		{
			name: "title cut when it cannot fit whole",
			a:    syndicate.Article{Title: "The quick brown fox jumps over the lazy dog again and again", Summary: "Lede.", URL: link},
			o:    Options{Limit: 50, Count: textlen.X},
			want: "The quick brown fox…\n\n" + link,
		},
		{
			name: "cjk title cut between characters",
			a:    syndicate.Article{Title: strings.Repeat("日本語", 100), URL: link},
			o:    forX,
			want: strings.Repeat("日本語", 42) + "…\n\n" + link,
		},
		{
			name: "emoji title never split",
			a:    syndicate.Article{Title: strings.Repeat("👨\u200d👩\u200d👧\u200d👦", 200), URL: link},
			o:    forX,
			want: strings.Repeat("👨\u200d👩\u200d👧\u200d👦", 126) + "…\n\n" + link,
		},
		{
			name: "link alone when nothing else fits",
			a:    syndicate.Article{Title: "Title", URL: link},
			o:    Options{Limit: 24, Count: textlen.X},
			want: link,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compose(tt.a, tt.o)
			if got != tt.want {
				t.Errorf("Compose:\n%q\nwant\n%q", got, tt.want)
			}
			o := tt.o
			if o.Count == nil {
				o.Count, o.Limit = textlen.X, textlen.XLimit
			}
			if n := o.Count(got); n > o.Limit {
				t.Errorf("length %d > limit %d", n, o.Limit)
			}
		})
	}
}

func TestHashtag(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"Cyber Security", "#CyberSecurity", true},
		{"cyber-security", "#CyberSecurity", true},
		{"  machine   learning ", "#MachineLearning", true},
		{"golang", "#golang", true},
		{"#Go", "#Go", true},
		{"under_score", "#under_score", true},
		{"Web3", "#Web3", true},
		{"日本", "#日本", true},
		{"Café", "#Café", true},
		{"123", "", false},
		{"12 34", "", false},
		{"_", "", false},
		{"C++", "", false},
		{"Node.js", "", false},
		{"", "", false},
		{"   ", "", false},
		{"#", "", false},
		{"😀", "", false},
	}
	for _, tt := range tests {
		got, ok := Hashtag(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Hashtag(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// pieces are the building blocks of hostile text.
var pieces = []string{
	"word", "another", "Backs", "U.S.", "don't", "e.g.", "(aside)", "“quoted”", "—", "-", ",", ".", "!", "?", "…",
	"supercalifragilisticexpialidociousandthensome", strings.Repeat("x", 70),
	"日本語のテキスト", "故人西辞黄鹤楼", "한국어", "ภาษาไทยไม่มีช่องว่างระหว่างคำเลยจริงๆนะครับ",
	"👨\u200d👩\u200d👧\u200d👦", "🇺🇸🇩🇪", "👍🏽", "1\ufe0f\u20e3", "🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", "❤\ufe0f", "😀😀😀",
	"e\u0301", "Ĺo͂ř", "naïve", "ÅÄÖ", "a\u0324\u0301",
	"https://example.com/some/path?q=1", "example.org", "www.example.net/x", "http://t.co/abc",
	"&", "<b>", "\"", "'", "#hash", "@user",
	" ", "  ", "\n", "\n\n", "\t", "\u00a0", "\u200b", "\u202e",
}

func hostileText(r *rand.Rand, maxPieces int) string {
	var b strings.Builder
	for range r.IntN(maxPieces + 1) {
		b.WriteString(pieces[r.IntN(len(pieces))])
		if r.IntN(3) > 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

func TestComposeHostileInputs(t *testing.T) {
	links := []string{
		"https://example.com/a",
		"https://news.example.co.uk/2024/05/01/" + strings.Repeat("long-slug-", 20) + "?id=42&utm_source=x",
		"https://例え.jp/記事/1",
	}
	type network struct {
		name string
		o    Options
	}
	networks := []network{
		{"x", forX},
		{"x-small", Options{Limit: 60, Count: textlen.X, Hashtags: true}},
		{"mastodon", forMastodon},
		{"mastodon-small", Options{Limit: 90, Count: mastodon, Hashtags: true}},
		{"bluesky", forBluesky},
		{"bluesky-small", Options{Limit: 120, Count: textlen.Bluesky, Hashtags: true}},
	}
	r := rand.New(rand.NewPCG(1, 2)) // fixed seed: the same cases every run
	for i := range 400 {
		a := syndicate.Article{
			Title:   hostileText(r, 1+r.IntN(80)),
			Summary: hostileText(r, r.IntN(150)),
			URL:     links[r.IntN(len(links))],
			Tags:    []string{"Cyber Security", "123", "日本", "C++", "go-lang", "x", "Y"}[:r.IntN(8)],
		}
		switch r.IntN(6) {
		case 0:
			a.Body, a.Summary = "\n\n"+hostileText(r, 100)+"\n\n"+hostileText(r, 50), ""
		case 1:
			a.Title = a.URL // a title that is nothing but the link
		case 2:
			a.Title = strings.Repeat("Long title words ", 25) // 400+ characters
		}
		for _, n := range networks {
			t.Run(fmt.Sprintf("%d-%s", i, n.name), func(t *testing.T) {
				checkPost(t, a, n.o)
			})
		}
	}
}

// checkPost asserts what must hold of any composed post.
func checkPost(t *testing.T, a syndicate.Article, o Options) {
	t.Helper()
	got := Compose(a, o)
	if again := Compose(a, o); again != got {
		t.Fatalf("not deterministic:\n%q\n%q", got, again)
	}
	if !utf8.ValidString(got) {
		t.Fatalf("invalid UTF-8: %q", got)
	}
	link := strings.TrimSpace(a.URL)
	if o.Count(link) <= o.Limit {
		if n := o.Count(got); n > o.Limit {
			t.Errorf("length %d > limit %d:\n%s", n, o.Limit, got)
		}
	} else if got != link {
		t.Errorf("link alone is over the limit, so the post should be just the link; got %q", got)
	}
	blocks := strings.Split(got, "\n\n")
	last := blocks[len(blocks)-1]
	if last != link && !strings.HasPrefix(last, link+" #") {
		t.Fatalf("last block %q is not the link %q and hashtags", last, link)
	}
	if strings.Contains(strings.Join(blocks[:len(blocks)-1], " "), "\n") {
		t.Errorf("whitespace not collapsed: %q", got)
	}
	lede := a.Summary
	if strings.TrimSpace(lede) == "" {
		lede = firstParagraph(a.Body)
	}
	originals := []string{collapseRef(a.Title), collapseRef(lede)}
	for _, b := range blocks[:len(blocks)-1] {
		if b == originals[0] || b == originals[1] {
			continue
		}
		cut, ok := strings.CutSuffix(b, Ellipsis)
		if !ok {
			t.Errorf("block %q is neither whole nor shortened", b)
			continue
		}
		// Punctuation may end it only as a sign of the number or word
		// before it ("5.3%", "C#"), which a cut must keep whole.
		signed := regexp.MustCompile(`[\pL\pN\pM][%‰‱#′″]$`).MatchString(cut)
		if cut == "" || !signed && strings.TrimRightFunc(cut, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) }) != cut {
			t.Errorf("shortened block %q ends in space or punctuation before the ellipsis", b)
		}
		if !cleanCutOfAny(cut, originals) {
			t.Errorf("shortened block %q is not a prefix of the title or lede cut at a grapheme and word boundary\noriginals: %q", b, originals)
		}
	}
}

// collapseRef collapses white space, independently of the code under test.
func collapseRef(s string) string { return strings.Join(strings.Fields(s), " ") }

// cleanCutOfAny reports whether cut is a prefix of one of originals that
// ends at a grapheme boundary and at a word boundary, and not between two
// letters or digits unless one of them is of a script written without
// spaces (never inside a word, however long).
func cleanCutOfAny(cut string, originals []string) bool {
	for _, orig := range originals {
		if !strings.HasPrefix(orig, cut) {
			continue
		}
		if boundaryAt(orig, len(cut), false) && boundaryAt(orig, len(cut), true) && !midWord(orig, len(cut)) {
			return true
		}
	}
	return false
}

// midWord reports whether i lies between two letters, digits or marks of
// s neither of which is Han, kana, Thai or an emoji: inside a word of a
// script written with spaces, as an independent check of the composer.
func midWord(s string, i int) bool {
	if i <= 0 || i >= len(s) {
		return false
	}
	// What the grapheme before i is: its first code point.
	var before rune
	for rest, state := s[:i], -1; rest != ""; {
		var g string
		g, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		before, _ = utf8.DecodeRuneInString(g)
	}
	after, _ := utf8.DecodeRuneInString(s[i:])
	wordy := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) }
	spaceless := func(r rune) bool {
		return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar) || r >= 0x1F000 || r >= 0x2600 && r <= 0x27BF
	}
	return wordy(before) && wordy(after) && !spaceless(before) && !spaceless(after)
}

// boundaryAt reports whether i is a word (or grapheme) boundary of s.
func boundaryAt(s string, i int, words bool) bool {
	pos := 0
	for rest, state := s, -1; rest != "" && pos < i; {
		var seg string
		if words {
			seg, rest, state = uniseg.FirstWordInString(rest, state)
		} else {
			seg, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		}
		pos += len(seg)
	}
	return pos == i
}
