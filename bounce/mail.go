package bounce

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // reports in ISO-8859-1, Windows-1252, ISO-2022-JP…
	"github.com/emersion/go-message/textproto"

	"syndicate"
	"syndicate/signed"
)

// MaxMessageSize bounds a report read by ParseMessage: a bounce quoting
// the whole original is a few hundred kilobytes at most.
const MaxMessageSize = 10 << 20

// maxPart bounds one machine-readable part of a report.
const maxPart = 256 << 10

// notReport is the error ParseMessage gives a message that is neither
// kind of report (an auto-reply, a person's answer, a bounce in prose
// only).
const notReport = "the message is neither a delivery status notification (RFC 3464 multipart/report) nor a feedback report (RFC 5965)"

// ParseMessage reads one email, a delivery status notification (RFC 3464)
// or an abuse feedback report (ARF, RFC 5965), and returns its events: one
// per recipient that failed (hard) or was delayed or refused for a
// passing reason (soft), or the one complaint. A report that says every
// message was delivered gives no events and no error. Events carry the
// VERP token of the return path the report came back to, or of the
// original message's envelope sender, and the original's Message-ID; they
// are not Verified (anyone can send mail to the bounce address).
func ParseMessage(r io.Reader) ([]Event, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxMessageSize+1))
	if err != nil {
		return nil, syndicate.Errorf(syndicate.EINVALID, "the message could not be read: %v", err)
	}
	if len(b) > MaxMessageSize {
		return nil, syndicate.Errorf(syndicate.EINVALID, "the message is larger than %d bytes", MaxMessageSize)
	}
	ent, err := message.Read(bytes.NewReader(b))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, syndicate.Errorf(syndicate.EINVALID, "the message is not an email: %v", err)
	}
	var (
		status, feedback []byte
		orig             *textproto.Header
	)
	// A part that cannot be decoded is skipped: the parts that matter are
	// plain text, and a broken human-readable part must not hide them.
	werr := ent.Walk(func(_ []int, e *message.Entity, err error) error {
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return nil
		}
		mt, _, _ := e.Header.ContentType()
		switch strings.ToLower(mt) {
		case "message/delivery-status", "message/global-delivery-status":
			if status == nil {
				status, _ = io.ReadAll(io.LimitReader(e.Body, maxPart)) // a part cut short still has its fields
			}
		case "message/feedback-report":
			if feedback == nil {
				feedback, _ = io.ReadAll(io.LimitReader(e.Body, maxPart))
			}
		case "message/rfc822", "text/rfc822-headers", "message/global", "message/global-headers":
			if orig == nil {
				if h, err := textproto.ReadHeader(bufio.NewReader(io.LimitReader(e.Body, maxPart))); err == nil || h.Len() > 0 {
					orig = &h
				}
			}
		}
		return nil
	})
	if werr != nil && status == nil && feedback == nil {
		return nil, syndicate.Errorf(syndicate.EINVALID, "the message's MIME structure is broken: %v", werr)
	}
	outer := ent.Header
	env := envelope{
		reportID: strings.Trim(strings.TrimSpace(outer.Get("Message-Id")), "<>"),
		date:     parseDate(outer.Get("Date")),
	}
	if orig != nil {
		env.messageID = strings.Trim(strings.TrimSpace(orig.Get("Message-Id")), "<>")
	}
	// The report comes back to the return path (To, or the headers the
	// receiving server adds); the original's Return-Path, as the
	// complaining mailbox stored it, names it too.
	var paths []string
	for _, k := range []string{"X-Original-To", "Delivered-To", "Envelope-To", "To"} {
		paths = append(paths, outer.Values(k)...)
	}
	if orig != nil {
		paths = append(paths, orig.Values("Return-Path")...)
	}
	switch {
	case feedback != nil:
		return parseARF(feedback, orig, paths, env)
	case status != nil:
		return parseDSN(status, paths, env)
	}
	return nil, syndicate.Errorf(syndicate.EINVALID, "%s", notReport)
}

// envelope is what the whole report says, for each of its events.
type envelope struct {
	reportID  string    // the report's own Message-ID
	messageID string    // the original message's
	date      time.Time // the report's Date
}

// token returns the first VERP token among addrs (address lists).
func token(addrs []string) string {
	for _, v := range addrs {
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			if p, err := mail.ParseAddress(a); err == nil {
				a = p.Address
			}
			if t := signed.VERPTokenOf(a); t != "" {
				return t
			}
		}
	}
	return ""
}

// parseDSN reads the message/delivery-status part: a block of fields
// about the message, then one block per recipient (RFC 3464 section 2).
func parseDSN(b []byte, paths []string, env envelope) ([]Event, error) {
	blocks := fieldBlocks(b)
	if len(blocks) == 0 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "the delivery status part has no fields")
	}
	perMessage := blocks[0]
	at := parseDate(perMessage.get("Arrival-Date"))
	if at.IsZero() {
		at = env.date
	}
	tok := token(paths)
	var out []Event
	for _, f := range blocks[1:] {
		addr := recipient(f.get("Final-Recipient"))
		if addr == "" {
			addr = recipient(f.get("Original-Recipient"))
		}
		kind, ok := classify(f.get("Action"), f.get("Status"))
		if !ok || addr == "" {
			continue
		}
		diag := f.get("Diagnostic-Code")
		if _, rest, ok := strings.Cut(diag, ";"); ok {
			diag = rest // drop the type: "smtp; 550 5.1.1 …"
		}
		e := Event{
			Kind: kind, Address: addr, MessageID: env.messageID, Token: tok, Provider: "dsn",
			Diagnostic: strings.TrimSpace(diag), Code: statusCode(f.get("Status")), Time: at,
		}
		if e.Diagnostic == "" {
			e.Diagnostic = strings.TrimSpace(f.get("X-Supplementary-Info"))
		}
		if env.reportID != "" {
			e.ID = env.reportID + "/" + syndicate.EmailKey(addr)
		}
		out = append(out, e)
	}
	if len(out) == 0 && len(blocks) == 1 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "the delivery status part names no recipient")
	}
	return out, nil
}

