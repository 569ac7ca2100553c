package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"syndicate/channels/bluesky/blueskyfake"
)

// TestEndToEndIntakeImagesNotFetched: an article's image on 127.0.0.1
// arrives by every intake route (publish FILE front matter, the publish
// API, the Ghost and WordPress hooks, a web page's og:image, a feed item's
// media:thumbnail, image enclosure and media:content) and is never
// fetched: each Bluesky post goes out with its link card and no thumb, and
// the image server is never asked. allow_private is off. The fake APIs
// are on 127.0.0.1 too but are endpoints the operator configured, on
// their own clients; the feed and page servers are let through by
// allow_private_hosts, host and port, which does not cover the image
// server's port. A last publish with the image server's host allowed shows
// that the image was on its way to Bluesky all along.
func TestEndToEndIntakeImagesNotFetched(t *testing.T) {
	var hits atomic.Int32
	var pngBytes bytes.Buffer
	if err := png.Encode(&pngBytes, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	img := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/png")
		w.Write(pngBytes.Bytes())
	}))
	t.Cleanup(img.Close)
	secret := img.URL + "/internal-secret.png"

	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(strings.Replace(newsPage, `content="/img/tram.jpg"`, `content="`+secret+`"`, 1)))
	}))
	t.Cleanup(page.Close)
	fs := &feedServer{extra: map[string]string{
		"g-thumb":     `<media:thumbnail url="` + secret + `"/>`,
		"g-enclosure": `<enclosure url="` + secret + `" type="image/png" length="100"/>`,
		"g-content":   `<media:content url="` + secret + `" medium="image"/>`,
	}}
	fs.set(feedItem{"g-seed", "Seed Item", "https://gazette.example.com/seed"})
	feed := httptest.NewServer(fs)
	t.Cleanup(feed.Close)

	bf := blueskyfake.NewServer("news.example.com", "app-pass-1234")
	bs := httptest.NewServer(bf)
	t.Cleanup(bs.Close)
	bf.SetPDS(bs.URL)
	addr := freeAddr(t)
	hosts := strings.TrimPrefix(feed.URL, "http://") + "," + strings.TrimPrefix(page.URL, "http://")
	e := newE2E(t,
		"SYNDICATE_ALLOW_PRIVATE=false", "SYNDICATE_ALLOW_PRIVATE_HOSTS="+hosts,
		"SYNDICATE_HTTP_ADDR="+addr, "SYNDICATE_API_TOKEN=api-token-123",
		"SYNDICATE_GHOST_SECRET=ghost-secret-456", "SYNDICATE_WORDPRESS_SECRET=wp-secret-789",
		"SYNDICATE_BLUESKY_URL="+bs.URL, "SYNDICATE_BLUESKY_HANDLE=news.example.com", "SYNDICATE_BLUESKY_APP_PASSWORD=app-pass-1234")
	base, serve := e.startAPI(addr, "api,worker")

	// publish FILE, front matter.
	e.run("publish", e.write("file.md", "---\ntitle: File Route Story\nurl: https://news.example.com/file-route\nimage: "+secret+"\n---\nA body.\n"), "--wait")

	// The publish API.
	status, m := postJSON(t, base+"/v1/articles", "api-token-123", "application/json",
		[]byte(`{"title":"API Route Story","url":"https://news.example.com/api-route","summary":"S.","image":"`+secret+`"}`), nil)
	if status != 202 || m["created"] != true {
		t.Fatalf("publish API: %d %v", status, m)
	}

	// The Ghost hook.
	ghost := []byte(`{"post":{"current":{"id":"1","title":"Ghost Route Story","html":"<p>Body.</p>","feature_image":"` + secret + `","url":"https://news.example.com/ghost-route/","published_at":"2026-11-26T08:00:00.000Z","status":"published","visibility":"public"}}}`)
	status, m = postJSON(t, base+"/v1/hooks/ghost", "", "application/json", ghost, map[string]string{"X-Ghost-Signature": ghostSignature("ghost-secret-456", ghost)})
	if status != 202 || m["created"] != true {
		t.Fatalf("Ghost hook: %d %v", status, m)
	}

	// The WordPress hook, signed like the generic webhook.
	wp := []byte(`{"post":{"id":7,"title":"WordPress Route Story","link":"https://news.example.com/wp-route/","content":"<p>Body.</p>","status":"publish","featured_image":"` + secret + `"}}`)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte("wp-secret-789"))
	mac.Write([]byte(ts + "." + string(wp)))
	status, m = postJSON(t, base+"/v1/hooks/wordpress", "", "application/json", wp, map[string]string{
		"X-Syndicate-Timestamp": ts, "X-Syndicate-Signature": "sha256=" + hex.EncodeToString(mac.Sum(nil)),
	})
	if status != 202 || m["created"] != true {
		t.Fatalf("WordPress hook: %d %v", status, m)
	}

	// publish URL: the page is fetched (its host is allowed), its og:image not.
	e.run("publish", page.URL+"/tram")

	// A feed: the first poll only marks the seed seen, the second publishes
	// three items, each with its image in another element.
	feedURL := feed.URL + "/rss.xml"
	e.run("feeds", "poll", feedURL)
	fs.set(
		feedItem{"g-thumb", "Thumbnail Route Story", "https://gazette.example.com/thumb"},
		feedItem{"g-enclosure", "Enclosure Route Story", "https://gazette.example.com/enclosure"},
		feedItem{"g-content", "Media Content Route Story", "https://gazette.example.com/content"},
		feedItem{"g-seed", "Seed Item", "https://gazette.example.com/seed"},
	)
	if out := e.run("feeds", "poll", feedURL); !strings.Contains(out, "published 3 new items") {
		t.Fatalf("feed poll said %q", out)
	}

	const routes = 8
	waitFor(t, "a Bluesky post per route", func() bool { return len(bf.Records()) == routes })
	for _, r := range bf.Records() {
		if r.Embed == nil || r.Embed.URI == "" {
			t.Errorf("post %q has no link card", r.Text)
		} else if r.Embed.Thumb != nil {
			t.Errorf("post %q has a thumb: the internal image was uploaded", r.Text)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the internal image server was asked %d times", n)
	}

	// Control: with the image server's host allowed, the same kind of
	// article gets its thumb, so the image did reach the Bluesky channel.
	if err := serve.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	serve.Wait()
	e.env = append(e.env, "SYNDICATE_ALLOW_PRIVATE_HOSTS="+hosts+","+strings.TrimPrefix(img.URL, "http://"))
	e.start("worker")
	e.run("publish", e.write("control.md", "---\ntitle: Control Story\nurl: https://news.example.com/control\nimage: "+secret+"\n---\nA body.\n"), "--wait")
	recs := bf.Records()
	if len(recs) != routes+1 || recs[routes].Embed == nil || recs[routes].Embed.Thumb == nil || hits.Load() == 0 {
		raw, _ := json.Marshal(recs[len(recs)-1])
		t.Errorf("control: %d records, image asked %d times, last %s; want a thumb", len(recs), hits.Load(), raw)
	}
}
