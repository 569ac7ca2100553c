package bounce_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"syndicate"
	"syndicate/bounce"
	"syndicate/internal/bouncetest"
)

// processor returns a Processor on a fresh kit, its clock fixed.
func processor(t *testing.T) (*bounce.Processor, *bouncetest.Kit, *time.Time) {
	k := bouncetest.New(t)
	now := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	return &bounce.Processor{Store: k.Store, Secret: bouncetest.Secret, Now: func() time.Time { return now }}, k, &now
}

// sample reads testdata/name with VERPTOKEN replaced by tok.
func sample(t *testing.T, name, tok string) string {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "VERPTOKEN", tok)
}

func TestHardBounceSuppresses(t *testing.T) {
	p, k, _ := processor(t)
	ctx := t.Context()
	d := k.Sent(t, "a_1", "ann@example.com", "m1@example.org")
	k.Sent(t, "a_1", "bob@example.com", "m2@example.org")
	e := bounce.Event{Kind: bounce.Hard, Address: "ann@example.com", MessageID: "<m1@example.org>", Provider: "ses", ID: "ev1", Code: "5.1.1", Diagnostic: "smtp; 550 5.1.1 user unknown", Verified: true}
	res, err := p.Process(ctx, e)
	if err != nil || res.Outcome != bounce.Suppressed || res.Delivery != d.ID {
		t.Fatalf("Process = %+v, %v", res, err)
	}
	want := bouncetest.State{Subscriber: syndicate.SubscriberBounced, Suppressed: syndicate.SuppressedBounced, Delivery: syndicate.StatusBounced}
	if got := k.State(t, "ann@example.com", "m1@example.org"); got != want {
		t.Errorf("after a hard bounce: %+v, want %+v", got, want)
	}
	if got := k.State(t, "bob@example.com", "m2@example.org"); got != bouncetest.Untouched {
		t.Errorf("another subscriber changed: %+v", got)
	}
	// An editor re-subscribes Ann; the same event again changes nothing.
	if _, _, err := k.Store.UpsertSubscriber(ctx, syndicate.Subscriber{Email: "ann@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := k.Store.RemoveSuppression(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	res, err = p.Process(ctx, e)
	if err != nil || res.Outcome != bounce.Duplicate {
		t.Fatalf("Process again = %+v, %v; want duplicate", res, err)
	}
	if got := k.State(t, "ann@example.com", ""); got.Subscriber != syndicate.SubscriberActive || got.Suppressed != "" {
		t.Errorf("a replayed event changed the re-subscribed address: %+v", got)
	}
}

func TestSoftBouncesSuppressAfterLimitInWindow(t *testing.T) {
	p, k, now := processor(t)
	ctx := t.Context()
	p.SoftLimit, p.SoftWindow = 3, 7*24*time.Hour
	k.Sent(t, "a_1", "ann@example.com", "m1@example.org")
	soft := func(id string, at time.Time) bounce.Outcome {
		t.Helper()
		res, err := p.Process(ctx, bounce.Event{Kind: bounce.Soft, Address: "ann@example.com", Provider: "postmark", ID: id, Time: at, Verified: true})
		if err != nil {
			t.Fatal(err)
		}
		return res.Outcome
	}
	// One ten days ago is outside the window and does not count.
	if o := soft("old", now.Add(-10*24*time.Hour)); o != bounce.Counted {
		t.Fatalf("old soft bounce: %s", o)
	}
	if o := soft("s1", now.Add(-2*time.Hour)); o != bounce.Counted {
		t.Fatalf("first soft bounce: %s", o)
	}
	if o := soft("s1", now.Add(-2*time.Hour)); o != bounce.Duplicate {
		t.Fatalf("the same soft bounce again: %s", o)
	}
	if o := soft("s2", now.Add(-time.Hour)); o != bounce.Counted {
		t.Fatalf("second soft bounce: %s", o)
	}
	if got := k.State(t, "ann@example.com", ""); got.Subscriber != syndicate.SubscriberActive || got.Suppressed != "" {
		t.Fatalf("suppressed before the limit: %+v", got)
	}
	if o := soft("s3", *now); o != bounce.Suppressed {
		t.Fatalf("third soft bounce in the window: %s", o)
	}
	if got := k.State(t, "ann@example.com", ""); got.Subscriber != syndicate.SubscriberBounced || got.Suppressed != syndicate.SuppressedBounced {
		t.Errorf("after the limit: %+v", got)
	}
}

func TestComplaintUnsubscribes(t *testing.T) {
	p, k, _ := processor(t)
	d := k.Sent(t, "dg_daily_20261201T070000", "ann@example.com", "m1@example.org")
	res, err := p.Process(t.Context(), bounce.Event{Kind: bounce.Complaint, Token: bouncetest.Token(d), Provider: "arf"})
	if err != nil || res.Outcome != bounce.Unsubscribed {
		t.Fatalf("Process = %+v, %v", res, err)
	}
	want := bouncetest.State{Subscriber: syndicate.SubscriberUnsubscribed, Suppressed: syndicate.SuppressedComplained, Delivery: syndicate.StatusComplained}
	if got := k.State(t, "ann@example.com", "m1@example.org"); got != want {
		t.Errorf("after a complaint: %+v, want %+v", got, want)
	}
	// A soft bounce arriving later does not hide the complaint in the ledger.
	if _, err := p.Process(t.Context(), bounce.Event{Kind: bounce.Soft, Token: bouncetest.Token(d), Provider: "dsn", Code: "4.2.2"}); err != nil {
		t.Fatal(err)
	}
	if got := k.State(t, "ann@example.com", "m1@example.org"); got.Delivery != syndicate.StatusComplained {
		t.Errorf("a later soft bounce changed the row to %s", got.Delivery)
	}
}

func TestUnverifiedEventsNeedTheLedger(t *testing.T) {
	p, k, _ := processor(t)
	ctx := t.Context()
	d := k.Sent(t, "a_1", "ann@example.com", "m1@example.org")
	for name, e := range map[string]bounce.Event{
		"unknown message":  {Kind: bounce.Hard, Address: "ann@example.com", MessageID: "other@example.org", Provider: "dsn"},
		"forged token":     {Kind: bounce.Hard, Address: "ann@example.com", Token: bouncetest.Token(d)[:5] + "-00112233445566778899", Provider: "dsn"},
		"token of another": {Kind: bounce.Complaint, Token: strings.Replace(bouncetest.Token(d), "1-", "2-", 1), Provider: "arf"},
		"no address":       {Kind: bounce.Hard, Provider: "ses", Verified: true},
		"bad kind":         {Kind: "lost", Address: "ann@example.com", Provider: "ses", Verified: true},
	} {
		if _, err := p.Process(ctx, e); syndicate.ErrorCode(err) != syndicate.EINVALID {
			t.Errorf("%s: err = %v, want EINVALID", name, err)
		}
	}
	if got := k.State(t, "ann@example.com", "m1@example.org"); got != bouncetest.Untouched {
		t.Errorf("refused events changed the address: %+v", got)
	}
}

// TestSamples parses each report of testdata and applies it.
func TestSamples(t *testing.T) {
	for _, c := range []struct {
		file, email, messageID string
		verp                   bool
		kind                   bounce.Kind
		code                   string
		want                   bouncetest.State
	}{
		{"dsn-gmail.eml", "no.such.user@gmail.com", "5c1f0d8e2b7a4e6f9a3c1d2e4f5a6b7c@example.org", true, bounce.Hard, "5.1.1",
			bouncetest.State{Subscriber: syndicate.SubscriberBounced, Suppressed: syndicate.SuppressedBounced, Delivery: syndicate.StatusBounced}},
		{"dsn-exchange.eml", "gone.away@contoso.com", "0aa1b2c3d4e5f60718293a4b5c6d7e8f@example.org", false, bounce.Hard, "5.1.10",
			bouncetest.State{Subscriber: syndicate.SubscriberBounced, Suppressed: syndicate.SuppressedBounced, Delivery: syndicate.StatusBounced}},
		{"dsn-postfix.eml", "full.box@example.net", "7d6c5b4a39281706f5e4d3c2b1a09f8e@example.org", true, bounce.Soft, "4.2.2",
			bouncetest.State{Subscriber: syndicate.SubscriberActive, Delivery: syndicate.StatusSoftBounced}},
		{"dsn-postfix-failed.eml", "left.long.ago@example.net", "8e7d6c5b4a39281706f5e4d3c2b1a09f@example.org", true, bounce.Hard, "5.1.1",
			bouncetest.State{Subscriber: syndicate.SubscriberBounced, Suppressed: syndicate.SuppressedBounced, Delivery: syndicate.StatusBounced}},
		{"arf-yahoo.eml", "reader@yahoo.com", "9f8e7d6c5b4a39281706f5e4d3c2b1a0@example.org", true, bounce.Complaint, "",
			bouncetest.State{Subscriber: syndicate.SubscriberUnsubscribed, Suppressed: syndicate.SuppressedComplained, Delivery: syndicate.StatusComplained}},
		{"arf-microsoft.eml", "outlook.reader@outlook.com", "1b2c3d4e5f60718293a4b5c6d7e8f9a0@example.org", false, bounce.Complaint, "",
			bouncetest.State{Subscriber: syndicate.SubscriberUnsubscribed, Suppressed: syndicate.SuppressedComplained, Delivery: syndicate.StatusComplained}},
	} {
		t.Run(c.file, func(t *testing.T) {
			p, k, _ := processor(t)
			d := k.Sent(t, "a_1", c.email, c.messageID)
			k.Sent(t, "a_1", "bystander@example.com", "m-bystander@example.org")
			tok := "not-a-token"
			if c.verp {
				tok = bouncetest.Token(d)
			}
			events, err := bounce.ParseMessage(strings.NewReader(sample(t, c.file, tok)))
			if err != nil || len(events) != 1 {
				t.Fatalf("ParseMessage = %+v, %v", events, err)
			}
			e := events[0]
			if e.Kind != c.kind || !strings.EqualFold(e.Address, c.email) || e.MessageID != c.messageID || e.Code != c.code || e.Verified {
				t.Errorf("event = %+v", e)
			}
			if c.verp && e.Token != tok {
				t.Errorf("token = %q, want %q", e.Token, tok)
			}
			for range 2 { // the same report twice is one event
				if _, err := p.Process(t.Context(), e); err != nil {
					t.Fatal(err)
				}
			}
			if got := k.State(t, c.email, c.messageID); got != c.want {
				t.Errorf("state = %+v, want %+v", got, c.want)
			}
			if got := k.State(t, "bystander@example.com", "m-bystander@example.org"); got != bouncetest.Untouched {
				t.Errorf("bystander changed: %+v", got)
			}
		})
	}
}

func TestParseMessageRefuses(t *testing.T) {
	for name, msg := range map[string]string{
		"auto-reply": sample(t, "autoreply.eml", "x"),
		"not mail":   "\x00\x01binary",
		"empty":      "",
	} {
		events, err := bounce.ParseMessage(strings.NewReader(msg))
		if syndicate.ErrorCode(err) != syndicate.EINVALID || len(events) != 0 {
			t.Errorf("%s: ParseMessage = %+v, %v; want an EINVALID error", name, events, err)
		}
	}
	// A DSN saying the message was delivered is no bounce, and no error.
	relayed := strings.NewReplacer("Action: failed", "Action: relayed", "Status: 5.1.1", "Status: 2.0.0").Replace(sample(t, "dsn-postfix-failed.eml", "x"))
	if events, err := bounce.ParseMessage(strings.NewReader(relayed)); err != nil || len(events) != 0 {
		t.Errorf("relayed DSN: %+v, %v", events, err)
	}
}
