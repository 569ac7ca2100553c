package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"golang.org/x/crypto/bcrypt"

	"syndicate"
	"syndicate/signed"
)

// The dashboard's login. A session is a cookie signed by package signed
// (user, random ID, expiry, under an HMAC keyed by the link secret and
// bound to the user's password hash, so changing a password ends its
// sessions). It is HttpOnly, SameSite=Strict, Secure when the base URL is
// https, and scoped to /admin. Every form carries a CSRF token bound to
// the session's ID (the login form's, to a cookie of its own), and every
// POST is refused without the right one, before anything is read or
// changed; cross-origin POSTs are refused too (http.CrossOriginProtection).

const (
	adminCookie = "syndicate_admin"       // the session
	loginCookie = "syndicate_admin_login" // binds the login form's CSRF token
	// DefaultSessionTTL is how long a login lasts when Admin.SessionTTL is zero.
	DefaultSessionTTL = 12 * time.Hour
	// maxPasswordLen is bcrypt's limit: it ignores what comes after.
	maxPasswordLen = 72
)

// session is a verified login and its forms' CSRF token.
type session struct {
	signed.Session
	csrf string
}

func (s *session) data() adminData { return adminData{User: s.User, CSRF: s.csrf} }

// newAdmin returns the dashboard of c; nil when it is off (no users, no
// store, or no secret to sign sessions with).
func newAdmin(c Config, log *slog.Logger, name string) *admin {
	if len(c.Admin.Users) == 0 || c.Admin.Store == nil {
		return nil
	}
	if c.Secret == "" {
		log.Warn("web: no secret to sign sessions with; the dashboard is off")
		return nil
	}
	if c.Admin.SessionTTL <= 0 {
		c.Admin.SessionTTL = DefaultSessionTTL
	}
	return &admin{
		Admin: c.Admin, log: log, name: name, secret: c.Secret, https: isHTTPS(c.BaseURL),
		now: c.Now, proxies: c.TrustedProxies, base: c.BaseURL, revoked: map[string]time.Time{},
	}
}

// session returns the request's verified session, or nil.
func (a *admin) session(r *http.Request) *session {
	c, err := r.Cookie(adminCookie)
	if err != nil {
		return nil
	}
	user, err := signed.SessionUser(c.Value)
	if err != nil {
		return nil
	}
	hash, ok := a.Users[user]
	if !ok {
		return nil
	}
	s, err := signed.VerifySession(a.secret, hash, c.Value, a.now())
	if err != nil {
		return nil
	}
	a.mu.Lock()
	_, out := a.revoked[s.ID]
	a.mu.Unlock()
	if out {
		return nil
	}
	return &session{Session: s, csrf: signed.CSRFToken(a.secret, s.ID)}
}

// page wraps a GET page: without a session, the login page.
func (a *admin) page(fn func(http.ResponseWriter, *http.Request, *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := a.session(r)
		if s == nil {
			http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
			return
		}
		fn(w, r, s)
	})
}

// api wraps a JSON read: without a session, 401.
func (a *admin) api(fn func(http.ResponseWriter, *http.Request, *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := a.session(r)
		if s == nil {
			writeJSONError(w, http.StatusUnauthorized, "not logged in")
			return
		}
		fn(w, r, s)
	})
}

// action wraps a POST that changes something. It answers, and changes
// nothing, when the request is cross-origin, has no session, or lacks the
// session's CSRF token; the form is parsed strictly first.
func (a *admin) action(fn func(http.ResponseWriter, *http.Request, *session, adminForm)) http.Handler {
	return a.crossOrigin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := a.session(r)
		if s == nil {
			a.message(w, http.StatusForbidden, nil, "Please log in again",
				"Your session has ended (or this form came from elsewhere), so nothing was done.", "/admin/login")
			return
		}
		f, ok := a.form(w, r, s)
		if !ok {
			return
		}
		if !signed.VerifyCSRF(a.secret, s.ID, f.CSRF) {
			a.log.Warn("admin: a form without its session's CSRF token", "user", s.User, "path", r.URL.Path)
			a.message(w, http.StatusForbidden, s, "Form expired",
				"This form was not the one this session showed, so nothing was done. Open the page again and retry.", "/admin")
			return
		}
		if a.Editor == nil {
			a.message(w, http.StatusServiceUnavailable, s, "Not available",
				"This server cannot reach the queue, so it cannot retry, cancel or send.", "/admin")
			return
		}
		fn(w, r, s, f)
	}))
}

