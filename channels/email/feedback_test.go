package email

import (
	"bytes"
	"net/mail"
	"testing"

	"syndicate"
)

// TestFeedbackID: a bulk message carries Gmail's Feedback-ID as given; a
// malformed one, which could break the header or Gmail's parsing, is
// refused; none given, none written.
func TestFeedbackID(t *testing.T) {
	read := func(m syndicate.Message) (*mail.Message, error) {
		msg, err := Build(m)
		if err != nil {
			return nil, err
		}
		var raw bytes.Buffer
		if _, err := msg.WriteTo(&raw); err != nil {
			t.Fatal(err)
		}
		return mail.ReadMessage(&raw)
	}
	m := message(1)
	m.FeedbackID = "dg_daily_20260302T070000Z:daily:newsletter:news.example.com"
	got, err := read(m)
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Header.Get("Feedback-Id"); v != m.FeedbackID {
		t.Errorf("Feedback-ID = %q, want %q", v, m.FeedbackID)
	}
	m.FeedbackID = ""
	if got, err = read(m); err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Header["Feedback-Id"]; ok {
		t.Error("Feedback-ID written when none was given")
	}
	for _, bad := range []string{"one-field", "a:b\r\nBcc: x@example.com", "a:b:c:d:e", "a b:c", "a::b", ":a:b"} {
		m.FeedbackID = bad
		if _, err := Build(m); err == nil || outcome(t, err) != syndicate.Permanent {
			t.Errorf("Feedback-ID %q: Build err = %v, want a permanent refusal", bad, err)
		}
	}
}
