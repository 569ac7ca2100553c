// Package signed makes and checks the tokens in links we mail out
// (unsubscribe, confirm): an HMAC-SHA256 over the purpose and the subject, so
// a token for one subscriber and purpose is useless for any other.
package signed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// ErrInvalid is returned for a token that is malformed, forged or altered.
var ErrInvalid = errors.New("invalid or altered token")

var enc = base64.RawURLEncoding

// Token returns a URL-safe token binding subject (e.g. an email address) to
// purpose (e.g. "unsubscribe") under secret.
func Token(secret, purpose, subject string) string {
	return enc.EncodeToString([]byte(subject)) + "." + enc.EncodeToString(mac(secret, purpose, subject))
}

// Verify returns the subject of token if it was made by Token with the same
// secret and purpose.
func Verify(secret, purpose, token string) (string, error) {
	s, m, ok := strings.Cut(token, ".")
	if !ok || len(token) > 1024 {
		return "", ErrInvalid
	}
	subject, err := enc.DecodeString(s)
	if err != nil {
		return "", ErrInvalid
	}
	got, err := enc.DecodeString(m)
	if err != nil || !hmac.Equal(got, mac(secret, purpose, string(subject))) {
		return "", ErrInvalid
	}
	return string(subject), nil
}

func mac(secret, purpose, subject string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	// The NUL separates purpose from subject so no pair can collide with another.
	h.Write([]byte(purpose + "\x00" + subject))
	return h.Sum(nil)
}
