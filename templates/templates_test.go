package templates

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"syndicate"
	"syndicate/article"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

var (
	fixedDate = time.Date(2026, time.March, 2, 7, 0, 0, 0, time.UTC)
	brand     = Brand{
		Name:    "Harbour Town Gazette",
		Address: "Harbour Town Gazette\n12 Quay Street\nHarbour Town HT1 2AB",
		Color:   "#0b6e4f",
		BaseURL: "https://news.example.com/newsletter",
		SiteURL: "https://news.example.com/",
	}
	subscriber = syndicate.Subscriber{ID: 7, Email: "ada@example.org", Name: "Ada", Frequency: syndicate.Daily, Status: syndicate.SubscriberActive}
	articles   = []syndicate.Article{
		{
			ID:          "a_1",
			Title:       "Council approves new harbour wall after decade of debate",
			URL:         "https://news.example.com/2026/03/harbour-wall",
			Author:      "Jane Doe",
			PublishedAt: time.Date(2026, time.March, 1, 18, 30, 0, 0, time.UTC),
			Summary:     "The £4m sea defence will be built in two phases, starting this autumn, after councillors voted 9–2 in favour on Sunday night. Residents of the old town say it is long overdue.",
			Image:       "https://news.example.com/img/harbour-wall.jpg",
			Body:        "The £4m sea defence will be built in two phases.\n\nCouncillors voted 9–2 in favour on Sunday night <after> a decade of debate & delay.\n\n- Phase one: the north quay\n- Phase two: the old town",
		},
		{
			ID:          "a_2",
			Title:       "Ferry timetable changes for spring",
			URL:         "https://news.example.com/2026/03/ferry",
			PublishedAt: time.Date(2026, time.March, 1, 9, 0, 0, 0, time.UTC),
			Summary:     "Two extra sailings on Saturdays & a later last boat on Fridays.",
		},
		{
			ID:          "a_3",
			Title:       "Lifeboat crew rescues three kayakers",
			URL:         "https://news.example.com/2026/02/lifeboat",
			Author:      "Sam Lee",
			PublishedAt: time.Date(2026, time.February, 28, 16, 0, 0, 0, time.UTC),
			Summary:     "All three were brought ashore unhurt.",
		},
	}
)

func mustNew(t *testing.T, dir string) *Set {
	t.Helper()
	s, err := New(dir)
	if err != nil {
		t.Fatalf("New(%q): %v", dir, err)
	}
	return s
}

func instantData() EmailData {
	return EmailData{
		Brand:          brand,
		Frequency:      syndicate.Instant,
		Articles:       articles[:1],
		Subscriber:     subscriber,
		UnsubscribeURL: "https://news.example.com/u/tok123",
		Date:           fixedDate,
	}
}

// world is a digest led by an Arabic story, with a Japanese one after it.
func worldData() EmailData {
	d := dailyData()
	d.Articles = []syndicate.Article{
		{ID: "a_ar", Title: "المجلس يوافق على بناء سور الميناء الجديد", URL: "https://news.example.com/ar/harbour-wall", Author: "ليلى حسن",
			PublishedAt: time.Date(2026, time.March, 1, 18, 0, 0, 0, time.UTC), Summary: "سيُبنى السور على مرحلتين ابتداءً من الخريف.", Language: "ar"},
		{ID: "a_ja", Title: "港の新しい防波堤、議会が承認", URL: "https://news.example.com/ja/harbour-wall",
			PublishedAt: time.Date(2026, time.March, 1, 17, 0, 0, 0, time.UTC), Summary: "防波堤は秋から二期に分けて建設される。", Language: "ja"},
		articles[1],
	}
	d.ViewURL = "https://news.example.com/newsletter/archive/dg_daily_20260302T070000Z"
	return d
}

// archiveData is the hosted copy of the instant email: no subscriber.
func archiveData() EmailData {
	d := instantData()
	d.Subscriber, d.UnsubscribeURL, d.PreferencesURL = syndicate.Subscriber{}, "", ""
	d.SubscribeURL = "https://news.example.com/newsletter/subscribe"
	d.FullContent = true
	return d
}

func dailyData() EmailData {
	return EmailData{
		Brand:          brand,
		Frequency:      syndicate.Daily,
		Articles:       articles,
		Subscriber:     subscriber,
		UnsubscribeURL: "https://news.example.com/u/tok123",
		PreferencesURL: "https://news.example.com/p/tok123",
		Date:           fixedDate,
	}
}

// golden renders the whole email into one file, so a reviewer sees subject,
// text and HTML together.
func golden(e Email) string {
	return "Subject: " + e.Subject + "\n\n-- text --\n" + e.Text + "\n-- html --\n" + e.HTML
}

