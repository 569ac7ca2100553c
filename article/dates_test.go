package article

import (
	"testing"
	"time"
)

func TestFindDateLanguages(t *testing.T) {
	day := time.Date(2017, 7, 10, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		line, lang string
		want       time.Time // zero: none
	}{
		{"July 10, 2017", "en", day},
		{"Veröffentlicht am 10. Juli 2017, 14:03 Uhr", "de", day.Add(14*time.Hour + 3*time.Minute)},
		{"Publié le 10 juillet 2017 à 12h00", "fr", day.Add(12 * time.Hour)},
		{"10 de julio de 2017", "es", day},
		{"Pubblicato il 10 luglio 2017", "it", day},
		{"10 de julho de 2017", "pt", day},
		{"10 juli 2017", "nl", day},
		{"10 июля 2017, 12:00", "ru", day.Add(12 * time.Hour)},
		{"2017年7月10日", "ja", day},
		{"2017.07.10 20:18", "zh", day},
		{"10.07.2017", "de", day},
		{"١٠ يوليو ٢٠١٧", "ar", day},
		{"Veröffentlicht am 10. Juli 2017", "", day}, // language detected
		// Relative dates and bare words say nothing once the page is saved.
		{"vor 2 Stunden", "de", time.Time{}},
		{"Updated 2 hours ago", "en", time.Time{}},
		{"Tuesday", "en", time.Time{}},
		{"Heise-Foren: Einloggen | Registrieren", "de", time.Time{}},
		{"31.02.2017", "de", time.Time{}},
		// Spellings the date parser does not read on its own.
		{"10. 7. 2017", "de", day},
		{"10/07/2017", "es", day}, // the day first outside English
		{"Toegevoegd: 10-07-2017, 15.44 uur", "nl", day},
		{"7/10/2017", "en", time.Time{}}, // American or British: in doubt
		{"10.jul.2017 às 12h55", "pt", day.Add(12*time.Hour + 55*time.Minute)},
		{"الاثنين، 10 تموز/يوليو 2017", "ar", day},
		// A Japanese era's year (平成29年 is 2017), in either width.
		{"平成29年7月10日(月)11:04~11:46", "ja", day},
		{"平成２９年７月１０日", "ja", day},
		{"令和元年5月1日", "ja", time.Date(2019, 5, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, ok := findDate(tt.line, tt.lang)
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
			t.Errorf("findDate(%q, %q) = %v, %v; want %v", tt.line, tt.lang, got, ok, tt.want)
		}
	}
}

func TestDateFromURL(t *testing.T) {
	day := time.Date(2017, 7, 10, 0, 0, 0, 0, time.UTC)
	tests := map[string]time.Time{
		"https://winbuzzer.com/2017/07/10/donald-trump-backs-plans/": day,
		"https://example.com/news/20170710/story.html":               day,
		"https://example.com/2017-07-10-story":                       day,
		"https://news.lyd.com.cn/system/2017/07/10/030324077.shtml":  day,
		"https://example.com/2017/13/40/bad":                         {},
		"https://example.com/story-12345678":                         {},
		"https://example.com/":                                       {},
		"not a url %%":                                               {},
	}
	for u, want := range tests {
		got, ok := dateFromURL(u)
		if ok != !want.IsZero() || !got.Equal(want) {
			t.Errorf("dateFromURL(%q) = %v, %v; want %v", u, got, ok, want)
		}
	}
}

func TestIsDateOnlyDateline(t *testing.T) {
	tests := map[string]bool{
		// A dateline with its time and place is metadata, however long.
		"2018年6月18日 10:01 発信地：カノ/ナイジェリア [ ナイジェリア アフリカ ]":         true,
		"الأربعاء، 28 آب/اغسطس 2013، آخر تحديث 14:00 (GMT+0400)": true,
		"10 juli 2017": true,
		// A headline that mentions a date has no time of day.
		"Am 10. Juli 2017 beschloss der Bundestag nach langer Debatte eine Reform der Pflege": false,
	}
	for l, want := range tests {
		lang := textLang([]string{l})
		if got := isDateOnly(l, lang); got != want {
			t.Errorf("isDateOnly(%q, %q) = %v, want %v", l, lang, got, want)
		}
	}
}
