package bounce_test

import (
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"syndicate"
	"syndicate/bounce"
	"syndicate/internal/bouncetest"
)

// count returns how many messages of box carry flag (or all, flag "").
func count(t *testing.T, u *imapmemserver.User, box string, flag imap.Flag) uint32 {
	t.Helper()
	st, err := u.Status(box, &imap.StatusOptions{NumMessages: true, NumUnseen: true})
	if err != nil {
		t.Fatal(err)
	}
	if flag == imap.FlagSeen {
		return *st.NumMessages - *st.NumUnseen
	}
	return *st.NumMessages
}

func TestPollerReadsTheBounceMailbox(t *testing.T) {
	p, k, _ := processor(t)
	gmail := k.Sent(t, "a_1", "no.such.user@gmail.com", "5c1f0d8e2b7a4e6f9a3c1d2e4f5a6b7c@example.org")
	k.Sent(t, "a_1", "gone.away@contoso.com", "0aa1b2c3d4e5f60718293a4b5c6d7e8f@example.org")
	user, url, tc, _ := bouncetest.IMAPServer(t,
		sample(t, "dsn-gmail.eml", bouncetest.Token(gmail)),
		sample(t, "autoreply.eml", "x"),
		sample(t, "dsn-exchange.eml", ""),
	)
	poller := &bounce.Poller{
		Mailbox:   bounce.Mailbox{URL: url, Username: bouncetest.IMAPUser, Password: bouncetest.IMAPPassword, Processed: "Processed", TLS: tc},
		Processor: p,
	}
	res, err := poller.Poll(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != 3 || res.Applied != 2 || res.Refused != 1 {
		t.Errorf("poll = %+v; want 3 read, 2 applied, 1 refused", res)
	}
	want := bouncetest.State{Subscriber: syndicate.SubscriberBounced, Suppressed: syndicate.SuppressedBounced, Delivery: syndicate.StatusBounced}
	for _, c := range [][2]string{{"no.such.user@gmail.com", "5c1f0d8e2b7a4e6f9a3c1d2e4f5a6b7c@example.org"}, {"gone.away@contoso.com", "0aa1b2c3d4e5f60718293a4b5c6d7e8f@example.org"}} {
		if got := k.State(t, c[0], c[1]); got != want {
			t.Errorf("%s: %+v, want %+v", c[0], got, want)
		}
	}
	if n := count(t, user, "INBOX", ""); n != 0 {
		t.Errorf("%d messages left in INBOX; want all moved", n)
	}
	if n := count(t, user, "Processed", imap.FlagSeen); n != 3 {
		t.Errorf("%d seen messages in Processed; want 3", n)
	}
	// The next poll has nothing to read.
	if res, err := poller.Poll(t.Context()); err != nil || res.Read != 0 {
		t.Errorf("second poll = %+v, %v; want nothing read", res, err)
	}
	// A wrong password is an error, and touches nothing.
	poller.Mailbox.Password = "wrong"
	if _, err := poller.Poll(t.Context()); err == nil {
		t.Error("a wrong password logged in")
	}
}

// TestPollerMarksSeenWithoutProcessedMailbox: with no processed mailbox,
// messages stay where they are, seen.
func TestPollerMarksSeenWithoutProcessedMailbox(t *testing.T) {
	p, k, _ := processor(t)
	d := k.Sent(t, "a_1", "left.long.ago@example.net", "8e7d6c5b4a39281706f5e4d3c2b1a09f@example.org")
	user, url, tc, _ := bouncetest.IMAPServer(t, sample(t, "dsn-postfix-failed.eml", bouncetest.Token(d)))
	poller := &bounce.Poller{Mailbox: bounce.Mailbox{URL: url, Username: bouncetest.IMAPUser, Password: bouncetest.IMAPPassword, TLS: tc}, Processor: p}
	if res, err := poller.Poll(t.Context()); err != nil || res.Applied != 1 {
		t.Fatalf("poll = %+v, %v", res, err)
	}
	if n := count(t, user, "INBOX", imap.FlagSeen); n != 1 {
		t.Errorf("%d seen messages in INBOX; want 1", n)
	}
}
