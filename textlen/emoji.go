package textlen

import (
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

const (
	zwj          = '\u200D'
	emojiStyle   = '\uFE0F' // VS16: show as emoji
	textStyle    = '\uFE0E' // VS15: show as text
	keycap       = '\u20E3'
	tagEnd       = '\U000E007F'
	tagFirst     = '\U000E0020'
	tagLast      = '\U000E007E'
	modifierLow  = '\U0001F3FB' // skin tones
	modifierHigh = '\U0001F3FF'
	riLow        = '\U0001F1E6' // regional indicators, pairs make flags
	riHigh       = '\U0001F1FF'
)

// emojiLen returns the length in bytes of the emoji sequence at the start of
// s, or 0 if s does not start with one. X counts such a sequence once, as
// its twemoji parser finds it: a pictograph with its presentation selector,
// skin tone, tag sequence (subdivision flags) and ZWJ-joined followers; a
// flag (a pair of regional indicators); a keycap. The sequence never extends
// past the grapheme cluster, so a combining mark after an emoji is counted
// on its own, as twemoji leaves it.
//
// twemoji knows its sequences by list; this follows their grammar instead.
// The two differ only for well-formed sequences twemoji does not draw (an
// unlisted ZWJ combination or flag), which X would count per part, and for
// a text-default pictograph such as © without a selector, counted here as
// an emoji (2, the safe side) where twemoji may see text (1).
func emojiLen(s string) int {
	cluster, _, _, _ := uniseg.FirstGraphemeClusterInString(s, -1)
	r0, n := utf8.DecodeRuneInString(cluster)
	next := func() rune {
		if n >= len(cluster) {
			return -1
		}
		r, _ := utf8.DecodeRuneInString(cluster[n:])
		return r
	}
	advance := func() {
		_, size := utf8.DecodeRuneInString(cluster[n:])
		n += size
	}
	switch {
	case r0 >= riLow && r0 <= riHigh:
		if r := next(); r >= riLow && r <= riHigh {
			advance()
		}
		return n
	case r0 == '#' || r0 == '*' || (r0 >= '0' && r0 <= '9'):
		if next() == emojiStyle {
			advance()
		}
		if next() != keycap {
			return 0
		}
		advance()
		return n
	case isPictographic(r0), isModifier(r0):
		if next() == textStyle {
			return 0 // asked to be shown as text
		}
		for {
			if next() == emojiStyle {
				advance()
			}
			if isModifier(next()) {
				advance()
			}
			if isTag(next()) {
				save := n
				for isTag(next()) {
					advance()
				}
				if next() != tagEnd {
					return save // not a complete tag sequence
				}
				advance()
			}
			if next() != zwj {
				return n
			}
			save := n
			advance()
			if r := next(); !isPictographic(r) && !isModifier(r) {
				return save // a joiner with nothing to join
			}
			advance()
		}
	}
	return 0
}

func isModifier(r rune) bool { return r >= modifierLow && r <= modifierHigh }

func isTag(r rune) bool { return r >= tagFirst && r <= tagLast }

// pictographic holds the ranges of Unicode's Extended_Pictographic property
// (emoji-data.txt), the characters that can be or start an emoji.
var pictographic = [][2]rune{
	{0x00A9, 0x00A9}, {0x00AE, 0x00AE}, {0x203C, 0x203C}, {0x2049, 0x2049},
	{0x2122, 0x2122}, {0x2139, 0x2139}, {0x2194, 0x2199}, {0x21A9, 0x21AA},
	{0x231A, 0x231B}, {0x2328, 0x2328}, {0x2388, 0x2388}, {0x23CF, 0x23CF},
	{0x23E9, 0x23F3}, {0x23F8, 0x23FA}, {0x24C2, 0x24C2}, {0x25AA, 0x25AB},
	{0x25B6, 0x25B6}, {0x25C0, 0x25C0}, {0x25FB, 0x25FE}, {0x2600, 0x2605},
	{0x2607, 0x2612}, {0x2614, 0x2685}, {0x2690, 0x2705}, {0x2708, 0x2712},
	{0x2714, 0x2714}, {0x2716, 0x2716}, {0x271D, 0x271D}, {0x2721, 0x2721},
	{0x2728, 0x2728}, {0x2733, 0x2734}, {0x2744, 0x2744}, {0x2747, 0x2747},
	{0x274C, 0x274C}, {0x274E, 0x274E}, {0x2753, 0x2755}, {0x2757, 0x2757},
	{0x2763, 0x2767}, {0x2795, 0x2797}, {0x27A1, 0x27A1}, {0x27B0, 0x27B0},
	{0x27BF, 0x27BF}, {0x2934, 0x2935}, {0x2B05, 0x2B07}, {0x2B1B, 0x2B1C},
	{0x2B50, 0x2B50}, {0x2B55, 0x2B55}, {0x3030, 0x3030}, {0x303D, 0x303D},
	{0x3297, 0x3297}, {0x3299, 0x3299}, {0x1F000, 0x1F0FF}, {0x1F10D, 0x1F10F},
	{0x1F12F, 0x1F12F}, {0x1F16C, 0x1F171}, {0x1F17E, 0x1F17F}, {0x1F18E, 0x1F18E},
	{0x1F191, 0x1F19A}, {0x1F1AD, 0x1F1E5}, {0x1F201, 0x1F20F}, {0x1F21A, 0x1F21A},
	{0x1F22F, 0x1F22F}, {0x1F232, 0x1F23A}, {0x1F23C, 0x1F23F}, {0x1F249, 0x1F3FA},
	{0x1F400, 0x1F53D}, {0x1F546, 0x1F64F}, {0x1F680, 0x1F6FF}, {0x1F774, 0x1F77F},
	{0x1F7D5, 0x1F7FF}, {0x1F80C, 0x1F80F}, {0x1F848, 0x1F84F}, {0x1F85A, 0x1F85F},
	{0x1F888, 0x1F88F}, {0x1F8AE, 0x1F8FF}, {0x1F90C, 0x1F93A}, {0x1F93C, 0x1F945},
	{0x1F947, 0x1FAFF}, {0x1FC00, 0x1FFFD},
}

func isPictographic(r rune) bool {
	if r < 0xA9 {
		return false
	}
	for _, g := range pictographic {
		if r >= g[0] && r <= g[1] {
			return true
		}
	}
	return false
}
