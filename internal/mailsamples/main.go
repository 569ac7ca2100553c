// Command mailsamples writes one email of each kind syndicate sends (an
// instant email with the whole article, a daily digest in three
// languages, the double opt-in confirmation) as .eml files, rendered by the
// default templates and built by the email channel exactly as a worker
// would. scripts/mailpit-check sends them into Mailpit to score their HTML.
//
//	go run ./internal/mailsamples [-templates FOLDER] DIR
//
// -templates renders with the override templates in FOLDER, as
// templates_dir would, so a newsroom can score its own.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"syndicate"
	"syndicate/article"
	"syndicate/channels/email"
	"syndicate/jobs"
	"syndicate/templates"
)

func main() {
	dir := flag.String("templates", "", "folder of override templates (as templates_dir)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: mailsamples [-templates FOLDER] DIR")
		os.Exit(2)
	}
	if err := write(flag.Arg(0), *dir); err != nil {
		fmt.Fprintln(os.Stderr, "mailsamples:", err)
		os.Exit(1)
	}
}

const (
	from   = "Riverside Daily <newsletter@news.example.com>"
	domain = "news.example.com"
	base   = "https://news.example.com/newsletter"
)

var (
	date  = time.Date(2026, time.November, 21, 7, 0, 0, 0, time.UTC)
	brand = templates.Brand{
		Name:    "Riverside Daily",
		Address: "Riverside Daily\n1 Market Square\nRiverside RV1 2AB",
		Color:   "#1a73e8",
		BaseURL: base,
		SiteURL: "https://news.example.com/",
	}
	reader = syndicate.Subscriber{ID: 1, Email: "reader@example.com", Name: "Reader", Status: syndicate.SubscriberActive}
)

// Articles returns the sample stories, the lead first.
func articles() []syndicate.Article {
	return []syndicate.Article{
		{
			ID: "a_lib", Title: "Library opens late for exam season", URL: "https://news.example.com/2026/11/library-late",
			Author: "Dana Whitfield", PublishedAt: date.Add(-20 * time.Hour), Language: "en",
			Image:   "https://news.example.com/images/library-night.jpg",
			Summary: "The Riverside public library will stay open until midnight for the next three weeks, giving students a quiet, heated place to revise.",
			Body: "The Riverside public library will stay open until midnight for the next three weeks, giving students a quiet, heated place to revise after the university's study halls close at nine.\n\n" +
				"The trial follows a petition signed by more than 1,200 students & parents last spring. \"We kept hearing that kitchens and cafés are not places you can concentrate,\" said head librarian Marcus Oyelaran.\n\n" +
				"Volunteers from the town's reading club will staff the front desk after 9 p.m., and the council has agreed to keep the number 4 bus running on its late timetable.\n\n" +
				"If the trial works, the council will consider late hours every exam season.",
		},
		{
			ID: "a_ferry", Title: "Ferry timetable changes for spring", URL: "https://news.example.com/2026/11/ferry",
			PublishedAt: date.Add(-22 * time.Hour), Language: "en",
			Summary: "Two extra sailings on Saturdays and a later last boat on Fridays.",
		},
		{
			ID: "a_ar", Title: "المكتبة تفتح أبوابها حتى منتصف الليل", URL: "https://news.example.com/ar/2026/11/library",
			Author: "ليلى حسن", PublishedAt: date.Add(-21 * time.Hour), Language: "ar",
			Summary: "ستبقى مكتبة ريفرسايد العامة مفتوحة حتى منتصف الليل خلال الأسابيع الثلاثة المقبلة.",
		},
		{
			ID: "a_ja", Title: "図書館、試験期間中は深夜まで開館", URL: "https://news.example.com/ja/2026/11/library",
			PublishedAt: date.Add(-23 * time.Hour), Language: "ja",
			Summary: "リバーサイド公立図書館は、今後3週間、深夜0時まで開館する。学生が静かに勉強できる場所を提供する。",
		},
		{
			ID: "a_bus", Title: "Number 4 bus keeps its late timetable", URL: "https://news.example.com/2026/11/bus",
			Author: "Sam Lee", PublishedAt: date.Add(-24 * time.Hour), Language: "en",
			Summary: "The council agreed to run the late service until the end of the exam season.",
		},
	}
}

