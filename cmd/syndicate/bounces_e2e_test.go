package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"syndicate/internal/bouncetest"
	"syndicate/signed"
)

// TestEndToEndBounceLoop runs the real program: emails go out with VERP
// return paths, a DSN piped to `bounces ingest` bounces one subscriber
// and an ARF complaint unsubscribes another, `status` counts both, the
// next article is not mailed to either, and `config check` flags the
// complaint rate.
func TestEndToEndBounceLoop(t *testing.T) {
	e := newE2E(t, "SYNDICATE_BOUNCES_VERP_DOMAIN=bounces.news.example.com")
	emails := e.addSubscribers(3)
	e.start("worker")
	e.run("publish", e.write("a.md", articleMD("Library Opens Late", "https://news.example.com/library")), "--wait")

	envelope := map[string]string{} // recipient → MAIL FROM
	messageID := map[string]string{}
	for _, m := range e.sink.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		envelope[m.To[0]] = m.From
		messageID[m.To[0]] = strings.Trim(msg.Header.Get("Message-Id"), "<>")
		if strings.Contains(string(m.Data), "bounces+") {
			t.Errorf("the VERP address is in the message to %s, not only in its envelope", m.To[0])
		}
	}
	for _, a := range emails {
		if !strings.HasPrefix(envelope[a], "bounces+") || !strings.HasSuffix(envelope[a], "@bounces.news.example.com") || signed.VERPTokenOf(envelope[a]) == "" {
			t.Fatalf("envelope sender of the email to %s is %q, want a VERP address", a, envelope[a])
		}
	}

	// A Postfix DSN comes back to the first reader's return path.
	dsn, err := os.ReadFile("../../bounce/testdata/dsn-postfix-failed.eml")
	if err != nil {
		t.Fatal(err)
	}
	report := strings.NewReplacer("VERPTOKEN", signed.VERPTokenOf(envelope[emails[0]]), "left.long.ago@example.net", emails[0]).Replace(string(dsn))
	c := e.cmd("bounces", "ingest")
	c.Stdin = strings.NewReader(report)
	if out, err := c.CombinedOutput(); err != nil || !strings.Contains(string(out), emails[0]+": suppressed") {
		t.Fatalf("bounces ingest: %v\n%s", err, out)
	}
	// Microsoft's JMRP complaint names the second reader's message by its Message-ID.
	arf, err := os.ReadFile("../../bounce/testdata/arf-microsoft.eml")
	if err != nil {
		t.Fatal(err)
	}
	report = strings.NewReplacer("1b2c3d4e5f60718293a4b5c6d7e8f9a0@example.org", messageID[emails[1]], "outlook.reader@outlook.com", emails[1]).Replace(string(arf))
	c = e.cmd("bounces", "ingest")
	c.Stdin = strings.NewReader(report)
	if out, err := c.CombinedOutput(); err != nil || !strings.Contains(string(out), emails[1]+": unsubscribed") {
		t.Fatalf("bounces ingest of the complaint: %v\n%s", err, out)
	}

	st := map[string]string{}
	for _, r := range e.status("https://news.example.com/library") {
		st[r.Subscriber] = r.Status
	}
	if st[emails[0]] != "bounced" || st[emails[1]] != "complained" || st[emails[2]] != "sent" {
		t.Errorf("ledger after the reports: %v", st)
	}
	if out := e.run("status", "https://news.example.com/library"); !strings.Contains(out, "1 bounced") || !strings.Contains(out, "1 complained") {
		t.Errorf("status does not count the outcomes:\n%s", out)
	}
	if out := e.run("suppressions", "list"); !strings.Contains(out, emails[0]) || !strings.Contains(out, emails[1]) || strings.Contains(out, emails[2]) {
		t.Errorf("suppressions list:\n%s", out)
	}

	// An editor re-subscribes both; the suppression list still keeps them from mail.
	for _, a := range emails[:2] {
		e.run("subscribers", "add", a, "--resubscribe")
	}
	e.run("publish", e.write("b.md", articleMD("Bridge Reopens", "https://news.example.com/bridge")), "--wait")
	got := e.received("Bridge Reopens")
	if len(got[emails[0]]) != 0 || len(got[emails[1]]) != 0 || len(got[emails[2]]) != 1 {
		t.Errorf("second article went to %v; want only %s", got, emails[2])
	}

	check, _ := e.fail("config", "check")
	if !strings.Contains(check, "✗ complaint rate") {
		t.Errorf("config check does not flag 1 complaint in a handful of emails:\n%s", check)
	}
}

