package web_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"syndicate"
	"syndicate/signed"
	"syndicate/store"
	"syndicate/web"
)

// The store the program wires in must satisfy the pages' interface.
var _ web.Store = (*store.Store)(nil)

const (
	testBase   = "https://news.example.com"
	testSecret = "0123456789abcdef-test-secret"
	testName   = "The Weekly Bean"
)

// fakeConfirmer records the addresses it was asked to confirm.
type fakeConfirmer struct {
	mu     sync.Mutex
	emails []string
	err    error
}

func (f *fakeConfirmer) RequestConfirmation(_ context.Context, email string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.emails = append(f.emails, email)
	return nil
}

func (f *fakeConfirmer) sent() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.emails...)
}

type env struct {
	t    *testing.T
	h    http.Handler
	st   *store.Store
	conf *fakeConfirmer
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvConfig(t, web.Config{Name: testName, BaseURL: testBase, Secret: testSecret})
}

func newEnvConfig(t *testing.T, c web.Config) *env {
	t.Helper()
	st := openStore(t)
	conf := &fakeConfirmer{}
	c.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	return &env{t: t, h: web.NewServer(c, st, conf, nil), st: st, conf: conf}
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "syndicate.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return st
}

// response is a finished request.
type response struct {
	*http.Response
	method, target string
	body           string
}

// do sends a request to the handler; target may be a full URL on testBase.
func (e *env) do(method, target, contentType, body string, header ...string) response {
	e.t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		e.t.Fatal(err)
	}
	r := httptest.NewRequest(method, u.RequestURI(), strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	res := w.Result()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{Response: res, method: method, target: u.RequestURI(), body: string(b)}
}

func (e *env) get(target string) response { return e.do(http.MethodGet, target, "", "") }

func (e *env) postForm(target string, v url.Values, header ...string) response {
	return e.do(http.MethodPost, target, "application/x-www-form-urlencoded", v.Encode(), header...)
}

func (e *env) add(email string, st syndicate.SubscriberStatus, f syndicate.Frequency) {
	e.t.Helper()
	if _, _, err := e.st.UpsertSubscriber(context.Background(), syndicate.Subscriber{Email: email, Name: "Ann", Frequency: f, Status: st}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) sub(email string) syndicate.Subscriber {
	e.t.Helper()
	s, err := e.st.Subscriber(context.Background(), email)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) wantStatus(email string, want syndicate.SubscriberStatus) {
	e.t.Helper()
	if got := e.sub(email).Status; got != want {
		e.t.Errorf("status of %s = %s, want %s", email, got, want)
	}
}

func (e *env) absent(email string) {
	e.t.Helper()
	if _, err := e.st.Subscriber(context.Background(), email); syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
		e.t.Errorf("subscriber %s: err = %v, want not found", email, err)
	}
}

// goneHandle is a well-formed handle that no subscriber has.
const goneHandle = "0123456789abcdef0123456789abcdef"

// link is the signed link of purpose that an email to the subscriber at
// email would carry now: its handle, its current version, and for a
// confirm link an expiry an hour from now.
func (e *env) link(purpose, email string) string {
	e.t.Helper()
	s := e.sub(email)
	return makeLink(e.t, testBase, purpose, s.Handle, s.TokenVersion)
}

func makeLink(t *testing.T, base, purpose, handle string, version int64) string {
	t.Helper()
	c := signed.Claims{Handle: handle, Version: version, Purpose: purpose}
	if purpose == signed.PurposeConfirm {
		c.Expires = time.Now().Add(time.Hour)
	}
	u, err := signed.Link(base, "/"+purpose, testSecret, c)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// legacyLink is a link of the first, address-based format, as mailed
// before handles existed.
func legacyLink(purpose, email string) string {
	return testBase + "/" + purpose + "?token=" + url.QueryEscape(signed.LegacyToken(testSecret, purpose, strings.ToLower(email)))
}

func wantCode(t *testing.T, r response, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body:\n%s", r.method, r.target, r.StatusCode, want, r.body)
	}
}

func wantBody(t *testing.T, r response, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(r.body, s) {
			t.Errorf("%s %s: body lacks %q:\n%s", r.method, r.target, s, r.body)
		}
	}
}

