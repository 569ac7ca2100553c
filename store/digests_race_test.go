package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"syndicate"
)

// TestDigestsMissNoArticle races article inserts against digest builds, on
// two handles (two processes) and the real clock: every article lands in
// exactly one digest of each frequency, however an insert's commit
// interleaves with a build.
func TestDigestsMissNoArticle(t *testing.T) {
	_, _, url := openTest(t)
	a, b := openURL(t, url), openURL(t, url)
	// The real clock, read a moment before it is used: an insert takes its
	// time and then waits a little (for a connection, the write lock),
	// which is the window in which a build can pass it by.
	slow := func() time.Time {
		now := time.Now()
		time.Sleep(time.Millisecond)
		return now
	}
	a.Now, b.Now = slow, slow
	ctx := context.Background()
	const inserters, each = 6, 25
	var (
		ids      sync.Map // article ID → true
		inserted atomic.Int32
		wg       sync.WaitGroup
	)
	for g := 0; g < inserters; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			st := a
			if g%2 == 1 {
				st = b
			}
			for i := 0; i < each; i++ {
				art := article(fmt.Sprintf("https://example.com/race/%d/%d", g, i))
				art.PublishedAt = time.Now()
				if _, err := st.SaveArticle(ctx, art); err != nil {
					t.Error(err)
					return
				}
				got, err := st.FindArticle(ctx, art.URL)
				if err != nil {
					t.Error(err)
					return
				}
				ids.Store(got.ID, true)
				inserted.Add(1)
			}
		}(g)
	}
	type built struct {
		freq syndicate.Frequency
		id   string
	}
	var (
		mu     sync.Mutex
		digest []built
		n      atomic.Int64
	)
	build := func(st interface {
		BuildDigest(context.Context, string, syndicate.Frequency, time.Time, time.Duration) (syndicate.Digest, error)
	}, freq syndicate.Frequency) error {
		// IDs are made unique by a counter: the real clock's seconds repeat.
		id := fmt.Sprintf("dg_%s_race%04d", freq, n.Add(1))
		d, err := st.BuildDigest(ctx, id, freq, time.Now(), 24*time.Hour)
		if err != nil {
			return err
		}
		if d.ID != "" {
			mu.Lock()
			digest = append(digest, built{freq, d.ID})
			mu.Unlock()
		}
		return nil
	}
	done := make(chan struct{})
	var bg sync.WaitGroup
	for i, freq := range []syndicate.Frequency{syndicate.Daily, syndicate.Weekly, syndicate.Daily, syndicate.Weekly} {
		bg.Add(1)
		go func() {
			defer bg.Done()
			st := a
			if i%2 == 1 {
				st = b
			}
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := build(st, freq); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	bg.Wait()
	// What the racing builds left is in the last digest of each frequency.
	for _, freq := range []syndicate.Frequency{syndicate.Daily, syndicate.Weekly} {
		if err := build(a, freq); err != nil {
			t.Fatal(err)
		}
	}
	if t.Failed() {
		return
	}
	for _, freq := range []syndicate.Frequency{syndicate.Daily, syndicate.Weekly} {
		seen := map[string]int{}
		digests := 0
		for _, d := range digest {
			if d.freq != freq {
				continue
			}
			digests++
			got, err := a.Digest(ctx, d.id)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range got.ArticleIDs {
				seen[id]++
			}
		}
		missing, twice := 0, 0
		ids.Range(func(k, _ any) bool {
			switch seen[k.(string)] {
			case 0:
				missing++
			case 1:
			default:
				twice++
			}
			return true
		})
		if missing > 0 || twice > 0 || len(seen) != int(inserted.Load()) {
			t.Errorf("%s: of %d articles, %d in no digest and %d in several (%d digests, %d distinct articles in them)",
				freq, inserted.Load(), missing, twice, digests, len(seen))
		}
		t.Logf("%s: %d articles in %d digests", freq, len(seen), digests)
	}
}
