// Package stopwords holds the function-word lists that tell grammatical
// text from lists and navigation, by language (ISO 639-1 code).
//
// The lists for ar, cs, da, de, el, en, es, fi, fr, hu, it, nl, no (Bokmål),
// pl, pt, ro, ru, sv, tr and uk are the stoplists of jusText 3.0.2 (github.com/miso-belica/jusText, justext/stoplists/*.txt),
// kept unchanged under its BSD licence (LICENSE.jusText). ja and zh are
// ours: Japanese and Chinese are not written with spaces, so their lists are
// single characters (kana and function characters such as 的, 了, 是) to be
// counted per character.
package stopwords

import (
	"embed"
	"strings"
	"sync"
)

//go:embed *.txt
var files embed.FS

var (
	once  sync.Once
	lists map[string]map[string]bool
)

// Languages are the codes that have a list.
var Languages = []string{"ar", "cs", "da", "de", "el", "en", "es", "fi", "fr", "hu", "it", "ja", "nl", "no", "pl", "pt", "ro", "ru", "sv", "tr", "uk", "zh"}

// Of returns the stopword set for the language code lang ("" or unknown
// codes give nil). Entries are lowercase; ja and zh entries are single
// characters.
func Of(lang string) map[string]bool {
	once.Do(load)
	return lists[lang]
}

func load() {
	lists = map[string]map[string]bool{}
	for _, lang := range Languages {
		data, err := files.ReadFile(lang + ".txt")
		if err != nil {
			panic("stopwords: embedded list " + lang + " missing: " + err.Error()) // a build error, not input
		}
		set := map[string]bool{}
		for _, w := range strings.Split(string(data), "\n") {
			if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
				set[w] = true
			}
		}
		lists[lang] = set
	}
}
