package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"syndicate"
	"syndicate/jobs"
)

// TestInstantEmailArchivedAndLinked: with the archive on, publishing an
// Arabic article keeps its hosted copy (no subscriber address, no token)
// before the emails go, and each email links to it, carries the whole
// article, is in Arabic right to left, and has a Feedback-ID.
func TestInstantEmailArchivedAndLinked(t *testing.T) {
	f := newFixture(t, 3)
	ctx := context.Background()
	ar := syndicate.Article{
		Title: "المكتبة تفتح حتى منتصف الليل", URL: "https://news.example.com/ar/library", Language: "ar",
		Summary: "ستبقى المكتبة مفتوحة.", Body: "الفقرة الأولى.\n\nالفقرة الثانية من المقال.",
		PublishedAt: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC),
	}
	ar.ID = syndicate.ArticleID(mustCanon(t, ar.URL))
	if _, err := f.st.SaveArticle(ctx, ar); err != nil {
		t.Fatal(err)
	}
	mailer := &fakeMailer{}
	f.h.Mailer, f.h.Archive, f.h.FullContent = mailer, true, true
	q := f.runQueue(t)
	task, opts := jobs.NewPublishTask(ar.ID, 3)
	if _, err := q.Enqueue(task, opts...); err != nil {
		t.Fatal(err)
	}
	f.waitFinal(t, ar.ID, 3)

	view := "https://news.example.com/archive/" + ar.ID
	if len(mailer.sent) != 3 {
		t.Fatalf("sent %d emails, want 3", len(mailer.sent))
	}
	for _, m := range mailer.sent {
		for _, want := range []string{`<html lang="ar" dir="rtl">`, `lang="ar" dir="rtl"`, `href="` + view + `"`, "الفقرة الثانية من المقال."} {
			if !strings.Contains(m.HTML, want) {
				t.Errorf("email to %s lacks %s", m.To, want)
			}
		}
		if !strings.Contains(m.Text, "View in your browser: "+view) {
			t.Errorf("text part to %s has no view link", m.To)
		}
		if want := ar.ID + ":instant:newsletter:news.example.com"; m.FeedbackID != want {
			t.Errorf("Feedback-ID = %q, want %q", m.FeedbackID, want)
		}
	}

	got, err := f.st.ArchivedEmail(ctx, ar.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != ar.Title || got.Frequency != syndicate.Instant || got.Summary != ar.Summary {
		t.Errorf("archived = %+v", got)
	}
	for _, bad := range []string{"r01@example.com", "token=", "/unsubscribe", "/preferences", view} {
		if strings.Contains(got.HTML, bad) {
			t.Errorf("archive copy contains %q", bad)
		}
	}
	for _, want := range []string{`<html lang="ar" dir="rtl">`, "الفقرة الثانية من المقال.", `href="https://news.example.com/subscribe"`} {
		if !strings.Contains(got.HTML, want) {
			t.Errorf("archive copy lacks %s", want)
		}
	}
}

// TestArchiveOff: with the archive off nothing is kept and no email links
// to a copy.
func TestArchiveOff(t *testing.T) {
	f := newFixture(t, 2)
	mailer := &fakeMailer{}
	f.h.Mailer = mailer
	f.publishQueued(t)
	f.waitFinal(t, f.art.ID, 2)
	if _, err := f.st.ArchivedEmail(context.Background(), f.art.ID); syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
		t.Errorf("archive off: ArchivedEmail err = %v, want not found", err)
	}
	for _, m := range mailer.sent {
		if strings.Contains(m.HTML, "/archive/") || strings.Contains(m.Text, "View in your browser") {
			t.Errorf("archive off, yet the email links to a copy:\n%s", m.Text)
		}
	}
}

func TestFeedbackID(t *testing.T) {
	for _, tc := range []struct {
		item   string
		freq   syndicate.Frequency
		domain string
		want   string
	}{
		{"dg_daily_20260302T070000Z", syndicate.Daily, "news.example.com", "dg_daily_20260302T070000Z:daily:newsletter:news.example.com"},
		{"a_1f2e", syndicate.Instant, "News.Example.com", "a_1f2e:instant:newsletter:News.Example.com"},
		{"a:b\r\nX", "", "ex ample.com", "abX:instant:newsletter:example.com"},
	} {
		if got := jobs.FeedbackID(tc.item, tc.freq, tc.domain); got != tc.want {
			t.Errorf("FeedbackID(%q, %q, %q) = %q, want %q", tc.item, tc.freq, tc.domain, got, tc.want)
		}
	}
}
