package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"syndicate"
	"syndicate/signed"
)

// handleHealthz says the process is up; it checks nothing else.
func handleHealthz(log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, log, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleMetrics serves the Prometheus metrics, to the holder of token
// when there is one, or the 404 page when the server has none.
func handleMetrics(log *slog.Logger, p *pages, m http.Handler, token string) http.Handler {
	if m == nil {
		return handleNotFound(p)
	}
	if token == "" {
		return m
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if authorized(w, r, log, token) {
			m.ServeHTTP(w, r)
		}
	})
}

// handleReadyz says whether the process can serve: ready, if not nil,
// checks what it depends on, within two seconds so a hung database makes
// the probe fail rather than hang.
func handleReadyz(log *slog.Logger, ready func(context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
			defer cancel()
			if err := ready(ctx); err != nil {
				log.Warn("not ready", "error", err)
				msg := "not ready"
				var public *syndicate.Error
				if errors.As(err, &public) {
					msg = public.Message
				}
				writeJSON(w, log, http.StatusServiceUnavailable, map[string]string{"error": msg})
				return
			}
		}
		writeJSON(w, log, http.StatusOK, map[string]string{"status": "ready"})
	})
}

func writeJSON(w http.ResponseWriter, log *slog.Logger, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		log.Debug("write response", "error", err)
	}
}

// handleNotFound answers any other path with an HTML 404.
func handleNotFound(p *pages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		p.message(w, http.StatusNotFound, "Page not found", "There is no page at this address.")
	})
}

// handleSubscribeForm shows the sign-up form.
func handleSubscribeForm(p *pages) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		p.render(w, http.StatusOK, "subscribe", pageData{Frequencies: frequencyChoices(syndicate.Instant)})
	})
}

// handleSubscribe takes the sign-up form (email, optional name, frequency)
// and starts the double opt-in. The store's SignUp decides what the form
// may do: a new address becomes pending with the form's name and
// frequency; an unsubscribed one becomes pending again with its own; an
// active, pending or bounced row is left exactly as it is (an anonymous
// form may not change, downgrade or revive anyone). Then the confirmation
// job is asked for, whatever the address: it mails only a pending
// subscriber.
//
// So every valid address costs the same calls (one rate-limit check, one
// SignUp, one RequestConfirmation) and gets the same page with status
// 200, and the form tells no one who is on the list. A failure to enqueue
// answers 500, the same for every address.
func handleSubscribe(log *slog.Logger, p *pages, st Store, conf Confirmer, lim signupLimits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !lim.allow(w, r, p) {
			return
		}
		if !p.parseForm(w, r) {
			return
		}
		email := strings.TrimSpace(r.PostForm.Get("email"))
		name := strings.TrimSpace(r.PostForm.Get("name"))
		freqText := r.PostForm.Get("frequency")
		// again shows the form with what was typed and what is wrong with it.
		again := func(problem string, f syndicate.Frequency) {
			p.render(w, http.StatusBadRequest, "subscribe", pageData{
				Email: email, FormName: name, Error: problem, Frequencies: frequencyChoices(f),
			})
		}
		freq, err := syndicate.ParseFrequency(freqText)
		if err != nil {
			again("Please choose how often you want to hear from us: instant, daily or weekly.", syndicate.Instant)
			return
		}
		addr, err := syndicate.NormalizePublicEmail(email)
		if err != nil {
			again("Please enter a valid email address, like name@example.com.", freq)
			return
		}
		if err := syndicate.ValidateName(name); err != nil {
			again("Please shorten your name: it can be at most 200 characters, on one line, with no control or invisible characters.", freq)
			return
		}

		ctx := r.Context()
		sub, created, err := st.SignUp(ctx, syndicate.Subscriber{Email: addr, Name: name, Frequency: freq})
		if err != nil {
			p.fail(w, err, "subscribe: record sign-up")
			return
		}
		if err := conf.RequestConfirmation(ctx, addr); err != nil {
			log.Error("subscribe: request confirmation email", "subscriber", sub.ID, "error", err)
			p.message(w, http.StatusInternalServerError, "Something went wrong",
				"We could not send the confirmation email just now. Please try again in a few minutes.")
			return
		}
		log.Info("sign-up", "subscriber", sub.ID, "new", created, "status", sub.Status)
		p.render(w, http.StatusOK, "sent", pageData{})
	})
}

