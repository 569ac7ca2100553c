package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"syndicate"
	"syndicate/signed"
)

// subscriberStatus is the status `subscribers list --json` gives addr.
func (e *e2e) subscriberStatus(addr string) syndicate.Subscriber {
	e.t.Helper()
	var subs []syndicate.Subscriber
	if err := json.Unmarshal([]byte(e.run("subscribers", "list", "--json")), &subs); err != nil {
		e.t.Fatalf("subscribers list --json: %v", err)
	}
	for _, s := range subs {
		if strings.EqualFold(s.Email, addr) {
			return s
		}
	}
	e.t.Fatalf("%s is not listed", addr)
	return syndicate.Subscriber{}
}

// TestEndToEndDoubleOptIn: with the real binary (serve --roles
// api,worker) and a real SMTP server, and no fake in the path, a sign-up
// gets a transactional confirmation email; its link shows a button on
// HEAD and GET without confirming, and the button's POST confirms, once.
func TestEndToEndDoubleOptIn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := newE2E(t, "SYNDICATE_HTTP_ADDR="+addr, "SYNDICATE_CONFIRM_TTL=3h")
	srv := e.start("serve", "--roles", "api,worker")
	base := "http://" + addr
	waitFor(t, "/readyz", func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	do := func(method, target string, form url.Values) (int, string) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, err := http.NewRequest(method, target, body)
		if err != nil {
			t.Fatal(err)
		}
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}

	const reader = "reader@example.org"
	code, page := do(http.MethodPost, base+"/subscribe", url.Values{"email": {reader}, "name": {"Reader"}, "frequency": {"daily"}})
	if code != http.StatusOK || !strings.Contains(page, "Check your inbox") {
		t.Fatalf("POST /subscribe: %d\n%s", code, page)
	}
	var raw []byte
	waitFor(t, "the confirmation email", func() bool {
		for _, m := range e.sink.Messages() {
			if len(m.To) == 1 && m.To[0] == reader {
				raw = m.Data
				return true
			}
		}
		return false
	})

	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence", "X-Auto-Response-Suppress", "Feedback-Id"} {
		if v, ok := msg.Header[k]; ok {
			t.Errorf("confirmation email has %s: %q", k, v)
		}
	}
	if id := msg.Header.Get("Message-Id"); !regexp.MustCompile(`^<[^<>@\s]+@news\.example\.com>$`).MatchString(id) {
		t.Errorf("Message-Id %q is not on our domain", id)
	}
	if d, err := msg.Header.Date(); err != nil || d.IsZero() {
		t.Errorf("Date %q: %v", msg.Header.Get("Date"), err)
	}
	if !bytes.Contains(raw, []byte(`class=3D"container"`)) && !bytes.Contains(raw, []byte(`class="container"`)) {
		t.Errorf("the HTML part is not in the shell of the other emails")
	}
	subject, text, _ := textPart(t, raw)
	if subject != "Confirm your subscription to Test News" {
		t.Errorf("subject %q", subject)
	}
	link := regexp.MustCompile(`https://news\.example\.com/confirm\?token=[A-Za-z0-9_%-]+`).FindString(text)
	if link == "" {
		t.Fatalf("no confirm link in:\n%s", text)
	}
	token, err := url.QueryUnescape(link[strings.Index(link, "token=")+len("token="):])
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(token, ".@") || strings.Contains(token, "cmVhZGVy") { // base64 of "reader"
		t.Errorf("token %q carries the address", token)
	}
	// The link expires confirm_ttl (3h here) after the email's Date.
	date, err := msg.Header.Date()
	if err != nil {
		t.Fatal(err)
	}
	c, err := signed.Verify("e2e-secret-0123456789", signed.PurposeConfirm, token, date)
	if err != nil || !c.Expires.Equal(date.Add(3*time.Hour)) {
		t.Errorf("token claims %+v, %v; want an expiry 3h after %v", c, err, date)
	}
	link = strings.Replace(link, "https://news.example.com", base, 1)

	// A scanner's HEAD and GET change nothing; the page has the button.
	if code, _ := do(http.MethodHead, link, nil); code != http.StatusOK {
		t.Errorf("HEAD of the link: %d", code)
	}
	code, page = do(http.MethodGet, link, nil)
	if code != http.StatusOK || !strings.Contains(page, `<form method="post">`) || !strings.Contains(page, "Confirm my subscription") {
		t.Errorf("GET of the link: %d\n%s", code, page)
	}
	if s := e.subscriberStatus(reader); s.Status != syndicate.SubscriberPending {
		t.Fatalf("after HEAD and GET: %s, want pending", s.Status)
	}

	// The button confirms, once.
	code, page = do(http.MethodPost, link, url.Values{})
	if code != http.StatusOK || !strings.Contains(page, "You're subscribed") {
		t.Fatalf("POST of the link: %d\n%s", code, page)
	}
	if s := e.subscriberStatus(reader); s.Status != syndicate.SubscriberActive || s.Frequency != syndicate.Daily || s.Name != "Reader" {
		t.Fatalf("after confirming: %+v, want active daily Reader", s)
	}
	code, page = do(http.MethodPost, link, url.Values{})
	if code != http.StatusOK || !strings.Contains(page, "Already confirmed") {
		t.Errorf("second POST of the link: %d\n%s", code, page)
	}

	// A later form for the active address changes nothing and mails nothing.
	code, _ = do(http.MethodPost, base+"/subscribe", url.Values{"email": {reader}, "name": {"Mallory"}, "frequency": {"instant"}})
	if code != http.StatusOK {
		t.Errorf("second sign-up: %d", code)
	}
	if s := e.subscriberStatus(reader); s.Status != syndicate.SubscriberActive || s.Frequency != syndicate.Daily || s.Name != "Reader" {
		t.Errorf("after a second sign-up: %+v, want active daily Reader", s)
	}

	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := srv.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v", err)
	}
	if n := len(e.sink.Messages()); n != 1 {
		t.Errorf("the sink got %d messages, want the one confirmation", n)
	}
}
