package web_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"syndicate"
	"syndicate/signed"
	"syndicate/web"
)

// TestConfirmHeadAndGetChangeNothing: a link scanner's HEAD and GET of a
// confirmation link leave the subscriber pending; HEAD is tested on its
// own because Go routes it to the GET handler.
func TestConfirmHeadAndGetChangeNothing(t *testing.T) {
	e := newEnv(t)
	e.add("pat@example.com", syndicate.SubscriberPending, syndicate.Daily)
	link := e.link(signed.PurposeConfirm, "pat@example.com")
	before := e.sub("pat@example.com")
	for _, method := range []string{http.MethodHead, http.MethodGet, http.MethodHead, http.MethodGet} {
		wantCode(t, e.do(method, link, "", ""), http.StatusOK)
	}
	if after := e.sub("pat@example.com"); after != before {
		t.Errorf("after HEAD and GET: %+v, want %+v unchanged", after, before)
	}
	// The same link still confirms when its button posts.
	wantCode(t, e.postForm(link, url.Values{}), http.StatusOK)
	e.wantStatus("pat@example.com", syndicate.SubscriberActive)
}

// TestConfirmExpires: a confirmation link stops working at its expiry,
// for the page and its POST alike, and changes nothing then.
func TestConfirmExpires(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnvConfig(t, web.Config{Name: testName, BaseURL: testBase, Secret: testSecret, Now: clock})
	e.add("pat@example.com", syndicate.SubscriberPending, syndicate.Daily)
	link := e.link(signed.PurposeConfirm, "pat@example.com") // expires in an hour
	wantCode(t, e.get(link), http.StatusOK)
	mu.Lock()
	now = now.Add(61 * time.Minute)
	mu.Unlock()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		r := e.do(method, link, "application/x-www-form-urlencoded", "")
		wantCode(t, r, http.StatusGone)
		wantBody(t, r, "This link has expired", "sign up again")
	}
	e.wantStatus("pat@example.com", syndicate.SubscriberPending)
}

// TestLegacyLinksOnlyUnsubscribe: a link of the first format (the
// address in the token) still shows the unsubscribe page and
// unsubscribes, without leading to the preferences; it opens neither the
// preferences nor the confirmation.
func TestLegacyLinksOnlyUnsubscribe(t *testing.T) {
	e := newEnv(t)
	e.add("ann@example.com", syndicate.SubscriberActive, syndicate.Daily)
	e.add("pat@example.com", syndicate.SubscriberPending, syndicate.Daily)
	for _, c := range []struct{ purpose, email string }{
		{signed.PurposePreferences, "ann@example.com"},
		{signed.PurposeConfirm, "pat@example.com"},
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			r := e.do(method, legacyLink(c.purpose, c.email), "application/x-www-form-urlencoded", url.Values{"action": {"leave"}}.Encode())
			wantCode(t, r, http.StatusForbidden)
		}
	}
	e.wantStatus("ann@example.com", syndicate.SubscriberActive)
	e.wantStatus("pat@example.com", syndicate.SubscriberPending)

	link := legacyLink(signed.PurposeUnsubscribe, "ann@example.com")
	r := e.get(link)
	wantCode(t, r, http.StatusOK)
	wantBody(t, r, `name="List-Unsubscribe" value="One-Click"`)
	if strings.Contains(r.body, "/preferences?") {
		t.Errorf("a first-format unsubscribe link leads to the preferences:\n%s", r.body)
	}
	e.wantStatus("ann@example.com", syndicate.SubscriberActive)
	wantCode(t, e.postForm(link, url.Values{"List-Unsubscribe": {"One-Click"}}), http.StatusOK)
	e.wantStatus("ann@example.com", syndicate.SubscriberUnsubscribed)
}

