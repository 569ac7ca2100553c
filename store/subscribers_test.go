package store_test

import (
	"context"
	"sync"
	"testing"

	"syndicate"
	"syndicate/store"
)

func TestAddSubscriberKeepsSuppression(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	add := func(email, name string, freq syndicate.Frequency, resubscribe bool) store.Saved {
		t.Helper()
		saved, err := s.AddSubscriber(ctx, syndicate.Subscriber{Email: email, Name: name, Frequency: freq}, resubscribe)
		if err != nil {
			t.Fatalf("AddSubscriber(%s): %v", email, err)
		}
		return saved
	}

	first := add("ann@example.com", "Ann", syndicate.Daily, false)
	if first.Outcome != store.SubscriberAdded || first.Was != "" || first.Subscriber.Status != syndicate.SubscriberActive {
		t.Fatalf("first add = %+v", first)
	}
	if again := add("ANN@example.com", "Ann B", syndicate.Weekly, false); again.Outcome != store.SubscriberUpdated || again.Was != syndicate.SubscriberActive || again.Subscriber.ID != first.Subscriber.ID {
		t.Errorf("re-add = %+v, want an update of row %d", again, first.Subscriber.ID)
	}
	add("bea@example.com", "Bea", syndicate.Instant, false)
	if err := s.RemoveSubscriber(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSubscriberStatus(ctx, "bea@example.com", syndicate.SubscriberBounced); err != nil {
		t.Fatal(err)
	}

	for email, st := range map[string]syndicate.SubscriberStatus{"ann@example.com": syndicate.SubscriberUnsubscribed, "Bea@Example.com": syndicate.SubscriberBounced} {
		before, err := s.Subscriber(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		got := add(email, "Someone Else", syndicate.Instant, false)
		if got.Outcome != store.SubscriberSuppressed || got.Subscriber != before || got.Subscriber.Status != st {
			t.Errorf("add of %s address %s = %+v, want %+v left alone", st, email, got, before)
		}
		if after, err := s.Subscriber(ctx, email); err != nil || after != before {
			t.Errorf("stored row after a suppressed add = %+v, %v; want %+v", after, err, before)
		}
	}
	if page, err := s.SubscriberAddresses(ctx, syndicate.Instant, 0, 10); err != nil || len(page) != 0 {
		t.Errorf("active instant subscribers = %v, %v; want none", page, err)
	}

	// Only an explicit re-subscribe revives an address, and says so.
	got := add("bea@example.com", "Bea", syndicate.Weekly, true)
	if got.Outcome != store.SubscriberResubscribed || got.Was != syndicate.SubscriberBounced || got.Subscriber.Status != syndicate.SubscriberActive || got.Subscriber.Frequency != syndicate.Weekly {
		t.Errorf("resubscribe = %+v", got)
	}
	// Re-subscribing an address that never left is an ordinary update.
	if got := add("bea@example.com", "Bea", syndicate.Weekly, true); got.Outcome != store.SubscriberUpdated {
		t.Errorf("resubscribe of an active address = %+v, want updated", got)
	}
}

// Adds racing an unsubscribe never leave the address active once the
// unsubscribe has happened: the check and the write are one step.
func TestAddSubscriberRacingUnsubscribe(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	if _, err := s.AddSubscriber(ctx, syndicate.Subscriber{Email: "ann@example.com"}, false); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.AddSubscriber(ctx, syndicate.Subscriber{Email: "ann@example.com", Name: "Ann"}, false); err != nil {
				t.Error(err)
			}
		}()
	}
	if err := s.RemoveSubscriber(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if got, err := s.Subscriber(ctx, "ann@example.com"); err != nil || got.Status != syndicate.SubscriberUnsubscribed {
		t.Errorf("after racing adds = %+v, %v; want unsubscribed", got, err)
	}
}

// A look-alike of an address on the list is refused, never merged into its
// row: the row keeps its address, so mail for it goes nowhere else.
func TestSubscriberLookalikeRefused(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	if _, _, err := s.UpsertSubscriber(ctx, syndicate.Subscriber{Email: "kate@example.com", Name: "Kate", Status: syndicate.SubscriberPending}); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.UpsertSubscriber(ctx, syndicate.Subscriber{Email: "\u212Aate@example.com", Name: "Mallory", Status: syndicate.SubscriberPending})
	wantCode(t, err, syndicate.EINVALID)
	_, err = s.AddSubscriber(ctx, syndicate.Subscriber{Email: "\u212Aate@example.com", Name: "Mallory"}, true)
	wantCode(t, err, syndicate.EINVALID)
	if got, err := s.Subscriber(ctx, "kate@example.com"); err != nil || got.Email != "kate@example.com" || got.Name != "Kate" {
		t.Errorf("kate's row = %+v, %v; want it unchanged", got, err)
	}
	_, err = s.Subscriber(ctx, "\u212Aate@example.com")
	wantCode(t, err, syndicate.ENOTFOUND)
	// The same address written with a fullwidth domain is the same person.
	if got, err := s.Subscriber(ctx, "KATE@ｅｘａｍｐｌｅ.com"); err != nil || got.Name != "Kate" {
		t.Errorf("Subscriber(fullwidth domain) = %+v, %v; want kate's row", got, err)
	}
}