// parseARF reads the message/feedback-report part (RFC 5965 section 3.5).
// Only abuse and fraud reports are complaints; the others (not-spam,
// virus, auth-failure…) give no event.
func parseARF(b []byte, orig *textproto.Header, paths []string, env envelope) ([]Event, error) {
	blocks := fieldBlocks(b)
	if len(blocks) == 0 {
		return nil, syndicate.Errorf(syndicate.EINVALID, "the feedback report part has no fields")
	}
	f := blocks[0]
	switch strings.ToLower(strings.TrimSpace(f.get("Feedback-Type"))) {
	case "abuse", "fraud":
	case "":
		return nil, syndicate.Errorf(syndicate.EINVALID, "the feedback report has no Feedback-Type")
	default:
		return nil, nil
	}
	// The original envelope sender is our VERP return path.
	tok := token(append([]string{f.get("Original-Mail-From")}, paths...))
	addr := recipient(f.get("Original-Rcpt-To"))
	if addr == "" && orig != nil {
		// Microsoft's JMRP names the recipient in its own header; others
		// leave the original's To, which some providers redact.
		for _, k := range []string{"X-HmXmrOriginalRecipient", "To"} {
			if a, err := mail.ParseAddress(orig.Get(k)); err == nil {
				addr = a.Address
				break
			}
		}
	}
	at := parseDate(f.get("Arrival-Date"))
	if at.IsZero() {
		at = parseDate(f.get("Received-Date"))
	}
	if at.IsZero() {
		at = env.date
	}
	e := Event{
		Kind: Complaint, Address: addr, MessageID: env.messageID, Token: tok, Provider: "arf",
		Diagnostic: "spam complaint via " + firstNonEmpty(f.get("User-Agent"), f.get("Reporting-MTA"), "a feedback loop"), Time: at,
	}
	if e.Address == "" && e.Token == "" && e.MessageID == "" {
		return nil, syndicate.Errorf(syndicate.EINVALID, "the feedback report names neither the recipient nor the original message")
	}
	if env.reportID != "" {
		e.ID = env.reportID
	}
	return []Event{e}, nil
}

// classify maps a DSN recipient's Action and Status to a kind; ok is false
// for a recipient that was delivered, relayed or expanded. A permanent
// failure is hard except for the codes that say nothing about the
// address: mailbox full (5.2.2), message too large (5.2.3, 5.3.4) and
// policy refusals (5.7.x: spam filters, DMARC), which count as soft.
func classify(action, status string) (Kind, bool) {
	code := statusCode(status)
	switch strings.ToLower(strings.TrimSpace(action)) {
	case "failed":
	case "delayed":
		return Soft, true
	default:
		return "", false
	}
	switch {
	case strings.HasPrefix(code, "4."):
		return Soft, true
	case code == "5.2.2", code == "5.2.3", code == "5.3.4", strings.HasPrefix(code, "5.7."):
		return Soft, true
	}
	return Hard, true
}

// statusCode returns the enhanced status code (x.y.z) at the start of s.
func statusCode(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " \t("); i >= 0 {
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || (parts[0] != "2" && parts[0] != "4" && parts[0] != "5") {
		return ""
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 || strings.Trim(p, "0123456789") != "" {
			return ""
		}
	}
	return s
}

// recipient returns the address of a "type; address" field (rfc822;
// ann@example.com), with any angle brackets removed.
func recipient(v string) string {
	if _, a, ok := strings.Cut(v, ";"); ok {
		v = a
	}
	v = strings.Trim(strings.TrimSpace(v), "<>")
	if !strings.Contains(v, "@") || strings.ContainsAny(v, " \t\r\n") {
		return ""
	}
	return v
}

// fields is one block of "Name: value" lines; names are compared without
// case, and the first of repeated names wins.
type fields map[string]string

func (f fields) get(name string) string { return f[strings.ToLower(name)] }

// fieldBlocks splits b into blocks of header-style fields separated by
// blank lines, unfolding continuation lines. Lines that are not fields
// are skipped, as servers add comments and stray text.
func fieldBlocks(b []byte) []fields {
	var (
		out  []fields
		cur  fields
		last string
	)
	for _, line := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur, last = nil, ""
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && last != "" {
			cur[last] += " " + strings.TrimSpace(line)
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			last = ""
			continue
		}
		if cur == nil {
			cur = fields{}
		}
		if _, seen := cur[name]; !seen {
			cur[name] = strings.TrimSpace(value)
			last = name
		} else {
			last = ""
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// parseDate reads an RFC 5322 date; the zero time if it does not parse.
func parseDate(s string) time.Time {
	t, err := mail.ParseDate(strings.TrimSpace(s))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// ProcessMessage parses one report (see ParseMessage) and processes its
// events. It stops at the first event the store fails on, returning the
// results so far; applying the message again is safe.
func (p *Processor) ProcessMessage(ctx context.Context, r io.Reader) ([]Result, error) {
	events, err := ParseMessage(r)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, e := range events {
		res, err := p.Process(ctx, e)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}
