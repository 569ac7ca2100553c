package feeds_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"syndicate"
	"syndicate/feeds"
	"syndicate/fetch"
	"syndicate/store"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// memStore is an in-memory feeds.Store.
type memStore struct {
	mu       sync.Mutex
	states   map[string]feeds.State
	seen     map[string]bool // feedURL + "\n" + key
	failMark int             // MarkSeen calls to fail
}

func newMemStore() *memStore {
	return &memStore{states: map[string]feeds.State{}, seen: map[string]bool{}}
}

func (m *memStore) FeedState(_ context.Context, url string) (feeds.State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.states[url]
	if !ok {
		return feeds.State{URL: url}, nil
	}
	return st, nil
}

func (m *memStore) SaveFeedState(_ context.Context, s feeds.State) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.states[s.URL] = s
	return nil
}

func (m *memStore) MarkSeen(_ context.Context, feedURL string, keys []string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failMark > 0 {
		m.failMark--
		return nil, errors.New("disk full")
	}
	var out []string
	for _, k := range keys {
		if !m.seen[feedURL+"\n"+k] {
			m.seen[feedURL+"\n"+k] = true
			out = append(out, k)
		}
	}
	return out, nil
}

func (m *memStore) HasSeen(_ context.Context, feedURL string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k := range m.seen {
		if strings.HasPrefix(k, feedURL+"\n") {
			return true, nil
		}
	}
	return false, nil
}

func (m *memStore) Unseen(_ context.Context, feedURL string, keys []string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, k := range keys {
		if !m.seen[feedURL+"\n"+k] {
			out = append(out, k)
		}
	}
	return out, nil
}

// publisher is a fake feeds.Publisher that, like the real one, is
// idempotent by article ID.
type publisher struct {
	mu       sync.Mutex
	ids      map[string]bool
	articles []syndicate.Article // created, in order
	calls    int
	fail     error // returned by the next call, then cleared
}

func (p *publisher) Publish(_ context.Context, a syndicate.Article) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if err := p.fail; err != nil {
		p.fail = nil
		return false, err
	}
	if err := a.Validate(); err != nil {
		return false, err
	}
	if p.ids == nil {
		p.ids = map[string]bool{}
	}
	if p.ids[a.ID] {
		return false, nil
	}
	p.ids[a.ID] = true
	p.articles = append(p.articles, a)
	return true, nil
}

func (p *publisher) titles() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, a := range p.articles {
		out = append(out, a.Title)
	}
	return out
}

// feedServer serves one feed whose body the test changes between polls,
// with an ETag that the server checks, and counts what it was asked.
type feedServer struct {
	*httptest.Server
	mu          sync.Mutex
	body        string
	contentType string
	status      int  // if not 0, answered instead of the feed
	noETag      bool // send Last-Modified only
	modified    time.Time
	requests    int
	conditional int // requests with If-None-Match or If-Modified-Since
	notModified int // 304s answered
}

func newFeedServer(t *testing.T, body string) *feedServer {
	fs := &feedServer{body: body, contentType: "application/rss+xml", modified: t0}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.serve))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *feedServer) set(body string) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.body = body
	fs.modified = fs.modified.Add(time.Minute)
}

func (fs *feedServer) setStatus(code int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.status = code
}

func (fs *feedServer) counts() (requests, conditional, notModified int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.requests, fs.conditional, fs.notModified
}

