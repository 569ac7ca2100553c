// Package syndicate holds the nouns of the newsletter and social-post
// syndication service: articles, subscribers, digests, posts and the
// deliveries that record every effect on the outside world, with their
// validation rules and the error vocabulary shared by every layer.
package syndicate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Limits that bound hostile input.
const (
	MaxTitleLen   = 500     // bytes of a title
	MaxSummaryLen = 5000    // bytes of a summary
	MaxBodyLen    = 1 << 20 // bytes of an article body
	MaxURLLen     = 2048    // bytes of a URL
	MaxTags       = 30      // tags per article
	MaxTagLen     = 64      // bytes per tag
	MaxEmailLen   = 254     // RFC 5321 path limit
	MaxNameLen    = 200     // bytes of a subscriber's name
	MaxInputSize  = 2 << 20 // bytes of one article file
)

// Article is one published piece of writing.
type Article struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	URL         string    `json:"url"`
	Author      string    `json:"author,omitempty"`
	PublishedAt time.Time `json:"published_at"`
	Tags        []string  `json:"tags"`
	Summary     string    `json:"summary"` // the lede or an editor's summary, plain text
	Image       string    `json:"image,omitempty"`
	Body        string    `json:"body,omitempty"` // plain text, paragraphs separated by blank lines
	// BodyHTML is the body as HTML that came out of the article package's
	// sanitiser (an allow-list of elements, absolute http(s) links and
	// images), "" when the input had no structure to keep. Whoever renders
	// it sanitises it again: it is stored text, not trusted markup.
	BodyHTML string `json:"body_html,omitempty"`
	Language string `json:"language,omitempty"` // BCP 47 base language ("de"), "" if not known
}

// rtlLanguages are the languages written right to left.
var rtlLanguages = map[string]bool{
	"ar": true, "he": true, "fa": true, "ur": true, "yi": true, "ps": true, "sd": true,
	"ug": true, "dv": true, "ckb": true, "syr": true,
}

// Dir returns the direction the article's language is written in: "rtl"
// for Arabic, Hebrew, Persian, Urdu and the like, else "ltr".
func (a Article) Dir() string {
	if rtlLanguages[a.Language] {
		return "rtl"
	}
	return "ltr"
}

// Validate reports the first problem that makes a an unusable article.
func (a *Article) Validate() error {
	switch {
	case strings.TrimSpace(a.Title) == "":
		return Errorf(EINVALID, "article has no title")
	case len(a.Title) > MaxTitleLen:
		return Errorf(EINVALID, "article title is longer than %d bytes", MaxTitleLen)
	case strings.TrimSpace(a.URL) == "":
		return Errorf(EINVALID, "article has no URL (give one with --url)")
	case len(a.Summary) > MaxSummaryLen:
		return Errorf(EINVALID, "article summary is longer than %d bytes", MaxSummaryLen)
	case len(a.Body) > MaxBodyLen:
		return Errorf(EINVALID, "article body is longer than %d bytes", MaxBodyLen)
	case len(a.BodyHTML) > MaxBodyLen:
		return Errorf(EINVALID, "article HTML body is longer than %d bytes", MaxBodyLen)
	case len(a.Tags) > MaxTags:
		return Errorf(EINVALID, "article has more than %d tags", MaxTags)
	}
	for _, s := range []string{a.Title, a.Summary, a.Author, a.Body, a.BodyHTML} {
		if !utf8.ValidString(s) {
			return Errorf(EINVALID, "article text is not valid UTF-8")
		}
	}
	for _, t := range a.Tags {
		if len(t) > MaxTagLen {
			return Errorf(EINVALID, "article tag %q is longer than %d bytes", t[:16]+"…", MaxTagLen)
		}
	}
	canon, err := CanonicalURL(a.URL)
	if err != nil {
		return err
	}
	if a.Image != "" {
		if _, err := CanonicalURL(a.Image); err != nil {
			return Errorf(EINVALID, "article image %q is not an http(s) URL", a.Image)
		}
	}
	if a.ID != "" && a.ID != ArticleID(canon) {
		return Errorf(EINVALID, "article id %q does not match its URL", a.ID)
	}
	return nil
}

