package email

import (
	"bytes"
	"context"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"

	"syndicate"
)

// TestEncodedWordLookalikes builds messages whose subject and recipient
// name hold text that looks like RFC 2047 encoded words: the header must
// carry it encoded, so that a reader decoding it sees the literal text.
func TestEncodedWordLookalikes(t *testing.T) {
	long := strings.Repeat("Käse =?utf-8?q?=E2=82=AC?= ", 20) // several encoded words
	for _, tt := range []struct{ subject, name string }{
		{"Win =?utf-8?q?=E2=82=AC100?= now", "=?utf-8?q?Evil?= Bob"},
		{"=?utf-8?b?SGFja2Vk?=", "Ann =?iso-8859-1?q?Caf=E9?="},
		{strings.TrimSpace(long), "=?x?q?_?= (a) \"b\" <c>"},
	} {
		m := message(1)
		m.Subject, m.ToName = tt.subject, tt.name
		msg, err := Build(m)
		if err != nil {
			t.Fatal(err)
		}
		var raw bytes.Buffer
		if _, err := msg.WriteTo(&raw); err != nil {
			t.Fatal(err)
		}
		head, _, _ := strings.Cut(raw.String(), "\r\n\r\n")
		for _, l := range strings.Split(head, "\r\n") {
			// Continuation lines start with a space; List-Unsubscribe is
			// written unfolded by go-mail and is not this test's business.
			if len(l) > 78 && !strings.HasPrefix(l, "List-Unsubscribe:") {
				t.Errorf("header line of %d characters: %q", len(l), l)
			}
		}
		parsed, err := netmail.ReadMessage(&raw)
		if err != nil {
			t.Fatal(err)
		}
		var dec mime.WordDecoder
		if got, err := dec.DecodeHeader(parsed.Header.Get("Subject")); err != nil || got != tt.subject {
			t.Errorf("Subject decodes to %q (%v), want %q; raw %q", got, err, tt.subject, parsed.Header.Get("Subject"))
		}
		to, err := parsed.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Name != tt.name || to[0].Address != m.To {
			t.Errorf("To: %v (%v), want %q <%s>; raw %q", to, err, tt.name, m.To, parsed.Header.Get("To"))
		}
		if rcpts, err := msg.GetRecipients(); err != nil || len(rcpts) != 1 || strings.Trim(rcpts[0], "<>") != m.To {
			t.Errorf("recipients %q (%v), want [%s]", rcpts, err, m.To)
		}
		if strings.Contains(head, "Bcc") {
			t.Errorf("Bcc header written:\n%s", head)
		}
	}

	// Plain subjects and names are written as they were.
	msg, err := Build(message(2))
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	if _, err := msg.WriteTo(&raw); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"\r\nSubject: Council approves new harbour wall\r\n", "\r\nTo: \"Reader 2\" <reader2@example.org>\r\n"} {
		if !strings.Contains(raw.String(), h) {
			t.Errorf("message lacks %q:\n%s", h, raw.String())
		}
	}
}

// TestEncodedWordSenderRefused: the newsletter's own name cannot be made
// to look like an encoded word either; ParseAddress decodes real ones.
func TestEncodedWordSenderRefused(t *testing.T) {
	m := message(1)
	m.From = `"=?utf-8?q?Bank?=" <news@news.example.com>`
	if _, err := Build(m); err == nil || !strings.Contains(err.Error(), "encoded word") {
		t.Errorf("Build = %v, want a refusal naming the encoded word", err)
	}
	m.From = `=?utf-8?q?Caf=C3=A9?= <news@news.example.com>`
	if _, err := Build(m); err != nil {
		t.Errorf("Build with an encoded sender name: %v", err)
	}
}

// TestEncodedWordRecipientDelivered sends a message whose recipient name
// is written by hand to a real SMTP server: the envelope still has the
// recipient, and the To header the encoded name.
func TestEncodedWordRecipientDelivered(t *testing.T) {
	ts := newTestServer(t, nil)
	m := message(3)
	m.ToName = "=?utf-8?q?Evil?= Bob"
	errs, err := send(t, context.Background(), newSender(t, ts.url("")), []syndicate.Message{m})
	if err != nil || errs[0] != nil {
		t.Fatalf("send: %v %v", err, errs)
	}
	_, got := ts.received()
	if len(got) != 1 || len(got[0].to) != 1 || got[0].to[0] != m.To {
		t.Fatalf("received %+v, want one message to %s", got, m.To)
	}
	checkMessage(t, got[0].data, m)
}