func write(dir, overrides string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tpl, err := templates.New(overrides)
	if err != nil {
		return err
	}
	arts := articles()
	digestBrand := brand
	digestBrand.LogoURL = "https://news.example.com/images/logo.png"
	bulk := []struct {
		file string
		item string
		data templates.EmailData
	}{
		{"instant-full.eml", arts[0].ID, templates.EmailData{Brand: brand, Frequency: syndicate.Instant, Articles: arts[:1], FullContent: true}},
		{"instant-html.eml", arts[0].ID, templates.EmailData{Brand: brand, Frequency: syndicate.Instant, Articles: []syndicate.Article{richArticle(arts[0])}, FullContent: true}},
		{"instant-teaser.eml", arts[2].ID, templates.EmailData{Brand: brand, Frequency: syndicate.Instant, Articles: arts[2:3]}},
		{"daily.eml", "dg_daily_20261121T070000Z", templates.EmailData{Brand: digestBrand, Frequency: syndicate.Daily, Articles: arts}},
	}
	for _, b := range bulk {
		d := b.data
		d.Subscriber, d.Date = reader, date
		d.UnsubscribeURL = base + "/unsubscribe?token=sample"
		d.PreferencesURL = base + "/preferences?token=sample"
		d.ViewURL = base + "/archive/" + b.item
		e, err := tpl.RenderEmail(d)
		if err != nil {
			return err
		}
		m := syndicate.Message{
			From: from, To: reader.Email, ToName: reader.Name, Subject: e.Subject, Text: e.Text, HTML: e.HTML,
			MessageID: jobs.MessageID(0, b.item, reader.Email, domain), Date: date,
			ListID: jobs.ListID(brand.Name, domain), UnsubscribeURL: d.UnsubscribeURL,
		}
		if err := save(filepath.Join(dir, b.file), m); err != nil {
			return err
		}
	}
	e, err := tpl.RenderConfirm(templates.ConfirmData{Brand: brand, Email: reader.Email, ConfirmURL: base + "/confirm?token=sample", Expires: date.Add(48 * time.Hour)})
	if err != nil {
		return err
	}
	return save(filepath.Join(dir, "confirm.eml"), syndicate.Message{
		From: from, To: reader.Email, Subject: e.Subject, Text: e.Text, HTML: e.HTML,
		MessageID: jobs.MessageID(0, "confirm_sample", reader.Email, domain), Date: date, Transactional: true,
	})
}

// save builds m as the email channel would send it and writes it to file.
func save(file string, m syndicate.Message) error {
	msg, err := email.Build(m)
	if err != nil {
		return err
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := msg.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", file, err)
	}
	return f.Close()
}

// richArticle is a with an HTML body, as an article from Markdown, a web
// page or a CMS has: a heading, a link, a figure, a list and a quote.
func richArticle(a syndicate.Article) syndicate.Article {
	a.BodyHTML = article.SanitizeHTML(`<p>The Riverside public library will stay open until midnight for the next three weeks, giving students a quiet, heated place to revise after the university's <a href="/2026/10/study-halls">study halls</a> close at nine.</p>
<figure><img src="/images/reading-room.jpg" width="1200" height="800" alt="The reading room at night"><figcaption>The reading room, open late.</figcaption></figure>
<h2>What changes</h2>
<ul><li>Open until midnight, Monday to Friday</li><li>The number 4 bus keeps its late timetable</li></ul>
<blockquote><p>We kept hearing that kitchens and cafés are not places you can concentrate.</p></blockquote>
<p>If the trial works, the council will consider late hours every exam season.</p>`, a.URL)
	return a
}