func wantSecurityHeaders(t *testing.T, r response) {
	t.Helper()
	for k, v := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	} {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

const oneClick = "List-Unsubscribe=One-Click"

func TestOneClickUnsubscribe(t *testing.T) {
	e := newEnv(t)
	e.add("ann@example.com", syndicate.SubscriberActive, syndicate.Daily)
	r := e.do(http.MethodPost, e.link(signed.PurposeUnsubscribe, "ann@example.com"), "application/x-www-form-urlencoded", oneClick)
	wantCode(t, r, http.StatusOK)
	for _, h := range []string{"Set-Cookie", "Location"} {
		if v := r.Header.Values(h); len(v) > 0 {
			t.Errorf("one-click response has %s: %q", h, v)
		}
	}
	wantSecurityHeaders(t, r)
	wantBody(t, r, "You're unsubscribed", "ann@example.com", testName)
	e.wantStatus("ann@example.com", syndicate.SubscriberUnsubscribed)

	// Again: still 200, still unsubscribed.
	r = e.do(http.MethodPost, e.link(signed.PurposeUnsubscribe, "ann@example.com"), "application/x-www-form-urlencoded", oneClick)
	wantCode(t, r, http.StatusOK)
	e.wantStatus("ann@example.com", syndicate.SubscriberUnsubscribed)
}

// RFC 8058 lets the mail provider send the body as multipart/form-data.
func TestOneClickUnsubscribeMultipart(t *testing.T) {
	e := newEnv(t)
	e.add("Bob@Example.com", syndicate.SubscriberActive, syndicate.Instant)
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	if err := mw.WriteField("List-Unsubscribe", "One-Click"); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	r := e.do(http.MethodPost, e.link(signed.PurposeUnsubscribe, "bob@example.com"), mw.FormDataContentType(), b.String())
	wantCode(t, r, http.StatusOK)
	e.wantStatus("bob@example.com", syndicate.SubscriberUnsubscribed)
}

func TestUnsubscribePage(t *testing.T) {
	e := newEnv(t)
	e.add("ann@example.com", syndicate.SubscriberActive, syndicate.Instant)
	r := e.get(e.link(signed.PurposeUnsubscribe, "ann@example.com"))
	wantCode(t, r, http.StatusOK)
	wantSecurityHeaders(t, r)
	if ct := r.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	wantBody(t, r,
		"<title>Unsubscribe · "+testName+"</title>",
		`<meta name="viewport"`,
		`<form method="post">`,
		`<input type="hidden" name="List-Unsubscribe" value="One-Click">`,
		`href="`+e.link(signed.PurposePreferences, "ann@example.com")+`"`,
		"ann@example.com",
	)
	if strings.Contains(r.body, "<script") {
		t.Error("page has a script")
	}
	// Opening the page (as a link scanner does) changes nothing.
	e.wantStatus("ann@example.com", syndicate.SubscriberActive)

	// Someone who has already left sees no button.
	e.add("cat@example.com", syndicate.SubscriberUnsubscribed, syndicate.Instant)
	r = e.get(e.link(signed.PurposeUnsubscribe, "cat@example.com"))
	wantCode(t, r, http.StatusOK)
	if strings.Contains(r.body, "One-Click") {
		t.Errorf("page for an unsubscribed address offers the button:\n%s", r.body)
	}
}

// tamper returns ways to spoil the token of a signed link.
func tamper(t *testing.T, link string) map[string]string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	tok := u.Query().Get("token")
	purpose := strings.TrimPrefix(u.Path, "/")
	with := func(token string) string {
		v := url.Values{"token": {token}}
		return u.Path + "?" + v.Encode()
	}
	flip := func(i int) string {
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	c, err := signed.Verify(testSecret, purpose, tok, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	other, err := signed.Token("other-secret-0123456789", c)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"no token":      u.Path,
		"empty token":   with(""),
		"altered mac":   with(flip(len(tok) - 5)),
		"other handle":  with(flip(5)),
		"last char":     with(flip(len(tok) - 1)),
		"other secret":  with(other),
		"truncated":     with(tok[:len(tok)-3]),
		"CRLF inside":   with(tok[:10] + "\r\n" + tok[10:]),
		"garbage":       with("not-a-token"),
		"legacy forged": with(signed.LegacyToken("other-secret-0123456789", purpose, "bob@example.com")),
	}
}

func TestForgedTokensChangeNothing(t *testing.T) {
	e := newEnv(t)
	e.add("ann@example.com", syndicate.SubscriberActive, syndicate.Daily)
	e.add("bob@example.com", syndicate.SubscriberActive, syndicate.Daily)
	e.add("pat@example.com", syndicate.SubscriberPending, syndicate.Daily)
	links := map[string]string{
		"unsubscribe": e.link(signed.PurposeUnsubscribe, "ann@example.com"),
		"preferences": e.link(signed.PurposePreferences, "ann@example.com"),
		"confirm":     e.link(signed.PurposeConfirm, "pat@example.com"),
	}
	bodies := map[string]url.Values{
		"unsubscribe": {"List-Unsubscribe": {"One-Click"}},
		"preferences": {"action": {"leave"}},
		"confirm":     {},
	}
	for page, link := range links {
		for name, target := range tamper(t, link) {
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				r := e.do(method, target, "application/x-www-form-urlencoded", bodies[page].Encode())
				if r.StatusCode != http.StatusBadRequest && r.StatusCode != http.StatusForbidden {
					t.Errorf("%s %s (%s): status %d, want 400 or 403", method, page, name, r.StatusCode)
				}
				if strings.Contains(r.body, "@example.com") {
					t.Errorf("%s %s (%s): page shows an address:\n%s", method, page, name, r.body)
				}
			}
		}
	}
	for _, a := range []string{"ann@example.com", "bob@example.com"} {
		e.wantStatus(a, syndicate.SubscriberActive)
		if f := e.sub(a).Frequency; f != syndicate.Daily {
			t.Errorf("frequency of %s = %s, want daily", a, f)
		}
	}
	e.wantStatus("pat@example.com", syndicate.SubscriberPending)
}

