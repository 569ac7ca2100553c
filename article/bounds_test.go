package article

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// hostile are inputs on which goldmark, x/net/html or the scraped-text
// reader once took time quadratic in their size. Each makes a body of
// about size bytes.
var hostile = []struct {
	name, file string
	make       func(size int) string
}{
	{"MarkdownLinkOpeners", "x.md", func(n int) string { return "# Title\n\n" + strings.Repeat("[a](", n/4) }},
	{"MarkdownNestedQuotes", "x.md", func(n int) string { return "# Title\n\n" + strings.Repeat("> ", n/2) + "x" }},
	{"MarkdownNestedLists", "x.md", func(n int) string { return "# Title\n\n" + strings.Repeat("- ", n/2) + "x" }},
	{"MarkdownEmphasis", "x.md", func(n int) string { return "# Title\n\n" + strings.Repeat("_a*", n/3) }},
	{"MarkdownNestedLabels", "x.md", func(n int) string {
		return "# Title\n\n" + strings.Repeat("[", n/2) + strings.Repeat("]", n/2)
	}},
	{"MarkdownManyParagraphs", "x.md", func(n int) string {
		// Each paragraph just under the limit on inline openers.
		p := strings.Repeat("[a](", maxInlineOpeners/3) + strings.Repeat("x", 4000) + "\n\n"
		return "# Title\n\n" + strings.Repeat(p, n/len(p))
	}},
	{"HTMLNested", "x.html", func(n int) string {
		// Each block a sentence, so none reads as a byline or caption.
		deep := strings.Repeat("<div>", 500) + "This is the text of a paragraph." + strings.Repeat("</div>", 500)
		return "<title>Title</title>" + strings.Repeat(deep, n/len(deep)+1)
	}},
	{"HTMLAttributes", "x.html", func(n int) string {
		var b strings.Builder
		b.WriteString("<title>Title</title><p ")
		for i := 0; b.Len() < n; i++ {
			b.WriteString("a" + strconv.Itoa(i) + " ")
		}
		return b.String() + ">text</p>"
	}},
	{"TextWrapped", "x.txt", func(n int) string {
		line := "abcdefghij abcdefghij abcdefghij abcdefghij abcdefghij abcde\n"
		return "Title Line\n\n" + strings.Repeat(line, n/len(line))
	}},
}

// BenchmarkParse parses each hostile input at 100 KB and at 1 MB: the
// second must cost about ten times the first, not a hundred.
func BenchmarkParse(b *testing.B) {
	for _, h := range hostile {
		for _, size := range []struct {
			name string
			n    int
		}{{"100KB", 100 << 10}, {"1MB", 1 << 20}} {
			in := h.make(size.n)
			b.Run(h.name+"/"+size.name, func(b *testing.B) {
				b.SetBytes(int64(len(in)))
				o := opts()
				o.URL = "https://e.example/"
				for b.Loop() {
					if _, err := Parse(h.file, strings.NewReader(in), o); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestHostileInputs checks that every hostile input still gives an article
// with its title and its text.
func TestHostileInputs(t *testing.T) {
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			o := opts()
			o.URL = "https://e.example/"
			a, err := Parse(h.file, strings.NewReader(h.make(100<<10)), o)
			if err != nil {
				t.Fatal(err)
			}
			if a.Title != "Title" && a.Title != "Title Line" {
				t.Errorf("title = %q", a.Title)
			}
			// The text of Markdown and scraped text is most of the input;
			// that of the HTML pages, each "text" they hold.
			in := h.make(100 << 10)
			if strings.HasSuffix(h.file, ".html") {
				if got, want := strings.Count(a.Body, "text"), strings.Count(in, "text"); got != want {
					t.Errorf("body has %d times \"text\", want %d", got, want)
				}
			} else if len(a.Body) < len(in)/2 {
				t.Errorf("body has %d bytes of %d: %.200q", len(a.Body), len(in), a.Body)
			}
		})
	}
}

func TestBoundMarkdown(t *testing.T) {
	links := strings.Repeat("See [a link](https://e.example/a_b) and *this*. ", 40)
	deep := strings.Repeat("> ", maxMarkerNesting+3) + "deep"
	for _, tt := range []struct{ name, in, want string }{
		{"ordinary", "# T\n\nSome *text* with [a link](https://e.example/) and `code_x`.\n\n> quoted\n\n- a\n- b\n", ""},
		{"code is not counted", "```\n" + strings.Repeat("a_b*c[d](e ", 200) + "\n```\n", ""},
		{"thematic break", strings.Repeat("- ", 40) + "\n", ""},
		{"nesting", deep, strings.Repeat("> ", maxMarkerNesting) + `\` + strings.Repeat("> ", 3) + "deep"},
		{"many openers", "# T\n\n" + strings.Repeat("[a](", 100) + "\n\n" + "Fine *text*.\n",
			"# T\n\n" + strings.Repeat(`\[a\]\(`, 100) + "\n\n" + "Fine *text*.\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == "" {
				want = tt.in
			}
			if got := boundMarkdown(tt.in); got != want {
				t.Errorf("boundMarkdown(%.80q) = %.200q, want %.200q", tt.in, got, want)
			}
		})
	}
	// A paragraph with as many links as a real one keeps its links.
	bs, _, err := markdownBlocks(links)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 1 || strings.Contains(bs[0].text, "](") || !strings.HasPrefix(bs[0].text, "See a link and this. ") {
		t.Errorf("blocks = %.200q", bs)
	}
	// Nested past the limit, the text is kept and the rest reads as text.
	bs, _, err = markdownBlocks(deep)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 1 || bs[0].text != "> > > deep" {
		t.Errorf("blocks = %q", bs)
	}
	// A hostile paragraph is shown as written; the one after it is not.
	bs, _, err = markdownBlocks(strings.Repeat("[a](", 100) + "\n\nFine *text*.\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 2 || bs[0].text != strings.Repeat("[a](", 100) || bs[1].text != "Fine text." {
		t.Errorf("blocks = %.200q", bs)
	}
}

func TestDeeperThan(t *testing.T) {
	doc, err := html.Parse(strings.NewReader(strings.Repeat("<div>", 10) + "x"))
	if err != nil {
		t.Fatal(err)
	}
	// document > html > body > 10 divs > text: 13 levels below the document.
	if deeperThan(doc, 13) || !deeperThan(doc, 12) {
		t.Errorf("deeperThan(13), deeperThan(12) = %v, %v; want false, true", deeperThan(doc, 13), deeperThan(doc, 12))
	}
}
