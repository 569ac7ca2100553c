// Package email delivers rendered emails over SMTP with go-mail: one
// connection per batch, each message's result reported as soon as it is
// known, and every failure classified so the job layer knows whether to
// retry, suppress the address or ask an editor.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"syndicate"
)

// Config says how to reach the SMTP server.
type Config struct {
	// URL is smtp://user:pass@host:port?tls=starttls|tls|none. The port
	// defaults to 587 for starttls (the default), 465 for tls and 25 for
	// none; only none allows credentials over an unencrypted connection.
	// skip_verify=1 accepts a self-signed certificate (test servers only).
	URL string
	// Timeout bounds connecting and each command; zero means 30s.
	Timeout time.Duration
	// HELO is the name given in EHLO; empty means the host name.
	HELO string
}

// Sender sends email over SMTP. It is safe for concurrent use; each Send
// has its own connection.
type Sender struct {
	host       string
	port       int
	mode       string // starttls, tls or none
	user, pass string
	skipVerify bool
	timeout    time.Duration
	helo       string
}

// New checks c and returns a Sender; it does not connect.
func New(c Config) (*Sender, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		// url.Parse quotes the whole URL, password included.
		return nil, errors.New("smtp URL is not a valid URL")
	}
	safe := u.Redacted()
	if u.Scheme != "smtp" {
		return nil, fmt.Errorf("smtp URL %s: scheme must be smtp", safe)
	}
	s := &Sender{host: u.Hostname(), timeout: c.Timeout, helo: c.HELO}
	if s.host == "" {
		return nil, fmt.Errorf("smtp URL %s has no host", safe)
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("smtp URL %s: unexpected path %q", safe, u.Path)
	}
	q := u.Query()
	for k := range q {
		if k != "tls" && k != "skip_verify" {
			return nil, fmt.Errorf("smtp URL %s: unknown parameter %q (want tls or skip_verify)", safe, k)
		}
	}
	s.mode = strings.ToLower(q.Get("tls"))
	defPort := 0
	switch s.mode {
	case "", "starttls":
		s.mode, defPort = "starttls", 587
	case "tls":
		defPort = 465
	case "none":
		defPort = 25
	default:
		return nil, fmt.Errorf("smtp URL %s: tls=%q is not one of starttls, tls, none", safe, q.Get("tls"))
	}
	switch v := q.Get("skip_verify"); v {
	case "", "0", "false":
	case "1", "true":
		s.skipVerify = true
	default:
		return nil, fmt.Errorf("smtp URL %s: skip_verify=%q is not 1 or 0", safe, v)
	}
	s.port = defPort
	if p := u.Port(); p != "" {
		s.port, err = strconv.Atoi(p)
		if err != nil || s.port < 1 || s.port > 65535 {
			return nil, fmt.Errorf("smtp URL %s: port %q is not 1-65535", safe, p)
		}
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password() // a user without a password is allowed: some relays take an empty one
	}
	if s.timeout < 0 {
		return nil, fmt.Errorf("smtp timeout %s is negative", s.timeout)
	}
	if s.timeout == 0 {
		s.timeout = 30 * time.Second
	}
	if strings.ContainsFunc(s.helo, func(r rune) bool { return r <= ' ' || r >= 0x7f }) {
		return nil, fmt.Errorf("smtp HELO name %q contains spaces or control characters", s.helo)
	}
	return s, nil
}

// conn is one SMTP connection: the go-mail client and the network
// connection under it, kept so a broken or cancelled connection can be cut
// without waiting for a QUIT that will never be answered.
type conn struct {
	client *mail.Client
	raw    net.Conn
	stop   func() bool // stops the context watcher
}

