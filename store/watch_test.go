package store_test

import (
	"context"
	"testing"
	"time"

	"syndicate"
	"syndicate/store"
)

// The metrics' and alerts' view of the ledger: rows not final and the
// oldest, sends not moving, and the day's email outcomes.
func TestWatchQueries(t *testing.T) {
	ctx := context.Background()
	s, clk, _ := openTest(t)

	counts, oldest, err := s.UnfinishedDeliveries(ctx)
	if err != nil || len(counts) != 0 || !oldest.IsZero() {
		t.Fatalf("empty ledger: %v, %v, %v; want nothing", counts, oldest, err)
	}

	mail := func(item, to string) syndicate.DeliveryKey {
		return syndicate.DeliveryKey{Item: item, Channel: syndicate.ChannelEmail, Subscriber: to}
	}
	// Digest d1 planned at t0: three emails. An X post of a1 a minute later.
	if err := s.EnsureDeliveries(ctx, []syndicate.DeliveryKey{mail("d1", "a@example.com"), mail("d1", "b@example.com"), mail("d1", "c@example.com")}); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.Add(time.Minute))
	post := syndicate.DeliveryKey{Item: "a1", Channel: syndicate.ChannelX}
	if err := s.EnsureDeliveries(ctx, []syndicate.DeliveryKey{post}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BeginDelivery(ctx, post); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSubscriber(ctx, syndicate.Subscriber{Email: "b@example.com", Frequency: syndicate.Daily}, false); err != nil {
		t.Fatal(err)
	}
	// Two minutes in, a@ is sent and b@ bounces; c@ is still queued.
	clk.Set(t0.Add(2 * time.Minute))
	if err := s.FinishDeliveries(ctx, []syndicate.DeliveryResult{
		{Key: mail("d1", "a@example.com"), Status: syndicate.StatusSent},
		{Key: mail("d1", "b@example.com"), Status: syndicate.StatusBounced, Error: "550 5.1.1"},
	}); err != nil {
		t.Fatal(err)
	}

	counts, oldest, err = s.UnfinishedDeliveries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts[syndicate.ChannelEmail][syndicate.StatusQueued] != 1 || counts[syndicate.ChannelX][syndicate.StatusSending] != 1 || len(counts) != 2 {
		t.Errorf("unfinished = %v, want 1 queued email and 1 sending x post", counts)
	}
	if !oldest.Equal(t0) {
		t.Errorf("oldest unfinished planned at %v, want %v", oldest, t0)
	}

	items, err := s.UnfinishedItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Item != "a1" || items[1].Item != "d1" {
		t.Fatalf("unfinished items = %+v, want a1 and d1", items)
	}
	if items[0].Unfinished != 1 || !items[0].LastChange.Equal(t0.Add(time.Minute)) {
		t.Errorf("a1 = %+v, want 1 unfinished, last change at t0+1m", items[0])
	}
	if items[1].Unfinished != 1 || !items[1].LastChange.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("d1 = %+v, want 1 unfinished, last change at t0+2m (its last result)", items[1])
	}

	total, bounced, complained, err := s.EmailRates(ctx, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || bounced != 1 || complained != 0 {
		t.Errorf("email outcomes since t0+1m = %d total, %d bounced, %d complained; want 2, 1, 0", total, bounced, complained)
	}
	// A complaint about a@'s email moves its row from sent to complained.
	if err := s.FinishDeliveries(ctx, []syndicate.DeliveryResult{{Key: mail("d1", "a@example.com"), Status: syndicate.StatusComplained}}); err != nil {
		t.Fatal(err)
	}
	if total, bounced, complained, err = s.EmailRates(ctx, t0.Add(time.Minute)); err != nil || total != 2 || bounced != 1 || complained != 1 {
		t.Errorf("after a complaint: %d total, %d bounced, %d complained (%v); want 2, 1, 1", total, bounced, complained, err)
	}
	if total, _, _, err := s.EmailRates(ctx, t0.Add(3*time.Minute)); err != nil || total != 0 {
		t.Errorf("email outcomes since t0+3m = %d (%v), want 0", total, err)
	}
}

// The alerts' lease goes to one holder at a time until it expires or is
// released; incidents are kept, replaced and forgotten by key; failures
// are counted per channel with the latest one.
func TestAlertState(t *testing.T) {
	ctx := context.Background()
	s, clk, url := openTest(t)
	other := openURL(t, url) // a second process
	other.Now = clk.Now

	if ok, err := s.ClaimAlertLease(ctx, "a", t0.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("first claim = %v, %v; want it taken", ok, err)
	}
	if ok, err := other.ClaimAlertLease(ctx, "b", t0.Add(time.Minute)); err != nil || ok {
		t.Fatalf("claim while a holds it = %v, %v; want refused", ok, err)
	}
	if ok, err := s.ClaimAlertLease(ctx, "a", t0.Add(2*time.Minute)); err != nil || !ok {
		t.Fatalf("renewal by its holder = %v, %v; want taken", ok, err)
	}
	clk.Set(t0.Add(3 * time.Minute)) // a's lease has run out: a died
	if ok, err := other.ClaimAlertLease(ctx, "b", t0.Add(4*time.Minute)); err != nil || !ok {
		t.Fatalf("claim after expiry = %v, %v; want taken", ok, err)
	}
	if ok, err := other.ClaimAlertLease(ctx, "b", time.Unix(0, 0)); err != nil || !ok {
		t.Fatalf("release = %v, %v", ok, err)
	}
	if ok, err := s.ClaimAlertLease(ctx, "a", t0.Add(5*time.Minute)); err != nil || !ok {
		t.Fatalf("claim after release = %v, %v; want taken", ok, err)
	}

	inc := store.AlertIncident{Key: "credentials_refused:x", Kind: "credentials_refused", Message: "x refused", State: "firing", Opened: t0}
	if err := s.SaveAlertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	inc.State, inc.Cleared, inc.Notified = "cleared", t0.Add(time.Hour), 2
	if err := other.SaveAlertIncident(ctx, inc); err != nil {
		t.Fatal(err)
	}
	got, err := s.AlertIncidents(ctx)
	if err != nil || len(got) != 1 || got[0] != inc {
		t.Fatalf("incidents = %+v, %v; want just %+v", got, err, inc)
	}
	if err := s.DeleteAlertIncident(ctx, inc.Key); err != nil {
		t.Fatal(err)
	}
	if got, err := s.AlertIncidents(ctx); err != nil || len(got) != 0 {
		t.Fatalf("after delete: %+v, %v", got, err)
	}

	for i, to := range []string{"a@example.com", "b@example.com"} {
		k := syndicate.DeliveryKey{Item: "d1", Channel: syndicate.ChannelEmail, Subscriber: to}
		clk.Set(t0.Add(time.Duration(10+i) * time.Minute))
		if err := s.EnsureDeliveries(ctx, []syndicate.DeliveryKey{k}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishDelivery(ctx, k, syndicate.StatusFailed, "", "554 refused "+to); err != nil {
			t.Fatal(err)
		}
	}
	fs, err := s.FailedSince(ctx, t0.Add(10*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Count != 2 || fs[0].LastError != "554 refused b@example.com" || fs[0].LastItem != "d1" {
		t.Errorf("failures = %+v, want 2 email failures, the latest to b@", fs)
	}
	if fs, err := s.FailedSince(ctx, t0.Add(12*time.Minute)); err != nil || len(fs) != 0 {
		t.Errorf("failures after the window = %+v, %v; want none", fs, err)
	}
}