// CanonicalURL returns raw in the form the article ID is derived from: an
// absolute http(s) URL with scheme and host lowercased, the default port,
// fragment and utm_* parameters dropped, and the remaining query sorted.
func CanonicalURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > MaxURLLen {
		return "", Errorf(EINVALID, "URL is longer than %d bytes", MaxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (strings.ToLower(u.Scheme) != "http" && strings.ToLower(u.Scheme) != "https") {
		return "", Errorf(EINVALID, "URL %q is not an absolute http(s) URL", raw)
	}
	if u.User != nil {
		return "", Errorf(EINVALID, "URL %q must not carry a user name or password", raw)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if (u.Scheme == "http" && strings.HasSuffix(u.Host, ":80")) || (u.Scheme == "https" && strings.HasSuffix(u.Host, ":443")) {
		u.Host = u.Host[:strings.LastIndexByte(u.Host, ':')]
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(strings.ToLower(k), "utm_") {
			delete(q, k)
		}
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	u.RawQuery = q.Encode() // Encode sorts by key
	u.ForceQuery = false
	return u.String(), nil
}

// ArticleID derives an article's ID from its canonical URL: the same URL
// always gives the same ID, so publishing twice is one article.
func ArticleID(canonicalURL string) string {
	sum := sha256.Sum256([]byte(canonicalURL))
	return "a_" + hex.EncodeToString(sum[:8])
}

// Frequency is how often a subscriber receives email.
type Frequency string

// The frequencies a subscriber can choose.
const (
	Instant Frequency = "instant"
	Daily   Frequency = "daily"
	Weekly  Frequency = "weekly"
)

// ParseFrequency returns the frequency named s; empty means instant.
func ParseFrequency(s string) (Frequency, error) {
	switch f := Frequency(strings.ToLower(strings.TrimSpace(s))); f {
	case "":
		return Instant, nil
	case Instant, Daily, Weekly:
		return f, nil
	}
	return "", Errorf(EINVALID, "frequency %q is not one of instant, daily, weekly", s)
}

// SubscriberStatus says whether a subscriber receives email.
type SubscriberStatus string

// Subscriber states; only active subscribers are sent to.
const (
	SubscriberActive       SubscriberStatus = "active"
	SubscriberPending      SubscriberStatus = "pending"
	SubscriberUnsubscribed SubscriberStatus = "unsubscribed"
	SubscriberBounced      SubscriberStatus = "bounced"
)

// Suppressed reports whether an address in this status must not be made
// active again except by an explicit re-subscribe: every status but active
// and pending, so a status added later is suppressed until said otherwise.
func (st SubscriberStatus) Suppressed() bool {
	return st != SubscriberActive && st != SubscriberPending
}

// SuppressionReason says why an address is on the suppression list.
type SuppressionReason string

// The reasons an address is suppressed.
const (
	SuppressedUnsubscribed SuppressionReason = "unsubscribed"
	SuppressedBounced      SuppressionReason = "bounced"
	SuppressedComplained   SuppressionReason = "complained"
	SuppressedManual       SuppressionReason = "manual"
)

// ParseSuppressionReason returns the reason named s; empty means manual.
func ParseSuppressionReason(s string) (SuppressionReason, error) {
	switch r := SuppressionReason(strings.ToLower(strings.TrimSpace(s))); r {
	case "":
		return SuppressedManual, nil
	case SuppressedUnsubscribed, SuppressedBounced, SuppressedComplained, SuppressedManual:
		return r, nil
	}
	return "", Errorf(EINVALID, "suppression reason %q is not one of unsubscribed, bounced, complained, manual", s)
}

// Suppression is one address on the suppression list: never mailed,
// whoever adds it again, until an editor removes it from the list.
type Suppression struct {
	Email     string            `json:"email"`
	Reason    SuppressionReason `json:"reason"`
	Detail    string            `json:"detail,omitempty"` // what caused it: a bounce's diagnostic, a provider
	CreatedAt time.Time         `json:"created_at"`
}

// Bounce is one bounce or complaint as the store keeps it; package
// bounce makes them from the events it reads.
type Bounce struct {
	// Key identifies the event: the same report read twice has the same key.
	Key        string
	Email      string
	Kind       string // hard, soft or complaint
	Provider   string
	DeliveryID int64 // the ledger row it is about; 0 if none is known
	Diagnostic string
	At         time.Time // when the provider saw it
}

// Subscriber is one person on the list.
type Subscriber struct {
	ID        int64            `json:"id"`
	Email     string           `json:"email"`
	Name      string           `json:"name"`
	Frequency Frequency        `json:"frequency"`
	Status    SubscriberStatus `json:"status"`
	CreatedAt time.Time        `json:"created_at"`
	// Handle is the subscriber's opaque random name in signed links; the
	// store assigns it and it never changes. Not shown: it is half of what
	// a link needs.
	Handle string `json:"-"`
	// TokenVersion is part of every signed link; the store changes it when
	// the status or the address changes, which revokes the older links.
	TokenVersion int64 `json:"-"`
}

// Validate checks the address (see NormalizeEmail), the name (see
// ValidateName) and the frequency, and stores the address normalised.
func (s *Subscriber) Validate() error {
	addr, err := NormalizeEmail(s.Email)
	if err != nil {
		return err
	}
	s.Email = addr
	if err := ValidateName(s.Name); err != nil {
		return Errorf(EINVALID, "%s (subscriber %s)", ErrorMessage(err), addr)
	}
	if s.Frequency == "" {
		s.Frequency = Instant
	}
	if _, err := ParseFrequency(string(s.Frequency)); err != nil {
		return err
	}
	return nil
}

// ValidateName checks a subscriber's name: valid UTF-8, at most MaxNameLen
// bytes, and none of the characters that change how text around them is
// shown: controls (Cc: ESC and every terminal escape sequence, CR, LF, tab),
// format characters (Cf: bidi overrides, zero-width spaces and joiners) and
// the line and paragraph separators. The web form, the CLI and
// Subscriber.Validate all use it.
func ValidateName(name string) error {
	if len(name) > MaxNameLen {
		return Errorf(EINVALID, "subscriber name is longer than %d bytes", MaxNameLen)
	}
	if !utf8.ValidString(name) {
		return Errorf(EINVALID, "subscriber name is not valid UTF-8")
	}
	for _, r := range name {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			return Errorf(EINVALID, "subscriber name %q contains the control or format character %U", name, r)
		}
	}
	return nil
}

// emailDomains maps a domain as typed to the ASCII form DNS looks up, by
// UTS #46 (which folds case and applies NFKC, so fullwidth or ligature
// look-alikes of ASCII letters become those letters), and refuses labels
// that IDNA 2008 or DNS would not carry. Non-transitional: ß stays ß, as
// registries now allow.
var emailDomains = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true), idna.Transitional(false))