// linked is the subscriber a signed link names, and what the link may do.
type linked struct {
	syndicate.Subscriber
	// version is the token version the link carries.
	version int64
	// current says the link is of the current format and at the
	// subscriber's current version. Only a current link opens the
	// preferences or confirms; an older one (or an address-based link of
	// the first format) may still unsubscribe.
	current bool
}

// tokenSubscriber returns the subscriber named by the token in r's query,
// if the token was signed for purpose. When ok is false it has answered:
// 400 without a token, 403 for a forged, altered or other-purpose token,
// 410 for an expired one or (except to unsubscribe) one revoked by a
// newer version, 404 for a valid token whose subscriber is gone, 503 when
// no secret is configured. Nothing is changed in any of these cases.
//
// For PurposeUnsubscribe it also takes tokens of the first format, which
// carry the address: they are still in inboxes and must keep working, but
// only to unsubscribe, so they come back with current false.
func tokenSubscriber(w http.ResponseWriter, r *http.Request, p *pages, st Store, purpose string) (sub linked, ok bool) {
	if p.links.secret == "" {
		p.message(w, http.StatusServiceUnavailable, "Not available",
			"This page is not available because signed links are not configured on this server.")
		return sub, false
	}
	token := r.URL.Query().Get("token")
	if token == "" {
		p.message(w, http.StatusBadRequest, "Incomplete link",
			"This link has no token. Please use the whole link from your email; some mail programs split long links.")
		return sub, false
	}
	invalid := func() {
		p.log.Info("refused invalid link", "purpose", purpose) // never the token itself
		p.message(w, http.StatusForbidden, "Invalid link",
			"This link is not valid here: it was changed, cut short, or belongs to another page. Please use the link from your email as it is.")
	}
	ctx := r.Context()
	if purpose == signed.PurposeUnsubscribe && signed.IsLegacy(token) {
		email, err := signed.VerifyLegacy(p.links.secret, purpose, token)
		if err != nil {
			invalid()
			return sub, false
		}
		s, err := st.Subscriber(ctx, email)
		if err != nil {
			p.fail(w, err, purpose+": look up subscriber")
			return sub, false
		}
		return linked{Subscriber: s}, true
	}
	c, err := signed.Verify(p.links.secret, purpose, token, p.now())
	if errors.Is(err, signed.ErrExpired) {
		p.message(w, http.StatusGone, "This link has expired",
			"Confirmation links work for a limited time, and this one has run out. Please sign up again to get a new one.")
		return sub, false
	}
	if err != nil {
		invalid()
		return sub, false
	}
	s, err := st.SubscriberByHandle(ctx, c.Handle)
	if err != nil {
		p.fail(w, err, purpose+": look up subscriber")
		return sub, false
	}
	sub = linked{Subscriber: s, version: c.Version, current: c.Version == s.TokenVersion}
	if !sub.current && purpose != signed.PurposeUnsubscribe {
		if purpose == signed.PurposeConfirm && s.Status == syndicate.SubscriberActive {
			p.message(w, http.StatusOK, "Already confirmed",
				"This address is already subscribed, so there is nothing left to confirm.")
			return sub, false
		}
		p.message(w, http.StatusGone, "This link is no longer valid",
			"It was replaced when this subscription changed. Please use the link in the most recent email from us.")
		return sub, false
	}
	return sub, true
}

// leave unsubscribes sub. A bounced subscriber stays bounced: that status
// is a suppression too, and unlike unsubscribed it may not be lifted by
// signing up again.
func leave(ctx context.Context, log *slog.Logger, st Store, sub syndicate.Subscriber, via string) error {
	switch sub.Status {
	case syndicate.SubscriberUnsubscribed, syndicate.SubscriberBounced:
		return nil
	}
	if err := st.SetSubscriberStatus(ctx, sub.Email, syndicate.SubscriberUnsubscribed); err != nil {
		return err
	}
	log.Info("subscriber unsubscribed", "subscriber", sub.ID, "via", via)
	return nil
}

