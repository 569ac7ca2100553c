package web

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"syndicate"
	"syndicate/bounce"
	"syndicate/fetch"
	"syndicate/signed"
)

// The bounce webhooks: POST /v1/hooks/bounces/{provider}, where provider is
// ses, postmark, sendgrid or mailgun, each verified the provider's way
// before anything in its body is believed. Each answers
//
//	200 {"applied": N, "duplicates": N, "refused": N, "ignored": N}
//	200 {"confirmed": "arn:…"}   an SNS subscription confirmed
//	400 {"error": "..."}         a body that is not the provider's JSON
//	401 {"error": "..."}         missing, wrong or stale signature or credentials
//	404 {"error": "..."}         an unknown provider, or one not configured
//
// and 413 like the API. Events the provider reports but that are not
// bounces or complaints (deliveries, opens, auto-replies) are ignored; an
// event naming no usable address is refused and the others still apply.
// A failure of the store answers 500, so the provider sends it again:
// applying an event twice changes nothing more.

// BounceProcessor applies one verified event; *bounce.Processor is one.
type BounceProcessor interface {
	Process(ctx context.Context, e bounce.Event) (bounce.Result, error)
}

// Fetcher gets a URL through the guarded fetch client; *fetch.Client is one.
type Fetcher interface {
	Get(ctx context.Context, rawURL string, header http.Header) (*fetch.Response, error)
}

// BounceHooks configures the bounce webhooks; a provider whose fields are
// empty is off and answers 404.
type BounceHooks struct {
	// SNSTopics are the ARNs of the Amazon SNS topics whose SES
	// notifications are taken. Required for ses: a valid SNS signature
	// only proves the message came through SNS, from anyone's topic.
	SNSTopics []string
	// Fetcher gets SNS signing certificates and confirms subscriptions;
	// nil means the ses hook is off.
	Fetcher Fetcher
	// PostmarkUser and PostmarkPassword are the basic-auth credentials set
	// on the Postmark webhook; PostmarkSecret, instead or as well, is a
	// secret last path segment (/v1/hooks/bounces/postmark/SECRET).
	PostmarkUser, PostmarkPassword, PostmarkSecret string
	// SendGridKey is the public key of SendGrid's signed Event Webhook, as
	// its settings page shows it (base64 of the DER key).
	SendGridKey string
	// MailgunKey is Mailgun's HTTP webhook signing key.
	MailgunKey string
}

// Freshness bounds: a signed request older than this, or this far in the
// future, is refused. SNS signs a notification once and keeps its
// timestamp over retries that may go on for an hour; SendGrid and Mailgun
// sign each attempt.
const (
	snsTolerance    = time.Hour
	bounceTolerance = 10 * time.Minute
)

// bounceCounts is the 200 answer of a bounce webhook.
type bounceCounts struct {
	Applied    int `json:"applied"`
	Duplicates int `json:"duplicates"`
	Refused    int `json:"refused"`
	Ignored    int `json:"ignored"`
}

