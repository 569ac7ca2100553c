// Package email delivers rendered emails over SMTP with go-mail: one
// connection per batch, each message's result reported as soon as it is
// known, and every failure classified so the job layer knows whether to
// retry, suppress the address or ask an editor. Messages may be DKIM
// signed, paced and sent over a bounded number of connections.
package email

import (
	"bytes"
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
	"github.com/wneessen/go-mail/smtp"

	"syndicate"
	"syndicate/internal/redact"
)

// Config says how to reach the SMTP server and how hard to use it.
//
// Rate and MaxConns bound one Sender, that is one process: every Send of
// the Sender (the batches a worker runs at once) shares them, but N worker
// processes each have their own, so together they may send N times as
// fast over N times as many connections. Pacer and Conns, kept in Redis,
// are the budgets all the workers share instead.
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
	// Rate is how many messages per second the Sender starts, across all
	// its concurrent Sends (a token bucket waited on before each message);
	// zero means no limit.
	Rate float64
	// Burst is how many messages may go at once before Rate applies; zero
	// means 1. It has no effect without Rate.
	Burst int
	// MaxConns is how many SMTP connections the Sender holds open at once,
	// across all its concurrent Sends; a Send waits for a free one. Zero
	// means no limit.
	MaxConns int
	// DKIM, when set, signs every message; see DKIMConfig.
	DKIM *DKIMConfig
	// Pacer, when set, paces messages instead of Rate and Burst: a
	// *RedisRate shares one budget between every Sender that uses its key.
	Pacer Pacer
	// Conns, when set, caps connections instead of MaxConns: a
	// *RedisConns shares one budget between every Sender that uses its
	// key. Kept idle connections count against it too, so with Conns they
	// are closed after SharedIdleTimeout rather than IdleTimeout, leaving
	// the slots to other processes' Sends.
	Conns ConnBudget
	// KeepIdle is how many connections the Sender keeps open after a Send
	// for the next ones to reuse (an idle connection still counts against
	// MaxConns); zero closes each connection at the end of its Send. A
	// connection idle for longer than IdleTimeout is closed instead of
	// reused.
	KeepIdle int
	// Observer, when set, is told of every SMTP reply to a message or a
	// login and of every wait for the rate limit.
	Observer Observer
}

// Observer counts what the SMTP server answers, for the metrics endpoint.
// Its methods run once per message: they must be cheap and not block.
// *metrics.Metrics is one.
type Observer interface {
	// Reply is one reply: its code and enhanced status code ("" when the
	// server gave none; a message's 250 is always reported without one).
	Reply(code int, enhanced string)
	// Paced is one wait of d for the rate limit.
	Paced(d time.Duration)
}

// IdleTimeout is how long a kept connection may wait for its next Send:
// well under the five minutes RFC 5321 (4.5.3.2.7) asks servers to wait.
const IdleTimeout = 30 * time.Second

// SharedIdleTimeout is how long a kept connection may wait for its next
// Send when the connection budget is shared (Config.Conns).
const SharedIdleTimeout = time.Second

// sharedPoll is how often a Send waiting for a shared connection slot
// asks again.
const sharedPoll = 20 * time.Millisecond

// Sender sends email over SMTP. It is safe for concurrent use; each Send
// has its own connection, and all Sends share the Sender's rate limit and
// connection cap.
type Sender struct {
	host       string
	port       int
	mode       string // starttls, tls or none
	user, pass string
	skipVerify bool
	timeout    time.Duration
	helo       string
	limit      limiter     // nil: no rate limit
	slots      connSlots   // nil: no connection cap in this process
	shared     ConnBudget  // nil: no cap shared with other processes
	dkim       *dkimSigner // nil: messages are not signed
	idle       chan *conn  // connections kept between Sends; nil: none
	obs        Observer    // nil: nothing is counted
}

