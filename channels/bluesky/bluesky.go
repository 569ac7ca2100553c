// Package bluesky posts to Bluesky through the AT Protocol: it logs in once
// with an app password (com.atproto.server.createSession), keeps and
// refreshes that session, and writes each post as an app.bsky.feed.post
// record (com.atproto.repo.createRecord) with link facets and a link card.
//
// Every post of an article goes under the same record key (RecordKey), so
// a repository can hold at most one post per article: a retry after any
// failure is safe, and Post recognises a post that an earlier attempt made.
// Failures are a *syndicate.SendError (or a *syndicate.RateLimitError)
// whose Outcome tells the caller whether retrying can help.
package bluesky

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"syndicate"
	"syndicate/channels/internal/remote"
	"syndicate/fetch"
	"syndicate/summary"
	"syndicate/textlen"
)

// DefaultURL is Bluesky's entryway, where accounts hosted by Bluesky log in.
const DefaultURL = "https://bsky.social"

// Limits of a post's text, both enforced by Bluesky.
const (
	MaxGraphemes = 300  // user-perceived characters
	MaxBytes     = 3000 // UTF-8 bytes
)

// DefaultMaxImageBytes is the largest link-card thumbnail: the
// app.bsky.embed.external lexicon refuses a bigger thumb blob.
const DefaultMaxImageBytes = 1_000_000

const (
	defaultTimeout = 15 * time.Second
	// defaultRateLimitWait is used when a 429 carries no usable
	// ratelimit-reset: Bluesky's shortest write windows are 5 minutes.
	defaultRateLimitWait = 5 * time.Minute
	// maxResponseBody bounds what is read of any response, so a broken or
	// hostile server cannot make us buffer without limit.
	maxResponseBody = 1 << 20
	// maxCardText bounds a link card's title and description, in
	// graphemes: the app shows two or three lines of each, and a whole
	// article summary would only bloat the record.
	maxCardText = 300

	postCollection = "app.bsky.feed.post"
	// tidAlphabet is base32-sortable, the digits of a TID.
	tidAlphabet = "234567abcdefghijklmnopqrstuvwxyz"
)

// Config says how to reach Bluesky and as whom.
type Config struct {
	// URL is the server to log in to: the account's PDS or an entryway
	// such as DefaultURL, which empty means. Once logged in, repository
	// calls go to the PDS the account's DID document names.
	URL string
	// Handle (or DID, or email) and AppPassword log in. Use an app
	// password (Settings → App passwords), never the account password.
	Handle      string
	AppPassword string
	// HTTPClient supplies the transport the XRPC calls to URL and the PDS
	// go through (endpoints the operator chose, not content); nil means
	// http.DefaultTransport. Its Timeout is ignored in favour of Timeout.
	HTTPClient *http.Client
	// Timeout bounds one whole request, reading the response included, and
	// the fetch of a card image when Images is nil; zero means 15s.
	Timeout time.Duration
	// Now tells the time, for createdAt and to turn a rate-limit reset
	// into a wait; nil means time.Now.
	Now func() time.Time
	// MaxImageBytes bounds a card image: a bigger one is left out and the
	// post goes without it. Zero means DefaultMaxImageBytes, which is also
	// the most it can be, since Bluesky refuses a bigger thumbnail.
	MaxImageBytes int64
	// Images fetches card images, whose URLs come from articles and so from
	// anyone who can publish one: it must refuse internal addresses, since
	// what it gets is uploaded as a public blob. HTTPClient is never used
	// for them. Nil means a fetch.Client that refuses every internal
	// address, bounded by Timeout and MaxImageBytes.
	Images Fetcher
}

// Fetcher gets a URL taken from content; *fetch.Client is one.
type Fetcher interface {
	Get(ctx context.Context, rawURL string, header http.Header) (*fetch.Response, error)
}

// Client posts to one Bluesky account. It is safe for concurrent use:
// concurrent posts share one session, and it logs in only when it has no
// session or the server refused to refresh the one it has.
type Client struct {
	entryway         string // without a trailing slash
	handle, password string
	api              *http.Client // XRPC calls, which never follow redirects
	images           Fetcher      // card image fetches
	now              func() time.Time
	maxImage         int64

	// sem is a one-slot lock over sess that a waiter can give up on with
	// its context; it is held across a login or refresh so that
	// concurrent posts wait for one login rather than each making one.
	sem  chan struct{}
	sess *session
}

