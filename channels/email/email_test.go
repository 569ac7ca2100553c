package email

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"syndicate"
)

var fixedDate = time.Date(2026, time.March, 2, 7, 0, 0, 0, time.UTC)

func message(n int) syndicate.Message {
	return syndicate.Message{
		From:              "Harbour Town Gazette <news@news.example.com>",
		To:                fmt.Sprintf("reader%d@example.org", n),
		ToName:            fmt.Sprintf("Reader %d", n),
		Subject:           "Council approves new harbour wall",
		Text:              "Plain text body\n\nRead more: https://news.example.com/a\n",
		HTML:              "<p>HTML body</p>",
		MessageID:         fmt.Sprintf("d_1.s_%d@news.example.com", n),
		Date:              fixedDate,
		ListID:            "Harbour Town Gazette <daily.news.example.com>",
		UnsubscribeURL:    fmt.Sprintf("https://news.example.com/u/tok%d", n),
		UnsubscribeMailto: "mailto:unsubscribe@news.example.com",
	}
}

func messages(n int) []syndicate.Message {
	ms := make([]syndicate.Message, n)
	for i := range ms {
		ms[i] = message(i)
	}
	return ms
}

func newSender(t *testing.T, rawURL string) *Sender {
	t.Helper()
	s, err := New(Config{URL: rawURL, Timeout: 5 * time.Second, HELO: "test.local"})
	if err != nil {
		t.Fatalf("New(%q): %v", rawURL, err)
	}
	return s
}

// send runs Send and checks that report was called once for every message,
// in order; it returns the reported errors.
func send(t *testing.T, ctx context.Context, s *Sender, msgs []syndicate.Message) ([]error, error) {
	t.Helper()
	var got []error
	err := s.Send(ctx, msgs, func(i int, err error) {
		if i != len(got) {
			t.Errorf("report(%d) called after %d reports; want in order, once each", i, len(got))
		}
		got = append(got, err)
	})
	if len(got) != len(msgs) {
		t.Fatalf("report called %d times for %d messages", len(got), len(msgs))
	}
	return got, err
}

func outcome(t *testing.T, err error) syndicate.Outcome {
	t.Helper()
	var se *syndicate.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *syndicate.SendError", err, err)
	}
	return se.Outcome
}

func TestBatchOverOneConnection(t *testing.T) {
	ts := newTestServer(t, nil)
	msgs := messages(5)
	errs, err := send(t, context.Background(), newSender(t, ts.url("")), msgs)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			t.Errorf("message %d: %v", i, e)
		}
	}
	sessions, got := ts.received()
	if sessions != 1 {
		t.Errorf("batch of %d used %d connections, want 1", len(msgs), sessions)
	}
	if len(got) != len(msgs) {
		t.Fatalf("server received %d messages, want %d", len(got), len(msgs))
	}
	for i, r := range got {
		m := msgs[i]
		if r.from != "news@news.example.com" || len(r.to) != 1 || r.to[0] != m.To {
			t.Errorf("message %d: envelope from %q to %q", i, r.from, r.to)
		}
		checkMessage(t, r.data, m)
	}
}

// checkMessage parses raw as the server got it and checks the headers and
// the order of the parts.
func checkMessage(t *testing.T, raw []byte, m syndicate.Message) {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatalf("parse received message: %v\n%s", err, raw)
	}
	h := msg.Header
	want := map[string]string{
		"Message-Id":            "<" + m.MessageID + ">",
		"Subject":               m.Subject,
		"List-Unsubscribe":      "<" + m.UnsubscribeURL + ">, <" + m.UnsubscribeMailto + ">",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"List-Id":               m.ListID,
		"Precedence":            "bulk",
		"Auto-Submitted":        "auto-generated",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	if d, err := h.Date(); err != nil || !d.Equal(m.Date) {
		t.Errorf("Date: %v (%v), want %v", d, err, m.Date)
	}
	from, err := h.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Harbour Town Gazette" || from[0].Address != "news@news.example.com" {
		t.Errorf("From: %v %v", from, err)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != m.ToName || to[0].Address != m.To {
		t.Errorf("To: %v %v, want %q <%s>", to, err, m.ToName, m.To)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type %q (%v), want multipart/alternative", h.Get("Content-Type"), err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read part: %v", err)
		}
		ct, _, err := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("part Content-Type %q: %v", p.Header.Get("Content-Type"), err)
		}
		types = append(types, ct)
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Errorf("parts %v, want text/plain then text/html", types)
	}
}