func (fs *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.requests++
	inm, ims := r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
	if inm != "" || ims != "" {
		fs.conditional++
	}
	if fs.status != 0 {
		http.Error(w, "broken", fs.status)
		return
	}
	sum := sha256.Sum256([]byte(fs.body))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	lastMod := fs.modified.UTC().Format(http.TimeFormat)
	if fs.noETag {
		if ims == lastMod {
			fs.notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
	} else {
		w.Header().Set("ETag", etag)
		if inm == etag {
			fs.notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Last-Modified", lastMod)
	w.Header().Set("Content-Type", fs.contentType)
	fmt.Fprint(w, fs.body)
}

// item is one feed item for the builders below; the zero date means none.
type item struct {
	guid, title, link, desc string
	date                    time.Time
}

// day returns an item of the given day of March 2025, its GUID and link
// derived from n.
func day(n int, title string) item {
	return item{
		guid:  fmt.Sprintf("urn:post:%d", n),
		title: title,
		link:  fmt.Sprintf("https://blog.example/posts/%d", n),
		date:  time.Date(2025, 3, n, 9, 0, 0, 0, time.UTC),
	}
}

// rss renders items, in the order given, as RSS 2.0.
func rss(items ...item) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Blog</title><link>https://blog.example/</link><description>d</description>`)
	for _, it := range items {
		b.WriteString("<item>")
		if it.guid != "" {
			fmt.Fprintf(&b, `<guid isPermaLink="false">%s</guid>`, html.EscapeString(it.guid))
		}
		if it.title != "" {
			fmt.Fprintf(&b, "<title>%s</title>", html.EscapeString(it.title))
		}
		if it.link != "" {
			fmt.Fprintf(&b, "<link>%s</link>", html.EscapeString(it.link))
		}
		if it.desc != "" {
			fmt.Fprintf(&b, "<description>%s</description>", html.EscapeString(it.desc))
		}
		if !it.date.IsZero() {
			fmt.Fprintf(&b, "<pubDate>%s</pubDate>", it.date.Format(time.RFC1123Z))
		}
		b.WriteString("</item>")
	}
	b.WriteString("</channel></rss>")
	return b.String()
}

func newPoller(s feeds.Store, c *clock) (*feeds.Poller, *publisher) {
	pub := &publisher{}
	// The feed servers are on 127.0.0.1.
	return &feeds.Poller{Store: s, Publisher: pub, Now: c.Now, Fetcher: &fetch.Client{AllowPrivate: true}}, pub
}

func poll(t *testing.T, p *feeds.Poller, url string) int {
	t.Helper()
	n, err := p.Poll(context.Background(), url)
	if err != nil {
		t.Fatalf("Poll: %v", err)
	}
	return n
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "syndicate.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	return s
}

// TestPollLifecycle follows one feed through its changes on the real
// SQLite store.
func TestPollLifecycle(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	c := &clock{t: t0}
	p, pub := newPoller(st, c)
	one, two, three := day(1, "One"), day(2, "Two"), day(3, "Three")
	srv := newFeedServer(t, rss(three, two, one))

	// First poll: nothing published, everything seen.
	if n := poll(t, p, srv.URL); n != 0 || pub.calls != 0 {
		t.Fatalf("first poll published %d (%d calls); want 0", n, pub.calls)
	}
	state, err := st.FeedState(ctx, srv.URL)
	if err != nil || !state.Initialized || state.ETag == "" || !state.LastPolled.Equal(t0) {
		t.Fatalf("state after first poll = %+v, %v", state, err)
	}
	if unseen, err := st.Unseen(ctx, srv.URL, []string{one.guid, two.guid, three.guid}); err != nil || len(unseen) != 0 {
		t.Errorf("unseen after first poll = %q, %v; want none", unseen, err)
	}

	// Unchanged: a conditional request answered 304.
	if n := poll(t, p, srv.URL); n != 0 {
		t.Errorf("unchanged feed published %d", n)
	}
	if req, cond, nm := srv.counts(); req != 2 || cond != 1 || nm != 1 {
		t.Errorf("requests, conditional, 304s = %d, %d, %d; want 2, 1, 1", req, cond, nm)
	}

	// A new item: one publish.
	four := day(4, "Four")
	srv.set(rss(four, three, two, one))
	if n := poll(t, p, srv.URL); n != 1 || !reflect.DeepEqual(pub.titles(), []string{"Four"}) {
		t.Fatalf("new item: published %d, %q; want 1, [Four]", n, pub.titles())
	}

	// Reordered: nothing.
	srv.set(rss(one, three, four, two))
	if n := poll(t, p, srv.URL); n != 0 || pub.calls != 1 {
		t.Errorf("reordered feed published %d (%d calls); want 0", n, pub.calls)
	}

	// Edited (same GUID, new title and even a new link): nothing.
	edited := four
	edited.title, edited.link = "Four, corrected", "https://blog.example/posts/4-corrected"
	srv.set(rss(edited, three, two, one))
	if n := poll(t, p, srv.URL); n != 0 || pub.calls != 1 {
		t.Errorf("edited item published %d (%d calls); want 0", n, pub.calls)
	}

	// Republished under a new GUID with an old link: nothing, whether the
	// old item was published (four) or only marked seen on the first
	// poll (two).
	re4, re2 := four, two
	re4.guid, re2.guid = "urn:post:4-again", "urn:post:2-again"
	re4.date, re2.date = c.Now(), c.Now()
	srv.set(rss(re4, re2, edited, three, two, one))
	if n := poll(t, p, srv.URL); n != 0 || len(pub.titles()) != 1 {
		t.Errorf("republished items published %d, %q; want 0", n, pub.titles())
	}

	// Two new items at once: oldest first, whatever the feed order.
	five, six := day(5, "Five"), day(6, "Six")
	srv.set(rss(five, six, edited, three, two, one))
	if n := poll(t, p, srv.URL); n != 2 {
		t.Errorf("two new items: published %d; want 2", n)
	}
	if want := []string{"Four", "Five", "Six"}; !reflect.DeepEqual(pub.titles(), want) {
		t.Errorf("published %q; want %q", pub.titles(), want)
	}
	a := pub.articles[1]
	canon, err := syndicate.CanonicalURL(five.link)
	if err != nil || a.URL != canon || a.ID != syndicate.ArticleID(canon) || !a.PublishedAt.Equal(five.date) {
		t.Errorf("article = %+v; want URL %s dated %s", a, canon, five.date)
	}
}

// TestPollLastModified uses If-Modified-Since when the server sends no
// ETag.
func TestPollLastModified(t *testing.T) {
	c := &clock{t: t0}
	p, _ := newPoller(newMemStore(), c)
	srv := newFeedServer(t, rss(day(1, "One")))
	srv.noETag = true
	poll(t, p, srv.URL)
	poll(t, p, srv.URL)
	if req, cond, nm := srv.counts(); req != 2 || cond != 1 || nm != 1 {
		t.Errorf("requests, conditional, 304s = %d, %d, %d; want 2, 1, 1", req, cond, nm)
	}
}

func TestPollFailureBackoff(t *testing.T) {
	ctx := context.Background()
	ms := newMemStore()
	c := &clock{t: t0}
	p, pub := newPoller(ms, c)
	srv := newFeedServer(t, rss(day(1, "One")))
	good := newFeedServer(t, rss(day(2, "Two")))

	srv.setStatus(http.StatusInternalServerError)
	if _, err := p.Poll(ctx, srv.URL); err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("Poll of a broken feed: %v; want an error naming 500", err)
	}
	st := ms.states[srv.URL]
	if st.Failures != 1 || !st.NextTry.Equal(t0.Add(time.Minute)) || !strings.Contains(st.LastError, "500") || st.Initialized {
		t.Errorf("state after a failure = %+v; want Failures 1, NextTry +1m, the error", st)
	}

	// The other feed is not held up.
	poll(t, p, good.URL)
	if !ms.states[good.URL].Initialized {
		t.Error("a healthy feed was not polled next to a broken one")
	}

	// Before NextTry: ErrBackoff and no request.
	c.Add(30 * time.Second)
	if _, err := p.Poll(ctx, srv.URL); !errors.Is(err, feeds.ErrBackoff) {
		t.Errorf("Poll before NextTry: %v; want ErrBackoff", err)
	}
	if req, _, _ := srv.counts(); req != 1 {
		t.Errorf("%d requests; the poll in backoff fetched", req)
	}

	// Still broken: the wait doubles.
	c.Add(31 * time.Second)
	if _, err := p.Poll(ctx, srv.URL); err == nil {
		t.Fatal("second Poll of a broken feed succeeded")
	}
	if st := ms.states[srv.URL]; st.Failures != 2 || !st.NextTry.Equal(c.Now().Add(2*time.Minute)) {
		t.Errorf("state after two failures = %+v; want Failures 2, NextTry +2m", st)
	}

	// Mended: the first successful poll initializes and clears the failure.
	srv.setStatus(0)
	c.Add(2 * time.Minute)
	if n := poll(t, p, srv.URL); n != 0 || pub.calls != 0 {
		t.Errorf("first successful poll published %d", n)
	}
	if st := ms.states[srv.URL]; st.Failures != 0 || !st.NextTry.IsZero() || st.LastError != "" || !st.Initialized {
		t.Errorf("state after recovery = %+v", st)
	}
}

func TestPollBrokenFeeds(t *testing.T) {
	ctx := context.Background()
	closed := httptest.NewServer(http.NotFoundHandler())
	unreachable := closed.URL + "/feed"
	closed.Close()
	garbage := newFeedServer(t, "<html><body>not a feed</body></html>")
	huge := newFeedServer(t, rss(day(1, strings.Repeat("x", 4000))))

	for _, tc := range []struct{ name, url, want string }{
		{"unreachable", unreachable, "fetch"},
		{"not a feed", garbage.URL, "parse feed"},
		{"too large", huge.URL, "larger than 1000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := newMemStore()
			p, _ := newPoller(ms, &clock{t: t0})
			p.MaxBytes = 1000
			_, err := p.Poll(ctx, tc.url)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Poll: %v; want an error with %q", err, tc.want)
			}
			if st := ms.states[tc.url]; st.Failures != 1 || !st.NextTry.Equal(t0.Add(time.Minute)) || st.LastError == "" {
				t.Errorf("state = %+v; want the failure recorded", st)
			}
		})
	}
}