// New checks c and returns a Sender; it does not connect.
func New(c Config) (*Sender, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		// url.Parse quotes the whole URL, password included.
		return nil, errors.New("smtp URL is not a valid URL")
	}
	safe := redact.URL(c.URL)
	if u.Scheme != "smtp" {
		return nil, fmt.Errorf("smtp URL %s: scheme must be smtp", safe)
	}
	s := &Sender{host: u.Hostname(), timeout: c.Timeout, helo: c.HELO, obs: c.Observer}
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
	if s.limit, err = newLimiter(c); err != nil {
		return nil, err
	}
	if c.Pacer != nil {
		s.limit = c.Pacer
	}
	if s.slots, err = newConnSlots(c); err != nil {
		return nil, err
	}
	if c.Conns != nil {
		s.shared, s.slots = c.Conns, nil
	}
	if c.DKIM != nil {
		if s.dkim, err = newDKIMSigner(*c.DKIM); err != nil {
			return nil, err
		}
	}
	switch {
	case c.KeepIdle < 0:
		return nil, fmt.Errorf("smtp idle connections %d is negative", c.KeepIdle)
	case c.KeepIdle > 0:
		s.idle = make(chan *conn, c.KeepIdle)
	}
	return s, nil
}

// Close ends the kept idle connections. The Sender still works after it.
func (s *Sender) Close() error {
	for {
		select {
		case c := <-s.idle:
			c.quit()
		default:
			return nil
		}
	}
}

// connect returns a kept idle connection, watched by ctx, or dials a new
// one when there is none; fresh says which. With a connection cap it waits
// for whichever comes first, a free slot or a connection handed back.
func (s *Sender) connect(ctx context.Context) (c *conn, fresh bool, err error) {
	if s.shared != nil {
		return s.connectShared(ctx)
	}
	if s.idle == nil {
		c, err = s.dial(ctx)
		return c, true, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		select {
		case c = <-s.idle:
		default:
			if s.slots == nil {
				c, err = s.dial(ctx)
				return c, true, err
			}
			select {
			case c = <-s.idle:
			case s.slots <- struct{}{}:
				c, err = s.dialSlotted(ctx, s.slots.release)
				return c, true, err
			case <-ctx.Done():
				return nil, false, ctx.Err()
			}
		}
		if time.Since(c.idleSince) > IdleTimeout {
			c.quit()
			continue
		}
		c.watch(ctx)
		return c, false, nil
	}
}

