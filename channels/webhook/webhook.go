// Package webhook delivers each post as JSON to configured HTTP endpoints:
// Slack and Discord incoming webhooks in their own shapes, and a generic,
// signed shape for any other receiver.
//
// # The generic shape and how a receiver verifies it
//
// A generic target receives
//
//	{"event": "article.published", "id": DELIVERY,
//	 "article": {"id", "title", "url", "author", "published_at", "tags", "summary", "image"},
//	 "post": {"text", "link"}}
//
// with these headers:
//
//	Content-Type: application/json
//	X-Syndicate-Event: article.published
//	X-Syndicate-Delivery: DELIVERY
//	X-Syndicate-Timestamp: UNIX-SECONDS
//	X-Syndicate-Signature: sha256=HEX
//
// HEX is the HMAC-SHA256, keyed with the target's secret, of the timestamp,
// a ".", and the request body exactly as received. A receiver (or [Verify],
// which does all of this) should:
//
//  1. compute the HMAC over the raw body bytes, before parsing any JSON, and
//     compare it with the header in constant time (hmac.Equal);
//  2. reject a timestamp more than 5 minutes from its own clock, so a
//     captured request cannot be replayed later (the timestamp is signed,
//     so it cannot be changed);
//  3. remember X-Syndicate-Delivery values for as long as retries may run
//     (three days is ample) and acknowledge a repeated one with a 2xx
//     without acting on it again. The delivery id is derived from the
//     article and the target, so every retry of one delivery carries the
//     same id (with a fresh timestamp and signature): a webhook has no
//     other idempotency key, and a retry after a timeout may repeat a
//     request the receiver already acted on.
//
// # Several targets
//
// The delivery ledger has one row per article and channel, so all targets
// of this channel share one row and one job, and a job retried because one
// target failed calls Post again for every target. Post therefore records
// each target's success as a receipt keyed by the delivery id and skips a
// target that already has one; every target is tried on every call, so one
// broken target does not hold back the others. Receipts are kept in memory
// unless Config.Receipts supplies a store that outlives the process. Where a
// receipt is lost (a restart with in-memory receipts), a generic receiver
// still de-duplicates by X-Syndicate-Delivery; Slack and Discord have no
// such key, so a retry may repeat the post there.
package webhook

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"syndicate"
	"syndicate/channels/internal/remote"
)

// The target formats.
const (
	FormatSlack   = "slack"   // a Slack (or Slack-compatible) incoming webhook
	FormatDiscord = "discord" // a Discord channel webhook, called with wait=true to learn the message id
	FormatGeneric = "generic" // any receiver; signed with the target's secret
)

// EventArticlePublished is the event of every generic delivery.
const EventArticlePublished = "article.published"

const (
	defaultTimeout = 10 * time.Second
	// defaultRateLimitWait is used when a 429 says nothing usable about
	// when to come back.
	defaultRateLimitWait = time.Minute
	// maxRateLimitWait caps what a server may ask for: a rate-limit wait
	// does not use up the job's retries, so an absurd Retry-After would
	// otherwise park the post for good.
	maxRateLimitWait = time.Hour
	// maxResponseBody bounds what is read of any response, so a broken or
	// hostile receiver cannot make us buffer without limit.
	maxResponseBody = 64 << 10
	// maxRemoteIDLen bounds a response id kept as (part of) the remote id.
	maxRemoteIDLen = 128
)

// Target is one endpoint a post is delivered to.
type Target struct {
	// URL is where the JSON is POSTed: https, or http to a loopback
	// address when Config.AllowPrivate is set. Slack and Discord webhook
	// URLs hold their token in the path, so errors name a target by its
	// position and host only.
	URL string
	// Format is "slack", "discord" or "generic"; empty means generic.
	Format string
	// Secret is the HMAC-SHA256 key a generic target's requests are signed
	// with. Required for generic targets, refused for the others (which
	// would ignore it).
	Secret string
}