func TestGolden(t *testing.T) {
	s := mustNew(t, "")
	for _, tc := range []struct {
		name string
		data EmailData
	}{
		{"instant", instantData()},
		{"instant-full", func() EmailData {
			d := instantData()
			d.FullContent = true
			d.ViewURL = "https://news.example.com/newsletter/archive/a_1"
			return d
		}()},
		{"instant-ar", func() EmailData {
			d := instantData()
			d.Articles = worldData().Articles[:1]
			return d
		}()},
		{"daily", dailyData()},
		{"world", worldData()},
		{"archive", archiveData()},
		{"instant-html", richData(t)},
		{"archive-html", func() EmailData {
			d := richData(t)
			d.Subscriber, d.UnsubscribeURL, d.PreferencesURL = syndicate.Subscriber{}, "", ""
			d.SubscribeURL = "https://news.example.com/newsletter/subscribe"
			return d
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := s.RenderEmail(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, golden(e))
		})
	}
}

// TestGoldenConfirm: the confirmation email, in the same shell.
func TestGoldenConfirm(t *testing.T) {
	e, err := mustNew(t, "").RenderConfirm(ConfirmData{Brand: brand, Email: "ada@example.org",
		ConfirmURL: "https://news.example.com/newsletter/confirm?token=abc", Expires: fixedDate.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "confirm", golden(e))
}

// checkGolden compares got with testdata/name.golden, or rewrites the file
// with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	file := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test ./templates -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (run go test ./templates -update if the change is intended)\ngot:\n%s", name, file, got)
	}
}

func TestSubjects(t *testing.T) {
	s := mustNew(t, "")
	d := dailyData()
	d.Frequency = syndicate.Weekly
	d.Articles = articles[:1]
	e, err := s.RenderEmail(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Harbour Town Gazette: Council approves new harbour wall after decade of debate"; e.Subject != want {
		t.Errorf("subject of a one-article digest = %q, want %q", e.Subject, want)
	}

	d = instantData()
	d.Articles = []syndicate.Article{articles[1]}
	d.Articles[0].Title = "Line one\r\nBcc: victim@example.com\n\n  spaced\tout  "
	e, err = s.RenderEmail(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Line one Bcc: victim@example.com spaced out"; e.Subject != want {
		t.Errorf("subject = %q, want %q", e.Subject, want)
	}
}

func TestNoArticles(t *testing.T) {
	d := instantData()
	d.Articles = nil
	if _, err := mustNew(t, "").RenderEmail(d); err == nil {
		t.Fatal("RenderEmail with no articles: no error")
	}
}