// connectShared is connect with a connection budget shared through
// Redis: a kept connection of this Sender if there is one, else a new one
// once the budget has a free slot, asking every sharedPoll.
func (s *Sender) connectShared(ctx context.Context) (*conn, bool, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		select {
		case c := <-s.idle: // a nil idle (no pool) is never ready
			if time.Since(c.idleSince) > SharedIdleTimeout {
				c.quit()
				continue
			}
			c.watch(ctx)
			return c, false, nil
		default:
		}
		release, ok, err := s.shared.TryAcquire(ctx)
		if err != nil {
			return nil, false, err
		}
		if ok {
			c, err := s.dialSlotted(ctx, release)
			return c, true, err
		}
		t := time.NewTimer(sharedPoll)
		select {
		case c := <-s.idle:
			t.Stop()
			if time.Since(c.idleSince) > SharedIdleTimeout {
				c.quit()
				continue
			}
			c.watch(ctx)
			return c, false, nil
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}

// reapShared closes the kept connections idle for longer than
// SharedIdleTimeout, giving their slots back to the shared budget.
func (s *Sender) reapShared() {
	for range cap(s.idle) {
		select {
		case c := <-s.idle:
			if time.Since(c.idleSince) < SharedIdleTimeout {
				select {
				case s.idle <- c:
				default:
					c.quit()
				}
				continue
			}
			c.quit()
		default:
			return
		}
	}
}

// keep hands a healthy connection back for the next Send, or closes it
// when the pool is full or it is not worth keeping.
func (s *Sender) keep(c *conn) {
	if s.idle == nil || !c.stop() {
		// No pool, or ctx was cancelled and its watcher has cut the
		// connection already.
		c.close(s.idle == nil)
		return
	}
	c.idleSince = time.Now()
	c.check = true
	select {
	case s.idle <- c:
		if s.shared != nil {
			time.AfterFunc(SharedIdleTimeout+10*time.Millisecond, s.reapShared)
		}
	default:
		c.quit()
	}
}

// conn is one SMTP connection: go-mail's low-level client, which sends the
// rendered (and signed) bytes as they are, and the network connection
// under it, kept so a broken or cancelled connection can be cut without
// waiting for a QUIT that will never be answered.
type conn struct {
	smtp      *smtp.Client
	raw       net.Conn
	stop      func() bool // stops the context watcher
	release   func()      // frees the connection slot
	idleSince time.Time   // when it was handed back for reuse
	// check asks for a NOOP before the next message: the connection sat in
	// the pool, where the server may have dropped it. Between messages of
	// one Send there is none, nor an RSET after an accepted message (the
	// final "." ends the transaction, RFC 5321 4.1.1.4): a connection lost
	// in between fails MAIL without a reply, which is resent just the same.
	check bool
}

// dial takes a connection slot and opens an authenticated connection.
func (s *Sender) dial(ctx context.Context) (*conn, error) {
	if err := s.slots.acquire(ctx); err != nil {
		return nil, err
	}
	return s.dialSlotted(ctx, s.slots.release)
}

// dialSlotted opens an authenticated connection in a slot already taken,
// which release frees.
func (s *Sender) dialSlotted(ctx context.Context, release func()) (*conn, error) {
	c := &conn{release: release}
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
		c.release()
		return nil, fmt.Errorf("configure smtp client: %w", err)
	}
	// go-mail's Client dials, greets, starts TLS and logs in; the messages
	// then go over its smtp.Client directly, because Client.Send renders a
	// Msg itself and so cannot send bytes that were signed beforehand.
	c.smtp, err = client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		// go-mail does not close the connection when EHLO, STARTTLS or AUTH
		// fails after the dial.
		if c.raw != nil {
			if cerr := c.raw.Close(); cerr != nil {
				err = errors.Join(err, cerr)
			}
		}
		c.release()
		return nil, err
	}
	c.watch(ctx)
	return c, nil
}

// watch makes a cancelled ctx cut the connection, so a command blocked on
// a slow server returns now rather than at the timeout.
func (c *conn) watch(ctx context.Context) {
	raw := c.raw
	c.stop = context.AfterFunc(ctx, func() {
		if err := raw.SetDeadline(time.Unix(1, 0)); err != nil {
			return // only a closed connection refuses a deadline, and its I/O has stopped already
		}
	})
}

// quit ends an idle (unwatched) connection politely and frees its slot.
func (c *conn) quit() {
	defer c.release()
	if err := c.smtp.Quit(); err == nil {
		return // Quit closed the connection
	}
	if err := c.raw.Close(); err != nil {
		return // already closed: the socket is released either way
	}
}

