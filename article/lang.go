package article

import (
	"strings"
	"unicode/utf8"

	// The maintained fork of github.com/abadojack/whatlanggo, with the
	// newer whatlang scoring; trafilatura already depends on it, so the
	// program carries one set of trigram tables, not two.
	"github.com/RadhiFadlillah/whatlanggo"
	"golang.org/x/text/language"
)

// minDetectRunes is the least text language detection is trusted on: a
// headline alone is too short to tell Spanish from Portuguese.
const minDetectRunes = 40

// languageTag returns the BCP 47 base language ("de") of a language code
// as pages write it ("de-DE", "de_DE", "DE", "en-US,en;q=0.5"), or "" if
// s names none.
func languageTag(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, ",; "); i >= 0 {
		s = s[:i] // the first of a list
	}
	if s == "" || len(s) > 35 {
		return ""
	}
	t, err := language.Parse(strings.ReplaceAll(s, "_", "-"))
	if err != nil {
		return ""
	}
	b, conf := t.Base()
	if conf == language.No || b.String() == "und" {
		return ""
	}
	return b.String()
}

// pageLanguage returns the first language a page declares, in the order
// given (html lang, content-language, og:locale...), or "".
func pageLanguage(declared ...string) string {
	for _, d := range declared {
		if l := languageTag(d); l != "" {
			return l
		}
	}
	return ""
}

// detectLanguage returns the BCP 47 base language of text as a detector
// reads it, or "" when the text is too short or the guess unreliable. Any
// format's reader may call it for a text that does not say its language.
func detectLanguage(text string) string {
	if utf8.RuneCountInString(text) > 20000 {
		// A few pages tell the language as well as a whole book does.
		cut := 0
		for i := range text {
			if cut == 20000 {
				text = text[:i]
				break
			}
			cut++
		}
	}
	n := utf8.RuneCountInString(strings.Join(strings.Fields(text), " "))
	if n < minDetectRunes {
		return ""
	}
	info := whatlanggo.Detect(text)
	// The detector's "reliable" (0.8) refuses most single paragraphs it
	// gets right; below 0.5 on a short text it is guessing between
	// neighbours (Spanish, Portuguese, Galician).
	if info.Lang < 0 || info.Confidence < 0.5 && n < 200 {
		return ""
	}
	return languageTag(info.Lang.Iso6391())
}
