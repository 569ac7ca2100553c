package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"syndicate"
	"syndicate/article"
	"syndicate/jobs"
)

// TestFullContentHTMLArchived: with full content on, the instant email and
// its hosted copy both show the article's sanitised HTML body, with the
// image absolute and bounded in width, and neither holds what the
// sanitiser took out.
func TestFullContentHTMLArchived(t *testing.T) {
	f := newFixture(t, 2)
	ctx := context.Background()
	a := syndicate.Article{
		Title: "Library opens late", URL: "https://news.example.com/2026/library",
		Summary: "The library stays open.", Body: "The library stays open until ten.",
		BodyHTML:    article.SanitizeHTML(`<p>The library stays open <a href="/hours">until ten</a>.</p><img src="img/room.jpg" width="1200" height="600" alt="The room"><script>alert(1)</script>`, "https://news.example.com/2026/library"),
		PublishedAt: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC),
	}
	a.ID = syndicate.ArticleID(mustCanon(t, a.URL))
	if _, err := f.st.SaveArticle(ctx, a); err != nil {
		t.Fatal(err)
	}
	mailer := &fakeMailer{}
	f.h.Mailer, f.h.Archive, f.h.FullContent = mailer, true, true
	q := f.runQueue(t)
	task, opts := jobs.NewPublishTask(a.ID, 3)
	if _, err := q.Enqueue(task, opts...); err != nil {
		t.Fatal(err)
	}
	f.waitFinal(t, a.ID, 2)

	got, err := f.st.ArchivedEmail(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{"archive copy": got.HTML}
	for _, m := range mailer.sent {
		pages["email to "+m.To] = m.HTML
	}
	if len(pages) != 3 {
		t.Fatalf("%d emails and copies, want 3", len(pages))
	}
	for name, h := range pages {
		for _, want := range []string{
			`<img src="https://news.example.com/2026/img/room.jpg" alt="The room" width="560" height="280" style="display:block;max-width:100%;height:auto;border:0"/>`,
			`<a href="https://news.example.com/hours" class="link"`,
		} {
			if !strings.Contains(h, want) {
				t.Errorf("%s lacks %s", name, want)
			}
		}
		if strings.Contains(h, "alert") {
			t.Errorf("%s holds the script", name)
		}
	}
}
