package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of a generic delivery.
const (
	HeaderEvent     = "X-Syndicate-Event"
	HeaderDelivery  = "X-Syndicate-Delivery"
	HeaderTimestamp = "X-Syndicate-Timestamp"
	HeaderSignature = "X-Syndicate-Signature"
)

// DefaultTolerance is how far a delivery's timestamp may be from the
// receiver's clock: long enough for clock skew and a slow network, short
// enough that a captured request cannot be replayed much later.
const DefaultTolerance = 5 * time.Minute

// Errors from Verify, for errors.Is.
var (
	// ErrSignature: the signature is missing, malformed, or not made with
	// the secret over this body and timestamp.
	ErrSignature = errors.New("webhook signature does not verify")
	// ErrTimestamp: the timestamp is missing, malformed, or too far from
	// the receiver's clock.
	ErrTimestamp = errors.New("webhook timestamp is not acceptable")
)

// signature returns the X-Syndicate-Signature value of body sent at
// timestamp ts (Unix seconds, as text). The timestamp is signed with the
// body so that it cannot be changed to replay an old request.
func signature(secret []byte, ts string, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, ts, body))
}

// Sign sets the timestamp and signature headers of a generic request
// whose body is body, sent at now: the one signing scheme of every
// generic webhook syndicate sends (posts and alerts alike), which Verify
// checks.
func Sign(header http.Header, secret string, now time.Time, body []byte) {
	ts := strconv.FormatInt(now.Unix(), 10)
	header.Set(HeaderTimestamp, ts)
	header.Set(HeaderSignature, signature([]byte(secret), ts, body))
}

// mac is the HMAC-SHA256 of ts + "." + body.
func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts)) // a hash.Hash never returns an error from Write
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Verify checks a generic delivery as its receiver should: header is the
// request's headers, body its raw bytes (before any JSON decoding), now
// the receiver's clock. It returns nil if X-Syndicate-Signature holds an
// HMAC-SHA256 with secret of X-Syndicate-Timestamp + "." + body, and the
// timestamp is within tolerance of now in either direction (zero or less
// means DefaultTolerance). The signature header may list several
// comma-separated "sha256=" values, so a secret can be rotated.
//
// Errors wrap ErrSignature or ErrTimestamp. Having verified a delivery, a
// receiver should still de-duplicate by X-Syndicate-Delivery: a retry is
// signed afresh.
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	if secret == "" {
		return fmt.Errorf("%w: no secret to verify with", ErrSignature)
	}
	ts := strings.TrimSpace(header.Get(HeaderTimestamp))
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s is missing or not Unix seconds", ErrTimestamp, HeaderTimestamp)
	}
	want := mac([]byte(secret), ts, body)
	found, matched := false, false
	for _, v := range header.Values(HeaderSignature) {
		for _, part := range strings.Split(v, ",") {
			hexSig, ok := strings.CutPrefix(strings.TrimSpace(part), "sha256=")
			if !ok {
				continue
			}
			found = true
			got, err := hex.DecodeString(hexSig)
			if err == nil && hmac.Equal(got, want) {
				matched = true
			}
		}
	}
	switch {
	case !found:
		return fmt.Errorf("%w: %s has no sha256= value", ErrSignature, HeaderSignature)
	case !matched:
		return fmt.Errorf("%w: it was not made with this secret over this body and timestamp", ErrSignature)
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	// Checked after the signature, so the timestamp is known to be the
	// sender's own.
	age := now.Sub(time.Unix(secs, 0))
	if age > tolerance || age < -tolerance {
		return fmt.Errorf("%w: signed at %s, %s from now, more than %s", ErrTimestamp,
			time.Unix(secs, 0).UTC().Format(time.RFC3339), age.Abs().Round(time.Second), tolerance)
	}
	return nil
}