func TestMessageIDStable(t *testing.T) {
	m := message(1)
	a, err := Build(m)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(m)
	if err != nil {
		t.Fatal(err)
	}
	if a.GetMessageID() != "<"+m.MessageID+">" || a.GetMessageID() != b.GetMessageID() {
		t.Errorf("Message-IDs %q and %q, want <%s> both times", a.GetMessageID(), b.GetMessageID(), m.MessageID)
	}
}

func TestRecipientFailures(t *testing.T) {
	ts := newTestServer(t, func(ts *testServer) {
		ts.rcpt = func(to string) error {
			switch to {
			case "reader1@example.org":
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later"}
			case "reader2@example.org":
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}
			case "reader3@example.org":
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.NoEnhancedCode, Message: "no such user"}
			case "reader4@example.org":
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "Relaying denied"}
			}
			return nil
		}
		ts.data = func(_ *smtp.Conn, to []string, _ []byte) error {
			if to[0] == "reader5@example.org" {
				return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message content rejected"}
			}
			return nil
		}
	})
	errs, err := send(t, context.Background(), newSender(t, ts.url("")), messages(7))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		delivered bool
		outcome   syndicate.Outcome
		code      int
		text      string
	}{
		{delivered: true},
		{outcome: syndicate.Temporary, code: 451, text: "Try again later"},
		{outcome: syndicate.Bounced, code: 550, text: "No such mailbox here"},
		{outcome: syndicate.Bounced, code: 550, text: "no such user"},
		{outcome: syndicate.Permanent, code: 550, text: "Relaying denied"},
		{outcome: syndicate.Permanent, code: 554, text: "Message content rejected"},
		{delivered: true},
	}
	for i, w := range want {
		e := errs[i]
		if w.delivered {
			if e != nil {
				t.Errorf("message %d: %v, want delivered", i, e)
			}
			continue
		}
		var se *syndicate.SendError
		if !errors.As(e, &se) {
			t.Errorf("message %d: %v, want a %s SendError", i, e, w.outcome)
			continue
		}
		if se.Outcome != w.outcome || se.Code != w.code || !strings.Contains(se.Message, w.text) {
			t.Errorf("message %d: %s %d %q, want %s %d containing %q", i, se.Outcome, se.Code, se.Message, w.outcome, w.code, w.text)
		}
	}
	sessions, got := ts.received()
	if sessions != 1 || len(got) != 2 {
		t.Errorf("%d sessions, %d messages delivered; want 1 and 2", sessions, len(got))
	}
}

func TestDropAfterDataIsUnknownAndReconnects(t *testing.T) {
	ts := newTestServer(t, func(ts *testServer) {
		ts.data = func(c *smtp.Conn, to []string, _ []byte) error {
			if to[0] == "reader1@example.org" {
				if err := c.Conn().Close(); err != nil {
					return err
				}
				return errors.New("connection dropped")
			}
			return nil
		}
	})
	errs, err := send(t, context.Background(), newSender(t, ts.url("")), messages(4))
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[2] != nil || errs[3] != nil {
		t.Errorf("errors %v, want only message 1 to fail", errs)
	}
	if o := outcome(t, errs[1]); o != syndicate.Unknown {
		t.Errorf("message 1: %s (%v), want unknown", o, errs[1])
	}
	sessions, got := ts.received()
	if sessions != 2 || len(got) != 3 {
		t.Errorf("%d sessions, %d messages delivered; want 2 (one reconnect) and 3", sessions, len(got))
	}
	if got[1].session != 2 || got[2].session != 2 {
		t.Errorf("messages after the drop went over sessions %d and %d, want 2", got[1].session, got[2].session)
	}
}

