package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"syndicate"
	"syndicate/channels/outbox"
	"syndicate/internal/testredis"
	"syndicate/jobs"
	"syndicate/store"
	"syndicate/templates"
	"syndicate/web"
)

// What the program wires into the dashboard must satisfy its interfaces.
var (
	_ web.AdminStore = (*store.Store)(nil)
	_ web.Editor     = jobs.Editor{}
)

const (
	adminUser     = "ann"
	adminPassword = "correct horse battery"
	// adminRedisDB is this package's database of a real Redis (see
	// testredis.URL): jobs uses 2, channels/email 3, cmd/syndicate 1.
	adminRedisDB = 9
)

// adminHash is adminPassword's bcrypt hash at the lowest cost, made once.
var adminHash = sync.OnceValue(func() string {
	h, err := bcrypt.GenerateFromPassword([]byte(adminPassword), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	return string(h)
})

// adminKit is the dashboard on a real store and a real queue, acting
// through jobs.Editor as the program does, with an article whose outbox
// post failed and whose X post has an unknown outcome.
type adminKit struct {
	t      *testing.T
	st     *store.Store
	rc     redis.UniversalClient
	insp   *asynq.Inspector
	ts     *httptest.Server
	base   string
	art    syndicate.Article
	outbox *outbox.Outbox
	logins *countingLimiter
}

func newAdminKit(t *testing.T) *adminKit {
	t.Helper()
	ctx := context.Background()
	k := &adminKit{t: t, st: openStore(t), logins: &countingLimiter{max: 1000}}
	opt, err := redis.ParseURL(testredis.URL(t, adminRedisDB))
	if err != nil {
		t.Fatal(err)
	}
	k.rc = redis.NewClient(opt)
	t.Cleanup(func() { k.rc.Close() })
	k.insp = asynq.NewInspectorFromRedisClient(k.rc)
	ed := jobs.Editor{Store: k.st, Queue: asynq.NewClientFromRedisClient(k.rc), Inspector: k.insp, MaxRetry: 2}

	k.art = syndicate.Article{Title: "Harbour <Festival> Returns", URL: "https://news.example.com/harbour",
		Summary: "Boats, music and food return to the harbour.", PublishedAt: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	canon, err := syndicate.CanonicalURL(k.art.URL)
	if err != nil {
		t.Fatal(err)
	}
	k.art.ID = syndicate.ArticleID(canon)
	if _, err := k.st.SaveArticle(ctx, k.art); err != nil {
		t.Fatal(err)
	}
	// The ledger as a worker leaves it after an outbox write that failed
	// for good and an X post whose answer never came.
	for ch, end := range map[syndicate.Channel]struct {
		st  syndicate.DeliveryStatus
		msg string
	}{
		syndicate.ChannelOutbox: {syndicate.StatusFailed, "temporary <script>alert(1)</script> disk full"},
		syndicate.ChannelX:      {syndicate.StatusUnknown, "unknown timeout after sending"},
	} {
		key := syndicate.DeliveryKey{Item: k.art.ID, Channel: ch}
		if _, err := k.st.BeginDelivery(ctx, key); err != nil {
			t.Fatal(err)
		}
		if err := k.st.FinishDelivery(ctx, key, end.st, "", end.msg); err != nil {
			t.Fatal(err)
		}
	}
	if k.outbox, err = outbox.New(t.TempDir(), nil); err != nil {
		t.Fatal(err)
	}

	k.ts = httptest.NewUnstartedServer(nil)
	k.base = "http://" + k.ts.Listener.Addr().String()
	k.ts.Config.Handler = web.NewServer(web.Config{
		Name: testName, BaseURL: k.base, Secret: testSecret, Log: slog.New(slog.DiscardHandler),
		Admin: web.Admin{Users: map[string]string{adminUser: adminHash(), "bob": adminHash()}, Store: k.st, Editor: ed, Logins: k.logins},
	}, k.st, &fakeConfirmer{}, nil)
	k.ts.Start()
	t.Cleanup(k.ts.Close)
	return k
}

// runWorker starts a real asynq worker running the job handlers, with the
// outbox as its only channel, until the test ends.
func (k *adminKit) runWorker() {
	k.t.Helper()
	tpl, err := templates.New("")
	if err != nil {
		k.t.Fatal(err)
	}
	h := &jobs.Handler{
		Store: k.st, Queue: asynq.NewClientFromRedisClient(k.rc), Templates: tpl, Composer: jobs.Composer{Templates: tpl},
		Posters: map[syndicate.Channel]jobs.Poster{syndicate.ChannelOutbox: k.outbox},
		From:    "News <news@news.example.com>", Secret: testSecret, BatchSize: 10, MaxRetry: 2,
		Log: slog.New(slog.DiscardHandler),
	}
	mux := asynq.NewServeMux()
	h.Register(mux)
	srv := asynq.NewServerFromRedisClient(k.rc, asynq.Config{
		Concurrency: 2, Queues: map[string]int{jobs.QueueDefault: 1},
		RetryDelayFunc: jobs.RetryDelay(20 * time.Millisecond), IsFailure: jobs.IsFailure,
		TaskCheckInterval: 50 * time.Millisecond, LogLevel: asynq.FatalLevel,
	})
	if err := srv.Start(mux); err != nil {
		k.t.Fatal(err)
	}
	k.t.Cleanup(srv.Shutdown)
}

// ledger is the article's deliveries, for comparing before and after.
func (k *adminKit) ledger() map[syndicate.Channel]syndicate.Delivery {
	k.t.Helper()
	ds, err := k.st.Deliveries(context.Background(), k.art.ID)
	if err != nil {
		k.t.Fatal(err)
	}
	m := map[syndicate.Channel]syndicate.Delivery{}
	for _, d := range ds {
		m[d.Channel] = d
	}
	return m
}

// tasks counts the tasks in every queue, in any state.
func (k *adminKit) tasks() int {
	k.t.Helper()
	qs, err := k.insp.Queues()
	if err != nil {
		k.t.Fatal(err)
	}
	n := 0
	for _, q := range qs {
		info, err := k.insp.GetQueueInfo(q)
		if err != nil {
			k.t.Fatal(err)
		}
		n += info.Size + info.Completed
	}
	return n
}

// client is a browser-like HTTP client: it keeps cookies and does not
// follow redirects, so the tests see them.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func (k *adminKit) client() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		k.t.Fatal(err)
	}
	return &client{t: k.t, base: k.base, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values, hdr map[string]string) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, string(b)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the first form on the page at path.
func (c *client) csrf(path string) string {
	c.t.Helper()
	resp, body := c.do("GET", path, nil, nil)
	m := csrfField.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		c.t.Fatalf("GET %s: %s, no CSRF token in:\n%s", path, resp.Status, body)
	}
	return m[1]
}

