package signed

import (
	"crypto/hmac"
	"crypto/sha256"
	"strings"
)

// maxLegacyLen bounds a legacy token: an address of at most 254 bytes in
// base64, a dot and a MAC.
const maxLegacyLen = 400

// LegacyToken makes a token of the first format: the base64 of subject (an
// address) and an HMAC-SHA256 of purpose and subject. Nothing mails these
// any more, since they carry the address and never expire; it exists so
// that tests can make the links still sitting in inboxes.
func LegacyToken(secret, purpose, subject string) string {
	return enc.EncodeToString([]byte(subject)) + "." + enc.EncodeToString(legacyMAC(secret, purpose, subject))
}

// VerifyLegacy returns the subject (the address) of a token made by
// LegacyToken with the same secret and purpose. Decoding is strict: only
// the one canonical spelling of each token verifies.
//
// Callers accept these only for PurposeUnsubscribe, so that one-click
// links already mailed keep working, and only to unsubscribe.
func VerifyLegacy(secret, purpose, token string) (string, error) {
	if len(token) > maxLegacyLen {
		return "", ErrInvalid
	}
	s, m, ok := strings.Cut(token, ".")
	if !ok {
		return "", ErrInvalid
	}
	subject, err := decode(s)
	if err != nil || len(subject) == 0 {
		return "", ErrInvalid
	}
	got, err := decode(m)
	if err != nil || !hmac.Equal(got, legacyMAC(secret, purpose, string(subject))) {
		return "", ErrInvalid
	}
	return string(subject), nil
}

func legacyMAC(secret, purpose, subject string) []byte {
	h := hmac.New(sha256.New, []byte(secret))
	// The NUL separates purpose from subject so no pair can collide with another.
	h.Write([]byte(purpose + "\x00" + subject))
	return h.Sum(nil)
}
