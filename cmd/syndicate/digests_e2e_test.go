package main

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// textPart returns the subject, the decoded text/plain part and the https
// List-Unsubscribe URL of a raw message.
func textPart(t *testing.T, raw []byte) (subject string, text string, unsubscribe string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	dec := new(mime.WordDecoder)
	subject, err = dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	lu := msg.Header.Get("List-Unsubscribe")
	return subject, messagePart(t, msg, "text/plain"), strings.Trim(strings.Split(lu, ",")[0], "<> ")
}

// messagePart returns the decoded part of msg whose type is mediaType.
func messagePart(t *testing.T, msg *mail.Message, mediaType string) string {
	t.Helper()
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if err != nil {
			t.Fatalf("no %s part: %v", mediaType, err)
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), mediaType) {
			b, err := io.ReadAll(p)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}

// TestEndToEndDigests: instant subscribers get each article, the daily
// digest reaches each daily subscriber once with every article, a second
// trigger sends nothing, one-click unsubscribe takes effect on the next
// digest, and an SMTP server that answers 451 to the first messages still
// delivers every message exactly once.
func TestEndToEndDigests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := newE2E(t, "SYNDICATE_HTTP_ADDR="+addr, "SYNDICATE_BASE_URL=http://"+addr,
		"SYNDICATE_X_CONSUMER_KEY=", "SYNDICATE_X_CONSUMER_SECRET=", "SYNDICATE_X_ACCESS_TOKEN=", "SYNDICATE_X_ACCESS_SECRET=")
	var csv strings.Builder
	csv.WriteString("email,name,frequency\n")
	var daily []string
	for i := 1; i <= 10; i++ {
		daily = append(daily, fmt.Sprintf("daily%02d@example.com", i))
		fmt.Fprintf(&csv, "%s,Daily %d,daily\n", daily[i-1], i)
	}
	csv.WriteString("instant1@example.com,,instant\ninstant2@example.com,,instant\nweekly1@example.com,,weekly\n")
	e.run("subscribers", "import", e.write("subs.csv", csv.String()))
	e.sink.Reject = func(n int, rcpt string) error {
		if n <= 3 {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
		}
		return nil
	}
	e.start("serve", "--roles", "api,worker")
	waitFor(t, "the api", func() bool {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})

	titles := []string{"Market Hall Gets a New Roof", "Ferry Timetable Changes", "Library Extends Opening Hours"}
	for i, title := range titles {
		e.run("publish", e.write(fmt.Sprintf("a%d.md", i), articleMD(title, fmt.Sprintf("https://news.example.com/%d", i))), "--wait")
	}
	out := e.run("send", "digest", "--frequency", "daily", "--wait")
	if !strings.Contains(out, "digest dg_daily_") {
		t.Fatalf("send digest said %q", out)
	}

	type got struct {
		subjects []string
		texts    []string
		unsub    string
	}
	byRcpt := func() map[string]*got {
		m := map[string]*got{}
		for _, msg := range e.sink.Messages() {
			s, text, unsub := textPart(t, msg.Data)
			for _, to := range msg.To {
				if m[to] == nil {
					m[to] = &got{}
				}
				m[to].subjects = append(m[to].subjects, s)
				m[to].texts = append(m[to].texts, text)
				m[to].unsub = unsub
			}
		}
		return m
	}
	r := byRcpt()
	for _, addr := range []string{"instant1@example.com", "instant2@example.com"} {
		if r[addr] == nil || len(r[addr].subjects) != 3 {
			t.Errorf("%s got %v, want the 3 articles", addr, r[addr])
		}
	}
	for _, addr := range daily {
		g := r[addr]
		if g == nil || len(g.subjects) != 1 {
			t.Errorf("%s got %v, want exactly one digest", addr, g)
			continue
		}
		for _, title := range titles {
			if !strings.Contains(g.texts[0], title) {
				t.Errorf("%s's digest lacks %q:\n%s", addr, title, g.texts[0])
			}
		}
	}
	if r["weekly1@example.com"] != nil {
		t.Errorf("the weekly subscriber got %v from a daily digest", r["weekly1@example.com"].subjects)
	}
	total := len(e.sink.Messages())
	if total != 16 {
		t.Errorf("%d messages delivered, want 16 (6 instant, 10 digests), each once", total)
	}

	// A second trigger: nothing new, nothing sent.
	out = e.run("send", "digest", "--frequency", "daily", "--wait")
	if !strings.Contains(out, "nothing sent") {
		t.Errorf("second send digest said %q", out)
	}
	if n := len(e.sink.Messages()); n != total {
		t.Errorf("a second trigger delivered %d more messages", n-total)
	}

	// One-click unsubscribe (RFC 8058) from the digest's own header.
	unsub := r[daily[0]].unsub
	if !strings.HasPrefix(unsub, "http://"+addr+"/unsubscribe?token=") {
		t.Fatalf("List-Unsubscribe URL %q does not point at the api", unsub)
	}
	resp, err := http.Post(unsub, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %s", resp.Status)
	}

	e.run("publish", e.write("a4.md", articleMD("Harbour Lights Switched On", "https://news.example.com/4")), "--wait")
	e.run("send", "digest", "--frequency", "daily", "--wait")
	r = byRcpt()
	if n := len(r[daily[0]].subjects); n != 1 {
		t.Errorf("the unsubscribed reader has %d digests, want still 1", n)
	}
	for _, addr := range daily[1:] {
		if g := r[addr]; len(g.subjects) != 2 || !strings.Contains(g.texts[1], "Harbour Lights Switched On") || strings.Contains(g.texts[1], titles[0]) {
			t.Errorf("%s: second digest wrong: %v", addr, g.subjects)
		}
	}
}

