package web

import (
	"bytes"
	"context"
	"encoding/xml"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"syndicate"
)

// Archive reads the public copies of the emails that were sent, digests
// and instant emails alike; *store.Store satisfies it.
type Archive interface {
	// ArchivedEmails returns up to limit emails sent before before (zero:
	// any time), newest first, without their HTML.
	ArchivedEmails(ctx context.Context, before time.Time, limit int) ([]syndicate.ArchivedEmail, error)
	// ArchivedEmail returns one, HTML included, or an error with code
	// syndicate.ENOTFOUND.
	ArchivedEmail(ctx context.Context, id string) (syndicate.ArchivedEmail, error)
}

// archivePage is how many emails the archive lists at once, and the RSS
// feed carries.
const archivePage = 50

// archiveCSP lets a hosted copy show its images, which the pages'
// policy forbids; scripts, frames and forms stay off.
const archiveCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src https: http: data:; form-action 'none'"

// archiveItem is one line of the archive's list.
type archiveItem struct {
	URL, Subject, Summary, Date, Kind string
}

// archiveBase is the absolute URL the archive's links start with: the
// public base URL, or the host that served the request when none is set.
func archiveBase(base string, r *http.Request) string {
	if base != "" {
		return strings.TrimRight(base, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func archiveURL(base, id string) string { return base + "/archive/" + url.PathEscape(id) }

// kindOf names an archived email's kind for people.
func kindOf(f syndicate.Frequency) string {
	switch f {
	case syndicate.Daily:
		return "Daily digest"
	case syndicate.Weekly:
		return "Weekly digest"
	}
	return "Article"
}

// parseBefore reads the list's ?before= cursor, an RFC 3339 time; empty
// means from the newest.
func parseBefore(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() < 1678 || t.Year() > 2261 {
		return time.Time{}, syndicate.Errorf(syndicate.EINVALID, "before=%q is not a time like 2026-03-02T07:00:00Z", s)
	}
	return t, nil
}

// handleArchiveList lists the sent emails, newest first, a page at a time.
func handleArchiveList(p *pages, ar Archive, base string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		before, err := parseBefore(r.URL.Query().Get("before"))
		if err != nil {
			p.message(w, http.StatusBadRequest, "That did not work", syndicate.ErrorMessage(err))
			return
		}
		list, err := ar.ArchivedEmails(r.Context(), before, archivePage)
		if err != nil {
			p.fail(w, err, "list the archive")
			return
		}
		b := archiveBase(base, r)
		d := pageData{FeedURL: b + "/archive/feed.xml"}
		for _, e := range list {
			d.Archive = append(d.Archive, archiveItem{
				URL: archiveURL(b, e.ID), Subject: e.Subject, Summary: e.Summary,
				Date: e.SentAt.UTC().Format("2 January 2006"), Kind: kindOf(e.Frequency),
			})
		}
		if len(list) == archivePage {
			d.OlderURL = b + "/archive?before=" + url.QueryEscape(list[len(list)-1].SentAt.UTC().Format(time.RFC3339Nano))
		}
		p.render(w, http.StatusOK, "archive", d)
	})
}

// handleArchiveEmail shows one sent email as it was archived: rendered
// with no subscriber, so nothing in it is anyone's.
func handleArchiveEmail(p *pages, log *slog.Logger, ar Archive) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := ar.ArchivedEmail(r.Context(), r.PathValue("id"))
		if syndicate.ErrorCode(err) == syndicate.ENOTFOUND {
			p.message(w, http.StatusNotFound, "Email not found", "There is no email at this address in the archive.")
			return
		}
		if err != nil {
			p.fail(w, err, "read the archive")
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", archiveCSP)
		h.Set("Cache-Control", "public, max-age=300")
		if _, err := w.Write([]byte(e.HTML)); err != nil {
			log.Debug("write archived email", "id", e.ID, "error", err)
		}
	})
}

// rss is an RSS 2.0 document.
type rss struct {
	XMLName xml.Name   `xml:"rss"`
	Version string     `xml:"version,attr"`
	Channel rssChannel `xml:"channel"`
}

type rssChannel struct {
	Title       string    `xml:"title"`
	Link        string    `xml:"link"`
	Description string    `xml:"description"`
	Items       []rssItem `xml:"item"`
}

type rssItem struct {
	Title       string  `xml:"title"`
	Link        string  `xml:"link"`
	GUID        rssGUID `xml:"guid"`
	PubDate     string  `xml:"pubDate"`
	Description string  `xml:"description,omitempty"`
	Category    string  `xml:"category"`
}

type rssGUID struct {
	Value       string `xml:",chardata"`
	IsPermaLink bool   `xml:"isPermaLink,attr"`
}

// handleArchiveFeed is the RSS feed of the archive: the newest emails.
func handleArchiveFeed(p *pages, log *slog.Logger, ar Archive, base string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		list, err := ar.ArchivedEmails(r.Context(), time.Time{}, archivePage)
		if err != nil {
			p.fail(w, err, "list the archive")
			return
		}
		b := archiveBase(base, r)
		doc := rss{Version: "2.0", Channel: rssChannel{
			Title: p.name, Link: b + "/archive", Description: "Every email " + p.name + " has sent.",
		}}
		for _, e := range list {
			u := archiveURL(b, e.ID)
			doc.Channel.Items = append(doc.Channel.Items, rssItem{
				Title: e.Subject, Link: u, GUID: rssGUID{Value: u, IsPermaLink: true},
				PubDate: e.SentAt.UTC().Format(time.RFC1123Z), Description: e.Summary, Category: kindOf(e.Frequency),
			})
		}
		var buf bytes.Buffer
		buf.WriteString(xml.Header)
		if err := xml.NewEncoder(&buf).Encode(doc); err != nil {
			log.Error("encode the archive feed", "error", err)
			http.Error(w, "Internal server error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=300")
		if _, err := buf.WriteTo(w); err != nil {
			log.Debug("write the archive feed", "error", err)
		}
	})
}