// Receipts remembers which deliveries a target has acknowledged, so that a
// post retried because one target failed is not sent again to the targets
// that already have it. Implementations must be safe for concurrent use.
type Receipts interface {
	// Delivered reports whether deliveryID was acknowledged, and the
	// remote id recorded with it.
	Delivered(ctx context.Context, deliveryID string) (remoteID string, ok bool, err error)
	// Record notes that deliveryID was acknowledged with remoteID (which
	// may be empty).
	Record(ctx context.Context, deliveryID, remoteID string) error
}

// Config says where posts go.
type Config struct {
	// Targets are the endpoints every post is delivered to, in order. At
	// least one is required.
	Targets []Target
	// HTTPClient supplies the transport requests go through; nil means a
	// copy of http.DefaultTransport that, unless AllowPrivate is set,
	// refuses to connect to loopback, private and link-local addresses
	// (whatever a name resolves to) and ignores proxy settings, since
	// through a proxy it cannot see where a request really goes. A
	// supplied Transport is used as it is and answers for its own
	// addresses. Its Timeout and CheckRedirect are replaced.
	HTTPClient *http.Client
	// Timeout bounds one request to one target, reading the response
	// included; zero means 10s.
	Timeout time.Duration
	// Now tells the time: for signature timestamps, rate-limit dates and
	// receipt expiry; nil means time.Now.
	Now func() time.Time
	// AllowPrivate permits targets on loopback, private and link-local
	// addresses, and plain http to loopback ones: for tests and for
	// receivers on the same box. Off, such targets are refused.
	AllowPrivate bool
	// Receipts records which targets have a post; nil means an in-memory
	// record kept for 24 hours, which covers a job's retries in one
	// process but not a restart or another worker.
	Receipts Receipts
}

// Client delivers posts to a fixed list of targets. It is safe for
// concurrent use.
type Client struct {
	targets  []target
	http     *http.Client
	now      func() time.Time
	receipts Receipts
}

// target is a validated Target.
type target struct {
	send   string // the URL requests go to (Discord's carries wait=true)
	key    string // the URL as configured, which delivery ids derive from
	name   string // "target 2 (hooks.slack.com)", never the token-bearing path
	format string
	secret []byte
}

// New returns a client for the targets c lists, or an error naming every
// bad target.
func New(c Config) (*Client, error) {
	if len(c.Targets) == 0 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "webhook: no targets configured")
	}
	var problems []string
	seen := make(map[string]int)
	targets := make([]target, 0, len(c.Targets))
	for i, t := range c.Targets {
		tg, err := parseTarget(i+1, t, c.AllowPrivate)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		// The same URL twice would get every post twice.
		if first, dup := seen[tg.key]; dup {
			problems = append(problems, fmt.Sprintf("%s repeats target %d", tg.name, first))
			continue
		}
		seen[tg.key] = i + 1
		targets = append(targets, tg)
	}
	if len(problems) > 0 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "webhook: %s", strings.Join(problems, "; "))
	}

	timeout := c.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	now := c.Now
	if now == nil {
		now = time.Now
	}
	var hc http.Client
	if c.HTTPClient != nil {
		hc = *c.HTTPClient
	}
	if hc.Transport == nil {
		hc.Transport = newTransport(c.AllowPrivate)
	}
	hc.Timeout = timeout
	// Webhook URLs do not move; following a redirect could repeat a POST
	// (with its body) somewhere we were never told to send it.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	receipts := c.Receipts
	if receipts == nil {
		receipts = newMemoryReceipts(now)
	}
	return &Client{targets: targets, http: &hc, now: now, receipts: receipts}, nil
}