// TestPollPublishFailure: a publish that fails leaves the item unseen and
// the validators unsaved, so it is published on a later poll; a crash
// between publishing and marking publishes it again, which the
// publisher's idempotency absorbs.
func TestPollPublishFailure(t *testing.T) {
	ctx := context.Background()
	ms := newMemStore()
	c := &clock{t: t0}
	p, pub := newPoller(ms, c)
	srv := newFeedServer(t, rss(day(1, "One")))
	poll(t, p, srv.URL)
	etag := ms.states[srv.URL].ETag

	srv.set(rss(day(2, "Two"), day(1, "One")))
	pub.fail = errors.New("redis down")
	if _, err := p.Poll(ctx, srv.URL); err == nil || !strings.Contains(err.Error(), "redis down") {
		t.Fatalf("Poll with a failing publisher: %v", err)
	}
	if st := ms.states[srv.URL]; st.ETag != etag || st.Failures != 1 {
		t.Errorf("state after a publish failure = %+v; want the old ETag kept and Failures 1", st)
	}

	// Published, then the mark fails (as if the process died there).
	c.Add(time.Minute)
	ms.failMark = 1
	if n, err := p.Poll(ctx, srv.URL); err == nil || n != 1 {
		t.Fatalf("Poll with a failing MarkSeen: %d, %v; want 1 and an error", n, err)
	}

	c.Add(2 * time.Minute)
	if n := poll(t, p, srv.URL); n != 0 {
		t.Errorf("Poll after the crash created %d articles; want 0", n)
	}
	if got := pub.titles(); !reflect.DeepEqual(got, []string{"Two"}) || pub.calls != 3 {
		t.Errorf("published %q in %d calls; want [Two] in 3", got, pub.calls)
	}
	if n := poll(t, p, srv.URL); n != 0 || pub.calls != 3 {
		t.Errorf("Poll once marked called the publisher again (%d calls)", pub.calls)
	}
}