// dial opens an authenticated connection.
func (s *Sender) dial(ctx context.Context) (*conn, error) {
	c := &conn{}
	addr := net.JoinHostPort(s.host, strconv.Itoa(s.port))
	tlsConf := &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: s.skipVerify} // #nosec G402 -- only on request, for test servers
	dialer := &net.Dialer{Timeout: s.timeout}
	opts := []mail.Option{
		mail.WithPort(s.port),
		mail.WithTimeout(s.timeout),
		mail.WithTLSConfig(tlsConf),
		// Our own dial function keeps the net.Conn; it also dials
		// host:port with JoinHostPort, which go-mail's own does not do for
		// IPv6 literals.
		mail.WithDialContextFunc(func(ctx context.Context, network, _ string) (net.Conn, error) {
			var nc net.Conn
			var err error
			if s.mode == "tls" {
				nc, err = (&tls.Dialer{NetDialer: dialer, Config: tlsConf}).DialContext(ctx, network, addr)
			} else {
				nc, err = dialer.DialContext(ctx, network, addr)
			}
			c.raw = nc
			return nc, err
		}),
	}
	switch s.mode {
	case "starttls":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	default:
		// tls: the dialer already did TLS; none: plain text on purpose.
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	}
	if s.helo != "" {
		opts = append(opts, mail.WithHELO(s.helo))
	}
	if s.user != "" {
		mechs := []mail.SMTPAuthType{mail.SMTPAuthSCRAMSHA256, mail.SMTPAuthSCRAMSHA1, mail.SMTPAuthCramMD5}
		if s.mode == "none" {
			// The operator chose plain text; go-mail's PLAIN and LOGIN refuse
			// an unencrypted connection unless told with -NOENC.
			mechs = append(mechs, mail.SMTPAuthPlainNoEnc, mail.SMTPAuthLoginNoEnc)
		} else {
			mechs = append(mechs, mail.SMTPAuthPlain, mail.SMTPAuthLogin)
		}
		opts = append(opts, mail.WithOpportunisticSMTPAuth(mechs...), mail.WithUsername(s.user), mail.WithPassword(s.pass))
	}
	client, err := mail.NewClient(s.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("configure smtp client: %w", err)
	}
	c.client = client
	if err := client.DialWithContext(ctx); err != nil {
		// go-mail does not close the connection when EHLO, STARTTLS or AUTH
		// fails after the dial.
		if c.raw != nil {
			if cerr := c.raw.Close(); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}
		return nil, err
	}
	// A cancelled ctx cuts the connection, so a command blocked on a slow
	// server returns now rather than at the timeout.
	raw := c.raw
	c.stop = context.AfterFunc(ctx, func() {
		if err := raw.SetDeadline(time.Unix(1, 0)); err != nil {
			return // only a closed connection refuses a deadline, and its I/O has stopped already
		}
	})
	return c, nil
}

// close ends the connection: politely with QUIT if it is healthy, by
// cutting it otherwise.
func (c *conn) close(healthy bool) {
	c.stop()
	if healthy {
		if err := c.client.Close(); err == nil {
			return
		}
		// QUIT failed: every result is already reported, so all that is
		// left is to release the socket.
	}
	if err := c.raw.Close(); err != nil {
		// Every message's result is already reported and the socket is
		// released either way (it fails only when already closed), so there
		// is no one to tell.
		return
	}
}

// Send delivers msgs over one SMTP connection and calls report(i, err)
// exactly once for every message, in order, as soon as its result is known,
// so the caller can record each before the next is sent. err is nil for a
// delivered message and a *syndicate.SendError otherwise:
//
//   - Temporary: SMTP 4xx, or the connection could not be made or was lost
//     before the message's content was sent;
//   - Bounced: 5xx with enhanced code 5.1.1, or a "no such user" reply;
//   - Permanent: other 5xx, or a message that fails Build;
//   - Unknown: the connection was lost after the whole message was sent but
//     before the server answered it.
//
// After a lost connection it reconnects once for the remaining messages;
// if that fails too, the rest are reported Temporary. Send returns only
// ctx's error, after reporting the unsent messages Temporary.
func (s *Sender) Send(ctx context.Context, msgs []syndicate.Message, report func(i int, err error)) error {
	if len(msgs) == 0 {
		return nil
	}
	// Build everything first so a broken message costs no connection, but
	// report its failure in its turn.
	built := make([]*mail.Msg, len(msgs))
	buildErr := make([]error, len(msgs))
	for i, m := range msgs {
		built[i], buildErr[i] = Build(m)
	}
	rest := func(from int, err error) {
		for j := from; j < len(msgs); j++ {
			if buildErr[j] != nil {
				report(j, buildErr[j])
			} else {
				report(j, err)
			}
		}
	}

	var c *conn
	dials := 0
	for i := 0; i < len(msgs); {
		if err := ctx.Err(); err != nil {
			if c != nil {
				c.close(false)
			}
			rest(i, &syndicate.SendError{Outcome: syndicate.Temporary, Message: "not sent: " + err.Error(), Err: err})
			return err
		}
		if buildErr[i] != nil {
			report(i, buildErr[i])
			i++
			continue
		}
		if c == nil {
			if dials == 2 {
				rest(i, &syndicate.SendError{Outcome: syndicate.Temporary, Message: "not sent: the connection to the smtp server was lost twice in one batch"})
				return nil
			}
			dials++
			var err error
			c, err = s.dial(ctx)
			if err != nil {
				if ctx.Err() != nil {
					continue // reported by the check at the top of the loop
				}
				rest(i, dialError(s.host, s.port, err))
				return nil
			}
		}

		err := c.client.Send(built[i])
		if err != nil && ctx.Err() != nil && !built[i].IsDelivered() {
			// The watcher cut the connection.
			if failedAfterContent(err) {
				report(i, &syndicate.SendError{Outcome: syndicate.Unknown, Message: "cancelled while waiting for the server to accept the message: " + err.Error(), Err: err})
				i++
			}
			c.close(false)
			c = nil
			continue
		}
		res, broken, retry := classify(err, built[i])
		if broken {
			c.close(false)
			c = nil
		}
		if retry && dials < 2 {
			continue // nothing of this message reached the server; resend it on a new connection
		}
		report(i, res)
		i++
	}
	if c != nil {
		c.close(true)
	}
	return nil
}