// parseTarget validates the n-th target.
func parseTarget(n int, t Target, allowPrivate bool) (target, error) {
	raw := strings.TrimSpace(t.URL)
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		// The URL is not quoted: it may hold a token.
		return target{}, fmt.Errorf("target %d has no absolute URL", n)
	}
	name := fmt.Sprintf("target %d (%s)", n, u.Host)
	host := u.Hostname()
	switch strings.ToLower(u.Scheme) {
	case "https":
		if !allowPrivate && isPrivateHost(host) {
			return target{}, fmt.Errorf("%s is a loopback or private address (set AllowPrivate to allow it)", name)
		}
	case "http":
		if !allowPrivate || !isLoopbackHost(host) {
			return target{}, fmt.Errorf("%s must use https (plain http is allowed only to loopback, with AllowPrivate)", name)
		}
	default:
		return target{}, fmt.Errorf("%s must be an https URL", name)
	}
	if u.User != nil {
		return target{}, fmt.Errorf("%s must not carry a user name or password in its URL", name)
	}
	if u.Fragment != "" {
		return target{}, fmt.Errorf("%s must not have a #fragment", name)
	}
	tg := target{send: raw, key: raw, name: name, format: strings.ToLower(strings.TrimSpace(t.Format))}
	switch tg.format {
	case "":
		tg.format = FormatGeneric
		fallthrough
	case FormatGeneric:
		if strings.TrimSpace(t.Secret) == "" {
			return target{}, fmt.Errorf("%s is generic and needs a secret to sign with", name)
		}
		tg.secret = []byte(t.Secret)
	case FormatSlack, FormatDiscord:
		if t.Secret != "" {
			return target{}, fmt.Errorf("%s is %s, which does not use a secret (only generic targets are signed)", name, tg.format)
		}
	default:
		return target{}, fmt.Errorf("%s has unknown format %q (want slack, discord or generic)", name, t.Format)
	}
	if tg.format == FormatDiscord {
		// wait=true makes Discord create the message before answering, so
		// a refusal comes back as an error and success carries the
		// message id.
		q := u.Query()
		q.Set("wait", "true")
		u.RawQuery = q.Encode()
		tg.send = u.String()
	}
	return tg, nil
}

// isLoopbackHost reports whether host names this machine.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// isPrivateHost reports whether host is, literally, an address a webhook
// has no business reaching. Names are checked again when connecting, once
// they are resolved.
func isPrivateHost(host string) bool {
	if isLoopbackHost(host) {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && isPrivateAddr(ip)
}

// cgnat is the shared address space of RFC 6598, private in all but name.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

func isPrivateAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || cgnat.Contains(ip)
}

// errPrivateAddress is what the guarded dialer refuses with.
var errPrivateAddress = errors.New("refusing to connect to a loopback or private address")

// guardDial is a net.Dialer Control that refuses private addresses. It runs
// on the resolved address of each connection, so a name that resolves (or
// is rebound) to an internal address is refused too.
func guardDial(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse %q", errPrivateAddress, address)
	}
	if isPrivateAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", errPrivateAddress, ap.Addr())
	}
	return nil
}

// newTransport returns the default transport, guarded unless allowPrivate.
func newTransport(allowPrivate bool) http.RoundTripper {
	var tr *http.Transport
	if d, ok := http.DefaultTransport.(*http.Transport); ok {
		tr = d.Clone()
	} else {
		tr = &http.Transport{ForceAttemptHTTP2: true, TLSHandshakeTimeout: 10 * time.Second}
	}
	if allowPrivate {
		return tr
	}
	tr.Proxy = nil
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second, Control: guardDial}
	tr.DialContext = d.DialContext
	return tr
}

// DeliveryID returns the id of the delivery of an article to the target at
// targetURL: the same on every retry, different for every target. Generic
// targets receive it in X-Syndicate-Delivery and the body's "id".
func DeliveryID(articleID, targetURL string) string {
	sum := sha256.Sum256([]byte("syndicate webhook delivery\x00" + articleID + "\x00" + strings.TrimSpace(targetURL)))
	return "whd_" + hex.EncodeToString(sum[:16])
}