// A token signed for one page is refused by every other.
func TestOtherPurposeTokenRefused(t *testing.T) {
	e := newEnv(t)
	e.add("pat@example.com", syndicate.SubscriberPending, syndicate.Instant)
	e.add("ann@example.com", syndicate.SubscriberActive, syndicate.Instant)
	tok := func(link string) string {
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		return url.QueryEscape(u.Query().Get("token"))
	}
	unsubPat := tok(e.link(signed.PurposeUnsubscribe, "pat@example.com"))
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r := e.do(method, "/confirm?token="+unsubPat, "", "")
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("%s /confirm with an unsubscribe token: status %d, want 403", method, r.StatusCode)
		}
	}
	e.wantStatus("pat@example.com", syndicate.SubscriberPending)

	confirmAnn := tok(e.link(signed.PurposeConfirm, "ann@example.com"))
	prefsAnn := tok(e.link(signed.PurposePreferences, "ann@example.com"))
	r := e.postForm("/unsubscribe?token="+confirmAnn, url.Values{"List-Unsubscribe": {"One-Click"}})
	wantCode(t, r, http.StatusForbidden)
	r = e.postForm("/unsubscribe?token="+prefsAnn, url.Values{"List-Unsubscribe": {"One-Click"}})
	wantCode(t, r, http.StatusForbidden)
	r = e.postForm("/preferences?token="+tok(e.link(signed.PurposeUnsubscribe, "ann@example.com")), url.Values{"action": {"leave"}})
	wantCode(t, r, http.StatusForbidden)
	e.wantStatus("ann@example.com", syndicate.SubscriberActive)
}

// A valid token for an address that is not (or no longer) in the store.
func TestUnknownSubscriberNotFound(t *testing.T) {
	e := newEnv(t)
	for _, link := range []string{
		makeLink(t, testBase, signed.PurposeUnsubscribe, goneHandle, 1),
		makeLink(t, testBase, signed.PurposePreferences, goneHandle, 1),
		makeLink(t, testBase, signed.PurposeConfirm, goneHandle, 1),
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			r := e.do(method, link, "application/x-www-form-urlencoded", oneClick)
			wantCode(t, r, http.StatusNotFound)
			wantBody(t, r, "not on our list")
		}
	}
	e.absent("gone@example.com")
}

