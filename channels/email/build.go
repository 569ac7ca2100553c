package email

import (
	"fmt"
	"io"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/wneessen/go-mail"

	"syndicate"
)

// maxListUnsubscribe bounds the List-Unsubscribe value so that the header
// stays within RFC 5322's 998-character line limit: go-mail writes it on one
// line without folding.
const maxListUnsubscribe = 900

// messageIDPattern is a strict dot-atom local@domain: the ID is written
// inside <> by go-mail, and anything looser could end the header early or
// smuggle in another one.
var messageIDPattern = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_{|}~-]+)*@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$`)

// listIDPattern is RFC 2919's List-Id: an optional phrase and a
// <list-label.domain> identifier.
var listIDPattern = regexp.MustCompile(`^([^<>]*\s)?<[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+>$`)

// feedbackIDPattern is Gmail's Feedback-ID: two to four colon-separated
// identifiers, the last the sender's.
var feedbackIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+(:[A-Za-z0-9._-]+){1,3}$`)

// Build returns the go-mail message for m: multipart/alternative with the
// text part first, and the headers a bulk sender must carry, or for a
// Transactional message only From, To, Subject, Date and Message-ID. It validates
// every header value built from m and returns a Permanent *syndicate.SendError
// naming the first bad one, because retrying the same message cannot help.
// Display names and the subject are tidied (control characters and runs of
// whitespace become one space) rather than refused: they come from people.
func Build(m syndicate.Message) (*mail.Msg, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())

	from, err := netmail.ParseAddress(m.From)
	if err != nil || hasControl(m.From) {
		return nil, invalid("sender %q is not a valid address", m.From)
	}
	if _, err := syndicate.NormalizeEmail(from.Address); err != nil {
		return nil, invalid("sender %q is not a valid address", m.From)
	}
	from.Name = oneLine(from.Name)
	if strings.Contains(from.Name, "=?") {
		// ParseAddress has decoded real encoded words; this is one quoted
		// or made to look like one, and go-mail can only quote it.
		return nil, invalid("sender name %q looks like an RFC 2047 encoded word", from.Name)
	}
	msg.FromMailAddress(from)
	if m.ReturnPath != "" {
		rp, err := syndicate.NormalizeEmail(m.ReturnPath)
		if err != nil {
			return nil, invalid("return path %q is not a valid address", m.ReturnPath)
		}
		// The envelope sender only: go-mail writes no header for it.
		if err := msg.EnvelopeFrom(rp); err != nil {
			return nil, invalid("return path %q is not a valid address", m.ReturnPath)
		}
	}

	to, err := syndicate.NormalizeEmail(m.To)
	if err != nil {
		return nil, invalid("recipient %q is not a valid address", m.To)
	}
	if name := oneLine(m.ToName); strings.Contains(name, "=?") {
		// net/mail writes an ASCII display name as a quoted string, which
		// RFC 2047 says is never decoded but many mail clients decode
		// anyway. go-mail cannot be told to encode it, so the To header is
		// written here, encoded, and the address is given to the envelope
		// only (go-mail sends to Bcc and never writes that header).
		msg.SetGenHeader(mail.Header(mail.HeaderTo), encodeWords(name)+" <"+to+">")
		msg.BccMailAddress(&netmail.Address{Address: to})
	} else {
		msg.ToMailAddress(&netmail.Address{Name: name, Address: to})
	}

	// go-mail Q-encodes a subject with control characters, so CR/LF could
	// not start a new header anyway; collapsing keeps the subject readable.
	// It leaves ASCII as it is, though, and text that looks like an
	// encoded word would be decoded by the reader's client: such a subject
	// is encoded here.
	if subject := oneLine(m.Subject); strings.Contains(subject, "=?") {
		msg.SetGenHeader(mail.HeaderSubject, encodeWords(subject))
	} else {
		msg.Subject(subject)
	}

	date := m.Date
	if date.IsZero() {
		// A missing date must not lose the email; the job normally sets it
		// so that every retry carries the same one.
		date = time.Now()
	}
	msg.SetDateWithValue(date)

	// SetMessageIDWithValue writes the value between <> with no check.
	if !messageIDPattern.MatchString(m.MessageID) || len(m.MessageID) > 250 {
		return nil, invalid("message ID %q is not local@domain", m.MessageID)
	}
	msg.SetMessageIDWithValue(m.MessageID)

	if m.Transactional {
		// One email one person asked for (the double opt-in): no list to
		// leave, so no List-* headers, and not bulk, so that receivers and
		// auto-responders treat it as the reply it is.
		if m.UnsubscribeURL != "" || m.UnsubscribeMailto != "" || m.ListID != "" || m.FeedbackID != "" {
			return nil, invalid("transactional message %s has list headers", m.MessageID)
		}
		msg.SetGenHeader("Auto-Submitted", "auto-generated") // still no auto-replies
		if err := setBody(msg, m); err != nil {
			return nil, err
		}
		return msg, nil
	}

	// SetListUnsubscribe and SetGenHeaderPreformatted write their values
	// verbatim, unencoded and unfolded: a CR/LF would start a new header
	// and a space or <> would break the URI list, so the URIs are checked
	// here rather than trusted.
	unsub, err := unsubscribeURL(m.UnsubscribeURL)
	if err != nil {
		return nil, err
	}
	uris := []string{unsub}
	if m.UnsubscribeMailto != "" {
		mailto, err := mailtoURL(m.UnsubscribeMailto)
		if err != nil {
			return nil, err
		}
		uris = append(uris, mailto)
	}
	if n := len(strings.Join(uris, ">, <")) + 2; n > maxListUnsubscribe {
		return nil, invalid("List-Unsubscribe value is %d bytes, more than %d", n, maxListUnsubscribe)
	}
	msg.SetListUnsubscribe(uris...)
	// RFC 8058 one-click, which Gmail and Yahoo require of bulk senders.
	// Set as an ordinary header rather than with SetListUnsubscribePost:
	// go-mail writes preformatted headers in map order, and with only one of
	// them the written message is the same every time.
	msg.SetGenHeader(mail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")

	if m.ListID != "" {
		// List-Id goes through SetGenHeader, which would encode a CR/LF
		// rather than write it, but a List-Id that is not RFC 2919 shape is
		// a configuration mistake worth refusing loudly.
		if hasControl(m.ListID) || !listIDPattern.MatchString(m.ListID) {
			return nil, invalid("List-Id %q is not of the form Name <label.domain>", m.ListID)
		}
		msg.SetGenHeader("List-Id", m.ListID)
	}
	if m.FeedbackID != "" {
		// Gmail's feedback loop: "a:b:c:SenderId", colon-separated
		// identifiers, the sender's last. Refused rather than repaired: it
		// is built by the program, so a bad one is a bug.
		if !feedbackIDPattern.MatchString(m.FeedbackID) || len(m.FeedbackID) > 200 {
			return nil, invalid("Feedback-ID %q is not of the form campaign:type:list:sender", m.FeedbackID)
		}
		msg.SetGenHeader("Feedback-ID", m.FeedbackID)
	}
	msg.SetBulk() // Precedence: bulk, X-Auto-Response-Suppress: All
	msg.SetGenHeader("Auto-Submitted", "auto-generated")

	if err := setBody(msg, m); err != nil {
		return nil, err
	}
	return msg, nil
}