// Post delivers p to every target that does not have it yet. It returns
// the targets' response ids (Discord's message id, a generic receiver's
// "id"), space-separated in target order with "-" for a target that gave
// none, or "N targets" when none did.
//
// A failure is a *syndicate.RateLimitError if any target asked us to wait
// (the longest wait asked for), else a *syndicate.SendError: Temporary if
// any target failed in a way a retry may fix (5xx, 408, a timeout, no
// connection), Permanent if every failure was a refusal (401, 403, 404,
// 410, other 4xx, a redirect). Its message says how many targets have the
// post and why each other one failed. Timeouts and 5xx count as Temporary,
// not Unknown, because every retry carries the same delivery id, by which a
// generic receiver that did act on the first attempt recognises the rest;
// Slack and Discord cannot, so there a timeout's retry may show the post
// twice, which for a chat message is the lesser harm than losing it.
func (c *Client) Post(ctx context.Context, p syndicate.Post) (string, error) {
	articleID := articleIDOf(p)
	if articleID == "" {
		return "", fmt.Errorf("webhook: post: %w", &syndicate.SendError{Outcome: syndicate.Permanent, Message: "post has no article id"})
	}
	if strings.TrimSpace(p.Text) == "" {
		return "", fmt.Errorf("webhook: post article %s: %w", articleID,
			&syndicate.SendError{Outcome: syndicate.Permanent, Message: "post text is empty"})
	}
	ids := make([]string, len(c.targets))
	var failures []error
	var unrecorded []string
	for i := range c.targets {
		t := &c.targets[i]
		did := DeliveryID(articleID, t.key)
		rid, done, err := c.receipts.Delivered(ctx, did)
		if err != nil {
			// Sending without knowing could repeat the post; trying again
			// later costs only time.
			failures = append(failures, &syndicate.SendError{
				Outcome: syndicate.Temporary,
				Message: fmt.Sprintf("%s: look up receipt: %v", t.name, err), Err: err,
			})
			continue
		}
		if done {
			ids[i] = rid
			continue
		}
		rid, err = c.deliver(ctx, t, p, articleID, did)
		if err != nil {
			failures = append(failures, err)
			continue
		}
		ids[i] = rid
		if err := c.receipts.Record(ctx, did, rid); err != nil {
			// The post is delivered whatever happens to the receipt; a
			// lost one matters only if a retry follows, so it is reported
			// with the failure that causes the retry.
			unrecorded = append(unrecorded, fmt.Sprintf("%s: record receipt: %v", t.name, err))
		}
	}
	if len(failures) > 0 {
		return "", fmt.Errorf("webhook: post article %s: %w", articleID, combine(len(c.targets), failures, unrecorded))
	}
	return remoteID(ids), nil
}

// articleIDOf returns the id of the article p is about.
func articleIDOf(p syndicate.Post) string {
	if id := strings.TrimSpace(p.ArticleID); id != "" {
		return id
	}
	if id := strings.TrimSpace(p.Article.ID); id != "" {
		return id
	}
	if canon, err := syndicate.CanonicalURL(p.Article.URL); err == nil {
		return syndicate.ArticleID(canon)
	}
	return ""
}

// remoteID joins the targets' response ids.
func remoteID(ids []string) string {
	some := false
	for _, id := range ids {
		if id != "" {
			some = true
			break
		}
	}
	if !some {
		if len(ids) == 1 {
			return "1 target"
		}
		return fmt.Sprintf("%d targets", len(ids))
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = cmp.Or(id, "-")
	}
	return strings.Join(out, " ")
}

// combine turns the failures of some of n targets into the one error the
// job acts on: wait if anyone asked us to, retry if a retry may help,
// otherwise give up.
func combine(n int, failures []error, unrecorded []string) error {
	if n == 1 && len(unrecorded) == 0 {
		return failures[0]
	}
	var (
		msgs      []string
		limited   bool
		wait      time.Duration
		temporary bool
		code      int
	)
	for _, err := range failures {
		var rl *syndicate.RateLimitError
		var se *syndicate.SendError
		switch {
		case errors.As(err, &rl):
			limited = true
			wait = max(wait, rl.RetryAfter)
			msgs = append(msgs, rl.Message)
		case errors.As(err, &se):
			temporary = temporary || se.Outcome != syndicate.Permanent
			code = se.Code
			if se.Code != 0 {
				msgs = append(msgs, fmt.Sprintf("%s (HTTP %d)", se.Message, se.Code))
			} else {
				msgs = append(msgs, se.Message)
			}
		default:
			temporary = true
			msgs = append(msgs, err.Error())
		}
	}
	if len(failures) > 1 {
		code = 0 // no single remote status describes them all
	}
	msg := fmt.Sprintf("delivered to %d of %d targets; %s", n-len(failures), n, strings.Join(append(msgs, unrecorded...), "; "))
	switch {
	case limited:
		return &syndicate.RateLimitError{RetryAfter: wait, Message: msg}
	case temporary:
		return &syndicate.SendError{Outcome: syndicate.Temporary, Code: code, Message: msg, Err: errors.Join(failures...)}
	default:
		return &syndicate.SendError{Outcome: syndicate.Permanent, Code: code, Message: msg, Err: errors.Join(failures...)}
	}
}

