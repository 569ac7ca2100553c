package bluesky_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"syndicate"
	"syndicate/channels/bluesky"
	"syndicate/channels/bluesky/blueskyfake"
	"syndicate/fetch"
	"syndicate/summary"
)

const (
	handle      = "newsroom.example.com"
	appPassword = "abcd-efgh-ijkl-mnop"
)

var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newFake(t *testing.T) (*blueskyfake.Server, *httptest.Server) {
	t.Helper()
	fake := blueskyfake.NewServer(handle, appPassword)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv
}

func newClient(t *testing.T, url string, edit func(*bluesky.Config)) *bluesky.Client {
	t.Helper()
	cfg := bluesky.Config{
		URL:         url,
		Handle:      handle,
		AppPassword: appPassword,
		Timeout:     5 * time.Second,
		Now:         func() time.Time { return fixedNow },
		// The image servers of these tests are on 127.0.0.1; the guard
		// itself is TestPostCardImageInternalRefused's.
		Images: &fetch.Client{AllowPrivate: true},
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := bluesky.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func post(articleID, text string) syndicate.Post {
	return syndicate.Post{ArticleID: articleID, Channel: syndicate.ChannelBluesky, Text: text}
}

// wantSendError fails the test unless err is a *syndicate.SendError with
// the outcome and a message containing reason.
func wantSendError(t *testing.T, err error, outcome syndicate.Outcome, reason string) {
	t.Helper()
	var se *syndicate.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a SendError", err, err)
	}
	if se.Outcome != outcome {
		t.Errorf("outcome %s, want %s (error: %v)", se.Outcome, outcome, err)
	}
	if !strings.Contains(err.Error(), reason) {
		t.Errorf("error %q does not say %q", err, reason)
	}
}

func onlyRecord(t *testing.T, fake *blueskyfake.Server) blueskyfake.Record {
	t.Helper()
	recs := fake.Records()
	if len(recs) != 1 {
		t.Fatalf("fake has %d records, want 1", len(recs))
	}
	return recs[0]
}

func TestPostLinkFacetByteOffsets(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	const link = "https://example.com/é?x=1"
	text := "Café 🎉 news " + link
	p := post("a_0000000000000001", text)
	p.Link = link
	uri, err := c.Post(context.Background(), p)
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	rec := onlyRecord(t, fake)
	if want := "at://" + fake.DID() + "/app.bsky.feed.post/" + bluesky.RecordKey(p.ArticleID); uri != want || rec.URI != want {
		t.Errorf("URI %q (fake has %q), want %q", uri, rec.URI, want)
	}
	if rec.Text != text {
		t.Errorf("text %q, want %q", rec.Text, text)
	}
	// "Café " is 6 bytes, "🎉" 4 and " news " 6; the link is 26 bytes
	// with its two-byte é. Counted in runes the start would be 12.
	want := []blueskyfake.Facet{{ByteStart: 16, ByteEnd: 42, URI: link}}
	if fmt.Sprint(rec.Facets) != fmt.Sprint(want) {
		t.Errorf("facets %+v, want %+v", rec.Facets, want)
	}
	if rec.CreatedAt != "2026-03-01T12:00:00.000Z" {
		t.Errorf("createdAt %q, want RFC 3339 UTC with milliseconds", rec.CreatedAt)
	}
}

func TestPostFacetsEveryLink(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	// The article link is on a domain the URL finder does not know, and
	// also appears as the start of a longer URL, which must not be cut
	// short into a link to the article.
	const link = "https://news.test/story?utm_source=bsky"
	text := "Ça va? (https://a.example.com/x). Also http://b.org/y, see " + link + " or " + link + "/comments and " + link + "."
	p := post("a_0000000000000002", text)
	p.Link = link
	if _, err := c.Post(context.Background(), p); err != nil {
		t.Fatalf("Post: %v", err)
	}
	var got []string
	for _, f := range onlyRecord(t, fake).Facets {
		got = append(got, text[f.ByteStart:f.ByteEnd])
	}
	want := []string{"https://a.example.com/x", "http://b.org/y", link, link}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("linked %q, want %q", got, want)
	}
}

