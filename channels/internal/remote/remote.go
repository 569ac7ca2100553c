// Package remote holds the plumbing the channel adapters share when they
// talk to a remote HTTP API: reading a response body within a bound,
// quoting a server's reason in an error message, telling whether a failed
// request was sent, and turning rate-limit headers into a wait.
//
// It decides nothing about outcomes: each adapter classifies failures and
// words its errors itself, using these answers.
package remote

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// MaxReasonLen bounds, in bytes, the server's reason quoted in an error
// message.
const MaxReasonLen = 300

// ReadBody reads at most limit bytes of r, so a broken or hostile server
// cannot make us buffer without limit. What lies beyond limit is left
// unread; closing the body is the caller's job. The error is the read's
// own: whether it matters depends on the status, which the caller knows.
func ReadBody(r io.Reader, limit int64) ([]byte, error) {
	return io.ReadAll(io.LimitReader(r, limit))
}

// Truncate returns s if it is at most MaxReasonLen bytes long, and
// otherwise its longest prefix of at most MaxReasonLen bytes that ends on a
// rune boundary, followed by "…", so the message stays valid UTF-8.
func Truncate(s string) string {
	if len(s) <= MaxReasonLen {
		return s
	}
	cut := MaxReasonLen
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}

// QuoteReason quotes a body that is not the JSON we expected: trimmed of
// surrounding space, truncated, and Go-quoted so that whatever it holds
// reads as one string in a log line. An empty body quotes as `""`.
func QuoteReason(body []byte) string {
	return strconv.Quote(Truncate(strings.TrimSpace(string(body))))
}

// FallbackReason is the reason to give for an error response whose body
// said nothing we could parse: the body quoted (QuoteReason), or the
// status text when the body is empty or only space.
func FallbackReason(status int, body []byte) string {
	if r := QuoteReason(body); r != `""` {
		return r
	}
	return http.StatusText(status)
}

// Attempt records whether a request went out, to tell after a failure
// whether the server may have received it. Create one with Trace.
type Attempt struct {
	wrote atomic.Bool
}

// Trace returns ctx with an httptrace hook that records, in the returned
// Attempt, that a request made with ctx was written in full.
func Trace(ctx context.Context) (context.Context, *Attempt) {
	a := new(Attempt)
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				a.wrote.Store(true)
			}
		},
	}), a
}

// Sent reports whether the request may have reached the server although
// err, the failure to get a response, ended it: true if the request was
// written in full and err is not a failure to connect. False means nothing
// was sent, so nothing can have happened.
func (a *Attempt) Sent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	return a.wrote.Load()
}

// MinWait is the shortest wait a rate limit turns into: a reset already
// past (clock skew) must not become a busy retry loop.
const MinWait = time.Second

// EpochWait reads the header key as a reset time in Unix seconds and
// returns how long it is from now() until then, not yet bounded (see
// ClampWait). It reports false, without calling now, if the header is
// missing or not an integer.
func EpochWait(header http.Header, key string, now func() time.Time) (time.Duration, bool) {
	secs, err := strconv.ParseInt(strings.TrimSpace(header.Get(key)), 10, 64)
	if err != nil {
		return 0, false
	}
	return time.Unix(secs, 0).Sub(now()), true
}

// ClampWait returns wait raised to at least MinWait and, if ceiling is
// positive, lowered to at most ceiling, so that a broken clock or header
// cannot park a job for years. A ceiling of zero means none.
func ClampWait(wait, ceiling time.Duration) time.Duration {
	wait = max(wait, MinWait)
	if ceiling > 0 {
		wait = min(wait, ceiling)
	}
	return wait
}
