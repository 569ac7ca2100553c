package templates

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"syndicate"
)

// Lengths, in characters, of what is cut from an article for the inbox.
const (
	maxHeadline  = 80  // the lead headline in a digest's subject
	maxPreheader = 150 // the preview line most inboxes show after the subject
)

// lede returns the inbox preview line of an email led by a: its summary
// (the lede or an editor's summary), else its body's first paragraph,
// shortened at a word boundary.
func lede(a syndicate.Article) string {
	s := a.Summary
	if strings.TrimSpace(s) == "" {
		if ps := paragraphs(a.Body); len(ps) > 0 {
			s = ps[0]
		}
	}
	return shorten(oneLine(s), maxPreheader)
}

// headline returns a's title for a subject: one line, shortened, and
// isolated when it is written right to left, so that the Latin words
// around it ("Brand: …, and 4 more") keep their order.
func headline(a syndicate.Article) string {
	h := shorten(oneLine(a.Title), maxHeadline)
	if a.Dir() == "rtl" {
		return "\u2068" + h + "\u2069" // FIRST STRONG ISOLATE … POP DIRECTIONAL ISOLATE
	}
	return h
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// shorten returns s if it has at most max characters, else a prefix of it
// and "…". It ends before a word that does not fit, never inside it; text
// without spaces (Chinese, Japanese) is cut between characters, but not
// inside a run of Latin letters or digits, nor before a combining mark.
func shorten(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	rs := []rune(s)
	cut := max - 1 // room for the ellipsis
	if sp := lastSpace(rs[:cut+1]); sp > cut/2 {
		return strings.TrimRight(string(rs[:sp]), " ,;:-–—") + "…"
	}
	for cut > 0 && (unicode.Is(unicode.Mn, rs[cut]) || (latin(rs[cut-1]) && latin(rs[cut]))) {
		cut--
	}
	if cut == 0 {
		cut = max - 1 // one long word: nothing better than cutting it
	}
	return strings.TrimRight(string(rs[:cut]), " ") + "…"
}

func lastSpace(rs []rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if unicode.IsSpace(rs[i]) {
			return i
		}
	}
	return -1
}

// latin reports whether r belongs to a word written with spaces between
// words (Latin, Greek, Cyrillic letters, digits).
func latin(r rune) bool {
	return r < 0x2E80 && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// paragraphs splits an article body (plain text, blank-line separated)
// into its paragraphs, each with its lines trimmed and runs of spaces
// collapsed; a list keeps one item per line.
func paragraphs(body string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		var ls []string
		for _, l := range strings.Split(p, "\n") {
			if l = oneLine(l); l != "" {
				ls = append(ls, l)
			}
		}
		if len(ls) > 0 {
			out = append(out, strings.Join(ls, "\n"))
		}
	}
	return out
}

// The colours the default templates put text and links on.
var (
	white    = rgb{255, 255, 255}
	darkCard = rgb{0x1f, 0x29, 0x37} // the card in dark mode (#1f2937)
)

// minContrast is WCAG 2's AA contrast for body text.
const minContrast = 4.5

// accents returns the accent colour for links on white and white text on
// buttons, and the link colour for the dark-mode card: the brand colour
// darkened, or lightened, just enough to read at 4.5:1. A colour that is
// not #rgb, #rrggbb or a basic CSS colour name gives the default accent.
func accents(brand string) (accent, linkDark string) {
	c, ok := parseColor(brand)
	if !ok {
		c, _ = parseColor(defaultAccent)
	}
	a := c
	for i := 1; contrast(a, white) < minContrast && i <= 20; i++ {
		a = c.mix(rgb{}, float64(i)/20)
	}
	d := c
	for i := 1; contrast(d, darkCard) < minContrast && i <= 20; i++ {
		d = c.mix(white, float64(i)/20)
	}
	return a.String(), d.String()
}

type rgb struct{ r, g, b uint8 }

func (c rgb) String() string { return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b) }

// mix returns c moved the fraction t of the way to o.
func (c rgb) mix(o rgb, t float64) rgb {
	m := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + (float64(b)-float64(a))*t)) }
	return rgb{m(c.r, o.r), m(c.g, o.g), m(c.b, o.b)}
}

// luminance is WCAG 2's relative luminance.
func (c rgb) luminance() float64 {
	ch := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(c.r) + 0.7152*ch(c.g) + 0.0722*ch(c.b)
}

// contrast is WCAG 2's contrast ratio of two colours, 1 to 21.
func contrast(a, b rgb) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// namedColors are the basic CSS colour names a brand colour may be.
var namedColors = map[string]string{
	"black": "#000000", "silver": "#c0c0c0", "gray": "#808080", "grey": "#808080", "white": "#ffffff",
	"maroon": "#800000", "red": "#ff0000", "purple": "#800080", "fuchsia": "#ff00ff", "green": "#008000",
	"lime": "#00ff00", "olive": "#808000", "yellow": "#ffff00", "navy": "#000080", "blue": "#0000ff",
	"teal": "#008080", "aqua": "#00ffff", "orange": "#ffa500", "crimson": "#dc143c", "indigo": "#4b0082",
	"darkgreen": "#006400", "darkblue": "#00008b", "darkred": "#8b0000", "royalblue": "#4169e1",
	"steelblue": "#4682b4", "seagreen": "#2e8b57", "tomato": "#ff6347", "rebeccapurple": "#663399",
}

// parseColor reads "#rgb", "#rrggbb" or a name from namedColors.
func parseColor(s string) (rgb, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if hex, ok := namedColors[s]; ok {
		s = hex
	}
	if !cssColor.MatchString(s) || !strings.HasPrefix(s, "#") {
		return rgb{}, false
	}
	s = s[1:]
	if len(s) == 3 {
		s = string([]byte{s[0], s[0], s[1], s[1], s[2], s[2]})
	}
	n, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		return rgb{}, false
	}
	return rgb{uint8(n >> 16), uint8(n >> 8), uint8(n)}, true
}