// NormalizeEmail checks that raw is one plain address (no display name, no
// control characters) and returns it in the one form that is stored,
// compared and mailed: the local part as given, the domain in its lowercase
// ASCII (IDNA "xn--") form, so a look-alike domain shows as what it is.
//
// Local parts must be ASCII. An address like Kate@example.com whose K is
// U+212A KELVIN SIGN is a different mailbox from kate@example.com yet looks
// the same (and NFKC, or Go's case folding, turns it into kate), so it is
// refused rather than compared after NFKC: we cannot tell a person's real
// non-ASCII mailbox from a look-alike of someone else's, and delivering to
// one needs SMTPUTF8, which few relays offer. Domain literals such as
// [192.0.2.1] are accepted (an editor's test mailbox); NormalizePublicEmail
// refuses them.
func NormalizeEmail(raw string) (string, error) {
	return normalizeEmail(raw, false)
}

// NormalizePublicEmail is NormalizeEmail for an address typed by a stranger
// into a public form: it also refuses domain literals (lit@[127.0.0.1]),
// which would have the newsletter's mail server deliver to an IP address of
// the sender's choosing.
func NormalizePublicEmail(raw string) (string, error) {
	return normalizeEmail(raw, true)
}

func normalizeEmail(raw string, public bool) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", Errorf(EINVALID, "email address is empty")
	}
	if len(s) > MaxEmailLen || strings.ContainsAny(s, "\r\n\x00<>\" ,;") {
		return "", Errorf(EINVALID, "email address %q is not valid", raw)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", Errorf(EINVALID, "email address %q is not valid", raw)
	}
	at := strings.LastIndexByte(s, '@')
	local, domain := s[:at], s[at+1:]
	if i := strings.IndexFunc(local, func(r rune) bool { return r < 0x21 || r > 0x7e }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(local[i:])
		return "", Errorf(EINVALID, "email address %q has %U before the @: only ASCII is accepted there", raw, r)
	}
	if strings.HasPrefix(domain, "[") {
		if public {
			return "", Errorf(EINVALID, "email address %q names an IP address instead of a domain", raw)
		}
		ip, err := netip.ParseAddr(strings.TrimSuffix(domain[1:], "]"))
		if err != nil || !ip.Is4() || !strings.HasSuffix(domain, "]") {
			return "", Errorf(EINVALID, "email address %q has no valid domain", raw)
		}
		return local + "@[" + ip.String() + "]", nil
	}
	domain, err = emailDomains.ToASCII(domain)
	if err != nil || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", Errorf(EINVALID, "email address %q has no valid domain", raw)
	}
	if tld := domain[strings.LastIndexByte(domain, '.')+1:]; strings.Trim(tld, "0123456789") == "" {
		// No top-level domain is numeric: this is an IP address without brackets.
		return "", Errorf(EINVALID, "email address %q names an IP address instead of a domain", raw)
	}
	addr := local + "@" + domain
	if len(addr) > MaxEmailLen {
		return "", Errorf(EINVALID, "email address %q is longer than %d bytes once its domain is in ASCII", raw, MaxEmailLen)
	}
	return addr, nil
}