// pngOf returns a PNG of side×side random pixels: about 4·side² bytes.
func pngOf(t *testing.T, side int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, side, side))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32()) // noise, so the PNG does not compress away
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func imageServer(t *testing.T, handler http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return srv.URL
}

func cardPost(articleID, imageURL string) syndicate.Post {
	const link = "https://example.com/news/comet"
	p := post(articleID, "A comet is coming "+link)
	p.Link = link
	p.Article = syndicate.Article{
		Title:   "Comet sighted over Metropolis",
		Summary: strings.Repeat("Astronomers say the comet will be visible for a week. ", 20),
		URL:     link,
		Image:   imageURL,
	}
	return p
}

func TestPostCardWithThumb(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	img := pngOf(t, 40)
	imgURL := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		if _, err := w.Write(img); err != nil {
			t.Errorf("serve image: %v", err)
		}
	}) + "/comet.png"
	if _, err := c.Post(context.Background(), cardPost("a_0000000000000003", imgURL)); err != nil {
		t.Fatalf("Post: %v", err)
	}
	e := onlyRecord(t, fake).Embed
	if e == nil {
		t.Fatal("post has no link card")
	}
	if e.URI != "https://example.com/news/comet" || e.Title != "Comet sighted over Metropolis" {
		t.Errorf("card %q %q", e.URI, e.Title)
	}
	if n := len([]rune(e.Description)); n > 300 || !strings.HasSuffix(e.Description, "…") || !strings.HasPrefix(e.Description, "Astronomers say") {
		t.Errorf("description (%d runes) not clipped to 300 with an ellipsis: %q", n, e.Description)
	}
	if e.Thumb == nil {
		t.Fatal("card has no thumb")
	}
	if e.Thumb.MimeType != "image/png" || e.Thumb.Size != int64(len(img)) || !strings.HasPrefix(e.Thumb.CID, "bafkrei") {
		t.Errorf("thumb %+v, want an image/png blob of %d bytes", *e.Thumb, len(img))
	}
}

func TestPostCardImageSkipped(t *testing.T) {
	big := pngOf(t, 100)
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		if err := ln.Close(); err != nil {
			t.Fatal(err)
		}
		return "http://" + addr + "/x.png"
	}()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		url     string
	}{
		{"too big", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			if _, err := w.Write(big); err != nil {
				t.Logf("serve image: %v", err) // the client hangs up early
			}
		}, ""},
		{"too big, no length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			for i := 0; i < len(big); i += 1000 {
				if _, err := w.Write(big[i:min(i+1000, len(big))]); err != nil {
					return // the client hangs up early
				}
				w.(http.Flusher).Flush()
			}
		}, ""},
		{"not an image", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			if _, err := w.Write([]byte("<html>not an image</html>")); err != nil {
				t.Errorf("serve page: %v", err)
			}
		}, ""},
		{"not found", http.NotFound, ""},
		{"unreachable", nil, closed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := newFake(t)
			c := newClient(t, srv.URL, func(c *bluesky.Config) { c.MaxImageBytes = 5000 })
			u := tc.url
			if u == "" {
				u = imageServer(t, tc.handler) + "/comet.png"
			}
			if _, err := c.Post(context.Background(), cardPost("a_0000000000000004", u)); err != nil {
				t.Fatalf("Post: %v", err)
			}
			e := onlyRecord(t, fake).Embed
			if e == nil || e.URI == "" {
				t.Fatal("post lost its link card")
			}
			if e.Thumb != nil {
				t.Errorf("card has a thumb %+v", *e.Thumb)
			}
		})
	}
}

