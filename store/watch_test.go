package store_test

import (
	"context"
	"testing"
	"time"

	"syndicate"
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
	if total, _, _, err := s.EmailRates(ctx, t0.Add(3*time.Minute)); err != nil || total != 0 {
		t.Errorf("email outcomes since t0+3m = %d (%v), want 0", total, err)
	}
}