// EmailKey returns what makes two addresses one subscriber: the normalised
// address, lowercased. Local parts are case-sensitive in theory, but no
// mailbox provider treats them so, and one person must not get two copies.
// An address that does not normalise (a row stored before these rules) has
// only its ASCII letters lowercased, so it never folds onto another
// address: strings.ToLower would turn U+212A KELVIN SIGN into k.
func EmailKey(addr string) string {
	// An address of lowercase printable ASCII is its own key: normalising
	// changes only the case of such a domain, and one that does not
	// normalise keeps its bytes. The send path asks this of every address
	// several times, and normalising is not free.
	plain := addr != ""
	for i := 0; i < len(addr) && plain; i++ {
		plain = addr[i] > ' ' && addr[i] <= '~' && (addr[i] < 'A' || addr[i] > 'Z')
	}
	if plain {
		return addr
	}
	return emailKeySlow(addr)
}

// emailKeySlow is EmailKey without the shortcut.
func emailKeySlow(addr string) string {
	if n, err := NormalizeEmail(addr); err == nil {
		addr = n
	}
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, strings.TrimSpace(addr))
}

// Channel names an outside system a delivery goes to.
type Channel string

// The channels.
const (
	ChannelEmail    Channel = "email"
	ChannelX        Channel = "x"
	ChannelMastodon Channel = "mastodon"
	ChannelBluesky  Channel = "bluesky"
	ChannelWebhook  Channel = "webhook"
	ChannelOutbox   Channel = "outbox"
)

// SocialChannels are the channels that take one post per article, in the
// order they are shown.
var SocialChannels = []Channel{ChannelX, ChannelMastodon, ChannelBluesky, ChannelWebhook, ChannelOutbox}

