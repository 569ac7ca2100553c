package x

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/dghubble/go-twitter/twitter"

	"syndicate"
	"syndicate/channels/internal/remote"
)

const (
	// v11Prefix is where go-twitter sends every request; it cannot be
	// configured, so v11Transport moves requests from here to
	// Config.APIURL.
	v11Prefix = "https://api.twitter.com/1.1/"
	// v11UpdatePath is v1.1's statuses/update under the API URL.
	v11UpdatePath = "/1.1/statuses/update.json"
)

// errOutsideV11 is returned for a request go-twitter addressed somewhere
// other than its v1.1 base URL: we do not know where that should go, and
// must not send our credentials' signature there.
var errOutsideV11 = errors.New("request outside " + v11Prefix)

// postV11 posts text with go-twitter's Statuses.Update and classifies the
// outcome by the same rules as v2, refined by v1.1's error codes.
//
// v1.1 posting is retired on Free and Basic access (error 453) and
// go-twitter, unmaintained, hard-codes https://api.twitter.com/1.1/; it is
// here only for accounts that still have the endpoint, routed by
// v11Transport so that tests and Config.APIURL reach the same fake server.
func (c *Client) postV11(ctx context.Context, text string) (string, error) {
	// go-twitter builds requests without a context, so the transport below
	// gives them this one. It also bounds the whole exchange: the response
	// is read inside RoundTrip.
	ctx, cancel := context.WithTimeout(ctx, c.http.Timeout)
	defer cancel()
	ctx, attempt := remote.Trace(ctx)

	var (
		body    []byte // the response body as read, bounded
		readErr error  // a success whose body could not be read
	)
	hc := &http.Client{
		Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
			resp, err := c.v11.RoundTrip(req.WithContext(ctx))
			if err != nil {
				return nil, err
			}
			orig := resp.Body
			defer orig.Close()
			// Reading the body here bounds it (go-twitter would decode any
			// length) and keeps it for the error message; go-twitter then
			// decodes the copy.
			body, readErr = readBody(req.Method, v11UpdatePath, resp)
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			return resp, nil
		}),
		CheckRedirect: c.http.CheckRedirect,
	}

	tweet, resp, err := twitter.NewClient(hc).Statuses.Update(text, nil)
	if readErr != nil {
		return "", readErr
	}
	if resp == nil {
		if errors.Is(err, errOutsideV11) {
			return "", &syndicate.SendError{Outcome: syndicate.Permanent, Message: err.Error(), Err: err}
		}
		// net/http names the URL go-twitter asked for; say where the
		// request really went.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = &url.Error{Op: ue.Op, URL: c.apiURL + v11UpdatePath, Err: ue.Err}
		}
		return "", transportError(http.MethodPost, v11UpdatePath, err, attempt.Sent(err))
	}
	status := resp.StatusCode
	if status < 200 || status > 299 {
		return "", c.v11StatusError(status, resp.Header, body, err)
	}
	if err != nil || tweet == nil || tweet.IDStr == "" {
		// X said yes but we cannot tell which post it made: it exists,
		// so posting again would publish it twice.
		return "", &syndicate.SendError{
			Outcome: syndicate.Unknown, Code: status,
			Message: "response has no post id: " + remote.QuoteReason(body), Err: err,
		}
	}
	return tweet.IDStr, nil
}

// v11StatusError classifies a v1.1 refusal by X's error codes, which say
// more than the status, and otherwise by the status as for v2.
func (c *Client) v11StatusError(status int, header http.Header, body []byte, err error) error {
	// go-twitter returns a twitter.APIError (a value, not a pointer) when
	// the body was v1.1's {"errors":[{"code","message"}]}.
	var apiErr twitter.APIError
	if !errors.As(err, &apiErr) {
		return c.statusError(status, header, body)
	}
	has := func(codes ...int) bool {
		for _, e := range apiErr.Errors {
			for _, code := range codes {
				if e.Code == code {
					return true
				}
			}
		}
		return false
	}
	reason := reasonOf(status, body)
	switch {
	case has(187): // Status is a duplicate.
		return &syndicate.SendError{Outcome: syndicate.Duplicate, Code: status, Message: reason}
	case has(453): // The app's access level has no v1.1 posting.
		return &syndicate.SendError{
			Outcome: syndicate.Permanent, Code: status,
			Message: `the account lacks v1.1 access, so post through API v2 (api: "v2") instead: ` + reason,
		}
	case has(32, 89, 215): // Could not authenticate; invalid or expired token; bad authentication data.
		return &syndicate.SendError{Outcome: syndicate.AuthFailed, Code: status, Message: reason}
	case has(88): // Rate limit exceeded.
		return &syndicate.RateLimitError{RetryAfter: c.retryAfter(header), Message: reason}
	}
	return c.statusError(status, header, body)
}

// v11Transport sends the requests go-twitter addresses to its hard-coded
// https://api.twitter.com/1.1/ to the same path under base (Config.APIURL)
// instead, through next.
//
// It must sit above the OAuth 1.0a transport: oauth1 signs the URL of the
// request it is handed and the server checks the signature against the URL
// it received, so the rewrite has to happen before signing.
type v11Transport struct {
	base *url.URL          // scheme, host and any path prefix, without a trailing slash
	next http.RoundTripper // signs and sends
}

// RoundTrip implements http.RoundTripper.
func (t *v11Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !strings.HasPrefix(req.URL.Scheme+"://"+req.URL.Host+req.URL.Path, v11Prefix) {
		err := fmt.Errorf("x: refusing to send %s %s: %w", req.Method, req.URL.Redacted(), errOutsideV11)
		if req.Body != nil {
			// A RoundTripper closes the body, even when it fails.
			err = errors.Join(err, req.Body.Close())
		}
		return nil, err
	}
	u := *t.base
	u.Path = t.base.Path + req.URL.Path
	u.RawPath = ""
	if t.base.RawPath != "" || req.URL.RawPath != "" {
		u.RawPath = t.base.EscapedPath() + req.URL.EscapedPath()
	}
	u.RawQuery = req.URL.RawQuery

	r2 := req.Clone(req.Context())
	r2.URL = &u
	// Host, not URL.Host, is what the Host header says; left alone it
	// would still name api.twitter.com, and the server would check the
	// signature against that.
	r2.Host = u.Host
	return t.next.RoundTrip(r2)
}

// roundTripFunc lets a function be an http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

// RoundTrip implements http.RoundTripper.
func (f roundTripFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
