// Package mastodon posts statuses to one Mastodon account through the
// instance's REST API, with a bearer access token.
//
// Unlike X, Mastodon honours an Idempotency-Key header on
// POST /api/v1/statuses: for about an hour a second request with the same
// key returns the status the first one made instead of making another.
// Every post of an article carries a key derived from the article, so a
// request whose outcome is unknown (a 5xx, a timeout or a dropped
// connection after sending) is safe to send again and is reported as
// Temporary. Every failure is a *syndicate.SendError or a
// *syndicate.RateLimitError.
package mastodon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"syndicate"
	"syndicate/channels/internal/remote"
	"syndicate/textlen"
)

const (
	defaultTimeout = 15 * time.Second
	// defaultRateLimitWait is used when a 429 says nothing usable about
	// when to come back: Mastodon's general API limit is counted over
	// five-minute windows.
	defaultRateLimitWait = 5 * time.Minute
	// maxRateLimitWait bounds a wait read from a header, so a broken
	// clock or header cannot park a job for years. Mastodon's longest
	// window (posting) is three hours.
	maxRateLimitWait = 24 * time.Hour
	// limitRetryWait is how long Limit answers the defaults after a failed
	// instance fetch before it asks again: long enough not to hammer a
	// struggling instance, short enough to pick up its real limit soon.
	limitRetryWait = 5 * time.Minute
	// maxResponseBody bounds what is read of any response, so a broken or
	// hostile server cannot make us buffer without limit.
	maxResponseBody = 1 << 20
	// maxTextBytes refuses text no instance would take (the default limit
	// is 500 characters; generous instances allow a few thousand). Fitting
	// the text to the instance is the composer's job; this only keeps a
	// runaway template from being sent at all.
	maxTextBytes = 10000
)

// Config says which instance to post to and as whom.
type Config struct {
	// URL is the instance's base URL, e.g. https://mastodon.social.
	// Required. A path prefix is kept (tests mount fakes under one).
	URL string
	// Token is a bearer access token with the write:statuses scope.
	// Required.
	Token string
	// HTTPClient supplies the transport requests go through; nil means
	// http.DefaultTransport. Its Timeout is ignored in favour of Timeout.
	HTTPClient *http.Client
	// Timeout bounds one whole request, reading the response included;
	// zero means 15s.
	Timeout time.Duration
	// Now tells the time, to turn a rate-limit reset into a wait and to
	// space out instance fetches after a failure; nil means time.Now.
	Now func() time.Time
	// Visibility of every status: "public", "unlisted" or "private";
	// empty means public.
	Visibility string
}

// Client posts to one Mastodon account. It is safe for concurrent use.
type Client struct {
	baseURL    string // without a trailing slash
	token      string
	visibility string
	http       *http.Client
	now        func() time.Time

	// limitSem holds the right to read or refresh limit: one instance
	// fetch at a time, while callers waiting for it can still give up
	// when their context ends (a mutex would not let them).
	limitSem chan struct{}
	limit    limitState
}

// limitState is what Limit knows of the instance; guarded by limitSem.
type limitState struct {
	known               bool // fetched successfully: kept for the Client's life
	maxChars, urlWeight int
	retryAt             time.Time // after a failed fetch: when to try again
	err                 error     // the failure, repeated until retryAt
}

// New returns a client for the account c describes, or an error naming
// every missing setting, or the bad one.
func New(c Config) (*Client, error) {
	var missing []string
	if strings.TrimSpace(c.URL) == "" {
		missing = append(missing, "instance URL")
	}
	if strings.TrimSpace(c.Token) == "" {
		missing = append(missing, "access token")
	}
	if len(missing) > 0 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "mastodon: missing %s", strings.Join(missing, ", "))
	}
	u, err := url.Parse(strings.TrimSpace(c.URL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, syndicate.Errorf(syndicate.EINVALID, "mastodon: instance URL %q is not an http(s) URL without query or credentials", c.URL)
	}
	// A token pasted with a newline or space would make an invalid header
	// or a refused one; say so now rather than at the first post.
	if strings.IndexFunc(c.Token, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "mastodon: access token contains spaces or control characters")
	}
	vis := strings.ToLower(strings.TrimSpace(c.Visibility))
	switch vis {
	case "":
		vis = "public"
	case "public", "unlisted", "private":
	default:
		return nil, syndicate.Errorf(syndicate.EINVALID, "mastodon: visibility %q is not one of public, unlisted, private", c.Visibility)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	var transport http.RoundTripper = http.DefaultTransport
	if c.HTTPClient != nil && c.HTTPClient.Transport != nil {
		transport = c.HTTPClient.Transport
	}
	hc := &http.Client{
		Transport: transport,
		Timeout:   timeout,
		// The API does not redirect; following one would resend a POST
		// and the bearer token somewhere we did not choose.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &Client{
		baseURL:    strings.TrimRight(u.String(), "/"),
		token:      c.Token,
		visibility: vis,
		http:       hc,
		now:        now,
		limitSem:   make(chan struct{}, 1),
	}, nil
}

