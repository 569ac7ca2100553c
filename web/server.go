// Package web serves the pages a subscriber reaches from a browser or a mail
// client: sign-up with double opt-in, the confirmation link, one-click
// unsubscribe (RFC 8058) and preferences, plus the health checks. It also
// serves the JSON API under /v1: the publish API for editors' tools
// (api.go) and the webhooks a CMS calls when a post goes live (hooks.go),
// and the public archive of sent emails with its RSS feed (archive.go).
//
// The pages are plain server-rendered HTML with no JavaScript and no
// cookies. Every link that acts on a subscriber carries a token made by
// package signed, bound to a subscriber's opaque handle, one purpose and
// the subscriber's token version; the token is the only authority, so
// these pages need no login and no session.
//
// The editor's dashboard under /admin (admin.go) is the exception: it sits
// behind a login with a signed session cookie and CSRF tokens
// (admin_auth.go), and its article page loads one script for the live
// progress of a send.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"syndicate"
)

// maxBody bounds every request body outside /v1: the largest honest form
// here is a sign-up of a few hundred bytes.
const maxBody = 16 << 10

// DefaultMaxBody bounds a /v1 request body when Config.MaxBody is zero:
// an article of a few hundred kilobytes of HTML is large; a megabyte is
// more than any CMS sends for one post.
const DefaultMaxBody = 1 << 20

// Publisher stores an article and queues its delivery, idempotently by ID:
// publishing an article whose ID is already stored changes nothing and
// reports created false. at is when to deliver it; zero means now.
type Publisher interface {
	Publish(ctx context.Context, a syndicate.Article, at time.Time) (created bool, err error)
}

// Articles reads what was published, for GET /v1/articles/{id}.
type Articles interface {
	// Article returns the article with the ID, or an error with code
	// syndicate.ENOTFOUND.
	Article(ctx context.Context, id string) (syndicate.Article, error)
	// Deliveries returns the ledger rows of item (an article ID, which is
	// also the ID of its instant email).
	Deliveries(ctx context.Context, item string) ([]syndicate.Delivery, error)
}

// Store is what the pages need of the database; *store.Store satisfies it.
type Store interface {
	// Subscriber returns the subscriber with the address (compared
	// case-insensitively), or an error with code syndicate.ENOTFOUND. Only
	// first-format unsubscribe links, which carry the address, use it.
	Subscriber(ctx context.Context, email string) (syndicate.Subscriber, error)
	// SubscriberByHandle returns the subscriber a signed link names, or an
	// error with code syndicate.ENOTFOUND.
	SubscriberByHandle(ctx context.Context, handle string) (syndicate.Subscriber, error)
	// SignUp records a sign-up from the public form: it adds a new address
	// as pending, makes an unsubscribed one pending again, and changes
	// nothing else (no existing row's name or frequency), reporting whether
	// the row was new. It does the same work whatever the address.
	SignUp(ctx context.Context, s syndicate.Subscriber) (syndicate.Subscriber, bool, error)
	// ConfirmSubscriber activates the pending subscriber with the handle
	// if its token version is still version, moving the version on; an
	// error with code syndicate.ECONFLICT if it is not.
	ConfirmSubscriber(ctx context.Context, handle string, version int64) (syndicate.Subscriber, error)
	// SetSubscriberStatus sets the status of the subscriber with the address.
	SetSubscriberStatus(ctx context.Context, email string, st syndicate.SubscriberStatus) error
	// SetSubscriberFrequency sets how often the subscriber is mailed.
	SetSubscriberFrequency(ctx context.Context, email string, f syndicate.Frequency) error
}