// login logs in as user with password and returns the response.
func (c *client) login(user, password string) *http.Response {
	c.t.Helper()
	tok := c.csrf("/admin/login")
	resp, _ := c.do("POST", "/admin/login", url.Values{"csrf": {tok}, "name": {user}, "password": {password}}, nil)
	return resp
}

// loggedIn returns a client logged in as adminUser.
func (k *adminKit) loggedIn() *client {
	k.t.Helper()
	c := k.client()
	if resp := c.login(adminUser, adminPassword); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin" {
		k.t.Fatalf("login: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	return c
}

// countingLimiter allows max attempts per key.
type countingLimiter struct {
	mu  sync.Mutex
	max int
	n   map[string]int
}

func (l *countingLimiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == nil {
		l.n = map[string]int{}
	}
	l.n[key]++
	return l.n[key] <= l.max, time.Minute, nil
}

// TestAdminRefusesWithoutSessionOrCSRF: a request without the session
// cookie, or without the session's own CSRF token, or from another
// origin, changes neither the ledger nor the queue; the same request with
// the token does.
func TestAdminRefusesWithoutSessionOrCSRF(t *testing.T) {
	k := newAdminKit(t)
	before := k.ledger()
	retryPath := "/admin/articles/" + k.art.ID + "/retry"
	unchanged := func(what string) {
		t.Helper()
		after := k.ledger()
		for ch, d := range before {
			if after[ch].Status != d.Status || after[ch].Error != d.Error || !after[ch].UpdatedAt.Equal(d.UpdatedAt) {
				t.Errorf("%s changed the %s delivery: %s %q, was %s %q", what, ch, after[ch].Status, after[ch].Error, d.Status, d.Error)
			}
		}
		if n := k.tasks(); n != 0 {
			t.Errorf("%s queued %d tasks", what, n)
		}
	}

	anon := k.client()
	if resp, _ := anon.do("GET", "/admin", nil, nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/login" {
		t.Errorf("GET /admin without a session: %s to %q, want 303 to the login", resp.Status, resp.Header.Get("Location"))
	}
	if resp, body := anon.do("GET", "/admin/articles/"+k.art.ID, nil, nil); resp.StatusCode != http.StatusSeeOther || strings.Contains(body, k.art.ID) {
		t.Errorf("GET an article without a session: %s\n%s", resp.Status, body)
	}
	if resp, body := anon.do("GET", "/admin/articles/"+k.art.ID+"/progress", nil, nil); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"error"`) {
		t.Errorf("GET progress without a session: %s %s", resp.Status, body)
	}

	ann := k.loggedIn()
	tok := ann.csrf("/admin/articles/" + k.art.ID)
	for _, path := range []string{retryPath, "/admin/articles/" + k.art.ID + "/cancel", "/admin/digest"} {
		form := url.Values{"csrf": {tok}, "channel": {"outbox"}}
		if path == "/admin/digest" {
			form = url.Values{"csrf": {tok}, "frequency": {"daily"}}
		}
		// Without the session, even with a token that was good in one.
		if resp, _ := anon.do("POST", path, form, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without a session: %s, want 403", path, resp.Status)
		}
		unchanged("POST " + path + " without a session")
		// With the session and no token, an empty one, or a wrong one.
		for name, bad := range map[string]url.Values{
			"no token":    {"channel": {"outbox"}, "frequency": {"daily"}},
			"empty token": {"csrf": {""}, "channel": {"outbox"}, "frequency": {"daily"}},
			"wrong token": {"csrf": {tok[:len(tok)-2] + "AA"}, "channel": {"outbox"}, "frequency": {"daily"}},
		} {
			if path != "/admin/digest" {
				delete(bad, "frequency")
			} else {
				delete(bad, "channel")
			}
			if resp, _ := ann.do("POST", path, bad, nil); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with %s: %s, want 403", path, name, resp.Status)
			}
			unchanged("POST " + path + " with " + name)
		}
		// With the session and its token, from another site.
		if resp, _ := ann.do("POST", path, form, map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s from another origin: %s, want 403", path, resp.Status)
		}
		unchanged("POST " + path + " from another origin")
	}
	// Another editor's token is not this session's.
	bob := k.client()
	if resp := bob.login("bob", adminPassword); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("bob's login: %s", resp.Status)
	}
	bobs := bob.csrf("/admin")
	if resp, _ := ann.do("POST", retryPath, url.Values{"csrf": {bobs}, "channel": {"outbox"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST with another session's token: %s, want 403", resp.Status)
	}
	unchanged("POST with another session's token")
	// A form with a field no form sends is refused before anything is done.
	if resp, _ := ann.do("POST", retryPath, url.Values{"csrf": {tok}, "channel": {"outbox"}, "status": {"sent"}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST with an unknown field: %s, want 400", resp.Status)
	}
	unchanged("POST with an unknown field")

	// The same retry with the session's token works: the test can fail.
	resp, _ := ann.do("POST", retryPath, url.Values{"csrf": {tok}, "channel": {"outbox"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/admin/articles/"+k.art.ID+"?done=retried") {
		t.Fatalf("POST retry with the token: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	if d := k.ledger()[syndicate.ChannelOutbox]; d.Status != syndicate.StatusQueued {
		t.Errorf("after retry the outbox delivery is %s, want queued", d.Status)
	}
	if d := k.ledger()[syndicate.ChannelX]; d.Status != syndicate.StatusUnknown {
		t.Errorf("a retry of the outbox channel changed the X delivery to %s", d.Status)
	}
	if n := k.tasks(); n != 1 {
		t.Errorf("the retry queued %d tasks, want 1", n)
	}
}

// TestAdminForceRetryNeedsConfirmation: retrying a post whose outcome is
// unknown first shows a confirmation page, and only its button resends.
func TestAdminForceRetryNeedsConfirmation(t *testing.T) {
	k := newAdminKit(t)
	ann := k.loggedIn()
	path := "/admin/articles/" + k.art.ID
	page := func() string {
		_, body := ann.do("GET", path, nil, nil)
		return body
	}
	body := page()
	if !strings.Contains(body, `id="force-x"`) || !strings.Contains(body, `id="retry-outbox"`) {
		t.Fatalf("the article page has no forced retry of X or retry of the outbox:\n%s", body)
	}
	// Every string from the ledger and the article is escaped.
	if strings.Contains(body, "<script>alert(1)") || !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(body, "<Festival>") {
		t.Errorf("the page does not escape what it shows:\n%s", body)
	}
	tok := ann.csrf(path)
	// A plain retry of X refuses: its outcome is unknown.
	resp, body := ann.do("POST", path+"/retry", url.Values{"csrf": {tok}, "channel": {"x"}}, nil)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "may have gone out already") {
		t.Errorf("plain retry of an unknown post: %s\n%s", resp.Status, body)
	}
	resp, body = ann.do("POST", path+"/retry", url.Values{"csrf": {tok}, "channel": {"x"}, "force": {"yes"}}, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="confirm"`) || !strings.Contains(body, `name="confirm" value="yes"`) {
		t.Fatalf("forced retry without confirmation: %s\n%s", resp.Status, body)
	}
	if d := k.ledger()[syndicate.ChannelX]; d.Status != syndicate.StatusUnknown || k.tasks() != 0 {
		t.Fatalf("the confirmation page already retried: X is %s, %d tasks", d.Status, k.tasks())
	}
	resp, _ = ann.do("POST", path+"/retry", url.Values{"csrf": {tok}, "channel": {"x"}, "force": {"yes"}, "confirm": {"yes"}}, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed forced retry: %s", resp.Status)
	}
	if d := k.ledger()[syndicate.ChannelX]; d.Status != syndicate.StatusQueued || k.tasks() != 1 {
		t.Errorf("after the confirmed retry X is %s with %d tasks, want queued and 1", d.Status, k.tasks())
	}
	if d := k.ledger()[syndicate.ChannelOutbox]; d.Status != syndicate.StatusFailed {
		t.Errorf("a retry of X changed the outbox delivery to %s", d.Status)
	}
}