func TestLostConnectionBetweenMessagesResends(t *testing.T) {
	ts := newTestServer(t, func(ts *testServer) {
		ts.reset = func(c *smtp.Conn, session, n int) {
			// The first reset of the first session follows message 0's
			// accepted DATA: hang up there, so message 1's MAIL finds the
			// connection gone before anything of it is sent.
			if session == 1 && n == 1 {
				if err := c.Conn().Close(); err != nil {
					t.Errorf("drop connection: %v", err)
				}
			}
		}
	})
	errs, err := send(t, context.Background(), newSender(t, ts.url("")), messages(3))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			t.Errorf("message %d: %v", i, e)
		}
	}
	sessions, got := ts.received()
	if sessions != 2 || len(got) != 3 {
		t.Fatalf("%d sessions, %d messages; want 2 and 3", sessions, len(got))
	}
	for i, want := range []int{1, 2, 2} {
		if got[i].session != want || got[i].to[0] != fmt.Sprintf("reader%d@example.org", i) {
			t.Errorf("message %d to %v went over session %d, want %d", i, got[i].to, got[i].session, want)
		}
	}
}

func TestReconnectFailsReportsRestTemporary(t *testing.T) {
	var ts *testServer
	ts = newTestServer(t, func(ts2 *testServer) {
		ts2.data = func(c *smtp.Conn, to []string, _ []byte) error {
			if to[0] == "reader0@example.org" {
				// No one will answer the reconnect.
				if err := ts.ln.Close(); err != nil {
					return err
				}
				if err := c.Conn().Close(); err != nil {
					return err
				}
				return errors.New("connection dropped")
			}
			return nil
		}
	})
	errs, err := send(t, context.Background(), newSender(t, ts.url("")), messages(3))
	if err != nil {
		t.Fatal(err)
	}
	if o := outcome(t, errs[0]); o != syndicate.Unknown {
		t.Errorf("message 0: %s, want unknown", o)
	}
	for i := 1; i < 3; i++ {
		if o := outcome(t, errs[i]); o != syndicate.Temporary {
			t.Errorf("message %d: %s, want temporary", i, o)
		}
	}
}

func TestDialFailureReportsAllTemporary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	msgs := messages(3)
	msgs[1].MessageID = "not an id" // still reported in its turn, as permanent
	errs, err := send(t, context.Background(), newSender(t, "smtp://"+addr+"?tls=none"), msgs)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []syndicate.Outcome{syndicate.Temporary, syndicate.Permanent, syndicate.Temporary} {
		if o := outcome(t, errs[i]); o != want {
			t.Errorf("message %d: %s (%v), want %s", i, o, errs[i], want)
		}
	}
}

func TestAuthOverPlain(t *testing.T) {
	ts := newTestServer(t, func(ts *testServer) { ts.user, ts.pass = "mailer", "s3cret" })
	errs, err := send(t, context.Background(), newSender(t, ts.url("mailer:s3cret")), messages(2))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			t.Errorf("message %d: %v", i, e)
		}
	}
	_, got := ts.received()
	if len(got) != 2 || got[0].authUser != "mailer" {
		t.Errorf("received %d messages, first authenticated as %q", len(got), got[0].authUser)
	}

	errs, err = send(t, context.Background(), newSender(t, ts.url("mailer:wrong")), messages(2))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if o := outcome(t, e); o != syndicate.Temporary {
			t.Errorf("wrong password, message %d: %s (%v), want temporary", i, o, e)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	ts := newTestServer(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs, err := send(t, ctx, newSender(t, ts.url("")), messages(2))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send returned %v, want context.Canceled", err)
	}
	for i, e := range errs {
		if o := outcome(t, e); o != syndicate.Temporary {
			t.Errorf("message %d: %s, want temporary", i, o)
		}
	}
}

