package feeds_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"syndicate/feeds"
)

// TestPollCap: a feed that gains 5000 items in one poll publishes only the
// newest MaxNew (10 by default); the others are marked seen, with one
// warning naming the feed and the count, and never published later.
func TestPollCap(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	c := &clock{t: t0}
	p, pub := newPoller(st, c)
	var logs strings.Builder
	p.Log = slogTo(&logs)
	srv := newFeedServer(t, rss(day(2, "Two"), day(1, "One")))
	poll(t, p, srv.URL)

	const gained = 5000
	var items []item
	var keys []string
	for n := gained + 2; n >= 1; n-- { // newest first, as feeds list them
		it := day(n, fmt.Sprintf("Item %d", n))
		it.date = t0.Add(time.Duration(n) * time.Minute)
		items = append(items, it)
		keys = append(keys, it.guid)
	}
	srv.set(rss(items...))
	if n := poll(t, p, srv.URL); n != 10 {
		t.Fatalf("a poll that gained %d items published %d; want 10", gained, n)
	}
	var want []string
	for n := gained - 7; n <= gained+2; n++ {
		want = append(want, fmt.Sprintf("Item %d", n))
	}
	if got := pub.titles(); !reflect.DeepEqual(got, want) {
		t.Errorf("published %q; want the newest ten, oldest first: %q", got, want)
	}
	log := logs.String()
	if !strings.Contains(log, "level=WARN") || !strings.Contains(log, "feed="+srv.URL) ||
		!strings.Contains(log, "new=5000") || !strings.Contains(log, "skipped=4990") {
		t.Errorf("no warning naming the feed and the count:\n%s", log)
	}
	if unseen, err := st.Unseen(ctx, srv.URL, keys); err != nil || len(unseen) != 0 {
		t.Errorf("%d items left unseen (%v); want every one marked", len(unseen), err)
	}
	// The feed changes (so no 304): nothing of the skipped ones follows.
	srv.set(rss(items[:len(items)-1]...))
	if n := poll(t, p, srv.URL); n != 0 || pub.calls != 10 {
		t.Errorf("the next poll published %d (%d calls); want 0", n, pub.calls)
	}

	// The cap is configurable, and items that are not articles do not use it.
	p.MaxNew = 2
	bad := day(gained+3, "")
	srv.set(rss(append([]item{day(gained+6, "C"), bad, day(gained+5, "B"), day(gained+4, "A")}, items...)...))
	if n := poll(t, p, srv.URL); n != 2 || !reflect.DeepEqual(pub.titles()[10:], []string{"B", "C"}) {
		t.Errorf("MaxNew 2: published %d, %q; want B, C", n, pub.titles()[10:])
	}
}

// TestPollRewrite: a feed whose every item changes its GUID and link at
// once publishes nothing and marks it all seen; Backfill still publishes
// on purpose. A feed that had nothing before, and a one-item feed whose
// item is replaced, are news, not rewrites.
func TestPollRewrite(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	c := &clock{t: t0}
	p, pub := newPoller(st, c)
	var logs strings.Builder
	p.Log = slogTo(&logs)
	old := []item{day(3, "Three"), day(2, "Two"), day(1, "One")}
	srv := newFeedServer(t, rss(old...))
	poll(t, p, srv.URL)

	moved := make([]item, len(old))
	for i, it := range old {
		it.guid = strings.Replace(it.guid, "urn:post:", "tag:new.example,2025:", 1)
		it.link = strings.Replace(it.link, "blog.example", "new.example", 1)
		moved[i] = it
	}
	srv.set(rss(moved...))
	if n := poll(t, p, srv.URL); n != 0 || pub.calls != 0 {
		t.Fatalf("a rewritten feed published %d (%d calls); want 0", n, pub.calls)
	}
	if log := logs.String(); !strings.Contains(log, "level=WARN") || !strings.Contains(log, "feed rewritten") || !strings.Contains(log, "items=3") {
		t.Errorf("no warning about the rewrite:\n%s", log)
	}
	// All marked seen: a later item is news again, and only it goes out.
	srv.set(rss(append([]item{{guid: "tag:new.example,2025:4", title: "Four", link: "https://new.example/posts/4", date: day(4, "").date}}, moved...)...))
	if n := poll(t, p, srv.URL); n != 1 || !reflect.DeepEqual(pub.titles(), []string{"Four"}) {
		t.Errorf("after the rewrite: published %d, %q; want [Four]", n, pub.titles())
	}
	if n, err := p.Backfill(ctx, srv.URL, 2); err != nil || n != 1 || !reflect.DeepEqual(pub.titles(), []string{"Four", "Three"}) {
		t.Errorf("Backfill after the rewrite: %d, %v, %q; want Three", n, err, pub.titles())
	}

	// A feed empty at its first poll: its first items are published.
	empty := newFeedServer(t, rss())
	poll(t, p, empty.URL)
	empty.set(rss(day(6, "Six"), day(5, "Five")))
	if n := poll(t, p, empty.URL); n != 2 {
		t.Errorf("a feed that had no items published %d of its first two; want 2", n)
	}
	// A one-item feed whose item is replaced.
	single := newFeedServer(t, rss(day(7, "Seven")))
	poll(t, p, single.URL)
	single.set(rss(day(8, "Eight")))
	if n := poll(t, p, single.URL); n != 1 {
		t.Errorf("a one-item feed's new item: published %d; want 1", n)
	}
}

// TestItemKeyStorable: a GUID PostgreSQL could not store as text (a NUL,
// invalid UTF-8, control characters) is kept as its hash, like a long one,
// so such a feed does not fail on every poll. FuzzFeedItems found the NUL.
func TestItemKeyStorable(t *testing.T) {
	for _, guid := range []string{"a\x00b", "\xff\xfe", "tab\there", strings.Repeat("k", 600)} {
		if k := feeds.ItemKey(&gofeed.Item{GUID: guid}); !strings.HasPrefix(k, "sha256:") || len(k) != len("sha256:")+64 {
			t.Errorf("ItemKey(%q) = %q, want its hash", guid, k)
		}
	}
	if k := feeds.ItemKey(&gofeed.Item{GUID: " urn:post:1 "}); k != "urn:post:1" {
		t.Errorf("ItemKey of a plain GUID = %q", k)
	}
}
