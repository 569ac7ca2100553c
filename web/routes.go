package web

import (
	"context"
	"log/slog"
	"net/http"
)

// addRoutes is the whole HTTP surface of the package, in one place.
//
// The token pages take their token from the query (?token=…) on GET and
// POST alike, so a form on a page posts to the URL it was served from, and
// a mail provider's one-click POST (RFC 8058) hits the very same handler.
//
// Everything under /v1 speaks JSON, errors included ({"error": "..."}):
// the publish API takes a bearer token (c.APIToken), each CMS webhook its
// own signature (c.GhostSecret, c.WordPressSecret).
func addRoutes(mux *http.ServeMux, log *slog.Logger, p *pages, st Store, conf Confirmer, ready func(context.Context) error, c Config) {
	mux.Handle("GET /healthz", handleHealthz(log))
	mux.Handle("GET /readyz", handleReadyz(log, ready))
	mux.Handle("GET /metrics", handleMetrics(log, p, c.Metrics, c.MetricsToken))

	mux.Handle("GET /subscribe", handleSubscribeForm(p))
	lim := signupLimits{perClient: c.SignupPerClient, total: c.SignupTotal, proxies: c.TrustedProxies}
	mux.Handle("POST /subscribe", sameOrigin(log, p, handleSubscribe(log, p, st, conf, lim)))
	// GET (and HEAD) of a confirmation link only shows a button: mail
	// scanners open every link. The button's POST confirms.
	mux.Handle("GET /confirm", handleConfirmPage(p, st))
	mux.Handle("POST /confirm", handleConfirm(log, p, st))

	mux.Handle("GET /unsubscribe", handleUnsubscribePage(p, st))
	mux.Handle("POST /unsubscribe", handleUnsubscribe(log, p, st))
	mux.Handle("GET /preferences", handlePreferencesPage(p, st))
	mux.Handle("POST /preferences", handlePreferences(log, p, st))

	if c.Archive != nil {
		mux.Handle("GET /archive", handleArchiveList(p, c.Archive, c.BaseURL))
		mux.Handle("GET /archive/feed.xml", handleArchiveFeed(p, log, c.Archive, c.BaseURL))
		mux.Handle("GET /archive/{id}", handleArchiveEmail(p, log, c.Archive))
	}

	mux.Handle("POST /v1/articles", handlePublish(log, c))
	mux.Handle("GET /v1/articles/{id}", handleArticle(log, c))
	mux.Handle("POST /v1/hooks/ghost", handleGhostHook(log, c))
	mux.Handle("POST /v1/hooks/wordpress", handleWordPressHook(log, c))
	// The editor's dashboard (admin.go, admin_auth.go), when editors are
	// configured: every page needs a session, every POST its CSRF token.
	if a := newAdmin(c, log, p.name); a != nil {
		mux.Handle("GET /admin", a.handleArticles())
		mux.Handle("GET /admin/{$}", http.RedirectHandler("/admin", http.StatusMovedPermanently))
		mux.Handle("GET /admin/login", a.handleLoginPage())
		mux.Handle("POST /admin/login", a.handleLogin())
		mux.Handle("POST /admin/logout", a.handleLogout())
		mux.Handle("GET /admin/articles/{id}", a.handleArticle())
		mux.Handle("GET /admin/articles/{id}/progress", a.handleProgress())
		mux.Handle("POST /admin/articles/{id}/retry", a.handleRetry())
		mux.Handle("POST /admin/articles/{id}/cancel", a.handleCancel())
		mux.Handle("GET /admin/failures", a.handleFailures())
		mux.Handle("GET /admin/subscribers", a.handleSubscribers())
		mux.Handle("POST /admin/digest", a.handleDigest())
		mux.Handle("GET /admin/progress.js", handleScript())
	}

	// Bounces and complaints from the mail providers (bounces.go).
	bounces := handleBounceHook(log, c)
	mux.Handle("POST /v1/hooks/bounces/{provider}", bounces)
	mux.Handle("POST /v1/hooks/bounces/{provider}/{secret}", bounces)
	// Any other /v1 path (or method) gets a JSON error, not the HTML page.
	mux.Handle("/v1/", handleAPINotFound(log))

	// Anything else gets an HTML 404 with the same headers as the pages.
	mux.Handle("/", handleNotFound(p))
}