func TestHeaderInjection(t *testing.T) {
	ts := newTestServer(t, nil)
	msgs := messages(3)
	msgs[0].Subject = "Hello\r\nBcc: victim@example.net\r\nX-Injected: subject"
	msgs[0].ToName = "Eve\r\nX-Injected: name"
	msgs[0].From = "Gazette <news@news.example.com>"
	msgs[1].UnsubscribeURL = "https://news.example.com/u/x\r\nX-Injected: url"
	msgs[2].ListID = "List\r\nX-Injected: <list.example.com>"
	errs, err := send(t, context.Background(), newSender(t, ts.url("")), msgs)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil {
		t.Errorf("message 0 (tidied subject and name): %v", errs[0])
	}
	for i := 1; i < 3; i++ {
		if o := outcome(t, errs[i]); o != syndicate.Permanent {
			t.Errorf("message %d: %s (%v), want permanent", i, o, errs[i])
		}
	}
	_, got := ts.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	msg, err := netmail.ReadMessage(strings.NewReader(string(got[0].data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Bcc", "X-Injected"} {
		if v, ok := msg.Header[k]; ok {
			t.Errorf("injected header %s: %q", k, v)
		}
	}
	if s := msg.Header.Get("Subject"); s != "Hello Bcc: victim@example.net X-Injected: subject" {
		t.Errorf("Subject %q", s)
	}
	if len(got[0].to) != 1 {
		t.Errorf("envelope recipients %v, want one", got[0].to)
	}
}

func TestBuildRejects(t *testing.T) {
	for name, edit := range map[string]func(*syndicate.Message){
		"message id with CRLF":      func(m *syndicate.Message) { m.MessageID = "a@b.com>\r\nX-Evil: 1" },
		"message id without @":      func(m *syndicate.Message) { m.MessageID = "abc" },
		"message id with brackets":  func(m *syndicate.Message) { m.MessageID = "<a@b.com>" },
		"http unsubscribe":          func(m *syndicate.Message) { m.UnsubscribeURL = "http://news.example.com/u" },
		"javascript unsubscribe":    func(m *syndicate.Message) { m.UnsubscribeURL = "javascript:alert(1)" },
		"unsubscribe with space":    func(m *syndicate.Message) { m.UnsubscribeURL = "https://news.example.com/u x" },
		"unsubscribe with >":        func(m *syndicate.Message) { m.UnsubscribeURL = "https://news.example.com/u>, <https://evil.example" },
		"missing unsubscribe":       func(m *syndicate.Message) { m.UnsubscribeURL = "" },
		"long unsubscribe":          func(m *syndicate.Message) { m.UnsubscribeURL = "https://news.example.com/" + strings.Repeat("a", 1000) },
		"mailto with CRLF":          func(m *syndicate.Message) { m.UnsubscribeMailto = "mailto:u@news.example.com\r\nX: 1" },
		"mailto not mailto":         func(m *syndicate.Message) { m.UnsubscribeMailto = "https://news.example.com" },
		"mailto with LF":            func(m *syndicate.Message) { m.UnsubscribeMailto = "mailto:u@news.example.com\nX: 1" },
		"mailto with space":         func(m *syndicate.Message) { m.UnsubscribeMailto = "mailto:un sub@news.example.com" },
		"mailto with <>":            func(m *syndicate.Message) { m.UnsubscribeMailto = "mailto:<u@news.example.com>" },
		"mailto closing >":          func(m *syndicate.Message) { m.UnsubscribeMailto = "mailto:u@news.example.com>, <https://evil.example" },
		"mailto two addresses":      func(m *syndicate.Message) { m.UnsubscribeMailto = "mailto:u@news.example.com,v@news.example.com" },
		"mailto comma in query":     func(m *syndicate.Message) { m.UnsubscribeMailto = "mailto:u@news.example.com?subject=a,b" },
		"mailto without address":    func(m *syndicate.Message) { m.UnsubscribeMailto = "mailto:" },
		"mailto bad address":        func(m *syndicate.Message) { m.UnsubscribeMailto = "mailto:not-an-address" },
		"mailto without domain dot": func(m *syndicate.Message) { m.UnsubscribeMailto = "mailto:u@localhost" },
		"mailto with slashes":       func(m *syndicate.Message) { m.UnsubscribeMailto = "mailto://u@news.example.com" },
		"list id with LF":           func(m *syndicate.Message) { m.ListID = "News <news.example.com>\nX: 1" },
		"list id without <>":        func(m *syndicate.Message) { m.ListID = "news.example.com" },
		"bad recipient":             func(m *syndicate.Message) { m.To = "a@b.com\r\nRCPT TO:<c@d.com>" },
		"bad sender":                func(m *syndicate.Message) { m.From = "Gazette <news@news.example.com>\r\nBcc: x@y.com" },
		"no body":                   func(m *syndicate.Message) { m.Text, m.HTML = "", "" },
	} {
		t.Run(name, func(t *testing.T) {
			m := message(1)
			edit(&m)
			_, err := Build(m)
			if err == nil {
				t.Fatal("Build: no error")
			}
			if o := outcome(t, err); o != syndicate.Permanent {
				t.Errorf("outcome %s, want permanent", o)
			}
		})
	}
	m := message(1)
	m.UnsubscribeURL = "http://127.0.0.1:8080/u/tok"
	m.UnsubscribeMailto = ""
	if _, err := Build(m); err != nil {
		t.Errorf("http unsubscribe URL on 127.0.0.1: %v", err)
	}
}

func TestBuildMailtoUnsubscribe(t *testing.T) {
	m := message(1)
	m.UnsubscribeMailto = "mailto:unsubscribe+s1@news.example.com?subject=unsubscribe"
	msg, err := Build(m)
	if err != nil {
		t.Fatalf("Build with mailto %q: %v", m.UnsubscribeMailto, err)
	}
	var b strings.Builder
	if _, err := msg.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	checkMessage(t, []byte(b.String()), m)
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		url, wantErr string
		port         int
		mode         string
	}{
		{url: "smtp://mail.example.com", port: 587, mode: "starttls"},
		{url: "smtp://mail.example.com?tls=tls", port: 465, mode: "tls"},
		{url: "smtp://mail.example.com?tls=none", port: 25, mode: "none"},
		{url: "smtp://u:p@mail.example.com:2525?tls=starttls&skip_verify=1", port: 2525, mode: "starttls"},
		{url: "http://mail.example.com", wantErr: "scheme"},
		{url: "smtp://", wantErr: "no host"},
		{url: "smtp://mail.example.com:99999", wantErr: "port"},
		{url: "smtp://mail.example.com?tls=maybe", wantErr: "tls="},
		{url: "smtp://mail.example.com?tsl=none", wantErr: "unknown parameter"},
		{url: "smtp://mail.example.com?skip_verify=yes", wantErr: "skip_verify"},
		{url: "smtp://user:hunter2@mail.example.com/path", wantErr: "path"},
	} {
		s, err := New(Config{URL: tc.url})
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("New(%q): %v, want an error about %q", tc.url, err, tc.wantErr)
			} else if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("New(%q): error shows the password: %v", tc.url, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("New(%q): %v", tc.url, err)
			continue
		}
		if s.port != tc.port || s.mode != tc.mode || s.timeout != 30*time.Second {
			t.Errorf("New(%q): port %d mode %s timeout %s, want %d %s 30s", tc.url, s.port, s.mode, s.timeout, tc.port, tc.mode)
		}
	}
}

