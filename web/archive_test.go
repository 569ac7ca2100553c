package web_test

import (
	"context"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"syndicate"
	"syndicate/store"
	"syndicate/web"
)

// The store the program wires in must satisfy the archive's interface.
var _ web.Archive = (*store.Store)(nil)

func newArchiveEnv(t *testing.T, n int) *env {
	t.Helper()
	e := newEnvWithArchive(t)
	day := time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)
	for i := range n {
		freq := syndicate.Instant
		if i%2 == 0 {
			freq = syndicate.Daily
		}
		if err := e.st.SaveArchivedEmail(context.Background(), syndicate.ArchivedEmail{
			ID: fmt.Sprintf("dg_%03d", i), Frequency: freq, Subject: fmt.Sprintf("Gazette: Story %d & more", i),
			Summary: "Lede <b>" + fmt.Sprint(i) + "</b>", HTML: fmt.Sprintf(`<!DOCTYPE html><html lang="ar" dir="rtl"><body><p>copy %d</p><img src="https://news.example.com/i.jpg" alt=""></body></html>`, i),
			SentAt: day.Add(time.Duration(i) * time.Hour),
		}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// newEnvWithArchive is newEnv with the archive on, read from the store.
func newEnvWithArchive(t *testing.T) *env {
	t.Helper()
	st := openStore(t)
	conf := &fakeConfirmer{}
	c := web.Config{Name: testName, BaseURL: testBase, Secret: testSecret, Archive: st, Log: slog.New(slog.DiscardHandler)}
	return &env{t: t, h: web.NewServer(c, st, conf, nil), st: st, conf: conf}
}

func TestArchiveList(t *testing.T) {
	e := newArchiveEnv(t, 3)
	r := e.do("GET", "/archive", "", "")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /archive = %d\n%s", r.StatusCode, r.body)
	}
	for _, want := range []string{
		`<a href="https://news.example.com/archive/dg_002">Gazette: Story 2 &amp; more</a>`,
		`Daily digest &middot; 2 March 2026`, `Article &middot; 2 March 2026`,
		`Lede &lt;b&gt;1&lt;/b&gt;`,
		`<link rel="alternate" type="application/rss+xml" title="The Weekly Bean" href="https://news.example.com/archive/feed.xml">`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("archive page lacks %s:\n%s", want, r.body)
		}
	}
	if i, j := strings.Index(r.body, "dg_002"), strings.Index(r.body, "dg_000"); i > j {
		t.Error("archive is not newest first")
	}
	if strings.Contains(r.body, "Older emails") {
		t.Error("one page of three emails links to an older page")
	}
	if r := e.do("GET", "/archive?before=yesterday", "", ""); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.body, "before=") {
		t.Errorf("bad cursor = %d\n%s", r.StatusCode, r.body)
	}
}

func TestArchivePages(t *testing.T) {
	e := newArchiveEnv(t, 52)
	r := e.do("GET", "/archive", "", "")
	if strings.Count(r.body, "<li>") != 50 || strings.Contains(r.body, "/archive/dg_001") {
		t.Fatalf("first page has %d emails", strings.Count(r.body, "<li>"))
	}
	i := strings.Index(r.body, `<a href="https://news.example.com/archive?before=`)
	if i < 0 {
		t.Fatalf("no link to older emails:\n%s", r.body)
	}
	older := r.body[i+len(`<a href="`):]
	older = strings.ReplaceAll(older[:strings.IndexByte(older, '"')], "&#43;", "+")
	r = e.do("GET", older, "", "")
	if r.StatusCode != http.StatusOK || strings.Count(r.body, "<li>") != 2 || !strings.Contains(r.body, "/archive/dg_000") || !strings.Contains(r.body, "/archive/dg_001") {
		t.Errorf("GET %s = %d with %d emails\n%s", older, r.StatusCode, strings.Count(r.body, "<li>"), r.body)
	}
}

func TestArchiveEmail(t *testing.T) {
	e := newArchiveEnv(t, 2)
	r := e.do("GET", "/archive/dg_001", "", "")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, `<html lang="ar" dir="rtl"><body><p>copy 1</p>`) {
		t.Fatalf("GET /archive/dg_001 = %d\n%s", r.StatusCode, r.body)
	}
	csp := r.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "img-src https:") || strings.Contains(csp, "script-src") || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP of a hosted copy = %q", csp)
	}
	if r.Header.Get("X-Frame-Options") != "DENY" {
		t.Error("hosted copy may be framed")
	}
	if r := e.do("GET", "/archive/nope", "", ""); r.StatusCode != http.StatusNotFound {
		t.Errorf("GET /archive/nope = %d", r.StatusCode)
	}
}

func TestArchiveFeed(t *testing.T) {
	e := newArchiveEnv(t, 2)
	r := e.do("GET", "/archive/feed.xml", "", "")
	if r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/rss+xml") {
		t.Fatalf("GET /archive/feed.xml = %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	var feed struct {
		Version string `xml:"version,attr"`
		Channel struct {
			Title string `xml:"title"`
			Link  string `xml:"link"`
			Items []struct {
				Title       string `xml:"title"`
				Link        string `xml:"link"`
				GUID        string `xml:"guid"`
				PubDate     string `xml:"pubDate"`
				Description string `xml:"description"`
			} `xml:"item"`
		} `xml:"channel"`
	}
	if err := xml.Unmarshal([]byte(r.body), &feed); err != nil {
		t.Fatalf("feed is not XML: %v\n%s", err, r.body)
	}
	it := feed.Channel.Items
	if feed.Version != "2.0" || feed.Channel.Title != testName || feed.Channel.Link != testBase+"/archive" || len(it) != 2 {
		t.Fatalf("feed = %+v", feed)
	}
	if it[0].Title != "Gazette: Story 1 & more" || it[0].Link != testBase+"/archive/dg_001" || it[0].Description != "Lede <b>1</b>" {
		t.Errorf("first item = %+v", it[0])
	}
	if _, err := time.Parse(time.RFC1123Z, it[0].PubDate); err != nil {
		t.Errorf("pubDate %q: %v", it[0].PubDate, err)
	}
}

// TestArchiveOff: without an archive the paths are not there.
func TestArchiveOff(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/archive", "/archive/feed.xml", "/archive/dg_1"} {
		if r := e.do("GET", p, "", ""); r.StatusCode != http.StatusNotFound {
			t.Errorf("archive off: GET %s = %d", p, r.StatusCode)
		}
	}
}