// TestPostCardImageInternalRefused: an article's image on an internal
// address is never fetched, whether Images is left nil or is a guarded
// client; the post goes out with its card and no thumb.
func TestPostCardImageInternalRefused(t *testing.T) {
	var hits atomic.Int32
	secret := imageServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "image/png")
		if _, err := w.Write(pngOf(t, 10)); err != nil {
			t.Errorf("serve image: %v", err)
		}
	}) + "/internal-secret.png"
	for _, tc := range []struct {
		name   string
		images bluesky.Fetcher
	}{{"nil", nil}, {"guarded", &fetch.Client{}}} {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := newFake(t)
			c := newClient(t, srv.URL, func(c *bluesky.Config) { c.Images = tc.images })
			if _, err := c.Post(context.Background(), cardPost("a_0000000000000009", secret)); err != nil {
				t.Fatalf("Post: %v", err)
			}
			e := onlyRecord(t, fake).Embed
			if e == nil || e.URI == "" {
				t.Fatal("post lost its link card")
			}
			if e.Thumb != nil {
				t.Errorf("card has a thumb %+v: the internal image was uploaded", *e.Thumb)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the internal image server was asked %d times", n)
	}
}

func TestOneLoginForManyConcurrentPosts(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := c.Post(context.Background(), post(fmt.Sprintf("a_%016d", i), fmt.Sprintf("post %d", i)))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Post: %v", err)
		}
	}
	if got := len(fake.Records()); got != n {
		t.Errorf("%d records, want %d", got, n)
	}
	if got := fake.Logins(); got != 1 {
		t.Errorf("%d logins for %d posts, want 1", got, n)
	}
}

func TestExpiredSessionIsRefreshed(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	if _, err := c.Post(context.Background(), post("a_0000000000000010", "first")); err != nil {
		t.Fatalf("first Post: %v", err)
	}
	fake.ExpireSessions()
	// Concurrent posts all meet the expired token; one refresh serves them.
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			if _, err := c.Post(context.Background(), post(fmt.Sprintf("a_%016d", 20+i), fmt.Sprintf("after expiry %d", i))); err != nil {
				t.Errorf("Post after expiry: %v", err)
			}
		})
	}
	wg.Wait()
	if got := len(fake.Records()); got != 6 {
		t.Errorf("%d records, want 6", got)
	}
	if fake.Refreshes() != 1 || fake.Logins() != 1 {
		t.Errorf("%d refreshes and %d logins, want 1 and 1", fake.Refreshes(), fake.Logins())
	}
	// The refresh token rotates: a second expiry needs the new one.
	fake.ExpireSessions()
	if err := c.Check(context.Background()); err != nil {
		t.Fatalf("Check after second expiry: %v", err)
	}
	if fake.Refreshes() != 2 || fake.Logins() != 1 {
		t.Errorf("%d refreshes and %d logins, want 2 and 1", fake.Refreshes(), fake.Logins())
	}
}

func TestRevokedSessionLogsInAgain(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	if err := c.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	fake.RevokeSessions()
	if _, err := c.Post(context.Background(), post("a_0000000000000030", "after revocation")); err != nil {
		t.Fatalf("Post: %v", err)
	}
	if fake.Refreshes() != 1 || fake.Logins() != 2 {
		t.Errorf("%d refreshes and %d logins, want 1 and 2", fake.Refreshes(), fake.Logins())
	}
}

func TestRefreshFailingTemporarilyDoesNotLogIn(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	if err := c.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	fake.FailNext(http.StatusBadRequest, `{"error":"ExpiredToken","message":"Token has expired"}`, nil) // createRecord
	fake.FailNext(http.StatusBadGateway, "bad gateway", nil)                                            // refreshSession
	_, err := c.Post(context.Background(), post("a_0000000000000041", "two"))
	wantSendError(t, err, syndicate.Temporary, "bad gateway")
	if fake.Refreshes() != 1 || fake.Logins() != 1 {
		t.Errorf("%d refreshes and %d logins, want 1 and 1: a refresh that failed for want of a server must not spend a login",
			fake.Refreshes(), fake.Logins())
	}
}