func TestSubscribeConfirm(t *testing.T) {
	e := newEnv(t)
	r := e.get("/subscribe")
	wantCode(t, r, http.StatusOK)
	wantSecurityHeaders(t, r)
	wantBody(t, r, `<form method="post">`, `name="email"`, `name="name"`, `name="frequency"`, `value="weekly"`, "<title>Subscribe · "+testName+"</title>")

	r = e.postForm("/subscribe", url.Values{"email": {"New@Example.COM"}, "name": {"Nell"}, "frequency": {"weekly"}})
	wantCode(t, r, http.StatusOK)
	wantBody(t, r, "Check your inbox")
	s := e.sub("new@example.com")
	if s.Status != syndicate.SubscriberPending || s.Name != "Nell" || s.Frequency != syndicate.Weekly {
		t.Errorf("after sign-up: %+v, want pending Nell weekly", s)
	}
	if got := e.conf.sent(); len(got) != 1 || !strings.EqualFold(got[0], "new@example.com") {
		t.Fatalf("confirmations = %q, want new@example.com", got)
	}

	// Opening the link shows a button and changes nothing; its POST
	// confirms, once.
	link := e.link(signed.PurposeConfirm, "new@example.com")
	for range 2 {
		r = e.get(link)
		wantCode(t, r, http.StatusOK)
		wantBody(t, r, "Confirm your subscription", `<form method="post">`, `<button type="submit" id="yes">`, "New@example.com")
		e.wantStatus("new@example.com", syndicate.SubscriberPending)
	}
	r = e.postForm(link, url.Values{})
	wantCode(t, r, http.StatusOK)
	wantBody(t, r, "You're subscribed", "weekly digest", `href="`+e.link(signed.PurposePreferences, "new@example.com")+`"`)
	e.wantStatus("new@example.com", syndicate.SubscriberActive)
	// The link is spent: pressing again or reopening it says so and
	// changes nothing.
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		r = e.do(method, link, "application/x-www-form-urlencoded", "")
		wantCode(t, r, http.StatusOK)
		wantBody(t, r, "Already confirmed")
	}
	e.wantStatus("new@example.com", syndicate.SubscriberActive)
}

// The sign-up form gives the same answer whatever is known of the address.
func TestSubscribeDoesNotEnumerate(t *testing.T) {
	e := newEnv(t)
	e.add("active@example.com", syndicate.SubscriberActive, syndicate.Daily)
	e.add("bounced@example.com", syndicate.SubscriberBounced, syndicate.Daily)
	e.add("left@example.com", syndicate.SubscriberUnsubscribed, syndicate.Daily)
	e.add("pending@example.com", syndicate.SubscriberPending, syndicate.Daily)
	var first response
	for i, addr := range []string{"unknown@example.com", "active@example.com", "bounced@example.com", "left@example.com", "pending@example.com"} {
		r := e.postForm("/subscribe", url.Values{"email": {addr}, "frequency": {"weekly"}})
		wantCode(t, r, http.StatusOK)
		if i == 0 {
			first = r
			continue
		}
		if r.body != first.body {
			t.Errorf("answer for %s differs from that for an unknown address:\n%s\n---\n%s", addr, r.body, first.body)
		}
		if len(r.Header) != len(first.Header) {
			t.Errorf("headers for %s differ: %v vs %v", addr, r.Header, first.Header)
		}
	}
	// An active subscriber is neither downgraded nor changed; a bounced one
	// is not reactivated; neither is mailed.
	if s := e.sub("active@example.com"); s.Status != syndicate.SubscriberActive || s.Frequency != syndicate.Daily {
		t.Errorf("active subscriber after sign-up: %+v", s)
	}
	e.wantStatus("bounced@example.com", syndicate.SubscriberBounced)
	e.wantStatus("left@example.com", syndicate.SubscriberPending)
	e.wantStatus("pending@example.com", syndicate.SubscriberPending)
	e.wantStatus("unknown@example.com", syndicate.SubscriberPending)
	// The form asks for a confirmation for every address (the job decides
	// whom to mail), and changed no existing row's frequency.
	got := strings.Join(e.conf.sent(), " ")
	if got != "unknown@example.com active@example.com bounced@example.com left@example.com pending@example.com" {
		t.Errorf("confirmations asked for %q", got)
	}
	for _, a := range []string{"active@example.com", "bounced@example.com", "left@example.com", "pending@example.com"} {
		if s := e.sub(a); s.Frequency != syndicate.Daily || s.Name != "Ann" {
			t.Errorf("%s after a weekly sign-up: %+v, want Ann daily", a, s)
		}
	}
}

