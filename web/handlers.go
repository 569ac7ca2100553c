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
// and starts the double opt-in: a new, pending or unsubscribed address
// becomes pending with the chosen settings and is sent a confirmation
// link. An active address is left as it is (an anonymous form must not
// change or downgrade it) and a bounced one is never reactivated.
//
// Every valid address gets the same page with status 200, so the form does
// not tell anyone who is on the list. Two things still differ, both
// accepted: the time taken (the store is written and a job enqueued only
// for some), and a failure to enqueue the email, which answers 500 so the
// person knows to try again.
func handleSubscribe(log *slog.Logger, p *pages, st Store, conf Confirmer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
		cur, err := st.Subscriber(ctx, addr)
		found := err == nil
		if err != nil && syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
			p.fail(w, err, "subscribe: look up subscriber")
			return
		}
		if !found || cur.Status == syndicate.SubscriberPending || cur.Status == syndicate.SubscriberUnsubscribed {
			if name == "" && found {
				name = cur.Name // a re-subscribe without a name keeps the old one
			}
			// The lookup and the upsert are two steps: a confirmation landing
			// between them would be set back to pending, and the person would
			// be asked to confirm again. Rare and harmless, so the Store
			// needs no conditional update for it.
			sub, created, err := st.UpsertSubscriber(ctx, syndicate.Subscriber{
				Email: addr, Name: name, Frequency: freq, Status: syndicate.SubscriberPending,
			})
			if err != nil {
				p.fail(w, err, "subscribe: save pending subscriber")
				return
			}
			if err := conf.RequestConfirmation(ctx, sub.Email); err != nil {
				log.Error("subscribe: request confirmation email", "subscriber", sub.ID, "error", err)
				p.message(w, http.StatusInternalServerError, "Something went wrong",
					"We could not send the confirmation email just now. Please try again in a few minutes.")
				return
			}
			log.Info("subscriber pending confirmation", "subscriber", sub.ID, "new", created)
		}
		p.render(w, http.StatusOK, "sent", pageData{})
	})
}

// tokenSubscriber returns the subscriber named by the token in r's query,
// if the token was signed for purpose. When ok is false it has answered:
// 400 without a token, 403 for a forged, altered or other-purpose token
// (nothing is read or changed), 404 for a valid token whose subscriber is
// gone, 503 when no secret is configured.
func tokenSubscriber(w http.ResponseWriter, r *http.Request, p *pages, st Store, purpose string) (sub syndicate.Subscriber, ok bool) {
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
	email, err := signed.Verify(p.links.secret, purpose, token)
	if err != nil {
		p.log.Info("refused invalid link", "purpose", purpose) // never the token itself
		p.message(w, http.StatusForbidden, "Invalid link",
			"This link is not valid here: it was changed, cut short, or belongs to another page. Please use the link from your email as it is.")
		return sub, false
	}
	sub, err = st.Subscriber(r.Context(), email)
	if err != nil {
		p.fail(w, err, purpose+": look up subscriber")
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

// handleConfirm completes the double opt-in: a pending subscriber becomes
// active. Confirming twice is fine. A subscriber who has since left, or
// whose address bounced, is not reactivated by an old link: leaving is
// undone only by signing up again, bouncing only by an editor.
func handleConfirm(log *slog.Logger, p *pages, st Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && !p.parseForm(w, r) {
			return
		}
		sub, ok := tokenSubscriber(w, r, p, st, signed.PurposeConfirm)
		if !ok {
			return
		}
		switch sub.Status {
		case syndicate.SubscriberPending:
			if err := st.SetSubscriberStatus(r.Context(), sub.Email, syndicate.SubscriberActive); err != nil {
				p.fail(w, err, "confirm: activate subscriber")
				return
			}
			log.Info("subscriber confirmed", "subscriber", sub.ID)
		case syndicate.SubscriberActive:
		case syndicate.SubscriberUnsubscribed:
			p.message(w, http.StatusGone, "This link has expired",
				"You left the list after this link was sent. To subscribe again, sign up once more and confirm the new email.")
			return
		default:
			p.message(w, http.StatusGone, "We cannot send to this address",
				"Mail to this address could not be delivered, so we stopped sending. Please contact the editors to be added back.")
			return
		}
		p.render(w, http.StatusOK, "subscribed", pageData{
			Email: sub.Email, Frequency: string(sub.Frequency), PreferencesURL: p.links.preferences(sub.Email),
		})
	})
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
		p.render(w, http.StatusOK, "unsubscribe", pageData{
			Email: sub.Email, Subscribed: isSubscribed(sub), PreferencesURL: p.links.preferences(sub.Email),
		})
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
		if err := leave(r.Context(), log, st, sub, via); err != nil {
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
		p.render(w, http.StatusOK, "preferences", preferencesData(sub))
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
			if err := leave(r.Context(), log, st, sub, "preferences"); err != nil {
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
			d := preferencesData(sub)
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
		d := preferencesData(sub)
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