// TestOldVersionLinksOnlyUnsubscribe: once the version moves on (here an
// address change), the older preferences and unsubscribe links are
// revoked except for unsubscribing, which still works and shows no
// preferences link.
func TestOldVersionLinksOnlyUnsubscribe(t *testing.T) {
	e := newEnv(t)
	e.add("ann@example.com", syndicate.SubscriberActive, syndicate.Daily)
	unsub := e.link(signed.PurposeUnsubscribe, "ann@example.com")
	prefs := e.link(signed.PurposePreferences, "ann@example.com")
	if _, _, err := e.st.UpsertSubscriber(context.Background(), syndicate.Subscriber{Email: "ANN@example.com", Name: "Ann", Frequency: syndicate.Daily}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.get(prefs), http.StatusGone)
	wantCode(t, e.postForm(prefs, url.Values{"frequency": {"weekly"}}), http.StatusGone)
	if f := e.sub("ann@example.com").Frequency; f != syndicate.Daily {
		t.Errorf("frequency = %s after an old preferences link, want daily", f)
	}
	r := e.get(unsub)
	wantCode(t, r, http.StatusOK)
	if strings.Contains(r.body, "/preferences?") {
		t.Errorf("an old unsubscribe link leads to the preferences:\n%s", r.body)
	}
	// The current link does offer them.
	wantBody(t, e.get(e.link(signed.PurposeUnsubscribe, "ann@example.com")), `href="`+e.link(signed.PurposePreferences, "ann@example.com")+`"`)
	wantCode(t, e.postForm(unsub, url.Values{"List-Unsubscribe": {"One-Click"}}), http.StatusOK)
	e.wantStatus("ann@example.com", syndicate.SubscriberUnsubscribed)
}

// TestSubscribeNeverOverwrites: a later anonymous form changes neither the
// name nor the frequency of a pending or active row.
func TestSubscribeNeverOverwrites(t *testing.T) {
	e := newEnv(t)
	wantCode(t, e.postForm("/subscribe", url.Values{"email": {"kate@example.com"}, "name": {"Kate"}, "frequency": {"weekly"}}), http.StatusOK)
	pending := e.sub("kate@example.com")
	wantCode(t, e.postForm("/subscribe", url.Values{"email": {"kate@example.com"}, "name": {"Mallory"}, "frequency": {"instant"}}), http.StatusOK)
	if got := e.sub("kate@example.com"); got != pending {
		t.Errorf("pending row after a second form: %+v, want %+v", got, pending)
	}
	wantCode(t, e.postForm(e.link(signed.PurposeConfirm, "kate@example.com"), url.Values{}), http.StatusOK)
	active := e.sub("kate@example.com")
	wantCode(t, e.postForm("/subscribe", url.Values{"email": {"kate@example.com"}, "name": {"Mallory"}, "frequency": {"instant"}}), http.StatusOK)
	if got := e.sub("kate@example.com"); got != active || got.Name != "Kate" || got.Frequency != syndicate.Weekly {
		t.Errorf("active row after a form: %+v, want %+v", got, active)
	}
}

// recorder logs, in order, every call the sign-up handler makes to its
// store, confirmer and limiters, with no address in it, so that the calls
// for one address can be compared with those for another.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) log(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, s)
}

func (r *recorder) take() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := strings.Join(r.calls, " ")
	r.calls = nil
	return s
}

type recordingStore struct {
	web.Store
	rec *recorder
}

func (s recordingStore) Subscriber(ctx context.Context, email string) (syndicate.Subscriber, error) {
	s.rec.log("Subscriber")
	return s.Store.Subscriber(ctx, email)
}

func (s recordingStore) SubscriberByHandle(ctx context.Context, h string) (syndicate.Subscriber, error) {
	s.rec.log("SubscriberByHandle")
	return s.Store.SubscriberByHandle(ctx, h)
}

func (s recordingStore) SignUp(ctx context.Context, sub syndicate.Subscriber) (syndicate.Subscriber, bool, error) {
	s.rec.log("SignUp")
	return s.Store.SignUp(ctx, sub)
}

func (s recordingStore) ConfirmSubscriber(ctx context.Context, h string, v int64) (syndicate.Subscriber, error) {
	s.rec.log("ConfirmSubscriber")
	return s.Store.ConfirmSubscriber(ctx, h, v)
}

func (s recordingStore) SetSubscriberStatus(ctx context.Context, email string, st syndicate.SubscriberStatus) error {
	s.rec.log("SetSubscriberStatus")
	return s.Store.SetSubscriberStatus(ctx, email, st)
}

func (s recordingStore) SetSubscriberFrequency(ctx context.Context, email string, f syndicate.Frequency) error {
	s.rec.log("SetSubscriberFrequency")
	return s.Store.SetSubscriberFrequency(ctx, email, f)
}