// TestEndToEndDigestFailures: status of a digest shows sent, failed and
// bounced with the SMTP server's reply; a bounced address is suppressed;
// retry resends only the temporary failure.
func TestEndToEndDigestFailures(t *testing.T) {
	e := newE2E(t, "SYNDICATE_MAX_RETRY=1",
		"SYNDICATE_X_CONSUMER_KEY=", "SYNDICATE_X_CONSUMER_SECRET=", "SYNDICATE_X_ACCESS_TOKEN=", "SYNDICATE_X_ACCESS_SECRET=")
	e.run("subscribers", "import", e.write("subs.csv", "email,frequency\nok@example.com,weekly\nlater@example.com,weekly\ngone@example.com,weekly\nrefused@example.com,weekly\n"))
	accept := false
	e.sink.Reject = func(_ int, rcpt string) error {
		switch {
		case rcpt == "later@example.com" && !accept:
			return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "mailbox full"}
		case rcpt == "gone@example.com":
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
		case rcpt == "refused@example.com":
			return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "message refused"}
		}
		return nil
	}
	e.start("worker")
	e.run("publish", e.write("a.md", articleMD("Weekly Story", "https://news.example.com/weekly")), "--wait")
	out, _ := e.fail("send", "digest", "--frequency", "weekly", "--wait")
	id := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "digest dg_weekly_") {
			id = strings.TrimPrefix(line, "digest ")
		}
	}
	if id == "" {
		t.Fatalf("send digest did not name the digest:\n%s", out)
	}
	status := e.run("status", id)
	for _, want := range []string{"1 sent", "1 bounced", "2 failed", "gone@example.com: bounced", "no such user", "later@example.com: failed", "mailbox full", "refused@example.com: failed", "message refused"} {
		if !strings.Contains(status, want) {
			t.Errorf("status %s lacks %q:\n%s", id, want, status)
		}
	}
	if list := e.run("subscribers", "list"); !strings.Contains(list, "gone@example.com") || !regexpMatch(`gone@example\.com\s+weekly\s+bounced`, list) {
		t.Errorf("the bounced address is not suppressed:\n%s", list)
	}

	accept = true
	out = e.run("retry", id, "--wait")
	if !strings.Contains(out, "queued 1 emails again") {
		t.Errorf("retry said %q, want only the temporary failure queued", out)
	}
	got := map[string]int{}
	for _, m := range e.sink.Messages() {
		for _, to := range m.To {
			got[to]++
		}
	}
	want := map[string]int{"ok@example.com": 1, "later@example.com": 1}
	for addr, n := range want {
		if got[addr] != n {
			t.Errorf("%s received %d digests, want %d", addr, got[addr], n)
		}
	}
	if got["gone@example.com"]+got["refused@example.com"] != 0 {
		t.Errorf("a refused or bounced address received mail: %v", got)
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

// TestEndToEndScheduledDigest: the scheduler role sends the daily digest
// on its cron spec, and a later tick with nothing new sends nothing.
func TestEndToEndScheduledDigest(t *testing.T) {
	e := newE2E(t, "SYNDICATE_DIGEST_DAILY=@every 10s", "SYNDICATE_DIGEST_WEEKLY=off",
		"SYNDICATE_X_CONSUMER_KEY=", "SYNDICATE_X_CONSUMER_SECRET=", "SYNDICATE_X_ACCESS_TOKEN=", "SYNDICATE_X_ACCESS_SECRET=")
	e.run("subscribers", "import", e.write("subs.csv", "email,frequency\nd1@example.com,daily\nd2@example.com,daily\n"))
	e.start("worker")
	e.run("publish", e.write("a.md", articleMD("Scheduled Digest Story", "https://news.example.com/sched")), "--wait")
	e.start("serve", "--roles", "scheduler")
	waitFor(t, "the scheduled digest", func() bool { return len(e.sink.Messages()) == 2 })
	time.Sleep(12 * time.Second) // one more tick, with nothing new
	if n := len(e.sink.Messages()); n != 2 {
		t.Errorf("%d digests delivered, want 2 (one per daily subscriber)", n)
	}
}
