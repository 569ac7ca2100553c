// Package web serves the pages a subscriber reaches from a browser or a mail
// client: sign-up with double opt-in, the confirmation link, one-click
// unsubscribe (RFC 8058) and preferences, plus the health checks.
//
// The pages are plain server-rendered HTML with no JavaScript and no
// cookies. Every link that acts on a subscriber carries a token made by
// package signed, bound to the address and to one purpose; the token is
// the only authority, so these pages need no login and no session.
package web

import (
	"context"
	"log/slog"
	"net/http"

	"syndicate"
)

// maxBody bounds every request body: the largest honest form here is a
// sign-up of a few hundred bytes.
const maxBody = 16 << 10

// Store is what the pages need of the database; *store.Store satisfies it.
type Store interface {
	// Subscriber returns the subscriber with the address (compared
	// case-insensitively), or an error with code syndicate.ENOTFOUND.
	Subscriber(ctx context.Context, email string) (syndicate.Subscriber, error)
	// UpsertSubscriber adds s or updates the subscriber with its address,
	// reporting whether it was new.
	UpsertSubscriber(ctx context.Context, s syndicate.Subscriber) (syndicate.Subscriber, bool, error)
	// SetSubscriberStatus sets the status of the subscriber with the address.
	SetSubscriberStatus(ctx context.Context, email string, st syndicate.SubscriberStatus) error
	// SetSubscriberFrequency sets how often the subscriber is mailed.
	SetSubscriberFrequency(ctx context.Context, email string, f syndicate.Frequency) error
}

// Confirmer sends the double opt-in email, whose link is
// signed.ConfirmURL of the address (the program enqueues a job for it).
// An error means the email will not be sent; the sign-up page then says
// so, and the subscriber stays pending.
type Confirmer interface {
	RequestConfirmation(ctx context.Context, email string) error
}

// Config is what the pages need to know about the newsletter.
type Config struct {
	// Name is the newsletter's name, shown on every page; empty means
	// "Newsletter".
	Name string
	// BaseURL is the public URL of this server (SYNDICATE_BASE_URL); links
	// between pages start with it. Empty means links relative to the host
	// that served the page.
	BaseURL string
	// Secret is the key of signed links (SYNDICATE_SECRET). Empty means no
	// token can be trusted (anyone could sign one), so the pages that take a
	// token answer 503 and the sign-up form still works.
	Secret string
	// Log receives errors and changes of subscribers (by ID, never a token);
	// nil discards them.
	Log *slog.Logger
}

// NewServer returns the HTTP handler of the subscriber pages and the health
// checks; routes.go lists every route.
//
// ready is checked by GET /readyz (nil means always ready). Its error is
// logged; only the message of a *syndicate.Error is shown to the caller,
// anything else answers "not ready", so a database URL cannot leak.
func NewServer(c Config, st Store, conf Confirmer, ready func(context.Context) error) http.Handler {
	log := c.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	name := c.Name
	if name == "" {
		name = "Newsletter"
	}
	if c.Secret == "" {
		log.Warn("web: no secret for signed links; unsubscribe, preferences and confirm pages are off")
	}
	p := &pages{name: name, log: log, links: links{base: c.BaseURL, secret: c.Secret}}
	mux := http.NewServeMux()
	addRoutes(mux, log, p, st, conf, ready)
	return securityHeaders(limitBody(mux))
}

// securityHeaders sets, on every response, headers that keep the pages
// from running script, being framed, or leaking their URLs: those URLs
// carry tokens, so no Referer may carry them elsewhere.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// limitBody bounds every request body to maxBody bytes; reading past that
// fails with *http.MaxBytesError, which parseForm answers with 413.
func limitBody(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		h.ServeHTTP(w, r)
	})
}
