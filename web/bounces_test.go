package web_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"syndicate"
	"syndicate/bounce"
	"syndicate/fetch"
	"syndicate/internal/bouncetest"
	"syndicate/signed"
	"syndicate/web"
)

var _ web.BounceProcessor = (*bounce.Processor)(nil)
var _ web.Fetcher = (*fetch.Client)(nil)

// bounceNow is the clock of these tests.
var bounceNow = time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)

const (
	snsTopic   = "arn:aws:sns:us-east-1:123456789012:ses-bounces"
	snsCertURL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem"
	snsSubURL  = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-east-1:123456789012:ses-bounces&Token=2336412f37fb687f5d51e6e2425dacbba"
)

// snsFetcher stands for the network: it serves the test's signing
// certificate and SNS's answer to a confirmation, and records every URL
// asked for, so a test can show a URL on another host was never fetched.
type snsFetcher struct {
	mu   sync.Mutex
	pem  []byte
	urls []string
}

func (f *snsFetcher) Get(_ context.Context, raw string, _ http.Header) (*fetch.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.urls = append(f.urls, raw)
	switch {
	case strings.HasSuffix(raw, ".pem"):
		return &fetch.Response{URL: raw, Status: http.StatusOK, Body: f.pem}, nil
	case strings.Contains(raw, "Action=ConfirmSubscription"):
		return &fetch.Response{URL: raw, Status: http.StatusOK, Body: []byte("<ConfirmSubscriptionResponse/>")}, nil
	}
	return &fetch.Response{URL: raw, Status: http.StatusNotFound}, nil
}

func (f *snsFetcher) asked() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.urls...)
}

// bounceEnv is a server with every bounce webhook on, over a real store.
type bounceEnv struct {
	t        *testing.T
	kit      *bouncetest.Kit
	h        http.Handler
	snsKey   *rsa.PrivateKey
	fetcher  *snsFetcher
	sgKey    *ecdsa.PrivateKey
	mgKey    string
	pmUser   string
	pmPass   string
	pmSecret string
}