// form reads and parses the body of a dashboard POST; when it returns
// false it has answered.
func (a *admin) form(w http.ResponseWriter, r *http.Request, s *session) (adminForm, bool) {
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.message(w, http.StatusRequestEntityTooLarge, s, "Request too large", "That request was larger than any form here sends.", "/admin")
			return adminForm{}, false
		}
		a.message(w, http.StatusBadRequest, s, "Request not understood", "That request did not carry a form that could be read.", "/admin")
		return adminForm{}, false
	}
	f, err := parseAdminForm(r.PostForm)
	if err != nil {
		a.message(w, http.StatusBadRequest, s, "Request not understood", syndicate.ErrorMessage(err), "/admin")
		return adminForm{}, false
	}
	return f, true
}

// crossOrigin refuses POSTs a browser sent from another origin: a second
// wall behind SameSite=Strict and the CSRF token.
func (a *admin) crossOrigin(h http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	if u, err := url.Parse(a.base); err == nil && u.Scheme != "" && u.Host != "" {
		if err := cop.AddTrustedOrigin(u.Scheme + "://" + u.Host); err != nil {
			a.log.Warn("web: base URL is not a usable origin for the dashboard", "error", err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		a.message(w, http.StatusForbidden, nil, "Form sent from another site", "The dashboard's forms can only be sent from its own pages; nothing was done.", "/admin")
	}))
	return cop.Handler(h)
}

// setCookie sets (or, with a negative maxAge, clears) one of the
// dashboard's cookies.
func (a *admin) setCookie(w http.ResponseWriter, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: a.https, SameSite: http.SameSiteStrictMode,
	})
}

// loginForm shows the login page with a fresh CSRF token bound to a fresh
// login cookie.
func (a *admin) loginForm(w http.ResponseWriter, status int, msg string) {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand's documented contract)
	nonce := hex.EncodeToString(b[:])
	a.setCookie(w, loginCookie, nonce, "/admin/login", 3600)
	a.render(w, status, "login", adminData{CSRF: signed.CSRFToken(a.secret, "login:"+nonce), Error: msg})
}

// handleLoginPage shows the login form, or the dashboard to one logged in.
func (a *admin) handleLoginPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.session(r) != nil {
			http.Redirect(w, r, "/admin", http.StatusSeeOther)
			return
		}
		a.loginForm(w, http.StatusOK, "")
	})
}

// handleLogin checks a name and password, within the login rate limits,
// and starts a session. An unknown name costs a bcrypt comparison too,
// so the time taken does not tell which names exist.
func (a *admin) handleLogin() http.Handler {
	return a.crossOrigin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			a.loginForm(w, http.StatusBadRequest, "That request did not carry a form that could be read.")
			return
		}
		c, err := r.Cookie(loginCookie)
		if err != nil || !signed.VerifyCSRF(a.secret, "login:"+c.Value, r.PostForm.Get("csrf")) {
			a.loginForm(w, http.StatusForbidden, "The form had expired. Please log in again.")
			return
		}
		name, password := r.PostForm.Get("name"), r.PostForm.Get("password")
		if name == "" || password == "" || len(name) > signed.MaxUserLen || len(password) > maxPasswordLen {
			a.loginForm(w, http.StatusUnauthorized, "Wrong name or password.")
			return
		}
		if !a.allowLogin(w, r, name) {
			return
		}
		hash, known := a.Users[name]
		if !known {
			hash = string(a.dummyHash())
		}
		if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || !known {
			a.log.Warn("admin: failed login", "client", clientKey(clientIP(r, a.proxies)))
			a.loginForm(w, http.StatusUnauthorized, "Wrong name or password.")
			return
		}
		s := signed.NewSession(name, a.now().Add(a.SessionTTL))
		tok, err := signed.SessionToken(a.secret, hash, s)
		if err != nil {
			a.log.Error("admin: make a session", "error", err)
			a.loginForm(w, http.StatusInternalServerError, "Something went wrong on our side.")
			return
		}
		a.setCookie(w, adminCookie, tok, "/admin", int(a.SessionTTL/time.Second))
		a.setCookie(w, loginCookie, "", "/admin/login", -1)
		a.log.Info("admin: login", "user", name)
		http.Redirect(w, r, "/admin", http.StatusSeeOther)
	}))
}