func TestPollSkipsItemsWithoutTitleOrLink(t *testing.T) {
	ms := newMemStore()
	var logs strings.Builder
	p, pub := newPoller(ms, &clock{t: t0})
	p.Log = slogTo(&logs)
	srv := newFeedServer(t, rss(day(1, "One")))
	poll(t, p, srv.URL)
	noTitle := day(2, "")
	noLink := item{guid: "urn:post:3", title: "No link", date: day(3, "").date}
	srv.set(rss(day(4, "Four"), noLink, noTitle, day(1, "One")))
	if n := poll(t, p, srv.URL); n != 1 || !reflect.DeepEqual(pub.titles(), []string{"Four"}) {
		t.Errorf("published %d, %q; want 1, [Four]", n, pub.titles())
	}
	if !strings.Contains(logs.String(), "has no title") || !strings.Contains(logs.String(), "has no link") {
		t.Errorf("log does not name the skipped items:\n%s", logs.String())
	}
	// Skipped once: not retried (or logged) on every poll.
	logs.Reset()
	srv.set(rss(day(4, "Four"), noLink, noTitle, day(1, "One"), day(0, "Zero")))
	poll(t, p, srv.URL)
	if strings.Contains(logs.String(), "skipped") {
		t.Errorf("skipped items looked at again:\n%s", logs.String())
	}
}