// envelopes returns the MAIL FROM of the email to each recipient whose
// subject holds title.
func (e *e2e) envelopes(title string) map[string]string {
	out := map[string]string{}
	for _, m := range e.sink.Messages() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			e.t.Fatal(err)
		}
		if strings.Contains(msg.Header.Get("Subject"), title) {
			out[m.To[0]] = m.From
		}
	}
	return out
}

// TestEndToEndBounceMailboxAndWebhook: the scheduler role reads a DSN from
// the bounce mailbox over IMAP and files it, and the api role takes a
// signed Mailgun complaint.
func TestEndToEndBounceMailboxAndWebhook(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	user, imapURL, _, ca := bouncetest.IMAPServer(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	const mgKey = "key-e2e-mailgun-signing"
	e := newE2E(t, "SYNDICATE_HTTP_ADDR="+addr,
		"SYNDICATE_BOUNCES_VERP_DOMAIN=bounces.news.example.com",
		"SYNDICATE_BOUNCES_IMAP_URL="+imapURL,
		"SYNDICATE_BOUNCES_IMAP_USERNAME="+bouncetest.IMAPUser,
		"SYNDICATE_BOUNCES_IMAP_PASSWORD="+bouncetest.IMAPPassword,
		"SYNDICATE_BOUNCES_IMAP_PROCESSED_MAILBOX=Processed",
		"SYNDICATE_BOUNCES_MAILGUN_SIGNING_KEY="+mgKey,
		"SSL_CERT_FILE="+caFile, // the binary trusts the test's IMAP server
	)
	emails := e.addSubscribers(3)
	e.start("serve", "--roles", "api,worker")
	e.run("publish", e.write("a.md", articleMD("Ferry Timetable Changes", "https://news.example.com/ferry")), "--wait")
	env := e.envelopes("Ferry Timetable Changes")

	dsn, err := os.ReadFile("../../bounce/testdata/dsn-gmail.eml")
	if err != nil {
		t.Fatal(err)
	}
	report := strings.NewReplacer("VERPTOKEN", signed.VERPTokenOf(env[emails[0]]), "no.such.user@gmail.com", emails[0]).Replace(string(dsn))
	if _, err := user.Append("INBOX", bytes.NewReader([]byte(report)), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	e.start("serve", "--roles", "scheduler") // reads the mailbox at once, then every interval

	ts := strconv.FormatInt(time.Now().Unix(), 10)
	token := "e2e0123456789abcdef0123456789abcdef0123456789abcd"
	body := fmt.Sprintf(`{"signature":{"timestamp":%q,"token":%q,"signature":%q},"event-data":{"event":"complained","id":"ncV2XwymRUKbPek_MIM-Gw","timestamp":%s.0,"recipient":%q,"message":{"headers":{"message-id":""}}}}`,
		ts, token, signed.MailgunSignature(mgKey, ts, token), ts, emails[1])
	waitFor(t, "the api role", func() bool {
		resp, err := http.Post("http://"+addr+"/v1/hooks/bounces/mailgun", "application/json", strings.NewReader(body))
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("mailgun webhook answered %d", resp.StatusCode)
		}
		return true
	})
	waitFor(t, "the DSN applied from the mailbox", func() bool {
		for _, r := range e.status("https://news.example.com/ferry") {
			if r.Subscriber == emails[0] {
				return r.Status == "bounced"
			}
		}
		return false
	})
	st, err := user.Status("Processed", &imap.StatusOptions{NumMessages: true})
	if err != nil || *st.NumMessages != 1 {
		t.Errorf("Processed mailbox: %+v, %v; want the DSN moved there", st, err)
	}
	out := e.run("suppressions", "list")
	if !strings.Contains(out, emails[0]) || !strings.Contains(out, emails[1]) {
		t.Errorf("suppressions list:\n%s", out)
	}
	if s := e.run("subscribers", "list"); !strings.Contains(strings.Join(strings.Fields(s), " "), emails[1]+" Reader 2 instant unsubscribed") {
		t.Errorf("the complaint did not unsubscribe %s:\n%s", emails[1], s)
	}
}
