// Package mailsink is a small SMTP server that keeps what it receives: the
// demo's inbox, and the real SMTP peer of the end-to-end tests.
package mailsink

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one message as it arrived.
type Message struct {
	From string
	To   []string
	Data []byte
	Path string // the .eml file, when the sink writes files
}

// Sink is a running SMTP server on a loopback port.
type Sink struct {
	// Delay is waited before each message is accepted, so a test can stop a
	// worker in the middle of a batch.
	Delay time.Duration
	// Reject, when set, can refuse the nth recipient the sink is offered
	// (counted from 1 across its life, refused ones included) with an SMTP
	// error.
	Reject func(n int, rcpt string) error

	dir  string
	srv  *smtp.Server
	ln   net.Listener
	mu   sync.Mutex
	msgs []Message
	n    int // messages accepted
	rcpt int // recipients offered
	sess int
	open int // sessions open now
	most int // the most sessions open at once
}

// Start listens on 127.0.0.1 at a free port. When dir is not empty, every
// message is also written there as an .eml file.
func Start(dir string) (*Sink, error) { return StartWith(Options{Dir: dir}) }

// Options are the settings of StartWith.
type Options struct {
	Dir string // as Start's
	// TLS, when set, is offered with STARTTLS (use SelfSigned for tests).
	TLS *tls.Config
	// User and Password, when User is set, are the only login AUTH PLAIN
	// accepts; a sink without them offers no AUTH.
	User, Password string
}

// StartWith starts a sink as Start does, with STARTTLS and AUTH as o says.
func StartWith(o Options) (*Sink, error) {
	dir := o.Dir
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create mail folder: %w", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for SMTP: %w", err)
	}
	s := &Sink{dir: dir, ln: ln}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.sess++
		s.open++
		s.most = max(s.most, s.open)
		s.mu.Unlock()
		if o.User != "" {
			return &authSession{session: &session{sink: s}, user: o.User, pass: o.Password}, nil
		}
		return &session{sink: s}, nil
	}))
	s.srv.TLSConfig = o.TLS
	s.srv.Domain = "localhost"
	s.srv.MaxMessageBytes = 10 << 20
	s.srv.ReadTimeout = time.Minute
	s.srv.WriteTimeout = time.Minute
	go s.srv.Serve(ln) //nolint:errcheck // Serve returns only when Close is called
	return s, nil
}

// Addr is host:port of the server.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// URL is an smtp:// URL for SYNDICATE_SMTP_URL.
func (s *Sink) URL() string { return "smtp://" + s.Addr() + "?tls=none" }

// Close stops the server.
func (s *Sink) Close() error { return s.srv.Close() }

// Messages returns a copy of what has arrived.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Sessions is the number of SMTP connections the sink has accepted.
func (s *Sink) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sess
}

// MostOpen is the most SMTP connections the sink has held open at once.
func (s *Sink) MostOpen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.most
}

type session struct {
	sink *Sink
	from string
	to   []string
}

func (ss *session) Reset() { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { // the connection closed
	ss.sink.mu.Lock()
	ss.sink.open--
	ss.sink.mu.Unlock()
	return nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s := ss.sink
	s.mu.Lock()
	s.rcpt++
	n := s.rcpt
	s.mu.Unlock()
	if s.Reject != nil {
		if err := s.Reject(n, to); err != nil {
			return err
		}
	}
	ss.to = append(ss.to, to)
	return nil
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9@._-]+`)

func (ss *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.sink
	if s.Delay > 0 {
		time.Sleep(s.Delay)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	m := Message{From: ss.from, To: append([]string(nil), ss.to...), Data: bytes.Clone(b)}
	if s.dir != "" {
		name := fmt.Sprintf("%03d", s.n)
		if len(ss.to) > 0 {
			name += "-" + unsafeName.ReplaceAllString(ss.to[0], "_")
		}
		m.Path = filepath.Join(s.dir, name+".eml")
		if err := os.WriteFile(m.Path, b, 0o644); err != nil {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "cannot store message"}
		}
	}
	s.msgs = append(s.msgs, m)
	return nil
}

// authSession offers AUTH PLAIN for one login; a session that does not
// implement smtp.AuthSession offers no AUTH at all.
type authSession struct {
	*session
	user, pass string
}

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.user || pass != s.pass {
			return smtp.ErrAuthFailed
		}
		return nil
	}), nil
}

// SelfSigned returns a TLS configuration with a fresh self-signed
// certificate for 127.0.0.1 and localhost (clients must skip verifying
// it: skip_verify=1).
func SelfSigned() (*tls.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate a key: %w", err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mailsink"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("make a certificate: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, nil
}