// TestAdminLogin: the cookie's attributes, wrong passwords and unknown
// names, the rate limit, and logging out.
func TestAdminLogin(t *testing.T) {
	k := newAdminKit(t)
	c := k.client()
	for name, pw := range map[string]string{adminUser: "wrong password", "nobody": adminPassword, "": adminPassword} {
		resp := c.login(name, pw)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("login %q with %q: %s, want 401", name, pw, resp.Status)
		}
		for _, ck := range resp.Cookies() {
			if ck.Name == "syndicate_admin" && ck.Value != "" {
				t.Errorf("a failed login set a session cookie")
			}
		}
	}
	// The login form's token is bound to its own cookie.
	other := k.client()
	tok := other.csrf("/admin/login")
	if resp, _ := c.do("POST", "/admin/login", url.Values{"csrf": {tok}, "name": {adminUser}, "password": {adminPassword}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("login with another browser's form token: %s, want 403", resp.Status)
	}

	resp := c.login(adminUser, adminPassword)
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "syndicate_admin" {
			session = ck
		}
	}
	if resp.StatusCode != http.StatusSeeOther || session == nil {
		t.Fatalf("login: %s, cookie %v", resp.Status, session)
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure || session.Path != "/admin" || session.MaxAge != int(web.DefaultSessionTTL/time.Second) {
		t.Errorf("session cookie over http: %+v; want HttpOnly, SameSite=Strict, not Secure, Path=/admin, 12h", session)
	}
	if resp, body := c.do("GET", "/admin", nil, nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, k.art.ID) ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("GET /admin logged in: %s %v", resp.Status, resp.Header)
	}

	// Logging out ends the session, even for a copy of the cookie.
	tok = c.csrf("/admin")
	if resp, _ := c.do("POST", "/admin/logout", url.Values{"csrf": {tok}}, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %s", resp.Status)
	}
	replay := k.client()
	u, err := url.Parse(k.base + "/admin")
	if err != nil {
		t.Fatal(err)
	}
	replay.hc.Jar.SetCookies(u, []*http.Cookie{{Name: session.Name, Value: session.Value, Path: "/admin"}})
	if resp, _ := replay.do("GET", "/admin", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the cookie of a logged-out session still works: %s", resp.Status)
	}
	// A forged cookie for a configured user does not.
	forged := k.client()
	forged.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "syndicate_admin", Value: "YW5u.0123456789abcdef0123456789abcdef.9999999999.AAAA", Path: "/admin"}})
	if resp, _ := forged.do("GET", "/admin", nil, nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a forged session cookie works: %s", resp.Status)
	}

	// Over the limit, the password is not even checked.
	k.logins.mu.Lock()
	k.logins.max = 0
	k.logins.mu.Unlock()
	if resp := k.client().login(adminUser, adminPassword); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("login over the limit: %s, Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
}