func TestPostRateLimited(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"reset ahead", map[string]string{"ratelimit-reset": strconv.FormatInt(fixedNow.Add(90*time.Second).Unix(), 10)}, 90 * time.Second},
		{"reset past", map[string]string{"ratelimit-reset": strconv.FormatInt(fixedNow.Add(-time.Minute).Unix(), 10)}, time.Second},
		{"no header", nil, 5 * time.Minute},
		{"garbage header", map[string]string{"ratelimit-reset": "soon"}, 5 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := newFake(t)
			c := newClient(t, srv.URL, nil)
			if err := c.Check(context.Background()); err != nil {
				t.Fatalf("Check: %v", err)
			}
			fake.FailNext(http.StatusTooManyRequests, `{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}`, tc.header)
			_, err := c.Post(context.Background(), post("a_0000000000000050", "hello"))
			var rl *syndicate.RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("error %v is not a RateLimitError", err)
			}
			if rl.RetryAfter != tc.want {
				t.Errorf("RetryAfter %s, want %s", rl.RetryAfter, tc.want)
			}
			if !strings.Contains(rl.Message, "Rate Limit Exceeded") {
				t.Errorf("Message %q does not carry the server's", rl.Message)
			}
			if len(fake.Records()) != 0 {
				t.Error("a rate-limited post was recorded")
			}
		})
	}
}

func TestLoginRateLimited(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	fake.FailNext(http.StatusTooManyRequests, `{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}`,
		map[string]string{"ratelimit-reset": strconv.FormatInt(fixedNow.Add(time.Hour).Unix(), 10)})
	_, err := c.Post(context.Background(), post("a_0000000000000051", "hello"))
	var rl *syndicate.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Hour {
		t.Fatalf("error %v, want a RateLimitError of 1h", err)
	}
}

func TestServerErrorAfterCreateThenRetryMakesOneRecord(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	p := post("a_0000000000000060", "posted once, whatever happens")
	fake.FailAfterCreate(http.StatusBadGateway)
	uri1, err := c.Post(context.Background(), p)
	if err != nil {
		t.Fatalf("Post answered 502 after creating: %v (want the existing post found)", err)
	}
	// The job layer retries anyway (say the worker died before recording
	// the result): the key is taken, and the post found again.
	uri2, err := c.Post(context.Background(), p)
	if err != nil {
		t.Fatalf("retried Post: %v", err)
	}
	rec := onlyRecord(t, fake)
	if uri1 != rec.URI || uri2 != rec.URI {
		t.Errorf("URIs %q and %q, want both %q", uri1, uri2, rec.URI)
	}
	if fake.Creates() != 2 {
		t.Errorf("%d createRecord calls, want 2", fake.Creates())
	}
}

func TestServerErrorBeforeCreateIsTemporary(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	if err := c.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	p := post("a_0000000000000061", "hello")
	fake.FailNext(http.StatusServiceUnavailable, `{"error":"InternalServerError","message":"upstream down"}`, nil)
	_, err := c.Post(context.Background(), p)
	wantSendError(t, err, syndicate.Temporary, "upstream down")
	if _, err := c.Post(context.Background(), p); err != nil {
		t.Fatalf("retried Post: %v", err)
	}
	onlyRecord(t, fake)
}

func TestPostRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		body    string
		outcome syndicate.Outcome
		reason  string
	}{
		{"invalid", 400, `{"error":"InvalidRequest","message":"Invalid app.bsky.feed.post record: bad"}`, syndicate.Permanent, "InvalidRequest: Invalid app.bsky.feed.post record: bad"},
		{"html 502", 502, `<html>Bad Gateway</html>`, syndicate.Temporary, "Bad Gateway"},
		{"empty 500", 500, ``, syndicate.Temporary, "Internal Server Error"},
		{"forbidden", 403, `{"error":"Forbidden"}`, syndicate.Permanent, "Forbidden"},
		{"long body", 400, strings.Repeat("é", 1<<20), syndicate.Permanent, "é"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake, srv := newFake(t)
			c := newClient(t, srv.URL, nil)
			if err := c.Check(context.Background()); err != nil {
				t.Fatalf("Check: %v", err)
			}
			fake.FailNext(tc.status, tc.body, nil)
			_, err := c.Post(context.Background(), post("a_0000000000000070", "hello"))
			wantSendError(t, err, tc.outcome, tc.reason)
			if len(err.Error()) > 1000 {
				t.Errorf("error message is %d bytes long", len(err.Error()))
			}
		})
	}
}