// session is what a login gives: whose repository and the tokens to
// write to it.
type session struct {
	did     string
	access  string
	refresh string
	pds     string // where repository calls go, without a trailing slash
}

// New returns a client for the account c describes, or an error naming
// every missing credential or the bad URL. It does not log in; Check or
// the first Post does.
func New(c Config) (*Client, error) {
	var missing []string
	if strings.TrimSpace(c.Handle) == "" {
		missing = append(missing, "handle")
	}
	if strings.TrimSpace(c.AppPassword) == "" {
		missing = append(missing, "app password")
	}
	if len(missing) > 0 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "bluesky: missing %s", strings.Join(missing, ", "))
	}
	raw := strings.TrimSpace(c.URL)
	if raw == "" {
		raw = DefaultURL
	}
	entryway, ok := baseURL(raw)
	if !ok {
		return nil, syndicate.Errorf(syndicate.EINVALID, "bluesky: URL %q is not an http(s) URL without query or credentials", c.URL)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	maxImage := c.MaxImageBytes
	if maxImage <= 0 || maxImage > DefaultMaxImageBytes {
		maxImage = DefaultMaxImageBytes
	}
	var transport http.RoundTripper = http.DefaultTransport
	if c.HTTPClient != nil && c.HTTPClient.Transport != nil {
		transport = c.HTTPClient.Transport
	}
	images := c.Images
	if images == nil {
		images = &fetch.Client{Timeout: timeout, MaxBytes: maxImage}
	}
	return &Client{
		entryway: entryway,
		handle:   strings.TrimPrefix(strings.TrimSpace(c.Handle), "@"),
		password: c.AppPassword,
		api: &http.Client{
			Transport: transport,
			Timeout:   timeout,
			// XRPC servers do not redirect; following one could carry a
			// token or a write somewhere we did not mean to send it.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		images:   images,
		now:      now,
		maxImage: maxImage,
		sem:      make(chan struct{}, 1),
	}, nil
}

// baseURL checks that raw is an http(s) URL fit to put "/xrpc/…" after and
// returns it without a trailing slash.
func baseURL(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", false
	}
	return strings.TrimRight(u.String(), "/"), true
}

// RecordKey returns the record key of the post of articleID: a TID (13
// base32-sortable characters, top bit zero) made from a hash of the
// article ID rather than the clock, so every attempt to post one article
// names the same record and the repository refuses a second one. The
// app.bsky.feed.post lexicon asks for TID keys, which is why this is not
// simply the article ID.
func RecordKey(articleID string) string {
	sum := sha256.Sum256([]byte("bluesky\x00" + articleID))
	v := binary.BigEndian.Uint64(sum[:8]) &^ (1 << 63)
	var b [13]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = tidAlphabet[v&31]
		v >>= 5
	}
	return string(b[:])
}

// Post publishes p as a post with link facets and, when p has a link, a
// link card, and returns the post's at:// URI.
//
// A failure is a *syndicate.RateLimitError (429) or a *syndicate.SendError:
// Permanent for text over MaxGraphemes or MaxBytes or a refused record,
// AuthFailed when the server refuses the credentials, Temporary for
// anything else (a 5xx, a timeout, no connection). Temporary is always safe
// to retry: the record key is fixed per article, and when creating the
// record fails Post asks whether an earlier attempt made it, returning
// that post's URI if so.
func (c *Client) Post(ctx context.Context, p syndicate.Post) (string, error) {
	uri, err := c.post(ctx, p)
	if err != nil {
		return "", fmt.Errorf("bluesky: post article %s: %w", p.ArticleID, err)
	}
	return uri, nil
}

