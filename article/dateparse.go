//go:build !sendonly

package article

import (
	"sync"
	"time"

	dps "github.com/markusmobius/go-dateparser"
)

// FullReader says whether this build reads articles with trafilatura and
// go-dateparser. A build with the sendonly tag leaves both out (their
// tables cost every process about 80 MB before main runs) and is for
// workers that only send; see sendonly.go.
const FullReader = true

var (
	dateParser     *dps.Parser
	dateParserOnce sync.Once
)

// dateLanguages are tried when the page's language is not known: all of
// the parser's 200 would be slow and find dates in noise.
var dateLanguages = []string{"en", "de", "fr", "es", "it", "pt", "nl", "ru", "ja", "zh", "ar"}

// parseDateText runs the date parser on s.
func parseDateText(s, lang string) (time.Time, bool) {
	dateParserOnce.Do(func() { dateParser = &dps.Parser{} })
	cfg := &dps.Configuration{
		StrictParsing: true, // a day, a month and a year
		// A fixed reference keeps the parser from reading the clock;
		// strict parsing never uses it.
		CurrentTime: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		Languages:   dateLanguages,
	}
	if lang != "" && dps.IsKnownLocale(lang) {
		cfg.Languages = []string{lang}
		cfg.DefaultLanguages = []string{"en"}
	}
	_, found, err := dateParser.Search(cfg, s)
	if err != nil {
		return time.Time{}, false // no language recognised: no date
	}
	for _, r := range found {
		if !yearRe.MatchString(r.Text) || r.Date.Time.IsZero() {
			continue // relative ("vor 2 Stunden") or a bare time
		}
		t := r.Date.Time
		y, m, d := t.Date()
		if y < 1990 || y > 2100 {
			continue
		}
		return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, t.Location()).UTC(), true
	}
	return time.Time{}, false
}