// ParseChannel returns the channel named s.
func ParseChannel(s string) (Channel, error) {
	c := Channel(strings.ToLower(strings.TrimSpace(s)))
	if c == ChannelEmail {
		return c, nil
	}
	for _, k := range SocialChannels {
		if c == k {
			return c, nil
		}
	}
	return "", Errorf(EINVALID, "unknown channel %q", s)
}

// Post is the text of one article for one social channel.
type Post struct {
	ArticleID string  `json:"article_id,omitempty"`
	Channel   Channel `json:"channel,omitempty"`
	Text      string  `json:"text"`
	Length    int     `json:"length"` // by the channel's own counting rule
	Limit     int     `json:"limit"`
	// Link is the article URL as it appears in Text (with any UTM
	// parameters), for link cards and facets.
	Link string `json:"link,omitempty"`
	// LinkText is what Text shows for Link when that is not Link itself:
	// Bluesky shows a link short and carries it in a link facet.
	LinkText string `json:"link_text,omitempty"`
	// Article is what the post is about, for adapters that send more than
	// text (a link card's title, description and image; a webhook's body).
	Article Article `json:"-"`
}

// Digest is one email sent to many subscribers: the articles of one
// instant send, or those collected for a daily or weekly digest.
type Digest struct {
	ID         string    `json:"id"`
	Frequency  Frequency `json:"frequency"`
	ArticleIDs []string  `json:"article_ids"`
	CreatedAt  time.Time `json:"created_at"`
}

// InstantDigestID is the ID of the instant email of one article.
func InstantDigestID(articleID string) string { return articleID }

// DigestID names the digest of freq built for the time slot t (to the
// second): a trigger that fires twice in one slot builds one digest.
func DigestID(freq Frequency, t time.Time) string {
	return "dg_" + string(freq) + "_" + t.UTC().Format("20060102T150405")
}

// IsDigestID reports whether id names a daily or weekly digest.
func IsDigestID(id string) bool { return strings.HasPrefix(id, "dg_") }

// DeliveryStatus is where one delivery stands.
type DeliveryStatus string

// Delivery states. All but queued, sending and deferred are final.
const (
	StatusQueued    DeliveryStatus = "queued"
	StatusSending   DeliveryStatus = "sending"
	StatusSent      DeliveryStatus = "sent"
	StatusFailed    DeliveryStatus = "failed"
	StatusUnknown   DeliveryStatus = "unknown"   // outcome not known; an editor decides
	StatusDuplicate DeliveryStatus = "duplicate" // the remote side already had it
	StatusSkipped   DeliveryStatus = "skipped"   // nothing sent: the subscriber left before the send
	StatusBounced   DeliveryStatus = "bounced"   // the address does not exist; the subscriber is suppressed
	StatusDeferred  DeliveryStatus = "deferred"  // held back by the channel's daily cap until the next day
	StatusCancelled DeliveryStatus = "cancelled" // withdrawn by an editor before it went
	// The outcomes learnt after a delivery was sent: a soft bounce (the
	// mailbox was full or the server busy), and a spam complaint (the
	// subscriber is unsubscribed and suppressed). A later hard bounce sets
	// StatusBounced.
	StatusSoftBounced DeliveryStatus = "soft_bounced"
	StatusComplained  DeliveryStatus = "complained"
)

// Final reports whether nothing more will happen to a delivery in this
// status without an editor.
func (s DeliveryStatus) Final() bool {
	switch s {
	case StatusSent, StatusFailed, StatusUnknown, StatusDuplicate, StatusSkipped, StatusBounced, StatusCancelled,
		StatusSoftBounced, StatusComplained:
		return true
	}
	return false
}