func newBounceEnv(t *testing.T) *bounceEnv {
	e := &bounceEnv{t: t, kit: bouncetest.New(t), mgKey: "key-3ax6xnjp29jd6fds4gc373sgvjxteol0", pmUser: "postmark", pmPass: "pm-password-123", pmSecret: "pm-path-secret-0123456789"}
	var err error
	if e.snsKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sns.amazonaws.com"},
		NotBefore: bounceNow.Add(-24 * time.Hour), NotAfter: bounceNow.Add(365 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &e.snsKey.PublicKey, e.snsKey)
	if err != nil {
		t.Fatal(err)
	}
	e.fetcher = &snsFetcher{pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	if e.sgKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&e.sgKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	proc := &bounce.Processor{Store: e.kit.Store, Secret: bouncetest.Secret, Now: func() time.Time { return bounceNow }}
	e.h = web.NewServer(web.Config{
		Now: func() time.Time { return bounceNow }, Bounces: proc,
		BounceHooks: web.BounceHooks{
			SNSTopics: []string{snsTopic}, Fetcher: e.fetcher,
			PostmarkUser: e.pmUser, PostmarkPassword: e.pmPass, PostmarkSecret: e.pmSecret,
			SendGridKey: base64.StdEncoding.EncodeToString(pub),
			MailgunKey:  e.mgKey,
		},
	}, nil, nil, nil)
	return e
}

// post sends body to path with the headers and returns the status and the
// decoded JSON answer.
func (e *bounceEnv) post(path, body string, hd http.Header) (int, map[string]any) {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	for k, vs := range hd {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		e.t.Fatalf("POST %s: answer is not JSON: %v\n%s", path, err, rec.Body)
	}
	return rec.Code, out
}

// wantRefused checks a 4xx JSON error.
func wantRefused(t *testing.T, name string, code int, out map[string]any, status int) {
	t.Helper()
	if code != status || out["error"] == nil || out["error"] == "" {
		t.Errorf("%s: %d %v; want %d with a JSON error", name, code, out, status)
	}
}

// snsEnvelope wraps message as SNS delivers it, signed with the test's key
// (version 1: SHA1withRSA, version 2: SHA256withRSA).
func (e *bounceEnv) snsEnvelope(typ, message string, version int, at time.Time, edit func(m map[string]string)) string {
	m := map[string]string{
		"Type": typ, "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324", "TopicArn": snsTopic,
		"Message": message, "Timestamp": at.UTC().Format("2006-01-02T15:04:05.000Z"),
		"SignatureVersion": strconv.Itoa(version), "SigningCertURL": snsCertURL,
	}
	if typ == "Notification" {
		m["Subject"] = "Amazon SES Email Event Notification"
		m["UnsubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + snsTopic + ":c9135db0"
	} else {
		m["Token"] = "2336412f37fb687f5d51e6e2425dacbba"
		m["SubscribeURL"] = snsSubURL
	}
	if edit != nil {
		edit(m) // before signing: what a genuine but unwanted message says
	}
	var b strings.Builder
	keys := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	if typ != "Notification" {
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	for _, k := range keys {
		if v, ok := m[k]; ok {
			b.WriteString(k + "\n" + v + "\n")
		}
	}
	var (
		sig []byte
		err error
	)
	if version == 1 {
		d := sha1.Sum([]byte(b.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, e.snsKey, crypto.SHA1, d[:])
	} else {
		d := sha256.Sum256([]byte(b.String()))
		sig, err = rsa.SignPKCS1v15(rand.Reader, e.snsKey, crypto.SHA256, d[:])
	}
	if err != nil {
		e.t.Fatal(err)
	}
	m["Signature"] = base64.StdEncoding.EncodeToString(sig)
	out, err := json.Marshal(m)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(out)
}

// sesBounce is the "bounce notification with a DSN" of the Amazon SES
// Developer Guide (Amazon SNS notification examples), with the recipient
// and Message-ID of the test.
func sesBounce(email, messageID string) string {
	return fmt.Sprintf(`{"notificationType":"Bounce","bounce":{"bounceType":"Permanent","reportingMTA":"dns; email.example.com",
"bouncedRecipients":[{"emailAddress":%q,"status":"5.1.1","action":"failed","diagnosticCode":"smtp; 550 5.1.1 <%s>... User"}],
"bounceSubType":"General","timestamp":"2026-12-01T17:59:38.237Z","feedbackId":"00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa068a-000000","remoteMtaIp":"127.0.2.0"},
"mail":{"timestamp":"2026-12-01T17:59:37.000Z","source":"news@example.org","sourceArn":"arn:aws:ses:us-east-1:888888888888:identity/example.org",
"sourceIp":"127.0.3.0","sendingAccountId":"123456789012","messageId":"00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000",
"destination":[%q],"headersTruncated":false,"headers":[{"name":"From","value":"Riverside Daily <news@example.org>"},{"name":"To","value":%q},
{"name":"Message-ID","value":"<%s>"},{"name":"Subject","value":"Library opens late"}],
"commonHeaders":{"from":["Riverside Daily <news@example.org>"],"date":"Tue, 01 Dec 2026 17:59:37 +0000","to":[%q],"messageId":"<%s>","subject":"Library opens late"}}}`,
		email, email, email, email, messageID, email, messageID)
}

// sesComplaint is the complaint notification with a feedback report of
// the same guide.
func sesComplaint(email string) string {
	return fmt.Sprintf(`{"notificationType":"Complaint","complaint":{"userAgent":"AnyCompany Feedback Loop (V0.01)",
"complainedRecipients":[{"emailAddress":%q}],"complaintFeedbackType":"abuse","arrivalDate":"2026-12-01T17:50:00.000Z",
"timestamp":"2026-12-01T17:55:00.000Z","feedbackId":"000001378603177f-18c07c78-fa81-4a58-9dd1-fedc3cb8f49a-000000"},
"mail":{"timestamp":"2026-12-01T17:40:00.000Z","messageId":"000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000",
"source":"news@example.org","destination":[%q]}}`, email, email)
}

func TestSESWebhook(t *testing.T) {
	e := newBounceEnv(t)
	e.kit.Sent(t, "a_1", "jane@example.com", "m-jane@example.org")
	e.kit.Sent(t, "a_1", "richard@example.com", "m-richard@example.org")
	bounced := sesBounce("jane@example.com", "m-jane@example.org")
	const path = "/v1/hooks/bounces/ses"

	// Forged ones first: none may change anything.
	forged := map[string]string{
		"message altered after signing": strings.Replace(e.snsEnvelope("Notification", bounced, 1, bounceNow, nil), "Permanent", "Transient", 1),
		"certificate on another host": e.snsEnvelope("Notification", bounced, 1, bounceNow, func(m map[string]string) {
			m["SigningCertURL"] = "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem"
		}),
		"certificate over http": e.snsEnvelope("Notification", bounced, 1, bounceNow, func(m map[string]string) {
			m["SigningCertURL"] = "http://sns.us-east-1.amazonaws.com/cert.pem"
		}),
		"stale timestamp":      e.snsEnvelope("Notification", bounced, 2, bounceNow.Add(-2*time.Hour), nil),
		"someone else's topic": e.snsEnvelope("Notification", bounced, 1, bounceNow, func(m map[string]string) { m["TopicArn"] = "arn:aws:sns:us-east-1:999999999999:theirs" }),
		"unknown version":      e.snsEnvelope("Notification", bounced, 1, bounceNow, func(m map[string]string) { m["SignatureVersion"] = "3" }),
		"subscribe elsewhere": e.snsEnvelope("SubscriptionConfirmation", "You have chosen to subscribe", 1, bounceNow, func(m map[string]string) {
			m["SubscribeURL"] = "https://evil.example/?Action=ConfirmSubscription"
		}),
	}
	for name, body := range forged {
		code, out := e.post(path, body, nil)
		wantRefused(t, name, code, out, http.StatusUnauthorized)
	}
	for _, u := range e.fetcher.asked() {
		if !strings.HasPrefix(u, "https://sns.us-east-1.amazonaws.com/") {
			t.Errorf("fetched %s, which is not on an SNS host", u)
		}
	}
	if got := e.kit.State(t, "jane@example.com", "m-jane@example.org"); got != bouncetest.Untouched {
		t.Fatalf("forged notifications changed jane: %+v", got)
	}
	code, out := e.post(path, `{"Type": "Notification", "Message": 7}`, nil)
	wantRefused(t, "not SNS JSON", code, out, http.StatusBadRequest)

	// The genuine subscription confirmation is confirmed through SubscribeURL.
	code, out = e.post(path, e.snsEnvelope("SubscriptionConfirmation", "You have chosen to subscribe to the topic "+snsTopic, 1, bounceNow, nil), nil)
	if code != http.StatusOK || out["confirmed"] != snsTopic {
		t.Fatalf("subscription confirmation: %d %v", code, out)
	}
	if asked := e.fetcher.asked(); asked[len(asked)-1] != snsSubURL {
		t.Errorf("SubscribeURL not fetched; asked %v", asked)
	}

	// The genuine bounce (v1) applies, once.
	body := e.snsEnvelope("Notification", bounced, 1, bounceNow, nil)
	for i, want := range []string{"applied", "duplicates"} {
		code, out = e.post(path, body, http.Header{"Content-Type": {"text/plain; charset=UTF-8"}, "X-Amz-Sns-Message-Type": {"Notification"}})
		if code != http.StatusOK || out[want] != 1.0 {
			t.Fatalf("genuine bounce, try %d: %d %v; want %s 1", i+1, code, out, want)
		}
	}
	want := bouncetest.State{Subscriber: syndicate.SubscriberBounced, Suppressed: syndicate.SuppressedBounced, Delivery: syndicate.StatusBounced}
	if got := e.kit.State(t, "jane@example.com", "m-jane@example.org"); got != want {
		t.Errorf("after the bounce: %+v, want %+v", got, want)
	}
	// A genuine complaint (v2) unsubscribes.
	code, out = e.post(path, e.snsEnvelope("Notification", sesComplaint("richard@example.com"), 2, bounceNow, nil), nil)
	if code != http.StatusOK || out["applied"] != 1.0 {
		t.Fatalf("genuine complaint: %d %v", code, out)
	}
	if got := e.kit.State(t, "richard@example.com", ""); got.Subscriber != syndicate.SubscriberUnsubscribed || got.Suppressed != syndicate.SuppressedComplained {
		t.Errorf("after the complaint: %+v", got)
	}
}

// postmarkBounce is the bounce webhook example of Postmark's "Bounce
// webhook" documentation, with the test's address.
func postmarkBounce(email, typ string) string {
	return fmt.Sprintf(`{"RecordType":"Bounce","ID":4323372036854775807,"Type":%q,"TypeCode":1,"Name":"Hard bounce","Tag":"Test",
"MessageID":"883953f4-6105-42a2-a16a-77a8eac79483","Metadata":{"a_key":"a_value"},"ServerID":23,"MessageStream":"outbound",
"Description":"The server was unable to deliver your message (ex: unknown user, mailbox not found).","Details":"Test bounce details",
"Email":%q,"From":"news@example.org","BouncedAt":"2026-12-01T17:33:54.9070259Z","DumpAvailable":true,"Inactive":true,
"CanActivate":true,"Subject":"Test subject","Content":"<Full dump of bounce>"}`, typ, email)
}

func TestPostmarkWebhook(t *testing.T) {
	e := newBounceEnv(t)
	e.kit.Sent(t, "a_1", "john@example.com", "m-john@example.org")
	e.kit.Sent(t, "a_1", "mary@example.com", "m-mary@example.org")
	basic := func(user, pass string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}}
	}
	body := postmarkBounce("john@example.com", "HardBounce")
	for name, c := range map[string]struct {
		path string
		hd   http.Header
	}{
		"no credentials":   {"/v1/hooks/bounces/postmark", nil},
		"wrong password":   {"/v1/hooks/bounces/postmark", basic(e.pmUser, "guess")},
		"wrong user":       {"/v1/hooks/bounces/postmark", basic("admin", e.pmPass)},
		"wrong secret":     {"/v1/hooks/bounces/postmark/not-the-secret", nil},
		"secret elsewhere": {"/v1/hooks/bounces/mailgun/" + e.pmSecret, nil},
	} {
		code, out := e.post(c.path, body, c.hd)
		status := http.StatusUnauthorized
		if name == "secret elsewhere" {
			status = http.StatusNotFound
		}
		wantRefused(t, name, code, out, status)
	}
	if got := e.kit.State(t, "john@example.com", "m-john@example.org"); got != bouncetest.Untouched {
		t.Fatalf("refused requests changed john: %+v", got)
	}
	code, out := e.post("/v1/hooks/bounces/postmark", body, basic(e.pmUser, e.pmPass))
	if code != http.StatusOK || out["applied"] != 1.0 {
		t.Fatalf("genuine bounce with basic auth: %d %v", code, out)
	}
	if got := e.kit.State(t, "john@example.com", ""); got.Suppressed != syndicate.SuppressedBounced || got.Subscriber != syndicate.SubscriberBounced {
		t.Errorf("after the bounce: %+v", got)
	}
	complaint := strings.Replace(strings.Replace(postmarkBounce("mary@example.com", "SpamComplaint"), `"RecordType":"Bounce"`, `"RecordType":"SpamComplaint"`, 1), "4323372036854775807", "4323372036854775808", 1)
	code, out = e.post("/v1/hooks/bounces/postmark/"+e.pmSecret, complaint, nil)
	if code != http.StatusOK || out["applied"] != 1.0 {
		t.Fatalf("genuine complaint on the secret path: %d %v", code, out)
	}
	if got := e.kit.State(t, "mary@example.com", ""); got.Suppressed != syndicate.SuppressedComplained {
		t.Errorf("after the complaint: %+v", got)
	}
	code, out = e.post("/v1/hooks/bounces/postmark/"+e.pmSecret, postmarkBounce("mary@example.com", "AutoResponder"), nil)
	if code != http.StatusOK || out["ignored"] != 1.0 {
		t.Errorf("auto-responder: %d %v; want ignored", code, out)
	}
}

// sendGridBatch is the Event Webhook example of SendGrid's "Event Webhook
// reference" (a delivered, an open, a bounce and a spamreport), with the
// test's addresses.
func sendGridBatch(bounced, complained string, ts int64) string {
	return fmt.Sprintf(`[
{"email":"example@test.com","timestamp":%d,"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"delivered","category":"cat facts","sg_event_id":"rbtnWrG1DVDGGGFHFyun0A==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000","response":"250 OK"},
{"email":"example@test.com","timestamp":%d,"event":"open","sg_machine_open":false,"useragent":"Mozilla/4.0","ip":"255.255.255.255","sg_event_id":"FOTFFO0ecsBE-zxFXfs6WA==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"},
{"email":%q,"timestamp":%d,"smtp-id":"<m-bounced@example.org>","event":"bounce","category":"cat facts","sg_event_id":"6g4ZI7SA-xmRDv57GoPIPw==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0","reason":"500 unknown recipient","status":"5.0.0","type":"bounce"},
{"email":%q,"timestamp":%d,"smtp-id":"<m-complained@example.org>","event":"spamreport","category":"cat facts","sg_event_id":"37nvH5QBz858KGVYCM4uOA==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"}
]`, ts, ts, bounced, ts, complained, ts)
}

// signSendGrid returns the signature headers of body at ts.
func (e *bounceEnv) signSendGrid(ts int64, body string) http.Header {
	s := strconv.FormatInt(ts, 10)
	d := sha256.Sum256([]byte(s + body))
	sig, err := ecdsa.SignASN1(rand.Reader, e.sgKey, d[:])
	if err != nil {
		e.t.Fatal(err)
	}
	return http.Header{
		"Content-Type":                           {"application/json"},
		"X-Twilio-Email-Event-Webhook-Signature": {base64.StdEncoding.EncodeToString(sig)},
		"X-Twilio-Email-Event-Webhook-Timestamp": {s},
	}
}

func TestSendGridWebhook(t *testing.T) {
	e := newBounceEnv(t)
	e.kit.Sent(t, "a_1", "bounced@example.com", "m-bounced@example.org")
	e.kit.Sent(t, "a_1", "complained@example.com", "m-complained@example.org")
	const path = "/v1/hooks/bounces/sendgrid"
	ts := bounceNow.Unix()
	body := sendGridBatch("bounced@example.com", "complained@example.com", ts)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	wrongKey := &bounceEnv{t: t, sgKey: other}
	stale := bounceNow.Add(-time.Hour).Unix()
	for name, c := range map[string]struct {
		body string
		hd   http.Header
	}{
		"unsigned":        {body, nil},
		"body altered":    {strings.Replace(body, "complained@", "bounced2@", 1), e.signSendGrid(ts, body)},
		"another key":     {body, wrongKey.signSendGrid(ts, body)},
		"stale timestamp": {body, e.signSendGrid(stale, body)},
		"timestamp replaced": {body, func() http.Header {
			h := e.signSendGrid(ts, body)
			h.Set("X-Twilio-Email-Event-Webhook-Timestamp", strconv.FormatInt(ts+1, 10))
			return h
		}()},
	} {
		code, out := e.post(path, c.body, c.hd)
		wantRefused(t, name, code, out, http.StatusUnauthorized)
	}
	for _, a := range []string{"bounced@example.com", "complained@example.com"} {
		if got := e.kit.State(t, a, ""); got.Subscriber != syndicate.SubscriberActive || got.Suppressed != "" {
			t.Fatalf("refused batches changed %s: %+v", a, got)
		}
	}
	code, out := e.post(path, body, e.signSendGrid(ts, body))
	if code != http.StatusOK || out["applied"] != 2.0 || out["ignored"] != 2.0 {
		t.Fatalf("genuine batch: %d %v; want 2 applied, 2 ignored", code, out)
	}
	if got := e.kit.State(t, "bounced@example.com", "m-bounced@example.org"); got.Delivery != syndicate.StatusBounced || got.Suppressed != syndicate.SuppressedBounced {
		t.Errorf("bounced: %+v", got)
	}
	if got := e.kit.State(t, "complained@example.com", "m-complained@example.org"); got.Delivery != syndicate.StatusComplained || got.Subscriber != syndicate.SubscriberUnsubscribed {
		t.Errorf("complained: %+v", got)
	}
}

// mailgunFailed is the "failed" (permanent) event of Mailgun's webhook
// documentation, with the test's recipient, signed at ts with key.
func mailgunFailed(key, recipient, messageID string, ts int64) string {
	token := "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
	s := strconv.FormatInt(ts, 10)
	return fmt.Sprintf(`{"signature":{"timestamp":%q,"token":%q,"signature":%q},
"event-data":{"event":"failed","id":"G9Bn5sl1TC6nu79C8C0bwg","timestamp":%d.501324,"log-level":"error","severity":"permanent",
"reason":"suppress-bounce","recipient":%q,"recipient-domain":"example.com",
"delivery-status":{"attempt-no":1,"message":"","code":605,"description":"Not delivering to previously bounced address","session-seconds":0.0},
"message":{"headers":{"to":%q,"message-id":%q,"from":"news@example.org","subject":"Library opens late"},"attachments":[],"size":111},
"flags":{"is-routed":false,"is-authenticated":true,"is-system-test":false,"is-test-mode":false},
"envelope":{"sender":"bounces+x@example.org","transport":"smtp","targets":%q},"user-variables":{}}}`,
		s, token, signed.MailgunSignature(key, s, token), ts, recipient, recipient, messageID, recipient)
}

func TestMailgunWebhook(t *testing.T) {
	e := newBounceEnv(t)
	e.kit.Sent(t, "a_1", "alice@example.com", "m-alice@example.org")
	const path = "/v1/hooks/bounces/mailgun"
	ts := bounceNow.Unix()
	for name, body := range map[string]string{
		"another key":     mailgunFailed("key-not-ours", "alice@example.com", "m-alice@example.org", ts),
		"stale timestamp": mailgunFailed(e.mgKey, "alice@example.com", "m-alice@example.org", bounceNow.Add(-time.Hour).Unix()),
		"recipient changed after signing": strings.Replace(mailgunFailed(e.mgKey, "bob@example.com", "m-alice@example.org", ts),
			`"timestamp":"`+strconv.FormatInt(ts, 10), `"timestamp":"`+strconv.FormatInt(ts+1, 10), 1),
	} {
		code, out := e.post(path, body, http.Header{"Content-Type": {"application/json"}})
		wantRefused(t, name, code, out, http.StatusUnauthorized)
	}
	if got := e.kit.State(t, "alice@example.com", "m-alice@example.org"); got != bouncetest.Untouched {
		t.Fatalf("refused events changed alice: %+v", got)
	}
	code, out := e.post(path, mailgunFailed(e.mgKey, "alice@example.com", "m-alice@example.org", ts), nil)
	if code != http.StatusOK || out["applied"] != 1.0 {
		t.Fatalf("genuine event: %d %v", code, out)
	}
	want := bouncetest.State{Subscriber: syndicate.SubscriberBounced, Suppressed: syndicate.SuppressedBounced, Delivery: syndicate.StatusBounced}
	if got := e.kit.State(t, "alice@example.com", "m-alice@example.org"); got != want {
		t.Errorf("after the event: %+v, want %+v", got, want)
	}
}

// TestBounceWebhookOff: a provider that is not configured answers 404.
func TestBounceWebhookOff(t *testing.T) {
	h := web.NewServer(web.Config{Bounces: &bounce.Processor{}}, nil, nil, nil)
	for _, p := range []string{"ses", "postmark", "sendgrid", "mailgun", "myspace"} {
		req := httptest.NewRequest(http.MethodPost, "/v1/hooks/bounces/"+p, strings.NewReader("{}"))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), `"error"`) {
			t.Errorf("%s: %d %s; want a 404 JSON error", p, rec.Code, rec.Body)
		}
	}
}
