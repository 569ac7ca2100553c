// Package x posts to X (formerly Twitter) through API v2, or through v1.1's
// statuses/update for accounts that still have it, signing each request
// with OAuth 1.0a user context.
//
// X has no idempotency key, so this package is careful to say when a post
// may exist although no post id came back: every failure is a
// *syndicate.SendError (or a *syndicate.RateLimitError) whose Outcome tells
// the caller whether retrying is safe.
package x

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dghubble/oauth1"

	"syndicate"
	"syndicate/channels/internal/remote"
)

// DefaultAPIURL is where X's API lives.
const DefaultAPIURL = "https://api.x.com"

// The APIs Post can go through (Config.API).
const (
	// APIv2 posts with POST /2/tweets, which every access level has.
	APIv2 = "v2"
	// APIv11 posts with v1.1's POST statuses/update.json through
	// github.com/dghubble/go-twitter. X refuses it (error 453) to apps on
	// Free and Basic access; it is kept for accounts that still have it.
	APIv11 = "v1.1"
)

const (
	defaultTimeout = 15 * time.Second
	// defaultRateLimitWait is used when a 429 carries no usable
	// x-rate-limit-reset: X's rate-limit windows are 15 minutes long.
	defaultRateLimitWait = 15 * time.Minute
	// maxResponseBody bounds what is read of any response, so a broken or
	// hostile server cannot make us buffer without limit.
	maxResponseBody = 1 << 20
)

// Config says how to reach X and as whom.
type Config struct {
	// APIURL is the base URL of the API; empty means DefaultAPIURL. Tests
	// point it at a fake server.
	APIURL string
	// ConsumerKey and ConsumerSecret identify the app; AccessToken and
	// AccessSecret the account it posts as. All four are required.
	ConsumerKey, ConsumerSecret, AccessToken, AccessSecret string
	// HTTPClient supplies the transport requests go through; nil means
	// http.DefaultTransport. Its Timeout is ignored in favour of Timeout.
	HTTPClient *http.Client
	// Timeout bounds one whole request, reading the response included;
	// zero means 15s.
	Timeout time.Duration
	// Now tells the time, to turn a rate-limit reset into a wait; nil
	// means time.Now.
	Now func() time.Time
	// API is the API Post goes through: APIv2 ("v2") or APIv11 ("v1.1");
	// empty means v2. Check always uses v2.
	API string
}

// Client posts to one X account. It is safe for concurrent use.
type Client struct {
	apiURL string // without a trailing slash
	http   *http.Client
	now    func() time.Time
	api    string            // APIv2 or APIv11
	v11    http.RoundTripper // for APIv11: rewrite to apiURL, then sign, then send
}

// New returns a client for the account c describes, or an error naming
// every missing credential, the bad API URL or the unknown API.
func New(c Config) (*Client, error) {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"consumer key", c.ConsumerKey},
		{"consumer secret", c.ConsumerSecret},
		{"access token", c.AccessToken},
		{"access secret", c.AccessSecret},
	} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "x: missing %s", strings.Join(missing, ", "))
	}
	apiURL := strings.TrimSpace(c.APIURL)
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, syndicate.Errorf(syndicate.EINVALID, "x: API URL %q is not an http(s) URL without query or credentials", c.APIURL)
	}
	api := strings.ToLower(strings.TrimSpace(c.API))
	switch api {
	case "":
		api = APIv2
	case APIv2, APIv11:
	default:
		return nil, syndicate.Errorf(syndicate.EINVALID, "x: API %q is not %q or %q", c.API, APIv2, APIv11)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}

	// oauth1 only looks a base transport up in the context it is given
	// here; the context is not kept.
	var base http.RoundTripper = http.DefaultTransport
	if c.HTTPClient != nil && c.HTTPClient.Transport != nil {
		base = c.HTTPClient.Transport
	}
	baseCtx := context.WithValue(context.Background(), oauth1.HTTPClient, &http.Client{Transport: base})
	hc := oauth1.NewConfig(c.ConsumerKey, c.ConsumerSecret).Client(baseCtx, oauth1.NewToken(c.AccessToken, c.AccessSecret))
	hc.Timeout = timeout
	// X never redirects API calls; following one could repeat a POST
	// somewhere we did not mean to send it.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	// For v1.1 the order of transports matters: oauth1 signs the URL of
	// the request it is handed and the server checks the signature against
	// the URL it received, so go-twitter's hard-coded URL must be rewritten
	// before oauth1 signs, not after: rewrite → oauth1 → base.
	base11 := *u
	base11.Path = strings.TrimRight(u.Path, "/")
	base11.RawPath = strings.TrimRight(u.RawPath, "/")
	v11 := &v11Transport{base: &base11, next: hc.Transport}

	return &Client{apiURL: strings.TrimRight(u.String(), "/"), http: hc, now: now, api: api, v11: v11}, nil
}