func (c *Client) post(ctx context.Context, p syndicate.Post) (string, error) {
	if err := checkText(p.Text); err != nil {
		return "", err
	}
	if p.ArticleID == "" {
		// Without it there is no record key, and no safe retry.
		return "", &syndicate.SendError{Outcome: syndicate.Permanent, Message: "post has no article ID"}
	}
	rkey := RecordKey(p.ArticleID)
	s, err := c.session(ctx)
	if err != nil {
		return "", err
	}
	embed, err := c.embed(ctx, p)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(createRecordInput{
		Repo:       s.did,
		Collection: postCollection,
		RKey:       rkey,
		Record: postRecord{
			Type:      postCollection,
			Text:      p.Text,
			CreatedAt: c.now().UTC().Format("2006-01-02T15:04:05.000Z"),
			Facets:    linkFacets(p.Text, p.Link, p.LinkText),
			Embed:     embed,
		},
	})
	if err != nil {
		return "", fmt.Errorf("encode record: %w", err)
	}
	resp, err := c.call(ctx, http.MethodPost, "com.atproto.repo.createRecord", nil, "application/json", body)
	if err == nil && resp.status == http.StatusOK {
		var out struct {
			URI string `json:"uri"`
		}
		if json.Unmarshal(resp.body, &out) == nil && strings.HasPrefix(out.URI, "at://") {
			return out.URI, nil
		}
		// The record exists, so its URI is known whatever the body says.
		return recordURI(s.did, rkey), nil
	}
	if err == nil {
		err = statusError(resp, c.now)
	}
	if mayExist(err) {
		// The PDS answers a create under a key that is taken with a 500
		// (newer ones with a 400), and a 5xx or a lost response may come
		// after the record was written: in each case the record an
		// earlier attempt made is this article's post.
		if uri, ok := c.existing(ctx, s.did, rkey); ok {
			return uri, nil
		}
	}
	return "", err
}

// mayExist reports whether a failed create may have left, or met, a
// record under the key: anything but a rate limit or refused credentials,
// which the server answers before it writes.
func mayExist(err error) bool {
	var se *syndicate.SendError
	return errors.As(err, &se) && se.Outcome != syndicate.AuthFailed
}

// existing returns the URI of the post under rkey if there is one.
func (c *Client) existing(ctx context.Context, did, rkey string) (string, bool) {
	q := url.Values{"repo": {did}, "collection": {postCollection}, "rkey": {rkey}}
	resp, err := c.call(ctx, http.MethodGet, "com.atproto.repo.getRecord", q, "", nil)
	if err != nil || resp.status != http.StatusOK {
		return "", false
	}
	var out struct {
		URI string `json:"uri"`
	}
	if json.Unmarshal(resp.body, &out) != nil || !strings.HasPrefix(out.URI, "at://") {
		return recordURI(did, rkey), true
	}
	return out.URI, true
}

func recordURI(did, rkey string) string {
	return "at://" + did + "/" + postCollection + "/" + rkey
}

// Check logs in if there is no session yet and asks the server about the
// session (com.atproto.server.getSession), refreshing it if it expired. It
// returns nil if the account can post, and otherwise an error classified
// like Post's: AuthFailed for a wrong handle or app password, or an
// account that is taken down or deactivated.
func (c *Client) Check(ctx context.Context) error {
	resp, err := c.call(ctx, http.MethodGet, "com.atproto.server.getSession", nil, "", nil)
	if err == nil && resp.status != http.StatusOK {
		err = statusError(resp, c.now)
	}
	if err != nil {
		return fmt.Errorf("bluesky: check credentials: %w", err)
	}
	var out struct {
		Active *bool  `json:"active"`
		Status string `json:"status"`
	}
	if json.Unmarshal(resp.body, &out) == nil && out.Active != nil && !*out.Active {
		status := out.Status
		if status == "" {
			status = "inactive"
		}
		return fmt.Errorf("bluesky: check credentials: %w", &syndicate.SendError{
			Outcome: syndicate.AuthFailed, Code: resp.status, Message: "account is " + status,
		})
	}
	return nil
}

// checkText refuses text Bluesky would refuse, before anything is sent.
func checkText(text string) error {
	var msg string
	switch n := textlen.Bluesky(text); {
	case strings.TrimSpace(text) == "":
		msg = "post text is empty"
	case !utf8.ValidString(text):
		msg = "post text is not valid UTF-8"
	case n > MaxGraphemes:
		msg = fmt.Sprintf("post text is %d characters long, over Bluesky's %d", n, MaxGraphemes)
	case len(text) > MaxBytes:
		msg = fmt.Sprintf("post text is %d bytes long, over Bluesky's %d", len(text), MaxBytes)
	default:
		return nil
	}
	return &syndicate.SendError{Outcome: syndicate.Permanent, Message: msg}
}

