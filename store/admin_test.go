package store_test

import (
	"context"
	"testing"
	"time"

	"syndicate"
)

// TestDashboardReads covers what the editor's dashboard reads: recent
// articles newest first, counts of many items at once, failures across
// items latest first, and subscribers by frequency and status.
func TestDashboardReads(t *testing.T) {
	ctx := context.Background()
	s, clk, _ := openTest(t)
	var ids []string
	for i, u := range []string{"https://example.com/a", "https://example.com/b", "https://example.com/c"} {
		clk.Set(t0.Add(time.Duration(i) * time.Minute))
		a := article(u)
		if _, err := s.SaveArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		canon, err := syndicate.CanonicalURL(u)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, syndicate.ArticleID(canon))
	}
	recent, err := s.RecentArticles(ctx, 2)
	if err != nil || len(recent) != 2 || recent[0].ID != ids[2] || recent[1].ID != ids[1] {
		t.Fatalf("RecentArticles(2) = %v, %v; want c, b", recent, err)
	}

	keys := []syndicate.DeliveryKey{
		{Item: ids[0], Channel: syndicate.ChannelX},
		{Item: ids[0], Channel: syndicate.ChannelEmail, Subscriber: "a@example.com"},
		{Item: ids[0], Channel: syndicate.ChannelEmail, Subscriber: "b@example.com"},
		{Item: ids[1], Channel: syndicate.ChannelMastodon},
	}
	if err := s.EnsureDeliveries(ctx, keys); err != nil {
		t.Fatal(err)
	}
	for i, st := range []syndicate.DeliveryStatus{syndicate.StatusFailed, syndicate.StatusSent, syndicate.StatusBounced, syndicate.StatusUnknown} {
		clk.Set(t0.Add(time.Hour + time.Duration(i)*time.Minute))
		if err := s.FinishDelivery(ctx, keys[i], st, "", "reply "+string(st)); err != nil {
			t.Fatal(err)
		}
	}
	counts, err := s.ItemCounts(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 2 || counts[ids[0]][syndicate.ChannelEmail][syndicate.StatusSent] != 1 ||
		counts[ids[0]][syndicate.ChannelEmail][syndicate.StatusBounced] != 1 || counts[ids[0]][syndicate.ChannelX][syndicate.StatusFailed] != 1 ||
		counts[ids[1]][syndicate.ChannelMastodon][syndicate.StatusUnknown] != 1 {
		t.Errorf("ItemCounts = %v", counts)
	}

	review, err := s.DeliveriesToReview(ctx, ids[0], 2)
	if err != nil || len(review) != 2 || review[0].Subscriber != "b@example.com" || review[1].Channel != syndicate.ChannelX {
		t.Errorf("DeliveriesToReview(2) = %v, %v; want the bounced email, then the failed X post", review, err)
	}
	if all, err := s.DeliveriesToReview(ctx, ids[0], 10); err != nil || len(all) != 3 || all[2].Status != syndicate.StatusSent {
		t.Errorf("DeliveriesToReview(10) = %v, %v; want the sent one last", all, err)
	}

	fails, err := s.Failures(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []syndicate.DeliveryStatus
	for _, d := range fails {
		got = append(got, d.Status)
	}
	if len(fails) != 3 || fails[0].Channel != syndicate.ChannelMastodon || fails[1].Subscriber != "b@example.com" || fails[2].Channel != syndicate.ChannelX || fails[2].Error != "reply failed" {
		t.Errorf("Failures = %v (%v), want mastodon unknown, bounced b@, x failed", fails, got)
	}
	if one, err := s.Failures(ctx, 1); err != nil || len(one) != 1 {
		t.Errorf("Failures(1) = %v, %v", one, err)
	}

	for _, sub := range []syndicate.Subscriber{
		{Email: "a@example.com", Frequency: syndicate.Daily, Status: syndicate.SubscriberActive},
		{Email: "b@example.com", Frequency: syndicate.Daily, Status: syndicate.SubscriberActive},
		{Email: "c@example.com", Frequency: syndicate.Weekly, Status: syndicate.SubscriberBounced},
	} {
		if _, err := s.AddSubscriber(ctx, sub, false); err != nil {
			t.Fatal(err)
		}
	}
	subs, err := s.SubscriberCounts(ctx)
	if err != nil || subs[syndicate.Daily][syndicate.SubscriberActive] != 2 || subs[syndicate.Weekly][syndicate.SubscriberBounced] != 1 || len(subs) != 2 {
		t.Errorf("SubscriberCounts = %v, %v", subs, err)
	}
}