// Between messages of one connection the client sends no RSET: the
// server's own reset after each accepted DATA is the only one.
func TestNoResetBetweenAcceptedMessages(t *testing.T) {
	var resets atomic.Int64
	ts := newTestServer(t, func(ts *testServer) {
		ts.reset = func(_ *smtp.Conn, _, _ int) { resets.Add(1) }
	})
	errs, err := send(t, context.Background(), newSender(t, ts.url("")), messages(3))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			t.Errorf("message %d: %v", i, e)
		}
	}
	if n := resets.Load(); n != 3 {
		t.Errorf("%d resets for 3 accepted messages, want 3 (no RSET between them)", n)
	}
}

// TestSendEachMakesMessagesInTurn: SendEach asks for each message only when
// the one before has its result, so a batch holds one rendered message at
// a time; a message it cannot have fails Permanent with the reason, and the
// rest still go.
func TestSendEachMakesMessagesInTurn(t *testing.T) {
	ts := newTestServer(t, nil)
	msgs := messages(4)
	reported := 0
	var asked []int
	err := newSender(t, ts.url("")).SendEach(context.Background(), len(msgs), func(i int) (syndicate.Message, error) {
		if i != reported {
			t.Errorf("message %d asked for after %d results; want it asked for when its turn comes", i, reported)
		}
		asked = append(asked, i)
		if i == 2 {
			return syndicate.Message{}, errors.New("render email: no template")
		}
		return msgs[i], nil
	}, func(i int, err error) {
		reported++
		switch {
		case i == 2 && (outcome(t, err) != syndicate.Permanent || !strings.Contains(err.Error(), "render email: no template")):
			t.Errorf("message 2: %v, want a Permanent failure with the reason", err)
		case i != 2 && err != nil:
			t.Errorf("message %d: %v", i, err)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, got := ts.received(); len(asked) != 4 || reported != 4 || len(got) != 3 {
		t.Errorf("asked for %v, %d results, %d received; want each of 4 once and 3 received", asked, reported, len(got))
	}
}