// The request and record shapes (com.atproto.repo.createRecord,
// app.bsky.feed.post, app.bsky.richtext.facet, app.bsky.embed.external).
type (
	createRecordInput struct {
		Repo       string     `json:"repo"`
		Collection string     `json:"collection"`
		RKey       string     `json:"rkey"`
		Record     postRecord `json:"record"`
	}
	postRecord struct {
		Type      string         `json:"$type"`
		Text      string         `json:"text"`
		CreatedAt string         `json:"createdAt"`
		Facets    []facet        `json:"facets,omitempty"`
		Embed     *externalEmbed `json:"embed,omitempty"`
	}
	facet struct {
		Index    byteSlice `json:"index"`
		Features []feature `json:"features"`
	}
	byteSlice struct {
		ByteStart int `json:"byteStart"`
		ByteEnd   int `json:"byteEnd"`
	}
	feature struct {
		Type string `json:"$type"`
		URI  string `json:"uri"`
	}
	externalEmbed struct {
		Type     string   `json:"$type"`
		External external `json:"external"`
	}
	external struct {
		URI         string          `json:"uri"`
		Title       string          `json:"title"`
		Description string          `json:"description"`
		Thumb       json.RawMessage `json:"thumb,omitempty"`
	}
)

// linkFacets marks every http(s) URL in text as a link, with UTF-8 byte
// offsets as Bluesky wants them: without a facet a URL is plain text. link
// (the article URL) is marked wherever it appears, in full, even where the
// URL finder would stop short of it or not know its domain, and so is
// linkText, the short form the post shows for it (see
// syndicate.Post.LinkText), with link as its URI.
func linkFacets(text, link, linkText string) []facet {
	var found []textlen.URLSpan
	for _, u := range textlen.ExtractURLs(text) {
		if u.HasScheme() {
			found = append(found, u)
		}
	}
	var facets []facet
	add := func(start, end int, uri string) {
		facets = append(facets, facet{
			Index:    byteSlice{ByteStart: start, ByteEnd: end},
			Features: []feature{{Type: "app.bsky.richtext.facet#link", URI: uri}},
		})
	}
	overlaps := func(start, end int) bool {
		for _, f := range facets {
			if start < f.Index.ByteEnd && f.Index.ByteStart < end {
				return true
			}
		}
		return false
	}
	if isHTTPURL(link) && linkText != "" && linkText != link {
		for i := 0; ; {
			j := strings.Index(text[i:], linkText)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(linkText)
			i = end
			add(start, end, link)
		}
	}
	if isHTTPURL(link) {
	occurrences:
		for i := 0; ; {
			j := strings.Index(text[i:], link)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(link)
			i = end
			if !urlEndsAt(text, end) {
				// Only the start of a longer URL, which is not the article.
				continue
			}
			for _, u := range found {
				if u.Start <= start && end <= u.End && u.End-u.Start > len(link) {
					continue occurrences
				}
			}
			if !overlaps(start, end) {
				add(start, end, link)
			}
		}
	}
	for _, u := range found {
		if !overlaps(u.Start, u.End) {
			add(u.Start, u.End, u.URL)
		}
	}
	sort.Slice(facets, func(i, j int) bool { return facets[i].Index.ByteStart < facets[j].Index.ByteStart })
	return facets
}

