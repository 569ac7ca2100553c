package signed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// MailgunSignature is the signature Mailgun puts on each webhook event:
// the hex HMAC-SHA256, keyed with the account's webhook signing key, of
// the event's timestamp followed by its token (Mailgun's "Securing
// webhooks"). Tests use it to sign genuine events.
func MailgunSignature(signingKey, timestamp, token string) string {
	h := hmac.New(sha256.New, []byte(signingKey))
	h.Write([]byte(timestamp))
	h.Write([]byte(token))
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyMailgun reports whether signature is MailgunSignature of timestamp
// and token under signingKey. An empty key verifies nothing. The caller
// checks that the timestamp is recent and that the token is not reused.
func VerifyMailgun(signingKey, timestamp, token, signature string) bool {
	if signingKey == "" || timestamp == "" || token == "" {
		return false
	}
	got, err := hex.DecodeString(signature)
	if err != nil {
		return false
	}
	want, _ := hex.DecodeString(MailgunSignature(signingKey, timestamp, token)) // cannot fail: our own hex
	return hmac.Equal(got, want)
}
