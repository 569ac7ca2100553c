package store_test

import (
	"context"
	"testing"

	"syndicate"
)

// TestSignUp: the public form adds a new address as pending with a handle;
// it never changes the name or frequency of an existing row, revives an
// unsubscribed row as pending with a new version, and leaves active,
// pending and bounced rows exactly as they are.
func TestSignUp(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)

	sub, created, err := s.SignUp(ctx, syndicate.Subscriber{Email: "Pat@Example.com", Name: "Pat", Frequency: syndicate.Weekly})
	if err != nil || !created {
		t.Fatalf("SignUp = %v, %v; want created", created, err)
	}
	if sub.Status != syndicate.SubscriberPending || sub.Name != "Pat" || sub.Frequency != syndicate.Weekly || len(sub.Handle) != 32 || sub.TokenVersion != 1 {
		t.Errorf("new sign-up = %+v", sub)
	}
	other, _, err := s.SignUp(ctx, syndicate.Subscriber{Email: "kim@example.com"})
	if err != nil || other.Handle == sub.Handle {
		t.Fatalf("second handle %q, %v; want a different one from %q", other.Handle, err, sub.Handle)
	}

	// A later form for the pending row changes nothing.
	again, created, err := s.SignUp(ctx, syndicate.Subscriber{Email: "pat@example.com", Name: "Mallory", Frequency: syndicate.Instant})
	if err != nil || created || again != sub {
		t.Errorf("second sign-up = %+v, %v, %v; want %+v unchanged", again, created, err, sub)
	}

	// Confirm, then the form for the active row changes nothing either.
	active, err := s.ConfirmSubscriber(ctx, sub.Handle, sub.TokenVersion)
	if err != nil || active.Status != syndicate.SubscriberActive || active.TokenVersion != 2 {
		t.Fatalf("ConfirmSubscriber = %+v, %v; want active at version 2", active, err)
	}
	if got, _, err := s.SignUp(ctx, syndicate.Subscriber{Email: "pat@example.com", Name: "Mallory", Frequency: syndicate.Instant}); err != nil || got != active {
		t.Errorf("sign-up of an active row = %+v, %v; want %+v", got, err, active)
	}

	// Unsubscribed comes back pending, with its own name and frequency and
	// a new version.
	if err := s.SetSubscriberStatus(ctx, "pat@example.com", syndicate.SubscriberUnsubscribed); err != nil {
		t.Fatal(err)
	}
	left, err := s.Subscriber(ctx, "pat@example.com")
	if err != nil || left.TokenVersion != 3 {
		t.Fatalf("after unsubscribe: %+v, %v; want version 3", left, err)
	}
	back, _, err := s.SignUp(ctx, syndicate.Subscriber{Email: "pat@example.com", Name: "Mallory", Frequency: syndicate.Instant})
	if err != nil || back.Status != syndicate.SubscriberPending || back.Name != "Pat" || back.Frequency != syndicate.Weekly || back.TokenVersion != 4 || back.Handle != sub.Handle {
		t.Errorf("re-subscribe = %+v, %v; want pending Pat weekly at version 4, same handle", back, err)
	}

	// Bounced stays bounced.
	if err := s.SetSubscriberStatus(ctx, "kim@example.com", syndicate.SubscriberBounced); err != nil {
		t.Fatal(err)
	}
	if got, _, err := s.SignUp(ctx, syndicate.Subscriber{Email: "kim@example.com"}); err != nil || got.Status != syndicate.SubscriberBounced {
		t.Errorf("sign-up of a bounced row = %+v, %v; want bounced", got, err)
	}
	_, _, err = s.SignUp(ctx, syndicate.Subscriber{Email: "not an address"})
	wantCode(t, err, syndicate.EINVALID)
}

// TestConfirmSubscriberOnce: a confirm link's version works once; an old
// version, a left subscriber or an unknown handle is refused.
func TestConfirmSubscriberOnce(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	sub, _, err := s.SignUp(ctx, syndicate.Subscriber{Email: "pat@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConfirmSubscriber(ctx, sub.Handle, sub.TokenVersion+1); syndicate.ErrorCode(err) != syndicate.ECONFLICT {
		t.Errorf("confirm at a later version: %v, want conflict", err)
	}
	if _, err := s.ConfirmSubscriber(ctx, sub.Handle, sub.TokenVersion); err != nil {
		t.Fatal(err)
	}
	_, err = s.ConfirmSubscriber(ctx, sub.Handle, sub.TokenVersion)
	wantCode(t, err, syndicate.ECONFLICT)
	_, err = s.ConfirmSubscriber(ctx, "00000000000000000000000000000000", 1)
	wantCode(t, err, syndicate.ENOTFOUND)
	got, err := s.SubscriberByHandle(ctx, sub.Handle)
	if err != nil || got.Email != "pat@example.com" || got.Status != syndicate.SubscriberActive {
		t.Errorf("SubscriberByHandle = %+v, %v", got, err)
	}
	_, err = s.SubscriberByHandle(ctx, "")
	wantCode(t, err, syndicate.ENOTFOUND)
}

// TestTokenVersionChanges: the version moves with the status and the
// address, and only then.
func TestTokenVersionChanges(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	sub, _, err := s.UpsertSubscriber(ctx, syndicate.Subscriber{Email: "ann@example.com", Name: "Ann"})
	if err != nil {
		t.Fatal(err)
	}
	v := sub.TokenVersion
	step := func(what string, change func() error, bump bool) {
		t.Helper()
		if err := change(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got, err := s.Subscriber(ctx, "ann@example.com")
		if err != nil {
			t.Fatal(err)
		}
		want := v
		if bump {
			want++
		}
		if got.TokenVersion != want || got.Handle != sub.Handle {
			t.Errorf("%s: version %d handle %q, want %d and %q", what, got.TokenVersion, got.Handle, want, sub.Handle)
		}
		v = got.TokenVersion
	}
	upsert := func(s2 syndicate.Subscriber) func() error {
		return func() error { _, _, err := s.UpsertSubscriber(ctx, s2); return err }
	}
	step("same again", upsert(syndicate.Subscriber{Email: "ann@example.com", Name: "Ann B."}), false)
	step("frequency", func() error { return s.SetSubscriberFrequency(ctx, "ann@example.com", syndicate.Daily) }, false)
	step("address spelling", upsert(syndicate.Subscriber{Email: "Ann@example.com", Frequency: syndicate.Daily}), true)
	step("still active", func() error { return s.SetSubscriberStatus(ctx, "ann@example.com", syndicate.SubscriberActive) }, false)
	step("unsubscribe", func() error { return s.SetSubscriberStatus(ctx, "ann@example.com", syndicate.SubscriberUnsubscribed) }, true)
	step("re-add", upsert(syndicate.Subscriber{Email: "Ann@example.com", Status: syndicate.SubscriberActive}), true)
	step("bounce", func() error { return s.SetSubscriberStatus(ctx, "ann@example.com", syndicate.SubscriberBounced) }, true)
}