type recordingConfirmer struct{ rec *recorder }

func (c recordingConfirmer) RequestConfirmation(context.Context, string) error {
	c.rec.log("RequestConfirmation")
	return nil
}

// fakeLimiter gives each key n requests; it is safe for concurrent use.
type fakeLimiter struct {
	mu   sync.Mutex
	n    int
	used map[string]int
	keys []string
	rec  *recorder
	name string
}

func (l *fakeLimiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rec != nil {
		l.rec.log("Allow(" + l.name + ")")
	}
	if l.used == nil {
		l.used = map[string]int{}
	}
	l.keys = append(l.keys, key)
	if l.used[key] >= l.n {
		return false, 90 * time.Second, nil
	}
	l.used[key]++
	return true, 0, nil
}

// TestSubscribeSameCallsForEveryAddress: an unknown address and known
// ones of every status cost the form the same calls, in the same order,
// and get the same status and page.
func TestSubscribeSameCallsForEveryAddress(t *testing.T) {
	st := openStore(t)
	rec := &recorder{}
	ctx := context.Background()
	for _, s := range []syndicate.Subscriber{
		{Email: "active@example.com", Status: syndicate.SubscriberActive},
		{Email: "pending@example.com", Status: syndicate.SubscriberPending},
		{Email: "left@example.com", Status: syndicate.SubscriberUnsubscribed},
		{Email: "bounced@example.com", Status: syndicate.SubscriberBounced},
	} {
		if _, _, err := st.UpsertSubscriber(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	h := web.NewServer(web.Config{
		Name: testName, BaseURL: testBase, Secret: testSecret, Log: slog.New(slog.DiscardHandler),
		SignupPerClient: &fakeLimiter{n: 100, rec: rec, name: "client"}, SignupTotal: &fakeLimiter{n: 100, rec: rec, name: "total"},
	}, recordingStore{Store: st, rec: rec}, recordingConfirmer{rec: rec}, nil)
	post := func(addr string) (int, string) {
		r := httptest.NewRequest(http.MethodPost, "/subscribe", strings.NewReader(url.Values{"email": {addr}, "frequency": {"weekly"}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code, w.Body.String()
	}
	code, page := post("unknown@example.com")
	want := rec.take()
	if code != http.StatusOK || want != "Allow(client) Allow(total) SignUp RequestConfirmation" {
		t.Fatalf("unknown address: %d, calls %q", code, want)
	}
	for _, addr := range []string{"active@example.com", "pending@example.com", "left@example.com", "bounced@example.com", "unknown@example.com"} {
		c, p := post(addr)
		if got := rec.take(); got != want {
			t.Errorf("%s: calls %q, want %q as for an unknown address", addr, got, want)
		}
		if c != code || p != page {
			t.Errorf("%s: answer %d differs from the unknown address's %d:\n%s", addr, c, code, p)
		}
	}
}

// TestSignupRateLimited: past the per-client budget the form answers an
// HTML 429 with Retry-After and touches neither store nor queue; another
// client still gets through until the overall budget is spent.
func TestSignupRateLimited(t *testing.T) {
	st := openStore(t)
	conf := &fakeConfirmer{}
	perClient, total := &fakeLimiter{n: 2}, &fakeLimiter{n: 3}
	h := web.NewServer(web.Config{
		Name: testName, BaseURL: testBase, Secret: testSecret, Log: slog.New(slog.DiscardHandler),
		SignupPerClient: perClient, SignupTotal: total,
	}, st, conf, nil)
	post := func(remote, addr string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/subscribe", strings.NewReader(url.Values{"email": {addr}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	for i := range 2 {
		if w := post("198.51.100.7:4000", fmt.Sprintf("v%d@example.com", i)); w.Code != http.StatusOK {
			t.Fatalf("sign-up %d: %d", i, w.Code)
		}
	}
	w := post("198.51.100.7:4001", "v2@example.com")
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "90" || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("third sign-up from one client: %d, Retry-After %q, %s", w.Code, w.Header().Get("Retry-After"), w.Header().Get("Content-Type"))
	}
	if body := w.Body.String(); !strings.Contains(body, "Too many sign-ups") || !strings.Contains(body, "try again in 2 minutes") {
		t.Errorf("429 page:\n%s", body)
	}
	if _, err := st.Subscriber(context.Background(), "v2@example.com"); syndicate.ErrorCode(err) != syndicate.ENOTFOUND {
		t.Errorf("a refused sign-up was stored: %v", err)
	}
	// Another client: one more fits the overall budget of 3, then none.
	if w := post("203.0.113.9:4000", "w0@example.com"); w.Code != http.StatusOK {
		t.Fatalf("other client: %d", w.Code)
	}
	if w := post("192.0.2.44:4000", "w1@example.com"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("over the overall budget: %d", w.Code)
	}
	if got := conf.sent(); len(got) != 3 {
		t.Errorf("confirmations asked for %q, want 3", got)
	}
	// The per-client key is the address, never a header the client wrote.
	if perClient.keys[0] != "client:198.51.100.7" {
		t.Errorf("per-client key %q", perClient.keys[0])
	}
}

// TestSignupClientBehindProxy: X-Forwarded-For is believed only from a
// trusted proxy, and then only its rightmost untrusted entry; without a
// trusted proxy, a forged header buys no fresh budget.
func TestSignupClientBehindProxy(t *testing.T) {
	perClient := &fakeLimiter{n: 1000}
	h := web.NewServer(web.Config{
		Name: testName, BaseURL: testBase, Secret: testSecret, Log: slog.New(slog.DiscardHandler),
		SignupPerClient: perClient, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
	}, openStore(t), &fakeConfirmer{}, nil)
	for _, c := range []struct{ remote, xff, want string }{
		{"198.51.100.7:1", "1.2.3.4", "client:198.51.100.7"},            // not a proxy: header ignored
		{"10.0.0.2:1", "", "client:10.0.0.2"},                           // proxy without a header
		{"10.0.0.2:1", "1.2.3.4, 198.51.100.8", "client:198.51.100.8"},  // client forged 1.2.3.4
		{"10.0.0.2:1", "198.51.100.9, 10.0.0.3", "client:198.51.100.9"}, // two proxies
		{"10.0.0.2:1", "garbage", "client:10.0.0.2"},                    // unparsable: stop at the proxy
		{"[2001:db8:1:2:3:4:5:6]:1", "", "client:2001:db8:1:2::/64"},    // IPv6 by /64
		{"[::ffff:198.51.100.7]:1", "", "client:198.51.100.7"},          // mapped IPv4
		{"10.0.0.2:1", "198.51.100.1\r\nX: y", "client:10.0.0.2"},       // CR/LF is not an address
	} {
		r := httptest.NewRequest(http.MethodPost, "/subscribe", strings.NewReader("email=a%40example.com"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header["X-Forwarded-For"] = []string{c.xff}
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got := perClient.keys[len(perClient.keys)-1]; got != c.want {
			t.Errorf("remote %s, X-Forwarded-For %q: key %q, want %q", c.remote, c.xff, got, c.want)
		}
	}
}

type brokenLimiter struct{}

func (brokenLimiter) Allow(context.Context, string) (bool, time.Duration, error) {
	return false, 0, errors.New("dial tcp 127.0.0.1:6379: connection refused")
}

// TestSignupLimiterDown: when the limit cannot be checked (Redis down,
// which would stop the confirmation job too) the form answers 503 with
// Retry-After, says nothing internal and records nothing.
func TestSignupLimiterDown(t *testing.T) {
	st := openStore(t)
	conf := &fakeConfirmer{}
	h := web.NewServer(web.Config{Name: testName, BaseURL: testBase, Secret: testSecret, Log: slog.New(slog.DiscardHandler),
		SignupPerClient: brokenLimiter{}, SignupTotal: brokenLimiter{}}, st, conf, nil)
	r := httptest.NewRequest(http.MethodPost, "/subscribe", strings.NewReader("email=ann%40example.com"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || strings.Contains(w.Body.String(), "6379") {
		t.Errorf("limiter down: %d, Retry-After %q\n%s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if _, err := st.Subscriber(context.Background(), "ann@example.com"); syndicate.ErrorCode(err) != syndicate.ENOTFOUND || len(conf.sent()) != 0 {
		t.Errorf("a sign-up was recorded with the limiter down: %v, %q", err, conf.sent())
	}
}