// handleBounceHook is POST /v1/hooks/bounces/{provider} (and
// /{provider}/{secret} for Postmark's secret path).
func handleBounceHook(log *slog.Logger, c Config) http.Handler {
	certs := &certCache{byURL: map[string]*x509.Certificate{}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		provider := r.PathValue("provider")
		h := c.BounceHooks
		on := map[string]bool{
			"ses":      len(h.SNSTopics) > 0 && h.Fetcher != nil,
			"postmark": h.PostmarkSecret != "" || (h.PostmarkUser != "" && h.PostmarkPassword != ""),
			"sendgrid": h.SendGridKey != "",
			"mailgun":  h.MailgunKey != "",
		}
		if !on[provider] {
			writeAPIError(w, log, http.StatusNotFound, fmt.Sprintf("there is no %q bounce webhook on this server", provider))
			return
		}
		if r.PathValue("secret") != "" && provider != "postmark" {
			writeAPIError(w, log, http.StatusNotFound, fmt.Sprintf("the %s bounce webhook takes no secret path", provider))
			return
		}
		if c.Bounces == nil {
			writeAPIError(w, log, http.StatusServiceUnavailable, "bounce processing is not available on this server")
			return
		}
		body, ok := readBody(w, r, log, "the webhook body")
		if !ok {
			return
		}
		now := c.Now()
		var (
			events  []bounce.Event
			ignored int
			err     error
		)
		switch provider {
		case "ses":
			var confirmed string
			events, ignored, confirmed, err = sesEvents(r.Context(), h, certs, body, now)
			if err == nil && confirmed != "" {
				log.Info("confirmed SNS subscription", "topic", confirmed)
				writeJSON(w, log, http.StatusOK, map[string]string{"confirmed": confirmed})
				return
			}
		case "postmark":
			if err = verifyPostmark(h, r); err == nil {
				events, ignored, err = parsePostmark(body)
			}
		case "sendgrid":
			if err = verifySendGrid(h.SendGridKey, r.Header, body, now); err == nil {
				events, ignored, err = parseSendGrid(body)
			}
		case "mailgun":
			events, ignored, err = mailgunEvents(h.MailgunKey, body, now)
		}
		if err != nil {
			var ae *authError
			if errors.As(err, &ae) {
				refuseHook(w, log, "bounces/"+provider, err)
				return
			}
			failAPI(w, log, err, "bounce webhook "+provider)
			return
		}
		counts := bounceCounts{Ignored: ignored}
		for _, e := range events {
			e.Verified = true
			res, err := c.Bounces.Process(r.Context(), e)
			switch {
			case syndicate.ErrorCode(err) == syndicate.EINVALID:
				log.Warn("bounce webhook event refused", "provider", provider, "reason", syndicate.ErrorMessage(err))
				counts.Refused++
			case err != nil:
				failAPI(w, log, err, "apply "+provider+" bounce")
				return
			case res.Outcome == bounce.Duplicate:
				counts.Duplicates++
			default:
				counts.Applied++
			}
		}
		writeJSON(w, log, http.StatusOK, counts)
	})
}

// authError is a request that did not prove it came from the provider:
// answered 401.
type authError struct{ msg string }

func (e *authError) Error() string { return e.msg }

func authErrorf(format string, args ...any) error {
	return &authError{msg: fmt.Sprintf(format, args...)}
}

// fresh checks a signed time against now.
func fresh(what string, at, now time.Time, tolerance time.Duration) error {
	if d := now.Sub(at); d > tolerance || d < -tolerance {
		return authErrorf("the %s was signed at %s, more than %s from now", what, at.UTC().Format(time.RFC3339), tolerance)
	}
	return nil
}

// invalidBody is a body that is not the provider's JSON: answered 400.
func invalidBody(provider string, err error) error {
	return syndicate.Errorf(syndicate.EINVALID, "the body is not a %s webhook payload: %v", provider, err)
}

// Amazon SES through SNS.

// snsMessage is an SNS HTTP(S) delivery: a notification, or a
// subscription's confirmation request.
type snsMessage struct {
	Type             string `json:"Type"`
	MessageID        string `json:"MessageId"`
	Token            string `json:"Token"`
	TopicArn         string `json:"TopicArn"`
	Subject          string `json:"Subject"`
	Message          string `json:"Message"`
	Timestamp        string `json:"Timestamp"`
	SignatureVersion string `json:"SignatureVersion"`
	Signature        string `json:"Signature"`
	SigningCertURL   string `json:"SigningCertURL"`
	SubscribeURL     string `json:"SubscribeURL"`
}

// snsHost is the host of every SNS endpoint: sns.REGION.amazonaws.com.
var snsHost = regexp.MustCompile(`^sns\.[a-z]{2}(-[a-z]+)+-[0-9]+\.amazonaws\.com$`)