// Confirmer asks for the double opt-in email to the address (the program
// enqueues a job, which mails a signed.ConfirmURL if the subscriber is
// pending). The form calls it for every valid address, known or not. An
// error means the email will not be sent; the sign-up page then says so.
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

	// APIToken is the bearer token of the publish API
	// (SYNDICATE_API_TOKEN). Empty means the API is off: its routes answer
	// 503 rather than trusting an empty token.
	APIToken string
	// GhostSecret is the secret of the Ghost webhook (set on the custom
	// integration in Ghost Admin). Empty means POST /v1/hooks/ghost is off
	// and answers 404.
	GhostSecret string
	// WordPressSecret keys the signature of POST /v1/hooks/wordpress.
	// Empty means that route is off and answers 404.
	WordPressSecret string
	// MaxBody bounds the body of a /v1 request, in bytes; zero means
	// DefaultMaxBody. A larger body is refused with 413 unread.
	MaxBody int64
	// Publisher takes articles from the API and the webhooks; nil means
	// every /v1 route that publishes answers 503.
	Publisher Publisher
	// Articles answers GET /v1/articles/{id}; nil means that route answers
	// 503.
	Articles Articles
	// Now is the clock webhook timestamps and link expiries are checked
	// against, and the publication time of an article that gives none; nil
	// means time.Now.
	Now func() time.Time

	// Bounces applies the events of the bounce webhooks
	// (POST /v1/hooks/bounces/{provider}, bounces.go); nil means they
	// answer 503. BounceHooks says which providers are on and how each is
	// verified.
	Bounces     BounceProcessor
	BounceHooks BounceHooks

	// SignupPerClient and SignupTotal bound POST /subscribe per client
	// address and for everyone; nil means no limit of that kind. Over
	// either, the form answers 429 with Retry-After.
	SignupPerClient, SignupTotal Limiter
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client; empty means the client is the connection's peer.
	TrustedProxies []netip.Prefix

	// Metrics serves GET /metrics (the Prometheus text format); nil means
	// that route answers 404.
	Metrics http.Handler
	// MetricsToken, when set, is the bearer token GET /metrics needs;
	// empty means the metrics are open to whoever reaches the server.
	MetricsToken string
	// Admin is the editor's dashboard at /admin; its zero value is off.
	Admin Admin
	// Archive serves the public archive of sent emails (GET /archive, one
	// email at /archive/{id}, RSS at /archive/feed.xml); nil means the
	// archive is off and those paths answer 404.
	Archive Archive
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
	if c.MaxBody <= 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.APIToken == "" {
		log.Info("web: no API token; the publish API is off")
	}
	if c.SignupPerClient == nil || c.SignupTotal == nil {
		log.Warn("web: the sign-up form is not fully rate limited")
	}
	p := &pages{name: name, log: log, links: links{base: c.BaseURL, secret: c.Secret}, now: c.Now}
	mux := http.NewServeMux()
	addRoutes(mux, log, p, st, conf, ready, c)
	return securityHeaders(limitBody(mux, c.MaxBody), isHTTPS(c.BaseURL))
}

// hstsValue keeps browsers on https for a year once they have seen it, so
// a link sent in an email cannot be downgraded to http on a hostile
// network and its token read.
const hstsValue = "max-age=31536000; includeSubDomains"

// isHTTPS reports whether the public base URL is an https one.
func isHTTPS(base string) bool {
	u, err := url.Parse(strings.TrimSpace(base))
	return err == nil && strings.EqualFold(u.Scheme, "https")
}

// securityHeaders sets, on every response, headers that keep the pages
// from running script, being framed, or leaking their URLs: those URLs
// carry tokens, so no Referer may carry them elsewhere. With hsts (the
// server is public over https) it also sets Strict-Transport-Security;
// over plain http that header would be ignored, and on a development
// server it would pin localhost to https.
func securityHeaders(h http.Handler, hsts bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		if hsts {
			hd.Set("Strict-Transport-Security", hstsValue)
		}
		hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

// limitBody bounds every request body: the pages' to maxBody bytes, the
// /v1 API's (which takes whole articles) to api bytes. Reading past the
// bound fails with *http.MaxBytesError, which parseForm and readBody
// answer with 413.
func limitBody(h http.Handler, api int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := int64(maxBody)
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			limit = api
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		h.ServeHTTP(w, r)
	})
}
