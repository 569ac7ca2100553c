package store_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"syndicate"
)

func TestBuildDigest(t *testing.T) {
	s, clk, _ := openTest(t)
	ctx := context.Background()
	save := func(url string, at time.Time, published time.Time) string {
		clk.Set(at)
		a := article(url)
		a.PublishedAt = published
		if _, err := s.SaveArticle(ctx, a); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindArticle(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		return got.ID
	}
	old := save("https://example.com/old", t0.Add(-48*time.Hour), t0.Add(-48*time.Hour))
	a1 := save("https://example.com/1", t0.Add(time.Hour), t0.Add(time.Hour))
	a2 := save("https://example.com/2", t0.Add(2*time.Hour), t0.Add(3*time.Hour)) // published later than a3
	a3 := save("https://example.com/3", t0.Add(3*time.Hour), t0.Add(2*time.Hour))

	now := t0.Add(4 * time.Hour)
	id := syndicate.DigestID(syndicate.Daily, now)
	d, err := s.BuildDigest(ctx, id, syndicate.Daily, now, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{a2, a3, a1}; !slices.Equal(d.ArticleIDs, want) {
		t.Errorf("digest articles = %v, want newest first %v (not %s, older than a day)", d.ArticleIDs, want, old)
	}
	// The same ID again: the same digest, so a retried job resumes.
	again, err := s.BuildDigest(ctx, id, syndicate.Daily, now.Add(time.Minute), 24*time.Hour)
	if err != nil || again.ID != id || !slices.Equal(again.ArticleIDs, d.ArticleIDs) {
		t.Errorf("rebuild = %+v, %v; want the same digest", again, err)
	}
	// A second trigger with nothing new: no digest.
	none, err := s.BuildDigest(ctx, syndicate.DigestID(syndicate.Daily, now.Add(time.Hour)), syndicate.Daily, now.Add(time.Hour), 24*time.Hour)
	if err != nil || none.ID != "" {
		t.Errorf("digest with nothing new = %+v, %v; want none", none, err)
	}
	// The weekly digest has its own history.
	w, err := s.BuildDigest(ctx, syndicate.DigestID(syndicate.Weekly, now), syndicate.Weekly, now, 7*24*time.Hour)
	if err != nil || len(w.ArticleIDs) != 4 {
		t.Errorf("weekly = %+v, %v; want all four articles", w, err)
	}
	// A new article goes into the next daily digest only.
	a4 := save("https://example.com/4", now.Add(30*time.Minute), now.Add(30*time.Minute))
	next, err := s.BuildDigest(ctx, syndicate.DigestID(syndicate.Daily, now.Add(2*time.Hour)), syndicate.Daily, now.Add(2*time.Hour), 24*time.Hour)
	if err != nil || !slices.Equal(next.ArticleIDs, []string{a4}) {
		t.Errorf("next digest = %+v, %v; want only %s", next, err, a4)
	}
	got, err := s.Digest(ctx, id)
	if err != nil || !slices.Equal(got.ArticleIDs, d.ArticleIDs) || got.Frequency != syndicate.Daily {
		t.Errorf("Digest(%s) = %+v, %v", id, got, err)
	}
	_, err = s.Digest(ctx, "dg_daily_nope")
	wantCode(t, err, syndicate.ENOTFOUND)
}

// TestBuildDigestRace: triggers racing each other in two processes put
// each article in one digest only.
func TestBuildDigestRace(t *testing.T) {
	s, clk, url := openTest(t)
	other := openURL(t, url)
	ctx := context.Background()
	clk.Set(t0.Add(time.Hour))
	if _, err := s.SaveArticle(ctx, article("https://example.com/x")); err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		built int
	)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st := s
			if i%2 == 1 {
				st = other
			}
			now := t0.Add(2*time.Hour + time.Duration(i)*time.Minute)
			d, err := st.BuildDigest(ctx, syndicate.DigestID(syndicate.Daily, now), syndicate.Daily, now, 24*time.Hour)
			if err != nil {
				t.Error(err)
				return
			}
			if d.ID != "" {
				mu.Lock()
				built++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if built != 1 {
		t.Errorf("%d digests built, want 1", built)
	}
}