func TestResubscribeAfterLeaving(t *testing.T) {
	e := newEnv(t)
	e.add("ann@example.com", syndicate.SubscriberPending, syndicate.Daily)
	old := e.link(signed.PurposeConfirm, "ann@example.com")
	wantCode(t, e.do(http.MethodPost, e.link(signed.PurposeUnsubscribe, "ann@example.com"), "application/x-www-form-urlencoded", oneClick), http.StatusOK)
	e.wantStatus("ann@example.com", syndicate.SubscriberUnsubscribed)

	// The old confirmation link does not bring her back by itself.
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r := e.do(method, old, "application/x-www-form-urlencoded", "")
		wantCode(t, r, http.StatusGone)
	}
	e.wantStatus("ann@example.com", syndicate.SubscriberUnsubscribed)

	// Signing up again does, once confirmed with the new link. The form's
	// frequency does not overwrite hers (she can change it from the
	// preferences link), nor does the old link work after it.
	wantCode(t, e.postForm("/subscribe", url.Values{"email": {"ann@example.com"}, "name": {"Mallory"}, "frequency": {"instant"}}), http.StatusOK)
	e.wantStatus("ann@example.com", syndicate.SubscriberPending)
	wantCode(t, e.postForm(old, url.Values{}), http.StatusGone)
	e.wantStatus("ann@example.com", syndicate.SubscriberPending)
	wantCode(t, e.postForm(e.link(signed.PurposeConfirm, "ann@example.com"), url.Values{}), http.StatusOK)
	s := e.sub("ann@example.com")
	if s.Status != syndicate.SubscriberActive || s.Frequency != syndicate.Daily || s.Name != "Ann" {
		t.Errorf("after re-subscribing: %+v, want active daily Ann", s)
	}
}

func TestBouncedNotReactivated(t *testing.T) {
	e := newEnv(t)
	e.add("dead@example.com", syndicate.SubscriberBounced, syndicate.Daily)
	wantCode(t, e.postForm("/subscribe", url.Values{"email": {"dead@example.com"}}), http.StatusOK)
	wantCode(t, e.get(e.link(signed.PurposeConfirm, "dead@example.com")), http.StatusGone)
	wantCode(t, e.postForm(e.link(signed.PurposeConfirm, "dead@example.com"), url.Values{}), http.StatusGone)
	wantCode(t, e.postForm(e.link(signed.PurposeUnsubscribe, "dead@example.com"), url.Values{"List-Unsubscribe": {"One-Click"}}), http.StatusOK)
	wantCode(t, e.postForm(e.link(signed.PurposePreferences, "dead@example.com"), url.Values{"action": {"leave"}}), http.StatusOK)
	// Leaving keeps it bounced: "unsubscribed" could be lifted by signing up.
	e.wantStatus("dead@example.com", syndicate.SubscriberBounced)
	wantCode(t, e.postForm("/subscribe", url.Values{"email": {"dead@example.com"}}), http.StatusOK)
	e.wantStatus("dead@example.com", syndicate.SubscriberBounced)
	// The form asked for a confirmation both times, as for any address;
	// the job mails only pending subscribers (jobs.TestConfirmEmail).
	if got := e.conf.sent(); len(got) != 2 {
		t.Errorf("confirmations asked for %q, want two", got)
	}
}