// Post publishes p.Text and returns the post id, through the API the
// client was configured with.
//
// A failure is a *syndicate.RateLimitError (429, or v1.1 error 88) or a
// *syndicate.SendError: Duplicate when X already has a post with this text,
// AuthFailed for a 401 (or v1.1 error 32, 89 or 215), Permanent for a
// refused request (among them v1.1 error 453: no v1.1 access), Temporary
// when nothing reached X, and Unknown when the post may exist (a 5xx, or a
// timeout or broken connection after the request was sent): X has no
// idempotency key, so an Unknown post must not be retried automatically.
func (c *Client) Post(ctx context.Context, p syndicate.Post) (string, error) {
	if strings.TrimSpace(p.Text) == "" {
		return "", fmt.Errorf("x: post article %s: %w", p.ArticleID,
			&syndicate.SendError{Outcome: syndicate.Permanent, Message: "post text is empty"})
	}
	if c.api == APIv11 {
		id, err := c.postV11(ctx, p.Text)
		if err != nil {
			return "", fmt.Errorf("x: post article %s: %w", p.ArticleID, err)
		}
		return id, nil
	}
	body, err := json.Marshal(struct {
		Text string `json:"text"`
	}{p.Text})
	if err != nil {
		return "", fmt.Errorf("x: post article %s: encode request: %w", p.ArticleID, err)
	}
	status, header, respBody, err := c.do(ctx, http.MethodPost, "/2/tweets", body)
	if err != nil {
		return "", fmt.Errorf("x: post article %s: %w", p.ArticleID, err)
	}
	if status < 200 || status > 299 {
		return "", fmt.Errorf("x: post article %s: %w", p.ArticleID, c.statusError(status, header, respBody))
	}
	var created struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(respBody, &created); err != nil || created.Data.ID == "" {
		// X said yes but we cannot tell which post it made: it exists,
		// so posting again would publish it twice.
		return "", fmt.Errorf("x: post article %s: %w", p.ArticleID, &syndicate.SendError{
			Outcome: syndicate.Unknown, Code: status,
			Message: "response has no post id: " + remote.QuoteReason(respBody), Err: err,
		})
	}
	return created.Data.ID, nil
}

// Check verifies the credentials by asking X who they belong to
// (GET /2/users/me). It returns nil if X answers 200, and otherwise an
// error classified like Post's (AuthFailed for refused credentials).
func (c *Client) Check(ctx context.Context) error {
	status, header, respBody, err := c.do(ctx, http.MethodGet, "/2/users/me", nil)
	if err != nil {
		return fmt.Errorf("x: check credentials: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("x: check credentials: %w", c.statusError(status, header, respBody))
	}
	return nil
}

// do sends one signed request and returns the status, headers and (bounded)
// body of the response. A transport failure comes back as a
// *syndicate.SendError that says whether the request was sent.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (int, http.Header, []byte, error) {
	ctx, attempt := remote.Trace(ctx)
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.apiURL+path, rd)
	if err != nil {
		return 0, nil, nil, fmt.Errorf("build %s %s request: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, transportError(method, path, err, attempt.Sent(err))
	}
	defer resp.Body.Close()
	respBody, err := readBody(method, path, resp)
	if err != nil {
		return 0, nil, nil, err
	}
	return resp.StatusCode, resp.Header, respBody, nil
}