// IdempotencyKey returns the Idempotency-Key sent with every post of the
// article: the same for every attempt, so Mastodon answers a retry with the
// status the first attempt made; different per channel, so keys never
// collide with another adapter's.
func IdempotencyKey(articleID string) string {
	sum := sha256.Sum256([]byte("mastodon\x00" + articleID))
	return hex.EncodeToString(sum[:])[:32]
}

// Post publishes p.Text as a status and returns the status id.
//
// The request carries IdempotencyKey(p.ArticleID), so retrying a post of
// the same article within Mastodon's key lifetime (an hour) returns the
// status already made, even if the text has changed since.
//
// A failure is a *syndicate.RateLimitError (429) or a *syndicate.SendError:
// AuthFailed for a refused token (401); Permanent for a post refused as it
// is (422 with Mastodon's reason, 400, 403, 404, an empty, oversized or
// non-UTF-8 text, a missing article id); Temporary for everything that may
// go better later: a 5xx, a timeout or broken connection whether or not
// the request was sent (the key makes resending safe), a 200 without a
// status id.
func (c *Client) Post(ctx context.Context, p syndicate.Post) (string, error) {
	if err := checkPost(p); err != nil {
		return "", fmt.Errorf("mastodon: post article %s: %w", p.ArticleID, err)
	}
	body, err := json.Marshal(struct {
		Status     string `json:"status"`
		Visibility string `json:"visibility"`
	}{p.Text, c.visibility})
	if err != nil {
		return "", fmt.Errorf("mastodon: post article %s: encode request: %w", p.ArticleID, err)
	}
	header := http.Header{"Idempotency-Key": {IdempotencyKey(p.ArticleID)}}
	status, respHeader, respBody, err := c.do(ctx, http.MethodPost, "/api/v1/statuses", header, body)
	if err != nil {
		return "", fmt.Errorf("mastodon: post article %s: %w", p.ArticleID, err)
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("mastodon: post article %s: %w", p.ArticleID, c.statusError(status, respHeader, respBody))
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(respBody, &created); err != nil || created.ID == "" {
		// The status probably exists but we cannot tell which it is. A
		// retry under the same key is answered with it, id included.
		return "", fmt.Errorf("mastodon: post article %s: %w", p.ArticleID, &syndicate.SendError{
			Outcome: syndicate.Temporary, Code: status,
			Message: "response has no status id: " + remote.QuoteReason(respBody), Err: err,
		})
	}
	return created.ID, nil
}

// checkPost refuses, without sending, a post no retry can make acceptable.
func checkPost(p syndicate.Post) error {
	permanent := func(msg string) error {
		return &syndicate.SendError{Outcome: syndicate.Permanent, Message: msg}
	}
	switch {
	case strings.TrimSpace(p.Text) == "":
		return permanent("post text is empty")
	case len(p.Text) > maxTextBytes:
		return permanent(fmt.Sprintf("post text is %d bytes, more than the %d any instance takes", len(p.Text), maxTextBytes))
	case !utf8.ValidString(p.Text):
		return permanent("post text is not valid UTF-8")
	case strings.TrimSpace(p.ArticleID) == "":
		// Every post without an article would share one idempotency key,
		// and Mastodon would answer each with the first one's status.
		return permanent("post has no article id to derive its idempotency key from")
	}
	return nil
}

// Limit returns the instance's status length limit and the length every
// http(s) link counts as, from GET /api/v2/instance
// (configuration.statuses.max_characters and characters_reserved_per_url;
// 500 and 23 where the instance does not say).
//
// The first successful answer is kept for the Client's life. If the fetch
// fails, Limit returns the defaults (500, 23) together with the error, and
// goes on returning them and that error without asking the instance again
// for five minutes. The two numbers are usable even when err is not nil.
func (c *Client) Limit(ctx context.Context) (maxChars, urlWeight int, err error) {
	select {
	case c.limitSem <- struct{}{}:
	case <-ctx.Done():
		return textlen.MastodonDefaultLimit, textlen.MastodonURLWeight,
			fmt.Errorf("mastodon: read instance limits: %w", ctx.Err())
	}
	defer func() { <-c.limitSem }()

	st := &c.limit
	if st.known {
		return st.maxChars, st.urlWeight, nil
	}
	if st.err != nil && c.now().Before(st.retryAt) {
		return textlen.MastodonDefaultLimit, textlen.MastodonURLWeight, st.err
	}
	maxChars, urlWeight, err = c.fetchLimit(ctx)
	if err != nil {
		err = fmt.Errorf("mastodon: read instance limits (using %d characters, %d per link): %w",
			textlen.MastodonDefaultLimit, textlen.MastodonURLWeight, err)
		// A caller that gave up says nothing about the instance, so it
		// does not hold the next caller back.
		if ctx.Err() == nil {
			st.err, st.retryAt = err, c.now().Add(limitRetryWait)
		}
		return textlen.MastodonDefaultLimit, textlen.MastodonURLWeight, err
	}
	*st = limitState{known: true, maxChars: maxChars, urlWeight: urlWeight}
	return maxChars, urlWeight, nil
}

func (c *Client) fetchLimit(ctx context.Context) (maxChars, urlWeight int, err error) {
	status, header, body, err := c.do(ctx, http.MethodGet, "/api/v2/instance", nil, nil)
	if err != nil {
		return 0, 0, err
	}
	if status != http.StatusOK {
		return 0, 0, c.statusError(status, header, body)
	}
	var inst struct {
		Configuration struct {
			Statuses struct {
				MaxCharacters            int `json:"max_characters"`
				CharactersReservedPerURL int `json:"characters_reserved_per_url"`
			} `json:"statuses"`
		} `json:"configuration"`
	}
	if err := json.Unmarshal(body, &inst); err != nil {
		return 0, 0, &syndicate.SendError{
			Outcome: syndicate.Temporary, Code: status,
			Message: "instance answer is not JSON: " + remote.QuoteReason(body), Err: err,
		}
	}
	maxChars = inst.Configuration.Statuses.MaxCharacters
	urlWeight = inst.Configuration.Statuses.CharactersReservedPerURL
	// Servers that are not Mastodon, or older ones, leave these out
	// (zero); a negative number is as good as absent.
	if maxChars <= 0 {
		maxChars = textlen.MastodonDefaultLimit
	}
	if urlWeight <= 0 {
		urlWeight = textlen.MastodonURLWeight
	}
	return maxChars, urlWeight, nil
}

// Check verifies the token by asking whose it is
// (GET /api/v1/accounts/verify_credentials). It returns nil if the
// instance accepts the token, and otherwise an error classified like
// Post's: AuthFailed for a refused token (401).
//
// A token with only write:statuses may not read the account: the instance
// then answers 403 "outside the authorized scopes", which still proves the
// token valid, so Check accepts it.
func (c *Client) Check(ctx context.Context) error {
	status, header, body, err := c.do(ctx, http.MethodGet, "/api/v1/accounts/verify_credentials", nil, nil)
	if err != nil {
		return fmt.Errorf("mastodon: check credentials: %w", err)
	}
	if status == http.StatusOK {
		return nil
	}
	if status == http.StatusForbidden && strings.Contains(strings.ToLower(reasonOf(status, body)), "scope") {
		return nil
	}
	return fmt.Errorf("mastodon: check credentials: %w", c.statusError(status, header, body))
}

// do sends one request with the token and returns the status, headers and
// (bounded) body of the response. A failure to get a response is a
// Temporary *syndicate.SendError.
func (c *Client) do(ctx context.Context, method, path string, header http.Header, body []byte) (int, http.Header, []byte, error) {
	// attempt records whether the request went out. Mastodon's key makes
	// either case safe to retry; the difference goes into the message for
	// whoever reads the ledger.
	ctx, attempt := remote.Trace(ctx)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("build %s %s request: %w", method, path, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)

	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, transportError(method, path, err, attempt.Sent(err))
	}
	defer resp.Body.Close()
	respBody, err := remote.ReadBody(resp.Body, maxResponseBody)
	if err != nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		// A success we cannot read: retrying under the same key fetches
		// the same answer again.
		return 0, nil, nil, &syndicate.SendError{
			Outcome: syndicate.Temporary, Code: resp.StatusCode,
			Message: fmt.Sprintf("read %s %s response: %v", method, path, err), Err: err,
		}
	}
	// For a refusal the status says enough; go on with what was read.
	return resp.StatusCode, resp.Header, respBody, nil
}