// snsURL checks that raw is an https URL on an SNS host, with no port or
// user name: where signing certificates and subscription links live.
func snsURL(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Port() != "" || !snsHost.MatchString(u.Host) {
		return nil, authErrorf("the %s %q is not an https URL on an sns.REGION.amazonaws.com host", what, raw)
	}
	return u, nil
}

// certCache keeps the SNS signing certificates fetched, by URL: SNS signs
// with one certificate for months.
type certCache struct {
	mu    sync.Mutex
	byURL map[string]*x509.Certificate
}

// get returns the certificate at raw, fetching it once.
func (c *certCache) get(ctx context.Context, f Fetcher, raw string) (*x509.Certificate, error) {
	c.mu.Lock()
	cert := c.byURL[raw]
	c.mu.Unlock()
	if cert != nil {
		return cert, nil
	}
	resp, err := f.Get(ctx, raw, http.Header{"Accept": {"application/x-pem-file, */*"}})
	if err != nil {
		return nil, fmt.Errorf("fetch the SNS signing certificate: %w", err)
	}
	if resp.Status != http.StatusOK {
		return nil, authErrorf("the SNS signing certificate could not be fetched (HTTP %d)", resp.Status)
	}
	block, _ := pem.Decode(resp.Body)
	if block == nil {
		return nil, authErrorf("the SNS signing certificate is not PEM")
	}
	if cert, err = x509.ParseCertificate(block.Bytes); err != nil {
		return nil, authErrorf("the SNS signing certificate does not parse: %v", err)
	}
	if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
		return nil, authErrorf("the SNS signing certificate has no RSA key")
	}
	c.mu.Lock()
	if len(c.byURL) > 100 { // a few certificates a year; never grow without bound
		clear(c.byURL)
	}
	c.byURL[raw] = cert
	c.mu.Unlock()
	return cert, nil
}

// snsStringToSign is what SNS signs, by message type (Amazon SNS
// Developer Guide, "Verifying the signatures of Amazon SNS messages"):
// name and value lines of the fields in byte order, Subject only if set.
func snsStringToSign(m snsMessage) string {
	var b strings.Builder
	add := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('\n')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	add("Message", m.Message)
	add("MessageId", m.MessageID)
	if m.Type == "Notification" {
		if m.Subject != "" {
			add("Subject", m.Subject)
		}
		add("Timestamp", m.Timestamp)
		add("TopicArn", m.TopicArn)
		add("Type", m.Type)
		return b.String()
	}
	add("SubscribeURL", m.SubscribeURL)
	add("Timestamp", m.Timestamp)
	add("Token", m.Token)
	add("TopicArn", m.TopicArn)
	add("Type", m.Type)
	return b.String()
}

// verifySNS checks m's signature against its signing certificate, which
// must come from an SNS host, and its timestamp.
func verifySNS(ctx context.Context, f Fetcher, certs *certCache, m snsMessage, now time.Time) error {
	var h crypto.Hash
	switch m.SignatureVersion {
	case "1":
		h = crypto.SHA1
	case "2":
		h = crypto.SHA256
	default:
		return authErrorf("SignatureVersion %q is not 1 or 2", m.SignatureVersion)
	}
	if _, err := snsURL("SigningCertURL", m.SigningCertURL); err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil || len(sig) == 0 {
		return authErrorf("the SNS Signature is not base64")
	}
	cert, err := certs.get(ctx, f, m.SigningCertURL)
	if err != nil {
		return err
	}
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return authErrorf("the SNS signing certificate is not valid now")
	}
	msg := []byte(snsStringToSign(m))
	var digest []byte
	if h == crypto.SHA1 {
		s := sha1.Sum(msg)
		digest = s[:]
	} else {
		s := sha256.Sum256(msg)
		digest = s[:]
	}
	if err := rsa.VerifyPKCS1v15(cert.PublicKey.(*rsa.PublicKey), h, digest, sig); err != nil {
		return authErrorf("the SNS Signature does not match this message and its signing certificate")
	}
	at, err := time.Parse(time.RFC3339Nano, m.Timestamp)
	if err != nil {
		return authErrorf("the SNS Timestamp %q is not an RFC 3339 time", m.Timestamp)
	}
	return fresh("SNS message", at, now, snsTolerance)
}

