package email

import (
	"context"
	"net/mail"
	"strings"
	"testing"

	"syndicate"
)

// TestTransactionalOverSMTP: a transactional message (the double opt-in
// email) needs no unsubscribe URL, and arrives over SMTP without
// List-Unsubscribe, List-Unsubscribe-Post, List-Id, Precedence or
// X-Auto-Response-Suppress, with its Message-ID and Date.
func TestTransactionalOverSMTP(t *testing.T) {
	ts := newTestServer(t, nil)
	m := message(1)
	m.UnsubscribeURL, m.UnsubscribeMailto, m.ListID = "", "", ""
	m.Transactional = true
	errs, err := send(t, context.Background(), newSender(t, ts.url("")), []syndicate.Message{m})
	if err != nil || errs[0] != nil {
		t.Fatalf("Send = %v, %v", errs, err)
	}
	_, got := ts.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(got[0].data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"List-Unsubscribe", "List-Unsubscribe-Post", "List-Id", "Precedence", "X-Auto-Response-Suppress", "Feedback-Id"} {
		if v, ok := msg.Header[k]; ok {
			t.Errorf("transactional message has %s: %q", k, v)
		}
	}
	if id := msg.Header.Get("Message-Id"); id != "<"+m.MessageID+">" {
		t.Errorf("Message-Id %q, want <%s>", id, m.MessageID)
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(m.Date) {
		t.Errorf("Date %v (%v), want %v", d, err, m.Date)
	}
	if ct := msg.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type %q, want multipart/alternative", ct)
	}
}

// TestBuildTransactionalRejects: a transactional message still needs a
// valid Message-ID and a body, and may not carry list headers; a bulk one
// still needs its unsubscribe URL.
func TestBuildTransactionalRejects(t *testing.T) {
	for name, edit := range map[string]func(*syndicate.Message){
		"bad message id":   func(m *syndicate.Message) { m.MessageID = "a@b.com>\r\nX: 1" },
		"no body":          func(m *syndicate.Message) { m.Text, m.HTML = "", "" },
		"bad recipient":    func(m *syndicate.Message) { m.To = "a@b.com\r\nRCPT TO:<c@d.com>" },
		"unsubscribe URL":  func(m *syndicate.Message) { m.UnsubscribeURL = "https://news.example.com/u" },
		"list id":          func(m *syndicate.Message) { m.ListID = "News <news.example.com>" },
		"feedback id":      func(m *syndicate.Message) { m.FeedbackID = "a_1:instant:newsletter:news.example.com" },
		"bulk without URL": func(m *syndicate.Message) { m.Transactional = false },
	} {
		m := message(1)
		m.UnsubscribeURL, m.UnsubscribeMailto, m.ListID = "", "", ""
		m.Transactional = true
		edit(&m)
		if _, err := Build(m); err == nil || outcome(t, err) != syndicate.Permanent {
			t.Errorf("%s: Build err = %v, want a permanent refusal", name, err)
		}
	}
}