func TestSubscribeInvalidInput(t *testing.T) {
	e := newEnv(t)
	for name, c := range map[string]struct {
		form url.Values
		want string
	}{
		"not an address": {url.Values{"email": {"not-an-address"}}, "valid email address"},
		"empty":          {url.Values{"email": {""}}, "valid email address"},
		"header inject":  {url.Values{"email": {"a@example.com\r\nBcc: x@example.com"}}, "valid email address"},
		"script":         {url.Values{"email": {`<script>alert(1)</script>@example.com`}}, "valid email address"},
		"frequency":      {url.Values{"email": {"a@example.com"}, "frequency": {"hourly"}}, "instant, daily or weekly"},
		"long name":      {url.Values{"email": {"a@example.com"}, "name": {strings.Repeat("n", 201)}}, "shorten your name"},
		"domain literal": {url.Values{"email": {"lit@[127.0.0.1]"}}, "valid email address"},
		"look-alike":     {url.Values{"email": {"\u212Aate@example.com"}}, "valid email address"},
		"escape in name": {url.Values{"email": {"a@example.com"}, "name": {"Ann\x1b[2J"}}, "shorten your name"},
		"bidi in name":   {url.Values{"email": {"a@example.com"}, "name": {"Ann\u202e"}}, "shorten your name"},
	} {
		r := e.postForm("/subscribe", c.form)
		wantCode(t, r, http.StatusBadRequest)
		wantBody(t, r, c.want, `<form method="post">`)
		if strings.Contains(r.body, "<script>") {
			t.Errorf("%s: the input is not escaped:\n%s", name, r.body)
		}
	}
	e.absent("a@example.com")
	if got := e.conf.sent(); len(got) != 0 {
		t.Errorf("confirmations sent to %q", got)
	}
	// What was typed is shown back, escaped, so it can be corrected.
	r := e.postForm("/subscribe", url.Values{"email": {`x"><b>@example`}, "name": {"Zoë <Z>"}})
	wantBody(t, r, `value="x&#34;&gt;&lt;b&gt;@example"`, `value="Zoë &lt;Z&gt;"`)
}

func TestConfirmerFailure(t *testing.T) {
	e := newEnv(t)
	e.conf.err = errors.New("redis is down")
	r := e.postForm("/subscribe", url.Values{"email": {"ann@example.com"}})
	wantCode(t, r, http.StatusInternalServerError)
	wantBody(t, r, "try again")
	if strings.Contains(r.body, "redis") {
		t.Errorf("page shows the internal error:\n%s", r.body)
	}
}

