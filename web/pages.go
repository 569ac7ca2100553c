package web

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"syndicate"
	"syndicate/signed"
)

//go:embed templates/*.html
var templateFS embed.FS

// pageNames are the page templates; each defines "title" and "content" for
// templates/layout.html.
var pageNames = []string{"subscribe", "sent", "confirm", "subscribed", "unsubscribe", "unsubscribed", "preferences", "message", "limited", "archive"}

// pageTemplates holds one parsed template per page. The files are embedded,
// so a parse error is a bug found by the first test, not a runtime event.
var pageTemplates = func() map[string]*template.Template {
	m := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		m[name] = template.Must(template.New(name).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return m
}()

// pages writes the HTML pages of one newsletter.
type pages struct {
	name  string
	log   *slog.Logger
	links links
	now   func() time.Time // the clock links expire by
}

// links builds the URLs that pages show, from the public base URL.
type links struct {
	base   string
	secret string
}

func (l links) subscribe() string { return strings.TrimRight(l.base, "/") + "/subscribe" }

// preferences is sub's preferences link at its current version; "" if
// none can be made (the page then shows no link).
func (l links) preferences(sub syndicate.Subscriber) string {
	u, err := signed.PreferencesURL(l.base, l.secret, sub.Handle, sub.TokenVersion)
	if err != nil {
		return ""
	}
	return u
}

// pageData is what the templates see. Each page uses the fields it needs.
type pageData struct {
	Name string // the newsletter's name, set by render
	Page string // the page's name, the id of its <main>, set by render

	Email          string   // the subscriber's address, on token pages
	Frequency      string   // the chosen frequency
	Frequencies    []choice // the choices of frequency, one marked
	FormName       string   // the name typed into the sign-up form
	Error          string   // what is wrong with the form, for the person to fix
	Saved          bool     // the preferences were just saved
	Subscribed     bool     // the subscriber is active or pending
	PreferencesURL string
	SubscribeURL   string

	Title   string // the message page's heading
	Message string // the message page's text

	Archive  []archiveItem // the archive page's list, newest first
	OlderURL string        // the archive's next page; "" on the last
	FeedURL  string        // the archive's RSS feed, linked from the page's head
}

// choice is one frequency a subscriber can pick.
type choice struct {
	Value   string
	Label   string
	Checked bool
}

func frequencyChoices(current syndicate.Frequency) []choice {
	return []choice{
		{Value: string(syndicate.Instant), Label: "Every article, as it is published", Checked: current == syndicate.Instant},
		{Value: string(syndicate.Daily), Label: "A daily digest", Checked: current == syndicate.Daily},
		{Value: string(syndicate.Weekly), Label: "A weekly digest", Checked: current == syndicate.Weekly},
	}
}

// render writes page with status. The page is rendered into a buffer
// first, so a template error becomes a clean 500 rather than half a page.
func (p *pages) render(w http.ResponseWriter, status int, page string, d pageData) {
	t, ok := pageTemplates[page]
	if !ok {
		panic("web: no page template " + page) // a typo in this package
	}
	d.Name, d.Page = p.name, page
	if d.SubscribeURL == "" {
		d.SubscribeURL = p.links.subscribe()
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		p.log.Error("render page", "page", page, "error", err)
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// The token pages show a subscriber's address and signed links: no
	// shared cache may keep them.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if _, err := buf.WriteTo(w); err != nil {
		// The client went away; there is no one left to tell.
		p.log.Debug("write page", "page", page, "error", err)
	}
}

// message writes the plain message page: a heading and one paragraph.
func (p *pages) message(w http.ResponseWriter, status int, title, text string) {
	p.render(w, status, "message", pageData{Title: title, Message: text})
}

// fail answers an error from the store: a page for what the person can act
// on, a logged 500 for the rest.
func (p *pages) fail(w http.ResponseWriter, err error, doing string) {
	switch syndicate.ErrorCode(err) {
	case syndicate.ENOTFOUND:
		p.notSubscribed(w)
	case syndicate.EINVALID:
		p.message(w, http.StatusBadRequest, "That did not work", syndicate.ErrorMessage(err))
	default:
		p.log.Error(doing, "error", err)
		p.message(w, http.StatusInternalServerError, "Something went wrong",
			"Something went wrong on our side. Please try again in a few minutes.")
	}
}

// notSubscribed answers a valid link whose subscriber no longer exists.
func (p *pages) notSubscribed(w http.ResponseWriter) {
	p.message(w, http.StatusNotFound, "Address not found",
		"This address is not on our list (it may have been removed), so there is nothing to change.")
}

// parseForm reads r's body into r.PostForm: URL-encoded or multipart, as
// RFC 8058 allows both for one-click unsubscribes. When it returns false it
// has answered: 413 past maxBody, 400 for a body that is not a form.
func (p *pages) parseForm(w http.ResponseWriter, r *http.Request) bool {
	// ParseForm first: ParseMultipartForm drops its error when the body
	// turns out not to be multipart, and would hide a body over the limit.
	err := r.ParseForm()
	if err == nil {
		err = r.ParseMultipartForm(maxBody)
		if errors.Is(err, http.ErrNotMultipart) {
			err = nil // a URL-encoded form, already parsed
		}
	}
	if err == nil {
		return true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		p.message(w, http.StatusRequestEntityTooLarge, "Request too large",
			"That request was larger than any form on this site sends, so it was not read.")
		return false
	}
	p.message(w, http.StatusBadRequest, "Request not understood", "That request did not carry a form that could be read.")
	return false
}