// close ends the connection: politely with QUIT if it is healthy, by
// cutting it otherwise. Either way it frees the connection slot.
func (c *conn) close(healthy bool) {
	c.stop()
	defer c.release()
	if healthy {
		if err := c.smtp.Quit(); err == nil {
			return // Quit closed the connection
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

// step is a stage of one SMTP mail transaction; where a transaction
// failed says whether the message can have been delivered.
type step int

const (
	stepCheck   step = iota // NOOP: is the connection still alive?
	stepMail                // MAIL FROM
	stepRcpt                // RCPT TO
	stepData                // the DATA command
	stepContent             // writing the message
	stepEnd                 // the final "." and the server's answer to it
)

// transact sends one message over c and returns the step that failed, if
// any.
func (c *conn) transact(ctx context.Context, timeout time.Duration, o *outgoing) (step, error) {
	// One deadline for the whole message, as go-mail gives each Send.
	if err := c.smtp.UpdateDeadline(timeout); err != nil {
		return stepCheck, err
	}
	// Checked after the deadline is set: a ctx cancelled before this point
	// would otherwise have its cut undone by UpdateDeadline.
	if err := ctx.Err(); err != nil {
		return stepCheck, err
	}
	if c.check {
		if err := c.smtp.Noop(); err != nil {
			return stepCheck, err
		}
		c.check = false
	}
	if err := c.smtp.Mail(o.from); err != nil {
		return stepMail, err
	}
	if err := c.smtp.Rcpt(o.to); err != nil {
		return stepRcpt, err
	}
	w, err := c.smtp.Data()
	if err != nil {
		return stepData, err
	}
	if _, err := w.Write(o.data); err != nil {
		// Closing would send the final "." and could deliver a truncated
		// message; the connection is cut instead.
		return stepContent, err
	}
	if err := w.Close(); err != nil {
		return stepEnd, err
	}
	return stepEnd, nil
}

// outgoing is one message ready for the wire.
type outgoing struct {
	from, to string // envelope addresses, in <>
	data     []byte // the rendered message, signed if the Sender signs
	err      error  // why the message cannot be sent; nil if it can
}

// prepare builds, renders and signs m. A message that cannot be built or
// rendered fails Permanent; one that cannot be signed fails Temporary,
// because that is the key's or the signer's fault, not the message's.
func (s *Sender) prepare(m syndicate.Message, b *bytes.Buffer) outgoing {
	msg, err := Build(m)
	if err != nil {
		return outgoing{err: err}
	}
	from, err := msg.GetSender(false)
	if err != nil {
		return outgoing{err: &syndicate.SendError{Outcome: syndicate.Permanent, Message: "invalid message: " + err.Error(), Err: err}}
	}
	rcpts, err := msg.GetRecipients()
	if err != nil || len(rcpts) != 1 {
		return outgoing{err: &syndicate.SendError{Outcome: syndicate.Permanent, Message: fmt.Sprintf("invalid message: want one recipient, have %d", len(rcpts)), Err: err}}
	}
	b.Reset()
	// Room for both parts and the headers, so the buffer is not regrown
	// as the message is written (quoted-printable adds a little).
	b.Grow(len(m.Text) + len(m.HTML) + len(m.HTML)/16 + 2048)
	if _, err := msg.WriteTo(b); err != nil {
		return outgoing{err: &syndicate.SendError{Outcome: syndicate.Permanent, Message: "render message: " + err.Error(), Err: err}}
	}
	o := outgoing{from: from, to: rcpts[0], data: b.Bytes()}
	if s.dkim != nil {
		if o.data, err = s.dkim.sign(o.data); err != nil {
			return outgoing{err: &syndicate.SendError{Outcome: syndicate.Temporary, Message: err.Error(), Err: err}}
		}
	}
	return o
}

// Send delivers msgs over one SMTP connection and calls report(i, err)
// exactly once for every message, in order, as soon as its result is known,
// so the caller can record each before the next is sent. err is nil for a
// delivered message and a *syndicate.SendError otherwise:
//
//   - Temporary: SMTP 4xx, or the connection could not be made or was lost
//     before the message's content was sent, or the message could not be
//     DKIM signed;
//   - Bounced: 5xx with enhanced code 5.1.1, or a "no such user" reply;
//   - Permanent: other 5xx, or a message that fails Build;
//   - Unknown: the connection was lost after the whole message was sent but
//     before the server answered it.
//
// Before each message it waits for the Sender's rate limit, and before
// connecting for a free connection slot; both waits end with ctx.
// After a lost connection it reconnects once for the remaining messages;
// if that fails too, the rest are reported Temporary. Send returns only
// ctx's error, after reporting the unsent messages Temporary.
func (s *Sender) Send(ctx context.Context, msgs []syndicate.Message, report func(i int, err error)) error {
	return s.SendEach(ctx, len(msgs), func(i int) (syndicate.Message, error) { return msgs[i], nil }, report)
}

// SendEach is Send for n messages that are made one at a time: msg(i) is
// called when message i's turn comes (again after a lost connection), so
// the caller holds no rendered message but the one being sent. An error
// from msg(i) is reported for message i as a Permanent failure carrying
// its text.
func (s *Sender) SendEach(ctx context.Context, n int, msg func(i int) (syndicate.Message, error), report func(i int, err error)) error {
	if n == 0 {
		return nil
	}
	// Each message is made, built, rendered and signed when its turn comes
	// (a broken one is reported then, before any connection is made for
	// it), so a batch holds one rendered message at a time.
	var (
		cur    outgoing
		curIdx = -1
		buf    bytes.Buffer // cur's bytes, written over by the next message
	)
	made := func(i int) (syndicate.Message, error) {
		m, err := msg(i)
		if err != nil {
			return m, &syndicate.SendError{Outcome: syndicate.Permanent, Message: err.Error(), Err: err}
		}
		return m, nil
	}
	prep := func(i int) *outgoing {
		if curIdx != i {
			if m, err := made(i); err != nil {
				cur = outgoing{err: err}
			} else {
				cur = s.prepare(m, &buf)
			}
			curIdx = i
		}
		return &cur
	}
	// rest reports the messages from on as not sent, with err, or with
	// their own Permanent failure when they cannot be made or built: they
	// are not rendered and signed only to be given up.
	rest := func(from int, err error) {
		for j := from; j < n; j++ {
			if j == curIdx {
				if cur.err != nil {
					report(j, cur.err)
				} else {
					report(j, err)
				}
				continue
			}
			m, merr := made(j)
			if merr == nil {
				_, merr = Build(m)
			}
			if merr != nil {
				report(j, merr)
			} else {
				report(j, err)
			}
		}
	}

	var c *conn
	dials := 0
	paced := -1 // the last message the rate limit was waited for
	for i := 0; i < n; {
		if err := ctx.Err(); err != nil {
			if c != nil {
				c.close(false)
			}
			rest(i, &syndicate.SendError{Outcome: syndicate.Temporary, Message: "not sent: " + err.Error(), Err: err})
			return err
		}
		if o := prep(i); o.err != nil {
			report(i, o.err)
			i++
			continue
		}
		// Once per message: a resend after a lost connection is the same
		// message, already paid for.
		if s.limit != nil && paced != i {
			var t0 time.Time
			if s.obs != nil {
				t0 = time.Now()
			}
			err := s.limit.Wait(ctx)
			if s.obs != nil {
				s.obs.Paced(time.Since(t0))
			}
			if err != nil {
				if ctx.Err() != nil {
					continue // reported by the check at the top of the loop
				}
				// The wait would outlast ctx's deadline: leave the rest to the
				// retry rather than hold the connection until then.
				if c != nil {
					s.keep(c)
				}
				rest(i, &syndicate.SendError{Outcome: syndicate.Temporary, Message: "not sent: rate limit: " + err.Error(), Err: err})
				return nil
			}
			paced = i
		}
		if c == nil {
			if dials == 2 {
				rest(i, &syndicate.SendError{Outcome: syndicate.Temporary, Message: "not sent: the connection to the smtp server was lost twice in one batch"})
				return nil
			}
			var (
				err   error
				fresh bool
			)
			// A kept connection the server has since closed fails its NOOP
			// before anything is sent; only new connections count as dials.
			c, fresh, err = s.connect(ctx)
			if fresh {
				dials++
			}
			if err != nil {
				if ctx.Err() != nil {
					continue // reported by the check at the top of the loop
				}
				s.observe(err)
				rest(i, dialError(s.host, s.port, err))
				return nil
			}
		}

		st, err := c.transact(ctx, s.timeout, prep(i))
		if err != nil && ctx.Err() != nil && !hasReply(err) {
			// The watcher cut the connection (or ctx ended just before).
			if st == stepEnd {
				report(i, &syndicate.SendError{Outcome: syndicate.Unknown, Message: "cancelled while waiting for the server to accept the message: " + err.Error(), Err: err})
				i++
			}
			c.close(false)
			c = nil
			continue
		}
		res, broken, retry := classify(st, err)
		if st != stepCheck {
			s.observe(err)
		}
		if err != nil && !broken {
			// End the refused transaction. If even that fails, the next
			// message needs a new connection.
			if rerr := c.smtp.Reset(); rerr != nil {
				broken = true
			}
		}
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
		s.keep(c)
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

// observe tells the Observer of the server's reply in err: a 250 when err
// is nil, nothing when err carries no reply (a broken connection).
func (s *Sender) observe(err error) {
	if s.obs == nil {
		return
	}
	if err == nil {
		s.obs.Reply(250, "")
		return
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		s.obs.Reply(te.Code, enhancedCode.FindString(te.Msg))
	}
}

// hasReply reports whether err is the server's answer rather than a
// broken connection.
func hasReply(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te)
}

// classify turns the result of one transaction, and the step it failed at,
// into what it means for the delivery. broken says the connection cannot
// be used again; retry says nothing of the message reached the server, so
// sending it on a new connection cannot duplicate it.
func classify(st step, err error) (res error, broken, retry bool) {
	if err == nil {
		return nil, false, false
	}
	var te *textproto.Error
	if errors.As(err, &te) && st != stepCheck {
		text := err.Error()
		// 421: the server is closing the connection (RFC 5321 3.8).
		broken = te.Code == 421
		switch {
		case te.Code >= 400 && te.Code < 500:
			return &syndicate.SendError{Outcome: syndicate.Temporary, Code: te.Code, Message: text, Err: err}, broken, false
		case te.Code >= 500:
			out := syndicate.Permanent
			if noSuchUser(te.Code, te.Msg) {
				out = syndicate.Bounced
			}
			return &syndicate.SendError{Outcome: out, Code: te.Code, Message: text, Err: err}, false, false
		}
	}
	// No SMTP reply: the connection broke.
	switch st {
	case stepEnd:
		// The whole message and its final "." were sent; the server may
		// have queued it before the connection died.
		return &syndicate.SendError{Outcome: syndicate.Unknown, Message: "connection lost before the server answered the message: " + err.Error(), Err: err}, true, false
	case stepContent:
		// Lost while the content was being written: the final "." was never
		// sent, and a server must not deliver a message without it
		// (RFC 5321 4.1.1.4), so nothing was delivered. Not resent in this
		// batch in case the content itself is what fails to write.
		return &syndicate.SendError{Outcome: syndicate.Temporary, Message: "connection lost while sending the message: " + err.Error(), Err: err}, true, false
	}
	// NOOP, MAIL, RCPT or DATA found the connection gone (a NOOP refused
	// with a reply counts too): nothing was sent.
	return &syndicate.SendError{Outcome: syndicate.Temporary, Message: "connection lost before sending: " + err.Error(), Err: err}, true, true
}

var (
	enhancedCode = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}\b`)
	// noSuchUserText recognises servers that say the mailbox does not exist
	// without an enhanced status code.
	noSuchUserText = regexp.MustCompile(`(?i)no such (user|mailbox|recipient|address)|(user|recipient|mailbox) (unknown|not found|does not exist)|unknown (user|recipient|mailbox)`)
)

// noSuchUser reports whether a 5xx reply says the address does not exist:
// enhanced code x.1.1, or the usual wording when there is none.
func noSuchUser(code int, text string) bool {
	if code < 500 {
		return false
	}
	if esc := enhancedCode.FindString(text); esc != "" {
		return strings.HasSuffix(esc, ".1.1")
	}
	return noSuchUserText.MatchString(text)
}
