package web_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"syndicate"
	"syndicate/signed"
	"syndicate/web"
)

// chromium returns the browser to drive: $CHROMIUM_PATH, else Debian's
// /usr/bin/chromium, else "chromium" on $PATH; "" if there is none.
func chromium() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// browser is headless Chromium driven by a test through its first tab.
type browser struct {
	t   *testing.T
	ctx context.Context
}

// do runs steps, failing the test with what was being done.
func (b browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// text is the text of the element sel selects.
func (b browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

// newBrowser starts headless Chromium for the test; it skips the test
// when there is no Chromium or in -short mode.
func newBrowser(t *testing.T) browser {
	t.Helper()
	path := chromium()
	if path == "" {
		t.Skip("no Chromium found (set CHROMIUM_PATH, or install Debian's chromium package): skipping the browser test")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // the CI runs as root
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), // containers have a small /dev/shm
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	return browser{t: t, ctx: bctx}
}

// TestBrowserSubscribeConfirmUnsubscribe drives the pages in headless
// Chromium as a subscriber would: sign up with the form, open the
// confirmation link, change the frequency from the unsubscribe page's
// preferences link, then unsubscribe with the page's button.
func TestBrowserSubscribeConfirmUnsubscribe(t *testing.T) {
	b := newBrowser(t)
	bctx := b.ctx
	st := openStore(t)
	conf := &fakeConfirmer{}
	// The listener exists before the handler, so the handler's base URL can
	// be the server's own address.
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	ts.Config.Handler = web.NewServer(web.Config{Name: testName, BaseURL: base, Secret: testSecret, Log: slog.New(slog.DiscardHandler)}, st, conf, nil)
	ts.Start()
	defer ts.Close()

	const email = "reader@example.com"
	do, text := b.do, b.text
	subscriber := func() syndicate.Subscriber {
		t.Helper()
		s, err := st.Subscriber(context.Background(), email)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	// Sign up with the form.
	do("fill the sign-up form",
		chromedp.Navigate(base+"/subscribe"),
		chromedp.WaitVisible(chromedp.CSS(`main#subscribe input[name=email]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=email]`), email),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "Reader"),
		chromedp.SetValue(chromedp.CSS(`select[name=frequency]`), "daily"),
	)
	title, err := chromedp.Run(bctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if title != "Subscribe · "+testName {
		t.Errorf("sign-up page title = %q", title)
	}
	// The inline style sheet is allowed by the Content-Security-Policy.
	bg, err := chromedp.Run(bctx, chromedp.EvaluateAsDevTools[string](`getComputedStyle(document.querySelector("main button")).backgroundColor`))
	if err != nil {
		t.Fatal(err)
	}
	if bg != "rgb(31, 95, 191)" {
		t.Errorf("button background = %q: the page's style sheet was not applied", bg)
	}
	do("send the sign-up form",
		chromedp.Click(chromedp.CSS(`main#subscribe button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`main#sent`)),
	)
	if h1 := text(`main#sent h1`); h1 != "Check your inbox" {
		t.Errorf("after sign-up the page says %q, want Check your inbox", h1)
	}
	if s := subscriber(); s.Status != syndicate.SubscriberPending || s.Frequency != syndicate.Daily || s.Name != "Reader" {
		t.Fatalf("after sign-up: %+v, want pending daily Reader", s)
	}
	if got := conf.sent(); len(got) != 1 || got[0] != email {
		t.Fatalf("confirmation emails = %q, want one to %s", got, email)
	}

	// Confirm with the link the email would carry: the link only shows a
	// button, which confirms.
	link := func(purpose string) string {
		s := subscriber()
		return makeLink(t, base, purpose, s.Handle, s.TokenVersion)
	}
	do("open the confirmation link",
		chromedp.Navigate(link(signed.PurposeConfirm)),
		chromedp.WaitVisible(chromedp.CSS(`main#confirm button#yes`)),
	)
	if s := subscriber(); s.Status != syndicate.SubscriberPending {
		t.Fatalf("opening the confirmation link: status %s, want still pending", s.Status)
	}
	do("press the confirm button",
		chromedp.Click(chromedp.CSS(`button#yes`)),
		chromedp.WaitVisible(chromedp.CSS(`main#subscribed`)),
	)
	if h1 := text(`main#subscribed h1`); h1 != "You're subscribed" {
		t.Errorf("confirmation page says %q", h1)
	}
	if s := subscriber(); s.Status != syndicate.SubscriberActive {
		t.Fatalf("after confirming: status %s, want active", s.Status)
	}

	// From the unsubscribe page, follow the preferences link and choose weekly.
	do("change the frequency",
		chromedp.Navigate(link(signed.PurposeUnsubscribe)),
		chromedp.WaitVisible(chromedp.CSS(`main#unsubscribe a#preferences`)),
		chromedp.Click(chromedp.CSS(`a#preferences`)),
		chromedp.WaitVisible(chromedp.CSS(`main#preferences input[value=weekly]`)),
		chromedp.Click(chromedp.CSS(`input[value=weekly]`)),
		chromedp.Click(chromedp.CSS(`button#save`)),
		chromedp.WaitVisible(chromedp.CSS(`main#preferences .saved`)),
	)
	if s := subscriber(); s.Frequency != syndicate.Weekly || s.Status != syndicate.SubscriberActive {
		t.Fatalf("after saving preferences: %+v, want active weekly", s)
	}

	// Unsubscribe with the page's button.
	do("unsubscribe",
		chromedp.Navigate(link(signed.PurposeUnsubscribe)),
		chromedp.WaitVisible(chromedp.CSS(`main#unsubscribe button#confirm`)),
		chromedp.Click(chromedp.CSS(`button#confirm`)),
		chromedp.WaitVisible(chromedp.CSS(`main#unsubscribed`)),
	)
	if h1 := text(`main#unsubscribed h1`); h1 != "You're unsubscribed" {
		t.Errorf("after unsubscribing the page says %q", h1)
	}
	// The button posted to the link itself, and nothing redirected.
	location, err := chromedp.Run(bctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(location, base+"/unsubscribe?token=") {
		t.Errorf("after unsubscribing the browser is at %q", location)
	}
	if s := subscriber(); s.Status != syndicate.SubscriberUnsubscribed {
		t.Fatalf("after unsubscribing: status %s, want unsubscribed", s.Status)
	}
}
