// Package bench measures sending: a discarding SMTP server that counts
// what arrives, the raw go-mail baseline, and the process figures (peak
// RSS, CPU time) that `syndicate bench` reports.
package bench

import (
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Discard is a loopback SMTP server that reads every message and throws it
// away, keeping only counts: how many messages each recipient got, when
// the first and the last arrived, and one sample message.
type Discard struct {
	srv *smtp.Server
	ln  net.Listener

	mu          sync.Mutex
	n           int
	bytes       int64
	first, last time.Time
	perRcpt     map[string]int
	sample      []byte
	sessions    int
}

// StartDiscard listens on 127.0.0.1 at a free port. With count set it
// counts the messages of each recipient (memory grows with recipients).
func StartDiscard(count bool) (*Discard, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d := &Discard{ln: ln}
	if count {
		d.perRcpt = map[string]int{}
	}
	d.srv = smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		d.mu.Lock()
		d.sessions++
		d.mu.Unlock()
		return &discardSession{d: d}, nil
	}))
	d.srv.Domain = "localhost"
	d.srv.MaxMessageBytes = 10 << 20
	d.srv.ReadTimeout = time.Minute
	d.srv.WriteTimeout = time.Minute
	go d.srv.Serve(ln) //nolint:errcheck // Serve returns only when Close is called
	return d, nil
}

// Addr is host:port of the server.
func (d *Discard) Addr() string { return d.ln.Addr().String() }

// URL is an smtp:// URL for SYNDICATE_SMTP_URL.
func (d *Discard) URL() string { return "smtp://" + d.Addr() + "?tls=none" }

// Close stops the server.
func (d *Discard) Close() error { return d.srv.Close() }

// Stats is what a Discard has seen.
type Stats struct {
	Messages    int
	Bytes       int64
	First, Last time.Time
	Sessions    int
	// Recipients is how many distinct recipients got mail, Duplicates how
	// many messages went to a recipient a second time (counting only).
	Recipients, Duplicates int
}

// Stats returns the counts so far.
func (d *Discard) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := Stats{Messages: d.n, Bytes: d.bytes, First: d.first, Last: d.last, Sessions: d.sessions, Recipients: len(d.perRcpt)}
	for _, n := range d.perRcpt {
		s.Duplicates += n - 1
	}
	return s
}

// Sample returns the first message that arrived, as sent.
func (d *Discard) Sample() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return bytes.Clone(d.sample)
}

type discardSession struct {
	d  *Discard
	to []string
}

func (s *discardSession) Reset()                               { s.to = s.to[:0] }
func (s *discardSession) Logout() error                        { return nil }
func (s *discardSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *discardSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *discardSession) Data(r io.Reader) error {
	d := s.d
	var (
		n   int64
		err error
		buf []byte
	)
	d.mu.Lock()
	keep := d.sample == nil
	d.mu.Unlock()
	if keep {
		buf, err = io.ReadAll(r)
		n = int64(len(buf))
	} else {
		n, err = io.Copy(io.Discard, r)
	}
	if err != nil {
		return err
	}
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.n == 0 {
		d.first = now
	}
	d.n++
	d.bytes += n
	d.last = now
	if keep && d.sample == nil {
		d.sample = buf
	}
	if d.perRcpt != nil {
		for _, to := range s.to {
			d.perRcpt[strings.ToLower(to)]++
		}
	}
	return nil
}