func TestBackfill(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	c := &clock{t: t0}
	p, pub := newPoller(st, c)
	items := []item{day(5, "Five"), day(4, "Four"), day(3, "Three"), day(2, "Two"), day(1, "One")}
	srv := newFeedServer(t, rss(items...))

	n, err := p.Backfill(ctx, srv.URL, 2)
	if err != nil || n != 2 {
		t.Fatalf("Backfill: %d, %v; want 2", n, err)
	}
	if want := []string{"Four", "Five"}; !reflect.DeepEqual(pub.titles(), want) {
		t.Errorf("backfilled %q; want %q", pub.titles(), want)
	}
	if state, err := st.FeedState(ctx, srv.URL); err != nil || !state.Initialized {
		t.Errorf("state after backfill = %+v, %v; want initialized", state, err)
	}
	// The rest are seen: the next poll publishes nothing.
	srv.set(rss(items[1:]...))
	if n := poll(t, p, srv.URL); n != 0 {
		t.Errorf("poll after backfill published %d", n)
	}

	// On a polled feed Backfill publishes items already seen.
	// Four is already an article; Three and Two come after, oldest first.
	n, err = p.Backfill(ctx, srv.URL, 3)
	if want := []string{"Four", "Five", "Two", "Three"}; err != nil || n != 2 || !reflect.DeepEqual(pub.titles(), want) {
		t.Errorf("second Backfill: %d, %v, %q; want 2, %q", n, err, pub.titles(), want)
	}
	if _, err := p.Backfill(ctx, srv.URL, -1); syndicate.ErrorCode(err) != syndicate.EINVALID {
		t.Errorf("Backfill -1: %v; want EINVALID", err)
	}
}

