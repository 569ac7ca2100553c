package store_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"syndicate"
)

func TestChannelStates(t *testing.T) {
	s, _, _ := openTest(t)
	ctx := context.Background()
	if err := s.SetChannelState(ctx, syndicate.ChannelX, syndicate.ChannelNeedsCredentials, "401 Unauthorized"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetChannelState(ctx, syndicate.ChannelX, syndicate.ChannelOK, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.SetChannelState(ctx, syndicate.ChannelMastodon, syndicate.ChannelNeedsCredentials, "token revoked"); err != nil {
		t.Fatal(err)
	}
	got, err := s.ChannelStates(ctx)
	if err != nil || len(got) != 2 || got[0].Channel != syndicate.ChannelMastodon || got[0].Reason != "token revoked" || got[1].State != syndicate.ChannelOK {
		t.Errorf("ChannelStates = %+v, %v", got, err)
	}
}

// TestClaimDailyPost: concurrent claims from two handles never exceed the cap.
func TestClaimDailyPost(t *testing.T) {
	s, _, url := openTest(t)
	other := openURL(t, url)
	ctx := context.Background()
	var granted atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st := s
			if i%2 == 1 {
				st = other
			}
			ok, err := st.ClaimDailyPost(ctx, syndicate.ChannelX, "2026-11-26", 3)
			if err != nil {
				t.Error(err)
			}
			if ok {
				granted.Add(1)
			}
		}(i)
	}
	wg.Wait()
	if granted.Load() != 3 {
		t.Errorf("%d claims granted, want the cap of 3", granted.Load())
	}
	if ok, err := s.ClaimDailyPost(ctx, syndicate.ChannelX, "2026-11-27", 3); !ok || err != nil {
		t.Errorf("a new day: %v, %v; want a fresh allowance", ok, err)
	}
}

func TestWebhookReceipts(t *testing.T) {
	s, _, _ := openTest(t)
	ctx := context.Background()
	if _, ok, err := s.Delivered(ctx, "whd_1"); ok || err != nil {
		t.Fatalf("Delivered before Record = %v, %v", ok, err)
	}
	if err := s.Record(ctx, "whd_1", "msg-9"); err != nil {
		t.Fatal(err)
	}
	if id, ok, err := s.Delivered(ctx, "whd_1"); !ok || id != "msg-9" || err != nil {
		t.Errorf("Delivered = %q, %v, %v", id, ok, err)
	}
}