// handleConfirmPage shows the confirmation link's page: a button that
// posts to the same URL. GET (and HEAD, which Go routes here) never
// confirms: mail scanners and prefetchers open every link.
func handleConfirmPage(p *pages, st Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub, ok := tokenSubscriber(w, r, p, st, signed.PurposeConfirm)
		if !ok || !confirmable(w, p, sub) {
			return
		}
		p.render(w, http.StatusOK, "confirm", pageData{Email: sub.Email})
	})
}

// handleConfirm completes the double opt-in when the page's button is
// pressed: a pending subscriber becomes active, and its version moves on,
// so the link works once. A subscriber who has since left, or whose
// address bounced, is not reactivated by an old link: leaving is undone
// only by signing up again, bouncing only by an editor.
func handleConfirm(log *slog.Logger, p *pages, st Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.parseForm(w, r) {
			return
		}
		sub, ok := tokenSubscriber(w, r, p, st, signed.PurposeConfirm)
		if !ok || !confirmable(w, p, sub) {
			return
		}
		active, err := st.ConfirmSubscriber(r.Context(), sub.Handle, sub.version)
		if syndicate.ErrorCode(err) == syndicate.ECONFLICT {
			// Confirmed, left or signed up again between the two steps.
			p.message(w, http.StatusGone, "This link is no longer valid",
				"This link was already used. If you are not receiving our emails, please sign up again.")
			return
		}
		if err != nil {
			p.fail(w, err, "confirm: activate subscriber")
			return
		}
		log.Info("subscriber confirmed", "subscriber", active.ID)
		p.render(w, http.StatusOK, "subscribed", pageData{
			Email: active.Email, Frequency: string(active.Frequency), PreferencesURL: p.links.preferences(active),
		})
	})
}

// confirmable answers, and returns false, for a current confirm link whose
// subscriber is not pending (an editor changed it by hand since).
func confirmable(w http.ResponseWriter, p *pages, sub linked) bool {
	switch sub.Status {
	case syndicate.SubscriberPending:
		return true
	case syndicate.SubscriberActive:
		p.message(w, http.StatusOK, "Already confirmed",
			"This address is already subscribed, so there is nothing left to confirm.")
	case syndicate.SubscriberUnsubscribed:
		p.message(w, http.StatusGone, "This link has expired",
			"You left the list after this link was sent. To subscribe again, sign up once more and confirm the new email.")
	default:
		p.message(w, http.StatusGone, "We cannot send to this address",
			"Mail to this address could not be delivered, so we stopped sending. Please contact the editors to be added back.")
	}
	return false
}

// handleUnsubscribePage shows the unsubscribe link's page: a button that
// posts the one-click body to the same URL, and a link to the preferences.
// A GET never unsubscribes: link scanners and prefetchers open links.
func handleUnsubscribePage(p *pages, st Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub, ok := tokenSubscriber(w, r, p, st, signed.PurposeUnsubscribe)
		if !ok {
			return
		}
		d := pageData{Email: sub.Email, Subscribed: isSubscribed(sub.Subscriber)}
		if sub.current {
			// An old or first-format link may only unsubscribe: it does not
			// lead to the preferences.
			d.PreferencesURL = p.links.preferences(sub.Subscriber)
		}
		p.render(w, http.StatusOK, "unsubscribe", d)
	})
}