func TestSubscribeCrossOrigin(t *testing.T) {
	e := newEnv(t)
	form := url.Values{"email": {"ann@example.com"}}
	r := e.postForm("/subscribe", form, "Sec-Fetch-Site", "cross-site")
	wantCode(t, r, http.StatusForbidden)
	r = e.postForm("/subscribe", form, "Origin", "https://evil.example")
	wantCode(t, r, http.StatusForbidden)
	e.absent("ann@example.com")

	wantCode(t, e.postForm("/subscribe", form, "Sec-Fetch-Site", "same-origin"), http.StatusOK)
	wantCode(t, e.postForm("/subscribe", url.Values{"email": {"bob@example.com"}}, "Origin", testBase), http.StatusOK)
	e.wantStatus("ann@example.com", syndicate.SubscriberPending)
	e.wantStatus("bob@example.com", syndicate.SubscriberPending)
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	e.add("ann@example.com", syndicate.SubscriberActive, syndicate.Daily)
	big := strings.Repeat("x", 32<<10)
	r := e.postForm("/subscribe", url.Values{"email": {"bob@example.com"}, "name": {big}})
	wantCode(t, r, http.StatusRequestEntityTooLarge)
	e.absent("bob@example.com")

	r = e.do(http.MethodPost, e.link(signed.PurposeUnsubscribe, "ann@example.com"), "application/x-www-form-urlencoded", oneClick+"&pad="+big)
	wantCode(t, r, http.StatusRequestEntityTooLarge)
	r = e.postForm(e.link(signed.PurposePreferences, "ann@example.com"), url.Values{"action": {"leave"}, "pad": {big}})
	wantCode(t, r, http.StatusRequestEntityTooLarge)
	var mb strings.Builder
	mw := multipart.NewWriter(&mb)
	for k, v := range map[string]string{"List-Unsubscribe": "One-Click", "pad": big} {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	r = e.do(http.MethodPost, e.link(signed.PurposeUnsubscribe, "ann@example.com"), mw.FormDataContentType(), mb.String())
	wantCode(t, r, http.StatusRequestEntityTooLarge)
	e.wantStatus("ann@example.com", syndicate.SubscriberActive)

	// Just under the limit is fine.
	r = e.postForm("/subscribe", url.Values{"email": {"cat@example.com"}, "pad": {strings.Repeat("x", 15<<10)}})
	wantCode(t, r, http.StatusOK)
}

func TestPreferences(t *testing.T) {
	e := newEnv(t)
	e.add("ann@example.com", syndicate.SubscriberActive, syndicate.Instant)
	link := e.link(signed.PurposePreferences, "ann@example.com")
	r := e.get(link)
	wantCode(t, r, http.StatusOK)
	wantSecurityHeaders(t, r)
	wantBody(t, r, `value="instant" checked`, `name="action" value="leave"`, "ann@example.com", "<title>Your preferences · "+testName+"</title>")

	r = e.postForm(link, url.Values{"frequency": {"weekly"}, "action": {"save"}})
	wantCode(t, r, http.StatusOK)
	wantBody(t, r, "Saved.", `value="weekly" checked`)
	if f := e.sub("ann@example.com").Frequency; f != syndicate.Weekly {
		t.Errorf("frequency = %s, want weekly", f)
	}

	for _, bad := range []url.Values{{"frequency": {"hourly"}}, {}, {"frequency": {"daily"}, "action": {"explode"}}} {
		r = e.postForm(link, bad)
		wantCode(t, r, http.StatusBadRequest)
	}
	if f := e.sub("ann@example.com").Frequency; f != syndicate.Weekly {
		t.Errorf("frequency after bad posts = %s, want weekly", f)
	}
	e.wantStatus("ann@example.com", syndicate.SubscriberActive)

	r = e.postForm(link, url.Values{"action": {"leave"}})
	wantCode(t, r, http.StatusOK)
	wantBody(t, r, "You're unsubscribed")
	e.wantStatus("ann@example.com", syndicate.SubscriberUnsubscribed)

	// Leaving revoked the link: it neither shows nor changes anything.
	r = e.postForm(link, url.Values{"frequency": {"daily"}})
	wantCode(t, r, http.StatusGone)
	wantCode(t, e.get(link), http.StatusGone)
	e.wantStatus("ann@example.com", syndicate.SubscriberUnsubscribed)
	if f := e.sub("ann@example.com").Frequency; f != syndicate.Weekly {
		t.Errorf("frequency = %s, want weekly", f)
	}
}

func TestNoSecretRefusesTokens(t *testing.T) {
	e := newEnvConfig(t, web.Config{Name: testName, BaseURL: testBase})
	e.add("ann@example.com", syndicate.SubscriberActive, syndicate.Instant)
	// With no secret, anyone could sign a token with the empty key.
	r := e.postForm(testBase+"/unsubscribe?token="+url.QueryEscape(signed.LegacyToken("", signed.PurposeUnsubscribe, "ann@example.com")), url.Values{"List-Unsubscribe": {"One-Click"}})
	wantCode(t, r, http.StatusServiceUnavailable)
	r = e.postForm(e.link(signed.PurposeUnsubscribe, "ann@example.com"), url.Values{"List-Unsubscribe": {"One-Click"}})
	wantCode(t, r, http.StatusServiceUnavailable)
	e.wantStatus("ann@example.com", syndicate.SubscriberActive)
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	r := e.get("/healthz")
	wantCode(t, r, http.StatusOK)
	if r.body != "{\"status\":\"ok\"}\n" || r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("/healthz = %q (%s)", r.body, r.Header.Get("Content-Type"))
	}
	r = e.get("/readyz")
	wantCode(t, r, http.StatusOK)
	wantBody(t, r, `{"status":"ready"}`)

	st := openStore(t)
	var readyErr error
	h := web.NewServer(web.Config{}, st, &fakeConfirmer{}, func(context.Context) error { return readyErr })
	for _, c := range []struct {
		err  error
		code int
		body string
	}{
		{nil, 200, `{"status":"ready"}`},
		{syndicate.Errorf(syndicate.EINTERNAL, "redis is not reachable"), 503, `{"error":"redis is not reachable"}`},
		{errors.New("dial postgres://user:hunter2@db: refused"), 503, `{"error":"not ready"}`},
	} {
		readyErr = c.err
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if w.Code != c.code || strings.TrimSpace(w.Body.String()) != c.body {
			t.Errorf("/readyz with %v = %d %s, want %d %s", c.err, w.Code, w.Body, c.code, c.body)
		}
	}
}

func TestNotFoundPage(t *testing.T) {
	e := newEnv(t)
	r := e.get("/nothing-here")
	wantCode(t, r, http.StatusNotFound)
	wantSecurityHeaders(t, r)
	wantBody(t, r, "Page not found")
}
