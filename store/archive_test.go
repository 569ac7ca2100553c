package store_test

import (
	"context"
	"testing"
	"time"

	"syndicate"
)

// TestArticleLanguage: an article's language is kept, so a worker renders
// lang and dir from it; something that is not a language tag is dropped,
// not refused.
func TestArticleLanguage(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	for _, tc := range []struct{ url, lang, want string }{
		{"https://news.example.com/ar", "ar", "ar"},
		{"https://news.example.com/ja", "ja", "ja"},
		{"https://news.example.com/pt", "pt-BR", "pt-BR"},
		{"https://news.example.com/none", "", ""},
		{"https://news.example.com/bad", `en"><script>`, ""},
	} {
		a := article(tc.url)
		a.Language = tc.lang
		if _, err := s.SaveArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindArticle(ctx, tc.url)
		if err != nil {
			t.Fatal(err)
		}
		if got.Language != tc.want {
			t.Errorf("language of %s = %q, want %q", tc.url, got.Language, tc.want)
		}
		if tc.lang == "ar" && got.Dir() != "rtl" {
			t.Errorf("Arabic article reads %s", got.Dir())
		}
	}
	since, err := s.ArticlesSince(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	langs := map[string]bool{}
	for _, a := range since {
		langs[a.Language] = true
	}
	if !langs["ar"] || !langs["ja"] {
		t.Errorf("ArticlesSince lost languages: %v", langs)
	}
}

func TestArchive(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	day := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	first := syndicate.ArchivedEmail{ID: "dg_daily_1", Frequency: syndicate.Daily, Subject: "Gazette: One, and 2 more", Summary: "Lede.", HTML: "<p>one</p>", SentAt: day}
	for _, e := range []syndicate.ArchivedEmail{
		first,
		{ID: "a_2", Frequency: syndicate.Instant, Subject: "Two", HTML: "<p>two</p>", SentAt: day.Add(time.Hour)},
		{ID: "a_3", Frequency: syndicate.Instant, Subject: "Three", HTML: "<p>three</p>", SentAt: day.Add(2 * time.Hour)},
		// Saving again keeps the first copy.
		{ID: "dg_daily_1", Frequency: syndicate.Daily, Subject: "changed", HTML: "<p>changed</p>", SentAt: day.Add(3 * time.Hour)},
	} {
		if err := s.SaveArchivedEmail(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ArchivedEmail(ctx, "dg_daily_1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != first.Subject || got.HTML != first.HTML || !got.SentAt.Equal(day) || got.Frequency != syndicate.Daily {
		t.Errorf("ArchivedEmail = %+v, want %+v", got, first)
	}
	_, err = s.ArchivedEmail(ctx, "nope")
	wantCode(t, err, syndicate.ENOTFOUND)

	list, err := s.ArchivedEmails(ctx, time.Time{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != "a_3" || list[1].ID != "a_2" || list[0].HTML != "" {
		t.Errorf("ArchivedEmails newest 2 = %+v", list)
	}
	older, err := s.ArchivedEmails(ctx, list[1].SentAt, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(older) != 1 || older[0].ID != "dg_daily_1" {
		t.Errorf("ArchivedEmails before %s = %+v", list[1].SentAt, older)
	}
}