// TestAdminSecureCookie: over https the session cookie is Secure.
func TestAdminSecureCookie(t *testing.T) {
	st := openStore(t)
	h := web.NewServer(web.Config{
		Name: testName, BaseURL: testBase, Secret: testSecret, Log: slog.New(slog.DiscardHandler),
		Admin: web.Admin{Users: map[string]string{adminUser: adminHash()}, Store: st},
	}, st, &fakeConfirmer{}, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", testBase+"/admin/login", nil))
	res := rec.Result()
	var login *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == "syndicate_admin_login" {
			login = ck
		}
	}
	m := csrfField.FindStringSubmatch(rec.Body.String())
	if login == nil || m == nil || !login.Secure || !login.HttpOnly || login.SameSite != http.SameSiteStrictMode {
		t.Fatalf("login form cookie over https: %+v", login)
	}
	form := url.Values{"csrf": {m[1]}, "name": {adminUser}, "password": {adminPassword}}
	req := httptest.NewRequest("POST", testBase+"/admin/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(login)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var session *http.Cookie
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == "syndicate_admin" {
			session = ck
		}
	}
	if rec.Code != http.StatusSeeOther || session == nil || !session.Secure || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
		t.Errorf("login over https: %d, cookie %+v; want Secure, HttpOnly, SameSite=Strict", rec.Code, session)
	}
	// Without an Editor, actions answer 503 and the pages still work.
	req = httptest.NewRequest("GET", testBase+"/admin/subscribers", nil)
	req.AddCookie(session)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="subscribers"`) {
		t.Errorf("subscribers page: %d\n%s", rec.Code, rec.Body)
	}
}

// TestAdminOff: with no users configured, /admin is not there.
func TestAdminOff(t *testing.T) {
	st := openStore(t)
	h := web.NewServer(web.Config{Name: testName, BaseURL: testBase, Secret: testSecret, Admin: web.Admin{Store: st}}, st, &fakeConfirmer{}, nil)
	for _, path := range []string{"/admin", "/admin/login"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", testBase+path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s with no users: %d, want 404", path, rec.Code)
		}
	}
}

// TestAdminPages: the failures, subscribers and progress pages show what
// the store holds, and a digest can be triggered.
func TestAdminPages(t *testing.T) {
	k := newAdminKit(t)
	ctx := context.Background()
	for _, s := range []syndicate.Subscriber{
		{Email: "a@example.com", Frequency: syndicate.Daily, Status: syndicate.SubscriberActive},
		{Email: "b@example.com", Frequency: syndicate.Weekly, Status: syndicate.SubscriberBounced},
		{Email: "c@example.com", Frequency: syndicate.Weekly, Status: syndicate.SubscriberUnsubscribed},
	} {
		if _, err := k.st.AddSubscriber(ctx, s, false); err != nil {
			t.Fatal(err)
		}
	}
	for _, sup := range []syndicate.Suppression{
		{Email: "gone@example.com", Reason: syndicate.SuppressedComplained},
		{Email: "b@example.com", Reason: syndicate.SuppressedBounced},
		{Email: "x@example.com", Reason: syndicate.SuppressedBounced},
	} {
		if _, err := k.st.AddSuppression(ctx, sup); err != nil {
			t.Fatal(err)
		}
	}
	ann := k.loggedIn()
	_, body := ann.do("GET", "/admin/failures", nil, nil)
	if !strings.Contains(body, `data-status="failed"`) || !strings.Contains(body, `data-status="unknown"`) || !strings.Contains(body, "timeout after sending") {
		t.Errorf("failures page:\n%s", body)
	}
	_, body = ann.do("GET", "/admin/subscribers", nil, nil)
	if !regexp.MustCompile(`data-frequency="weekly"><td>weekly</td><td class="num">0</td><td class="num">0</td><td class="num">1</td><td class="num">1</td><td class="num">2</td>`).MatchString(body) ||
		!strings.Contains(body, `<tr data-status="bounced"><td>bounced</td><td class="num">1</td></tr>`) || !strings.Contains(body, `id="subscribers-total">3<`) {
		t.Errorf("subscribers page:\n%s", body)
	}
	if !strings.Contains(body, `<tr data-reason="bounced"><td>bounced</td><td class="num">2</td></tr>`) ||
		!strings.Contains(body, `<tr data-reason="complained"><td>complained</td><td class="num">1</td></tr>`) {
		t.Errorf("subscribers page does not count the suppression list by reason:\n%s", body)
	}
	resp, body := ann.do("GET", "/admin/articles/"+k.art.ID+"/progress", nil, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" ||
		!strings.Contains(body, `"total":2,"final":2,"done":true`) || !strings.Contains(body, `"outbox":{"failed":1}`) {
		t.Errorf("progress: %s %s", resp.Status, body)
	}
	if resp, _ := ann.do("GET", "/admin/articles/a_0000000000000000", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown article: %s, want 404", resp.Status)
	}
	resp, body = ann.do("GET", "/admin/progress.js", nil, nil)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(body, "fetch(") {
		t.Errorf("progress.js: %s %q", resp.Status, resp.Header.Get("Content-Type"))
	}

	tok := ann.csrf("/admin")
	resp, _ = ann.do("POST", "/admin/digest", url.Values{"csrf": {tok}, "frequency": {"daily"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin?done=digest&frequency=daily" {
		t.Fatalf("send digest: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	if _, body := ann.do("GET", resp.Header.Get("Location"), nil, nil); !strings.Contains(body, "The daily digest was queued") {
		t.Errorf("no word that the digest was queued:\n%s", body)
	}
	pending, err := k.insp.ListPendingTasks(jobs.QueueDefault)
	if err != nil || len(pending) != 1 || pending[0].Type != jobs.TypeDigestBuild {
		t.Errorf("queue after send digest: %v, %v; want one digest task", pending, err)
	}
	if resp, _ := ann.do("POST", "/admin/digest", url.Values{"csrf": {tok}, "frequency": {"instant"}}, nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an instant digest: %s, want 400", resp.Status)
	}

	// A send to many shows the first rows, what needs an editor first.
	var many []syndicate.DeliveryKey
	for i := range 501 {
		many = append(many, syndicate.DeliveryKey{Item: k.art.ID, Channel: syndicate.ChannelEmail, Subscriber: fmt.Sprintf("r%03d@example.com", i)})
	}
	if err := k.st.EnsureDeliveries(ctx, many); err != nil {
		t.Fatal(err)
	}
	_, body = ann.do("GET", "/admin/articles/"+k.art.ID, nil, nil)
	if n := strings.Count(body, "<tr data-channel=\"email\""); n != 1+498 || !strings.Contains(body, "3 more not shown") ||
		strings.Index(body, `data-status="failed"`) > strings.Index(body, `data-status="queued"`) {
		t.Errorf("an article with 503 deliveries shows %d email rows (counts and deliveries), failures first?\n%s", n, body)
	}
	if resp, body := ann.do("GET", "/admin/articles/"+k.art.ID+"/progress", nil, nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"total":503,"final":2,"done":false`) {
		t.Errorf("progress of a running send: %s", body)
	}

	// Cancel marks what has not gone and withdraws nothing that went.
	key := syndicate.DeliveryKey{Item: k.art.ID, Channel: syndicate.ChannelMastodon}
	if err := k.st.EnsureDeliveries(ctx, []syndicate.DeliveryKey{key}); err != nil {
		t.Fatal(err)
	}
	tok = ann.csrf("/admin/articles/" + k.art.ID)
	resp, body = ann.do("POST", "/admin/articles/"+k.art.ID+"/cancel", url.Values{"csrf": {tok}}, nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "502 deliveries cancelled") {
		t.Errorf("cancel: %s\n%s", resp.Status, body)
	}
	if l := k.ledger(); l[syndicate.ChannelMastodon].Status != syndicate.StatusCancelled || l[syndicate.ChannelOutbox].Status != syndicate.StatusFailed {
		t.Errorf("after cancel: %+v", l)
	}
}