// sesEvents verifies an SNS delivery and returns the SES events of a
// notification, or confirms a subscription (confirmed is its topic).
func sesEvents(ctx context.Context, h BounceHooks, certs *certCache, body []byte, now time.Time) (events []bounce.Event, ignored int, confirmed string, err error) {
	var m snsMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, 0, "", invalidBody("Amazon SNS", err)
	}
	switch m.Type {
	case "Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation":
	default:
		return nil, 0, "", syndicate.Errorf(syndicate.EINVALID, "the SNS message Type %q is not Notification or SubscriptionConfirmation", m.Type)
	}
	if !slices.Contains(h.SNSTopics, m.TopicArn) {
		return nil, 0, "", authErrorf("the SNS topic %q is not one of bounces.ses.topic_arns", m.TopicArn)
	}
	if err := verifySNS(ctx, h.Fetcher, certs, m, now); err != nil {
		return nil, 0, "", err
	}
	switch m.Type {
	case "SubscriptionConfirmation":
		if _, err := snsURL("SubscribeURL", m.SubscribeURL); err != nil {
			return nil, 0, "", err
		}
		resp, err := h.Fetcher.Get(ctx, m.SubscribeURL, nil)
		if err != nil {
			return nil, 0, "", fmt.Errorf("confirm the SNS subscription: %w", err)
		}
		if resp.Status != http.StatusOK {
			return nil, 0, "", fmt.Errorf("confirm the SNS subscription: SNS answered HTTP %d", resp.Status)
		}
		return nil, 0, m.TopicArn, nil
	case "UnsubscribeConfirmation":
		return nil, 1, "", nil
	}
	events, ignored, err = parseSES([]byte(m.Message))
	return events, ignored, "", err
}