// transportError describes a failure to get a response. It is Temporary
// either way: if nothing was sent nothing happened, and if the request was
// sent (see remote.Attempt.Sent) a retry with the same Idempotency-Key
// cannot post twice.
func transportError(method, path string, err error, sent bool) error {
	if !sent {
		return &syndicate.SendError{
			Outcome: syndicate.Temporary,
			Message: fmt.Sprintf("%s %s not sent: %v", method, path, err), Err: err,
		}
	}
	return &syndicate.SendError{
		Outcome: syndicate.Temporary,
		Message: fmt.Sprintf("%s %s sent but no response (safe to retry with the same idempotency key): %v", method, path, err),
		Err:     err,
	}
}

// statusError turns a non-success response into the error the job layer
// acts on.
func (c *Client) statusError(status int, header http.Header, body []byte) error {
	reason := reasonOf(status, body)
	switch {
	case status == http.StatusTooManyRequests:
		return &syndicate.RateLimitError{RetryAfter: c.retryAfter(header), Message: reason}
	case status == http.StatusUnauthorized:
		return &syndicate.SendError{
			Outcome: syndicate.AuthFailed, Code: status,
			Message: "the token was refused: the channel needs new credentials: " + reason,
		}
	case status == http.StatusRequestTimeout || status >= 500:
		// Either nothing happened, or the status was made and the same
		// idempotency key will return it.
		return &syndicate.SendError{Outcome: syndicate.Temporary, Code: status, Message: reason}
	case status >= 300 && status <= 399:
		// A moved instance: the configuration must change, not the timing.
		return &syndicate.SendError{
			Outcome: syndicate.Permanent, Code: status,
			Message: fmt.Sprintf("redirected to %q; set the instance URL to where the API lives", header.Get("Location")),
		}
	default:
		// 422 (validation: too long, blank), 400, 403 (suspended account,
		// missing scope), 404, 410: the same request will meet the same
		// answer.
		return &syndicate.SendError{Outcome: syndicate.Permanent, Code: status, Message: reason}
	}
}

// retryAfter reads X-RateLimit-Reset (an ISO 8601 time) as a wait from
// now, or failing that a Retry-After in seconds (which a proxy in front of
// the instance may send), kept between remote.MinWait and maxRateLimitWait.
func (c *Client) retryAfter(header http.Header) time.Duration {
	wait := defaultRateLimitWait
	if t, err := time.Parse(time.RFC3339, strings.TrimSpace(header.Get("X-RateLimit-Reset"))); err == nil {
		wait = t.Sub(c.now())
	} else if secs, err := strconv.Atoi(strings.TrimSpace(header.Get("Retry-After"))); err == nil {
		wait = time.Duration(secs) * time.Second
	}
	return remote.ClampWait(wait, maxRateLimitWait)
}

// reasonOf extracts the server's reason from an error body: Mastodon says
// {"error": …}, OAuth failures add error_description.
func reasonOf(status int, body []byte) string {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		if e.Description != "" && e.Description != e.Error {
			return remote.Truncate(e.Error + ": " + e.Description)
		}
		return remote.Truncate(e.Error)
	}
	return remote.FallbackReason(status, body)
}