// urlEndsAt reports whether a URL that stops at text[end] ends there: what
// follows is nothing, space, or closing punctuation and then one of those.
func urlEndsAt(text string, end int) bool {
	rest := strings.TrimLeft(text[end:], ".,;:!?)]}'\"»”’")
	r, _ := utf8.DecodeRuneInString(rest)
	return rest == "" || unicode.IsSpace(r)
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// embed builds the link card of p, or nil if p has no link. A card image
// that cannot be had (too big, not an image, not there, refused by the
// PDS) is left out: a card without a picture beats no post. Only what
// stops the post itself (a rate limit, refused credentials, a PDS that is
// down) is returned as an error.
func (c *Client) embed(ctx context.Context, p syndicate.Post) (*externalEmbed, error) {
	link := p.Link
	if link == "" {
		link = p.Article.URL
	}
	if !isHTTPURL(link) {
		return nil, nil
	}
	ext := external{
		URI:         link,
		Title:       summary.Clip(p.Article.Title, maxCardText),
		Description: summary.Clip(p.Article.Summary, maxCardText),
	}
	if p.Article.Image != "" {
		if data, mimeType, ok := c.fetchImage(ctx, p.Article.Image); ok {
			blob, err := c.uploadBlob(ctx, data, mimeType)
			if err != nil {
				return nil, err
			}
			ext.Thumb = blob
		}
	}
	return &externalEmbed{Type: "app.bsky.embed.external", External: ext}, nil
}

// fetchImage fetches a card image through the guarded fetcher. It reports
// false for anything that should not become a thumbnail, a refused
// (internal) address included.
func (c *Client) fetchImage(ctx context.Context, raw string) ([]byte, string, bool) {
	if !isHTTPURL(raw) {
		return nil, "", false
	}
	resp, err := c.images.Get(ctx, raw, http.Header{"Accept": {"image/*"}})
	if err != nil || resp.Status != http.StatusOK {
		return nil, "", false
	}
	data := resp.Body
	if len(data) == 0 || int64(len(data)) > c.maxImage {
		return nil, "", false
	}
	mimeType, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || mimeType == "application/octet-stream" {
		// A server that does not say gets its bytes looked at.
		mimeType, _, err = mime.ParseMediaType(http.DetectContentType(data))
		if err != nil {
			return nil, "", false
		}
	}
	// An SVG is a document, not a picture Bluesky will show as a thumbnail.
	if !strings.HasPrefix(mimeType, "image/") || mimeType == "image/svg+xml" {
		return nil, "", false
	}
	return data, mimeType, true
}

// uploadBlob stores an image in the repository and returns the blob
// reference to put in the record, as the PDS wrote it. An image the PDS
// refuses comes back as no reference and no error.
func (c *Client) uploadBlob(ctx context.Context, data []byte, mimeType string) (json.RawMessage, error) {
	resp, err := c.call(ctx, http.MethodPost, "com.atproto.repo.uploadBlob", nil, mimeType, data)
	if err != nil {
		return nil, fmt.Errorf("upload card image: %w", err)
	}
	if resp.status != http.StatusOK {
		err := statusError(resp, c.now)
		if syndicate.OutcomeOf(err) == syndicate.Permanent {
			return nil, nil
		}
		return nil, fmt.Errorf("upload card image: %w", err)
	}
	var out struct {
		Blob json.RawMessage `json:"blob"`
	}
	if json.Unmarshal(resp.body, &out) != nil || !bytes.HasPrefix(bytes.TrimSpace(out.Blob), []byte("{")) {
		// Without a reference the card goes without its image.
		return nil, nil
	}
	return out.Blob, nil
}

// session returns the current session, logging in if there is none.
func (c *Client) session(ctx context.Context) (*session, error) {
	if err := c.lock(ctx); err != nil {
		return nil, err
	}
	defer c.unlock()
	if c.sess != nil {
		return c.sess, nil
	}
	s, err := c.login(ctx)
	if err != nil {
		return nil, err
	}
	c.sess = s
	return s, nil
}

// renew replaces stale, whose access token the server refused: by the
// refresh token if the server still takes it, and only otherwise by a new
// login, since logins are rate limited much more tightly than refreshes.
// If another call has already replaced stale, renew returns its session.
func (c *Client) renew(ctx context.Context, stale *session) (*session, error) {
	if err := c.lock(ctx); err != nil {
		return nil, err
	}
	defer c.unlock()
	if c.sess != nil && c.sess != stale {
		return c.sess, nil
	}
	s, err := c.refresh(ctx, stale)
	if err != nil {
		if syndicate.OutcomeOf(err) != syndicate.AuthFailed {
			// The server is busy or away, not refusing: a login now would
			// spend one from a small budget for nothing.
			return nil, err
		}
		c.sess = nil
		if s, err = c.login(ctx); err != nil {
			return nil, err
		}
	}
	c.sess = s
	return s, nil
}

func (c *Client) lock(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &syndicate.SendError{
			Outcome: syndicate.Temporary,
			Message: "gave up waiting for the session: " + ctx.Err().Error(), Err: ctx.Err(),
		}
	}
}

func (c *Client) unlock() { <-c.sem }

// sessionOutput is what createSession and refreshSession answer.
type sessionOutput struct {
	AccessJwt  string          `json:"accessJwt"`
	RefreshJwt string          `json:"refreshJwt"`
	DID        string          `json:"did"`
	DIDDoc     json.RawMessage `json:"didDoc"`
}

