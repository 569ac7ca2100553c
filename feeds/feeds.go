// Package feeds polls RSS 2.0, Atom and JSON Feed feeds and publishes each
// new item once as an article.
//
// A feed's first poll only records the items already there, so adding a
// feed does not flood subscribers with its archive; Backfill publishes some
// of them on purpose. After that, an item is new when neither its key (GUID,
// else link) nor its canonical link has been seen for that feed: a reordered
// feed, an edited item (same GUID) and an old item republished under a new
// GUID (same link) publish nothing.
//
// A poll publishes at most MaxNew items (the newest), and nothing of a
// feed whose every item is new at once while it had items before: that is
// a rewrite (a new GUID scheme, a domain move), not news. Either way the
// items left out are marked seen and a warning logged; Backfill publishes
// some of them on purpose.
//
// The schedule (one poll per feed per interval, unique across processes) is
// the caller's; Poll is one fetch of one feed.
package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"

	"syndicate"
	"syndicate/feeds/feedstate"
	"syndicate/fetch"
)

// Store keeps each feed's state and the items already seen.
//
// Seen-ness is read with Unseen before publishing and written with MarkSeen
// after, never the other way round: see Poller.Poll for why.
type Store interface {
	// FeedState returns the state of the feed at url: a State with
	// Initialized false when the feed has never been polled.
	FeedState(ctx context.Context, url string) (State, error)
	// SaveFeedState stores s, replacing the state of s.URL.
	SaveFeedState(ctx context.Context, s State) error
	// MarkSeen records keys as seen for feedURL and returns those that were
	// not seen before, in the order given. It is atomic: of two processes
	// marking the same key, only one gets it back.
	MarkSeen(ctx context.Context, feedURL string, keys []string) ([]string, error)
	// Unseen returns the keys not yet seen for feedURL, in the order given,
	// and records nothing.
	Unseen(ctx context.Context, feedURL string, keys []string) ([]string, error)
	// HasSeen reports whether any key has been seen for feedURL.
	HasSeen(ctx context.Context, feedURL string) (bool, error)
}

// Fetcher gets a URL; *fetch.Client is one. Feed URLs and everything
// found in feeds are chosen by others: it must refuse internal addresses
// and bound time, size and redirects.
type Fetcher interface {
	Get(ctx context.Context, rawURL string, header http.Header) (*fetch.Response, error)
}

// State is what the poller remembers about one feed between polls.
type State = feedstate.State

// Publisher publishes one article. It must be idempotent by article ID:
// publishing an article already published does nothing and returns created
// false. The poller relies on that to publish before it records an item as
// seen.
type Publisher interface {
	Publish(ctx context.Context, a syndicate.Article) (created bool, err error)
}

// ErrBackoff is returned (wrapped) by Poll when the feed failed recently and
// its next try is not due yet. Nothing was fetched; it is not a new failure.
var ErrBackoff = errors.New("feed is backing off after a failure")

// Defaults for the zero values of Poller's fields.
const (
	DefaultMaxBytes = 5 << 20
	DefaultMaxNew   = 10
)

// Backoff after consecutive failures: 1m, 2m, 4m … capped at 6h.
const (
	backoffBase = time.Minute
	backoffMax  = 6 * time.Hour
)

// maxErrorLen bounds the error message kept in the state: a hostile server
// chooses part of it (its status text).
const maxErrorLen = 500