func TestHostileArticleIsEscaped(t *testing.T) {
	d := instantData()
	d.Brand.Color = "red;background:url(javascript:alert(1))"
	d.Articles = []syndicate.Article{{
		Title:       "<script>alert(1)</script>",
		Summary:     `"><img src=x onerror=alert(1)>`,
		URL:         "javascript:alert(1)",
		Author:      `<b onmouseover="alert(1)">Mallory</b>`,
		Image:       `javascript:alert(2)`,
		PublishedAt: fixedDate,
	}}
	e, err := mustNew(t, "").RenderEmail(d)
	if err != nil {
		t.Fatal(err)
	}
	h := strings.ToLower(e.HTML)
	for _, bad := range []string{"<script", "<img src=x", `href="javascript:`, `src="javascript:`, "<b onmouseover", "url(javascript"} {
		if strings.Contains(h, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;", `href="#ZgotmplZ"`} {
		if !strings.Contains(e.HTML, want) {
			t.Errorf("HTML lacks escaped form %q", want)
		}
	}
	if strings.ContainsAny(e.Subject, "\r\n") {
		t.Errorf("subject has a line break: %q", e.Subject)
	}
}

func TestOverrideReplacesTemplate(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, EmailSubject), []byte(`News for {{.Subscriber.Name}}: {{(index .Articles 0).Title}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A file for some other package's template is left alone.
	if err := os.WriteFile(filepath.Join(dir, "other.tmpl"), []byte(`{{`), 0o644); err != nil {
		t.Fatal(err)
	}
	e, err := mustNew(t, dir).RenderEmail(instantData())
	if err != nil {
		t.Fatal(err)
	}
	if want := "News for Ada: " + articles[0].Title; e.Subject != want {
		t.Errorf("subject = %q, want %q from the override", e.Subject, want)
	}
	def, err := mustNew(t, "").RenderEmail(instantData())
	if err != nil {
		t.Fatal(err)
	}
	if e.Text != def.Text || e.HTML != def.HTML {
		t.Error("templates without an override file differ from the defaults")
	}
}

func TestOverrideParseErrorNamesFile(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, EmailHTML)
	if err := os.WriteFile(file, []byte(`<p>{{.Brand.Name</p>`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := New(dir)
	if err == nil || !strings.Contains(err.Error(), file) {
		t.Fatalf("New with a broken %s: error %v, want one naming %s", EmailHTML, err, file)
	}
}

func TestMissingFolder(t *testing.T) {
	if _, err := New(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("New with a missing folder: no error")
	}
}

func TestWrap(t *testing.T) {
	got := wrap(20, "  ", "one two three four five six seven https://example.com/a/very/long/url eight\n\nnew para")
	want := "one two three four\n  five six seven\n  https://example.com/a/very/long/url\n  eight\n\n  new para"
	if got != want {
		t.Errorf("wrap =\n%s\nwant\n%s", got, want)
	}
}

func TestRenderConfirm(t *testing.T) {
	s, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	e, err := s.RenderConfirm(ConfirmData{
		Brand:      Brand{Name: "Riverside <Daily>", Address: "1 Market Square"},
		Email:      `eve"><script>@example.com`,
		ConfirmURL: "https://news.example.com/confirm?token=abc.def",
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.Subject != "Confirm your subscription to Riverside <Daily>" {
		t.Errorf("subject = %q", e.Subject)
	}
	if strings.Contains(e.HTML, "<script>") || strings.Contains(e.HTML, "<Daily>") {
		t.Errorf("confirmation HTML is not escaped:\n%s", e.HTML)
	}
	for _, part := range []string{e.Text, e.HTML} {
		if !strings.Contains(part, "https://news.example.com/confirm?token=abc.def") {
			t.Errorf("part lacks the confirm link:\n%s", part)
		}
	}
}

// TestConfirmSharesShell: the confirmation email is laid out by the same
// shell as the other emails (its responsive and dark-mode rules, the
// container table, the preheader), says when its link expires, and an
// override of the shell changes both kinds of email.
func TestConfirmSharesShell(t *testing.T) {
	s, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
	c, err := s.RenderConfirm(ConfirmData{Brand: Brand{Name: "Riverside"}, Email: "pat@example.com", ConfirmURL: "https://news.example.com/confirm?token=x", Expires: exp})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`prefers-color-scheme: dark`, `style="width:100%;max-width:600px;"`, `<!--[if mso]><table role="presentation" align="center" width="600"`, `Confirm your subscription to Riverside&#8199;`, `Wednesday, 4 March 2026, 09:30 UTC`} {
		if !strings.Contains(c.HTML, want) {
			t.Errorf("confirmation HTML lacks %q:\n%s", want, c.HTML)
		}
	}
	if !strings.Contains(c.Text, "Wednesday, 4 March 2026, 09:30 UTC") {
		t.Errorf("confirmation text does not say when the link expires:\n%s", c.Text)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, Shell), []byte(`{{define "shell"}}<p>SHELL {{.Brand.Name}}</p>{{template "content" .}}{{end}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err = o.RenderConfirm(ConfirmData{Brand: Brand{Name: "Riverside"}, Email: "pat@example.com", ConfirmURL: "https://news.example.com/confirm?token=x", Expires: exp})
	if err != nil || !strings.HasPrefix(c.HTML, "<p>SHELL Riverside</p>") {
		t.Errorf("confirmation with an overridden shell = %q, %v", c.HTML, err)
	}
	e, err := o.RenderEmail(EmailData{Brand: Brand{Name: "Riverside"}, Articles: []syndicate.Article{{Title: "T", URL: "https://news.example.com/t"}}, UnsubscribeURL: "https://news.example.com/u"})
	if err != nil || !strings.HasPrefix(e.HTML, "<p>SHELL Riverside</p>") {
		t.Errorf("email with an overridden shell = %q, %v", e.HTML, err)
	}
}

func TestLanguageAndDirection(t *testing.T) {
	ar := syndicate.Article{ID: "a_ar", Title: "العبارة باقية", URL: "https://news.example.com/ar", Summary: "صوت المجلس على إبقاء العبارة.", Language: "ar"}
	de := syndicate.Article{ID: "a_de", Title: "Fähre bleibt", URL: "https://news.example.com/de", Summary: "Der Rat hat entschieden.", Language: "de"}

	// An instant email is in its article's language and direction.
	d := instantData()
	d.Articles = []syndicate.Article{ar}
	e, err := mustNew(t, "").RenderEmail(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<html lang="ar" dir="rtl">`, `class="card" lang="ar" dir="rtl"`, `<td class="muted" lang="en" dir="ltr" style="padding:16px 16px 0 16px;`} {
		if !strings.Contains(e.HTML, want) {
			t.Errorf("instant email lacks %s", want)
		}
	}

	// A digest of several languages keeps its own words' language, and
	// each card says its article's.
	d = dailyData()
	d.Articles = []syndicate.Article{de, ar, articles[1]}
	e, err = mustNew(t, "").RenderEmail(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<html lang="en" dir="ltr">`, `class="card" lang="de" dir="ltr"`, `class="card" lang="ar" dir="rtl"`, `class="card" dir="ltr"`} {
		if !strings.Contains(e.HTML, want) {
			t.Errorf("digest lacks %s", want)
		}
	}

	// A digest all in one language is in that language.
	d.Articles = []syndicate.Article{de, de}
	if e, err = mustNew(t, "").RenderEmail(d); err != nil || !strings.Contains(e.HTML, `<html lang="de" dir="ltr">`) {
		t.Errorf("German digest: %v\n%.200s", err, e.HTML)
	}
}

// richSource is an article as an editor might write it, Markdown with raw
// HTML, holding what the HTML body keeps (relative images, a link, a list,
// a quote) and what it must not (scripts, handlers, javascript: and data:
// URLs, a tracking pixel).
const richSource = `---
title: Library opens late on weekdays
url: https://news.example.com/2026/03/library-late
author: Kim Park
date: 2026-03-01T09:00:00Z
---
The council voted on [Monday](/council/minutes "Minutes") to keep the library open until ten.

![The reading room at night](img/reading-room.jpg)

## What changes

- Weekdays: 9am to 10pm
- Weekends: *unchanged*

> "We want the building used when people are free," the head librarian said.

<figure><img src="/photos/desk.jpg" width="1600" height="900" alt="The new desk" onerror="alert(1)"><figcaption>The new desk.</figcaption></figure>

<script>document.write("tracked")</script>
<p onclick="steal()">Read the <a href="javascript:alert(document.cookie)">full plan</a>.</p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="pixel">
<img src="https://tracker.example/open.gif" width="1" height="1">
<iframe src="https://ads.example/"></iframe>
`

// richData is the instant email of richSource with the whole article in
// it, parsed as syndicate publish parses it.
func richData(t *testing.T) EmailData {
	t.Helper()
	a, err := article.Parse("library.md", strings.NewReader(richSource), article.Options{Now: func() time.Time { return fixedDate }})
	if err != nil {
		t.Fatal(err)
	}
	d := instantData()
	d.Articles = []syndicate.Article{a}
	d.FullContent = true
	d.ViewURL = "https://news.example.com/newsletter/archive/a_lib"
	return d
}

// TestFullContentHTML: the instant email with full content shows the
// article's HTML body, images absolute and at most 560 pixels wide, and
// nothing hostile; without full content, or in a digest, the summary.
func TestFullContentHTML(t *testing.T) {
	s := mustNew(t, "")
	e, err := s.RenderEmail(richData(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`<img src="https://news.example.com/2026/03/img/reading-room.jpg" alt="The reading room at night" width="560" style="display:block;max-width:100%;height:auto;border:0"/>`,
		`<img src="https://news.example.com/photos/desk.jpg" alt="The new desk" width="560" height="315" style="display:block;max-width:100%;height:auto;border:0"/>`,
		`<a href="https://news.example.com/council/minutes" class="link" style="color:#0b6e4f;">Monday</a>`,
		`<li>Weekends: <em>unchanged</em></li>`,
		`<div style="padding:8px 0 16px 0;"><img src="https://news.example.com/photos/desk.jpg"`,
		`<div class="muted" style="padding-top:6px;font-size:14px;line-height:20px;color:#4b5563;">The new desk.</div></div>`,
		`<blockquote class="fg"`,
		`>What changes</h2>`,
		`Read the full plan.`,
	} {
		if !strings.Contains(e.HTML, want) {
			t.Errorf("HTML lacks %s", want)
		}
	}
	for _, bad := range []string{"alert", "steal", "javascript:", "data:image", "tracker.example", "ads.example", "onerror", "onclick", "<script>document", "tracked", "<iframe", "<figure"} {
		if strings.Contains(e.HTML, bad) {
			t.Errorf("HTML holds %q", bad)
		}
	}
	// The text part stays plain.
	if strings.Contains(e.Text, "<") {
		t.Errorf("text part holds markup:\n%s", e.Text)
	}

	d := richData(t)
	d.FullContent = false
	if e, err = s.RenderEmail(d); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.HTML, "reading-room.jpg") || !strings.Contains(e.HTML, "The council voted on Monday") {
		t.Errorf("without full content the email is not the summary:\n%s", e.HTML)
	}
	// A body whose HTML sanitises to nothing falls back to the text.
	d = richData(t)
	d.Articles[0].BodyHTML = "<script>alert(1)</script>"
	if e, err = s.RenderEmail(d); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.HTML, "alert") || !strings.Contains(e.HTML, "<p>The council voted on Monday to keep the library open until ten.</p>") {
		t.Errorf("a body of nothing safe is not shown as text:\n%s", e.HTML)
	}
}