// login makes a new session with the handle and app password.
func (c *Client) login(ctx context.Context) (*session, error) {
	body, err := json.Marshal(struct {
		Identifier string `json:"identifier"`
		Password   string `json:"password"`
	}{c.handle, c.password})
	if err != nil {
		return nil, fmt.Errorf("encode login: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, c.entryway, "com.atproto.server.createSession", nil, "", "application/json", body)
	if err != nil {
		return nil, fmt.Errorf("log in as %s: %w", c.handle, err)
	}
	if resp.status != http.StatusOK {
		err := statusError(resp, c.now)
		if resp.status == http.StatusBadRequest || resp.status == http.StatusForbidden {
			// A malformed identifier, a taken-down account: the
			// credentials, not the request, need changing.
			err = &syndicate.SendError{Outcome: syndicate.AuthFailed, Code: resp.status, Message: reasonOf(resp)}
		}
		return nil, fmt.Errorf("log in as %s: %w", c.handle, err)
	}
	s, err := c.newSession(resp.body, "")
	if err != nil {
		return nil, fmt.Errorf("log in as %s: %w", c.handle, err)
	}
	return s, nil
}

// refresh exchanges stale's refresh token for a new session. A refusal
// (the token expired or was revoked) is AuthFailed, so the caller knows to
// log in again.
func (c *Client) refresh(ctx context.Context, stale *session) (*session, error) {
	// The entryway issued the tokens, so it is the one to refresh them.
	resp, err := c.do(ctx, http.MethodPost, c.entryway, "com.atproto.server.refreshSession", nil, stale.refresh, "", nil)
	if err != nil {
		return nil, fmt.Errorf("refresh session: %w", err)
	}
	if resp.status != http.StatusOK {
		err := statusError(resp, c.now)
		if resp.status == http.StatusBadRequest {
			err = &syndicate.SendError{Outcome: syndicate.AuthFailed, Code: resp.status, Message: reasonOf(resp)}
		}
		return nil, fmt.Errorf("refresh session: %w", err)
	}
	s, err := c.newSession(resp.body, stale.pds)
	if err != nil {
		return nil, fmt.Errorf("refresh session: %w", err)
	}
	return s, nil
}

// newSession reads a session answer. Repository calls go to the PDS its
// DID document names, else to pds, else to the server that answered.
func (c *Client) newSession(body []byte, pds string) (*session, error) {
	var out sessionOutput
	if err := json.Unmarshal(body, &out); err != nil || out.AccessJwt == "" || out.RefreshJwt == "" || !strings.HasPrefix(out.DID, "did:") {
		// The server said yes but not in a way we can use; another try
		// may fare better.
		return nil, &syndicate.SendError{Outcome: syndicate.Temporary, Code: http.StatusOK,
			Message: "session response lacks tokens or DID: " + remote.QuoteReason(body), Err: err}
	}
	if p, ok := c.pdsOf(out.DID, out.DIDDoc); ok {
		pds = p
	}
	if pds == "" {
		pds = c.entryway
	}
	return &session{did: out.DID, access: out.AccessJwt, refresh: out.RefreshJwt, pds: pds}, nil
}

// pdsOf finds the #atproto_pds service endpoint in a DID document. It
// takes only an http(s) URL, and https unless we log in over http
// ourselves (a local or test server), since the access token goes there.
func (c *Client) pdsOf(did string, raw json.RawMessage) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	var doc struct {
		ID      string `json:"id"`
		Service []struct {
			ID              string `json:"id"`
			Type            string `json:"type"`
			ServiceEndpoint any    `json:"serviceEndpoint"`
		} `json:"service"`
	}
	if json.Unmarshal(raw, &doc) != nil || doc.ID != did {
		return "", false
	}
	for _, s := range doc.Service {
		if s.ID != "#atproto_pds" && s.ID != did+"#atproto_pds" {
			continue
		}
		endpoint, ok := s.ServiceEndpoint.(string)
		if !ok || s.Type != "AtprotoPersonalDataServer" {
			return "", false
		}
		base, ok := baseURL(endpoint)
		if !ok || (!strings.HasPrefix(base, "https://") && !strings.HasPrefix(c.entryway, "http://")) {
			return "", false
		}
		return base, true
	}
	return "", false
}

// response is a server's answer, its body bounded.
type response struct {
	status int
	header http.Header
	body   []byte
}

// xrpcError is the body of an XRPC error response.
type xrpcError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func (r *response) xrpcError() xrpcError {
	var e xrpcError
	if json.Unmarshal(r.body, &e) != nil {
		return xrpcError{}
	}
	return e
}

// tokenRefused reports whether the server refused the access token itself
// (expired, revoked, malformed) rather than the request.
func (r *response) tokenRefused() bool {
	if r.status == http.StatusUnauthorized {
		return true
	}
	e := r.xrpcError().Error
	return r.status == http.StatusBadRequest && (e == "ExpiredToken" || e == "InvalidToken")
}

// call makes an XRPC call to the PDS with the session's access token,
// logging in first if need be. If the server refuses the token, call
// renews the session once and makes the call again.
func (c *Client) call(ctx context.Context, method, nsid string, query url.Values, contentType string, body []byte) (*response, error) {
	s, err := c.session(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, method, s.pds, nsid, query, s.access, contentType, body)
	if err != nil || !resp.tokenRefused() {
		return resp, err
	}
	if s, err = c.renew(ctx, s); err != nil {
		return nil, err
	}
	return c.do(ctx, method, s.pds, nsid, query, s.access, contentType, body)
}

// do sends one XRPC request and returns the response with its body read
// (bounded). A failure to get a response is a Temporary *SendError:
// nothing this package sends is unsafe to send again.
func (c *Client) do(ctx context.Context, method, base, nsid string, query url.Values, token, contentType string, body []byte) (*response, error) {
	u := base + "/xrpc/" + nsid
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("build %s request: %w", nsid, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.api.Do(req)
	if err != nil {
		return nil, &syndicate.SendError{
			Outcome: syndicate.Temporary,
			Message: fmt.Sprintf("%s failed: %v", nsid, err), Err: err,
		}
	}
	defer resp.Body.Close()
	respBody, err := remote.ReadBody(resp.Body, maxResponseBody)
	if err != nil && resp.StatusCode == http.StatusOK {
		return nil, &syndicate.SendError{
			Outcome: syndicate.Temporary, Code: resp.StatusCode,
			Message: fmt.Sprintf("read %s response: %v", nsid, err), Err: err,
		}
	}
	// For a refusal the status says enough; go on with what was read.
	return &response{status: resp.StatusCode, header: resp.Header, body: respBody}, nil
}

// statusError turns a non-success response into the error the job layer
// acts on.
func statusError(r *response, now func() time.Time) error {
	reason := reasonOf(r)
	switch {
	case r.status == http.StatusTooManyRequests:
		return &syndicate.RateLimitError{RetryAfter: retryAfter(r.header, now), Message: reason}
	case r.tokenRefused():
		return &syndicate.SendError{Outcome: syndicate.AuthFailed, Code: r.status, Message: reason}
	case r.status == http.StatusRequestTimeout || r.status >= 500:
		// Safe to try again: the record key makes a second create of the
		// same post fail rather than post twice.
		return &syndicate.SendError{Outcome: syndicate.Temporary, Code: r.status, Message: reason}
	default:
		// 400 InvalidRequest and the like, 403, 404, 413, a redirect:
		// sending the same request again will not change them.
		return &syndicate.SendError{Outcome: syndicate.Permanent, Code: r.status, Message: reason}
	}
}

// retryAfter reads ratelimit-reset (epoch seconds) as a wait from now,
// at least remote.MinWait and without a ceiling.
func retryAfter(header http.Header, now func() time.Time) time.Duration {
	wait, ok := remote.EpochWait(header, "ratelimit-reset", now)
	if !ok {
		return defaultRateLimitWait
	}
	return remote.ClampWait(wait, 0)
}

// reasonOf extracts the server's reason from an error response: XRPC
// errors carry a name and a message.
func reasonOf(r *response) string {
	e := r.xrpcError()
	switch {
	case e.Error != "" && e.Message != "":
		return remote.Truncate(e.Error + ": " + e.Message)
	case e.Error != "" || e.Message != "":
		return remote.Truncate(e.Error + e.Message)
	}
	return remote.FallbackReason(r.status, r.body)
}