// dialError is the Temporary failure of every message when the connection
// or login fails.
func dialError(host string, port int, err error) *syndicate.SendError {
	se := &syndicate.SendError{Outcome: syndicate.Temporary, Message: fmt.Sprintf("connect to smtp server %s: %v", net.JoinHostPort(host, strconv.Itoa(port)), err), Err: err}
	var te *textproto.Error
	if errors.As(err, &te) {
		se.Code = te.Code
	}
	return se
}

// classify turns go-mail's result for one message into what it means for
// the delivery. broken says the connection cannot be used again; retry
// says nothing of the message reached the server, so sending it on a new
// connection cannot duplicate it.
func classify(err error, m *mail.Msg) (res error, broken, retry bool) {
	if err == nil {
		return nil, false, false
	}
	if m.IsDelivered() {
		// The server accepted the message; only the RSET after it failed.
		// The next message's NOOP will find out whether the connection
		// still works.
		return nil, false, false
	}
	var se *mail.SendError
	if !errors.As(err, &se) {
		return &syndicate.SendError{Outcome: syndicate.Temporary, Message: err.Error(), Err: err}, true, false
	}
	code := se.ErrorCode()
	text := se.Error()
	switch {
	case code >= 400 && code < 500:
		return &syndicate.SendError{Outcome: syndicate.Temporary, Code: code, Message: text, Err: err}, false, false
	case code >= 500:
		out := syndicate.Permanent
		if noSuchUser(se) {
			out = syndicate.Bounced
		}
		return &syndicate.SendError{Outcome: out, Code: code, Message: text, Err: err}, false, false
	}
	// No SMTP reply: the connection broke, or go-mail failed locally.
	switch se.Reason {
	case mail.ErrGetSender, mail.ErrGetRcpts, mail.ErrNoUnencoded:
		return &syndicate.SendError{Outcome: syndicate.Permanent, Message: text, Err: err}, false, false
	case mail.ErrSMTPDataClose:
		// The whole message and its final "." were sent; the server may
		// have queued it before the connection died.
		return &syndicate.SendError{Outcome: syndicate.Unknown, Message: "connection lost before the server answered the message: " + text, Err: err}, true, false
	case mail.ErrWriteContent:
		// Lost while the content was being written: the final "." was never
		// sent, and a server must not deliver a message without it
		// (RFC 5321 4.1.1.4), so nothing was delivered. Not resent in this
		// batch in case the content itself is what fails to write.
		return &syndicate.SendError{Outcome: syndicate.Temporary, Message: "connection lost while sending the message: " + text, Err: err}, true, false
	}
	// NOOP, MAIL, RCPT or DATA found the connection gone: nothing was sent.
	return &syndicate.SendError{Outcome: syndicate.Temporary, Message: "connection lost before sending: " + text, Err: err}, true, true
}

// failedAfterContent reports whether err came once the whole message had
// been sent, so that its fate is unknown.
func failedAfterContent(err error) bool {
	var se *mail.SendError
	return errors.As(err, &se) && se.Reason == mail.ErrSMTPDataClose
}

var (
	enhancedCode = regexp.MustCompile(`\b[245]\.\d{1,3}\.\d{1,3}\b`)
	// noSuchUserText recognises servers that say the mailbox does not exist
	// without an enhanced status code.
	noSuchUserText = regexp.MustCompile(`(?i)no such (user|mailbox|recipient|address)|(user|recipient|mailbox) (unknown|not found|does not exist)|unknown (user|recipient|mailbox)`)
)

// noSuchUser reports whether a 5xx reply says the address does not exist:
// enhanced code x.1.1, or the usual wording when there is none.
func noSuchUser(se *mail.SendError) bool {
	text := se.Error()
	// go-mail appends the recipient and Message-ID; look only at the reply.
	if i := strings.Index(text, ", affected "); i >= 0 {
		text = text[:i]
	}
	esc := se.EnhancedStatusCode()
	if esc == "" {
		esc = enhancedCode.FindString(text)
	}
	if esc != "" {
		return strings.HasSuffix(esc, ".1.1")
	}
	return noSuchUserText.MatchString(text)
}
