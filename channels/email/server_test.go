package email

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message as the test server got it.
type received struct {
	session  int
	from     string
	to       []string
	data     []byte
	authUser string
}

// testServer is a real SMTP server on 127.0.0.1 with hooks for refusing
// recipients, refusing data or dropping the connection.
type testServer struct {
	addr string
	ln   net.Listener
	srv  *smtp.Server

	// Hooks, set before the first send. rcpt may refuse a recipient; data
	// may refuse a message or cut the connection (c) after reading it.
	rcpt func(to string) error
	data func(c *smtp.Conn, to []string, body []byte) error
	// mail is called on every MAIL FROM, n counting them within the
	// session; it may refuse the sender or cut the connection.
	mail func(c *smtp.Conn, session, n int) error
	// reset is called on every reset of a session (after each DATA and on
	// RSET), n counting them within the session.
	reset func(c *smtp.Conn, session, n int)
	// user and pass, when set, make AUTH PLAIN required.
	user, pass string

	// open counts the connections the server holds; maxOpen is the most
	// it ever held at once.
	open, maxOpen atomic.Int64

	mu       sync.Mutex
	sessions int
	msgs     []received
}

func newTestServer(t *testing.T, setup func(*testServer)) *testServer {
	t.Helper()
	ts := &testServer{}
	if setup != nil {
		setup(ts)
	}
	ts.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		ts.mu.Lock()
		ts.sessions++
		s := &session{ts: ts, conn: c, id: ts.sessions}
		ts.mu.Unlock()
		if ts.user != "" {
			return &authSession{s}, nil
		}
		return s, nil
	}))
	ts.srv.Domain = "localhost"
	ts.srv.AllowInsecureAuth = true // AUTH over plain text, as tls=none does
	ts.srv.ReadTimeout = 10 * time.Second
	ts.srv.WriteTimeout = 10 * time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.ln, ts.addr = ln, ln.Addr().String()
	done := make(chan error, 1)
	go func() { done <- ts.srv.Serve(&countingListener{Listener: ln, ts: ts}) }()
	t.Cleanup(func() {
		if err := ts.srv.Close(); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("close test smtp server: %v", err)
		}
		// Server.Close misses a listener that Serve has not registered yet
		// (a test that never connects), so close it here too.
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("close test smtp listener: %v", err)
		}
		if err := <-done; err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("test smtp server: %v", err)
		}
	})
	return ts
}

// url is the smtp URL of the server, with no TLS.
func (ts *testServer) url(userinfo string) string {
	if userinfo != "" {
		userinfo += "@"
	}
	return "smtp://" + userinfo + ts.addr + "?tls=none"
}

func (ts *testServer) received() (int, []received) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.sessions, append([]received(nil), ts.msgs...)
}

type session struct {
	ts       *testServer
	conn     *smtp.Conn
	id       int
	authUser string
	from     string
	to       []string
	resets   int
	mails    int
}

func (s *session) Reset() {
	s.from, s.to = "", nil
	s.resets++
	if s.ts.reset != nil {
		s.ts.reset(s.conn, s.id, s.resets)
	}
}

func (s *session) Logout() error { return nil }

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.ts.user != "" && s.authUser == "" {
		return smtp.ErrAuthRequired
	}
	s.mails++
	if s.ts.mail != nil {
		if err := s.ts.mail(s.conn, s.id, s.mails); err != nil {
			return err
		}
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if s.ts.rcpt != nil {
		if err := s.ts.rcpt(to); err != nil {
			return err
		}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if s.ts.data != nil {
		if err := s.ts.data(s.conn, s.to, body); err != nil {
			return err
		}
	}
	s.ts.mu.Lock()
	s.ts.msgs = append(s.ts.msgs, received{session: s.id, from: s.from, to: s.to, data: bytes.Clone(body), authUser: s.authUser})
	s.ts.mu.Unlock()
	return nil
}

// authSession offers AUTH PLAIN; a session that does not implement
// smtp.AuthSession offers no AUTH at all.
type authSession struct{ *session }

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.ts.user || pass != s.ts.pass {
			return smtp.ErrAuthFailed
		}
		s.authUser = user
		return nil
	}), nil
}

// countingListener keeps testServer.open and maxOpen. A connection counts
// from the moment it is accepted until the server answers QUIT or the
// connection closes: the 221 reply is the last thing the client waits for
// before it frees its connection slot, so counting to the later close
// would overlap with the client's next connection.
type countingListener struct {
	net.Listener
	ts *testServer
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	n := l.ts.open.Add(1)
	for {
		m := l.ts.maxOpen.Load()
		if n <= m || l.ts.maxOpen.CompareAndSwap(m, n) {
			break
		}
	}
	return &countedConn{Conn: c, ts: l.ts}, nil
}

type countedConn struct {
	net.Conn
	ts   *testServer
	done sync.Once
}

func (c *countedConn) end() { c.done.Do(func() { c.ts.open.Add(-1) }) }

func (c *countedConn) Write(p []byte) (int, error) {
	if bytes.HasPrefix(p, []byte("221 ")) {
		c.end()
	}
	return c.Conn.Write(p)
}

func (c *countedConn) Close() error {
	c.end()
	return c.Conn.Close()
}
