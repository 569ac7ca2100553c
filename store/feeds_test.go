package store_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"syndicate/feeds"
	"syndicate/store"
)

// The poller's Store is satisfied by the real one; the check lives in a
// test so that the store's own code does not import the poller.
var _ feeds.Store = (*store.Store)(nil)

func TestFeedStateRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	const u = "https://example.com/feed.xml"

	got, err := s.FeedState(ctx, u)
	if err != nil {
		t.Fatalf("FeedState of a new feed: %v", err)
	}
	if want := (feeds.State{URL: u}); !reflect.DeepEqual(got, want) {
		t.Errorf("FeedState of a new feed = %+v; want %+v", got, want)
	}

	st := feeds.State{
		URL: u, ETag: `"v1"`, LastModified: "Sat, 01 Mar 2025 12:00:00 GMT",
		Initialized: true, Failures: 2, NextTry: t0.Add(2 * time.Minute),
		LastError: "fetch: server answered 500", LastPolled: t0,
	}
	if err := s.SaveFeedState(ctx, st); err != nil {
		t.Fatalf("SaveFeedState: %v", err)
	}
	if got, err = s.FeedState(ctx, u); err != nil || !reflect.DeepEqual(got, st) {
		t.Errorf("FeedState = %+v, %v; want %+v", got, err, st)
	}

	// Saving again replaces every field, including back to zero values.
	st2 := feeds.State{URL: u, Initialized: true, LastPolled: t0.Add(time.Hour)}
	if err := s.SaveFeedState(ctx, st2); err != nil {
		t.Fatalf("SaveFeedState again: %v", err)
	}
	if got, err = s.FeedState(ctx, u); err != nil || !reflect.DeepEqual(got, st2) {
		t.Errorf("FeedState after update = %+v, %v; want %+v", got, err, st2)
	}

	other := feeds.State{URL: "https://a.example/atom"}
	if err := s.SaveFeedState(ctx, other); err != nil {
		t.Fatalf("SaveFeedState other: %v", err)
	}
	all, err := s.FeedStates(ctx)
	if err != nil || !reflect.DeepEqual(all, []feeds.State{other, st2}) {
		t.Errorf("FeedStates = %+v, %v; want %+v", all, err, []feeds.State{other, st2})
	}

	if err := s.SaveFeedState(ctx, feeds.State{}); err == nil {
		t.Error("SaveFeedState without a URL succeeded")
	}
}

func TestMarkSeen(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	const f1, f2 = "https://example.com/feed", "https://other.example/feed"

	got, err := s.MarkSeen(ctx, f1, []string{"c", "a", "b", "a"})
	if err != nil || !reflect.DeepEqual(got, []string{"c", "a", "b"}) {
		t.Errorf("MarkSeen = %q, %v; want [c a b]", got, err)
	}
	got, err = s.MarkSeen(ctx, f1, []string{"b", "d", "a"})
	if err != nil || !reflect.DeepEqual(got, []string{"d"}) {
		t.Errorf("MarkSeen again = %q, %v; want [d]", got, err)
	}
	// Keys are per feed.
	got, err = s.MarkSeen(ctx, f2, []string{"a"})
	if err != nil || !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("MarkSeen other feed = %q, %v; want [a]", got, err)
	}
	if got, err = s.MarkSeen(ctx, f1, nil); err != nil || len(got) != 0 {
		t.Errorf("MarkSeen(nil) = %q, %v", got, err)
	}

	got, err = s.Unseen(ctx, f1, []string{"e", "a", "z", "d"})
	if err != nil || !reflect.DeepEqual(got, []string{"e", "z"}) {
		t.Errorf("Unseen = %q, %v; want [e z]", got, err)
	}
	// Unseen records nothing.
	if got, err = s.Unseen(ctx, f1, []string{"e"}); err != nil || !reflect.DeepEqual(got, []string{"e"}) {
		t.Errorf("Unseen twice = %q, %v; want [e]", got, err)
	}
	for feed, want := range map[string]bool{f1: true, f2: true, "https://never.example/feed": false} {
		if had, err := s.HasSeen(ctx, feed); err != nil || had != want {
			t.Errorf("HasSeen(%s) = %v, %v; want %v", feed, had, err, want)
		}
	}
}

// TestUnseenManyKeys crosses the chunk size of the IN list.
func TestUnseenManyKeys(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	const f = "https://example.com/feed"
	var keys, odd []string
	for i := range 1203 {
		k := fmt.Sprintf("k%04d", i)
		keys = append(keys, k)
		if i%2 == 1 {
			odd = append(odd, k)
		}
	}
	if _, err := s.MarkSeen(ctx, f, odd); err != nil {
		t.Fatal(err)
	}
	got, err := s.Unseen(ctx, f, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 602 || got[0] != "k0000" || got[601] != "k1202" {
		t.Errorf("Unseen returned %d keys (%q … %q); want 602, k0000 … k1202", len(got), got[0], got[len(got)-1])
	}
}

// TestMarkSeenConcurrent has two handles on one file (two processes) mark
// the same keys at once: each key is returned to exactly one of them.
func TestMarkSeenConcurrent(t *testing.T) {
	ctx := context.Background()
	s1, _, url := openTest(t)
	s2 := openURL(t, url)
	const f = "https://example.com/feed"
	var keys []string
	for i := range 50 {
		keys = append(keys, fmt.Sprintf("item-%d", i))
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins = make(map[string]int)
	)
	for _, s := range []*store.Store{s1, s2, s1, s2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, k := range keys {
				got, err := s.MarkSeen(ctx, f, []string{k})
				if err != nil {
					t.Errorf("MarkSeen: %v", err)
					return
				}
				mu.Lock()
				for _, g := range got {
					wins[g]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, k := range keys {
		if wins[k] != 1 {
			t.Errorf("key %s returned as new %d times; want 1", k, wins[k])
		}
	}
}