// allowLogin takes one attempt from the budgets of the client and of the
// user name; when it returns false it has answered 429 (or 503 when the
// limiter cannot be asked).
func (a *admin) allowLogin(w http.ResponseWriter, r *http.Request, name string) bool {
	if a.Logins == nil {
		return true
	}
	for _, key := range []string{"client:" + clientKey(clientIP(r, a.proxies)), "user:" + name} {
		ok, after, err := a.Logins.Allow(r.Context(), key)
		if err != nil {
			a.log.Error("admin: check the login rate limit", "error", err)
			w.Header().Set("Retry-After", "60")
			a.loginForm(w, http.StatusServiceUnavailable, "Logging in is not possible just now. Please try again in a minute.")
			return false
		}
		if !ok {
			secs := max(int(math.Ceil(after.Seconds())), 1)
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			a.log.Warn("admin: login attempts over the limit", "limit", key[:4])
			a.loginForm(w, http.StatusTooManyRequests, "Too many login attempts. Please try again in "+wait(secs)+".")
			return false
		}
	}
	return true
}

// dummyHash is a bcrypt hash of nothing anyone knows, at the cost of the
// configured hashes, made once.
func (a *admin) dummyHash() []byte {
	a.dummyOnce.Do(func() {
		cost := bcrypt.DefaultCost
		for _, h := range a.Users {
			if c, err := bcrypt.Cost([]byte(h)); err == nil {
				cost = c
			}
			break
		}
		var b [32]byte
		rand.Read(b[:]) // never fails (crypto/rand's documented contract)
		h, err := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(b[:])[:maxPasswordLen-8]), cost)
		if err != nil {
			// Cannot happen for a valid cost; a hash of nothing still never matches.
			h = []byte("$2a$10$" + hex.EncodeToString(b[:]))
		}
		a.dummy = h
	})
	return a.dummy
}

// handleLogout ends the session: the cookie is cleared and its ID refused
// by this process until it would have expired.
func (a *admin) handleLogout() http.Handler {
	return a.crossOrigin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := a.session(r)
		if s == nil {
			http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
			return
		}
		f, ok := a.form(w, r, s)
		if !ok {
			return
		}
		if !signed.VerifyCSRF(a.secret, s.ID, f.CSRF) {
			a.message(w, http.StatusForbidden, s, "Form expired", "This form was not the one this session showed; you are still logged in.", "/admin")
			return
		}
		now := a.now()
		a.mu.Lock()
		for id, exp := range a.revoked {
			if !now.Before(exp) {
				delete(a.revoked, id)
			}
		}
		a.revoked[s.ID] = s.Expires
		a.mu.Unlock()
		a.setCookie(w, adminCookie, "", "/admin", -1)
		a.log.Info("admin: logout", "user", s.User)
		http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
	}))
}

// adminForm is what the dashboard's action forms may carry.
type adminForm struct {
	CSRF      string
	Channel   syndicate.Channel   // retry: only this channel; "" for all
	Force     bool                // retry: also deliveries of unknown outcome
	Confirm   bool                // retry --force: the editor confirmed
	Frequency syndicate.Frequency // send digest: daily or weekly
}

// parseAdminForm reads an action form strictly: only known fields, each
// at most once, each value one the dashboard itself writes. An error has
// code syndicate.EINVALID and a sentence for the editor.
func parseAdminForm(v url.Values) (adminForm, error) {
	var f adminForm
	for k, vs := range v {
		if len(vs) != 1 {
			return adminForm{}, syndicate.Errorf(syndicate.EINVALID, "The form field %q was sent more than once.", trimField(k))
		}
		val := vs[0]
		switch k {
		case "csrf":
			f.CSRF = val
		case "channel":
			if val == "" {
				continue
			}
			ch, err := syndicate.ParseChannel(val)
			if err != nil {
				return adminForm{}, syndicate.Errorf(syndicate.EINVALID, "The form names a channel that does not exist.")
			}
			f.Channel = ch
		case "force", "confirm":
			if val != "yes" && val != "" {
				return adminForm{}, syndicate.Errorf(syndicate.EINVALID, "The form field %q is not yes or empty.", k)
			}
			if k == "force" {
				f.Force = val == "yes"
			} else {
				f.Confirm = val == "yes"
			}
		case "frequency":
			fr, err := syndicate.ParseFrequency(val)
			if err != nil {
				return adminForm{}, syndicate.Errorf(syndicate.EINVALID, "The form names a frequency that does not exist.")
			}
			f.Frequency = fr
		default:
			return adminForm{}, syndicate.Errorf(syndicate.EINVALID, "The form has a field %q that no form here sends.", trimField(k))
		}
	}
	return f, nil
}

// trimField bounds a field name quoted back to the editor.
func trimField(k string) string {
	if len(k) > 40 {
		return k[:40] + "…"
	}
	return k
}
