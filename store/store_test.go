package store_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"syndicate"
	"syndicate/internal/testdb"
	"syndicate/store"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable time source for Store.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// openTest opens a fresh database (see testdb.URL) and returns its URL,
// for tests that open a second handle on it with openURL.
func openTest(t *testing.T) (*store.Store, *clock, string) {
	t.Helper()
	url := testdb.URL(t)
	s := openURL(t, url)
	c := &clock{t: t0}
	s.Now = c.Now
	return s, c, url
}

// openURL opens the database at url, to be closed when the test ends. Two
// handles on one URL stand for two processes.
func openURL(t *testing.T, url string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := syndicate.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (err %v), want %q", got, err, code)
	}
}

func TestOpenURLs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, url := range []string{
		"sqlite::memory:",
		"sqlite:" + filepath.Join(dir, "a.db"),
		"sqlite://" + filepath.Join(dir, "b.db"),
		filepath.Join(dir, "c.db"),
		"sqlite:" + filepath.Join(dir, "odd?name#1%.db"),
	} {
		s, err := store.Open(ctx, url)
		if err != nil {
			t.Errorf("Open(%q): %v", url, err)
			continue
		}
		if _, err := s.SaveArticle(ctx, article("https://example.com/x")); err != nil {
			t.Errorf("Open(%q): SaveArticle: %v", url, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Open(%q): Close: %v", url, err)
		}
	}
	// Nothing listens on port 1, so these fail quickly whatever the backend.
	for url, want := range map[string]string{
		"postgres://u:secret@127.0.0.1:1/syndicate?connect_timeout=5":            "open database postgres://u:xxxxx@127.0.0.1:1/syndicate",
		"postgresql://u@127.0.0.1:1/syndicate?password=secret&connect_timeout=5": "open database postgresql://u@127.0.0.1:1/syndicate",
		"postgres://u:secret@127.0.0.1:port/syndicate":                           "postgres database URL is malformed",
		"mysql://db/x":  `scheme "mysql"`,
		"":              "empty",
		"syndicate.txt": "not sqlite:PATH",
	} {
		_, err := store.Open(ctx, url)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want an error containing %q", url, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) error shows the password: %v", url, err)
		}
	}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	s, _, url := openTest(t)
	if _, err := s.SaveArticle(ctx, article("https://example.com/keep")); err != nil {
		t.Fatal(err)
	}
	s2 := openURL(t, url) // runs the migrations again: must be a no-op
	if _, err := s2.FindArticle(ctx, "https://example.com/keep"); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
}

