package web_test

import (
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"syndicate"
)

// TestBrowserAdminRetry drives the dashboard in headless Chromium as an
// editor would: log in, open the article from the list, click retry on
// its failed delivery, and watch the live progress (the page's script,
// under the dashboard's Content-Security-Policy) turn it to sent once a
// real worker has posted it through the real retry path.
func TestBrowserAdminRetry(t *testing.T) {
	b := newBrowser(t)
	k := newAdminKit(t)
	do, text := b.do, b.text

	do("log in",
		chromedp.Navigate(k.base+"/admin"),
		chromedp.WaitVisible(chromedp.CSS(`main#login input[name=name]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), adminUser),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), adminPassword),
		chromedp.Click(chromedp.CSS(`button#login`)),
		chromedp.WaitVisible(chromedp.CSS(`main#articles table#articles`)),
	)
	if row := text(`tr[data-id="` + k.art.ID + `"]`); !strings.Contains(row, "outbox: 1 failed") || !strings.Contains(row, "x: 1 unknown") {
		t.Errorf("the article's row says %q, want its per-channel counts", row)
	}
	do("open the article",
		chromedp.Click(chromedp.CSS(`tr[data-id="`+k.art.ID+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`main#article tr[data-channel=outbox][data-status=failed]`)),
	)
	if reply := text(`#deliveries tr[data-channel=outbox] td.reply:last-child`); reply != "temporary <script>alert(1)</script> disk full" {
		t.Errorf("the failed delivery's reply reads %q", reply)
	}

	// No worker runs yet: the click queues the post, and the page shows it
	// queued; only the live progress can show it sent.
	do("click retry",
		chromedp.Click(chromedp.CSS(`button#retry-outbox`)),
		chromedp.WaitVisible(chromedp.CSS(`main#article #flash`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-channel=outbox][data-status=queued]`)),
	)
	if f := text(`#flash`); f != "Queued again: 1 post and 0 emails." {
		t.Errorf("after retry the page says %q", f)
	}
	k.runWorker()
	do("watch it become sent",
		chromedp.WaitVisible(chromedp.CSS(`#deliveries tr[data-channel=outbox][data-status=sent]`)),
	)
	if p := text(`#progress-text`); !strings.HasPrefix(p, "2 of 2 deliveries final.") {
		t.Errorf("the progress reads %q", p)
	}
	d := k.ledger()[syndicate.ChannelOutbox]
	if d.Status != syndicate.StatusSent || d.Attempts != 2 || d.RemoteID == "" {
		t.Fatalf("the outbox delivery is %s after %d attempts, remote %q; want sent after 2", d.Status, d.Attempts, d.RemoteID)
	}
	post, err := os.ReadFile(d.RemoteID)
	if err != nil || !strings.Contains(string(post), k.art.URL) {
		t.Errorf("the outbox post %s: %q, %v", d.RemoteID, post, err)
	}
	if x := k.ledger()[syndicate.ChannelX]; x.Status != syndicate.StatusUnknown {
		t.Errorf("retrying the outbox changed the X post to %s", x.Status)
	}
}