// setBody sets the text part first and the HTML part as its alternative.
func setBody(msg *mail.Msg, m syndicate.Message) error {
	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyWriter(mail.TypeTextPlain, writeString(m.Text))
		msg.AddAlternativeWriter(mail.TypeTextHTML, writeString(m.HTML))
	case m.Text != "":
		msg.SetBodyWriter(mail.TypeTextPlain, writeString(m.Text))
	case m.HTML != "":
		msg.SetBodyWriter(mail.TypeTextHTML, writeString(m.HTML))
	default:
		return invalid("message %s has no body", m.MessageID)
	}
	return nil
}

// writeString is a part's body writer for s. go-mail's SetBodyString
// copies the string into a buffer of its own first, a copy of every part of
// every message; this writes s itself, as many times as the message is
// written. io.Writer's contract forbids Write to change p, so s's bytes are
// handed over as they are, not copied.
func writeString(s string) func(io.Writer) (int64, error) {
	return func(w io.Writer) (int64, error) {
		n, err := w.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
		return int64(n), err
	}
}

// unsubscribeURL checks the one-click unsubscribe URL: https (http only for
// a local test server), and nothing that could break out of <…>.
func unsubscribeURL(raw string) (string, error) {
	if raw == "" {
		return "", invalid("unsubscribe URL is missing")
	}
	if !headerSafe(raw) {
		return "", invalid("unsubscribe URL %q contains spaces, <>, quotes or control characters", raw)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return "", invalid("unsubscribe URL %q is not an absolute URL", raw)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost" || u.Hostname() == "::1"):
	default:
		return "", invalid("unsubscribe URL %q is not https", raw)
	}
	return raw, nil
}