// sesNotification is an SES bounce or complaint notification, or an SES
// event-publishing record (which names its kind in eventType).
type sesNotification struct {
	NotificationType string `json:"notificationType"`
	EventType        string `json:"eventType"`
	Bounce           *struct {
		BounceType        string `json:"bounceType"`
		BounceSubType     string `json:"bounceSubType"`
		FeedbackID        string `json:"feedbackId"`
		Timestamp         string `json:"timestamp"`
		BouncedRecipients []struct {
			EmailAddress   string `json:"emailAddress"`
			Status         string `json:"status"`
			DiagnosticCode string `json:"diagnosticCode"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint *struct {
		FeedbackID            string `json:"feedbackId"`
		Timestamp             string `json:"timestamp"`
		ComplaintFeedbackType string `json:"complaintFeedbackType"`
		ComplainedRecipients  []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
	} `json:"complaint"`
	Mail struct {
		CommonHeaders struct {
			MessageID string `json:"messageId"`
		} `json:"commonHeaders"`
		Headers []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
	} `json:"mail"`
}

// parseSES returns the events of one SES notification (the Message of an
// SNS notification): a Permanent bounce is hard, a Transient or
// Undetermined one soft, a complaint a complaint. Deliveries and other
// notifications are ignored.
func parseSES(msg []byte) (events []bounce.Event, ignored int, err error) {
	var n sesNotification
	if err := json.Unmarshal(msg, &n); err != nil {
		return nil, 0, invalidBody("Amazon SES", err)
	}
	mid := n.Mail.CommonHeaders.MessageID
	for _, h := range n.Mail.Headers {
		if strings.EqualFold(h.Name, "Message-ID") {
			mid = h.Value
		}
	}
	mid = strings.Trim(strings.TrimSpace(mid), "<>")
	kind := n.NotificationType
	if kind == "" {
		kind = n.EventType
	}
	switch {
	case kind == "Bounce" && n.Bounce != nil:
		k := bounce.Soft
		if n.Bounce.BounceType == "Permanent" {
			k = bounce.Hard
		}
		at, _ := time.Parse(time.RFC3339Nano, n.Bounce.Timestamp)
		for _, r := range n.Bounce.BouncedRecipients {
			events = append(events, bounce.Event{
				Kind: k, Address: r.EmailAddress, MessageID: mid, Provider: "ses",
				ID: n.Bounce.FeedbackID + "/" + syndicate.EmailKey(r.EmailAddress), Code: r.Status,
				Diagnostic: firstOf(r.DiagnosticCode, n.Bounce.BounceType+" "+n.Bounce.BounceSubType), Time: at,
			})
		}
		return events, 0, nil
	case kind == "Complaint" && n.Complaint != nil:
		if n.Complaint.ComplaintFeedbackType == "not-spam" {
			return nil, 1, nil
		}
		at, _ := time.Parse(time.RFC3339Nano, n.Complaint.Timestamp)
		for _, r := range n.Complaint.ComplainedRecipients {
			events = append(events, bounce.Event{
				Kind: bounce.Complaint, Address: r.EmailAddress, MessageID: mid, Provider: "ses",
				ID: n.Complaint.FeedbackID + "/" + syndicate.EmailKey(r.EmailAddress), Time: at,
				Diagnostic: firstOf(n.Complaint.ComplaintFeedbackType, "complaint"),
			})
		}
		return events, 0, nil
	case kind == "":
		return nil, 0, syndicate.Errorf(syndicate.EINVALID, "the SES notification has no notificationType")
	}
	return nil, 1, nil
}

// Postmark.

// verifyPostmark checks the basic-auth credentials or the secret path.
func verifyPostmark(h BounceHooks, r *http.Request) error {
	if s := r.PathValue("secret"); s != "" {
		if h.PostmarkSecret != "" && equalSecret(s, h.PostmarkSecret) {
			return nil
		}
		return authErrorf("the secret in the webhook's path is not the configured one")
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return authErrorf("the Postmark webhook needs basic auth or its secret path")
	}
	if h.PostmarkUser == "" || !equalSecret(user, h.PostmarkUser) || !equalSecret(pass, h.PostmarkPassword) {
		return authErrorf("the basic-auth credentials are not the configured ones")
	}
	return nil
}

// equalSecret compares in constant time, whatever the lengths.
func equalSecret(a, b string) bool {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// postmarkRecord is the body of Postmark's bounce and spam complaint
// webhooks.
type postmarkRecord struct {
	RecordType  string `json:"RecordType"`
	ID          int64  `json:"ID"`
	Type        string `json:"Type"`
	TypeCode    int    `json:"TypeCode"`
	MessageID   string `json:"MessageID"`
	Description string `json:"Description"`
	Details     string `json:"Details"`
	Email       string `json:"Email"`
	BouncedAt   string `json:"BouncedAt"`
}

// parsePostmark returns the event of a Postmark bounce or spam complaint
// webhook: HardBounce and BadEmailAddress are hard; SoftBounce, Transient,
// DnsError and Blocked soft; SpamComplaint a complaint. Auto-responders,
// subscribe requests and the like are ignored.
func parsePostmark(body []byte) (events []bounce.Event, ignored int, err error) {
	var r postmarkRecord
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, 0, invalidBody("Postmark", err)
	}
	var k bounce.Kind
	switch r.Type {
	case "HardBounce", "BadEmailAddress":
		k = bounce.Hard
	case "SoftBounce", "Transient", "DnsError", "Blocked":
		k = bounce.Soft
	case "SpamComplaint":
		k = bounce.Complaint
	case "":
		return nil, 0, syndicate.Errorf(syndicate.EINVALID, "the Postmark record has no Type")
	default:
		return nil, 1, nil
	}
	at, _ := time.Parse(time.RFC3339Nano, r.BouncedAt)
	return []bounce.Event{{
		Kind: k, Address: r.Email, Provider: "postmark", ID: strconv.FormatInt(r.ID, 10),
		Diagnostic: firstOf(r.Details, r.Description, r.Type), Time: at,
	}}, 0, nil
}

// SendGrid.

// verifySendGrid checks the signed Event Webhook: an ECDSA P-256
// signature (base64 ASN.1) of SHA-256(timestamp + body) in
// X-Twilio-Email-Event-Webhook-Signature, the timestamp (Unix seconds) in
// X-Twilio-Email-Event-Webhook-Timestamp.
func verifySendGrid(key string, hd http.Header, body []byte, now time.Time) error {
	pub, err := sendGridKey(key)
	if err != nil {
		return err
	}
	sigText := hd.Get("X-Twilio-Email-Event-Webhook-Signature")
	ts := hd.Get("X-Twilio-Email-Event-Webhook-Timestamp")
	if sigText == "" || ts == "" {
		return authErrorf("the X-Twilio-Email-Event-Webhook-Signature or -Timestamp header is missing")
	}
	sig, err := base64.StdEncoding.DecodeString(sigText)
	if err != nil {
		return authErrorf("the X-Twilio-Email-Event-Webhook-Signature is not base64")
	}
	h := sha256.New()
	h.Write([]byte(ts))
	h.Write(body)
	if !ecdsa.VerifyASN1(pub, h.Sum(nil), sig) {
		return authErrorf("the X-Twilio-Email-Event-Webhook-Signature does not match this body and the configured key")
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return authErrorf("the X-Twilio-Email-Event-Webhook-Timestamp %q is not Unix seconds", ts)
	}
	return fresh("SendGrid event batch", time.Unix(secs, 0), now, bounceTolerance)
}

// sendGridKey parses the configured key: base64 of a DER public key, or
// the same in PEM.
func sendGridKey(s string) (*ecdsa.PublicKey, error) {
	der := []byte(nil)
	if b, _ := pem.Decode([]byte(s)); b != nil {
		der = b.Bytes
	} else if d, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s)); err == nil {
		der = d
	}
	k, err := x509.ParsePKIXPublicKey(der)
	pub, ok := k.(*ecdsa.PublicKey)
	if err != nil || !ok || pub.Curve != elliptic.P256() {
		return nil, errors.New("the configured SendGrid verification key is not an ECDSA P-256 public key")
	}
	return pub, nil
}

// sendGridEvent is one event of SendGrid's Event Webhook.
type sendGridEvent struct {
	Email     string `json:"email"`
	Timestamp int64  `json:"timestamp"`
	SMTPID    string `json:"smtp-id"`
	Event     string `json:"event"`
	Type      string `json:"type"`
	Reason    string `json:"reason"`
	Status    string `json:"status"`
	EventID   string `json:"sg_event_id"`
}

// parseSendGrid returns the events of a SendGrid Event Webhook batch: a
// bounce is hard (soft when SendGrid types it "blocked"), a spamreport a
// complaint; every other event is ignored.
func parseSendGrid(body []byte) (events []bounce.Event, ignored int, err error) {
	var batch []sendGridEvent
	if err := json.Unmarshal(body, &batch); err != nil {
		return nil, 0, invalidBody("SendGrid Event Webhook", err)
	}
	for _, e := range batch {
		var k bounce.Kind
		switch {
		case e.Event == "bounce" && e.Type == "blocked":
			k = bounce.Soft
		case e.Event == "bounce":
			k = bounce.Hard
		case e.Event == "spamreport":
			k = bounce.Complaint
		default:
			ignored++
			continue
		}
		events = append(events, bounce.Event{
			Kind: k, Address: e.Email, MessageID: strings.Trim(strings.TrimSpace(e.SMTPID), "<>"), Provider: "sendgrid",
			ID: e.EventID, Code: e.Status, Diagnostic: e.Reason, Time: time.Unix(e.Timestamp, 0),
		})
	}
	return events, ignored, nil
}

// Mailgun.

// mailgunHook is the body of a Mailgun webhook: the signature block and
// one event.
type mailgunHook struct {
	Signature struct {
		Timestamp string `json:"timestamp"`
		Token     string `json:"token"`
		Signature string `json:"signature"`
	} `json:"signature"`
	EventData mailgunEvent `json:"event-data"`
}

type mailgunEvent struct {
	Event          string  `json:"event"`
	ID             string  `json:"id"`
	Timestamp      float64 `json:"timestamp"`
	Severity       string  `json:"severity"`
	Reason         string  `json:"reason"`
	Recipient      string  `json:"recipient"`
	DeliveryStatus struct {
		Code        int    `json:"code"`
		Message     string `json:"message"`
		Description string `json:"description"`
	} `json:"delivery-status"`
	Message struct {
		Headers struct {
			MessageID string `json:"message-id"`
		} `json:"headers"`
	} `json:"message"`
}

// mailgunEvents verifies a Mailgun webhook (see signed.VerifyMailgun) and
// returns its event.
func mailgunEvents(key string, body []byte, now time.Time) ([]bounce.Event, int, error) {
	var h mailgunHook
	if err := json.Unmarshal(body, &h); err != nil {
		return nil, 0, invalidBody("Mailgun", err)
	}
	s := h.Signature
	if !signed.VerifyMailgun(key, s.Timestamp, s.Token, s.Signature) {
		return nil, 0, authErrorf("the Mailgun signature does not match its timestamp, token and the configured signing key")
	}
	secs, err := strconv.ParseInt(s.Timestamp, 10, 64)
	if err != nil {
		return nil, 0, authErrorf("the Mailgun signature timestamp %q is not Unix seconds", s.Timestamp)
	}
	if err := fresh("Mailgun event", time.Unix(secs, 0), now, bounceTolerance); err != nil {
		return nil, 0, err
	}
	return parseMailgunEvent(h.EventData)
}

// parseMailgun is parseMailgunEvent of a whole webhook body, unverified:
// for the fuzz target.
func parseMailgun(body []byte) ([]bounce.Event, int, error) {
	var h mailgunHook
	if err := json.Unmarshal(body, &h); err != nil {
		return nil, 0, invalidBody("Mailgun", err)
	}
	return parseMailgunEvent(h.EventData)
}

// parseMailgunEvent returns the event of one Mailgun event: a failed one is
// hard when permanent and soft when temporary, a complained one a
// complaint; others are ignored.
func parseMailgunEvent(e mailgunEvent) ([]bounce.Event, int, error) {
	var k bounce.Kind
	switch {
	case e.Event == "failed" && e.Severity == "permanent":
		k = bounce.Hard
	case e.Event == "failed":
		k = bounce.Soft
	case e.Event == "complained":
		k = bounce.Complaint
	case e.Event == "":
		return nil, 0, syndicate.Errorf(syndicate.EINVALID, "the Mailgun webhook has no event-data.event")
	default:
		return nil, 1, nil
	}
	sec := int64(e.Timestamp)
	code := ""
	if e.DeliveryStatus.Code != 0 {
		code = strconv.Itoa(e.DeliveryStatus.Code)
	}
	return []bounce.Event{{
		Kind: k, Address: e.Recipient, MessageID: strings.Trim(strings.TrimSpace(e.Message.Headers.MessageID), "<>"),
		Provider: "mailgun", ID: e.ID, Time: time.Unix(sec, int64((e.Timestamp-float64(sec))*1e9)),
		Diagnostic: strings.TrimSpace(firstOf(e.DeliveryStatus.Description, e.DeliveryStatus.Message, e.Reason) + " " + code),
	}}, 0, nil
}

// firstOf returns the first non-empty string.
func firstOf(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