// TestConcurrentOpenOfNewFile has four processes open a new database at
// once: the migrations must run once, not fail on each other's tables.
func TestConcurrentOpenOfNewFile(t *testing.T) {
	url := testdb.URL(t)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := store.Open(context.Background(), url)
			if err != nil {
				errs <- err
				return
			}
			errs <- s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func article(url string) syndicate.Article {
	return syndicate.Article{
		Title:       "Title of " + url,
		URL:         url,
		Author:      "Ann Author",
		PublishedAt: t0.Add(-time.Hour),
		Tags:        []string{"news", "go"},
		Summary:     "A summary.",
		Body:        "First paragraph.\n\nSecond.",
		BodyHTML:    `<p>First <a href="https://example.com/x">paragraph</a>.</p><p>Second.</p>`,
	}
}

func TestArticleIdempotent(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	a := article("https://example.com/post?utm_source=x")
	created, err := s.SaveArticle(ctx, a)
	if err != nil || !created {
		t.Fatalf("first SaveArticle = %v, %v; want true, nil", created, err)
	}
	canon, err := syndicate.CanonicalURL(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	id := syndicate.ArticleID(canon)

	changed := a
	changed.ID = id
	changed.Title = "Another title"
	created, err = s.SaveArticle(ctx, changed)
	if err != nil || created {
		t.Fatalf("second SaveArticle = %v, %v; want false, nil", created, err)
	}
	got, err := s.Article(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := a
	want.ID = id
	if !got.PublishedAt.Equal(want.PublishedAt) {
		t.Errorf("PublishedAt = %v, want %v", got.PublishedAt, want.PublishedAt)
	}
	got.PublishedAt = want.PublishedAt
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Article = %+v\nwant %+v", got, want)
	}

	for _, ref := range []string{id, "https://EXAMPLE.com/post#top", "https://example.com/post?utm_medium=y"} {
		if got, err := s.FindArticle(ctx, ref); err != nil || got.ID != id {
			t.Errorf("FindArticle(%q) = %s, %v; want %s", ref, got.ID, err, id)
		}
	}
	_, err = s.Article(ctx, "a_missing")
	wantCode(t, err, syndicate.ENOTFOUND)
	_, err = s.FindArticle(ctx, "https://example.com/other")
	wantCode(t, err, syndicate.ENOTFOUND)
	_, err = s.FindArticle(ctx, "nonsense")
	wantCode(t, err, syndicate.ENOTFOUND)

	_, err = s.SaveArticle(ctx, syndicate.Article{URL: "https://example.com/untitled"})
	wantCode(t, err, syndicate.EINVALID)
}

func TestArticleZeroDateAndNoTags(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	a := syndicate.Article{Title: "Bare", URL: "https://example.com/bare"}
	if _, err := s.SaveArticle(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindArticle(ctx, a.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !got.PublishedAt.IsZero() || len(got.Tags) != 0 {
		t.Errorf("got PublishedAt %v, Tags %q; want zero and none", got.PublishedAt, got.Tags)
	}
}

func TestArticlesSince(t *testing.T) {
	ctx := context.Background()
	s, c, _ := openTest(t)
	old := article("https://example.com/old")
	c.Set(t0)
	if _, err := s.SaveArticle(ctx, old); err != nil {
		t.Fatal(err)
	}
	// Stored later, in the order b (published earlier), then a.
	c.Set(t0.Add(2 * time.Hour))
	b := article("https://example.com/b")
	b.PublishedAt = t0.Add(-48 * time.Hour) // backdated: must still count
	a := article("https://example.com/a")
	a.PublishedAt = t0.Add(time.Hour)
	for _, x := range []syndicate.Article{b, a} {
		if _, err := s.SaveArticle(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ArticlesSince(ctx, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, x := range got {
		urls = append(urls, x.URL)
	}
	if want := []string{a.URL, b.URL}; !reflect.DeepEqual(urls, want) {
		t.Errorf("ArticlesSince = %q, want %q", urls, want)
	}
}

func TestSubscribers(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)

	sub, created, err := s.UpsertSubscriber(ctx, syndicate.Subscriber{Email: " Alice@Example.COM ", Name: "Alice"})
	if err != nil || !created {
		t.Fatalf("UpsertSubscriber = %v, %v; want created", created, err)
	}
	if sub.ID == 0 || sub.Email != "Alice@example.com" || sub.Frequency != syndicate.Instant || sub.Status != syndicate.SubscriberActive || !sub.CreatedAt.Equal(t0) {
		t.Errorf("new subscriber = %+v", sub)
	}

	// Re-adding (any capitalisation) updates the row and does not add one.
	again, created, err := s.UpsertSubscriber(ctx, syndicate.Subscriber{Email: "alice@example.com", Name: "Alice B.", Frequency: syndicate.Weekly})
	if err != nil || created {
		t.Fatalf("re-add = %v, %v; want not created", created, err)
	}
	if again.ID != sub.ID || again.Name != "Alice B." || again.Frequency != syndicate.Weekly || !again.CreatedAt.Equal(sub.CreatedAt) {
		t.Errorf("re-added subscriber = %+v, want ID %d updated", again, sub.ID)
	}
	got, err := s.Subscriber(ctx, "ALICE@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got != again {
		t.Errorf("Subscriber = %+v, want %+v", got, again)
	}

	// Removing marks the row; it drops out of sending; re-adding reactivates.
	if err := s.RemoveSubscriber(ctx, "alice@EXAMPLE.com"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Subscriber(ctx, "alice@example.com"); err != nil || got.Status != syndicate.SubscriberUnsubscribed {
		t.Errorf("after remove: %+v, %v", got, err)
	}
	if page, err := s.SubscriberAddresses(ctx, syndicate.Weekly, 0, 10); err != nil || len(page) != 0 {
		t.Errorf("SubscriberAddresses after remove = %v, %v; want none", page, err)
	}
	if got, _, err := s.UpsertSubscriber(ctx, syndicate.Subscriber{Email: "alice@example.com", Frequency: syndicate.Weekly}); err != nil || got.Status != syndicate.SubscriberActive {
		t.Errorf("re-add after remove = %+v, %v; want active", got, err)
	}

	wantCode(t, s.RemoveSubscriber(ctx, "nobody@example.com"), syndicate.ENOTFOUND)
	_, err = s.Subscriber(ctx, "nobody@example.com")
	wantCode(t, err, syndicate.ENOTFOUND)
	wantCode(t, s.SetSubscriberStatus(ctx, "alice@example.com", "gone"), syndicate.EINVALID)
	_, _, err = s.UpsertSubscriber(ctx, syndicate.Subscriber{Email: "not an address"})
	wantCode(t, err, syndicate.EINVALID)
}

func TestSubscriberPaging(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	freqs := []syndicate.Frequency{syndicate.Daily, syndicate.Weekly, syndicate.Daily, syndicate.Daily, syndicate.Daily}
	var ids []int64
	for i, f := range freqs {
		sub, _, err := s.UpsertSubscriber(ctx, syndicate.Subscriber{Email: string(rune('a'+i)) + "@example.com", Frequency: f})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, sub.ID)
	}
	if err := s.SetSubscriberStatus(ctx, "c@example.com", syndicate.SubscriberBounced); err != nil {
		t.Fatal(err)
	}

	page := func(list func(after int64) ([]syndicate.Subscriber, error)) [][]int64 {
		var pages [][]int64
		var after int64
		for {
			subs, err := list(after)
			if err != nil {
				t.Fatal(err)
			}
			if len(subs) == 0 {
				return pages
			}
			var p []int64
			for _, sub := range subs {
				p = append(p, sub.ID)
			}
			pages = append(pages, p)
			after = p[len(p)-1]
		}
	}
	all := page(func(after int64) ([]syndicate.Subscriber, error) { return s.ListSubscribers(ctx, after, 2) })
	if want := [][]int64{{ids[0], ids[1]}, {ids[2], ids[3]}, {ids[4]}}; !reflect.DeepEqual(all, want) {
		t.Errorf("ListSubscribers pages = %v, want %v", all, want)
	}
	daily := page(func(after int64) ([]syndicate.Subscriber, error) {
		return s.SubscriberAddresses(ctx, syndicate.Daily, after, 2)
	})
	if want := [][]int64{{ids[0], ids[3]}, {ids[4]}}; !reflect.DeepEqual(daily, want) {
		t.Errorf("SubscriberAddresses(daily) pages = %v, want %v", daily, want)
	}
	_, err := s.ListSubscribers(ctx, 0, 0)
	wantCode(t, err, syndicate.EINVALID)
}

var postKey = syndicate.DeliveryKey{Item: "a_1", Channel: syndicate.ChannelMastodon}

func TestLedgerLifecycle(t *testing.T) {
	ctx := context.Background()
	s, c, _ := openTest(t)
	mailKey := syndicate.DeliveryKey{Item: "a_1", Channel: syndicate.ChannelEmail, Subscriber: "Bob@example.com"}

	for range 2 {
		if err := s.EnsureDeliveries(ctx, []syndicate.DeliveryKey{postKey, mailKey}); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := s.Deliveries(ctx, "a_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Key() != mailKey || ds[1].Key() != postKey || ds[0].Status != syndicate.StatusQueued {
		t.Fatalf("Deliveries after Ensure twice = %+v", ds)
	}

	c.Set(t0.Add(time.Minute))
	before, err := s.BeginDelivery(ctx, postKey)
	if err != nil {
		t.Fatal(err)
	}
	if before.Status != syndicate.StatusQueued || before.Attempts != 0 {
		t.Errorf("first Begin returned %s attempts %d, want queued 0", before.Status, before.Attempts)
	}
	row := delivery(t, s, postKey)
	if row.Status != syndicate.StatusSending || row.Attempts != 1 || !row.UpdatedAt.Equal(t0.Add(time.Minute)) || !row.CreatedAt.Equal(t0) {
		t.Errorf("after first Begin row = %+v, want sending, 1 attempt", row)
	}

	// The worker died: the next Begin sees sending.
	before, err = s.BeginDelivery(ctx, postKey)
	if err != nil {
		t.Fatal(err)
	}
	if before.Status != syndicate.StatusSending || before.Attempts != 1 {
		t.Errorf("Begin after crash returned %s attempts %d, want sending 1", before.Status, before.Attempts)
	}

	if err := s.FinishDelivery(ctx, postKey, syndicate.StatusSent, "109", ""); err != nil {
		t.Fatal(err)
	}
	before, err = s.BeginDelivery(ctx, postKey)
	if err != nil {
		t.Fatal(err)
	}
	if before.Status != syndicate.StatusSent || before.Attempts != 2 || before.RemoteID != "109" {
		t.Errorf("Begin after sent returned %+v, want sent, 2 attempts, remote 109", before)
	}
	if row := delivery(t, s, postKey); row.Status != syndicate.StatusSent || row.Attempts != 2 {
		t.Errorf("Begin changed a final row: %+v", row)
	}

	// An empty remote ID keeps the one recorded.
	if err := s.FinishDelivery(ctx, postKey, syndicate.StatusUnknown, "", "timeout"); err != nil {
		t.Fatal(err)
	}
	if row := delivery(t, s, postKey); row.RemoteID != "109" || row.Error != "timeout" || row.Status != syndicate.StatusUnknown {
		t.Errorf("after Finish with no remote ID: %+v", row)
	}

	// Begin on a key with no row inserts it; the email address matches
	// whatever its capitalisation.
	other := syndicate.DeliveryKey{Item: "a_2", Channel: syndicate.ChannelX}
	if before, err := s.BeginDelivery(ctx, other); err != nil || before.Status != syndicate.StatusQueued {
		t.Errorf("Begin on a missing row = %+v, %v; want queued", before, err)
	}
	lower := mailKey
	lower.Subscriber = "bob@example.com"
	if before, err := s.BeginDelivery(ctx, lower); err != nil || before.Subscriber != "Bob@example.com" {
		t.Errorf("Begin with lowercased address = %+v, %v; want the existing row", before, err)
	}

	wantCode(t, s.FinishDelivery(ctx, syndicate.DeliveryKey{Item: "a_9", Channel: syndicate.ChannelX}, syndicate.StatusSent, "", ""), syndicate.ENOTFOUND)
	wantCode(t, s.FinishDelivery(ctx, postKey, "delivered", "", ""), syndicate.EINVALID)
	wantCode(t, s.EnsureDeliveries(ctx, []syndicate.DeliveryKey{{Item: "a_1"}}), syndicate.EINVALID)
}

func delivery(t *testing.T, s *store.Store, k syndicate.DeliveryKey) syndicate.Delivery {
	t.Helper()
	ds, err := s.Deliveries(context.Background(), k.Item)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Key() == k {
			return d
		}
	}
	t.Fatalf("no delivery %v", k)
	return syndicate.Delivery{}
}

func TestConcurrentBeginDelivery(t *testing.T) {
	ctx := context.Background()
	_, _, url := openTest(t)
	// Two handles on one file stand for the CLI and a worker process.
	stores := []*store.Store{openURL(t, url), openURL(t, url)}
	const n = 8
	befores := make([]syndicate.Delivery, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			befores[i], errs[i] = stores[i%2].BeginDelivery(ctx, postKey)
		}()
	}
	close(start)
	wg.Wait()
	first := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("goroutine %d: %v", i, errs[i])
			continue
		}
		switch st := befores[i].Status; {
		case st == syndicate.StatusSending:
		case !st.Final():
			first++
		default:
			t.Errorf("goroutine %d saw final status %s", i, st)
		}
	}
	if first != 1 {
		t.Errorf("%d callers saw a not-yet-sending row, want exactly 1", first)
	}
	if row := delivery(t, stores[0], postKey); row.Attempts != n {
		t.Errorf("attempts = %d, want %d (an update was lost)", row.Attempts, n)
	}
}

func TestResetAndCounts(t *testing.T) {
	ctx := context.Background()
	s, _, _ := openTest(t)
	keys := []syndicate.DeliveryKey{
		{Item: "d1", Channel: syndicate.ChannelEmail, Subscriber: "a@example.com"},
		{Item: "d1", Channel: syndicate.ChannelEmail, Subscriber: "b@example.com"},
		{Item: "d1", Channel: syndicate.ChannelEmail, Subscriber: "c@example.com"},
		{Item: "d1", Channel: syndicate.ChannelX},
		{Item: "d2", Channel: syndicate.ChannelX},
	}
	if err := s.EnsureDeliveries(ctx, keys); err != nil {
		t.Fatal(err)
	}
	finish := map[int]syndicate.DeliveryStatus{0: syndicate.StatusSent, 1: syndicate.StatusFailed, 3: syndicate.StatusFailed, 4: syndicate.StatusFailed}
	for i, st := range finish {
		if _, err := s.BeginDelivery(ctx, keys[i]); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishDelivery(ctx, keys[i], st, "", "boom"); err != nil {
			t.Fatal(err)
		}
	}
	counts, err := s.DeliveryCounts(ctx, "d1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[syndicate.Channel]map[syndicate.DeliveryStatus]int{
		syndicate.ChannelEmail: {syndicate.StatusSent: 1, syndicate.StatusFailed: 1, syndicate.StatusQueued: 1},
		syndicate.ChannelX:     {syndicate.StatusFailed: 1},
	}
	if !reflect.DeepEqual(counts, want) {
		t.Errorf("DeliveryCounts = %v, want %v", counts, want)
	}

	n, err := s.ResetDeliveries(ctx, "d1", syndicate.ChannelEmail, []syndicate.DeliveryStatus{syndicate.StatusFailed, syndicate.StatusUnknown})
	if err != nil || n != 1 {
		t.Fatalf("ResetDeliveries(email) = %d, %v; want 1", n, err)
	}
	if row := delivery(t, s, keys[1]); row.Status != syndicate.StatusQueued || row.Error != "" || row.Attempts != 1 {
		t.Errorf("reset row = %+v, want queued, no error, attempts kept", row)
	}
	if row := delivery(t, s, keys[3]); row.Status != syndicate.StatusFailed {
		t.Errorf("other channel was reset: %+v", row)
	}
	n, err = s.ResetDeliveries(ctx, "d1", "", []syndicate.DeliveryStatus{syndicate.StatusFailed})
	if err != nil || n != 1 {
		t.Errorf("ResetDeliveries(all channels) = %d, %v; want 1", n, err)
	}
	if row := delivery(t, s, keys[4]); row.Status != syndicate.StatusFailed {
		t.Errorf("other item was reset: %+v", row)
	}
	_, err = s.ResetDeliveries(ctx, "d1", "", nil)
	wantCode(t, err, syndicate.EINVALID)

	counts, err = s.DeliveryCounts(ctx, "none")
	if err != nil || len(counts) != 0 {
		t.Errorf("DeliveryCounts(none) = %v, %v; want empty", counts, err)
	}
}