// deliver sends p to one target and returns the id in its answer, if any.
func (c *Client) deliver(ctx context.Context, t *target, p syndicate.Post, articleID, deliveryID string) (string, error) {
	var body []byte
	var err error
	switch t.format {
	case FormatSlack:
		body, err = json.Marshal(slackPayload(p))
	case FormatDiscord:
		body, err = json.Marshal(discordPayload(p))
	default:
		body, err = json.Marshal(genericPayload(p, articleID, deliveryID))
	}
	if err != nil {
		return "", &syndicate.SendError{Outcome: syndicate.Permanent, Message: fmt.Sprintf("%s: encode payload: %v", t.name, err), Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.send, bytes.NewReader(body))
	if err != nil {
		return "", &syndicate.SendError{Outcome: syndicate.Permanent, Message: fmt.Sprintf("%s: build request: %v", t.name, unwrapURLError(err)), Err: unwrapURLError(err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "syndicate-webhook/1")
	if t.format == FormatGeneric {
		req.Header.Set(HeaderEvent, EventArticlePublished)
		req.Header.Set(HeaderDelivery, deliveryID)
		Sign(req.Header, string(t.secret), c.now(), body)
	}

	resp, err := c.http.Do(req)
	if err != nil {
		return "", transportError(ctx, t, err, c.http.Timeout)
	}
	defer resp.Body.Close()
	respBody, readErr := remote.ReadBody(resp.Body, maxResponseBody)
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		if readErr != nil {
			// The target accepted the post; only its id was lost.
			return "", nil
		}
		return responseID(respBody), nil
	}
	// For a refusal the status says enough; what was read (if anything)
	// only adds the reason.
	return "", c.statusError(t, resp.StatusCode, resp.Header, respBody)
}

// unwrapURLError strips the *url.Error that net/http wraps failures in:
// its message repeats the URL, and with it a Slack or Discord token.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// transportError classifies a failure to get a response. All are
// Temporary: a retry repeats the delivery id, so even a request that did
// arrive before the connection broke can be recognised by a generic
// receiver.
func transportError(ctx context.Context, t *target, err error, timeout time.Duration) error {
	inner := unwrapURLError(err)
	var ne net.Error
	switch {
	case errors.Is(err, errPrivateAddress):
		// The name resolves somewhere we refuse to go; that will not
		// change by itself, and the target should be fixed.
		return &syndicate.SendError{Outcome: syndicate.Permanent, Message: fmt.Sprintf("%s: %v", t.name, inner), Err: inner}
	case ctx.Err() == nil && errors.As(err, &ne) && ne.Timeout():
		return &syndicate.SendError{Outcome: syndicate.Temporary, Message: fmt.Sprintf("%s: no answer within %s", t.name, timeout), Err: inner}
	}
	return &syndicate.SendError{Outcome: syndicate.Temporary, Message: fmt.Sprintf("%s: not delivered: %v", t.name, inner), Err: inner}
}

// statusError turns a non-success response into the error the job acts on.
func (c *Client) statusError(t *target, status int, header http.Header, body []byte) error {
	reason := reasonOf(status, body)
	fail := func(o syndicate.Outcome, what string) error {
		return &syndicate.SendError{Outcome: o, Code: status, Message: fmt.Sprintf("%s: %s: %s", t.name, what, reason)}
	}
	switch {
	case status == http.StatusTooManyRequests:
		return &syndicate.RateLimitError{RetryAfter: c.retryAfter(header, body), Message: fmt.Sprintf("%s: %s", t.name, reason)}
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return fail(syndicate.Permanent, "refused (the webhook's token or signing secret is not accepted)")
	case status == http.StatusNotFound:
		return fail(syndicate.Permanent, "not found (the webhook was deleted or its URL is wrong)")
	case status == http.StatusGone:
		return fail(syndicate.Permanent, "gone (the webhook was deleted, or for Slack its channel archived; remove or replace this target)")
	case status == http.StatusRequestTimeout:
		// The receiver gave up waiting for our request before acting on it.
		return fail(syndicate.Temporary, "request timed out at the receiver")
	case status >= 500:
		return fail(syndicate.Temporary, "receiver failed")
	case status >= 300 && status <= 399:
		where := "elsewhere"
		if loc, err := url.Parse(header.Get("Location")); err == nil && loc.Host != "" {
			where = "to " + loc.Host
		}
		return fail(syndicate.Permanent, "redirected "+where+" (redirects are not followed; update the target URL)")
	default:
		return fail(syndicate.Permanent, "refused")
	}
}

// retryAfter reads how long a 429 asks us to wait: the Retry-After header
// (seconds or an HTTP date) or Discord's JSON retry_after (seconds), the
// longer if both, at least remote.MinWait so a time already past does not
// become a busy loop, and at most maxRateLimitWait.
func (c *Client) retryAfter(header http.Header, body []byte) time.Duration {
	wait, found := time.Duration(0), false
	if v := strings.TrimSpace(header.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil {
			if d, ok := seconds(secs); ok {
				wait, found = d, true
			}
		} else if at, err := http.ParseTime(v); err == nil {
			wait, found = at.Sub(c.now()), true
		}
	}
	var discord struct {
		RetryAfter *float64 `json:"retry_after"`
	}
	if json.Unmarshal(body, &discord) == nil && discord.RetryAfter != nil {
		if d, ok := seconds(*discord.RetryAfter); ok {
			wait, found = max(wait, d), true
		}
	}
	if !found {
		return defaultRateLimitWait
	}
	return remote.ClampWait(wait, maxRateLimitWait)
}

// seconds converts a count of seconds from a server, refusing nonsense and
// capping what would overflow.
func seconds(s float64) (time.Duration, bool) {
	switch {
	case math.IsNaN(s) || s < 0:
		return 0, false
	case s > maxRateLimitWait.Seconds():
		return maxRateLimitWait, true
	}
	return time.Duration(s * float64(time.Second)), true
}

// reasonOf extracts the receiver's reason from an error body: Discord's
// {"message", "code"}, a common {"error"} or {"message"}, or plain text
// such as Slack's "invalid_payload".
func reasonOf(status int, body []byte) string {
	var problem struct {
		Message string `json:"message"`
		Error   any    `json:"error"`
		Code    any    `json:"code"`
	}
	if json.Unmarshal(body, &problem) == nil {
		msg := problem.Message
		if s, ok := problem.Error.(string); ok && msg == "" {
			msg = s
		}
		if msg != "" {
			if code, ok := problem.Code.(float64); ok && code != 0 {
				msg = fmt.Sprintf("%s (code %.0f)", msg, code)
			}
			return bound(msg)
		}
	}
	if s := strings.TrimSpace(string(body)); s != "" {
		return strconv.Quote(bound(s))
	}
	return http.StatusText(status)
}

// bound cuts a receiver's text to remote.MaxReasonLen bytes on a rune
// boundary (remote.Truncate) and blanks control characters, so it is safe
// to put in a log line.
func bound(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, remote.Truncate(s))
}

// responseID returns the "id" of a JSON answer (Discord's message, or what
// a generic receiver chose to say), if it is a plausible id.
func responseID(body []byte) string {
	var answer struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(body, &answer) != nil || len(answer.ID) == 0 {
		return ""
	}
	// A number is kept as written: Discord-style snowflakes do not fit a
	// float64.
	id := string(answer.ID)
	if answer.ID[0] == '"' {
		if json.Unmarshal(answer.ID, &id) != nil {
			return ""
		}
	} else if _, err := strconv.ParseFloat(id, 64); err != nil {
		return ""
	}
	if id == "" || len(id) > maxRemoteIDLen {
		return ""
	}
	for _, r := range id {
		// The remote id joins ids with spaces and shows in the ledger.
		if r <= ' ' || r > '~' {
			return ""
		}
	}
	return id
}