// ChannelState is what the program last learnt about a channel's
// credentials: "ok", or "needs_credentials" after the network refused them.
type ChannelState struct {
	Channel   Channel   `json:"channel"`
	State     string    `json:"state"`
	Reason    string    `json:"reason,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Channel states.
const (
	ChannelOK               = "ok"
	ChannelNeedsCredentials = "needs_credentials"
)

// Delivery is one row of the delivery ledger: one effect on the outside
// world, keyed by (Item, Channel, Subscriber).
type Delivery struct {
	ID         int64          `json:"id"`
	Item       string         `json:"item"` // article ID, or digest ID for email
	Channel    Channel        `json:"channel"`
	Subscriber string         `json:"subscriber,omitempty"` // email address, email channel only
	Status     DeliveryStatus `json:"status"`
	Attempts   int            `json:"attempts"`
	RemoteID   string         `json:"remote_id,omitempty"` // post id, or the Message-ID
	Error      string         `json:"error,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
	UpdatedAt  time.Time      `json:"updated_at"`
}

// CancelledByEditor is the error recorded on a delivery `syndicate cancel`
// withdrew.
const CancelledByEditor = "cancelled by an editor"

// EmailPlan is one email batch a fan-out planned: the addresses of one
// bucket of subscribers, whose ledger rows the batch makes when it begins.
// Until then each address counts as a queued delivery of Item.
type EmailPlan struct {
	Item      string
	Bucket    int64
	Emails    []string
	CreatedAt time.Time
}

// DeliveryResult is the outcome of one attempt at a delivery, as the
// ledger records it.
type DeliveryResult struct {
	Key      DeliveryKey
	Status   DeliveryStatus
	RemoteID string // empty keeps the one recorded before
	Error    string // empty on success
}

// String names the delivery for logs and errors.
func (d Delivery) String() string {
	if d.Subscriber != "" {
		return fmt.Sprintf("%s of %s to %s", d.Channel, d.Item, d.Subscriber)
	}
	return fmt.Sprintf("%s post of %s", d.Channel, d.Item)
}

// DeliveryKey identifies one row of the delivery ledger.
type DeliveryKey struct {
	Item       string
	Channel    Channel
	Subscriber string // email address for the email channel, "" otherwise
}

// Key returns the ledger key of d.
func (d Delivery) Key() DeliveryKey {
	return DeliveryKey{Item: d.Item, Channel: d.Channel, Subscriber: d.Subscriber}
}

// Message is one rendered email to one subscriber, ready for a mailer.
type Message struct {
	From              string // "Name <addr>" of the newsletter
	To                string // the subscriber's address
	ToName            string // the subscriber's name, may be empty
	Subject           string
	Text              string // the text/plain part, sent first
	HTML              string // the text/html part
	MessageID         string // "local@domain", without angle brackets; the same on every retry
	Date              time.Time
	ListID            string // RFC 2919 List-Id value, e.g. "Weekly News <news.example.com>"
	UnsubscribeURL    string // https URL for List-Unsubscribe and its one-click POST
	UnsubscribeMailto string // optional mailto: URL, also in List-Unsubscribe
	// FeedbackID is the Feedback-ID header of a bulk message (Gmail's
	// feedback loop, "campaign:type:list:SenderId"); empty means none.
	FeedbackID string
	// ReturnPath, when set, is the envelope sender (SMTP MAIL FROM, which
	// the receiver records as Return-Path) where bounces go: a VERP
	// address that names this delivery. Empty means the From address.
	ReturnPath string
	// Transactional marks a message one person asked for (the double
	// opt-in email): it carries no List-Unsubscribe and no bulk headers,
	// and needs no UnsubscribeURL.
	Transactional bool
}

// ArchivedEmail is the public copy of one sent email, a digest or an
// instant email, as the archive shows it: rendered with no subscriber in
// it, so it carries no unsubscribe token or other personal link.
type ArchivedEmail struct {
	ID        string    `json:"id"` // the digest's ID, or the article's for an instant email
	Frequency Frequency `json:"frequency"`
	Subject   string    `json:"subject"`
	Summary   string    `json:"summary"`        // the inbox preview line: the lead story's lede
	HTML      string    `json:"html,omitempty"` // the hosted copy; empty in lists
	SentAt    time.Time `json:"sent_at"`
}