// readBody reads at most maxResponseBody of resp's body. Only a failure to
// read a success is an error (Unknown): the server has answered, so it had
// the request, but we cannot tell which post it made. For a refusal the
// status says enough, so what was read is returned.
func readBody(method, path string, resp *http.Response) ([]byte, error) {
	body, err := remote.ReadBody(resp.Body, maxResponseBody)
	if err != nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil, &syndicate.SendError{
			Outcome: syndicate.Unknown, Code: resp.StatusCode,
			Message: fmt.Sprintf("read %s %s response: %v", method, path, err), Err: err,
		}
	}
	return body, nil
}

// transportError classifies a failure to get a response: Temporary if the
// request never fully left (nothing can have been posted), Unknown if it
// was sent (see remote.Attempt.Sent).
func transportError(method, path string, err error, sent bool) error {
	if !sent {
		return &syndicate.SendError{
			Outcome: syndicate.Temporary,
			Message: fmt.Sprintf("%s %s not sent: %v", method, path, err), Err: err,
		}
	}
	return &syndicate.SendError{
		Outcome: syndicate.Unknown,
		Message: fmt.Sprintf("%s %s sent but no response: %v", method, path, err), Err: err,
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
		return &syndicate.SendError{Outcome: syndicate.AuthFailed, Code: status, Message: reason}
	case status == http.StatusForbidden && strings.Contains(strings.ToLower(string(body)), "duplicate"):
		return &syndicate.SendError{Outcome: syndicate.Duplicate, Code: status, Message: reason}
	case status == http.StatusRequestTimeout:
		// The server gave up waiting for our request before acting on it.
		return &syndicate.SendError{Outcome: syndicate.Temporary, Code: status, Message: reason}
	case status >= 500:
		// X may have created the post before failing.
		return &syndicate.SendError{Outcome: syndicate.Unknown, Code: status, Message: reason}
	default:
		// 400, other 403s (e.g. error 453, not permitted), 404, any
		// redirect: sending the same request again will not change them.
		return &syndicate.SendError{Outcome: syndicate.Permanent, Code: status, Message: reason}
	}
}

// retryAfter reads x-rate-limit-reset (epoch seconds) as a wait from now,
// at least remote.MinWait and without a ceiling.
func (c *Client) retryAfter(header http.Header) time.Duration {
	wait, ok := remote.EpochWait(header, "x-rate-limit-reset", c.now)
	if !ok {
		return defaultRateLimitWait
	}
	return remote.ClampWait(wait, 0)
}

// reasonOf extracts the server's reason from an error body: X v2 problems
// carry detail and title, v1.1-style errors a list of messages.
func reasonOf(status int, body []byte) string {
	var problem struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
		Errors []struct {
			Message string `json:"message"`
			Code    int    `json:"code"`
		} `json:"errors"`
	}
	var parts []string
	if json.Unmarshal(body, &problem) == nil {
		if problem.Detail != "" {
			parts = append(parts, problem.Detail)
		} else if problem.Title != "" {
			parts = append(parts, problem.Title)
		}
		for _, e := range problem.Errors {
			switch {
			case e.Message == "":
			case e.Code != 0:
				parts = append(parts, fmt.Sprintf("%s (code %d)", e.Message, e.Code))
			default:
				parts = append(parts, e.Message)
			}
		}
	}
	if len(parts) > 0 {
		return remote.Truncate(strings.Join(parts, "; "))
	}
	return remote.FallbackReason(status, body)
}
