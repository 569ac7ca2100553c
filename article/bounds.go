package article

import (
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"golang.org/x/net/html"
)

// goldmark parses well-formed Markdown in linear time, but several of its
// scans restart at every opener that is never closed, so hostile input costs
// time quadratic in its size: a line of "[a](" repeated (each "(" scans the
// rest of the line for its ")"), "_a*" repeated (emphasis delimiters are
// matched pairwise), "[[[…]]]" (each "]" scans back to its "["), and "> > >
// …" or "- - - …" on one line (each container level measures the line again).
// The limits below bound that work before goldmark sees the text, and are
// far above anything a real article does.
const (
	// maxMarkerNesting is how many block quote and list markers one line
	// may open; markers past it are read as text.
	maxMarkerNesting = 32
	// maxInlineOpeners is how many inline openers and delimiters one
	// paragraph or heading may hold (links, emphasis runs, code-span
	// backticks, "<" of autolinks and raw HTML); a block with more is read
	// as literal text, its markup shown rather than interpreted. A real
	// paragraph with a dozen links and some emphasis has about fifty.
	maxInlineOpeners = 256
)

// blockParser reads only the block structure of Markdown, which is linear
// once nesting is bounded: it finds the paragraphs and headings whose
// inline markup is to be counted, and tells them from code, which is not
// inline-parsed.
var blockParser = parser.NewParser(parser.WithBlockParsers(parser.DefaultBlockParsers()...))

// boundMarkdown returns src with the markup that would make goldmark slow
// turned into text by backslash escapes: container markers past
// maxMarkerNesting on a line, and every ASCII punctuation character of a
// paragraph or heading with more than maxInlineOpeners inline openers. Text
// is never removed: what a
// reader sees of such a block is its source, markup included.
func boundMarkdown(src string) string {
	src = boundNesting(src)
	source := []byte(src)
	doc := blockParser.Parse(text.NewReader(source))
	var literal []text.Segment
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || n.Type() != ast.TypeBlock || n.IsRaw() {
			return ast.WalkContinue, nil
		}
		lines := n.Lines()
		if lines == nil || lines.Len() == 0 {
			return ast.WalkContinue, nil
		}
		count := 0
		for i := 0; i < lines.Len(); i++ {
			s := lines.At(i)
			count += inlineOpeners(source[s.Start:s.Stop])
		}
		if count > maxInlineOpeners {
			for i := 0; i < lines.Len(); i++ {
				literal = append(literal, lines.At(i))
			}
		}
		return ast.WalkContinue, nil
	})
	if err != nil || len(literal) == 0 {
		// The walk function returns no error.
		return src
	}
	var b strings.Builder
	b.Grow(len(src) + len(src)/4)
	last := 0
	for _, s := range literal {
		if s.Start < last {
			continue // segments are in document order and never overlap
		}
		b.WriteString(src[last:s.Start])
		for i := s.Start; i < s.Stop; i++ {
			if isASCIIPunct(src[i]) {
				b.WriteByte('\\')
			}
			b.WriteByte(src[i])
		}
		last = s.Stop
	}
	b.WriteString(src[last:])
	return b.String()
}

// inlineOpeners counts what in line may start an inline scan in goldmark:
// each "[", "]", "<" and "(", and each run of "*", "_", "~" or "`".
func inlineOpeners(line []byte) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; c {
		case '[', ']', '<', '(':
			n++
		case '*', '_', '~', '`':
			n++
			for i+1 < len(line) && line[i+1] == c {
				i++
			}
		}
	}
	return n
}

// boundNesting escapes the block quote and list markers that open more
// than maxMarkerNesting containers on one line. A thematic break ("- - -")
// is left alone.
func boundNesting(src string) string {
	var cuts []int // offsets in src where a backslash goes
	for off := 0; off < len(src); {
		line := src[off:]
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		if cut := nestingCut(line); cut >= 0 {
			cuts = append(cuts, off+cut)
		}
		off += len(line) + 1
	}
	if len(cuts) == 0 {
		return src
	}
	var b strings.Builder
	b.Grow(len(src) + len(cuts))
	last := 0
	for _, c := range cuts {
		b.WriteString(src[last:c])
		b.WriteByte('\\')
		last = c
	}
	b.WriteString(src[last:])
	return b.String()
}

// nestingCut returns the offset of the first container marker on line past
// maxMarkerNesting, or -1 if there is none.
func nestingCut(line string) int {
	if len(line) <= maxMarkerNesting || isThematicBreak(line) {
		return -1
	}
	i, depth := 0, 0
	for i < len(line) {
		for j := 0; j < 3 && i < len(line) && line[i] == ' '; j++ {
			i++
		}
		end := markerEnd(line, i)
		if end < 0 {
			return -1
		}
		if depth == maxMarkerNesting {
			return i
		}
		depth++
		i = end
	}
	return -1
}

// markerEnd returns the offset after the container marker at line[i:] (">",
// "- ", "* ", "+ ", "1. ", "1) ") and one space after it, or -1 if there is
// none there.
func markerEnd(line string, i int) int {
	if i >= len(line) {
		return -1
	}
	space := func(j int) bool { return j < len(line) && (line[j] == ' ' || line[j] == '\t') }
	switch c := line[i]; {
	case c == '>':
		if space(i + 1) {
			return i + 2
		}
		return i + 1
	case c == '-' || c == '*' || c == '+':
		if space(i + 1) {
			return i + 2
		}
	case c >= '0' && c <= '9':
		j := i
		for j < len(line) && j-i < 9 && line[j] >= '0' && line[j] <= '9' {
			j++
		}
		if j < len(line) && (line[j] == '.' || line[j] == ')') && space(j+1) {
			return j + 2
		}
	}
	return -1
}

// isThematicBreak reports whether line is only "-", "*" or "_" (one of
// them, three or more) and white space.
func isThematicBreak(line string) bool {
	t := strings.TrimSpace(line)
	if len(t) < 3 || !strings.ContainsRune("-*_", rune(t[0])) {
		return false
	}
	n := 0
	for i := 0; i < len(t); i++ {
		switch t[i] {
		case t[0]:
			n++
		case ' ', '\t':
		default:
			return false
		}
	}
	return n >= 3
}

// isASCIIPunct reports whether c is ASCII punctuation, which a backslash
// escapes in Markdown.
func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

// maxReadableDepth bounds the nesting of the pages readability is run on,
// as maxReadableElements bounds their size: its cleaning passes look at
// every ancestor of every element, so 50 000 elements 500 deep (x/net/html
// allows 512) cost seconds. Real pages nest 20 to 60 deep; a deeper one is
// read with the simpler page walk, which is linear.
const maxReadableDepth = 128

// deeperThan reports whether any node under n is nested more than limit
// levels below it.
func deeperThan(n *html.Node, limit int) bool {
	if limit < 0 {
		return true
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if deeperThan(c, limit-1) {
			return true
		}
	}
	return false
}
