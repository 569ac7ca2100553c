package signed

import (
	"net/url"
	"strings"
)

// Purposes of the links we mail out. A token made for one is refused by
// every other.
const (
	PurposeUnsubscribe = "unsubscribe"
	PurposePreferences = "preferences"
	PurposeConfirm     = "confirm"
)

// Link returns baseURL + path with a token for email and purpose: the URLs
// of the unsubscribe, preferences and confirmation pages.
func Link(baseURL, path, secret, purpose, email string) string {
	return strings.TrimRight(baseURL, "/") + path + "?token=" + url.QueryEscape(Token(secret, purpose, strings.ToLower(email)))
}

// UnsubscribeURL is a subscriber's one-click unsubscribe link (RFC 8058):
// GET shows a confirmation page, POST unsubscribes.
func UnsubscribeURL(baseURL, secret, email string) string {
	return Link(baseURL, "/unsubscribe", secret, PurposeUnsubscribe, email)
}

// PreferencesURL is a subscriber's page to change frequency or leave.
func PreferencesURL(baseURL, secret, email string) string {
	return Link(baseURL, "/preferences", secret, PurposePreferences, email)
}

// ConfirmURL is the double opt-in link mailed to a new subscriber.
func ConfirmURL(baseURL, secret, email string) string {
	return Link(baseURL, "/confirm", secret, PurposeConfirm, email)
}
