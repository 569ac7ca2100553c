package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"syndicate"
)

// TestBatchSplitIsFixed: the first fan-out of an item records its batch
// size, and a later one (batch_size changed, the fan-out run again) gets
// the recorded size back; an item never fanned out has none.
func TestBatchSplitIsFixed(t *testing.T) {
	s, _, _ := openTest(t)
	ctx := context.Background()
	if _, ok, err := s.BatchSize(ctx, "a_1"); err != nil || ok {
		t.Fatalf("BatchSize of an item never fanned out = %v, %v; want none", ok, err)
	}
	if n, err := s.FixBatchSize(ctx, "a_1", 200); err != nil || n != 200 {
		t.Fatalf("first FixBatchSize = %d, %v; want 200", n, err)
	}
	if n, err := s.FixBatchSize(ctx, "a_1", 50); err != nil || n != 200 {
		t.Errorf("FixBatchSize after batch_size changed = %d, %v; want the recorded 200", n, err)
	}
	if n, ok, err := s.BatchSize(ctx, "a_1"); err != nil || !ok || n != 200 {
		t.Errorf("BatchSize = %d, %v, %v; want 200", n, ok, err)
	}
	if n, err := s.FixBatchSize(ctx, "dg_daily_20260101T080000", 50); err != nil || n != 50 {
		t.Errorf("another item's FixBatchSize = %d, %v; want its own 50", n, err)
	}
	if _, err := s.FixBatchSize(ctx, "a_2", 0); err == nil {
		t.Error("a batch size of 0 was recorded")
	}
}

// TestRetryRounds: rounds are kept per item and channel, newest first,
// and recording one twice keeps one.
func TestRetryRounds(t *testing.T) {
	s, clk, _ := openTest(t)
	ctx := context.Background()
	for i, r := range []string{"retryA", "retryB", "retryB"} {
		clk.Set(t0.Add(time.Duration(i) * time.Minute))
		if err := s.AddRetryRound(ctx, "a_1", syndicate.ChannelEmail, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddRetryRound(ctx, "a_1", syndicate.ChannelX, "retryC"); err != nil {
		t.Fatal(err)
	}
	got, err := s.RetryRounds(ctx, "a_1", syndicate.ChannelEmail)
	if err != nil || !slices.Equal(got, []string{"retryB", "retryA"}) {
		t.Errorf("email rounds = %v, %v; want [retryB retryA]", got, err)
	}
	if got, err := s.RetryRounds(ctx, "a_1", syndicate.ChannelX); err != nil || !slices.Equal(got, []string{"retryC"}) {
		t.Errorf("x rounds = %v, %v", got, err)
	}
	if got, err := s.RetryRounds(ctx, "a_2", syndicate.ChannelEmail); err != nil || len(got) != 0 {
		t.Errorf("rounds of an item never retried = %v, %v", got, err)
	}
}