func TestBadPasswordIsAuthFailed(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, func(c *bluesky.Config) { c.AppPassword = "wrong-wrong-wrong-wrong" })
	wantSendError(t, c.Check(context.Background()), syndicate.AuthFailed, "Invalid identifier or password")
	_, err := c.Post(context.Background(), post("a_0000000000000080", "hello"))
	wantSendError(t, err, syndicate.AuthFailed, "Invalid identifier or password")
	if len(fake.Records()) != 0 {
		t.Error("a post was recorded with a wrong password")
	}
}

func TestTextTooLongIsPermanent(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	for _, tc := range []struct {
		name, text, reason string
	}{
		{"301 graphemes", strings.Repeat("é", 301), "301 characters"},
		// 300 family emoji are 300 graphemes but 7,500 bytes.
		{"over 3000 bytes", strings.Repeat("👨‍👩‍👧‍👦", 300), "7500 bytes"},
		{"empty", " \n", "empty"},
		{"invalid UTF-8", "caf\xe9", "UTF-8"},
	} {
		_, err := c.Post(context.Background(), post("a_0000000000000090", tc.text))
		wantSendError(t, err, syndicate.Permanent, tc.reason)
	}
	// Exactly at the limit passes.
	if _, err := c.Post(context.Background(), post("a_0000000000000091", strings.Repeat("🎉", 300))); err != nil {
		t.Errorf("300 graphemes in 1200 bytes refused: %v", err)
	}
	if fake.Creates() != 1 {
		t.Errorf("%d createRecord calls, want only the one within limits", fake.Creates())
	}
}

func TestRepositoryCallsGoToThePDS(t *testing.T) {
	fake := blueskyfake.NewServer(handle, appPassword)
	entryway := httptest.NewServer(fake)
	t.Cleanup(entryway.Close)
	pds := httptest.NewServer(fake)
	t.Cleanup(pds.Close)
	fake.SetPDS(pds.URL)

	c := newClient(t, entryway.URL, nil)
	p := cardPost("a_0000000000000100", "")
	if _, err := c.Post(context.Background(), p); err != nil {
		t.Fatalf("Post: %v", err)
	}
	fake.ExpireSessions()
	if err := c.Check(context.Background()); err != nil {
		t.Fatalf("Check after expiry: %v", err)
	}
	onlyRecord(t, fake)
}

func TestClosedPortIsTemporary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, "http://"+addr, nil)
	_, err = c.Post(context.Background(), post("a_0000000000000110", "hello"))
	wantSendError(t, err, syndicate.Temporary, "createSession failed")
}

func TestTimeoutIsTemporary(t *testing.T) {
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-stop
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stop) }) // runs first: Close waits for the handler
	c := newClient(t, srv.URL, func(c *bluesky.Config) { c.Timeout = 100 * time.Millisecond })
	_, err := c.Post(context.Background(), post("a_0000000000000111", "hello"))
	wantSendError(t, err, syndicate.Temporary, "Timeout")
}

func TestCanceledWhileWaitingForLogin(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	fake := blueskyfake.NewServer(handle, appPassword)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "createSession") {
			arrived <- struct{}{}
			<-release
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, nil)
	done := make(chan error, 1)
	go func() {
		_, err := c.Post(context.Background(), post("a_0000000000000120", "first"))
		done <- err
	}()
	<-arrived // the first Post holds the session lock while it logs in
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.Post(ctx, post("a_0000000000000121", "second"))
	wantSendError(t, err, syndicate.Temporary, "waiting for the session")
	close(release)
	if err := <-done; err != nil {
		t.Errorf("first Post: %v", err)
	}
	if fake.Logins() != 1 {
		t.Errorf("%d logins, want 1", fake.Logins())
	}
}