// TestFormats polls one feed in each format and checks the article made
// of its new item.
func TestFormats(t *testing.T) {
	const (
		rssFeed = `<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Site</title><link>https://site.example/blog/</link><description>d</description>
%s
<item><guid>https://site.example/blog/old</guid><title>Old</title><link>https://site.example/blog/old</link>
<pubDate>Sat, 01 Mar 2025 09:00:00 +0000</pubDate></item>
</channel></rss>`
		rssNew = `<item><guid>https://site.example/blog/new</guid>
<title>Café &amp;amp; &lt;em&gt;crème&lt;/em&gt;</title><link>new?utm_source=rss</link>
<dc:creator>Ada Writer</dc:creator><category>Food</category><category>food</category><category>Paris</category>
<description>&lt;p&gt;The &lt;b&gt;best&lt;/b&gt; café&lt;script&gt;alert(1)&lt;/script&gt; in town.&lt;/p&gt;</description>
<media:thumbnail url="/img/cafe.jpg"/>
<pubDate>Sun, 02 Mar 2025 09:00:00 +0000</pubDate></item>`

		atomFeed = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Site</title>
<link href="https://site.example/blog/"/><id>urn:site</id><updated>2025-03-02T09:00:00Z</updated>
<author><name>Ada Writer</name></author>
%s
<entry><id>urn:old</id><title>Old</title><link href="https://site.example/blog/old"/><updated>2025-03-01T09:00:00Z</updated></entry>
</feed>`
		atomNew = `<entry><id>urn:new</id><title type="html">Café &amp;amp; &lt;em&gt;crème&lt;/em&gt;</title>
<link href="https://site.example/blog/new?utm_source=rss"/><published>2025-03-02T09:00:00Z</published><updated>2025-03-02T10:00:00Z</updated>
<category term="Food"/><category term="Paris"/>
<summary type="html">&lt;p&gt;The &lt;b&gt;best&lt;/b&gt; café in town.&lt;/p&gt;</summary>
<content type="html">&lt;p&gt;First paragraph.&lt;/p&gt;&lt;p&gt;Second &amp;amp; last.&lt;/p&gt;</content>
<link rel="enclosure" type="image/jpeg" href="https://site.example/img/cafe.jpg"/></entry>`

		jsonFeed = `{"version": "https://jsonfeed.org/version/1.1", "title": "Site",
"home_page_url": "https://site.example/blog/", "authors": [{"name": "Ada Writer"}],
"items": [%s
{"id": "old", "title": "Old", "url": "https://site.example/blog/old", "date_published": "2025-03-01T09:00:00Z"}]}`
		jsonNew = `{"id": "new", "title": "Café &amp; <em>crème</em>", "url": "https://site.example/blog/new?utm_source=rss",
"summary": "The best café in town.", "content_html": "<p>First paragraph.</p><p>Second &amp; last.</p>",
"image": "https://site.example/img/cafe.jpg", "tags": ["Food", "Paris"], "date_published": "2025-03-02T09:00:00Z"},`
	)
	want := syndicate.Article{
		Title:       "Café & crème",
		URL:         "https://site.example/blog/new",
		Author:      "Ada Writer",
		PublishedAt: time.Date(2025, 3, 2, 9, 0, 0, 0, time.UTC),
		Tags:        []string{"Food", "Paris"},
		Summary:     "The best café in town.",
		Image:       "https://site.example/img/cafe.jpg",
		Body:        "First paragraph.\n\nSecond & last.",
	}
	want.ID = syndicate.ArticleID(want.URL)
	for _, tc := range []struct {
		name, format, newItem, contentType string
		body, bodyHTML                     string // want.Body, BodyHTML for this format
	}{
		{"rss", rssFeed, rssNew, "application/rss+xml", "", ""},
		{"atom", atomFeed, atomNew, "application/atom+xml", want.Body, "<p>First paragraph.</p><p>Second &amp; last.</p>"},
		{"json", jsonFeed, jsonNew, "application/feed+json", want.Body, "<p>First paragraph.</p><p>Second &amp; last.</p>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, pub := newPoller(newMemStore(), &clock{t: t0})
			srv := newFeedServer(t, fmt.Sprintf(tc.format, ""))
			srv.contentType = tc.contentType
			poll(t, p, srv.URL)
			srv.set(fmt.Sprintf(tc.format, tc.newItem))
			if n := poll(t, p, srv.URL); n != 1 {
				t.Fatalf("published %d; want 1", n)
			}
			w := want
			w.Body, w.BodyHTML = tc.body, tc.bodyHTML
			if got := pub.articles[0]; !reflect.DeepEqual(got, w) {
				t.Errorf("article =\n%+v\nwant\n%+v", got, w)
			}
		})
	}
}

func TestItemArticleText(t *testing.T) {
	long := strings.Repeat("word ", 100) // 500 characters
	// rss escapes what it is given, so the XML holds the title encoded
	// twice over, as feeds often do: &lt;b&gt;Tom&lt;/b&gt; &amp;amp; …
	p, pub := newPoller(newMemStore(), &clock{t: t0})
	srv := newFeedServer(t, rss(day(1, "One")))
	poll(t, p, srv.URL)
	srv.set(rss(
		item{guid: "g2", title: "<b>Tom</b> &amp; Jerry&#8217;s\n  &quot;show&quot;", link: "/posts/2", date: day(2, "").date, desc: "<p>" + long + "</p><p>More.</p>"},
		day(1, "One"),
	))
	if n := poll(t, p, srv.URL); n != 1 {
		t.Fatalf("published %d; want 1", n)
	}
	a := pub.articles[0]
	if want := "Tom & Jerry’s \"show\""; a.Title != want {
		t.Errorf("title = %q; want %q", a.Title, want)
	}
	if a.URL != "https://blog.example/posts/2" {
		t.Errorf("URL = %q; want the link resolved against the feed's", a.URL)
	}
	if n := len([]rune(a.Summary)); n > 300 || n < 250 || !strings.HasSuffix(a.Summary, "word…") {
		t.Errorf("summary has %d characters, ends %q; want ≤ 300 ending in a whole word and …", n, a.Summary[max(0, len(a.Summary)-12):])
	}
	if want := strings.TrimSpace(long) + "\n\nMore."; a.Body != want {
		t.Errorf("body = %q; want the whole description", a.Body)
	}
	if !a.PublishedAt.Equal(day(2, "").date) {
		t.Errorf("published at %s", a.PublishedAt)
	}

	// An item without a date is dated now.
	srv.set(rss(item{guid: "g3", title: "Undated", link: "https://blog.example/3"}, day(1, "One")))
	poll(t, p, srv.URL)
	if a := pub.articles[1]; !a.PublishedAt.Equal(t0) {
		t.Errorf("undated item published at %s; want now (%s)", a.PublishedAt, t0)
	}
}

func TestItemKey(t *testing.T) {
	ms := newMemStore()
	p, pub := newPoller(ms, &clock{t: t0})
	// Without GUIDs, items are known by their canonical links: a tracking
	// parameter added later does not make an item new.
	a := item{title: "A", link: "https://blog.example/a", date: day(1, "").date}
	srv := newFeedServer(t, rss(a))
	poll(t, p, srv.URL)
	a2 := a
	a2.link += "?utm_source=feed#top"
	b := item{title: "B", link: "https://blog.example/b", date: day(2, "").date}
	srv.set(rss(b, a2))
	if n := poll(t, p, srv.URL); n != 1 || !slices.Equal(pub.titles(), []string{"B"}) {
		t.Errorf("published %d, %q; want 1, [B]", n, pub.titles())
	}
	if !ms.seen[srv.URL+"\nhttps://blog.example/b"] {
		t.Error("the item without a GUID is not recorded under its canonical link")
	}
}

func slogTo(w *strings.Builder) *slog.Logger {
	return slog.New(slog.NewTextHandler(&lockedWriter{w: w}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// lockedWriter lets the logger write to a strings.Builder the test reads.
type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