// mailtoURL checks the optional mailto: unsubscribe URI: one valid
// address, and nothing that could break out of <…> or the URI list.
func mailtoURL(raw string) (string, error) {
	// A comma is legal inside <…>, but it also separates List-Unsubscribe
	// URIs and mailto addresses, and receivers that split the header
	// naively would unsubscribe someone else or no one.
	if !headerSafe(raw) || strings.ContainsRune(raw, ',') {
		return "", invalid("unsubscribe mailto %q contains spaces, commas, <>, quotes or control characters", raw)
	}
	u, err := url.Parse(raw)
	if err != nil || !strings.EqualFold(u.Scheme, "mailto") || u.Opaque == "" {
		return "", invalid("unsubscribe mailto %q is not a mailto: URL", raw)
	}
	if _, err := syndicate.NormalizeEmail(u.Opaque); err != nil {
		return "", invalid("unsubscribe mailto %q does not name one address", raw)
	}
	return raw, nil
}

// headerSafe reports whether s can sit verbatim inside <…> in a header.
func headerSafe(s string) bool {
	for _, r := range s {
		if r <= ' ' || r >= 0x7f || strings.ContainsRune(`<>"\`, r) {
			return false
		}
	}
	return s != ""
}

// hasControl reports whether s holds a control character (CR, LF, NUL…).
func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// oneLine replaces control characters and runs of whitespace with single
// spaces.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
}

// maxEncodedText is the most text one RFC 2047 encoded word may carry: the
// whole word, "=?UTF-8?q?" and "?=" included, is at most 75 characters.
const maxEncodedText = 75 - len("=?UTF-8?q??=")

// encodeWords returns s as RFC 2047 Q-encoded words separated by spaces,
// whatever it holds (mime.WordEncoder leaves plain ASCII as it is). Only
// letters, digits and "!*+-/" are left unencoded, which RFC 2047 allows in
// a display name as well as in a subject, and no word splits a character.
func encodeWords(s string) string {
	var words []string
	var w strings.Builder
	for _, r := range s {
		var enc string
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("!*+-/", r)):
			enc = string(r)
		case r == ' ':
			enc = "_"
		default:
			var b [utf8.UTFMax]byte
			for _, c := range b[:utf8.EncodeRune(b[:], r)] {
				enc += fmt.Sprintf("=%02X", c)
			}
		}
		if w.Len()+len(enc) > maxEncodedText {
			words = append(words, "=?UTF-8?q?"+w.String()+"?=")
			w.Reset()
		}
		w.WriteString(enc)
	}
	if w.Len() > 0 {
		words = append(words, "=?UTF-8?q?"+w.String()+"?=")
	}
	return strings.Join(words, " ")
}

func invalid(format string, args ...any) *syndicate.SendError {
	return &syndicate.SendError{Outcome: syndicate.Permanent, Message: "invalid message: " + fmt.Sprintf(format, args...)}
}
