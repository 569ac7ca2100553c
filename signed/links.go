package signed

import (
	"net/url"
	"strings"
	"time"
)

// Link returns baseURL + path with the token of c: the URL of the
// unsubscribe, preferences or confirmation page.
func Link(baseURL, path, secret string, c Claims) (string, error) {
	tok, err := Token(secret, c)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(baseURL, "/") + path + "?token=" + url.QueryEscape(tok), nil
}

// UnsubscribeURL is a subscriber's one-click unsubscribe link (RFC 8058):
// GET shows a confirmation page, POST unsubscribes. It never expires and
// keeps unsubscribing after the version changes.
func UnsubscribeURL(baseURL, secret, handle string, version int64) (string, error) {
	return Link(baseURL, "/unsubscribe", secret, Claims{Handle: handle, Version: version, Purpose: PurposeUnsubscribe})
}

// PreferencesURL is a subscriber's page to change frequency or leave. It
// works until the subscriber's version changes.
func PreferencesURL(baseURL, secret, handle string, version int64) (string, error) {
	return Link(baseURL, "/preferences", secret, Claims{Handle: handle, Version: version, Purpose: PurposePreferences})
}

// ConfirmURL is the double opt-in link mailed to a new subscriber; it
// stops working at expires, or when the version changes (confirming
// changes it, so the link works once).
func ConfirmURL(baseURL, secret, handle string, version int64, expires time.Time) (string, error) {
	return Link(baseURL, "/confirm", secret, Claims{Handle: handle, Version: version, Purpose: PurposeConfirm, Expires: expires})
}