// Poller fetches feeds and publishes their new items. Its fields are set
// once; it is safe for concurrent use on different feeds, and on the same
// feed from several processes (see Poll).
type Poller struct {
	Store     Store
	Publisher Publisher
	// Fetcher fetches the feeds. The program passes its one guarded
	// fetch.Client; nil means a fetch.Client that refuses every internal
	// address.
	Fetcher Fetcher
	// MaxBytes is the largest feed body read; a longer one is a failure.
	// Zero means DefaultMaxBytes (5 MB).
	MaxBytes int64
	// MaxNew is the most items one poll of one feed publishes: the newest
	// are published and the others marked seen, with a warning, so a feed
	// that gains thousands of items at once cannot send thousands of
	// emails. Zero means DefaultMaxNew (10).
	MaxNew int
	// Log receives a line per item published or skipped and per failure;
	// nil discards them.
	Log *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Poll fetches url once and publishes each item not seen before, oldest
// first: at most MaxNew of them, and none of a rewritten feed (see the
// package comment). It returns how many articles were created.
//
// The request is conditional (If-None-Match / If-Modified-Since from the
// last complete poll); 304 means nothing new. On the first poll of a feed
// the items found are only marked seen, and Poll returns 0.
//
// A failure (network, HTTP status 400 or above, a body that is too large or
// not a feed, the store or the publisher failing) is recorded in the state
// with an exponential backoff and returned. A call before the state's
// NextTry returns ErrBackoff without fetching.
//
// Each item is published first and marked seen after. Marking first would
// make the mark a claim that only one process wins, but a process that dies
// (or a publish that fails) between the claim and the publish would lose
// the item for good. Publishing first can only repeat work: a process that
// dies before marking publishes the item again on the next poll, and two
// processes polling one feed at once may both publish it; the Publisher is
// idempotent by article ID, so either way the article is stored and queued
// once. The schedule's Unique option makes that race rare in the first
// place. MarkSeen's answer after publishing tells which process recorded
// the item, which is only logged.
//
// The feed's validators are saved only when every new item was handled, so
// that a poll cut short by an error fetches the whole feed again next time
// instead of being answered 304 with items still unpublished.
func (p *Poller) Poll(ctx context.Context, url string) (published int, err error) {
	st, err := p.Store.FeedState(ctx, url)
	if err != nil {
		return 0, fmt.Errorf("poll feed %s: read state: %w", url, err)
	}
	st.URL = url
	now := p.now()
	if !st.NextTry.IsZero() && now.Before(st.NextTry) {
		return 0, fmt.Errorf("poll feed %s: %w until %s (%d failures)", url, ErrBackoff, st.NextTry.Format(time.RFC3339), st.Failures)
	}
	res, err := p.fetch(ctx, url, st.ETag, st.LastModified)
	if err != nil {
		return 0, p.fail(ctx, st, now, err)
	}
	if res.notModified {
		p.log().Debug("feed not modified", "feed", url)
		return 0, p.succeed(ctx, st, now)
	}
	entries := p.entries(url, res.feed)
	if !st.Initialized {
		err = p.initialize(ctx, url, entries)
	} else {
		published, err = p.publishNew(ctx, url, res.feed, entries, now)
	}
	if err != nil {
		return published, p.fail(ctx, st, now, err)
	}
	st.Initialized = true
	st.ETag, st.LastModified = res.etag, res.lastModified
	return published, p.succeed(ctx, st, now)
}

// Backfill publishes the newest n items of url now, oldest of them first,
// and marks them seen, whether or not they were seen before (the publisher
// absorbs any already published). On a feed never polled it also marks the
// other items seen and completes the first poll. It ignores any backoff: an
// editor asked for it. It returns how many articles were created.
//
// On a feed already polled, the state is left alone: saving this response's
// validators could hide new items that are not among the n from the next
// poll.
func (p *Poller) Backfill(ctx context.Context, url string, n int) (published int, err error) {
	if n < 0 {
		return 0, syndicate.Errorf(syndicate.EINVALID, "backfill of %s: item count %d is negative", url, n)
	}
	st, err := p.Store.FeedState(ctx, url)
	if err != nil {
		return 0, fmt.Errorf("backfill feed %s: read state: %w", url, err)
	}
	st.URL = url
	now := p.now()
	// Unconditional: a 304 would leave nothing to backfill.
	res, err := p.fetch(ctx, url, "", "")
	if err != nil {
		return 0, fmt.Errorf("backfill feed %s: %w", url, err)
	}
	entries := p.entries(url, res.feed)
	sortOldestFirst(entries)
	var picked []entry
	for i := len(entries) - 1; i >= 0 && len(picked) < n; i-- {
		a, err := itemArticle(res.feed, entries[i].item, now)
		if err != nil {
			p.log().Warn("feed item skipped", "feed", url, "item", entries[i].key, "err", err)
			continue
		}
		entries[i].article = a
		picked = append(picked, entries[i])
	}
	for i := len(picked) - 1; i >= 0; i-- {
		created, err := p.publish(ctx, url, picked[i])
		if created {
			published++
		}
		if err != nil {
			return published, fmt.Errorf("backfill feed %s: %w", url, err)
		}
	}
	if st.Initialized {
		return published, nil
	}
	// Only now the rest: if the process dies before this point, the next
	// poll is still a first poll and marks them itself.
	if err := p.initialize(ctx, url, entries); err != nil {
		return published, fmt.Errorf("backfill feed %s: %w", url, err)
	}
	st.Initialized = true
	st.ETag, st.LastModified = res.etag, res.lastModified
	if err := p.succeed(ctx, st, now); err != nil {
		return published, fmt.Errorf("backfill feed %s: %w", url, err)
	}
	return published, nil
}

// entry is one item of a fetched feed with its identity.
type entry struct {
	item  *gofeed.Item
	index int // position in the feed, for ordering items without dates
	key   string
	// keys are what the item is known by: its key and, if different, its
	// canonical link, so an old item republished under a new GUID is
	// recognised even if it was never published (only marked seen on the
	// first poll).
	keys    []string
	article syndicate.Article // set once the item is known to be publishable
}

// entries resolves the items' links against the feed, computes their keys
// and drops repeated keys (the first occurrence wins) and items with no
// identity at all.
func (p *Poller) entries(url string, feed *gofeed.Feed) []entry {
	base := feedBase(feed, url)
	seen := make(map[string]bool)
	var out []entry
	for i, it := range feed.Items {
		if it == nil {
			continue
		}
		it.Link = resolveLink(base, it)
		key := ItemKey(it)
		if key == "" {
			p.log().Warn("feed item skipped: no GUID and no link", "feed", url, "title", plainLine(it.Title))
			continue
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		keys := []string{key}
		if canon, err := syndicate.CanonicalURL(it.Link); err == nil && canon != key {
			keys = append(keys, canon)
		}
		out = append(out, entry{item: it, index: i, key: key, keys: keys})
	}
	return out
}

// initialize marks every entry seen without publishing anything.
func (p *Poller) initialize(ctx context.Context, url string, entries []entry) error {
	var keys []string
	for _, e := range entries {
		keys = append(keys, e.keys...)
	}
	if _, err := p.Store.MarkSeen(ctx, url, keys); err != nil {
		return fmt.Errorf("mark items seen: %w", err)
	}
	p.log().Info("feed initialized: items already there marked seen, none published", "feed", url, "items", len(entries))
	return nil
}

// publishNew publishes, oldest first, the entries none of whose keys has
// been seen: at most MaxNew of them, the newest, and none if the feed was
// rewritten.
func (p *Poller) publishNew(ctx context.Context, url string, feed *gofeed.Feed, entries []entry, now time.Time) (int, error) {
	var all []string
	for _, e := range entries {
		all = append(all, e.keys...)
	}
	unseenList, err := p.Store.Unseen(ctx, url, all)
	if err != nil {
		return 0, fmt.Errorf("read seen items: %w", err)
	}
	unseen := make(map[string]bool, len(unseenList))
	for _, k := range unseenList {
		unseen[k] = true
	}
	var fresh []entry
	var quiet []string // unseen keys of items known by another key
	for _, e := range entries {
		n := 0
		for _, k := range e.keys {
			if unseen[k] {
				n++
			}
		}
		switch n {
		case 0:
		case len(e.keys):
			fresh = append(fresh, e)
		default:
			// A known item under a new key: an old link republished
			// under a new GUID, or an item whose link was edited.
			// Remember the new key too so it is not looked at again.
			for _, k := range e.keys {
				if unseen[k] {
					quiet = append(quiet, k)
				}
			}
			p.log().Info("feed item already seen under another GUID or link; not published again", "feed", url, "item", e.key)
		}
	}
	if rewritten, err := p.rewritten(ctx, url, entries, fresh); err != nil || rewritten {
		return 0, err
	}
	if len(quiet) > 0 {
		if _, err := p.Store.MarkSeen(ctx, url, quiet); err != nil {
			return 0, fmt.Errorf("mark items seen: %w", err)
		}
	}
	sortOldestFirst(fresh)
	// Items that cannot be articles are marked seen so that each is
	// logged once, not on every poll; like any edit, fixing one later
	// does not publish it. They do not count against the cap.
	var good []entry
	var bad []string
	for _, e := range fresh {
		a, err := itemArticle(feed, e.item, now)
		if err != nil {
			p.log().Warn("feed item skipped", "feed", url, "item", e.key, "err", err)
			bad = append(bad, e.keys...)
			continue
		}
		e.article = a
		good = append(good, e)
	}
	if max := p.maxNew(); len(good) > max {
		over := good[:len(good)-max]
		good = good[len(good)-max:]
		for _, e := range over {
			bad = append(bad, e.keys...)
		}
		p.log().Warn("feed has more new items than one poll publishes: the newest are published, the older ones only marked seen",
			"feed", url, "new", len(over)+max, "published", max, "skipped", len(over))
	}
	// Before publishing: a poll cut short after publishing must not leave
	// the items over the cap for the next poll to publish.
	if len(bad) > 0 {
		if _, err := p.Store.MarkSeen(ctx, url, bad); err != nil {
			return 0, fmt.Errorf("mark items seen: %w", err)
		}
	}
	published := 0
	for _, e := range good {
		created, err := p.publish(ctx, url, e)
		if created {
			published++
		}
		if err != nil {
			return published, err
		}
	}
	return published, nil
}

// rewritten reports whether the feed was rewritten, and if so marks every
// item seen: every entry is new (fresh is all of entries, two or more)
// while the feed had items seen before. One new item in a one-item feed is
// news, not a rewrite.
func (p *Poller) rewritten(ctx context.Context, url string, entries, fresh []entry) (bool, error) {
	if len(fresh) < 2 || len(fresh) != len(entries) {
		return false, nil
	}
	had, err := p.Store.HasSeen(ctx, url)
	if err != nil {
		return false, fmt.Errorf("read seen items: %w", err)
	}
	if !had {
		return false, nil
	}
	var keys []string
	for _, e := range fresh {
		keys = append(keys, e.keys...)
	}
	if _, err := p.Store.MarkSeen(ctx, url, keys); err != nil {
		return false, fmt.Errorf("mark items seen: %w", err)
	}
	p.log().Warn("feed rewritten: every item changed its GUID and link at once; none published, all marked seen (feeds backfill publishes some on purpose)",
		"feed", url, "items", len(fresh))
	return true, nil
}

// publish publishes e.article, then marks e seen (see Poll for the order).
// created reports the article was created even when marking then fails.
// An article the publisher refuses as invalid is logged and marked seen:
// trying again would not help.
func (p *Poller) publish(ctx context.Context, url string, e entry) (bool, error) {
	created, err := p.Publisher.Publish(ctx, e.article)
	if err != nil {
		if syndicate.ErrorCode(err) != syndicate.EINVALID {
			return false, fmt.Errorf("publish item %s as %s: %w", e.key, e.article.URL, err)
		}
		p.log().Warn("feed item refused by the publisher", "feed", url, "item", e.key, "url", e.article.URL, "err", err)
		created = false
	}
	first, err := p.Store.MarkSeen(ctx, url, e.keys)
	if err != nil {
		return created, fmt.Errorf("mark item %s seen: %w", e.key, err)
	}
	switch {
	case created:
		p.log().Info("feed item published", "feed", url, "item", e.key, "article", e.article.ID, "url", e.article.URL)
	case len(first) == 0:
		p.log().Debug("feed item already recorded by another poller", "feed", url, "item", e.key)
	default:
		p.log().Info("feed item was already an article", "feed", url, "item", e.key, "article", e.article.ID)
	}
	return created, nil
}

// succeed records a successful poll in st and saves it.
func (p *Poller) succeed(ctx context.Context, st State, now time.Time) error {
	st.Failures, st.NextTry, st.LastError, st.LastPolled = 0, time.Time{}, "", now
	if err := p.Store.SaveFeedState(ctx, st); err != nil {
		return fmt.Errorf("poll feed %s: save state: %w", st.URL, err)
	}
	return nil
}

// fail records cause in st with the next backoff, saves it and returns the
// error for Poll. A cancelled context is the program stopping, not the
// feed failing, and is not recorded.
func (p *Poller) fail(ctx context.Context, st State, now time.Time, cause error) error {
	err := fmt.Errorf("poll feed %s: %w", st.URL, cause)
	if ctx.Err() != nil {
		return err
	}
	st.Failures++
	st.NextTry = now.Add(backoff(st.Failures))
	st.LastError = clipBytes(cause.Error(), maxErrorLen)
	st.LastPolled = now
	p.log().Warn("feed poll failed", "feed", st.URL, "failures", st.Failures, "next_try", st.NextTry, "err", cause)
	if serr := p.Store.SaveFeedState(ctx, st); serr != nil {
		return errors.Join(err, fmt.Errorf("poll feed %s: save state: %w", st.URL, serr))
	}
	return err
}

// backoff is the wait after the given number of consecutive failures.
func backoff(failures int) time.Duration {
	d := backoffBase
	for i := 1; i < failures && d < backoffMax; i++ {
		d *= 2
	}
	return min(d, backoffMax)
}

// fetched is the outcome of one successful request.
type fetched struct {
	notModified        bool
	feed               *gofeed.Feed
	etag, lastModified string
}

// accept lists the feed formats, preferred first, then anything: some
// servers send feeds as text/html.
const accept = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"

// fetch GETs url through the Fetcher, conditionally when etag or
// lastModified is set, and parses the body.
func (p *Poller) fetch(ctx context.Context, url, etag, lastModified string) (fetched, error) {
	h := http.Header{"Accept": {accept}, "User-Agent": {"syndicate-feed-poller/1"}}
	if etag != "" {
		h.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		h.Set("If-Modified-Since", lastModified)
	}
	limit := p.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	f := p.Fetcher
	if f == nil {
		f = &fetch.Client{MaxBytes: limit}
	}
	resp, err := f.Get(ctx, url, h)
	if err != nil {
		return fetched{}, err // it names the URL and what went wrong
	}
	switch {
	case resp.Status == http.StatusNotModified:
		return fetched{notModified: true}, nil
	case resp.Status < 200 || resp.Status > 299:
		// The code, not the server's status text, which it chooses.
		return fetched{}, fmt.Errorf("fetch: server answered %d %s", resp.Status, http.StatusText(resp.Status))
	}
	if int64(len(resp.Body)) > limit {
		return fetched{}, fmt.Errorf("feed is larger than %d bytes", limit)
	}
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(resp.Body))
	if err != nil {
		return fetched{}, fmt.Errorf("parse feed: %w", err)
	}
	return fetched{feed: feed, etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}, nil
}

// sortOldestFirst orders entries by date, oldest first, when every one has
// a date; otherwise it reverses the feed's order, since feeds list the
// newest first. Equal dates also go by reversed feed order.
func sortOldestFirst(es []entry) {
	dated := true
	for _, e := range es {
		if itemDate(e.item) == nil {
			dated = false
			break
		}
	}
	sort.SliceStable(es, func(i, j int) bool {
		if dated {
			di, dj := itemDate(es[i].item), itemDate(es[j].item)
			if !di.Equal(*dj) {
				return di.Before(*dj)
			}
		}
		return es[i].index > es[j].index
	})
}

func (p *Poller) maxNew() int {
	if p.MaxNew > 0 {
		return p.MaxNew
	}
	return DefaultMaxNew
}

func (p *Poller) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

func (p *Poller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// plainLine is s as one line of plain text, for log lines.
func plainLine(s string) string {
	return strings.Join(strings.Fields(textOf(s)), " ")
}