func TestRecordKey(t *testing.T) {
	tid := regexp.MustCompile(`^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$`)
	seen := map[string]string{}
	for i := range 1000 {
		id := syndicate.ArticleID(fmt.Sprintf("https://example.com/%d", i))
		k := bluesky.RecordKey(id)
		if !tid.MatchString(k) {
			t.Fatalf("RecordKey(%q) = %q is not a TID", id, k)
		}
		if k != bluesky.RecordKey(id) {
			t.Fatalf("RecordKey(%q) is not deterministic", id)
		}
		if other, dup := seen[k]; dup {
			t.Fatalf("articles %q and %q share key %q", id, other, k)
		}
		seen[k] = id
	}
}

func TestNew(t *testing.T) {
	_, err := bluesky.New(bluesky.Config{})
	if err == nil || !strings.Contains(err.Error(), "handle, app password") {
		t.Errorf("New without credentials: %v", err)
	}
	for _, u := range []string{"ftp://bsky.social", "https://user:pw@bsky.social", "https://bsky.social?x=1", "bsky.social"} {
		if _, err := bluesky.New(bluesky.Config{URL: u, Handle: handle, AppPassword: appPassword}); err == nil {
			t.Errorf("New accepted URL %q", u)
		}
	}
	if _, err := bluesky.New(bluesky.Config{Handle: handle, AppPassword: appPassword}); err != nil {
		t.Errorf("New with the default URL: %v", err)
	}
}

func TestCheck(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	for range 3 {
		if err := c.Check(context.Background()); err != nil {
			t.Fatalf("Check: %v", err)
		}
	}
	if fake.Logins() != 1 {
		t.Errorf("%d logins, want 1", fake.Logins())
	}
}

func TestPostShortLinkFacet(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	// A 300-character percent-encoded link: in full it would make the post
	// 550 graphemes, over Bluesky's 300; shown short it leaves the title
	// its room, and the facet carries the whole URL.
	link := "https://www.nikkei.com/article/" + url.PathEscape("経済対策を閣議決定　低所得世帯に給付金") + "?ref="
	link += strings.Repeat("x", 300-len(link))
	short := summary.ShortLink(link)
	title := strings.Repeat("政府が経済対策を閣議決定", 20) // 240 graphemes
	p := post("a_0000000000000009", title+"\n\n"+short)
	p.Link, p.LinkText = link, short
	p.Article = syndicate.Article{Title: "政府が経済対策", URL: link}
	if _, err := c.Post(context.Background(), p); err != nil {
		t.Fatalf("Post: %v", err)
	}
	rec := onlyRecord(t, fake)
	start := len(title + "\n\n")
	want := []blueskyfake.Facet{{ByteStart: start, ByteEnd: start + len(short), URI: link}}
	if fmt.Sprint(rec.Facets) != fmt.Sprint(want) || rec.Text[start:] != short {
		t.Errorf("facets %+v on %q, want %+v", rec.Facets, rec.Text, want)
	}
	if rec.Embed == nil || rec.Embed.URI != link {
		t.Errorf("card %+v, want the full link", rec.Embed)
	}
}

func TestPostCardTextNeverCutInsideAWord(t *testing.T) {
	fake, srv := newFake(t)
	c := newClient(t, srv.URL, nil)
	p := cardPost("a_0000000000000010", "")
	// 290 characters of Chinese, then a Latin word across the 300 mark.
	p.Article.Summary = strings.Repeat("苹果公司在加州总部举行秋季新品发布会", 17)[:290*3] + "iPhone15ProMax将于下周发售"
	p.Article.Title = strings.Repeat("Staatsangehörigkeitsmodernisierungsgesetz ", 8)
	if _, err := c.Post(context.Background(), p); err != nil {
		t.Fatalf("Post: %v", err)
	}
	e := onlyRecord(t, fake).Embed
	if e == nil {
		t.Fatal("no card")
	}
	if want := strings.Repeat("苹果公司在加州总部举行秋季新品发布会", 17)[:290*3] + "…"; e.Description != want {
		t.Errorf("description %q, want it to end before the Latin word", e.Description)
	}
	if !strings.HasSuffix(e.Title, "Staatsangehörigkeitsmodernisierungsgesetz…") {
		t.Errorf("title %q is cut inside a word", e.Title)
	}
}
