// Package signed makes and checks the tokens in links we mail out
// (unsubscribe, preferences, confirm). It is the one place for these
// schemes.
//
// A token names a subscriber by an opaque random handle, never by address,
// and carries the purpose, the subscriber's token version and, for confirm
// links, an expiry, all under an HMAC-SHA256. The store changes the version
// whenever the subscriber's status or address changes, which revokes every
// link made before; callers compare it (see Claims).
package signed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Purposes of the links we mail out. A token made for one is refused by
// every other.
const (
	PurposeUnsubscribe = "unsubscribe"
	PurposePreferences = "preferences"
	PurposeConfirm     = "confirm"
)

// ErrInvalid is returned for a token that is malformed, forged or altered.
var ErrInvalid = errors.New("invalid or altered token")

// ErrExpired is returned for a genuine token past its expiry.
var ErrExpired = errors.New("expired token")

// HandleLen is the length of a subscriber handle: 16 random bytes in
// lowercase hex.
const HandleLen = 32

// enc is strict: a token has exactly one spelling, so no variant of its
// last character verifies.
var enc = base64.RawURLEncoding.Strict()

// The binary layout of a token before base64: format, purpose, handle,
// version, expiry (Unix seconds, 0 for none), then the MAC of all of it.
const (
	format     = 2
	payloadLen = 1 + 1 + HandleLen/2 + 8 + 8
	macLen     = sha256.Size
	rawLen     = payloadLen + macLen
)

// TokenLen is the length of every token Token makes.
var TokenLen = enc.EncodedLen(rawLen)

// macContext separates this scheme's MACs from the legacy ones, whose input
// starts with a purpose name.
const macContext = "syndicate link v2\x00"

var purposeCodes = map[string]byte{PurposeUnsubscribe: 1, PurposePreferences: 2, PurposeConfirm: 3}

// Claims is what a token says.
type Claims struct {
	// Handle is the subscriber's opaque handle (HandleLen hex digits).
	Handle string
	// Version is the subscriber's token version when the link was made. A
	// caller refuses a token whose version is not the current one, except
	// for unsubscribing, which old links may always do.
	Version int64
	// Purpose is one of the Purpose constants.
	Purpose string
	// Expires is when the token stops verifying; zero means never.
	// Confirm links always expire.
	Expires time.Time
}

// Token returns the URL-safe token of c under secret.
func Token(secret string, c Claims) (string, error) {
	code, ok := purposeCodes[c.Purpose]
	if !ok {
		return "", fmt.Errorf("make token: unknown purpose %q", c.Purpose)
	}
	h, err := hex.DecodeString(c.Handle)
	if err != nil || len(c.Handle) != HandleLen {
		return "", fmt.Errorf("make token: subscriber handle %q is not %d hex digits", c.Handle, HandleLen)
	}
	if c.Purpose == PurposeConfirm && c.Expires.IsZero() {
		return "", errors.New("make token: a confirm link must expire")
	}
	if secret == "" {
		return "", errors.New("make token: no secret")
	}
	b := make([]byte, 0, rawLen)
	b = append(b, format, code)
	b = append(b, h...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Version))
	var exp int64
	if !c.Expires.IsZero() {
		exp = max(c.Expires.Unix(), 1)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(exp))
	b = append(b, mac(secret, b)...)
	return enc.EncodeToString(b), nil
}

// Verify returns the claims of token if it was made by Token with the same
// secret and purpose and has not expired at now. It does not know the
// subscriber's current version: the caller compares Claims.Version.
func Verify(secret, purpose, token string, now time.Time) (Claims, error) {
	b, err := decode(token)
	if err != nil || len(b) != rawLen || secret == "" {
		return Claims{}, ErrInvalid
	}
	payload, sum := b[:payloadLen], b[payloadLen:]
	if !hmac.Equal(sum, mac(secret, payload)) {
		return Claims{}, ErrInvalid
	}
	if payload[0] != format || payload[1] != purposeCodes[purpose] || purposeCodes[purpose] == 0 {
		return Claims{}, ErrInvalid
	}
	c := Claims{
		Handle:  hex.EncodeToString(payload[2 : 2+HandleLen/2]),
		Version: int64(binary.BigEndian.Uint64(payload[2+HandleLen/2:])),
		Purpose: purpose,
	}
	if exp := int64(binary.BigEndian.Uint64(payload[payloadLen-8:])); exp != 0 {
		c.Expires = time.Unix(exp, 0).UTC()
	}
	if purpose == PurposeConfirm && c.Expires.IsZero() {
		return Claims{}, ErrInvalid // Token never makes one
	}
	if !c.Expires.IsZero() && !now.Before(c.Expires) {
		return Claims{}, ErrExpired
	}
	return c, nil
}

// IsLegacy reports whether token has the shape of the first, address-based
// format (see VerifyLegacy) rather than the current one.
func IsLegacy(token string) bool {
	for i := 0; i < len(token); i++ {
		if token[i] == '.' {
			return true
		}
	}
	return false
}

func mac(secret string, payload []byte) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	h.Write([]byte(macContext))
	h.Write(payload)
	return h.Sum(nil)
}

// decode is strict base64url without padding. The standard decoder skips
// CR and LF anywhere in its input, so every byte is checked against the
// alphabet first, and a token is at most a few hundred bytes.
func decode(s string) ([]byte, error) {
	if s == "" || len(s) > maxLegacyLen {
		return nil, ErrInvalid
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, ErrInvalid
		}
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		return nil, ErrInvalid
	}
	return b, nil
}