// handleUnsubscribe unsubscribes: both the RFC 8058 one-click POST from a
// mail provider and the page's button, which posts the same body
// (List-Unsubscribe=One-Click). It answers 200 with a page, without cookie
// or redirect, as RFC 8058 expects. The body is not required to be exactly
// the one-click one: the signed token is the authority, and refusing a
// provider's slightly different POST would keep mailing someone who left.
func handleUnsubscribe(log *slog.Logger, p *pages, st Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.parseForm(w, r) {
			return
		}
		sub, ok := tokenSubscriber(w, r, p, st, signed.PurposeUnsubscribe)
		if !ok {
			return
		}
		via := "page"
		if r.PostForm.Get("List-Unsubscribe") == "One-Click" {
			via = "one-click"
		}
		if err := leave(r.Context(), log, st, sub.Subscriber, via); err != nil {
			p.fail(w, err, "unsubscribe: set status")
			return
		}
		p.render(w, http.StatusOK, "unsubscribed", pageData{Email: sub.Email})
	})
}

// handlePreferencesPage shows a subscriber's frequency with a form to change
// it, and a button to leave.
func handlePreferencesPage(p *pages, st Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub, ok := tokenSubscriber(w, r, p, st, signed.PurposePreferences)
		if !ok {
			return
		}
		p.render(w, http.StatusOK, "preferences", preferencesData(sub.Subscriber))
	})
}

func preferencesData(sub syndicate.Subscriber) pageData {
	return pageData{Email: sub.Email, Subscribed: isSubscribed(sub), Frequencies: frequencyChoices(sub.Frequency)}
}

// handlePreferences takes the preferences form: frequency=instant|daily|
// weekly changes how often the subscriber is mailed; action=leave
// unsubscribes. Changing the frequency does not change the status, so it
// cannot bring back someone who left.
func handlePreferences(log *slog.Logger, p *pages, st Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !p.parseForm(w, r) {
			return
		}
		sub, ok := tokenSubscriber(w, r, p, st, signed.PurposePreferences)
		if !ok {
			return
		}
		switch r.PostForm.Get("action") {
		case "leave":
			if err := leave(r.Context(), log, st, sub.Subscriber, "preferences"); err != nil {
				p.fail(w, err, "preferences: set status")
				return
			}
			p.render(w, http.StatusOK, "unsubscribed", pageData{Email: sub.Email})
			return
		case "", "save":
		default:
			p.message(w, http.StatusBadRequest, "Request not understood", "That form asked for something this page does not do.")
			return
		}
		text := r.PostForm.Get("frequency")
		freq, err := syndicate.ParseFrequency(text)
		if err != nil || strings.TrimSpace(text) == "" {
			d := preferencesData(sub.Subscriber)
			d.Error = "Please choose how often you want to hear from us: instant, daily or weekly."
			p.render(w, http.StatusBadRequest, "preferences", d)
			return
		}
		if freq != sub.Frequency {
			if err := st.SetSubscriberFrequency(r.Context(), sub.Email, freq); err != nil {
				p.fail(w, err, "preferences: set frequency")
				return
			}
			log.Info("subscriber frequency changed", "subscriber", sub.ID, "frequency", freq)
			sub.Frequency = freq
		}
		d := preferencesData(sub.Subscriber)
		d.Saved = true
		p.render(w, http.StatusOK, "preferences", d)
	})
}

func isSubscribed(sub syndicate.Subscriber) bool {
	return sub.Status == syndicate.SubscriberActive || sub.Status == syndicate.SubscriberPending
}

// sameOrigin refuses cross-site POSTs to h with a 403 page, using
// net/http's CrossOriginProtection: the browser's Sec-Fetch-Site header,
// or else the Origin header against Host (and the origin of the base URL,
// for a server behind a proxy that rewrites Host). A request with neither
// header (curl, a script) passes: without a browser there is no forgery.
//
// Only the sign-up form needs it. The token pages are authorised by the
// token in their URL, which a forging site cannot know, and no page sets a
// cookie. Forging a sign-up would only get a confirmation email sent, which
// the forger could ask for directly, so this is hygiene, not a wall.
func sameOrigin(log *slog.Logger, p *pages, h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(p.links.base); err == nil && u.Scheme != "" && u.Host != "" {
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			log.Warn("web: base URL is not a usable origin for the sign-up form", "base_url", p.links.base, "error", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		p.message(w, http.StatusForbidden, "Form sent from another site",
			"This form can only be sent from our own sign-up page. Please open the sign-up page and try again.")
	}))
	return cop.Handler(h)
}
